#include "auth/password.h"

#include <gtest/gtest.h>

namespace vigil::auth {
namespace {

// Small cost: argon2 at m=19 MiB is slow under the sanitizers. One test uses the defaults.
Argon2Params Fast() {
    Argon2Params p;
    p.memory_kib = 256;
    p.iterations = 1;
    return p;
}

TEST(Password, DefaultParamsAreOwaspAndVerify) {
    auto phc = HashPassword("Correct-Horse-9");
    ASSERT_TRUE(phc) << phc.error().ToString();
    EXPECT_TRUE(phc->starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << *phc;
    EXPECT_TRUE(*VerifyPassword("Correct-Horse-9", *phc));
    EXPECT_FALSE(*VerifyPassword("correct-horse-9", *phc));
    EXPECT_FALSE(*NeedsRehash(*phc));
}

TEST(Password, SaltMakesEachHashDifferent) {
    auto a = HashPassword("S3cret!pass", Fast());
    auto b = HashPassword("S3cret!pass", Fast());
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
    EXPECT_TRUE(*VerifyPassword("S3cret!pass", *a));
    EXPECT_TRUE(*VerifyPassword("S3cret!pass", *b));
    EXPECT_FALSE(*VerifyPassword("", *a));
}

TEST(Password, ParsesParamsAndDetectsRehash) {
    auto phc = HashPassword("S3cret!pass", Fast());
    ASSERT_TRUE(phc);
    auto params = ParsePhcParams(*phc);
    ASSERT_TRUE(params);
    EXPECT_EQ(params->memory_kib, 256u);
    EXPECT_EQ(params->iterations, 1u);
    EXPECT_EQ(params->parallelism, 1u);
    EXPECT_EQ(params->salt_bytes, 16u);
    EXPECT_EQ(params->hash_bytes, 32u);
    EXPECT_TRUE(*NeedsRehash(*phc));  // against the OWASP defaults
    EXPECT_FALSE(*NeedsRehash(*phc, Fast()));
}

TEST(Password, MalformedOrHostileHashesAreErrors) {
    EXPECT_FALSE(VerifyPassword("x", "$2b$12$abcdefghijklmnopqrstuv"));  // bcrypt
    EXPECT_FALSE(VerifyPassword("x", "$argon2i$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA"));
    // A tampered row asking for 4 TiB of memory is refused before libargon2 sees it.
    auto r = VerifyPassword("x",
                            "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                            "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_FALSE(HashPassword(std::string(kMaxPasswordBytes + 1, 'a'), Fast()));
}

TEST(PasswordPolicy, ReasonsForRejection) {
    PasswordPolicy policy;
    EXPECT_TRUE(policy.Check("Tr0ub4dor&3", "alice"));
    auto too_short = policy.Check("Ab1!", "alice");
    ASSERT_FALSE(too_short);
    EXPECT_EQ(too_short.error().message, "password too short: 4 characters, at least 8 required");
    auto classes = policy.Check("alllowercase1", "alice");
    ASSERT_FALSE(classes);
    EXPECT_TRUE(classes.error().message.starts_with("password has too few character classes: 2"))
        << classes.error().message;
    auto name = policy.Check("xxALICE-2024", "alice");
    ASSERT_FALSE(name);
    EXPECT_EQ(name.error().message, "password contains the username");
    EXPECT_EQ(name.error().code, Code::kInvalidArgument);
    // Three classes suffice: lower + upper + symbol.
    EXPECT_TRUE(policy.Check("Quiet-River-Stone", "bob"));
    // Characters, not bytes: 7 Cyrillic letters + digit is 8 characters.
    EXPECT_TRUE(policy.Check("Пароль1A", "bob"));
    EXPECT_FALSE(policy.Check("Паро1A", "bob"));
}

TEST(PasswordPolicy, RefusesRecentPasswordsOnly) {
    PasswordPolicy policy;
    policy.history = 2;
    std::vector<std::string> history;  // newest first
    for (const char* p : {"Newest-Pass1", "Middle-Pass1", "Oldest-Pass1"}) {
        auto phc = HashPassword(p, Fast());
        ASSERT_TRUE(phc);
        history.push_back(*phc);
    }
    auto reused = policy.Check("Middle-Pass1", "carol", history);
    ASSERT_FALSE(reused);
    EXPECT_EQ(reused.error().message, "password reuses one of the last 2 passwords");
    EXPECT_TRUE(policy.Check("Oldest-Pass1", "carol", history));  // beyond the history
    EXPECT_TRUE(policy.Check("Brand-New-Pass1", "carol", history));
}

TEST(PasswordPolicy, Expiry) {
    PasswordPolicy policy;
    const int64_t day = int64_t{86400} * 1000000000;
    const int64_t changed = int64_t{1700000000} * 1000000000;
    EXPECT_FALSE(policy.Expired(changed, changed + 89 * day));
    EXPECT_TRUE(policy.Expired(changed, changed + 90 * day));
    policy.max_age_days = 0;
    EXPECT_FALSE(policy.Expired(changed, changed + 9000 * day));
}

}  // namespace
}  // namespace vigil::auth
