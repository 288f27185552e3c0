// Log line decoder throughput on one core: each decoder on a generated mix of its own lines
// (named decoder, no detection), the auto-detecting front door on a mix of every format, and
// auditd record grouping.
//
//   build/release/bench/vigil_bench --benchmark_filter=Decode --benchmark_counters_tabular=true

#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "event/event.h"
#include "parse/decode.h"

namespace vigil {
namespace {

using parse::Format;

constexpr int64_t kNow = 1795176000LL * 1000000000LL;  // 2026-11-20T12:00:00Z
constexpr size_t kLines = 4096;

std::string Ip(size_t i) {
    return "203.0." + std::to_string(113 + i % 3) + "." + std::to_string(1 + i * 7 % 250);
}

// Lines of one format, varied so that caches and branch predictors see realistic data.
std::vector<std::string> Lines(Format f) {
    static const char* kUsers[] = {"root", "alice", "deploy", "oracle", "admin", "backup"};
    std::vector<std::string> out;
    for (size_t i = 0; i < kLines; ++i) {
        const std::string user = kUsers[i % 6], ip = Ip(i), n = std::to_string(i);
        const std::string ts =
            "Nov 20 02:" + std::to_string(10 + i % 50) + ":" + std::to_string(10 + i % 49);
        switch (f) {
            case Format::kSyslog:
                out.push_back(i % 2 ? "<38>" + ts + " bank-web-01 sshd[" + n +
                                          "]: Failed password for " + user + " from " + ip +
                                          " port " + std::to_string(40000 + i) + " ssh2"
                                    : "<14>1 2026-11-20T02:14:01." + n + "Z app-07 billing " + n +
                                          " TX [meta@1 id=\"" + n + "\" user=\"" + user +
                                          "\"] payment batch closed with 12 items");
                break;
            case Format::kCef:
                out.push_back("CEF:0|Acme|Edge WAF|3.1|9421" + std::to_string(i % 10) +
                              "|SQL injection blocked|8|src=" + ip +
                              " dst=198.51.100.7 spt=" + std::to_string(40000 + i) +
                              " dpt=443 request=https://shop.example/find?q\\=" + n +
                              " act=blocked cs1Label=Policy cs1=strict rt=1795000000" + n);
                break;
            case Format::kLeef:
                out.push_back("LEEF:2.0|Acme|IDS|2.0|login|^|src=" + ip + "^usrName=" + user +
                              "^result=fail^devTime=1795000000000^sev=" + std::to_string(i % 10));
                break;
            case Format::kKv:
                out.push_back(
                    "date=2026-11-20 time=05:10:00 devname=\"FG-HQ\" devid=\"FG100F\" "
                    "logid=\"0100032001\" type=\"event\" subtype=\"system\" user=\"" +
                    user + "\" srcip=" + ip + " msg=\"Administrator " + user +
                    " logged in successfully\"");
                break;
            case Format::kAccess:
                out.push_back(ip + " - - [20/Nov/2026:03:01:" + std::to_string(10 + i % 49) +
                              " +0800] \"GET /products/" + n + "?page=" + std::to_string(i % 9) +
                              "&sort=price HTTP/1.1\" 200 " + std::to_string(500 + i) +
                              " \"https://shop.example/\" \"Mozilla/5.0 (X11; Linux x86_64) "
                              "Firefox/130.0\"");
                break;
            case Format::kAuth:
                out.push_back(i % 3 == 0 ? "Accepted publickey for " + user + " from " + ip +
                                               " port " + n + " ssh2: ED25519 SHA256:abc" + n
                              : i % 3 == 1 ? "pam_unix(sshd:auth): authentication failure; "
                                             "logname= uid=0 euid=0 tty=ssh ruser= rhost=" +
                                                 ip + "  user=" + user
                                           : "Failed password for invalid user " + user + " from " +
                                                 ip + " port " + n + " ssh2");
                break;
            case Format::kAuditd:
                out.push_back(i % 2 ? "type=EXECVE msg=audit(1795000000.120:" + n +
                                          "): argc=3 a0=\"chmod\" a1=\"777\" "
                                          "a2=2F746D702F6D7920646972"
                                    : "type=SYSCALL msg=audit(1795000000.120:" + n +
                                          "): arch=c000003e syscall=59 success=yes exit=0 "
                                          "a0=55d0c1a0 a1=55d0c1b0 a2=55d0c1c0 a3=8 items=2 "
                                          "ppid=2001 pid=" +
                                          n +
                                          " auid=1000 uid=0 gid=0 euid=0 tty=pts0 ses=4 "
                                          "comm=\"chmod\" exe=\"/usr/bin/chmod\" key=\"perm\"");
                break;
            case Format::kIptables:
                out.push_back(
                    "[UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:"
                    "08:00 SRC=" +
                    ip + " DST=198.51.100.2 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=" + n +
                    " DF PROTO=TCP SPT=" + std::to_string(40000 + i) +
                    " DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0");
                break;
            case Format::kSuricata:
                out.push_back(
                    R"({"timestamp":"2026-11-20T05:21:00.)" + n + R"(+0000","flow_id":)" + n +
                    R"(,"event_type":"dns","src_ip":")" + ip +
                    R"(","src_port":53000,"dest_ip":"10.0.0.53","dest_port":53,"proto":"UDP","dns":{"type":"query","id":)" +
                    n + R"(,"rrname":"host)" + n + R"(.example.com","rrtype":"A"}})");
                break;
            case Format::kWinJson:
                out.push_back(
                    R"({"@timestamp":"2026-11-20T06:00:00.000Z","winlog":{"channel":"Security","event_id":4625,"computer_name":"WS-)" +
                    n + R"(","event_data":{"TargetUserName":")" + user + R"(","IpAddress":")" + ip +
                    R"(","LogonType":"3","Status":"0xc000006d"}}})");
                break;
            default:
                break;
        }
    }
    return out;
}

void Run(benchmark::State& state, const std::vector<std::string>& lines, Format f) {
    parse::LineDecoder decoder({.now_ns = kNow});
    event::Event ev;
    size_t i = 0, bytes = 0, fields = 0;
    for (auto _ : state) {
        const std::string& line = lines[i++ % lines.size()];
        auto st = decoder.Decode(line, f, ev);
        if (!st) state.SkipWithError(st.error().message.c_str());
        bytes += line.size();
        fields += ev.size();
        benchmark::DoNotOptimize(ev);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
    state.counters["fields/line"] =
        static_cast<double>(fields) / static_cast<double>(std::max<size_t>(1, i));
}

void BM_Decode_Format(benchmark::State& state, Format f) {
    static std::vector<std::vector<std::string>> cache(32);
    auto& lines = cache[static_cast<size_t>(f)];
    if (lines.empty()) lines = Lines(f);
    Run(state, lines, f);
}

BENCHMARK_CAPTURE(BM_Decode_Format, Syslog, Format::kSyslog);
BENCHMARK_CAPTURE(BM_Decode_Format, Cef, Format::kCef);
BENCHMARK_CAPTURE(BM_Decode_Format, Leef, Format::kLeef);
BENCHMARK_CAPTURE(BM_Decode_Format, Kv, Format::kKv);
BENCHMARK_CAPTURE(BM_Decode_Format, Access, Format::kAccess);
BENCHMARK_CAPTURE(BM_Decode_Format, Auth, Format::kAuth);
BENCHMARK_CAPTURE(BM_Decode_Format, Auditd, Format::kAuditd);
BENCHMARK_CAPTURE(BM_Decode_Format, Iptables, Format::kIptables);
BENCHMARK_CAPTURE(BM_Decode_Format, Suricata, Format::kSuricata);
BENCHMARK_CAPTURE(BM_Decode_Format, WinJson, Format::kWinJson);

// The front door: every line detected, on an even mix of all formats.
void BM_Decode_AutoMix(benchmark::State& state) {
    static std::vector<std::string> mix = [] {
        std::vector<std::string> all;
        std::vector<std::vector<std::string>> per;
        for (Format f : {Format::kSyslog, Format::kCef, Format::kLeef, Format::kKv, Format::kAccess,
                         Format::kAuditd, Format::kIptables, Format::kSuricata, Format::kWinJson})
            per.push_back(Lines(f));
        for (size_t i = 0; i < kLines; ++i)
            for (auto& p : per) all.push_back(p[i]);
        return all;
    }();
    Run(state, mix, Format::kAuto);
}
BENCHMARK(BM_Decode_AutoMix);

// auditd records grouped into events (SYSCALL + EXECVE + EOE per event).
void BM_Decode_AuditdAssembler(benchmark::State& state) {
    std::vector<std::string> lines;
    for (size_t i = 0; i < kLines; ++i) {
        const std::string t = "msg=audit(1795000000.120:" + std::to_string(i) + "): ";
        lines.push_back("type=SYSCALL " + t +
                        "arch=c000003e syscall=59 success=yes exit=0 a0=55d0c1a0 items=2 "
                        "ppid=2001 pid=2002 uid=0 comm=\"chmod\" exe=\"/usr/bin/chmod\"");
        lines.push_back("type=EXECVE " + t + "argc=3 a0=\"chmod\" a1=\"777\" a2=\"/tmp/x\"");
        lines.push_back("type=EOE " + t);
    }
    parse::LineDecoder decoder({.now_ns = kNow});
    parse::AuditdAssembler assembler(decoder);
    std::vector<event::Event> out;
    size_t i = 0;
    for (auto _ : state) {
        if (!assembler.Add(lines[i++ % lines.size()], out)) state.SkipWithError("bad record");
        if (out.size() > 64) out.clear();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Decode_AuditdAssembler);

}  // namespace
}  // namespace vigil
