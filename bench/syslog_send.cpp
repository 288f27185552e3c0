// The benchmark sender: N syslog messages over TCP to 127.0.0.1:PORT as fast as the receiver
// takes them, from C connections, newline- or octet-count-framed. The message set is a mix of
// what a security team's syslog carries (bench/syslog_mix.h).
//
//   vigil_syslog_send PORT COUNT [CONNECTIONS] [lf|octet] [--seconds S] [--numbered] [--kind K]
//
// Messages 0..N-1 are handed out in blocks of 1,024 to the connections, so whatever stops the
// sender, what was sent is a contiguous range. COUNT 0 with --seconds: no count limit. With
// --seconds, each connection takes no new block after S seconds; a block taken is written whole.
// --numbered ends message i with " seqno=i" (the overload benchmark checks loss and duplicates
// with it). --kind K sends only kind K (bench/syslog_mix.h, KindMessage: 0-5 the mix's own
// kinds, 6-10 CEF, LEEF, FortiGate key=value, Suricata EVE and Winlogbeat JSON; every message
// still distinct): one source's stream of one shape.
//
// Prints "sent N messages (B bytes) in S s: R messages/s" once every byte is written (send()
// returned for all of it); N is then exactly messages 0..N-1.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "syslog_mix.h"

int main(int argc, char** argv) {
    std::vector<std::string> pos;
    double seconds = 0;
    bool numbered = false;
    int kind = -1;  // -1: the whole mix
    for (int a = 1; a < argc; ++a) {
        if (std::strcmp(argv[a], "--seconds") == 0 && a + 1 < argc) {
            seconds = std::atof(argv[++a]);
        } else if (std::strcmp(argv[a], "--kind") == 0 && a + 1 < argc) {
            char* end = nullptr;
            kind = static_cast<int>(std::strtol(argv[++a], &end, 10));
            if (end == argv[a] || *end != '\0') kind = -2;  // not a number: the usage below
        } else if (std::strcmp(argv[a], "--numbered") == 0) {
            numbered = true;
        } else {
            pos.emplace_back(argv[a]);
        }
    }
    if (pos.size() < 2 || (std::strtoull(pos[1].c_str(), nullptr, 10) == 0 && seconds <= 0) ||
        kind < -1 || kind >= vigil::bench::kKinds || (numbered && kind >= 9)) {
        std::fprintf(
            stderr,
            "usage: vigil_syslog_send PORT COUNT [CONNECTIONS] [lf|octet] [--seconds S] "
            "[--numbered] [--kind 0-10]\n       (COUNT 0 needs --seconds; --numbered appends to "
            "the line, so not with the JSON kinds 9 and 10)\n");
        return 2;
    }
    const int port = std::atoi(pos[0].c_str());
    uint64_t count = std::strtoull(pos[1].c_str(), nullptr, 10);
    if (count == 0) count = UINT64_MAX;
    const int conns = pos.size() > 2 ? std::max(1, std::atoi(pos[2].c_str())) : 1;
    const bool octet = pos.size() > 3 && pos[3] == "octet";
    constexpr uint64_t kBlock = 1024;
    std::atomic<uint64_t> next_block{0};
    std::atomic<uint64_t> sent{0};
    std::vector<std::thread> threads;
    std::vector<uint64_t> bytes(static_cast<size_t>(conns), 0);
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(seconds > 0 ? seconds : 1e9));
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
            while (std::chrono::steady_clock::now() < deadline) {
                const uint64_t first = next_block.fetch_add(kBlock);
                if (first >= count) break;
                const uint64_t end = std::min(count, first + kBlock);
                for (uint64_t i = first; i < end; ++i) {
                    std::string m = kind < 0 ? vigil::bench::SyslogMessage(i)
                                             : vigil::bench::KindMessage(kind, i);
                    if (numbered) m += " seqno=" + std::to_string(i);
                    if (octet) {
                        buf += std::to_string(m.size()) + " " + m;
                    } else {
                        buf += m + "\n";
                    }
                }
                flush();
                sent += end - first;
            }
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
                static_cast<unsigned long long>(sent.load()),
                static_cast<unsigned long long>(total), secs,
                static_cast<double>(sent.load()) / secs);
    return 0;
}
