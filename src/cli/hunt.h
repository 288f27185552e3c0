#pragma once
// `vigil hunt`: run Sigma rules over files of events. `vigil rules check`: load rules and
// print every diagnostic.

#include <string>
#include <vector>

namespace vigil::cli {

struct HuntOptions {
    std::vector<std::string> rules;
    std::vector<std::string> pipelines;
    std::vector<std::string> inputs;
    std::string placeholders;
    std::string format = "table";  // table | jsonl | csv
    std::string logsource;         // "product=linux,service=auth" for inputs without one
    std::string decoder = "text";  // parse::FormatByName: how text lines (and JSON) are decoded
    std::string timezone = "UTC";  // times without a zone: UTC, local or +08:00
    int threads = 0;               // 0 = all cores
    bool stats = false;
    bool match_unrouted = false;
    bool no_builtin_pipelines = false;
};

int RunHunt(const HuntOptions& options);

struct RulesCheckOptions {
    std::vector<std::string> rules;
    std::string placeholders;
    bool json = false;
};

int RunRulesCheck(const RulesCheckOptions& options);

}  // namespace vigil::cli
