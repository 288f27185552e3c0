#pragma once
// What `vigil serve` reads from DIR/vigil.yml (the file `vigil init` writes). Relative paths
// are resolved against the directory holding the file; missing keys take the defaults below,
// which match what `vigil init` creates.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/time_zone.h"

namespace vigil::app {

// Named limit: vigil.yml is a few dozen lines.
inline constexpr uintmax_t kMaxConfigBytes = 1024 * 1024;

// Scheduled backups (`backup:` in vigil.yml, see docs/backup.md). Off unless interval is set.
struct BackupConfig {
    std::chrono::seconds interval{0};       // 0: no scheduled backups; "24h", "30m", "90s", "7d"
    std::filesystem::path dir;              // backups (relative to the data directory)
    int keep = 7;                           // archives kept; older ones are deleted
    std::filesystem::path passphrase_file;  // required when interval is set; mode 0600

    bool enabled() const { return interval.count() > 0; }
};

// Named limits of backup.interval.
inline constexpr std::chrono::seconds kMinBackupInterval{60};
inline constexpr std::chrono::seconds kMaxBackupInterval{int64_t{366} * 86400};

// The ingest section: sources, rules, workers (docs/ingestion.md).
struct IngestSource {
    std::string name;
    std::string type;  // "syslog-udp", "syslog-tcp", "syslog-tls", "file"
    std::string bind = "127.0.0.1";
    uint16_t port = 0;
    std::vector<std::string> paths;  // file: glob patterns
    bool multiline = false;          // file: indented continuation lines
    std::string decoder = "auto";    // parse::FormatByName
    // Sigma logsource for this source's events when the decoder sets none (or to override).
    std::string product, service, category;
    std::string host;  // the asset the source belongs to (when the message has none)
    // timezone: how this source's times without a zone are read; unset: ingest.timezone.
    std::optional<TimeZone> timezone;
    int silent_minutes = 0;  // > 0: a detection when quiet this long
    // syslog-tcp, syslog-tls: connections open at once, in all and from one address.
    long max_connections = 1024;
    long max_connections_per_peer = 128;
};

struct IngestConfig {
    std::vector<IngestSource> sources;
    std::vector<std::string> rules;  // Sigma rule files or folders
    int workers = 2;
    uint64_t spool_max_bytes = uint64_t{1} << 30;
    size_t memory_messages = 200000;  // the memory queue in front of the spool
    int retention_days = 180;
    // ingest.detection_retention_days: detections older than this are deleted; 0 (unset): as
    // long as the events (retention_days).
    int detection_retention_days = 0;
    // ingest.timezone: how times written without a zone (RFC 3164, NXLog's EventTime) are read
    // unless a source says otherwise; the host's local zone by default, as rsyslog and
    // syslog-ng read them.
    TimeZone timezone = TimeZone::Local();
    int DetectionRetentionDays() const {
        return detection_retention_days > 0 ? detection_retention_days : retention_days;
    }
};

struct ServeConfig {
    std::string bind = "127.0.0.1";
    uint16_t port = 8443;
    std::string tls_min_version = "1.3";      // "1.3" or "1.2"
    std::filesystem::path tls_cert;           // tls/cert.pem
    std::filesystem::path tls_key;            // tls/key.pem
    std::filesystem::path state_db;           // state.db
    std::filesystem::path seal_key;           // keys/seal.key
    std::filesystem::path audit_signing_key;  // keys/audit-signing.pem
    // keys/audit-signing.pub.pem: for `vigil audit verify`; serve derives it from the signing key.
    std::filesystem::path audit_public_key;
    int retention_days = 180;
    BackupConfig backup;
    // server.rate_limit_per_second / server.rate_limit_burst: per client IP; 0 disables.
    double rate_limit_per_second = 50;
    double rate_limit_burst = 100;
    // The auth section: password policy, lockout and session timeouts.
    struct Auth {
        int password_min_length = 8;     // 8..128
        int password_min_classes = 3;    // 3..4 of lower, upper, digit, symbol
        int password_history = 5;        // 0..24
        int password_max_age_days = 90;  // 0 (never) ..3650
        int lockout_account_failures = 5;
        int lockout_ip_failures = 20;
        int session_idle_minutes = 30;    // 1..1440
        int session_absolute_hours = 12;  // 1..168
    } auth;
    IngestConfig ingest;
};

// What ParseServeConfig does with a key it does not know (or a key given twice). Refused: a
// misspelt key would leave its setting at the default without a word, and a typo must not turn
// a detection off. Ignored only when checking the vigil.yml inside a backup archive, so that an
// archive made before a typo was caught can still be restored (serve then names the key).
enum class UnknownKeys { kRefuse, kIgnore };

// "90s", "30m", "24h", "7d" (a positive integer and one unit) or "off" (0).
Result<std::chrono::seconds> ParseInterval(const std::string& text);

// Parses vigil.yml. Errors name the file, and the line and column for YAML syntax errors,
// values of the wrong type and unknown keys: "DIR/vigil.yml:4:9: server.port: expected an integer
// 0..65535", "DIR/vigil.yml:7:7: ingest.sources[0].silent_minute: unknown key; did you mean
// 'silent_minutes'?".
Result<ServeConfig> LoadServeConfig(const std::filesystem::path& path);

// Same, from text; `base` resolves relative paths and `name` labels errors.
Result<ServeConfig> ParseServeConfig(const std::string& text, const std::filesystem::path& base,
                                     const std::string& name,
                                     UnknownKeys unknown = UnknownKeys::kRefuse);

}  // namespace vigil::app
