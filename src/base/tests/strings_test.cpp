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

// Bytes that look like a sequence but are no character (a surrogate, an overlong form, a lead
// byte past F4) were copied, and JSON parsers refused the whole reply.
TEST(Strings, JsonStringEscapesWhatIsNoUtf8Character) {
    struct Case {
        std::string in, out;
    };
    for (const auto& [in, want] : std::vector<Case>{
             {"\xED\xA0\x80", "\"\\u00ed\\u00a0\\u0080\""},             // U+D800, a surrogate
             {"\xE0\x80\xAF", "\"\\u00e0\\u0080\\u00af\""},             // overlong '/'
             {"\xC0\xAF", "\"\\u00c0\\u00af\""},                        // overlong '/'
             {"\xF4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\""},  // above U+10FFFF
             {"\xF5\x80\x80", "\"\\u00f5\\u0080\\u0080\""},             // no lead byte
             {"\xF0\x9F\x98\x80 \xE4\xB8\xAD", "\"\xF0\x9F\x98\x80 \xE4\xB8\xAD\""},  // kept
         }) {
        std::string out;
        AppendJsonString(out, in);
        EXPECT_EQ(out, want) << in;
        EXPECT_EQ(ValidUtf8Prefix(out), out.size()) << in;
    }
    EXPECT_EQ(ValidUtf8Prefix("ab\xED\xA0\x80"), 2u);
    EXPECT_EQ(ValidUtf8Prefix("ab\xE4\xB8\xAD"), 5u);
}

// What JavaScript's JSON.parse (the console) would change is written as a string instead.
TEST(Strings, JsonNumbersThatFitADouble) {
    for (const char* yes : {"0", "-0", "42", "9007199254740992", "-9007199254740992", "1.5", "0.1",
                            "123456789012345", "1.23456789012345", "0.000123456789012345", "1e308",
                            "1e-307", "2.5E+10", "100.000000000000000000", "0.0"}) {
        EXPECT_TRUE(JsonNumberFitsDouble(yes)) << yes;
    }
    for (const char* no : {"9007199254740993", "12345678901234567890", "-9007199254740993",
                           "1234567890123456.5", "0.1234567890123456", "1e309", "1e-320", "1e400",
                           "123456789012345678901234567890", "1e1234567"}) {
        EXPECT_FALSE(JsonNumberFitsDouble(no)) << no;
    }
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
