#pragma once
// The fixture of the `vigil serve` tests over real TLS (serve_test, admin_api_test): a data
// directory from InitDataDir (what `vigil init` does, with small argon2 parameters), the App
// started on an ephemeral port with an injected clock, and a plain OpenSSL client.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/testing/tls_client.h"
#include "app/app.h"
#include "app/init_data_dir.h"
#include "audit/keys.h"
#include "audit/sqlite_log.h"
#include "auth/encoding.h"
#include "auth/totp.h"
#include "auth/user_store.h"
#include "store/database.h"

namespace vigil::app::serve_testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline constexpr int64_t kSecond = 1000000000;
inline constexpr int64_t kStart = int64_t{1800000000} * kSecond;  // 2027-01-15

using api::testing::ConnectLoopback;
using api::testing::HttpReply;
using api::testing::kTls13;
using api::testing::ParseReply;
using api::testing::TlsExchange;
using api::testing::TlsSend;

inline json Json(const HttpReply& r) { return json::parse(r.body, nullptr, false); }

// A browser's view of one signed-in user.
struct Browser {
    std::string cookie;  // the vigil_session value
    std::string csrf;
};

inline std::string SessionFromSetCookie(const std::string& set_cookie) {
    const std::string prefix = "vigil_session=";
    if (set_cookie.rfind(prefix, 0) != 0) return "";
    return set_cookie.substr(prefix.size(), set_cookie.find(';') - prefix.size());
}

inline constexpr const char* kAliceInitial = "First-Pass-0002";
inline constexpr const char* kAudreyInitial = "First-Pass-0003";
inline constexpr const char* kBobInitial = "First-Pass-0004";

class ServeTest : public ::testing::Test {
protected:
    void SetUp() override {
        static int counter = 0;
        dir_ = fs::temp_directory_path() /
               ("vigil-app-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(dir_);
        // The directory `vigil init` makes, then more users and an API token.
        InitDataDirOptions init;
        init.data_dir = dir_;
        init.now_ns = kStart;
        init.user_store = UserStoreOptions();
        auto made = InitDataDir(init);
        ASSERT_TRUE(made) << made.error().message;
        admin_otp_ = made->one_time_password;
        auto pub = audit::PublicKey::LoadFromFile(dir_ / "keys/audit-signing.pub.pem");
        ASSERT_TRUE(pub);
        public_key_ = std::make_unique<audit::PublicKey>(*pub);
        {
            auto db = store::Database::Open(dir_ / "state.db");
            ASSERT_TRUE(db);
            auto users = auth::UserStore::Open(*db, UserStoreOptions());
            ASSERT_TRUE(users) << users.error().message;
            ASSERT_TRUE(users->CreateUser("alice", auth::Role::kViewer, kStart,
                                          std::string_view(kAliceInitial)));
            auto audrey = users->CreateUser("audrey", auth::Role::kAuditor, kStart,
                                            std::string_view(kAudreyInitial));
            ASSERT_TRUE(audrey);
            ASSERT_TRUE(users->CreateUser("bob", auth::Role::kViewer, kStart,
                                          std::string_view(kBobInitial)));
            auto token = users->IssueToken(audrey->user.id, "ci", {"audit.verify"},
                                           kStart + 86400 * kSecond, kStart);
            ASSERT_TRUE(token) << token.error().message;
            token_ = token->plaintext;
        }
        now_ = kStart + kSecond;
        Restart();
    }
    // Stops the App (if running) and starts a new one on the same data directory.
    void Restart() {
        app_.reset();
        ServeOptions o;
        o.data_dir = dir_;
        o.port = 0;
        o.user_store = UserStoreOptions();
        o.clock = [this] { return now_.load(); };
        app_ = std::make_unique<App>(std::move(o));
        auto st = app_->Start();
        ASSERT_TRUE(st) << st.error().message;
        ASSERT_NE(app_->port(), 0);
    }
    void TearDown() override {
        app_.reset();
        fs::remove_all(dir_);
    }

    static auth::UserStoreOptions UserStoreOptions() {
        auth::UserStoreOptions o;
        o.argon2.memory_kib = 64;
        o.argon2.iterations = 1;
        return o;
    }
    std::string Cert() const { return (dir_ / "tls/cert.pem").string(); }

    HttpReply Send(const std::string& method, const std::string& path, const std::string& body,
                   const Browser* browser, bool with_csrf = true, const std::string& extra = "") {
        std::string raw = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n";
        if (browser) {
            raw += "Cookie: theme=dark; vigil_session=" + browser->cookie + "\r\n";
            if (with_csrf) raw += "X-CSRF-Token: " + browser->csrf + "\r\n";
        }
        raw += extra;
        if (!body.empty()) {
            raw +=
                "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n";
        }
        raw += "Connection: close\r\n\r\n" + body;
        auto out = TlsExchange(app_->port(), Cert(), raw);
        EXPECT_TRUE(out.has_value()) << "TLS handshake failed";
        return ParseReply(out.value_or(""));
    }
    HttpReply Get(const std::string& path, const Browser* b = nullptr) {
        return Send("GET", path, "", b);
    }
    HttpReply Login(const std::string& user, const std::string& password,
                    const std::string& totp = "") {
        json body{{"username", user}, {"password", password}};
        if (!totp.empty()) body["totp"] = totp;
        return Send("POST", "/api/v1/auth/login", body.dump(), nullptr);
    }
    static Browser BrowserFrom(const HttpReply& r) {
        return Browser{SessionFromSetCookie(r.Header("Set-Cookie")),
                       Json(r).value("csrf_token", "")};
    }
    // One-time password -> forced change -> a full session.
    Browser SignInFirstTime(const std::string& user, const std::string& initial,
                            const std::string& chosen) {
        HttpReply r = Login(user, initial);
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(Json(r).value("must_change_password", false), true) << r.body;
        Browser limited = BrowserFrom(r);
        r = Send("POST", "/api/v1/auth/password", json{{"old", initial}, {"new", chosen}}.dump(),
                 &limited);
        EXPECT_EQ(r.status, 200) << r.body;
        r = Login(user, chosen);
        EXPECT_EQ(r.status, 200) << r.body;
        return BrowserFrom(r);
    }

    // A new user with `role`, signed in with a full session: the first-time password change and,
    // for roles that need it, TOTP enrolment and a sign-in with a code (the clock moves on so
    // codes are not replays).
    Browser FullSession(const std::string& username, auth::Role role) {
        const std::string initial = "Initial-Pass-41";
        const std::string chosen = "Chosen-Pass-42";
        {
            auto db = store::Database::Open(dir_ / "state.db");
            EXPECT_TRUE(db);
            if (!db) return {};
            auto users = auth::UserStore::Open(*db, UserStoreOptions());
            EXPECT_TRUE(users);
            if (!users) return {};
            auto made = users->CreateUser(username, role, now_, std::string_view(initial));
            EXPECT_TRUE(made) << (made ? "" : made.error().message);
        }
        Browser b = SignInFirstTime(username, initial, chosen);
        if (!auth::RequiresMfa(role)) return b;
        HttpReply r = Send("POST", "/api/v1/auth/totp/enroll", "{}", &b);
        EXPECT_EQ(r.status, 200) << r.body;
        auto secret = auth::Base32Decode(Json(r).value("secret", ""));
        EXPECT_TRUE(secret);
        if (!secret) return {};
        r = Send("POST", "/api/v1/auth/totp/confirm",
                 json{{"code", auth::Totp(*secret, now_ / kSecond).value_or("")}}.dump(), &b);
        EXPECT_EQ(r.status, 200) << r.body;
        now_ += 60 * kSecond;
        r = Login(username, chosen, auth::Totp(*secret, now_ / kSecond).value_or(""));
        EXPECT_EQ(r.status, 200) << r.body;
        return BrowserFrom(r);
    }

    // Every audit record, read through a second connection as an auditor's tool would.
    std::vector<audit::Record> AuditRecords() {
        std::vector<audit::Record> out;
        store::OpenOptions ro;
        ro.read_only = true;
        auto db = store::Database::Open(dir_ / "state.db", ro);
        EXPECT_TRUE(db);
        if (!db) return out;
        auto log = audit::SqliteAuditLog::Open(*db);
        EXPECT_TRUE(log);
        if (!log) return out;
        auto source = log->Records();
        audit::Record r;
        for (;;) {
            auto more = source(r);
            EXPECT_TRUE(more);
            if (!more || !*more) break;
            out.push_back(r);
        }
        return out;
    }
    size_t CountAudit(const std::string& action, const std::string& actor,
                      const std::string& result) {
        size_t n = 0;
        for (const auto& r : AuditRecords()) {
            if (r.action == action && r.actor == actor && r.result == result) ++n;
        }
        return n;
    }

    fs::path dir_;
    std::unique_ptr<audit::PublicKey> public_key_;
    std::string token_;
    std::string admin_otp_;
    std::atomic<int64_t> now_{kStart};
    std::unique_ptr<App> app_;
};

}  // namespace vigil::app::serve_testing
