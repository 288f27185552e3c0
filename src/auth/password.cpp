#include "auth/password.h"

#include <algorithm>
#include <string>

#include <argon2.h>
#include <openssl/rand.h>

#include "base/strings.h"

namespace vigil::auth {
namespace {

constexpr int64_t kNsPerDay = int64_t{86400} * 1000000000;

Status ValidateParams(const Argon2Params& p) {
    if (p.memory_kib < 8 * p.parallelism || p.memory_kib > kMaxArgon2MemoryKib) {
        return InvalidArgument("argon2 memory out of range: " + std::to_string(p.memory_kib) +
                               " KiB");
    }
    if (p.iterations < 1 || p.iterations > kMaxArgon2Iterations) {
        return InvalidArgument("argon2 iterations out of range: " + std::to_string(p.iterations));
    }
    if (p.parallelism < 1 || p.parallelism > kMaxArgon2Parallelism) {
        return InvalidArgument("argon2 parallelism out of range: " + std::to_string(p.parallelism));
    }
    if (p.salt_bytes < 16 || p.salt_bytes > 64 || p.hash_bytes < 16 || p.hash_bytes > 64) {
        return InvalidArgument("argon2 salt/hash length out of range");
    }
    return Ok();
}

// Parses "key=<uint32>" and advances past it.
bool ParseField(std::string_view& s, std::string_view key, uint32_t& out) {
    if (!StartsWith(s, key) || s.size() <= key.size() || s[key.size()] != '=') return false;
    s.remove_prefix(key.size() + 1);
    size_t n = 0;
    uint64_t v = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9' && n < 10) {
        v = v * 10 + static_cast<uint64_t>(s[n] - '0');
        ++n;
    }
    if (n == 0 || v > UINT32_MAX) return false;
    out = static_cast<uint32_t>(v);
    s.remove_prefix(n);
    return true;
}

// Unpadded standard base64 (the PHC form) length -> byte count.
size_t DecodedLength(std::string_view b64) { return b64.size() * 3 / 4; }

}  // namespace

Result<Argon2Params> ParsePhcParams(std::string_view phc) {
    auto fail = [] { return InvalidArgument("not an argon2id PHC string"); };
    std::string_view s = phc;
    if (!StartsWith(s, "$argon2id$v=19$")) return fail();
    s.remove_prefix(15);
    Argon2Params p;
    if (!ParseField(s, "m", p.memory_kib) || !StartsWith(s, ",")) return fail();
    s.remove_prefix(1);
    if (!ParseField(s, "t", p.iterations) || !StartsWith(s, ",")) return fail();
    s.remove_prefix(1);
    if (!ParseField(s, "p", p.parallelism) || !StartsWith(s, "$")) return fail();
    s.remove_prefix(1);
    size_t dollar = s.find('$');
    if (dollar == std::string_view::npos) return fail();
    p.salt_bytes = static_cast<uint32_t>(DecodedLength(s.substr(0, dollar)));
    p.hash_bytes = static_cast<uint32_t>(DecodedLength(s.substr(dollar + 1)));
    if (auto st = ValidateParams(p); !st) return tl::unexpected(std::move(st.error()));
    return p;
}

Result<std::string> HashPassword(std::string_view plain, const Argon2Params& params) {
    if (plain.size() > kMaxPasswordBytes) {
        return InvalidArgument("password longer than " + std::to_string(kMaxPasswordBytes) +
                               " bytes");
    }
    if (auto st = ValidateParams(params); !st) return tl::unexpected(std::move(st.error()));
    std::string salt(params.salt_bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) !=
        1) {
        return Internal("RAND_bytes failed while generating a password salt");
    }
    size_t len = argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                   params.salt_bytes, params.hash_bytes, Argon2_id);
    std::string encoded(len, '\0');
    int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                   plain.data(), plain.size(), salt.data(), salt.size(),
                                   params.hash_bytes, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) {
        return Internal(std::string("argon2id hashing failed: ") + argon2_error_message(rc));
    }
    encoded.resize(encoded.find('\0'));
    return encoded;
}

Result<bool> VerifyPassword(std::string_view plain, std::string_view phc) {
    // Validate cost parameters first: libargon2 would happily allocate whatever m says.
    auto params = ParsePhcParams(phc);
    if (!params) return tl::unexpected(std::move(params.error()));
    if (plain.size() > kMaxPasswordBytes) return false;
    std::string encoded(phc);  // argon2id_verify needs a NUL-terminated string
    int rc = argon2id_verify(encoded.c_str(), plain.data(), plain.size());
    if (rc == ARGON2_OK) return true;
    if (rc == ARGON2_VERIFY_MISMATCH) return false;
    return InvalidArgument(std::string("argon2id verification failed: ") +
                           argon2_error_message(rc));
}

Result<bool> NeedsRehash(std::string_view phc, const Argon2Params& params) {
    auto stored = ParsePhcParams(phc);
    if (!stored) return tl::unexpected(std::move(stored.error()));
    return stored->memory_kib != params.memory_kib || stored->iterations != params.iterations ||
           stored->parallelism != params.parallelism || stored->salt_bytes < params.salt_bytes ||
           stored->hash_bytes != params.hash_bytes;
}

Status PasswordPolicy::Check(std::string_view plain, std::string_view username,
                             const std::vector<std::string>& history_hashes) const {
    if (plain.size() > kMaxPasswordBytes) {
        return InvalidArgument("password too long: at most " + std::to_string(kMaxPasswordBytes) +
                               " bytes");
    }
    size_t characters = 0;
    bool lower = false, upper = false, digit = false, symbol = false;
    for (char ch : plain) {
        auto c = static_cast<unsigned char>(ch);
        if ((c & 0xC0) != 0x80) ++characters;  // count UTF-8 lead bytes, not continuations
        if (c >= 'a' && c <= 'z') {
            lower = true;
        } else if (c >= 'A' && c <= 'Z') {
            upper = true;
        } else if (c >= '0' && c <= '9') {
            digit = true;
        } else {
            symbol = true;
        }
    }
    if (characters < min_length) {
        return InvalidArgument("password too short: " + std::to_string(characters) +
                               " characters, at least " + std::to_string(min_length) + " required");
    }
    int classes = int{lower} + int{upper} + int{digit} + int{symbol};
    if (classes < min_classes) {
        return InvalidArgument("password has too few character classes: " +
                               std::to_string(classes) + " of lower case, upper case, digits, " +
                               "symbols; at least " + std::to_string(min_classes) + " required");
    }
    // Very short user names ("li") would forbid too many passwords to be useful.
    if (username.size() >= 3 && AsciiLower(plain).find(AsciiLower(username)) != std::string::npos) {
        return InvalidArgument("password contains the username");
    }
    size_t n = std::min(history, history_hashes.size());
    for (size_t i = 0; i < n; ++i) {
        auto match = VerifyPassword(plain, history_hashes[i]);
        if (match && *match) {
            return InvalidArgument("password reuses one of the last " + std::to_string(history) +
                                   " passwords");
        }
    }
    return Ok();
}

bool PasswordPolicy::Expired(int64_t changed_at_ns, int64_t now_ns) const {
    if (max_age_days <= 0) return false;
    return now_ns - changed_at_ns >= static_cast<int64_t>(max_age_days) * kNsPerDay;
}

}  // namespace vigil::auth
