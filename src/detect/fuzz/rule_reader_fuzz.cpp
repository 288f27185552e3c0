// libFuzzer target for the rule path: the input is a Sigma rule file (YAML, possibly several
// documents), loaded and compiled by a detect::Engine, then matched against a few fixed
// events, with the matches of correlated rules fed to a correlation state. Bad rules must
// become diagnostics: nothing may crash, hang or leak, whatever the YAML.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"
#include "detect/correlation.h"
#include "detect/engine.h"
#include "event/event.h"

namespace {

using vigil::event::Event;
using vigil::event::ValueKind;

void Check(bool ok) {
    if (!ok) std::abort();
}

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kBase = 1'700'000'000 * kSecond;

// Events shaped like the ones the seed rules look at, so matching and correlation code runs.
std::vector<Event> MakeEvents() {
    std::vector<Event> out;

    Event proc;
    proc.logsource.product = "windows";
    proc.logsource.service = "sysmon";
    proc.logsource.AddCategory("process_creation");
    proc.Add("EventID", "1", ValueKind::kNumber);
    proc.Add("Image", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe");
    proc.Add("CommandLine", "powershell.exe -nop /enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA");
    proc.Add("ParentImage", "C:\\Windows\\System32\\cmd.exe");
    proc.Add("User", "CORP\\adm_teller");
    proc.Add("Hashes", "SHA256=0F1E2D3C4B5A69788796A5B4C3D2E1F0,IMPHASH=00AA11BB");
    proc.Add("IntegrityLevel", "High");
    out.push_back(std::move(proc));

    Event ssh;
    ssh.logsource.product = "linux";
    ssh.logsource.service = "sshd";
    ssh.Add("host", "bank-web-01");
    ssh.Add("source_ip", "203.0.113.45");
    ssh.Add("port", "52211", ValueKind::kNumber);
    ssh.Add("message", "Failed password for root from 203.0.113.45 port 52211 ssh2");
    ssh.Add("user", "root");
    ssh.Add("user", "oracle");  // a repeated field, as JSON arrays give
    out.push_back(std::move(ssh));

    Event web;
    web.logsource.product = "nginx";
    web.logsource.AddCategory("webserver");
    web.Add("c-ip", "192.0.2.66");
    web.Add("cs-method", "GET");
    web.Add("cs-uri-query", "id=1 UNION SELECT username,password FROM users--");
    web.Add("sc-status", "500", ValueKind::kNumber);
    web.Add("bytes", "1536.5", ValueKind::kNumber);
    web.Add("secure", "false", ValueKind::kBool);
    web.Add("referer", "", ValueKind::kNull);
    out.push_back(std::move(web));

    Event text;  // a text line without logsource: keywords and --match-unrouted
    text.message = "kernel: audit: type=1400 apparmor=\"DENIED\" operation=\"open\" /etc/shadow";
    out.push_back(std::move(text));
    return out;
}

const std::vector<Event>& Events() {
    static const std::vector<Event> events = MakeEvents();
    return events;
}

void Run(std::string_view yaml, bool match_unrouted) {
    vigil::detect::EngineOptions options;
    options.match_unrouted = match_unrouted;
    options.placeholders["Admins"] = {"adm_*", "root"};
    options.placeholders["Servers"] = {"bank-web-01", "hq-dc-01"};
    vigil::detect::Engine engine(std::move(options));
    vigil::config::Diagnostics diags;
    engine.LoadString(yaml, "fuzz.yml", diags);
    if (!engine.Compile(diags)) return;
    for (const auto& d : diags.items()) Check(!d.ToString().empty() && !d.ToJson().empty());

    const size_t rules = engine.rule_count();
    vigil::detect::Matcher matcher(engine);
    vigil::detect::CorrelationEngine state = engine.NewCorrelationState();
    const auto& corr = engine.correlations();
    std::vector<vigil::detect::Match> matches;
    std::vector<vigil::detect::CorrelationHit> hits;
    int64_t t = kBase;
    // Each event several times, seconds apart, so counts and temporal windows can fill up.
    for (int round = 0; round < 3; ++round) {
        for (const Event& fixed : Events()) {
            Event ev = fixed;
            ev.time_ns = t;
            ev.sequence = static_cast<uint64_t>(t / kSecond);
            t += 7 * kSecond;
            matches.clear();
            matcher.Match(ev, matches);
            for (const auto& m : matches) {
                Check(m.rule < rules);
                const auto& info = engine.rule(m.rule);
                Check(!info.is_filter);
                if (!corr.Wants(info.meta.id, info.meta.name)) continue;
                hits.clear();
                state.OnMatch(info.meta.id, info.meta.name, ev, hits);
                for (const auto& h : hits) Check(h.rule != nullptr && h.first_ns <= h.last_ns);
            }
        }
        state.Expire(t);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Rule files are capped at kMaxRuleFileBytes on load; the fuzzer stays far below it.
    std::string_view yaml(reinterpret_cast<const char*>(data), size);
    // The last byte picks the routing mode, so both matcher paths get explored.
    Run(yaml, size > 0 && (data[size - 1] & 1) != 0);
    return 0;
}
