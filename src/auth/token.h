#pragma once
// API tokens for scripts and integrations: "vgl_<id>_<secret>". The plaintext is shown once
// at creation; the database keeps only the id (to look the row up) and SHA-256 of the
// secret. A token acts with the intersection of its scopes and its owner's role.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/permissions.h"
#include "base/result.h"

namespace vigil::auth {

inline constexpr std::string_view kTokenPrefix = "vgl_";
inline constexpr size_t kTokenSecretBytes = 32;  // 256 bits
inline constexpr size_t kMaxTokenBytes = 256;
inline constexpr size_t kMaxTokenScopes = 64;

struct GeneratedToken {
    std::string plaintext;  // give to the user once, never store or log
    std::string id;         // 16 hex characters, not secret
    std::string hash;       // hex SHA-256 of the secret part, what the database keeps
};

// The stored record.
struct Token {
    std::string id;
    std::string name;
    std::vector<std::string> scopes;  // permission names (permissions.h)
    int64_t expires_at_ns = 0;        // required; ns since the epoch
    std::string created_by;
    std::string hash;
};

// `prefix` must be 1-16 characters of [a-z0-9_] ending in '_' (e.g. "vgl_"); it lets secret
// scanners recognise leaked tokens.
Result<GeneratedToken> GenerateToken(std::string_view prefix = kTokenPrefix);

struct ParsedToken {
    std::string id;
    std::string secret;
};
// Splits "vgl_<id>_<secret>"; invalid_argument when malformed.
Result<ParsedToken> ParseToken(std::string_view plaintext, std::string_view prefix = kTokenPrefix);

// Hex SHA-256 of a token secret.
std::string HashTokenSecret(std::string_view secret);

// Checks that a token record is acceptable to store: scopes are known permission names,
// not empty, the expiry is in the future and at most `max_lifetime_ns` away.
Status ValidateToken(const Token& token, int64_t now_ns, int64_t max_lifetime_ns);

// Verifies a presented token against its stored record (looked up by ParseToken().id):
// permission_denied when the secret does not match (constant-time) or it has expired.
Status VerifyToken(std::string_view plaintext, const Token& stored, int64_t now_ns,
                   std::string_view prefix = kTokenPrefix);

// The token may use `permission` only when it is in its scopes AND the owner's role has it.
bool TokenAllows(const Token& token, Role owner_role, Permission permission);

}  // namespace vigil::auth
