#include "base/audit_record.h"

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

std::string_view FindAuditRecord(std::string_view line) {
    if (IsRecord(line)) return line;
    // After a syslog header: the first ": ", or the one after "kernel: audit: ".
    size_t colon = line.find(": ");
    for (int i = 0; i < 2 && colon != std::string_view::npos; ++i) {
        std::string_view rest = line.substr(colon + 2);
        if (IsRecord(rest)) return rest;
        if (!rest.starts_with("audit: ")) break;
        colon = colon + 2 + 5;  // the ": " after "audit"
    }
    return {};
}

}  // namespace vigil
