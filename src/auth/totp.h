#pragma once
// One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1/256/512, plus the
// secret generation and otpauth:// URI an authenticator app scans. Secrets are raw bytes in
// std::string; they are sealed (seal.h) before they reach the database.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/encoding.h"
#include "base/result.h"

namespace vigil::auth {

enum class OtpAlgorithm { kSha1, kSha256, kSha512 };

std::string_view OtpAlgorithmName(OtpAlgorithm algorithm);  // "SHA1", "SHA256", "SHA512"

struct TotpParams {
    OtpAlgorithm algorithm = OtpAlgorithm::kSha1;  // what every authenticator app supports
    int digits = 6;                                // 6 or 8
    int64_t step_seconds = 30;
    int64_t t0 = 0;  // Unix time the step counter starts from
    int window = 1;  // accept codes this many steps before or after now (clock skew)
};

inline constexpr size_t kTotpSecretBytes = 20;  // 160 bits, RFC 4226's recommendation
inline constexpr size_t kMaxOtpKeyBytes = 1024;

// HOTP value for `counter`, zero-padded to `digits` (6..8).
Result<std::string> Hotp(std::string_view key, uint64_t counter, int digits = 6,
                         OtpAlgorithm algorithm = OtpAlgorithm::kSha1);

// The step counter T = floor((unix_seconds - t0) / step).
uint64_t TotpCounter(int64_t unix_seconds, const TotpParams& params = {});

Result<std::string> Totp(std::string_view key, int64_t unix_seconds, const TotpParams& params = {});

// Checks `code` against the steps now-window .. now+window. Returns the matched step
// counter; the caller stores it and passes it back as `last_used_counter` next time so a
// code (or an older one) can never be used twice. Errors: invalid_argument for a code that
// is not `digits` digits, permission_denied for a wrong or replayed code.
Result<uint64_t> VerifyTotp(std::string_view key, std::string_view code, int64_t unix_seconds,
                            const TotpParams& params = {},
                            std::optional<uint64_t> last_used_counter = std::nullopt);

// kTotpSecretBytes random bytes from the OpenSSL CSPRNG.
Result<std::string> GenerateTotpSecret(size_t bytes = kTotpSecretBytes);

// "otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30"
// with issuer and account percent-encoded (RFC 3986 unreserved characters kept). Neither may
// contain ':' (the label separator) or be empty.
Result<std::string> OtpauthUri(std::string_view issuer, std::string_view account,
                               std::string_view secret, const TotpParams& params = {});

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string PercentEncode(std::string_view s);

}  // namespace vigil::auth
