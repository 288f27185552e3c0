// Data-driven engine regression cases: every file in tests/cases/*.yml holds rules, events
// and the rule ids each event must fire. One parameterised test runs them all.

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "detect/engine.h"

namespace vigil::detect {
namespace {

namespace fs = std::filesystem;

void Flatten(const YAML::Node& n, const std::string& prefix, event::Event& ev) {
    if (n.IsMap()) {
        for (auto it = n.begin(); it != n.end(); ++it) {
            std::string key = it->first.Scalar();
            Flatten(it->second, prefix.empty() ? key : prefix + "." + key, ev);
        }
    } else if (n.IsSequence()) {
        for (const auto& item : n) Flatten(item, prefix, ev);
    } else if (n.IsNull()) {
        ev.Add(prefix, "", event::ValueKind::kNull);
    } else {
        ev.Add(prefix, n.Scalar());
    }
}

std::vector<std::string> CaseFiles() {
    std::vector<std::string> files;
    for (const auto& e :
         fs::directory_iterator(fs::path(VIGIL_SOURCE_DIR) / "src/detect/tests/cases"))
        if (e.path().extension() == ".yml") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

class EngineCase : public ::testing::TestWithParam<std::string> {};

TEST_P(EngineCase, FiresExactlyTheExpectedRules) {
    YAML::Node root = YAML::LoadFile(GetParam());
    EngineOptions opt;
    if (root["placeholders"]) {
        const YAML::Node placeholders = root["placeholders"];
        for (auto it = placeholders.begin(); it != placeholders.end(); ++it) {
            const YAML::Node values = it->second;
            for (const auto& v : values) opt.placeholders[it->first.Scalar()].push_back(v.Scalar());
        }
    }
    Engine engine(opt);
    config::Diagnostics diags;
    engine.LoadString(root["rules"].Scalar(), GetParam(), diags);
    ASSERT_TRUE(engine.Compile(diags));
    // Expected rejections: rule id -> diagnostic code.
    std::set<std::string> expected_errors, got_errors;
    const YAML::Node rejects = root["rejects"];
    if (rejects)
        for (auto it = rejects.begin(); it != rejects.end(); ++it)
            expected_errors.insert(it->first.Scalar() + ":" + it->second.Scalar());
    for (const auto& d : diags.items())
        if (d.severity == config::Severity::kError) got_errors.insert(d.rule_id + ":" + d.code);
    EXPECT_EQ(got_errors, expected_errors) << [&] {
        std::string s;
        for (const auto& d : diags.items()) s += d.ToString() + "\n";
        return s;
    }();

    // Optional: how many patterns are left to on-demand checks (so a case about them fails
    // when they are scanned for instead).
    if (root["on_demand"]) {
        EXPECT_EQ(engine.stats().patterns_on_demand, root["on_demand"].as<size_t>());
    }

    Matcher matcher(engine);
    int index = 0;
    for (const auto& c : root["events"]) {
        event::Event ev;
        Flatten(c["event"], "", ev);
        if (c["message"]) ev.message = c["message"].Scalar();
        ev.logsource.product = c["product"] ? c["product"].Scalar() : "test";
        if (c["service"]) ev.logsource.service = c["service"].Scalar();
        if (c["category"]) ev.logsource.AddCategory(c["category"].Scalar());
        std::vector<Match> matches;
        matcher.Match(ev, matches);
        std::set<std::string> got, want;
        for (const auto& m : matches) got.insert(engine.rule(m.rule).meta.id);
        for (const auto& f : c["fires"]) want.insert(f.Scalar());
        EXPECT_EQ(got, want) << "event #" << index << " (" << (c["why"] ? c["why"].Scalar() : "")
                             << ")";
        ++index;
    }
}

TEST(EngineDiagnostics, EveryProblemOfARejectedRuleIsReported) {
    Engine engine;
    config::Diagnostics diags;
    engine.LoadString(R"(title: two problems
id: two-problems
logsource: {product: test}
detection:
    selection:
        A|contians: x
    filter:
        B|cidr: 10.0.0.0/99
    condition: selection and not filter
)",
                      "two.yml", diags);
    ASSERT_TRUE(engine.Compile(diags));
    EXPECT_EQ(engine.stats().rules_rejected, 1u);
    ASSERT_EQ(diags.errors(), 2u);
    EXPECT_EQ(diags.items()[0].ToString(),
              "two.yml:6:9: error[unknown-modifier]: unknown modifier 'contians' in 'A|contians'");
    EXPECT_EQ(diags.items()[1].code, "bad-cidr");
    EXPECT_EQ(diags.items()[1].line, 8);
}

TEST(EngineTest, KeywordsFindValuesWhetherOrNotTheyArePiecesOfTheMessage) {
    // The keyword scan leaves out a value that is a verbatim piece of the message (the message
    // is scanned anyway); a value whose recorded offset does not hold it is still scanned.
    Engine engine;
    config::Diagnostics diags;
    engine.LoadString(R"(title: keyword
id: kw
logsource: {product: linux}
detection:
    keywords: ['chmod 4755']
    condition: keywords
)",
                      "kw.yml", diags);
    ASSERT_TRUE(engine.Compile(diags));
    Matcher matcher(engine);
    std::vector<Match> out;
    auto fires = [&](const event::Event& ev) {
        out.clear();
        matcher.Match(ev, out);
        return out.size() == 1;
    };
    const std::string line = "sudo: bob : COMMAND=/bin/CHMOD 4755 /tmp/x";
    event::Event ev;
    ev.logsource.product = "linux";
    ev.message = line;
    const auto at = static_cast<uint32_t>(line.find("/bin/"));
    ev.Add("COMMAND", "/bin/CHMOD 4755 /tmp/x", event::ValueKind::kString, at);
    EXPECT_TRUE(fires(ev));  // found in the message (caseless)

    // Only the value holds the keyword, and its offset points at other text: still scanned.
    event::Event other;
    other.logsource.product = "linux";
    other.message = "sudo: bob : COMMAND=/bin/true";
    other.Add("COMMAND", "/bin/chmod 4755 /tmp/x", event::ValueKind::kString, at);
    EXPECT_TRUE(fires(other));

    event::Event none;
    none.logsource.product = "linux";
    none.message = "sudo: bob : COMMAND=/bin/true";
    none.Add("COMMAND", "/bin/true", event::ValueKind::kString,
             static_cast<uint32_t>(none.message.find("/bin/")));
    EXPECT_FALSE(fires(none));
}

// An engine holding `yaml`'s rules (documents separated by ---), compiled; nullptr when they
// do not compile.
std::unique_ptr<Engine> Compiled(const std::string& yaml) {
    auto engine = std::make_unique<Engine>();
    config::Diagnostics diags;
    engine->LoadString(yaml, "test.yml", diags);
    if (!engine->Compile(diags)) return nullptr;
    return engine;
}

// An event of logsource `ls` with these fields, in this order.
event::Event EventOf(const event::LogSource& ls,
                     const std::vector<std::pair<std::string, std::string>>& fields) {
    event::Event ev;
    ev.logsource = ls;
    for (const auto& [name, value] : fields) ev.Add(name, value);
    return ev;
}

TEST(EngineTest, ValuesWithoutHitsAreAnsweredFromTheCacheToo) {
    // Most of a live stream is benign: its values hit no pattern. A value seen again on the
    // same field is answered from the matcher's cache whether or not it had hits; before, a
    // value without hits was never found in the cache, so each was scanned and inserted again
    // (a web log without any hit took ~7 times the CPU of one with hits).
    auto engine = Compiled(R"(title: web shell
id: ws
logsource: {category: webserver}
detection:
    sel: {cs-uri-query|contains: 'cmd=whoami'}
    condition: sel
)");
    ASSERT_TRUE(engine);
    Matcher matcher(*engine);
    std::vector<Match> out;
    event::LogSource web;
    web.categories = {"webserver"};
    auto query = [&](const std::string& q) { return EventOf(web, {{"cs-uri-query", q}}); };
    // 40,000 events: 20,000 distinct values (fewer than the cache holds before it starts
    // over), then the same values in reverse order; none has a hit.
    for (int i = 0; i < 20000; ++i) matcher.Match(query("q=item" + std::to_string(i)), out);
    for (int i = 20000; i-- > 0;) matcher.Match(query("q=item" + std::to_string(i)), out);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(matcher.values_scanned(), 20000u);  // each scanned once, then cached
    // And a hit is still found, from a scan and from the cache.
    for (int i = 0; i < 2; ++i) {
        out.clear();
        matcher.Match(query("cmd=whoami&x=1"), out);
        EXPECT_EQ(out.size(), 1u);
    }
    EXPECT_EQ(matcher.values_scanned(), 20001u);
}

// A logsource's service can come from the event (a Suricata event_type, a FortiGate type, a
// routed field): a sender making every event's service different must not make the matcher
// keep a view for each. The views held are as many as the distinct routings the rules allow,
// and the rules still fire on each.
TEST(EngineTest, LogsourcesFromTheEventsKeepNoViewEach) {
    auto engine = Compiled(R"(title: eve alert
id: eve
logsource: {product: suricata, service: alert}
detection:
    sel: {signature|contains: 'ET EXPLOIT'}
    condition: sel
---
title: any suricata
id: any
logsource: {product: suricata}
detection:
    sel: {src_ip: '203.0.113.66'}
    condition: sel
)");
    ASSERT_TRUE(engine);
    Matcher matcher(*engine);
    std::vector<Match> out;
    for (int i = 0; i < 20000; ++i) {
        event::LogSource ls;
        ls.product = "suricata";
        ls.service = "type" + std::to_string(i);
        out.clear();
        matcher.Match(EventOf(ls, {{"src_ip", "203.0.113.66"}}), out);
        ASSERT_EQ(out.size(), 1u) << i;
    }
    event::LogSource alert;
    alert.product = "suricata";
    alert.service = "alert";
    out.clear();
    matcher.Match(EventOf(alert, {{"signature", "ET EXPLOIT something"}}), out);
    EXPECT_EQ(out.size(), 1u);
    EXPECT_LE(matcher.views_held(), 2u);
}

// Vectorscan 5.4.9's AVX-512 scanner missed every match starting in the last, partial 64-byte
// block of a value when a database held a few short literals (scanner.h): a path of 68 bytes
// or more ending in ".exe" did not fire `|endswith: ['.exe', '.dll']`, and which did depended
// on memory alignment. Every length, every kind of pattern that goes through the literal and
// regex databases, the match in the last bytes.
TEST(EngineTest, MatchesAtTheEndOfLongValuesAreFound) {
    auto engine = Compiled(R"(title: dropped executable
id: ends
logsource: {product: windows, category: file_event}
detection:
    sel: {TargetFilename|endswith: ['.exe', '.dll']}
    condition: sel
---
title: tool in the command line
id: contains
logsource: {product: windows, category: file_event}
detection:
    sel: {CommandLine|contains: ['-enc', 'iex']}
    condition: sel
---
title: script by regex
id: regex
logsource: {product: windows, category: file_event}
detection:
    sel: {ScriptPath|re: '\.(ps1|vbs)$'}
    condition: sel
---
title: keyword
id: keyword
logsource: {product: windows, category: file_event}
detection:
    keywords: ['mimikatz', 'sekurlsa']
    condition: keywords
)");
    ASSERT_TRUE(engine);
    Matcher matcher(*engine);
    event::LogSource ls;
    ls.product = "windows";
    ls.categories = {"file_event"};
    std::vector<Match> out;
    const auto fired = [&](const std::string& field, const std::string& value) {
        out.clear();
        matcher.Match(EventOf(ls, {{field, value}}), out);
        return out.size();
    };
    for (size_t len = 12; len <= 300; ++len) {
        const std::string pad(len - 8, 'a');
        EXPECT_EQ(fired("TargetFilename", "C:\\" + pad.substr(2) + "x.exe"), 1u) << len;
        EXPECT_EQ(fired("CommandLine", "cmd " + pad.substr(4) + "-enc"), 1u) << len;
        EXPECT_EQ(fired("ScriptPath", "C:\\" + pad.substr(2) + "ab.ps1"), 1u) << len;
        EXPECT_EQ(fired("Message", pad + "mimikatz"), 1u) << len;
    }
}

TEST(EngineTest, ARegexHitIsCachedForEachValueThatHasIt) {
    // An event carries the field twice and both values match the regex: the second value's
    // hits, cached, must hold the regex too, or an event with only that value would miss it.
    auto engine = Compiled(R"(title: encoded
id: enc
logsource: {product: linux}
detection:
    sel: {CommandLine|re: 'base64 +-d'}
    condition: sel
)");
    ASSERT_TRUE(engine);
    Matcher matcher(*engine);
    std::vector<Match> out;
    event::LogSource on_linux;
    on_linux.product = "linux";
    matcher.Match(EventOf(on_linux, {{"CommandLine", "echo x | base64 -d"},
                                     {"CommandLine", "cat y | base64  -d | sh"}}),
                  out);
    EXPECT_EQ(out.size(), 1u);
    out.clear();
    matcher.Match(EventOf(on_linux, {{"CommandLine", "cat y | base64  -d | sh"}}), out);
    EXPECT_EQ(out.size(), 1u);
}

TEST(EngineTest, ARuleIsEvaluatedOnlyWhenItsRarePartIsSeen) {
    // Three auditd rules share "type: EXECVE"; each also needs its own program. An EXECVE of
    // another program evaluates none of them (the trigger of each is the part only it uses),
    // and one of curl evaluates and fires only curl's.
    std::string yaml;
    for (const char* program : {"curl", "wget", "nc"}) {
        yaml += std::string(yaml.empty() ? "" : "---\n") + "title: exec " + program +
                "\nid: exec-" + program + R"(
logsource: {product: linux, service: auditd}
detection:
    sel:
        type: EXECVE
        a0: )" + program +
                R"(
    condition: sel
)";
    }
    auto engine = Compiled(yaml);
    ASSERT_TRUE(engine);
    ASSERT_EQ(engine->rule_count(), 3u);
    Matcher matcher(*engine);
    std::vector<Match> out;
    event::LogSource auditd;
    auditd.product = "linux";
    auditd.service = "auditd";
    auto exec = [&](const std::string& program) {
        return EventOf(auditd, {{"type", "EXECVE"}, {"a0", program}});
    };
    matcher.Match(exec("ls"), out);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(matcher.rules_evaluated(), 0u);
    matcher.Match(exec("curl"), out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(engine->rule(out[0].rule).meta.id, "exec-curl");
    EXPECT_EQ(matcher.rules_evaluated(), 1u);
}

TEST(EngineTest, KeywordGlobsMatchWithinOneValueInTheJoinedScan) {
    // One logsource group with a literal, a wildcard keyword and a cased keyword: the literal
    // and the wildcard are scanned once over the joined values, the cased one value by value.
    // Either way a wildcard spans only one value, as when each value is scanned alone.
    Engine engine;
    config::Diagnostics diags;
    engine.LoadString(R"(title: glob
id: glob
logsource: {product: linux}
detection:
    keywords: ['wget * | sh']
    condition: keywords
---
title: literal
id: literal
logsource: {product: linux}
detection:
    keywords: ['nc -lvp']
    condition: keywords
---
title: cased
id: cased
logsource: {product: linux}
detection:
    keywords:
        '|cased': EVIL
    condition: keywords
)",
                      "kw.yml", diags);
    ASSERT_TRUE(engine.Compile(diags));
    ASSERT_EQ(engine.stats().rules_rejected, 0u) << diags.items().front().ToString();
    Matcher matcher(engine);
    auto fired = [&](const event::Event& ev) {
        std::vector<Match> out;
        matcher.Match(ev, out);
        std::vector<std::string> ids;
        for (const Match& m : out) ids.push_back(engine.rule(m.rule).meta.id);
        std::sort(ids.begin(), ids.end());
        return ids;
    };
    auto make = [](std::string message, std::vector<std::string> values) {
        event::Event ev;
        ev.logsource.product = "linux";
        ev.message = std::move(message);
        for (size_t i = 0; i < values.size(); ++i)
            ev.Add("f" + std::to_string(i), values[i], event::ValueKind::kString, 0xffffffffu);
        return ev;
    };
    using V = std::vector<std::string>;
    // In the message, caseless.
    EXPECT_EQ(fired(make("bash -c WGET http://x/a | SH", {})), V{"glob"});
    // In one value only.
    EXPECT_EQ(fired(make("exec", {"curl", "wget http://x/a | sh"})), V{"glob"});
    // Its two halves in two values: no match, as value by value.
    EXPECT_EQ(fired(make("exec", {"wget http://x/a", " | sh"})), V{});
    // A value holding the separator byte cannot cut the wildcard short.
    EXPECT_EQ(fired(make("exec", {std::string("wget http://x/\x1e") + "a | sh"})), V{"glob"});
    EXPECT_EQ(fired(make(std::string("wget \x1e | sh"), {})), V{"glob"});
    // The literal and the cased keyword beside it.
    EXPECT_EQ(fired(make("x", {"NC -LVP 4444", "EVIL"})), (V{"cased", "literal"}));
    EXPECT_EQ(fired(make("x", {"nc -lvp 4444", "evil"})), V{"literal"});
}

INSTANTIATE_TEST_SUITE_P(Cases, EngineCase, ::testing::ValuesIn(CaseFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = fs::path(info.param).stem().string();
                             for (char& ch : name)
                                 if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return name;
                         });

}  // namespace
}  // namespace vigil::detect
