#include "app/config.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/strings.h"

namespace vigil::app {

namespace fs = std::filesystem;

namespace {

std::string Where(const std::string& name, const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.line < 0) return name;
    return name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

tl::unexpected<Error> Bad(const std::string& name, const YAML::Node& node, const std::string& key,
                          const std::string& what) {
    return InvalidArgument(Where(name, node) + ": " + key + ": " + what);
}

// Reads a scalar string at map[key] when present.
Status ReadString(const std::string& name, const YAML::Node& map, const char* section,
                  const char* key, std::string& out) {
    const YAML::Node node = map[key];
    if (!node) return Ok();
    const std::string dotted = std::string(section) + "." + key;
    if (!node.IsScalar()) return Bad(name, node, dotted, "expected a string");
    out = node.Scalar();
    if (out.empty()) return Bad(name, node, dotted, "must not be empty");
    return Ok();
}

Status ReadPath(const std::string& name, const fs::path& base, const YAML::Node& map,
                const char* section, const char* key, fs::path& out) {
    std::string value;
    if (auto st = ReadString(name, map, section, key, value); !st) return st;
    if (!value.empty()) out = value;
    if (out.is_relative()) out = base / out;
    return Ok();
}

Status ReadInt(const std::string& name, const YAML::Node& map, const char* section, const char* key,
               long min, long max, long& out) {
    const YAML::Node node = map[key];
    if (!node) return Ok();
    const std::string dotted = std::string(section) + (*section ? "." : "") + key;
    const std::string range =
        "expected an integer " + std::to_string(min) + ".." + std::to_string(max);
    if (!node.IsScalar()) return Bad(name, node, dotted, range);
    try {
        size_t used = 0;
        const std::string& text = node.Scalar();
        long value = std::stol(text, &used, 10);
        if (used != text.size() || value < min || value > max) {
            return Bad(name, node, dotted, range);
        }
        out = value;
    } catch (const std::exception&) {
        return Bad(name, node, dotted, range);
    }
    return Ok();
}

// Optimal string alignment distance (a transposition is one edit), ASCII case ignored.
size_t EditDistance(std::string_view a, std::string_view b) {
    std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const bool same = AsciiLower(a[i - 1]) == AsciiLower(b[j - 1]);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
            if (i > 1 && j > 1 && AsciiLower(a[i - 1]) == AsciiLower(b[j - 2]) &&
                AsciiLower(a[i - 2]) == AsciiLower(b[j - 1])) {
                cur[j] = std::min(cur[j], before[j - 2] + 1);
            }
        }
        std::swap(before, prev);
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

// The known key a misspelt one most likely meant: one within two edits ("silent_minute"), else
// one sharing a prefix of at least four characters and half the shorter name
// ("spool_max_bytes" -> "spool_max_mb").
std::optional<std::string_view> SuggestKey(std::string_view key,
                                           const std::vector<std::string_view>& known) {
    std::optional<std::string_view> best;
    size_t best_distance = 3;
    for (std::string_view k : known) {
        const size_t d = EditDistance(key, k);
        if (d < best_distance && d < key.size()) best = k, best_distance = d;
    }
    if (best) return best;
    size_t best_prefix = 0;
    for (std::string_view k : known) {
        size_t n = 0;
        while (n < key.size() && n < k.size() && AsciiLower(key[n]) == AsciiLower(k[n])) ++n;
        if (n >= 4 && 2 * n >= std::min(key.size(), k.size()) && n > best_prefix) {
            best = k, best_prefix = n;
        }
    }
    return best;
}

// A section of the file: absent, or a mapping whose keys are all among `known`, each once. A
// misspelt key would otherwise leave its setting at the default without a word (`silent_minute:
// 15` turns the silent-source detection off), so unknown and repeated keys are refused, naming
// the key and the known one it most likely meant.
Status CheckSection(const std::string& name, const YAML::Node& node, const std::string& section,
                    const std::vector<std::string_view>& known, UnknownKeys unknown) {
    if (!node) return Ok();
    if (!node.IsMap()) return Bad(name, node, section, "expected a mapping");
    if (unknown == UnknownKeys::kIgnore) return Ok();
    const std::string prefix = section.empty() ? "" : section + ".";
    std::vector<std::pair<std::string, YAML::Mark>> seen;
    for (const auto& kv : node) {
        const YAML::Node& key = kv.first;
        if (!key.IsScalar()) {
            return Bad(name, key, section.empty() ? "top level" : section, "expected a key name");
        }
        const std::string& k = key.Scalar();
        if (std::find(known.begin(), known.end(), k) == known.end()) {
            std::string what = "unknown key";
            if (auto guess = SuggestKey(k, known)) {
                what += "; did you mean '" + std::string(*guess) + "'?";
            } else {
                what += "; expected one of";
                for (size_t i = 0; i < known.size(); ++i) {
                    what += (i == 0 ? " " : ", ") + std::string(known[i]);
                }
            }
            return Bad(name, key, prefix + k, what);
        }
        for (const auto& [other, mark] : seen) {
            if (other == k) {
                return Bad(name, key, prefix + k,
                           "repeated key (first at line " + std::to_string(mark.line + 1) + ")");
            }
        }
        seen.emplace_back(k, key.Mark());
    }
    return Ok();
}

// A list of strings at map[key] (a single string is a one-element list).
Status ReadStringList(const std::string& name, const YAML::Node& map, const std::string& dotted,
                      const char* key, std::vector<std::string>& out) {
    const YAML::Node node = map[key];
    if (!node) return Ok();
    out.clear();
    if (node.IsScalar()) {
        out.push_back(node.Scalar());
        return Ok();
    }
    if (!node.IsSequence()) return Bad(name, node, dotted + "." + key, "expected a list");
    for (size_t i = 0; i < node.size(); ++i) {
        const YAML::Node item = node[i];
        if (!item.IsScalar() || item.Scalar().empty()) {
            return Bad(name, item, dotted + "." + key, "expected non-empty strings");
        }
        out.push_back(item.Scalar());
    }
    return Ok();
}

// A "timezone" key of map: UTC, local or an offset (TimeZone::Parse).
Status ReadZone(const std::string& name, const YAML::Node& map, const std::string& dotted,
                std::optional<TimeZone>& out) {
    const YAML::Node node = map["timezone"];
    if (!node) return Ok();
    const std::string expected =
        "expected UTC, local or an offset such as +08:00 (for a named zone such as "
        "Asia/Shanghai, give its offset)";
    if (!node.IsScalar()) return Bad(name, node, dotted, expected);
    auto zone = TimeZone::Parse(node.Scalar());
    if (!zone) return Bad(name, node, dotted, expected);
    out = *zone;
    return Ok();
}

Status ReadIngest(const std::string& name, UnknownKeys unknown, const YAML::Node& in,
                  IngestConfig& out) {
    if (auto st = ReadStringList(name, in, "ingest", "rules", out.rules); !st) return st;
    long workers = out.workers, spool_mb = static_cast<long>(out.spool_max_bytes >> 20),
         retention = out.retention_days, memory = static_cast<long>(out.memory_messages),
         detection_retention = out.detection_retention_days;
    if (auto st = ReadInt(name, in, "ingest", "workers", 1, 64, workers); !st) return st;
    if (auto st = ReadInt(name, in, "ingest", "spool_max_mb", 1, 1048576, spool_mb); !st) {
        return st;
    }
    if (auto st = ReadInt(name, in, "ingest", "retention_days", 1, 36500, retention); !st) {
        return st;
    }
    if (auto st =
            ReadInt(name, in, "ingest", "detection_retention_days", 1, 36500, detection_retention);
        !st) {
        return st;
    }
    if (auto st = ReadInt(name, in, "ingest", "memory_messages", 1000, 5000000, memory); !st) {
        return st;
    }
    out.detection_retention_days = static_cast<int>(detection_retention);
    out.memory_messages = static_cast<size_t>(memory);
    out.workers = static_cast<int>(workers);
    out.spool_max_bytes = static_cast<uint64_t>(spool_mb) << 20;
    out.retention_days = static_cast<int>(retention);
    if (std::optional<TimeZone> zone; in["timezone"]) {
        if (auto st = ReadZone(name, in, "ingest.timezone", zone); !st) return st;
        out.timezone = *zone;
    }
    const YAML::Node sources = in["sources"];
    if (!sources) return Ok();
    if (!sources.IsSequence()) return Bad(name, sources, "ingest.sources", "expected a list");
    for (size_t i = 0; i < sources.size(); ++i) {
        const YAML::Node s = sources[i];
        const std::string at = "ingest.sources[" + std::to_string(i) + "]";
        IngestSource src;
        const char* section = at.c_str();
        Status st = CheckSection(name, s, at,
                                 {"name", "type", "bind", "port", "paths", "multiline", "decoder",
                                  "product", "service", "category", "host", "silent_minutes",
                                  "max_connections", "max_connections_per_peer", "timezone"},
                                 unknown);
        if (st) st = ReadString(name, s, section, "name", src.name);
        if (st) st = ReadString(name, s, section, "type", src.type);
        if (st && (src.name.empty() || src.type.empty())) {
            st = Bad(name, s, at, "name and type are required");
        }
        if (st && src.type != "syslog-udp" && src.type != "syslog-tcp" &&
            src.type != "syslog-tls" && src.type != "file") {
            st = Bad(name, s["type"], at + ".type",
                     "expected syslog-udp, syslog-tcp, syslog-tls or file");
        }
        // Keys of another kind of source would be ignored just as silently as a misspelt one.
        const bool file = src.type == "file";
        const bool stream = src.type == "syslog-tcp" || src.type == "syslog-tls";
        struct KindKey {
            const char* key;
            bool belongs;
            const char* whose;
        };
        const KindKey kind_keys[] = {
            {"bind", !file, "bind and port are for syslog listeners"},
            {"port", !file, "bind and port are for syslog listeners"},
            {"paths", file, "paths and multiline are for file sources"},
            {"multiline", file, "paths and multiline are for file sources"},
            {"max_connections", stream, "connection limits are for syslog-tcp and syslog-tls"},
            {"max_connections_per_peer", stream,
             "connection limits are for syslog-tcp and syslog-tls"},
        };
        for (const KindKey& k : kind_keys) {
            if (st && s[k.key] && !k.belongs && unknown == UnknownKeys::kRefuse) {
                st = Bad(name, s[k.key], at + "." + k.key,
                         "not a key of a " + src.type + " source (" + k.whose + ")");
            }
        }
        if (st) st = ReadInt(name, s, section, "max_connections", 1, 1000000, src.max_connections);
        if (st) {
            st = ReadInt(name, s, section, "max_connections_per_peer", 1, 1000000,
                         src.max_connections_per_peer);
        }
        if (st) st = ReadString(name, s, section, "bind", src.bind);
        long port = 0;
        if (st) st = ReadInt(name, s, section, "port", 0, 65535, port);
        src.port = static_cast<uint16_t>(port);
        if (st) st = ReadStringList(name, s, at, "paths", src.paths);
        if (st && src.type == "file" && src.paths.empty()) {
            st = Bad(name, s, at + ".paths", "a file source needs paths (globs)");
        }
        if (st && src.type != "file" && !s["port"]) {
            st = Bad(name, s, at + ".port", "a listener needs a port (0: any free port)");
        }
        if (st) st = ReadString(name, s, section, "decoder", src.decoder);
        if (st) st = ReadString(name, s, section, "product", src.product);
        if (st) st = ReadString(name, s, section, "service", src.service);
        if (st) st = ReadString(name, s, section, "category", src.category);
        if (st) st = ReadString(name, s, section, "host", src.host);
        if (st) st = ReadZone(name, s, at + ".timezone", src.timezone);
        long silent = 0;
        if (st) st = ReadInt(name, s, section, "silent_minutes", 0, 100000, silent);
        src.silent_minutes = static_cast<int>(silent);
        if (st && s["multiline"]) {
            const std::string v = s["multiline"].Scalar();
            if (v != "indented" && v != "none") {
                st = Bad(name, s["multiline"], at + ".multiline", "expected indented or none");
            }
            src.multiline = v == "indented";
        }
        if (!st) return st;
        out.sources.push_back(std::move(src));
    }
    return Ok();
}

Status ReadBackup(const std::string& name, const fs::path& base, const YAML::Node& b,
                  BackupConfig& out) {
    std::string interval;
    if (auto st = ReadString(name, b, "backup", "interval", interval); !st) return st;
    if (!interval.empty()) {
        auto parsed = ParseInterval(interval);
        if (!parsed) return Bad(name, b["interval"], "backup.interval", parsed.error().message);
        out.interval = *parsed;
    }
    if (auto st = ReadPath(name, base, b, "backup", "dir", out.dir); !st) return st;
    long keep = out.keep;
    if (auto st = ReadInt(name, b, "backup", "keep", 1, 10000, keep); !st) return st;
    out.keep = static_cast<int>(keep);
    std::string passphrase;
    if (auto st = ReadString(name, b, "backup", "passphrase_file", passphrase); !st) return st;
    if (!passphrase.empty()) {
        out.passphrase_file = passphrase;
        if (out.passphrase_file.is_relative()) out.passphrase_file = base / out.passphrase_file;
    }
    if (out.enabled() && out.passphrase_file.empty()) {
        return Bad(name, b, "backup.passphrase_file",
                   "required when backup.interval is set (a file with mode 0600 holding the "
                   "archive passphrase)");
    }
    return Ok();
}

}  // namespace

Result<std::chrono::seconds> ParseInterval(const std::string& text) {
    const std::string expected =
        "expected a duration such as \"24h\", \"30m\", \"90s\" or \"7d\", or \"off\"";
    if (text == "off") return std::chrono::seconds(0);
    if (text.size() < 2 || text.size() > 12) return InvalidArgument(expected);
    int64_t unit = 0;
    switch (text.back()) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            return InvalidArgument(expected);
    }
    int64_t value = 0;
    for (size_t i = 0; i + 1 < text.size(); ++i) {
        if (text[i] < '0' || text[i] > '9') return InvalidArgument(expected);
        value = value * 10 + (text[i] - '0');
    }
    const std::chrono::seconds interval(value * unit);
    if (interval < kMinBackupInterval || interval > kMaxBackupInterval) {
        return InvalidArgument("must be between 1m and 366d (or \"off\")");
    }
    return interval;
}

Result<ServeConfig> ParseServeConfig(const std::string& text, const fs::path& base,
                                     const std::string& name, UnknownKeys unknown) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        return InvalidArgument(name + ":" + std::to_string(e.mark.line + 1) + ":" +
                               std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    ServeConfig config;
    config.tls_cert = "tls/cert.pem";
    config.tls_key = "tls/key.pem";
    config.state_db = "state.db";
    config.seal_key = "keys/seal.key";
    config.audit_signing_key = "keys/audit-signing.pem";
    config.audit_public_key = "keys/audit-signing.pub.pem";
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) return InvalidArgument(Where(name, root) + ": expected a mapping");

    try {
        const YAML::Node server = root["server"];
        const YAML::Node tls = root["tls"];
        const YAML::Node data = root["data"];
        const YAML::Node backup = root["backup"];
        const YAML::Node auth = root["auth"];
        const YAML::Node ingest = root["ingest"];
        struct IntKey {
            const char* key;
            long min, max;
            int* out;
        };
        ServeConfig::Auth& a = config.auth;
        const IntKey auth_keys[] = {
            {"password_min_length", 8, 128, &a.password_min_length},
            {"password_min_classes", 3, 4, &a.password_min_classes},
            {"password_history", 0, 24, &a.password_history},
            {"password_max_age_days", 0, 3650, &a.password_max_age_days},
            {"lockout_account_failures", 1, 100, &a.lockout_account_failures},
            {"lockout_ip_failures", 1, 10000, &a.lockout_ip_failures},
            {"session_idle_minutes", 1, 1440, &a.session_idle_minutes},
            {"session_absolute_hours", 1, 168, &a.session_absolute_hours},
        };
        std::vector<std::string_view> auth_names;
        for (const IntKey& k : auth_keys) auth_names.push_back(k.key);
        // Every mapping read below and its keys; ReadIngest checks each of ingest.sources.
        for (auto [node, section, known] : {
                 std::tuple{root, "",
                            std::vector<std::string_view>{"server", "tls", "data", "retention_days",
                                                          "auth", "ingest", "backup"}},
                 std::tuple{server, "server",
                            std::vector<std::string_view>{"bind", "port", "rate_limit_per_second",
                                                          "rate_limit_burst"}},
                 std::tuple{tls, "tls",
                            std::vector<std::string_view>{"min_version", "cert", "key"}},
                 std::tuple{data, "data",
                            std::vector<std::string_view>{"state_db", "seal_key",
                                                          "audit_signing_key", "audit_public_key"}},
                 std::tuple{auth, "auth", auth_names},
                 std::tuple{
                     backup, "backup",
                     std::vector<std::string_view>{"interval", "dir", "keep", "passphrase_file"}},
                 std::tuple{ingest, "ingest",
                            std::vector<std::string_view>{"rules", "workers", "spool_max_mb",
                                                          "memory_messages", "retention_days",
                                                          "detection_retention_days", "timezone",
                                                          "sources"}},
             }) {
            if (auto st = CheckSection(name, node, section, known, unknown); !st) {
                return tl::unexpected(st.error());
            }
        }
        const YAML::Node empty(YAML::NodeType::Map);
        const YAML::Node& s = server ? server : empty;
        const YAML::Node& t = tls ? tls : empty;
        const YAML::Node& d = data ? data : empty;
        Status st = ReadString(name, s, "server", "bind", config.bind);
        long port = config.port;
        if (st) st = ReadInt(name, s, "server", "port", 0, 65535, port);
        config.port = static_cast<uint16_t>(port);
        long rate = static_cast<long>(config.rate_limit_per_second);
        long burst = static_cast<long>(config.rate_limit_burst);
        if (st) st = ReadInt(name, s, "server", "rate_limit_per_second", 0, 100000000, rate);
        if (st) st = ReadInt(name, s, "server", "rate_limit_burst", 1, 100000000, burst);
        config.rate_limit_per_second = static_cast<double>(rate);
        config.rate_limit_burst = static_cast<double>(burst);
        if (auth) {
            for (const IntKey& k : auth_keys) {
                long v = *k.out;
                if (st) st = ReadInt(name, auth, "auth", k.key, k.min, k.max, v);
                *k.out = static_cast<int>(v);
            }
        }
        if (st) st = ReadString(name, t, "tls", "min_version", config.tls_min_version);
        if (st && config.tls_min_version != "1.3" && config.tls_min_version != "1.2") {
            st = Bad(name, t["min_version"], "tls.min_version", "expected \"1.3\" or \"1.2\"");
        }
        if (st) st = ReadPath(name, base, t, "tls", "cert", config.tls_cert);
        if (st) st = ReadPath(name, base, t, "tls", "key", config.tls_key);
        if (st) st = ReadPath(name, base, d, "data", "state_db", config.state_db);
        if (st) st = ReadPath(name, base, d, "data", "seal_key", config.seal_key);
        if (st) {
            st = ReadPath(name, base, d, "data", "audit_signing_key", config.audit_signing_key);
        }
        if (st) st = ReadPath(name, base, d, "data", "audit_public_key", config.audit_public_key);
        long retention = config.retention_days;
        if (st) st = ReadInt(name, root, "", "retention_days", 1, 36500, retention);
        config.retention_days = static_cast<int>(retention);
        // "Audit and event logs are kept at least this long": the events too, unless
        // ingest.retention_days says otherwise.
        config.ingest.retention_days = config.retention_days;
        config.backup.dir = base / "backups";
        if (st && backup) st = ReadBackup(name, base, backup, config.backup);
        if (st && ingest) st = ReadIngest(name, unknown, ingest, config.ingest);
        if (!st) return tl::unexpected(st.error());
    } catch (const YAML::Exception& e) {
        return InvalidArgument(name + ": " + e.msg);
    }
    return config;
}

Result<ServeConfig> LoadServeConfig(const fs::path& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) return NotFound("cannot read " + path.string() + ": " + ec.message());
    if (size > kMaxConfigBytes) {
        return InvalidArgument(path.string() + ": larger than " + std::to_string(kMaxConfigBytes) +
                               " bytes");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound("cannot open " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return ParseServeConfig(text.str(), fs::absolute(path).parent_path(), path.string());
}

}  // namespace vigil::app
