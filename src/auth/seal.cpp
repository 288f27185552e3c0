#include "auth/seal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include "auth/encoding.h"

namespace vigil::auth {
namespace {

constexpr size_t kNonceBytes = 12;  // GCM's native IV size
constexpr size_t kTagBytes = 16;
constexpr std::string_view kVersion = "v1";

struct CtxDeleter {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::string KeyId(const unsigned char* bytes) {
    // A digest under a fixed label: identifies the key without revealing anything useful.
    unsigned char digest[SHA256_DIGEST_LENGTH];
    std::string input = "vigil-seal-key-id:";
    input.append(reinterpret_cast<const char*>(bytes), kSealKeyBytes);
    SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    OPENSSL_cleanse(input.data(), input.size());
    return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), 8));
}

std::string Errno(std::string_view what, const std::filesystem::path& path) {
    return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

struct Parsed {
    std::string_view header;  // "v1:<key_id>:"
    std::string_view key_id;
    std::string blob;  // nonce | ciphertext | tag
};

Result<Parsed> Parse(std::string_view sealed) {
    if (sealed.size() > kMaxSealedPlaintextBytes * 2) {
        return InvalidArgument("sealed value too large");
    }
    size_t first = sealed.find(':');
    size_t second = first == std::string_view::npos ? first : sealed.find(':', first + 1);
    if (second == std::string_view::npos || sealed.substr(0, first) != kVersion) {
        return InvalidArgument("not a sealed value (expected \"v1:<key_id>:<data>\")");
    }
    Parsed p;
    p.header = sealed.substr(0, second + 1);
    p.key_id = sealed.substr(first + 1, second - first - 1);
    auto blob = Base64Decode(sealed.substr(second + 1));
    if (!blob) return tl::unexpected(std::move(blob.error()).WithContext("sealed value"));
    if (blob->size() < kNonceBytes + kTagBytes) {
        return MakeError(Code::kDataLoss, "sealed value truncated");
    }
    p.blob = std::move(*blob);
    return p;
}

}  // namespace

// ---- SealKey ----

Result<SealKey> SealKey::Generate() {
    SealKey key;
    if (RAND_bytes(key.bytes_, kSealKeyBytes) != 1) {
        return Internal("RAND_bytes failed while generating a sealing key");
    }
    key.id_ = KeyId(key.bytes_);
    return key;
}

Result<SealKey> SealKey::FromBytes(std::string_view bytes) {
    if (bytes.size() != kSealKeyBytes) {
        return InvalidArgument("sealing key must be " + std::to_string(kSealKeyBytes) +
                               " bytes, got " + std::to_string(bytes.size()));
    }
    SealKey key;
    std::memcpy(key.bytes_, bytes.data(), kSealKeyBytes);
    key.id_ = KeyId(key.bytes_);
    return key;
}

Result<SealKey> SealKey::CreateFile(const std::filesystem::path& path) {
    auto key = Generate();
    if (!key) return key;
    Fd f;
    f.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f.fd < 0) return MakeError(Code::kFailedPrecondition, Errno("creating key file", path));
    // The umask can only remove bits, but be explicit: 0600 whatever it was.
    if (::fchmod(f.fd, 0600) != 0) return Internal(Errno("chmod key file", path));
    size_t done = 0;
    while (done < kSealKeyBytes) {
        ssize_t n = ::write(f.fd, key->bytes_ + done, kSealKeyBytes - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Internal(Errno("writing key file", path));
        done += static_cast<size_t>(n);
    }
    if (::fsync(f.fd) != 0) return Internal(Errno("syncing key file", path));
    return key;
}

Result<SealKey> SealKey::LoadFile(const std::filesystem::path& path) {
    Fd f;
    f.fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (f.fd < 0) {
        return MakeError(errno == ENOENT ? Code::kNotFound : Code::kFailedPrecondition,
                         Errno("opening key file", path));
    }
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) return Internal(Errno("stat key file", path));
    if (!S_ISREG(st.st_mode)) {
        return MakeError(Code::kFailedPrecondition,
                         "key file " + path.string() + " is not a regular file");
    }
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return MakeError(Code::kPermissionDenied, "key file " + path.string() +
                                                      " is accessible by group or others (mode " +
                                                      mode + "); run: chmod 600 " + path.string());
    }
    if (st.st_size != static_cast<off_t>(kSealKeyBytes)) {
        return MakeError(Code::kDataLoss, "key file " + path.string() + " must hold exactly " +
                                              std::to_string(kSealKeyBytes) + " bytes, has " +
                                              std::to_string(st.st_size));
    }
    SealKey key;
    size_t done = 0;
    while (done < kSealKeyBytes) {
        ssize_t n = ::read(f.fd, key.bytes_ + done, kSealKeyBytes - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Internal(Errno("reading key file", path));
        done += static_cast<size_t>(n);
    }
    key.id_ = KeyId(key.bytes_);
    return key;
}

SealKey::SealKey(const SealKey& other) : id_(other.id_) {
    std::memcpy(bytes_, other.bytes_, kSealKeyBytes);
}
SealKey& SealKey::operator=(const SealKey& other) {
    std::memcpy(bytes_, other.bytes_, kSealKeyBytes);
    id_ = other.id_;
    return *this;
}
SealKey::SealKey(SealKey&& other) noexcept : id_(std::move(other.id_)) {
    std::memcpy(bytes_, other.bytes_, kSealKeyBytes);
    OPENSSL_cleanse(other.bytes_, kSealKeyBytes);
}
SealKey& SealKey::operator=(SealKey&& other) noexcept {
    std::memcpy(bytes_, other.bytes_, kSealKeyBytes);
    OPENSSL_cleanse(other.bytes_, kSealKeyBytes);
    id_ = std::move(other.id_);
    return *this;
}
SealKey::~SealKey() { OPENSSL_cleanse(bytes_, kSealKeyBytes); }

// ---- KeyRing ----

struct KeyRing::Impl {
    std::vector<SealKey> keys;  // keys[0] is current

    const SealKey* Find(std::string_view id) const {
        for (const SealKey& k : keys) {
            if (k.id() == id) return &k;
        }
        return nullptr;
    }
};

KeyRing::KeyRing(SealKey current) : impl_(std::make_unique<Impl>()) {
    impl_->keys.push_back(std::move(current));
}
KeyRing::KeyRing(KeyRing&&) noexcept = default;
KeyRing& KeyRing::operator=(KeyRing&&) noexcept = default;
KeyRing::~KeyRing() = default;

Result<KeyRing> KeyRing::LoadFiles(const std::filesystem::path& current,
                                   const std::vector<std::filesystem::path>& old) {
    auto key = SealKey::LoadFile(current);
    if (!key) return tl::unexpected(std::move(key.error()));
    KeyRing ring(std::move(*key));
    for (const auto& path : old) {
        auto k = SealKey::LoadFile(path);
        if (!k) return tl::unexpected(std::move(k.error()));
        ring.AddOld(std::move(*k));
    }
    return ring;
}

void KeyRing::Rotate(SealKey key) {
    auto& keys = impl_->keys;
    for (auto it = keys.begin(); it != keys.end(); ++it) {
        if (it->id() == key.id()) {
            keys.erase(it);
            break;
        }
    }
    keys.insert(keys.begin(), std::move(key));
}

void KeyRing::AddOld(SealKey key) {
    if (impl_->Find(key.id()) == nullptr) impl_->keys.push_back(std::move(key));
}

const std::string& KeyRing::current_id() const { return impl_->keys.front().id(); }

std::vector<std::string> KeyRing::key_ids() const {
    std::vector<std::string> ids;
    for (const SealKey& k : impl_->keys) ids.push_back(k.id());
    return ids;
}

Result<std::string> KeyRing::Seal(std::string_view plaintext, std::string_view aad) const {
    if (plaintext.size() > kMaxSealedPlaintextBytes) {
        return InvalidArgument("value too large to seal: " + std::to_string(plaintext.size()) +
                               " bytes");
    }
    const SealKey& key = impl_->keys.front();
    std::string header = std::string(kVersion) + ":" + key.id() + ":";
    // Random 96-bit nonces: safe for far more values than a deployment seals under one key
    // (NIST SP 800-38D bounds this at 2^32 invocations per key).
    std::string blob(kNonceBytes + plaintext.size() + kTagBytes, '\0');
    auto* out = reinterpret_cast<unsigned char*>(blob.data());
    if (RAND_bytes(out, kNonceBytes) != 1) return Internal("RAND_bytes failed for a GCM nonce");
    CtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    bool ok = ctx &&
              EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes_, out) == 1 &&
              EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                                reinterpret_cast<const unsigned char*>(header.data()),
                                static_cast<int>(header.size())) == 1 &&
              EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                                reinterpret_cast<const unsigned char*>(aad.data()),
                                static_cast<int>(aad.size())) == 1 &&
              EVP_EncryptUpdate(ctx.get(), out + kNonceBytes, &len,
                                reinterpret_cast<const unsigned char*>(plaintext.data()),
                                static_cast<int>(plaintext.size())) == 1 &&
              EVP_EncryptFinal_ex(ctx.get(), out + kNonceBytes + len, &len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                  out + kNonceBytes + plaintext.size()) == 1;
    if (!ok) return Internal("AES-256-GCM encryption failed");
    return header + Base64Encode(blob);
}

Result<std::string> KeyRing::Unseal(std::string_view sealed, std::string_view aad) const {
    auto parsed = Parse(sealed);
    if (!parsed) return tl::unexpected(std::move(parsed.error()));
    const SealKey* key = impl_->Find(parsed->key_id);
    if (key == nullptr) {
        return NotFound("no key with id '" + std::string(parsed->key_id) +
                        "' in the key ring (was an old key file removed before re-sealing?)");
    }
    auto* in = reinterpret_cast<unsigned char*>(parsed->blob.data());
    size_t ct_len = parsed->blob.size() - kNonceBytes - kTagBytes;
    std::string plain(ct_len, '\0');
    CtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    bool ok = ctx &&
              EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key->bytes_, in) == 1 &&
              EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                                reinterpret_cast<const unsigned char*>(parsed->header.data()),
                                static_cast<int>(parsed->header.size())) == 1 &&
              EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                                reinterpret_cast<const unsigned char*>(aad.data()),
                                static_cast<int>(aad.size())) == 1 &&
              EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                                in + kNonceBytes, static_cast<int>(ct_len)) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                                  in + kNonceBytes + ct_len) == 1 &&
              EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len,
                                  &len) == 1;
    if (!ok) {
        OPENSSL_cleanse(plain.data(), plain.size());
        return MakeError(Code::kDataLoss,
                         "sealed value failed authentication (tampered, wrong key or wrong "
                         "purpose)");
    }
    return plain;
}

Result<std::string> KeyRing::Reseal(std::string_view sealed, std::string_view aad) const {
    auto plain = Unseal(sealed, aad);
    if (!plain) return plain;
    auto out = Seal(*plain, aad);
    OPENSSL_cleanse(plain->data(), plain->size());
    return out;
}

bool KeyRing::NeedsReseal(std::string_view sealed) const {
    std::string prefix = std::string(kVersion) + ":" + current_id() + ":";
    return sealed.substr(0, prefix.size()) != prefix;
}

}  // namespace vigil::auth
