#include "base/time_zone.h"

#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

#include "base/strings.h"

namespace vigil {
namespace {

constexpr int64_t kHour = int64_t{3600} * 1000000000;

TEST(TimeZone, ParsesUtcLocalAndOffsets) {
    EXPECT_EQ(TimeZone::Parse("UTC")->kind, TimeZone::Kind::kUtc);
    EXPECT_EQ(TimeZone::Parse("local")->kind, TimeZone::Kind::kLocal);
    EXPECT_EQ(TimeZone::Parse("+08:00")->offset_s, 8 * 3600);
    EXPECT_EQ(TimeZone::Parse("+0800")->offset_s, 8 * 3600);
    EXPECT_EQ(TimeZone::Parse("+8")->offset_s, 8 * 3600);
    EXPECT_EQ(TimeZone::Parse("-05:30")->offset_s, -(5 * 3600 + 30 * 60));
    EXPECT_EQ(TimeZone::Parse("+05:45")->Name(), "+05:45");
    for (const char* bad :
         {"", "Asia/Shanghai", "+15:00", "+08:60", "08:00", "+08:0", "+123", "+08:00x", "CST"}) {
        EXPECT_FALSE(TimeZone::Parse(bad)) << bad;
    }
}

TEST(TimeZone, AWallClockTimeInAZoneIsTheInstantBeforeOrAfterUtc) {
    const int64_t wall = *CivilToNs(2026, 11, 23, 16, 1, 21);
    EXPECT_EQ(TimeZone{}.ToUtc(wall), wall);
    EXPECT_EQ(TimeZone::Parse("+08:00")->ToUtc(wall), wall - 8 * kHour);
    EXPECT_EQ(TimeZone::Parse("-05:00")->ToUtc(wall), wall + 5 * kHour);
    // The strings without an offset are read in the zone given; those with one are not.
    const TimeZone shanghai = *TimeZone::Parse("+08:00");
    EXPECT_EQ(ParseTimestamp("2026-11-23 16:01:21", shanghai), wall - 8 * kHour);
    EXPECT_EQ(ParseTimestamp("2026-11-23T16:01:21Z", shanghai), wall);
    EXPECT_EQ(ParseTimestamp("2026-11-23T16:01:21+01:00", shanghai), wall - kHour);
    EXPECT_FALSE(ParseTimestamp("2026-11-23T16:01:21+24:00"));
    EXPECT_FALSE(ParseTimestamp("2026-11-23T16:01:21+08:61"));
}

// The host's zone with its daylight saving time: TZ set for this process.
TEST(TimeZone, LocalFollowsTheHostZoneAcrossDaylightSaving) {
    const char* before = std::getenv("TZ");
    const std::string saved = before ? before : "";
    ::setenv("TZ", "America/New_York", 1);
    ::tzset();
    const TimeZone local = TimeZone::Local();
    // EST (-05:00) in January, EDT (-04:00) in July.
    EXPECT_EQ(local.ToUtc(*CivilToNs(2026, 1, 15, 12, 0, 0)), *CivilToNs(2026, 1, 15, 17, 0, 0));
    EXPECT_EQ(local.ToUtc(*CivilToNs(2026, 7, 15, 12, 0, 0)), *CivilToNs(2026, 7, 15, 16, 0, 0));
    if (before) {
        ::setenv("TZ", saved.c_str(), 1);
    } else {
        ::unsetenv("TZ");
    }
    ::tzset();
}

}  // namespace
}  // namespace vigil
