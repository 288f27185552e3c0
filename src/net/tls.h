#pragma once
// The TLS policy of every Vigil listener that carries credentials or logs (the HTTPS API, syslog
// over TLS): TLS 1.3 only unless 1.2 is explicitly allowed, forward-secret AEAD suites for
// 1.2, no compression or renegotiation, X25519/P-256/P-384, and a certificate whose key is
// checked at start. OpenSSL's headers stay in tls.cpp.

#include <string>

#include "base/result.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace vigil::net {

struct TlsServerConfig {
    std::string cert_pem_path;
    std::string key_pem_path;
    bool allow_tls12 = false;
};

// Applies the policy and loads the certificate chain and key into ctx. Errors name the file
// and OpenSSL's reason ("TLS key K does not match certificate C").
Status ConfigureServerTls(ssl_ctx_st* ctx, const TlsServerConfig& config);

// OpenSSL's queued errors as one line (and clears the queue).
std::string OpenSslError();

}  // namespace vigil::net
