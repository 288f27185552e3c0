#include "detect/sigma_value.h"

#include <cstdint>

#include "base/limits.h"

namespace vigil::detect {

namespace {
void PushText(std::vector<SigmaString::Piece>& pieces, std::string_view text) {
    if (text.empty()) return;
    if (!pieces.empty() && pieces.back().kind == SigmaString::Piece::kText) {
        pieces.back().text.append(text);
    } else {
        pieces.push_back({SigmaString::Piece::kText, std::string(text)});
    }
}
}  // namespace

SigmaString SigmaString::Parse(std::string_view raw) {
    SigmaString s;
    for (size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '\\' && i + 1 < raw.size() &&
            (raw[i + 1] == '*' || raw[i + 1] == '?' || raw[i + 1] == '\\')) {
            PushText(s.pieces, raw.substr(i + 1, 1));
            ++i;
        } else if (c == '*') {
            if (s.pieces.empty() || s.pieces.back().kind != Piece::kStar)
                s.pieces.push_back({Piece::kStar, {}});
        } else if (c == '?') {
            s.pieces.push_back({Piece::kOne, {}});
        } else {
            PushText(s.pieces, raw.substr(i, 1));
        }
    }
    return s;
}

SigmaString SigmaString::Literal(std::string_view text) {
    SigmaString s;
    PushText(s.pieces, text);
    return s;
}

bool SigmaString::HasWildcards() const {
    for (const auto& p : pieces)
        if (p.kind != Piece::kText) return true;
    return false;
}
bool SigmaString::StartsWithStar() const {
    return !pieces.empty() && pieces.front().kind == Piece::kStar;
}
bool SigmaString::EndsWithStar() const {
    return !pieces.empty() && pieces.back().kind == Piece::kStar;
}
void SigmaString::PrependStar() {
    if (!StartsWithStar()) pieces.insert(pieces.begin(), Piece{Piece::kStar, {}});
}
void SigmaString::AppendStar() {
    if (!EndsWithStar()) pieces.push_back(Piece{Piece::kStar, {}});
}

std::string SigmaString::Text() const {
    std::string out;
    for (const auto& p : pieces)
        if (p.kind == Piece::kText) out += p.text;
    return out;
}

std::string SigmaString::Display() const {
    std::string out;
    for (const auto& p : pieces) {
        if (p.kind == Piece::kStar) {
            out += '*';
        } else if (p.kind == Piece::kOne) {
            out += '?';
        } else {
            for (char c : p.text) {
                if (c == '*' || c == '?' || c == '\\') out += '\\';
                out += c;
            }
        }
    }
    return out;
}

bool SigmaString::operator==(const SigmaString& o) const {
    if (pieces.size() != o.pieces.size()) return false;
    for (size_t i = 0; i < pieces.size(); ++i) {
        if (pieces[i].kind != o.pieces[i].kind || pieces[i].text != o.pieces[i].text) return false;
    }
    return true;
}

std::string Base64Encode(std::string_view in) {
    static const char* kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (i + 1 == in.size()) {
        uint32_t n = uint8_t(in[i]) << 16;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += '=';
    }
    return out;
}

Result<std::vector<SigmaString>> ApplyBase64(const SigmaString& v) {
    if (v.HasWildcards())
        return InvalidArgument("base64 cannot encode a value with wildcards: '" + v.Display() +
                               "'");
    return std::vector<SigmaString>{SigmaString::Literal(Base64Encode(v.Text()))};
}

Result<std::vector<SigmaString>> ApplyBase64Offset(const SigmaString& v) {
    if (v.HasWildcards())
        return InvalidArgument("base64offset cannot encode a value with wildcards: '" +
                               v.Display() + "'");
    // The value shifted by 0, 1 and 2 bytes; the first and last base64 characters depend on
    // the neighbouring bytes, so only the stable middle is kept.
    std::string text = v.Text();
    static const int kStart[3] = {0, 2, 3};
    static const int kEnd[3] = {0, -3, -2};  // 0 = to the end
    std::vector<SigmaString> out;
    for (int i = 0; i < 3; ++i) {
        std::string shifted(static_cast<size_t>(i), ' ');
        shifted += text;
        std::string b64 = Base64Encode(shifted);
        int end_sel = kEnd[(text.size() + static_cast<size_t>(i)) % 3];
        int len = static_cast<int>(b64.size());
        int b = kStart[i];
        int e = end_sel == 0 ? len : len + end_sel;
        if (e <= b) continue;
        out.push_back(
            SigmaString::Literal(b64.substr(static_cast<size_t>(b), static_cast<size_t>(e - b))));
    }
    if (out.empty()) return InvalidArgument("value too short for base64offset");
    return out;
}

namespace {
// Decodes UTF-8 into code points; invalid bytes are taken as Latin-1.
std::vector<uint32_t> CodePoints(std::string_view s) {
    std::vector<uint32_t> cps;
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = len > 0 && i + len <= s.size();
        for (size_t k = 1; ok && k < len; ++k) ok = (uint8_t(s[i + k]) & 0xC0) == 0x80;
        if (!ok) {
            cps.push_back(c);
            ++i;
            continue;
        }
        uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (uint8_t(s[i + k]) & 0x3F);
        cps.push_back(cp);
        i += len;
    }
    return cps;
}

void AppendUnit(std::string& out, uint16_t u, bool be) {
    if (be) {
        out += static_cast<char>(u >> 8);
        out += static_cast<char>(u & 0xFF);
    } else {
        out += static_cast<char>(u & 0xFF);
        out += static_cast<char>(u >> 8);
    }
}

std::string Utf16(std::string_view s, bool be) {
    std::string out;
    for (uint32_t cp : CodePoints(s)) {
        if (cp >= 0x10000) {
            cp -= 0x10000;
            AppendUnit(out, static_cast<uint16_t>(0xD800 + (cp >> 10)), be);
            AppendUnit(out, static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)), be);
        } else {
            AppendUnit(out, static_cast<uint16_t>(cp), be);
        }
    }
    return out;
}

bool IsWordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
}  // namespace

Result<std::vector<SigmaString>> ApplyUtf16(const SigmaString& v, Utf16Kind kind) {
    SigmaString out;
    bool first_text = true;
    for (const auto& p : v.pieces) {
        if (p.kind != SigmaString::Piece::kText) {
            out.pieces.push_back(p);
            continue;
        }
        std::string enc;
        if (kind == Utf16Kind::kBom && first_text) enc = "\xFF\xFE";
        enc += Utf16(p.text, kind == Utf16Kind::kBe);
        first_text = false;
        out.pieces.push_back({SigmaString::Piece::kText, std::move(enc)});
    }
    return std::vector<SigmaString>{std::move(out)};
}

Result<std::vector<SigmaString>> ApplyWindash(const SigmaString& v) {
    static const char* kDashes[] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};
    // Positions are found on the flattened text so word boundaries see across pieces.
    std::vector<SigmaString> acc{SigmaString{}};
    char prev = 0;  // 0 = start of value (a non-word position)
    for (const auto& p : v.pieces) {
        if (p.kind != SigmaString::Piece::kText) {
            for (auto& a : acc) a.pieces.push_back(p);
            prev = 0;
            continue;
        }
        const std::string& t = p.text;
        size_t start = 0;
        for (size_t i = 0; i < t.size(); ++i) {
            char c = t[i];
            bool flag = (c == '-' || c == '/') && !IsWordChar(prev) && i + 1 < t.size() &&
                        IsWordChar(t[i + 1]);
            if (flag) {
                std::string before = t.substr(start, i - start);
                std::vector<SigmaString> next;
                for (const auto& a : acc) {
                    for (const char* d : kDashes) {
                        SigmaString s = a;
                        PushText(s.pieces, before);
                        PushText(s.pieces, d);
                        next.push_back(std::move(s));
                    }
                }
                if (next.size() > limits::kMaxValueExpansion)
                    return InvalidArgument("windash expands to more than " +
                                           std::to_string(limits::kMaxValueExpansion) + " values");
                acc = std::move(next);
                start = i + 1;
            }
            prev = c;
        }
        for (auto& a : acc) PushText(a.pieces, t.substr(start));
    }
    return acc;
}

Result<std::vector<SigmaString>> ApplyExpand(
    std::string_view raw, const std::map<std::string, std::vector<std::string>>& values) {
    // Split raw into literal chunks and placeholders; each placeholder multiplies the set.
    std::vector<std::string> acc{std::string()};
    size_t i = 0;
    while (i < raw.size()) {
        if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == '%') {
            for (auto& a : acc) a += "%";
            i += 2;
            continue;
        }
        if (raw[i] == '%') {
            size_t end = raw.find('%', i + 1);
            if (end == std::string_view::npos) {
                for (auto& a : acc) a += raw.substr(i);
                break;
            }
            std::string name(raw.substr(i + 1, end - i - 1));
            auto it = values.find(name);
            if (it == values.end() || it->second.empty())
                return NotFound("placeholder %" + name + "% has no configured values");
            std::vector<std::string> next;
            for (const auto& a : acc)
                for (const auto& v : it->second) next.push_back(a + v);
            if (next.size() > limits::kMaxValueExpansion)
                return InvalidArgument("placeholder expansion exceeds " +
                                       std::to_string(limits::kMaxValueExpansion) + " values");
            acc = std::move(next);
            i = end + 1;
            continue;
        }
        for (auto& a : acc) a += raw[i];
        ++i;
    }
    std::vector<SigmaString> out;
    for (const auto& a : acc) out.push_back(SigmaString::Parse(a));
    return out;
}

}  // namespace vigil::detect
