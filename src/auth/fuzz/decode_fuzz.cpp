// libFuzzer target for everything in auth that reads bytes from a request or a database row:
// base32/base64 decoding, API token parsing, PHC parameter parsing, sealed value parsing and
// authentication, and one-time code checking. Round trips must hold where they apply.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/encoding.h"
#include "auth/password.h"
#include "auth/seal.h"
#include "auth/token.h"
#include "auth/totp.h"

namespace {

using namespace vigil::auth;

void Check(bool ok) {
    if (!ok) std::abort();
}

const KeyRing& Ring() {
    static const KeyRing ring(*SealKey::FromBytes(std::string(kSealKeyBytes, 'k')));
    return ring;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);

    if (auto b32 = Base32Decode(in)) {
        Check(*Base32Decode(Base32Encode(*b32)) == *b32);
    }
    if (auto b64 = Base64Decode(in)) {
        Check(*Base64Decode(Base64Encode(*b64)) == *b64);
    }
    Check(*Base64Decode(Base64Encode(in)) == in);
    Check(*Base32Decode(Base32Encode(in, true)) == in);

    if (auto token = ParseToken(in)) {
        Check(token->id.size() == 16);
        Token stored;
        stored.id = token->id;
        stored.hash = HashTokenSecret(token->secret);
        stored.expires_at_ns = 1;
        Check(!VerifyToken(in, stored, 2));  // expired
    }

    (void)ParsePhcParams(in);  // never VerifyPassword: argon2 cost would swamp the fuzzer

    auto unsealed = Ring().Unseal(in, "fuzz");
    if (unsealed) Check(*Ring().Unseal(*Ring().Seal(*unsealed, "fuzz"), "fuzz") == *unsealed);

    (void)VerifyTotp("12345678901234567890", in, 59);
    (void)OtpauthUri(in, in, "secret-bytes");
    return 0;
}
