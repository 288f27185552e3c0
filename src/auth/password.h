#pragma once
// Password hashing (argon2id, PHC string format) and the password policy.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::auth {

// OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
struct Argon2Params {
    uint32_t memory_kib = 19456;
    uint32_t iterations = 2;
    uint32_t parallelism = 1;
    uint32_t salt_bytes = 16;
    uint32_t hash_bytes = 32;
};

// Named limits: longer passwords are refused before hashing, and stored hashes asking for
// absurd cost are refused before verifying (a tampered row must not exhaust memory).
inline constexpr size_t kMaxPasswordBytes = 1024;
inline constexpr uint32_t kMaxArgon2MemoryKib = 1024 * 1024;  // 1 GiB
inline constexpr uint32_t kMaxArgon2Iterations = 64;
inline constexpr uint32_t kMaxArgon2Parallelism = 16;

// "$argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<hash b64>" with a fresh random salt.
Result<std::string> HashPassword(std::string_view plain, const Argon2Params& params = {});

// True when `plain` matches; false on mismatch; an error only when `phc` is malformed or
// not argon2id. The final comparison is constant-time (libargon2's argon2_compare).
Result<bool> VerifyPassword(std::string_view plain, std::string_view phc);

// Parameters recorded in a PHC string (salt and hash lengths from the encoded fields).
Result<Argon2Params> ParsePhcParams(std::string_view phc);

// True when the stored hash was made with weaker (or different) parameters than `params`,
// so the caller re-hashes the password on the next successful sign-in.
Result<bool> NeedsRehash(std::string_view phc, const Argon2Params& params = {});

struct PasswordPolicy {
    size_t min_length = 8;  // in characters (UTF-8 code points)
    int min_classes = 3;    // of lower, upper, digit, symbol (non-ASCII counts as symbol)
    size_t history = 5;     // refuse the last N passwords
    int max_age_days = 90;  // 0 = never expires

    // Checks a new password. `history_hashes` are the user's previous PHC strings, newest
    // first; only the first `history` are consulted. The error (invalid_argument) says why:
    // "password too short", "too few character classes", "contains the username",
    // "reuses one of the last N passwords".
    Status Check(std::string_view plain, std::string_view username,
                 const std::vector<std::string>& history_hashes = {}) const;

    // Whether a password changed at `changed_at_ns` has expired at `now_ns` (ns since epoch).
    bool Expired(int64_t changed_at_ns, int64_t now_ns) const;
};

}  // namespace vigil::auth
