#pragma once
// Small string helpers used on hot paths; ASCII-only case folding by design (Sigma's
// case-insensitivity is defined on the rule author's ASCII text).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
std::string AsciiLower(std::string_view s);
void AsciiLowerInto(std::string_view s, std::string& out);
void AppendAsciiLower(std::string_view s, std::string& out);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Whether every byte is below 0x80.
bool IsAscii(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
// Removes prefix from the start of s when s starts with it (by its length, never a count kept
// by hand); false, s unchanged, otherwise.
bool ConsumePrefix(std::string_view& s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
std::string_view Trim(std::string_view s);
std::vector<std::string_view> Split(std::string_view s, char sep);

// Glob with '*' only (used for "1 of selection*" and file patterns).
bool GlobMatch(std::string_view pattern, std::string_view text);

namespace internal {
inline constexpr auto kHexDigits = [] {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<int8_t>(c);
    for (int c = 0; c < 6; ++c) {
        t['a' + c] = static_cast<int8_t>(10 + c);
        t['A' + c] = static_cast<int8_t>(10 + c);
    }
    return t;
}();
}  // namespace internal

// The value of a hex digit of either case, or -1.
inline int HexDigit(char c) { return internal::kHexDigits[static_cast<unsigned char>(c)]; }

// Bytes as lower-case hex text, two digits a byte.
std::string HexEncode(std::string_view bytes);
// Hex text (either case) -> bytes; false when s is not a non-empty, even run of hex digits.
bool DecodeHex(std::string_view s, std::string& out);

// 16 bytes as a UUID's text: 8-4-4-4-12 lower-case hex digits.
std::string UuidText(std::span<const uint8_t, 16> bytes);

std::optional<int64_t> ParseInt(std::string_view s);
std::optional<double> ParseDouble(std::string_view s);

// Is s a number as JSON writes one (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?),
// whatever its size? "0100755" and "1." are not.
bool IsJsonNumber(std::string_view s);
// Is the JSON number s one a double holds as written (an integer up to 2^53 in magnitude, else
// at most 15 significant digits within the normal range)? JavaScript, jq 1.6 and most JSON
// readers would change the others ("9007199254740993" reads as ...992).
bool JsonNumberFitsDouble(std::string_view s);

// The length of the UTF-8 character at s[i] (RFC 3629: no overlong form, surrogate or code
// point above U+10FFFF), 0 when the bytes there are not one.
size_t Utf8SequenceAt(std::string_view s, size_t i);
// The length of the longest valid UTF-8 prefix of s.
size_t ValidUtf8Prefix(std::string_view s);
// Appends code point cp (at most U+10FFFF) to out as UTF-8.
void AppendUtf8(std::string& out, uint32_t cp);

// Appends s to out as a JSON string literal (quotes included); bytes that are not UTF-8
// characters (Utf8SequenceAt) are written as \u00XX, so the output is always valid JSON and
// valid UTF-8.
void AppendJsonString(std::string& out, std::string_view s);

// Parses an ISO 8601 / RFC 3339 timestamp ("2025-11-26T05:11:27.927693Z",
// "2025-11-26 05:11:27.908", with optional offset) into nanoseconds since the epoch.
std::optional<int64_t> ParseTimestamp(std::string_view s);
// The same, with a time that has no offset ("2026-11-20 10:00:00") read in zone_less instead of
// UTC.
struct TimeZone;
std::optional<int64_t> ParseTimestamp(std::string_view s, const TimeZone& zone_less);
// A count of seconds, milliseconds, microseconds or nanoseconds since the epoch, told apart by
// its digits (up to 11, 12 to 14, 15 to 17, 18 or 19; a fraction for all but ns): Zeek's
// 1763700000.123456, pino's 1763700000123, FortiGate's eventtime. nullopt for anything else
// and for a time outside 2000 to 2200 (a number before is more likely a count or a pid).
std::optional<int64_t> ParseEpochTime(std::string_view s);
std::string FormatTimestamp(int64_t ns);

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
// A UTC civil time (minus offset_s, the zone's offset east of UTC) in ns since the epoch;
// nullopt when a part is out of range or the year is outside 1678..2261.
std::optional<int64_t> CivilToNs(int year, int month, int day, int hour, int minute, int second,
                                 int64_t frac_ns = 0, int64_t offset_s = 0);
// The UTC year of a time in ns since the epoch.
int YearOf(int64_t ns);

// A byte count for people: "512 B", "1.5 KiB", "3.2 MiB", "1.1 GiB".
std::string FormatBytes(uint64_t n);

// s cut to at most max bytes without splitting a UTF-8 sequence.
std::string_view CutUtf8(std::string_view s, size_t max);

}  // namespace vigil
