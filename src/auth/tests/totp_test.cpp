#include "auth/totp.h"

#include <gtest/gtest.h>

namespace vigil::auth {
namespace {

const std::string kSeed20 = "12345678901234567890";
const std::string kSeed32 = "12345678901234567890123456789012";
const std::string kSeed64 = "1234567890123456789012345678901234567890123456789012345678901234";

TEST(Hotp, Rfc4226AppendixD) {
    const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                              "254676", "287922", "162583", "399871", "520489"};
    for (uint64_t count = 0; count < 10; ++count) {
        auto code = Hotp(kSeed20, count);
        ASSERT_TRUE(code);
        EXPECT_EQ(*code, expected[count]) << "count " << count;
    }
}

struct Rfc6238Vector {
    int64_t time;
    OtpAlgorithm algorithm;
    const char* code;
};

TEST(Totp, Rfc6238AppendixB) {
    const Rfc6238Vector vectors[] = {
        {59, OtpAlgorithm::kSha1, "94287082"},
        {59, OtpAlgorithm::kSha256, "46119246"},
        {59, OtpAlgorithm::kSha512, "90693936"},
        {1111111109, OtpAlgorithm::kSha1, "07081804"},
        {1111111109, OtpAlgorithm::kSha256, "68084774"},
        {1111111109, OtpAlgorithm::kSha512, "25091201"},
        {1111111111, OtpAlgorithm::kSha1, "14050471"},
        {1111111111, OtpAlgorithm::kSha256, "67062674"},
        {1111111111, OtpAlgorithm::kSha512, "99943326"},
        {1234567890, OtpAlgorithm::kSha1, "89005924"},
        {1234567890, OtpAlgorithm::kSha256, "91819424"},
        {1234567890, OtpAlgorithm::kSha512, "93441116"},
        {2000000000, OtpAlgorithm::kSha1, "69279037"},
        {2000000000, OtpAlgorithm::kSha256, "90698825"},
        {2000000000, OtpAlgorithm::kSha512, "38618901"},
        {20000000000, OtpAlgorithm::kSha1, "65353130"},
        {20000000000, OtpAlgorithm::kSha256, "77737706"},
        {20000000000, OtpAlgorithm::kSha512, "47863826"},
    };
    for (const auto& v : vectors) {
        const std::string& seed = v.algorithm == OtpAlgorithm::kSha1     ? kSeed20
                                  : v.algorithm == OtpAlgorithm::kSha256 ? kSeed32
                                                                         : kSeed64;
        TotpParams params;
        params.algorithm = v.algorithm;
        params.digits = 8;
        auto code = Totp(seed, v.time, params);
        ASSERT_TRUE(code);
        EXPECT_EQ(*code, v.code) << "time " << v.time << " " << OtpAlgorithmName(v.algorithm);
        auto matched = VerifyTotp(seed, v.code, v.time, params);
        ASSERT_TRUE(matched) << matched.error().ToString();
        EXPECT_EQ(*matched, TotpCounter(v.time, params));
    }
    EXPECT_EQ(TotpCounter(1111111109), 0x23523ECu);
    EXPECT_EQ(TotpCounter(20000000000), 0x27BC86AAu);
}

TEST(Totp, VerifyAcceptsOneStepOfSkewOnly) {
    const int64_t now = 1111111111;
    auto previous = Totp(kSeed20, now - 30);
    auto next = Totp(kSeed20, now + 30);
    auto far = Totp(kSeed20, now + 90);
    ASSERT_TRUE(previous && next && far);
    EXPECT_EQ(*VerifyTotp(kSeed20, *previous, now), TotpCounter(now) - 1);
    EXPECT_EQ(*VerifyTotp(kSeed20, *next, now), TotpCounter(now) + 1);
    auto late = VerifyTotp(kSeed20, *far, now);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, Code::kPermissionDenied);
}

TEST(Totp, ReplayOfUsedOrOlderStepIsRefused) {
    const int64_t now = 1234567890;
    auto code = Totp(kSeed20, now);
    ASSERT_TRUE(code);
    auto first = VerifyTotp(kSeed20, *code, now);
    ASSERT_TRUE(first);
    auto again = VerifyTotp(kSeed20, *code, now + 5, {}, *first);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().message, "one-time code was already used");
    auto older = Totp(kSeed20, now - 30);
    EXPECT_FALSE(VerifyTotp(kSeed20, *older, now, {}, *first));
    auto newer = Totp(kSeed20, now + 30);
    EXPECT_TRUE(VerifyTotp(kSeed20, *newer, now + 30, {}, *first));
}

TEST(Totp, MalformedCodesAreInvalidArgument) {
    auto r = VerifyTotp(kSeed20, "12345", 59);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_EQ(VerifyTotp(kSeed20, "12a456", 59).error().code, Code::kInvalidArgument);
    EXPECT_FALSE(Hotp("", 0));
    EXPECT_FALSE(Hotp(kSeed20, 0, 9));
}

TEST(Totp, GenerateSecretIsRandom) {
    auto a = GenerateTotpSecret();
    auto b = GenerateTotpSecret();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->size(), 20u);
    EXPECT_NE(*a, *b);
}

TEST(Totp, OtpauthUriPercentEncodesLabelAndIssuer) {
    auto uri = OtpauthUri("Vigil Bank", "alice@example.com", kSeed20);
    ASSERT_TRUE(uri);
    EXPECT_EQ(*uri,
              "otpauth://totp/Vigil%20Bank:alice%40example.com"
              "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Vigil%20Bank"
              "&algorithm=SHA1&digits=6&period=30");
    EXPECT_EQ(PercentEncode("a&b=c/é"), "a%26b%3Dc%2F%C3%A9");
    EXPECT_FALSE(OtpauthUri("Vigil:Prod", "alice", kSeed20));
    EXPECT_FALSE(OtpauthUri("Vigil", "", kSeed20));
}

}  // namespace
}  // namespace vigil::auth
