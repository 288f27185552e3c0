#include "detect/condition.h"

#include <gtest/gtest.h>

namespace vigil::detect {
namespace {

std::string Show(const CondNode& n) {
    switch (n.kind) {
        case CondNode::kIdent:
            return n.ident;
        case CondNode::kNot:
            return "not(" + Show(n.children[0]) + ")";
        case CondNode::kOneOf:
            return "1of(" + n.ident + ")";
        case CondNode::kAllOf:
            return "allof(" + n.ident + ")";
        case CondNode::kAnd:
        case CondNode::kOr: {
            std::string s = n.kind == CondNode::kAnd ? "and(" : "or(";
            for (size_t i = 0; i < n.children.size(); ++i) {
                if (i) s += ",";
                s += Show(n.children[i]);
            }
            return s + ")";
        }
    }
    return "?";
}

std::string P(std::string_view text) {
    auto r = ParseCondition(text);
    return r ? Show(*r) : "error: " + r.error().message;
}

TEST(Condition, PrecedenceOrAndNotOf) {
    EXPECT_EQ(P("a or b and c"), "or(a,and(b,c))");
    EXPECT_EQ(P("not a and b"), "and(not(a),b)");
    EXPECT_EQ(P("not a or b"), "or(not(a),b)");
    EXPECT_EQ(P("(a or b) and c"), "and(or(a,b),c)");
    EXPECT_EQ(P("not (a or b)"), "not(or(a,b))");
    EXPECT_EQ(P("not 1 of filter*"), "not(1of(filter*))");
    EXPECT_EQ(P("1 of selection* and not 1 of filter*"), "and(1of(selection*),not(1of(filter*)))");
    EXPECT_EQ(P("all of them"), "allof(them)");
    EXPECT_EQ(P("1 of them"), "1of(them)");
    EXPECT_EQ(P("selection1 and (keywords1 or keywords2)"),
              "and(selection1,or(keywords1,keywords2))");
    EXPECT_EQ(P("a AND b OR NOT c"), "or(and(a,b),not(c))");
    EXPECT_EQ(P("not not a"), "not(not(a))");
}

TEST(Condition, ErrorsNameTheColumn) {
    EXPECT_EQ(P("a and"), "error: column 6: expected an identifier, found end of condition");
    EXPECT_EQ(P("(a or b"), "error: column 8: expected ')'");
    EXPECT_EQ(P("a b"), "error: column 3: unexpected 'b'");
    EXPECT_EQ(P("2 of x*"), "error: column 1: only '1 of' and 'all of' are defined, not '2 of'");
    EXPECT_NE(P("selection | count() > 5").find("correlation rule"), std::string::npos);
    EXPECT_NE(P("").find("empty condition"), std::string::npos);
}

TEST(Condition, DepthIsBounded) {
    std::string deep(200, '(');
    deep += "a";
    deep += std::string(200, ')');
    EXPECT_NE(P(deep).find("nested deeper"), std::string::npos);
}

}  // namespace
}  // namespace vigil::detect
