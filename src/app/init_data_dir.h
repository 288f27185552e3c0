#pragma once
// The data directory `vigil serve` runs on, created from nothing: keys, configuration, the
// state database with its schemas, the first audit records and the first administrator.
// The logic behind `vigil init`, kept here so the server's tests (and later `vigil init`
// itself) build directories exactly the way the product does.
//
//   DIR/               0700
//     keys/            0700  seal.key (AES-256, 0600), audit-signing.pem (Ed25519, 0600),
//                            audit-signing.pub.pem (0644)
//     tls/             0700  cert.pem, key.pem (0600): self-signed for localhost
//     vigil.yml        0600  commented configuration (kDefaultConfig)
//     state.db         0600  auth + audit schemas; records system.init and user.create with a
//                            signed checkpoint; the administrator (one-time password)
//
// Refuses a non-empty directory unless `force`; never overwrites a file it would create. On
// failure, what this call created is removed again.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "auth/user_store.h"
#include "base/result.h"

namespace vigil::app {

// The vigil.yml written by InitDataDir.
extern const std::string_view kDefaultConfig;

struct InitDataDirOptions {
    std::filesystem::path data_dir;
    std::string admin_username = "admin";
    bool force = false;  // accept a non-empty directory (existing files are still never replaced)
    int64_t now_ns = 0;  // 0: the system clock
    auth::UserStoreOptions user_store;  // tests use small argon2 parameters
};

struct InitDataDirResult {
    std::filesystem::path data_dir;  // absolute
    std::string admin_username;
    std::string one_time_password;  // shown once
    std::string audit_key_id;
    std::string seal_key_id;
};

// Errors: invalid_argument (no directory, bad administrator name), failed_precondition (not
// empty, not a directory), already_exists (a file it would write exists), permission_denied /
// unavailable (file system).
Result<InitDataDirResult> InitDataDir(const InitDataDirOptions& options);

}  // namespace vigil::app
