// Network devices' syslog. Cisco IOS, IOS XE, IOS XR and NX-OS write "%FACILITY-SEVERITY-
// MNEMONIC: text", ASA and FTD "%ASA-6-302013: text", Huawei VRP "%%01MODULE/5/BRIEF(l)[0]:text",
// H3C Comware "%%10MODULE/5/BRIEF: text", each after a prefix of their own (a sequence number, the
// device's clock with a '*' when it is not synchronised, its name) that RFC 3164 does not
// describe. Juniper Junos logs as a BSD system does, its daemons' messages led by event tags
// ("UI_CMDLINE_READ_LINE: ..."). Each gets the Sigma logsource of its product, so SigmaHQ's
// network rules (product cisco / huawei / juniper) apply.
#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "parse/decoders.h"

namespace vigil::parse::internal {

namespace {

bool Digit(char c) { return c >= '0' && c <= '9'; }
bool Upper(char c) { return c >= 'A' && c <= 'Z'; }
bool TagChar(char c) { return Upper(c) || Digit(c) || c == '_'; }

void SkipSpaces(std::string_view& s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
}

// The number of digits at s[at...], up to max.
size_t DigitsAt(std::string_view s, size_t at, size_t max) {
    size_t n = 0;
    while (at + n < s.size() && n < max && Digit(s[at + n])) ++n;
    return n;
}

// A zone's name as IOS writes it after its clock (whatever `clock timezone NAME` was given):
// UTC, GMT, Z -> UTC; "UTC+8", "GMT-5:30" -> that offset (east, as people write it); "+08:00",
// "-0500" -> that offset; another name made like one ("CST", "BJ", "EST5EDT", "CET-1") -> the
// source's zone (CST is China's and America's, POSIX names count west). Nullopt when `name` is
// not made like a zone's name.
std::optional<TimeZone> ZoneName(std::string_view name, const TimeZone& source) {
    if (name.empty() || name.size() > 10) return std::nullopt;
    if (name.front() == '+' || name.front() == '-') return TimeZone::Parse(name);
    size_t letters = 0;
    while (letters < name.size() && Upper(name[letters])) ++letters;
    if (letters == 0 || letters > 5) return std::nullopt;
    const std::string_view base = name.substr(0, letters), rest = name.substr(letters);
    const bool utc = base == "UTC" || base == "GMT" || base == "Z" || base == "UT";
    if (rest.empty()) return utc ? TimeZone{} : source;
    if (utc && (rest.front() == '+' || rest.front() == '-')) {
        // "+8", "-5:30": hours (and minutes) east of UTC.
        const size_t h = DigitsAt(rest, 1, 2);
        if (h == 0) return std::nullopt;
        std::string offset(1, rest.front());
        if (h == 1) offset += '0';
        offset.append(rest.substr(1, h));
        const std::string_view minutes = rest.substr(1 + h);
        if (minutes.empty()) {
            offset += ":00";
        } else if (minutes.size() == 3 && minutes[0] == ':' && DigitsAt(minutes, 1, 2) == 2) {
            offset.append(minutes);
        } else {
            return std::nullopt;
        }
        return TimeZone::Parse(offset);
    }
    // POSIX-like "EST5EDT", "CET-1": read in the source's zone.
    for (char c : rest) {
        if (!(Upper(c) || Digit(c) || c == '+' || c == '-')) return std::nullopt;
    }
    return source;
}

// "2026-11-20T10:01:02[.123][Z|+08:00]" (ASA's `logging timestamp rfc5424`, a relay's RFC
// 3339) or "2026-11-20 10:01:02[.123]" (Huawei, H3C) at the start of s, then ':' or a space or
// the end; consumed from s, its instant in out.
bool TakeIsoTime(Ctx& ctx, std::string_view& s, int64_t& out) {
    if (s.size() < 19 || DigitsAt(s, 0, 4) != 4 || s[4] != '-' || DigitsAt(s, 5, 2) != 2 ||
        s[7] != '-' || DigitsAt(s, 8, 2) != 2 || (s[10] != 'T' && s[10] != ' ') ||
        DigitsAt(s, 11, 2) != 2 || s[13] != ':')
        return false;
    size_t end = 19;
    if (end < s.size() && s[end] == '.') end += 1 + DigitsAt(s, end + 1, 9);
    if (end < s.size() && s[end] == 'Z') {
        ++end;
    } else if (end + 6 <= s.size() && (s[end] == '+' || s[end] == '-') && s[end + 3] == ':') {
        end += 6;
    }
    std::string iso(s.substr(0, end));
    iso[10] = 'T';
    auto t = ParseTimestamp(iso, ctx.options.zone);
    if (!t) return false;
    if (end < s.size() && s[end] == ':') ++end;
    if (end < s.size() && s[end] != ' ') return false;
    out = *t;
    s.remove_prefix(end);
    return true;
}

// A router's uptime where its clock would be (`service timestamps log uptime`): "1w2d",
// "2d03h", "1y3w", "00:01:36".
bool Uptime(std::string_view t) {
    if (t.size() == 8 && DigitsAt(t, 0, 2) == 2 && t[2] == ':' && DigitsAt(t, 3, 2) == 2 &&
        t[5] == ':' && DigitsAt(t, 6, 2) == 2)
        return true;
    size_t i = 0, groups = 0;
    while (i < t.size()) {
        const size_t n = DigitsAt(t, i, 4);
        if (n == 0 || i + n >= t.size()) return false;
        const char unit = t[i + n];
        if (unit != 'y' && unit != 'w' && unit != 'd' && unit != 'h' && unit != 'm') return false;
        i += n + 1;
        ++groups;
    }
    return groups >= 2;
}

// A device's clock at the start of s, in the forms these devices write it:
//   "Mar  1 00:01:36.619", "Nov 23 2026 10:01:02.123 CST"   (Cisco; the zone name optional)
//   "2026 Nov 23 10:01:02"                                 (NX-OS)
//   "Nov 23 2026 10:01:02+08:00", "... 10:01:02-08:00 DST"  (Huawei)
//   "Nov 23 10:01:02:123 2026"                             (H3C: milliseconds after a colon,
//                                                           the year last)
// followed by ':' or a space or the end. Consumed from s (the ':' too); out is its instant (0
// when the date does not exist). A zone name other than UTC or GMT is not read (CST is China's
// and America's): the source's zone stands.
bool TakeDeviceTime(Ctx& ctx, std::string_view& s, int64_t& out) {
    if (TakeIsoTime(ctx, s, out)) return true;
    size_t i = 0;
    std::string_view year;
    if (s.size() > 9 && DigitsAt(s, 0, 4) == 4 && s[4] == ' ' &&
        MonthFromAbbrev(s.substr(5, 3)) != 0) {
        year = s.substr(0, 4);
        i = 5;
    }
    if (s.size() < i + 4 || MonthFromAbbrev(s.substr(i, 3)) == 0 || s[i + 3] != ' ') return false;
    const std::string_view month = s.substr(i, 3);
    i += 4;
    if (i < s.size() && s[i] == ' ') ++i;
    const size_t day_digits = DigitsAt(s, i, 2);
    if (day_digits == 0 || i + day_digits >= s.size() || s[i + day_digits] != ' ') return false;
    const std::string_view day = s.substr(i, day_digits);
    i += day_digits + 1;
    if (year.empty() && DigitsAt(s, i, 4) == 4 && i + 4 < s.size() && s[i + 4] == ' ') {
        year = s.substr(i, 4);
        i += 5;
    }
    if (s.size() < i + 8 || DigitsAt(s, i, 2) != 2 || s[i + 2] != ':' ||
        DigitsAt(s, i + 3, 2) != 2 || s[i + 5] != ':' || DigitsAt(s, i + 6, 2) != 2)
        return false;
    const std::string_view clock = s.substr(i, 8);
    i += 8;
    std::string_view frac;
    if (i < s.size() && s[i] == '.') {
        const size_t n = DigitsAt(s, i + 1, 9);
        frac = s.substr(i + 1, n);
        i += 1 + n;
    } else if (i + 3 < s.size() && s[i] == ':' && DigitsAt(s, i + 1, 4) == 3) {
        frac = s.substr(i + 1, 3);  // H3C's "10:01:02:123"
        i += 4;
    }
    if (year.empty() && i + 5 <= s.size() && s[i] == ' ' && DigitsAt(s, i + 1, 5) == 4 &&
        (i + 5 == s.size() || s[i + 5] == ' ' || s[i + 5] == ':')) {
        year = s.substr(i + 1, 4);  // H3C's year after the clock
        i += 5;
    }
    TimeZone zone = ctx.options.zone;
    if (i + 6 <= s.size() && (s[i] == '+' || s[i] == '-') && DigitsAt(s, i + 1, 2) == 2 &&
        s[i + 3] == ':' && DigitsAt(s, i + 4, 2) == 2) {
        if (auto z = TimeZone::Parse(s.substr(i, 6))) zone = *z;
        i += 6;
        if (s.substr(i, 4) == " DST") i += 4;  // Huawei: the offset given includes it
    } else if (i + 1 < s.size() && s[i] == ' ') {
        // IOS's `show-timezone`: the name `clock timezone` was given, then ':'.
        // The name ends at the colon before a space ("UTC+5:30: %SYS...").
        const size_t space = std::min(s.find(' ', i + 1), s.size());
        const size_t colon =
            space > i + 1 && s[space - 1] == ':' ? space - 1 : std::string_view::npos;
        if (colon != std::string_view::npos && colon > i + 1) {
            if (auto z = ZoneName(s.substr(i + 1, colon - i - 1), ctx.options.zone)) {
                zone = *z;
                i = colon;
            }
        }
    }
    if (i < s.size() && s[i] == ':') ++i;
    if (i < s.size() && s[i] != ' ') return false;
    // "Mmm dd [yyyy ]hh:mm:ss[.frac]" as RFC 3164 writes it; its reader infers a missing year.
    std::string bsd;
    bsd.append(month).append(" ").append(day).append(" ");
    if (!year.empty()) bsd.append(year).append(" ");
    bsd.append(clock);
    if (!frac.empty()) bsd.append(".").append(frac);
    std::string_view view = bsd;
    if (!ParseBsdDate(ctx, view, out, zone)) return false;
    s.remove_prefix(i);
    return true;
}

// "%FACILITY-SEVERITY-MNEMONIC" (IOS XR's facility has a '-' of its own: "ROUTING-BGP") or
// "%ASA-6-302013" at the start of s, then ':' (IOS XR: " :"). Fills the tag and the text after
// it.
bool ParseCiscoTag(std::string_view s, DeviceTag& tag) {
    if (s.size() < 8 || s[0] != '%' || !Upper(s[1])) return false;
    size_t j = 1;
    while (j < s.size() && (TagChar(s[j]) || s[j] == '-')) ++j;
    const std::string_view token = s.substr(1, j - 1);
    std::string_view rest = s.substr(j);
    if (!ConsumePrefix(rest, ":") && !ConsumePrefix(rest, " :")) return false;
    // "...-S-MNEMONIC": the last '-' after the severity digit, another '-' before it.
    const size_t last = token.rfind('-');
    if (last == std::string_view::npos || last < 3 || last + 1 == token.size()) return false;
    const size_t sev = last - 1;
    if (token[sev] < '0' || token[sev] > '7' || token[sev - 1] != '-') return false;
    tag.facility = token.substr(0, sev - 1);
    if (tag.facility.front() == '-' || tag.facility.back() == '-' ||
        tag.facility.find("--") != std::string_view::npos)
        return false;
    tag.severity = token[sev] - '0';
    tag.mnemonic = token.substr(last + 1);
    const bool asa = tag.facility == "ASA" || tag.facility == "FTD" || tag.facility == "PIX" ||
                     tag.facility == "FWSM";
    tag.vendor = asa ? DeviceTag::Vendor::kCiscoAsa : DeviceTag::Vendor::kCisco;
    if (asa && (tag.mnemonic.size() != 6 || DigitsAt(tag.mnemonic, 0, 6) != 6)) return false;
    SkipSpaces(rest);
    tag.text = s;
    tag.body = rest;
    return true;
}

// "%%01MODULE/SEVERITY/BRIEF(l)[0]:" (Huawei; the type letter and the count optional) or
// "%%10MODULE/SEVERITY/BRIEF:" (H3C's version 10) at the start of s.
bool ParseVrpTag(std::string_view s, DeviceTag& tag) {
    if (s.size() < 10 || s[0] != '%' || s[1] != '%' || DigitsAt(s, 2, 2) != 2) return false;
    size_t j = 4;
    const size_t module_at = j;
    while (j < s.size() && TagChar(s[j])) ++j;
    if (j == module_at || j + 3 >= s.size() || s[j] != '/' || !Digit(s[j + 1]) || s[j + 2] != '/')
        return false;
    tag.facility = s.substr(module_at, j - module_at);
    tag.severity = s[j + 1] - '0';
    j += 3;
    const size_t brief_at = j;
    while (j < s.size() && (TagChar(s[j]) || (s[j] >= 'a' && s[j] <= 'z'))) ++j;
    if (j == brief_at) return false;
    tag.mnemonic = s.substr(brief_at, j - brief_at);
    if (j + 2 < s.size() && s[j] == '(') {  // "(l)", "(s)", "(d)": the log's type
        const size_t close = s.find(')', j);
        if (close == std::string_view::npos || close > j + 4) return false;
        j = close + 1;
    }
    if (j < s.size() && s[j] == '[') {  // "[0]": how many times it was suppressed
        const size_t n = DigitsAt(s, j + 1, 10);
        if (n == 0 || j + 1 + n >= s.size() || s[j + 1 + n] != ']') return false;
        j += n + 2;
    }
    if (j >= s.size() || s[j] != ':') return false;
    tag.vendor = s.substr(2, 2) == "10" ? DeviceTag::Vendor::kH3c : DeviceTag::Vendor::kHuawei;
    std::string_view rest = s.substr(j + 1);
    SkipSpaces(rest);
    tag.text = s;
    tag.body = rest;
    return true;
}

// A host name as devices write theirs, or an address.
bool HostLike(std::string_view t) {
    if (t.empty() || t.size() > 253) return false;
    for (char c : t) {
        if (!(Digit(c) || Upper(c) || (c >= 'a' && c <= 'z') || c == '.' || c == '-' || c == '_' ||
              c == ':'))
            return false;
    }
    return true;
}

// The prefix before a device's tag, token by token: [a relay's "clock host"] [message number:]
// [the device's name:] [its sequence number:] [its clock or uptime:] [its name :]. IOS XR:
// "node:clock : process[pid]:". False when a token is none of these (the line is not a
// device's).
struct Prefix {
    int64_t time_ns = 0;
    bool have_time = false;
    std::string_view host, name, seq, node, program, pid;
};

bool ParsePrefix(Ctx& ctx, std::string_view s, Prefix& p) {
    // At most one bare name per clock (a relay's header names the sender, the ASA names itself
    // after its own clock), and one name with a colon (IOS's `logging origin-id hostname`).
    bool bare_since_clock = false;
    while (true) {
        SkipSpaces(s);
        if (s.empty()) return true;
        if (s.front() == ':') {  // NX-OS ": 2026 Nov ...", ASA "asa1 : %ASA", IOS XR ".123 : "
            s.remove_prefix(1);
            continue;
        }
        // '*': the clock is not synchronised, '.': it was and lost it. Such a time is not the
        // event's (a router's clock from boot reads 1993): an earlier one (a relay's) or the
        // receipt stands for it.
        std::string_view at = s;
        const bool unsynced = at.front() == '*' || at.front() == '.';
        if (unsynced) at.remove_prefix(1);
        int64_t t = 0;
        if (TakeDeviceTime(ctx, at, t)) {
            if (!unsynced) {
                p.time_ns = t;
                p.have_time = true;
            }
            bare_since_clock = false;
            s = at;
            continue;
        }
        const size_t sp = s.find(' ');
        std::string_view token = s.substr(0, sp);
        s.remove_prefix(sp == std::string_view::npos ? s.size() : sp + 1);
        // IOS XR: "RP/0/RSP0/CPU0:Nov 23 10:01:02.123 : bgp[1052]:" (the clock after the colon).
        if (const size_t colon = token.find(':');
            p.node.empty() && colon != std::string_view::npos && colon + 1 < token.size() &&
            token.substr(0, colon).find('/') != std::string_view::npos) {
            p.node = token.substr(0, colon);
            const char* clock = token.data() + colon + 1;
            s = std::string_view(clock, static_cast<size_t>(s.data() + s.size() - clock));
            continue;
        }
        const bool colon = token.ends_with(':');
        if (colon) token.remove_suffix(1);
        if (token.empty()) continue;
        if (DigitsAt(token, 0, token.size()) == token.size() && token.size() <= 20) {
            // The message number, or `service sequence-numbers`' own ("000072").
            if (p.seq.empty()) p.seq = token;
            continue;
        }
        if (Uptime(token)) continue;
        if (!p.node.empty() && p.program.empty()) {  // IOS XR's "bgp[1052]"
            const size_t lb = token.find('[');
            if (lb != std::string_view::npos && lb > 0 && token.back() == ']') {
                p.program = token.substr(0, lb);
                p.pid = token.substr(lb + 1, token.size() - lb - 2);
                continue;
            }
        }
        if (!HostLike(token)) return false;
        if (colon) {
            // The device's name: before its number, clock or uptime, or after a message number.
            // A Linux program's "kernel:" comes right before the text, with no number before.
            // (The prefix ends where the tag starts.)
            std::string_view next = s;
            SkipSpaces(next);
            if (!p.name.empty() || (p.seq.empty() && next.empty())) return false;
            p.name = token;
            continue;
        }
        if (bare_since_clock) return false;
        bare_since_clock = true;
        if (p.host.empty()) p.host = token;
    }
}

// ---- message bodies ----------------------------------------------------------------------------

// The text between `open` and `close` after `key` in s ("User 'admin'" -> admin), empty when
// absent.
std::string_view Between(std::string_view s, std::string_view key, char open, char close) {
    const size_t k = s.find(key);
    if (k == std::string_view::npos) return {};
    const size_t a = k + key.size();
    if (a >= s.size() || s[a] != open) return {};
    const size_t b = s.find(close, a + 1);
    if (b == std::string_view::npos) return {};
    return s.substr(a + 1, b - a - 1);
}

// The word after `key` (up to a space, ',', ')' or ']').
std::string_view WordAfter(std::string_view s, std::string_view key) {
    const size_t k = s.find(key);
    if (k == std::string_view::npos) return {};
    std::string_view rest = s.substr(k + key.size());
    size_t n = 0;
    while (n < rest.size() && rest[n] != ' ' && rest[n] != ',' && rest[n] != ')' && rest[n] != ']')
        ++n;
    return rest.substr(0, n);
}

void AddIp(Ctx& ctx, std::string_view name, std::string_view ip) {
    if (LooksLikeIp(ip)) ctx.Add(name, ip);
}

// "outside:203.0.113.9/51234" -> interface, address, port.
struct AsaEndpoint {
    std::string_view iface, ip, port;
};
AsaEndpoint ParseAsaEndpoint(std::string_view t) {
    AsaEndpoint e;
    const size_t colon = t.find(':');
    if (colon == std::string_view::npos) return e;
    size_t slash = t.rfind('/');
    if (slash == std::string_view::npos || slash < colon) slash = t.size();  // no port (ICMP)
    e.iface = t.substr(0, colon);
    e.ip = t.substr(colon + 1, slash - colon - 1);
    if (slash < t.size()) e.port = t.substr(slash + 1);
    return e;
}

void AddFlow(Ctx& ctx, const AsaEndpoint& src, const AsaEndpoint& dst, std::string_view protocol,
             bool allowed) {
    if (!LooksLikeIp(src.ip) || !LooksLikeIp(dst.ip)) return;
    ctx.Add("src_ip", src.ip);
    if (!src.port.empty()) ctx.AddNumberOrString("src_port", src.port);
    ctx.Add("src_interface", src.iface);
    ctx.Add("dst_ip", dst.ip);
    if (!dst.port.empty()) ctx.AddNumberOrString("dst_port", dst.port);
    ctx.Add("dst_interface", dst.iface);
    if (!protocol.empty()) ctx.Add("protocol", AsciiLower(protocol));
    ctx.Add("action", allowed ? "accept" : "drop");
    ctx.Add("blocked", allowed ? "false" : "true");
    ctx.ev.logsource.AddCategory("firewall");
}

// The words of s, split at spaces.
std::vector<std::string_view> Words(std::string_view s) {
    std::vector<std::string_view> w;
    for (size_t i = 0; i < s.size();) {
        const size_t sp = s.find(' ', i);
        const size_t end = sp == std::string_view::npos ? s.size() : sp;
        if (end > i) w.push_back(s.substr(i, end - i));
        i = end + 1;
    }
    return w;
}

// ASA and FTD: commands run (Sigma's service aaa), logins, AAA results, and the connection and
// access-list messages (category firewall).
std::string_view DecodeAsa(Ctx& ctx, const DeviceTag& tag) {
    const std::string_view id = tag.mnemonic, b = tag.body;
    if (id == "111008" || id == "111009" || id == "111010") {
        // 111008 "User 'admin' executed the 'write erase' command."
        // 111009 "User 'admin' executed cmd: show running-config"
        // 111010 "User 'admin', running 'CLI' from IP 10.1.1.1, executed 'clear logging'"
        ctx.Add("user", Between(b, "User ", '\'', '\''));
        AddIp(ctx, "source_ip", WordAfter(b, "from IP "));
        std::string_view command;
        if (id == "111008") command = Between(b, "executed the ", '\'', '\'');
        if (id == "111009" && b.find("executed cmd: ") != std::string_view::npos) {
            command = b.substr(b.find("executed cmd: ") + 14);
        }
        if (id == "111010") command = Between(b, "executed ", '\'', '\'');
        if (!command.empty()) ctx.Add("command", command);
        return "aaa";
    }
    if (id == "605004" || id == "605005") {
        // "Login denied from 10.1.1.1/51234 to outside:10.0.0.1/ssh for user "admin""
        const std::string_view from = WordAfter(b, "from ");
        AddIp(ctx, "source_ip", from.substr(0, from.find('/')));
        const std::string_view user = Between(b, "for user ", '"', '"');
        if (!user.empty()) ctx.Add("user", user);
        ctx.Add("outcome", id == "605005" ? "success" : "failure");
        return "syslog";
    }
    if (id == "113004" || id == "113005" || id == "113015" || id == "113012") {
        // "AAA user authentication Rejected : reason = ... : user = admin : user IP = 10.1.1.1"
        const std::string_view user = WordAfter(b, ": user = ");
        if (!user.empty()) ctx.Add("user", user);
        AddIp(ctx, "source_ip", WordAfter(b, ": user IP = "));
        ctx.Add("outcome", id == "113004" || id == "113012" ? "success" : "failure");
        return "syslog";
    }
    if (id == "611101" || id == "611102") {
        // "User authentication succeeded: IP address: 10.1.1.1, Uname: admin"
        AddIp(ctx, "source_ip", WordAfter(b, "IP address: "));
        const std::string_view user = WordAfter(b, "Uname: ");
        if (!user.empty()) ctx.Add("user", user);
        ctx.Add("outcome", id == "611101" ? "success" : "failure");
        return "syslog";
    }
    const std::vector<std::string_view> w = Words(b);
    if ((id == "302013" || id == "302015") && w.size() >= 9 && w[0] == "Built") {
        // "Built inbound TCP connection 1 for outside:203.0.113.9/51234 (203.0.113.9/51234) to
        // inside:10.0.0.5/80 (198.51.100.5/80)": the first side is the remote one, so it is the
        // source of an inbound connection and the destination of an outbound one.
        size_t f = 0, t = 0;
        for (size_t i = 0; i < w.size(); ++i) {
            if (w[i] == "for" && f == 0 && i + 1 < w.size()) f = i + 1;
            if (w[i] == "to" && t == 0 && f != 0 && i + 1 < w.size()) t = i + 1;
        }
        if (f != 0 && t != 0) {
            const AsaEndpoint remote = ParseAsaEndpoint(w[f]), local = ParseAsaEndpoint(w[t]);
            const bool inbound = w[1] == "inbound";
            AddFlow(ctx, inbound ? remote : local, inbound ? local : remote, w[2], true);
        }
        return "syslog";
    }
    // "Deny protocol 47 src ...": the protocol by number.
    const size_t shift = w.size() > 2 && w[1] == "protocol" ? 1 : 0;
    if (id == "106023" && w.size() >= 6 + shift && w[0] == "Deny" && w[2 + shift] == "src" &&
        w[4 + shift] == "dst") {
        // "Deny tcp src outside:203.0.113.9/51234 dst inside:10.0.0.5/23 by access-group ..."
        // (ICMP's and a protocol's have no ports: "src outside:203.0.113.5 dst ...")
        AddFlow(ctx, ParseAsaEndpoint(w[3 + shift]), ParseAsaEndpoint(w[5 + shift]), w[1 + shift],
                false);
        size_t by = 6 + shift;
        while (by < w.size() && w[by] != "by") ++by;
        if (by + 2 < w.size() && w[by + 1] == "access-group") {
            std::string_view rule = w[by + 2];
            if (rule.size() >= 2 && rule.front() == '"' && rule.back() == '"') {
                rule = rule.substr(1, rule.size() - 2);
            }
            ctx.Add("rule", rule);
        }
        return "syslog";
    }
    if (id == "106100" && w.size() >= 7 && w[0] == "access-list" && w[5] == "->") {
        // "access-list OUTSIDE_IN denied tcp outside/203.0.113.9(51234) -> inside/10.0.0.5(23)"
        const auto endpoint = [](std::string_view t) {
            AsaEndpoint e;
            const size_t slash = t.find('/'), lp = t.find('('), rp = t.find(')');
            if (slash == std::string_view::npos || lp == std::string_view::npos ||
                rp == std::string_view::npos || lp < slash || rp < lp)
                return e;
            e.iface = t.substr(0, slash);
            e.ip = t.substr(slash + 1, lp - slash - 1);
            e.port = t.substr(lp + 1, rp - lp - 1);
            return e;
        };
        const bool allowed = w[2] == "permitted" || w[2] == "est-allowed";
        if (allowed || w[2] == "denied") {
            AddFlow(ctx, endpoint(w[4]), endpoint(w[6]), w[3], allowed);
            ctx.Add("rule", w[1]);
        }
        return "syslog";
    }
    return "syslog";
}

// Cisco IOS, IOS XE, IOS XR, NX-OS: configuration commands logged by the archive's `log config`
// (Sigma's service aaa), logins, configuration changes; BGP, TCP-MD5 and LDP messages.
std::string_view DecodeIos(Ctx& ctx, const DeviceTag& tag) {
    const std::string_view f = tag.facility, m = tag.mnemonic, b = tag.body;
    if (f == "PARSER") {
        // "User:admin  logged command:no logging console"
        const std::string_view user = WordAfter(b, "User:");
        if (!user.empty()) ctx.Add("user", user);
        const size_t c = b.find("logged command:");
        if (c != std::string_view::npos) ctx.Add("command", b.substr(c + 15));
        return "aaa";
    }
    if (f == "SEC_LOGIN") {
        // "Login failed [user: admin] [Source: 10.1.1.1] [localport: 22] [Reason: ...] at ..."
        const std::string_view user = WordAfter(b, "[user: ");
        if (!user.empty()) ctx.Add("user", user);
        AddIp(ctx, "source_ip", WordAfter(b, "[Source: "));
        const std::string_view port = WordAfter(b, "[localport: ");
        if (!port.empty()) ctx.AddNumberOrString("dst_port", port);
        if (m.find("SUCCESS") != std::string_view::npos) ctx.Add("outcome", "success");
        if (m.find("FAIL") != std::string_view::npos) ctx.Add("outcome", "failure");
        return "syslog";
    }
    if (f == "SYS" && m.starts_with("CONFIG")) {
        // "Configured from console by admin on vty0 (10.1.1.1)"; with no user name configured
        // "by vty0 (10.1.1.1)" (the line); CONFIG_P "Configured programmatically by process
        // SEP_webui_wsma_http from console as cisco_tac_admin on vty31".
        std::string_view user = WordAfter(b, " as ");
        const std::string_view by = WordAfter(b, " by ");
        if (user.empty() && !by.empty() && by != "process" &&
            b.find(std::string(" by ").append(by).append(" on ")) != std::string_view::npos) {
            user = by;
        }
        if (!user.empty()) ctx.Add("user", user);
        const size_t lp = b.rfind('(');
        if (lp != std::string_view::npos && b.back() == ')') {
            AddIp(ctx, "source_ip", b.substr(lp + 1, b.size() - lp - 2));
        }
        return "syslog";
    }
    if (f.find("BGP") != std::string_view::npos || m == "BADAUTH") return "bgp";
    if (f.find("LDP") != std::string_view::npos) return "ldp";
    return "syslog";
}

// Huawei VRP: its messages end with "(Name=value, Name=value, ...)", kept as fields; the user,
// address and command of command records and logins under the common names.
void AddVrpPairs(Ctx& ctx, std::string_view b) {
    if (b.empty() || b.back() != ')') return;
    // The first '(' that opens "Name=": a value may hold brackets of its own.
    size_t open = b.find('(');
    for (; open != std::string_view::npos; open = b.find('(', open + 1)) {
        size_t n = open + 1;
        while (n < b.size() && (TagChar(b[n]) || (b[n] >= 'a' && b[n] <= 'z'))) ++n;
        if (n > open + 1 && n < b.size() && b[n] == '=') break;
    }
    if (open == std::string_view::npos) return;
    std::string_view pairs = b.substr(open + 1, b.size() - open - 2);
    while (!pairs.empty()) {
        const size_t eq = pairs.find('=');
        if (eq == std::string_view::npos) break;
        const std::string_view name = Trim(pairs.substr(0, eq));
        std::string_view rest = pairs.substr(eq + 1);
        std::string_view value;
        if (!rest.empty() && rest.front() == '"') {
            const size_t close = rest.find('"', 1);
            if (close == std::string_view::npos) break;
            value = rest.substr(1, close - 1);
            rest.remove_prefix(close + 1);
            const size_t comma = rest.find(',');
            rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
        } else {
            const size_t comma = rest.find(", ");
            value = Trim(rest.substr(0, comma));
            rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 2);
        }
        pairs = rest;
        if (name.empty() || name.find(' ') != std::string_view::npos) break;
        if (!value.empty()) ctx.Add(name, value);
        if (value.empty()) continue;
        if (name == "User" || name == "UserName") ctx.Add("user", value);
        if (name == "Command") ctx.Add("command", value);
        if (name == "Ip" || name == "IpAddress" || name == "IPAddress" || name == "SourceIP") {
            AddIp(ctx, "source_ip", value);
        }
    }
}

// H3C Comware: "-Line=vty0-IPAddr=10.1.1.1-User=admin; Command is display current-configuration".
void DecodeComware(Ctx& ctx, std::string_view b) {
    std::string_view pairs = b;
    std::string_view command;
    if (const size_t c = b.find("; Command is "); c != std::string_view::npos) {
        pairs = b.substr(0, c);
        command = b.substr(c + 13);
    }
    // "-Name=value" items; a value may hold '-' ("User=net-ops"), so an item ends only where
    // the next "-Name=" starts.
    const auto item_at = [&pairs](size_t at) {
        size_t n = at + 1;
        while (n < pairs.size() &&
               ((pairs[n] >= 'A' && pairs[n] <= 'Z') || (pairs[n] >= 'a' && pairs[n] <= 'z')))
            ++n;
        return pairs[at] == '-' && n > at + 1 && n < pairs.size() && pairs[n] == '=';
    };
    if (pairs.empty() || !item_at(0)) {
        if (!command.empty()) ctx.Add("command", command);
        return;
    }
    for (size_t at = 0; at < pairs.size();) {
        size_t next = at + 1;
        while (next < pairs.size() && !item_at(next)) ++next;
        const std::string_view item = pairs.substr(at + 1, next - at - 1);
        const size_t eq = item.find('=');
        const std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
        if (!value.empty()) {
            if (name == "User") ctx.Add("user", value);
            if (name == "IPAddr") AddIp(ctx, "source_ip", value);
            if (name == "Line") ctx.Add("line", value);
        }
        at = next;
    }
    if (!command.empty()) ctx.Add("command", command);
}

}  // namespace

bool ParseDeviceTag(std::string_view s, DeviceTag& tag) {
    return s.size() > 1 && (s[1] == '%' ? ParseVrpTag(s, tag) : ParseCiscoTag(s, tag));
}

bool ParseDeviceHeader(Ctx& ctx, std::string_view s, SyslogHeader& h, DeviceTag& tag) {
    // The tag comes within the first few tokens: a relay's header, a sequence number, the
    // device's clock and name. Most lines have no '%' there, and are rejected at the memchr.
    constexpr size_t kMaxPrefix = 160;
    const std::string_view head = s.substr(0, kMaxPrefix + 2);
    for (size_t p = head.find('%'); p != std::string_view::npos; p = head.find('%', p + 1)) {
        if (p > 0 && s[p - 1] != ' ' && s[p - 1] != ':') continue;
        if (!ParseDeviceTag(s.substr(p), tag)) {
            if (p + 1 < s.size() && s[p + 1] == '%') ++p;
            continue;
        }
        Prefix prefix;
        if (!ParsePrefix(ctx, s.substr(0, p), prefix)) return false;
        ctx.ev.time_ns = prefix.have_time ? prefix.time_ns : 0;
        // The relay's name for the sender first, else the device's own.
        h.host = prefix.host.empty() ? prefix.name : prefix.host;
        if (!prefix.host.empty() && !prefix.name.empty() && prefix.name != prefix.host) {
            tag.name = prefix.name;
        }
        h.program = prefix.program;
        h.pid = prefix.pid;
        h.msg = s.substr(p);
        tag.seq = prefix.seq;
        tag.node = prefix.node;
        return true;
    }
    return false;
}

void DecodeDeviceMessage(Ctx& ctx, const DeviceTag& tag) {
    std::string_view product = "cisco", service = "syslog";
    switch (tag.vendor) {
        case DeviceTag::Vendor::kCisco:
            service = DecodeIos(ctx, tag);
            break;
        case DeviceTag::Vendor::kCiscoAsa:
            service = DecodeAsa(ctx, tag);
            break;
        case DeviceTag::Vendor::kHuawei:
            product = "huawei";
            service = tag.facility == "BGP" ? "bgp" : "syslog";
            AddVrpPairs(ctx, tag.body);
            break;
        case DeviceTag::Vendor::kH3c:
            product = "h3c";
            service = tag.facility == "BGP" ? "bgp" : "syslog";
            DecodeComware(ctx, tag.body);
            break;
        case DeviceTag::Vendor::kNone:
            return;
    }
    if (!tag.seq.empty()) ctx.AddNumberOrString("device.seq", tag.seq);
    if (!tag.node.empty()) ctx.Add("device.node", tag.node);
    if (!tag.name.empty()) ctx.Add("device.name", tag.name);
    ctx.Add("device.facility", tag.facility);
    ctx.AddNumberOrString("device.severity", std::string(1, static_cast<char>('0' + tag.severity)));
    ctx.Add("device.mnemonic", tag.mnemonic);
    ctx.ev.logsource.product = product;
    ctx.ev.logsource.service = service;
}

namespace {

// A Junos event tag at the start of m ("UI_CMDLINE_READ_LINE: ..."), or with the priority
// `explicit-priority` puts before it ("%INTERACTIVE-6-UI_CMDLINE_READ_LINE: ..."): the tag
// and the text after it, or an empty tag.
std::pair<std::string_view, std::string_view> JunosTag(std::string_view m) {
    if (m.starts_with('%')) {
        DeviceTag t;
        if (!ParseCiscoTag(m, t) || t.mnemonic.find('_') == std::string_view::npos) return {};
        return {t.mnemonic, t.body};
    }
    size_t n = 0;
    while (n < m.size() && TagChar(m[n])) ++n;
    if (n > 2 && n + 1 < m.size() && m[n] == ':' && m[n + 1] == ' ' && Upper(m[0]) &&
        m.substr(0, n).find('_') != std::string_view::npos) {
        return {m.substr(0, n), m.substr(n + 2)};
    }
    return {};
}

}  // namespace

bool IsJunos(std::string_view program, std::string_view msgid, std::string_view msg,
             std::string_view line) {
    // Its daemons (names no other system's syslog uses: FRRouting has a bfdd, so not that), its
    // kernel ("/kernel"), SRX's flow and screen logs, and the enterprise number in its RFC 5424
    // structured data.
    static constexpr std::string_view kDaemons[] = {
        "/kernel", "mgd",   "rpd",    "chassisd", "dcd",    "kmd",       "craftd",
        "dfwd",    "jsrpd", "jddosd", "RT_FLOW",  "RT_IDS", "RT_SCREEN", "RT_UTM"};
    for (std::string_view d : kDaemons) {
        if (program == d) return true;
    }
    // Its RFC 5424 lines carry the event tag as MSGID.
    if (!msgid.empty() && line.find("[junos@2636") != std::string_view::npos) return true;
    // Its sshd and login lead with an event tag of their own ("SSHD_LOGIN_FAILED: ...",
    // "LOGIN_FAILED: ..."), which OpenSSH's and util-linux's never do.
    if (program == "sshd" || program == "login" || program == "cli") {
        const std::string_view tag = JunosTag(msg).first;
        return tag.starts_with("SSHD_") || tag.starts_with("LOGIN_") || tag.starts_with("UI_");
    }
    return false;
}

void DecodeJunos(Ctx& ctx, std::string_view program, std::string_view msgid, std::string_view m) {
    // The event tag: the first word of the message, or RFC 5424's MSGID.
    auto [tag, b] = JunosTag(m);
    if (tag.empty()) {
        tag = msgid;
        b = m;
    }
    if (!tag.empty()) ctx.Add("device.mnemonic", tag);
    if (tag == "UI_CMDLINE_READ_LINE") {
        // "User 'admin', command 'show configuration '"
        ctx.Add("user", Between(b, "User ", '\'', '\''));
        ctx.Add("command", Trim(Between(b, "command ", '\'', '\'')));
    } else if (tag == "UI_LOGIN_EVENT" || tag == "SSHD_LOGIN_FAILED" || tag == "UI_AUTH_EVENT") {
        // "User 'admin' login, class ... ssh-connection '10.1.1.1 51234 10.0.0.1 22'";
        // "Login failed for user 'admin' from host '10.1.1.1'"
        std::string_view user = Between(b, "User ", '\'', '\'');
        if (user.empty()) user = Between(b, "user ", '\'', '\'');  // "Authenticated user '...'"
        if (!user.empty()) ctx.Add("user", user);
        std::string_view from = Between(b, "from host ", '\'', '\'');
        if (from.empty()) {
            from = Between(b, "ssh-connection ", '\'', '\'');
            from = from.substr(0, from.find(' '));
        }
        AddIp(ctx, "source_ip", from);
        ctx.Add("outcome", tag == "SSHD_LOGIN_FAILED" ? "failure" : "success");
    }
    // Sigma's juniper rules are BGP's (TCP-MD5 digests checked by the kernel included).
    const bool bgp = tag.starts_with("BGP_") || tag.starts_with("RPD_BGP") ||
                     (program == "rpd" && m.find("bgp") != std::string_view::npos) ||
                     (program == "/kernel" && m.find("MD5") != std::string_view::npos);
    ctx.ev.logsource.product = "juniper";
    ctx.ev.logsource.service = bgp ? "bgp" : "";
}

}  // namespace vigil::parse::internal
