#pragma once
// Sigma correlation rules (specification 2.1): event_count, value_count, temporal,
// temporal_ordered, value_sum, value_avg, value_percentile; group-by, aliases, generate,
// sliding windows and chained correlations.
//
// The engine is fed matches of the rules correlations refer to, in event-time order
// (`vigil hunt` sorts; the live pipeline is in order), and emits correlation hits.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/diagnostic.h"
#include "detect/rule.h"
#include "event/event.h"

namespace YAML {
class Node;
}

namespace vigil::detect {

enum class CorrelationType {
    kEventCount,
    kValueCount,
    kTemporal,
    kTemporalOrdered,
    kValueSum,
    kValueAvg,
    kValuePercentile,
};

std::optional<CorrelationType> ParseCorrelationType(std::string_view s);
std::string_view CorrelationTypeName(CorrelationType t);

// A map of comparison criteria, all of which must hold ("gte: 101, lte: 200").
struct CountCondition {
    std::optional<double> gt, gte, lt, lte, eq, neq;
    bool Holds(double v) const;
    std::string ToString() const;
};

struct CorrelationRule {
    RuleMeta meta;
    CorrelationType type = CorrelationType::kEventCount;
    std::vector<std::string> rules;                   // referenced rule ids or names
    std::vector<std::pair<int, int>> rule_positions;  // (line, column) of each `rules` entry
    std::vector<std::string> group_by;                // field names or alias names
    // alias name -> (referenced rule id/name -> field name in that rule's events)
    std::map<std::string, std::map<std::string, std::string>> aliases;
    int64_t timespan_ns = 0;
    CountCondition condition;
    std::string field;      // value_count / value_sum / value_avg / value_percentile
    bool generate = false;  // also emit the referenced rules' own detections
};

// Parses one YAML document that has a `correlation` key. Returns nullopt (with
// diagnostics) when the document is invalid.
std::optional<CorrelationRule> ParseCorrelationRule(const YAML::Node& doc, const std::string& file,
                                                    config::Diagnostics& diags);

struct CorrelationHit {
    const CorrelationRule* rule = nullptr;
    int64_t first_ns = 0;  // first event of the window that fired
    int64_t last_ns = 0;   // event that completed the condition
    double value = 0;      // the count / sum / average / percentile that met the condition
    std::vector<std::pair<std::string, std::string>> group;  // group-by field -> value
    std::vector<uint64_t> event_sequences;  // Event::sequence of contributing events (capped)
};

class CorrelationEngine {
public:
    CorrelationEngine();
    ~CorrelationEngine();
    CorrelationEngine(CorrelationEngine&&) noexcept;
    CorrelationEngine& operator=(CorrelationEngine&&) noexcept;

    // known_rules: (id, name) of every loaded detection rule, so references can be checked.
    // Unknown references, cycles and bad aliases are reported; such correlations are dropped.
    void Build(std::vector<CorrelationRule> rules,
               const std::vector<std::pair<std::string, std::string>>& known_rules,
               config::Diagnostics& diags);

    size_t size() const;
    const std::vector<CorrelationRule>& rules() const;

    // True when some correlation refers to this detection rule (by id or name).
    bool Wants(std::string_view id, std::string_view name) const;
    // True when the rule's own detections are hidden: every correlation that refers to
    // it has generate: false.
    bool Suppresses(std::string_view id, std::string_view name) const;

    // Feeds one match of a detection rule. Chained correlations are evaluated
    // recursively; every hit (of any depth) is appended to out. Windows run on the events'
    // times; arrival_ns is when the match was fed, on the clock Expire is given (0: the event's
    // time, for input read in time order).
    void OnMatch(std::string_view id, std::string_view name, const event::Event& ev,
                 std::vector<CorrelationHit>& out, int64_t arrival_ns = 0);

    // Event fields the correlations read: group-by fields after alias resolution and value
    // fields. A caller that keeps events for later only needs these (plus time, sequence).
    std::vector<std::string> FieldsRead() const;

    // Drops the groups no match has arrived in since now - timespan (bounded memory), now on
    // OnMatch's arrival clock. By arrival, not by event time: a sender whose clock runs fast
    // (or slow) cannot push other groups out of their windows.
    void Expire(int64_t now_ns);

    size_t group_count() const;       // live (correlation, group) windows
    uint64_t groups_evicted() const;  // groups dropped because a correlation hit its group cap
    // Slots of the correlations' group indexes (16 bytes each): at most 8 per live group
    // beyond a small minimum, since a table an eighth full halves.
    size_t group_index_slots() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::detect
