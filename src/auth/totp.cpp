#include "auth/totp.h"

#include <string>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace vigil::auth {
namespace {

const EVP_MD* Digest(OtpAlgorithm algorithm) {
    switch (algorithm) {
        case OtpAlgorithm::kSha1:
            return EVP_sha1();
        case OtpAlgorithm::kSha256:
            return EVP_sha256();
        case OtpAlgorithm::kSha512:
            return EVP_sha512();
    }
    return nullptr;
}

Status CheckParams(const TotpParams& p) {
    if (p.digits < 6 || p.digits > 8) return InvalidArgument("OTP digits must be 6 to 8");
    if (p.step_seconds <= 0) return InvalidArgument("TOTP step must be positive");
    if (p.window < 0 || p.window > 10) return InvalidArgument("TOTP window must be 0 to 10");
    return Ok();
}

}  // namespace

std::string_view OtpAlgorithmName(OtpAlgorithm algorithm) {
    switch (algorithm) {
        case OtpAlgorithm::kSha1:
            return "SHA1";
        case OtpAlgorithm::kSha256:
            return "SHA256";
        case OtpAlgorithm::kSha512:
            return "SHA512";
    }
    return "SHA1";
}

Result<std::string> Hotp(std::string_view key, uint64_t counter, int digits,
                         OtpAlgorithm algorithm) {
    if (digits < 6 || digits > 8) return InvalidArgument("OTP digits must be 6 to 8");
    if (key.empty() || key.size() > kMaxOtpKeyBytes) {
        return InvalidArgument("OTP key must be 1 to " + std::to_string(kMaxOtpKeyBytes) +
                               " bytes");
    }
    unsigned char message[8];
    for (int i = 7; i >= 0; --i) {
        message[i] = static_cast<unsigned char>(counter & 0xff);
        counter >>= 8;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(Digest(algorithm), key.data(), static_cast<int>(key.size()), message, sizeof(message),
             mac, &mac_len) == nullptr ||
        mac_len < 20) {
        return Internal("HMAC failed while computing an OTP");
    }
    // RFC 4226 section 5.3 dynamic truncation.
    int offset = mac[mac_len - 1] & 0x0f;
    uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                      (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                      (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                      static_cast<uint32_t>(mac[offset + 3]);
    OPENSSL_cleanse(mac, sizeof(mac));
    uint32_t modulus = 1;
    for (int i = 0; i < digits; ++i) modulus *= 10;
    std::string code = std::to_string(binary % modulus);
    return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

uint64_t TotpCounter(int64_t unix_seconds, const TotpParams& params) {
    if (unix_seconds < params.t0 || params.step_seconds <= 0) return 0;
    return static_cast<uint64_t>((unix_seconds - params.t0) / params.step_seconds);
}

Result<std::string> Totp(std::string_view key, int64_t unix_seconds, const TotpParams& params) {
    if (auto st = CheckParams(params); !st) return tl::unexpected(std::move(st.error()));
    return Hotp(key, TotpCounter(unix_seconds, params), params.digits, params.algorithm);
}

Result<uint64_t> VerifyTotp(std::string_view key, std::string_view code, int64_t unix_seconds,
                            const TotpParams& params, std::optional<uint64_t> last_used_counter) {
    if (auto st = CheckParams(params); !st) return tl::unexpected(std::move(st.error()));
    if (code.size() != static_cast<size_t>(params.digits)) {
        return InvalidArgument("one-time code must be " + std::to_string(params.digits) +
                               " digits");
    }
    for (char c : code) {
        if (c < '0' || c > '9') return InvalidArgument("one-time code must be digits only");
    }
    uint64_t now = TotpCounter(unix_seconds, params);
    std::optional<uint64_t> matched;
    // Every step in the window is computed and compared in constant time, so the timing does
    // not tell which step (if any) matched.
    for (int delta = -params.window; delta <= params.window; ++delta) {
        if (delta < 0 && now < static_cast<uint64_t>(-delta)) continue;
        uint64_t counter = now + static_cast<uint64_t>(static_cast<int64_t>(delta));
        auto expected = Hotp(key, counter, params.digits, params.algorithm);
        if (!expected) return tl::unexpected(std::move(expected.error()));
        if (CRYPTO_memcmp(expected->data(), code.data(), code.size()) == 0 && !matched) {
            matched = counter;
        }
    }
    if (!matched) return MakeError(Code::kPermissionDenied, "one-time code is not valid");
    if (last_used_counter && *matched <= *last_used_counter) {
        return MakeError(Code::kPermissionDenied, "one-time code was already used");
    }
    return *matched;
}

Result<std::string> GenerateTotpSecret(size_t bytes) {
    if (bytes < 16 || bytes > 64) return InvalidArgument("TOTP secret must be 16 to 64 bytes");
    std::string secret(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()),
                   static_cast<int>(secret.size())) != 1) {
        return Internal("RAND_bytes failed while generating a TOTP secret");
    }
    return secret;
}

std::string PercentEncode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        }
    }
    return out;
}

Result<std::string> OtpauthUri(std::string_view issuer, std::string_view account,
                               std::string_view secret, const TotpParams& params) {
    if (auto st = CheckParams(params); !st) return tl::unexpected(std::move(st.error()));
    if (issuer.empty() || account.empty()) {
        return InvalidArgument("otpauth URI needs an issuer and an account");
    }
    if (issuer.find(':') != std::string_view::npos || account.find(':') != std::string_view::npos) {
        return InvalidArgument("otpauth issuer and account must not contain ':'");
    }
    if (secret.empty()) return InvalidArgument("otpauth URI needs a secret");
    std::string enc_issuer = PercentEncode(issuer);
    std::string uri = "otpauth://totp/" + enc_issuer + ":" + PercentEncode(account);
    uri += "?secret=" + Base32Encode(secret, /*pad=*/false);
    uri += "&issuer=" + enc_issuer;
    uri += "&algorithm=" + std::string(OtpAlgorithmName(params.algorithm));
    uri += "&digits=" + std::to_string(params.digits);
    uri += "&period=" + std::to_string(params.step_seconds);
    return uri;
}

}  // namespace vigil::auth
