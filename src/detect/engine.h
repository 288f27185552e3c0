#pragma once
// The Sigma detection engine: reader -> compiler -> matcher.
//
//   Engine engine(options);
//   engine.LoadPath("rules/", diags);       // files or folders of .yml, multi-document
//   engine.Compile(diags);                  // builds the Vectorscan databases
//   Matcher m(engine);                      // one per thread; Engine is read-only after Compile
//   m.Match(event, matches);
//
// Rules are routed by logsource: an event is evaluated only against rules whose logsource
// matches the event's. Literal and regex patterns of all rules are indexed per field and
// found in one Vectorscan pass per field value; a rule is evaluated only when one of the
// patterns it cannot match without has been seen (or when it has no such pattern).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/diagnostic.h"
#include "detect/correlation.h"
#include "detect/rule.h"
#include "event/event.h"

namespace vigil::detect {

struct EngineOptions {
    // `|expand` placeholders: name (without %) -> values. A rule whose placeholder is not
    // listed here is rejected, as the specification demands.
    std::map<std::string, std::vector<std::string>> placeholders;
    TierMap tiers;
    // Evaluate every rule against events whose logsource is empty (no pipeline matched).
    bool match_unrouted = false;
};

// Loads `name: [values]` placeholder definitions from a YAML file.
Result<std::map<std::string, std::vector<std::string>>> LoadPlaceholders(const std::string& path);

struct RuleInfo {
    RuleMeta meta;
    LogSourceSpec logsource;
    std::vector<std::string> fields;  // event fields the detection refers to
    bool is_filter = false;           // a Sigma global filter, never reported itself
};

struct LoadStats {
    size_t files = 0;
    size_t documents = 0;
    size_t rules_loaded = 0;    // detection rules compiled
    size_t rules_rejected = 0;  // detection rules rejected with a diagnostic
    size_t correlations_loaded = 0;
    size_t correlations_rejected = 0;
    size_t filters_loaded = 0;
    size_t filters_rejected = 0;
    size_t patterns = 0;         // distinct patterns (scanned for, or checked on demand)
    size_t regex_confirmed = 0;  // patterns prefiltered by Vectorscan and confirmed by RE2
    size_t regex_only = 0;       // patterns evaluated by RE2 alone
    // Patterns only ever needed once a rule's rarer part was seen: checked on demand then,
    // not scanned for in every event (counted in `patterns`, not in the two above).
    size_t patterns_on_demand = 0;
    // Set when the library's default scanner failed its self-test on this CPU (a Vectorscan
    // bug; detect/scanner.h): which scanner is used instead, or a warning that none passed.
    std::string scanner_note;
};

class Engine {
public:
    explicit Engine(EngineOptions options = {});
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // A file or a folder (recursively, *.yml and *.yaml). Bad rules become diagnostics;
    // good ones are kept. Fails only when the path cannot be read.
    Status LoadPath(const std::string& path, config::Diagnostics& diags);
    // YAML text, possibly several documents; `file` names it in diagnostics.
    void LoadString(std::string_view yaml, const std::string& file, config::Diagnostics& diags);
    // Builds the matching structures. Call once, after loading.
    Status Compile(config::Diagnostics& diags);

    const LoadStats& stats() const;
    size_t rule_count() const;
    const RuleInfo& rule(uint32_t index) const;
    const TierMap& tiers() const;
    const CorrelationEngine& correlations() const;
    // A fresh correlation state over this engine's correlation rules (one per stream).
    CorrelationEngine NewCorrelationState() const;

    struct Impl;  // opaque; defined in detect/internal.h for the component's own files

private:
    friend class Matcher;
    std::unique_ptr<Impl> impl_;
};

struct Match {
    uint32_t rule = 0;  // index into Engine::rule()
};

// Per-thread matching state (Vectorscan scratch, hit bitsets).
class Matcher {
public:
    explicit Matcher(const Engine& engine);
    ~Matcher();
    Matcher(const Matcher&) = delete;
    Matcher& operator=(const Matcher&) = delete;

    // Appends the rules that fire on this event (global filters already applied).
    void Match(const event::Event& ev, std::vector<Match>& out);

    uint64_t rules_evaluated() const;  // rules whose condition was evaluated (for stats)
    // Field values scanned for patterns: those the per-thread value cache could not answer (a
    // value seen again on the same field, with or without hits, is answered from the cache).
    uint64_t values_scanned() const;
    // Distinct rule routings held for the logsources seen: bounded by the rules, however many
    // logsources the events bring.
    size_t views_held() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::detect
