#include "detect/correlation.h"

#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace vigil::detect {
namespace {

constexpr int64_t kSec = 1'000'000'000;

using Fields = std::vector<std::pair<std::string, std::string>>;
using KnownRules = std::vector<std::pair<std::string, std::string>>;

std::optional<CorrelationRule> ParseOne(std::string_view yaml, config::Diagnostics& diags) {
    return ParseCorrelationRule(YAML::Load(std::string(yaml)), "mr_test.yml", diags);
}

// Parses every correlation document of a multi-document YAML text (detection rules in it
// are skipped; their (id, name) are what the test passes as known rules).
std::vector<CorrelationRule> ParseAll(std::string_view yaml, config::Diagnostics& diags) {
    std::vector<CorrelationRule> out;
    for (const YAML::Node& doc : YAML::LoadAll(std::string(yaml))) {
        if (!doc["correlation"]) continue;
        if (auto r = ParseCorrelationRule(doc, "mr_test.yml", diags)) out.push_back(std::move(*r));
    }
    return out;
}

CorrelationEngine BuildEngine(std::string_view yaml, const KnownRules& known,
                              config::Diagnostics& diags) {
    CorrelationEngine engine;
    engine.Build(ParseAll(yaml, diags), known, diags);
    return engine;
}

event::Event Ev(int64_t seconds, const Fields& fields, uint64_t seq = 0) {
    event::Event ev;
    for (const auto& [k, v] : fields) ev.Add(k, v);
    ev.time_ns = seconds * kSec;
    ev.sequence = seq;
    return ev;
}

std::string Codes(const config::Diagnostics& d) {
    std::string s;
    for (const auto& item : d.items()) s += item.code + " ";
    return s;
}

const config::Diagnostic* FindDiag(const config::Diagnostics& d, std::string_view code) {
    for (const auto& item : d.items()) {
        if (item.code == code) return &item;
    }
    return nullptr;
}

// Feeds one match of `rule` (referenced by name) and returns the hits it caused.
std::vector<CorrelationHit> Match(CorrelationEngine& e, std::string_view rule,
                                  const event::Event& ev) {
    std::vector<CorrelationHit> hits;
    e.OnMatch("", rule, ev, hits);
    return hits;
}

// --- parsing ----------------------------------------------------------------------------

TEST(CorrelationParse, ReadsEveryAttribute) {
    config::Diagnostics d;
    auto r = ParseOne(R"(
title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
name: many_failed
description: brute force
status: experimental
author: Vigil
level: high
tags:
    - attack.credential-access
generate: true
correlation:
    type: event_count
    rules:
        - failed_login
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
        - User
    timespan: 90m
    condition:
        gt: 100
        lte: 200
)",
                      d);
    ASSERT_TRUE(r) << Codes(d);
    EXPECT_EQ(d.items().size(), 0u) << Codes(d);
    EXPECT_EQ(r->meta.id, "0e95725d-7320-415d-80f7-004da920fc11");
    EXPECT_EQ(r->meta.name, "many_failed");
    EXPECT_EQ(r->meta.title, "Many failed logins");
    EXPECT_EQ(r->meta.description, "brute force");
    EXPECT_EQ(r->meta.status, "experimental");
    EXPECT_EQ(r->meta.author, "Vigil");
    EXPECT_EQ(r->meta.level, Level::kHigh);
    EXPECT_EQ(r->meta.tags, std::vector<std::string>{"attack.credential-access"});
    EXPECT_EQ(r->meta.file, "mr_test.yml");
    EXPECT_EQ(r->meta.line, 2);
    EXPECT_EQ(r->type, CorrelationType::kEventCount);
    EXPECT_EQ(r->rules,
              (std::vector<std::string>{"failed_login", "5638f7c0-ac70-491d-8465-2a65075e0d86"}));
    ASSERT_EQ(r->rule_positions.size(), 2u);
    EXPECT_EQ(r->rule_positions[1], (std::pair<int, int>{16, 11}));
    EXPECT_EQ(r->group_by, (std::vector<std::string>{"ComputerName", "User"}));
    EXPECT_EQ(r->timespan_ns, 90 * 60 * kSec);
    EXPECT_EQ(r->condition.gt, 100);
    EXPECT_EQ(r->condition.lte, 200);
    EXPECT_FALSE(r->condition.gte);
    EXPECT_EQ(r->condition.ToString(), "> 100 and <= 200");
    EXPECT_TRUE(r->generate);
}

TEST(CorrelationParse, AcceptsAllSevenTypes) {
    const char* types[] = {"event_count", "value_count", "temporal",        "temporal_ordered",
                           "value_sum",   "value_avg",   "value_percentile"};
    for (const char* t : types) {
        config::Diagnostics d;
        std::string yaml = std::string("title: t\ncorrelation:\n  type: ") + t +
                           "\n  rules: [a, b]\n  group-by: [User]\n  timespan: 5m\n"
                           "  condition: {gte: 2, field: Bytes}\n";
        auto r = ParseOne(yaml, d);
        ASSERT_TRUE(r) << t << ": " << Codes(d);
        EXPECT_EQ(CorrelationTypeName(r->type), t);
        // `field` only matters to value_* types; it is dropped (with a warning) elsewhere.
        bool value_type = std::string_view(t).substr(0, 6) == "value_";
        EXPECT_EQ(r->field, value_type ? "Bytes" : "") << t;
        EXPECT_EQ(d.warnings(), value_type ? 0u : 1u) << t << ": " << Codes(d);
    }
}

TEST(CorrelationParse, TemporalWithoutConditionNeedsAllRules) {
    config::Diagnostics d;
    auto r = ParseOne(R"(
title: recon
correlation:
    type: temporal
    rules: [recon_cmd_a, recon_cmd_b, recon_cmd_c]
    group-by: [ComputerName, User]
    timespan: 5m
)",
                      d);
    ASSERT_TRUE(r) << Codes(d);
    EXPECT_EQ(r->condition.gte, 3);
    EXPECT_FALSE(r->generate);
    EXPECT_EQ(r->timespan_ns, 300 * kSec);
}

TEST(CorrelationParse, ValueCountReadsFieldFromCondition) {
    config::Diagnostics d;
    auto r = ParseOne(R"(
title: Failed login
correlation:
    type: value_count
    rules: [5638f7c0-ac70-491d-8465-2a65075e0d86]
    group-by: [ComputerName, WorkstationName]
    timespan: 1d
    condition:
        field: User
        gte: 100
)",
                      d);
    ASSERT_TRUE(r) << Codes(d);
    EXPECT_EQ(r->field, "User");
    EXPECT_EQ(r->condition.gte, 100);
    EXPECT_EQ(r->timespan_ns, 86400 * kSec);
}

TEST(CorrelationParse, BadTimespanIsReportedAtItsPosition) {
    for (const char* ts : {"1w", "10", "0s", "1H", "-5m", "m", "5 m"}) {
        config::Diagnostics d;
        std::string yaml = std::string("title: t\nid: r1\ncorrelation:\n    type: event_count\n") +
                           "    rules: [a]\n    group-by: [User]\n    timespan: '" + ts +
                           "'\n    condition: {gte: 2}\n";
        EXPECT_FALSE(ParseOne(yaml, d)) << ts;
        const config::Diagnostic* diag = FindDiag(d, "correlation-bad-timespan");
        ASSERT_NE(diag, nullptr) << ts << ": " << Codes(d);
        EXPECT_EQ(diag->line, 7) << ts;
        EXPECT_EQ(diag->column, 15) << ts;
        EXPECT_EQ(diag->file, "mr_test.yml");
        EXPECT_EQ(diag->rule_id, "r1");
        EXPECT_NE(diag->message.find(ts), std::string::npos) << diag->message;
    }
}

TEST(CorrelationParse, MissingTypeIsReportedOnTheCorrelationSection) {
    config::Diagnostics d;
    EXPECT_FALSE(ParseOne(R"(title: t
id: r1
correlation:
    rules: [a]
    group-by: [User]
    timespan: 10m
    condition: {gte: 2}
)",
                          d));
    ASSERT_EQ(d.errors(), 1u) << Codes(d);
    EXPECT_EQ(d.items()[0].code, "correlation-missing-type");
    EXPECT_EQ(d.items()[0].line, 4);
    EXPECT_EQ(d.items()[0].ToString(),
              "mr_test.yml:4:5: error[correlation-missing-type]: correlation has no 'type'");
}

TEST(CorrelationParse, RejectsUnknownTypeBadConditionAndMissingParts) {
    struct Case {
        const char* yaml;
        const char* code;
        int line;
    };
    const Case cases[] = {
        {"title: t\ncorrelation:\n  type: event_sum\n  rules: [a]\n  timespan: 1m\n"
         "  condition: {gte: 1}\n",
         "correlation-unknown-type", 3},
        {"title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n",
         "correlation-missing-condition", 3},
        {"title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n"
         "  condition: {above: 3}\n",
         "correlation-bad-condition", 6},
        {"title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n"
         "  condition:\n    gte: lots\n",
         "correlation-bad-condition", 7},
        {"title: t\ncorrelation:\n  type: value_sum\n  rules: [a]\n  timespan: 1m\n"
         "  field: bytes\n  condition: {gt: 3}\n",
         "correlation-missing-field", 7},
        {"title: t\ncorrelation:\n  type: event_count\n  rules: []\n  timespan: 1m\n"
         "  condition: {gt: 3}\n",
         "correlation-missing-rules", 4},
        {"title: t\ncorrelation:\n  type: event_count\n  rules: [a, a]\n  timespan: 1m\n"
         "  condition: {gt: 3}\n",
         "correlation-bad-rules", 4},
        {"title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n"
         "  condition: {gt: 3}\n",
         "correlation-missing-timespan", 3},
        {"correlation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n"
         "  condition: {gt: 3}\n",
         "correlation-missing-title", 1},
        {"title: t\nlevel: severe\ncorrelation:\n  type: event_count\n  rules: [a]\n"
         "  timespan: 1m\n  condition: {gt: 3}\n",
         "correlation-bad-level", 2},
        {"title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n"
         "  generate: maybe\n  condition: {gt: 3}\n",
         "correlation-bad-generate", 6},
        {"title: t\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  timespan: 1m\n"
         "  aliases: {ip: [a, b]}\n",
         "correlation-bad-aliases", 6},
        {"title: t\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1m\n"
         "  condition: {gt: 3, field: [User, Host]}\n",
         "correlation-bad-field", 6},
        {"title: t\ncorrelation: [a, b]\n", "correlation-bad-section", 2},
        {"- just\n- a list\n", "correlation-not-a-map", 1},
    };
    for (const Case& c : cases) {
        config::Diagnostics d;
        EXPECT_FALSE(ParseOne(c.yaml, d)) << c.yaml;
        const config::Diagnostic* diag = FindDiag(d, c.code);
        ASSERT_NE(diag, nullptr) << c.yaml << "\ngot: " << Codes(d);
        EXPECT_EQ(diag->line, c.line) << c.yaml;
    }
}

TEST(CorrelationParse, MissingFieldHintsWhenFieldIsOutsideCondition) {
    config::Diagnostics d;
    EXPECT_FALSE(
        ParseOne("title: t\ncorrelation:\n  type: value_avg\n  rules: [a]\n"
                 "  timespan: 1m\n  field: bytes\n  condition: {gt: 3}\n",
                 d));
    const config::Diagnostic* diag = FindDiag(d, "correlation-missing-field");
    ASSERT_NE(diag, nullptr);
    EXPECT_NE(diag->message.find("belongs inside"), std::string::npos) << diag->message;
}

TEST(CorrelationParse, MissingGroupByIsAWarningAndOneGroup) {
    config::Diagnostics d;
    auto r = ParseOne(
        "title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n"
        "  timespan: 1m\n  condition: {gte: 2}\n",
        d);
    ASSERT_TRUE(r);
    EXPECT_EQ(d.errors(), 0u);
    ASSERT_NE(FindDiag(d, "correlation-missing-group-by"), nullptr);
    CorrelationEngine e;
    e.Build({*r}, {{"", "a"}}, d);
    EXPECT_TRUE(Match(e, "a", Ev(1, {{"User", "x"}})).empty());
    EXPECT_EQ(Match(e, "a", Ev(2, {{"User", "y"}})).size(), 1u);
}

TEST(CorrelationParse, ConditionHolds) {
    CountCondition c;
    EXPECT_FALSE(c.Holds(1));  // an empty condition never holds
    c.gt = 100;
    c.lte = 200;
    EXPECT_FALSE(c.Holds(100));
    EXPECT_TRUE(c.Holds(101));
    EXPECT_TRUE(c.Holds(200));
    EXPECT_FALSE(c.Holds(201));
    CountCondition n;
    n.neq = 3;
    EXPECT_TRUE(n.Holds(2));
    EXPECT_FALSE(n.Holds(3));
    EXPECT_EQ(n.ToString(), "!= 3");
    CountCondition avg;
    avg.gt = 2.5;
    EXPECT_EQ(avg.ToString(), "> 2.5");
}

// --- building ---------------------------------------------------------------------------

TEST(CorrelationBuild, UnknownRuleIsReportedAtTheReferenceAndDropped) {
    config::Diagnostics d;
    auto e = BuildEngine(R"(title: good
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [User]
    timespan: 10m
    condition: {gte: 2}
---
title: bad
id: bad-1
correlation:
    type: temporal
    rules:
        - failed_login
        - no_such_rule
    group-by: [User]
    timespan: 10m
)",
                         {{"53ba33fd", "failed_login"}}, d);
    EXPECT_EQ(e.size(), 1u);
    EXPECT_EQ(e.rules()[0].meta.title, "good");
    ASSERT_EQ(d.errors(), 1u) << Codes(d);
    const config::Diagnostic& diag = d.items()[0];
    EXPECT_EQ(diag.code, "correlation-unknown-rule");
    EXPECT_EQ(diag.line, 15);
    EXPECT_EQ(diag.column, 11);
    EXPECT_EQ(diag.rule_id, "bad-1");
    EXPECT_NE(diag.message.find("no_such_rule"), std::string::npos);
}

TEST(CorrelationBuild, CyclesAndTheirDependentsAreDropped) {
    config::Diagnostics d;
    auto e = BuildEngine(R"(title: a
name: corr_a
correlation: {type: event_count, rules: [corr_b], group-by: [User], timespan: 1m,
              condition: {gte: 2}}
---
title: b
name: corr_b
correlation: {type: event_count, rules: [corr_a], group-by: [User], timespan: 1m,
              condition: {gte: 2}}
---
title: c
name: corr_c
correlation: {type: event_count, rules: [corr_c], group-by: [User], timespan: 1m,
              condition: {gte: 2}}
---
title: d
correlation: {type: event_count, rules: [corr_a], group-by: [User], timespan: 1m,
              condition: {gte: 2}}
---
title: ok
correlation: {type: event_count, rules: [base], group-by: [User], timespan: 1m,
              condition: {gte: 2}}
)",
                         {{"", "base"}}, d);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e.rules()[0].meta.title, "ok");
    EXPECT_EQ(d.errors(), 4u) << Codes(d);
    for (const auto& item : d.items()) EXPECT_EQ(item.code, "correlation-cycle");
    EXPECT_FALSE(e.Wants("", "corr_a"));
}

TEST(CorrelationBuild, DuplicateIdsAndAliasesToUnreferencedRules) {
    config::Diagnostics d;
    auto e = BuildEngine(R"(title: one
id: same
correlation: {type: event_count, rules: [base], group-by: [User], timespan: 1m,
              condition: {gte: 2}}
---
title: two
id: same
correlation: {type: event_count, rules: [base], group-by: [User], timespan: 1m,
              condition: {gte: 2}}
---
title: alias
correlation:
    type: temporal
    rules: [base, other]
    group-by: [ip]
    timespan: 1m
    aliases:
        ip:
            base: source.ip
            elsewhere: destination.ip
)",
                         {{"", "base"}, {"", "other"}, {"", "elsewhere"}}, d);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e.rules()[0].meta.title, "one");
    ASSERT_NE(FindDiag(d, "correlation-duplicate-id"), nullptr) << Codes(d);
    ASSERT_NE(FindDiag(d, "correlation-bad-alias"), nullptr) << Codes(d);
}

// --- evaluation -------------------------------------------------------------------------

constexpr const char* kEventCount = R"(
title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
    type: event_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
    timespan: 1h
    condition:
        gte: 3
)";

TEST(Correlation, EventCountCountsPerGroup) {
    config::Diagnostics d;
    auto e = BuildEngine(kEventCount, {{"5638f7c0-ac70-491d-8465-2a65075e0d86", "failed"}}, d);
    ASSERT_EQ(e.size(), 1u) << Codes(d);
    std::vector<CorrelationHit> hits;
    // Referenced by id; matches arrive by id and name.
    e.OnMatch("5638f7c0-ac70-491d-8465-2a65075e0d86", "failed", Ev(10, {{"ComputerName", "a"}}, 1),
              hits);
    e.OnMatch("5638f7c0-ac70-491d-8465-2a65075e0d86", "failed", Ev(20, {{"ComputerName", "b"}}, 2),
              hits);
    e.OnMatch("5638f7c0-ac70-491d-8465-2a65075e0d86", "failed", Ev(30, {{"ComputerName", "a"}}, 3),
              hits);
    e.OnMatch("5638f7c0-ac70-491d-8465-2a65075e0d86", "failed", Ev(40, {{"ComputerName", "b"}}, 4),
              hits);
    EXPECT_TRUE(hits.empty());
    e.OnMatch("5638f7c0-ac70-491d-8465-2a65075e0d86", "failed", Ev(50, {{"ComputerName", "a"}}, 5),
              hits);
    ASSERT_EQ(hits.size(), 1u);
    const CorrelationHit& h = hits[0];
    EXPECT_EQ(h.rule, &e.rules()[0]);
    EXPECT_EQ(h.value, 3);
    EXPECT_EQ(h.first_ns, 10 * kSec);
    EXPECT_EQ(h.last_ns, 50 * kSec);
    EXPECT_EQ(h.group, (Fields{{"ComputerName", "a"}}));
    EXPECT_EQ(h.event_sequences, (std::vector<uint64_t>{1, 3, 5}));
    // The name alone finds the rule too; other rules are ignored.
    EXPECT_TRUE(e.Wants("", "failed"));
    EXPECT_FALSE(e.Wants("x", "other"));
    hits.clear();
    e.OnMatch("x", "other", Ev(60, {{"ComputerName", "b"}}), hits);
    EXPECT_TRUE(hits.empty());
    EXPECT_EQ(Match(e, "failed", Ev(61, {{"ComputerName", "b"}})).size(), 1u);
}

// Expire goes by when matches arrived, not by the events' times: a host whose clock runs a day
// fast does not push another host's group out, and a group no match arrived in for its
// timespan goes, whatever its events' times.
TEST(Correlation, ExpireGoesByArrivalNotByEventTime) {
    config::Diagnostics d;
    auto e = BuildEngine(kEventCount, {{"5638f7c0-ac70-491d-8465-2a65075e0d86", "failed"}}, d);
    std::vector<CorrelationHit> hits;
    const std::string id = "5638f7c0-ac70-491d-8465-2a65075e0d86";
    const int64_t arrival = 1000 * kSec;
    e.OnMatch(id, "failed", Ev(10, {{"ComputerName", "a"}}, 1), hits, arrival);
    e.OnMatch(id, "failed", Ev(20, {{"ComputerName", "a"}}, 2), hits, arrival);
    e.OnMatch(id, "failed", Ev(24 * 3600, {{"ComputerName", "b"}}, 3), hits, arrival + kSec);
    e.Expire(arrival + kSec);
    EXPECT_EQ(e.group_count(), 2u);
    e.OnMatch(id, "failed", Ev(30, {{"ComputerName", "a"}}, 4), hits, arrival + 2 * kSec);
    ASSERT_EQ(hits.size(), 1u);  // a's three, although b's event is a day later
    EXPECT_EQ(hits[0].group, (Fields{{"ComputerName", "a"}}));
    e.Expire(arrival + 2 * kSec + 3600 * kSec + kSec);  // an hour (the timespan) without matches
    EXPECT_EQ(e.group_count(), 0u);
}

TEST(Correlation, SlidingWindowForgetsEventsOlderThanTimespan) {
    config::Diagnostics d;
    auto e = BuildEngine(kEventCount, {{"5638f7c0-ac70-491d-8465-2a65075e0d86", "failed"}}, d);
    const Fields host{{"ComputerName", "a"}};
    EXPECT_TRUE(Match(e, "failed", Ev(0, host)).empty());
    EXPECT_TRUE(Match(e, "failed", Ev(1800, host)).empty());
    // 3601 s after the first: the first is out of the 1 h window, so only two count.
    EXPECT_TRUE(Match(e, "failed", Ev(3601, host)).empty());
    // Window is [now - 1h, now]: 1800 is exactly one hour before 5400 and still counts.
    auto hits = Match(e, "failed", Ev(5400, host));
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].first_ns, 1800 * kSec);
}

TEST(Correlation, WindowResetsAfterAHit) {
    config::Diagnostics d;
    auto e = BuildEngine(kEventCount, {{"5638f7c0-ac70-491d-8465-2a65075e0d86", "failed"}}, d);
    const Fields host{{"ComputerName", "a"}};
    int hits = 0;
    for (int i = 0; i < 10; ++i) hits += static_cast<int>(Match(e, "failed", Ev(i, host)).size());
    // gte 3 over 10 events: one hit per crossing (events 3, 6, 9), not one per event.
    EXPECT_EQ(hits, 3);
    EXPECT_EQ(e.group_count(), 1u);  // the tenth event started a new window
}

TEST(Correlation, MissingGroupByFieldGroupsUnderEmptyValue) {
    config::Diagnostics d;
    auto e = BuildEngine(kEventCount, {{"5638f7c0-ac70-491d-8465-2a65075e0d86", "failed"}}, d);
    EXPECT_TRUE(Match(e, "failed", Ev(1, {})).empty());
    EXPECT_TRUE(Match(e, "failed", Ev(2, {{"Other", "x"}})).empty());
    EXPECT_TRUE(Match(e, "failed", Ev(3, {{"ComputerName", "a"}})).empty());
    auto hits = Match(e, "failed", Ev(4, {{"ComputerName", ""}}));
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].group, (Fields{{"ComputerName", ""}}));
}

TEST(Correlation, ValueCountCountsDistinctValues) {
    config::Diagnostics d;
    auto e = BuildEngine(R"(
title: Password spray
correlation:
    type: value_count
    rules: [failed_login]
    group-by: [ComputerName]
    timespan: 10m
    condition:
        field: User
        gte: 3
)",
                         {{"", "failed_login"}}, d);
    ASSERT_EQ(e.size(), 1u) << Codes(d);
    const std::string host = "dc1";
    EXPECT_TRUE(Match(e, "failed_login", Ev(1, {{"ComputerName", host}, {"User", "a"}})).empty());
    EXPECT_TRUE(Match(e, "failed_login", Ev(2, {{"ComputerName", host}, {"User", "a"}})).empty());
    EXPECT_TRUE(Match(e, "failed_login", Ev(3, {{"ComputerName", host}, {"User", "b"}})).empty());
    // No User field: does not count as a value.
    EXPECT_TRUE(Match(e, "failed_login", Ev(4, {{"ComputerName", host}})).empty());
    // Another host's users do not count here.
    EXPECT_TRUE(Match(e, "failed_login", Ev(5, {{"ComputerName", "x"}, {"User", "c"}})).empty());
    auto hits = Match(e, "failed_login", Ev(6, {{"ComputerName", host}, {"User", "c"}}));
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].value, 3);
    EXPECT_EQ(hits[0].first_ns, 1 * kSec);
}

constexpr const char* kTemporal = R"(
title: Recon
correlation:
    type: temporal
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
)";

TEST(Correlation, TemporalNeedsAllRulesInAnyOrder) {
    config::Diagnostics d;
    auto e =
        BuildEngine(kTemporal, {{"", "recon_cmd_a"}, {"", "recon_cmd_b"}, {"", "recon_cmd_c"}}, d);
    ASSERT_EQ(e.size(), 1u) << Codes(d);
    const Fields who{{"ComputerName", "pc"}, {"User", "eve"}};
    EXPECT_TRUE(Match(e, "recon_cmd_c", Ev(0, who, 1)).empty());
    EXPECT_TRUE(Match(e, "recon_cmd_a", Ev(10, who, 2)).empty());
    EXPECT_TRUE(Match(e, "recon_cmd_a", Ev(20, who, 3)).empty());  // same rule twice: still 2
    // Same rules by another user do not complete eve's set.
    EXPECT_TRUE(Match(e, "recon_cmd_b", Ev(30, {{"ComputerName", "pc"}, {"User", "bob"}})).empty());
    auto hits = Match(e, "recon_cmd_b", Ev(40, who, 4));
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].value, 3);
    EXPECT_EQ(hits[0].first_ns, 0);
    EXPECT_EQ(hits[0].event_sequences, (std::vector<uint64_t>{1, 3, 4}));
    EXPECT_EQ(hits[0].group, who);
}

TEST(Correlation, TemporalRulesMustBeWithinTimespan) {
    config::Diagnostics d;
    auto e =
        BuildEngine(kTemporal, {{"", "recon_cmd_a"}, {"", "recon_cmd_b"}, {"", "recon_cmd_c"}}, d);
    const Fields who{{"ComputerName", "pc"}, {"User", "eve"}};
    EXPECT_TRUE(Match(e, "recon_cmd_a", Ev(0, who)).empty());
    EXPECT_TRUE(Match(e, "recon_cmd_b", Ev(200, who)).empty());
    EXPECT_TRUE(Match(e, "recon_cmd_c", Ev(301, who)).empty());  // a is 301 s old
    EXPECT_EQ(Match(e, "recon_cmd_a", Ev(310, who)).size(), 1u);
}

constexpr const char* kOrdered = R"(
title: Download then execute then connect
correlation:
    type: temporal_ordered
    rules: [download, execute, connect]
    group-by: [Host]
    timespan: 10m
)";

TEST(Correlation, TemporalOrderedFiresOnlyInOrder) {
    config::Diagnostics d;
    auto e = BuildEngine(kOrdered, {{"", "download"}, {"", "execute"}, {"", "connect"}}, d);
    ASSERT_EQ(e.size(), 1u) << Codes(d);
    const Fields h{{"Host", "h1"}};
    // Out of order: connect, execute, download -> nothing.
    EXPECT_TRUE(Match(e, "connect", Ev(1, h)).empty());
    EXPECT_TRUE(Match(e, "execute", Ev(2, h)).empty());
    EXPECT_TRUE(Match(e, "download", Ev(3, h, 30)).empty());
    // execute before download does not count; the one after it does.
    EXPECT_TRUE(Match(e, "connect", Ev(4, h)).empty());
    EXPECT_TRUE(Match(e, "execute", Ev(5, h, 50)).empty());
    auto hits = Match(e, "connect", Ev(6, h, 60));
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].value, 3);
    EXPECT_EQ(hits[0].first_ns, 3 * kSec);
    EXPECT_EQ(hits[0].event_sequences, (std::vector<uint64_t>{30, 50, 60}));
}

TEST(Correlation, TemporalOrderedRespectsTimespan) {
    config::Diagnostics d;
    auto e = BuildEngine(kOrdered, {{"", "download"}, {"", "execute"}, {"", "connect"}}, d);
    const Fields h{{"Host", "h1"}};
    EXPECT_TRUE(Match(e, "download", Ev(0, h)).empty());
    EXPECT_TRUE(Match(e, "execute", Ev(100, h)).empty());
    EXPECT_TRUE(Match(e, "connect", Ev(601, h)).empty());  // download is > 10 min old
    // A new download restarts the sequence; the old execute does not follow it.
    EXPECT_TRUE(Match(e, "download", Ev(700, h)).empty());
    EXPECT_TRUE(Match(e, "connect", Ev(710, h)).empty());
    EXPECT_TRUE(Match(e, "execute", Ev(720, h)).empty());
    auto hits = Match(e, "connect", Ev(730, h));
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].first_ns, 700 * kSec);
}

TEST(Correlation, ValueSumAddsNumericValues) {
    config::Diagnostics d;
    auto e = BuildEngine(R"(
title: Possible Exfiltration to Website
correlation:
    type: value_sum
    rules:
        - website_access
    group-by:
        - SourceIP
        - User
    timespan: 1h
    condition:
        field: bytes_sent
        gt: 1000000
)",
                         {{"", "website_access"}}, d);
    ASSERT_EQ(e.size(), 1u) << Codes(d);
    auto ev = [](int64_t t, const char* bytes) {
        return Ev(t, {{"SourceIP", "10.0.0.1"}, {"User", "u"}, {"bytes_sent", bytes}});
    };
    EXPECT_TRUE(Match(e, "website_access", ev(0, "600000")).empty());
    EXPECT_TRUE(Match(e, "website_access", ev(1, "lots")).empty());    // non-numeric: ignored
    EXPECT_TRUE(Match(e, "website_access", ev(2, "400000")).empty());  // exactly 1e6: not gt
    auto hits = Match(e, "website_access", ev(3, "1.5"));
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_DOUBLE_EQ(hits[0].value, 1000001.5);
    EXPECT_EQ(hits[0].event_sequences.size(), 3u);  // the ignored event did not contribute
}

TEST(Correlation, ValueAvgAveragesTheWindow) {
    config::Diagnostics d;
    auto e = BuildEngine(R"(
title: Suspicious average network traffic
correlation:
    type: value_avg
    rules:
        - rule_a_id
    group-by:
        - SourceIP
    timespan: 24h
    condition:
        field: BytesOut
        gt: 500
)",
                         {{"rule_a_id", "rule_a"}}, d);
    ASSERT_EQ(e.size(), 1u) << Codes(d);
    auto ev = [](int64_t t, const char* bytes) {
        return Ev(t, {{"SourceIP", "10.0.0.9"}, {"BytesOut", bytes}});
    };
    EXPECT_TRUE(Match(e, "rule_a", ev(0, "100")).empty());
    EXPECT_TRUE(Match(e, "rule_a", ev(1, "900")).empty());  // avg 500: not gt 500
    auto hits = Match(e, "rule_a", ev(2, "530"));
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_DOUBLE_EQ(hits[0].value, 510);
    // After the 24 h window only the new events count.
    EXPECT_TRUE(Match(e, "rule_a", ev(100, "400")).empty());
    EXPECT_EQ(Match(e, "rule_a", ev(100 + 86401, "501")).size(), 1u);
}

TEST(Correlation, ValuePercentileFlagsRareValues) {
    config::Diagnostics d;
    auto e = BuildEngine(R"(
title: A computer spawned a process name seen in less than 10% of its processes
correlation:
    type: value_percentile
    rules:
        - process_creation
    group-by:
        - ComputerName
    timespan: 24h
    condition:
        field: image
        lte: 10
)",
                         {{"", "process_creation"}}, d);
    ASSERT_EQ(e.size(), 1u) << Codes(d);
    const std::string pc = "pc1";
    int hits = 0;
    for (int i = 0; i < 20; ++i) {
        hits += static_cast<int>(
            Match(e, "process_creation", Ev(i, {{"ComputerName", pc}, {"image", "svchost.exe"}}))
                .size());
    }
    EXPECT_EQ(hits, 0);
    // 1 of 21 = 4.8% <= 10%.
    auto rare =
        Match(e, "process_creation", Ev(30, {{"ComputerName", pc}, {"image", "mimikatz.exe"}}, 99));
    ASSERT_EQ(rare.size(), 1u);
    EXPECT_NEAR(rare[0].value, 100.0 / 21, 1e-9);
    EXPECT_EQ(rare[0].event_sequences, std::vector<uint64_t>{99});
    EXPECT_EQ(rare[0].first_ns, 0);  // the baseline is kept after a hit
    // Common again: no hit; the baseline still includes the rare one.
    EXPECT_TRUE(
        Match(e, "process_creation", Ev(31, {{"ComputerName", pc}, {"image", "svchost.exe"}}))
            .empty());
    // A second rare value on another computer with no history is 100%: no hit.
    EXPECT_TRUE(
        Match(e, "process_creation", Ev(32, {{"ComputerName", "pc2"}, {"image", "mimikatz.exe"}}))
            .empty());
}

TEST(Correlation, ValuePercentileRanksNumericValues) {
    config::Diagnostics d;
    auto e = BuildEngine(R"(
title: Unusually large upload for this host
correlation:
    type: value_percentile
    rules: [upload]
    group-by: [Host]
    timespan: 1d
    condition:
        field: bytes
        gte: 95
)",
                         {{"", "upload"}}, d);
    ASSERT_EQ(e.size(), 1u) << Codes(d);
    // Values 1..19 arrive in descending order, so each ranks lowest among those seen.
    int hits = 0;
    for (int i = 19; i >= 1; --i) {
        hits += static_cast<int>(
            Match(e, "upload", Ev(20 - i, {{"Host", "h"}, {"bytes", std::to_string(i)}})).size());
    }
    EXPECT_EQ(hits, 1);  // only the very first (100% of one value)
    auto median = Match(e, "upload", Ev(30, {{"Host", "h"}, {"bytes", "10"}}));
    EXPECT_TRUE(median.empty());
    auto big = Match(e, "upload", Ev(31, {{"Host", "h"}, {"bytes", "5000"}}));
    ASSERT_EQ(big.size(), 1u);
    EXPECT_DOUBLE_EQ(big[0].value, 100);
}

TEST(Correlation, AliasesGroupDifferentFieldsTogether) {
    // The specification's alias example, with two rules naming the addresses differently.
    config::Diagnostics d;
    auto e = BuildEngine(R"(
title: Internal error then new connection
correlation:
    type: temporal
    rules:
        - internal_error
        - new_network_connection
    group-by:
        - internal_ip
        - remote_ip
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
)",
                         {{"id-ie", "internal_error"}, {"id-nc", "new_network_connection"}}, d);
    ASSERT_EQ(e.size(), 1u) << Codes(d);
    EXPECT_EQ(d.items().size(), 0u) << Codes(d);
    EXPECT_TRUE(Match(e, "internal_error",
                      Ev(0, {{"source.ip", "1.2.3.4"}, {"destination.ip", "10.0.0.5"}}))
                    .empty());
    // Same addresses in the same fields (not swapped) is a different group.
    EXPECT_TRUE(Match(e, "new_network_connection",
                      Ev(1, {{"source.ip", "1.2.3.4"}, {"destination.ip", "10.0.0.5"}}))
                    .empty());
    auto hits = Match(e, "new_network_connection",
                      Ev(2, {{"source.ip", "10.0.0.5"}, {"destination.ip", "1.2.3.4"}}));
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].group, (Fields{{"internal_ip", "10.0.0.5"}, {"remote_ip", "1.2.3.4"}}));
    // What a caller must keep of an event for these correlations: the aliased fields.
    EXPECT_EQ(e.FieldsRead(), (std::vector<std::string>{"destination.ip", "source.ip"}));
}

TEST(Correlation, AliasesMayNameRulesByIdWhileRulesListUsesNames) {
    config::Diagnostics d;
    auto e = BuildEngine(R"(
title: t
correlation:
    type: temporal
    rules: [rule_x, rule_y]
    group-by: [who]
    timespan: 1m
    aliases:
        who:
            id-x: SubjectUserName
            rule_y: TargetUserName
)",
                         {{"id-x", "rule_x"}, {"id-y", "rule_y"}}, d);
    ASSERT_EQ(e.size(), 1u) << Codes(d);
    EXPECT_TRUE(Match(e, "rule_x", Ev(0, {{"SubjectUserName", "eve"}})).empty());
    EXPECT_EQ(Match(e, "rule_y", Ev(1, {{"TargetUserName", "eve"}})).size(), 1u);
}

TEST(Correlation, GenerateDecidesWhetherReferencedRulesAreSuppressed) {
    config::Diagnostics d;
    auto e = BuildEngine(R"(title: hides a and b
correlation: {type: event_count, rules: [a, b], group-by: [User], timespan: 1m,
              condition: {gte: 2}}
---
title: keeps b
generate: true
correlation: {type: event_count, rules: [b], group-by: [User], timespan: 1m,
              condition: {gte: 2}}
)",
                         {{"id-a", "a"}, {"id-b", "b"}, {"id-c", "c"}}, d);
    ASSERT_EQ(e.size(), 2u) << Codes(d);
    EXPECT_FALSE(e.rules()[0].generate);
    EXPECT_TRUE(e.rules()[1].generate);
    EXPECT_TRUE(e.Suppresses("id-a", "a"));
    EXPECT_TRUE(e.Suppresses("id-a", ""));
    EXPECT_FALSE(e.Suppresses("id-b", "b"));  // one referring correlation generates it
    EXPECT_FALSE(e.Suppresses("id-c", "c"));  // not referenced at all
    EXPECT_TRUE(e.Wants("id-b", "b"));
    EXPECT_FALSE(e.Wants("id-c", "c"));
}

// The specification's example, verbatim apart from comments: an event_count correlation
// chained into a temporal_ordered one.
constexpr const char* kFailedThenSuccess = R"(
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
status: experimental
description: Detects multiple failed logins by a single user followed by a successful login of that user
references:
    - https://reference.com
author: Florian Roth (Nextron Systems)
date: 2023-06-16
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
falsepositives:
    - Unlikely
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
description: Detects multiple failed logins within a certain amount of time
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
description: Detects a successful login
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
)";

const KnownRules kLoginRules = {{"53ba33fd-3a50-4468-a5ef-c583635cfa92", "failed_login"},
                                {"4d0a2c83-c62c-4ed4-b475-c7e23a9269b8", "successful_login"}};

TEST(Correlation, SpecExampleFailedLoginsFollowedBySuccess) {
    config::Diagnostics d;
    auto e = BuildEngine(kFailedThenSuccess, kLoginRules, d);
    ASSERT_EQ(e.size(), 2u) << Codes(d);
    EXPECT_EQ(d.items().size(), 0u) << Codes(d);
    const CorrelationRule& outer = e.rules()[0];
    EXPECT_EQ(outer.meta.level, Level::kHigh);
    EXPECT_EQ(outer.type, CorrelationType::kTemporalOrdered);
    EXPECT_EQ(outer.condition.gte, 2);

    // Both base rules and the inner correlation are hidden (generate defaults to false).
    EXPECT_TRUE(e.Suppresses("53ba33fd-3a50-4468-a5ef-c583635cfa92", "failed_login"));
    EXPECT_TRUE(e.Suppresses("4d0a2c83-c62c-4ed4-b475-c7e23a9269b8", "successful_login"));
    EXPECT_TRUE(e.Suppresses("a8418a5a-5fc4-46b5-b23b-6c73beb19d41", "multiple_failed_login"));
    EXPECT_FALSE(e.Suppresses("b180ead8-d58f-40b2-ae54-c8940995b9b6", ""));

    auto failed = [&](int64_t t, const char* user, uint64_t seq = 0) {
        std::vector<CorrelationHit> hits;
        e.OnMatch("53ba33fd-3a50-4468-a5ef-c583635cfa92", "failed_login",
                  Ev(t, {{"User", user}, {"EventID", "4625"}}, seq), hits);
        return hits;
    };
    auto success = [&](int64_t t, const char* user, uint64_t seq = 0) {
        std::vector<CorrelationHit> hits;
        e.OnMatch("4d0a2c83-c62c-4ed4-b475-c7e23a9269b8", "successful_login",
                  Ev(t, {{"User", user}, {"EventID", "4624"}}, seq), hits);
        return hits;
    };

    // A successful login before the failures does not count as "followed by".
    EXPECT_TRUE(success(0, "admin").empty());
    for (int i = 0; i < 9; ++i) EXPECT_TRUE(failed(10 + i, "admin", 100 + i).empty());
    EXPECT_TRUE(failed(20, "bob").empty());  // other users are separate groups

    // The tenth failure fires the inner correlation only.
    auto inner = failed(30, "admin", 109);
    ASSERT_EQ(inner.size(), 1u);
    EXPECT_EQ(inner[0].rule, &e.rules()[1]);
    EXPECT_EQ(inner[0].value, 10);
    EXPECT_EQ(inner[0].first_ns, 10 * kSec);
    EXPECT_EQ(inner[0].group, (Fields{{"User", "admin"}}));

    EXPECT_TRUE(success(40, "bob").empty());
    auto outer_hits = success(50, "admin", 500);
    ASSERT_EQ(outer_hits.size(), 1u);
    EXPECT_EQ(outer_hits[0].rule, &e.rules()[0]);
    EXPECT_EQ(outer_hits[0].first_ns, 30 * kSec);  // when the inner correlation fired
    EXPECT_EQ(outer_hits[0].last_ns, 50 * kSec);
    EXPECT_EQ(outer_hits[0].group, (Fields{{"User", "admin"}}));
    EXPECT_EQ(outer_hits[0].event_sequences, (std::vector<uint64_t>{109, 500}));
}

TEST(Correlation, SpecExampleSuccessTooLateDoesNotFire) {
    config::Diagnostics d;
    auto e = BuildEngine(kFailedThenSuccess, kLoginRules, d);
    std::vector<CorrelationHit> hits;
    for (int i = 0; i < 10; ++i) {
        e.OnMatch("", "failed_login", Ev(i, {{"User", "admin"}}), hits);
    }
    ASSERT_EQ(hits.size(), 1u);  // the inner correlation
    hits.clear();
    e.OnMatch("", "successful_login", Ev(9 + 601, {{"User", "admin"}}), hits);
    EXPECT_TRUE(hits.empty());
}

TEST(Correlation, ChainedCountOverACorrelationsHits) {
    config::Diagnostics d;
    auto e = BuildEngine(R"(title: bursts
id: burst-id
correlation: {type: event_count, rules: [deny], group-by: [Src], timespan: 1m,
              condition: {gte: 2}}
---
title: repeated bursts
correlation:
    type: event_count
    rules: [burst-id]
    group-by: [Src]
    timespan: 1h
    condition: {gte: 2}
)",
                         {{"", "deny"}}, d);
    ASSERT_EQ(e.size(), 2u) << Codes(d);
    EXPECT_TRUE(e.Wants("burst-id", ""));
    const Fields src{{"Src", "1.1.1.1"}};
    std::vector<CorrelationHit> hits;
    for (int i = 0; i < 4; ++i) e.OnMatch("", "deny", Ev(i * 600, src), hits);
    ASSERT_EQ(hits.size(), 0u);  // 10 minutes apart: never two within a minute
    for (int i = 0; i < 4; ++i) e.OnMatch("", "deny", Ev(3000 + i, src), hits);
    // Two bursts (events 1-2, 3-4); the second also fires the outer correlation.
    ASSERT_EQ(hits.size(), 3u);
    EXPECT_EQ(hits[0].rule->meta.title, "bursts");
    EXPECT_EQ(hits[1].rule->meta.title, "bursts");
    EXPECT_EQ(hits[2].rule->meta.title, "repeated bursts");
    EXPECT_EQ(hits[2].first_ns, 3001 * kSec);
    EXPECT_EQ(hits[2].last_ns, 3003 * kSec);
    EXPECT_EQ(hits[2].group, src);
}

TEST(Correlation, ExpireDropsIdleGroups) {
    config::Diagnostics d;
    auto e = BuildEngine(kEventCount, {{"5638f7c0-ac70-491d-8465-2a65075e0d86", "failed"}}, d);
    EXPECT_TRUE(Match(e, "failed", Ev(0, {{"ComputerName", "a"}})).empty());
    EXPECT_TRUE(Match(e, "failed", Ev(1000, {{"ComputerName", "b"}})).empty());
    EXPECT_EQ(e.group_count(), 2u);
    e.Expire(3600 * kSec);  // "a" is exactly 1 h old: kept
    EXPECT_EQ(e.group_count(), 2u);
    e.Expire(3601 * kSec);
    EXPECT_EQ(e.group_count(), 1u);
    e.Expire(5000 * kSec);
    EXPECT_EQ(e.group_count(), 0u);
    // "b"'s earlier event is gone with its group.
    EXPECT_TRUE(Match(e, "failed", Ev(5001, {{"ComputerName", "b"}})).empty());
    EXPECT_TRUE(Match(e, "failed", Ev(5002, {{"ComputerName", "b"}})).empty());
    EXPECT_EQ(Match(e, "failed", Ev(5003, {{"ComputerName", "b"}})).size(), 1u);
}

// A count of rule a's events per Src over a day, firing at `gte`.
CorrelationEngine CountPerSource(int gte) {
    config::Diagnostics d;
    return BuildEngine(R"(title: t
correlation: {type: event_count, rules: [a], group-by: [Src], timespan: 1d,
              condition: {gte: )" +
                           std::to_string(gte) + R"(}}
)",
                       {{"", "a"}}, d);
}

// A spray of one-off source addresses at the group cap pushes out the groups matched once,
// not one an attack is building up: four failures from one address, 150,000 from others (more
// than the cap), then a fifth still raise the detection.
TEST(Correlation, ASprayOfOneOffValuesDoesNotEvictAGroupBeingBuiltUp) {
    auto e = CountPerSource(5);
    event::Event ev;
    std::vector<CorrelationHit> hits;
    int64_t t = 0;
    auto match = [&](const std::string& src) {
        ev.Clear();
        ev.Add("Src", src);
        ev.time_ns = ++t;
        e.OnMatch("", "a", ev, hits);
    };
    for (int attempt = 0; attempt < 4; ++attempt) match("198.51.100.7");
    for (int i = 0; i < 150000; ++i) match("spray-" + std::to_string(i));
    match("198.51.100.7");
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].group,
              (std::vector<std::pair<std::string, std::string>>{{"Src", "198.51.100.7"}}));
    EXPECT_GT(e.groups_evicted(), 0u);
}

TEST(Correlation, GroupsPerCorrelationAreCapped) {
    auto e = CountPerSource(2);
    event::Event ev;
    std::vector<CorrelationHit> hits;
    for (int i = 0; i <= 100000; ++i) {
        ev.Clear();
        ev.Add("Src", std::to_string(i));
        ev.time_ns = i;
        e.OnMatch("", "a", ev, hits);
    }
    EXPECT_TRUE(hits.empty());
    EXPECT_EQ(e.group_count(), 100000u);
    EXPECT_EQ(e.groups_evicted(), 1u);
    // "2" kept its event; "0" was the least recently updated group and was evicted.
    ev.Clear();
    ev.Add("Src", "2");
    e.OnMatch("", "a", ev, hits);
    EXPECT_EQ(hits.size(), 1u);
    hits.clear();
    ev.Clear();
    ev.Add("Src", "0");
    e.OnMatch("", "a", ev, hits);
    EXPECT_TRUE(hits.empty());
}

TEST(Correlation, GroupsUnderChurnBehaveAsASegmentedLruOfCounts) {
    // A spray of keys (a scan from many addresses): groups are created, reset by their hits
    // and evicted at the cap for most events. The engine's hits must be those of a plain
    // model: per-key counts capped at 100,000 groups, a key's count firing at 3 and starting
    // over; at the cap the least recently updated group matched only once goes, and one
    // matched again only when there is none such.
    auto e = CountPerSource(3);
    struct Entry {
        std::string key;
        int count = 0;
        bool kept = false;
    };
    std::list<Entry> lru, kept;  // least recently updated first
    std::unordered_map<std::string, std::list<Entry>::iterator> where;
    uint64_t expected_evictions = 0;
    uint64_t x = 88172645463325252ull;  // xorshift: the same sequence on every run
    event::Event ev;
    std::vector<CorrelationHit> hits;
    size_t expected_hits = 0;
    for (int i = 0; i < 400000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Mostly keys out of 400,000 (more than the cap holds), some hot ones out of 50.
        const std::string key =
            (x % 4 == 0) ? "hot" + std::to_string(x % 50) : std::to_string(x % 400000);
        ev.Clear();
        ev.Add("Src", key);
        ev.time_ns = i;
        const size_t before = hits.size();
        e.OnMatch("", "a", ev, hits);
        // The model.
        auto it = where.find(key);
        if (it == where.end()) {
            if (where.size() == 100000) {
                ++expected_evictions;
                std::list<Entry>& from = lru.empty() ? kept : lru;
                where.erase(from.front().key);
                from.pop_front();
            }
            lru.push_back({key, 0, false});
            it = where.emplace(key, std::prev(lru.end())).first;
        } else {
            kept.splice(kept.end(), it->second->kept ? kept : lru, it->second);
            it->second->kept = true;
        }
        if (++it->second->count == 3) {
            ++expected_hits;
            (it->second->kept ? kept : lru).erase(it->second);
            where.erase(it);
            ASSERT_EQ(hits.size(), before + 1) << "event " << i << " key " << key;
            ASSERT_EQ(hits.back().group,
                      (std::vector<std::pair<std::string, std::string>>{{"Src", key}}));
        } else {
            ASSERT_EQ(hits.size(), before) << "event " << i << " key " << key;
        }
    }
    EXPECT_EQ(hits.size(), expected_hits);
    EXPECT_EQ(e.group_count(), where.size());
    EXPECT_EQ(e.groups_evicted(), expected_evictions);
    EXPECT_GT(expected_evictions, 90000u);
    // Once the spray has aged out, its groups' index is given back too (the table was 262,144
    // slots, 4 MiB, at the cap).
    EXPECT_GE(e.group_index_slots(), 2 * e.group_count());
    e.Expire(400000 + 86400LL * 1000000000LL);
    EXPECT_EQ(e.group_count(), 0u);
    EXPECT_LE(e.group_index_slots(), 16u);
    // The shrunken index still finds its groups.
    hits.clear();
    for (int i = 0; i < 3000; ++i) {
        ev.Clear();
        ev.Add("Src", "after" + std::to_string(i % 1000));
        ev.time_ns = 500000 + 86400LL * 1000000000LL + i;
        e.OnMatch("", "a", ev, hits);
    }
    EXPECT_EQ(hits.size(), 1000u);
    EXPECT_EQ(e.group_count(), 0u);
}

}  // namespace
}  // namespace vigil::detect
