#include "detect/pipeline.h"

#include <gtest/gtest.h>

#include "base/strings.h"

namespace vigil::detect {
namespace {

event::Event Fields(std::initializer_list<std::pair<const char*, const char*>> fields) {
    event::Event ev;
    for (const auto& [k, v] : fields) ev.Add(k, v);
    return ev;
}

Pipeline Builtin() {
    Pipeline p;
    config::Diagnostics d;
    for (const auto& [name, yaml] : BuiltinPipelines()) EXPECT_TRUE(p.LoadString(yaml, name, d));
    EXPECT_EQ(d.items().size(), 0u);
    return p;
}

TEST(Pipeline, EvtxDumpShapeBecomesSigmaNamesAndRoutes) {
    Pipeline p = Builtin();
    auto ev =
        Fields({{"Event.System.Provider.#attributes.Name", "Microsoft-Windows-Sysmon"},
                {"Event.System.EventID", "13"},
                {"Event.System.Channel", "Microsoft-Windows-Sysmon/Operational"},
                {"Event.System.TimeCreated.#attributes.SystemTime", "2026-11-20T04:22:31.120000Z"},
                {"Event.EventData.TargetObject", "HKLM\\Software\\x"},
                {"Event.EventData.Threat Name", "EICAR"}});
    p.Apply(ev);
    EXPECT_EQ(ev.Get("Provider_Name"), "Microsoft-Windows-Sysmon");
    EXPECT_EQ(ev.Get("EventID"), "13");
    EXPECT_EQ(ev.Get("TargetObject"), "HKLM\\Software\\x");
    EXPECT_EQ(ev.Get("ThreatName"), "EICAR") << "spaces are dropped from event data names";
    EXPECT_EQ(ev.logsource.product, "windows");
    EXPECT_EQ(ev.logsource.service, "sysmon");
    EXPECT_TRUE(ev.logsource.HasCategory("registry_set"));
    EXPECT_TRUE(ev.logsource.HasCategory("registry_event"));
    EXPECT_EQ(FormatTimestamp(ev.time_ns), "2026-11-20T04:22:31.120Z");
}

TEST(Pipeline, WinlogbeatShape) {
    Pipeline p = Builtin();
    auto ev = Fields({{"winlog.channel", "Security"},
                      {"winlog.event_id", "4625"},
                      {"winlog.event_data.TargetUserName", "root"}});
    p.Apply(ev);
    EXPECT_EQ(ev.Get("TargetUserName"), "root");
    EXPECT_EQ(ev.logsource.product, "windows");
    EXPECT_EQ(ev.logsource.service, "security");
}

TEST(Pipeline, Security4688GetsSysmonProcessFieldNames) {
    Pipeline p = Builtin();
    auto ev = Fields({{"Event.System.Channel", "Security"},
                      {"Event.System.EventID", "4688"},
                      {"Event.EventData.NewProcessName", "C:\\Windows\\System32\\cmd.exe"},
                      {"Event.EventData.ParentProcessName", "C:\\Windows\\explorer.exe"},
                      {"Event.EventData.NewProcessId", "0x1a2c"},
                      {"Event.EventData.ProcessId", "0x0f10"}});
    p.Apply(ev);
    EXPECT_TRUE(ev.logsource.HasCategory("process_creation"));
    EXPECT_EQ(ev.Get("Image"), "C:\\Windows\\System32\\cmd.exe");
    EXPECT_EQ(ev.Get("ParentImage"), "C:\\Windows\\explorer.exe");
    EXPECT_EQ(ev.Get("ProcessId"), "0x1a2c") << "renames use the names before the pass";
    EXPECT_EQ(ev.Get("ParentProcessId"), "0x0f10");
    // Another Security event keeps its names.
    auto logon = Fields({{"Event.System.Channel", "Security"},
                         {"Event.System.EventID", "4624"},
                         {"Event.EventData.ProcessId", "0x0f10"}});
    p.Apply(logon);
    EXPECT_EQ(logon.Get("ProcessId"), "0x0f10");
    EXPECT_EQ(logon.Find("ParentProcessId"), -1);
}

TEST(Pipeline, EventsNamingTheirOwnLogsource) {
    Pipeline p = Builtin();
    auto ev = Fields({{"logsource.product", "Linux"},
                      {"logsource.service", "sshd"},
                      {"@timestamp", "2026-11-20T02:14:01Z"}});
    p.Apply(ev);
    EXPECT_EQ(ev.logsource.product, "linux");
    EXPECT_EQ(ev.logsource.service, "sshd");
    EXPECT_NE(ev.time_ns, 0);
}

// A rename to a longer name can move the event's text: the routing values are read after the
// renames (they were views into the old text, and routed a thousand events wrongly).
TEST(Pipeline, RoutingAfterARenameToALongerName) {
    Pipeline p;
    config::Diagnostics d;
    const std::string longer(300, 'n');
    ASSERT_TRUE(p.LoadString("name: t\ntransformations:\n  - rename: {a: " + longer +
                                 "}\nlogsources:\n  - {match: {kind: proc}, product: linux, "
                                 "category: process_creation}\n",
                             "t.yml", d));
    for (int i = 0; i < 1000; ++i) {
        event::Event ev;
        ev.Add("a", "x" + std::to_string(i));
        ev.Add("kind", "proc");
        p.Apply(ev);
        ASSERT_EQ(ev.logsource.product, "linux") << i;
        ASSERT_TRUE(ev.logsource.HasCategory("process_creation")) << i;
        ASSERT_EQ(ev.Get(longer), "x" + std::to_string(i));
    }
}

// An event's time from its time fields: epoch numbers (Zeek's ts in seconds with a fraction,
// pino's time in ms, a timestamp in seconds as a string), the next field by priority when the
// first is not a time, and a time without an offset read in the source's zone.
TEST(Pipeline, EventTimesFromEpochNumbersTheNextFieldAndTheZone) {
    Pipeline p = Builtin();
    const auto time_of = [&](event::Event ev, const TimeZone& zone = {}) {
        p.Apply(ev, zone);
        return ev.time_ns == 0 ? std::string("-") : FormatTimestamp(ev.time_ns);
    };
    EXPECT_EQ(time_of(Fields({{"ts", "1763700000.123456"}})), "2025-11-21T04:40:00.123Z");
    EXPECT_EQ(time_of(Fields({{"time", "1763700000123"}})), "2025-11-21T04:40:00.123Z");
    EXPECT_EQ(time_of(Fields({{"timestamp", "1763700000"}})), "2025-11-21T04:40:00.000Z");
    EXPECT_EQ(time_of(Fields({{"ts", "1763700000123456"}})), "2025-11-21T04:40:00.123Z");
    EXPECT_EQ(time_of(Fields({{"ts", "1763700000123456789"}})), "2025-11-21T04:40:00.123Z");
    // Not times: a small number, a fraction of ns, text.
    EXPECT_EQ(time_of(Fields({{"time", "4242"}})), "-");
    EXPECT_EQ(time_of(Fields({{"ts", "1763700000123456789.5"}})), "-");
    EXPECT_EQ(time_of(Fields({{"time", "yesterday"}})), "-");
    // "@timestamp" comes first, but one that is not a time gives way to "ts".
    EXPECT_EQ(time_of(Fields({{"@timestamp", "n/a"}, {"ts", "1763700000"}})),
              "2025-11-21T04:40:00.000Z");
    EXPECT_EQ(time_of(Fields({{"ts", "1763700000"}, {"@timestamp", "2026-11-20T02:14:01Z"}})),
              "2026-11-20T02:14:01.000Z");
    // NXLog's EventTime is the sender's local time without an offset.
    const TimeZone plus8 = *TimeZone::Parse("+08:00");
    EXPECT_EQ(time_of(Fields({{"EventTime", "2026-11-20 10:14:01"}}), plus8),
              "2026-11-20T02:14:01.000Z");
    EXPECT_EQ(time_of(Fields({{"@timestamp", "2026-11-20T02:14:01Z"}}), plus8),
              "2026-11-20T02:14:01.000Z");
    // A Sysmon event from NXLog has both: Sysmon's UtcTime is UTC (in any source's zone) and
    // comes first.
    for (const TimeZone& zone : {TimeZone{}, plus8}) {
        EXPECT_EQ(time_of(Fields({{"EventTime", "2026-11-20 10:40:01"},
                                  {"UtcTime", "2026-11-20 02:40:01.120"},
                                  {"Channel", "Microsoft-Windows-Sysmon/Operational"}}),
                          zone),
                  "2026-11-20T02:40:01.120Z")
            << zone.Name();
    }
}

// Names and routing values come from the events, as long as a frame: past a length they are
// mapped and routed for their event without being cached (the caches stay small however many
// distinct long names a sender makes), with the same result as short ones.
TEST(Pipeline, LongNamesAndRoutingValuesAreMappedLikeShortOnes) {
    Pipeline p = Builtin();
    for (int i = 0; i < 3; ++i) {
        const std::string long_service = "svc" + std::string(600, 'x') + std::to_string(i);
        const std::string long_name = std::string(200, 'k') + std::to_string(i);
        auto ev = Fields({{"logsource.product", "Linux"},
                          {"logsource.service", long_service.c_str()},
                          {long_name.c_str(), "v"},
                          {"@timestamp", "2026-11-20T02:14:01Z"}});
        p.Apply(ev);
        EXPECT_EQ(ev.logsource.product, "linux");
        EXPECT_EQ(ev.logsource.service, AsciiLower(long_service));
        EXPECT_NE(ev.time_ns, 0);
        EXPECT_EQ(ev.Get(long_name), "v");
    }
    const std::string long_id = std::string(300, 'E') + "ventID";
    auto win = Fields({{"Channel", "Security"}, {long_id.c_str(), "4625"}});
    p.Apply(win);
    EXPECT_EQ(win.logsource.product, "windows");
}

TEST(Pipeline, ConfiguredLogsourceWins) {
    Pipeline p = Builtin();
    auto ev = Fields({{"Channel", "Security"}});
    ev.logsource.service = "custom";
    p.Apply(ev);
    EXPECT_EQ(ev.logsource.service, "custom");
    EXPECT_EQ(ev.logsource.product, "windows");
}

TEST(Pipeline, UserPipelineTransformationsInOrder) {
    Pipeline p;
    config::Diagnostics d;
    ASSERT_TRUE(p.LoadString(R"(
transformations:
  - strip_prefix: ["app.*."]
  - replace: {from: "-", to: "_"}
  - rename: {user_name: User}
timestamp: [ts]
logsources:
  - match: {kind: [login, LOGOUT]}
    product: myapp
    category: authentication
)",
                             "my.yml", d));
    auto ev = Fields({{"app.v2.user-name", "alice"}, {"kind", "Logout"}, {"ts", "2026-01-02"}});
    p.Apply(ev);
    EXPECT_EQ(ev.Get("User"), "alice");
    EXPECT_EQ(ev.logsource.product, "myapp");
    EXPECT_TRUE(ev.logsource.HasCategory("authentication"));
    EXPECT_EQ(FormatTimestamp(ev.time_ns), "2026-01-02T00:00:00.000Z");
}

TEST(Pipeline, BadPipelinesAreReportedWithPositions) {
    Pipeline p;
    config::Diagnostics d;
    auto st = p.LoadString(R"(
transformations:
  - explode: [x]
logsources:
  - match: {a: b}
)",
                           "bad.yml", d);
    ASSERT_FALSE(st);
    ASSERT_EQ(d.errors(), 2u);
    EXPECT_EQ(d.items()[0].ToString(),
              "bad.yml:3:5: error[bad-transformation]: unknown transformation 'explode' "
              "(strip_prefix: [..], replace: {from, to}, rename: {..})");
    EXPECT_EQ(d.items()[1].code, "bad-logsource");
    EXPECT_EQ(d.items()[1].line, 5);
    config::Diagnostics d2;
    EXPECT_FALSE(p.LoadString("a: [", "syntax.yml", d2));
    EXPECT_EQ(d2.items()[0].code, "yaml-syntax");
}

}  // namespace
}  // namespace vigil::detect
