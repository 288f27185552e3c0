// Netfilter kernel log lines, as iptables' LOG target and nftables' `log` statement write
// them: "[UFW BLOCK] IN=eth0 OUT= MAC=... SRC=203.0.113.9 DST=198.51.100.2 ... PROTO=TCP
// SPT=51234 DPT=22 ... SYN URGP=0". The kernel's names are kept; Sigma's firewall names
// (src_ip, dst_ip, src_port, dst_port, protocol, action, blocked) are added.
#include <string>
#include <string_view>

#include "base/audit_record.h"
#include "base/strings.h"
#include "parse/decoders.h"

namespace vigil::parse::internal {

namespace {

bool ContainsUpper(std::string_view hay, std::string_view needle_upper) {
    if (needle_upper.size() > hay.size()) return false;
    for (size_t i = 0; i + needle_upper.size() <= hay.size(); ++i) {
        size_t k = 0;
        while (k < needle_upper.size() &&
               (hay[i + k] == needle_upper[k] || hay[i + k] == needle_upper[k] + 32))
            ++k;
        if (k == needle_upper.size()) return true;
    }
    return false;
}

}  // namespace

bool LooksLikeIptables(std::string_view text) {
    size_t in = text.find("IN=");
    if (in == std::string_view::npos || (in > 0 && text[in - 1] != ' ')) return false;
    return text.find(" OUT=", in) != std::string_view::npos &&
           text.find(" SRC=", in) != std::string_view::npos;
}

Status DecodeIptables(Ctx& ctx, std::string_view text) {
    std::string_view s = text;
    (void)ConsumePrefix(s, "kernel: ");
    s = SkipKernelUptime(s);  // not part of the prefix
    size_t in = s.find("IN=");
    while (in != std::string_view::npos && in > 0 && s[in - 1] != ' ') in = s.find("IN=", in + 1);
    if (in == std::string_view::npos)
        return ctx.Fail("iptables", s, "expected IN= (a netfilter log line)");
    std::string_view prefix = Trim(s.substr(0, in));
    if (!prefix.empty()) ctx.Add("prefix", prefix);
    // An ICMP error quotes the packet that caused it: "PROTO=ICMP TYPE=3 CODE=3 [SRC=... DST=...
    // PROTO=UDP SPT=53 DPT=33434 LEN=528 ]". Its fields go under icmp_inner., so the line's
    // own SRC, DST and ports stay the ICMP packet's. Brackets inside the quote ("INCOMPLETE
    // [8 bytes]") nest.
    std::string flags, inner_flags, lower, name;
    int depth = 0;
    // The field name k has in the quote or outside it.
    auto key = [&name](bool inner, std::string_view k) -> std::string_view {
        if (!inner) return k;
        name.assign("icmp_inner.").append(k);
        return name;
    };
    std::string_view rest = s.substr(in);
    while (!rest.empty()) {
        size_t sp = rest.find(' ');
        std::string_view tok = rest.substr(0, sp);
        rest.remove_prefix(sp == std::string_view::npos ? rest.size() : sp + 1);
        if (tok.empty()) continue;
        if (tok.front() == '[') {
            if (depth > 0) {
                ++depth;
            } else if (tok.find('=') != std::string_view::npos) {
                depth = 1;
                tok.remove_prefix(1);
            }
        }
        const bool inner = depth > 0;
        // A closing bracket at depth 1 ends the quote (and the token there).
        for (size_t i = 0; inner && i < tok.size(); ++i) {
            if (tok[i] != ']') continue;
            if (--depth == 0) {
                tok = tok.substr(0, i);
                break;
            }
        }
        if (tok.empty()) continue;
        size_t eq = tok.find('=');
        if (eq == std::string_view::npos) {  // DF, SYN, ACK, ...
            std::string& f = inner ? inner_flags : flags;
            if (!f.empty()) f.push_back(' ');
            f.append(tok);
            continue;
        }
        std::string_view k = tok.substr(0, eq), v = tok.substr(eq + 1);
        ctx.AddNumberOrString(key(inner, k), v);
        if (v.empty()) continue;
        if (k == "SRC") {
            ctx.Add(key(inner, "src_ip"), v);
        } else if (k == "DST") {
            ctx.Add(key(inner, "dst_ip"), v);
        } else if (k == "SPT") {
            ctx.AddNumberOrString(key(inner, "src_port"), v);
        } else if (k == "DPT") {
            ctx.AddNumberOrString(key(inner, "dst_port"), v);
        } else if (k == "PROTO") {
            AsciiLowerInto(v, lower);
            ctx.Add(key(inner, "protocol"), lower);
        }
    }
    if (!flags.empty()) ctx.Add("flags", flags);
    if (!inner_flags.empty()) ctx.Add("icmp_inner.flags", inner_flags);
    // The verdict is only known from the rule's log prefix, by convention.
    if (ContainsUpper(prefix, "ACCEPT") || ContainsUpper(prefix, "ALLOW") ||
        ContainsUpper(prefix, "PASS")) {
        ctx.Add("action", "accept");
        ctx.Add("blocked", "false");
    } else if (ContainsUpper(prefix, "REJECT")) {
        ctx.Add("action", "reject");
        ctx.Add("blocked", "true");
    } else if (ContainsUpper(prefix, "DROP") || ContainsUpper(prefix, "BLOCK") ||
               ContainsUpper(prefix, "DENY")) {
        ctx.Add("action", "drop");
        ctx.Add("blocked", "true");
    }
    ctx.ev.logsource.product = "linux";
    ctx.ev.logsource.AddCategory("firewall");
    return Ok();
}

}  // namespace vigil::parse::internal
