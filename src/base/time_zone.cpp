#include "base/time_zone.h"

#include <climits>
#include <cstdio>
#include <ctime>

namespace vigil {

namespace {

constexpr int64_t kNs = 1000000000;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// The host zone's offset east of UTC at instant t (seconds), cached per thread for the quarter
// hour around it: zones change their offset on quarter hours at most, and localtime_r takes a
// lock.
int64_t LocalOffset(int64_t t) {
    thread_local int64_t bucket = INT64_MIN;
    thread_local int64_t offset = 0;
    const int64_t b = FloorDiv(t, 900);
    if (b != bucket) {
        const auto tt = static_cast<std::time_t>(t);
        std::tm tm{};
        offset = ::localtime_r(&tt, &tm) != nullptr ? tm.tm_gmtoff : 0;
        bucket = b;
    }
    return offset;
}

}  // namespace

std::optional<TimeZone> TimeZone::Parse(std::string_view text) {
    if (text == "UTC" || text == "utc" || text == "Z" || text == "GMT") return TimeZone{};
    if (text == "local") return Local();
    if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
    const int sign = text[0] == '-' ? -1 : 1;
    std::string_view rest = text.substr(1);
    const auto digits = [](std::string_view s) {
        if (s.empty()) return -1;
        int v = 0;
        for (char c : s) {
            if (c < '0' || c > '9') return -1;
            v = v * 10 + (c - '0');
        }
        return v;
    };
    int h = -1, m = 0;
    if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
        if (colon > 2 || rest.size() != colon + 3) return std::nullopt;
        h = digits(rest.substr(0, colon));
        m = digits(rest.substr(colon + 1));
    } else if (rest.size() <= 2) {
        h = digits(rest);
    } else if (rest.size() == 4) {
        h = digits(rest.substr(0, 2));
        m = digits(rest.substr(2));
    }
    if (h < 0 || h > 14 || m < 0 || m > 59) return std::nullopt;
    return TimeZone{Kind::kFixed, sign * (h * 3600 + m * 60)};
}

int64_t TimeZone::ToUtc(int64_t wall_ns) const {
    switch (kind) {
        case Kind::kUtc:
            return wall_ns;
        case Kind::kFixed:
            return wall_ns - int64_t{offset_s} * kNs;
        case Kind::kLocal: {
            // The offset at the instant the wall time names: guessed from the offset at the
            // wall time read as UTC, then taken again at the guess (right across a change but
            // in the hour a change repeats or skips).
            const int64_t wall_s = FloorDiv(wall_ns, kNs);
            const int64_t guess = wall_s - LocalOffset(wall_s);
            return wall_ns - LocalOffset(guess) * kNs;
        }
    }
    return wall_ns;
}

std::string TimeZone::Name() const {
    if (kind == Kind::kUtc) return "UTC";
    if (kind == Kind::kLocal) return "local";
    const int32_t a = offset_s < 0 ? -offset_s : offset_s;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_s < 0 ? '-' : '+', a / 3600,
                  a % 3600 / 60);
    return buf;
}

}  // namespace vigil
