#include "auth/encoding.h"

#include <gtest/gtest.h>

namespace vigil::auth {
namespace {

TEST(Encoding, Base32Rfc4648Vectors) {
    const std::pair<const char*, const char*> cases[] = {
        {"", ""},
        {"f", "MY======"},
        {"fo", "MZXQ===="},
        {"foo", "MZXW6==="},
        {"foob", "MZXW6YQ="},
        {"fooba", "MZXW6YTB"},
        {"foobar", "MZXW6YTBOI======"},
    };
    for (const auto& [plain, encoded] : cases) {
        EXPECT_EQ(Base32Encode(plain, /*pad=*/true), encoded);
        auto decoded = Base32Decode(encoded);
        ASSERT_TRUE(decoded) << encoded;
        EXPECT_EQ(*decoded, plain);
    }
    EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
    EXPECT_EQ(*Base32Decode("mzxw6ytboi"), "foobar");
    EXPECT_EQ(Base32Encode("12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

TEST(Encoding, Base32RejectsBadInput) {
    EXPECT_FALSE(Base32Decode("MZXW1"));  // '1' is not in the alphabet
    EXPECT_FALSE(Base32Decode("M"));      // impossible length
    EXPECT_FALSE(Base32Decode("MZX"));
    EXPECT_FALSE(Base32Decode("MZ XW"));
}

TEST(Encoding, Base64Rfc4648Vectors) {
    const std::pair<const char*, const char*> cases[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : cases) {
        EXPECT_EQ(Base64Encode(plain), encoded);
        auto decoded = Base64Decode(encoded);
        ASSERT_TRUE(decoded) << encoded;
        EXPECT_EQ(*decoded, plain);
    }
    std::string binary("\x00\xff\x10\x80", 4);
    EXPECT_EQ(*Base64Decode(Base64Encode(binary)), binary);
    EXPECT_FALSE(Base64Decode("Zm9"));
    EXPECT_FALSE(Base64Decode("Zm9*"));
    EXPECT_FALSE(Base64Decode("Z==="));
    EXPECT_FALSE(Base64Decode("Zg==Zm9v"));  // padding only at the end
}

TEST(Encoding, Hex) { EXPECT_EQ(HexEncode(std::string("\x00\xab\x7f", 3)), "00ab7f"); }

}  // namespace
}  // namespace vigil::auth
