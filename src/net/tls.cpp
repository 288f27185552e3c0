#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace vigil::net {

std::string OpenSslError() {
    std::string out;
    while (unsigned long err = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(err, buf, sizeof(buf));
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

Status ConfigureServerTls(SSL_CTX* ctx, const TlsServerConfig& options) {
    ERR_clear_error();
    // TLS 1.3 only unless the operator opts into 1.2 for old clients.
    SSL_CTX_set_min_proto_version(ctx, options.allow_tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    uint64_t opts =
        SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE;
#ifdef SSL_OP_NO_CLIENT_RENEGOTIATION
    opts |= SSL_OP_NO_CLIENT_RENEGOTIATION;
#endif
    SSL_CTX_set_options(ctx, opts);
    // TLS 1.2 (when allowed): forward-secret AEAD suites only.
    if (SSL_CTX_set_cipher_list(ctx,
                                "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                                "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256") != 1) {
        return Internal("setting TLS 1.2 ciphers: " + OpenSslError());
    }
    if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
        return Internal("setting TLS groups: " + OpenSslError());
    }
    if (options.cert_pem_path.empty() || options.key_pem_path.empty()) {
        return InvalidArgument("TLS certificate and key paths are required");
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_pem_path.c_str()) != 1) {
        return InvalidArgument("loading TLS certificate " + options.cert_pem_path + ": " +
                               OpenSslError());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, options.key_pem_path.c_str(), SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            return InvalidArgument("TLS key " + options.key_pem_path +
                                   " does not match certificate " + options.cert_pem_path);
        }
        return InvalidArgument("loading TLS key " + options.key_pem_path + ": " + OpenSslError());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        return InvalidArgument("TLS key " + options.key_pem_path + " does not match certificate " +
                               options.cert_pem_path + ": " + OpenSslError());
    }
    return Ok();
}

}  // namespace vigil::net
