#include "auth/user_store.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "auth/encoding.h"
#include "auth/totp.h"
#include "store/database.h"

namespace vigil::auth {
namespace {

constexpr int64_t kSec = 1000000000;
constexpr int64_t kDay = 86400 * kSec;
constexpr int64_t kNow = int64_t{1700000000} * kSec;

class TempDb {
public:
    TempDb() {
        static std::atomic<int> counter{0};
        dir_ = std::filesystem::temp_directory_path() /
               ("vigil-user-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    ~TempDb() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    std::filesystem::path path() const { return dir_ / "state.db"; }

private:
    std::filesystem::path dir_;
};

class UserStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto db = store::Database::Open(tmp_.path());
        ASSERT_TRUE(db) << db.error().message;
        db_.emplace(std::move(*db));
        UserStoreOptions options;
        // Small argon2 parameters keep the tests fast; the production defaults are tested
        // in password_test.cpp.
        options.argon2.memory_kib = 64;
        options.argon2.iterations = 1;
        auto users = UserStore::Open(*db_, options);
        ASSERT_TRUE(users) << users.error().message;
        users_.emplace(std::move(*users));
        auto key = SealKey::Generate();
        ASSERT_TRUE(key);
        keys_.emplace(std::move(*key));
    }

    // Creates a user and sets a chosen password, so must_change_password is cleared.
    User Ready(const std::string& name, Role role, const std::string& password) {
        auto created = users_->CreateUser(name, role, kNow);
        EXPECT_TRUE(created) << created.error().message;
        auto changed =
            users_->ChangePassword(created->user.id, created->one_time_password, password, kNow);
        EXPECT_TRUE(changed) << changed.error().message;
        return *users_->GetUser(created->user.id);
    }

    std::string Column(const std::string& sql) {
        auto st = db_->Prepare(sql);
        EXPECT_TRUE(st) << st.error().message;
        auto step = st->Step();
        EXPECT_TRUE(step && *step == store::Statement::StepResult::kRow);
        return st->ColumnIsNull(0) ? "<null>" : st->ColumnText(0);
    }

    TempDb tmp_;
    std::optional<store::Database> db_;
    std::optional<UserStore> users_;
    std::optional<KeyRing> keys_;
};

TEST_F(UserStoreTest, CreateAndAuthenticate) {
    auto created =
        users_->CreateUser("alice", Role::kAnalyst, kNow, "Correct-Horse-9", "Alice Analyst");
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_TRUE(created->one_time_password.empty());  // the caller chose it
    EXPECT_EQ(created->user.username, "alice");
    EXPECT_EQ(created->user.display_name, "Alice Analyst");
    EXPECT_EQ(created->user.role, Role::kAnalyst);
    EXPECT_TRUE(created->user.must_change_password);
    EXPECT_FALSE(created->user.disabled);
    EXPECT_EQ(created->user.created_at_ns, kNow);

    auto user = users_->Authenticate("alice", "Correct-Horse-9", kNow);
    ASSERT_TRUE(user) << user.error().message;
    EXPECT_EQ(user->id, created->user.id);
    EXPECT_EQ(user->role, Role::kAnalyst);

    auto dup = users_->CreateUser("ALICE", Role::kViewer, kNow);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, Code::kAlreadyExists);
    EXPECT_NE(dup.error().message.find("already exists"), std::string::npos);

    auto listed = users_->ListUsers();
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->size(), 1u);
    EXPECT_FALSE(users_->CreateUser("bad name", Role::kViewer, kNow));
    EXPECT_FALSE(users_->CreateUser("bob", Role::kViewer, kNow, "short"));
}

TEST_F(UserStoreTest, WrongPasswordAndUnknownUserLookAlike) {
    ASSERT_TRUE(users_->CreateUser("alice", Role::kAnalyst, kNow, "Correct-Horse-9"));
    auto wrong = users_->Authenticate("alice", "Correct-Horse-8", kNow);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, Code::kPermissionDenied);
    EXPECT_EQ(wrong.error().message, "invalid username or password");
    auto unknown = users_->Authenticate("mallory", "Correct-Horse-9", kNow);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message, "invalid username or password");
}

TEST_F(UserStoreTest, DisabledUserIsRefused) {
    auto created = users_->CreateUser("alice", Role::kAnalyst, kNow, "Correct-Horse-9");
    ASSERT_TRUE(created);
    ASSERT_TRUE(users_->Disable(created->user.id));
    auto user = users_->Authenticate("alice", "Correct-Horse-9", kNow);
    ASSERT_FALSE(user);
    EXPECT_EQ(user.error().code, Code::kPermissionDenied);
    EXPECT_EQ(user.error().message, "account is disabled");
    ASSERT_TRUE(users_->Enable(created->user.id));
    EXPECT_TRUE(users_->Authenticate("alice", "Correct-Horse-9", kNow));
    EXPECT_EQ(users_->Disable(9999).error().code, Code::kNotFound);
}

TEST_F(UserStoreTest, OneTimePasswordForcesChange) {
    auto created = users_->CreateUser("bob", Role::kResponder, kNow);
    ASSERT_TRUE(created) << created.error().message;
    const std::string otp = created->one_time_password;
    EXPECT_EQ(otp.size(), kOneTimePasswordGroups * 5 - 1) << otp;
    EXPECT_TRUE(PasswordPolicy{}.Check(otp, "bob")) << otp;
    // Only the hash is stored.
    const std::string phc =
        Column("SELECT password_phc FROM users WHERE id = " + std::to_string(created->user.id));
    EXPECT_TRUE(phc.starts_with("$argon2id$")) << phc;
    EXPECT_EQ(phc.find(otp), std::string::npos);

    auto signed_in = users_->Authenticate("bob", otp, kNow);
    ASSERT_TRUE(signed_in) << signed_in.error().message;
    EXPECT_TRUE(signed_in->must_change_password);

    auto bad_old = users_->ChangePassword(created->user.id, "not-it", "New-Password-42", kNow);
    ASSERT_FALSE(bad_old);
    EXPECT_EQ(bad_old.error().message, "current password is incorrect");
    auto weak = users_->ChangePassword(created->user.id, otp, "password", kNow);
    ASSERT_FALSE(weak);
    EXPECT_EQ(weak.error().code, Code::kInvalidArgument);

    ASSERT_TRUE(users_->ChangePassword(created->user.id, otp, "New-Password-42", kNow + kSec));
    auto after = users_->Authenticate("bob", "New-Password-42", kNow + 2 * kSec);
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_FALSE(after->must_change_password);
    EXPECT_EQ(after->password_changed_at_ns, kNow + kSec);
    EXPECT_FALSE(users_->Authenticate("bob", otp, kNow));

    // An administrator reset issues a new one-time password and forces a change again.
    auto reset = users_->ResetPassword(created->user.id, kNow + 3 * kSec);
    ASSERT_TRUE(reset);
    auto again = users_->Authenticate("bob", *reset, kNow + 4 * kSec);
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->must_change_password);
}

TEST_F(UserStoreTest, HistoryRefusesReuse) {
    User user = Ready("carol", Role::kAnalyst, "Password-One-1");
    const std::vector<std::string> passwords = {"Password-Two-2", "Password-Three-3",
                                                "Password-Four-4", "Password-Five-5"};
    std::string current = "Password-One-1";
    for (const auto& next : passwords) {
        ASSERT_TRUE(users_->ChangePassword(user.id, current, next, kNow)) << next;
        current = next;
    }
    // The current password and the 4 before it (5 in all) are refused.
    auto same = users_->ChangePassword(user.id, current, current, kNow);
    ASSERT_FALSE(same);
    EXPECT_NE(same.error().message.find("reuses one of the last 5 passwords"), std::string::npos)
        << same.error().message;
    auto old = users_->ChangePassword(user.id, current, "Password-One-1", kNow);
    ASSERT_FALSE(old);
    EXPECT_NE(old.error().message.find("reuses"), std::string::npos);
    // One more change pushes "Password-One-1" out of the window.
    ASSERT_TRUE(users_->ChangePassword(user.id, current, "Password-Six-6", kNow));
    EXPECT_TRUE(users_->ChangePassword(user.id, "Password-Six-6", "Password-One-1", kNow));
    // History keeps only what the policy consults.
    EXPECT_EQ(
        Column("SELECT COUNT(*) FROM password_history WHERE user_id = " + std::to_string(user.id)),
        "5");
}

TEST_F(UserStoreTest, TotpEnrolmentRoundTrip) {
    User admin = Ready("root", Role::kAdministrator, "Admin-Password-1");
    EXPECT_TRUE(NeedsMfaEnrolment(admin));
    EXPECT_FALSE(users_->VerifyTotpCode(admin.id, "123456", kNow, *keys_));

    auto enrol = users_->EnrollTotp(admin.id, *keys_);
    ASSERT_TRUE(enrol) << enrol.error().message;
    EXPECT_TRUE(
        enrol->otpauth_uri.starts_with("otpauth://totp/Vigil:root?secret=" + enrol->secret_base32))
        << enrol->otpauth_uri;
    auto pending = users_->GetUser(admin.id);
    ASSERT_TRUE(pending);
    EXPECT_TRUE(pending->totp_pending);
    EXPECT_TRUE(NeedsMfaEnrolment(*pending));

    auto secret = Base32Decode(enrol->secret_base32);
    ASSERT_TRUE(secret);
    EXPECT_EQ(secret->size(), kTotpSecretBytes);
    const int64_t t = kNow / kSec;
    auto wrong = users_->ConfirmTotp(admin.id, "000000", kNow, *keys_);
    EXPECT_FALSE(wrong);
    auto code = Totp(*secret, t);
    ASSERT_TRUE(code);
    if (*code == "000000") GTEST_SKIP();  // one in a million
    ASSERT_TRUE(users_->ConfirmTotp(admin.id, *code, kNow, *keys_));

    auto enrolled = users_->GetUser(admin.id);
    ASSERT_TRUE(enrolled);
    EXPECT_TRUE(enrolled->mfa_enrolled);
    EXPECT_FALSE(enrolled->totp_pending);
    EXPECT_FALSE(NeedsMfaEnrolment(*enrolled));
    EXPECT_EQ(users_->EnrollTotp(admin.id, *keys_).error().code, Code::kFailedPrecondition);

    // A later code signs in once; the same code is refused the second time.
    auto later = Totp(*secret, t + 60);
    ASSERT_TRUE(later);
    ASSERT_TRUE(users_->VerifyTotpCode(admin.id, *later, kNow + 60 * kSec, *keys_));
    auto replay = users_->VerifyTotpCode(admin.id, *later, kNow + 61 * kSec, *keys_);
    ASSERT_FALSE(replay);
    EXPECT_EQ(replay.error().code, Code::kPermissionDenied);
    // So is an older code still inside the clock-skew window.
    auto older = Totp(*secret, t + 30);
    ASSERT_TRUE(older);
    EXPECT_FALSE(users_->VerifyTotpCode(admin.id, *older, kNow + 61 * kSec, *keys_));

    // The key ring is needed: another key cannot open the stored secret.
    KeyRing other(*SealKey::Generate());
    auto next = Totp(*secret, t + 90);
    auto wrong_key = users_->VerifyTotpCode(admin.id, *next, kNow + 90 * kSec, other);
    ASSERT_FALSE(wrong_key);

    ASSERT_TRUE(users_->ResetMfa(admin.id));
    EXPECT_TRUE(NeedsMfaEnrolment(*users_->GetUser(admin.id)));
}

TEST_F(UserStoreTest, TotpSecretIsSealedAtRest) {
    User admin = Ready("root", Role::kAdministrator, "Admin-Password-1");
    auto enrol = users_->EnrollTotp(admin.id, *keys_);
    ASSERT_TRUE(enrol);
    auto secret = Base32Decode(enrol->secret_base32);
    ASSERT_TRUE(secret);
    const std::string raw =
        Column("SELECT totp_sealed FROM users WHERE id = " + std::to_string(admin.id));
    EXPECT_TRUE(raw.starts_with("v1:" + keys_->current_id() + ":")) << raw;
    EXPECT_EQ(raw.find(enrol->secret_base32), std::string::npos);
    EXPECT_EQ(raw.find(*secret), std::string::npos);
    EXPECT_EQ(raw.find(HexEncode(*secret)), std::string::npos);
    EXPECT_EQ(raw.find(Base64Encode(*secret)), std::string::npos);
    // Bound to its row: the sealed value opens only with the purpose "totp:<id>".
    auto opened = keys_->Unseal(raw, "totp:" + std::to_string(admin.id));
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, *secret);
    EXPECT_FALSE(keys_->Unseal(raw, "totp:" + std::to_string(admin.id + 1)));
}

TEST_F(UserStoreTest, NeedsMfaEnrolmentFollowsRole) {
    auto analyst = users_->CreateUser("dave", Role::kAnalyst, kNow);
    ASSERT_TRUE(analyst);
    EXPECT_FALSE(NeedsMfaEnrolment(analyst->user));
    ASSERT_TRUE(users_->SetRole(analyst->user.id, Role::kSecurityManager));
    auto manager = users_->GetUser(analyst->user.id);
    ASSERT_TRUE(manager);
    EXPECT_EQ(manager->role, Role::kSecurityManager);
    EXPECT_TRUE(NeedsMfaEnrolment(*manager));
    EXPECT_EQ(Column("SELECT role FROM users WHERE id = " + std::to_string(manager->id)),
              "security_manager");
}

TEST_F(UserStoreTest, TokenIssueVerifyRevokeExpiry) {
    User user = Ready("erin", Role::kAnalyst, "Tango-Password-1");
    auto issued =
        users_->IssueToken(user.id, "siem export", {"alerts.read"}, kNow + 30 * kDay, kNow);
    ASSERT_TRUE(issued) << issued.error().message;
    EXPECT_TRUE(issued->plaintext.starts_with("vgl_" + issued->token.id + "_"));

    // Only the hash is stored.
    const std::string stored = Column("SELECT secret_hash || '|' || scopes FROM api_tokens");
    EXPECT_EQ(stored, issued->token.hash + "|alerts.read");
    auto parsed = ParseToken(issued->plaintext);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(stored.find(parsed->secret), std::string::npos);

    auto identity = users_->VerifyToken(issued->plaintext, kNow + kDay);
    ASSERT_TRUE(identity) << identity.error().message;
    EXPECT_EQ(identity->owner.id, user.id);
    EXPECT_EQ(identity->token.name, "siem export");
    EXPECT_TRUE(TokenAllows(identity->token, identity->owner.role, Permission::kAlertsRead));
    EXPECT_FALSE(TokenAllows(identity->token, identity->owner.role, Permission::kAlertsTriage));

    // Tampered secret, unknown id, garbage.
    std::string tampered = issued->plaintext;
    tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
    EXPECT_EQ(users_->VerifyToken(tampered, kNow).error().code, Code::kPermissionDenied);
    EXPECT_FALSE(users_->VerifyToken("vgl_0000000000000000_" + parsed->secret, kNow));
    EXPECT_FALSE(users_->VerifyToken("hello", kNow));

    // Expiry.
    auto expired = users_->VerifyToken(issued->plaintext, kNow + 30 * kDay);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().message, "API token expired");

    // Disabled owner.
    ASSERT_TRUE(users_->Disable(user.id));
    EXPECT_EQ(users_->VerifyToken(issued->plaintext, kNow).error().message,
              "API token owner is disabled");
    ASSERT_TRUE(users_->Enable(user.id));

    // Revocation.
    ASSERT_TRUE(users_->RevokeToken(issued->token.id, kNow + kDay));
    auto revoked = users_->VerifyToken(issued->plaintext, kNow + 2 * kDay);
    ASSERT_FALSE(revoked);
    EXPECT_EQ(revoked.error().message, "API token revoked");
    EXPECT_EQ(users_->RevokeToken(issued->token.id, kNow).error().code, Code::kNotFound);
    auto listed = users_->ListTokens(user.id);
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->front().revoked_at_ns, kNow + kDay);

    // Validation: unknown scope, past expiry, too long a lifetime.
    EXPECT_FALSE(users_->IssueToken(user.id, "x", {"audit.write"}, kNow + kDay, kNow));
    EXPECT_FALSE(users_->IssueToken(user.id, "x", {"alerts.read"}, kNow - 1, kNow));
    EXPECT_FALSE(users_->IssueToken(user.id, "x", {"alerts.read"}, kNow + 400 * kDay, kNow));
}

TEST_F(UserStoreTest, RehashesOnSignInWhenParametersChange) {
    ASSERT_TRUE(users_->CreateUser("frank", Role::kViewer, kNow, "Tango-Password-7"));
    UserStoreOptions stronger;
    stronger.argon2.memory_kib = 128;
    stronger.argon2.iterations = 1;
    auto reopened = UserStore::Open(*db_, stronger);
    ASSERT_TRUE(reopened);
    ASSERT_TRUE(reopened->Authenticate("frank", "Tango-Password-7", kNow));
    const std::string phc = Column("SELECT password_phc FROM users WHERE username = 'frank'");
    EXPECT_NE(phc.find("m=128,"), std::string::npos) << phc;
    EXPECT_TRUE(reopened->Authenticate("frank", "Tango-Password-7", kNow));
}

TEST_F(UserStoreTest, SchemaIsVersioned) {
    EXPECT_EQ(Column("SELECT MAX(version) FROM schema_migrations WHERE component = 'auth'"), "1");
    // Opening again is a no-op.
    EXPECT_TRUE(UserStore::Open(*db_));
}

}  // namespace
}  // namespace vigil::auth
