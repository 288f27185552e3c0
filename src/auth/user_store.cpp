#include "auth/user_store.h"

#include <algorithm>
#include <array>
#include <sstream>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/encoding.h"

namespace vigil::auth {

namespace {

constexpr int64_t kNsPerSecond = 1000000000;
constexpr int64_t kNsPerDay = int64_t{86400} * kNsPerSecond;

const std::array<store::Migration, 1> kMigrations = {{
    {1, "users, password history, api tokens", R"sql(
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    password_phc TEXT NOT NULL,
    password_changed_at INTEGER NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 1,
    totp_sealed TEXT,
    totp_last_step INTEGER,
    mfa_enrolled INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE TABLE password_history (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    phc TEXT NOT NULL,
    changed_at INTEGER NOT NULL
);
CREATE INDEX password_history_user ON password_history(user_id, id);
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
)sql"},
}};

constexpr std::string_view kUserColumns =
    "id, username, display_name, role, password_changed_at, must_change_password, "
    "totp_sealed IS NOT NULL, mfa_enrolled, disabled, created_at";

tl::unexpected<Error> Denied(std::string message) {
    return MakeError(Code::kPermissionDenied, std::move(message));
}
tl::unexpected<Error> Precondition(std::string message) {
    return MakeError(Code::kFailedPrecondition, std::move(message));
}

Result<User> ReadUser(const store::Statement& st) {
    User user;
    user.id = st.ColumnInt64(0);
    user.username = st.ColumnText(1);
    user.display_name = st.ColumnText(2);
    std::string role = st.ColumnText(3);
    auto parsed = ParseRole(role);
    if (!parsed) {
        return MakeError(Code::kDataLoss,
                         "user " + user.username + " has an unknown role '" + role + "'");
    }
    user.role = *parsed;
    user.password_changed_at_ns = st.ColumnInt64(4);
    user.must_change_password = st.ColumnInt64(5) != 0;
    const bool has_secret = st.ColumnInt64(6) != 0;
    user.mfa_enrolled = st.ColumnInt64(7) != 0;
    user.totp_pending = has_secret && !user.mfa_enrolled;
    user.disabled = st.ColumnInt64(8) != 0;
    user.created_at_ns = st.ColumnInt64(9);
    return user;
}

}  // namespace

Status ValidateUsername(std::string_view name) {
    if (name.empty() || name.size() > kMaxUsernameBytes) {
        return InvalidArgument("username must be 1 to " + std::to_string(kMaxUsernameBytes) +
                               " characters");
    }
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '@';
        if (!ok) {
            return InvalidArgument("username '" + std::string(name) +
                                   "' may contain only letters, digits and . _ - @");
        }
    }
    return Ok();
}

namespace {

Status CheckDisplayName(std::string_view name) {
    if (name.size() > kMaxDisplayNameBytes) {
        return InvalidArgument("display name longer than " + std::to_string(kMaxDisplayNameBytes) +
                               " bytes");
    }
    for (unsigned char c : name) {
        if (c < 0x20 || c == 0x7f) {
            return InvalidArgument("display name contains a control character");
        }
    }
    return Ok();
}

// Four groups of four from an alphabet without look-alikes (0/O, 1/l/I), rejection-sampled so
// every character is equally likely.
Result<std::string> GenerateOneTimePassword() {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    constexpr size_t kLimit = 256 - 256 % kAlphabet.size();
    std::string out;
    size_t produced = 0;
    unsigned char buf[64];
    while (produced < kOneTimePasswordGroups * 4) {
        if (RAND_bytes(buf, sizeof buf) != 1) return Internal("RAND_bytes failed");
        for (unsigned char b : buf) {
            if (b >= kLimit) continue;
            if (produced > 0 && produced % 4 == 0) out.push_back('-');
            out.push_back(kAlphabet[b % kAlphabet.size()]);
            if (++produced == kOneTimePasswordGroups * 4) break;
        }
    }
    OPENSSL_cleanse(buf, sizeof buf);
    return out;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
    std::string out;
    for (const auto& s : scopes) {
        if (!out.empty()) out.push_back(' ');
        out += s;
    }
    return out;
}

std::vector<std::string> SplitScopes(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string s;
    while (in >> s) out.push_back(s);
    return out;
}

// Runs a statement that changes exactly one user row; not_found otherwise.
Status RunOnUser(store::Database& db, store::Statement& st, int64_t user_id) {
    if (auto r = st.Run(); !r) return r;
    if (db.Changes() == 0) return NotFound("no user with id " + std::to_string(user_id));
    return Ok();
}

}  // namespace

std::span<const store::Migration> AuthMigrations() { return kMigrations; }

bool NeedsMfaEnrolment(const User& user) { return RequiresMfa(user.role) && !user.mfa_enrolled; }

Result<UserStore> UserStore::Open(store::Database& db, UserStoreOptions options) {
    auto migrated = store::Migrate(db, "auth", AuthMigrations());
    if (!migrated) return tl::unexpected(std::move(migrated.error()).WithContext("auth schema"));
    UserStore out(db, std::move(options));
    // A hash made with the configured parameters, so that signing in as an unknown user costs
    // about as much as a wrong password for a known one.
    auto dummy = HashPassword("vigil-unknown-user-dummy", out.options_.argon2);
    if (!dummy) return tl::unexpected(std::move(dummy.error()));
    out.dummy_phc_ = std::move(*dummy);
    return out;
}

Result<CreatedUser> UserStore::CreateUser(std::string_view username, Role role, int64_t now_ns,
                                          std::optional<std::string_view> initial_password,
                                          std::string_view display_name) {
    if (auto st = ValidateUsername(username); !st) return tl::unexpected(st.error());
    if (auto st = CheckDisplayName(display_name); !st) return tl::unexpected(st.error());
    CreatedUser created;
    std::string password;
    if (initial_password) {
        if (auto st = options_.policy.Check(*initial_password, username); !st) {
            return tl::unexpected(st.error());
        }
        password = std::string(*initial_password);
    } else {
        // A generated password passes the policy in all but freak cases (say, no digit);
        // draw again then.
        for (int attempt = 0;; ++attempt) {
            auto otp = GenerateOneTimePassword();
            if (!otp) return tl::unexpected(std::move(otp.error()));
            if (options_.policy.Check(*otp, username)) {
                password = std::move(*otp);
                break;
            }
            if (attempt == 100) return Internal("cannot generate a password the policy accepts");
        }
        created.one_time_password = password;
    }
    auto phc = HashPassword(password, options_.argon2);
    OPENSSL_cleanse(password.data(), password.size());
    if (!phc) return tl::unexpected(std::move(phc.error()));

    auto st = db_->Cached(
        "INSERT INTO users(username, display_name, role, password_phc, password_changed_at, "
        "must_change_password, mfa_enrolled, disabled, created_at) "
        "VALUES (?, ?, ?, ?, ?, 1, 0, 0, ?) ON CONFLICT(username) DO NOTHING");
    if (!st) return tl::unexpected(std::move(st.error()));
    auto& s = **st;
    Status bound = s.BindText(1, username);
    // An empty view may have a null data pointer, which SQLite would bind as NULL.
    if (bound) bound = s.BindText(2, display_name.empty() ? std::string_view("") : display_name);
    if (bound) bound = s.BindText(3, RoleName(role));
    if (bound) bound = s.BindText(4, *phc);
    if (bound) bound = s.BindInt64(5, now_ns);
    if (bound) bound = s.BindInt64(6, now_ns);
    if (bound) bound = s.Run();
    if (!bound) return tl::unexpected(std::move(bound.error()));
    if (db_->Changes() == 0) {
        return MakeError(Code::kAlreadyExists, "user '" + std::string(username) +
                                                   "' already exists (names are case-insensitive)");
    }
    auto user = GetUser(db_->LastInsertRowId());
    if (!user) return tl::unexpected(std::move(user.error()));
    created.user = std::move(*user);
    return created;
}

Result<User> UserStore::GetUser(int64_t user_id) {
    auto st = db_->Cached("SELECT " + std::string(kUserColumns) + " FROM users WHERE id = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    if (auto b = (*st)->BindInt64(1, user_id); !b) return tl::unexpected(b.error());
    auto step = (*st)->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    if (*step == store::Statement::StepResult::kDone) {
        return NotFound("no user with id " + std::to_string(user_id));
    }
    auto user = ReadUser(**st);
    (*st)->Reset();  // do not hold a read snapshot open
    return user;
}

Result<User> UserStore::FindUser(std::string_view username) {
    auto st = db_->Cached("SELECT " + std::string(kUserColumns) + " FROM users WHERE username = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    if (auto b = (*st)->BindText(1, username); !b) return tl::unexpected(b.error());
    auto step = (*st)->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    if (*step == store::Statement::StepResult::kDone) {
        return NotFound("no user named '" + std::string(username) + "'");
    }
    auto user = ReadUser(**st);
    (*st)->Reset();
    return user;
}

Result<std::vector<User>> UserStore::ListUsers() {
    auto st = db_->Cached("SELECT " + std::string(kUserColumns) + " FROM users ORDER BY id");
    if (!st) return tl::unexpected(std::move(st.error()));
    std::vector<User> out;
    for (;;) {
        auto step = (*st)->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == store::Statement::StepResult::kDone) break;
        auto user = ReadUser(**st);
        if (!user) return tl::unexpected(std::move(user.error()));
        out.push_back(std::move(*user));
    }
    return out;
}

Result<User> UserStore::Authenticate(std::string_view username, std::string_view password,
                                     int64_t now_ns) {
    (void)now_ns;  // kept for the expiry/lockout decisions the server layers on top
    auto st = db_->Cached("SELECT password_phc FROM users WHERE username = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    if (auto b = (*st)->BindText(1, username); !b) return tl::unexpected(b.error());
    auto step = (*st)->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    const bool found = *step == store::Statement::StepResult::kRow;
    const std::string phc = found ? (*st)->ColumnText(0) : dummy_phc_;
    (*st)->Reset();
    auto ok = VerifyPassword(password, phc);
    if (!ok) {
        // A malformed stored hash must not let anyone in; say which account for the operator.
        return tl::unexpected(
            std::move(ok.error())
                .WithContext("stored password hash of '" + std::string(username) + "'"));
    }
    if (!found || !*ok) return Denied("invalid username or password");
    auto user = FindUser(username);
    if (!user) return tl::unexpected(std::move(user.error()));
    if (user->disabled) return Denied("account is disabled");
    if (auto rehash = NeedsRehash(phc, options_.argon2); rehash && *rehash) {
        auto fresh = HashPassword(password, options_.argon2);
        if (fresh) {
            auto up = db_->Cached("UPDATE users SET password_phc = ? WHERE id = ?");
            if (up) {
                Status r = (*up)->BindText(1, *fresh);
                if (r) r = (*up)->BindInt64(2, user->id);
                if (r) r = (*up)->Run();
                // A failed re-hash is retried at the next sign-in; the sign-in itself stands.
                (void)r;
            }
        }
    }
    return user;
}

Status UserStore::ChangePassword(int64_t user_id, std::string_view old_password,
                                 std::string_view new_password, int64_t now_ns) {
    auto user = GetUser(user_id);
    if (!user) return tl::unexpected(std::move(user.error()));
    if (user->disabled) return Denied("account is disabled");

    auto tx = store::Transaction::Begin(*db_);
    if (!tx) return tl::unexpected(std::move(tx.error()));

    // History newest first: the current hash, then the previous ones.
    std::vector<std::string> history;
    {
        auto st = db_->Cached("SELECT password_phc FROM users WHERE id = ?");
        if (!st) return tl::unexpected(std::move(st.error()));
        if (auto b = (*st)->BindInt64(1, user_id); !b) return b;
        auto step = (*st)->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == store::Statement::StepResult::kDone) {
            return NotFound("no user with id " + std::to_string(user_id));
        }
        history.push_back((*st)->ColumnText(0));
        (*st)->Reset();
    }
    auto ok = VerifyPassword(old_password, history.front());
    if (!ok) return tl::unexpected(std::move(ok.error()));
    if (!*ok) return Denied("current password is incorrect");
    {
        auto st = db_->Cached(
            "SELECT phc FROM password_history WHERE user_id = ? ORDER BY id DESC LIMIT ?");
        if (!st) return tl::unexpected(std::move(st.error()));
        Status b = (*st)->BindInt64(1, user_id);
        if (b) b = (*st)->BindInt64(2, static_cast<int64_t>(options_.policy.history));
        if (!b) return b;
        for (;;) {
            auto step = (*st)->Step();
            if (!step) return tl::unexpected(std::move(step.error()));
            if (*step == store::Statement::StepResult::kDone) break;
            history.push_back((*st)->ColumnText(0));
        }
    }
    if (auto st = options_.policy.Check(new_password, user->username, history); !st) return st;
    auto phc = HashPassword(new_password, options_.argon2);
    if (!phc) return tl::unexpected(std::move(phc.error()));

    {
        auto st =
            db_->Cached("INSERT INTO password_history(user_id, phc, changed_at) VALUES (?, ?, ?)");
        if (!st) return tl::unexpected(std::move(st.error()));
        Status r = (*st)->BindInt64(1, user_id);
        if (r) r = (*st)->BindText(2, history.front());
        if (r) r = (*st)->BindInt64(3, user->password_changed_at_ns);
        if (r) r = (*st)->Run();
        if (!r) return r;
    }
    {
        // Keep only what the policy consults (the current hash counts as one of them).
        auto st = db_->Cached(
            "DELETE FROM password_history WHERE user_id = ?1 AND id NOT IN "
            "(SELECT id FROM password_history WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2)");
        if (!st) return tl::unexpected(std::move(st.error()));
        Status r = (*st)->BindInt64(1, user_id);
        if (r) r = (*st)->BindInt64(2, static_cast<int64_t>(options_.policy.history));
        if (r) r = (*st)->Run();
        if (!r) return r;
    }
    {
        auto st = db_->Cached(
            "UPDATE users SET password_phc = ?, password_changed_at = ?, "
            "must_change_password = 0 WHERE id = ?");
        if (!st) return tl::unexpected(std::move(st.error()));
        Status r = (*st)->BindText(1, *phc);
        if (r) r = (*st)->BindInt64(2, now_ns);
        if (r) r = (*st)->BindInt64(3, user_id);
        if (r) r = RunOnUser(*db_, **st, user_id);
        if (!r) return r;
    }
    return tx->Commit();
}

Result<std::string> UserStore::ResetPassword(int64_t user_id, int64_t now_ns) {
    auto user = GetUser(user_id);
    if (!user) return tl::unexpected(std::move(user.error()));
    std::string otp;
    for (int attempt = 0;; ++attempt) {
        auto g = GenerateOneTimePassword();
        if (!g) return tl::unexpected(std::move(g.error()));
        if (options_.policy.Check(*g, user->username)) {
            otp = std::move(*g);
            break;
        }
        if (attempt == 100) return Internal("cannot generate a password the policy accepts");
    }
    auto phc = HashPassword(otp, options_.argon2);
    if (!phc) return tl::unexpected(std::move(phc.error()));
    auto st = db_->Cached(
        "UPDATE users SET password_phc = ?, password_changed_at = ?, must_change_password = 1 "
        "WHERE id = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    Status r = (*st)->BindText(1, *phc);
    if (r) r = (*st)->BindInt64(2, now_ns);
    if (r) r = (*st)->BindInt64(3, user_id);
    if (r) r = RunOnUser(*db_, **st, user_id);
    if (!r) return tl::unexpected(std::move(r.error()));
    return otp;
}

bool UserStore::PasswordExpired(const User& user, int64_t now_ns) const {
    return options_.policy.Expired(user.password_changed_at_ns, now_ns);
}

Result<TotpEnrolment> UserStore::EnrollTotp(int64_t user_id, const KeyRing& keys) {
    auto user = GetUser(user_id);
    if (!user) return tl::unexpected(std::move(user.error()));
    if (user->mfa_enrolled) {
        return Precondition("user '" + user->username +
                            "' already has a confirmed authenticator; reset MFA first");
    }
    auto secret = GenerateTotpSecret();
    if (!secret) return tl::unexpected(std::move(secret.error()));
    TotpEnrolment out;
    out.secret_base32 = Base32Encode(*secret);
    auto uri = OtpauthUri(options_.totp_issuer, user->username, *secret, options_.totp);
    auto sealed = keys.Seal(*secret, "totp:" + std::to_string(user_id));
    OPENSSL_cleanse(secret->data(), secret->size());
    if (!uri) return tl::unexpected(std::move(uri.error()));
    if (!sealed) return tl::unexpected(std::move(sealed.error()));
    out.otpauth_uri = std::move(*uri);
    auto st = db_->Cached(
        "UPDATE users SET totp_sealed = ?, totp_last_step = NULL, mfa_enrolled = 0 "
        "WHERE id = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    Status r = (*st)->BindText(1, *sealed);
    if (r) r = (*st)->BindInt64(2, user_id);
    if (r) r = RunOnUser(*db_, **st, user_id);
    if (!r) return tl::unexpected(std::move(r.error()));
    return out;
}

Result<std::string> UserStore::LoadTotpSecret(int64_t user_id, const KeyRing& keys) {
    auto st = db_->Cached("SELECT totp_sealed FROM users WHERE id = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    if (auto b = (*st)->BindInt64(1, user_id); !b) return tl::unexpected(b.error());
    auto step = (*st)->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    if (*step == store::Statement::StepResult::kDone) {
        return NotFound("no user with id " + std::to_string(user_id));
    }
    if ((*st)->ColumnIsNull(0)) {
        return Precondition("no authenticator enrolled; enrol TOTP first");
    }
    std::string sealed = (*st)->ColumnText(0);
    (*st)->Reset();
    auto secret = keys.Unseal(sealed, "totp:" + std::to_string(user_id));
    if (!secret) {
        return tl::unexpected(std::move(secret.error()).WithContext("unsealing the TOTP secret"));
    }
    return secret;
}

Status UserStore::CheckTotp(int64_t user_id, std::string_view code, int64_t now_ns,
                            const KeyRing& keys, bool confirming) {
    auto user = GetUser(user_id);
    if (!user) return tl::unexpected(std::move(user.error()));
    if (user->disabled) return Denied("account is disabled");
    if (confirming && user->mfa_enrolled) return Precondition("MFA is already confirmed");
    if (!confirming && !user->mfa_enrolled) return Precondition("MFA is not enrolled");

    std::optional<uint64_t> last_step;
    {
        auto st = db_->Cached("SELECT totp_last_step FROM users WHERE id = ?");
        if (!st) return tl::unexpected(std::move(st.error()));
        if (auto b = (*st)->BindInt64(1, user_id); !b) return b;
        auto step = (*st)->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == store::Statement::StepResult::kRow && !(*st)->ColumnIsNull(0)) {
            last_step = static_cast<uint64_t>((*st)->ColumnInt64(0));
        }
        (*st)->Reset();
    }
    auto secret = LoadTotpSecret(user_id, keys);
    if (!secret) return tl::unexpected(std::move(secret.error()));
    auto matched = VerifyTotp(*secret, code, now_ns / kNsPerSecond, options_.totp, last_step);
    OPENSSL_cleanse(secret->data(), secret->size());
    if (!matched) return tl::unexpected(std::move(matched.error()));

    // The step is recorded only if no concurrent sign-in recorded it (or a later one) first,
    // so the same code cannot be used twice even by two requests racing.
    auto st = db_->Cached(
        "UPDATE users SET totp_last_step = ?1, mfa_enrolled = 1 WHERE id = ?2 AND "
        "(totp_last_step IS NULL OR totp_last_step < ?1)");
    if (!st) return tl::unexpected(std::move(st.error()));
    Status r = (*st)->BindInt64(1, static_cast<int64_t>(*matched));
    if (r) r = (*st)->BindInt64(2, user_id);
    if (r) r = (*st)->Run();
    if (!r) return r;
    if (db_->Changes() == 0) return Denied("one-time code already used");
    return Ok();
}

Status UserStore::ConfirmTotp(int64_t user_id, std::string_view code, int64_t now_ns,
                              const KeyRing& keys) {
    return CheckTotp(user_id, code, now_ns, keys, /*confirming=*/true);
}

Status UserStore::VerifyTotpCode(int64_t user_id, std::string_view code, int64_t now_ns,
                                 const KeyRing& keys) {
    return CheckTotp(user_id, code, now_ns, keys, /*confirming=*/false);
}

Status UserStore::ResetMfa(int64_t user_id) {
    auto st = db_->Cached(
        "UPDATE users SET totp_sealed = NULL, totp_last_step = NULL, mfa_enrolled = 0 "
        "WHERE id = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    if (auto b = (*st)->BindInt64(1, user_id); !b) return b;
    return RunOnUser(*db_, **st, user_id);
}

Result<size_t> UserStore::ResealSecrets(const KeyRing& keys) {
    auto tx = store::Transaction::Begin(*db_);
    if (!tx) return tl::unexpected(std::move(tx.error()));
    std::vector<std::pair<int64_t, std::string>> resealed;
    {
        auto st = db_->Prepare("SELECT id, totp_sealed FROM users WHERE totp_sealed IS NOT NULL");
        if (!st) return tl::unexpected(std::move(st.error()));
        while (true) {
            auto step = st->Step();
            if (!step) return tl::unexpected(std::move(step.error()));
            if (*step == store::Statement::StepResult::kDone) break;
            const int64_t id = st->ColumnInt64(0);
            const std::string sealed = st->ColumnText(1);
            if (!keys.NeedsReseal(sealed)) continue;
            auto fresh = keys.Reseal(sealed, "totp:" + std::to_string(id));
            if (!fresh) {
                return tl::unexpected(
                    std::move(fresh.error())
                        .WithContext("re-sealing the TOTP secret of user " + std::to_string(id)));
            }
            resealed.emplace_back(id, std::move(*fresh));
        }
    }
    auto up = db_->Cached("UPDATE users SET totp_sealed = ? WHERE id = ?");
    if (!up) return tl::unexpected(std::move(up.error()));
    for (const auto& [id, sealed] : resealed) {
        Status r = (*up)->BindText(1, sealed);
        if (r) r = (*up)->BindInt64(2, id);
        if (r) r = (*up)->Run();
        if (!r) return tl::unexpected(std::move(r.error()));
    }
    if (auto c = tx->Commit(); !c) return tl::unexpected(std::move(c.error()));
    return resealed.size();
}

Status UserStore::SetRole(int64_t user_id, Role role) {
    auto st = db_->Cached("UPDATE users SET role = ? WHERE id = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    Status r = (*st)->BindText(1, RoleName(role));
    if (r) r = (*st)->BindInt64(2, user_id);
    if (!r) return r;
    return RunOnUser(*db_, **st, user_id);
}

Status UserStore::SetDisplayName(int64_t user_id, std::string_view display_name) {
    if (auto c = CheckDisplayName(display_name); !c) return c;
    auto st = db_->Cached("UPDATE users SET display_name = ? WHERE id = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    Status r = (*st)->BindText(1, display_name.empty() ? std::string_view("") : display_name);
    if (r) r = (*st)->BindInt64(2, user_id);
    if (!r) return r;
    return RunOnUser(*db_, **st, user_id);
}

Status UserStore::Disable(int64_t user_id) {
    auto st = db_->Cached("UPDATE users SET disabled = 1 WHERE id = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    if (auto b = (*st)->BindInt64(1, user_id); !b) return b;
    return RunOnUser(*db_, **st, user_id);
}

Status UserStore::Enable(int64_t user_id) {
    auto st = db_->Cached("UPDATE users SET disabled = 0 WHERE id = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    if (auto b = (*st)->BindInt64(1, user_id); !b) return b;
    return RunOnUser(*db_, **st, user_id);
}

Result<IssuedToken> UserStore::IssueToken(int64_t user_id, std::string_view name,
                                          const std::vector<std::string>& scopes,
                                          int64_t expires_at_ns, int64_t now_ns) {
    if (name.empty() || name.size() > kMaxTokenNameBytes) {
        return InvalidArgument("token name must be 1 to " + std::to_string(kMaxTokenNameBytes) +
                               " bytes");
    }
    if (auto c = CheckDisplayName(name); !c) {
        return InvalidArgument("token name contains a control character");
    }
    auto user = GetUser(user_id);
    if (!user) return tl::unexpected(std::move(user.error()));
    if (user->disabled) return Precondition("user '" + user->username + "' is disabled");
    auto generated = GenerateToken();
    if (!generated) return tl::unexpected(std::move(generated.error()));
    IssuedToken out;
    out.token.id = generated->id;
    out.token.name = std::string(name);
    out.token.scopes = scopes;
    out.token.expires_at_ns = expires_at_ns;
    out.token.created_by = user->username;
    out.token.hash = generated->hash;
    if (auto v = ValidateToken(out.token, now_ns, options_.max_token_lifetime_ns); !v) {
        return tl::unexpected(v.error());
    }
    auto st = db_->Cached(
        "INSERT INTO api_tokens(id, user_id, name, secret_hash, scopes, expires_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!st) return tl::unexpected(std::move(st.error()));
    Status r = (*st)->BindText(1, out.token.id);
    if (r) r = (*st)->BindInt64(2, user_id);
    if (r) r = (*st)->BindText(3, out.token.name);
    if (r) r = (*st)->BindText(4, out.token.hash);
    if (r) r = (*st)->BindText(5, JoinScopes(scopes));
    if (r) r = (*st)->BindInt64(6, expires_at_ns);
    if (r) r = (*st)->BindInt64(7, now_ns);
    if (r) r = (*st)->Run();
    if (!r) return tl::unexpected(std::move(r.error()));
    out.plaintext = std::move(generated->plaintext);
    return out;
}

Result<TokenIdentity> UserStore::VerifyToken(std::string_view plaintext, int64_t now_ns) {
    auto parsed = ParseToken(plaintext);
    if (!parsed) return Denied("invalid API token");
    OPENSSL_cleanse(parsed->secret.data(), parsed->secret.size());
    auto st = db_->Cached(
        "SELECT user_id, name, secret_hash, scopes, expires_at, revoked_at FROM api_tokens "
        "WHERE id = ?");
    if (!st) return tl::unexpected(std::move(st.error()));
    if (auto b = (*st)->BindText(1, parsed->id); !b) return tl::unexpected(b.error());
    auto step = (*st)->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    if (*step == store::Statement::StepResult::kDone) return Denied("invalid API token");
    TokenIdentity out;
    const int64_t user_id = (*st)->ColumnInt64(0);
    out.token.id = parsed->id;
    out.token.name = (*st)->ColumnText(1);
    out.token.hash = (*st)->ColumnText(2);
    out.token.scopes = SplitScopes((*st)->ColumnText(3));
    out.token.expires_at_ns = (*st)->ColumnInt64(4);
    const bool revoked = !(*st)->ColumnIsNull(5);
    (*st)->Reset();
    // The secret is checked first: only its holder learns whether it expired or was revoked.
    if (auto v = auth::VerifyToken(plaintext, out.token, now_ns); !v) {
        return tl::unexpected(v.error());
    }
    if (revoked) return Denied("API token revoked");
    auto owner = GetUser(user_id);
    if (!owner) return tl::unexpected(std::move(owner.error()));
    if (owner->disabled) return Denied("API token owner is disabled");
    out.token.created_by = owner->username;
    out.owner = std::move(*owner);
    return out;
}

Status UserStore::RevokeToken(std::string_view token_id, int64_t now_ns) {
    auto st =
        db_->Cached("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    if (!st) return tl::unexpected(std::move(st.error()));
    Status r = (*st)->BindInt64(1, now_ns);
    if (r) r = (*st)->BindText(2, token_id);
    if (r) r = (*st)->Run();
    if (!r) return r;
    if (db_->Changes() == 0) {
        return NotFound("no active API token with id " + std::string(token_id));
    }
    return Ok();
}

Result<std::vector<TokenInfo>> UserStore::ListTokens(int64_t user_id) {
    auto st = db_->Cached(
        "SELECT t.id, t.name, t.secret_hash, t.scopes, t.expires_at, t.created_at, "
        "t.revoked_at, u.username FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.user_id = ? ORDER BY t.created_at, t.id");
    if (!st) return tl::unexpected(std::move(st.error()));
    if (auto b = (*st)->BindInt64(1, user_id); !b) return tl::unexpected(b.error());
    std::vector<TokenInfo> out;
    for (;;) {
        auto step = (*st)->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == store::Statement::StepResult::kDone) break;
        TokenInfo info;
        info.user_id = user_id;
        info.token.id = (*st)->ColumnText(0);
        info.token.name = (*st)->ColumnText(1);
        info.token.hash = (*st)->ColumnText(2);
        info.token.scopes = SplitScopes((*st)->ColumnText(3));
        info.token.expires_at_ns = (*st)->ColumnInt64(4);
        info.created_at_ns = (*st)->ColumnInt64(5);
        if (!(*st)->ColumnIsNull(6)) info.revoked_at_ns = (*st)->ColumnInt64(6);
        info.token.created_by = (*st)->ColumnText(7);
        out.push_back(std::move(info));
    }
    return out;
}

}  // namespace vigil::auth
