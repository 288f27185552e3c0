#include "api/router.h"

#include <algorithm>
#include <cctype>
#include <exception>

#include <nlohmann/json.hpp>

#include "api/static_files.h"
#include "base/strings.h"

namespace vigil::api {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Percent-decodes `in`; `plus_is_space` for query components. Fails on a bad escape.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return std::nullopt;
            int hi = HexDigit(in[i + 1]);
            int lo = HexDigit(in[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::vector<std::string_view> SplitSegments(std::string_view path) {
    std::vector<std::string_view> out;
    size_t start = 1;  // paths always start with '/'
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        out.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

bool IsParam(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool IsBodyMethod(std::string_view method) {
    return method == "POST" || method == "PUT" || method == "PATCH";
}

// Whether the media type of a Content-Type value is one the route accepts (application/json
// unless the route lists its own).
bool AcceptedContentType(std::string_view value, const Route& route) {
    const std::string_view media = MediaType(value);
    if (route.content_types.empty()) return EqualsIgnoreCase(media, "application/json");
    for (const auto& type : route.content_types) {
        if (EqualsIgnoreCase(media, type)) return true;
    }
    return false;
}

}  // namespace

std::string_view MediaType(std::string_view content_type) {
    return Trim(content_type.substr(0, content_type.find(';')));
}

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                        [](char x, char y) { return Lower(x) < Lower(y); });
}

std::string_view Request::Header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view Response::Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (EqualsIgnoreCase(key, name)) return value;
    }
    return {};
}

std::string_view ErrorCodeFor(int status) {
    switch (status) {
        case 400:
            return "bad_request";
        case 401:
            return "unauthenticated";
        case 403:
            return "forbidden";
        case 404:
            return "not_found";
        case 405:
            return "method_not_allowed";
        case 408:
            return "request_timeout";
        case 413:
            return "payload_too_large";
        case 415:
            return "unsupported_media_type";
        case 429:
            return "rate_limited";
        case 431:
            return "headers_too_large";
        case 503:
            return "unavailable";
        default:
            return status >= 500 ? "internal" : "error";
    }
}

Response Response::Json(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

Response Response::Error(int status, std::string_view message) {
    nlohmann::json j;
    j["error"]["code"] = ErrorCodeFor(status);
    // Replace invalid UTF-8 rather than throw: messages may quote request bytes.
    j["error"]["message"] = std::string(message);
    return Json(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<std::pair<std::string, QueryParams>> ParseTarget(std::string_view target) {
    if (target.empty() || target.front() != '/') {
        return InvalidArgument("request target must be an absolute path");
    }
    size_t q = target.find('?');
    std::string_view raw_path = target.substr(0, q);
    std::string_view raw_query = q == std::string_view::npos ? "" : target.substr(q + 1);
    if (size_t hash = raw_query.find('#'); hash != std::string_view::npos) {
        raw_query = raw_query.substr(0, hash);
    }

    // Encoded separators would change the segment structure after decoding.
    for (size_t i = 0; i + 2 < raw_path.size(); ++i) {
        if (raw_path[i] != '%') continue;
        std::string_view esc = raw_path.substr(i + 1, 2);
        if (EqualsIgnoreCase(esc, "2f") || EqualsIgnoreCase(esc, "5c")) {
            return InvalidArgument("encoded '/' or '\\' in path");
        }
    }
    auto decoded = PercentDecode(raw_path, false);
    if (!decoded) return InvalidArgument("invalid percent-encoding in path");
    std::string path = std::move(*decoded);
    for (char c : path) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return InvalidArgument("control character in path");
        }
        if (c == '\\') return InvalidArgument("backslash in path");
    }
    if (path.find("//") != std::string::npos) return InvalidArgument("empty path segment");
    for (std::string_view seg : SplitSegments(path)) {
        if (seg == ".." || seg == ".") return InvalidArgument("dot segment in path");
    }

    QueryParams query;
    size_t start = 0;
    while (start < raw_query.size()) {
        size_t end = raw_query.find('&', start);
        if (end == std::string_view::npos) end = raw_query.size();
        std::string_view pair = raw_query.substr(start, end - start);
        start = end + 1;
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        auto key = PercentDecode(pair.substr(0, eq), true);
        auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
        if (!key || !value) return InvalidArgument("invalid percent-encoding in query");
        if (key->find('\0') != std::string::npos || value->find('\0') != std::string::npos) {
            return InvalidArgument("NUL in query");
        }
        query.emplace(std::move(*key), std::move(*value));
    }
    return std::make_pair(std::move(path), std::move(query));
}

Status Router::Add(Route route) {
    static constexpr std::string_view kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    if (std::find(std::begin(kMethods), std::end(kMethods), route.method) == std::end(kMethods)) {
        return InvalidArgument("route " + route.path + ": unsupported method '" + route.method +
                               "'");
    }
    if (route.path.empty() || route.path.front() != '/') {
        return InvalidArgument("route '" + route.path + "': pattern must start with '/'");
    }
    for (std::string_view seg : SplitSegments(route.path)) {
        bool bad = seg.empty() && route.path != "/";
        bad = bad || seg == "." || seg == "..";
        if (!IsParam(seg)) bad = bad || seg.find_first_of("{}") != std::string_view::npos;
        if (bad) {
            return InvalidArgument("route '" + route.path + "': malformed segment '" +
                                   std::string(seg) + "'");
        }
    }
    if (route.permission != kPublic && !auth::ParsePermission(route.permission)) {
        return InvalidArgument("route " + route.method + " " + route.path +
                               ": unknown permission '" + route.permission + "'");
    }
    if (!route.handler) {
        return InvalidArgument("route " + route.method + " " + route.path + ": no handler");
    }
    for (const Route& r : routes_) {
        if (r.method == route.method && r.path == route.path) {
            return MakeError(Code::kAlreadyExists,
                             "route " + route.method + " " + route.path + " already registered");
        }
    }
    routes_.push_back(std::move(route));
    return Ok();
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
    Match result;
    if (path.empty() || path.front() != '/') return result;
    std::vector<std::string_view> segments = SplitSegments(path);
    // Prefer the route with the most literal segments, so /assets/new beats /assets/{id}.
    int best_literals = -1;
    for (const Route& route : routes_) {
        std::vector<std::string_view> pattern = SplitSegments(route.path);
        if (pattern.size() != segments.size()) continue;
        std::map<std::string, std::string> params;
        int literals = 0;
        bool ok = true;
        for (size_t i = 0; i < pattern.size() && ok; ++i) {
            if (IsParam(pattern[i])) {
                ok = !segments[i].empty();
                if (ok) {
                    params.emplace(std::string(pattern[i].substr(1, pattern[i].size() - 2)),
                                   std::string(segments[i]));
                }
            } else {
                ok = pattern[i] == segments[i];
                ++literals;
            }
        }
        if (!ok) continue;
        if (route.method != method) {
            if (std::find(result.allowed_methods.begin(), result.allowed_methods.end(),
                          route.method) == result.allowed_methods.end()) {
                result.allowed_methods.push_back(route.method);
            }
            continue;
        }
        if (literals > best_literals) {
            best_literals = literals;
            result.route = &route;
            result.params = std::move(params);
        }
    }
    if (result.route) result.allowed_methods.clear();
    return result;
}

bool Router::Has(std::string_view method, std::string_view path) const {
    return std::any_of(routes_.begin(), routes_.end(),
                       [&](const Route& r) { return r.method == method && r.path == path; });
}

void AddSecurityHeaders(std::string_view path, Response& response) {
    auto set = [&](std::string_view name, std::string_view value) {
        for (auto& [key, existing] : response.headers) {
            if (EqualsIgnoreCase(key, name)) {
                existing = value;
                return;
            }
        }
        response.headers.emplace_back(std::string(name), std::string(value));
    };
    set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    set("Content-Security-Policy",
        "default-src 'self'; frame-ancestors 'none'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'");
    set("X-Content-Type-Options", "nosniff");
    set("Referrer-Policy", "no-referrer");
    if (path.starts_with("/api/") || response.status >= 400) set("Cache-Control", "no-store");
}

Response HandleRequest(const Router& router, const Authenticator& authenticate, Request request,
                       const StaticFiles* console) {
    Response response = [&]() -> Response {
        Router::Match match = router.Find(request.method, request.path);
        if (!match.route && console && !request.path.starts_with("/api/") &&
            (request.method == "GET" || request.method == "HEAD")) {
            return console->Serve(request.path, request.Header("If-None-Match"),
                                  request.method == "HEAD");
        }
        if (!match.route) {
            if (match.allowed_methods.empty()) return Response::Error(404, "no such resource");
            Response r = Response::Error(405, "method not allowed");
            std::string allow;
            for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
            r.headers.emplace_back("Allow", allow);
            return r;
        }
        const Route& route = *match.route;
        request.path_params = std::move(match.params);
        if (route.permission != kPublic) {
            Result<Principal> principal =
                authenticate ? authenticate(request)
                             : MakeError(Code::kPermissionDenied, "no authenticator");
            if (!principal) {
                Response r = Response::Error(401, "authentication required");
                r.headers.emplace_back("WWW-Authenticate", "Bearer");
                return r;
            }
            if (!auth::Allowed(principal->role, route.permission)) {
                return Response::Error(403, "role '" +
                                                std::string(auth::RoleName(principal->role)) +
                                                "' lacks permission '" + route.permission + "'");
            }
            request.principal = std::move(*principal);
        }
        if ((IsBodyMethod(request.method) || !request.body.empty()) &&
            !AcceptedContentType(request.Header("Content-Type"), route)) {
            if (!request.body.empty() || !request.Header("Content-Type").empty()) {
                std::string accepted = "application/json";
                if (!route.content_types.empty()) {
                    accepted.clear();
                    for (const auto& t : route.content_types) {
                        accepted += (accepted.empty() ? "" : ", ") + t;
                    }
                }
                return Response::Error(415, "request body must be " + accepted);
            }
        }
        try {
            return route.handler(request);
        } catch (const std::exception&) {
            // Never echo exception text: it may carry internals.
            return Response::Error(500, "internal error");
        } catch (...) {
            return Response::Error(500, "internal error");
        }
    }();
    AddSecurityHeaders(request.path, response);
    return response;
}

}  // namespace vigil::api
