#include "audit/keys.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "audit/record.h"

namespace vigil::audit {
namespace {

struct PkeyDeleter {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxDeleter {
    void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioDeleter {
    void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

constexpr size_t kEd25519SignatureBytes = 64;

// The OpenSSL error queue is per thread; drain it so a later call does not report a stale error.
std::string OpenSslError(std::string_view what) {
    std::string message(what);
    unsigned long err = ERR_get_error();
    if (err != 0) {
        char buf[256];
        ERR_error_string_n(err, buf, sizeof buf);
        message += ": ";
        message += buf;
    }
    ERR_clear_error();
    return message;
}

Result<std::string> RawPublicKey(EVP_PKEY* pkey) {
    std::string raw(kEd25519PublicKeyBytes, '\0');
    size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(raw.data()), &len) !=
            1 ||
        len != kEd25519PublicKeyBytes) {
        return Internal(OpenSslError("reading the Ed25519 public key"));
    }
    return raw;
}

Result<std::string> ReadSmallFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound("cannot open " + path.string() + ": " + std::strerror(errno));
    std::string data;
    data.resize(kMaxPemBytes + 1);
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<size_t>(in.gcount()));
    if (data.size() > kMaxPemBytes) {
        return InvalidArgument(path.string() + " is larger than " + std::to_string(kMaxPemBytes) +
                               " bytes; not a key file");
    }
    return data;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return out;
}

Result<std::string> Base64Decode(std::string_view text) {
    if (text.size() % 4 != 0) return InvalidArgument("base64 length is not a multiple of 4");
    if (text.empty()) return std::string();
    std::string out(3 * (text.size() / 4), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) return InvalidArgument("invalid base64");
    // EVP_DecodeBlock counts padding as zero bytes; drop them.
    size_t padding = 0;
    if (text.back() == '=') ++padding;
    if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
    out.resize(static_cast<size_t>(n) - padding);
    return out;
}

// ---- PublicKey ----

Result<PublicKey> PublicKey::FromRaw(std::string_view raw) {
    if (raw.size() != kEd25519PublicKeyBytes) {
        return InvalidArgument("an Ed25519 public key is 32 bytes, got " +
                               std::to_string(raw.size()));
    }
    PublicKey key;
    key.raw_ = std::string(raw);
    key.key_id_ = Sha256Hex(raw).substr(0, 16);
    return key;
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
    if (pem.size() > kMaxPemBytes) return InvalidArgument("public key PEM is too large");
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return Internal(OpenSslError("allocating a BIO"));
    PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!pkey) return InvalidArgument(OpenSslError("not a PEM public key"));
    if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
        return InvalidArgument("the public key is not an Ed25519 key");
    }
    auto raw = RawPublicKey(pkey.get());
    if (!raw) return tl::unexpected(raw.error());
    return FromRaw(*raw);
}

Result<PublicKey> PublicKey::LoadFromFile(const std::filesystem::path& path) {
    auto pem = ReadSmallFile(path);
    if (!pem) return tl::unexpected(std::move(pem.error()));
    auto key = FromPem(*pem);
    if (!key) return tl::unexpected(std::move(key.error()).WithContext(path.string()));
    return key;
}

Result<std::string> PublicKey::ToPem() const {
    PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                             reinterpret_cast<const unsigned char*>(raw_.data()),
                                             raw_.size()));
    if (!pkey) return Internal(OpenSslError("building the Ed25519 public key"));
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1) {
        return Internal(OpenSslError("writing the public key PEM"));
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
}

bool PublicKey::Verify(std::string_view message, std::string_view signature_b64) const {
    auto sig = Base64Decode(signature_b64);
    if (!sig || sig->size() != kEd25519SignatureBytes) return false;
    if (raw_.size() != kEd25519PublicKeyBytes) return false;
    PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                             reinterpret_cast<const unsigned char*>(raw_.data()),
                                             raw_.size()));
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!pkey || !ctx) {
        ERR_clear_error();
        return false;
    }
    // Ed25519 is one-shot: no digest name, no streaming update.
    bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
              EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()),
                               sig->size(), reinterpret_cast<const unsigned char*>(message.data()),
                               message.size()) == 1;
    ERR_clear_error();
    return ok;
}

// ---- SigningKey ----

struct SigningKey::Impl {
    PkeyPtr pkey;
    PublicKey public_key;
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

Result<SigningKey> SigningKey::Generate() {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
        return Internal(OpenSslError("generating an Ed25519 key"));
    }
    PkeyPtr pkey(raw);
    auto pub = RawPublicKey(pkey.get());
    if (!pub) return tl::unexpected(pub.error());
    auto public_key = PublicKey::FromRaw(*pub);
    if (!public_key) return tl::unexpected(public_key.error());
    return SigningKey(std::make_unique<Impl>(Impl{std::move(pkey), std::move(*public_key)}));
}

Result<SigningKey> SigningKey::FromPem(std::string_view pem) {
    if (pem.size() > kMaxPemBytes) return InvalidArgument("private key PEM is too large");
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return Internal(OpenSslError("allocating a BIO"));
    // A null password callback with an empty passphrase: encrypted keys fail instead of
    // prompting on the terminal.
    char empty[] = "";
    PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, empty));
    if (!pkey) return InvalidArgument(OpenSslError("not an unencrypted PEM private key"));
    if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
        return InvalidArgument("the private key is not an Ed25519 key");
    }
    auto pub = RawPublicKey(pkey.get());
    if (!pub) return tl::unexpected(pub.error());
    auto public_key = PublicKey::FromRaw(*pub);
    if (!public_key) return tl::unexpected(public_key.error());
    return SigningKey(std::make_unique<Impl>(Impl{std::move(pkey), std::move(*public_key)}));
}

Result<SigningKey> SigningKey::LoadFromFile(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return NotFound("cannot stat " + path.string() + ": " + std::strerror(errno));
    }
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return MakeError(Code::kPermissionDenied,
                         path.string() + " is accessible by group or others (mode " + mode +
                             "); the audit signing key must be mode 0600");
    }
    auto pem = ReadSmallFile(path);
    if (!pem) return tl::unexpected(std::move(pem.error()));
    auto key = FromPem(*pem);
    OPENSSL_cleanse(pem->data(), pem->size());
    if (!key) return tl::unexpected(std::move(key.error()).WithContext(path.string()));
    return key;
}

Result<std::string> SigningKey::ToPem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1) {
        return Internal(OpenSslError("writing the private key PEM"));
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
}

Status SigningKey::SaveToFile(const std::filesystem::path& path) const {
    auto pem = ToPem();
    if (!pem) return tl::unexpected(pem.error());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        OPENSSL_cleanse(pem->data(), pem->size());
        return MakeError(Code::kUnavailable,
                         "cannot create " + path.string() + ": " + std::strerror(errno));
    }
    // O_CREAT's mode does not apply to a file that already exists.
    bool ok = ::fchmod(fd, 0600) == 0;
    size_t written = 0;
    while (ok && written < pem->size()) {
        ssize_t n = ::write(fd, pem->data() + written, pem->size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = false;
            break;
        }
        written += static_cast<size_t>(n);
    }
    int saved_errno = errno;
    ok = ok && ::fsync(fd) == 0;
    if (!ok) saved_errno = errno;
    ::close(fd);
    OPENSSL_cleanse(pem->data(), pem->size());
    if (!ok) {
        return MakeError(Code::kUnavailable,
                         "writing " + path.string() + ": " + std::strerror(saved_errno));
    }
    return Ok();
}

const PublicKey& SigningKey::public_key() const { return impl_->public_key; }

Result<std::string> SigningKey::Sign(std::string_view message) const {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    std::string sig(kEd25519SignatureBytes, '\0');
    size_t len = sig.size();
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey.get()) != 1 ||
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1) {
        return Internal(OpenSslError("signing with the Ed25519 key"));
    }
    sig.resize(len);
    return Base64Encode(sig);
}

}  // namespace vigil::audit
