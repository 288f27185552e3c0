#include "detect/condition.h"

#include "base/limits.h"
#include "base/strings.h"

namespace vigil::detect {

namespace {

struct Token {
    enum Kind { kWord, kLParen, kRParen, kPipe, kEnd } kind;
    std::string text;
    int column;
};

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    Result<CondNode> Parse() {
        if (auto st = Tokenize(); !st) return tl::unexpected(st.error());
        auto e = ParseOr(0);
        if (!e) return e;
        if (Peek().kind == Token::kPipe)
            return Fail(Peek(),
                        "aggregation expressions ('| count() ...') are not Sigma 2 "
                        "syntax; write a correlation rule instead");
        if (Peek().kind != Token::kEnd) return Fail(Peek(), "unexpected '" + Peek().text + "'");
        return e;
    }

private:
    Status Tokenize() {
        size_t i = 0;
        while (i < text_.size()) {
            char c = text_[i];
            int col = static_cast<int>(i) + 1;
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                ++i;
            } else if (c == '(') {
                tokens_.push_back({Token::kLParen, "(", col});
                ++i;
            } else if (c == ')') {
                tokens_.push_back({Token::kRParen, ")", col});
                ++i;
            } else if (c == '|') {
                tokens_.push_back({Token::kPipe, "|", col});
                ++i;
            } else {
                size_t j = i;
                while (j < text_.size() && text_[j] != ' ' && text_[j] != '\t' && text_[j] != '(' &&
                       text_[j] != ')' && text_[j] != '|' && text_[j] != '\n' && text_[j] != '\r')
                    ++j;
                tokens_.push_back({Token::kWord, std::string(text_.substr(i, j - i)), col});
                i = j;
            }
            if (tokens_.size() > limits::kMaxConditionTokens)
                return InvalidArgument("condition has more than " +
                                       std::to_string(limits::kMaxConditionTokens) + " tokens");
        }
        tokens_.push_back({Token::kEnd, "end of condition", static_cast<int>(text_.size()) + 1});
        return Ok();
    }

    const Token& Peek() const { return tokens_[pos_]; }
    bool IsWord(const Token& t, std::string_view w) const {
        return t.kind == Token::kWord && EqualsIgnoreCase(t.text, w);
    }
    tl::unexpected<Error> Fail(const Token& t, std::string msg) const {
        return InvalidArgument("column " + std::to_string(t.column) + ": " + msg);
    }

    Result<CondNode> ParseOr(size_t depth) {
        auto left = ParseAnd(depth);
        if (!left) return left;
        if (!IsWord(Peek(), "or")) return left;
        CondNode n{CondNode::kOr, {}, {}, left->column};
        n.children.push_back(std::move(*left));
        while (IsWord(Peek(), "or")) {
            ++pos_;
            auto r = ParseAnd(depth);
            if (!r) return r;
            n.children.push_back(std::move(*r));
        }
        return n;
    }

    Result<CondNode> ParseAnd(size_t depth) {
        auto left = ParseNot(depth);
        if (!left) return left;
        if (!IsWord(Peek(), "and")) return left;
        CondNode n{CondNode::kAnd, {}, {}, left->column};
        n.children.push_back(std::move(*left));
        while (IsWord(Peek(), "and")) {
            ++pos_;
            auto r = ParseNot(depth);
            if (!r) return r;
            n.children.push_back(std::move(*r));
        }
        return n;
    }

    Result<CondNode> ParseNot(size_t depth) {
        if (depth > limits::kMaxConditionDepth)
            return Fail(Peek(), "condition nested deeper than " +
                                    std::to_string(limits::kMaxConditionDepth));
        if (IsWord(Peek(), "not")) {
            int col = Peek().column;
            ++pos_;
            auto inner = ParseNot(depth + 1);
            if (!inner) return inner;
            CondNode n{CondNode::kNot, {}, {}, col};
            n.children.push_back(std::move(*inner));
            return n;
        }
        return ParsePrimary(depth);
    }

    Result<CondNode> ParsePrimary(size_t depth) {
        const Token& t = Peek();
        if (t.kind == Token::kLParen) {
            ++pos_;
            auto e = ParseOr(depth + 1);
            if (!e) return e;
            if (Peek().kind != Token::kRParen) return Fail(Peek(), "expected ')'");
            ++pos_;
            return e;
        }
        if (t.kind == Token::kPipe)
            return Fail(t,
                        "aggregation expressions ('| count() ...') are not Sigma 2 syntax; "
                        "write a correlation rule instead");
        if (t.kind != Token::kWord) return Fail(t, "expected an identifier, found " + t.text);
        if (IsWord(t, "and") || IsWord(t, "or") || IsWord(t, "of") || IsWord(t, "them"))
            return Fail(t, "unexpected '" + t.text + "'");
        // "1 of x" / "all of x" / "any of x"
        if (pos_ + 1 < tokens_.size() && IsWord(tokens_[pos_ + 1], "of")) {
            CondNode n;
            n.column = t.column;
            if (t.text == "1" || IsWord(t, "any")) {
                n.kind = CondNode::kOneOf;
            } else if (IsWord(t, "all")) {
                n.kind = CondNode::kAllOf;
            } else {
                return Fail(t, "only '1 of' and 'all of' are defined, not '" + t.text + " of'");
            }
            pos_ += 2;
            const Token& target = Peek();
            if (target.kind != Token::kWord || IsWord(target, "and") || IsWord(target, "or") ||
                IsWord(target, "not"))
                return Fail(target, "expected an identifier pattern or 'them' after 'of'");
            n.ident = IsWord(target, "them") ? "them" : target.text;
            ++pos_;
            return n;
        }
        if (IsWord(t, "near"))
            return Fail(t,
                        "'near' aggregations are not Sigma 2 syntax; write a temporal "
                        "correlation rule instead");
        ++pos_;
        return CondNode{CondNode::kIdent, t.text, {}, t.column};
    }

    std::string_view text_;
    std::vector<Token> tokens_;
    size_t pos_ = 0;
};

}  // namespace

Result<CondNode> ParseCondition(std::string_view text) {
    if (Trim(text).empty()) return InvalidArgument("column 1: empty condition");
    return Parser(text).Parse();
}

}  // namespace vigil::detect
