// All Boost.Beast / Asio / OpenSSL TLS code of the API lives in this one file: those headers
// are heavy, and keeping them out of every other translation unit keeps builds fast.
#define BOOST_BEAST_USE_STD_STRING_VIEW 1

#include "api/server.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "api/openapi.h"
#include "api/rate_limiter.h"
#include "net/tls.h"

namespace vigil::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

class Session;

// What every connection needs from the server; owned by Server::Impl, outlives sessions.
struct Shared {
    Shared(const ServerOptions& o, const Router& r, const Authenticator& a, RateLimiter& l)
        : options(o), router(r), authenticate(a), limiter(l) {}
    const ServerOptions& options;
    const Router& router;
    const Authenticator& authenticate;
    RateLimiter& limiter;
    std::atomic<bool> stopping{false};
    std::mutex mu;
    std::vector<std::weak_ptr<Session>> sessions;
};

bool IsHttpParseError(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category();
}

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, ssl::context& ctx, Shared& shared)
        : stream_(std::move(socket), ctx), shared_(shared) {
        beast::error_code ec;
        auto endpoint = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
        if (!ec) remote_ip_ = endpoint.address().to_string();
    }

    void Run() {
        {
            std::lock_guard lock(shared_.mu);
            std::erase_if(shared_.sessions, [](const auto& w) { return w.expired(); });
            shared_.sessions.push_back(weak_from_this());
        }
        asio::dispatch(stream_.get_executor(),
                       beast::bind_front_handler(&Session::OnRun, shared_from_this()));
    }

    // Called by Server::Stop(): connections waiting for a request are closed now; those
    // handling one close after their response.
    void StopIfIdle() {
        asio::post(stream_.get_executor(), [self = shared_from_this()] {
            if (self->idle_) beast::get_lowest_layer(self->stream_).cancel();
        });
    }

private:
    void OnRun() {
        beast::get_lowest_layer(stream_).expires_after(shared_.options.read_timeout);
        stream_.async_handshake(
            ssl::stream_base::server,
            beast::bind_front_handler(&Session::OnHandshake, shared_from_this()));
    }

    void OnHandshake(beast::error_code ec) {
        if (ec) return;  // refused protocol version, bad client hello, timeout: just drop
        DoRead();
    }

    void DoRead() {
        if (shared_.stopping) return DoClose();
        parser_.emplace();
        parser_->body_limit(shared_.options.max_body_bytes);
        parser_->header_limit(static_cast<std::uint32_t>(shared_.options.max_header_bytes));
        idle_ = true;
        beast::get_lowest_layer(stream_).expires_after(shared_.options.read_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&Session::OnRead, shared_from_this()));
    }

    void OnRead(beast::error_code ec, std::size_t) {
        idle_ = false;
        if (ec == http::error::end_of_stream) return DoClose();
        if (ec == http::error::body_limit) {
            return SendError(413, "request body exceeds " +
                                      std::to_string(shared_.options.max_body_bytes) + " bytes");
        }
        if (ec == http::error::header_limit) {
            return SendError(431, "request headers exceed " +
                                      std::to_string(shared_.options.max_header_bytes) + " bytes");
        }
        if (ec && IsHttpParseError(ec) && ec != http::error::partial_message) {
            return SendError(400, "malformed request: " + ec.message());
        }
        if (ec) return;  // timeout, reset, cancelled by Stop(): drop the connection

        http::request<http::string_body> wire = parser_->release();
        unsigned version = wire.version();
        bool keep_alive = wire.keep_alive();
        if (!shared_.limiter.Allow(remote_ip_)) {
            Response r = Response::Error(429, "too many requests");
            r.headers.emplace_back("Retry-After", "1");
            return Send(std::move(r), "", version, keep_alive);
        }
        auto target = ParseTarget(wire.target());
        if (!target) {
            return Send(Response::Error(400, target.error().message), "", version, false);
        }
        Request request;
        request.method = std::string(wire.method_string());
        request.path = std::move(target->first);
        request.query = std::move(target->second);
        request.remote_ip = remote_ip_;
        for (const auto& field : wire) {
            std::string name(field.name_string());
            auto [it, inserted] = request.headers.emplace(name, std::string(field.value()));
            if (!inserted) {
                it->second += ", ";
                it->second += field.value();
            }
        }
        request.body = std::move(wire.body());
        std::string path = request.path;
        Response response = HandleRequest(shared_.router, shared_.authenticate, std::move(request),
                                          shared_.options.console.get());
        Send(std::move(response), path, version, keep_alive);
    }

    void SendError(int status, std::string message) {
        // The rest of the message is unread or unparseable, so the connection cannot continue.
        Send(Response::Error(status, message), "", 11, false);
    }

    void Send(Response response, std::string_view path, unsigned version, bool keep_alive) {
        AddSecurityHeaders(path, response);
        res_.emplace(static_cast<http::status>(response.status), version);
        res_->set(http::field::server, "vigil");
        res_->set(http::field::content_type, response.content_type);
        for (const auto& [name, value] : response.headers) res_->set(name, value);
        close_after_write_ = !keep_alive || shared_.stopping;
        res_->keep_alive(!close_after_write_);
        res_->body() = std::move(response.body);
        res_->prepare_payload();
        beast::get_lowest_layer(stream_).expires_after(shared_.options.read_timeout);
        http::async_write(stream_, *res_,
                          beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
    }

    void OnWrite(beast::error_code ec, std::size_t) {
        res_.reset();
        if (ec) return;
        if (close_after_write_) return DoClose();
        DoRead();
    }

    void DoClose() {
        beast::get_lowest_layer(stream_).expires_after(shared_.options.read_timeout);
        stream_.async_shutdown(beast::bind_front_handler(&Session::OnShutdown, shared_from_this()));
    }

    void OnShutdown(beast::error_code) {}  // the socket closes when the session is destroyed

    beast::ssl_stream<beast::tcp_stream> stream_;
    Shared& shared_;
    std::string remote_ip_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<http::response<http::string_body>> res_;
    bool idle_ = false;
    bool close_after_write_ = false;
};

}  // namespace

struct Server::Impl {
    Impl(ServerOptions o, Router r, Authenticator a)
        : options(std::move(o)),
          router(std::move(r)),
          authenticate(std::move(a)),
          limiter(options.rate_limit_per_second, options.rate_limit_burst),
          shared(options, router, authenticate, limiter),
          ioc(std::max(1, options.threads)) {}

    void DoAccept() {
        acceptor->async_accept(
            asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
                if (!ec) std::make_shared<Session>(std::move(socket), ctx, shared)->Run();
                if (shared.stopping || !acceptor->is_open()) return;
                DoAccept();
            });
    }

    // Declaration order matters: ioc and acceptor are destroyed first, taking pending
    // sessions (which reference ctx and shared) with them.
    ServerOptions options;
    Router router;
    Authenticator authenticate;
    RateLimiter limiter;
    std::string openapi_json;
    ssl::context ctx{ssl::context::tls_server};
    Shared shared;
    asio::io_context ioc;
    std::optional<tcp::acceptor> acceptor;
    std::vector<std::thread> threads;
    uint16_t port = 0;
    bool started = false;
    bool stopped = false;
};

Server::Server(ServerOptions options, Router router, Authenticator authenticate)
    : impl_(
          std::make_unique<Impl>(std::move(options), std::move(router), std::move(authenticate))) {}

Server::~Server() { Stop(); }

uint16_t Server::port() const { return impl_->port; }

const Router& Server::router() const { return impl_->router; }

Status Server::Start() {
    Impl& s = *impl_;
    if (s.started || s.stopped) return MakeError(Code::kFailedPrecondition, "server already ran");
    if (!s.router.Has("GET", "/api/v1/health")) {
        auto added =
            s.router.Add({"GET", "/api/v1/health", std::string(kPublic),
                          [](const Request&) { return Response::Json(200, R"({"status":"ok"})"); },
                          "Liveness check"});
        if (!added) return added;
    }
    if (!s.router.Has("GET", "/api/v1/openapi.json")) {
        Impl* impl = &s;
        auto added = s.router.Add(
            {"GET", "/api/v1/openapi.json",
             std::string(auth::PermissionName(auth::Permission::kSystemStatus)),
             [impl](const Request&) { return Response::Json(200, impl->openapi_json); },
             "OpenAPI 3.0 description of this API"});
        if (!added) return added;
    }
    // The route table is fixed from here on, so the document is built once.
    s.openapi_json = BuildOpenApi(s.router);

    net::TlsServerConfig tls_config{s.options.cert_pem_path, s.options.key_pem_path,
                                    s.options.allow_tls12};
    if (auto tls = net::ConfigureServerTls(s.ctx.native_handle(), tls_config); !tls) return tls;

    beast::error_code ec;
    auto address = asio::ip::make_address(s.options.bind, ec);
    if (ec) return InvalidArgument("invalid bind address '" + s.options.bind + "'");
    tcp::endpoint endpoint(address, s.options.port);
    s.acceptor.emplace(s.ioc);
    std::string where = s.options.bind + ":" + std::to_string(s.options.port);
    if (s.acceptor->open(endpoint.protocol(), ec); ec) {
        return MakeError(Code::kUnavailable, "opening socket for " + where + ": " + ec.message());
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
    s.started = true;
    for (int i = 0; i < std::max(1, s.options.threads); ++i) {
        s.threads.emplace_back([&s] {
            for (;;) {
                try {
                    s.ioc.run();
                    return;
                } catch (...) {
                    // A handler threw past HandleRequest (e.g. bad_alloc): keep serving.
                }
            }
        });
    }
    return Ok();
}

void Server::Stop() {
    Impl& s = *impl_;
    if (!s.started) return;
    s.started = false;
    s.stopped = true;
    s.shared.stopping = true;
    asio::post(s.ioc, [&s] {
        beast::error_code ec;
        s.acceptor->close(ec);
    });
    {
        std::lock_guard lock(s.shared.mu);
        for (auto& weak : s.shared.sessions) {
            if (auto session = weak.lock()) session->StopIfIdle();
        }
    }
    // run() returns by itself once every connection has finished; cut the rest at the grace.
    auto deadline = std::chrono::steady_clock::now() + s.options.shutdown_grace;
    while (!s.ioc.stopped() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    s.ioc.stop();
    for (auto& t : s.threads) t.join();
    s.threads.clear();
}

}  // namespace vigil::api
