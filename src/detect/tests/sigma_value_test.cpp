#include "detect/sigma_value.h"

#include <gtest/gtest.h>

namespace vigil::detect {
namespace {

std::vector<std::string> Texts(const std::vector<SigmaString>& v) {
    std::vector<std::string> out;
    for (const auto& s : v) out.push_back(s.Display());
    return out;
}

TEST(SigmaString, EscapingFollowsTheSpecification) {
    // Plain backslash not followed by a wildcard stays a backslash.
    EXPECT_EQ(SigmaString::Parse(R"(C:\Windows\cmd.exe)").Text(), R"(C:\Windows\cmd.exe)");
    // \* and \? are literal wildcards characters.
    auto lit = SigmaString::Parse(R"(a\*b\?c)");
    EXPECT_FALSE(lit.HasWildcards());
    EXPECT_EQ(lit.Text(), "a*b?c");
    // \\* is a backslash followed by a wildcard.
    auto bs_star = SigmaString::Parse(R"(dir\\*)");
    EXPECT_TRUE(bs_star.EndsWithStar());
    EXPECT_EQ(bs_star.pieces[0].text, "dir\\");
    // \\\* is a backslash and a literal star.
    auto three = SigmaString::Parse(R"(x\\\*)");
    EXPECT_FALSE(three.HasWildcards());
    EXPECT_EQ(three.Text(), "x\\*");
    // \\\\ is a double backslash.
    EXPECT_EQ(SigmaString::Parse(R"(\\\\srv)").Text(), "\\\\srv");
    auto q = SigmaString::Parse("prog?.exe");
    ASSERT_EQ(q.pieces.size(), 3u);
    EXPECT_EQ(q.pieces[1].kind, SigmaString::Piece::kOne);
}

TEST(SigmaString, Base64AndOffsets) {
    EXPECT_EQ(Base64Encode("cmd"), "Y21k");
    EXPECT_EQ(Base64Encode("ab"), "YWI=");
    auto b = ApplyBase64(SigmaString::Parse("http://"));
    ASSERT_TRUE(b);
    EXPECT_EQ(Texts(*b), std::vector<std::string>{"aHR0cDovLw=="});
    // pySigma's reference output for base64offset of "/c start".
    auto o = ApplyBase64Offset(SigmaString::Parse("/c start"));
    ASSERT_TRUE(o);
    EXPECT_EQ(Texts(*o), (std::vector<std::string>{"L2Mgc3Rhcn", "9jIHN0YXJ0", "vYyBzdGFyd"}));
    EXPECT_FALSE(ApplyBase64(SigmaString::Parse("a*b")));
}

TEST(SigmaString, Utf16Encodings) {
    auto le = ApplyUtf16(SigmaString::Parse("cmd"), Utf16Kind::kLe);
    ASSERT_TRUE(le);
    EXPECT_EQ((*le)[0].Text(), std::string("c\0m\0d\0", 6));
    auto be = ApplyUtf16(SigmaString::Parse("cmd"), Utf16Kind::kBe);
    EXPECT_EQ((*be)[0].Text(), std::string("\0c\0m\0d", 6));
    auto bom = ApplyUtf16(SigmaString::Parse("cmd"), Utf16Kind::kBom);
    EXPECT_EQ((*bom)[0].Text(), std::string("\xFF\xFE"
                                            "c\0m\0d\0",
                                            8));
    // Wildcards survive the encoding.
    auto w = ApplyUtf16(SigmaString::Parse("*cmd*"), Utf16Kind::kLe);
    EXPECT_TRUE((*w)[0].StartsWithStar());
    EXPECT_TRUE((*w)[0].EndsWithStar());
}

TEST(SigmaString, WindashPermutesFlagDashes) {
    auto w = ApplyWindash(SigmaString::Parse(" -exec bypass -nop"));
    ASSERT_TRUE(w);
    EXPECT_EQ(w->size(), 25u);  // two flag positions, five dashes each
    auto texts = Texts(*w);
    EXPECT_NE(std::find(texts.begin(), texts.end(), " /exec bypass \xE2\x80\x94nop"), texts.end());
    // A dash inside a word is not a flag.
    auto inner = ApplyWindash(SigmaString::Parse("x-ray"));
    EXPECT_EQ(inner->size(), 1u);
}

TEST(SigmaString, ExpandPlaceholders) {
    std::map<std::string, std::vector<std::string>> values{{"Admins", {"adm_*", "root"}}};
    auto e = ApplyExpand("%Admins%", values);
    ASSERT_TRUE(e);
    EXPECT_EQ(Texts(*e), (std::vector<std::string>{"adm_*", "root"}));
    auto esc = ApplyExpand(R"(\%plain%Admins%)", values);
    ASSERT_TRUE(esc);
    EXPECT_EQ(Texts(*esc), (std::vector<std::string>{"%plainadm_*", "%plainroot"}));
    auto missing = ApplyExpand("%Servers%", values);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("%Servers%"), std::string::npos);
}

}  // namespace
}  // namespace vigil::detect
