#pragma once
// `vigil init`: creates a data directory ready for the server: keys, configuration, the state
// database with its schema, the first audit records and the first administrator, whose
// one-time password is printed once on standard output.
//
//   DIR/               0700
//     keys/            0700  seal.key (AES-256, 0600), audit-signing.pem (Ed25519, 0600),
//                            audit-signing.pub.pem (what `vigil audit verify` needs)
//     tls/             0700  for cert.pem / key.pem (the server's certificate)
//     vigil.yml        0600  commented configuration
//     state.db         0600  SQLite: auth and audit schemas, audit records system.init and
//                            user.create (signed checkpoint), the administrator
//
// Refuses a non-empty directory unless --force; even then it never overwrites a file it would
// create (keys cannot be recovered). On failure, what this run created is removed again.
//
// Exit codes: 0 initialised, 1 internal error, 2 usage or configuration error (directory not
// empty, not writable, invalid administrator name, a file already exists).

#include <cstdint>
#include <string>

namespace vigil::cli {

struct InitOptions {
    std::string data_dir;
    std::string admin_username = "admin";
    bool force = false;  // accept a non-empty directory (existing files are still never replaced)
    int64_t now_ns = 0;  // 0: the system clock; set by tests
};

int RunInit(const InitOptions& options);

}  // namespace vigil::cli
