#pragma once
// How a time written without a zone (RFC 3164's "Nov 20 02:14:01", NXLog's EventTime) is read:
// as UTC, at a fixed offset, or in the host's local zone (with its daylight saving time).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

struct TimeZone {
    enum class Kind : uint8_t { kUtc, kFixed, kLocal };
    Kind kind = Kind::kUtc;
    int32_t offset_s = 0;  // kFixed: east of UTC

    // "UTC" (or "Z"), "local", or an offset "+08:00", "+0800", "-05:30", "+8"; nullopt for
    // anything else (an IANA name such as "Asia/Shanghai" is not read: give its offset).
    static std::optional<TimeZone> Parse(std::string_view text);
    static TimeZone Local() { return {Kind::kLocal, 0}; }

    // The instant of a wall-clock time given as if it were UTC (CivilToNs without offset).
    int64_t ToUtc(int64_t wall_ns) const;
    // "UTC", "local" or "+08:00".
    std::string Name() const;
    bool operator==(const TimeZone&) const = default;
};

}  // namespace vigil
