// The syslog benchmarks' message set (bench/syslog_send.cpp sends it, bench/serve_path_bench.cpp
// measures vigil serve's per-message work on it): a mix of what a security team's syslog
// carries (sshd, sudo, kernel firewall, web access, RFC 5424 application logs, auditd), ~180
// bytes each, every message distinct.
#pragma once

#include <cstdint>
#include <string>

namespace vigil::bench {

inline std::string SyslogMessage(uint64_t i) {
    const unsigned a = static_cast<unsigned>(i % 250 + 1), b = static_cast<unsigned>(i / 250 % 250);
    const std::string ip = "10." + std::to_string(b) + "." + std::to_string(a) + "." +
                           std::to_string((i * 7) % 250 + 1);
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

}  // namespace vigil::bench
