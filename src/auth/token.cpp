#include "auth/token.h"

#include <algorithm>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "auth/encoding.h"
#include "base/strings.h"

namespace vigil::auth {
namespace {

constexpr size_t kTokenIdBytes = 8;

Status CheckPrefix(std::string_view prefix) {
    if (prefix.empty() || prefix.size() > 16 || prefix.back() != '_') {
        return InvalidArgument("token prefix must be 1-16 characters ending in '_'");
    }
    for (char c : prefix) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return InvalidArgument("token prefix may contain only a-z, 0-9 and '_'");
        }
    }
    return Ok();
}

Result<std::string> RandomBytes(size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
        return Internal("RAND_bytes failed while generating a token");
    }
    return out;
}

}  // namespace

std::string HashTokenSecret(std::string_view secret) {
    // A plain digest, not argon2: the secret is 256 random bits, so there is nothing to guess
    // offline and no need for a slow, salted hash; SHA-256 keeps verification per request
    // cheap while a stolen database still reveals no usable token.
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
    return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

Result<GeneratedToken> GenerateToken(std::string_view prefix) {
    if (auto st = CheckPrefix(prefix); !st) return tl::unexpected(std::move(st.error()));
    auto id = RandomBytes(kTokenIdBytes);
    if (!id) return tl::unexpected(std::move(id.error()));
    auto secret_bytes = RandomBytes(kTokenSecretBytes);
    if (!secret_bytes) return tl::unexpected(std::move(secret_bytes.error()));
    GeneratedToken t;
    t.id = HexEncode(*id);
    // Lower-case base32: no '_' in the alphabet, so the id/secret split stays unambiguous.
    std::string secret = AsciiLower(Base32Encode(*secret_bytes, /*pad=*/false));
    OPENSSL_cleanse(secret_bytes->data(), secret_bytes->size());
    t.hash = HashTokenSecret(secret);
    t.plaintext = std::string(prefix) + t.id + "_" + secret;
    OPENSSL_cleanse(secret.data(), secret.size());
    return t;
}

Result<ParsedToken> ParseToken(std::string_view plaintext, std::string_view prefix) {
    if (plaintext.size() > kMaxTokenBytes || !StartsWith(plaintext, prefix) || prefix.empty()) {
        return InvalidArgument("not an API token");
    }
    std::string_view rest = plaintext.substr(prefix.size());
    size_t sep = rest.find('_');
    if (sep != kTokenIdBytes * 2 || sep + 1 >= rest.size()) {
        return InvalidArgument("malformed API token");
    }
    std::string_view id = rest.substr(0, sep);
    for (char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return InvalidArgument("malformed API token id");
        }
    }
    return ParsedToken{std::string(id), std::string(rest.substr(sep + 1))};
}

Status ValidateToken(const Token& token, int64_t now_ns, int64_t max_lifetime_ns) {
    if (token.scopes.empty()) return InvalidArgument("API token needs at least one scope");
    if (token.scopes.size() > kMaxTokenScopes) return InvalidArgument("too many token scopes");
    for (const std::string& scope : token.scopes) {
        if (!ParsePermission(scope)) return InvalidArgument("unknown token scope '" + scope + "'");
    }
    if (token.expires_at_ns <= now_ns) {
        return InvalidArgument("API token expiry must be in the future");
    }
    if (token.expires_at_ns - now_ns > max_lifetime_ns) {
        return InvalidArgument("API token lifetime exceeds the configured maximum");
    }
    return Ok();
}

Status VerifyToken(std::string_view plaintext, const Token& stored, int64_t now_ns,
                   std::string_view prefix) {
    auto deny = [] { return MakeError(Code::kPermissionDenied, "invalid API token"); };
    auto parsed = ParseToken(plaintext, prefix);
    if (!parsed || parsed->id != stored.id) return deny();
    std::string hash = HashTokenSecret(parsed->secret);
    OPENSSL_cleanse(parsed->secret.data(), parsed->secret.size());
    if (hash.size() != stored.hash.size() ||
        CRYPTO_memcmp(hash.data(), stored.hash.data(), hash.size()) != 0) {
        return deny();
    }
    if (now_ns >= stored.expires_at_ns) {
        return MakeError(Code::kPermissionDenied, "API token expired");
    }
    return Ok();
}

bool TokenAllows(const Token& token, Role owner_role, Permission permission) {
    if (!Allowed(owner_role, permission)) return false;
    std::string_view name = PermissionName(permission);
    return std::any_of(token.scopes.begin(), token.scopes.end(),
                       [&](const std::string& s) { return s == name; });
}

}  // namespace vigil::auth
