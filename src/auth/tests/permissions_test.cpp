#include "auth/permissions.h"

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace vigil::auth {
namespace {

// The expected matrix, written out independently of permissions.cpp so a change there must
// be made twice, on purpose. Columns: administrator, security_manager, analyst, responder,
// auditor, viewer.
const std::map<std::string, std::string> kExpected = {
    {"users.read", "XX..X."},        {"users.write", "X....."},
    {"roles.assign", "X....."},      {"audit.read", ".X..X."},
    {"audit.export", "....X."},      {"audit.verify", ".X..X."},
    {"config.read", "XX..X."},       {"config.write", "X....."},
    {"tokens.manage_own", "XXXXXX"}, {"tokens.manage_all", "X....."},
    {"assets.read", ".XXX.X"},       {"assets.write", ".XX..."},
    {"alerts.read", ".XXX.X"},       {"alerts.triage", ".XX..."},
    {"incidents.read", ".XXX.X"},    {"incidents.write", ".XXX.."},
    {"response.execute", ".X.X.."},  {"findings.read", ".XXX.X"},
    {"findings.write", ".XXX.."},    {"risk.request", ".XXX.."},
    {"risk.approve", ".X...."},      {"reports.read", ".XX.XX"},
    {"reports.sign", ".X...."},      {"rules.read", ".XX..."},
    {"rules.write", ".XX..."},       {"system.status", "XXXXXX"},
    {"backup.run", "X....."},        {"keys.rotate", "X....."},
    {"events.read", ".XXX.."},       {"events.ingest", "XX...."},
};

TEST(Permissions, MatrixMatchesExpectedTable) {
    ASSERT_EQ(AllPermissions().size(), kExpected.size());
    ASSERT_EQ(AllRoles().size(), 6u);
    for (Permission p : AllPermissions()) {
        std::string name(PermissionName(p));
        auto it = kExpected.find(name);
        ASSERT_NE(it, kExpected.end()) << name << " missing from the expected table";
        for (size_t r = 0; r < AllRoles().size(); ++r) {
            Role role = AllRoles()[r];
            EXPECT_EQ(Allowed(role, p), it->second[r] == 'X') << RoleName(role) << " / " << name;
            EXPECT_EQ(Allowed(role, name), Allowed(role, p));
        }
    }
}

TEST(Permissions, NamesAreStableAndRoundTrip) {
    std::set<std::string> seen;
    for (Permission p : AllPermissions()) {
        std::string name(PermissionName(p));
        EXPECT_TRUE(seen.insert(name).second) << "duplicate " << name;
        EXPECT_EQ(ParsePermission(name), p);
        EXPECT_FALSE(PermissionDescription(p).empty());
        EXPECT_NE(name.find('.'), std::string::npos);
    }
    for (Role r : AllRoles()) EXPECT_EQ(ParseRole(RoleName(r)), r);
    EXPECT_EQ(RoleName(Role::kSecurityManager), "security_manager");
    EXPECT_FALSE(ParseRole("root"));
    EXPECT_FALSE(Allowed(Role::kAdministrator, "nonsense.perm"));
}

TEST(Permissions, InvariantsHoldOverWholeMatrix) {
    for (Permission p : AllPermissions()) {
        std::string name(PermissionName(p));
        // The audit trail can be read, verified and exported, never changed.
        if (name.starts_with("audit.")) {
            EXPECT_TRUE(name == "audit.read" || name == "audit.export" || name == "audit.verify")
                << name;
        }
        int holders = 0;
        for (Role r : AllRoles()) holders += Allowed(r, p) ? 1 : 0;
        EXPECT_GT(holders, 0) << name << " is held by nobody";
    }
    EXPECT_FALSE(ParsePermission("audit.write"));
    EXPECT_FALSE(ParsePermission("audit.delete"));

    for (Role r : AllRoles()) {
        // Only the auditor exports the audit trail.
        EXPECT_EQ(Allowed(r, Permission::kAuditExport), r == Role::kAuditor) << RoleName(r);
        // Only the administrator manages users and roles, and so never approves risk or
        // touches the audit trail.
        if (Allowed(r, Permission::kUsersWrite) || Allowed(r, Permission::kRolesAssign)) {
            EXPECT_EQ(r, Role::kAdministrator);
            EXPECT_FALSE(Allowed(r, Permission::kRiskApprove));
            EXPECT_FALSE(Allowed(r, Permission::kAuditRead));
            EXPECT_FALSE(Allowed(r, Permission::kAuditExport));
        }
        EXPECT_EQ(RequiresMfa(r), r == Role::kAdministrator || r == Role::kSecurityManager);
        int count = 0;
        for (Permission p : AllPermissions()) {
            if (!Allowed(r, p)) continue;
            ++count;
            std::string name(PermissionName(p));
            bool read_only = name.ends_with(".read") || name == "audit.export" ||
                             name == "audit.verify" || name == "system.status" ||
                             name == "tokens.manage_own";
            // Auditor and viewer change nothing.
            if (r == Role::kAuditor || r == Role::kViewer) {
                EXPECT_TRUE(read_only) << RoleName(r) << " holds " << name;
            }
        }
        EXPECT_GT(count, 0) << RoleName(r);
    }
    // Whoever approves risk is not an administrator.
    for (Role r : AllRoles()) {
        if (Allowed(r, Permission::kRiskApprove)) {
            EXPECT_NE(r, Role::kAdministrator);
        }
    }
}

TEST(Permissions, SeparationOfDutiesForApprovals) {
    EXPECT_TRUE(CanApprove("mgr", "analyst1", Role::kSecurityManager));
    auto self = CanApprove("mgr", "mgr", Role::kSecurityManager);
    ASSERT_FALSE(self);
    EXPECT_EQ(self.error().code, Code::kPermissionDenied);
    EXPECT_EQ(self.error().message,
              "separation of duties: a request cannot be approved by its requester");
    auto admin = CanApprove("root", "analyst1", Role::kAdministrator);
    ASSERT_FALSE(admin);
    EXPECT_EQ(admin.error().message,
              "separation of duties: administrators cannot approve requests");
    EXPECT_FALSE(CanApprove("root", "root", Role::kAdministrator));
    auto analyst = CanApprove("analyst2", "analyst1", Role::kAnalyst);
    ASSERT_FALSE(analyst);
    EXPECT_EQ(analyst.error().message, "role analyst lacks risk.approve");
    EXPECT_FALSE(CanApprove("", "", Role::kSecurityManager));
}

TEST(Permissions, NobodyChangesTheirOwnRoles) {
    EXPECT_TRUE(CanAssignRole("root", Role::kAdministrator, "alice"));
    EXPECT_FALSE(CanAssignRole("root", Role::kAdministrator, "root"));
    EXPECT_FALSE(CanAssignRole("mgr", Role::kSecurityManager, "alice"));
}

}  // namespace
}  // namespace vigil::auth
