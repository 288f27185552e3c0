#pragma once
// The HTTPS server behind `vigil serve`: TLS 1.3 (1.2 only when allowed), HTTP/1.1 with
// named limits, per-IP rate limiting, and HandleRequest() for routing and the permission
// check. Boost.Beast and OpenSSL stay inside server.cpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/router.h"
#include "api/static_files.h"
#include "base/result.h"

namespace vigil::api {

struct ServerOptions {
    std::string bind = "127.0.0.1";
    uint16_t port = 8443;  // 0: an ephemeral port; Server::port() reports it
    std::string cert_pem_path;
    std::string key_pem_path;
    bool allow_tls12 = false;
    size_t max_body_bytes = 1024 * 1024;
    size_t max_header_bytes = 16 * 1024;
    double rate_limit_per_second = 50;  // per client IP; <= 0 disables
    double rate_limit_burst = 100;
    // Applies to the TLS handshake, each request read and each response write.
    std::chrono::milliseconds read_timeout{30000};
    // How long Stop() lets in-flight requests finish before cutting connections.
    std::chrono::milliseconds shutdown_grace{5000};
    int threads = 1;
    // The web console served outside /api/ (see static_files.h); none when null.
    std::shared_ptr<const StaticFiles> console;
};

class Server {
public:
    // Adds GET /api/v1/health (public) and GET /api/v1/openapi.json (system.status: every
    // signed-in user) to `router` at Start() unless routes with those paths already exist.
    Server(ServerOptions options, Router router, Authenticator authenticate);
    ~Server();  // Stop()s
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Loads the certificate and key, binds, and starts the worker threads. Fails with the
    // reason when the certificate or key is unreadable or mismatched, or the bind fails.
    Status Start();
    // The bound port (the ephemeral one when options.port was 0); 0 before Start().
    uint16_t port() const;
    // Stops accepting, lets in-flight requests finish (up to shutdown_grace), joins threads.
    void Stop();

    const Router& router() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::api
