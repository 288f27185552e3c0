#include "base/audit_record.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(AuditRecord, FoundAtTheStartOrAfterASyslogHeaderOnly) {
    const std::string_view rec = "type=SYSCALL msg=audit(1.5:7): syscall=59";
    EXPECT_EQ(FindAuditRecord(rec), rec);
    EXPECT_EQ(FindAuditRecord("node=db01 type=EOE msg=audit(1.5:7): "),
              "node=db01 type=EOE msg=audit(1.5:7): ");
    EXPECT_EQ(FindAuditRecord("<14>Nov 22 10:00:00 db01 audispd: node=db01 type=EXECVE "
                              "msg=audit(1.5:7): argc=1"),
              "node=db01 type=EXECVE msg=audit(1.5:7): argc=1");
    EXPECT_EQ(FindAuditRecord("<4>Nov 22 10:00:00 db01 kernel: audit: type=1400 "
                              "audit(1.5:9): apparmor=\"DENIED\""),
              "type=1400 audit(1.5:9): apparmor=\"DENIED\"");
    // ... with the kernel's uptime stamp, where printk's time is on.
    EXPECT_EQ(FindAuditRecord("<4>Nov 22 10:00:00 db01 kernel: [  123.456789] audit: type=1400 "
                              "audit(1.5:9): apparmor=\"DENIED\""),
              "type=1400 audit(1.5:9): apparmor=\"DENIED\"");
    EXPECT_EQ(SkipKernelUptime("[12345.678901] IN=eth0"), "IN=eth0");
    EXPECT_EQ(SkipKernelUptime("[UFW BLOCK] IN=eth0"), "[UFW BLOCK] IN=eth0");
    // Text that only contains a record's shape is not one.
    EXPECT_EQ(FindAuditRecord("198.51.100.9 - - [22/Nov/2026:10:00:00 +0000] \"GET "
                              "/x?type=audit(1:1) HTTP/1.1\" 200 5"),
              "");
    EXPECT_EQ(FindAuditRecord("{\"message\":\"type=SYSCALL msg=audit(1.5:7): x\"}"), "");
    EXPECT_EQ(FindAuditRecord("<14>Nov 22 10:00:00 web app: user said: type=x audit(1:1)"), "");
    EXPECT_EQ(FindAuditRecord("type=SYSCALL but no id"), "");
    EXPECT_EQ(FindAuditRecord("node=no-space-after"), "");
    EXPECT_EQ(FindAuditRecord(""), "");
}

}  // namespace
}  // namespace vigil
