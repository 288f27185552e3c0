#include "app/config.h"

#include <fstream>
#include <sstream>
#include <string>

#include <yaml-cpp/yaml.h>

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

Status CheckSection(const std::string& name, const YAML::Node& node, const char* section) {
    if (node && !node.IsMap()) return Bad(name, node, section, "expected a mapping");
    return Ok();
}

}  // namespace

Result<ServeConfig> ParseServeConfig(const std::string& text, const fs::path& base,
                                     const std::string& name) {
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
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) return InvalidArgument(Where(name, root) + ": expected a mapping");

    try {
        const YAML::Node server = root["server"];
        const YAML::Node tls = root["tls"];
        const YAML::Node data = root["data"];
        for (auto [node, section] :
             {std::pair{server, "server"}, std::pair{tls, "tls"}, std::pair{data, "data"}}) {
            if (auto st = CheckSection(name, node, section); !st) {
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
        long retention = config.retention_days;
        if (st) st = ReadInt(name, root, "", "retention_days", 1, 36500, retention);
        config.retention_days = static_cast<int>(retention);
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
