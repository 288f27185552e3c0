#include "ingest/listener.h"

#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

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

    void AddFrame(std::vector<RawMessage>& batch, std::string_view frame, const std::string& peer) {
        RawMessage m;
        m.source = options.source;
        m.peer = peer;
        m.received_ns = NowNs();
        m.bytes.assign(frame);
        batch.push_back(std::move(m));
    }

    template <class Stream>
    class Session;

    void DoAccept();
    void DoReceive();

    // Declaration order matters: the io_context is destroyed before what its pending sessions
    // use (options, sink, counters, tls, live) and after the sockets bound to it.
    ListenerOptions options;
    Sink& sink;
    SourceCounters& counters;
    std::optional<ssl::context> tls;
    std::atomic<size_t> live{0};
    std::atomic<bool> stopping{false};
    uint16_t port = 0;
    bool started = false;
    std::array<char, kMaxDatagram> datagram{};
    std::vector<std::thread> threads;
    asio::io_context ioc;
    udp::endpoint sender;
    std::optional<tcp::acceptor> acceptor;
    std::optional<udp::socket> udp_socket;
};

// One stream connection: read -> frame -> offer; a refused batch pauses reading until the
// sink takes it (retrying every retry_interval), which is the back-pressure on the sender.
template <class Stream>
class SyslogListener::Impl::Session
    : public std::enable_shared_from_this<SyslogListener::Impl::Session<Stream>> {
public:
    template <class... Args>
    Session(Impl& impl, std::string peer, Args&&... args)
        : impl_(impl),
          stream_(std::forward<Args>(args)...),
          retry_(impl.ioc),
          framer_(impl.options.max_frame_bytes),
          peer_(std::move(peer)) {
        ++impl_.live;
    }
    ~Session() { --impl_.live; }

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
        beast::get_lowest_layer(stream_).expires_after(impl_.options.idle_timeout);
        stream_.async_read_some(asio::buffer(buf_), [self = this->shared_from_this()](
                                                        const beast::error_code& ec, size_t n) {
            self->OnRead(ec, n);
        });
    }

    void OnRead(const beast::error_code& ec, size_t n) {
        const auto before = framer_.stats();
        auto add = [this](std::string_view frame) { impl_.AddFrame(batch_, frame, peer_); };
        if (n > 0) framer_.Feed(std::string_view(buf_.data(), n), add);
        const bool end = static_cast<bool>(ec);
        if (end) {
            // A sender closing after its last line; a cut TLS stream still delivers what it
            // completed, and the truncation is counted.
            framer_.Finish(add);
            if (ec != asio::error::eof && ec != beast::error::timeout &&
                ec != asio::error::operation_aborted &&
                std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
                ++impl_.counters.tls_failures;
            }
        }
        impl_.counters.malformed += framer_.stats().malformed - before.malformed;
        impl_.counters.oversized += framer_.stats().oversized - before.oversized;
        Deliver(end);
    }

    void Deliver(bool end) {
        if (impl_.Offer(batch_)) {
            if (!end) Read();
            return;
        }
        if (impl_.stopping) {
            impl_.counters.refused += batch_.size();
            batch_.clear();
            return;
        }
        ++impl_.counters.paused;
        retry_.expires_after(impl_.options.retry_interval);
        retry_.async_wait([self = this->shared_from_this(), end](const beast::error_code& ec) {
            if (ec) return;
            self->Deliver(end);
        });
    }

    Impl& impl_;
    Stream stream_;
    asio::steady_timer retry_;
    SyslogFramer framer_;
    std::string peer_;
    std::array<char, kReadChunk> buf_{};
    std::vector<RawMessage> batch_;
};

void SyslogListener::Impl::DoAccept() {
    acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
        if (stopping || !acceptor->is_open()) return;
        if (!ec) {
            ++counters.connections;
            beast::error_code pe;
            auto remote = s.remote_endpoint(pe);
            std::string peer = pe ? "unknown" : PeerName(remote.address(), remote.port());
            if (live >= options.max_connections) {
                s.close(pe);  // over the limit: refuse rather than starve the others
            } else if (options.kind == ListenerOptions::Kind::kTls) {
                std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                    *this, std::move(peer), std::move(s), *tls)
                    ->Start();
            } else {
                std::make_shared<Session<beast::tcp_stream>>(*this, std::move(peer), std::move(s))
                    ->Start();
            }
        }
        DoAccept();
    });
}

void SyslogListener::Impl::DoReceive() {
    udp_socket->async_receive_from(
        asio::buffer(datagram), sender, [this](const beast::error_code& ec, size_t n) {
            if (stopping || !udp_socket->is_open()) return;
            if (!ec && n > 0) {
                std::string_view dgram(datagram.data(), n);
                // A datagram is one message; trailing newlines some senders add are dropped.
                while (!dgram.empty() &&
                       (dgram.back() == '\n' || dgram.back() == '\0' || dgram.back() == '\r')) {
                    dgram.remove_suffix(1);
                }
                if (dgram.size() > options.max_frame_bytes) {
                    ++counters.oversized;
                } else if (!dgram.empty()) {
                    std::vector<RawMessage> batch;
                    AddFrame(batch, dgram, PeerName(sender.address(), sender.port()));
                    if (!Offer(batch)) ++counters.refused;  // UDP cannot push back
                }
            }
            DoReceive();
        });
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
        if (s.udp_socket) s.udp_socket->close(ec);
    });
    s.ioc.stop();
    for (auto& t : s.threads) t.join();
    s.threads.clear();
}

}  // namespace vigil::ingest
