#pragma once
// Test support: a plain OpenSSL client that sends raw HTTP bytes over TLS to a server on
// 127.0.0.1, so tests can choose protocol versions and send malformed requests, plus loopback
// connects and a TLS sender for the syslog listeners. Built only with the tests (library
// vigil_api_testing).

#include <cstdint>
#include <optional>
#include <string>

namespace vigil::api::testing {

inline constexpr int kTls12 = 0x0303;  // TLS1_2_VERSION
inline constexpr int kTls13 = 0x0304;  // TLS1_3_VERSION

struct HttpReply {
    int status = 0;
    std::string head;
    std::string body;
    // Value of a response header (case-insensitive name), "" when absent.
    std::string Header(std::string name) const;
};

// Connects with TLS limited to [min_version, max_version], verifying the server certificate
// against `ca_file` for host "localhost", sends `raw` and reads until the server closes.
// nullopt when the connection or handshake fails.
std::optional<std::string> TlsExchange(uint16_t port, const std::string& ca_file,
                                       const std::string& raw, int min_version = kTls12,
                                       int max_version = kTls13);

HttpReply ParseReply(const std::string& raw);

// A socket of `type` (SOCK_STREAM, SOCK_DGRAM) connected to 127.0.0.1:port; -1 on failure.
int ConnectLoopback(uint16_t port, int type);

// Connects as TlsExchange does, writes `data` and closes cleanly (a syslog-over-TLS sender);
// false when the connection, the handshake or the write fails. With answered, the close waits
// (up to 5 s) for the server's close_notify in reply and says whether it came.
bool TlsSend(uint16_t port, const std::string& ca_file, const std::string& data,
             int min_version = kTls12, int max_version = kTls13, bool* answered = nullptr);

}  // namespace vigil::api::testing
