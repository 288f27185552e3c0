#pragma once
// Sigma string values: escaping, wildcards and the transforming modifiers (contains,
// startswith, endswith, base64, base64offset, utf16le/be/utf16/wide, windash, expand).
// Internal to the detect component; exposed for tests.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::detect {

// A value as a sequence of literal text and wildcards.
struct SigmaString {
    struct Piece {
        enum Kind : uint8_t { kText, kStar, kOne } kind = kText;
        std::string text;  // for kText
    };
    std::vector<Piece> pieces;

    // Parses rule text with the specification's escaping: \* \? and \\ escape; any other
    // backslash is literal; unescaped * and ? are wildcards.
    static SigmaString Parse(std::string_view raw);
    static SigmaString Literal(std::string_view text);

    bool HasWildcards() const;
    bool StartsWithStar() const;
    bool EndsWithStar() const;
    void PrependStar();
    void AppendStar();
    // Plain text (only valid without wildcards).
    std::string Text() const;
    // The text of a value with wildcards, for messages ("*\\cmd.exe").
    std::string Display() const;
    bool operator==(const SigmaString& o) const;
};

// Transformations. Each returns the expanded values (OR-linked) or an error.
Result<std::vector<SigmaString>> ApplyBase64(const SigmaString& v);
Result<std::vector<SigmaString>> ApplyBase64Offset(const SigmaString& v);
enum class Utf16Kind { kLe, kBe, kBom };
Result<std::vector<SigmaString>> ApplyUtf16(const SigmaString& v, Utf16Kind kind);
// All permutations of '-', '/', en dash, em dash and horizontal bar at the places a Windows
// command-line flag starts (a dash or slash after a non-word character, before a word one).
Result<std::vector<SigmaString>> ApplyWindash(const SigmaString& v);
// Replaces %name% placeholders (escaped \% stays literal) with the configured values.
Result<std::vector<SigmaString>> ApplyExpand(
    std::string_view raw, const std::map<std::string, std::vector<std::string>>& values);

std::string Base64Encode(std::string_view bytes);

}  // namespace vigil::detect
