#include "api/router.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "api/certs.h"
#include "api/openapi.h"
#include "api/rate_limiter.h"

namespace vigil::api {
namespace {

using nlohmann::json;

Response Ok200(const Request&) { return Response::Json(200, R"({"ok":true})"); }

Result<Principal> RoleFromHeader(const Request& r) {
    auto role = auth::ParseRole(r.Header("X-Test-Role"));
    if (!role) return MakeError(Code::kPermissionDenied, "no test role");
    return Principal{"tester", *role};
}

Request Make(std::string method, std::string target, std::string body = "",
             std::string content_type = "") {
    Request r;
    r.method = std::move(method);
    auto parsed = ParseTarget(target);
    EXPECT_TRUE(parsed.has_value()) << target;
    if (parsed) {
        r.path = parsed->first;
        r.query = parsed->second;
    }
    r.body = std::move(body);
    if (!content_type.empty()) r.headers["Content-Type"] = content_type;
    return r;
}

std::string ErrorCode(const Response& r) { return json::parse(r.body)["error"]["code"]; }

TEST(ParseTargetTest, DecodesPathAndQuery) {
    auto t = ParseTarget("/api/v1/a%20b?x=1&y=%27%3B+DROP&x=2&flag");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->first, "/api/v1/a b");
    auto [x, x_end] = t->second.equal_range("x");  // a repeated key keeps both, in order
    ASSERT_EQ(std::distance(x, x_end), 2);
    EXPECT_EQ(x->second, "1");
    EXPECT_EQ(std::next(x)->second, "2");
    EXPECT_EQ(t->second.find("y")->second, "'; DROP");
    EXPECT_EQ(t->second.find("flag")->second, "");
}

TEST(ParseTargetTest, RejectsTraversalAndBadEncoding) {
    for (const char* bad :
         {"/static/../etc/passwd", "/static/%2e%2e/etc/passwd", "/static/%2E%2E/x",
          "/static/..%2fetc%2fpasswd", "/a//b", "/a/./b", "/a/%00b", "/a/%zz", "/a/%4",
          "/a%5c..%5cb", "/a\\b", "relative", "", "/a?q=%g1", "/a?q=%00", "/..", "/a/.."}) {
        EXPECT_FALSE(ParseTarget(bad).has_value()) << bad;
    }
}

TEST(RouterTest, RejectsBadRoutes) {
    Router router;
    EXPECT_FALSE(router.Add({"GET", "/x", "assets.raed", Ok200, ""}).has_value());
    EXPECT_FALSE(router.Add({"BREW", "/x", "public", Ok200, ""}).has_value());
    EXPECT_FALSE(router.Add({"GET", "x", "public", Ok200, ""}).has_value());
    EXPECT_FALSE(router.Add({"GET", "/a//b", "public", Ok200, ""}).has_value());
    EXPECT_FALSE(router.Add({"GET", "/a/{b", "public", Ok200, ""}).has_value());
    EXPECT_FALSE(router.Add({"GET", "/x", "public", nullptr, ""}).has_value());
    ASSERT_TRUE(router.Add({"GET", "/x", "public", Ok200, ""}).has_value());
    auto dup = router.Add({"GET", "/x", "public", Ok200, ""});
    ASSERT_FALSE(dup.has_value());
    EXPECT_EQ(dup.error().code, Code::kAlreadyExists);
}

TEST(RouterTest, MatchesParamsPrefersLiteralsAndReports405) {
    Router router;
    ASSERT_TRUE(router.Add({"GET", "/assets/{id}", "assets.read", Ok200, ""}));
    ASSERT_TRUE(router.Add({"GET", "/assets/new", "assets.read", Ok200, ""}));
    ASSERT_TRUE(router.Add({"DELETE", "/assets/{id}", "assets.write", Ok200, ""}));
    auto m = router.Find("GET", "/assets/42");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->path, "/assets/{id}");
    EXPECT_EQ(m.params.at("id"), "42");
    m = router.Find("GET", "/assets/new");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->path, "/assets/new");
    m = router.Find("PUT", "/assets/42");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"GET", "DELETE"}));
    EXPECT_EQ(router.Find("GET", "/assets/").route, nullptr);
    EXPECT_EQ(router.Find("GET", "/assets/1/2").route, nullptr);
}

TEST(HandleRequestTest, EnforcesAuthPermissionContentTypeAndHeaders) {
    Router router;
    ASSERT_TRUE(router.Add({"POST", "/api/v1/assets", "assets.write",
                            [](const Request& r) {
                                EXPECT_TRUE(r.principal.has_value());
                                return Response::Json(201, r.body);
                            },
                            ""}));
    ASSERT_TRUE(
        router.Add({"GET", "/api/v1/boom", "public",
                    [](const Request&) -> Response { throw std::runtime_error("secret"); }, ""}));

    Response r = HandleRequest(router, RoleFromHeader, Make("POST", "/api/v1/assets", "{}"));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(ErrorCode(r), "unauthenticated");

    Request viewer = Make("POST", "/api/v1/assets", "{}", "application/json");
    viewer.headers["x-test-role"] = "viewer";  // header lookup is case-insensitive
    r = HandleRequest(router, RoleFromHeader, viewer);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(ErrorCode(r), "forbidden");

    Request analyst = Make("POST", "/api/v1/assets", "{\"a\":1}", "text/plain");
    analyst.headers["X-Test-Role"] = "analyst";
    r = HandleRequest(router, RoleFromHeader, analyst);
    EXPECT_EQ(r.status, 415);

    analyst.headers["Content-Type"] = "Application/JSON; charset=utf-8";
    r = HandleRequest(router, RoleFromHeader, analyst);
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.body, "{\"a\":1}");
    EXPECT_EQ(r.Header("Cache-Control"), "no-store");
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");

    r = HandleRequest(router, RoleFromHeader, Make("GET", "/api/v1/boom"));
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body.find("secret"), std::string::npos);

    r = HandleRequest(router, {}, Make("GET", "/api/v1/assets"));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.Header("Allow"), "POST");
    EXPECT_EQ(ErrorCode(r), "method_not_allowed");

    r = HandleRequest(router, {}, Make("GET", "/nope"));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.Header("Strict-Transport-Security"), "max-age=31536000; includeSubDomains");
    EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer");
    EXPECT_NE(r.Header("Content-Security-Policy").find("frame-ancestors 'none'"),
              std::string::npos);
}

TEST(ResponseTest, ErrorBodyShapeAndCodes) {
    for (int status : {400, 401, 403, 404, 405, 413, 415, 429, 500}) {
        Response r = Response::Error(status, "why \"quoted\"");
        json j = json::parse(r.body);
        EXPECT_EQ(j["error"]["code"], std::string(ErrorCodeFor(status)));
        EXPECT_EQ(j["error"]["message"], "why \"quoted\"");
        EXPECT_EQ(r.content_type, "application/json");
    }
    // Invalid UTF-8 in a message never throws.
    EXPECT_NO_THROW(Response::Error(400, "\xff\xfe"));
}

TEST(RateLimiterTest, TokenBucketRefills) {
    auto now = std::chrono::steady_clock::time_point{};
    RateLimiter limiter(2.0, 3.0, 100, [&] { return now; });
    EXPECT_TRUE(limiter.Allow("a"));
    EXPECT_TRUE(limiter.Allow("a"));
    EXPECT_TRUE(limiter.Allow("a"));
    EXPECT_FALSE(limiter.Allow("a"));
    EXPECT_TRUE(limiter.Allow("b"));  // per client
    now += std::chrono::milliseconds(500);
    EXPECT_TRUE(limiter.Allow("a"));
    EXPECT_FALSE(limiter.Allow("a"));
    RateLimiter off(0, 0);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(off.Allow("x"));
}

TEST(OpenApiTest, ListsEveryRouteWithPermissionAndParams) {
    Router router;
    ASSERT_TRUE(router.Add({"GET", "/api/v1/assets/{id}", "assets.read", Ok200, "Get an asset"}));
    ASSERT_TRUE(router.Add({"DELETE", "/api/v1/assets/{id}", "assets.write", Ok200, "Retire"}));
    ASSERT_TRUE(router.Add({"GET", "/api/v1/health", "public", Ok200, "Liveness"}));
    json doc = json::parse(BuildOpenApi(router));
    EXPECT_EQ(doc["openapi"], "3.0.3");
    for (const Route& route : router.routes()) {
        std::string m = route.method;
        for (auto& c : m) c = static_cast<char>(std::tolower(c));
        ASSERT_TRUE(doc["paths"][route.path].contains(m)) << route.path;
        EXPECT_EQ(doc["paths"][route.path][m]["x-permission"], route.permission);
        EXPECT_EQ(doc["paths"][route.path][m]["summary"], route.summary);
    }
    auto params = doc["paths"]["/api/v1/assets/{id}"]["get"]["parameters"];
    ASSERT_EQ(params.size(), 1u);
    EXPECT_EQ(params[0]["name"], "id");
    EXPECT_EQ(params[0]["in"], "path");
    EXPECT_TRUE(doc["paths"]["/api/v1/health"]["get"]["security"].empty());
}

TEST(CertsTest, WritesKeyWithMode0600AndValidPem) {
    auto dir =
        std::filesystem::temp_directory_path() / ("vigil-certs-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    ASSERT_TRUE(GenerateSelfSigned("vigil.example", 30, cert, key).has_value());
    struct stat st {};
    ASSERT_EQ(::stat(key.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::stringstream c, k;
    c << std::ifstream(cert).rdbuf();
    k << std::ifstream(key).rdbuf();
    EXPECT_NE(c.str().find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_NE(k.str().find("BEGIN PRIVATE KEY"), std::string::npos);
    EXPECT_FALSE(GenerateSelfSigned("", 30, cert, key).has_value());
    EXPECT_FALSE(GenerateSelfSigned("x", 0, cert, key).has_value());
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::api
