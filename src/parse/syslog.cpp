// Syslog: RFC 5424 and RFC 3164 (with or without PRI, hostname, year), then the MSG is
// decoded further by the decoder its program or its shape calls for (sshd, sudo, PAM,
// auditd via audispd, kernel netfilter lines, CEF/LEEF/JSON payloads, web access logs).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "base/audit_record.h"
#include "base/strings.h"
#include "parse/decoders.h"
#include "parse/evtx_xml.h"

namespace vigil::parse::internal {

namespace {

constexpr std::string_view kFacilities[24] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};
constexpr std::string_view kSeverities[8] = {"emerg",   "alert",  "crit", "err",
                                             "warning", "notice", "info", "debug"};

constexpr size_t kMaxTagBytes = 64;

std::string_view NextToken(std::string_view& s) {
    size_t sp = s.find(' ');
    std::string_view tok = s.substr(0, sp);
    s.remove_prefix(sp == std::string_view::npos ? s.size() : sp + 1);
    return tok;
}

bool Digit(char c) { return c >= '0' && c <= '9'; }

int TwoDigits(std::string_view s, size_t i) {
    if (i + 2 > s.size() || !Digit(s[i]) || !Digit(s[i + 1])) return -1;
    return (s[i] - '0') * 10 + (s[i + 1] - '0');
}

// Programs whose messages are authentication events (Sigma service "auth").
bool IsAuthProgram(std::string_view p) {
    static constexpr std::string_view kAuth[] = {
        "su",       "login",          "passwd",      "useradd",      "userdel", "usermod",
        "groupadd", "groupdel",       "groupmod",    "chpasswd",     "chage",   "pkexec",
        "polkitd",  "systemd-logind", "unix_chkpwd", "gdm-password", "lightdm", "chsh",
        "chfn",     "newgrp",         "runuser",     "doas"};
    for (auto a : kAuth)
        if (p == a) return true;
    return false;
}

// Sigma's linux services named after the program that logs them.
std::string_view ServiceOf(std::string_view p) {
    // OpenSSH 9.8 and later log authentication from sshd-session and sshd-auth.
    if (p == "sshd" || p == "sshd-session" || p == "sshd-auth") return "sshd";
    if (p == "sudo") return "sudo";
    // crontab logs the edits (BEGIN EDIT, REPLACE) the cron rules look for.
    if (p == "cron" || p == "CRON" || p == "crond" || p == "anacron" || p == "crontab") {
        return "cron";
    }
    // The web servers' error logs (Sigma's web/product rules: service nginx, apache).
    if (p == "nginx") return "nginx";
    if (p == "apache2" || p == "httpd" || p == "apache") return "apache";
    if (p == "vsftpd") return "vsftpd";
    if (p == "clamd" || p == "freshclam" || p == "clamav" || p == "clamscan") return "clamav";
    if (p == "guacd" || p == "guacamole") return "guacamole";
    if (p == "audispd" || p == "audisp-syslog" || p == "auditd" || p == "audit") return "auditd";
    if (IsAuthProgram(p)) return "auth";
    return "syslog";
}

using Header = SyslogHeader;

}  // namespace

// BSD timestamp "Mmm dd [yyyy ]hh:mm:ss[.frac]" (no zone: UTC; no year: the latest year that
// does not put it more than a month ahead of now). The day may be space-padded ("Nov  9", as
// RFC 3164 has it) or not ("Nov 9", as some devices write it). Consumes it from s; false when s
// does not start with one.
bool ParseBsdDate(Ctx& ctx, std::string_view& s, int64_t& out, const TimeZone& zone) {
    if (s.size() < 14) return false;
    int month = MonthFromAbbrev(s.substr(0, 3));
    if (month == 0 || s[3] != ' ') return false;
    size_t pos = 4;
    if (s[pos] == ' ') ++pos;  // "Nov  9"
    int day = 0;
    const size_t day_at = pos;
    while (pos < s.size() && pos < day_at + 2 && Digit(s[pos])) day = day * 10 + (s[pos++] - '0');
    // Two digits when not padded; one after a padding space.
    if (pos == day_at || (day_at == 5 && pos != 6) || day < 1) return false;
    if (pos >= s.size() || s[pos] != ' ') return false;
    ++pos;
    int year = 0;
    if (s.size() >= pos + 5 && IsDigits(s.substr(pos, 4)) && s[pos + 4] == ' ') {
        year = std::stoi(std::string(s.substr(pos, 4)));  // "Mmm dd yyyy hh:mm:ss"
        pos += 5;
    }
    if (s.size() < pos + 8) return false;
    int h = TwoDigits(s, pos), mi = TwoDigits(s, pos + 3), sec = TwoDigits(s, pos + 6);
    if (h < 0 || mi < 0 || sec < 0 || s[pos + 2] != ':' || s[pos + 5] != ':') return false;
    pos += 8;
    int64_t frac = 0;
    if (pos < s.size() && s[pos] == '.') {
        int64_t scale = 100000000;
        for (++pos; pos < s.size() && Digit(s[pos]); ++pos) {
            frac += (s[pos] - '0') * scale;
            scale /= 10;
        }
    }
    if (pos < s.size() && s[pos] != ' ') return false;
    s.remove_prefix(pos < s.size() ? pos + 1 : pos);
    // A day the month lacks in that year (Nov 31, Feb 29 of 2027) is not a date: the header
    // is read, the time left unknown (0: the receive time stands for it), not moved to the
    // next month.
    auto exists = [&](int y) {
        return std::chrono::year_month_day{std::chrono::year{y},
                                           std::chrono::month{static_cast<unsigned>(month)},
                                           std::chrono::day{static_cast<unsigned>(day)}}
            .ok();
    };
    if (year != 0) {
        auto t = CivilToNs(year, month, day, h, mi, sec, frac);
        out = exists(year) && t ? zone.ToUtc(*t) : 0;
        return true;
    }
    // The latest year that does not put the line more than a month ahead of now (a sender's
    // clock a little ahead across New Year): a line read late is from the past, so "May  7"
    // read in November is this May, not next (rsyslog and syslog-ng decide alike). The day must
    // exist in that year.
    constexpr int64_t kMaxAheadNs = int64_t{31} * 86400 * 1000000000;
    const int64_t now = ctx.Now();
    const int y = YearOf(now);
    int64_t best = 0;
    int best_year = 0;
    for (int cand : {y + 1, y, y - 1}) {
        if (!exists(cand)) continue;  // Feb 29: the latest leap year of the three
        auto t = CivilToNs(cand, month, day, h, mi, sec, frac);
        if (t && zone.ToUtc(*t) <= now + kMaxAheadNs) {
            best = zone.ToUtc(*t);
            best_year = cand;
            break;
        }
    }
    out = best != 0 && exists(best_year) ? best : 0;
    return true;
}

namespace {

// "program[pid]:" or "program:"; false when the token is not a tag.
bool ParseTag(std::string_view tok, Header& h) {
    if (tok.empty() || tok.size() > kMaxTagBytes) return false;
    size_t lb = tok.find('[');
    if (lb != std::string_view::npos) {
        size_t rb = tok.find(']', lb);
        if (rb == std::string_view::npos || lb == 0) return false;
        std::string_view rest = tok.substr(rb + 1);
        if (rest != ":" && !rest.empty()) return false;
        h.program = tok.substr(0, lb);
        h.pid = tok.substr(lb + 1, rb - lb - 1);
        return true;
    }
    if (tok.size() < 2 || tok.back() != ':') return false;
    h.program = tok.substr(0, tok.size() - 1);
    return true;
}

// Takes the tag at the start of s: a token ParseTag accepts (and the space after it), or
// "program[digits]:" directly followed by the message ("app[12]:text"), which only a tag
// looks like; "foo:bar" stays text. s is unchanged when there is no tag.
bool TakeTag(std::string_view& s, Header& h) {
    size_t sp = s.find(' ');
    if (ParseTag(s.substr(0, sp), h)) {
        s.remove_prefix(sp == std::string_view::npos ? s.size() : sp + 1);
        return true;
    }
    std::string_view tok = s.substr(0, std::min(sp, kMaxTagBytes));
    size_t lb = tok.find('[');
    size_t end = tok.find("]:");
    if (lb == 0 || lb == std::string_view::npos || end == std::string_view::npos || end < lb ||
        !IsDigits(tok.substr(lb + 1, end - lb - 1)))
        return false;
    h.program = tok.substr(0, lb);
    h.pid = tok.substr(lb + 1, end - lb - 1);
    s.remove_prefix(end + 2);
    return true;
}

Status Parse3164(Ctx& ctx, std::string_view s, Header& h, std::string_view name) {
    int64_t t = 0;
    bool have_time = ParseBsdDate(ctx, s, t, ctx.options.zone);
    if (!have_time && s.size() > 10 && s[4] == '-' && s[10] == 'T') {  // rsyslog's RFC 3339
        std::string_view ts = NextToken(s);
        // A time that is no date or past what is held (year 2300): no time of its own, the
        // rest decoded (a sender's date must not hide its line from the rules).
        t = ParseTimestamp(ts, ctx.options.zone).value_or(0);
        have_time = true;
    }
    if (!have_time && h.pri < 0) return ctx.Fail(name, s, "expected <PRI> or a timestamp");
    ctx.ev.time_ns = t;
    // HOSTNAME is optional: a first token that is a tag means there is none.
    std::string_view rest = s;
    if (!TakeTag(rest, h) && have_time) {
        h.host = NextToken(rest);
        (void)TakeTag(rest, h);  // no tag: the rest is the message
    }
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    h.msg = rest;
    return Ok();
}

// RFC 5424 structured data: [id name="value" ...]... -> sd.<id>.<name> fields.
Status ParseStructuredData(Ctx& ctx, std::string_view& s) {
    std::string name, value;
    if (!s.empty() && s.front() == '-') {
        s.remove_prefix(1);
        return Ok();
    }
    if (s.empty() || s.front() != '[')
        return ctx.Fail("rfc5424", s, "expected '[' or '-' for structured data");
    while (!s.empty() && s.front() == '[') {
        s.remove_prefix(1);
        size_t end = s.find_first_of(" ]");
        if (end == std::string_view::npos || end == 0)
            return ctx.Fail("rfc5424", s, "unterminated structured data element");
        std::string_view id = s.substr(0, end);
        s.remove_prefix(end);
        while (!s.empty() && s.front() == ' ') {
            s.remove_prefix(1);
            size_t eq = s.find('=');
            if (eq == std::string_view::npos || eq == 0 || eq + 1 >= s.size() || s[eq + 1] != '"')
                return ctx.Fail("rfc5424", s, "expected name=\"value\" in structured data");
            std::string_view param = s.substr(0, eq);
            s.remove_prefix(eq + 2);
            value.clear();
            bool closed = false;
            while (!s.empty()) {
                char c = s.front();
                s.remove_prefix(1);
                if (c == '\\' && !s.empty() &&
                    (s.front() == '"' || s.front() == '\\' || s.front() == ']')) {
                    value.push_back(s.front());
                    s.remove_prefix(1);
                } else if (c == '"') {
                    closed = true;
                    break;
                } else {
                    value.push_back(c);
                }
            }
            if (!closed) return ctx.Fail("rfc5424", s, "unterminated structured data value");
            name.assign("sd.").append(id).append(".").append(param);
            ctx.Add(name, value);
        }
        if (s.empty() || s.front() != ']')
            return ctx.Fail("rfc5424", s, "expected ']' closing a structured data element");
        s.remove_prefix(1);
    }
    return Ok();
}

Status Parse5424(Ctx& ctx, std::string_view s, Header& h) {
    s.remove_prefix(2);  // "1 "
    std::string_view ts = NextToken(s);
    if (ts != "-") {
        // As in RFC 3164: a time that is no date, or past the years held, is no time.
        ctx.ev.time_ns = ParseTimestamp(ts, ctx.options.zone).value_or(0);
    }
    std::string_view* parts[] = {&h.host, &h.program, &h.pid, &h.msgid};
    static constexpr std::string_view kNames[] = {"HOSTNAME", "APP-NAME", "PROCID", "MSGID"};
    for (size_t i = 0; i < 4; ++i) {
        if (s.empty())
            return ctx.Fail("rfc5424", s, "truncated header: expected " + std::string(kNames[i]));
        std::string_view tok = NextToken(s);
        *parts[i] = tok == "-" ? std::string_view() : tok;
    }
    if (Status st = ParseStructuredData(ctx, s); !st) return st;
    if (!s.empty()) {
        if (s.front() != ' ') return ctx.Fail("rfc5424", s, "expected a space before MSG");
        s.remove_prefix(1);
    }
    (void)ConsumePrefix(s, "\xEF\xBB\xBF");
    h.msg = s;
    return Ok();
}

// What DecodeMessage found: the Sigma service (empty when the payload brings its own
// logsource), and whether MSG is key=value pairs to decode after the header's fields.
struct Payload {
    std::string_view service;
    bool pairs = false;
};

// Decodes MSG with the decoder its program or shape calls for (key=value pairs excepted: they
// are left to the caller, to add after the header's fields).
Payload DecodeMessage(Ctx& ctx, const Header& h) {
    std::string_view m = h.msg;
    std::string_view service = ServiceOf(h.program);
    if (m.empty()) return {service};
    if (StartsWith(m, "CEF:")) {
        (void)DecodeCef(ctx, m);
        return {};
    }
    if (StartsWith(m, "LEEF:")) {
        (void)DecodeLeef(ctx, m);
        return {};
    }
    if (m.front() == '{') {
        (void)DecodeJsonLine(ctx, m, Detect(m));
        return {};
    }
    // Sysmon for Linux: the event's XML, as Windows writes it (Event.System.*,
    // Event.EventData.*). The field-mapping pipeline names its fields and sets its logsource
    // from Channel and EventID (pipelines/sysmon_linux.yml); unreadable XML stays a syslog line.
    if (h.program == "sysmon" && StartsWith(m, "<Event>")) {
        if (ctx.decoder.xml().Convert(m, ctx.ev)) return {};
        return {service};
    }
    if (IsJunos(h.program, h.msgid, m, ctx.line)) {
        DecodeJunos(ctx, h.program, h.msgid, m);
        return {};
    }
    if (service == "sshd" || service == "sudo" || service == "auth" || LooksLikePam(m)) {
        // The auth decoder knows sshd's messages by the name "sshd", whichever process wrote them.
        (void)DecodeAuth(ctx, service == "sshd" ? service : h.program, m);
        return {service == "syslog" ? std::string_view("auth") : service};
    }
    // The kernel's records: "audit: type=1400 audit(...)", with its uptime stamp or not.
    std::string_view kernel_audit = SkipKernelUptime(m);
    const bool kernel = ConsumePrefix(kernel_audit, "audit: ");
    if (service == "auditd" || LooksLikeAuditd(m) || kernel) {
        (void)DecodeAuditd(ctx, kernel ? kernel_audit : m);
        return {"auditd"};
    }
    if (LooksLikeIptables(m)) {
        (void)DecodeIptables(ctx, m);
        return {service};
    }
    if (LooksLikeAccess(m)) {
        (void)DecodeAccess(ctx, m);
        return {service};
    }
    return {service, LooksLikeKv(m)};
}

// rsyslog's "message repeated N times: [ MSG]" (N lines of MSG, reduced to one): MSG, and N in
// count; nullopt when msg is not that.
std::optional<std::string_view> UnwrapRepeated(std::string_view msg, std::string_view& count) {
    constexpr std::string_view kHead = "message repeated ", kTimes = " times: [";
    if (!StartsWith(msg, kHead) || !EndsWith(msg, "]")) return std::nullopt;
    std::string_view s = msg.substr(kHead.size(), msg.size() - kHead.size() - 1);
    size_t digits = 0;
    while (digits < s.size() && Digit(s[digits])) ++digits;
    if (digits == 0 || !StartsWith(s.substr(digits), kTimes)) return std::nullopt;
    count = s.substr(0, digits);
    s.remove_prefix(digits + kTimes.size());
    if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    return s;
}

}  // namespace

Status DecodeSyslog(Ctx& ctx, std::string_view text, Format which) {
    const std::string_view name = FormatName(which);
    std::string_view s = text;
    Header h;
    if (!s.empty() && s.front() == '<') {
        size_t close = s.find('>');
        if (close == std::string_view::npos || close < 2 || close > 4 ||
            !IsDigits(s.substr(1, close - 1)))
            return ctx.Fail(name, s, "bad PRI: expected <0..191>");
        int pri = std::stoi(std::string(s.substr(1, close - 1)));
        if (pri > 191) return ctx.Fail(name, s, "bad PRI: expected <0..191>");
        h.pri = pri;
        s.remove_prefix(close + 1);
    } else if (which == Format::kRfc5424) {
        return ctx.Fail(name, s, "expected <PRI>");
    }
    const bool is5424 = s.size() >= 2 && s[0] == '1' && s[1] == ' ';
    Status st;
    // A network device's line (network_device.cpp): its own prefix before its tag.
    DeviceTag device;
    bool is_device = false;
    if (which == Format::kRfc5424 || (which == Format::kSyslog && is5424)) {
        if (!is5424) return ctx.Fail(name, s, "expected version 1 after PRI");
        st = Parse5424(ctx, s, h);
        is_device = st && StartsWith(h.msg, "%") && ParseDeviceTag(h.msg, device);
    } else if (ParseDeviceHeader(ctx, s, h, device)) {
        is_device = true;
    } else {
        st = Parse3164(ctx, s, h, name);
    }
    if (!st) return st;

    // The header's host first: the event's host is its first "host", and a JSON, CEF or LEEF
    // payload's "host" (an application logging the HTTP Host header) is the sender's to choose.
    if (!h.host.empty()) ctx.Add("host", h.host);
    // Then the payload, so its own fields (an audit record's pid) come before the header's.
    // A repeated message is decoded as the message it repeats; `message` stays the MSG.
    Header inner = h;
    std::string_view repeated;
    if (auto m = UnwrapRepeated(h.msg, repeated)) inner.msg = *m;
    Payload payload;
    if (is_device) {
        DecodeDeviceMessage(ctx, device);
    } else {
        payload = DecodeMessage(ctx, inner);
    }
    if (!repeated.empty()) ctx.Add("repeated", repeated, event::ValueKind::kNumber);
    if (!payload.service.empty()) {
        ctx.ev.logsource.product = "linux";
        ctx.ev.logsource.service = payload.service;
    }
    if (h.pri >= 0) {
        // A payload with a severity of its own (CEF's header, a JSON document's) keeps the name:
        // the PRI's go under syslog., so a rule on `severity` reads one value, the device's.
        const bool own = ctx.ev.Find("severity") >= 0 || ctx.ev.Find("facility") >= 0;
        ctx.Add(own ? "syslog.facility" : "facility", kFacilities[h.pri / 8]);
        ctx.Add(own ? "syslog.severity" : "severity", kSeverities[h.pri % 8]);
    }
    if (!h.program.empty()) ctx.Add("program", h.program);
    if (!h.pid.empty()) ctx.AddNumberOrString("pid", h.pid);
    if (!h.msgid.empty()) ctx.Add("msgid", h.msgid);
    ctx.Add("message", h.msg);
    // key=value pairs after the header: they are whatever the sender wrote, and one named like
    // a header field (a logfmt line's host=, a device's severity=) must not stand before it
    // (the event's host is its first "host"). FortiGate sends "<189>date=... devid=..." with
    // no header at all; its pairs go under logsource fortigate.
    if (payload.pairs) {
        (void)DecodeKv(ctx, inner.msg, /*in_message=*/true);
        // No header, so no host: the device names itself.
        if (h.host.empty() && ctx.ev.logsource.product == "fortigate") {
            const std::string devname(
                ctx.ev.Get("devname"));  // a copy: Add may move the event's text
            if (!devname.empty()) ctx.Add("host", devname);
        }
    }
    return Ok();
}

}  // namespace vigil::parse::internal
