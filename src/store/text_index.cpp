#include "store/text_index.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include <sqlite3.h>

#include "base/strings.h"
#include "store/database.h"

namespace vigil::store {

std::vector<size_t> CharStarts(std::string_view s) {
    std::vector<size_t> out;
    for (size_t i = 0; i < s.size();) {
        out.push_back(i);
        if (static_cast<uint8_t>(s[i++]) >= 0xc0) {
            while (i < s.size() && (static_cast<uint8_t>(s[i]) & 0xc0) == 0x80) ++i;
        }
    }
    return out;
}

void AppendExactValueToken(std::string& out, std::string_view name, std::string_view value) {
    // Each text as its length and then little-endian 8-byte words (the last padded with
    // zeros), each word mixed in; then MurmurHash3's finalizer.
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    auto word = [&h](uint64_t w) {
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
    };
    auto load = [](const char* p, size_t n) {
        uint64_t w = 0;
        std::memcpy(&w, p, n);
        if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
        return w;
    };
    auto text = [&](std::string_view t) {
        word(t.size());
        size_t i = 0;
        for (; i + 8 <= t.size(); i += 8) word(load(t.data() + i, 8));
        if (i < t.size()) word(load(t.data() + i, t.size() - i));
    };
    text(name);
    text(value);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    // 48 bits, six to a byte from 0x80 to 0xbf: no NUL or quote for an FTS5 query string.
    char token[kExactValueTokenBytes];
    token[0] = kExactValue;
    for (size_t i = 1; i < kExactValueTokenBytes; ++i) {
        token[i] = static_cast<char>(0x80 | (h & 0x3f));
        h >>= 6;
    }
    out.append(token, kExactValueTokenBytes);
}

std::string ExactValueQuery(std::string_view name, std::string_view value) {
    std::string out = {'"', kExactValue};
    AppendExactValueToken(out, name, value);
    out.push_back('"');
    return out;
}

namespace {

// One character as SQLite reads it (READ_UTF8 in its source, which LIKE uses too), written
// back as UTF-8, ASCII letters lowered: a lead byte takes every continuation byte after it,
// an overlong form or a surrogate reads as U+FFFD, and a stray continuation byte is the code
// point of its value. Valid UTF-8 reads as itself.
struct Char {
    char bytes[4];
    uint8_t len;
};
inline size_t ReadChar(const char* text, size_t i, size_t n, Char& out) {
    uint32_t c = static_cast<uint8_t>(text[i++]);
    if (c >= 0xc0) {
        static constexpr uint8_t kLead[64] = {
            0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
            22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
            12, 13, 14, 15, 0,  1,  2,  3,  4,  5,  6,  7,  0,  1,  2,  3,  0,  1,  0,  0};
        c = kLead[c - 0xc0];
        while (i < n && (static_cast<uint8_t>(text[i]) & 0xc0) == 0x80) {
            c = (c << 6) + (0x3f & static_cast<uint8_t>(text[i++]));
        }
        if (c < 0x80 || (c & 0xFFFFF800) == 0xD800 || (c & 0xFFFFFFFE) == 0xFFFE) c = 0xFFFD;
    }
    if (c < 0x80) {
        out.bytes[0] = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        out.len = 1;
    } else if (c < 0x800) {
        out.bytes[0] = static_cast<char>(0xC0 + ((c >> 6) & 0x1F));
        out.bytes[1] = static_cast<char>(0x80 + (c & 0x3F));
        out.len = 2;
    } else if (c < 0x10000) {
        out.bytes[0] = static_cast<char>(0xE0 + ((c >> 12) & 0x0F));
        out.bytes[1] = static_cast<char>(0x80 + ((c >> 6) & 0x3F));
        out.bytes[2] = static_cast<char>(0x80 + (c & 0x3F));
        out.len = 3;
    } else {
        out.bytes[0] = static_cast<char>(0xF0 + ((c >> 18) & 0x07));
        out.bytes[1] = static_cast<char>(0x80 + ((c >> 12) & 0x3F));
        out.bytes[2] = static_cast<char>(0x80 + ((c >> 6) & 0x3F));
        out.bytes[3] = static_cast<char>(0x80 + (c & 0x3F));
        out.len = 4;
    }
    return i;
}

// The trigrams of one document already handed to FTS5. Open addressing over a table reused by
// the thread; a slot is live when its generation is the current one, so nothing is cleared
// between documents.
class SeenTrigrams {
public:
    // A fixed table (1.5 MiB): when half of it is used, the rest of the document's trigrams
    // are handed over without the check (repeats cost FTS5 work, never a wrong answer), so a
    // block of long messages cannot make it grow.
    static constexpr size_t kSlots = size_t{1} << 16;
    void Reset() {
        if (slots_.empty()) slots_.assign(kSlots, Slot{});
        used_ = 0;
        if (++gen_ == 0) {  // wrapped: old generations could look current
            slots_.assign(kSlots, Slot{});
            gen_ = 1;
        }
    }
    // True when the token (at most 12 bytes: three characters, or an exact-value token) was not
    // seen in this document yet.
    bool Insert(const char* p, size_t n) {
        uint64_t a = 0;
        uint32_t b = 0;
        std::memcpy(&a, p, n < 8 ? n : 8);
        if (n > 8) std::memcpy(&b, p + 8, n - 8);
        if (used_ >= kSlots / 2) return true;
        uint64_t h = (a ^ (uint64_t{b} << 32 | n)) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
        for (size_t i = h & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
            Slot& s = slots_[i];
            if (s.gen != gen_) {
                s = Slot{a, b, static_cast<uint32_t>(n), gen_};
                ++used_;
                return true;
            }
            if (s.a == a && s.b == b && s.len == n) return false;
        }
    }

private:
    struct Slot {
        uint64_t a = 0;
        uint32_t b = 0;
        uint32_t len = 0;
        uint32_t gen = 0;
    };
    std::vector<Slot> slots_;
    size_t used_ = 0;
    uint32_t gen_ = 0;
};

// The FTS5 tokenizer object: stateless, the same one for every table.
struct Tokenizer {};
Tokenizer g_tokenizer;

int Create(void*, const char**, int, Fts5Tokenizer** out) {
    *out = reinterpret_cast<Fts5Tokenizer*>(&g_tokenizer);
    return SQLITE_OK;
}
void Delete(Fts5Tokenizer*) {}

using TokenFn = int (*)(void*, int, const char*, int, int, int);

// The all-ASCII trigrams of one document already handed over: one bit per trigram (2 MiB),
// cleared before the next document by the list of bits set, or whole when that list would pass
// kMaxListed (128 KiB).
class SeenAsciiTrigrams {
public:
    static constexpr size_t kMaxListed = size_t{1} << 15;
    SeenAsciiTrigrams() : bits_(size_t{1} << 18) { set_.reserve(kMaxListed); }
    bool Insert(uint32_t key) {
        uint64_t& word = bits_[key >> 6];
        const uint64_t bit = uint64_t{1} << (key & 63);
        if (word & bit) return false;
        word |= bit;
        if (set_.size() < kMaxListed) {
            set_.push_back(key);
        } else {
            clear_all_ = true;
        }
        return true;
    }
    void Reset() {
        if (clear_all_) {
            std::fill(bits_.begin(), bits_.end(), 0);
        } else {
            for (uint32_t key : set_) bits_[key >> 6] = 0;
        }
        set_.clear();
        clear_all_ = false;
    }

private:
    std::vector<uint64_t> bits_;
    std::vector<uint32_t> set_;
    bool clear_all_ = false;
};

int Tokenize(Fts5Tokenizer*, void* ctx, int flags, const char* text, int size, TokenFn token) {
    if (text == nullptr || size <= 0) return SQLITE_OK;
    const auto n = static_cast<size_t>(size);
    // kExactValue and the token's bytes, each from 0x80 to 0xbf.
    const auto exact_at = [&](size_t i) {
        if (n - i < kExactValueTokenBytes || text[i] != kExactValue) return false;
        for (size_t k = i + 1; k < i + kExactValueTokenBytes; ++k) {
            if ((static_cast<uint8_t>(text[k]) & 0xc0) != 0x80) return false;
        }
        return true;
    };
    // A document is read once and each trigram handed over once: with detail=none FTS5 keeps
    // only which rows (here: blocks) hold a token, so repeats would add nothing but work. Only
    // a document holds row breaks; in a query the byte reads as SQLite reads it.
    const bool document = (flags & FTS5_TOKENIZE_DOCUMENT) != 0;
    // The tables of the thread that indexes (a search never needs them).
    struct Seen {
        SeenTrigrams other;
        SeenAsciiTrigrams ascii;
    };
    thread_local std::unique_ptr<Seen> tables;
    Seen* seen = nullptr;
    // Exact-value tokens: after the row breaks of a document that starts with kExactValue (no
    // other document does: it starts with a raw text, valid UTF-8, or a row break); in a
    // query, as ExactValueQuery writes them (no trigram is kExactValue and a token).
    bool tokens = false;
    if (document) {
        if (!tables) tables = std::make_unique<Seen>();
        seen = tables.get();
        seen->other.Reset();
        seen->ascii.Reset();
        tokens = text[0] == kExactValue;
    } else if (n == kExactValueTokenBytes + 1 && text[0] == kExactValue && exact_at(1)) {
        return token(ctx, 0, text + 1, size - 1, 1, size);  // a field filter
    }
    Char last[3];  // the last three characters of the current row, oldest first
    size_t starts[3] = {0, 0, 0};
    int have = 0;
    uint32_t ascii_key = 0;  // the last three characters when all are ASCII, lowered
    int ascii_run = 0;       // how many of the last characters are ASCII (up to 3)
    for (size_t i = tokens ? 1 : 0; i < n;) {
        const auto c = static_cast<uint8_t>(text[i]);
        if (document && text[i] == kRowBreak) {
            have = ascii_run = 0;
            ++i;
            // An exact-value token: handed over whole, once per document.
            if (tokens && exact_at(i)) {
                if (seen->other.Insert(text + i, kExactValueTokenBytes)) {
                    const int rc =
                        token(ctx, 0, text + i, static_cast<int>(kExactValueTokenBytes),
                              static_cast<int>(i), static_cast<int>(i + kExactValueTokenBytes));
                    if (rc != SQLITE_OK) return rc;
                }
                i += kExactValueTokenBytes;
            }
            continue;
        }
        last[0] = last[1];
        last[1] = last[2];
        starts[0] = starts[1];
        starts[1] = starts[2];
        starts[2] = i;
        if (c < 0x80) {
            const auto lower = static_cast<uint8_t>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            last[2].bytes[0] = static_cast<char>(lower);
            last[2].len = 1;
            ascii_key = ((ascii_key << 8) | lower) & 0xffffff;
            if (ascii_run < 3) ++ascii_run;
            ++i;
        } else {
            i = ReadChar(text, i, n, last[2]);
            ascii_run = 0;
        }
        if (have < 3) ++have;
        if (have < 3) continue;
        char buf[12];
        size_t len = 0;
        if (ascii_run == 3) {
            if (seen && !seen->ascii.Insert(ascii_key)) continue;
            buf[0] = static_cast<char>(ascii_key >> 16);
            buf[1] = static_cast<char>(ascii_key >> 8);
            buf[2] = static_cast<char>(ascii_key);
            len = 3;
        } else {
            for (const Char& ch : last) {
                std::memcpy(buf + len, ch.bytes, ch.len);
                len += ch.len;
            }
            if (seen && !seen->other.Insert(buf, len)) continue;
        }
        const int rc = token(ctx, 0, buf, static_cast<int>(len), static_cast<int>(starts[0]),
                             static_cast<int>(i));
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

fts5_tokenizer g_api_tokenizer = {Create, Delete, Tokenize};

void JsonTextFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    if (!p) return sqlite3_result_null(ctx);
    const std::string out =
        DecodeJsonEscapes(std::string_view(p, static_cast<size_t>(sqlite3_value_bytes(argv[0]))));
    sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

// The code unit of "\uXXXX" at s[i], or -1.
int32_t CodeUnitAt(std::string_view s, size_t i) {
    if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
    int32_t v = 0;
    for (size_t k = 2; k < 6; ++k) {
        const int d = HexDigit(s[i + k]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

void ExactValueFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
    std::string_view parts[2];
    for (int i = 0; i < argc && i < 2; ++i) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[i]));
        if (p) parts[i] = std::string_view(p, static_cast<size_t>(sqlite3_value_bytes(argv[i])));
    }
    std::string out;
    AppendExactValueToken(out, parts[0], parts[1]);
    sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

}  // namespace

std::string DecodeJsonEscapes(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    size_t i = 0;
    while (i < raw.size()) {
        const size_t slash = raw.find('\\', i);
        if (slash == std::string_view::npos || slash + 1 >= raw.size()) {
            out.append(raw.substr(i));
            break;
        }
        out.append(raw.substr(i, slash - i));
        const char c = raw[slash + 1];
        i = slash + 2;
        switch (c) {
            case '"':
                out.push_back('"');
                break;
            case '\\':
                out.push_back('\\');
                break;
            case '/':
                out.push_back('/');
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case 'b':
                out.push_back('\b');
                break;
            case 'f':
                out.push_back('\f');
                break;
            case 'u': {
                const int32_t unit = CodeUnitAt(raw, slash);
                if (unit <= 0) {  // not an escape, or NUL: kept as written
                    out.append(raw.substr(slash, 2));
                    break;
                }
                i = slash + 6;
                uint32_t cp = static_cast<uint32_t>(unit);
                if (unit >= 0xd800 && unit <= 0xdbff) {
                    const int32_t low = CodeUnitAt(raw, i);
                    if (low >= 0xdc00 && low <= 0xdfff) {
                        cp = 0x10000 + ((static_cast<uint32_t>(unit) - 0xd800) << 10) +
                             (static_cast<uint32_t>(low) - 0xdc00);
                        i += 6;
                    } else {
                        cp = 0xfffd;
                    }
                } else if (unit >= 0xdc00 && unit <= 0xdfff) {
                    cp = 0xfffd;
                }
                AppendUtf8(out, cp);
                break;
            }
            default:
                out.append(raw.substr(slash, 2));
        }
    }
    return out;
}

std::string TextMatchCondition(int param) {
    const std::string p = "?" + std::to_string(param);
    return "(raw LIKE " + p +
           " ESCAPE '\\' OR (instr(raw, '\\') > 0 AND vigil_json_text(raw) LIKE " + p +
           " ESCAPE '\\'))";
}

Status RegisterTextTokenizer(Database& db) {
    sqlite3* handle = db.handle();
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(handle, "SELECT fts5(?1)", -1, &stmt, nullptr);
    fts5_api* api = nullptr;
    if (rc == SQLITE_OK) {
        sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK) return tl::unexpected(SqliteError(handle, rc, "SELECT fts5(?1)"));
    if (api == nullptr || api->iVersion < 2) {
        return MakeError(Code::kFailedPrecondition, "this SQLite has no FTS5 tokenizer API");
    }
    const std::string name(kTextTokenizer);
    rc = api->xCreateTokenizer(api, name.c_str(), nullptr, &g_api_tokenizer, nullptr);
    if (rc != SQLITE_OK) return tl::unexpected(SqliteError(handle, rc, ""));
    rc = sqlite3_create_function_v2(handle, "vigil_exact_value", 2,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                    ExactValueFunction, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return tl::unexpected(SqliteError(handle, rc, "vigil_exact_value"));
    rc = sqlite3_create_function_v2(handle, "vigil_json_text", 1,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                    JsonTextFunction, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return tl::unexpected(SqliteError(handle, rc, "vigil_json_text"));
    return Ok();
}

}  // namespace vigil::store
