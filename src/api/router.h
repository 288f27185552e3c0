#pragma once
// Requests, responses and the route table of the HTTPS API. Nothing here knows about Beast or
// TLS: the server turns wire requests into Request, and HandleRequest() does the rest
// (routing, authentication, the permission check, content-type policy, security headers), so
// the whole request policy is testable without a socket.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/permissions.h"
#include "base/result.h"

namespace vigil::api {

// Permission value for routes anyone may call without authenticating.
inline constexpr std::string_view kPublic = "public";

struct CaseInsensitiveLess {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
};

// Who made the request, as established by the authenticate hook.
struct Principal {
    std::string user;
    auth::Role role = auth::Role::kViewer;
};

// The media type of a Content-Type value, without its parameters ("application/json" of
// "application/json; charset=utf-8"); compare it with IEquals.
std::string_view MediaType(std::string_view content_type);

// Query parameters; a repeated key keeps every value, in the order sent (a lookup by key finds
// the first: QueryParam in app/json_util.h).
using QueryParams = std::multimap<std::string, std::string>;

struct Request {
    std::string method;  // upper case, as sent: "GET", "POST", ...
    std::string path;    // percent-decoded and validated by ParseTarget()
    QueryParams query;
    std::map<std::string, std::string, CaseInsensitiveLess> headers;
    std::string body;
    std::string remote_ip;

    // Filled in by dispatch: values of the route's {param} segments and the caller.
    std::map<std::string, std::string> path_params;
    std::optional<Principal> principal;

    // Empty when absent. Repeated headers are joined with ", ".
    std::string_view Header(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    static Response Json(int status, std::string body);
    // {"error":{"code":"...","message":"..."}}; the code is derived from the status.
    static Response Error(int status, std::string_view message);
    std::string_view Header(std::string_view name) const;
};

// Stable machine-readable error code for an HTTP status: 400 -> "bad_request", ...
std::string_view ErrorCodeFor(int status);

using Handler = std::function<Response(const Request&)>;

struct Route {
    std::string method;      // "GET", "POST", "PUT", "PATCH", "DELETE"
    std::string path;        // "/api/v1/assets/{id}"; {name} matches one non-empty segment
    std::string permission;  // dotted name from the auth matrix ("assets.read") or "public"
    Handler handler;
    std::string summary;  // one line, shown in the OpenAPI document
    // Media types a request body may have; empty: application/json only.
    std::vector<std::string> content_types = {};
};

// Splits a request target into a decoded, normalised path and query parameters. Rejects
// (invalid_argument) "..", ".", "//", NUL and control bytes, encoded '/' and '\', and invalid
// percent-encoding.
Result<std::pair<std::string, QueryParams>> ParseTarget(std::string_view target);

class Router {
public:
    // Rejects malformed patterns, unknown permission names and duplicate method + pattern.
    Status Add(Route route);

    struct Match {
        const Route* route = nullptr;  // null: see allowed_methods
        std::map<std::string, std::string> params;
        std::vector<std::string> allowed_methods;  // non-empty: path exists, method does not
    };
    Match Find(std::string_view method, std::string_view path) const;

    std::span<const Route> routes() const { return routes_; }
    bool Has(std::string_view method, std::string_view path) const;

private:
    std::vector<Route> routes_;
};

using Authenticator = std::function<Result<Principal>(const Request&)>;

class StaticFiles;

// Routing -> 404/405, authentication (401) and permission check (403) for non-public routes,
// 415 for bodies that are not application/json, the handler (exceptions -> 500), then
// AddSecurityHeaders(). A GET or HEAD outside /api/ that no route takes goes to `console`
// when given.
Response HandleRequest(const Router& router, const Authenticator& authenticate, Request request,
                       const StaticFiles* console = nullptr);

// Strict-Transport-Security, Content-Security-Policy, X-Content-Type-Options, Referrer-Policy,
// and Cache-Control: no-store for /api/ paths and every error response.
void AddSecurityHeaders(std::string_view path, Response& response);

}  // namespace vigil::api
