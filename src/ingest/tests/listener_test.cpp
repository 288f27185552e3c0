// The syslog listeners on real loopback sockets: UDP, TCP with both framings, TLS 1.3 (1.2
// refused), back-pressure without loss, garbage counted, oversized frames cut to their head.
#include "ingest/listener.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "api/certs.h"
#include "api/testing/tls_client.h"

namespace vigil::ingest {
namespace {

using namespace std::chrono_literals;

// A sink that keeps everything, or refuses while `full` is set.
class CollectingSink : public Sink {
public:
    bool Offer(std::vector<RawMessage>& batch) override {
        std::lock_guard lock(mu_);
        if (full) return false;
        for (auto& m : batch) messages.push_back(std::move(m));
        batch.clear();
        cv_.notify_all();
        return true;
    }
    bool WaitFor(size_t n, std::chrono::milliseconds timeout = 5000ms) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, timeout, [&] { return messages.size() >= n; });
    }
    std::vector<std::string> Texts() {
        std::lock_guard lock(mu_);
        std::vector<std::string> out;
        for (const auto& m : messages) out.push_back(m.bytes);
        return out;
    }
    std::atomic<bool> full{false};
    std::vector<RawMessage> messages;

private:
    std::mutex mu_;
    std::condition_variable cv_;
};

void SendAll(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        ASSERT_GT(n, 0);
        off += static_cast<size_t>(n);
    }
}

class ListenerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                         ("vigil-ingest-" + std::to_string(::getpid())));
        std::filesystem::create_directories(*dir_);
        ASSERT_TRUE(api::GenerateSelfSigned("localhost", 2, Cert(), Key()));
    }
    static void TearDownTestSuite() {
        std::filesystem::remove_all(*dir_);
        delete dir_;
    }
    static std::string Cert() { return (*dir_ / "cert.pem").string(); }
    static std::string Key() { return (*dir_ / "key.pem").string(); }

    std::unique_ptr<SyslogListener> Start(ListenerOptions::Kind kind, size_t max_frame = 1024,
                                          bool join_audit = false,
                                          std::chrono::milliseconds audit_wait = 100ms) {
        ListenerOptions o;
        o.join_audit = join_audit;
        o.audit_wait = audit_wait;
        o.source = "test";
        o.kind = kind;
        o.cert_pem_path = Cert();
        o.key_pem_path = Key();
        o.max_frame_bytes = max_frame;
        o.idle_timeout = 3000ms;
        o.handshake_timeout = 2000ms;
        auto l = std::make_unique<SyslogListener>(o, sink_, counters_);
        auto st = l->Start();
        EXPECT_TRUE(st) << st.error().message;
        EXPECT_NE(l->port(), 0);
        return l;
    }

    // A listener of `kind` named "test" with the options set by `set`, started, feeding `sink`
    // (the fixture's when none).
    std::unique_ptr<SyslogListener> StartWith(ListenerOptions::Kind kind,
                                              const std::function<void(ListenerOptions&)>& set,
                                              Sink* sink = nullptr) {
        ListenerOptions o;
        o.source = "test";
        o.kind = kind;
        set(o);
        auto l = std::make_unique<SyslogListener>(o, sink ? *sink : sink_, counters_);
        auto st = l->Start();
        EXPECT_TRUE(st) << st.error().message;
        return l;
    }

    // TLS client: handshake with the versions given, send, close cleanly.
    bool SendTls(uint16_t port, const std::string& data, int max_version = api::testing::kTls13) {
        return api::testing::TlsSend(port, Cert(), data, api::testing::kTls12, max_version);
    }

    static std::filesystem::path* dir_;
    CollectingSink sink_;
    SourceCounters counters_;
};

std::filesystem::path* ListenerTest::dir_ = nullptr;

// Audit records relayed one syslog message each: the records of one event, from one
// connection or one UDP sender, become one message; an event without EOE goes on after
// audit_wait; other messages keep their order.
TEST_F(ListenerTest, AuditRecordsOfOneEventBecomeOneMessage) {
    const std::string h = "<14>Nov 22 10:00:00 db01 audispd: ";
    const std::string a1 = h + "type=SYSCALL msg=audit(1795000000.120:901): syscall=59";
    const std::string a2 = h + "type=EXECVE msg=audit(1795000000.120:901): argc=1 a0=\"id\"";
    const std::string a3 = h + "type=EOE msg=audit(1795000000.120:901): ";
    const std::string b1 = h + "type=USER_LOGIN msg=audit(1795000001.000:902): res=failed";
    auto tcp = Start(ListenerOptions::Kind::kTcp, 1024, /*join_audit=*/true);
    int fd = api::testing::ConnectLoopback(tcp->port(), SOCK_STREAM);
    ASSERT_GE(fd, 0);
    SendAll(fd, a1 + "\n" + a2 + "\n");
    std::this_thread::sleep_for(20ms);  // the event's records in two reads
    SendAll(fd, a3 + "\nplain\n" + b1 + "\n");
    ASSERT_TRUE(sink_.WaitFor(3)) << "the open USER_LOGIN event goes on after audit_wait";
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{a1 + "\n" + a2 + "\n" + a3, "plain", b1}));
    ::close(fd);
    tcp->Stop();

    sink_.messages.clear();
    auto udp = Start(ListenerOptions::Kind::kUdp, 1024, /*join_audit=*/true);
    fd = api::testing::ConnectLoopback(udp->port(), SOCK_DGRAM);
    ASSERT_GE(fd, 0);
    for (const auto& d : {a1, a2, b1}) SendAll(fd, d);
    ASSERT_TRUE(sink_.WaitFor(2));
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{a1 + "\n" + a2, b1}));
    ::close(fd);
}

// One UDP sender more with an open event than the listener keeps (256): only the event that
// has waited longest goes on as it is, counted as cut; every other sender's event stays whole.
TEST_F(ListenerTest, OneUdpSenderTooManyCutsOnlyTheOldestEvent) {
    auto udp = Start(ListenerOptions::Kind::kUdp, 1024, /*join_audit=*/true, 30s);
    auto record = [](int i, const char* type) {
        return "type=" + std::string(type) +
               " msg=audit(1795000000.120:" + std::to_string(1000 + i) + "): x=1";
    };
    std::vector<int> fds;
    for (int i = 0; i < 257; ++i) {
        const int fd = api::testing::ConnectLoopback(udp->port(), SOCK_DGRAM);
        ASSERT_GE(fd, 0);
        fds.push_back(fd);
        SendAll(fd, record(i, "SYSCALL"));
        if (i == 0) std::this_thread::sleep_for(20ms);  // sender 0's event waits longest
    }
    ASSERT_TRUE(sink_.WaitFor(1)) << "the 257th open event makes room";
    EXPECT_EQ(sink_.Texts(), std::vector<std::string>{record(0, "SYSCALL")});
    EXPECT_EQ(counters_.audit_cut.load(), 1u);
    for (int i = 0; i < 257; ++i) SendAll(fds[i], record(i, "EOE"));
    ASSERT_TRUE(sink_.WaitFor(258));
    const auto texts = sink_.Texts();
    size_t whole = 0;
    for (int i = 1; i < 257; ++i) {
        whole +=
            std::count(texts.begin(), texts.end(), record(i, "SYSCALL") + "\n" + record(i, "EOE"));
    }
    EXPECT_EQ(whole, 256u);
    EXPECT_EQ(std::count(texts.begin(), texts.end(), record(0, "EOE")), 1);
    EXPECT_EQ(counters_.audit_cut.load(), 1u);
    for (int fd : fds) ::close(fd);
}

TEST_F(ListenerTest, UdpDatagramIsOneMessage) {
    auto l = Start(ListenerOptions::Kind::kUdp);
    int fd = api::testing::ConnectLoopback(l->port(), SOCK_DGRAM);
    ASSERT_GE(fd, 0);
    for (const std::string& msg :
         {std::string("<34>Oct 11 22:14:15 host su: 'su root' failed\n"), std::string(),
          std::string("\n"), std::string("<13>1 2026-11-21T08:00:00Z h app - - - hello")}) {
        ASSERT_EQ(::send(fd, msg.data(), msg.size(), 0), static_cast<ssize_t>(msg.size()));
    }
    ::close(fd);
    ASSERT_TRUE(sink_.WaitFor(2));
    auto texts = sink_.Texts();
    EXPECT_EQ(texts[0], "<34>Oct 11 22:14:15 host su: 'su root' failed");
    EXPECT_EQ(sink_.messages[0].source, "test");
    EXPECT_EQ(sink_.messages[0].peer.rfind("127.0.0.1:", 0), 0u);
    EXPECT_GT(sink_.messages[0].received_ns, 0);
    // The counters follow the sink's acceptance.
    for (int i = 0; i < 200 && counters_.received < 2; ++i) std::this_thread::sleep_for(5ms);
    EXPECT_EQ(counters_.received, 2u);
    EXPECT_EQ(counters_.malformed, 2u) << "the empty datagrams: counted, not stored";
}

TEST_F(ListenerTest, TcpTakesBothFramingsAndCountsGarbage) {
    auto l = Start(ListenerOptions::Kind::kTcp, 64);
    int fd = api::testing::ConnectLoopback(l->port(), SOCK_STREAM);
    ASSERT_GE(fd, 0);
    SendAll(fd, "<13>line one\n11 <13>a b\nc d<13>line two\n");
    SendAll(fd, std::string(500, 'G') + "\n");         // oversized: its head, counted
    SendAll(fd, "999999999999 x\n<13>after garbage");  // bad count; last line unterminated
    ::close(fd);
    ASSERT_TRUE(sink_.WaitFor(5));
    EXPECT_EQ(sink_.Texts(),
              (std::vector<std::string>{"<13>line one", "<13>a b\nc d", "<13>line two",
                                        std::string(64, 'G'), "<13>after garbage"}));
    EXPECT_TRUE(sink_.messages[3].truncated);
    EXPECT_FALSE(sink_.messages[4].truncated);
    EXPECT_EQ(counters_.oversized, 1u);
    EXPECT_EQ(counters_.malformed, 1u);
    EXPECT_EQ(counters_.connections, 1u);
}

// A message padded past the frame limit is not lost: its head arrives, marked truncated, over
// TCP (either framing), TLS and UDP, and the connection's next messages are intact.
TEST_F(ListenerTest, OversizedFramesKeepTheirHead) {
    const std::string big =
        "<13>1 - ws01 powershell 4104 - - ScriptBlock MARKER_BIG IEX " + std::string(5000, '#');
    const std::string head = big.substr(0, 1024);
    {
        auto l = Start(ListenerOptions::Kind::kTcp);
        int fd = api::testing::ConnectLoopback(l->port(), SOCK_STREAM);
        ASSERT_GE(fd, 0);
        SendAll(fd, big + "\n<13>after line\n" + std::to_string(big.size()) + " " + big +
                        "15 <13>after count");
        ::close(fd);
        ASSERT_TRUE(sink_.WaitFor(4));
        EXPECT_EQ(sink_.Texts(),
                  (std::vector<std::string>{head, "<13>after line", head, "<13>after count"}));
        for (size_t i = 0; i < 4; ++i) EXPECT_EQ(sink_.messages[i].truncated, i % 2 == 0) << i;
        EXPECT_EQ(counters_.oversized, 2u);
        EXPECT_EQ(counters_.malformed, 0u);
    }
    sink_.messages.clear();
    {
        auto l = Start(ListenerOptions::Kind::kTls);
        ASSERT_TRUE(SendTls(l->port(), big + "\n<13>after tls\n"));
        ASSERT_TRUE(sink_.WaitFor(2));
        EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{head, "<13>after tls"}));
        EXPECT_TRUE(sink_.messages[0].truncated);
        EXPECT_FALSE(sink_.messages[1].truncated);
    }
    sink_.messages.clear();
    {
        auto l = Start(ListenerOptions::Kind::kUdp);
        int fd = api::testing::ConnectLoopback(l->port(), SOCK_DGRAM);
        ASSERT_GE(fd, 0);
        for (const std::string& msg : {big, std::string("<13>after datagram")}) {
            ASSERT_EQ(::send(fd, msg.data(), msg.size(), 0), static_cast<ssize_t>(msg.size()));
        }
        ::close(fd);
        ASSERT_TRUE(sink_.WaitFor(2));
        EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{head, "<13>after datagram"}));
        EXPECT_TRUE(sink_.messages[0].truncated);
        EXPECT_FALSE(sink_.messages[1].truncated);
    }
    EXPECT_EQ(counters_.oversized, 4u);
}

TEST_F(ListenerTest, TlsThirteenWorksAndTwelveIsRefused) {
    auto l = Start(ListenerOptions::Kind::kTls);
    ASSERT_TRUE(SendTls(l->port(), "<13>over tls\n21 <13>octet counted tls"));
    ASSERT_TRUE(sink_.WaitFor(2));
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"<13>over tls", "<13>octet counted tls"}));
    EXPECT_FALSE(SendTls(l->port(), "<13>old client\n", api::testing::kTls12));
    // Plain text on the TLS port is a failed handshake, counted; the listener keeps serving.
    int fd = api::testing::ConnectLoopback(l->port(), SOCK_STREAM);
    SendAll(fd, "<13>not tls at all\n");
    ::close(fd);
    ASSERT_TRUE(SendTls(l->port(), "<13>still serving\n"));
    ASSERT_TRUE(sink_.WaitFor(3));
    EXPECT_GE(counters_.tls_failures.load(), 2u);
    EXPECT_EQ(sink_.Texts().size(), 3u);
}

// A TLS sender pointed at the plain TCP port: its handshake is counted as a TLS failure, not
// stored as binary events; the listener goes on serving.
TEST_F(ListenerTest, ATlsHandshakeOnThePlainPortIsATlsFailure) {
    auto l = Start(ListenerOptions::Kind::kTcp);
    ASSERT_FALSE(SendTls(l->port(), "<13>never read\n"));
    int fd = api::testing::ConnectLoopback(l->port(), SOCK_STREAM);
    SendAll(fd, "<13>plain\n");
    ::close(fd);
    ASSERT_TRUE(sink_.WaitFor(1));
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"<13>plain"}));
    EXPECT_EQ(counters_.tls_failures.load(), 1u);
}

// RFC 5425, 4.4: a sender that closes with close_notify gets the listener's in reply.
TEST_F(ListenerTest, TlsCloseNotifyIsAnswered) {
    auto l = Start(ListenerOptions::Kind::kTls);
    bool answered = false;
    ASSERT_TRUE(api::testing::TlsSend(l->port(), Cert(), "<13>bye\n", api::testing::kTls12,
                                      api::testing::kTls13, &answered));
    EXPECT_TRUE(answered);
    ASSERT_TRUE(sink_.WaitFor(1));
    EXPECT_EQ(counters_.tls_failures.load(), 0u);
}

TEST_F(ListenerTest, AFullSinkPausesTheStreamAndNothingIsLost) {
    auto l = Start(ListenerOptions::Kind::kTcp);
    sink_.full = true;
    int fd = api::testing::ConnectLoopback(l->port(), SOCK_STREAM);
    ASSERT_GE(fd, 0);
    std::string data;
    for (int i = 0; i < 2000; ++i) data += "<13>message " + std::to_string(i) + "\n";
    std::thread sender([&] {
        SendAll(fd, data);
        ::close(fd);
    });
    std::this_thread::sleep_for(200ms);
    // One pause, however many times the stream offered its batch again while it lasted.
    EXPECT_EQ(counters_.paused.load(), 1u);
    EXPECT_TRUE(sink_.Texts().empty());
    sink_.full = false;
    sender.join();
    ASSERT_TRUE(sink_.WaitFor(2000));
    auto texts = sink_.Texts();
    ASSERT_EQ(texts.size(), 2000u);
    for (int i = 0; i < 2000; ++i) EXPECT_EQ(texts[i], "<13>message " + std::to_string(i));
    EXPECT_EQ(counters_.refused, 0u);
}

// A listener at max_connections closes each new connection at once, and says so in its
// counters; the connections it serves go on.
TEST_F(ListenerTest, ConnectionsOverTheLimitAreRefusedAndCounted) {
    auto l = StartWith(ListenerOptions::Kind::kTcp, [](auto& o) { o.max_connections = 2; });
    const int a = api::testing::ConnectLoopback(l->port(), SOCK_STREAM);
    const int b = api::testing::ConnectLoopback(l->port(), SOCK_STREAM);
    ASSERT_GE(a, 0);
    ASSERT_GE(b, 0);
    SendAll(a, "<13>from a\n");
    SendAll(b, "<13>from b\n");
    ASSERT_TRUE(sink_.WaitFor(2));  // both served
    const int c = api::testing::ConnectLoopback(l->port(), SOCK_STREAM);
    ASSERT_GE(c, 0);
    char byte = 0;
    EXPECT_LE(::recv(c, &byte, 1, 0), 0);  // closed by the listener
    ::close(c);
    EXPECT_EQ(counters_.connections_refused.load(), 1u);
    EXPECT_EQ(counters_.connections.load(), 2u);
    SendAll(a, "<13>still a\n");
    ASSERT_TRUE(sink_.WaitFor(3));
    ::close(a);
    ::close(b);
}

// A TCP connection to 127.0.0.1:port from the loopback address `from` (127.0.0.x: another
// host as the listener sees it); -1 when it cannot connect.
int ConnectFrom(const char* from, uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &local.sin_addr);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// True when the listener closed fd (a read sees the end or an error) within `wait`.
bool ClosedByPeer(int fd, std::chrono::milliseconds wait) {
    timeval tv{};
    tv.tv_sec = wait.count() / 1000;
    tv.tv_usec = (wait.count() % 1000) * 1000;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char byte = 0;
    const ssize_t n = ::recv(fd, &byte, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// One host cannot take every connection: over max_connections_per_peer from one address a
// connection is refused and counted, another host still gets in, and a closed connection gives
// its slot back.
TEST_F(ListenerTest, OneAddressCannotTakeEveryConnection) {
    auto listener =
        StartWith(ListenerOptions::Kind::kTcp, [](auto& o) { o.max_connections_per_peer = 2; });
    SyslogListener& l = *listener;
    const int a = ConnectFrom("127.0.0.1", l.port());
    const int b = ConnectFrom("127.0.0.1", l.port());
    ASSERT_GE(a, 0);
    ASSERT_GE(b, 0);
    SendAll(a, "<13>from a\n");
    SendAll(b, "<13>from b\n");
    ASSERT_TRUE(sink_.WaitFor(2));
    const int c = ConnectFrom("127.0.0.1", l.port());
    ASSERT_GE(c, 0);
    EXPECT_TRUE(ClosedByPeer(c, 5000ms));  // a third from the same address
    ::close(c);
    EXPECT_EQ(counters_.connections_refused.load(), 1u);
    const int other = ConnectFrom("127.0.0.2", l.port());
    if (other < 0) GTEST_SKIP() << "cannot bind 127.0.0.2 here";
    SendAll(other, "<13>from another host\n");
    ASSERT_TRUE(sink_.WaitFor(3));
    ::close(a);
    // a's slot comes back once the listener has seen it close.
    int d = -1;
    for (int i = 0; i < 100 && d < 0; ++i) {
        const int fd = ConnectFrom("127.0.0.1", l.port());
        ASSERT_GE(fd, 0);
        SendAll(fd, "<13>from d\n");
        if (sink_.WaitFor(4, 100ms)) {
            d = fd;
        } else {
            ::close(fd);
        }
    }
    EXPECT_GE(d, 0);
    EXPECT_EQ(counters_.connections.load(), 4u);
    ::close(b);
    ::close(d);
    ::close(other);
}

// The idle limit runs from the last message, not the last byte: a sender trickling bytes that
// end no message is closed, while one sending whole messages as slowly is kept.
TEST_F(ListenerTest, BytesThatEndNoMessageDoNotKeepAConnectionOpen) {
    auto listener = StartWith(ListenerOptions::Kind::kTcp, [](auto& o) { o.idle_timeout = 600ms; });
    SyslogListener& l = *listener;
    const int trickle = api::testing::ConnectLoopback(l.port(), SOCK_STREAM);
    const int steady = api::testing::ConnectLoopback(l.port(), SOCK_STREAM);
    ASSERT_GE(trickle, 0);
    ASSERT_GE(steady, 0);
    bool closed = false;
    size_t sent = 0;
    for (int i = 0; i < 60 && !closed; ++i) {  // 6 s: ten idle limits
        if (::send(trickle, "x", 1, MSG_NOSIGNAL) != 1) closed = true;
        SendAll(steady, "<13>steady " + std::to_string(i) + "\n");
        ++sent;
        closed = closed || ClosedByPeer(trickle, 100ms);
    }
    EXPECT_TRUE(closed);
    ASSERT_TRUE(sink_.WaitFor(sent));
    SendAll(steady, "<13>still open\n");
    EXPECT_TRUE(sink_.WaitFor(sent + 1));
    EXPECT_FALSE(ClosedByPeer(steady, 50ms));
    ::close(trickle);
    ::close(steady);
}

TEST_F(ListenerTest, UdpCountsWhatAFullSinkCannotTake) {
    auto l = Start(ListenerOptions::Kind::kUdp);
    sink_.full = true;
    int fd = api::testing::ConnectLoopback(l->port(), SOCK_DGRAM);
    for (int i = 0; i < 10; ++i) ::send(fd, "<13>x", 5, 0);
    ::close(fd);
    for (int i = 0; i < 100 && counters_.refused < 10; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(counters_.refused, 10u);
}

// UDP cannot push back: while the listener is held up, the kernel drops what its receive buffer
// cannot hold. Those drops are counted too, so every datagram sent is accounted for.
// n datagrams, make(i) each, to 127.0.0.1:port.
void SendDatagrams(uint16_t port, uint64_t n, const std::function<std::string(uint64_t)>& make) {
    const int fd = api::testing::ConnectLoopback(port, SOCK_DGRAM);
    ASSERT_GE(fd, 0);
    for (uint64_t i = 0; i < n; ++i) {
        const std::string dgram = make(i);
        ::send(fd, dgram.data(), dgram.size(), 0);
    }
    ::close(fd);
}

// A sink that takes nothing until released: the listener's thread waits in Offer().
class HeldSink : public Sink {
public:
    bool Offer(std::vector<RawMessage>& batch) override {
        std::unique_lock lock(mu);
        entered = true;
        cv.notify_all();
        cv.wait(lock, [&] { return released; });
        taken += batch.size();
        batch.clear();
        return true;
    }
    void Release() {
        std::lock_guard lock(mu);
        released = true;
        cv.notify_all();
    }
    bool WaitEntered() {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, 5s, [&] { return entered; });
    }
    std::mutex mu;
    std::condition_variable cv;
    bool entered = false;
    bool released = false;
    size_t taken = 0;
};

// Datagrams the kernel still holds when the listener stops were received: they are delivered,
// not closed away with the socket.
TEST_F(ListenerTest, UdpDatagramsQueuedAtStopAreDelivered) {
    HeldSink sink;
    auto listener = StartWith(
        ListenerOptions::Kind::kUdp, [](auto&) {}, &sink);
    SyslogListener& l = *listener;
    constexpr uint64_t kSent = 50;
    SendDatagrams(l.port(), kSent, [](uint64_t i) { return "<13>queued " + std::to_string(i); });
    ASSERT_TRUE(sink.WaitEntered());  // the first is being offered, the rest are queued
    std::thread stopper([&] { l.Stop(); });
    std::this_thread::sleep_for(200ms);  // Stop is waiting for the listener's thread
    sink.Release();
    stopper.join();
    EXPECT_EQ(counters_.received.load(), kSent);
    EXPECT_EQ(sink.taken, kSent);
    EXPECT_EQ(counters_.kernel_drops.load(), 0u);
}

TEST_F(ListenerTest, UdpDatagramsTheKernelDropsAreCounted) {
    HeldSink sink;
    auto listener = StartWith(
        ListenerOptions::Kind::kUdp, [](auto&) {}, &sink);
    SyslogListener& l = *listener;
    const std::string dgram = "<13>" + std::string(200, 'u');
    constexpr uint64_t kSent = 20000;  // far more than the receive buffer holds
    SendDatagrams(l.port(), kSent, [&](uint64_t) { return dgram; });
    sink.Release();
    // Until what the socket held is read (received still for 100 ms); then Stop counts the
    // drops, whether or not the listener's once-a-second sample has come yet.
    for (uint64_t seen = ~0ULL, i = 0; i < 500 && counters_.received != seen; ++i) {
        seen = counters_.received;
        std::this_thread::sleep_for(100ms);
    }
    l.Stop();
    EXPECT_GT(counters_.kernel_drops.load(), 0u);
    EXPECT_EQ(counters_.received + counters_.kernel_drops, kSent);
    EXPECT_EQ(counters_.refused, 0u);
}

TEST_F(ListenerTest, BindErrorsNameTheAddress) {
    ListenerOptions o;
    o.source = "syslog-tcp";
    o.bind = "not-an-address";
    SyslogListener bad(o, sink_, counters_);
    auto st = bad.Start();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("not-an-address"), std::string::npos);
    ListenerOptions t;
    t.source = "syslog-tls";
    t.kind = ListenerOptions::Kind::kTls;
    t.cert_pem_path = "/nonexistent.pem";
    t.key_pem_path = Key();
    SyslogListener tls(t, sink_, counters_);
    st = tls.Start();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("/nonexistent.pem"), std::string::npos);
}

}  // namespace
}  // namespace vigil::ingest
