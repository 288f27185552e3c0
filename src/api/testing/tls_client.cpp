#include "api/testing/tls_client.h"

#include <unistd.h>

#include <cctype>
#include <csignal>
#include <memory>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace vigil::api::testing {

static_assert(kTls12 == TLS1_2_VERSION && kTls13 == TLS1_3_VERSION);

std::string HttpReply::Header(std::string name) const {
    std::string lower_head = head;
    for (auto& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t pos = lower_head.find("\r\n" + name + ":");
    if (pos == std::string::npos) return "";
    size_t start = pos + 2 + name.size() + 1;
    size_t end = head.find("\r\n", start);
    std::string v = head.substr(start, end - start);
    while (!v.empty() && v.front() == ' ') v.erase(v.begin());
    return v;
}

int ConnectLoopback(uint16_t port, int type) {
    int fd = ::socket(AF_INET, type, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

namespace {

using CtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;

// A TLS session over fd (which the caller closes), the server verified for "localhost"
// against ca_file; ssl is null when the handshake failed.
struct Client {
    CtxPtr ctx{nullptr, SSL_CTX_free};
    SslPtr ssl{nullptr, SSL_free};
};

Client Handshake(int fd, const std::string& ca_file, int min_version, int max_version) {
    Client c;
    c.ctx.reset(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_min_proto_version(c.ctx.get(), min_version);
    SSL_CTX_set_max_proto_version(c.ctx.get(), max_version);
    SSL_CTX_load_verify_locations(c.ctx.get(), ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(c.ctx.get(), SSL_VERIFY_PEER, nullptr);
    c.ssl.reset(SSL_new(c.ctx.get()));
    SSL_set_fd(c.ssl.get(), fd);
    SSL_set_tlsext_host_name(c.ssl.get(), "localhost");
    SSL_set1_host(c.ssl.get(), "localhost");
    if (SSL_connect(c.ssl.get()) != 1) c.ssl.reset();
    return c;
}

// A server that answers early (413) or closes must not kill the test with SIGPIPE.
void IgnoreSigpipe() {
    static const bool ignored = [] {
        std::signal(SIGPIPE, SIG_IGN);
        return true;
    }();
    (void)ignored;
}

}  // namespace

std::optional<std::string> TlsExchange(uint16_t port, const std::string& ca_file,
                                       const std::string& raw, int min_version, int max_version) {
    IgnoreSigpipe();
    const int fd = ConnectLoopback(port, SOCK_STREAM);
    if (fd < 0) return std::nullopt;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    Client c = Handshake(fd, ca_file, min_version, max_version);
    std::optional<std::string> out;
    if (c.ssl) {
        out.emplace();
        if (!raw.empty()) SSL_write(c.ssl.get(), raw.data(), static_cast<int>(raw.size()));
        char buf[4096];
        int n;
        while ((n = SSL_read(c.ssl.get(), buf, sizeof(buf))) > 0) out->append(buf, n);
        SSL_shutdown(c.ssl.get());
    }
    ::close(fd);
    return out;
}

bool TlsSend(uint16_t port, const std::string& ca_file, const std::string& data, int min_version,
             int max_version, bool* answered) {
    IgnoreSigpipe();
    const int fd = ConnectLoopback(port, SOCK_STREAM);
    if (fd < 0) return false;
    Client c = Handshake(fd, ca_file, min_version, max_version);
    bool ok = c.ssl != nullptr;
    if (ok) ok = SSL_write(c.ssl.get(), data.data(), static_cast<int>(data.size())) > 0;
    if (ok) SSL_shutdown(c.ssl.get());
    if (ok && answered) {
        // The second SSL_shutdown reads on until the peer's close_notify (1) or an error.
        timeval tv{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        *answered = SSL_shutdown(c.ssl.get()) == 1;
    }
    c = Client{};
    ::close(fd);
    return ok;
}

HttpReply ParseReply(const std::string& raw) {
    HttpReply r;
    size_t end = raw.find("\r\n\r\n");
    r.head = raw.substr(0, end);
    if (end != std::string::npos) r.body = raw.substr(end + 4);
    if (raw.rfind("HTTP/1.1 ", 0) == 0) r.status = std::stoi(raw.substr(9, 3));
    return r;
}

}  // namespace vigil::api::testing
