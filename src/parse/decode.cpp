// The decoder registry, auto-detection, LineDecoder, and the JSON-based decoders (plain JSON,
// Suricata EVE, Windows JSON), which reuse JsonDecoder and add Sigma names.
#include "parse/decode.h"

#include <array>
#include <chrono>
#include <utility>

#include "base/strings.h"
#include "parse/decoders.h"
#include "parse/evtx_xml.h"
#include "parse/json.h"

namespace vigil::parse {

namespace {

struct Entry {
    Format format;
    std::string_view name;
};

constexpr std::array<Entry, 15> kFormats{{
    {Format::kAuto, "auto"},
    {Format::kText, "text"},
    {Format::kSyslog, "syslog"},
    {Format::kRfc3164, "rfc3164"},
    {Format::kRfc5424, "rfc5424"},
    {Format::kJson, "json"},
    {Format::kCef, "cef"},
    {Format::kLeef, "leef"},
    {Format::kKv, "kv"},
    {Format::kAccess, "access"},
    {Format::kAuth, "auth"},
    {Format::kAuditd, "auditd"},
    {Format::kIptables, "iptables"},
    {Format::kSuricata, "suricata"},
    {Format::kWinJson, "winjson"},
}};

std::string_view StripBomAndSpace(std::string_view s) {
    (void)ConsumePrefix(s, "\xEF\xBB\xBF");
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

// The JSON keys that tell the JSON shapes apart, looked for near the start of the document.
Format DetectJson(std::string_view s) {
    std::string_view head = s.substr(0, 4096);
    if (head.find("\"event_type\"") != std::string_view::npos &&
        (head.find("\"src_ip\"") != std::string_view::npos ||
         head.find("\"flow_id\"") != std::string_view::npos ||
         head.find("\"in_iface\"") != std::string_view::npos))
        return Format::kSuricata;
    if (head.find("\"winlog\"") != std::string_view::npos) return Format::kWinJson;
    if (head.find("\"EventID\"") != std::string_view::npos &&
        (head.find("\"SourceName\"") != std::string_view::npos ||
         head.find("\"Channel\"") != std::string_view::npos))
        return Format::kWinJson;
    return Format::kJson;
}

// "Mmm dd hh:", "Mmm  d hh:", "Mmm d hh:" or "Mmm dd yyyy hh:" at the start, as BSD syslog
// files and devices write (the forms ParseBsdDate reads).
bool StartsWithBsdDate(std::string_view s) {
    if (s.size() < 15 || internal::MonthFromAbbrev(s.substr(0, 3)) == 0 || s[3] != ' ') {
        return false;
    }
    const auto digit = [&](size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
    size_t i = 4;
    if (s[i] == ' ') ++i;
    if (!digit(i)) return false;
    i += digit(i + 1) && s[4] != ' ' ? 2 : 1;
    if (i >= s.size() || s[i] != ' ') return false;
    ++i;
    if (digit(i) && digit(i + 1) && digit(i + 2) && digit(i + 3) && i + 4 < s.size() &&
        s[i + 4] == ' ') {
        i += 5;  // the year
    }
    return digit(i) && digit(i + 1) && i + 2 < s.size() && s[i + 2] == ':';
}

// "2024-05-01T10:00:00..." followed by a space: rsyslog's precise file format.
bool StartsWithIsoDateAndSpace(std::string_view s) {
    if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T') return false;
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (s[i] < '0' || s[i] > '9') return false;
    size_t sp = s.find(' ', 11);
    return sp != std::string_view::npos && sp < 40;
}

}  // namespace

std::string_view FormatName(Format f) {
    for (const auto& e : kFormats)
        if (e.format == f) return e.name;
    return "?";
}

std::optional<Format> FormatByName(std::string_view name) {
    for (const auto& e : kFormats)
        if (EqualsIgnoreCase(e.name, name)) return e.format;
    return std::nullopt;
}

const std::vector<std::string_view>& FormatNames() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> v;
        for (const auto& e : kFormats) v.push_back(e.name);
        return v;
    }();
    return names;
}

Format Detect(std::string_view line) {
    std::string_view s = StripBomAndSpace(line);
    if (s.empty()) return Format::kText;
    switch (s.front()) {
        case '<':
            if (s.size() > 2 && s[1] >= '0' && s[1] <= '9') return Format::kSyslog;
            break;
        case '{':
            return DetectJson(s);
        case 'C':
            if (StartsWith(s, "CEF:")) return Format::kCef;
            break;
        case 'L':
            if (StartsWith(s, "LEEF:")) return Format::kLeef;
            break;
        default:
            break;
    }
    if (StartsWithBsdDate(s) || StartsWithIsoDateAndSpace(s)) return Format::kSyslog;
    if (internal::LooksLikeAuditd(s)) return Format::kAuditd;
    if (internal::LooksLikeAccess(s)) return Format::kAccess;
    if (internal::LooksLikeIptables(s)) return Format::kIptables;
    if (internal::LooksLikeKv(s)) return Format::kKv;
    return Format::kText;
}

LineDecoder::LineDecoder(DecodeOptions options)
    : options_(options),
      json_(std::make_unique<JsonDecoder>(JsonLimits{.max_bytes = options.max_line_bytes,
                                                     .max_depth = limits::kMaxJsonDepth,
                                                     .max_fields = options.max_fields})) {}

LineDecoder::~LineDecoder() = default;

JsonDecoder& LineDecoder::json() { return *json_; }

internal::EvtxXmlConverter& LineDecoder::xml() {
    if (!xml_) xml_ = std::make_unique<internal::EvtxXmlConverter>();
    return *xml_;
}

Status LineDecoder::Decode(std::string_view line, Format format, event::Event& out,
                           int64_t received_ns) {
    out.Clear();
    ++stats_.lines;
    if (line.size() > options_.max_line_bytes) {
        ++stats_.malformed;
        last_ = format;
        return ResourceExhausted("line of " + std::to_string(line.size()) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(options_.max_line_bytes));
    }
    if (format == Format::kAuto) format = Detect(line);
    last_ = format;
    internal::Ctx ctx{*this, out, options_, line};
    ctx.now_ns = received_ns;
    std::string_view text = StripBomAndSpace(line);
    Status st;
    switch (format) {
        case Format::kAuto:
        case Format::kText:
            break;
        case Format::kSyslog:
        case Format::kRfc3164:
        case Format::kRfc5424:
            st = internal::DecodeSyslog(ctx, text, format);
            break;
        case Format::kJson:
        case Format::kSuricata:
        case Format::kWinJson:
            st = internal::DecodeJsonLine(ctx, line, format);
            break;
        case Format::kCef:
            st = internal::DecodeCef(ctx, text);
            break;
        case Format::kLeef:
            st = internal::DecodeLeef(ctx, text);
            break;
        case Format::kKv:
            st = internal::DecodeKv(ctx, text);
            break;
        case Format::kAccess:
            st = internal::DecodeAccess(ctx, text);
            break;
        case Format::kAuth:
            st = internal::DecodeAuth(ctx, {}, text);
            break;
        case Format::kAuditd:
            st = internal::DecodeAuditd(ctx, text);
            break;
        case Format::kIptables:
            st = internal::DecodeIptables(ctx, text);
            break;
    }
    // JSON documents are their fields; text lines keep their raw form for keyword rules.
    if (format != Format::kJson && format != Format::kSuricata && format != Format::kWinJson)
        out.message.assign(line);
    stats_.fields_dropped += ctx.dropped;
    if (!st) ++stats_.malformed;
    return st;
}

namespace internal {

void Ctx::AddNumberOrString(std::string_view name, std::string_view value) {
    std::string_view digits = value;
    if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
    Add(name, value, IsDigits(digits) ? event::ValueKind::kNumber : event::ValueKind::kString);
}

int64_t Ctx::Now() {
    if (now_ns == 0) {
        now_ns = options.now_ns != 0 ? options.now_ns
                                     : std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count();
    }
    return now_ns;
}

tl::unexpected<Error> Ctx::Fail(std::string_view decoder, std::string_view at,
                                std::string_view reason) const {
    return FailAt(decoder, Offset(at), reason);
}

tl::unexpected<Error> Ctx::FailAt(std::string_view decoder, size_t offset,
                                  std::string_view reason) const {
    return InvalidArgument(std::string(decoder) + ": at byte " + std::to_string(offset) + ": " +
                           std::string(reason));
}

int MonthFromAbbrev(std::string_view s) {
    static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (s.size() != 3) return 0;
    for (int i = 0; i < 12; ++i)
        if (kMonths[i] == s) return i + 1;
    return 0;
}

bool IsDigits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

bool LooksLikeIp(std::string_view s) {
    if (s.size() < 2 || s.size() > 45) return false;
    bool dot = false, colon = false;
    for (char c : s) {
        if (c == '.') {
            dot = true;
        } else if (c == ':') {
            colon = true;
        } else if (HexDigit(c) < 0) {
            return false;
        }
    }
    return dot || colon;
}

// --- JSON-based decoders ---

namespace {

// Adds `alias` with the value of the first field named `from`, when present.
// Adds the first value of `from` (every value with all) under the name `alias`.
void Alias(Ctx& ctx, std::string_view from, std::string_view alias, bool all = false) {
    const size_t n = ctx.ev.size();
    for (size_t i = 0; i < n; ++i) {
        event::FieldView f = ctx.ev.field(i);
        if (f.name != from) continue;
        // The value lives in the event's buffer, which Add may reallocate: copy it first.
        std::string value(f.value);
        ctx.Add(alias, value, f.kind);
        if (!all) return;
    }
}

void SuricataNames(Ctx& ctx) {
    event::Event& ev = ctx.ev;
    std::string type(ev.Get("event_type"));
    ev.logsource.product = "suricata";
    ev.logsource.service = type;
    Alias(ctx, "dest_ip", "dst_ip");
    Alias(ctx, "dest_port", "dst_port");
    if (type == "dns") {
        ev.logsource.AddCategory("dns");
        // EVE versions 1 and 2 name the query in dns.rrname and dns.rrtype; version 3 (and a
        // version 2 response) list dns.queries[].rrname and .rrtype. Every answer is one.
        if (ev.Find("dns.rrname") >= 0) {
            Alias(ctx, "dns.rrname", "query");
        } else {
            Alias(ctx, "dns.queries.rrname", "query");
        }
        if (ev.Find("dns.rrtype") >= 0) {
            Alias(ctx, "dns.rrtype", "record_type");
        } else {
            Alias(ctx, "dns.queries.rrtype", "record_type");
        }
        Alias(ctx, "dns.answers.rdata", "answer", /*all=*/true);
        // The "grouped" answer format (EVE v2, and v3 when configured so) lists the data by
        // record type: dns.grouped.TXT, dns.grouped.A, ... (SOA and SRV as objects: left).
        constexpr std::string_view kGrouped = "dns.grouped.";
        const size_t n = ev.size();
        for (size_t i = 0; i < n; ++i) {
            const event::FieldView f = ev.field(i);
            if (!StartsWith(f.name, kGrouped) ||
                f.name.find('.', kGrouped.size()) != std::string_view::npos) {
                continue;
            }
            std::string value(f.value);  // Add may move the event's text
            ctx.Add("answer", value, f.kind);
        }
    } else if (type == "http") {
        ev.logsource.AddCategory("proxy");
        Alias(ctx, "http.url", "c-uri");
        Alias(ctx, "http.hostname", "cs-host");
        Alias(ctx, "http.http_user_agent", "c-useragent");
        Alias(ctx, "http.http_method", "cs-method");
        Alias(ctx, "http.status", "sc-status");
        Alias(ctx, "http.http_refer", "cs-referrer");
    } else if (type == "flow" || type == "netflow") {
        ev.logsource.AddCategory("firewall");
    }
}

}  // namespace

Status DecodeJsonLine(Ctx& ctx, std::string_view text, Format which) {
    std::string_view s = StripBomAndSpace(text);
    if (s.empty() || s.front() != '{')
        return ctx.Fail(FormatName(which), s, "expected a JSON object");
    if (Status st = ctx.decoder.json().Decode(s, ctx.ev); !st)
        return tl::unexpected(std::move(st.error()).WithContext(FormatName(which)));
    if (which == Format::kSuricata) {
        if (ctx.ev.Find("event_type") < 0)
            return ctx.Fail("suricata", s, "no event_type: not a Suricata EVE record");
        SuricataNames(ctx);
        if (auto t = ParseTimestamp(ctx.ev.Get("timestamp"), ctx.options.zone)) ctx.ev.time_ns = *t;
    } else if (which == Format::kWinJson) {
        // The built-in windows pipeline maps Winlogbeat and NXLog names and picks the
        // service and category from Channel / EventID: one mapping for every Windows shape.
        ctx.ev.logsource.product = "windows";
    }
    return Ok();
}

}  // namespace internal

}  // namespace vigil::parse
