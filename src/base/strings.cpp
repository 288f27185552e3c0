#include "base/strings.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/time_zone.h"

namespace vigil {

std::string AsciiLower(std::string_view s) {
    std::string out;
    AsciiLowerInto(s, out);
    return out;
}

void AsciiLowerInto(std::string_view s, std::string& out) {
    out.clear();
    AppendAsciiLower(s, out);
}

void AppendAsciiLower(std::string_view s, std::string& out) {
    size_t at = out.size();
    out.resize(at + s.size());
    char* d = out.data() + at;
    // Branch-free so the compiler vectorises it: this runs on every scanned value.
    for (size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        d[i] = static_cast<char>(c + ((static_cast<unsigned char>(c - 'A') < 26) << 5));
    }
}

bool IsAscii(std::string_view s) {
    // An OR over the bytes, branch-free so the compiler vectorises it.
    unsigned char any = 0;
    for (char c : s) any |= static_cast<unsigned char>(c);
    return any < 0x80;
}

std::string UuidText(std::span<const uint8_t, 16> bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(36, '-');
    char* o = out.data();
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) ++o;  // the dash already there
        *o++ = kHex[bytes[i] >> 4];
        *o++ = kHex[bytes[i] & 15];
    }
    return out;
}

std::string HexEncode(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) {
        const auto b = static_cast<unsigned char>(bytes[i]);
        out[2 * i] = kHex[b >> 4];
        out[2 * i + 1] = kHex[b & 15];
    }
    return out;
}

bool DecodeHex(std::string_view s, std::string& out) {
    if (s.empty() || s.size() % 2 != 0) return false;
    out.clear();
    out.reserve(s.size() / 2);
    for (size_t i = 0; i < s.size(); i += 2) {
        const int hi = HexDigit(s[i]), lo = HexDigit(s[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
    }
    return true;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.starts_with(prefix); }
bool EndsWith(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }

std::string_view Trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r')) ++b;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r'))
        --e;
    return s.substr(b, e - b);
}

bool ConsumePrefix(std::string_view& s, std::string_view prefix) {
    if (!StartsWith(s, prefix)) return false;
    s.remove_prefix(prefix.size());
    return true;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == sep) {
            out.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    return out;
}

bool GlobMatch(std::string_view p, std::string_view t) {
    size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
    while (ti < t.size()) {
        if (pi < p.size() && p[pi] == '*') {
            star = pi++;
            mark = ti;
        } else if (pi < p.size() && p[pi] == t[ti]) {
            ++pi;
            ++ti;
        } else if (star != std::string_view::npos) {
            pi = star + 1;
            ti = ++mark;
        } else {
            return false;
        }
    }
    while (pi < p.size() && p[pi] == '*') ++pi;
    return pi == p.size();
}

std::optional<int64_t> ParseInt(std::string_view s) {
    s = Trim(s);
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::optional<double> ParseDouble(std::string_view s) {
    s = Trim(s);
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

bool JsonNumberFitsDouble(std::string_view s) {
    if (!s.empty() && s[0] == '-') s.remove_prefix(1);
    const size_t e = s.find_first_of("eE");
    const std::string_view mantissa = s.substr(0, e);
    const size_t dot = mantissa.find('.');
    if (e == std::string_view::npos && dot == std::string_view::npos) {
        // An integer: every one up to 2^53 is a double.
        constexpr std::string_view kMax = "9007199254740992";
        return mantissa.size() < kMax.size() ||
               (mantissa.size() == kMax.size() && mantissa <= kMax);
    }
    int64_t exponent = 0;
    if (e != std::string_view::npos) {
        std::string_view x = s.substr(e + 1);
        ConsumePrefix(x, "+");
        auto v = x.size() <= 7 ? ParseInt(x) : std::nullopt;  // -999999 at most: past any double
        if (!v) return false;
        exponent = *v;
    }
    // The significant digits, and the power of ten of the first one.
    const std::string_view int_part = mantissa.substr(0, dot);
    std::string digits(int_part);
    if (dot != std::string_view::npos) digits.append(mantissa.substr(dot + 1));
    const size_t first = digits.find_first_not_of('0');
    if (first == std::string::npos) return true;  // zero
    const size_t last = digits.find_last_not_of('0');
    if (last - first + 1 > 15) return false;  // more than a double keeps
    const int64_t power =
        static_cast<int64_t>(int_part.size()) - 1 - static_cast<int64_t>(first) + exponent;
    return power >= -307 && power <= 308;
}

bool IsJsonNumber(std::string_view s) {
    size_t i = 0;
    auto digits = [&] {
        const size_t from = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        return i > from;
    };
    if (i < s.size() && s[i] == '-') ++i;
    if (i < s.size() && s[i] == '0') {
        ++i;
    } else if (!digits()) {
        return false;
    }
    if (i < s.size() && s[i] == '.' && (++i, !digits())) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        if (!digits()) return false;
    }
    return i == s.size();
}

size_t Utf8SequenceAt(std::string_view s, size_t i) {
    const size_t n = s.size();
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) return 1;
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
        len = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + len > n) return 0;
    for (size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<uint8_t>(s[i + k]);
        if ((cc & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

size_t ValidUtf8Prefix(std::string_view s) {
    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
        // Eight ASCII bytes at a time (most log text is ASCII).
        while (i + 8 <= n) {
            uint64_t word;
            std::memcpy(&word, s.data() + i, 8);
            if (word & 0x8080808080808080ULL) break;
            i += 8;
        }
        if (i >= n) break;
        const size_t len = Utf8SequenceAt(s, i);
        if (len == 0) return i;
        i += len;
    }
    return n;
}

void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
        out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
}

void AppendJsonString(std::string& out, std::string_view s) {
    static const char* kHex = "0123456789abcdef";
    out.push_back('"');
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
            ++i;
        } else if (c < 0x20) {
            switch (c) {
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                default:
                    out += "\\u00";
                    out.push_back(kHex[c >> 4]);
                    out.push_back(kHex[c & 15]);
            }
            ++i;
        } else if (c < 0x80) {
            out.push_back(static_cast<char>(c));
            ++i;
        } else if (const size_t len = Utf8SequenceAt(s, i); len != 0) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            // Not a UTF-8 character (a stray byte, an overlong form, a surrogate): the byte
            // escaped, so the output is valid JSON and valid UTF-8.
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
            ++i;
        }
    }
    out.push_back('"');
}

namespace {
bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}
}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<int64_t> CivilToNs(int year, int month, int day, int hour, int minute, int second,
                                 int64_t frac_ns, int64_t offset_s) {
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
        minute > 59 || second < 0 || second > 60)
        return std::nullopt;
    // Nanoseconds since 1970 fit in int64 only for years 1678..2261.
    if (year < 1678 || year > 2261) return std::nullopt;
    int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
    return secs * 1000000000LL + frac_ns;
}

int YearOf(int64_t ns) {
    int64_t days = ns / 86400000000000LL;
    if (ns % 86400000000000LL < 0) --days;
    // Inverse of DaysFromCivil (H. Hinnant's civil_from_days).
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (m <= 2));
}

namespace {

// ParseTimestamp; `zoned` tells whether s gave an offset (or Z).
std::optional<int64_t> ParseTimestampZoned(std::string_view s, bool& zoned) {
    zoned = false;
    s = Trim(s);
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (!Digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, mo) ||
        s[7] != '-' || !Digits(s, 8, 2, d))
        return std::nullopt;
    // No February 30th: a day the month does not have is an error, not the next month's.
    using namespace std::chrono;
    if (!year_month_day{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}}
             .ok()) {
        return std::nullopt;
    }
    size_t pos = 10;
    int64_t frac_ns = 0;
    if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
        if (!Digits(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !Digits(s, pos + 4, 2, mi))
            return std::nullopt;
        pos += 6;
        if (pos < s.size() && s[pos] == ':') {
            if (!Digits(s, pos + 1, 2, sec)) return std::nullopt;
            pos += 3;
        }
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            ++pos;
            int64_t scale = 100000000;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                frac_ns += (s[pos] - '0') * scale;
                scale /= 10;
                ++pos;
            }
        }
    }
    int64_t offset_s = 0;
    if (pos < s.size()) {
        if (s[pos] == 'Z' || s[pos] == 'z') {
            ++pos;
            zoned = true;
        } else if (s[pos] == '+' || s[pos] == '-') {
            int oh, om = 0;
            if (!Digits(s, pos + 1, 2, oh) || oh > 23) return std::nullopt;
            zoned = true;
            size_t p2 = pos + 3;
            if (p2 < s.size() && s[p2] == ':') ++p2;
            if (p2 < s.size()) {
                if (!Digits(s, p2, 2, om) || om > 59) return std::nullopt;
                p2 += 2;
            }
            offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
            pos = p2;
        }
    }
    if (pos != s.size()) return std::nullopt;
    return CivilToNs(y, mo, d, h, mi, sec, frac_ns, offset_s);
}

}  // namespace

std::optional<int64_t> ParseTimestamp(std::string_view s) {
    bool zoned = false;
    return ParseTimestampZoned(s, zoned);
}

std::optional<int64_t> ParseEpochTime(std::string_view v) {
    const auto all_digits = [](std::string_view d) {
        return !d.empty() &&
               std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    const size_t dot = v.find('.');
    const std::string_view whole = v.substr(0, dot);
    const std::string_view frac = dot == std::string_view::npos ? "" : v.substr(dot + 1);
    if (whole.size() > 19 || !all_digits(whole) ||
        (dot != std::string_view::npos && !all_digits(frac))) {
        return std::nullopt;
    }
    const size_t n = whole.size();
    const int64_t unit = n <= 11 ? 1000000000 : n <= 14 ? 1000000 : n <= 17 ? 1000 : 1;
    if (unit == 1 && !frac.empty()) return std::nullopt;
    uint64_t w = 0;
    for (char c : whole) w = w * 10 + static_cast<uint64_t>(c - '0');
    constexpr uint64_t kMaxNs = uint64_t{7258118400} * 1000000000;  // 2200-01-01
    constexpr uint64_t kMinNs = uint64_t{946684800} * 1000000000;   // 2000-01-01
    if (w > kMaxNs / static_cast<uint64_t>(unit) || w * static_cast<uint64_t>(unit) < kMinNs) {
        return std::nullopt;
    }
    auto ns = static_cast<int64_t>(w) * unit;
    int64_t scale = unit / 10;
    for (size_t i = 0; i < frac.size() && scale > 0; ++i, scale /= 10)
        ns += (frac[i] - '0') * scale;
    return ns;
}

std::optional<int64_t> ParseTimestamp(std::string_view s, const TimeZone& zone_less) {
    bool zoned = false;
    auto t = ParseTimestampZoned(s, zoned);
    if (t && !zoned) return zone_less.ToUtc(*t);
    return t;
}

std::string FormatTimestamp(int64_t ns) {
    int64_t secs = ns / 1000000000LL;
    int64_t rem = ns % 1000000000LL;
    if (rem < 0) {
        rem += 1000000000LL;
        --secs;
    }
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(rem / 1000000));
    return buf;
}

std::string FormatBytes(uint64_t n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

std::string_view CutUtf8(std::string_view s, size_t max) {
    if (s.size() <= max) return s;
    size_t end = max;
    while (end > 0 && (static_cast<uint8_t>(s[end]) & 0xc0) == 0x80) --end;
    return s.substr(0, end);
}

}  // namespace vigil
