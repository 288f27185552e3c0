#pragma once
// The Sigma condition grammar: and / or / not, parentheses, "1 of x*", "all of x*",
// "1 of them", "all of them". Precedence, least to most binding: or, and, not, x of, ( ).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::detect {

struct CondNode {
    enum Kind { kAnd, kOr, kNot, kIdent, kOneOf, kAllOf } kind = kIdent;
    std::string ident;  // identifier, pattern ("selection*") or "them"
    std::vector<CondNode> children;
    int column = 0;  // 1-based position in the condition text
};

// Errors name the 1-based column: "column 12: expected identifier after 'of'".
Result<CondNode> ParseCondition(std::string_view text);

}  // namespace vigil::detect
