#include "auth/token.h"

#include <gtest/gtest.h>

namespace vigil::auth {
namespace {

constexpr int64_t kDay = int64_t{86400} * 1000000000;
constexpr int64_t kNow = int64_t{1700000000} * 1000000000;

Token Stored(const GeneratedToken& g) {
    Token t;
    t.id = g.id;
    t.name = "siem export";
    t.scopes = {"alerts.read", "incidents.read"};
    t.expires_at_ns = kNow + 30 * kDay;
    t.created_by = "alice";
    t.hash = g.hash;
    return t;
}

TEST(Token, GeneratedFormatAndHashOnly) {
    auto g = GenerateToken();
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->plaintext.starts_with("vgl_" + g->id + "_")) << g->plaintext;
    EXPECT_EQ(g->id.size(), 16u);
    EXPECT_EQ(g->hash.size(), 64u);
    EXPECT_EQ(g->plaintext.size(), 4 + 16 + 1 + 52u);
    EXPECT_EQ(g->plaintext.find(g->hash), std::string::npos);
    auto parsed = ParseToken(g->plaintext);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->id, g->id);
    EXPECT_EQ(HashTokenSecret(parsed->secret), g->hash);
    EXPECT_NE(GenerateToken()->plaintext, g->plaintext);
    EXPECT_FALSE(GenerateToken("VGL"));
}

TEST(Token, HashMatchesSha256) {
    EXPECT_EQ(HashTokenSecret("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Token, VerifyChecksSecretIdAndExpiry) {
    auto g = GenerateToken();
    ASSERT_TRUE(g);
    Token t = Stored(*g);
    EXPECT_TRUE(VerifyToken(g->plaintext, t, kNow));

    std::string wrong = g->plaintext;
    wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
    auto bad = VerifyToken(wrong, t, kNow);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Code::kPermissionDenied);
    EXPECT_EQ(bad.error().message, "invalid API token");

    auto other = GenerateToken();
    EXPECT_FALSE(VerifyToken(other->plaintext, t, kNow));  // different id
    auto expired = VerifyToken(g->plaintext, t, kNow + 31 * kDay);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().message, "API token expired");
    EXPECT_FALSE(VerifyToken("vgl_short", t, kNow));
    EXPECT_FALSE(VerifyToken("", t, kNow));
}

TEST(Token, ValidateScopesAndLifetime) {
    auto g = GenerateToken();
    Token t = Stored(*g);
    EXPECT_TRUE(ValidateToken(t, kNow, 365 * kDay));
    EXPECT_FALSE(ValidateToken(t, kNow, 7 * kDay));  // longer than allowed
    t.scopes = {"alerts.read", "audit.write"};
    auto unknown = ValidateToken(t, kNow, 365 * kDay);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message, "unknown token scope 'audit.write'");
    t.scopes = {};
    EXPECT_FALSE(ValidateToken(t, kNow, 365 * kDay));
    t.scopes = {"alerts.read"};
    t.expires_at_ns = kNow;
    EXPECT_FALSE(ValidateToken(t, kNow, 365 * kDay));
}

TEST(Token, ScopesIntersectWithOwnerRole) {
    Token t;
    t.scopes = {"alerts.read", "audit.export", "config.write"};
    EXPECT_TRUE(TokenAllows(t, Role::kAnalyst, Permission::kAlertsRead));
    EXPECT_FALSE(TokenAllows(t, Role::kAnalyst, Permission::kAlertsTriage));  // not in scopes
    EXPECT_FALSE(TokenAllows(t, Role::kAnalyst, Permission::kAuditExport));   // not in role
    EXPECT_TRUE(TokenAllows(t, Role::kAuditor, Permission::kAuditExport));
    EXPECT_FALSE(TokenAllows(t, Role::kViewer, Permission::kConfigWrite));
}

}  // namespace
}  // namespace vigil::auth
