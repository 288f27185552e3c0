// End-to-end tests over real TLS on 127.0.0.1: the client is plain OpenSSL so each test can
// choose protocol versions and send raw, even malformed, bytes.
#include "api/server.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "api/certs.h"
#include "api/testing/tls_client.h"

namespace vigil::api {
namespace {

using nlohmann::json;

using testing::HttpReply;
using testing::ParseReply;
using testing::TlsExchange;

Result<Principal> FakeAuthenticate(const Request& r) {
    // Test-only: production authentication (sessions, API tokens) comes from auth.
    auto role = auth::ParseRole(r.Header("X-Test-Role"));
    if (!role) return MakeError(Code::kPermissionDenied, "no credentials");
    return Principal{"test-user", *role};
}

Router TestRoutes() {
    Router router;
    auto ok = router.Add({"GET", "/api/v1/echo", "public",
                          [](const Request& r) {
                              json j = r.query;
                              return Response::Json(200, j.dump());
                          },
                          "Echo query parameters (test)"});
    EXPECT_TRUE(ok);
    ok = router.Add({"POST", "/api/v1/assets", "assets.write",
                     [](const Request& r) { return Response::Json(201, r.body); },
                     "Register an asset (test)"});
    EXPECT_TRUE(ok);
    ok = router.Add({"GET", "/api/v1/assets/{id}", "assets.read",
                     [](const Request& r) {
                         return Response::Json(200, json{{"id", r.path_params.at("id")}}.dump());
                     },
                     "Get an asset (test)"});
    EXPECT_TRUE(ok);
    ok = router.Add({"GET", "/static/{file}", "public",
                     [](const Request&) { return Response::Error(404, "no static files"); },
                     "Static files (test)"});
    EXPECT_TRUE(ok);
    return router;
}

class ServerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                         ("vigil-api-" + std::to_string(::getpid())));
        std::filesystem::create_directories(*dir_);
        ASSERT_TRUE(GenerateSelfSigned("localhost", 2, Cert(), Key()));
    }
    static void TearDownTestSuite() {
        std::filesystem::remove_all(*dir_);
        delete dir_;
    }
    static std::string Cert() { return (*dir_ / "cert.pem").string(); }
    static std::string Key() { return (*dir_ / "key.pem").string(); }

    ServerOptions Options() {
        ServerOptions o;
        o.port = 0;
        o.cert_pem_path = Cert();
        o.key_pem_path = Key();
        o.max_body_bytes = 1024;
        o.read_timeout = std::chrono::milliseconds(3000);
        o.shutdown_grace = std::chrono::milliseconds(1000);
        return o;
    }
    std::unique_ptr<Server> StartServer(ServerOptions o) {
        auto server = std::make_unique<Server>(std::move(o), TestRoutes(), FakeAuthenticate);
        auto started = server->Start();
        EXPECT_TRUE(started) << started.error().message;
        EXPECT_NE(server->port(), 0);
        return server;
    }
    void SetUp() override { server_ = StartServer(Options()); }

    HttpReply Send(const std::string& raw) {
        auto out = TlsExchange(server_->port(), Cert(), raw);
        EXPECT_TRUE(out.has_value()) << "TLS handshake failed";
        return ParseReply(out.value_or(""));
    }
    HttpReply Get(const std::string& target, const std::string& extra = "") {
        return Send("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra +
                    "Connection: close\r\n\r\n");
    }
    static std::string ErrorCode(const HttpReply& r) {
        return json::parse(r.body)["error"]["code"].get<std::string>();
    }

    static std::filesystem::path* dir_;
    std::unique_ptr<Server> server_;
};
std::filesystem::path* ServerTest::dir_ = nullptr;

TEST_F(ServerTest, HealthOkWithSecurityHeaders) {
    HttpReply r = Get("/api/v1/health");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body), json({{"status", "ok"}}));
    EXPECT_EQ(r.Header("Strict-Transport-Security"), "max-age=31536000; includeSubDomains");
    EXPECT_EQ(r.Header("Content-Security-Policy"),
              "default-src 'self'; frame-ancestors 'none'; object-src 'none'; "
              "base-uri 'none'; form-action 'self'");
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(r.Header("Cache-Control"), "no-store");
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    std::string one = "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
    auto out = TlsExchange(server_->port(), Cert(),
                           one + one +
                               "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n");
    ASSERT_TRUE(out.has_value());
    size_t count = 0;
    for (size_t pos = 0; (pos = out->find("HTTP/1.1 200", pos)) != std::string::npos; ++pos) {
        ++count;
    }
    EXPECT_EQ(count, 3u);
}

TEST_F(ServerTest, Tls12RefusedByDefault) {
    EXPECT_FALSE(TlsExchange(server_->port(), Cert(), "", TLS1_2_VERSION, TLS1_2_VERSION));
    EXPECT_TRUE(TlsExchange(server_->port(), Cert(), "", TLS1_3_VERSION, TLS1_3_VERSION));
}

TEST_F(ServerTest, Tls12AcceptedWhenAllowed) {
    ServerOptions o = Options();
    o.allow_tls12 = true;
    auto server = StartServer(o);
    auto out = TlsExchange(server->port(), Cert(),
                           "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                           TLS1_2_VERSION, TLS1_2_VERSION);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(ParseReply(*out).status, 200);
}

// Runs the openssl CLI against the server; returns its combined output, or nullopt when
// the CLI is not installed.
std::optional<std::string> SClient(uint16_t port, const std::string& version_flag) {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) return std::nullopt;
    std::string cmd = "timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                      " -servername localhost " + version_flag + " </dev/null 2>&1";
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(cmd.c_str(), "r"), pclose);
    if (!pipe) return std::nullopt;
    std::string out;
    char buf[1024];
    while (size_t n = fread(buf, 1, sizeof(buf), pipe.get())) out.append(buf, n);
    return out;
}

TEST_F(ServerTest, OpenSslCliHandshakes) {
    auto tls13 = SClient(server_->port(), "-tls1_3");
    if (!tls13) GTEST_SKIP() << "openssl CLI not installed";
    EXPECT_NE(tls13->find("New, TLSv1.3"), std::string::npos) << *tls13;
    auto tls12 = SClient(server_->port(), "-tls1_2");
    ASSERT_TRUE(tls12);
    EXPECT_NE(tls12->find("Cipher is (NONE)"), std::string::npos) << *tls12;
    EXPECT_EQ(tls12->find("New, TLSv1.2"), std::string::npos) << *tls12;
}

TEST_F(ServerTest, OversizedBodyIs413) {
    HttpReply r = Send(
        "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nX-Test-Role: analyst\r\n"
        "Content-Type: application/json\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(ErrorCode(r), "payload_too_large");
    // With the whole body sent, the client still gets the 413 rather than a reset.
    r = Send(
        "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nX-Test-Role: analyst\r\n"
        "Content-Type: application/json\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n" +
        std::string(5000, ' '));
    EXPECT_EQ(r.status, 413);
    // Chunked bodies are held to the same limit.
    std::string chunk(1000, 'a');
    std::string chunked;
    for (int i = 0; i < 3; ++i) chunked += "3e8\r\n" + chunk + "\r\n";
    r = Send(
        "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nX-Test-Role: analyst\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n" +
        chunked + "0\r\n\r\n");
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(Get("/api/v1/health").status, 200);
}

TEST_F(ServerTest, OversizedHeadersRejected) {
    HttpReply r = Get("/api/v1/health", "X-Big: " + std::string(20000, 'a') + "\r\n");
    EXPECT_EQ(r.status, 431);
    EXPECT_EQ(Get("/api/v1/health").status, 200);
}

TEST_F(ServerTest, MalformedRequestLineIs400AndServerKeepsServing) {
    HttpReply r = Send("GARBAGE\r\n\r\n");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(ErrorCode(r), "bad_request");
    r = Send("GET /api/v1/health HTTP/9.9\r\n\r\n");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Get("/api/v1/health").status, 200);
}

TEST_F(ServerTest, WrongContentTypeIs415) {
    std::string body = R"({"name":"db1"})";
    HttpReply r = Send(
        "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nX-Test-Role: analyst\r\n"
        "Content-Type: text/plain\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    EXPECT_EQ(r.status, 415);
    EXPECT_EQ(ErrorCode(r), "unsupported_media_type");
    r = Send(
        "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nX-Test-Role: analyst\r\n"
        "Content-Type: application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.body, body);
}

TEST_F(ServerTest, PathTraversalNeverServesFiles) {
    for (const char* target :
         {"/static/../etc/passwd", "/static/%2e%2e/etc/passwd", "/static/%2E%2E/%2E%2E/etc/passwd",
          "/static/..%2f..%2fetc%2fpasswd", "/static/....//etc/passwd", "/../../etc/passwd",
          "/static/%252e%252e/etc/passwd", "/static/x%00.json"}) {
        HttpReply r = Get(target);
        EXPECT_TRUE(r.status == 400 || r.status == 404) << target << " -> " << r.status;
        EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
        EXPECT_NO_THROW(ErrorCode(r)) << target;
    }
}

TEST_F(ServerTest, UnknownRouteIs404Json) {
    HttpReply r = Get("/api/v1/nothing-here");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(ErrorCode(r), "not_found");
    EXPECT_EQ(r.Header("Cache-Control"), "no-store");
}

TEST_F(ServerTest, WrongMethodIs405) {
    HttpReply r = Send("DELETE /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(ErrorCode(r), "method_not_allowed");
    EXPECT_EQ(r.Header("Allow"), "GET");
}

TEST_F(ServerTest, ProtectedRouteNeedsAuthAndPermission) {
    HttpReply r = Get("/api/v1/assets/7");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(ErrorCode(r), "unauthenticated");
    r = Get("/api/v1/assets/7", "X-Test-Role: administrator\r\n");  // admins do not read assets
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(ErrorCode(r), "forbidden");
    r = Get("/api/v1/assets/7", "X-Test-Role: analyst\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["id"], "7");

    std::string post =
        "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nX-Test-Role: viewer\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\n"
        "Connection: close\r\n\r\n{}";
    EXPECT_EQ(Send(post).status, 403);
}

TEST_F(ServerTest, RateLimitIs429) {
    ServerOptions o = Options();
    o.rate_limit_per_second = 0.001;
    o.rate_limit_burst = 2;
    auto server = StartServer(o);
    auto get = [&] {
        return ParseReply(TlsExchange(server->port(), Cert(),
                                      "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"
                                      "Connection: close\r\n\r\n")
                              .value_or(""));
    };
    EXPECT_EQ(get().status, 200);
    EXPECT_EQ(get().status, 200);
    HttpReply r = get();
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(ErrorCode(r), "rate_limited");
    EXPECT_EQ(r.Header("Retry-After"), "1");
}

TEST_F(ServerTest, SqlMetacharactersInQueryAreData) {
    HttpReply r = Get("/api/v1/echo?q=%27%20OR%201%3D1%3B%20DROP%20TABLE%20users%3B--&id=1%27--");
    ASSERT_EQ(r.status, 200);
    json j = json::parse(r.body);
    EXPECT_EQ(j["q"], "' OR 1=1; DROP TABLE users;--");
    EXPECT_EQ(j["id"], "1'--");
}

TEST_F(ServerTest, OpenApiListsEveryRouteWithPermission) {
    // The route map is for signed-in users, like everything but sign-in and liveness.
    EXPECT_EQ(Get("/api/v1/openapi.json").status, 401);
    HttpReply r = Get("/api/v1/openapi.json", "X-Test-Role: viewer\r\n");
    ASSERT_EQ(r.status, 200);
    json doc = json::parse(r.body);
    ASSERT_GE(server_->router().routes().size(), 6u);  // 4 test routes + health + openapi
    for (const Route& route : server_->router().routes()) {
        std::string m = route.method;
        for (auto& c : m) c = static_cast<char>(std::tolower(c));
        ASSERT_TRUE(doc["paths"].contains(route.path)) << route.path;
        ASSERT_TRUE(doc["paths"][route.path].contains(m)) << route.method << " " << route.path;
        EXPECT_EQ(doc["paths"][route.path][m]["x-permission"], route.permission) << route.path;
    }
}

TEST_F(ServerTest, StartFailsOnBadCertificateOrKey) {
    ServerOptions o = Options();
    o.cert_pem_path = (*dir_ / "missing.pem").string();
    Server missing(o, Router{}, FakeAuthenticate);
    auto s = missing.Start();
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("certificate"), std::string::npos) << s.error().message;

    std::string other_cert = (*dir_ / "other.pem").string();
    std::string other_key = (*dir_ / "other.key").string();
    ASSERT_TRUE(GenerateSelfSigned("localhost", 1, other_cert, other_key));
    o = Options();
    o.key_pem_path = other_key;
    Server mismatched(o, Router{}, FakeAuthenticate);
    s = mismatched.Start();
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("does not match"), std::string::npos) << s.error().message;
}

TEST_F(ServerTest, StopIsPromptWithIdleKeepAliveConnection) {
    // An idle keep-alive client must not hold Stop() for the whole read timeout.
    std::thread client([&] {
        TlsExchange(server_->port(), Cert(),
                    "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto begin = std::chrono::steady_clock::now();
    server_->Stop();
    auto took = std::chrono::steady_clock::now() - begin;
    client.join();
    EXPECT_LT(took, std::chrono::milliseconds(900));
}

}  // namespace
}  // namespace vigil::api

namespace vigil::api {
namespace {

// Issue 3, must-show 6 (static routes): the console is served from memory; traversal in any
// spelling never reaches a file outside it.
class StaticFilesTest : public ServerTest {
protected:
    void SetUp() override {
        root_ = *dir_ / "console";
        std::filesystem::create_directories(root_ / "assets");
        Write(root_ / "index.html", "<!doctype html><title>Vigil</title>");
        Write(root_ / "assets" / "app-1a2b.js", "console.log(1)");
        Write(*dir_ / "secret.txt", "TOP-SECRET");  // next to the console, never served
        std::filesystem::create_symlink(*dir_ / "secret.txt", root_ / "link.txt");
        auto files = StaticFiles::Load(root_);
        ASSERT_TRUE(files) << files.error().message;
        ServerOptions o = Options();
        o.console = std::make_shared<const StaticFiles>(std::move(*files));
        server_ = StartServer(std::move(o));
    }
    void TearDown() override { std::filesystem::remove_all(root_); }
    static void Write(const std::filesystem::path& p, const std::string& text) {
        FILE* f = std::fopen(p.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fwrite(text.data(), 1, text.size(), f);
        std::fclose(f);
    }
    std::filesystem::path root_;
};

TEST_F(StaticFilesTest, ServesTheConsoleWithTypesCachingAndClientRoutes) {
    HttpReply r = Get("/");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "<!doctype html><title>Vigil</title>");
    EXPECT_EQ(r.Header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.Header("Cache-Control"), "no-cache");
    EXPECT_NE(r.Header("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    r = Get("/assets/app-1a2b.js");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(r.Header("Cache-Control"), "public, max-age=31536000, immutable");
    // Revalidation.
    const std::string etag(r.Header("ETag"));
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(Get("/assets/app-1a2b.js", "If-None-Match: " + etag + "\r\n").status, 304);
    // Client-side routes get the page; unknown files do not.
    EXPECT_EQ(Get("/users").body, "<!doctype html><title>Vigil</title>");
    EXPECT_EQ(Get("/assets/missing.js").status, 404);
    // The API keeps its own 404s.
    EXPECT_EQ(Get("/api/v1/nothing").status, 404);
    EXPECT_EQ(
        Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").status,
        404);
}

TEST_F(StaticFilesTest, TraversalInEverySpellingIsRefused) {
    for (const char* target :
         {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
          "/assets/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "/..%5csecret.txt",
          "/assets/..%2f..%2fsecret.txt", "//etc/passwd", "/%00index.html", "/index.html%00.js",
          "/%252e%252e/secret.txt", "/./index.html"}) {
        HttpReply r = Get(target);
        EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos) << target;
        EXPECT_TRUE(r.status == 400 || r.status == 404 ||
                    r.body == "<!doctype html><title>Vigil</title>")
            << target << " -> " << r.status;
    }
    // A symbolic link inside the console is not followed.
    EXPECT_EQ(Get("/link.txt").status, 404);
    EXPECT_EQ(Get("/secret.txt").status, 404);
    // The server is still up.
    EXPECT_EQ(Get("/api/v1/health").status, 200);
}

TEST(StaticFilesLoad, RefusesADirectoryWithoutIndex) {
    auto files = StaticFiles::Load("/nonexistent-vigil-console");
    ASSERT_FALSE(files);
    EXPECT_NE(files.error().message.find("index.html"), std::string::npos);
}

}  // namespace
}  // namespace vigil::api
