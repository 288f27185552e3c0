// The syslog benchmarks' message set (bench/syslog_send.cpp sends it, bench/serve_path_bench.cpp
// measures vigil serve's per-message work on it): a mix of what a security team's syslog
// carries (sshd, sudo, kernel firewall, web access, RFC 5424 application logs, auditd), ~180
// bytes each, every message distinct.
#pragma once

#include <cstdint>
#include <string>

namespace vigil::bench {

// Message i's source address: spread over 10.0.0.0/8, repeating slowly.
inline std::string MixAddress(uint64_t i) {
    return "10." + std::to_string(i / 250 % 250) + "." + std::to_string(i % 250 + 1) + "." +
           std::to_string((i * 7) % 250 + 1);
}

inline std::string SyslogMessage(uint64_t i) {
    const std::string ip = MixAddress(i);
    switch (i % 6) {
        case 0:
            return "<38>Nov 21 08:15:" + std::to_string(10 + i % 50) + " bastion sshd[" +
                   std::to_string(1000 + i % 30000) + "]: Failed password for invalid user admin" +
                   std::to_string(i % 97) + " from " + ip + " port " +
                   std::to_string(40000 + i % 20000) + " ssh2";
        case 1:
            return "<86>Nov 21 08:15:11 db01 sudo:   alice : TTY=pts/" + std::to_string(i % 9) +
                   " ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart app" +
                   std::to_string(i);
        case 2:
            return "<4>Nov 21 08:15:12 fw01 kernel: [" + std::to_string(100000 + i) +
                   ".123] DROP IN=eth0 OUT= MAC= SRC=" + ip +
                   " DST=192.168.1.10 LEN=60 TOS=0x00 PROTO=TCP SPT=" +
                   std::to_string(1024 + i % 60000) + " DPT=22 WINDOW=64240 SYN";
        case 3:
            return "<190>Nov 21 08:15:13 web01 nginx: " + ip +
                   " - - [21/Nov/2026:08:15:13 +0800] \"GET /search?q=item" + std::to_string(i) +
                   " HTTP/1.1\" 200 " + std::to_string(512 + i % 4096) +
                   " \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"";
        case 4:
            return "<14>1 2026-11-21T08:15:14.123+08:00 app01 payments " +
                   std::to_string(2000 + i % 5000) + " TXN [meta seq=\"" + std::to_string(i) +
                   "\"] transfer " + std::to_string(i) + " approved for account 6222" +
                   std::to_string(100000 + i % 900000);
        default:
            return "<85>Nov 21 08:15:15 app02 audispd: type=EXECVE msg=audit(1763712915.123:" +
                   std::to_string(i) + "): argc=3 a0=\"curl\" a1=\"-s\" a2=\"http://" + ip +
                   "/x.sh\"";
    }
}

// Kinds of message for one source's stream (vigil_syslog_send --kind, BM_ServePathKind): 0-5
// are the mix's own (message i of kind K is the mix's message 6i+K); 6-10 are shapes the mix
// leaves out, as devices send them over syslog.
inline constexpr int kKinds = 11;
inline const char* const kKindNames[kKinds] = {
    "sshd failures",  "sudo",      "kernel firewall", "web access",          "RFC 5424 application",
    "auditd EXECVE",  "CEF (WAF)", "LEEF (IDS)",      "FortiGate key=value", "Suricata EVE alert",
    "Winlogbeat 4625"};

inline std::string KindMessage(int kind, uint64_t i) {
    if (kind < 6) return SyslogMessage(i * 6 + static_cast<uint64_t>(kind));
    const std::string ip = MixAddress(i);
    const std::string n = std::to_string(i);
    static const char* const kUsers[] = {"alice", "bob", "deploy", "oracle", "svc_backup"};
    const std::string user = kUsers[i % 5];
    switch (kind) {
        case 6:
            return "<134>Nov 21 08:15:16 waf01 CEF:0|Acme|Edge WAF|3.1|9421" +
                   std::to_string(i % 10) + "|Request blocked|" + std::to_string(3 + i % 6) +
                   "|src=" + ip + " dst=198.51.100.7 spt=" + std::to_string(40000 + i % 20000) +
                   " dpt=443 request=https://shop.example/find?q\\=item" + n +
                   " act=blocked cs1Label=Policy cs1=strict rt=1795000000" +
                   std::to_string(100 + i % 900);
        case 7:
            return "<134>Nov 21 08:15:16 ids01 LEEF:2.0|Acme|IDS|2.0|login|^|src=" + ip +
                   "^usrName=" + user + "^result=" + (i % 3 ? "fail" : "success") +
                   "^devTime=1795000000" + std::to_string(100 + i % 900) +
                   "^sev=" + std::to_string(i % 10);
        case 8:
            return "<189>date=2026-11-21 time=08:15:" + std::to_string(10 + i % 50) +
                   " devname=\"FG-HQ\" devid=\"FG100F\" logid=\"0000000013\" type=\"traffic\" "
                   "subtype=\"forward\" srcip=" +
                   ip + " srcport=" + std::to_string(40000 + i % 20000) +
                   " dstip=198.51.100.9 dstport=443 proto=6 action=\"" +
                   (i % 4 ? "accept" : "deny") + "\" policyid=" + std::to_string(1 + i % 40) +
                   " sentbyte=" + std::to_string(500 + i % 9000) + " sessionid=" + n;
        case 9:
            return "<134>Nov 21 08:15:16 ids02 suricata[2211]: "
                   "{\"timestamp\":\"2026-11-21T08:15:16.123+0000\",\"flow_id\":" +
                   n + ",\"event_type\":\"alert\",\"src_ip\":\"" + ip +
                   "\",\"src_port\":" + std::to_string(40000 + i % 20000) +
                   ",\"dest_ip\":\"10.0.0.5\",\"dest_port\":80,\"proto\":\"TCP\","
                   "\"alert\":{\"action\":\"allowed\",\"signature_id\":" +
                   std::to_string(2019401 + i % 50) +
                   ",\"signature\":\"ET POLICY suspicious User-Agent\",\"category\":"
                   "\"Attempted Information Leak\",\"severity\":2}}";
        default:
            return "<134>Nov 21 08:15:16 wec01 winlogbeat: "
                   "{\"@timestamp\":\"2026-11-21T08:15:16.000Z\",\"winlog\":{\"channel\":"
                   "\"Security\",\"event_id\":4625,\"computer_name\":\"WS-" +
                   std::to_string(i % 500) + "\",\"event_data\":{\"TargetUserName\":\"" + user +
                   "\",\"IpAddress\":\"" + ip +
                   "\",\"LogonType\":\"3\",\"Status\":\"0xc000006d\"}}}";
    }
}

}  // namespace vigil::bench
