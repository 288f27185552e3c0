// CEF, LEEF and generic key=value lines. All three end in key=value pairs; CEF and key=value
// values may contain spaces and run until the next " key=", as ArcSight's parser does.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "parse/decoders.h"

namespace vigil::parse::internal {

namespace {

bool IsKeyChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == '[' || c == ']' || c == ':' || c == '@' || c == '/';
}

// Length of the key at s[i] when it is followed by '=', else 0.
size_t KeyAt(std::string_view s, size_t i) {
    size_t j = i;
    while (j < s.size() && IsKeyChar(s[j])) ++j;
    return j > i && j < s.size() && s[j] == '=' ? j - i : 0;
}

// End of an unquoted value starting at i: the space before the next "key=", or the end. A
// backslash escapes the next byte (CEF's \= and \\).
size_t ValueEnd(std::string_view s, size_t i, bool escapes) {
    for (size_t j = i; j < s.size(); ++j) {
        if (escapes && s[j] == '\\') {
            ++j;
            continue;
        }
        if (s[j] == ' ' && KeyAt(s, j + 1) > 0) return j;
    }
    return s.size();
}

// CEF extension escapes: \= \\ \n \r.
void UnescapeCef(std::string_view v, std::string& out) {
    out.clear();
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) {
            char n = v[++i];
            out.push_back(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
        } else {
            out.push_back(v[i]);
        }
    }
}

// One |-separated header field as it stands in the line, and whether it holds an escape.
struct HeaderPiece {
    std::string_view raw;
    bool escaped = false;
};

// Splits a header on unescaped '|' into up to n fields; returns the number found and leaves the
// rest (after the last '|') in rest. The fields stay views of the line (unescaped only when
// added, and only those holding \| or \\), so most values are stored as slices of it.
size_t SplitHeader(std::string_view s, size_t n, HeaderPiece* out, std::string_view& rest) {
    size_t count = 0, start = 0;
    bool escaped = false;
    size_t i = 0;
    for (; i < s.size() && count < n; ++i) {
        const char c = s[i];
        if (c == '\\' && i + 1 < s.size() && (s[i + 1] == '|' || s[i + 1] == '\\')) {
            escaped = true;
            ++i;
        } else if (c == '|') {
            out[count++] = {s.substr(start, i - start), escaped};
            start = i + 1;
            escaped = false;
        }
    }
    rest = s.substr(i);
    return count;
}

// A header field's text: \| and \\ undone (into scratch) when it holds them.
std::string_view HeaderText(const HeaderPiece& p, std::string& scratch) {
    if (!p.escaped) return p.raw;
    scratch.clear();
    for (size_t i = 0; i < p.raw.size(); ++i) {
        if (p.raw[i] == '\\' && i + 1 < p.raw.size() &&
            (p.raw[i + 1] == '|' || p.raw[i + 1] == '\\'))
            ++i;
        scratch.push_back(p.raw[i]);
    }
    return scratch;
}

// An extension value's text: its escapes undone (into scratch) when it holds a backslash.
std::string_view ExtensionText(std::string_view raw, std::string& scratch) {
    if (raw.find('\\') == std::string_view::npos) return raw;
    UnescapeCef(raw, scratch);
    return scratch;
}

// CEF's rt and LEEF's devTime: milliseconds since the epoch (ParseEpochTime), or a date as the CEF
// specification lists them, "MMM dd[ yyyy] HH:mm:ss[.SSS][ zzz]" (LEEF's devTimeFormat is mostly
// one of these): the zone UTC, GMT, Z or an offset (+08:00, +0800); without one, the source's zone.
// Another zone name (CST is three zones) leaves the event without a time of its own.
void DeviceTime(Ctx& ctx, std::string_view v) {
    if (auto t = ParseEpochTime(v)) {
        ctx.ev.time_ns = *t;
        return;
    }
    TimeZone zone = ctx.options.zone;
    const size_t sp = v.rfind(' ');
    if (sp != std::string_view::npos && sp + 1 < v.size() && (v[sp + 1] < '0' || v[sp + 1] > '9')) {
        auto named = TimeZone::Parse(v.substr(sp + 1));
        if (!named || named->kind == TimeZone::Kind::kLocal) return;
        zone = *named;
        v = v.substr(0, sp);
    }
    int64_t t = 0;
    if (ParseBsdDate(ctx, v, t, zone) && v.empty() && t != 0) ctx.ev.time_ns = t;
}

// A FortiGate line's time: `eventtime` (seconds, milliseconds, microseconds or nanoseconds
// since the epoch, by its length), else `date` and `time` in the zone `tz` ("+0800"). Without
// either the line keeps no time of its own and the receive time is used: `date` and `time`
// are the device's local time, and read as UTC they would be hours off wherever it is not.
void FortigateTime(Ctx& ctx) {
    if (auto t = ParseEpochTime(ctx.ev.Get("eventtime"))) {
        ctx.ev.time_ns = *t;
        return;
    }
    const std::string_view date = ctx.ev.Get("date"), time = ctx.ev.Get("time"),
                           tz = ctx.ev.Get("tz");
    if (date.empty() || time.empty() || tz.empty()) return;
    std::string text;
    text.append(date).append("T").append(time).append(tz);
    if (auto t = ParseTimestamp(text, ctx.options.zone)) ctx.ev.time_ns = *t;
}

}  // namespace

Status DecodeCef(Ctx& ctx, std::string_view text) {
    if (!StartsWith(text, "CEF:")) return ctx.Fail("cef", text, "expected CEF:");
    HeaderPiece h[7];
    std::string_view ext;
    size_t n = SplitHeader(text.substr(4), 7, h, ext);
    if (n < 7)
        return ctx.Fail("cef", text.substr(text.size()),
                        "expected 7 |-separated header fields, found " + std::to_string(n));
    static constexpr std::string_view kNames[] = {
        "cefVersion",         "deviceVendor", "deviceProduct", "deviceVersion",
        "deviceEventClassId", "name",         "severity"};
    std::string scratch, scratch2;
    for (size_t i = 0; i < 7; ++i) ctx.Add(kNames[i], HeaderText(h[i], scratch));
    // The pairs as they stand in the line (a value runs to the space before the next key=).
    std::vector<std::pair<std::string_view, std::string_view>> pairs;
    pairs.reserve(16);
    bool labels = false;
    size_t i = 0;
    while (i < ext.size()) {
        while (i < ext.size() && ext[i] == ' ') ++i;
        if (i >= ext.size()) break;
        size_t klen = KeyAt(ext, i);
        if (klen == 0) {
            return ctx.Fail("cef", ext.substr(i), "expected key=value in the extension");
        }
        std::string_view key = ext.substr(i, klen);
        size_t vstart = i + klen + 1;
        size_t vend = ValueEnd(ext, vstart, true);
        pairs.emplace_back(key, ext.substr(vstart, vend - vstart));
        labels = labels || EndsWith(key, "Label");
        i = vend;
    }
    for (const auto& [k, raw] : pairs) {
        const std::string_view v = ExtensionText(raw, scratch);
        ctx.AddNumberOrString(k, v);
        if (k == "rt") DeviceTime(ctx, v);
    }
    // cs1Label=Rule cs1=Block-SSH: the label names the custom field.
    if (labels) {
        for (const auto& [k, raw] : pairs) {
            if (!EndsWith(k, "Label") || raw.empty()) continue;
            const std::string_view label = ExtensionText(raw, scratch);
            const std::string_view base = k.substr(0, k.size() - 5);
            for (const auto& [k2, raw2] : pairs)
                if (k2 == base) ctx.Add(label, ExtensionText(raw2, scratch2));
        }
    }
    return Ok();
}

namespace {

// One character: an ASCII byte, or one UTF-8 sequence.
bool IsOneCharacter(std::string_view d) {
    if (d.size() == 1) return true;
    if (d.empty()) return false;
    const auto lead = static_cast<unsigned char>(d[0]);
    const size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    return len == d.size() && std::all_of(d.begin() + 1, d.end(), [](char c) {
               return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
           });
}

}  // namespace

Status DecodeLeef(Ctx& ctx, std::string_view text) {
    if (!StartsWith(text, "LEEF:")) return ctx.Fail("leef", text, "expected LEEF:");
    HeaderPiece h[5];
    std::string_view attrs;
    size_t n = SplitHeader(text.substr(5), 5, h, attrs);
    if (n < 5)
        return ctx.Fail("leef", text.substr(text.size()),
                        "expected 5 |-separated header fields, found " + std::to_string(n));
    static constexpr std::string_view kNames[] = {"leefVersion", "deviceVendor", "deviceProduct",
                                                  "deviceVersion", "eventId"};
    std::string scratch;
    for (size_t i = 0; i < 5; ++i) ctx.Add(kNames[i], HeaderText(h[i], scratch));
    std::string delim = "\t";
    if (StartsWith(h[0].raw, "2")) {
        // LEEF 2.0: a delimiter field, one character or its code in hex ("^", "0x5E", "x09",
        // "xa6", "0x00A6"). A code past ASCII is its UTF-8 form, or the byte itself in text
        // that does not hold that form (a Latin-1 sender's 0xA6).
        size_t bar = attrs.find('|');
        if (bar != std::string_view::npos && bar <= 6) {
            std::string_view d = attrs.substr(0, bar);
            attrs.remove_prefix(bar + 1);
            std::string_view hex = d;
            (void)(ConsumePrefix(hex, "0x") || ConsumePrefix(hex, "0X"));
            if (!hex.empty() && (hex[0] == 'x' || hex[0] == 'X')) hex.remove_prefix(1);
            uint32_t code = 0;
            const bool is_hex = hex.size() != d.size() && !hex.empty() && hex.size() <= 4 &&
                                std::all_of(hex.begin(), hex.end(), [&](char c) {
                                    const int v = HexDigit(c);
                                    code = code * 16 + static_cast<uint32_t>(v);
                                    return v >= 0;
                                });
            if (is_hex && code > 0 && code < 0x80) {
                delim.assign(1, static_cast<char>(code));
            } else if (is_hex && code >= 0x80) {
                delim.clear();
                AppendUtf8(delim, code);
                if (code <= 0xFF && attrs.find(delim) == std::string_view::npos) {
                    delim.assign(1, static_cast<char>(code));
                }
            } else if (!is_hex && IsOneCharacter(d)) {
                delim.assign(d);  // the character itself, ASCII or not
            } else if (!d.empty()) {
                return ctx.Fail("leef", d, "bad LEEF 2.0 delimiter '" + std::string(d) + "'");
            }
        }
    }
    while (!attrs.empty()) {
        size_t d = attrs.find(delim);
        std::string_view pair = attrs.substr(0, d);
        attrs.remove_prefix(d == std::string_view::npos ? attrs.size() : d + delim.size());
        size_t eq = pair.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        std::string_view k = Trim(pair.substr(0, eq)), v = pair.substr(eq + 1);
        ctx.AddNumberOrString(k, v);
        if (k == "devTime") DeviceTime(ctx, v);
    }
    return Ok();
}

bool LooksLikeKv(std::string_view s) {
    size_t eq = s.find('=');
    if (eq == 0 || eq == std::string_view::npos || eq > 64) return false;
    for (size_t i = 0; i < eq; ++i) {
        char c = s[i];
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
              c == ':'))
            return false;
    }
    size_t second = s.find('=', eq + 1);
    return second != std::string_view::npos;
}

Status DecodeKv(Ctx& ctx, std::string_view text, bool in_message) {
    std::string value;
    size_t i = 0, pairs = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        if (i >= text.size()) break;
        size_t klen = KeyAt(text, i);
        if (klen == 0) {
            if (pairs == 0) return ctx.Fail("kv", text.substr(i), "expected key=value");
            // A word between pairs: skip it.
            while (i < text.size() && text[i] != ' ') ++i;
            continue;
        }
        std::string_view key = text.substr(i, klen);
        size_t v = i + klen + 1;
        if (v < text.size() && (text[v] == '"' || text[v] == '\'')) {
            char q = text[v];
            value.clear();
            size_t j = v + 1;
            for (; j < text.size() && text[j] != q; ++j) {
                if (text[j] == '\\' && j + 1 < text.size()) ++j;
                value.push_back(text[j]);
            }
            if (j >= text.size()) return ctx.Fail("kv", text.substr(v), "unterminated quote");
            ctx.Add(key, value);
            i = j + 1;
        } else {
            size_t end = in_message ? std::min(text.find_first_of(" \t", v), text.size())
                                    : ValueEnd(text, v, false);
            std::string_view unquoted = Trim(text.substr(v, end - v));
            // "key=value, key=value" (sendmail, many appliances): the comma separates pairs.
            if (end < text.size() && unquoted.size() > 1 && unquoted.back() == ',')
                unquoted.remove_suffix(1);
            ctx.AddNumberOrString(key, unquoted);
            i = end;
        }
        ++pairs;
    }
    if (pairs == 0) return ctx.Fail("kv", text, "no key=value pairs");
    // FortiGate writes key=value; Sigma's fortigate rules route on product/service.
    if (ctx.ev.Find("devid") >= 0 && ctx.ev.Find("logid") >= 0) {
        ctx.ev.logsource.product = "fortigate";
        ctx.ev.logsource.service = std::string(ctx.ev.Get("type"));
        FortigateTime(ctx);
    }
    return Ok();
}

}  // namespace vigil::parse::internal
