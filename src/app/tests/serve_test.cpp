// `vigil serve` end to end over real TLS on 127.0.0.1: a data directory from InitDataDir (what
// `vigil init` does, with small argon2 parameters), the App started on an ephemeral port with an
// injected clock, and a plain OpenSSL client.
#include "app/data_dir_lock.h"
#include "app/tests/serve_fixture.h"

namespace vigil::app {
namespace {

using namespace vigil::app::serve_testing;  // NOLINT(google-build-using-namespace): the fixture

TEST_F(ServeTest, HealthOverTls13) {
    HttpReply r = Get("/api/v1/health");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(Json(r), json({{"status", "ok"}}));
    auto tls12 = TlsExchange(app_->port(), Cert(), "GET /api/v1/health HTTP/1.1\r\n\r\n",
                             api::testing::kTls12, api::testing::kTls12);
    EXPECT_FALSE(tls12.has_value()) << "a TLS 1.2 handshake must be refused";
}

TEST_F(ServeTest, WrongPasswordIs401AndAudited) {
    HttpReply r = Login("alice", "Wrong-Password-9");
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.Header("Set-Cookie"), "");
    r = Login("nobody", "Wrong-Password-9");
    EXPECT_EQ(r.status, 401) << r.body;
    r = Login("alice", std::string(2000, 'x'));  // over the password length limit
    EXPECT_EQ(r.status, 401) << r.body;
    r = Send("POST", "/api/v1/auth/login", R"({"username":"alice"})", nullptr);
    EXPECT_EQ(r.status, 400) << r.body;

    bool found = false;
    for (const auto& rec : AuditRecords()) {
        EXPECT_EQ(rec.detail.find("Wrong-Password-9"), std::string::npos) << "password in audit";
        EXPECT_EQ(rec.after.find("Wrong-Password-9"), std::string::npos);
        if (rec.action == "auth.login" && rec.actor == "alice" && rec.result == "failure") {
            EXPECT_EQ(rec.source_ip, "127.0.0.1");
            found = true;
        }
    }
    EXPECT_TRUE(found);
    EXPECT_EQ(CountAudit("auth.login", "nobody", "failure"), 1u);
    EXPECT_EQ(CountAudit("auth.login", "alice", "failure"), 3u);
}

TEST_F(ServeTest, RepeatedFailuresLockTheAccountOut) {
    int status = 0;
    int attempts = 0;
    HttpReply r;
    while (attempts < 10) {
        ++attempts;
        r = Login("bob", "Wrong-Password-9");
        status = r.status;
        if (status != 401) break;
    }
    EXPECT_EQ(status, 429) << r.body;
    EXPECT_LE(attempts, 7);
    EXPECT_FALSE(r.Header("Retry-After").empty());
    // While locked, even the right password is not checked.
    r = Login("bob", kBobInitial);
    EXPECT_EQ(r.status, 429);
    EXPECT_GE(CountAudit("auth.login", "bob", "failure"), static_cast<size_t>(attempts + 1));
    // After the delay the right password works again.
    now_ += 20 * 60 * kSecond;
    r = Login("bob", kBobInitial);
    EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(ServeTest, OneTimePasswordMustBeChangedFirst) {
    HttpReply r = Login("alice", kAliceInitial);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r)["must_change_password"], true);
    const std::string set_cookie = r.Header("Set-Cookie");
    EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(set_cookie.find("Secure"), std::string::npos);
    EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
    EXPECT_NE(set_cookie.find("Path=/"), std::string::npos);
    Browser limited = BrowserFrom(r);
    ASSERT_EQ(limited.cookie.size(), 64u);
    ASSERT_EQ(limited.csrf.size(), 64u);

    r = Get("/api/v1/auth/me", &limited);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r)["session_limit"], "password_change");
    r = Send("POST", "/api/v1/auth/totp/enroll", "{}", &limited);
    EXPECT_EQ(r.status, 403) << r.body;

    // The policy's reason comes back.
    r = Send("POST", "/api/v1/auth/password", json{{"old", kAliceInitial}, {"new", "short"}}.dump(),
             &limited);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("too short"), std::string::npos) << r.body;
    r = Send("POST", "/api/v1/auth/password",
             json{{"old", kAliceInitial}, {"new", "Brand-New-Pass-42"}}.dump(), &limited);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(CountAudit("auth.password_change", "alice", "failure"), 1u);
    EXPECT_EQ(CountAudit("auth.password_change", "alice", "success"), 1u);
    // The change ended the session.
    EXPECT_EQ(Get("/api/v1/auth/me", &limited).status, 401);

    r = Login("alice", "Brand-New-Pass-42");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r)["user"], "alice");
    EXPECT_EQ(Json(r)["role"], "viewer");
    EXPECT_FALSE(Json(r).contains("must_change_password"));
    Browser full = BrowserFrom(r);
    r = Get("/api/v1/auth/me", &full);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(Json(r)["session_limit"], "none");
    EXPECT_EQ(CountAudit("auth.login", "alice", "success"), 2u);
}

TEST_F(ServeTest, AdministratorMustEnrolAndThenUseTotp) {
    Browser b = SignInFirstTime("admin", admin_otp_, "Boss-Chosen-Pass-7");
    HttpReply r = Get("/api/v1/auth/me", &b);
    EXPECT_EQ(Json(r)["session_limit"], "mfa_enrolment") << r.body;
    // Nothing but the enrolment until a second factor is confirmed.
    EXPECT_EQ(Get("/api/v1/users", &b).status, 403);

    r = Send("POST", "/api/v1/auth/totp/enroll", "{}", &b);
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string secret_b32 = Json(r)["secret"];
    EXPECT_EQ(Json(r)["otpauth_uri"].get<std::string>().rfind("otpauth://totp/", 0), 0u);
    auto secret = auth::Base32Decode(secret_b32);
    ASSERT_TRUE(secret);

    r = Send("POST", "/api/v1/auth/totp/confirm", json{{"code", "000000"}}.dump(), &b);
    EXPECT_EQ(r.status, 400) << r.body;
    auto code = auth::Totp(*secret, now_ / kSecond);
    ASSERT_TRUE(code);
    if (*code == "000000") GTEST_SKIP() << "the wrong code happened to be right";
    r = Send("POST", "/api/v1/auth/totp/confirm", json{{"code", *code}}.dump(), &b);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r)["login_required"], true);
    EXPECT_EQ(CountAudit("auth.totp_enroll", "admin", "success"), 1u);
    EXPECT_EQ(CountAudit("auth.totp_confirm", "admin", "failure"), 1u);
    EXPECT_EQ(CountAudit("auth.totp_confirm", "admin", "success"), 1u);

    // The password alone is no longer enough.
    r = Login("admin", "Boss-Chosen-Pass-7");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(Json(r)["mfa_required"], true);
    EXPECT_EQ(r.Header("Set-Cookie"), "");
    // The confirmation code cannot be replayed.
    r = Login("admin", "Boss-Chosen-Pass-7", *code);
    EXPECT_EQ(r.status, 401);

    now_ += 60 * kSecond;
    auto fresh = auth::Totp(*secret, now_ / kSecond);
    ASSERT_TRUE(fresh);
    r = Login("admin", "Boss-Chosen-Pass-7", *fresh);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r)["role"], "administrator");
    Browser full = BrowserFrom(r);
    r = Get("/api/v1/users", &full);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r)["items"].size(), 4u);
    EXPECT_EQ(r.body.find("phc"), std::string::npos);
}

TEST_F(ServeTest, StateChangesNeedTheCsrfTokenAndLogoutEndsTheSession) {
    Browser b = SignInFirstTime("alice", kAliceInitial, "Brand-New-Pass-42");
    HttpReply r = Send("POST", "/api/v1/auth/logout", "{}", &b, /*with_csrf=*/false);
    EXPECT_EQ(r.status, 403) << r.body;
    Browser wrong = b;
    wrong.csrf = std::string(64, 'a');
    EXPECT_EQ(Send("POST", "/api/v1/auth/logout", "{}", &wrong).status, 403);
    EXPECT_EQ(Get("/api/v1/auth/me", &b).status, 200);  // GET needs no token

    r = Send("POST", "/api/v1/auth/logout", "{}", &b);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.Header("Set-Cookie").find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(Get("/api/v1/auth/me", &b).status, 401);
    EXPECT_EQ(CountAudit("auth.logout", "alice", "success"), 1u);
}

TEST_F(ServeTest, SessionsExpireWhenIdle) {
    Browser b = SignInFirstTime("alice", kAliceInitial, "Brand-New-Pass-42");
    now_ += 29 * 60 * kSecond;
    EXPECT_EQ(Get("/api/v1/auth/me", &b).status, 200);
    now_ += 31 * 60 * kSecond;
    EXPECT_EQ(Get("/api/v1/auth/me", &b).status, 401);
}

// A page refreshing itself (the sources page every 5 s) says so, and does not keep an
// unattended session signed in.
TEST_F(ServeTest, APagesOwnRefreshesDoNotKeepASessionAlive) {
    Browser b = SignInFirstTime("alice", kAliceInitial, "Brand-New-Pass-42");
    for (int i = 0; i < 5; ++i) {
        now_ += 10 * 60 * kSecond;
        const int status =
            Send("GET", "/api/v1/auth/me", "", &b, true, "X-Vigil-Refresh: 1\r\n").status;
        EXPECT_EQ(status, i < 2 ? 200 : 401) << "after " << (i + 1) * 10 << " minutes";
    }
}

TEST_F(ServeTest, ViewerCannotVerifyTheAuditTrailAuditorCan) {
    Browser viewer = SignInFirstTime("alice", kAliceInitial, "Brand-New-Pass-42");
    EXPECT_EQ(Get("/api/v1/audit/verify", &viewer).status, 403);
    EXPECT_EQ(Get("/api/v1/users", &viewer).status, 403);

    Browser auditor = SignInFirstTime("audrey", kAudreyInitial, "Audit-Chosen-Pass-3");
    HttpReply r = Get("/api/v1/audit/verify", &auditor);
    ASSERT_EQ(r.status, 200) << r.body;
    json report = Json(r);
    EXPECT_EQ(report["ok"], true) << r.body;
    EXPECT_GE(report["records_checked"].get<int>(), 5);
    EXPECT_EQ(report["findings"].size(), 0u);
    EXPECT_EQ(report["key_id"], public_key_->key_id());
    EXPECT_EQ(Get("/api/v1/users", &auditor).status, 200);  // users.read
}

TEST_F(ServeTest, ApiTokenActsWithinItsScopes) {
    const std::string bearer = "Authorization: Bearer " + token_ + "\r\n";
    HttpReply r = Send("GET", "/api/v1/audit/verify", "", nullptr, false, bearer);
    EXPECT_EQ(r.status, 200) << r.body;
    // The auditor's role holds users.read, the token's scopes do not.
    r = Send("GET", "/api/v1/users", "", nullptr, false, bearer);
    EXPECT_EQ(r.status, 403) << r.body;
    r = Send("GET", "/api/v1/audit/verify", "", nullptr, false,
             "Authorization: Bearer vgl_0000000000000000_aaaa\r\n");
    EXPECT_EQ(r.status, 401);
    // Tokens cannot drive the browser-only routes.
    r = Send("POST", "/api/v1/auth/password", json{{"old", "x"}, {"new", "y"}}.dump(), nullptr,
             false, bearer);
    EXPECT_EQ(r.status, 403);
}

TEST_F(ServeTest, AuditChainVerifiesAfterAllFlowsAndStop) {
    Login("alice", "Wrong-Password-9");
    Browser b = SignInFirstTime("alice", kAliceInitial, "Brand-New-Pass-42");
    Send("POST", "/api/v1/auth/logout", "{}", &b);
    app_->Stop();

    auto db = store::Database::Open(dir_ / "state.db");
    ASSERT_TRUE(db);
    auto log = audit::SqliteAuditLog::Open(*db);
    ASSERT_TRUE(log);
    auto report = log->Verify(*public_key_);
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->ok);
    EXPECT_TRUE(report->findings.empty());
    auto records = AuditRecords();
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(records.front().action, "system.init");
    EXPECT_EQ(records[2].action, "config.change");  // the configuration of the first start
    EXPECT_EQ(records[3].action, "server.start");
    EXPECT_EQ(records.back().action, "server.stop");
    auto checkpoints = log->Checkpoints();
    ASSERT_TRUE(checkpoints);
    ASSERT_FALSE(checkpoints->empty());
    EXPECT_EQ(checkpoints->back().seq, records.back().seq) << "the head is signed at stop";
}

TEST(ServeStartTest, MissingDataDirectoryFailsWithTheStep) {
    ServeOptions o;
    o.data_dir = "/nonexistent/vigil-data";
    App app(o);
    auto st = app.Start();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().message.rfind("loading the configuration: ", 0), 0u) << st.error().message;
    EXPECT_EQ(app.port(), 0);
}

}  // namespace
}  // namespace vigil::app

namespace vigil::app {
namespace {

using namespace vigil::app::serve_testing;  // NOLINT(google-build-using-namespace): the fixture

TEST_F(ServeTest, AnEditedConfigurationIsAnAuditRecordAtTheNextStart) {
    EXPECT_EQ(CountAudit("config.change", "system", "success"), 1u);  // the first start
    Restart();
    EXPECT_EQ(CountAudit("config.change", "system", "success"), 1u);  // unchanged
    {
        std::ofstream out(dir_ / "vigil.yml", std::ios::app);
        out << "# reviewed by the CISO, ticket 42\n";
    }
    Restart();
    size_t changes = 0;
    for (const auto& r : AuditRecords()) {
        if (r.action != "config.change") continue;
        ++changes;
        if (changes == 2) {
            EXPECT_FALSE(r.before.empty());
            EXPECT_NE(r.before, r.after);
        }
    }
    EXPECT_EQ(changes, 2u);
}

// While serve runs, nothing else (restore, keys rotate, a second serve) takes the directory.
TEST_F(ServeTest, ARunningServerHoldsTheDataDirectory) {
    auto second = LockDataDir(dir_);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, Code::kFailedPrecondition);
    EXPECT_NE(second.error().message.find("in use"), std::string::npos) << second.error().message;
    ServeOptions o;
    o.data_dir = dir_;
    o.port = 0;
    App another(std::move(o));
    auto st = another.Start();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("locking the data directory"), std::string::npos);
    app_.reset();
    EXPECT_TRUE(LockDataDir(dir_));
}

}  // namespace
}  // namespace vigil::app
