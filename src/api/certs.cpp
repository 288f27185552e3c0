#include "api/certs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

namespace vigil::api {
namespace {

template <auto Fn>
struct Deleter {
    template <typename T>
    void operator()(T* p) const {
        Fn(p);
    }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

std::string OpenSslError(std::string_view what) {
    std::string out(what);
    unsigned long err = ERR_get_error();
    if (err != 0) {
        char buf[256];
        ERR_error_string_n(err, buf, sizeof(buf));
        out += ": ";
        out += buf;
    }
    ERR_clear_error();
    return out;
}

Status AddExtension(X509* cert, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
        return Internal(OpenSslError("adding certificate extension " + value));
    }
    return Ok();
}

Result<FilePtr> OpenForWrite(const std::string& path, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) return MakeError(Code::kUnavailable, "cannot create " + path);
    // An existing file keeps its old mode through O_CREAT; force ours.
    if (::fchmod(fd, mode) != 0) {
        ::close(fd);
        return MakeError(Code::kUnavailable, "cannot set mode of " + path);
    }
    FILE* f = ::fdopen(fd, "w");
    if (!f) {
        ::close(fd);
        return MakeError(Code::kUnavailable, "cannot open " + path);
    }
    return FilePtr(f);
}

}  // namespace

Status GenerateSelfSigned(const std::string& common_name, int days, const std::string& cert_path,
                          const std::string& key_path) {
    if (common_name.empty() || common_name.size() > 64) {
        return InvalidArgument("common name must be 1..64 characters");
    }
    if (common_name.find_first_of(",:\n\r") != std::string::npos) {
        return InvalidArgument("common name contains ',', ':' or a line break");
    }
    if (days < 1 || days > 3650) return InvalidArgument("days must be 1..3650");

    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) return Internal(OpenSslError("generating EC P-256 key"));

    X509Ptr cert(X509_new());
    if (!cert) return Internal(OpenSslError("allocating certificate"));
    X509_set_version(cert.get(), 2);  // v3

    unsigned char serial_bytes[16];
    if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) {
        return Internal(OpenSslError("random serial"));
    }
    serial_bytes[0] &= 0x7f;  // positive
    BnPtr serial(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
    if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
        return Internal(OpenSslError("setting serial"));
    }
    // Back-date a little so clocks slightly behind ours still accept it.
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());

    X509_NAME* name = X509_get_subject_name(cert.get());
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) != 1) {
        return InvalidArgument(OpenSslError("invalid common name"));
    }
    X509_set_issuer_name(cert.get(), name);

    std::string san = "DNS:localhost,IP:127.0.0.1";
    if (common_name != "localhost" && common_name != "127.0.0.1") {
        san +=
            (common_name.find_first_not_of("0123456789.") == std::string::npos ? ",IP:" : ",DNS:") +
            common_name;
    }
    for (auto [nid, value] :
         {std::pair<int, std::string>{NID_basic_constraints, "critical,CA:FALSE"},
          {NID_key_usage, "critical,digitalSignature"},
          {NID_ext_key_usage, "serverAuth"},
          {NID_subject_key_identifier, "hash"},
          {NID_subject_alt_name, san}}) {
        if (auto s = AddExtension(cert.get(), nid, value); !s) return s;
    }
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
        return Internal(OpenSslError("signing certificate"));
    }

    auto key_file = OpenForWrite(key_path, 0600);
    if (!key_file) return tl::unexpected(std::move(key_file.error()));
    if (PEM_write_PrivateKey(key_file->get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
            1 ||
        std::fflush(key_file->get()) != 0) {
        return MakeError(Code::kUnavailable, OpenSslError("writing " + key_path));
    }
    auto cert_file = OpenForWrite(cert_path, 0644);
    if (!cert_file) return tl::unexpected(std::move(cert_file.error()));
    if (PEM_write_X509(cert_file->get(), cert.get()) != 1 || std::fflush(cert_file->get()) != 0) {
        return MakeError(Code::kUnavailable, OpenSslError("writing " + cert_path));
    }
    return Ok();
}

}  // namespace vigil::api
