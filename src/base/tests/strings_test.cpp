#include "base/strings.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(Strings, TimestampParsesIsoAndOffsets) {
    auto a = ParseTimestamp("2025-11-26T05:11:27.927693Z");
    ASSERT_TRUE(a);
    EXPECT_EQ(FormatTimestamp(*a), "2025-11-26T05:11:27.927Z");
    auto b = ParseTimestamp("2025-11-26 07:11:27.927+02:00");
    ASSERT_TRUE(b);
    EXPECT_EQ(*a / 1000000, *b / 1000000);
    EXPECT_FALSE(ParseTimestamp("2025-13-01"));
    EXPECT_FALSE(ParseTimestamp("2026-02-30T00:00:00Z"));
    EXPECT_FALSE(ParseTimestamp("2026-04-31"));
    EXPECT_FALSE(ParseTimestamp("2026-02-29"));
    EXPECT_FALSE(ParseTimestamp("1900-02-29"));
    EXPECT_TRUE(ParseTimestamp("2028-02-29T12:00:00Z"));
    EXPECT_TRUE(ParseTimestamp("2000-02-29"));
    EXPECT_TRUE(ParseTimestamp("2026-12-31T23:59:59Z"));
    EXPECT_FALSE(ParseTimestamp("yesterday"));
    EXPECT_FALSE(ParseTimestamp("9999-12-31T23:59:59Z"));  // outside the int64 ns range
}

TEST(Strings, JsonStringEscapesControlAndInvalidUtf8) {
    std::string out;
    AppendJsonString(out, std::string("a\"\\\n\x01\xff\xe4\xb8\xad", 9));
    EXPECT_EQ(out, "\"a\\\"\\\\\\n\\u0001\\u00ff\xe4\xb8\xad\"");
}

TEST(Strings, JsonNumbersFollowTheGrammarAtAnySize) {
    for (const char* yes : {"0", "-0", "7", "-42", "1.5", "0.25", "1e5", "1E+5", "-2.5e-10",
                            "123456789012345678901234567890", "1e400"}) {
        EXPECT_TRUE(IsJsonNumber(yes)) << yes;
    }
    for (const char* no : {"", "-", "00", "0100755", "+1", "1.", ".5", "1e", "1e+", "0x10", "1 ",
                           " 1", "NaN", "Infinity", "1.5.2"}) {
        EXPECT_FALSE(IsJsonNumber(no)) << no;
    }
}

TEST(Strings, UuidTextIsEightFourFourFourTwelveLowerHex) {
    const uint8_t b[16] = {0x01, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x7a, 0xbc,
                           0x8d, 0xef, 0x00, 0xff, 0x10, 0x20, 0x30, 0x40};
    EXPECT_EQ(UuidText(b), "019abcde-f012-7abc-8def-00ff10203040");
}

TEST(Strings, GlobAndNumbers) {
    EXPECT_TRUE(GlobMatch("selection*", "selection_img"));
    EXPECT_FALSE(GlobMatch("selection*", "filter"));
    EXPECT_TRUE(GlobMatch("*", ""));
    EXPECT_EQ(ParseInt(" 42 "), 42);
    EXPECT_FALSE(ParseInt("4x"));
    EXPECT_EQ(ParseDouble("2.5"), 2.5);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST(Strings, CivilTimeAndYear) {
    EXPECT_EQ(CivilToNs(2026, 11, 20, 12, 0, 0), ParseTimestamp("2026-11-20T12:00:00Z"));
    EXPECT_EQ(CivilToNs(2026, 11, 20, 14, 0, 0, 5, 7200),
              ParseTimestamp("2026-11-20T12:00:00Z").value() + 5);
    EXPECT_FALSE(CivilToNs(2026, 13, 1, 0, 0, 0));
    EXPECT_FALSE(CivilToNs(1600, 1, 1, 0, 0, 0));
    EXPECT_EQ(YearOf(*ParseTimestamp("2026-12-31T23:59:59Z")), 2026);
    EXPECT_EQ(YearOf(*ParseTimestamp("2027-01-01T00:00:00Z")), 2027);
    EXPECT_EQ(YearOf(*ParseTimestamp("1969-12-31T23:59:59Z")), 1969);
    EXPECT_EQ(YearOf(*ParseTimestamp("2024-02-29T12:00:00Z")), 2024);
}

}  // namespace
}  // namespace vigil
