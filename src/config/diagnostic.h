#pragma once
// Diagnostics for rules, policies and config: a code, file, line, column and a plain
// reason, with a JSON form for the API. A load with bad entries keeps the good ones.

#include <cstddef>
#include <string>
#include <vector>

namespace vigil::config {

enum class Severity { kError, kWarning };

struct Diagnostic {
    Severity severity = Severity::kError;
    std::string code;  // stable, e.g. "unresolved-placeholder"
    std::string file;
    int line = 0;  // 1-based; 0 when unknown
    int column = 0;
    std::string message;
    std::string rule_id;  // the rule the diagnostic is about, when known

    // "rules/x.yml:14:3: error[unknown-modifier]: unknown modifier 'contians'"
    std::string ToString() const;
    std::string ToJson() const;
};

class Diagnostics {
public:
    void Add(Diagnostic d) { items_.push_back(std::move(d)); }
    void Error(std::string code, std::string file, int line, int column, std::string message,
               std::string rule_id = {});
    void Warning(std::string code, std::string file, int line, int column, std::string message,
                 std::string rule_id = {});
    const std::vector<Diagnostic>& items() const { return items_; }
    size_t errors() const;
    size_t warnings() const;
    void Append(const Diagnostics& other);

private:
    std::vector<Diagnostic> items_;
};

}  // namespace vigil::config
