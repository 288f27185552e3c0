#pragma once
// Request and JSON helpers shared by the route groups of src/app (auth_api, admin_api,
// events_api). Private to the component: only its .cpp files include it, so nlohmann/json stays
// out of public headers.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "auth/user_store.h"
#include "base/strings.h"

namespace vigil::app {

inline api::Response JsonReply(int status, const nlohmann::json& body) {
    return api::Response::Json(status,
                               body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// The request body as a JSON object, or nullopt.
inline std::optional<nlohmann::json> ParseBody(const api::Request& r) {
    nlohmann::json body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) return std::nullopt;
    return body;
}

inline std::optional<std::string> StringField(const nlohmann::json& body, const char* key) {
    auto it = body.find(key);
    if (it == body.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

// The query parameter, or "" when absent.
inline std::string QueryParam(const api::Request& r, const char* key) {
    auto it = r.query.lower_bound(key);  // a repeated key: its first value
    return it == r.query.end() || it->first != key ? std::string() : it->second;
}

// Named limits of every list: limit=1..kMaxPageLimit, kDefaultPageLimit when absent.
inline constexpr size_t kDefaultPageLimit = 50;
inline constexpr size_t kMaxPageLimit = 500;

// The `limit` parameter; a bad value is invalid_argument with the reason (a 400).
inline Result<size_t> PageLimit(const api::Request& r) {
    const std::string text = QueryParam(r, "limit");
    if (text.empty()) return kDefaultPageLimit;
    auto n = ParseInt(text);
    if (!n || *n < 1 || *n > static_cast<int64_t>(kMaxPageLimit)) {
        return InvalidArgument("limit must be an integer from 1 to " +
                               std::to_string(kMaxPageLimit));
    }
    return static_cast<size_t>(*n);
}

inline std::string Truncated(std::string_view s, size_t max) {
    return std::string(s.substr(0, std::min(s.size(), max)));
}

// RFC 3339 UTC, or null for 0 (never).
inline nlohmann::json TimeJson(int64_t ns) {
    if (ns == 0) return nullptr;
    return FormatTimestamp(ns);
}

inline nlohmann::json UserJson(const auth::User& u) {
    return nlohmann::json{{"id", u.id},
                          {"username", u.username},
                          {"display_name", u.display_name},
                          {"role", auth::RoleName(u.role)},
                          {"mfa_enrolled", u.mfa_enrolled},
                          {"must_change_password", u.must_change_password},
                          {"disabled", u.disabled},
                          {"created_at", TimeJson(u.created_at_ns)}};
}

}  // namespace vigil::app
