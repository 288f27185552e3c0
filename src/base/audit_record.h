#pragma once
// Where a Linux audit record sits in a log line, for the two places that need it without
// decoding it: the ingest layer joining the records of one event (ingest/audit_join.h) and the
// auditd decoder reading the later lines of a joined message (parse/auditd.cpp).
//
// A record is "[node=NAME ]type=TYPE msg=audit(TIME:SERIAL): ..." (kernel lines relayed by
// syslog write "audit(" without "msg="). It must start the line, or follow the ": " that ends a
// syslog header ("<14>... audispd: type=...", "... kernel: audit: type=..."): text that merely
// contains "type=...audit(" elsewhere (a URL's query, a JSON string) is not a record.

#include <string_view>

namespace vigil {

// The record from its "node=" or "type=" to the end of the line; empty when there is none.
std::string_view FindAuditRecord(std::string_view line);

// s without the kernel's uptime stamp ("[  123.456789] ") at its start, which kernel lines
// (audit records, netfilter's) carry where the kernel's printk time is on; s when it has none.
std::string_view SkipKernelUptime(std::string_view s);

}  // namespace vigil
