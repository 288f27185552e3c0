#include "config/diagnostic.h"

#include "base/strings.h"

namespace vigil::config {

std::string Diagnostic::ToString() const {
    std::string s = file.empty() ? std::string("<input>") : file;
    if (line > 0) {
        s += ':' + std::to_string(line);
        if (column > 0) s += ':' + std::to_string(column);
    }
    s += severity == Severity::kError ? ": error[" : ": warning[";
    s += code;
    s += "]: ";
    s += message;
    return s;
}

std::string Diagnostic::ToJson() const {
    std::string s = "{\"severity\":";
    s += severity == Severity::kError ? "\"error\"" : "\"warning\"";
    s += ",\"code\":";
    AppendJsonString(s, code);
    s += ",\"file\":";
    AppendJsonString(s, file);
    s += ",\"line\":" + std::to_string(line) + ",\"column\":" + std::to_string(column);
    s += ",\"message\":";
    AppendJsonString(s, message);
    if (!rule_id.empty()) {
        s += ",\"rule_id\":";
        AppendJsonString(s, rule_id);
    }
    s += '}';
    return s;
}

void Diagnostics::Error(std::string code, std::string file, int line, int column,
                        std::string message, std::string rule_id) {
    items_.push_back({Severity::kError, std::move(code), std::move(file), line, column,
                      std::move(message), std::move(rule_id)});
}

void Diagnostics::Warning(std::string code, std::string file, int line, int column,
                          std::string message, std::string rule_id) {
    items_.push_back({Severity::kWarning, std::move(code), std::move(file), line, column,
                      std::move(message), std::move(rule_id)});
}

size_t Diagnostics::errors() const {
    size_t n = 0;
    for (const auto& d : items_) n += d.severity == Severity::kError;
    return n;
}

size_t Diagnostics::warnings() const { return items_.size() - errors(); }

void Diagnostics::Append(const Diagnostics& other) {
    items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

}  // namespace vigil::config
