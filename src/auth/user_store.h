#pragma once
// Users, password history, TOTP enrolment and API tokens persisted in the state database.
//
// Tables (migration component "auth"):
//   users(id, username UNIQUE NOCASE, display_name, role, password_phc, password_changed_at,
//         must_change_password, totp_sealed, totp_last_step, mfa_enrolled, disabled, created_at)
//   password_history(id, user_id, phc, changed_at)          previous hashes, newest kept
//   api_tokens(id, user_id, name, secret_hash, scopes, expires_at, created_at, revoked_at)
//
// Secrets never reach the database in the clear: passwords as argon2id PHC strings, TOTP seeds
// sealed with the KeyRing (purpose "totp:<user id>"), API tokens as SHA-256 of the secret.
// Times are nanoseconds since the Unix epoch, always passed in by the caller.
//
// The store does not decide who may call what: the server checks the permission matrix
// (Allowed, CanAssignRole) before calling SetRole, Disable, IssueToken for another user, ...
//
// A UserStore uses its Database from one thread at a time (like the Database itself).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/password.h"
#include "auth/permissions.h"
#include "auth/seal.h"
#include "auth/token.h"
#include "auth/totp.h"
#include "base/result.h"
#include "store/database.h"
#include "store/migrations.h"

namespace vigil::auth {

// The auth component's schema migrations (component name "auth").
std::span<const store::Migration> AuthMigrations();

// Named limits.
inline constexpr size_t kMaxUsernameBytes = 64;
inline constexpr size_t kMaxDisplayNameBytes = 256;
inline constexpr size_t kMaxTokenNameBytes = 128;
// One-time passwords: four groups of four characters from 57 unambiguous letters and digits,
// joined by '-' ("Xk7p-..."), about 93 bits.
inline constexpr size_t kOneTimePasswordGroups = 4;

struct User {
    int64_t id = 0;
    std::string username;
    std::string display_name;
    Role role = Role::kViewer;
    int64_t password_changed_at_ns = 0;
    bool must_change_password = true;
    bool mfa_enrolled = false;
    bool totp_pending = false;  // a secret was issued by EnrollTotp but not yet confirmed
    bool disabled = false;
    int64_t created_at_ns = 0;
};

// 1 to kMaxUsernameBytes of ASCII letters, digits and . _ - @ (invalid_argument says why).
Status ValidateUsername(std::string_view username);

// True when the user's role requires a second factor (RequiresMfa) and none is confirmed yet:
// the server lets such a user do nothing but enrol.
bool NeedsMfaEnrolment(const User& user);

struct UserStoreOptions {
    Argon2Params argon2;  // tests use small parameters
    PasswordPolicy policy;
    std::string totp_issuer = "Vigil";
    TotpParams totp;
    int64_t max_token_lifetime_ns = int64_t{365} * 86400 * 1000000000;
};

struct CreatedUser {
    User user;
    // The generated one-time password, shown once; empty when the caller chose the password.
    std::string one_time_password;
};

struct TotpEnrolment {
    std::string secret_base32;  // for manual entry in the authenticator app
    std::string otpauth_uri;    // for the QR code
};

struct IssuedToken {
    std::string plaintext;  // shown once, never stored or logged
    Token token;
};

struct TokenInfo {
    Token token;  // token.hash is the stored SHA-256 of the secret
    int64_t user_id = 0;
    int64_t created_at_ns = 0;
    std::optional<int64_t> revoked_at_ns;
};

// A verified API token and the (enabled) user it acts for.
struct TokenIdentity {
    Token token;
    User owner;
};

class UserStore {
public:
    // Brings the auth schema up to date. db must outlive the store.
    static Result<UserStore> Open(store::Database& db, UserStoreOptions options = {});

    // Creates an enabled user who must change the password at first sign-in. With no
    // initial_password a random one-time password (kOneTimePasswordGroups groups) is
    // generated and returned (once). A chosen initial password must satisfy the policy.
    // already_exists when the name is taken (case-insensitive).
    Result<CreatedUser> CreateUser(std::string_view username, Role role, int64_t now_ns,
                                   std::optional<std::string_view> initial_password = {},
                                   std::string_view display_name = {});

    Result<User> GetUser(int64_t user_id);
    Result<User> FindUser(std::string_view username);
    Result<std::vector<User>> ListUsers();

    // permission_denied "invalid username or password" for an unknown user or a wrong password
    // (the same message and, roughly, the same time), "account is disabled" for a disabled one.
    // Re-hashes the password when the stored parameters differ from options.argon2. The caller
    // then looks at must_change_password, PasswordExpired and NeedsMfaEnrolment.
    Result<User> Authenticate(std::string_view username, std::string_view password, int64_t now_ns);

    // Checks the current password, applies the policy (including the last `policy.history`
    // passwords, the current one counted) and clears must_change_password.
    Status ChangePassword(int64_t user_id, std::string_view old_password,
                          std::string_view new_password, int64_t now_ns);
    // Administrator reset: a new one-time password (returned once), must_change_password set.
    Result<std::string> ResetPassword(int64_t user_id, int64_t now_ns);
    // Whether the user's password is older than policy.max_age_days.
    bool PasswordExpired(const User& user, int64_t now_ns) const;

    // Generates a TOTP secret, stores it sealed (purpose "totp:<user id>") and returns it for
    // the authenticator app. MFA is not on until ConfirmTotp. failed_precondition when MFA is
    // already confirmed (ResetMfa first).
    Result<TotpEnrolment> EnrollTotp(int64_t user_id, const KeyRing& keys);
    // Checks a first code from the app and turns MFA on.
    Status ConfirmTotp(int64_t user_id, std::string_view code, int64_t now_ns, const KeyRing& keys);
    // Second factor at sign-in: a code is accepted once (its step and all older ones are
    // refused afterwards). failed_precondition when MFA is not enrolled.
    Status VerifyTotpCode(int64_t user_id, std::string_view code, int64_t now_ns,
                          const KeyRing& keys);
    // Administrator action for a lost device: removes the secret, MFA off.
    Status ResetMfa(int64_t user_id);
    // Seal-key rotation (`vigil keys rotate`): re-seals every sealed value (the TOTP secrets)
    // not sealed under keys' current key, in one transaction; returns how many changed. Fails,
    // changing nothing, when a value does not unseal with any key in the ring.
    Result<size_t> ResealSecrets(const KeyRing& keys);

    Status SetRole(int64_t user_id, Role role);
    Status SetDisplayName(int64_t user_id, std::string_view display_name);
    // A disabled user cannot sign in and their API tokens stop working.
    Status Disable(int64_t user_id);
    Status Enable(int64_t user_id);

    // Issues a token for user_id with the given scopes (permission names) and expiry
    // (ValidateToken: in the future, within options.max_token_lifetime_ns). Only the hash is
    // stored; the plaintext is returned once.
    Result<IssuedToken> IssueToken(int64_t user_id, std::string_view name,
                                   const std::vector<std::string>& scopes, int64_t expires_at_ns,
                                   int64_t now_ns);
    // permission_denied for a malformed, unknown, wrong, expired or revoked token, or one whose
    // owner is disabled. The caller then asks TokenAllows(identity.token, owner.role, perm).
    Result<TokenIdentity> VerifyToken(std::string_view plaintext, int64_t now_ns);
    // not_found when there is no such token or it is already revoked.
    Status RevokeToken(std::string_view token_id, int64_t now_ns);
    Result<std::vector<TokenInfo>> ListTokens(int64_t user_id);

private:
    UserStore(store::Database& db, UserStoreOptions options)
        : db_(&db), options_(std::move(options)) {}
    Result<std::string> LoadTotpSecret(int64_t user_id, const KeyRing& keys);
    Status CheckTotp(int64_t user_id, std::string_view code, int64_t now_ns, const KeyRing& keys,
                     bool confirming);

    store::Database* db_;  // not owned
    UserStoreOptions options_;
    std::string dummy_phc_;  // verified against for unknown users, to even out timing
};

}  // namespace vigil::auth
