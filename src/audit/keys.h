#pragma once
// Ed25519 keys for signing audit checkpoints (OpenSSL 3 EVP; its headers stay in keys.cpp).
//
// The private key lives in a PEM file (PKCS#8) readable by its owner only: SaveToFile writes it
// with mode 0600 and LoadFromFile refuses a file that group or others can read. The public key
// is what `vigil audit verify` needs; key_id names it in every checkpoint.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vigil::audit {

inline constexpr size_t kEd25519PublicKeyBytes = 32;
inline constexpr size_t kMaxPemBytes = 16 * 1024;

// Standard base64 with padding (RFC 4648 section 4).
std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

class PublicKey {
public:
    // raw: the 32-byte Ed25519 public key.
    static Result<PublicKey> FromRaw(std::string_view raw);
    // "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo).
    static Result<PublicKey> FromPem(std::string_view pem);
    static Result<PublicKey> LoadFromFile(const std::filesystem::path& path);

    Result<std::string> ToPem() const;
    const std::string& raw() const { return raw_; }
    // First 16 hex characters of SHA-256 of the raw public key.
    const std::string& key_id() const { return key_id_; }
    // signature_b64: base64 of the 64-byte Ed25519 signature over message.
    bool Verify(std::string_view message, std::string_view signature_b64) const;

private:
    std::string raw_;
    std::string key_id_;
};

class SigningKey {
public:
    static Result<SigningKey> Generate();
    // "-----BEGIN PRIVATE KEY-----" (PKCS#8, unencrypted).
    static Result<SigningKey> FromPem(std::string_view pem);
    static Result<SigningKey> LoadFromFile(const std::filesystem::path& path);

    SigningKey(SigningKey&&) noexcept;
    SigningKey& operator=(SigningKey&&) noexcept;
    ~SigningKey();

    Result<std::string> ToPem() const;
    // Writes the PEM with mode 0600 (tightening an existing file's mode too).
    Status SaveToFile(const std::filesystem::path& path) const;
    const PublicKey& public_key() const;
    const std::string& key_id() const { return public_key().key_id(); }
    // Base64 of the Ed25519 signature over message.
    Result<std::string> Sign(std::string_view message) const;

private:
    struct Impl;
    explicit SigningKey(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::audit
