#include "store/field_codec.h"

#include "base/flat_name_map.h"
#include "base/strings.h"
#include "event/event.h"
#include "store/event_store.h"

namespace vigil::store {

namespace {

using field_codec::kNameCoded;
using field_codec::kValueInRaw;

// The built-in field-name table of version 2 blobs: the names our decoders and the usual
// Windows and Suricata shapes produce most. A code is the index here, so the table only ever
// grows at the end (stored blobs refer to it), and it holds at most 255 names.
constexpr std::string_view kFieldNames[] = {
    // syslog
    "facility",
    "severity",
    "host",
    "program",
    "pid",
    "msgid",
    "message",
    "timestamp",
    // authentication (sshd, sudo, PAM, su)
    "user",
    "source_ip",
    "source_port",
    "outcome",
    "auth_method",
    "invalid_user",
    "src_user",
    "reason",
    "pam_type",
    "pam_service",
    "pam_module",
    "rhost",
    "TTY",
    "PWD",
    "USER",
    "COMMAND",
    // web access logs
    "c-ip",
    "cs-method",
    "cs-uri",
    "cs-uri-stem",
    "cs-uri-query",
    "cs-version",
    "sc-status",
    "sc-bytes",
    "cs-referer",
    "cs-user-agent",
    "cs-username",
    "cs-host",
    "request",
    // firewall (iptables / nftables)
    "prefix",
    "src_ip",
    "dst_ip",
    "protocol",
    "flags",
    "action",
    "blocked",
    "src_port",
    "dst_port",
    "IN",
    "OUT",
    "MAC",
    "SRC",
    "DST",
    "LEN",
    "TOS",
    "PREC",
    "TTL",
    "ID",
    "PROTO",
    "SPT",
    "DPT",
    "WINDOW",
    "RES",
    "URGP",
    // auditd
    "type",
    "serial",
    "node",
    "msg",
    "arch",
    "syscall",
    "success",
    "exit",
    "a0",
    "a1",
    "a2",
    "a3",
    "items",
    "ppid",
    "auid",
    "uid",
    "gid",
    "euid",
    "suid",
    "fsuid",
    "egid",
    "sgid",
    "fsgid",
    "tty",
    "ses",
    "comm",
    "exe",
    "subj",
    "key",
    "cwd",
    "name",
    "inode",
    "dev",
    "mode",
    "ouid",
    "ogid",
    "rdev",
    "nametype",
    "proctitle",
    "argc",
    "res",
    "acct",
    "hostname",
    "addr",
    "terminal",
    "op",
    // CEF / LEEF
    "cefVersion",
    "deviceVendor",
    "deviceProduct",
    "deviceVersion",
    "deviceEventClassId",
    "leefVersion",
    "eventId",
    "src",
    "dst",
    "spt",
    "dpt",
    "suser",
    "duser",
    "act",
    "rt",
    "devTime",
    // Suricata EVE
    "event_type",
    "dest_ip",
    "dest_port",
    "proto",
    "flow_id",
    "in_iface",
    "alert.signature",
    "alert.signature_id",
    "alert.category",
    "alert.severity",
    "alert.action",
    "http.hostname",
    "http.url",
    "http.http_method",
    "http.http_user_agent",
    "http.status",
    "dns.rrname",
    "dns.rrtype",
    // Windows (Winlogbeat, NXLog)
    "EventID",
    "Channel",
    "Computer",
    "Provider_Name",
    "Image",
    "CommandLine",
    "ParentImage",
    "ParentCommandLine",
    "User",
    "TargetUserName",
    "TargetDomainName",
    "SubjectUserName",
    "SubjectDomainName",
    "LogonType",
    "IpAddress",
    "IpPort",
    "WorkstationName",
    "ProcessId",
    "ParentProcessId",
    "NewProcessName",
    "TargetFilename",
    "OriginalFileName",
    "Hashes",
    "IntegrityLevel",
    "CurrentDirectory",
    "Status",
    "SubStatus",
    "Hostname",
    "Severity",
    "SourceName",
    "EventType",
    "Keywords",
    "Level",
    "Task",
    "Opcode",
    "RecordNumber",
    "DestinationIp",
    "DestinationPort",
    "SourceIp",
    "SourcePort",
    "QueryName",
    "ServiceName",
};
static_assert(std::size(kFieldNames) <= 256);  // a code is one byte

// Name -> code, looked up for every stored field.
int CodeOfName(std::string_view name) {
    static const FlatNameMap<uint8_t> kCodes = [] {
        FlatNameMap<uint8_t> m;
        for (size_t i = 0; i < std::size(kFieldNames); ++i) {
            m.Insert(kFieldNames[i], static_cast<uint8_t>(i));
        }
        return m;
    }();
    const uint8_t* code = kCodes.Find(name);
    return code ? *code : -1;
}

void PutVarint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

// Values shorter than this are written out: a slice reference would not be smaller.
constexpr size_t kMinSliceBytes = 3;

}  // namespace

std::string_view field_codec::NameOfCode(uint8_t code) {
    return code < std::size(kFieldNames) ? kFieldNames[code] : std::string_view();
}

void EncodeFields(const event::Event& e, std::string_view raw, std::string& out,
                  FieldEncodeCounts& counts) {
    out.clear();
    size_t kept = 0;
    for (size_t i = 0; i < e.size(); ++i) {
        const auto f = e.field(i);
        if (kept >= kMaxStoredFields || f.name.size() > kMaxStoredFieldNameBytes) {
            ++counts.fields_dropped;
            continue;
        }
        ++kept;
    }
    out.push_back('\0');
    out.push_back('\2');
    PutVarint(out, kept);
    kept = 0;
    for (size_t i = 0; i < e.size() && kept < kMaxStoredFields; ++i) {
        const auto f = e.field(i);
        if (f.name.size() > kMaxStoredFieldNameBytes) continue;
        ++kept;
        std::string_view value = f.value;
        if (value.size() > kMaxStoredValueBytes) {
            value = CutUtf8(value, kMaxStoredValueBytes);
            ++counts.values_truncated;
        }
        // A slice when the decoder took the value verbatim from the line that is stored as raw
        // (checked: the stored text may be repaired or cut, or not the decoded line at all).
        size_t at = std::string_view::npos;
        if (value.size() >= kMinSliceBytes && f.line_offset != event::kNotInLine &&
            f.line_offset <= raw.size() && value.size() <= raw.size() - f.line_offset &&
            raw.compare(f.line_offset, value.size(), value) == 0) {
            at = f.line_offset;
        }
        const int code = CodeOfName(f.name);
        uint8_t tag = static_cast<uint8_t>(f.kind) & field_codec::kKindMask;
        if (code >= 0) tag |= kNameCoded;
        if (at != std::string_view::npos) tag |= kValueInRaw;
        out.push_back(static_cast<char>(tag));
        if (code >= 0) {
            out.push_back(static_cast<char>(code));
        } else {
            PutVarint(out, f.name.size());
            out.append(f.name);
        }
        if (at != std::string_view::npos) {
            PutVarint(out, at);
            PutVarint(out, value.size());
        } else {
            PutVarint(out, value.size());
            out.append(value);
        }
    }
}

bool DecodeFields(std::string_view blob, std::string_view raw, event::Event& out) {
    return ForEachField(blob, raw,
                        [&](std::string_view name, std::string_view value, uint8_t kind) {
                            out.Add(name, value,
                                    kind <= static_cast<uint8_t>(event::ValueKind::kNull)
                                        ? static_cast<event::ValueKind>(kind)
                                        : event::ValueKind::kString);
                            return true;
                        });
}

}  // namespace vigil::store
