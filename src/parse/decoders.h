#pragma once
// Private to parse/: the pieces the line decoders share and the entry point of each decoder.
// Every decoder appends fields through Ctx::Add (which enforces the field limit) and reports
// a failure with the byte offset in the whole line (Ctx::Fail).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "event/event.h"
#include "parse/decode.h"

namespace vigil::parse::internal {

struct Ctx {
    LineDecoder& decoder;
    event::Event& ev;
    const DecodeOptions& options;
    std::string_view line;  // the whole line; offsets in errors are relative to it
    uint64_t dropped = 0;   // fields over the limit
    int64_t now_ns = 0;     // resolved "now" (read once per line when needed)

    void Add(std::string_view name, std::string_view value,
             event::ValueKind kind = event::ValueKind::kString) {
        if (ev.size() >= options.max_fields) {
            ++dropped;
            return;
        }
        const bool in_line = !value.empty() && value.data() >= line.data() &&
                             value.data() + value.size() <= line.data() + line.size();
        ev.Add(name, value, kind,
               in_line ? static_cast<uint32_t>(value.data() - line.data()) : event::kNotInLine);
    }
    // Adds value as a number when it is all digits (with an optional '-'), else as a string.
    void AddNumberOrString(std::string_view name, std::string_view value);
    // Offset of a view into line (0 when it does not point into it).
    size_t Offset(std::string_view part) const {
        if (part.data() < line.data() || part.data() > line.data() + line.size()) return 0;
        return static_cast<size_t>(part.data() - line.data());
    }
    int64_t Now();
    tl::unexpected<Error> Fail(std::string_view decoder, std::string_view at,
                               std::string_view reason) const;
    tl::unexpected<Error> FailAt(std::string_view decoder, size_t offset,
                                 std::string_view reason) const;
};

// Decoders of one piece of text. `text` is a view into ctx.line (the whole line or the MSG of
// a syslog line).
Status DecodeSyslog(Ctx& ctx, std::string_view text, Format which);
Status DecodeCef(Ctx& ctx, std::string_view text);
Status DecodeLeef(Ctx& ctx, std::string_view text);
// `in_message`: pairs among the words of a syslog MSG (slapd's `conn=1 op=0 BIND dn="..."`): an
// unquoted value ends at the first space, as in logfmt. Otherwise (a device's line of pairs) it
// runs to the next ` key=`.
Status DecodeKv(Ctx& ctx, std::string_view text, bool in_message = false);
Status DecodeAccess(Ctx& ctx, std::string_view text);
// program: "sshd", "sudo", ... when known (from a syslog tag); empty guesses from the text.
Status DecodeAuth(Ctx& ctx, std::string_view program, std::string_view text);
Status DecodeAuditd(Ctx& ctx, std::string_view text);
Status DecodeIptables(Ctx& ctx, std::string_view text);
Status DecodeJsonLine(Ctx& ctx, std::string_view text, Format which);

// What the syslog decoder needs to dispatch a MSG: whether the text looks like an auth
// message it can decode (so generic programs such as "su" are decoded too).
bool LooksLikePam(std::string_view text);
bool LooksLikeIptables(std::string_view text);
bool LooksLikeAuditd(std::string_view text);
bool LooksLikeAccess(std::string_view text);
// "key=value key=value": at least two pairs, the first token a key.
bool LooksLikeKv(std::string_view text);

// A syslog line's header, as RFC 3164 / 5424 or a network device's prefix gives it.
struct SyslogHeader {
    int pri = -1;
    std::string_view host, program, pid, msgid, msg;
};

// A network device's message tag (network_device.cpp): Cisco's "%SYS-5-CONFIG_I:" and
// "%ASA-6-302013:", Huawei's "%%01SHELL/5/CMDRECORD(s)[0]:", H3C's "%%10SHELL/5/SHELL_CMD:".
struct DeviceTag {
    enum class Vendor : uint8_t { kNone, kCisco, kCiscoAsa, kHuawei, kH3c };
    Vendor vendor = Vendor::kNone;
    std::string_view facility;   // SYS, ASA, ROUTING-BGP, SHELL
    int severity = 0;            // 0..7
    std::string_view mnemonic;   // CONFIG_I, 302013, CMDRECORD
    std::string_view text;       // from the tag on
    std::string_view body;       // after the tag
    std::string_view seq, node;  // the prefix's sequence number and IOS XR node
    std::string_view name;       // the device's own name, when a relay's header named it too
};
// The tag at the start of s.
bool ParseDeviceTag(std::string_view s, DeviceTag& tag);
// A device's line after <PRI> (its prefix, then its tag): the header's host, program and msg
// (from the tag on), the event's time (a clock marked unsynchronised is not used), the tag.
// False, with nothing changed but tag, when s is not one.
bool ParseDeviceHeader(Ctx& ctx, std::string_view s, SyslogHeader& h, DeviceTag& tag);
// The fields of a device's message and its Sigma logsource (cisco / huawei / h3c, service
// aaa, bgp, ldp or syslog; category firewall for ASA's connections and access lists).
void DecodeDeviceMessage(Ctx& ctx, const DeviceTag& tag);
// Juniper Junos: its daemons, its structured data, its daemons' event tags.
bool IsJunos(std::string_view program, std::string_view msgid, std::string_view msg,
             std::string_view line);
void DecodeJunos(Ctx& ctx, std::string_view program, std::string_view msgid, std::string_view msg);

// Audit record pieces for AuditdAssembler.
struct AuditRecordInfo {
    std::string_view type;  // SYSCALL, EXECVE, EOE, ...
    uint64_t serial = 0;
    int64_t time_ns = 0;
    std::string_view node;
};
// Parses one audit record's header; fields are added to ctx.ev (without the derived fields).
Status DecodeAuditRecord(Ctx& ctx, std::string_view text, AuditRecordInfo& info);
// Derived fields of a complete audit event: SYSCALL name, process_creation fields.
void FinishAuditEvent(event::Event& ev, size_t max_fields);

// RFC 3164's "Mmm dd [yyyy ]hh:mm:ss[.frac]" (the day padded or not) at the start of s, read
// in `zone`, the year inferred when absent; consumed from s (and a space after it). out is 0
// when the date does not exist. False when s does not start with one.
bool ParseBsdDate(Ctx& ctx, std::string_view& s, int64_t& out, const TimeZone& zone);

// --- small shared helpers ---
// "Jan".."Dec" -> 1..12, 0 otherwise.
int MonthFromAbbrev(std::string_view s);
bool IsDigits(std::string_view s);
// Plausibly an IPv4 or IPv6 address (characters and shape only).
bool LooksLikeIp(std::string_view s);

}  // namespace vigil::parse::internal
