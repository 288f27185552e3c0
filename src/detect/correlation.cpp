#include "detect/correlation.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <list>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "base/flat_name_map.h"
#include "base/strings.h"

namespace vigil::detect {
namespace {

// Limits on correlation state; per stream, so memory stays bounded whatever the input.
constexpr size_t kMaxGroupsPerCorrelation = 100000;
constexpr size_t kMaxWindowEntries = size_t{1} << 20;  // per group; the oldest are dropped
constexpr size_t kMaxHitSequences = 64;
constexpr int kMaxChainDepth = 16;  // correlation over correlation over ...
constexpr int64_t kUnset = std::numeric_limits<int64_t>::min();

int64_t SaturatingSub(int64_t a, int64_t b) {
    if (b > 0 && a < std::numeric_limits<int64_t>::min() + b) {
        return std::numeric_limits<int64_t>::min();
    }
    return a - b;
}

std::string FormatNumber(double v) {
    char buf[64];
    if (std::floor(v) == v && std::fabs(v) < 1e15) {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    } else {
        std::snprintf(buf, sizeof buf, "%g", v);
    }
    return buf;
}

// "<digits><s|m|h|d>", lowercase, as the specification prescribes ("90m" for 1h30).
// Weeks, months and years are not in the specification and are rejected.
std::optional<int64_t> ParseTimespan(std::string_view s) {
    if (s.size() < 2 || s.size() > 10) return std::nullopt;
    int64_t unit = 0;
    switch (s.back()) {
        case 's':
            unit = 1'000'000'000LL;
            break;
        case 'm':
            unit = 60LL * 1'000'000'000LL;
            break;
        case 'h':
            unit = 3600LL * 1'000'000'000LL;
            break;
        case 'd':
            unit = 86400LL * 1'000'000'000LL;
            break;
        default:
            return std::nullopt;
    }
    int64_t n = 0;
    for (char c : s.substr(0, s.size() - 1)) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');  // at most 9 digits: cannot overflow
    }
    if (n <= 0 || n > std::numeric_limits<int64_t>::max() / unit) return std::nullopt;
    return n * unit;
}

// --- parsing -----------------------------------------------------------------------------

class Parser {
public:
    Parser(const std::string& file, config::Diagnostics& diags) : file_(file), diags_(diags) {}

    void Error(const char* code, const YAML::Node& at, std::string message) {
        auto [line, column] = PositionOf(at);
        diags_.Error(code, file_, line, column, std::move(message), rule_id_);
        ok_ = false;
    }
    void Warning(const char* code, const YAML::Node& at, std::string message) {
        auto [line, column] = PositionOf(at);
        diags_.Warning(code, file_, line, column, std::move(message), rule_id_);
    }

    static std::pair<int, int> PositionOf(const YAML::Node& n) {
        if (!n.IsDefined()) return {0, 0};
        YAML::Mark m = n.Mark();
        return {m.line + 1, m.column + 1};  // null marks are -1: reported as 0 (unknown)
    }

    static bool Present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

    // Optional scalar string attribute of a map.
    void ReadString(const YAML::Node& map, const char* key, std::string& out) {
        const YAML::Node n = map[key];
        if (!Present(n)) return;
        if (!n.IsScalar()) {
            Error(("correlation-bad-" + std::string(key)).c_str(), n,
                  "'" + std::string(key) + "' must be a string");
            return;
        }
        out = n.Scalar();
    }

    // A list of non-empty strings; a single string is accepted as a one-element list.
    bool ReadStringList(const YAML::Node& n, const char* code, const char* what,
                        std::vector<std::string>& out,
                        std::vector<std::pair<int, int>>* positions = nullptr) {
        auto add = [&](const YAML::Node& item) {
            if (!item.IsScalar() || item.Scalar().empty()) {
                Error(code, item,
                      std::string("entries of '") + what + "' must be non-empty strings");
                return false;
            }
            if (std::find(out.begin(), out.end(), item.Scalar()) != out.end()) {
                Error(code, item,
                      std::string("'") + what + "' lists '" + item.Scalar() + "' twice");
                return false;
            }
            out.push_back(item.Scalar());
            if (positions) positions->push_back(PositionOf(item));
            return true;
        };
        if (n.IsScalar()) return add(n);
        if (!n.IsSequence()) {
            Error(code, n, std::string("'") + what + "' must be a list of strings");
            return false;
        }
        bool ok = true;
        for (const auto& item : n) ok = add(item) && ok;
        return ok;
    }

    bool ok() const { return ok_; }
    void set_rule_id(std::string id) { rule_id_ = std::move(id); }

private:
    const std::string& file_;
    config::Diagnostics& diags_;
    std::string rule_id_;
    bool ok_ = true;
};

bool NeedsField(CorrelationType t) {
    return t == CorrelationType::kValueCount || t == CorrelationType::kValueSum ||
           t == CorrelationType::kValueAvg || t == CorrelationType::kValuePercentile;
}

bool IsTemporal(CorrelationType t) {
    return t == CorrelationType::kTemporal || t == CorrelationType::kTemporalOrdered;
}

void ParseCondition(const YAML::Node& cond, CorrelationRule& r, Parser& p) {
    if (!cond.IsMap()) {
        p.Error("correlation-bad-condition", cond,
                "'condition' must be a map such as {gte: 10} (with 'field' for value_* types)");
        return;
    }
    bool any_operator = false;
    for (const auto& kv : cond) {
        const YAML::Node& key = kv.first;
        const YAML::Node& value = kv.second;
        std::string k = key.IsScalar() ? key.Scalar() : std::string();
        if (k == "field") {
            if (value.IsSequence() && value.size() == 1 && value[0].IsScalar()) {
                r.field = value[0].Scalar();
            } else if (value.IsSequence()) {
                // The schema allows a list ("linked by AND"); distinct tuples of several
                // fields are not supported yet, and silently using one would miscount.
                p.Error("correlation-bad-field", value,
                        "a list of several fields in 'condition.field' is not supported");
                continue;
            } else if (value.IsScalar()) {
                r.field = value.Scalar();
            }
            if (r.field.empty()) {
                p.Error("correlation-bad-field", value, "'condition.field' must be a field name");
            }
            continue;
        }
        std::optional<double>* slot = nullptr;
        if (k == "gt") slot = &r.condition.gt;
        if (k == "gte") slot = &r.condition.gte;
        if (k == "lt") slot = &r.condition.lt;
        if (k == "lte") slot = &r.condition.lte;
        if (k == "eq") slot = &r.condition.eq;
        if (k == "neq") slot = &r.condition.neq;
        if (!slot) {
            p.Error("correlation-bad-condition", key,
                    "unknown condition operator '" + k +
                        "' (expected gt, gte, lt, lte, eq, neq or field)");
            continue;
        }
        std::optional<double> v =
            value.IsScalar() ? ParseDouble(value.Scalar()) : std::optional<double>();
        if (!v || !std::isfinite(*v)) {
            p.Error("correlation-bad-condition", value,
                    "condition '" + k + "' needs a number, got '" +
                        (value.IsScalar() ? value.Scalar() : std::string("<non-scalar>")) + "'");
            continue;
        }
        *slot = *v;
        any_operator = true;
    }
    if (!any_operator && p.ok()) {
        p.Error("correlation-bad-condition", cond,
                "'condition' needs at least one of gt, gte, lt, lte, eq, neq");
    }
}

std::optional<CorrelationRule> ParseImpl(const YAML::Node& doc, const std::string& file,
                                         config::Diagnostics& diags) {
    Parser p(file, diags);
    if (!doc.IsMap()) {
        p.Error("correlation-not-a-map", doc, "a correlation rule must be a YAML map");
        return std::nullopt;
    }
    CorrelationRule r;
    r.meta.file = file;
    r.meta.line = doc.Mark().line + 1;

    // Identity first, so later diagnostics carry the rule id.
    p.ReadString(doc, "id", r.meta.id);
    p.ReadString(doc, "name", r.meta.name);
    p.ReadString(doc, "title", r.meta.title);
    p.set_rule_id(!r.meta.id.empty() ? r.meta.id : r.meta.name);
    if (!Parser::Present(doc["title"])) {
        p.Error("correlation-missing-title", doc, "rule has no 'title'");
    }
    p.ReadString(doc, "description", r.meta.description);
    p.ReadString(doc, "status", r.meta.status);
    p.ReadString(doc, "author", r.meta.author);
    static const char* const kStatuses[] = {"stable", "test", "experimental", "deprecated",
                                            "unsupported"};
    if (!r.meta.status.empty() && std::find(std::begin(kStatuses), std::end(kStatuses),
                                            r.meta.status) == std::end(kStatuses)) {
        p.Warning("correlation-bad-status", doc["status"],
                  "unknown status '" + r.meta.status + "'");
    }
    if (const YAML::Node level = doc["level"]; Parser::Present(level)) {
        std::optional<Level> l = level.IsScalar() ? ParseLevel(level.Scalar()) : std::nullopt;
        if (l) {
            r.meta.level = *l;
        } else {
            p.Error("correlation-bad-level", level,
                    "level must be one of informational, low, medium, high, critical");
        }
    }
    if (const YAML::Node tags = doc["tags"]; Parser::Present(tags)) {
        p.ReadStringList(tags, "correlation-bad-tags", "tags", r.meta.tags);
    }

    const YAML::Node c = doc["correlation"];
    if (!Parser::Present(c)) {
        p.Error("correlation-missing-section", doc, "rule has no 'correlation' section");
        return std::nullopt;
    }
    if (!c.IsMap()) {
        p.Error("correlation-bad-section", c, "'correlation' must be a map");
        return std::nullopt;
    }

    static const char* const kKeys[] = {"type",     "rules",     "aliases", "group-by",
                                        "timespan", "condition", "generate"};
    for (const auto& kv : c) {
        std::string k = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
        if (std::find(std::begin(kKeys), std::end(kKeys), k) == std::end(kKeys)) {
            p.Warning("correlation-unknown-key", kv.first,
                      "unknown key '" + k + "' in 'correlation' is ignored");
        }
    }
    // `generate` is a top-level attribute in the specification, but pySigma and existing
    // rules put it under `correlation`; both are read.
    for (const YAML::Node& g : {doc["generate"], c["generate"]}) {
        if (!Parser::Present(g)) continue;
        bool v = false;
        if (!g.IsScalar() || !YAML::convert<bool>::decode(g, v)) {
            p.Error("correlation-bad-generate", g, "'generate' must be true or false");
        }
        r.generate = r.generate || v;
    }

    bool type_ok = false;
    if (const YAML::Node t = c["type"]; !Parser::Present(t)) {
        p.Error("correlation-missing-type", c, "correlation has no 'type'");
    } else if (!t.IsScalar()) {
        p.Error("correlation-unknown-type", t, "'type' must be a string");
    } else if (auto parsed = ParseCorrelationType(t.Scalar())) {
        r.type = *parsed;
        type_ok = true;
    } else {
        p.Error("correlation-unknown-type", t,
                "unknown correlation type '" + t.Scalar() +
                    "' (expected event_count, value_count, temporal, temporal_ordered, "
                    "value_sum, value_avg or value_percentile)");
    }

    if (const YAML::Node rules = c["rules"]; !Parser::Present(rules)) {
        p.Error("correlation-missing-rules", c, "correlation has no 'rules'");
    } else if (p.ReadStringList(rules, "correlation-bad-rules", "rules", r.rules,
                                &r.rule_positions) &&
               r.rules.empty()) {
        p.Error("correlation-missing-rules", rules, "'rules' is empty");
    }

    if (const YAML::Node g = c["group-by"]; Parser::Present(g)) {
        p.ReadStringList(g, "correlation-bad-group-by", "group-by", r.group_by);
    } else {
        // Mandatory in the specification; without it the whole stream is one group, which
        // is what pySigma backends do, so the rule still loads.
        p.Warning("correlation-missing-group-by", c,
                  "correlation has no 'group-by': all events form one group");
    }

    if (const YAML::Node ts = c["timespan"]; !Parser::Present(ts)) {
        p.Error("correlation-missing-timespan", c, "correlation has no 'timespan'");
    } else if (auto ns = ts.IsScalar() ? ParseTimespan(ts.Scalar()) : std::nullopt) {
        r.timespan_ns = *ns;
    } else {
        p.Error("correlation-bad-timespan", ts,
                "timespan '" + (ts.IsScalar() ? ts.Scalar() : std::string()) +
                    "' must be a positive number followed by s, m, h or d (e.g. 90m)");
    }

    if (const YAML::Node a = c["aliases"]; Parser::Present(a)) {
        if (!a.IsMap()) {
            p.Error("correlation-bad-aliases", a, "'aliases' must be a map");
        } else {
            for (const auto& alias : a) {
                std::string name = alias.first.IsScalar() ? alias.first.Scalar() : "";
                if (name.empty() || !alias.second.IsMap()) {
                    p.Error("correlation-bad-aliases", alias.first,
                            "each alias maps rule names to field names");
                    continue;
                }
                auto& m = r.aliases[name];
                for (const auto& kv : alias.second) {
                    if (!kv.first.IsScalar() || !kv.second.IsScalar() ||
                        kv.second.Scalar().empty()) {
                        p.Error("correlation-bad-aliases", kv.first,
                                "alias '" + name + "' must map rule names to field names");
                        continue;
                    }
                    m[kv.first.Scalar()] = kv.second.Scalar();
                }
            }
        }
    }

    const YAML::Node cond = c["condition"];
    if (Parser::Present(cond)) ParseCondition(cond, r, p);
    if (type_ok) {
        if (!Parser::Present(cond)) {
            if (IsTemporal(r.type)) {
                // Default: every referenced rule must be seen in the window.
                r.condition.gte = static_cast<double>(r.rules.size());
            } else {
                p.Error(
                    "correlation-missing-condition", c,
                    std::string(CorrelationTypeName(r.type)) + " correlation has no 'condition'");
            }
        }
        if (NeedsField(r.type) && r.field.empty() && cond.IsMap() && !cond["field"].IsDefined()) {
            std::string hint = Parser::Present(c["field"]) ? " ('field' belongs inside it)" : "";
            p.Error("correlation-missing-field", cond,
                    std::string(CorrelationTypeName(r.type)) +
                        " correlation needs 'field' in 'condition'" + hint);
        }
        if (!NeedsField(r.type) && !r.field.empty()) {
            p.Warning("correlation-unused-field", cond["field"],
                      "'field' is ignored by " + std::string(CorrelationTypeName(r.type)) +
                          " correlations");
            r.field.clear();
        }
    }
    if (!p.ok()) return std::nullopt;
    return r;
}

// --- runtime state -----------------------------------------------------------------------

struct Entry {
    int64_t time = 0;
    uint64_t seq = 0;
    double num = 0;
    bool is_num = false;
    std::string value;  // value_count / value_percentile only
};

struct Group {
    std::string key;
    std::vector<std::pair<std::string, std::string>> pairs;
    int64_t arrived_ns = kUnset;  // the last match's arrival (OnMatch), for Expire
    bool kept = false;            // in CorrState::kept (matched again since it was made)

    // event_count and value_* types: the events of the window, oldest first, plus running
    // aggregates kept in step with it.
    std::deque<Entry> entries;
    long double sum = 0;
    std::unordered_map<std::string, uint32_t> value_counts;

    // temporal: last time (and sequence) each referenced rule was seen.
    // temporal_ordered: start[k] is the latest start time of an occurrence of the first
    // k+1 referenced rules in order (an ordered subsequence); seqs[k] its events.
    std::vector<int64_t> times;
    std::vector<std::vector<uint64_t>> seqs;
};

// The groups of one correlation by key: open addressing with linear probing over (hash, group)
// slots in one array. A key's hash is seeded per process (keys are values senders choose:
// addresses, user names). Erasing shifts the entries after a slot back instead of leaving a
// tombstone: under a spray of new keys (a scan from many addresses) groups are created and
// evicted for nearly every event, which a node-based map paid for with an allocation and a
// cache miss per lookup.
class GroupIndex {
public:
    using It = std::list<Group>::iterator;

    static uint64_t Hash(std::string_view key) {
        const uint64_t h = FlatNameHash(key);
        return h == 0 ? 1 : h;  // 0 marks an empty slot
    }
    std::optional<It> Find(std::string_view key, uint64_t h) const {
        if (slots_.empty()) return std::nullopt;
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.hash == 0) return std::nullopt;
            if (s.hash == h && s.it->key == key) return s.it;
        }
    }
    // `it`'s key is not in the index.
    void Insert(uint64_t h, It it) {
        if ((size_ + 1) * 2 > slots_.size()) Resize(slots_.empty() ? kMinSlots : slots_.size() * 2);
        size_t i = h & mask_;
        while (slots_[i].hash != 0) i = (i + 1) & mask_;
        slots_[i] = {h, it};
        ++size_;
    }
    // `it` is in the index.
    void Erase(It it) {
        size_t i = Hash(it->key) & mask_;
        while (slots_[i].hash == 0 || slots_[i].it != it) i = (i + 1) & mask_;
        // Backward shift: each entry after the hole that may move into it (its home is not
        // between the hole and itself) does, until an empty slot ends the run.
        for (size_t j = (i + 1) & mask_; slots_[j].hash != 0; j = (j + 1) & mask_) {
            const size_t home = slots_[j].hash & mask_;
            if (((j - home) & mask_) >= ((j - i) & mask_)) {
                slots_[i] = slots_[j];
                i = j;
            }
        }
        slots_[i] = Slot{};
        --size_;
        // After a spray of keys has expired, the table halves once it is an eighth full (a
        // quarter full after), so the memory follows the live groups both ways.
        if (slots_.size() > kMinSlots && size_ * 8 < slots_.size()) Resize(slots_.size() / 2);
    }
    size_t size() const { return size_; }
    size_t slots() const { return slots_.size(); }

private:
    struct Slot {
        uint64_t hash = 0;
        It it{};
    };
    static constexpr size_t kMinSlots = 16;
    void Resize(size_t n) {
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(n, Slot{});
        mask_ = slots_.size() - 1;
        for (const Slot& s : old) {
            if (s.hash == 0) continue;
            size_t i = s.hash & mask_;
            while (slots_[i].hash != 0) i = (i + 1) & mask_;
            slots_[i] = s;
        }
    }
    std::vector<Slot> slots_;
    size_t mask_ = 0;
    size_t size_ = 0;
};

struct CorrState {
    // [referenced rule position][group-by index] -> field read from that rule's events
    std::vector<std::vector<std::string>> group_fields;
    int32_t self_target = -1;  // target index when another correlation refers to this one
    // The groups, least recently updated first: those matched once in `lru`, those matched
    // again in `kept`. At the group cap the first of `lru` goes, and of `kept` only when `lru`
    // is empty: a spray of one-off values (source addresses) churns `lru` and cannot push out
    // a group an attack is building up.
    std::list<Group> lru;
    std::list<Group> kept;
    GroupIndex groups;
};

struct Subscriber {
    uint32_t corr = 0;
    uint32_t pos = 0;  // position of the target in the correlation's `rules`
};

struct Target {
    std::vector<Subscriber> subs;
};

const std::vector<CorrelationRule>& EmptyRules() {
    static const std::vector<CorrelationRule> empty;
    return empty;
}

std::string RuleRef(const CorrelationRule& r) {
    return !r.meta.id.empty() ? r.meta.id : r.meta.name;
}

}  // namespace

// --- public helpers ----------------------------------------------------------------------

std::optional<CorrelationType> ParseCorrelationType(std::string_view s) {
    if (s == "event_count") return CorrelationType::kEventCount;
    if (s == "value_count") return CorrelationType::kValueCount;
    if (s == "temporal") return CorrelationType::kTemporal;
    if (s == "temporal_ordered") return CorrelationType::kTemporalOrdered;
    if (s == "value_sum") return CorrelationType::kValueSum;
    if (s == "value_avg") return CorrelationType::kValueAvg;
    if (s == "value_percentile") return CorrelationType::kValuePercentile;
    return std::nullopt;
}

std::string_view CorrelationTypeName(CorrelationType t) {
    switch (t) {
        case CorrelationType::kEventCount:
            return "event_count";
        case CorrelationType::kValueCount:
            return "value_count";
        case CorrelationType::kTemporal:
            return "temporal";
        case CorrelationType::kTemporalOrdered:
            return "temporal_ordered";
        case CorrelationType::kValueSum:
            return "value_sum";
        case CorrelationType::kValueAvg:
            return "value_avg";
        case CorrelationType::kValuePercentile:
            return "value_percentile";
    }
    return "event_count";
}

bool CountCondition::Holds(double v) const {
    if (!gt && !gte && !lt && !lte && !eq && !neq) return false;  // never built by the parser
    if (gt && !(v > *gt)) return false;
    if (gte && !(v >= *gte)) return false;
    if (lt && !(v < *lt)) return false;
    if (lte && !(v <= *lte)) return false;
    if (eq && !(v == *eq)) return false;
    if (neq && !(v != *neq)) return false;
    return true;
}

std::string CountCondition::ToString() const {
    std::string s;
    auto add = [&](const std::optional<double>& v, const char* op) {
        if (!v) return;
        if (!s.empty()) s += " and ";
        s += op;
        s += ' ';
        s += FormatNumber(*v);
    };
    add(gt, ">");
    add(gte, ">=");
    add(lt, "<");
    add(lte, "<=");
    add(eq, "==");
    add(neq, "!=");
    return s;
}

std::optional<CorrelationRule> ParseCorrelationRule(const YAML::Node& doc, const std::string& file,
                                                    config::Diagnostics& diags) {
    try {
        return ParseImpl(doc, file, diags);
    } catch (const YAML::Exception& e) {
        diags.Error("correlation-invalid-yaml", file, e.mark.line + 1, e.mark.column + 1, e.msg);
    } catch (const std::exception& e) {
        diags.Error("correlation-invalid-yaml", file, 0, 0, e.what());
    }
    return std::nullopt;
}

// --- engine ------------------------------------------------------------------------------

struct CorrelationEngine::Impl {
    std::vector<CorrelationRule> rules;
    std::vector<CorrState> state;
    std::vector<Target> targets;
    std::map<std::string, uint32_t, std::less<>> target_by_id;
    std::map<std::string, uint32_t, std::less<>> target_by_name;
    uint64_t groups_evicted = 0;
    int64_t arrival_ns = 0;  // of the match being fed (OnMatch)

    int32_t FindTarget(std::string_view id, std::string_view name) const {
        if (!id.empty()) {
            if (auto it = target_by_id.find(id); it != target_by_id.end()) return it->second;
        }
        if (!name.empty()) {
            if (auto it = target_by_name.find(name); it != target_by_name.end()) {
                return it->second;
            }
        }
        return -1;
    }

    void Feed(uint32_t target, const event::Event& ev, int depth, std::vector<CorrelationHit>& out);
    std::optional<CorrelationHit> Evaluate(uint32_t corr, uint32_t pos, const event::Event& ev);
    // The event's group (made when new), as its place in the correlation's LRU list.
    std::list<Group>::iterator GroupFor(uint32_t corr, uint32_t pos, const event::Event& ev);
    std::string group_key;  // GroupFor's scratch
    void EraseGroup(CorrState& s, std::list<Group>::iterator it) {
        s.groups.Erase(it);
        (it->kept ? s.kept : s.lru).erase(it);
    }
};

CorrelationEngine::CorrelationEngine() : impl_(std::make_unique<Impl>()) {}
CorrelationEngine::~CorrelationEngine() = default;
CorrelationEngine::CorrelationEngine(CorrelationEngine&&) noexcept = default;
CorrelationEngine& CorrelationEngine::operator=(CorrelationEngine&&) noexcept = default;

void CorrelationEngine::Build(std::vector<CorrelationRule> rules,
                              const std::vector<std::pair<std::string, std::string>>& known_rules,
                              config::Diagnostics& diags) {
    impl_ = std::make_unique<Impl>();
    const size_t n = rules.size();
    std::vector<bool> alive(n, true);
    auto error = [&](size_t i, const char* code, std::pair<int, int> pos, std::string msg) {
        if (pos.first == 0) pos = {rules[i].meta.line, 0};
        diags.Error(code, rules[i].meta.file, pos.first, pos.second, std::move(msg),
                    RuleRef(rules[i]));
        alive[i] = false;
    };
    auto ref_pos = [&](size_t i, size_t k) {
        const auto& p = rules[i].rule_positions;
        return k < p.size() ? p[k] : std::pair<int, int>{0, 0};
    };

    // Detection rules, by id and by name.
    std::map<std::string, uint32_t, std::less<>> det_by_id, det_by_name;
    for (size_t i = 0; i < known_rules.size(); ++i) {
        if (!known_rules[i].first.empty()) det_by_id.emplace(known_rules[i].first, i);
        if (!known_rules[i].second.empty()) det_by_name.emplace(known_rules[i].second, i);
    }
    auto is_detection_key = [&](const std::string& k) {
        return det_by_id.count(k) > 0 || det_by_name.count(k) > 0;
    };

    // Correlations, by id or name; one key space, since a reference may be either.
    std::map<std::string, uint32_t, std::less<>> corr_by_key;
    for (size_t i = 0; i < n; ++i) {
        for (const std::string* k : {&rules[i].meta.id, &rules[i].meta.name}) {
            if (k->empty()) continue;
            if (is_detection_key(*k)) {
                error(i, "correlation-duplicate-id", {0, 0},
                      "'" + *k + "' is also the id or name of a detection rule");
            } else if (auto it = corr_by_key.find(*k); it != corr_by_key.end() && it->second != i) {
                error(i, "correlation-duplicate-id", {0, 0},
                      "'" + *k + "' is already the id or name of another correlation");
            }
        }
        if (!alive[i]) continue;
        for (const std::string* k : {&rules[i].meta.id, &rules[i].meta.name}) {
            if (!k->empty()) corr_by_key.emplace(*k, i);
        }
    }

    // A referenced target: a detection rule (index into known_rules) or a correlation.
    struct Ref {
        bool is_corr = false;
        uint32_t index = 0;
        bool operator<(const Ref& o) const {
            return std::tie(is_corr, index) < std::tie(o.is_corr, o.index);
        }
        bool operator==(const Ref& o) const { return is_corr == o.is_corr && index == o.index; }
    };
    auto resolve = [&](std::string_view key) -> std::optional<Ref> {
        if (auto it = corr_by_key.find(key); it != corr_by_key.end()) {
            return Ref{true, it->second};
        }
        if (auto it = det_by_id.find(key); it != det_by_id.end()) return Ref{false, it->second};
        if (auto it = det_by_name.find(key); it != det_by_name.end()) {
            return Ref{false, it->second};
        }
        return std::nullopt;
    };

    std::vector<std::vector<Ref>> refs(n);
    std::vector<std::vector<std::vector<std::string>>> group_fields(n);
    for (size_t i = 0; i < n; ++i) {
        if (!alive[i]) continue;
        const CorrelationRule& r = rules[i];
        for (size_t k = 0; k < r.rules.size(); ++k) {
            std::optional<Ref> ref = resolve(r.rules[k]);
            if (!ref) {
                error(i, "correlation-unknown-rule", ref_pos(i, k),
                      "correlation refers to unknown rule '" + r.rules[k] + "'");
            } else if (std::find(refs[i].begin(), refs[i].end(), *ref) != refs[i].end()) {
                error(i, "correlation-duplicate-rule", ref_pos(i, k),
                      "rule '" + r.rules[k] + "' is referenced twice (by id and by name)");
            } else {
                refs[i].push_back(*ref);
            }
        }
        if (!alive[i]) continue;

        // Aliases: alias -> field name per referenced rule (keyed by the rule's name or id).
        std::map<std::string, std::vector<std::string>> alias_fields;
        for (const auto& [alias, per_rule] : r.aliases) {
            std::vector<std::string> fields(refs[i].size());
            for (const auto& [rule_key, field] : per_rule) {
                std::optional<Ref> ref = resolve(rule_key);
                auto it = ref ? std::find(refs[i].begin(), refs[i].end(), *ref) : refs[i].end();
                if (it == refs[i].end()) {
                    error(i, "correlation-bad-alias", {0, 0},
                          "alias '" + alias + "' maps rule '" + rule_key +
                              "', which the correlation does not refer to");
                    continue;
                }
                fields[it - refs[i].begin()] = field;
            }
            alias_fields.emplace(alias, std::move(fields));
        }
        if (!alive[i]) continue;

        group_fields[i].assign(refs[i].size(), {});
        for (const std::string& g : r.group_by) {
            auto a = alias_fields.find(g);
            for (size_t k = 0; k < refs[i].size(); ++k) {
                std::string field = g;
                if (a != alias_fields.end()) {
                    if (!a->second[k].empty()) {
                        field = a->second[k];
                    } else {
                        diags.Warning("correlation-incomplete-alias", r.meta.file, r.meta.line, 0,
                                      "alias '" + g + "' has no field for rule '" + r.rules[k] +
                                          "'; its events are read from field '" + g + "'",
                                      RuleRef(r));
                    }
                }
                group_fields[i][k].push_back(std::move(field));
            }
        }
    }

    // Chains: process correlations after the ones they refer to (Kahn's algorithm). What is
    // left unprocessed is on, or depends on, a reference cycle.
    std::vector<std::vector<uint32_t>> dependents(n);
    std::vector<size_t> pending(n, 0);
    for (size_t i = 0; i < n; ++i) {
        for (const Ref& ref : refs[i]) {
            if (!ref.is_corr) continue;
            dependents[ref.index].push_back(static_cast<uint32_t>(i));
            ++pending[i];
        }
    }
    std::vector<int> depth(n, 1);
    std::vector<bool> done(n, false);
    std::deque<uint32_t> ready;
    for (size_t i = 0; i < n; ++i) {
        if (pending[i] == 0) ready.push_back(static_cast<uint32_t>(i));
    }
    while (!ready.empty()) {
        uint32_t i = ready.front();
        ready.pop_front();
        done[i] = true;
        if (alive[i]) {
            for (const Ref& ref : refs[i]) {
                if (!ref.is_corr) continue;
                if (!alive[ref.index]) {
                    error(
                        i, "correlation-dependency-dropped", {0, 0},
                        "referenced correlation '" + RuleRef(rules[ref.index]) + "' was rejected");
                    break;
                }
                depth[i] = std::max(depth[i], depth[ref.index] + 1);
            }
            if (alive[i] && depth[i] > kMaxChainDepth) {
                error(i, "correlation-chain-too-deep", {0, 0},
                      "correlation chain is deeper than " + std::to_string(kMaxChainDepth));
            }
        }
        for (uint32_t d : dependents[i]) {
            if (--pending[d] == 0) ready.push_back(d);
        }
    }
    for (size_t i = 0; i < n; ++i) {
        if (!done[i] && alive[i]) {
            error(i, "correlation-cycle", {0, 0},
                  "correlation is part of, or depends on, a cycle of correlation references");
        }
    }

    // Keep the survivors, in input order, and index who refers to what.
    Impl& m = *impl_;
    std::vector<int32_t> new_index(n, -1);
    for (size_t i = 0; i < n; ++i) {
        if (!alive[i]) continue;
        new_index[i] = static_cast<int32_t>(m.rules.size());
        m.rules.push_back(std::move(rules[i]));
        CorrState s;
        s.group_fields = std::move(group_fields[i]);
        m.state.push_back(std::move(s));
    }
    std::map<Ref, uint32_t> target_of;
    for (size_t i = 0; i < n; ++i) {
        if (!alive[i]) continue;
        for (size_t k = 0; k < refs[i].size(); ++k) {
            Ref ref = refs[i][k];
            if (ref.is_corr) ref.index = static_cast<uint32_t>(new_index[ref.index]);
            auto [it, inserted] = target_of.emplace(ref, static_cast<uint32_t>(m.targets.size()));
            if (inserted) {
                m.targets.emplace_back();
                std::string_view id, name;
                if (ref.is_corr) {
                    id = m.rules[ref.index].meta.id;
                    name = m.rules[ref.index].meta.name;
                    m.state[ref.index].self_target = static_cast<int32_t>(it->second);
                } else {
                    id = known_rules[ref.index].first;
                    name = known_rules[ref.index].second;
                }
                if (!id.empty()) m.target_by_id.emplace(id, it->second);
                if (!name.empty()) m.target_by_name.emplace(name, it->second);
            }
            m.targets[it->second].subs.push_back(
                {static_cast<uint32_t>(new_index[i]), static_cast<uint32_t>(k)});
        }
    }
}

std::vector<std::string> CorrelationEngine::FieldsRead() const {
    std::vector<std::string> out;
    for (const auto& r : impl_->rules) {
        for (const auto& g : r.group_by) {
            auto alias = r.aliases.find(g);
            if (alias == r.aliases.end()) {
                out.push_back(g);
            } else {
                for (const auto& [rule, field] : alias->second) out.push_back(field);
            }
        }
        if (!r.field.empty()) out.push_back(r.field);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

size_t CorrelationEngine::size() const { return impl_ ? impl_->rules.size() : 0; }

const std::vector<CorrelationRule>& CorrelationEngine::rules() const {
    return impl_ ? impl_->rules : EmptyRules();
}

bool CorrelationEngine::Wants(std::string_view id, std::string_view name) const {
    return impl_ && impl_->FindTarget(id, name) >= 0;
}

bool CorrelationEngine::Suppresses(std::string_view id, std::string_view name) const {
    if (!impl_) return false;
    int32_t t = impl_->FindTarget(id, name);
    if (t < 0) return false;
    for (const Subscriber& s : impl_->targets[t].subs) {
        if (impl_->rules[s.corr].generate) return false;
    }
    return true;
}

void CorrelationEngine::OnMatch(std::string_view id, std::string_view name, const event::Event& ev,
                                std::vector<CorrelationHit>& out, int64_t arrival_ns) {
    if (!impl_) return;
    int32_t t = impl_->FindTarget(id, name);
    impl_->arrival_ns = arrival_ns != 0 ? arrival_ns : ev.time_ns;
    if (t >= 0) impl_->Feed(static_cast<uint32_t>(t), ev, 0, out);
}

void CorrelationEngine::Impl::Feed(uint32_t target, const event::Event& ev, int depth,
                                   std::vector<CorrelationHit>& out) {
    for (const Subscriber& sub : targets[target].subs) {
        std::optional<CorrelationHit> hit = Evaluate(sub.corr, sub.pos, ev);
        if (!hit) continue;
        int32_t self = state[sub.corr].self_target;
        if (self < 0 || depth >= kMaxChainDepth) {  // Build rejects deeper chains already
            out.push_back(std::move(*hit));
            continue;
        }
        // A hit of this correlation is a match for the correlations that refer to it: the
        // synthetic event carries the group-by values, at the time the condition was met.
        event::Event chained;
        for (const auto& [field, value] : hit->group) chained.Add(field, value);
        chained.time_ns = hit->last_ns;
        chained.sequence = hit->event_sequences.empty() ? 0 : hit->event_sequences.back();
        out.push_back(std::move(*hit));
        Feed(static_cast<uint32_t>(self), chained, depth + 1, out);
    }
}

std::list<Group>::iterator CorrelationEngine::Impl::GroupFor(uint32_t corr, uint32_t pos,
                                                             const event::Event& ev) {
    CorrState& s = state[corr];
    const std::vector<std::string>& fields = s.group_fields[pos];
    // Events that lack a group-by field are grouped under the empty value rather than
    // dropped: Event::Get() cannot tell "absent" from "empty", and a correlation without
    // the field in some of its rules (say, a count over two rules where one lacks User)
    // should still count those events together rather than silently ignore them.
    std::string& key = group_key;  // reused: no allocation per event
    key.clear();
    for (const std::string& f : fields) {
        std::string_view v = ev.Get(f);
        char len[24];
        key.append(len, std::to_chars(len, len + sizeof len, v.size()).ptr);
        key += ':';
        key += v;
    }
    const uint64_t h = GroupIndex::Hash(key);
    if (auto it = s.groups.Find(key, h)) {
        const auto g = *it;
        s.kept.splice(s.kept.end(), g->kept ? s.kept : s.lru, g);
        g->kept = true;
        return g;
    }
    if (s.groups.size() >= kMaxGroupsPerCorrelation) {
        EraseGroup(s, s.lru.empty() ? s.kept.begin() : s.lru.begin());
        ++groups_evicted;
    }
    const CorrelationRule& r = rules[corr];
    Group g;
    g.key = key;
    for (size_t i = 0; i < fields.size(); ++i) {
        g.pairs.emplace_back(r.group_by[i], std::string(ev.Get(fields[i])));
    }
    if (IsTemporal(r.type)) {
        g.times.assign(r.rules.size(), kUnset);
        g.seqs.assign(r.rules.size(), {});
    }
    s.lru.push_back(std::move(g));
    auto it = std::prev(s.lru.end());
    s.groups.Insert(h, it);
    return it;
}

namespace {

bool TracksValues(CorrelationType t) {
    return t == CorrelationType::kValueCount || t == CorrelationType::kValuePercentile;
}

void PushEntry(Group& g, CorrelationType t, Entry e) {
    g.sum += e.num;
    if (TracksValues(t)) ++g.value_counts[e.value];
    g.entries.push_back(std::move(e));
}

void PopEntry(Group& g, CorrelationType t) {
    Entry& e = g.entries.front();
    g.sum -= e.num;
    if (TracksValues(t)) {
        auto it = g.value_counts.find(e.value);
        if (it != g.value_counts.end() && --it->second == 0) g.value_counts.erase(it);
    }
    g.entries.pop_front();
    if (g.entries.empty()) g.sum = 0;  // no drift carried over from long-gone values
}

}  // namespace

std::optional<CorrelationHit> CorrelationEngine::Impl::Evaluate(uint32_t corr, uint32_t pos,
                                                                const event::Event& ev) {
    const CorrelationRule& r = rules[corr];
    const int64_t now = ev.time_ns;
    // The window is [now - timespan, now]: an event exactly one timespan old still counts.
    const int64_t cutoff = SaturatingSub(now, r.timespan_ns);

    // value_* types read `field`; events without it (or, for sums and averages, with a
    // non-numeric value) do not contribute and create no state.
    Entry entry;
    entry.time = now;
    entry.seq = ev.sequence;
    if (NeedsField(r.type)) {
        int idx = ev.Find(r.field);
        if (idx < 0) return std::nullopt;
        std::string_view v = ev.field(static_cast<size_t>(idx)).value;
        std::optional<double> num = ParseDouble(v);
        if (num && std::isfinite(*num)) {
            entry.num = *num;
            entry.is_num = true;
        }
        if (r.type == CorrelationType::kValueSum || r.type == CorrelationType::kValueAvg) {
            if (!entry.is_num) return std::nullopt;
        } else {
            entry.value = std::string(v);
            if (r.type == CorrelationType::kValueCount) entry.num = 0;  // no sum kept
        }
    }

    const auto group = GroupFor(corr, pos, ev);
    Group& g = *group;
    g.arrived_ns = std::max(g.arrived_ns, arrival_ns);

    CorrelationHit hit;
    hit.rule = &r;
    hit.last_ns = now;
    double value = 0;
    bool reset = true;

    switch (r.type) {
        case CorrelationType::kTemporal: {
            g.times[pos] = now;
            g.seqs[pos] = {ev.sequence};
            int64_t first = now;
            for (size_t k = 0; k < g.times.size(); ++k) {
                if (g.times[k] == kUnset || g.times[k] < cutoff) continue;
                value += 1;
                first = std::min(first, g.times[k]);
            }
            if (!r.condition.Holds(value)) return std::nullopt;
            hit.first_ns = first;
            std::vector<std::pair<int64_t, uint64_t>> seen;
            for (size_t k = 0; k < g.times.size(); ++k) {
                if (g.times[k] != kUnset && g.times[k] >= cutoff) {
                    seen.emplace_back(g.times[k], g.seqs[k][0]);
                }
            }
            std::sort(seen.begin(), seen.end());
            for (const auto& s : seen) hit.event_sequences.push_back(s.second);
            break;
        }
        case CorrelationType::kTemporalOrdered: {
            // times[k]: latest start of an in-order occurrence of rules[0..k]. An event of
            // rules[pos] extends the best occurrence of rules[0..pos-1] (or starts one).
            if (pos == 0) {
                g.times[0] = now;
                g.seqs[0] = {ev.sequence};
            } else if (g.times[pos - 1] != kUnset) {  // never older than times[pos]
                g.times[pos] = g.times[pos - 1];
                g.seqs[pos] = g.seqs[pos - 1];
                g.seqs[pos].push_back(ev.sequence);
            }
            // times[] is non-increasing in k, so the longest in-window prefix is the last
            // k whose start is inside the window.
            size_t k = 0;
            while (k < g.times.size() && g.times[k] != kUnset && g.times[k] >= cutoff) ++k;
            value = static_cast<double>(k);
            if (!r.condition.Holds(value)) return std::nullopt;
            hit.first_ns = k > 0 ? g.times[k - 1] : now;
            if (k > 0) hit.event_sequences = g.seqs[k - 1];
            break;
        }
        default: {
            const bool percentile = r.type == CorrelationType::kValuePercentile;
            const Entry current = percentile ? entry : Entry{};
            PushEntry(g, r.type, std::move(entry));
            while (g.entries.size() > kMaxWindowEntries || g.entries.front().time < cutoff) {
                PopEntry(g, r.type);
            }
            const double count = static_cast<double>(g.entries.size());
            switch (r.type) {
                case CorrelationType::kEventCount:
                    value = count;
                    break;
                case CorrelationType::kValueCount:
                    value = static_cast<double>(g.value_counts.size());
                    break;
                case CorrelationType::kValueSum:
                    value = static_cast<double>(g.sum);
                    break;
                case CorrelationType::kValueAvg:
                    value = static_cast<double>(g.sum / static_cast<long double>(count));
                    break;
                default: {
                    // value_percentile: the specification says only "check when a certain
                    // percentage of observed values occur; median is percentile 50". We
                    // compute where the current event's value ranks among the values of
                    // the window, in percent, and compare that to the condition:
                    //  - numeric values: the percentile rank, i.e. the share of numeric
                    //    window values <= the current one (the median ranks ~50, the
                    //    largest 100; `gte: 99` flags values in the top 1%);
                    //  - other values: the share of window values equal to the current
                    //    one, so `lte: 1` flags a value seen in at most 1% of events (the
                    //    specification's rare-process example).
                    // The window is the baseline, not an accumulation, so it is not reset
                    // after a hit, and each rare event is a hit of its own.
                    if (current.is_num) {
                        double n = 0, le = 0;
                        for (const Entry& e : g.entries) {
                            if (!e.is_num) continue;
                            n += 1;
                            if (e.num <= current.num) le += 1;
                        }
                        value = n > 0 ? 100.0 * le / n : 0;
                    } else {
                        auto it = g.value_counts.find(current.value);
                        double same = it == g.value_counts.end() ? 0 : it->second;
                        value = 100.0 * same / count;
                    }
                    reset = false;
                    break;
                }
            }
            if (!r.condition.Holds(value)) return std::nullopt;
            hit.first_ns = g.entries.front().time;
            if (percentile) {
                hit.event_sequences.push_back(current.seq);
            } else {
                size_t from =
                    g.entries.size() > kMaxHitSequences ? g.entries.size() - kMaxHitSequences : 0;
                for (size_t i = from; i < g.entries.size(); ++i) {
                    hit.event_sequences.push_back(g.entries[i].seq);
                }
            }
            break;
        }
    }

    hit.value = value;
    hit.group = g.pairs;
    if (hit.event_sequences.size() > kMaxHitSequences) {
        hit.event_sequences.erase(
            hit.event_sequences.begin(),
            hit.event_sequences.end() - static_cast<std::ptrdiff_t>(kMaxHitSequences));
    }
    // One hit per threshold crossing: the group starts over, so a burst of 1000 events
    // against `gte: 10` gives 100 hits, not 991. Conditions evaluate on arrival, so `lt`/
    // `lte` on counts ("fewer than N") fire as soon as the first event arrives; absence of
    // events is not detected.
    if (reset) {
        CorrState& s = state[corr];
        EraseGroup(s, group);
    }
    return hit;
}

void CorrelationEngine::Expire(int64_t now_ns) {
    if (!impl_) return;
    for (size_t c = 0; c < impl_->rules.size(); ++c) {
        CorrState& s = impl_->state[c];
        const int64_t cutoff = SaturatingSub(now_ns, impl_->rules[c].timespan_ns);
        // Each list is in update order, which is arrival order.
        for (std::list<Group>* list : {&s.lru, &s.kept}) {
            while (!list->empty() && list->front().arrived_ns < cutoff) {
                impl_->EraseGroup(s, list->begin());
            }
        }
    }
}

size_t CorrelationEngine::group_count() const {
    if (!impl_) return 0;
    size_t n = 0;
    for (const CorrState& s : impl_->state) n += s.groups.size();
    return n;
}

uint64_t CorrelationEngine::groups_evicted() const { return impl_ ? impl_->groups_evicted : 0; }

size_t CorrelationEngine::group_index_slots() const {
    if (!impl_) return 0;
    size_t n = 0;
    for (const CorrState& s : impl_->state) n += s.groups.slots();
    return n;
}

}  // namespace vigil::detect
