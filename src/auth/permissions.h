#pragma once
// The permission matrix: the one place that says which role may do what. Every API route
// declares one Permission; the server asks Allowed(role, permission) and nothing else.
//
// Principles encoded here (and asserted by tests/permissions_test.cpp):
// - least privilege: each role holds only what its duty needs; the administrator manages
//   users, configuration and keys, not security operations data;
// - separation of duties: nobody approves their own request; administrators never approve;
//   only the auditor exports the audit trail; nobody can write or delete audit records
//   (no such permission exists);
// - MFA is mandatory for the administrator and the security manager.

#include <optional>
#include <span>
#include <string_view>

#include "base/result.h"

namespace vigil::auth {

enum class Role {
    kAdministrator,
    kSecurityManager,
    kAnalyst,
    kResponder,
    kAuditor,
    kViewer,
};

// Stable names: "administrator", "security_manager", "analyst", "responder", "auditor",
// "viewer". Stored in the database and shown in the API.
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);
std::span<const Role> AllRoles();

enum class Permission {
    kUsersRead,
    kUsersWrite,
    kRolesAssign,
    kAuditRead,
    kAuditExport,
    kAuditVerify,
    kConfigRead,
    kConfigWrite,
    kTokensManageOwn,
    kTokensManageAll,
    kAssetsRead,
    kAssetsWrite,
    kAlertsRead,
    kAlertsTriage,
    kIncidentsRead,
    kIncidentsWrite,
    kResponseExecute,
    kFindingsRead,
    kFindingsWrite,
    kRiskRequest,
    kRiskApprove,
    kReportsRead,
    kReportsSign,
    kRulesRead,
    kRulesWrite,
    kSystemStatus,
    kBackupRun,
    kKeysRotate,
    kEventsRead,
    kEventsIngest,  // an API token for log shippers (POST /api/v1/events)
};

// Stable dotted names ("users.read", "audit.export", ...): used in route declarations,
// API token scopes and the audit log. Never rename one; add a new one instead.
std::string_view PermissionName(Permission permission);
std::string_view PermissionDescription(Permission permission);
std::optional<Permission> ParsePermission(std::string_view name);
std::span<const Permission> AllPermissions();

bool Allowed(Role role, Permission permission);
// Unknown permission names are denied.
bool Allowed(Role role, std::string_view permission_name);

// Administrator and security manager must sign in with a second factor.
bool RequiresMfa(Role role);

// Separation of duties for approvals (risk acceptance and any future approval permission):
// denied when the approver is the requester, when the approver is an administrator, or when
// the role lacks `approval`. Returns permission_denied with the reason.
Status CanApprove(std::string_view approver_user, std::string_view requester_user,
                  Role approver_role, Permission approval = Permission::kRiskApprove);

// Role changes need roles.assign and never apply to the actor's own account, so an
// administrator cannot raise or widen their own privileges.
Status CanAssignRole(std::string_view actor_user, Role actor_role, std::string_view target_user);

}  // namespace vigil::auth
