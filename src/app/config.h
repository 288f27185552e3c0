#pragma once
// What `vigil serve` reads from DIR/vigil.yml (the file `vigil init` writes). Relative paths
// are resolved against the directory holding the file; missing keys take the defaults below,
// which match what `vigil init` creates.

#include <cstdint>
#include <filesystem>
#include <string>

#include "base/result.h"

namespace vigil::app {

// Named limit: vigil.yml is a few dozen lines.
inline constexpr uintmax_t kMaxConfigBytes = 1024 * 1024;

struct ServeConfig {
    std::string bind = "127.0.0.1";
    uint16_t port = 8443;
    std::string tls_min_version = "1.3";      // "1.3" or "1.2"
    std::filesystem::path tls_cert;           // tls/cert.pem
    std::filesystem::path tls_key;            // tls/key.pem
    std::filesystem::path state_db;           // state.db
    std::filesystem::path seal_key;           // keys/seal.key
    std::filesystem::path audit_signing_key;  // keys/audit-signing.pem
    int retention_days = 180;
};

// Parses vigil.yml. Errors name the file, and the line and column for YAML syntax errors and
// values of the wrong type: "DIR/vigil.yml:4:9: server.port: expected an integer 0..65535".
Result<ServeConfig> LoadServeConfig(const std::filesystem::path& path);

// Same, from text; `base` resolves relative paths and `name` labels errors.
Result<ServeConfig> ParseServeConfig(const std::string& text, const std::filesystem::path& base,
                                     const std::string& name);

}  // namespace vigil::app
