#pragma once
// Browser sessions of the web console, in memory. The session id (32 random bytes, sent in
// the "vigil_session" cookie) is never stored: the table is keyed by its SHA-256, so a memory
// dump does not hand out live sessions. Each session carries its own CSRF token, which
// state-changing requests must echo in the X-CSRF-Token header.
//
// A session may be limited: right after a one-time password it allows only the password
// change; for a role that needs MFA without a confirmed second factor, only the TOTP
// enrolment. Sessions end after an idle timeout (30 min) or an absolute lifetime (12 h).
// Thread-safe; the clock is passed in (ns since the epoch).

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/permissions.h"
#include "base/result.h"

namespace vigil::app {

inline constexpr std::string_view kSessionCookie = "vigil_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";
// Sent (value "1") by the console on requests its timers make (a page refreshing itself): they
// do not count as the user's activity, so an unattended screen still signs out when idle.
inline constexpr std::string_view kRefreshHeader = "X-Vigil-Refresh";
inline constexpr size_t kSessionIdBytes = 32;

struct SessionOptions {
    int64_t idle_timeout_ns = int64_t{30} * 60 * 1000000000;
    int64_t absolute_timeout_ns = int64_t{12} * 3600 * 1000000000;
    // Memory bound: when full, the session closest to its idle expiry is dropped.
    size_t max_sessions = 10000;
};

enum class SessionLimit {
    kNone,            // full session
    kPasswordChange,  // only POST /api/v1/auth/password (and me, logout)
    kMfaEnrolment,    // only the TOTP enrolment routes (and me, logout)
};

// "none", "password_change", "mfa_enrolment".
std::string_view SessionLimitName(SessionLimit limit);

struct Session {
    int64_t user_id = 0;
    std::string username;
    auth::Role role = auth::Role::kViewer;
    SessionLimit limit = SessionLimit::kNone;
    std::string csrf_token;  // 32 random bytes, hex
    int64_t created_ns = 0;
    int64_t last_seen_ns = 0;
};

struct NewSession {
    std::string id;  // the cookie value (hex); shown once, kept only as its hash
    Session session;
};

class SessionTable {
public:
    explicit SessionTable(SessionOptions options = {}) : options_(options) {}

    Result<NewSession> Create(int64_t user_id, std::string_view username, auth::Role role,
                              SessionLimit limit, int64_t now_ns);
    // The live session for a cookie value, its idle timer refreshed when `activity` (a request
    // a page's timer sends is not the user's: kRefreshHeader); nullopt when unknown or expired
    // (an expired one is removed).
    std::optional<Session> Touch(std::string_view id, int64_t now_ns, bool activity = true);
    // Ends one session; false when there was none.
    bool Destroy(std::string_view id);
    // Ends every session of a user (password change, disable); returns how many.
    size_t DestroyUser(int64_t user_id);
    size_t size() const;

    // "vigil_session=<id>; Path=/; Max-Age=<absolute>; HttpOnly; Secure; SameSite=Strict"
    std::string CookieFor(std::string_view id) const;
    // The cookie that removes it from the browser (Max-Age=0).
    static std::string ExpiredCookie();
    // The vigil_session value in a Cookie header ("a=b; vigil_session=..."), empty if absent.
    static std::string_view CookieValue(std::string_view cookie_header);

    const SessionOptions& options() const { return options_; }

private:
    bool Expired(const Session& s, int64_t now_ns) const;

    SessionOptions options_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, Session> by_hash_;  // key: hex SHA-256 of the id
};

// Constant-time comparison of two strings (CSRF tokens).
bool SecureEquals(std::string_view a, std::string_view b);

// n random bytes from the OpenSSL CSPRNG, hex-encoded.
Result<std::string> RandomHex(size_t n);

}  // namespace vigil::app
