#include "base/flat_name_map.h"

#include <string>

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(FlatNameMap, FindsWhatWasInsertedAndNothingElse) {
    FlatNameMap<std::string> m;
    EXPECT_EQ(m.Find("user"), nullptr);  // empty
    // Names at and around the 8-byte steps of the hash, one a prefix of the next, and empty.
    const std::string names[] = {
        "",       "a",        "user",     "1234567",     "12345678",         "123456789",
        "src_ip", "SourceIp", "sourceip", "CommandLine", "1234567812345678", "12345678123456789"};
    for (const auto& n : names) m.Insert(n, "value of " + n);
    EXPECT_EQ(m.size(), std::size(names));
    for (const auto& n : names) {
        const std::string* v = m.Find(n);
        ASSERT_NE(v, nullptr) << n;
        EXPECT_EQ(*v, "value of " + n);
    }
    // Absent names, among them some of the same length as present ones, differing in the
    // middle, the first or the last byte.
    for (const char* absent : {"User", "use", "users", "12345679", "123456781234567", "b", "uses",
                               "xser", "1234X67", "1234X678", "1234567X", "12345X789", "src_iq",
                               "Xrc_ip", "1234567812X45678", "1234567812345678X"}) {
        EXPECT_EQ(m.Find(absent), nullptr) << absent;
    }
    *m.Find("user") = "changed";
    EXPECT_EQ(*m.Find("user"), "changed");
}

TEST(FlatNameMap, GrowsAndClears) {
    FlatNameMap<uint32_t> m;
    for (uint32_t i = 0; i < 20000; ++i) m.Insert("field_" + std::to_string(i), i);
    EXPECT_EQ(m.size(), 20000u);
    for (uint32_t i = 0; i < 20000; ++i) {
        const uint32_t* v = m.Find("field_" + std::to_string(i));
        ASSERT_NE(v, nullptr) << i;
        EXPECT_EQ(*v, i);
    }
    EXPECT_EQ(m.Find("field_20000"), nullptr);
    m.clear();
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.Find("field_1"), nullptr);
    m.Insert("field_1", 7);  // usable again
    EXPECT_EQ(*m.Find("field_1"), 7u);
}

// The key comparison agrees with memcmp for every length and every differing position.
TEST(FlatNameMap, KeyComparisonSeesEveryByte) {
    const std::string a = "abcdefghijklmnopqrstuvwxyz";
    for (size_t n = 0; n <= 20; ++n) {
        EXPECT_TRUE(internal::SameBytes(a.data(), a.data(), n)) << n;
        for (size_t i = 0; i < n; ++i) {
            std::string b = a;
            b[i] ^= 0x20;
            EXPECT_FALSE(internal::SameBytes(a.data(), b.data(), n)) << n << " " << i;
        }
    }
}

TEST(FlatNameMap, HashSeparatesNamesThatDifferAnywhere) {
    // Every one-byte change of a 20-byte name, at every position, hashes differently.
    const std::string base = "EventData.TargetUser";
    const uint64_t h = FlatNameHash(base);
    for (size_t i = 0; i < base.size(); ++i) {
        std::string other = base;
        other[i] ^= 1;
        EXPECT_NE(FlatNameHash(other), h) << i;
    }
    EXPECT_NE(FlatNameHash(std::string_view("ab\0", 3)), FlatNameHash("ab"));  // length counts
    EXPECT_EQ(FlatNameHash(base), h);  // the same in a process
}

}  // namespace
}  // namespace vigil
