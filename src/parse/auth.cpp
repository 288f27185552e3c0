// Authentication messages: OpenSSH (sshd), sudo and PAM modules, as they appear in the MSG
// of /var/log/auth.log or /var/log/secure lines. Fields: user, source_ip, source_port,
// outcome (success / failure), auth_method; sudo's own TTY, PWD, USER, COMMAND; PAM's
// pam_module, pam_service, pam_type and its key=value pairs (logname, uid, rhost, user...).
#include <string_view>

#include "base/strings.h"
#include "parse/decoders.h"

namespace vigil::parse::internal {

namespace {

std::string_view TrimSpaces(std::string_view s) { return Trim(s); }

// "IP port N..." or "IP" at the start of s.
void AddIpPort(Ctx& ctx, std::string_view s) {
    size_t sp = s.find(' ');
    std::string_view ip = s.substr(0, sp);
    if (!ip.empty() && ip.back() == ':') ip.remove_suffix(1);
    if (LooksLikeIp(ip) || ip == "UNKNOWN") ctx.Add("source_ip", ip);
    if (sp == std::string_view::npos) return;
    std::string_view rest = s.substr(sp + 1);
    if (StartsWith(rest, "port ")) {
        rest.remove_prefix(5);
        size_t end = 0;
        while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') ++end;
        if (end > 0) ctx.Add("source_port", rest.substr(0, end), event::ValueKind::kNumber);
    }
}

// PAM's "logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root". The user name is the
// client's text and comes last: "user=" takes the rest of the line, so a name holding
// " rhost=10.9.9.9" cannot add a source address.
void AddPamPairs(Ctx& ctx, std::string_view kv) {
    while (!kv.empty()) {
        kv = TrimSpaces(kv);
        if (StartsWith(kv, "user=")) {
            if (kv.size() > 5) ctx.Add("user", kv.substr(5));
            return;
        }
        size_t sp = kv.find(' ');
        std::string_view pair = kv.substr(0, sp);
        size_t eq = pair.find('=');
        if (eq != std::string_view::npos && eq > 0) {
            std::string_view k = pair.substr(0, eq), v = pair.substr(eq + 1);
            if (!v.empty()) ctx.Add(k, v);
            if (k == "rhost" && LooksLikeIp(v)) ctx.Add("source_ip", v);
        }
        if (sp == std::string_view::npos) break;
        kv.remove_prefix(sp + 1);
    }
}

// "[invalid user ]USER from IP port N ..." (the user may contain spaces: the last " from ").
void AddUserFrom(Ctx& ctx, std::string_view s) {
    if (ConsumePrefix(s, "invalid user ")) {
        ctx.Add("invalid_user", "true", event::ValueKind::kBool);
    }
    size_t from = s.rfind(" from ");
    if (from == std::string_view::npos) {
        ctx.Add("user", TrimSpaces(s));
        return;
    }
    ctx.Add("user", s.substr(0, from));
    AddIpPort(ctx, s.substr(from + 6));
}

void Outcome(Ctx& ctx, bool success) { ctx.Add("outcome", success ? "success" : "failure"); }

// sshd's "[authenticating |invalid ]user NAME " before the address once it knows the name
// (NAME is the client's, as sent: it may hold spaces, addresses, "port N"). Consumed from s.
bool ConsumeNamePreamble(Ctx& ctx, std::string_view& s) {
    if (ConsumePrefix(s, "authenticating user ") || ConsumePrefix(s, "user ")) return true;
    if (!ConsumePrefix(s, "invalid user ")) return false;
    ctx.Add("invalid_user", "true", event::ValueKind::kBool);
    return true;
}

bool IsAddress(std::string_view s) { return LooksLikeIp(s) || s == "UNKNOWN"; }

// Where the address token ending at `end` starts (after the space before it, or 0).
size_t TokenStart(std::string_view s, size_t end) {
    size_t sp = end == 0 ? std::string_view::npos : s.rfind(' ', end - 1);
    return sp == std::string_view::npos ? 0 : sp + 1;
}

// "[NAME ]IP[ port N]" that ends the message (before an optional " [preauth]"): Connection
// closed by, Disconnected from, ... The address is the last one: a name cannot move it.
void AddPeerAtEnd(Ctx& ctx, std::string_view s) {
    if (EndsWith(s, " [preauth]")) s.remove_suffix(10);
    const bool named = ConsumeNamePreamble(ctx, s);
    size_t end = s.size();
    size_t port = s.rfind(" port ");
    if (port != std::string_view::npos && IsDigits(s.substr(port + 6))) end = port;
    const size_t at = TokenStart(s, end);
    if (!IsAddress(s.substr(at, end - at))) return;
    if (named && at > 1) ctx.Add("user", s.substr(0, at - 1));
    AddIpPort(ctx, s.substr(at));
}

// "[NAME ]IP port N: TEXT" (Received disconnect from, Disconnecting, Unable to negotiate with).
// Without a name the address comes first. With one, the name before and often the text after
// are the client's: the address is taken when one "IP port N:" stands between them, and none
// when several do (either could be forged).
void AddPeerBeforeText(Ctx& ctx, std::string_view s) {
    if (!ConsumeNamePreamble(ctx, s)) {
        AddIpPort(ctx, s);
        return;
    }
    size_t found = std::string_view::npos;
    for (size_t port = s.find(" port "); port != std::string_view::npos;
         port = s.find(" port ", port + 1)) {
        size_t digits = port + 6;
        while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
        if (digits == port + 6 || digits >= s.size() || s[digits] != ':') continue;
        const size_t at = TokenStart(s, port);
        if (!IsAddress(s.substr(at, port - at))) continue;
        if (found != std::string_view::npos) return;  // ambiguous
        found = at;
    }
    if (found == std::string_view::npos) return;
    if (found > 1) ctx.Add("user", s.substr(0, found - 1));
    AddIpPort(ctx, s.substr(found));
}

bool DecodeSshd(Ctx& ctx, std::string_view m) {
    (void)ConsumePrefix(m, "error: ");
    if (StartsWith(m, "Accepted ") || StartsWith(m, "Failed ")) {
        bool ok = m[0] == 'A';
        m.remove_prefix(ok ? 9 : 7);
        size_t f = m.find(" for ");
        if (f == std::string_view::npos) return false;
        ctx.Add("auth_method", m.substr(0, f));
        Outcome(ctx, ok);
        AddUserFrom(ctx, m.substr(f + 5));
        return true;
    }
    if (ConsumePrefix(m, "Invalid user ")) {
        Outcome(ctx, false);
        ctx.Add("invalid_user", "true", event::ValueKind::kBool);
        AddUserFrom(ctx, m);
        return true;
    }
    if (StartsWith(m, "User ") && m.find(" not allowed") != std::string_view::npos) {
        Outcome(ctx, false);
        std::string_view s = m.substr(5);
        s = s.substr(0, s.rfind(" not allowed"));  // the reason after it is sshd's
        AddUserFrom(ctx, s);
        return true;
    }
    if (ConsumePrefix(m, "maximum authentication attempts exceeded for ")) {
        Outcome(ctx, false);
        AddUserFrom(ctx, m);
        return true;
    }
    for (std::string_view p :
         {"Connection closed by ", "Disconnected from ", "Connection reset by ",
          "Did not receive identification string from "}) {
        if (ConsumePrefix(m, p)) {
            AddPeerAtEnd(ctx, m);
            return true;
        }
    }
    // "Disconnecting authenticating user root 203.0.113.5 port 22: Too many authentication
    // failures [preauth]" (sshd's reason after the address).
    if (ConsumePrefix(m, "Disconnecting ")) {
        std::string_view reason = m;
        if (EndsWith(reason, " [preauth]")) reason.remove_suffix(10);
        if (EndsWith(reason, ": Too many authentication failures")) Outcome(ctx, false);
        AddPeerBeforeText(ctx, m);
        return true;
    }
    for (std::string_view p : {"Received disconnect from ", "Unable to negotiate with "}) {
        if (ConsumePrefix(m, p)) {
            AddPeerBeforeText(ctx, m);
            return true;
        }
    }
    if (StartsWith(m, "PAM ") && m.find("authentication failure") != std::string_view::npos) {
        Outcome(ctx, false);
        size_t semi = m.find("; ");
        if (semi != std::string_view::npos) {
            AddPamPairs(ctx, m.substr(semi + 2));
        }
        return true;
    }
    return false;
}

// sudo writes the directory and the command as they are, and either can hold " ; KEY=": run in
// a directory named "x ; USER=root ; COMMAND=/bin/true", `sudo -u bob evil` logs "... PWD=x ;
// USER=root ; COMMAND=/bin/true ; USER=bob ; COMMAND=evil", and a command's arguments can hold
// the same. No reading of such a line is certain, so each is kept: every " ; COMMAND=" within
// the command read first starts another COMMAND value, and the USER items before it are more
// USER values. A rule on either field then finds the real one whichever reading is true;
// vigil.ambiguous says the line reads more than one way.
void AddOtherSudoReadings(Ctx& ctx, std::string_view command) {
    constexpr std::string_view kCommand = " ; COMMAND=", kUser = " ; USER=";
    size_t readings = 1;
    size_t from = 0;
    for (size_t at = command.find(kCommand); at != std::string_view::npos;
         at = command.find(kCommand, at + 1)) {
        const std::string_view before = command.substr(from, at - from);
        for (size_t u = before.find(kUser); u != std::string_view::npos;
             u = before.find(kUser, u + 1)) {
            const std::string_view user = before.substr(u + kUser.size());
            ctx.Add("USER", TrimSpaces(user.substr(0, user.find(" ; "))));
        }
        ctx.Add("COMMAND", TrimSpaces(command.substr(at + kCommand.size())));
        from = at + kCommand.size();
        ++readings;
    }
    if (readings > 1) {
        ctx.Add("vigil.ambiguous", "sudo: the line holds COMMAND= " + std::to_string(readings) +
                                       " times; each reading is kept");
    }
}

// "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"
bool DecodeSudo(Ctx& ctx, std::string_view m) {
    m = TrimSpaces(m);
    size_t colon = m.find(" : ");
    if (colon == std::string_view::npos) return false;
    std::string_view user = TrimSpaces(m.substr(0, colon));
    std::string_view rest = m.substr(colon + 3);
    if (user.empty() || user.find(' ') != std::string_view::npos) return false;
    ctx.Add("user", user);
    std::string_view reason;
    while (!rest.empty()) {
        size_t semi = rest.find(" ; ");
        std::string_view item = TrimSpaces(rest.substr(0, semi));
        size_t eq = item.find('=');
        bool is_key = eq != std::string_view::npos && eq > 0;
        for (size_t i = 0; is_key && i < eq; ++i)
            if (!(item[i] >= 'A' && item[i] <= 'Z')) is_key = false;
        if (is_key && item.substr(0, eq) == "COMMAND") {
            // The command is last and may itself contain " ; ".
            const std::string_view command = TrimSpaces(rest).substr(eq + 1);
            ctx.Add("COMMAND", command);
            AddOtherSudoReadings(ctx, command);
            break;
        }
        if (is_key) {
            ctx.Add(item.substr(0, eq), item.substr(eq + 1));
        } else if (reason.empty()) {
            reason = item;
        }
        if (semi == std::string_view::npos) break;
        rest.remove_prefix(semi + 3);
    }
    if (!reason.empty()) ctx.Add("reason", reason);
    Outcome(ctx, reason.empty());
    return true;
}

// "pam_unix(sshd:auth): authentication failure; logname= uid=0 ... rhost=1.2.3.4  user=root"
bool DecodePam(Ctx& ctx, std::string_view m) {
    size_t lp = m.find('(');
    size_t rp = m.find("): ");
    if (!StartsWith(m, "pam_") || lp == std::string_view::npos || rp == std::string_view::npos ||
        rp < lp)
        return false;
    ctx.Add("pam_module", m.substr(0, lp));
    std::string_view st = m.substr(lp + 1, rp - lp - 1);
    size_t c = st.find(':');
    ctx.Add("pam_service", st.substr(0, c));
    if (c != std::string_view::npos) ctx.Add("pam_type", st.substr(c + 1));
    std::string_view text = m.substr(rp + 3);
    size_t semi = text.find(';');
    std::string_view what = text.substr(0, semi);
    if (StartsWith(what, "session opened for user ") ||
        StartsWith(what, "session closed for user ")) {
        std::string_view u = what.substr(24);
        u = u.substr(0, u.find_first_of("( "));
        ctx.Add("user", u);
        Outcome(ctx, true);
        return true;
    }
    if (what.find("failure") != std::string_view::npos ||
        what.find("unknown") != std::string_view::npos ||
        what.find("could not") != std::string_view::npos)
        Outcome(ctx, false);
    if (semi == std::string_view::npos) return true;
    AddPamPairs(ctx, text.substr(semi + 1));
    return true;
}

// "FAILED su for root by alice" / "Successful su for root by alice"
bool DecodeSu(Ctx& ctx, std::string_view m) {
    // util-linux's su (Debian, Ubuntu, RHEL): "FAILED SU (to root) alice on pts/1" and
    // "(to root) alice on pts/1" for a success.
    const bool failed_to = StartsWith(m, "FAILED SU (to ");
    if (failed_to || StartsWith(m, "(to ")) {
        std::string_view s = m.substr(failed_to ? 14 : 4);
        const size_t close = s.find(") ");
        if (close == std::string_view::npos || close == 0) return false;
        ctx.Add("user", s.substr(0, close));
        s.remove_prefix(close + 2);
        const size_t on = s.find(" on ");
        const std::string_view by = s.substr(0, on);
        if (!by.empty() && by.find(' ') == std::string_view::npos) ctx.Add("src_user", by);
        if (on != std::string_view::npos) ctx.Add("tty", s.substr(on + 4));
        Outcome(ctx, !failed_to);
        return true;
    }
    bool ok = StartsWith(m, "Successful su for ");
    if (!ok && !StartsWith(m, "FAILED su for ")) return false;
    std::string_view s = m.substr(ok ? 18 : 14);
    size_t by = s.find(" by ");
    ctx.Add("user", s.substr(0, by));
    if (by != std::string_view::npos) ctx.Add("src_user", s.substr(by + 4));
    Outcome(ctx, ok);
    return true;
}

}  // namespace

bool LooksLikePam(std::string_view text) {
    return StartsWith(text, "pam_") && text.find("): ") != std::string_view::npos;
}

Status DecodeAuth(Ctx& ctx, std::string_view program, std::string_view text) {
    std::string_view m = TrimSpaces(text);
    std::string_view service;
    if (LooksLikePam(m)) {
        if (DecodePam(ctx, m)) service = "auth";
    } else if (program == "sudo" || (program.empty() && m.find(" : ") != std::string_view::npos &&
                                     (m.find("COMMAND=") != std::string_view::npos ||
                                      m.find("TTY=") != std::string_view::npos))) {
        if (DecodeSudo(ctx, m)) service = "sudo";
    } else if (program == "su" && DecodeSu(ctx, m)) {
        service = "auth";
    } else if (program == "sshd" || program.empty()) {
        if (DecodeSshd(ctx, m)) service = "sshd";
    }
    if (service.empty()) {
        if (!program.empty()) return Ok();  // a message of a known program we do not parse
        return ctx.Fail("auth", text, "not an sshd, sudo or PAM message");
    }
    // Standalone lines get their logsource here; a syslog line sets it from the program.
    ctx.ev.logsource.product = "linux";
    ctx.ev.logsource.service = program == "sshd" ? "sshd" : service;
    return Ok();
}

}  // namespace vigil::parse::internal
