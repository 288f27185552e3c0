#include "base/audit_record.h"

#include "base/strings.h"

namespace vigil {

namespace {

// True when s starts a record: "[node=NAME ]type=TYPE " and "audit(" soon after.
bool IsRecord(std::string_view s) {
    if (s.starts_with("node=")) {
        const size_t sp = s.find(' ');
        if (sp == std::string_view::npos) return false;
        s.remove_prefix(sp + 1);
    }
    if (!s.starts_with("type=")) return false;
    const size_t open = s.find("audit(");
    return open != std::string_view::npos && open <= 64;
}

}  // namespace

std::string_view SkipKernelUptime(std::string_view s) {
    if (s.empty() || s.front() != '[') return s;
    const size_t close = s.find("] ");
    if (close == std::string_view::npos || close >= 20 ||
        s.substr(1, close - 1).find_first_not_of(" 0123456789.") != std::string_view::npos) {
        return s;
    }
    return s.substr(close + 2);
}

std::string_view FindAuditRecord(std::string_view line) {
    if (IsRecord(line)) return line;
    // After a syslog header: the first ": ", or the one after "kernel: [uptime] audit: ".
    const size_t colon = line.find(": ");
    if (colon == std::string_view::npos) return {};
    std::string_view rest = line.substr(colon + 2);
    if (IsRecord(rest)) return rest;
    rest = SkipKernelUptime(rest);
    return ConsumePrefix(rest, "audit: ") && IsRecord(rest) ? rest : std::string_view();
}

}  // namespace vigil
