#include "ingest/listener.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include "ingest/audit_join.h"
#include "net/tls.h"

namespace vigil::ingest {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string PeerName(const asio::ip::address& address, uint16_t port) {
    return address.to_string() + ":" + std::to_string(port);
}

// Bytes read per call on a stream; a datagram can be up to 64 KiB.
constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kMaxDatagram = 65535;
// Datagrams still queued in the kernel that Stop() reads and delivers, at most.
constexpr int kMaxDrainAtStop = 100000;
// UDP senders with an audit event open at once (over it, all open events go on), and a UDP
// group's bound: 256 x 64 KiB held at most, whatever spoofed senders send.
constexpr size_t kMaxUdpJoiners = 256;
constexpr AuditJoiner::Limits kUdpJoinLimits{.max_records = 64, .max_bytes = 64 * 1024};

}  // namespace

struct SyslogListener::Impl {
    Impl(ListenerOptions o, Sink& s, SourceCounters& c)
        : options(std::move(o)), sink(s), counters(c), ioc(std::max(1, options.threads)) {}

    // Offers the batch; true when taken (or empty). Counts what was taken.
    bool Offer(std::vector<RawMessage>& batch) {
        if (batch.empty()) return true;
        uint64_t bytes = 0;
        for (const auto& m : batch) bytes += m.bytes.size();
        const size_t n = batch.size();
        if (!sink.Offer(batch)) return false;
        counters.received += n;
        counters.bytes += bytes;
        counters.last_received_ns = NowNs();
        batch.clear();
        return true;
    }

    RawMessage Message(std::string_view frame, const std::string& peer,
                       bool truncated = false) const {
        RawMessage m;
        m.source = options.source;
        m.peer = peer;
        m.received_ns = NowNs();
        m.bytes.assign(frame);
        m.truncated = truncated;
        return m;
    }

    // UDP: one audit joiner per sender that has an event open; a timer flushes those that
    // waited audit_wait. Guarded by udp_mu (the receive and the timer may run on two threads).
    void FlushUdpJoiners(bool all);
    void ArmUdpFlush();
    // The kernel's count of datagrams it dropped on this socket (receive buffer full), added
    // to counters.kernel_drops; every second while running, and at stop.
    void SampleKernelDrops();
    void ArmDropSample();

    template <class Stream>
    class Session;

    void DoAccept();
    void DoReceive();
    // One datagram of n bytes in `datagram`, from `sender`.
    void OnDatagram(size_t n);

    // Takes a connection slot for `address`; false when it has max_connections_per_peer.
    bool AdmitPeer(const std::string& address) {
        std::lock_guard lock(peers_mu);
        size_t& open = peer_connections[address];
        if (open >= options.max_connections_per_peer) {
            if (open == 0) peer_connections.erase(address);
            return false;
        }
        ++open;
        return true;
    }
    void ReleasePeer(const std::string& address) {
        std::lock_guard lock(peers_mu);
        auto it = peer_connections.find(address);
        if (it != peer_connections.end() && --it->second == 0) peer_connections.erase(it);
    }

    // Declaration order matters: the io_context is destroyed before what its pending sessions
    // use (options, sink, counters, tls, live) and after the sockets bound to it.
    ListenerOptions options;
    Sink& sink;
    SourceCounters& counters;
    std::optional<ssl::context> tls;
    std::atomic<size_t> live{0};
    std::mutex peers_mu;
    std::map<std::string, size_t> peer_connections;  // open connections per address
    std::atomic<bool> stopping{false};
    uint16_t port = 0;
    bool started = false;
    std::array<char, kMaxDatagram> datagram{};
    std::vector<std::thread> threads;
    asio::io_context ioc;
    udp::endpoint sender;
    std::optional<tcp::acceptor> acceptor;
    std::optional<udp::socket> udp_socket;
    std::mutex udp_mu;
    std::map<std::string, AuditJoiner> udp_joiners;
    std::atomic<size_t> udp_open{0};  // udp_joiners.size(), read without the lock
    std::optional<asio::steady_timer> udp_flush;
    bool udp_flush_armed = false;
    std::optional<asio::steady_timer> drop_sample;
    uint32_t kernel_drops_seen = 0;  // the socket's own counter (32 bits, wraps) at the last sample
};

// One stream connection: read -> frame -> offer; a refused batch pauses reading until the
// sink takes it (retrying every retry_interval), which is the back-pressure on the sender.
template <class Stream>
class SyslogListener::Impl::Session
    : public std::enable_shared_from_this<SyslogListener::Impl::Session<Stream>> {
public:
    template <class... Args>
    Session(Impl& impl, std::string address, std::string peer, Args&&... args)
        : impl_(impl),
          stream_(std::forward<Args>(args)...),
          retry_(beast::get_lowest_layer(stream_).get_executor()),
          flush_(beast::get_lowest_layer(stream_).get_executor()),
          joiner_(impl.options.join_audit),
          framer_(impl.options.max_frame_bytes),
          address_(std::move(address)),
          peer_(std::move(peer)),
          progress_(std::chrono::steady_clock::now()) {
        ++impl_.live;
        joiner_.CountCutsIn(&impl_.counters.audit_cut);
    }
    ~Session() {
        impl_.ReleasePeer(address_);
        --impl_.live;
    }

    void Start() {
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            beast::get_lowest_layer(stream_).expires_after(impl_.options.handshake_timeout);
            stream_.async_handshake(ssl::stream_base::server,
                                    [self = this->shared_from_this()](const beast::error_code& ec) {
                                        if (ec) {
                                            ++self->impl_.counters.tls_failures;
                                            return;
                                        }
                                        self->Read();
                                    });
        } else {
            Read();
        }
    }

private:
    void Read() {
        if (impl_.stopping) return;
        // The idle limit runs from the last message completed, not the last byte read.
        beast::get_lowest_layer(stream_).expires_at(progress_ + impl_.options.idle_timeout);
        stream_.async_read_some(asio::buffer(buf_), [self = this->shared_from_this()](
                                                        const beast::error_code& ec, size_t n) {
            self->OnRead(ec, n);
        });
    }

    void OnRead(const beast::error_code& ec, size_t n) {
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            // Only the stream's first bytes: later ones are the middle of a message.
            const bool first = !first_read_ && n > 0;
            if (n > 0) first_read_ = true;
            if (first && n >= 3) {
                // A TLS sender pointed at the plain port: its ClientHello (a handshake record,
                // 0x16 0x03 0x0N; no syslog message starts so) would become binary events.
                // Counted as a TLS failure, and the connection closed.
                if (buf_[0] == 0x16 && buf_[1] == 0x03 && static_cast<uint8_t>(buf_[2]) <= 0x04) {
                    ++impl_.counters.tls_failures;
                    beast::error_code ignored;
                    beast::get_lowest_layer(stream_).socket().close(ignored);
                    return;
                }
            }
        }
        const auto before = framer_.stats();
        bool framed = false;
        auto add = [this, &framed](std::string_view frame, bool truncated) {
            framed = true;
            joiner_.Add(impl_.Message(frame, peer_, truncated), batch_);
        };
        if (n > 0) framer_.Feed(std::string_view(buf_.data(), n), add);
        const bool end = static_cast<bool>(ec);
        if (end) {
            // A sender closing after its last line; a cut TLS stream still delivers what it
            // completed, and the truncation is counted.
            framer_.Finish(add);
            joiner_.Flush(batch_);
            if (ec != asio::error::eof && ec != beast::error::timeout &&
                ec != asio::error::operation_aborted &&
                std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
                ++impl_.counters.tls_failures;
            }
            if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
                if (ec == asio::error::eof) {
                    // The sender closed with its close_notify: ours in reply (RFC 5425, 4.4).
                    beast::get_lowest_layer(stream_).expires_after(impl_.options.handshake_timeout);
                    stream_.async_shutdown(
                        [self = this->shared_from_this()](const beast::error_code&) {});
                }
            }
        }
        impl_.counters.malformed += framer_.stats().malformed - before.malformed;
        impl_.counters.oversized += framer_.stats().oversized - before.oversized;
        if (framer_.stats().malformed != before.malformed ||
            framer_.stats().oversized != before.oversized) {
            impl_.counters.NoteError(peer_ + ": " + framer_.stats().last_error);
        }
        if (framed || framer_.stats().oversized != before.oversized) {
            progress_ = std::chrono::steady_clock::now();
        }
        // The wait starts with the group: a sender trickling bytes does not push it back.
        if (joiner_.holding() && !flush_armed_) ArmFlush(impl_.options.audit_wait);
        Deliver(end);
    }

    void Deliver(bool end) {
        if (impl_.Offer(batch_)) {
            if (paused_ && joiner_.holding()) ArmFlush(impl_.options.audit_wait);
            // A pause (our store behind) is not the sender's idleness.
            if (paused_) progress_ = std::chrono::steady_clock::now();
            paused_ = false;
            if (!end) Read();
            return;
        }
        if (impl_.stopping) {
            impl_.counters.refused += batch_.size();
            batch_.clear();
            return;
        }
        if (!paused_) ++impl_.counters.paused;  // a pause, not each retry within it
        paused_ = true;
        retry_.expires_after(impl_.options.retry_interval);
        retry_.async_wait([self = this->shared_from_this(), end](const beast::error_code& ec) {
            if (ec) return;
            self->Deliver(end);
        });
    }

    // An audit event still open after `wait` (user-space events have no EOE record) goes on
    // without its next record; a paused stream delivers it with its batch.
    void ArmFlush(std::chrono::milliseconds wait) {
        flush_armed_ = true;
        flush_.expires_after(wait);
        flush_.async_wait([self = this->shared_from_this()](const beast::error_code& ec) {
            self->flush_armed_ = false;
            if (ec || self->paused_ || self->impl_.stopping) return;
            self->joiner_.Flush(self->batch_);
            if (!self->impl_.Offer(self->batch_)) {
                self->ArmFlush(self->impl_.options.retry_interval);
            }
        });
    }

    Impl& impl_;
    Stream stream_;
    // Both on the stream's strand: the flush timer runs beside a pending read or a retry.
    asio::steady_timer retry_;
    asio::steady_timer flush_;
    AuditJoiner joiner_;
    bool paused_ = false;
    bool flush_armed_ = false;
    bool first_read_ = false;  // plain TCP: the first bytes were looked at (a TLS handshake?)
    SyslogFramer framer_;
    std::string address_;  // the sender's address: its connection slot (AdmitPeer)
    std::string peer_;
    // When the connection last completed a message (or opened, or resumed after a pause).
    std::chrono::steady_clock::time_point progress_;
    std::array<char, kReadChunk> buf_{};
    std::vector<RawMessage> batch_;
};

void SyslogListener::Impl::DoAccept() {
    acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
        if (stopping || !acceptor->is_open()) return;
        if (!ec) {
            beast::error_code pe;
            auto remote = s.remote_endpoint(pe);
            std::string address = pe ? "unknown" : remote.address().to_string();
            std::string peer = pe ? "unknown" : PeerName(remote.address(), remote.port());
            // Over a limit: refused rather than starve the others, and counted.
            if (live >= options.max_connections || !AdmitPeer(address)) {
                ++counters.connections_refused;
                s.close(pe);
            } else {
                ++counters.connections;
                if (options.kind == ListenerOptions::Kind::kTls) {
                    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                        *this, std::move(address), std::move(peer), std::move(s), *tls)
                        ->Start();
                } else {
                    std::make_shared<Session<beast::tcp_stream>>(*this, std::move(address),
                                                                 std::move(peer), std::move(s))
                        ->Start();
                }
            }
        }
        DoAccept();
    });
}

void SyslogListener::Impl::DoReceive() {
    udp_socket->async_receive_from(asio::buffer(datagram), sender,
                                   [this](const beast::error_code& ec, size_t n) {
                                       // A datagram read is delivered even while stopping (Stop
                                       // runs this handler when it read one as its operation
                                       // started, after the threads were stopped).
                                       if (!ec) OnDatagram(n);
                                       if (stopping || !udp_socket->is_open()) return;
                                       DoReceive();
                                   });
}

void SyslogListener::Impl::OnDatagram(size_t n) {
    std::string_view dgram(datagram.data(), n);
    // A datagram is one message; trailing newlines some senders add are dropped.
    while (!dgram.empty() &&
           (dgram.back() == '\n' || dgram.back() == '\0' || dgram.back() == '\r')) {
        dgram.remove_suffix(1);
    }
    // Over the limit (one lower than a datagram's size): its head, marked, as on a stream.
    const bool truncated = dgram.size() > options.max_frame_bytes;
    const std::string peer = PeerName(sender.address(), sender.port());
    if (truncated) {
        ++counters.oversized;
        counters.NoteError(peer + ": datagram of " + std::to_string(dgram.size()) +
                           " bytes over the limit of " + std::to_string(options.max_frame_bytes) +
                           ": its head kept");
        dgram = dgram.substr(0, options.max_frame_bytes);
    }
    if (dgram.empty()) {
        ++counters.malformed;  // no message in it: counted, not stored
        counters.NoteError(peer + ": empty datagram");
        return;
    }
    std::vector<RawMessage> batch;
    // Through a joiner only when the datagram is an audit record or its sender has an event
    // open.
    if (options.join_audit &&
        (!AuditJoiner::Key(dgram).empty() || udp_open.load(std::memory_order_relaxed) > 0)) {
        std::lock_guard lock(udp_mu);
        auto [it, added] = udp_joiners.try_emplace(peer, kUdpJoinLimits);
        if (added) it->second.CountCutsIn(&counters.audit_cut);
        it->second.Add(Message(dgram, peer, truncated), batch);
        if (!it->second.holding()) udp_joiners.erase(it);
        if (udp_joiners.size() > kMaxUdpJoiners) {
            // One sender too many: the event that has waited longest goes on as it is (the
            // others keep grouping).
            auto oldest = std::min_element(
                udp_joiners.begin(), udp_joiners.end(), [](const auto& a, const auto& b) {
                    return a.second.held_received_ns() < b.second.held_received_ns();
                });
            oldest->second.Cut(batch);
            udp_joiners.erase(oldest);
        }
        udp_open = udp_joiners.size();
        if (!udp_joiners.empty()) ArmUdpFlush();
    } else {
        batch.push_back(Message(dgram, peer, truncated));
    }
    if (!Offer(batch)) counters.refused += batch.size();  // UDP cannot push back
}

// Called with udp_mu held.
void SyslogListener::Impl::ArmUdpFlush() {
    if (udp_flush_armed || stopping) return;
    udp_flush_armed = true;
    udp_flush->expires_after(options.audit_wait);
    udp_flush->async_wait([this](const beast::error_code& ec) {
        if (ec || stopping) return;
        FlushUdpJoiners(/*all=*/false);
    });
}

void SyslogListener::Impl::SampleKernelDrops() {
    uint32_t mem[SK_MEMINFO_VARS] = {};
    socklen_t len = sizeof mem;
    if (::getsockopt(udp_socket->native_handle(), SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
        len <= SK_MEMINFO_DROPS * sizeof(uint32_t)) {
        return;
    }
    const uint32_t drops = mem[SK_MEMINFO_DROPS];
    counters.kernel_drops += static_cast<uint32_t>(drops - kernel_drops_seen);
    kernel_drops_seen = drops;
}

void SyslogListener::Impl::ArmDropSample() {
    drop_sample->expires_after(std::chrono::seconds(1));
    drop_sample->async_wait([this](const beast::error_code& ec) {
        if (ec || stopping) return;
        SampleKernelDrops();
        ArmDropSample();
    });
}

void SyslogListener::Impl::FlushUdpJoiners(bool all) {
    std::vector<RawMessage> batch;
    {
        std::lock_guard lock(udp_mu);
        udp_flush_armed = false;
        const int64_t before =
            NowNs() -
            std::chrono::duration_cast<std::chrono::nanoseconds>(options.audit_wait).count();
        for (auto it = udp_joiners.begin(); it != udp_joiners.end();) {
            if (all || it->second.held_received_ns() <= before) {
                it->second.Flush(batch);
                it = udp_joiners.erase(it);
            } else {
                ++it;
            }
        }
        udp_open = udp_joiners.size();
        if (!udp_joiners.empty()) ArmUdpFlush();
    }
    if (!Offer(batch)) counters.refused += batch.size();
}

SyslogListener::SyslogListener(ListenerOptions options, Sink& sink, SourceCounters& counters)
    : impl_(std::make_unique<Impl>(std::move(options), sink, counters)) {}

SyslogListener::~SyslogListener() { Stop(); }

uint16_t SyslogListener::port() const { return impl_->port; }

Status SyslogListener::Start() {
    Impl& s = *impl_;
    if (s.started) return MakeError(Code::kFailedPrecondition, "listener already started");
    beast::error_code ec;
    auto address = asio::ip::make_address(s.options.bind, ec);
    if (ec) return InvalidArgument("invalid bind address '" + s.options.bind + "'");
    const std::string where =
        s.options.source + " on " + s.options.bind + ":" + std::to_string(s.options.port);
    if (s.options.kind == ListenerOptions::Kind::kUdp) {
        s.udp_socket.emplace(s.ioc);
        udp::endpoint endpoint(address, s.options.port);
        if (s.udp_socket->open(endpoint.protocol(), ec); ec) {
            return MakeError(Code::kUnavailable, "opening UDP " + where + ": " + ec.message());
        }
        // A large receive buffer absorbs bursts while a worker is busy.
        s.udp_socket->set_option(asio::socket_base::receive_buffer_size(8 * 1024 * 1024), ec);
        if (s.udp_socket->bind(endpoint, ec); ec) {
            return MakeError(Code::kUnavailable, "binding UDP " + where + ": " + ec.message());
        }
        s.port = s.udp_socket->local_endpoint(ec).port();
        s.udp_flush.emplace(s.ioc);
        s.drop_sample.emplace(s.ioc);
        s.ArmDropSample();
        s.DoReceive();
    } else {
        if (s.options.kind == ListenerOptions::Kind::kTls) {
            s.tls.emplace(ssl::context::tls_server);
            net::TlsServerConfig config{s.options.cert_pem_path, s.options.key_pem_path,
                                        s.options.allow_tls12};
            if (auto st = net::ConfigureServerTls(s.tls->native_handle(), config); !st) {
                return tl::unexpected(std::move(st.error()).WithContext(where));
            }
        }
        tcp::endpoint endpoint(address, s.options.port);
        s.acceptor.emplace(s.ioc);
        if (s.acceptor->open(endpoint.protocol(), ec); ec) {
            return MakeError(Code::kUnavailable, "opening " + where + ": " + ec.message());
        }
        s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
        if (s.acceptor->bind(endpoint, ec); ec) {
            return MakeError(Code::kUnavailable, "binding " + where + ": " + ec.message());
        }
        if (s.acceptor->listen(asio::socket_base::max_listen_connections, ec); ec) {
            return MakeError(Code::kUnavailable, "listening on " + where + ": " + ec.message());
        }
        s.port = s.acceptor->local_endpoint(ec).port();
        s.DoAccept();
    }
    s.started = true;
    for (int i = 0; i < std::max(1, s.options.threads); ++i) {
        s.threads.emplace_back([&s] { s.ioc.run(); });
    }
    return Ok();
}

void SyslogListener::Stop() {
    Impl& s = *impl_;
    if (!s.started) return;
    s.started = false;
    s.stopping = true;
    asio::post(s.ioc, [&s] {
        beast::error_code ec;
        if (s.acceptor) s.acceptor->close(ec);
    });
    s.ioc.stop();
    for (auto& t : s.threads) t.join();
    s.threads.clear();
    if (s.udp_socket) {
        // After the io threads: nothing else uses the socket. The datagrams the kernel still
        // holds were received: they are read and delivered rather than lost with the socket
        // (bounded: a sender flooding the port does not hold the stop up), and the last drops
        // are counted before it closes (a handler posted before stop() may never run).
        s.ioc.restart();
        s.ioc.poll();  // a receive that completed at once (asio reads before it waits)
        beast::error_code ec;
        s.udp_socket->non_blocking(true, ec);
        for (int i = 0; !ec && i < kMaxDrainAtStop; ++i) {
            const size_t n = s.udp_socket->receive_from(asio::buffer(s.datagram), s.sender, 0, ec);
            if (!ec) s.OnDatagram(n);
        }
        s.SampleKernelDrops();
        s.udp_socket->close(ec);
        s.FlushUdpJoiners(/*all=*/true);  // their records were received
    }
}

}  // namespace vigil::ingest
