#pragma once
// The console's management routes, each behind its permission from the matrix (auth
// permissions.h) and guarded by AuthApi::Guard (CSRF, session limits, token scopes):
//
//   GET    /api/v1/users                      users.read     ?q=&role=&disabled=&limit=&cursor=
//   POST   /api/v1/users                      users.write    {username, role, display_name?}
//   PATCH  /api/v1/users/{id}                 users.write    {display_name?, disabled?}
//   PUT    /api/v1/users/{id}/role            roles.assign   {role}
//   POST   /api/v1/users/{id}/reset-password  users.write    -> {one_time_password}
//   POST   /api/v1/users/{id}/reset-mfa       users.write
//   GET    /api/v1/roles                      users.read     the permission matrix
//   GET    /api/v1/tokens                     tokens.manage_own  ?all=true: tokens.manage_all
//   POST   /api/v1/tokens                     tokens.manage_own  {name, scopes, expires_days}
//   DELETE /api/v1/tokens/{id}                tokens.manage_own  (others': tokens.manage_all)
//   GET    /api/v1/audit/records              audit.read     ?actor=&action=&result=&object=
//                                                            &since=&until=&q=&limit=&cursor=
//   GET    /api/v1/audit/export               audit.export   ?format=jsonl|csv
//   GET    /api/v1/audit/verify               audit.verify
//   GET    /api/v1/system/status              system.status
//
// Lists answer {"items": [...], "next_cursor": "..." | null}; `limit` is 1..500 (default 50) and
// `cursor` is the next_cursor of the previous page. Every change is an audit record with the before
// and after state.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "api/router.h"
#include "app/auth_api.h"
#include "base/result.h"

namespace vigil::app {

// Named limit: API tokens live at most this long (the store enforces its own maximum too).
inline constexpr int64_t kMaxTokenDays = 365;

struct AdminApiDeps {
    AuthApi* auth = nullptr;  // not owned; its deps give the stores
    std::string version;
    int64_t started_at_ns = 0;
    std::string bind;
    std::function<uint16_t()> port;  // the bound port, known once the server listens
    std::string tls_min_version;
    std::string state_db_path;
    int audit_retention_days = 180;
    // Extra sections of /system/status (backup, ingestion, ...): name -> JSON object text.
    std::function<std::vector<std::pair<std::string, std::string>>()> status_sections;
};

Status AddAdminRoutes(api::Router& router, AdminApiDeps deps);

}  // namespace vigil::app
