#include "app/auth_api.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "app/json_util.h"
#include "audit/record.h"
#include "auth/permissions.h"

namespace vigil::app {

namespace {

using api::Request;
using api::Response;
using nlohmann::json;

constexpr int64_t kNsPerSecond = 1000000000;

// Lockout keys fold case: user names are unique case-insensitively, so "Admin" and "admin"
// must share one counter.
std::string LockoutKey(std::string_view username) {
    std::string key = Truncated(username, kMaxAuditUsernameBytes);
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return key;
}

bool IsSafeMethod(std::string_view method) { return method == "GET" || method == "HEAD"; }

Response AuditUnavailable() { return Response::Error(500, "the audit trail cannot be written"); }

}  // namespace

int64_t AuthApi::Now() const { return deps_.clock(); }

bool AuthApi::Audit(std::string action, std::string_view actor, std::string object,
                    std::string result, std::string_view source_ip, std::string detail,
                    std::string before, std::string after) {
    audit::Record record;
    record.time_ns = Now();
    record.actor = Truncated(actor, kMaxAuditUsernameBytes);
    record.action = std::move(action);
    record.object = std::move(object);
    record.source_ip = std::string(source_ip);
    record.result = std::move(result);
    record.detail = std::move(detail);
    record.before = std::move(before);
    record.after = std::move(after);
    return deps_.audit->Append(std::move(record)).has_value();
}

Result<AuthApi::Caller> AuthApi::Identify(const Request& request) {
    const int64_t now = Now();
    std::string_view authz = request.Header("Authorization");
    if (!authz.empty()) {
        constexpr std::string_view kBearer = "Bearer ";
        if (!authz.starts_with(kBearer)) {
            return MakeError(Code::kPermissionDenied, "unsupported authorization scheme");
        }
        auto identity = deps_.users->VerifyToken(authz.substr(kBearer.size()), now);
        if (!identity) return tl::unexpected(std::move(identity.error()));
        Caller caller;
        caller.user_id = identity->owner.id;
        caller.username = identity->owner.username;
        caller.role = identity->owner.role;
        caller.token = std::move(identity->token);
        return caller;
    }
    std::string_view id = SessionTable::CookieValue(request.Header("Cookie"));
    if (id.empty()) return MakeError(Code::kPermissionDenied, "no credentials");
    auto session = deps_.sessions->Touch(id, now, request.Header(kRefreshHeader) != "1");
    if (!session) return MakeError(Code::kPermissionDenied, "no such session or it expired");
    Caller caller;
    caller.user_id = session->user_id;
    caller.username = session->username;
    caller.role = session->role;
    caller.session = std::move(session);
    caller.session_id = std::string(id);
    return caller;
}

api::Authenticator AuthApi::Authenticator() {
    return [this](const Request& request) -> Result<api::Principal> {
        std::lock_guard lock(mu_);
        auto caller = Identify(request);
        if (!caller) return tl::unexpected(std::move(caller.error()));
        return api::Principal{caller->username, caller->role};
    };
}

api::Handler AuthApi::Guard(std::string permission, unsigned flags, CallerHandler handler) {
    return [this, permission = std::move(permission), flags,
            handler = std::move(handler)](const Request& request) -> Response {
        std::lock_guard lock(mu_);
        auto caller = Identify(request);
        if (!caller) {
            Response r = Response::Error(401, "authentication required");
            r.headers.emplace_back("WWW-Authenticate", "Bearer");
            return r;
        }
        if (caller->session) {
            const Session& s = *caller->session;
            // A cross-site form cannot read the token, so it cannot send it.
            if (!IsSafeMethod(request.method) &&
                !SecureEquals(request.Header(kCsrfHeader), s.csrf_token)) {
                return Response::Error(403, "missing or wrong X-CSRF-Token header");
            }
            if (s.limit == SessionLimit::kPasswordChange && !(flags & kAllowPasswordChange)) {
                return Response::Error(403, "the password must be changed first");
            }
            if (s.limit == SessionLimit::kMfaEnrolment && !(flags & kAllowMfaEnrolment)) {
                return Response::Error(403, "an authenticator app (TOTP) must be enrolled first");
            }
        } else {
            if (flags & kSessionOnly) {
                return Response::Error(403, "this route needs a signed-in session, not a token");
            }
            auto perm = auth::ParsePermission(permission);
            if (!perm || !auth::TokenAllows(*caller->token, caller->role, *perm)) {
                return Response::Error(403,
                                       "the token's scopes lack permission '" + permission + "'");
            }
        }
        return handler(request, *caller);
    };
}

Status AuthApi::AddGuarded(api::Router& router, std::span<const GuardedRoute> routes) {
    for (const GuardedRoute& g : routes) {
        api::Route route{g.method,     g.path,
                         g.permission, Guard(g.permission, g.flags, g.handler),
                         g.summary,    g.content_types};
        const std::string what = route.method + " " + route.path;
        if (auto st = router.Add(std::move(route)); !st) {
            return tl::unexpected(std::move(st.error()).WithContext("adding route " + what));
        }
    }
    return Ok();
}

Status AuthApi::AddRoutes(api::Router& router) {
    auto bind = [this](auto method) {
        return [this, method](const Request& r, const Caller& c) { return (this->*method)(r, c); };
    };
    const std::string any(kAnyUser);
    const unsigned limited = kAllowPasswordChange | kAllowMfaEnrolment;
    std::vector<api::Route> routes = {
        {"POST", "/api/v1/auth/login", std::string(api::kPublic),
         [this](const Request& r) {
             std::lock_guard lock(mu_);
             return Login(r);
         },
         "Sign in with user name, password and (when enrolled) a one-time code"},
        {"POST", "/api/v1/auth/logout", any,
         Guard(any, limited | kSessionOnly, bind(&AuthApi::Logout)), "End the current session"},
        {"GET", "/api/v1/auth/me", any, Guard(any, limited, bind(&AuthApi::Me)),
         "The signed-in user"},
        {"POST", "/api/v1/auth/password", any,
         Guard(any, kAllowPasswordChange | kSessionOnly, bind(&AuthApi::ChangePassword)),
         "Change the own password"},
        {"POST", "/api/v1/auth/totp/enroll", any,
         Guard(any, kAllowMfaEnrolment | kSessionOnly, bind(&AuthApi::EnrollTotp)),
         "Start TOTP enrolment: a new secret for the authenticator app"},
        {"POST", "/api/v1/auth/totp/confirm", any,
         Guard(any, kAllowMfaEnrolment | kSessionOnly, bind(&AuthApi::ConfirmTotp)),
         "Confirm TOTP enrolment with a first code"},
    };
    for (auto& route : routes) {
        const std::string what = route.method + " " + route.path;
        if (auto st = router.Add(std::move(route)); !st) {
            return tl::unexpected(std::move(st.error()).WithContext("adding route " + what));
        }
    }
    return Ok();
}

Response AuthApi::Login(const Request& r) {
    const int64_t now = Now();
    const std::string& ip = r.remote_ip;
    auto body = ParseBody(r);
    std::optional<std::string> username, password, totp;
    if (body) {
        username = StringField(*body, "username");
        password = StringField(*body, "password");
        totp = StringField(*body, "totp");
    }
    if (!username || !password || username->empty()) {
        const std::string who = username ? *username : "";
        if (!Audit("auth.login", who, "user:" + Truncated(who, kMaxAuditUsernameBytes), "failure",
                   ip, "malformed request: username and password are required")) {
            return AuditUnavailable();
        }
        return Response::Error(400, "username and password are required");
    }
    const std::string actor = Truncated(*username, kMaxAuditUsernameBytes);
    const std::string object = "user:" + actor;
    const std::string key = LockoutKey(*username);

    auth::LockoutDecision decision = deps_.lockout->Check(key, ip, now);
    if (!decision.allowed) {
        const int64_t secs = (decision.retry_after_ns + kNsPerSecond - 1) / kNsPerSecond;
        if (!Audit(
                "auth.login", actor, object, "failure", ip,
                "locked out after repeated failures; retry after " + std::to_string(secs) + " s")) {
            return AuditUnavailable();
        }
        Response resp = Response::Error(429, "too many failed sign-ins; try again later");
        resp.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(secs, 1)));
        return resp;
    }

    auto user = deps_.users->Authenticate(*username, *password, now);
    if (!user) {
        // invalid_argument: a password over the length limit, refused before hashing.
        const bool denied = user.error().code == Code::kPermissionDenied ||
                            user.error().code == Code::kInvalidArgument;
        if (denied) deps_.lockout->RecordFailure(key, ip, now);
        if (!Audit("auth.login", actor, object, "failure", ip, user.error().message)) {
            return AuditUnavailable();
        }
        if (!denied) return Response::Error(500, "sign-in failed");
        Response resp = Response::Error(401, user.error().code == Code::kPermissionDenied
                                                 ? user.error().message
                                                 : "invalid username or password");
        resp.headers.emplace_back("WWW-Authenticate", "Bearer");
        return resp;
    }

    // A confirmed second factor is asked for before anything else, also before a forced
    // password change.
    if (user->mfa_enrolled) {
        if (!totp || totp->empty()) {
            if (!Audit("auth.login", actor, object, "failure", ip,
                       "password correct; one-time code required")) {
                return AuditUnavailable();
            }
            json j{{"error", {{"code", "unauthenticated"}, {"message", "one-time code required"}}},
                   {"mfa_required", true}};
            return JsonReply(401, j);
        }
        auto ok = deps_.users->VerifyTotpCode(user->id, *totp, now, *deps_.keys);
        if (!ok) {
            deps_.lockout->RecordFailure(key, ip, now);
            if (!Audit("auth.login", actor, object, "failure", ip,
                       "one-time code refused: " + ok.error().message)) {
                return AuditUnavailable();
            }
            json j{{"error", {{"code", "unauthenticated"}, {"message", "invalid one-time code"}}},
                   {"mfa_required", true}};
            return JsonReply(401, j);
        }
    }

    SessionLimit limit = SessionLimit::kNone;
    std::string detail = "signed in";
    if (user->must_change_password || deps_.users->PasswordExpired(*user, now)) {
        limit = SessionLimit::kPasswordChange;
        detail = "signed in; password change required";
    } else if (auth::NeedsMfaEnrolment(*user)) {
        limit = SessionLimit::kMfaEnrolment;
        detail = "signed in; TOTP enrolment required";
    } else if (user->mfa_enrolled) {
        detail = "signed in with password and one-time code";
    }
    auto created = deps_.sessions->Create(user->id, user->username, user->role, limit, now);
    if (!created) return Response::Error(500, "cannot create a session");
    deps_.lockout->RecordSuccess(key, ip, now);
    if (!Audit("auth.login", user->username, "user:" + user->username, "success", ip, detail)) {
        deps_.sessions->Destroy(created->id);
        return AuditUnavailable();
    }
    json j{{"user", user->username},
           {"role", auth::RoleName(user->role)},
           {"csrf_token", created->session.csrf_token}};
    if (limit == SessionLimit::kPasswordChange) j["must_change_password"] = true;
    if (limit == SessionLimit::kMfaEnrolment) j["mfa_enrolment_required"] = true;
    Response resp = JsonReply(200, j);
    resp.headers.emplace_back("Set-Cookie", deps_.sessions->CookieFor(created->id));
    return resp;
}

Response AuthApi::Logout(const Request& r, const Caller& caller) {
    deps_.sessions->Destroy(caller.session_id);
    if (!Audit("auth.logout", caller.username, "user:" + caller.username, "success", r.remote_ip,
               "session ended")) {
        return AuditUnavailable();
    }
    Response resp = JsonReply(200, json{{"logged_out", true}});
    resp.headers.emplace_back("Set-Cookie", SessionTable::ExpiredCookie());
    return resp;
}

bool AuthApi::May(const Caller& caller, std::string_view permission) {
    auto perm = auth::ParsePermission(permission);
    return perm && auth::Allowed(caller.role, *perm) &&
           (!caller.token || auth::TokenAllows(*caller.token, caller.role, *perm));
}

Response AuthApi::Me(const Request&, const Caller& caller) {
    auto user = deps_.users->GetUser(caller.user_id);
    if (!user) return Response::Error(500, "cannot read the user");
    json j = UserJson(*user);
    j["user"] = user->username;
    json permissions = json::array();
    for (auth::Permission p : auth::AllPermissions()) {
        if (auth::Allowed(user->role, p) &&
            (!caller.token || auth::TokenAllows(*caller.token, user->role, p))) {
            permissions.push_back(auth::PermissionName(p));
        }
    }
    j["permissions"] = std::move(permissions);
    if (caller.session) {
        j["session_limit"] = SessionLimitName(caller.session->limit);
        j["csrf_token"] = caller.session->csrf_token;
    } else {
        j["token_id"] = caller.token->id;
    }
    return JsonReply(200, j);
}

Response AuthApi::ChangePassword(const Request& r, const Caller& caller) {
    auto body = ParseBody(r);
    std::optional<std::string> old_pw, new_pw;
    if (body) {
        old_pw = StringField(*body, "old");
        new_pw = StringField(*body, "new");
    }
    if (!old_pw || !new_pw) return Response::Error(400, "old and new passwords are required");
    const int64_t now = Now();
    auto st = deps_.users->ChangePassword(caller.user_id, *old_pw, *new_pw, now);
    const std::string object = "user:" + caller.username;
    if (!st) {
        if (st.error().code == Code::kPermissionDenied) {
            // A wrong current password is a guess like any other.
            deps_.lockout->RecordFailure(LockoutKey(caller.username), r.remote_ip, now);
        }
        if (!Audit("auth.password_change", caller.username, object, "failure", r.remote_ip,
                   st.error().message)) {
            return AuditUnavailable();
        }
        switch (st.error().code) {
            case Code::kInvalidArgument:
            case Code::kPermissionDenied:
                return Response::Error(400, st.error().message);
            default:
                return Response::Error(500, "cannot change the password");
        }
    }
    // Every session of the user ends: whoever knew the old password is signed out too.
    deps_.sessions->DestroyUser(caller.user_id);
    if (!Audit("auth.password_change", caller.username, object, "success", r.remote_ip,
               "password changed; all sessions ended")) {
        return AuditUnavailable();
    }
    Response resp = JsonReply(200, json{{"password_changed", true}, {"login_required", true}});
    resp.headers.emplace_back("Set-Cookie", SessionTable::ExpiredCookie());
    return resp;
}

Response AuthApi::EnrollTotp(const Request& r, const Caller& caller) {
    auto enrolment = deps_.users->EnrollTotp(caller.user_id, *deps_.keys);
    const std::string object = "user:" + caller.username;
    if (!enrolment) {
        if (!Audit("auth.totp_enroll", caller.username, object, "failure", r.remote_ip,
                   enrolment.error().message)) {
            return AuditUnavailable();
        }
        if (enrolment.error().code == Code::kFailedPrecondition) {
            return Response::Error(400, enrolment.error().message);
        }
        return Response::Error(500, "cannot start the enrolment");
    }
    if (!Audit("auth.totp_enroll", caller.username, object, "success", r.remote_ip,
               "TOTP secret issued, waiting for confirmation")) {
        return AuditUnavailable();
    }
    return JsonReply(
        200, json{{"secret", enrolment->secret_base32}, {"otpauth_uri", enrolment->otpauth_uri}});
}

Response AuthApi::ConfirmTotp(const Request& r, const Caller& caller) {
    auto body = ParseBody(r);
    std::optional<std::string> code;
    if (body) code = StringField(*body, "code");
    if (!code) return Response::Error(400, "code is required");
    const int64_t now = Now();
    auto st = deps_.users->ConfirmTotp(caller.user_id, *code, now, *deps_.keys);
    const std::string object = "user:" + caller.username;
    if (!st) {
        if (!Audit("auth.totp_confirm", caller.username, object, "failure", r.remote_ip,
                   st.error().message)) {
            return AuditUnavailable();
        }
        switch (st.error().code) {
            case Code::kInvalidArgument:
            case Code::kPermissionDenied:
            case Code::kFailedPrecondition:
            case Code::kNotFound:
                return Response::Error(400, st.error().message);
            default:
                return Response::Error(500, "cannot confirm the enrolment");
        }
    }
    if (!Audit("auth.totp_confirm", caller.username, object, "success", r.remote_ip,
               "MFA enabled")) {
        return AuditUnavailable();
    }
    json j{{"mfa_enrolled", true}};
    Response resp = JsonReply(200, j);
    if (caller.session->limit != SessionLimit::kNone) {
        // The enrolment session was made with the password alone: sign in again with both.
        deps_.sessions->Destroy(caller.session_id);
        resp.body = json{{"mfa_enrolled", true}, {"login_required", true}}.dump();
        resp.headers.emplace_back("Set-Cookie", SessionTable::ExpiredCookie());
    }
    return resp;
}

}  // namespace vigil::app
