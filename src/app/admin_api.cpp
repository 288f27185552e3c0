#include "app/admin_api.h"

#include <algorithm>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include <sys/stat.h>

#include "app/json_util.h"
#include "audit/record.h"
#include "audit/sqlite_log.h"
#include "auth/permissions.h"
#include "auth/token.h"
#include "base/strings.h"

namespace vigil::app {

namespace {

using api::Request;
using api::Response;
using Caller = AuthApi::Caller;
using nlohmann::json;

constexpr int64_t kNsPerSecond = 1000000000;
constexpr int64_t kNsPerDay = 86400 * kNsPerSecond;

Response AuditUnavailable() { return Response::Error(500, "the audit trail cannot be written"); }

// A cursor is the decimal id/seq of the last item of the previous page.
Result<std::optional<int64_t>> Cursor(const Request& r) {
    const std::string text = QueryParam(r, "cursor");
    if (text.empty()) return std::optional<int64_t>();
    auto n = ParseInt(text);
    if (!n || *n < 0) return InvalidArgument("cursor is not one this API returned");
    return std::optional<int64_t>(*n);
}

Result<std::optional<int64_t>> TimeParam(const Request& r, const char* key) {
    const std::string text = QueryParam(r, key);
    if (text.empty()) return std::optional<int64_t>();
    auto ns = ParseTimestamp(text);
    if (!ns) {
        return InvalidArgument(std::string(key) +
                               " must be an RFC 3339 time such as 2026-11-21T08:00:00Z");
    }
    return std::optional<int64_t>(*ns);
}

Result<int64_t> PathId(const Request& r) {
    auto it = r.path_params.find("id");
    auto n = it == r.path_params.end() ? std::nullopt : ParseInt(it->second);
    if (!n || *n <= 0) return InvalidArgument("the user id must be a positive integer");
    return *n;
}

json Page(json items, std::optional<int64_t> next) {
    json out{{"items", std::move(items)}, {"next_cursor", nullptr}};
    if (next) out["next_cursor"] = std::to_string(*next);
    return out;
}

// The status for a store error: not_found 404, already_exists 409, bad input 400, else 500.
Response StoreError(const Error& e, std::string_view what) {
    switch (e.code) {
        case Code::kNotFound:
            return Response::Error(404, e.message);
        case Code::kAlreadyExists:
            return Response::Error(409, e.message);
        case Code::kInvalidArgument:
        case Code::kFailedPrecondition:
            return Response::Error(400, e.message);
        case Code::kPermissionDenied:
            return Response::Error(403, e.message);
        default:
            return Response::Error(500, std::string("cannot ") + std::string(what));
    }
}

json TokenJson(const auth::TokenInfo& t, const std::string& owner) {
    return json{{"id", t.token.id},
                {"name", t.token.name},
                {"owner", owner},
                {"scopes", t.token.scopes},
                {"created_at", TimeJson(t.created_at_ns)},
                {"expires_at", TimeJson(t.token.expires_at_ns)},
                {"revoked_at", t.revoked_at_ns ? TimeJson(*t.revoked_at_ns) : json(nullptr)}};
}

json RecordJson(const audit::Record& r) {
    return json{{"seq", r.seq},       {"time", FormatTimestamp(r.time_ns)},
                {"actor", r.actor},   {"action", r.action},
                {"object", r.object}, {"before", r.before},
                {"after", r.after},   {"source_ip", r.source_ip},
                {"result", r.result}, {"detail", r.detail}};
}

class AdminApi {
public:
    explicit AdminApi(AdminApiDeps deps) : deps_(std::move(deps)), auth_(*deps_.auth) {}

    Status AddRoutes(api::Router& router, const std::shared_ptr<AdminApi>& self);

private:
    auth::UserStore& users() { return *auth_.deps().users; }
    audit::SqliteAuditLog& audit() { return *auth_.deps().audit; }
    bool Audit(const Caller& c, const Request& r, std::string action, std::string object,
               std::string result, std::string detail, std::string before = {},
               std::string after = {}) {
        return auth_.Audit(std::move(action), c.username, std::move(object), std::move(result),
                           r.remote_ip, std::move(detail), std::move(before), std::move(after));
    }
    // Loads the user named by {id}; the error response when it cannot.
    Result<auth::User> TargetUser(const Request& r, Response& error);

    Response ListUsers(const Request& r, const Caller& c);
    Response CreateUser(const Request& r, const Caller& c);
    Response UpdateUser(const Request& r, const Caller& c);
    Response SetRole(const Request& r, const Caller& c);
    Response ResetPassword(const Request& r, const Caller& c);
    Response ResetMfa(const Request& r, const Caller& c);
    Response Roles(const Request& r, const Caller& c);
    Response ListTokens(const Request& r, const Caller& c);
    Response CreateToken(const Request& r, const Caller& c);
    Response RevokeToken(const Request& r, const Caller& c);
    Response AuditRecords(const Request& r, const Caller& c);
    Response AuditExport(const Request& r, const Caller& c);
    Response AuditVerify(const Request& r, const Caller& c);
    Response SystemStatus(const Request& r, const Caller& c);

    AdminApiDeps deps_;
    AuthApi& auth_;
};

Result<auth::User> AdminApi::TargetUser(const Request& r, Response& error) {
    auto id = PathId(r);
    if (!id) {
        error = Response::Error(400, id.error().message);
        return tl::unexpected(std::move(id.error()));
    }
    auto user = users().GetUser(*id);
    if (!user) error = StoreError(user.error(), "read the user");
    return user;
}

Response AdminApi::ListUsers(const Request& r, const Caller&) {
    auto limit = PageLimit(r);
    if (!limit) return Response::Error(400, limit.error().message);
    auto cursor = Cursor(r);
    if (!cursor) return Response::Error(400, cursor.error().message);
    const std::string q = AsciiLower(QueryParam(r, "q"));
    const std::string role = QueryParam(r, "role");
    const std::string disabled = QueryParam(r, "disabled");
    if (!role.empty() && !auth::ParseRole(role)) {
        return Response::Error(400, "unknown role '" + Truncated(role, 64) + "'");
    }
    if (!disabled.empty() && disabled != "true" && disabled != "false") {
        return Response::Error(400, "disabled must be true or false");
    }
    auto all = users().ListUsers();
    if (!all) return Response::Error(500, "cannot list users");
    json items = json::array();
    std::optional<int64_t> next;
    for (const auto& u : *all) {  // ordered by id
        if (*cursor && u.id <= **cursor) continue;
        if (!q.empty() && AsciiLower(u.username).find(q) == std::string::npos &&
            AsciiLower(u.display_name).find(q) == std::string::npos) {
            continue;
        }
        if (!role.empty() && auth::RoleName(u.role) != role) continue;
        if (!disabled.empty() && u.disabled != (disabled == "true")) continue;
        if (items.size() == *limit) {
            next = items.back()["id"].get<int64_t>();
            break;
        }
        items.push_back(UserJson(u));
    }
    return JsonReply(200, Page(std::move(items), next));
}

Response AdminApi::CreateUser(const Request& r, const Caller& c) {
    auto body = ParseBody(r);
    if (!body) return Response::Error(400, "expected a JSON object {username, role}");
    auto username = StringField(*body, "username");
    auto role_name = StringField(*body, "role");
    auto display = StringField(*body, "display_name");
    if (!username || !role_name) return Response::Error(400, "username and role are required");
    auto role = auth::ParseRole(*role_name);
    if (!role) return Response::Error(400, "unknown role '" + Truncated(*role_name, 64) + "'");
    // Choosing the new account's role is a role grant.
    if (!auth::Allowed(c.role, auth::Permission::kRolesAssign)) {
        return Response::Error(403, "creating a user grants a role, which needs roles.assign");
    }
    const std::string object = "user:" + Truncated(*username, kMaxAuditUsernameBytes);
    auto created = users().CreateUser(*username, *role, auth_.Now(), std::nullopt,
                                      display ? std::string_view(*display) : std::string_view());
    if (!created) {
        if (!Audit(c, r, "user.create", object, "failure", created.error().message)) {
            return AuditUnavailable();
        }
        return StoreError(created.error(), "create the user");
    }
    const json user = UserJson(created->user);
    if (!Audit(c, r, "user.create", object, "success", "created with a one-time password", "",
               user.dump())) {
        return AuditUnavailable();
    }
    return JsonReply(201, json{{"user", user}, {"one_time_password", created->one_time_password}});
}

Response AdminApi::UpdateUser(const Request& r, const Caller& c) {
    Response error;
    auto user = TargetUser(r, error);
    if (!user) return error;
    auto body = ParseBody(r);
    if (!body) return Response::Error(400, "expected a JSON object {display_name?, disabled?}");
    auto display = StringField(*body, "display_name");
    std::optional<bool> disabled;
    if (auto it = body->find("disabled"); it != body->end()) {
        if (!it->is_boolean()) return Response::Error(400, "disabled must be true or false");
        disabled = it->get<bool>();
    }
    if (!display && !disabled) return Response::Error(400, "nothing to change");
    if (disabled && *disabled && user->id == c.user_id) {
        return Response::Error(403, "you cannot disable your own account");
    }
    const std::string object = "user:" + user->username;
    const std::string before = UserJson(*user).dump();
    Status st = Ok();
    if (display) st = users().SetDisplayName(user->id, *display);
    if (st && disabled) st = *disabled ? users().Disable(user->id) : users().Enable(user->id);
    if (!st) {
        if (!Audit(c, r, "user.update", object, "failure", st.error().message)) {
            return AuditUnavailable();
        }
        return StoreError(st.error(), "update the user");
    }
    // A disabled account loses its sessions at once (its tokens stop verifying).
    if (disabled && *disabled) auth_.deps().sessions->DestroyUser(user->id);
    auto after = users().GetUser(user->id);
    if (!after) return Response::Error(500, "cannot read the user");
    const json after_json = UserJson(*after);
    if (!Audit(c, r, disabled ? (*disabled ? "user.disable" : "user.enable") : "user.update",
               object, "success", "", before, after_json.dump())) {
        return AuditUnavailable();
    }
    return JsonReply(200, json{{"user", after_json}});
}

Response AdminApi::SetRole(const Request& r, const Caller& c) {
    Response error;
    auto user = TargetUser(r, error);
    if (!user) return error;
    auto body = ParseBody(r);
    auto role_name = body ? StringField(*body, "role") : std::nullopt;
    if (!role_name) return Response::Error(400, "expected a JSON object {role}");
    auto role = auth::ParseRole(*role_name);
    if (!role) return Response::Error(400, "unknown role '" + Truncated(*role_name, 64) + "'");
    const std::string object = "user:" + user->username;
    if (auto can = auth::CanAssignRole(c.username, c.role, user->username); !can) {
        if (!Audit(c, r, "role.assign", object, "denied", can.error().message)) {
            return AuditUnavailable();
        }
        return Response::Error(403, can.error().message);
    }
    const std::string before(auth::RoleName(user->role));
    if (auto st = users().SetRole(user->id, *role); !st) {
        if (!Audit(c, r, "role.assign", object, "failure", st.error().message)) {
            return AuditUnavailable();
        }
        return StoreError(st.error(), "change the role");
    }
    // Sessions carry the role they were made with: the user signs in again under the new one.
    auth_.deps().sessions->DestroyUser(user->id);
    if (!Audit(c, r, "role.assign", object, "success", "sessions of the user ended", before,
               std::string(auth::RoleName(*role)))) {
        return AuditUnavailable();
    }
    auto after = users().GetUser(user->id);
    if (!after) return Response::Error(500, "cannot read the user");
    return JsonReply(200, json{{"user", UserJson(*after)}});
}

Response AdminApi::ResetPassword(const Request& r, const Caller& c) {
    Response error;
    auto user = TargetUser(r, error);
    if (!user) return error;
    if (user->id == c.user_id) {
        return Response::Error(403, "change your own password on the profile page instead");
    }
    const std::string object = "user:" + user->username;
    auto password = users().ResetPassword(user->id, auth_.Now());
    if (!password) {
        if (!Audit(c, r, "user.reset_password", object, "failure", password.error().message)) {
            return AuditUnavailable();
        }
        return StoreError(password.error(), "reset the password");
    }
    auth_.deps().sessions->DestroyUser(user->id);
    if (!Audit(c, r, "user.reset_password", object, "success",
               "one-time password issued; sessions of the user ended")) {
        return AuditUnavailable();
    }
    return JsonReply(200, json{{"one_time_password", *password}});
}

Response AdminApi::ResetMfa(const Request& r, const Caller& c) {
    Response error;
    auto user = TargetUser(r, error);
    if (!user) return error;
    if (user->id == c.user_id) return Response::Error(403, "you cannot reset your own MFA");
    const std::string object = "user:" + user->username;
    if (auto st = users().ResetMfa(user->id); !st) {
        if (!Audit(c, r, "user.reset_mfa", object, "failure", st.error().message)) {
            return AuditUnavailable();
        }
        return StoreError(st.error(), "reset MFA");
    }
    auth_.deps().sessions->DestroyUser(user->id);
    if (!Audit(c, r, "user.reset_mfa", object, "success",
               "TOTP secret removed; sessions of the user ended")) {
        return AuditUnavailable();
    }
    auto after = users().GetUser(user->id);
    if (!after) return Response::Error(500, "cannot read the user");
    return JsonReply(200, json{{"user", UserJson(*after)}});
}

Response AdminApi::Roles(const Request&, const Caller&) {
    json roles = json::array();
    for (auth::Role role : auth::AllRoles()) {
        json perms = json::array();
        for (auth::Permission p : auth::AllPermissions()) {
            if (auth::Allowed(role, p)) perms.push_back(auth::PermissionName(p));
        }
        roles.push_back({{"name", auth::RoleName(role)},
                         {"requires_mfa", auth::RequiresMfa(role)},
                         {"permissions", std::move(perms)}});
    }
    json permissions = json::array();
    for (auth::Permission p : auth::AllPermissions()) {
        permissions.push_back(
            {{"name", auth::PermissionName(p)}, {"description", auth::PermissionDescription(p)}});
    }
    return JsonReply(200,
                     json{{"roles", std::move(roles)}, {"permissions", std::move(permissions)}});
}

Response AdminApi::ListTokens(const Request& r, const Caller& c) {
    const std::string all = QueryParam(r, "all");
    if (!all.empty() && all != "true" && all != "false") {
        return Response::Error(400, "all must be true or false");
    }
    std::vector<auth::User> owners;
    if (all == "true") {
        if (!auth::Allowed(c.role, auth::Permission::kTokensManageAll)) {
            return Response::Error(403, "listing everyone's tokens needs tokens.manage_all");
        }
        auto list = users().ListUsers();
        if (!list) return Response::Error(500, "cannot list users");
        owners = std::move(*list);
    } else {
        auto me = users().GetUser(c.user_id);
        if (!me) return Response::Error(500, "cannot read the user");
        owners.push_back(std::move(*me));
    }
    json items = json::array();
    for (const auto& owner : owners) {
        auto tokens = users().ListTokens(owner.id);
        if (!tokens) return Response::Error(500, "cannot list tokens");
        for (const auto& t : *tokens) items.push_back(TokenJson(t, owner.username));
    }
    return JsonReply(200, Page(std::move(items), std::nullopt));
}

Response AdminApi::CreateToken(const Request& r, const Caller& c) {
    auto body = ParseBody(r);
    if (!body) return Response::Error(400, "expected a JSON object {name, scopes, expires_days}");
    auto name = StringField(*body, "name");
    if (!name || name->empty()) return Response::Error(400, "name is required");
    auto scopes_it = body->find("scopes");
    if (scopes_it == body->end() || !scopes_it->is_array() || scopes_it->empty()) {
        return Response::Error(400, "scopes must be a non-empty list of permission names");
    }
    std::vector<std::string> scopes;
    for (const auto& s : *scopes_it) {
        if (!s.is_string()) return Response::Error(400, "scopes must be permission names");
        const std::string scope = s.get<std::string>();
        auto perm = auth::ParsePermission(scope);
        if (!perm) return Response::Error(400, "unknown permission '" + Truncated(scope, 64) + "'");
        // A token never carries more than its owner's role holds.
        if (!auth::Allowed(c.role, *perm)) {
            return Response::Error(403, "your role does not hold '" + scope + "'");
        }
        scopes.push_back(scope);
    }
    int64_t days = 90;
    if (auto it = body->find("expires_days"); it != body->end()) {
        if (!it->is_number_integer())
            return Response::Error(400, "expires_days must be an integer");
        days = it->get<int64_t>();
    }
    if (days < 1 || days > kMaxTokenDays) {
        return Response::Error(400,
                               "expires_days must be from 1 to " + std::to_string(kMaxTokenDays));
    }
    const int64_t now = auth_.Now();
    auto issued = users().IssueToken(c.user_id, *name, scopes, now + days * kNsPerDay, now);
    const std::string object = "token:" + Truncated(*name, 128);
    if (!issued) {
        if (!Audit(c, r, "token.create", object, "failure", issued.error().message)) {
            return AuditUnavailable();
        }
        return StoreError(issued.error(), "issue the token");
    }
    auth::TokenInfo info;
    info.token = issued->token;
    info.user_id = c.user_id;
    info.created_at_ns = now;
    const json info_json = TokenJson(info, c.username);
    if (!Audit(c, r, "token.create", "token:" + issued->token.id, "success", "", "",
               info_json.dump())) {
        return AuditUnavailable();
    }
    return JsonReply(201, json{{"token", issued->plaintext}, {"info", info_json}});
}

Response AdminApi::RevokeToken(const Request& r, const Caller& c) {
    const std::string id = r.path_params.at("id");
    // Find the owner: one's own tokens, or anyone's with tokens.manage_all.
    auto all = users().ListUsers();
    if (!all) return Response::Error(500, "cannot list users");
    std::optional<std::pair<auth::TokenInfo, std::string>> found;
    for (const auto& u : *all) {
        auto tokens = users().ListTokens(u.id);
        if (!tokens) return Response::Error(500, "cannot list tokens");
        for (auto& t : *tokens) {
            if (t.token.id == id) found.emplace(std::move(t), u.username);
        }
    }
    const std::string object = "token:" + Truncated(id, 64);
    const bool own = found && found->first.user_id == c.user_id;
    if (!found || (!own && !auth::Allowed(c.role, auth::Permission::kTokensManageAll))) {
        // Someone else's token is "not found" to those who may not manage it.
        return Response::Error(404, "no such token");
    }
    if (found->first.revoked_at_ns) return Response::Error(409, "the token is already revoked");
    if (auto st = users().RevokeToken(id, auth_.Now()); !st) {
        if (!Audit(c, r, "token.revoke", object, "failure", st.error().message)) {
            return AuditUnavailable();
        }
        return StoreError(st.error(), "revoke the token");
    }
    if (!Audit(c, r, "token.revoke", object, "success", "owner " + found->second,
               TokenJson(found->first, found->second).dump(), "revoked")) {
        return AuditUnavailable();
    }
    return JsonReply(200, json{{"revoked", true}});
}

Response AdminApi::AuditRecords(const Request& r, const Caller&) {
    auto limit = PageLimit(r);
    if (!limit) return Response::Error(400, limit.error().message);
    auto cursor = Cursor(r);
    if (!cursor) return Response::Error(400, cursor.error().message);
    auto since = TimeParam(r, "since");
    if (!since) return Response::Error(400, since.error().message);
    auto until = TimeParam(r, "until");
    if (!until) return Response::Error(400, until.error().message);
    audit::RecordQuery q;
    q.actor = QueryParam(r, "actor");
    q.action = QueryParam(r, "action");
    q.result = QueryParam(r, "result");
    q.object = QueryParam(r, "object");
    q.text = QueryParam(r, "q");
    q.since_ns = *since;
    q.until_ns = *until;
    if (*cursor) q.before_seq = static_cast<uint64_t>(**cursor);
    q.limit = *limit + 1;  // one more tells whether there is a next page
    for (const std::string* v : {&q.actor, &q.action, &q.result, &q.object, &q.text}) {
        if (v->size() > kMaxAuditUsernameBytes) {
            return Response::Error(400, "filter values are limited to " +
                                            std::to_string(kMaxAuditUsernameBytes) + " bytes");
        }
    }
    auto records = audit().Query(q);
    if (!records) return Response::Error(500, "cannot read the audit trail");
    std::optional<int64_t> next;
    if (records->size() > *limit) {
        records->resize(*limit);
        next = static_cast<int64_t>(records->back().seq);
    }
    json items = json::array();
    for (const auto& rec : *records) items.push_back(RecordJson(rec));
    return JsonReply(200, Page(std::move(items), next));
}

Response AdminApi::AuditExport(const Request& r, const Caller& c) {
    std::string format = QueryParam(r, "format");
    if (format.empty()) format = "jsonl";
    if (format != "jsonl" && format != "csv") {
        return Response::Error(400, "format must be jsonl or csv");
    }
    std::ostringstream out;
    Status st = format == "csv" ? audit().ExportCsv(out) : audit().ExportJsonLines(out);
    if (!st) return Response::Error(500, "cannot export the audit trail");
    std::string body = std::move(out).str();
    // The export itself is on the record (after the export, so it describes what was taken).
    if (!Audit(c, r, "audit.export", "audit-trail", "success",
               "format " + format + ", " + std::to_string(body.size()) + " bytes")) {
        return AuditUnavailable();
    }
    Response resp;
    resp.status = 200;
    resp.content_type = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson";
    resp.body = std::move(body);
    resp.headers.emplace_back("Content-Disposition",
                              "attachment; filename=\"vigil-audit." + format + "\"");
    return resp;
}

Response AdminApi::AuditVerify(const Request&, const Caller&) {
    const auto& key = auth_.deps().audit_public_key;
    auto report = audit().Verify(key);
    if (!report) return Response::Error(500, "cannot read the audit trail");
    json findings = json::array();
    for (const auto& f : report->findings) {
        findings.push_back(
            {{"kind", audit::KindName(f.kind)}, {"seq", f.seq}, {"message", f.message}});
    }
    return JsonReply(200, json{{"ok", report->ok},
                               {"records_checked", report->records_checked},
                               {"last_seq", report->last_seq},
                               {"findings", findings},
                               {"findings_omitted", report->findings_omitted},
                               {"key_id", key.key_id()}});
}

Response AdminApi::SystemStatus(const Request&, const Caller&) {
    const int64_t now = auth_.Now();
    json j;
    j["version"] = deps_.version;
    j["started_at"] = TimeJson(deps_.started_at_ns);
    j["uptime_seconds"] = (now - deps_.started_at_ns) / kNsPerSecond;
    j["server"] = {{"bind", deps_.bind},
                   {"port", deps_.port ? deps_.port() : 0},
                   {"tls_min_version", deps_.tls_min_version}};
    auto all = users().ListUsers();
    if (!all) return Response::Error(500, "cannot list users");
    int64_t disabled = 0, mfa = 0;
    for (const auto& u : *all) {
        disabled += u.disabled;
        mfa += u.mfa_enrolled;
    }
    j["users"] = {{"total", all->size()}, {"disabled", disabled}, {"mfa_enrolled", mfa}};
    j["sessions"] = {{"active", auth_.deps().sessions->size()}};
    auto state = audit().StoredState();
    auto count = audit().Count();
    if (!state || !count) return Response::Error(500, "cannot read the audit trail");
    j["audit"] = {{"records", *count},
                  {"last_seq", state->last_seq},
                  {"last_checkpoint_seq", state->last_checkpoint_seq},
                  {"retention_days", deps_.audit_retention_days}};
    struct stat st {};
    j["database"] = {{"engine", "sqlite"},
                     {"size_bytes", ::stat(deps_.state_db_path.c_str(), &st) == 0
                                        ? static_cast<int64_t>(st.st_size)
                                        : int64_t{0}}};
    j["backup"] = nullptr;
    j["ingestion"] = nullptr;
    if (deps_.status_sections) {
        for (auto& [name, text] : deps_.status_sections()) {
            j[name] = json::parse(text, nullptr, false);
        }
    }
    return JsonReply(200, j);
}

Status AdminApi::AddRoutes(api::Router& router, const std::shared_ptr<AdminApi>& self) {
    // Each handler holds the AdminApi, which thus lives as long as the routes.
    auto bind = [&self](auto method) {
        return [self, method](const Request& r, const Caller& c) {
            return (self.get()->*method)(r, c);
        };
    };
    using F = AuthApi::Flags;
    const AuthApi::GuardedRoute routes[] = {
        {"GET", "/api/v1/users", "users.read", F::kFullOnly, bind(&AdminApi::ListUsers),
         "List users (filters: q, role, disabled)"},
        {"POST", "/api/v1/users", "users.write", F::kSessionOnly, bind(&AdminApi::CreateUser),
         "Create a user with a one-time password"},
        {"PATCH", "/api/v1/users/{id}", "users.write", F::kSessionOnly, bind(&AdminApi::UpdateUser),
         "Change a user's display name or disable/enable it"},
        {"PUT", "/api/v1/users/{id}/role", "roles.assign", F::kSessionOnly,
         bind(&AdminApi::SetRole), "Assign a role (never one's own)"},
        {"POST", "/api/v1/users/{id}/reset-password", "users.write", F::kSessionOnly,
         bind(&AdminApi::ResetPassword), "Issue a new one-time password"},
        {"POST", "/api/v1/users/{id}/reset-mfa", "users.write", F::kSessionOnly,
         bind(&AdminApi::ResetMfa), "Remove a user's TOTP enrolment (lost device)"},
        {"GET", "/api/v1/roles", "users.read", F::kFullOnly, bind(&AdminApi::Roles),
         "The roles and the permission matrix"},
        {"GET", "/api/v1/tokens", "tokens.manage_own", F::kFullOnly, bind(&AdminApi::ListTokens),
         "List own API tokens (all=true: everyone's, needs tokens.manage_all)"},
        {"POST", "/api/v1/tokens", "tokens.manage_own", F::kSessionOnly,
         bind(&AdminApi::CreateToken), "Create an API token (shown once)"},
        {"DELETE", "/api/v1/tokens/{id}", "tokens.manage_own", F::kSessionOnly,
         bind(&AdminApi::RevokeToken), "Revoke an API token"},
        {"GET", "/api/v1/audit/records", "audit.read", F::kFullOnly, bind(&AdminApi::AuditRecords),
         "Audit records, newest first (filters: actor, action, result, object, since, until, q)"},
        {"GET", "/api/v1/audit/export", "audit.export", F::kFullOnly, bind(&AdminApi::AuditExport),
         "Export the audit trail (format=jsonl|csv)"},
        {"GET", "/api/v1/audit/verify", "audit.verify", F::kFullOnly, bind(&AdminApi::AuditVerify),
         "Verify the audit hash chain and signed checkpoints"},
        {"GET", "/api/v1/system/status", "system.status", F::kFullOnly,
         bind(&AdminApi::SystemStatus),
         "Version, uptime, users, sessions, audit, database, backup and ingestion state"},
    };
    return auth_.AddGuarded(router, routes);
}

}  // namespace

Status AddAdminRoutes(api::Router& router, AdminApiDeps deps) {
    auto admin = std::make_shared<AdminApi>(std::move(deps));
    return admin->AddRoutes(router, admin);
}

}  // namespace vigil::app
