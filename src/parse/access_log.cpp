// Apache / nginx access logs, common and combined:
//   203.0.113.7 - alice [10/Oct/2026:13:55:36 +0200] "GET /a?b=1 HTTP/1.1" 200 512 "ref" "agent"
// Fields get the W3C names the SigmaHQ webserver rules read (c-ip, cs-method, cs-uri-stem,
// cs-uri-query, sc-status, cs-user-agent, ...); the logsource is category webserver.
#include <string>
#include <string_view>

#include "base/strings.h"
#include "parse/decoders.h"

namespace vigil::parse::internal {

namespace {

// A quoted field starting at s[i] == '"'. Apache escapes '"' as \" and nginx as \x22;
// both are undone. Returns false when the closing quote is missing.
bool Quoted(std::string_view s, size_t& i, std::string& out) {
    out.clear();
    for (++i; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\\' && i + 1 < s.size()) {
            char n = s[i + 1];
            if (n == 'x' && i + 3 < s.size() && HexDigit(s[i + 2]) >= 0 &&
                HexDigit(s[i + 3]) >= 0) {
                out.push_back(static_cast<char>(HexDigit(s[i + 2]) * 16 + HexDigit(s[i + 3])));
                i += 3;
            } else if (n == '"' || n == '\\') {
                out.push_back(n);
                ++i;
            } else {
                out.push_back(c);
            }
            continue;
        }
        if (c == '"') {
            ++i;
            return true;
        }
        out.push_back(c);
    }
    return false;
}

std::string_view Token(std::string_view s, size_t& i) {
    size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    std::string_view t = s.substr(start, i - start);
    while (i < s.size() && s[i] == ' ') ++i;
    return t;
}

// "10/Oct/2026:13:55:36 +0200"
bool ParseClfTime(std::string_view t, int64_t& out) {
    if (t.size() < 20 || t[2] != '/' || t[6] != '/' || t[11] != ':' || t[14] != ':' || t[17] != ':')
        return false;
    auto num = [&](size_t pos, size_t n) -> int {
        std::string_view d = t.substr(pos, n);
        return IsDigits(d) ? static_cast<int>(*ParseInt(d)) : -1;
    };
    int day = num(0, 2), month = MonthFromAbbrev(t.substr(3, 3)), year = num(7, 4);
    int h = num(12, 2), mi = num(15, 2), s = num(18, 2);
    int64_t offset = 0;
    if (t.size() >= 26 && t[20] == ' ' && (t[21] == '+' || t[21] == '-')) {
        int oh = num(22, 2), om = num(24, 2);
        if (oh < 0 || om < 0) return false;
        offset = (oh * 3600 + om * 60) * (t[21] == '-' ? -1 : 1);
    }
    if (day < 0 || month == 0 || year < 0 || h < 0 || mi < 0 || s < 0) return false;
    auto ns = CivilToNs(year, month, day, h, mi, s, 0, offset);
    if (!ns) return false;
    out = *ns;
    return true;
}

}  // namespace

// Apache's vhost_combined ("%v:%p %h %l %u %t ...", Debian's other_vhosts_access.log): the
// length of its leading "vhost:port " (0 when s does not start with one followed by a line of
// the common form).
size_t VhostPrefix(std::string_view s) {
    const size_t sp = s.find(' ');
    if (sp == std::string_view::npos || sp > 256) return 0;
    const size_t colon = s.rfind(':', sp);
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == sp ||
        !IsDigits(s.substr(colon + 1, sp - colon - 1)) || sp - colon - 1 > 5) {
        return 0;
    }
    return sp + 1;
}

bool LooksLikeCommon(std::string_view s) {
    // host ident user [dd/Mon/yyyy:
    size_t i = 0;
    for (int tok = 0; tok < 3; ++tok) {
        size_t sp = s.find(' ', i);
        if (sp == std::string_view::npos || sp == i || sp - i > 256) return false;
        i = sp + 1;
    }
    return i + 12 < s.size() && s[i] == '[' && s[i + 3] == '/' && s[i + 7] == '/' &&
           s[i + 12] == ':';
}

bool LooksLikeAccess(std::string_view s) {
    if (LooksLikeCommon(s)) return true;
    const size_t vhost = VhostPrefix(s);
    return vhost > 0 && LooksLikeCommon(s.substr(vhost));
}

Status DecodeAccess(Ctx& ctx, std::string_view s) {
    if (!LooksLikeCommon(s)) {
        if (const size_t vhost = VhostPrefix(s); vhost > 0 && LooksLikeCommon(s.substr(vhost))) {
            const std::string_view v = s.substr(0, vhost - 1);
            const size_t colon = v.rfind(':');
            ctx.Add("cs-host", v.substr(0, colon));
            ctx.AddNumberOrString("s-port", v.substr(colon + 1));
            s.remove_prefix(vhost);
        }
    }
    size_t i = 0;
    std::string_view host = Token(s, i);
    Token(s, i);  // identd: always "-" in practice
    std::string_view user = Token(s, i);
    if (host.empty() || i >= s.size() || s[i] != '[')
        return ctx.FailAt("access", ctx.Offset(s) + i, "expected 'host ident user [time]'");
    size_t close = s.find(']', i);
    if (close == std::string_view::npos)
        return ctx.FailAt("access", ctx.Offset(s) + i, "unterminated [time]");
    int64_t t = 0;
    if (!ParseClfTime(s.substr(i + 1, close - i - 1), t))
        return ctx.FailAt("access", ctx.Offset(s) + i + 1,
                          "bad time, expected dd/Mon/yyyy:hh:mm:ss +zzzz");
    ctx.ev.time_ns = t;
    i = close + 1;
    while (i < s.size() && s[i] == ' ') ++i;
    std::string request;
    if (i >= s.size() || s[i] != '"' || !Quoted(s, i, request))
        return ctx.FailAt("access", ctx.Offset(s) + i, "expected the quoted request line");
    while (i < s.size() && s[i] == ' ') ++i;
    std::string_view status = Token(s, i);
    std::string_view bytes = Token(s, i);
    if (!IsDigits(status) || status.size() != 3)
        return ctx.FailAt("access", ctx.Offset(status), "expected a 3-digit status");

    ctx.Add("c-ip", host);
    if (user != "-" && !user.empty()) ctx.Add("cs-username", user);
    // "GET /path?query HTTP/1.1"; anything else (a bare "-", TLS bytes sent to a plain port)
    // is kept whole as the request.
    std::string_view req = request;
    size_t sp1 = req.find(' ');
    size_t sp2 = req.rfind(' ');
    if (sp1 != std::string_view::npos && sp1 > 0) {
        std::string_view method = req.substr(0, sp1);
        std::string_view uri, version;
        if (sp2 > sp1 && StartsWith(req.substr(sp2 + 1), "HTTP/")) {
            uri = req.substr(sp1 + 1, sp2 - sp1 - 1);
            version = req.substr(sp2 + 1);
        } else {
            uri = req.substr(sp1 + 1);
        }
        uri = Trim(uri);  // "GET  /x HTTP/1.1": the extra space is not the URI's
        ctx.Add("cs-method", method);
        ctx.Add("cs-uri", uri);
        size_t q = uri.find('?');
        ctx.Add("cs-uri-stem", uri.substr(0, q));
        if (q != std::string_view::npos) ctx.Add("cs-uri-query", uri.substr(q + 1));
        if (!version.empty()) ctx.Add("cs-version", version);
    } else {
        ctx.Add("request", req);
    }
    ctx.Add("sc-status", status, event::ValueKind::kNumber);
    if (IsDigits(bytes)) ctx.Add("sc-bytes", bytes, event::ValueKind::kNumber);
    std::string quoted;
    if (i < s.size() && s[i] == '"' && Quoted(s, i, quoted)) {
        if (quoted != "-") ctx.Add("cs-referer", quoted);
        while (i < s.size() && s[i] == ' ') ++i;
        if (i < s.size() && s[i] == '"') {
            if (Quoted(s, i, quoted)) {
                if (quoted != "-") ctx.Add("cs-user-agent", quoted);
            } else if (!quoted.empty()) {
                // No closing quote (a line cut short): what there is is the user agent's head.
                ctx.Add("cs-user-agent", quoted);
            }
        }
    }
    ctx.ev.logsource.AddCategory("webserver");
    return Ok();
}

}  // namespace vigil::parse::internal
