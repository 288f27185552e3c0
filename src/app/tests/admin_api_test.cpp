// The management API of `vigil serve` over real TLS: the authorisation of every route for every
// role, generated from the permission matrix and the served OpenAPI document; user, role and
// token management; the audit trail viewer, export and verify; system status; bad input.
#include <map>
#include <set>

#include "app/tests/serve_fixture.h"
#include "auth/permissions.h"
#include "store/sqlite_event_store.h"

namespace vigil::app {
namespace {

using namespace vigil::app::serve_testing;  // NOLINT(google-build-using-namespace): the fixture

class AdminApiTest : public ServeTest {
protected:
    // The routes as the served OpenAPI document lists them: method, path, permission.
    struct DocRoute {
        std::string method;
        std::string path;
        std::string permission;
    };
    std::vector<DocRoute> DocumentedRoutes(const Browser& b) {
        HttpReply r = Get("/api/v1/openapi.json", &b);
        EXPECT_EQ(r.status, 200) << r.body;
        std::vector<DocRoute> out;
        const json doc = Json(r);
        for (auto& [path, ops] : doc["paths"].items()) {
            for (auto& [method, op] : ops.items()) {
                std::string m = method;
                for (auto& c : m) c = static_cast<char>(std::toupper(c));
                out.push_back({m, path, op["x-permission"].get<std::string>()});
            }
        }
        return out;
    }
    static std::string Fill(std::string path, const std::string& id) {
        const size_t open = path.find('{');
        if (open == std::string::npos) return path;
        return path.replace(open, path.find('}') - open + 1, id);
    }
    static std::string Message(const HttpReply& r) {
        json j = Json(r);
        return j.contains("error") ? j["error"].value("message", "") : "";
    }
};

// Issue 3, must-show 2: every route x every role, expected from the matrix; the permission
// check is the router's ("role 'x' lacks permission 'y'"), so a 403 for any other reason (own
// account, CSRF) does not count as the matrix denying.
TEST_F(AdminApiTest, EveryRouteForEveryRoleFollowsThePermissionMatrix) {
    std::map<auth::Role, Browser> sessions;
    for (auth::Role role : auth::AllRoles()) {
        sessions[role] = FullSession("u-" + std::string(auth::RoleName(role)), role);
    }
    // A throwaway target for {id} routes.
    Browser target = FullSession("target", auth::Role::kViewer);
    HttpReply me = Get("/api/v1/auth/me", &target);
    const std::string target_id = std::to_string(Json(me)["id"].get<int64_t>());

    const auto routes = DocumentedRoutes(sessions[auth::Role::kViewer]);
    ASSERT_GE(routes.size(), 20u);
    size_t checked = 0;
    for (auth::Role role : auth::AllRoles()) {
        const Browser& b = sessions[role];
        for (const DocRoute& route : routes) {
            if (route.path == "/api/v1/auth/logout") continue;  // last, below
            const std::string path = Fill(route.path, target_id);
            HttpReply r = Send(route.method, path, route.method == "GET" ? "" : "{}", &b);
            const bool matrix_denied =
                r.status == 403 && Message(r).find("lacks permission") != std::string::npos;
            const bool expect_allowed =
                route.permission == "public" || auth::Allowed(role, route.permission);
            EXPECT_EQ(!matrix_denied, expect_allowed)
                << auth::RoleName(role) << " " << route.method << " " << path << " -> " << r.status
                << " " << r.body;
            EXPECT_NE(r.status, 401) << auth::RoleName(role) << " " << path;
            EXPECT_LT(r.status, 500) << auth::RoleName(role) << " " << path << " " << r.body;
            ++checked;
        }
        EXPECT_EQ(Send("POST", "/api/v1/auth/logout", "{}", &b).status, 200);
    }
    EXPECT_EQ(checked, (routes.size() - 1) * auth::AllRoles().size());
}

// The OpenAPI document is built from the route table; this checks the served document against
// the table the server dispatches on, both ways, with each route's permission.
TEST_F(AdminApiTest, OpenApiDocumentsEveryServedRouteAndNothingElse) {
    Browser viewer = FullSession("watcher", auth::Role::kViewer);
    const auto documented = DocumentedRoutes(viewer);
    std::set<std::string> doc, served;
    for (const auto& d : documented) doc.insert(d.method + " " + d.path + " " + d.permission);
    for (const api::Route& r : app_->routes()) {
        served.insert(r.method + " " + r.path + " " + r.permission);
    }
    EXPECT_EQ(doc, served);
    EXPECT_GE(served.size(), 22u);
}

// Oversized, malformed and garbage requests on the real server: clear 4xx, and it keeps serving.
TEST_F(AdminApiTest, OversizedAndMalformedRequestsAre4xxAndTheServerStaysUp) {
    Browser admin = FullSession("boss", auth::Role::kAdministrator);
    // A body over the limit is refused from its Content-Length, before it is read.
    HttpReply r = Send("POST", "/api/v1/users", "", &admin, true,
                       "Content-Type: application/json\r\nContent-Length: 2097152\r\n");
    EXPECT_EQ(r.status, 413) << r.body;
    r = Send("GET", "/api/v1/users", "", &admin, true,
             "X-Filler: " + std::string(64 * 1024, 'h') + "\r\n");
    EXPECT_EQ(r.status, 431);
    for (const std::string& raw :
         {std::string("GARBAGE\r\n\r\n"), std::string("GET /api/v1/users HTTP/9.9\r\n\r\n"),
          std::string("GET /api/v1/users HTTP/1.1\r\nContent-Length: -5\r\n\r\n"),
          std::string("\x16\x03\x01\x00\x05hello\r\n\r\n")}) {
        auto out = TlsExchange(app_->port(), Cert(), raw);
        if (out) {
            HttpReply reply = ParseReply(*out);
            EXPECT_GE(reply.status, 400) << raw;
            EXPECT_LT(reply.status, 500) << raw;
        }
    }
    // Invalid UTF-8 and a NUL inside JSON strings are refused or kept as data, never a 500.
    r = Send("POST", "/api/v1/users", "{\"username\":\"a\xff\xfe\",\"role\":\"viewer\"}", &admin);
    EXPECT_EQ(r.status, 400) << r.body;
    r = Send("POST", "/api/v1/users", R"({"username":"a\u0000b","role":"viewer"})", &admin);
    EXPECT_EQ(r.status, 400) << r.body;
    r = Send("POST", "/api/v1/users", "{\"a\":" + std::string(5000, '[') + "}", &admin);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Get("/api/v1/health").status, 200);
    EXPECT_EQ(Get("/api/v1/users", &admin).status, 200);
}

// ... and without credentials only sign-in and the liveness check answer.
TEST_F(AdminApiTest, UnauthenticatedCallersReachOnlySignInAndHealth) {
    Browser viewer = FullSession("watcher", auth::Role::kViewer);
    const auto routes = DocumentedRoutes(viewer);
    for (const DocRoute& route : routes) {
        HttpReply r =
            Send(route.method, Fill(route.path, "1"), route.method == "GET" ? "" : "{}", nullptr);
        if (route.path == "/api/v1/auth/login") {
            EXPECT_EQ(r.status, 400) << r.body;  // reached: the body lacks the fields
        } else if (route.path == "/api/v1/health") {
            EXPECT_EQ(r.status, 200);
            EXPECT_EQ(r.body, R"({"status":"ok"})");  // liveness only, nothing about the system
        } else {
            EXPECT_EQ(r.status, 401) << route.method << " " << route.path << " " << r.body;
        }
    }
    // A forged cookie and a forged token are no better.
    Browser forged{std::string(64, 'f'), std::string(64, 'a')};
    EXPECT_EQ(Get("/api/v1/users", &forged).status, 401);
    EXPECT_EQ(Send("GET", "/api/v1/users", "", nullptr, true,
                   "Authorization: Bearer vgl_forged_0000000000000000\r\n")
                  .status,
              401);
}

TEST_F(AdminApiTest, AdministratorManagesUsersAndEveryChangeIsAudited) {
    Browser admin = FullSession("boss", auth::Role::kAdministrator);
    HttpReply r = Send(
        "POST", "/api/v1/users",
        json{{"username", "carol"}, {"role", "analyst"}, {"display_name", "Carol"}}.dump(), &admin);
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string otp = Json(r)["one_time_password"];
    const int64_t carol_id = Json(r)["user"]["id"];
    EXPECT_EQ(Json(r)["user"]["must_change_password"], true);
    // The one-time password works once, for the password change.
    r = Login("carol", otp);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(Json(r)["must_change_password"], true);

    // Duplicate names, unknown roles and missing fields are 4xx with the reason.
    EXPECT_EQ(Send("POST", "/api/v1/users", json{{"username", "CAROL"}, {"role", "analyst"}}.dump(),
                   &admin)
                  .status,
              409);
    r = Send("POST", "/api/v1/users", json{{"username", "dave"}, {"role", "root"}}.dump(), &admin);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(Message(r).find("unknown role"), std::string::npos);
    EXPECT_EQ(Send("POST", "/api/v1/users", "{}", &admin).status, 400);

    const std::string carol = "/api/v1/users/" + std::to_string(carol_id);
    r = Send("PUT", carol + "/role", json{{"role", "responder"}}.dump(), &admin);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r)["user"]["role"], "responder");
    r = Send("PATCH", carol, json{{"disabled", true}}.dump(), &admin);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r)["user"]["disabled"], true);
    EXPECT_EQ(Login("carol", otp).status, 401);  // disabled
    r = Send("PATCH", carol, json{{"disabled", false}, {"display_name", "Carol Z"}}.dump(), &admin);
    EXPECT_EQ(r.status, 200);
    r = Send("POST", carol + "/reset-password", "", &admin);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Login("carol", Json(r)["one_time_password"]).status, 200);
    EXPECT_EQ(Send("POST", carol + "/reset-mfa", "", &admin).status, 200);

    // Separation of duties: not on one's own account.
    HttpReply me = Get("/api/v1/auth/me", &admin);
    const std::string self = "/api/v1/users/" + std::to_string(Json(me)["id"].get<int64_t>());
    r = Send("PUT", self + "/role", json{{"role", "auditor"}}.dump(), &admin);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(Send("PATCH", self, json{{"disabled", true}}.dump(), &admin).status, 403);
    EXPECT_EQ(Send("POST", self + "/reset-password", "", &admin).status, 403);
    EXPECT_EQ(
        Send("PUT", "/api/v1/users/999999/role", json{{"role", "viewer"}}.dump(), &admin).status,
        404);
    EXPECT_EQ(Send("PUT", "/api/v1/users/abc/role", json{{"role", "viewer"}}.dump(), &admin).status,
              400);

    // Every change: who, what, object, before/after, source IP, result.
    size_t creates = 0, grants = 0, denied = 0;
    for (const auto& rec : AuditRecords()) {
        if (rec.action == "user.create" && rec.object == "user:carol") {
            ++creates;
            EXPECT_EQ(rec.actor, "boss");
            EXPECT_EQ(rec.source_ip, "127.0.0.1");
            EXPECT_NE(rec.after.find("\"analyst\""), std::string::npos);
            EXPECT_EQ(rec.after.find(otp), std::string::npos) << "a password in the audit trail";
        }
        if (rec.action == "role.assign" && rec.result == "success") {
            ++grants;
            EXPECT_EQ(rec.before, "analyst");
            EXPECT_EQ(rec.after, "responder");
        }
        if (rec.action == "role.assign" && rec.result == "denied") ++denied;
    }
    EXPECT_EQ(creates, 1u);
    EXPECT_EQ(grants, 1u);
    EXPECT_EQ(denied, 1u);
    EXPECT_EQ(CountAudit("user.disable", "boss", "success"), 1u);
    EXPECT_EQ(CountAudit("user.enable", "boss", "success"), 1u);
    EXPECT_EQ(CountAudit("user.reset_password", "boss", "success"), 1u);
    EXPECT_EQ(CountAudit("user.reset_mfa", "boss", "success"), 1u);
}

TEST_F(AdminApiTest, RoleChangeEndsTheSessionsOfThatUser) {
    Browser admin = FullSession("boss", auth::Role::kAdministrator);
    Browser analyst = FullSession("ann", auth::Role::kAnalyst);
    HttpReply me = Get("/api/v1/auth/me", &analyst);
    ASSERT_EQ(me.status, 200);
    const std::string id = std::to_string(Json(me)["id"].get<int64_t>());
    ASSERT_EQ(Send("PUT", "/api/v1/users/" + id + "/role", json{{"role", "viewer"}}.dump(), &admin)
                  .status,
              200);
    EXPECT_EQ(Get("/api/v1/auth/me", &analyst).status, 401);
}

TEST_F(AdminApiTest, TokensAreShownOnceScopedToTheRoleAndRevocable) {
    Browser analyst = FullSession("ann", auth::Role::kAnalyst);
    // More than the role holds is refused.
    HttpReply r = Send(
        "POST", "/api/v1/tokens",
        json{{"name", "x"}, {"scopes", {"users.write"}}, {"expires_days", 30}}.dump(), &analyst);
    EXPECT_EQ(r.status, 403) << r.body;
    r = Send("POST", "/api/v1/tokens", json{{"name", "x"}, {"scopes", {"nope.never"}}}.dump(),
             &analyst);
    EXPECT_EQ(r.status, 400);
    r = Send("POST", "/api/v1/tokens",
             json{{"name", "x"}, {"scopes", {"alerts.read"}}, {"expires_days", 9999}}.dump(),
             &analyst);
    EXPECT_EQ(r.status, 400);

    r = Send(
        "POST", "/api/v1/tokens",
        json{{"name", "siem-pull"}, {"scopes", {"system.status"}}, {"expires_days", 30}}.dump(),
        &analyst);
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string token = Json(r)["token"];
    const std::string token_id = Json(r)["info"]["id"];
    const std::string bearer = "Authorization: Bearer " + token + "\r\n";
    EXPECT_EQ(Send("GET", "/api/v1/system/status", "", nullptr, true, bearer).status, 200);
    // Within the scope only, and a token cannot mint tokens.
    EXPECT_EQ(Send("GET", "/api/v1/tokens", "", nullptr, true, bearer).status, 403);

    r = Get("/api/v1/tokens", &analyst);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(Json(r)["items"].size(), 1u);
    EXPECT_EQ(Json(r)["items"][0]["name"], "siem-pull");
    EXPECT_EQ(r.body.find(token), std::string::npos) << "the secret is shown once only";
    EXPECT_EQ(Get("/api/v1/tokens?all=true", &analyst).status, 403);

    // Another user's token does not exist for the analyst; the administrator may revoke it.
    Browser admin = FullSession("boss", auth::Role::kAdministrator);
    r = Get("/api/v1/tokens?all=true", &admin);
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("\"siem-pull\""), std::string::npos);
    Browser viewer = FullSession("vic", auth::Role::kViewer);
    EXPECT_EQ(Send("DELETE", "/api/v1/tokens/" + token_id, "", &viewer).status, 404);
    EXPECT_EQ(Send("DELETE", "/api/v1/tokens/" + token_id, "", &analyst).status, 200);
    EXPECT_EQ(Send("DELETE", "/api/v1/tokens/" + token_id, "", &analyst).status, 409);
    EXPECT_EQ(Send("GET", "/api/v1/system/status", "", nullptr, true, bearer).status, 401);
    EXPECT_EQ(CountAudit("token.create", "ann", "success"), 1u);
    EXPECT_EQ(CountAudit("token.revoke", "ann", "success"), 1u);
}

TEST_F(AdminApiTest, AuditViewerFiltersPagesAndOnlyTheAuditorExports) {
    Browser auditor = FullSession("audra", auth::Role::kAuditor);
    Browser manager = FullSession("max", auth::Role::kSecurityManager);
    for (int i = 0; i < 5; ++i) (void)Login("alice", "wrong-password-" + std::to_string(i));

    HttpReply r = Get("/api/v1/audit/records?actor=alice&result=failure&limit=2", &auditor);
    ASSERT_EQ(r.status, 200) << r.body;
    json page = Json(r);
    ASSERT_EQ(page["items"].size(), 2u);
    EXPECT_EQ(page["items"][0]["actor"], "alice");
    EXPECT_GT(page["items"][0]["seq"], page["items"][1]["seq"]);  // newest first
    std::set<uint64_t> seen;
    for (int pages = 0; pages < 10 && !page["next_cursor"].is_null(); ++pages) {
        for (const auto& item : page["items"]) seen.insert(item["seq"].get<uint64_t>());
        r = Get("/api/v1/audit/records?actor=alice&result=failure&limit=2&cursor=" +
                    page["next_cursor"].get<std::string>(),
                &auditor);
        ASSERT_EQ(r.status, 200) << r.body;
        page = Json(r);
    }
    for (const auto& item : page["items"]) seen.insert(item["seq"].get<uint64_t>());
    EXPECT_EQ(seen.size(), 5u);

    r = Get("/api/v1/audit/records?action=auth.&q=wrong%20password&limit=500", &manager);
    ASSERT_EQ(r.status, 200) << r.body;
    r = Get("/api/v1/audit/records?since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z",
            &auditor);
    EXPECT_EQ(r.status, 200);
    EXPECT_FALSE(Json(r)["items"].empty());

    // Export: the auditor alone; the security manager reads but does not export.
    EXPECT_EQ(Get("/api/v1/audit/export", &manager).status, 403);
    r = Get("/api/v1/audit/export?format=csv", &auditor);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("Content-Type"), "text/csv; charset=utf-8");
    EXPECT_NE(r.Header("Content-Disposition").find("vigil-audit.csv"), std::string::npos);
    r = Get("/api/v1/audit/export", &auditor);
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("\"auth.login\""), std::string::npos);
    EXPECT_EQ(CountAudit("audit.export", "audra", "success"), 2u);
    EXPECT_EQ(Get("/api/v1/audit/export?format=xml", &auditor).status, 400);

    r = Get("/api/v1/audit/verify", &auditor);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(Json(r)["ok"], true) << r.body;
}

// Issue 3, must-show 6: SQL metacharacters in every filter are data, bad values are 400s with
// the reason, and the server keeps serving.
TEST_F(AdminApiTest, HostileFilterValuesAreDataAndBadValuesAre400) {
    Browser auditor = FullSession("audra", auth::Role::kAuditor);
    Browser admin = FullSession("boss", auth::Role::kAdministrator);
    const std::vector<std::string> hostile = {"%27%20OR%201%3D1--",
                                              "%22%3B%20DROP%20TABLE%20audit_records%3B--",
                                              "%25",
                                              "___",
                                              "%5C",
                                              "a%27)%20UNION%20SELECT%20*%20FROM%20users--"};
    for (const std::string& v : hostile) {
        for (const char* key : {"actor", "action", "result", "object", "q"}) {
            HttpReply r = Get("/api/v1/audit/records?" + std::string(key) + "=" + v, &auditor);
            EXPECT_EQ(r.status, 200) << key << "=" << v << " " << r.body;
            EXPECT_TRUE(Json(r)["items"].empty()) << key << "=" << v << " " << r.body;
        }
        HttpReply r = Get("/api/v1/users?q=" + v, &admin);
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_TRUE(Json(r)["items"].empty()) << v;
    }
    // The tables are all still there.
    EXPECT_EQ(Json(Get("/api/v1/audit/verify", &auditor))["ok"], true);
    EXPECT_FALSE(Json(Get("/api/v1/users", &admin))["items"].empty());

    for (const char* bad : {"limit=0", "limit=501", "limit=abc", "cursor=-1", "cursor=x",
                            "since=yesterday", "until=2026-13-45"}) {
        HttpReply r = Get(std::string("/api/v1/audit/records?") + bad, &auditor);
        EXPECT_EQ(r.status, 400) << bad;
        EXPECT_FALSE(Message(r).empty()) << bad;
    }
    EXPECT_EQ(Get("/api/v1/users?role=superuser", &admin).status, 400);
    EXPECT_EQ(Get("/api/v1/users?disabled=maybe", &admin).status, 400);
    EXPECT_EQ(Get("/api/v1/audit/records?actor=" + std::string(300, 'a'), &auditor).status, 400);

    // Malformed JSON, wrong JSON types, wrong content type.
    EXPECT_EQ(Send("POST", "/api/v1/users", "{\"username\":", &admin).status, 400);
    EXPECT_EQ(Send("POST", "/api/v1/users", "[1,2,3]", &admin).status, 400);
    EXPECT_EQ(Send("POST", "/api/v1/users", R"({"username":7,"role":[]})", &admin).status, 400);
    EXPECT_EQ(Send("PATCH", "/api/v1/users/1", R"({"disabled":"yes"})", &admin).status, 400);
    EXPECT_EQ(Send("POST", "/api/v1/users", "username=x", &admin, true,
                   "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n")
                  .status,
              415);
    EXPECT_EQ(Get("/api/v1/health").status, 200);
}

TEST_F(AdminApiTest, SystemStatusAndRolesDescribeThePlatform) {
    Browser viewer = FullSession("vic", auth::Role::kViewer);
    HttpReply r = Get("/api/v1/system/status", &viewer);
    ASSERT_EQ(r.status, 200) << r.body;
    json s = Json(r);
    EXPECT_FALSE(s["version"].get<std::string>().empty());
    EXPECT_EQ(s["server"]["port"], app_->port());
    EXPECT_EQ(s["server"]["tls_min_version"], "1.3");
    EXPECT_GE(s["users"]["total"].get<int>(), 5);
    EXPECT_GE(s["sessions"]["active"].get<int>(), 1);
    EXPECT_GT(s["audit"]["records"].get<int>(), 0);
    EXPECT_EQ(s["audit"]["retention_days"], 180);
    EXPECT_GT(s["database"]["size_bytes"].get<int64_t>(), 0);

    EXPECT_EQ(Get("/api/v1/roles", &viewer).status, 403);
    Browser admin = FullSession("boss", auth::Role::kAdministrator);
    r = Get("/api/v1/roles", &admin);
    ASSERT_EQ(r.status, 200);
    json roles = Json(r)["roles"];
    ASSERT_EQ(roles.size(), auth::AllRoles().size());
    for (const auto& role : roles) {
        const bool exports = std::find(role["permissions"].begin(), role["permissions"].end(),
                                       "audit.export") != role["permissions"].end();
        EXPECT_EQ(exports, role["name"] == "auditor") << role["name"];
    }
    r = Get("/api/v1/auth/me", &admin);
    json perms = Json(r)["permissions"];
    EXPECT_NE(std::find(perms.begin(), perms.end(), "users.write"), perms.end());
    EXPECT_EQ(std::find(perms.begin(), perms.end(), "audit.export"), perms.end());
}

TEST_F(AdminApiTest, AuditRetentionIsEnforcedAtStartAndTheTrailStillVerifies) {
    (void)Login("alice", "wrong-password-1");
    Restart();  // the stop signs the head: a checkpoint the cut can end at
    now_ += int64_t{200} * 86400 * kSecond;
    Restart();
    auto records = AuditRecords();
    ASSERT_FALSE(records.empty());
    // Cut at the checkpoint the first stop signed: the records before it are gone.
    EXPECT_GT(records.front().seq, 1u);
    for (const auto& r : records) EXPECT_NE(r.action, "auth.login") << r.seq;
    EXPECT_EQ(CountAudit("audit.retention", "system", "success"), 1u);
    Browser auditor = FullSession("audra", auth::Role::kAuditor);
    HttpReply r = Get("/api/v1/audit/verify", &auditor);
    EXPECT_EQ(Json(r)["ok"], true) << r.body;
}

TEST_F(AdminApiTest, DetectionsOlderThanTheRetentionAreDeletedAndAudited) {
    app_.reset();
    {
        auto store = store::SqliteEventStore::Open(dir_);
        ASSERT_TRUE(store) << store.error().message;
        std::vector<store::Detection> ds(2);
        for (auto& d : ds) {
            d.rule_id = "rule";
            d.rule_title = "Brute force";
            d.level = "high";
        }
        ds[0].time_ns = kStart;                                   // 200 days old after the jump
        ds[1].time_ns = kStart + int64_t{150} * 86400 * kSecond;  // 50 days old
        ASSERT_TRUE((*store)->AppendDetections(ds));
    }
    now_ += int64_t{200} * 86400 * kSecond;
    Restart();  // retention runs at start
    store::OpenEventStoreOptions read_only;
    read_only.read_only = true;
    auto store = store::SqliteEventStore::Open(dir_, read_only);
    ASSERT_TRUE(store);
    store::DetectionQuery q;
    q.limit = 10;
    auto page = (*store)->ListDetections(q);
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_EQ(page->detections.size(), 1u);
    EXPECT_EQ(page->detections[0].time_ns, kStart + int64_t{150} * 86400 * kSecond);
    EXPECT_EQ(CountAudit("detections.retention", "system", "success"), 1u);
}

}  // namespace
}  // namespace vigil::app
