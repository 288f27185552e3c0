#pragma once
// The sign-in API and the production authenticator of the HTTPS server:
//
//   POST /api/v1/auth/login          public   {username, password, totp?}
//   POST /api/v1/auth/logout         session
//   GET  /api/v1/auth/me             session or token
//   POST /api/v1/auth/password       session  {old, new}
//   POST /api/v1/auth/totp/enroll    session  -> {secret, otpauth_uri}
//   POST /api/v1/auth/totp/confirm   session  {code}
//
// Callers present either the "vigil_session" cookie (state-changing requests must also send
// the session's CSRF token in X-CSRF-Token) or "Authorization: Bearer vgl_..." (an API token,
// which acts with the intersection of its scopes and its owner's role). Every sign-in attempt,
// password change, TOTP enrolment and sign-out is an audit record; passwords and codes never
// are.
//
// The api::Router asks the Authenticator() for the caller and checks the role; each handler
// here then checks what a role cannot express (CSRF, limited sessions, token scopes) and
// answers 403 when they fail.

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/router.h"
#include "app/sessions.h"
#include "audit/keys.h"
#include "audit/sqlite_log.h"
#include "auth/lockout.h"
#include "auth/seal.h"
#include "auth/token.h"
#include "auth/user_store.h"
#include "base/result.h"

namespace vigil::app {

// Permission of the routes every signed-in user may call (all roles hold it).
inline constexpr std::string_view kAnyUser = "system.status";
// Named limit: the username kept in audit records and lockout keys for a failed sign-in.
inline constexpr size_t kMaxAuditUsernameBytes = 256;

struct AuthApiDeps {
    auth::UserStore* users = nullptr;        // not owned
    audit::SqliteAuditLog* audit = nullptr;  // not owned
    const auth::KeyRing* keys = nullptr;     // not owned
    audit::PublicKey audit_public_key;
    SessionTable* sessions = nullptr;  // not owned
    auth::Lockout* lockout = nullptr;  // not owned
    std::function<int64_t()> clock;    // ns since the epoch
};

class AuthApi {
public:
    explicit AuthApi(AuthApiDeps deps) : deps_(std::move(deps)) {}
    AuthApi(const AuthApi&) = delete;
    AuthApi& operator=(const AuthApi&) = delete;

    // Adds the routes above; the handlers refer to this object, which must outlive the server.
    Status AddRoutes(api::Router& router);
    api::Authenticator Authenticator();

    // Who is calling, and through what.
    struct Caller {
        int64_t user_id = 0;
        std::string username;
        auth::Role role = auth::Role::kViewer;
        std::optional<Session> session;
        std::string session_id;            // the cookie value, when a session
        std::optional<auth::Token> token;  // when an API token
    };

    // Whether the caller holds the permission: its role allows it and, for an API token, the
    // token's scopes too.
    static bool May(const Caller& caller, std::string_view permission);

    using CallerHandler = std::function<api::Response(const api::Request&, const Caller&)>;
    enum Flags : unsigned {
        kFullOnly = 0,
        kAllowPasswordChange = 1,  // also for sessions limited to the password change
        kAllowMfaEnrolment = 2,    // also for sessions limited to the TOTP enrolment
        kSessionOnly = 4,          // not with an API token
    };

    // The handler for a route needing `permission`: identifies the caller, enforces CSRF,
    // session limits (unless flags allow) and token scopes, then calls handler with the
    // caller, holding the lock that serialises access to the stores. Other route groups
    // (admin_api) use it too.
    api::Handler Guard(std::string permission, unsigned flags, CallerHandler handler);
    // Appends an audit record; false when it could not be written (the caller answers 500).
    bool Audit(std::string action, std::string_view actor, std::string object, std::string result,
               std::string_view source_ip, std::string detail, std::string before = {},
               std::string after = {});
    int64_t Now() const;
    const AuthApiDeps& deps() const { return deps_; }

    // A route whose handler runs behind Guard(permission, flags).
    struct GuardedRoute {
        const char* method;
        const char* path;
        const char* permission;
        unsigned flags;
        CallerHandler handler;
        const char* summary;
        std::vector<std::string> content_types = {};  // empty: application/json
    };
    // Adds each route with its handler guarded; errors name the route.
    Status AddGuarded(api::Router& router, std::span<const GuardedRoute> routes);
    // Runs fn holding the lock the request handlers hold (background jobs on the same stores).
    void Exclusive(const std::function<void()>& fn) {
        std::lock_guard lock(mu_);
        fn();
    }

private:
    Result<Caller> Identify(const api::Request& request);

    api::Response Login(const api::Request& request);
    api::Response Logout(const api::Request& request, const Caller& caller);
    api::Response Me(const api::Request& request, const Caller& caller);
    api::Response ChangePassword(const api::Request& request, const Caller& caller);
    api::Response EnrollTotp(const api::Request& request, const Caller& caller);
    api::Response ConfirmTotp(const api::Request& request, const Caller& caller);

    AuthApiDeps deps_;
    // UserStore, the audit log (sharing one Database) and the lockout tables are used by one
    // request at a time.
    std::mutex mu_;
};

}  // namespace vigil::app
