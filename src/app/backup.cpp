#include "app/backup.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include <argon2.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "app/data_dir_lock.h"
#include "audit/keys.h"
#include "audit/sqlite_log.h"
#include "base/files.h"
#include "base/strings.h"
#include "store/backup.h"
#include "store/database.h"
#include "store/text_index.h"

namespace vigil::app {

namespace fs = std::filesystem;

namespace {

// ---- archive format (docs/backup.md) ----
//
// header (64 bytes):
//   0  8  "VIGILBAK"
//   8  4  format version (1)
//  12  4  key derivation (1 = argon2id v1.3)
//  16  4  argon2 memory (KiB)      20  4  argon2 iterations      24  4  argon2 parallelism
//  28  4  plaintext bytes per chunk
//  32 16  salt
//  48 16  key check: HMAC-SHA256(K, "vigil-backup-v1 key check" | bytes 0..47), first 16 bytes
// chunks, each:
//   flags (1 byte, bit 0 = final) | plaintext length (4) | ciphertext | GCM tag (16)
//   key   HMAC-SHA256(K, "vigil-backup-v1 aes-256-gcm")     K = argon2id(passphrase, salt)
//   nonce chunk index (8) | flags (4)
//   AAD   header (64) | chunk index (8) | flags (1) | length (4)
// Integers are big-endian. Every chunk but the last holds exactly the chunk size; the last
// carries the final flag, and nothing may follow it.
//
// The plaintext is a record stream: "VIGILST1", then records
//   type (1: 'D' directory, 'F' file, 'M' manifest) | mode (4) | size (8) | path length (2) |
//   path | size bytes of content
// with the JSON manifest last.

constexpr std::string_view kMagic = "VIGILBAK";
constexpr std::string_view kStreamMagic = "VIGILST1";
constexpr uint32_t kFormatVersion = 1;
constexpr uint32_t kKdfArgon2id = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHeaderBodyBytes = 48;
constexpr size_t kCheckBytes = 16;
constexpr size_t kHeaderBytes = kHeaderBodyBytes + kCheckBytes;
constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kChunkHeaderBytes = 5;
constexpr uint8_t kFinalFlag = 1;
constexpr size_t kMinChunkBytes = 4096;
constexpr size_t kMaxChunkBytes = 16 * 1024 * 1024;
constexpr size_t kRecordHeaderBytes = 1 + 4 + 8 + 2;
constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kIoBytes = 64 * 1024;
// Small files (vigil.yml, PEM keys) are kept in memory while verifying; bounded in total.
constexpr uint64_t kKeepInMemoryBytes = 64 * 1024;
constexpr uint64_t kMaxInMemoryTotal = 16 * 1024 * 1024;

int64_t SystemNowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::tm Utc(int64_t ns) {
    std::time_t t = static_cast<std::time_t>(ns / 1000000000LL);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return tm;
}

// "20270115T080000Z"
std::string UtcCompact(int64_t ns) {
    const std::tm tm = Utc(ns);
    char buf[80];
    std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

// "2027-01-15T08:00:00Z"
std::string UtcIso(int64_t ns) {
    const std::tm tm = Utc(ns);
    char buf[80];
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string ModeString(uint32_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "%04o", mode & 07777);
    return buf;
}

void PutU32(unsigned char* p, uint32_t v) {
    for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v & 0xff);
}
void PutU64(unsigned char* p, uint64_t v) {
    for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v & 0xff);
}
uint32_t GetU32(const unsigned char* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint64_t GetU64(const unsigned char* p) { return (uint64_t{GetU32(p)} << 32) | GetU32(p + 4); }

tl::unexpected<Error> Errno(Code code, const std::string& what) {
    return MakeError(code, what + ": " + std::strerror(errno));
}

tl::unexpected<Error> Damaged(const fs::path& archive, const std::string& what) {
    return MakeError(Code::kDataLoss, archive.string() + ": " + what);
}

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        Reset();
        fd_ = std::exchange(o.fd_, -1);
        return *this;
    }
    ~Fd() { Reset(); }
    int get() const { return fd_; }
    void Reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

Status WriteAll(int fd, const void* data, size_t n, const fs::path& path) {
    const auto* p = static_cast<const char*>(data);
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return Errno(Code::kUnavailable, "writing " + path.string());
        p += w;
        n -= static_cast<size_t>(w);
    }
    return Ok();
}

// Reads up to n bytes, fewer only at the end of the file.
Result<size_t> ReadUpTo(int fd, void* data, size_t n, const fs::path& path) {
    auto* p = static_cast<char*>(data);
    size_t done = 0;
    while (done < n) {
        const ssize_t r = ::read(fd, p + done, n - done);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return Errno(Code::kUnavailable, "reading " + path.string());
        if (r == 0) break;
        done += static_cast<size_t>(r);
    }
    return done;
}

class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
    void Update(const void* data, size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }
    std::string HexDigest() {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx_.get(), out, &len);
        return HexEncode(std::string_view(reinterpret_cast<const char*>(out), len));
    }

private:
    struct Free {
        void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

struct CipherFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// Removes a path (file or tree) when the scope ends, unless released.
class RemoveGuard {
public:
    RemoveGuard() = default;
    explicit RemoveGuard(fs::path path) : path_(std::move(path)) {}
    RemoveGuard(const RemoveGuard&) = delete;
    RemoveGuard& operator=(const RemoveGuard&) = delete;
    ~RemoveGuard() {
        if (path_.empty()) return;
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    void Set(fs::path path) { path_ = std::move(path); }
    void Release() { path_.clear(); }

private:
    fs::path path_;
};

// A private (0700) directory created next to `near` with the given prefix.
Result<fs::path> MakePrivateDir(const fs::path& prefix) {
    std::string tmpl = prefix.string() + "XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
        return Errno(errno == EACCES ? Code::kPermissionDenied : Code::kUnavailable,
                     "cannot create a temporary directory " + tmpl);
    }
    return fs::path(tmpl);
}

// Every backup of a data directory (`vigil backup` and the scheduler's) holds a shared flock
// on DIR/.backup.lock from before it creates its staging directory until its archive is
// renamed into place; RemoveBackupLeftovers takes it exclusively, so whatever it finds then
// belongs to a backup that ended without cleaning up (kill -9, power loss).
constexpr std::string_view kStagingPrefix = ".backup-staging-";
constexpr std::string_view kBackupLockName = ".backup.lock";

Result<Fd> OpenBackupLock(const fs::path& dir) {
    const fs::path path = dir / kBackupLockName;
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
        return Errno(errno == EACCES ? Code::kPermissionDenied : Code::kUnavailable,
                     "cannot open " + path.string());
    }
    return fd;
}

// Blocks while a clean-up holds the lock (it is quick).
Result<Fd> LockBackupShared(const fs::path& dir) {
    auto fd = OpenBackupLock(dir);
    if (!fd) return fd;
    while (::flock(fd->get(), LOCK_SH) != 0) {
        if (errno != EINTR) {
            return Errno(Code::kUnavailable, "locking " + (dir / kBackupLockName).string());
        }
    }
    return fd;
}

// true: locked; false: someone else holds it.
Result<bool> TryLockExclusive(int fd, const fs::path& path) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
    if (errno == EWOULDBLOCK) return false;
    return Errno(Code::kUnavailable, "locking " + path.string());
}

uint64_t TreeBytes(const fs::path& path) {
    uint64_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code size_ec;
        if (it->is_regular_file(size_ec)) {
            const auto size = it->file_size(size_ec);
            if (!size_ec) total += size;
        }
    }
    return total;
}

// ---- keys ----

struct ArchiveKeys {
    unsigned char enc[kKeyBytes] = {};
    unsigned char check[kCheckBytes] = {};
    ~ArchiveKeys() {
        OPENSSL_cleanse(enc, sizeof(enc));
        OPENSSL_cleanse(check, sizeof(check));
    }
};

struct Header {
    uint32_t version = kFormatVersion;
    uint32_t kdf = kKdfArgon2id;
    KdfParams params;
    uint32_t chunk_bytes = kBackupChunkBytes;
    unsigned char salt[kSaltBytes] = {};

    std::string Body() const {
        std::string out(kHeaderBodyBytes, '\0');
        auto* p = reinterpret_cast<unsigned char*>(out.data());
        std::memcpy(p, kMagic.data(), kMagic.size());
        PutU32(p + 8, version);
        PutU32(p + 12, kdf);
        PutU32(p + 16, params.memory_kib);
        PutU32(p + 20, params.iterations);
        PutU32(p + 24, params.parallelism);
        PutU32(p + 28, chunk_bytes);
        std::memcpy(p + 32, salt, kSaltBytes);
        return out;
    }
};

Status Hmac(const unsigned char* key, std::string_view label, std::string_view data,
            unsigned char out[32]) {
    std::string msg(label);
    msg.append(data);
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), key, static_cast<int>(kKeyBytes),
             reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out,
             &len) == nullptr ||
        len != 32) {
        return Internal("HMAC-SHA256 failed");
    }
    return Ok();
}

Status DeriveKeys(const Passphrase& passphrase, const Header& header, ArchiveKeys& keys) {
    unsigned char master[kKeyBytes];
    const int rc = argon2id_hash_raw(header.params.iterations, header.params.memory_kib,
                                     header.params.parallelism, passphrase.view().data(),
                                     passphrase.size(), header.salt, kSaltBytes, master, kKeyBytes);
    if (rc != ARGON2_OK) {
        OPENSSL_cleanse(master, sizeof(master));
        return MakeError(
            rc == ARGON2_MEMORY_ALLOCATION_ERROR ? Code::kResourceExhausted : Code::kInternal,
            std::string("argon2id key derivation failed: ") + argon2_error_message(rc));
    }
    unsigned char mac[32];
    Status st = Hmac(master, "vigil-backup-v1 aes-256-gcm", "", mac);
    if (st) std::memcpy(keys.enc, mac, kKeyBytes);
    if (st) st = Hmac(master, "vigil-backup-v1 key check", header.Body(), mac);
    if (st) std::memcpy(keys.check, mac, kCheckBytes);
    OPENSSL_cleanse(master, sizeof(master));
    OPENSSL_cleanse(mac, sizeof(mac));
    return st;
}

void ChunkNonce(uint64_t index, uint8_t flags, unsigned char nonce[kNonceBytes]) {
    PutU64(nonce, index);
    PutU32(nonce + 8, flags);
}

std::string ChunkAad(const std::string& header, uint64_t index, uint8_t flags, uint32_t length) {
    std::string aad = header;
    unsigned char tail[13];
    PutU64(tail, index);
    tail[8] = flags;
    PutU32(tail + 9, length);
    aad.append(reinterpret_cast<const char*>(tail), sizeof(tail));
    return aad;
}

// ---- encrypted chunk stream ----

class ChunkWriter {
public:
    ChunkWriter(int fd, fs::path path, const ArchiveKeys& keys, std::string header,
                size_t chunk_bytes, const BackupOptions& options)
        : fd_(fd),
          path_(std::move(path)),
          keys_(keys),
          header_(std::move(header)),
          chunk_bytes_(chunk_bytes),
          options_(options) {
        buffer_.reserve(chunk_bytes_);
        out_.resize(kChunkHeaderBytes + chunk_bytes_ + kTagBytes);
    }
    ~ChunkWriter() { OPENSSL_cleanse(buffer_.data(), buffer_.size()); }

    // The header goes out unencrypted (but bound into every chunk's AAD).
    Status WriteHeader() { return Raw(header_.data(), header_.size()); }

    Status Write(std::string_view data) {
        while (!data.empty()) {
            if (buffer_.size() == chunk_bytes_) {
                if (auto st = Emit(0); !st) return st;
            }
            const size_t take = std::min(chunk_bytes_ - buffer_.size(), data.size());
            buffer_.append(data.substr(0, take));
            data.remove_prefix(take);
        }
        return Ok();
    }

    Status Finish() { return Emit(kFinalFlag); }

    uint64_t bytes() const { return bytes_; }
    std::string Sha256Hex() { return sha_.HexDigest(); }

private:
    Status Raw(const void* data, size_t n) {
        if (auto st = WriteAll(fd_, data, n, path_); !st) return st;
        sha_.Update(data, n);
        bytes_ += n;
        return Ok();
    }

    Status Emit(uint8_t flags) {
        if (options_.cancelled && options_.cancelled()) {
            return MakeError(Code::kCancelled, "interrupted");
        }
        const auto length = static_cast<uint32_t>(buffer_.size());
        unsigned char nonce[kNonceBytes];
        ChunkNonce(index_, flags, nonce);
        const std::string aad = ChunkAad(header_, index_, flags, length);
        auto* out = out_.data();
        out[0] = flags;
        PutU32(out + 1, length);
        std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
        int len = 0;
        int final_len = 0;
        const bool ok =
            ctx &&
            EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, keys_.enc, nonce) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                              reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), out + kChunkHeaderBytes, &len,
                              reinterpret_cast<const unsigned char*>(buffer_.data()),
                              static_cast<int>(length)) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), out + kChunkHeaderBytes + len, &final_len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                out + kChunkHeaderBytes + length) == 1;
        OPENSSL_cleanse(buffer_.data(), buffer_.size());
        buffer_.clear();
        if (!ok) return Internal("AES-256-GCM encryption failed");
        if (auto st = Raw(out, kChunkHeaderBytes + length + kTagBytes); !st) return st;
        ++index_;
        if (options_.progress) options_.progress(bytes_);
        return Ok();
    }

    int fd_;
    fs::path path_;
    const ArchiveKeys& keys_;
    std::string header_;
    size_t chunk_bytes_;
    const BackupOptions& options_;
    std::string buffer_;
    std::vector<unsigned char> out_;
    uint64_t index_ = 0;
    uint64_t bytes_ = 0;
    Sha256 sha_;
};

class ChunkReader {
public:
    ChunkReader(int fd, fs::path path, std::function<void(uint64_t)> progress,
                std::function<bool()> cancelled)
        : fd_(fd),
          path_(std::move(path)),
          progress_(std::move(progress)),
          cancelled_(std::move(cancelled)) {}
    ~ChunkReader() { OPENSSL_cleanse(plain_.data(), plain_.size()); }

    // Reads and checks the header, derives the key and checks the passphrase.
    Status Open(const Passphrase& passphrase) {
        unsigned char raw[kHeaderBytes];
        auto n = ReadRaw(raw, kHeaderBytes);
        if (!n) return tl::unexpected(n.error());
        if (*n < kMagic.size() || std::memcmp(raw, kMagic.data(), kMagic.size()) != 0) {
            return Damaged(path_, "not a vigil backup archive (it does not start with \"" +
                                      std::string(kMagic) + "\")");
        }
        if (*n < kHeaderBytes) return Damaged(path_, "the archive header is truncated");
        header_.version = GetU32(raw + 8);
        header_.kdf = GetU32(raw + 12);
        header_.params.memory_kib = GetU32(raw + 16);
        header_.params.iterations = GetU32(raw + 20);
        header_.params.parallelism = GetU32(raw + 24);
        header_.chunk_bytes = GetU32(raw + 28);
        std::memcpy(header_.salt, raw + 32, kSaltBytes);
        if (header_.version != kFormatVersion) {
            return MakeError(Code::kFailedPrecondition,
                             path_.string() + ": archive format " +
                                 std::to_string(header_.version) +
                                 " is not supported by this vigil (it reads format " +
                                 std::to_string(kFormatVersion) + ")");
        }
        const KdfParams& k = header_.params;
        if (header_.kdf != kKdfArgon2id || k.memory_kib < 8 || k.memory_kib > kMaxKdfMemoryKib ||
            k.iterations < 1 || k.iterations > kMaxKdfIterations || k.parallelism < 1 ||
            k.parallelism > 16 || k.memory_kib < 8 * k.parallelism ||
            header_.chunk_bytes < kMinChunkBytes || header_.chunk_bytes > kMaxChunkBytes) {
            return Damaged(path_, "the archive header has impossible parameters (damaged)");
        }
        header_bytes_.assign(reinterpret_cast<const char*>(raw), kHeaderBytes);
        if (auto st = DeriveKeys(passphrase, header_, keys_); !st) return st;
        if (CRYPTO_memcmp(keys_.check, raw + kHeaderBodyBytes, kCheckBytes) != 0) {
            return MakeError(Code::kPermissionDenied,
                             "wrong passphrase for " + path_.string() +
                                 " (or its header is damaged): nothing was decrypted");
        }
        cipher_.resize(header_.chunk_bytes + kTagBytes);
        return Ok();
    }

    // Exactly n bytes of plaintext; data_loss when the stream ends first.
    Status Read(void* out, size_t n) {
        auto* p = static_cast<char*>(out);
        while (n > 0) {
            if (pos_ == plain_.size()) {
                if (final_seen_) {
                    return Damaged(path_, "the content ends early (damaged or incomplete)");
                }
                if (auto st = Next(); !st) return st;
                continue;
            }
            const size_t take = std::min(n, plain_.size() - pos_);
            std::memcpy(p, plain_.data() + pos_, take);
            pos_ += take;
            p += take;
            n -= take;
        }
        return Ok();
    }

    // After the last record: the final chunk is used up and the file ends.
    Status ExpectEnd() {
        if (pos_ != plain_.size() || !final_seen_) {
            return Damaged(path_, "unexpected data after the manifest (damaged)");
        }
        unsigned char extra;
        auto n = ReadRaw(&extra, 1);
        if (!n) return tl::unexpected(n.error());
        if (*n != 0) return Damaged(path_, "unexpected bytes after the final chunk");
        return Ok();
    }

    uint64_t bytes() const { return bytes_; }
    std::string Sha256Hex() { return sha_.HexDigest(); }

private:
    Result<size_t> ReadRaw(void* out, size_t n) {
        auto r = ReadUpTo(fd_, out, n, path_);
        if (r) {
            sha_.Update(out, *r);
            bytes_ += *r;
        }
        return r;
    }

    Status Next() {
        if (cancelled_ && cancelled_()) return MakeError(Code::kCancelled, "interrupted");
        const uint64_t offset = bytes_;
        unsigned char head[kChunkHeaderBytes];
        auto n = ReadRaw(head, kChunkHeaderBytes);
        if (!n) return tl::unexpected(n.error());
        if (*n == 0) {
            return Damaged(path_, "the archive is truncated: it ends after " +
                                      std::to_string(index_) + " chunks without the final one");
        }
        const std::string where =
            "chunk " + std::to_string(index_) + " (at byte " + std::to_string(offset) + ")";
        if (*n < kChunkHeaderBytes) return Damaged(path_, "the archive is truncated in " + where);
        const uint8_t flags = head[0];
        const uint32_t length = GetU32(head + 1);
        if ((flags & ~kFinalFlag) != 0 || length > header_.chunk_bytes ||
            (!(flags & kFinalFlag) && length != header_.chunk_bytes)) {
            return Damaged(path_, where + " has a damaged chunk header");
        }
        auto got = ReadRaw(cipher_.data(), length + kTagBytes);
        if (!got) return tl::unexpected(got.error());
        if (*got < length + kTagBytes) {
            return Damaged(path_, "the archive is truncated in " + where);
        }
        unsigned char nonce[kNonceBytes];
        ChunkNonce(index_, flags, nonce);
        const std::string aad = ChunkAad(header_bytes_, index_, flags, length);
        OPENSSL_cleanse(plain_.data(), plain_.size());
        plain_.resize(length);
        std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
        int len = 0;
        int final_len = 0;
        auto* plain = reinterpret_cast<unsigned char*>(plain_.data());
        const bool ok =
            ctx &&
            EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, keys_.enc, nonce) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                              reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), plain, &len, cipher_.data(), static_cast<int>(length)) ==
                1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                                cipher_.data() + length) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), plain + len, &final_len) == 1;
        if (!ok) {
            OPENSSL_cleanse(plain_.data(), plain_.size());
            plain_.clear();
            pos_ = 0;
            return Damaged(path_, where +
                                      " failed authentication: the archive is damaged or was "
                                      "modified (or chunks were reordered)");
        }
        pos_ = 0;
        final_seen_ = (flags & kFinalFlag) != 0;
        ++index_;
        if (progress_) progress_(bytes_);
        return Ok();
    }

    int fd_;
    fs::path path_;
    std::function<void(uint64_t)> progress_;
    std::function<bool()> cancelled_;
    Header header_;
    std::string header_bytes_;
    ArchiveKeys keys_;
    std::vector<unsigned char> cipher_;
    std::string plain_;
    size_t pos_ = 0;
    bool final_seen_ = false;
    uint64_t index_ = 0;
    uint64_t bytes_ = 0;
    Sha256 sha_;
};

// ---- record stream ----

std::string RecordHeader(char type, uint32_t mode, uint64_t size, std::string_view path) {
    std::string out(kRecordHeaderBytes, '\0');
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    p[0] = static_cast<unsigned char>(type);
    PutU32(p + 1, mode);
    PutU64(p + 5, size);
    p[13] = static_cast<unsigned char>(path.size() >> 8);
    p[14] = static_cast<unsigned char>(path.size() & 0xff);
    out.append(path);
    return out;
}

// A relative path of plain components: no "", ".", ".." and no leading '/'.
bool SafeArchivePath(std::string_view path) {
    if (path.empty() || path.size() > kMaxPathBytes || path.front() == '/') return false;
    if (path.find('\0') != std::string_view::npos) return false;
    for (std::string_view part : Split(path, '/')) {
        if (part.empty() || part == "." || part == "..") return false;
    }
    return true;
}

// Where a path vigil.yml names lies inside the archive: relative to the unpack root, or to
// the directory the archive was made from (an absolute path into the old directory).
std::optional<std::string> InArchive(const fs::path& path, const fs::path& root,
                                     const std::string& source_dir) {
    for (const fs::path& base : {root, fs::path(source_dir)}) {
        if (base.empty()) continue;
        const fs::path rel = path.lexically_normal().lexically_relative(base.lexically_normal());
        if (rel.empty() || rel == ".") continue;
        if (*rel.begin() == "..") continue;
        return rel.generic_string();
    }
    return std::nullopt;
}

// ---- backup ----

struct SourceEntry {
    std::string rel;  // path inside the archive
    fs::path source;  // what to read (a snapshot for databases)
    bool dir = false;
    bool database = false;
    uint32_t mode = 0;
    std::shared_ptr<Fd> fd;  // a file that is not a database: opened before the snapshots
};

// The order the databases are copied in. One that names rows of another is copied before it,
// so every row it names is in the later copy: the platform's state first, then the detections
// and the correlation feed (they name events), then the day partitions of events.
// Files other than the ingest state held open at once while the databases are copied.
constexpr size_t kMaxFilesOpenedFirst = 256;

int SnapshotRank(const SourceEntry& e) {
    if (e.rel == "events/detections.db" || e.rel == "run/correlation-feed.db") return 1;
    if (e.rel.starts_with("events/")) return 2;
    return 0;
}

bool IsSqliteSidecar(std::string_view name) {
    return EndsWith(name, ".db-wal") || EndsWith(name, ".db-shm") || EndsWith(name, ".db-journal");
}

Result<std::vector<SourceEntry>> Collect(const fs::path& dir, const std::set<fs::path>& exclude,
                                         std::vector<std::string>& skipped) {
    std::vector<SourceEntry> entries;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec)
        return MakeError(Code::kUnavailable, "cannot read " + dir.string() + ": " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        const fs::path& path = it->path();
        const std::string rel = path.lexically_relative(dir).generic_string();
        const std::string name = path.filename().string();
        const bool top = it.depth() == 0;
        const fs::file_status link = it->symlink_status(ec);
        const bool is_dir = fs::is_directory(link);
        auto skip = [&](const std::string& why) {
            if (!why.empty()) skipped.push_back(rel + ": " + why);
            if (is_dir) it.disable_recursion_pending();
        };
        if (exclude.count(path.lexically_normal()) != 0) {
            skip("left out (backup destination)");
            continue;
        }
        if (top && (name == kLockFileName || name == kBackupLockName)) {
            skip("");
            continue;
        }
        if (StartsWith(name, kStagingPrefix) || IsSqliteSidecar(name) || EndsWith(name, ".vbk") ||
            EndsWith(name, ".vbk.tmp")) {
            skip("");
            continue;
        }
        SourceEntry entry;
        entry.rel = rel;
        entry.source = path;
        if (is_dir) {
            entry.dir = true;
            // The data directory is the owner's: a directory made under a loose umask by an
            // older version is restored 0700.
            entry.mode = static_cast<uint32_t>(link.permissions()) & 0700;
            entries.push_back(std::move(entry));
            continue;
        }
        // Symbolic links are archived as the file they point to (a certificate linked from
        // /etc is still needed after a restore); links to directories are not followed.
        const fs::file_status target = it->status(ec);
        if (ec || !fs::is_regular_file(target)) {
            ec.clear();
            skip(fs::is_symlink(link) ? "a symbolic link to something other than a file"
                                      : "not a regular file");
            continue;
        }
        entry.mode = static_cast<uint32_t>(target.permissions()) & 0777;
        entry.database = EndsWith(name, ".db");
        if (entry.database) entry.mode &= 0600;  // databases hold events and secrets: 0600
        entries.push_back(std::move(entry));
    }
    if (ec)
        return MakeError(Code::kUnavailable, "cannot read " + dir.string() + ": " + ec.message());
    // vigil.yml first, then parents before their contents.
    std::sort(entries.begin(), entries.end(), [](const SourceEntry& a, const SourceEntry& b) {
        const bool ay = a.rel == "vigil.yml";
        const bool by = b.rel == "vigil.yml";
        if (ay != by) return ay;
        return a.rel < b.rel;
    });
    if (entries.size() > kMaxBackupEntries) {
        return ResourceExhausted(dir.string() + " holds more than " +
                                 std::to_string(kMaxBackupEntries) + " entries");
    }
    return entries;
}

Status StreamFile(ChunkWriter& writer, const SourceEntry& entry, uint64_t& size,
                  std::string& sha256, const BackupOptions& options) {
    Fd own;
    if (!entry.fd) own = Fd(::open(entry.source.c_str(), O_RDONLY | O_CLOEXEC));
    const Fd& fd = entry.fd ? *entry.fd : own;
    if (fd.get() < 0) {
        return Errno(errno == EACCES ? Code::kPermissionDenied : Code::kUnavailable,
                     "cannot read " + entry.source.string());
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return Errno(Code::kUnavailable, "stat " + entry.source.string());
    size = static_cast<uint64_t>(st.st_size);
    if (auto s = writer.Write(RecordHeader('F', entry.mode, size, entry.rel)); !s) return s;
    Sha256 sha;
    std::vector<char> buf(kIoBytes);
    uint64_t left = size;
    while (left > 0) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
        auto n = ReadUpTo(fd.get(), buf.data(), want, entry.source);
        if (!n) return tl::unexpected(n.error());
        if (*n < want) {
            return MakeError(Code::kUnavailable,
                             entry.source.string() + " shrank while it was being archived");
        }
        sha.Update(buf.data(), *n);
        if (auto s = writer.Write(std::string_view(buf.data(), *n)); !s) return s;
        left -= *n;
    }
    OPENSSL_cleanse(buf.data(), buf.size());
    sha256 = sha.HexDigest();
    return Ok();
}

Result<BackupResult> WriteBackup(const BackupOptions& options, const fs::path& dir,
                                 const fs::path& out, const fs::path& tmp, RemoveGuard& tmp_guard,
                                 const ServeConfig& config) {
    BackupResult result;
    result.archive = out;
    std::set<fs::path> exclude = {out.lexically_normal(), tmp.lexically_normal(),
                                  config.backup.dir.lexically_normal()};
    auto entries = Collect(dir, exclude, result.skipped);
    if (!entries) return tl::unexpected(std::move(entries.error()));
    if (options.cancelled && options.cancelled()) {
        return MakeError(Code::kCancelled, "interrupted");
    }

    // The archive is the data directory as of one moment even while serve runs. Files that are
    // not databases are opened first: the ingest state among them (tail offsets, the spool and
    // its position) only trails what the event store holds, and an open file is read as it was
    // when a later rename replaced it or a consumed spool segment was deleted. A file gone
    // between the listing and its opening (a spool segment consumed meanwhile) was not there.
    // Other files (configuration, keys) past a bound are opened when archived, not all at once.
    size_t opened = 0;
    for (auto it = entries->begin(); it != entries->end();) {
        const bool ingest_state = it->rel.starts_with("spool/") || it->rel.starts_with("run/") ||
                                  it->rel.starts_with("tail-");
        if (it->dir || it->database || (!ingest_state && opened >= kMaxFilesOpenedFirst)) {
            ++it;
            continue;
        }
        ++opened;
        auto fd = std::make_shared<Fd>(::open(it->source.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd->get() < 0 && errno == ENOENT) {
            it = entries->erase(it);
            continue;
        }
        if (fd->get() < 0) {
            return Errno(errno == EACCES ? Code::kPermissionDenied : Code::kUnavailable,
                         "cannot read " + it->source.string());
        }
        it->fd = std::move(fd);
        ++it;
    }
    // A database made between the listing and the opening above (the first partition of a new
    // day) may hold events the ingest state just opened counts as stored: the databases are
    // listed again, after it, and those new since are copied too (with a new directory).
    {
        std::vector<std::string> skipped_again;
        auto again = Collect(dir, exclude, skipped_again);
        if (!again) return tl::unexpected(std::move(again.error()));
        std::set<std::string> listed;
        for (const SourceEntry& e : *entries) listed.insert(e.rel);
        for (SourceEntry& e : *again) {
            if ((e.dir || e.database) && listed.count(e.rel) == 0) {
                entries->push_back(std::move(e));
            }
        }
    }
    // Then a consistent copy of every database, after those files, in SnapshotRank order, all
    // before the archive is written so they are close together in time. The copies stay
    // inside the (private) data directory.
    std::vector<SourceEntry*> databases_in_order;
    for (SourceEntry& entry : *entries) {
        if (entry.database) databases_in_order.push_back(&entry);
    }
    std::stable_sort(databases_in_order.begin(), databases_in_order.end(),
                     [](const SourceEntry* a, const SourceEntry* b) {
                         return SnapshotRank(*a) < SnapshotRank(*b);
                     });
    // Held until the archive is in place: the staging directory and the .tmp are this run's.
    auto backup_lock = LockBackupShared(dir);
    if (!backup_lock) return tl::unexpected(std::move(backup_lock.error()));
    auto staging = MakePrivateDir(dir / std::string(kStagingPrefix));
    if (!staging) return tl::unexpected(std::move(staging.error()));
    RemoveGuard staging_guard(*staging);
    size_t db_index = 0;
    uint64_t copied = 0;  // bytes of the databases copied so far
    for (SourceEntry* db_entry : databases_in_order) {
        SourceEntry& entry = *db_entry;
        if (options.cancelled && options.cancelled()) {
            return MakeError(Code::kCancelled, "interrupted");
        }
        store::OpenOptions open;
        open.read_only = true;
        open.create = false;
        auto db = store::Database::Open(entry.source, open);
        if (!db) {
            return tl::unexpected(
                std::move(db.error()).WithContext("opening " + entry.source.string()));
        }
        const fs::path copy = *staging / (std::to_string(db_index++) + ".db");
        store::OnlineBackupHooks hooks;
        hooks.cancelled = options.cancelled;
        if (options.copy_progress) {
            hooks.progress = [&](uint64_t bytes) { options.copy_progress(copied + bytes); };
        }
        if (auto st = store::OnlineBackup(*db, copy, hooks); !st) {
            return tl::unexpected(st.error());
        }
        std::error_code size_ec;
        if (const auto size = fs::file_size(copy, size_ec); !size_ec) copied += size;
        entry.source = copy;
        ++result.databases;
    }

    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
        if (errno == EEXIST) {
            return MakeError(Code::kAlreadyExists,
                             tmp.string() +
                                 " exists: another backup is writing it, or one was interrupted "
                                 "(remove it and try again)");
        }
        return Errno(errno == EACCES ? Code::kPermissionDenied : Code::kUnavailable,
                     "cannot create " + tmp.string());
    }
    tmp_guard.Set(tmp);
    if (::fchmod(fd.get(), 0600) != 0) return Errno(Code::kUnavailable, "chmod " + tmp.string());
    // A backup of another data directory into the same backup dir does not hold this
    // directory's lock; the .tmp's own lock tells its clean-up that the file is being written.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        return Errno(Code::kUnavailable, "locking " + tmp.string());
    }

    Header header;
    header.params = options.kdf;
    if (RAND_bytes(header.salt, kSaltBytes) != 1) return Internal("RAND_bytes failed for a salt");
    ArchiveKeys keys;
    if (auto st = DeriveKeys(*options.passphrase, header, keys); !st) {
        return tl::unexpected(st.error());
    }
    std::string header_bytes = header.Body();
    header_bytes.append(reinterpret_cast<const char*>(keys.check), kCheckBytes);
    ChunkWriter writer(fd.get(), tmp, keys, header_bytes, header.chunk_bytes, options);
    if (auto st = writer.WriteHeader(); !st) return tl::unexpected(st.error());
    if (auto st = writer.Write(kStreamMagic); !st) return tl::unexpected(st.error());

    const int64_t now = options.clock ? options.clock() : SystemNowNs();
    nlohmann::json files = nlohmann::json::array();
    std::vector<std::string> databases;
    for (const SourceEntry& entry : *entries) {
        if (entry.dir) {
            if (auto st = writer.Write(RecordHeader('D', entry.mode, 0, entry.rel)); !st) {
                return tl::unexpected(st.error());
            }
            files.push_back(
                {{"path", entry.rel}, {"type", "dir"}, {"mode", ModeString(entry.mode)}});
            continue;
        }
        uint64_t size = 0;
        std::string sha;
        if (auto st = StreamFile(writer, entry, size, sha, options); !st) {
            return tl::unexpected(st.error());
        }
        files.push_back({{"path", entry.rel},
                         {"type", "file"},
                         {"mode", ModeString(entry.mode)},
                         {"size", size},
                         {"sha256", sha}});
        if (entry.database) databases.push_back(entry.rel);
        ++result.files;
        result.data_bytes += size;
    }
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    const nlohmann::json manifest = {
        {"format", "vigil-backup"},
        {"version", kFormatVersion},
        {"created", UtcIso(now)},
        {"created_ns", now},
#ifdef VIGIL_VERSION
        {"vigil_version", VIGIL_VERSION},
#endif
        {"source", dir.string()},
        {"host", host},
        {"files", files},
        {"databases", databases},
    };
    const std::string text = manifest.dump(1);
    if (auto st = writer.Write(RecordHeader('M', 0, text.size(), "")); !st) {
        return tl::unexpected(st.error());
    }
    if (auto st = writer.Write(text); !st) return tl::unexpected(st.error());
    if (auto st = writer.Finish(); !st) return tl::unexpected(st.error());
    if (::fsync(fd.get()) != 0) return Errno(Code::kUnavailable, "syncing " + tmp.string());
    // fd (and its lock) stays open until the rename.

    // Never replace an archive that appeared meanwhile.
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, out.c_str(), RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST) {
            return MakeError(Code::kAlreadyExists, out.string() + " exists; choose another name");
        }
        if (errno != EINVAL && errno != ENOSYS) {
            return Errno(Code::kUnavailable, "renaming " + tmp.string() + " to " + out.string());
        }
        if (::rename(tmp.c_str(), out.c_str()) != 0) {
            return Errno(Code::kUnavailable, "renaming " + tmp.string() + " to " + out.string());
        }
    }
    tmp_guard.Release();
    if (auto st = SyncDirectory(out.parent_path()); !st) return tl::unexpected(st.error());
    result.archive_bytes = writer.bytes();
    result.archive_sha256 = writer.Sha256Hex();
    return result;
}

fs::path Absolute(const fs::path& path) {
    fs::path p = fs::absolute(path).lexically_normal();
    if (p.filename().empty() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
    return p;
}

Result<ServeConfig> LoadDataDirConfig(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return NotFound("the data directory " + dir.string() + " does not exist");
    }
    if (!fs::exists(dir / "vigil.yml", ec)) {
        return NotFound(dir.string() +
                        " is not a vigil data directory: it has no vigil.yml (see vigil init)");
    }
    auto config = LoadServeConfig(dir / "vigil.yml");
    if (!config) return tl::unexpected(std::move(config.error()));
    return config;
}

// ---- unpack and check (verify, restore) ----

struct UnpackOptions {
    fs::path archive;
    const Passphrase* passphrase = nullptr;
    fs::path root;           // where files are written
    bool write_all = false;  // restore: every file; verify: only the databases
    std::function<void(uint64_t)> progress;
    std::function<bool()> cancelled;
};

struct SeenEntry {
    bool dir = false;
    uint32_t mode = 0;
    uint64_t size = 0;
    std::string sha256;
};

class SmallFiles {
public:
    ~SmallFiles() {
        for (auto& [path, bytes] : files_) OPENSSL_cleanse(bytes.data(), bytes.size());
    }
    void Add(const std::string& path, std::string bytes) {
        total_ += bytes.size();
        files_[path] = std::move(bytes);
    }
    bool HasRoom(uint64_t size) const {
        return size <= kKeepInMemoryBytes && total_ + size <= kMaxInMemoryTotal;
    }
    const std::string* Find(const std::string& path) const {
        auto it = files_.find(path);
        return it == files_.end() ? nullptr : &it->second;
    }

private:
    std::map<std::string, std::string> files_;
    uint64_t total_ = 0;
};

Status CreateParents(const fs::path& root, const std::string& rel) {
    const fs::path parent = (root / rel).parent_path();
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) {
        return MakeError(Code::kUnavailable,
                         "cannot create " + parent.string() + ": " + ec.message());
    }
    return Ok();
}

Status ReadFileEntry(ChunkReader& reader, const UnpackOptions& options, const std::string& rel,
                     uint32_t mode, uint64_t size, SeenEntry& seen, SmallFiles& small) {
    const bool database = EndsWith(rel, ".db");
    const bool write = options.write_all || database;
    const bool keep = !database && small.HasRoom(size);
    Fd fd;
    const fs::path target = options.root / rel;
    if (write) {
        if (auto st = CreateParents(options.root, rel); !st) return st;
        fd = Fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (fd.get() < 0) return Errno(Code::kUnavailable, "cannot create " + target.string());
    }
    std::string kept;
    Sha256 sha;
    std::vector<char> buf(kIoBytes);
    uint64_t left = size;
    while (left > 0) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
        if (auto st = reader.Read(buf.data(), n); !st) return st;
        sha.Update(buf.data(), n);
        if (write) {
            if (auto st = WriteAll(fd.get(), buf.data(), n, target); !st) return st;
        }
        if (keep) kept.append(buf.data(), n);
        left -= n;
    }
    OPENSSL_cleanse(buf.data(), buf.size());
    seen.sha256 = sha.HexDigest();
    if (write) {
        if (::fchmod(fd.get(), mode & 0777) != 0 || (options.write_all && ::fsync(fd.get()) != 0)) {
            return Errno(Code::kUnavailable, "writing " + target.string());
        }
    }
    if (keep) small.Add(rel, std::move(kept));
    return Ok();
}

void CompareManifest(const nlohmann::json& manifest, const std::map<std::string, SeenEntry>& seen,
                     ArchiveReport& report) {
    const nlohmann::json& files = manifest.at("files");
    std::set<std::string> listed;
    for (const nlohmann::json& f : files) {
        const std::string path = f.at("path").get<std::string>();
        listed.insert(path);
        auto it = seen.find(path);
        if (it == seen.end()) {
            report.problems.push_back(path + ": listed in the manifest but missing");
            continue;
        }
        const SeenEntry& e = it->second;
        const bool dir = f.at("type").get<std::string>() == "dir";
        if (dir != e.dir) {
            report.problems.push_back(path + ": its type differs from the manifest");
            continue;
        }
        if (f.at("mode").get<std::string>() != ModeString(e.mode)) {
            report.problems.push_back(path + ": its mode differs from the manifest");
        }
        if (dir) continue;
        if (f.at("size").get<uint64_t>() != e.size) {
            report.problems.push_back(path + ": its size differs from the manifest");
        } else if (f.at("sha256").get<std::string>() != e.sha256) {
            report.problems.push_back(path + ": its SHA-256 differs from the manifest");
        }
    }
    for (const auto& [path, e] : seen) {
        if (listed.count(path) == 0) {
            report.problems.push_back(path + ": in the archive but not in the manifest");
        }
    }
}

void CheckDatabase(const fs::path& root, const std::string& rel, ArchiveReport& report) {
    DatabaseCheck check;
    check.path = rel;
    [&] {
        store::OpenOptions open;
        open.read_only = true;
        open.create = false;
        auto db = store::Database::Open(root / rel, open);
        if (!db) {
            check.detail = "cannot open as a SQLite database: " + db.error().message;
            return;
        }
        // An event partition's text index needs its tokenizer to be read (SQLite from 3.44
        // checks FTS5 indexes too).
        if (auto reg = store::RegisterTextTokenizer(*db); !reg) {
            check.detail = "cannot check: " + reg.error().message;
            return;
        }
        auto st = db->Prepare("PRAGMA integrity_check");
        if (!st) {
            check.detail = "cannot check: " + st.error().message;
            return;
        }
        std::vector<std::string> lines;
        while (true) {
            auto step = st->Step();
            if (!step) {
                check.detail = "integrity_check failed: " + step.error().message;
                return;
            }
            if (*step == store::Statement::StepResult::kDone) break;
            if (lines.size() < 5) lines.push_back(st->ColumnText(0));
        }
        check.ok = lines.size() == 1 && lines[0] == "ok";
        check.detail = check.ok ? "integrity ok" : "integrity_check:";
        if (!check.ok) {
            for (const auto& line : lines) check.detail += " " + line + ";";
        }
    }();
    if (!check.ok) report.problems.push_back(rel + ": " + check.detail);
    report.databases.push_back(std::move(check));
}

// vigil.yml of the archive, the state database's integrity and its audit chain.
void CheckContents(const fs::path& root, const std::map<std::string, SeenEntry>& seen,
                   const SmallFiles& small, ArchiveReport& report, ServeConfig* config_out,
                   std::string* state_db_rel, std::string* signing_key_rel) {
    for (const auto& [path, e] : seen) {
        if (!e.dir && EndsWith(path, ".db")) CheckDatabase(root, path, report);
    }
    const std::string* yml = small.Find("vigil.yml");
    if (yml == nullptr) {
        report.problems.push_back(
            "vigil.yml is missing: the archive cannot bring a data "
            "directory back");
        return;
    }
    auto config = ParseServeConfig(*yml, root, "vigil.yml in the archive", UnknownKeys::kIgnore);
    if (!config) {
        report.problems.push_back(config.error().message);
        return;
    }
    auto db_rel = InArchive(config->state_db, root, report.source_dir);
    auto key_rel = InArchive(config->audit_signing_key, root, report.source_dir);
    if (!db_rel || seen.count(*db_rel) == 0) {
        report.problems.push_back("the state database " + config->state_db.string() +
                                  " named by vigil.yml is not in the archive");
        return;
    }
    const std::string* pem = key_rel ? small.Find(*key_rel) : nullptr;
    if (pem == nullptr) {
        report.problems.push_back("the audit signing key " + config->audit_signing_key.string() +
                                  " named by vigil.yml is not in the archive");
        return;
    }
    if (config_out) *config_out = *config;
    if (state_db_rel) *state_db_rel = *db_rel;
    if (signing_key_rel) *signing_key_rel = *key_rel;
    auto signer = audit::SigningKey::FromPem(*pem);
    if (!signer) {
        report.problems.push_back(*key_rel + ": " + signer.error().message);
        return;
    }
    const audit::PublicKey public_key = signer->public_key();
    report.audit_key_id = public_key.key_id();
    store::OpenOptions open;
    open.read_only = true;
    open.create = false;
    auto db = store::Database::Open(root / *db_rel, open);
    if (!db) return;  // already reported by the integrity check
    auto log = audit::SqliteAuditLog::Open(*db);
    if (!log) {
        report.problems.push_back(*db_rel + ": audit trail: " + log.error().message);
        return;
    }
    auto verified = log->Verify(public_key);
    if (!verified) {
        report.problems.push_back(*db_rel + ": audit trail: " + verified.error().message);
        return;
    }
    report.audit_checked = true;
    report.audit_records = verified->records_checked;
    report.audit_last_seq = verified->last_seq;
    report.audit_findings = verified->findings.size() + verified->findings_omitted;
    if (!verified->ok) {
        std::string first =
            verified->findings.empty() ? std::string() : ": " + verified->findings[0].ToString();
        report.problems.push_back(
            *db_rel + ": the audit trail does not verify with key " + report.audit_key_id + " (" +
            std::to_string(report.audit_findings) + " findings" + first + ")");
    }
}

struct Unpacked {
    ArchiveReport report;
    ServeConfig config;
    std::string state_db_rel;
    std::string signing_key_rel;
};

Result<Unpacked> Unpack(const UnpackOptions& options) {
    Unpacked out;
    ArchiveReport& report = out.report;
    report.archive = options.archive;
    Fd fd(::open(options.archive.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        return MakeError(errno == ENOENT ? Code::kNotFound : Code::kUnavailable,
                         "cannot open " + options.archive.string() + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return MakeError(Code::kInvalidArgument, options.archive.string() + " is not a file");
    }
    ChunkReader reader(fd.get(), options.archive, options.progress, options.cancelled);
    if (auto s = reader.Open(*options.passphrase); !s) return tl::unexpected(s.error());
    char magic[8];
    if (auto s = reader.Read(magic, sizeof(magic)); !s) return tl::unexpected(s.error());
    if (std::string_view(magic, sizeof(magic)) != kStreamMagic) {
        return Damaged(options.archive, "unknown content format");
    }
    std::map<std::string, SeenEntry> seen;
    SmallFiles small;
    std::vector<std::pair<std::string, uint32_t>> dir_modes;
    std::string manifest_text;
    while (true) {
        unsigned char head[kRecordHeaderBytes];
        if (auto s = reader.Read(head, sizeof(head)); !s) return tl::unexpected(s.error());
        const char type = static_cast<char>(head[0]);
        const uint32_t mode = GetU32(head + 1);
        const uint64_t size = GetU64(head + 5);
        const size_t path_len = (size_t{head[13]} << 8) | head[14];
        std::string path(path_len, '\0');
        if (auto s = reader.Read(path.data(), path_len); !s) return tl::unexpected(s.error());
        if (type == 'M') {
            if (size > kMaxManifestBytes || path_len != 0) {
                return Damaged(options.archive, "the manifest record is damaged");
            }
            manifest_text.resize(size);
            if (auto s = reader.Read(manifest_text.data(), size); !s) {
                return tl::unexpected(s.error());
            }
            if (auto s = reader.ExpectEnd(); !s) return tl::unexpected(s.error());
            break;
        }
        if ((type != 'D' && type != 'F') || !SafeArchivePath(path) || (mode & ~0777u) != 0 ||
            (type == 'D' && size != 0)) {
            return Damaged(options.archive,
                           "a record is damaged (entry " + std::to_string(seen.size() + 1) + ")");
        }
        if (seen.count(path) != 0 || seen.size() >= kMaxBackupEntries) {
            return Damaged(options.archive, path + " appears twice");
        }
        SeenEntry& entry = seen[path];
        entry.dir = type == 'D';
        entry.mode = mode;
        entry.size = size;
        if (entry.dir) {
            ++report.directories;
            if (options.write_all) {
                std::error_code ec;
                fs::create_directories(options.root / path, ec);
                if (ec) {
                    return MakeError(
                        Code::kUnavailable,
                        "cannot create " + (options.root / path).string() + ": " + ec.message());
                }
                dir_modes.emplace_back(path, mode);
            }
            continue;
        }
        if (auto s = ReadFileEntry(reader, options, path, mode, size, entry, small); !s) {
            return tl::unexpected(s.error());
        }
        ++report.files;
        report.data_bytes += size;
    }
    report.archive_bytes = reader.bytes();
    report.archive_sha256 = reader.Sha256Hex();

    try {
        const nlohmann::json manifest = nlohmann::json::parse(manifest_text);
        if (manifest.at("format").get<std::string>() != "vigil-backup") {
            return Damaged(options.archive, "the manifest is not a vigil backup manifest");
        }
        report.created_ns = manifest.at("created_ns").get<int64_t>();
        report.source_dir = manifest.at("source").get<std::string>();
        report.host = manifest.value("host", "");
        CompareManifest(manifest, seen, report);
    } catch (const nlohmann::json::exception& e) {
        return Damaged(options.archive, std::string("the manifest is malformed: ") + e.what());
    }
    CheckContents(options.root, seen, small, report, &out.config, &out.state_db_rel,
                  &out.signing_key_rel);
    // Directory modes last (deepest first), so a read-only directory does not stop the
    // files inside it from being written.
    std::sort(dir_modes.begin(), dir_modes.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [path, mode] : dir_modes) {
        if (::chmod((options.root / path).c_str(), mode) != 0) {
            return Errno(Code::kUnavailable, "chmod " + (options.root / path).string());
        }
    }
    return out;
}

Status AppendAudit(const fs::path& state_db, const fs::path& signing_key, audit::Record record) {
    auto signer = audit::SigningKey::LoadFromFile(signing_key);
    if (!signer) return tl::unexpected(std::move(signer.error()));
    store::OpenOptions open;
    open.create = false;
    open.synchronous_full = true;  // an acknowledged audit record survives a power cut
    auto db = store::Database::Open(state_db, open);
    if (!db) return tl::unexpected(std::move(db.error()).WithContext(state_db.string()));
    audit::ChainOptions chain;
    if (record.time_ns != 0) {
        const int64_t t = record.time_ns;
        chain.clock = [t] { return t; };
    }
    auto log = audit::SqliteAuditLog::Open(*db, std::move(*signer), chain);
    if (!log) return tl::unexpected(std::move(log.error()));
    if (auto r = log->Append(std::move(record)); !r) return tl::unexpected(std::move(r.error()));
    if (auto c = log->MakeCheckpoint(); !c) return tl::unexpected(std::move(c.error()));
    return Ok();
}

Status CheckPassphraseGiven(const Passphrase* passphrase) {
    if (passphrase == nullptr || passphrase->size() == 0) {
        return InvalidArgument("no passphrase given");
    }
    return Ok();
}

}  // namespace

// ---- public API ----

Passphrase::Passphrase(Passphrase&& other) noexcept : text_(std::move(other.text_)) {
    OPENSSL_cleanse(other.text_.data(), other.text_.size());
    other.text_.clear();
}

Passphrase& Passphrase::operator=(Passphrase&& other) noexcept {
    if (this != &other) {
        OPENSSL_cleanse(text_.data(), text_.size());
        text_ = std::move(other.text_);
        other.text_.clear();
    }
    return *this;
}

Passphrase::~Passphrase() { OPENSSL_cleanse(text_.data(), text_.size()); }

Result<Passphrase> ReadPassphraseFile(const fs::path& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        const int err = errno;
        return MakeError(
            err == ENOENT ? Code::kNotFound : Code::kPermissionDenied,
            "cannot read the passphrase file " + path.string() + ": " + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return InvalidArgument("the passphrase file " + path.string() + " is not a regular file");
    }
    if ((st.st_mode & 077) != 0) {
        return MakeError(Code::kPermissionDenied, "the passphrase file " + path.string() +
                                                      " is accessible by group or others (mode " +
                                                      ModeString(st.st_mode) +
                                                      "); run: chmod 600 " + path.string());
    }
    std::string text(kMaxPassphraseBytes + 2, '\0');
    auto n = ReadUpTo(fd.get(), text.data(), text.size(), path);
    if (!n) return tl::unexpected(std::move(n.error()));
    text.resize(*n);
    Passphrase guard(std::move(text));  // wiped whatever happens below
    std::string line(guard.view().substr(0, guard.view().find('\n')));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Passphrase passphrase(std::move(line));
    if (passphrase.size() == 0) {
        return InvalidArgument("the passphrase file " + path.string() +
                               " is empty (its first line is the passphrase)");
    }
    if (passphrase.size() > kMaxPassphraseBytes) {
        return InvalidArgument("the passphrase in " + path.string() + " is longer than " +
                               std::to_string(kMaxPassphraseBytes) + " bytes");
    }
    return passphrase;
}

Status CheckNewPassphrase(const Passphrase& passphrase) {
    if (passphrase.size() < kMinPassphraseBytes) {
        return InvalidArgument("the passphrase is too short (" + std::to_string(passphrase.size()) +
                               " characters): use at least " + std::to_string(kMinPassphraseBytes));
    }
    return Ok();
}

Result<BackupResult> CreateBackup(const BackupOptions& options) {
    if (auto st = CheckPassphraseGiven(options.passphrase); !st) return tl::unexpected(st.error());
    if (auto st = CheckNewPassphrase(*options.passphrase); !st) return tl::unexpected(st.error());
    if (options.out.empty()) return InvalidArgument("no output file given");
    const fs::path dir = Absolute(options.data_dir);
    const fs::path out = Absolute(options.out);
    auto config = LoadDataDirConfig(dir);
    if (!config) return tl::unexpected(std::move(config.error()));
    // The archive holds the data directory; a state database kept elsewhere would be missing.
    if (!InArchive(config->state_db, dir, "")) {
        return MakeError(Code::kFailedPrecondition,
                         "vigil.yml keeps the state database at " + config->state_db.string() +
                             ", outside the data directory " + dir.string() +
                             "; vigil backup archives the data directory only: move it inside");
    }
    std::error_code ec;
    if (fs::exists(fs::symlink_status(out, ec))) {
        return MakeError(Code::kAlreadyExists,
                         out.string() +
                             " exists; choose another name (an archive is never "
                             "overwritten)");
    }
    if (!fs::is_directory(out.parent_path(), ec)) {
        return NotFound("the directory of " + out.string() + " does not exist");
    }
    fs::path tmp = out;
    tmp += ".tmp";
    RemoveGuard tmp_guard;
    auto result = WriteBackup(options, dir, out, tmp, tmp_guard, *config);
    if (!result) {
        return tl::unexpected(std::move(result.error()).WithContext("backing up " + dir.string()));
    }
    return result;
}

Result<ArchiveReport> VerifyBackup(const VerifyBackupOptions& options) {
    if (auto st = CheckPassphraseGiven(options.passphrase); !st) return tl::unexpected(st.error());
    const fs::path parent =
        options.scratch_parent.empty() ? fs::temp_directory_path() : options.scratch_parent;
    auto scratch = MakePrivateDir(parent / "vigil-verify-");
    if (!scratch) return tl::unexpected(std::move(scratch.error()));
    RemoveGuard guard(*scratch);
    UnpackOptions unpack;
    unpack.archive = Absolute(options.archive);
    unpack.passphrase = options.passphrase;
    unpack.root = *scratch;
    unpack.progress = options.progress;
    unpack.cancelled = options.cancelled;
    auto unpacked = Unpack(unpack);
    if (!unpacked) return tl::unexpected(std::move(unpacked.error()));
    return std::move(unpacked->report);
}

Result<RestoreResult> RestoreBackup(const RestoreOptions& options) {
    if (auto st = CheckPassphraseGiven(options.passphrase); !st) return tl::unexpected(st.error());
    RestoreResult result;
    const fs::path dir = Absolute(options.data_dir);
    const fs::path archive = Absolute(options.archive);
    result.data_dir = dir;
    std::error_code ec;
    if (!fs::is_regular_file(archive, ec)) {
        return NotFound("the archive " + archive.string() + " does not exist");
    }
    if (!fs::is_directory(dir.parent_path(), ec)) {
        return NotFound("the parent directory of " + dir.string() + " does not exist");
    }
    // Refuse early (before the long part) and again just before the swap.
    auto check_target = [&](std::optional<DataDirLock>& lock) -> Result<bool> {
        const auto status = fs::symlink_status(dir, ec);
        if (!fs::exists(status)) return false;
        if (!fs::is_directory(status)) {
            return MakeError(Code::kFailedPrecondition,
                             dir.string() + " exists and is not a directory");
        }
        if (fs::is_empty(dir, ec)) return false;
        if (!options.force) {
            return MakeError(Code::kFailedPrecondition,
                             "refusing to restore into " + dir.string() +
                                 ": the directory is not empty (--force moves it aside to " +
                                 dir.filename().string() +
                                 ".pre-restore-<time> first; nothing is deleted)");
        }
        if (!lock) {
            auto locked = LockDataDir(dir);
            if (!locked) return tl::unexpected(std::move(locked.error()));
            lock.emplace(std::move(*locked));
        }
        return true;
    };
    std::optional<DataDirLock> lock;
    if (auto r = check_target(lock); !r) return tl::unexpected(std::move(r.error()));

    auto staging = MakePrivateDir(fs::path(dir.string() + ".restore-"));
    if (!staging) return tl::unexpected(std::move(staging.error()));
    RemoveGuard guard(*staging);
    UnpackOptions unpack;
    unpack.archive = archive;
    unpack.passphrase = options.passphrase;
    unpack.root = *staging;
    unpack.write_all = true;
    unpack.progress = options.progress;
    unpack.cancelled = options.cancelled;
    auto unpacked = Unpack(unpack);
    if (!unpacked) return tl::unexpected(std::move(unpacked.error()));
    result.report = unpacked->report;
    if (!result.report.ok()) {
        std::string what = "the archive " + archive.string() + " does not verify (" +
                           std::to_string(result.report.problems.size()) +
                           " problems, first: " + result.report.problems[0] + "); " + dir.string() +
                           " was not touched";
        return MakeError(Code::kDataLoss, std::move(what));
    }
    if (options.cancelled && options.cancelled()) return MakeError(Code::kCancelled, "interrupted");
    if (::chmod(staging->c_str(), 0700) != 0) {
        return Errno(Code::kUnavailable, "chmod 700 " + staging->string());
    }
    if (auto r = check_target(lock); !r) {
        return tl::unexpected(std::move(r.error()));
    } else if (*r) {
        const int64_t now = options.clock ? options.clock() : SystemNowNs();
        result.moved_aside = dir.string() + ".pre-restore-" + UtcCompact(now);
        for (int i = 2; fs::exists(fs::symlink_status(result.moved_aside, ec)); ++i) {
            result.moved_aside =
                dir.string() + ".pre-restore-" + UtcCompact(now) + "-" + std::to_string(i);
        }
    }

    // Recorded in the restored trail before it goes live, so a failure here leaves the target
    // untouched, and a restored directory always carries its record.
    audit::Record record;
    record.time_ns = options.clock ? options.clock() : SystemNowNs();
    record.actor = options.actor;
    record.action = "backup.restore";
    record.object = dir.string();
    record.result = "success";
    record.detail = "restored from " + archive.string() + " (sha256 " +
                    result.report.archive_sha256 + ", made " + UtcIso(result.report.created_ns) +
                    " from " + result.report.source_dir + "; " +
                    std::to_string(result.report.files) + " files, audit trail verified to seq " +
                    std::to_string(result.report.audit_last_seq) + ")" +
                    (result.moved_aside.empty()
                         ? std::string()
                         : "; previous directory moved to " + result.moved_aside.string());
    if (auto st = AppendAudit(*staging / unpacked->state_db_rel,
                              *staging / unpacked->signing_key_rel, std::move(record));
        !st) {
        return tl::unexpected(std::move(st.error()).WithContext("recording backup.restore"));
    }

    // The old directory's backup dir, when it lies inside it (the default DIR/backups), holds
    // the archives (perhaps the one being restored): it comes back into the restored directory.
    std::optional<std::string> backups_rel;
    if (!result.moved_aside.empty()) {
        fs::path backups = dir / "backups";
        if (auto old = LoadDataDirConfig(dir); old) backups = old->backup.dir;
        backups_rel = InArchive(backups, dir, "");
        if (backups_rel && !fs::exists(fs::symlink_status(dir / *backups_rel, ec))) {
            backups_rel.reset();
        }
    }

    if (!result.moved_aside.empty()) {
        if (::rename(dir.c_str(), result.moved_aside.c_str()) != 0) {
            return Errno(Code::kUnavailable,
                         "moving " + dir.string() + " aside to " + result.moved_aside.string());
        }
    }
    // rename(2) replaces an empty directory atomically.
    if (::rename(staging->c_str(), dir.c_str()) != 0) {
        auto error =
            Errno(Code::kUnavailable, "moving the restored directory into " + dir.string());
        if (!result.moved_aside.empty()) ::rename(result.moved_aside.c_str(), dir.c_str());
        return error;
    }
    guard.Release();
    if (auto st = SyncDirectory(dir.parent_path()); !st) return tl::unexpected(st.error());
    if (backups_rel) {
        // The restore itself is done: a failure here leaves the archives in moved_aside and
        // says so.
        const fs::path from = result.moved_aside / *backups_rel;
        const fs::path to = dir / *backups_rel;
        if (fs::exists(fs::symlink_status(to, ec))) {
            result.backups_left = from;
            result.backups_problem = to.string() + " exists in the restored directory";
        } else if (fs::create_directories(to.parent_path(), ec); ec) {
            result.backups_left = from;
            result.backups_problem =
                "cannot create " + to.parent_path().string() + ": " + ec.message();
        } else if (::rename(from.c_str(), to.c_str()) != 0) {
            result.backups_left = from;
            result.backups_problem =
                "moving " + from.string() + " to " + to.string() + ": " + std::strerror(errno);
        } else {
            result.backups_kept = to;
            (void)SyncDirectory(to.parent_path());
            (void)SyncDirectory(from.parent_path());
        }
    }
    return result;
}

Status AppendDataDirAudit(const fs::path& data_dir, audit::Record record) {
    auto config = LoadDataDirConfig(Absolute(data_dir));
    if (!config) return tl::unexpected(std::move(config.error()));
    return AppendAudit(config->state_db, config->audit_signing_key, std::move(record));
}

std::string ScheduledBackupName(int64_t ns) { return "vigil-backup-" + UtcCompact(ns) + ".vbk"; }

bool IsScheduledBackupName(std::string_view name) {
    constexpr std::string_view kPrefix = "vigil-backup-";
    constexpr std::string_view kSuffix = ".vbk";
    if (name.size() != kPrefix.size() + 16 + kSuffix.size()) return false;
    if (!StartsWith(name, kPrefix) || !EndsWith(name, kSuffix)) return false;
    const std::string_view t = name.substr(kPrefix.size(), 16);
    for (size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (i == 8 ? c != 'T' : i == 15 ? c != 'Z' : (c < '0' || c > '9')) return false;
    }
    return true;
}

std::optional<int64_t> ScheduledBackupTime(std::string_view name) {
    if (!IsScheduledBackupName(name)) return std::nullopt;
    // "YYYYMMDDTHHMMSSZ", digits checked by IsScheduledBackupName; parts out of range (month
    // 13, year 9999: past what ns hold) are no archive's time.
    const std::string_view t = name.substr(std::string_view("vigil-backup-").size(), 16);
    const auto part = [&](size_t at, size_t len) {
        return static_cast<int>(ParseInt(t.substr(at, len)).value_or(-1));
    };
    return CivilToNs(part(0, 4), part(4, 2), part(6, 2), part(9, 2), part(11, 2), part(13, 2));
}

Result<BackupLeftovers> RemoveBackupLeftovers(const fs::path& data_dir,
                                              const fs::path& backup_dir) {
    BackupLeftovers out;
    const fs::path dir = Absolute(data_dir);
    auto lock = OpenBackupLock(dir);
    if (!lock) return tl::unexpected(std::move(lock.error()));
    auto locked = TryLockExclusive(lock->get(), dir / kBackupLockName);
    if (!locked) return tl::unexpected(std::move(locked.error()));
    if (!*locked) {
        out.busy = true;  // a backup is running; its files are not leftovers
        return out;
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!StartsWith(name, kStagingPrefix) || !entry.is_directory(ec) || entry.is_symlink(ec)) {
            continue;
        }
        const uint64_t bytes = TreeBytes(entry.path());
        std::error_code rm_ec;
        fs::remove_all(entry.path(), rm_ec);
        if (rm_ec) {
            out.problems.push_back("cannot remove " + entry.path().string() + ": " +
                                   rm_ec.message());
            continue;
        }
        out.removed.push_back(entry.path());
        out.bytes += bytes;
    }
    if (ec) {
        out.problems.push_back("cannot read " + dir.string() + ": " + ec.message());
        ec.clear();
    }
    // Only the .tmp files of names the scheduler writes, and only when nobody holds their lock.
    for (const auto& entry : fs::directory_iterator(backup_dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!EndsWith(name, ".vbk.tmp") ||
            !IsScheduledBackupName(std::string_view(name).substr(0, name.size() - 4)) ||
            !entry.is_regular_file(ec) || entry.is_symlink(ec)) {
            continue;
        }
        Fd fd(::open(entry.path().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (fd.get() < 0) continue;
        auto free = TryLockExclusive(fd.get(), entry.path());
        if (!free || !*free) continue;
        struct stat st {};
        const uint64_t bytes = ::fstat(fd.get(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
        if (::unlink(entry.path().c_str()) != 0) {
            out.problems.push_back("cannot remove " + entry.path().string() + ": " +
                                   std::strerror(errno));
            continue;
        }
        out.removed.push_back(entry.path());
        out.bytes += bytes;
    }
    return out;
}

// ---- scheduler ----

BackupScheduler::BackupScheduler(BackupSchedulerOptions options) : options_(std::move(options)) {
    if (!options_.clock) options_.clock = SystemNowNs;
    if (options_.config.dir.empty()) options_.config.dir = options_.data_dir / "backups";
    if (options_.config.dir.is_relative()) {
        options_.config.dir = options_.data_dir / options_.config.dir;
    }
    state_.enabled = options_.config.enabled();
    state_.interval = options_.config.interval;
    state_.dir = options_.config.dir;
}

BackupScheduler::~BackupScheduler() { Stop(); }

namespace {

nlohmann::json StateToJson(const BackupSchedulerState& st) {
    nlohmann::json j{{"enabled", st.enabled},
                     {"interval_seconds", st.interval.count()},
                     {"dir", st.dir.string()},
                     {"runs", st.runs},
                     {"failures", st.failures}};
    if (st.next_run_ns) j["next_run_at"] = FormatTimestamp(st.next_run_ns);
    if (st.last_success_ns) {
        j["last_success_at"] = FormatTimestamp(st.last_success_ns);
        j["last_success_file"] = st.last_success_file.string();
    }
    if (st.leftovers_removed) j["leftovers_removed"] = st.leftovers_removed;
    if (st.last_run_ns) {
        j["last_run_at"] = FormatTimestamp(st.last_run_ns);
        j["last_result"] = st.last_result;
        j["last_file"] = st.last_file.string();
        j["last_bytes"] = st.last_bytes;
        if (!st.last_error.empty()) j["last_error"] = st.last_error;
    }
    return j;
}

}  // namespace

std::string BackupSchedulerStateJson(const BackupSchedulerState& st) {
    return StateToJson(st).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void BackupScheduler::Publish() {
    std::lock_guard<std::mutex> publish(publish_mu_);
    std::string text;
    {
        std::lock_guard<std::mutex> lock(mu_);
        nlohmann::json j = StateToJson(state_);
        j["updated_at"] = FormatTimestamp(Now());
        text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
    const fs::path path = options_.data_dir / kBackupStatusFile;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (Status st = ReplaceFile(path, text); !st && options_.log) {
        options_.log("backup status not written: " + st.error().message);
    }
}

int64_t BackupScheduler::Now() const { return options_.clock(); }

namespace {

struct NamedArchive {
    fs::path path;
    int64_t time_ns = 0;
    bool future = false;  // named after `now`: made while the clock was ahead
};

// The scheduler's archives in dir, newest first; names in the future last (oldest).
std::vector<NamedArchive> ScheduledArchives(const fs::path& dir, int64_t now) {
    std::vector<NamedArchive> archives;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const auto time = ScheduledBackupTime(entry.path().filename().string());
        if (!time || !entry.is_regular_file(ec)) continue;
        archives.push_back({entry.path(), *time, *time > now});
    }
    std::sort(archives.begin(), archives.end(), [](const NamedArchive& a, const NamedArchive& b) {
        if (a.future != b.future) return b.future;
        return a.time_ns > b.time_ns;
    });
    return archives;
}

}  // namespace

void BackupScheduler::RemoveLeftovers() {
    auto found = RemoveBackupLeftovers(options_.data_dir, options_.config.dir);
    if (!found) {
        if (options_.log) {
            options_.log("cannot look for leftovers of interrupted backups: " +
                         found.error().message);
        }
        return;
    }
    for (const auto& problem : found->problems) {
        if (options_.log) options_.log("leftovers of interrupted backups: " + problem);
    }
    if (found->removed.empty()) return;
    std::string names;
    for (const auto& path : found->removed) names += " " + path.filename().string();
    const std::string summary = "removed " + std::to_string(found->removed.size()) +
                                " leftover(s) of interrupted backups (" +
                                FormatBytes(found->bytes) + "):" + names;
    if (options_.log) options_.log(summary);
    audit::Record record;
    record.time_ns = Now();
    record.actor = "system";
    record.action = "backup.cleanup";
    record.object = options_.config.dir.string();
    record.result = "success";
    record.detail = summary;
    Status audited =
        options_.audit ? options_.audit(record) : AppendDataDirAudit(options_.data_dir, record);
    if (!audited && options_.log) {
        options_.log("audit record backup.cleanup not written: " + audited.error().message);
    }
    std::lock_guard<std::mutex> lock(mu_);
    state_.leftovers_removed += found->removed.size();
}

Status BackupScheduler::Start() {
    RemoveLeftovers();
    if (!options_.config.enabled()) {
        Publish();  // "off", replacing what a run with backups on left
        return Ok();
    }
    auto passphrase = ReadPassphraseFile(options_.config.passphrase_file);
    if (!passphrase) {
        return tl::unexpected(std::move(passphrase.error()).WithContext("backup.passphrase_file"));
    }
    if (auto st = CheckNewPassphrase(*passphrase); !st) {
        return tl::unexpected(
            std::move(st.error())
                .WithContext("backup.passphrase_file " + options_.config.passphrase_file.string()));
    }
    std::error_code ec;
    fs::create_directories(options_.config.dir, ec);
    if (!ec) fs::permissions(options_.config.dir, fs::perms::owner_all, ec);
    if (ec) {
        return MakeError(Code::kFailedPrecondition, "backup.dir " + options_.config.dir.string() +
                                                        ": cannot create it: " + ec.message());
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (thread_.joinable()) return Ok();
        stop_ = false;
        // The last run is not kept anywhere but in the archives' names: one interval after the
        // newest one, and soon when that is past (restarts more often than the interval).
        const int64_t now = Now();
        const int64_t interval_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(options_.config.interval).count();
        const int64_t delay_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::min<std::chrono::seconds>(kFirstBackupDelay, options_.config.interval))
                .count();
        state_.next_run_ns = now + delay_ns;
        const auto archives = ScheduledArchives(options_.config.dir, now);
        if (!archives.empty() && !archives.front().future) {
            state_.last_success_ns = archives.front().time_ns;
            state_.last_success_file = archives.front().path;
            state_.next_run_ns = std::max(state_.next_run_ns, state_.last_success_ns + interval_ns);
        }
    }
    cancel_ = false;
    Publish();
    thread_ = std::thread([this] { Loop(); });
    return Ok();
}

void BackupScheduler::Stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
        state_.next_run_ns = 0;
    }
    cancel_ = true;
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
        Publish();  // no next run while stopped
    }
}

BackupSchedulerState BackupScheduler::State() const {
    std::lock_guard<std::mutex> lock(mu_);
    return state_;
}

void BackupScheduler::Loop() {
    using Clock = std::chrono::steady_clock;
    std::unique_lock<std::mutex> lock(mu_);
    // Waited for on the steady clock: a wall-clock step does not move it.
    auto next =
        Clock::now() + std::chrono::nanoseconds(std::max<int64_t>(state_.next_run_ns - Now(), 0));
    while (!stop_) {
        if (cv_.wait_until(lock, next, [this] { return stop_; })) break;
        lock.unlock();
        (void)RunNow();  // recorded in state_ and audited
        lock.lock();
        // A run longer than the interval does not cause a burst of catch-up runs.
        next += options_.config.interval;
        if (next < Clock::now()) next = Clock::now() + options_.config.interval;
        if (!stop_) {
            state_.next_run_ns =
                Now() +
                std::chrono::duration_cast<std::chrono::nanoseconds>(next - Clock::now()).count();
            lock.unlock();
            Publish();
            lock.lock();
        }
    }
}

Result<BackupResult> BackupScheduler::RunNow() {
    std::lock_guard<std::mutex> run(run_mu_);
    RemoveLeftovers();  // a crash during the previous run, when serve was not restarted since
    const int64_t start = Now();
    const fs::path out = options_.config.dir / ScheduledBackupName(start);
    Result<BackupResult> result = [&]() -> Result<BackupResult> {
        auto passphrase = ReadPassphraseFile(options_.config.passphrase_file);
        if (!passphrase) {
            return tl::unexpected(
                std::move(passphrase.error()).WithContext("backup.passphrase_file"));
        }
        std::error_code ec;
        fs::create_directories(options_.config.dir, ec);
        BackupOptions backup;
        backup.data_dir = options_.data_dir;
        backup.out = out;
        backup.passphrase = &*passphrase;
        backup.kdf = options_.kdf;
        backup.clock = options_.clock;
        backup.cancelled = [this] { return cancel_.load(); };
        return CreateBackup(backup);
    }();

    // Retention: only after a good run, only files named like ours. The archive just written
    // is always kept, with the newest keep - 1 others by the time in their names; one named
    // after this run's start (the clock was ahead when it was made) counts as the oldest, so
    // it never displaces a current archive.
    std::vector<std::string> removed;
    if (result) {
        std::vector<NamedArchive> others = ScheduledArchives(options_.config.dir, start);
        std::erase_if(others,
                      [&](const NamedArchive& a) { return a.path.filename() == out.filename(); });
        const size_t keep = static_cast<size_t>(std::max(options_.config.keep, 1));
        std::error_code ec;
        for (size_t i = keep - 1; i < others.size(); ++i) {
            if (fs::remove(others[i].path, ec)) {
                removed.push_back(others[i].path.filename().string() +
                                  (others[i].future ? " (named in the future)" : ""));
            }
        }
    }

    audit::Record record;
    record.time_ns = Now();
    record.actor = "system";
    record.action = "backup.run";
    record.object = out.string();
    if (result) {
        record.result = "success";
        record.detail = "scheduled backup; size " + std::to_string(result->archive_bytes) +
                        " bytes, sha256 " + result->archive_sha256 + ", " +
                        std::to_string(result->files) + " files";
        if (!removed.empty()) {
            record.detail += "; removed old archives:";
            for (const auto& name : removed) record.detail += " " + name;
        }
    } else {
        record.result = "failure";
        record.detail = "scheduled backup failed: " + result.error().message;
    }
    Status audited =
        options_.audit ? options_.audit(record) : AppendDataDirAudit(options_.data_dir, record);

    {
        std::lock_guard<std::mutex> lock(mu_);
        state_.last_run_ns = start;
        state_.last_file = out;
        ++state_.runs;
        if (result) {
            state_.last_result = "success";
            state_.last_error.clear();
            state_.last_bytes = result->archive_bytes;
            state_.last_sha256 = result->archive_sha256;
            state_.last_success_ns = start;
            state_.last_success_file = out;
        } else {
            ++state_.failures;
            state_.last_result = "failure";
            state_.last_error = result.error().message;
            state_.last_bytes = 0;
            state_.last_sha256.clear();
        }
        if (!audited) {
            state_.last_error += (state_.last_error.empty() ? "" : "; ") +
                                 std::string("audit record not written: ") +
                                 audited.error().message;
        }
    }
    Publish();
    return result;
}

}  // namespace vigil::app
