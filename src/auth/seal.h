#pragma once
// Secrets at rest (TOTP seeds, integration credentials, ...) sealed with AES-256-GCM under
// a key kept in its own file, apart from the database, readable by the service user only.
//
// Sealed form: "v1:<key_id>:<base64(nonce 12 | ciphertext | tag 16)>". The associated data
// binds a purpose string ("totp-seed:user42") and the "v1:<key_id>:" header into the tag, so
// a sealed value copied to another row or purpose does not open. key_id is derived from the
// key bytes, so a key file needs no metadata. Rotation: a KeyRing holds the current key and
// old ones; Reseal() re-encrypts a value under the current key (`vigil keys rotate`).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::auth {

inline constexpr size_t kSealKeyBytes = 32;
inline constexpr size_t kMaxSealedPlaintextBytes = 1024 * 1024;

// A 256-bit key; the bytes never leave this class except through the key file, and are
// wiped when it is destroyed.
class SealKey {
public:
    static Result<SealKey> Generate();
    static Result<SealKey> FromBytes(std::string_view bytes);  // exactly 32 bytes

    // Writes a new random key to `path` (must not exist) with mode 0600 and fsync.
    static Result<SealKey> CreateFile(const std::filesystem::path& path);
    // Refuses files that are not regular, not exactly 32 bytes, or readable/writable by group
    // or others ("chmod 600 <path>").
    static Result<SealKey> LoadFile(const std::filesystem::path& path);

    SealKey(const SealKey& other);
    SealKey& operator=(const SealKey& other);
    SealKey(SealKey&& other) noexcept;
    SealKey& operator=(SealKey&& other) noexcept;
    ~SealKey();

    const std::string& id() const { return id_; }  // 16 hex characters

private:
    SealKey() = default;
    friend class KeyRing;
    unsigned char bytes_[kSealKeyBytes] = {};
    std::string id_;
};

// Const members may be called from many threads; Rotate/AddOld need exclusive access.
class KeyRing {
public:
    explicit KeyRing(SealKey current);
    KeyRing(KeyRing&&) noexcept;
    KeyRing& operator=(KeyRing&&) noexcept;
    ~KeyRing();

    // `current` seals; old keys only unseal. Duplicates (same id) are ignored.
    static Result<KeyRing> LoadFiles(const std::filesystem::path& current,
                                     const std::vector<std::filesystem::path>& old = {});

    // Makes `key` current; the previous current key stays for unsealing.
    void Rotate(SealKey key);
    void AddOld(SealKey key);
    const std::string& current_id() const;
    std::vector<std::string> key_ids() const;

    Result<std::string> Seal(std::string_view plaintext, std::string_view aad) const;
    // data_loss when the value was tampered with, the AAD differs or the key is wrong;
    // not_found when no key in the ring has the value's key id.
    Result<std::string> Unseal(std::string_view sealed, std::string_view aad) const;
    // Unseals with whichever key sealed it and seals again under the current key.
    Result<std::string> Reseal(std::string_view sealed, std::string_view aad) const;
    // Whether `sealed` was made under a key other than the current one.
    bool NeedsReseal(std::string_view sealed) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::auth
