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

std::optional<std::string> TlsExchange(uint16_t port, const std::string& ca_file,
                                       const std::string& raw, int min_version, int max_version) {
    // A server that answers early (413) and closes must not kill the test with SIGPIPE.
    static const bool ignore_sigpipe = [] {
        std::signal(SIGPIPE, SIG_IGN);
        return true;
    }();
    (void)ignore_sigpipe;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return std::nullopt;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return std::nullopt;
    }
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                          SSL_CTX_free);
    SSL_CTX_set_min_proto_version(ctx.get(), min_version);
    SSL_CTX_set_max_proto_version(ctx.get(), max_version);
    SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
    SSL_set_fd(ssl.get(), fd);
    SSL_set_tlsext_host_name(ssl.get(), "localhost");
    SSL_set1_host(ssl.get(), "localhost");
    std::optional<std::string> out;
    if (SSL_connect(ssl.get()) == 1) {
        out.emplace();
        if (!raw.empty()) SSL_write(ssl.get(), raw.data(), static_cast<int>(raw.size()));
        char buf[4096];
        int n;
        while ((n = SSL_read(ssl.get(), buf, sizeof(buf))) > 0) out->append(buf, n);
        SSL_shutdown(ssl.get());
    }
    ::close(fd);
    return out;
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
