#include "auth/encoding.h"

#include <cstdint>

namespace vigil::auth {
namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base32Value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

int Base64Value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

}  // namespace

std::string Base32Encode(std::string_view bytes, bool pad) {
    std::string out;
    out.reserve((bytes.size() + 4) / 5 * 8);
    uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            out.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 0x1f]);
            bits -= 5;
        }
    }
    if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1f]);
    if (pad) {
        while (out.size() % 8 != 0) out.push_back('=');
    }
    return out;
}

Result<std::string> Base32Decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    // 2, 4, 5 or 7 characters encode a trailing partial group; 1, 3 and 6 cannot occur.
    size_t rem = text.size() % 8;
    if (rem == 1 || rem == 3 || rem == 6) {
        return InvalidArgument("invalid base32 length " + std::to_string(text.size()));
    }
    std::string out;
    out.reserve(text.size() * 5 / 8);
    uint32_t buffer = 0;
    int bits = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        int v = Base32Value(text[i]);
        if (v < 0) {
            return InvalidArgument("invalid base32 character at offset " + std::to_string(i));
        }
        buffer = (buffer << 5) | static_cast<uint32_t>(v);
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
            bits -= 8;
        }
    }
    return out;
}

std::string Base64Encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        uint32_t n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
        out.push_back(kBase64Alphabet[(n >> 18) & 63]);
        out.push_back(kBase64Alphabet[(n >> 12) & 63]);
        out.push_back(kBase64Alphabet[(n >> 6) & 63]);
        out.push_back(kBase64Alphabet[n & 63]);
    }
    size_t rest = bytes.size() - i;
    if (rest == 1) {
        uint32_t n = at(i) << 16;
        out.push_back(kBase64Alphabet[(n >> 18) & 63]);
        out.push_back(kBase64Alphabet[(n >> 12) & 63]);
        out.append("==");
    } else if (rest == 2) {
        uint32_t n = (at(i) << 16) | (at(i + 1) << 8);
        out.push_back(kBase64Alphabet[(n >> 18) & 63]);
        out.push_back(kBase64Alphabet[(n >> 12) & 63]);
        out.push_back(kBase64Alphabet[(n >> 6) & 63]);
        out.push_back('=');
    }
    return out;
}

Result<std::string> Base64Decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return InvalidArgument("invalid base64 length " + std::to_string(text.size()));
    }
    size_t padding = 0;
    if (!text.empty() && text.back() == '=') ++padding;
    if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        uint32_t n = 0;
        bool last = i + 4 == text.size();
        for (size_t k = 0; k < 4; ++k) {
            char c = text[i + k];
            int v = 0;
            if (c == '=' && last && k >= 4 - padding) {
                v = 0;
            } else {
                v = Base64Value(c);
                if (v < 0) {
                    return InvalidArgument("invalid base64 character at offset " +
                                           std::to_string(i + k));
                }
            }
            n = (n << 6) | static_cast<uint32_t>(v);
        }
        out.push_back(static_cast<char>((n >> 16) & 0xff));
        if (!last || padding < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
        if (!last || padding < 1) out.push_back(static_cast<char>(n & 0xff));
    }
    return out;
}

std::string HexEncode(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0xf]);
    }
    return out;
}

}  // namespace vigil::auth
