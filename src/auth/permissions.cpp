#include "auth/permissions.h"

#include <array>
#include <cstdint>
#include <string>

namespace vigil::auth {
namespace {

using RoleMask = uint32_t;

constexpr RoleMask Bit(Role r) { return RoleMask{1} << static_cast<int>(r); }

constexpr RoleMask kAdmin = Bit(Role::kAdministrator);
constexpr RoleMask kSecMgr = Bit(Role::kSecurityManager);
constexpr RoleMask kAnalyst = Bit(Role::kAnalyst);
constexpr RoleMask kResponder = Bit(Role::kResponder);
constexpr RoleMask kAuditor = Bit(Role::kAuditor);
constexpr RoleMask kViewer = Bit(Role::kViewer);
constexpr RoleMask kEveryone = kAdmin | kSecMgr | kAnalyst | kResponder | kAuditor | kViewer;

struct Entry {
    Permission permission;
    std::string_view name;
    std::string_view description;
    RoleMask roles;
};

// THE permission matrix. One row per permission, in enum order (checked below).
constexpr std::array kMatrix = {
    Entry{Permission::kUsersRead, "users.read", "list users and their roles",
          kAdmin | kSecMgr | kAuditor},
    Entry{Permission::kUsersWrite, "users.write", "create, disable and reset users", kAdmin},
    Entry{Permission::kRolesAssign, "roles.assign", "grant and revoke roles", kAdmin},
    Entry{Permission::kAuditRead, "audit.read", "read the audit trail", kAuditor | kSecMgr},
    Entry{Permission::kAuditExport, "audit.export", "export the audit trail", kAuditor},
    Entry{Permission::kAuditVerify, "audit.verify", "verify the audit hash chain",
          kAuditor | kSecMgr},
    Entry{Permission::kConfigRead, "config.read", "read configuration and integrations",
          kAdmin | kSecMgr | kAuditor},
    Entry{Permission::kConfigWrite, "config.write", "change configuration and integrations",
          kAdmin},
    Entry{Permission::kTokensManageOwn, "tokens.manage_own", "create and revoke own API tokens",
          kEveryone},
    Entry{Permission::kTokensManageAll, "tokens.manage_all", "list and revoke anyone's API tokens",
          kAdmin},
    Entry{Permission::kAssetsRead, "assets.read", "read the asset inventory",
          kSecMgr | kAnalyst | kResponder | kViewer},
    Entry{Permission::kAssetsWrite, "assets.write", "register, classify and retire assets",
          kSecMgr | kAnalyst},
    Entry{Permission::kAlertsRead, "alerts.read", "read alerts and the live queue",
          kSecMgr | kAnalyst | kResponder | kViewer},
    Entry{Permission::kAlertsTriage, "alerts.triage", "acknowledge, suppress, escalate alerts",
          kSecMgr | kAnalyst},
    Entry{Permission::kIncidentsRead, "incidents.read", "read incidents and notices",
          kSecMgr | kAnalyst | kResponder | kViewer},
    Entry{Permission::kIncidentsWrite, "incidents.write", "open, update and close incidents",
          kSecMgr | kAnalyst | kResponder},
    Entry{Permission::kResponseExecute, "response.execute",
          "run response actions (block, restore, quarantine)", kSecMgr | kResponder},
    Entry{Permission::kFindingsRead, "findings.read", "read vulnerabilities and baseline findings",
          kSecMgr | kAnalyst | kResponder | kViewer},
    Entry{Permission::kFindingsWrite, "findings.write", "assign, fix and verify findings",
          kSecMgr | kAnalyst | kResponder},
    Entry{Permission::kRiskRequest, "risk.request", "request acceptance of a risk",
          kSecMgr | kAnalyst | kResponder},
    Entry{Permission::kRiskApprove, "risk.approve", "approve a risk acceptance request", kSecMgr},
    Entry{Permission::kReportsRead, "reports.read", "read reports and metrics",
          kSecMgr | kAnalyst | kAuditor | kViewer},
    Entry{Permission::kReportsSign, "reports.sign", "sign off reports", kSecMgr},
    Entry{Permission::kRulesRead, "rules.read", "read detection rules and policies",
          kSecMgr | kAnalyst},
    Entry{Permission::kRulesWrite, "rules.write", "change detection rules and policies",
          kSecMgr | kAnalyst},
    Entry{Permission::kSystemStatus, "system.status", "read health and version", kEveryone},
    Entry{Permission::kBackupRun, "backup.run", "run and download backups", kAdmin},
    Entry{Permission::kKeysRotate, "keys.rotate", "rotate the sealing key", kAdmin},
    Entry{Permission::kEventsRead, "events.read", "search stored events and detections",
          kSecMgr | kAnalyst | kResponder},
    Entry{Permission::kEventsIngest, "events.ingest", "send events to the HTTP intake",
          kAdmin | kSecMgr},
};

constexpr bool MatrixInEnumOrder() {
    for (size_t i = 0; i < kMatrix.size(); ++i) {
        if (static_cast<size_t>(kMatrix[i].permission) != i) return false;
    }
    return true;
}
static_assert(MatrixInEnumOrder(), "kMatrix rows must follow the Permission enum order");
static_assert(kMatrix.back().permission == Permission::kEventsIngest,
              "every Permission needs a kMatrix row");

constexpr std::array kRoles = {Role::kAdministrator, Role::kSecurityManager, Role::kAnalyst,
                               Role::kResponder,     Role::kAuditor,         Role::kViewer};

constexpr std::array<Permission, kMatrix.size()> MakePermissionList() {
    std::array<Permission, kMatrix.size()> out{};
    for (size_t i = 0; i < kMatrix.size(); ++i) out[i] = kMatrix[i].permission;
    return out;
}
constexpr auto kPermissions = MakePermissionList();

const Entry& Row(Permission p) { return kMatrix[static_cast<size_t>(p)]; }

}  // namespace

std::string_view RoleName(Role role) {
    switch (role) {
        case Role::kAdministrator:
            return "administrator";
        case Role::kSecurityManager:
            return "security_manager";
        case Role::kAnalyst:
            return "analyst";
        case Role::kResponder:
            return "responder";
        case Role::kAuditor:
            return "auditor";
        case Role::kViewer:
            return "viewer";
    }
    return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
    for (Role r : kRoles) {
        if (RoleName(r) == name) return r;
    }
    return std::nullopt;
}

std::span<const Role> AllRoles() { return kRoles; }

std::string_view PermissionName(Permission permission) { return Row(permission).name; }

std::string_view PermissionDescription(Permission permission) {
    return Row(permission).description;
}

std::optional<Permission> ParsePermission(std::string_view name) {
    for (const Entry& e : kMatrix) {
        if (e.name == name) return e.permission;
    }
    return std::nullopt;
}

std::span<const Permission> AllPermissions() { return kPermissions; }

bool Allowed(Role role, Permission permission) {
    size_t i = static_cast<size_t>(permission);
    if (i >= kMatrix.size()) return false;
    return (kMatrix[i].roles & Bit(role)) != 0;
}

bool Allowed(Role role, std::string_view permission_name) {
    auto p = ParsePermission(permission_name);
    return p && Allowed(role, *p);
}

bool RequiresMfa(Role role) {
    return role == Role::kAdministrator || role == Role::kSecurityManager;
}

Status CanApprove(std::string_view approver_user, std::string_view requester_user,
                  Role approver_role, Permission approval) {
    if (approver_user.empty() || approver_user == requester_user) {
        return MakeError(Code::kPermissionDenied,
                         "separation of duties: a request cannot be approved by its requester");
    }
    if (approver_role == Role::kAdministrator) {
        return MakeError(Code::kPermissionDenied,
                         "separation of duties: administrators cannot approve requests");
    }
    if (!Allowed(approver_role, approval)) {
        return MakeError(Code::kPermissionDenied, "role " + std::string(RoleName(approver_role)) +
                                                      " lacks " +
                                                      std::string(PermissionName(approval)));
    }
    return Ok();
}

Status CanAssignRole(std::string_view actor_user, Role actor_role, std::string_view target_user) {
    if (!Allowed(actor_role, Permission::kRolesAssign)) {
        return MakeError(Code::kPermissionDenied,
                         "role " + std::string(RoleName(actor_role)) + " lacks roles.assign");
    }
    if (actor_user.empty() || actor_user == target_user) {
        return MakeError(Code::kPermissionDenied,
                         "separation of duties: nobody can change their own roles");
    }
    return Ok();
}

}  // namespace vigil::auth
