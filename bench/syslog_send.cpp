// The benchmark sender: N syslog messages over TCP to 127.0.0.1:PORT as fast as the receiver
// takes them, from C connections, newline- or octet-count-framed. The message set is a mix of
// what a security team's syslog carries (sshd, sudo, kernel firewall, auditd, web access,
// RFC 5424 application logs), ~180 bytes each, every message distinct.
//
//   vigil_syslog_send PORT COUNT [CONNECTIONS] [lf|octet]
//
// Prints "sent N messages (B bytes) in S s: R messages/s".
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace {

std::string Message(uint64_t i) {
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

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: vigil_syslog_send PORT COUNT [CONNECTIONS] [lf|octet]\n");
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const uint64_t count = std::strtoull(argv[2], nullptr, 10);
    const int conns = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;
    const bool octet = argc > 4 && std::string(argv[4]) == "octet";
    std::vector<std::thread> threads;
    std::vector<uint64_t> bytes(static_cast<size_t>(conns), 0);
    const auto start = std::chrono::steady_clock::now();
    for (int c = 0; c < conns; ++c) {
        threads.emplace_back([&, c] {
            int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(static_cast<uint16_t>(port));
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
                std::perror("connect");
                std::exit(1);
            }
            std::string buf;
            auto flush = [&] {
                size_t off = 0;
                while (off < buf.size()) {
                    ssize_t n = ::send(fd, buf.data() + off, buf.size() - off, MSG_NOSIGNAL);
                    if (n <= 0) {
                        std::perror("send");
                        std::exit(1);
                    }
                    off += static_cast<size_t>(n);
                }
                bytes[static_cast<size_t>(c)] += buf.size();
                buf.clear();
            };
            for (uint64_t i = static_cast<uint64_t>(c); i < count;
                 i += static_cast<uint64_t>(conns)) {
                const std::string m = Message(i);
                if (octet) {
                    buf += std::to_string(m.size()) + " " + m;
                } else {
                    buf += m + "\n";
                }
                if (buf.size() > 256 * 1024) flush();
            }
            flush();
            ::shutdown(fd, SHUT_WR);
            char sink[256];
            while (::recv(fd, sink, sizeof(sink), 0) > 0) {
            }
            ::close(fd);
        });
    }
    for (auto& t : threads) t.join();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    uint64_t total = 0;
    for (auto b : bytes) total += b;
    std::printf("sent %llu messages (%llu bytes) in %.2f s: %.0f messages/s\n",
                static_cast<unsigned long long>(count), static_cast<unsigned long long>(total),
                secs, static_cast<double>(count) / secs);
    return 0;
}
