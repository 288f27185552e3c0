#pragma once
// The event partitions' text index: an FTS5 tokenizer ("vigil_trigram") that reads a block of
// rows as one document and hands each distinct trigram of it to FTS5 once.
//
// A document is the raw texts of consecutive rows separated by kRowBreak, a byte that valid
// UTF-8 never holds (stored raw texts are repaired to valid UTF-8): no trigram spans two rows.
// Since schema migration 5 each row also adds its field values that are not pieces of its raw
// text, and its host, source, product, service and categories, each after a kRowBreak.
// Trigrams are three characters as SQLite reads UTF-8 (CharStarts), ASCII letters lowered, as
// the search's query trigrams are (ASCII-caseless, like its LIKE check).
//
// Since schema migration 6 a block's document starts with kExactValue, and a row adds, instead
// of those values, one exact-value token per field (its name and value) and per attribute
// (host, source, product, service, each category), each after a kRowBreak
// (AppendExactValueToken), which the tokenizer hands to FTS5 whole. A field filter on a value of
// any length then takes its candidates from the blocks holding its token.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::store {

class Database;

inline constexpr char kRowBreak = '\xff';
inline constexpr std::string_view kTextTokenizer = "vigil_trigram";
inline constexpr char kExactValue = '\xfe';  // another byte valid UTF-8 never holds
inline constexpr size_t kExactValueTokenBytes = 9;

// kExactValue and 48 bits of a hash of the name and value (exact, case-sensitive, as a field
// filter matches), six in each byte from 0x80 to 0xbf. Part of the partitions' file format: the
// hash never changes. Two pairs can share a token; that only adds candidates, which the search
// checks.
void AppendExactValueToken(std::string& out, std::string_view name, std::string_view value);
// The FTS5 query string (quoted) that finds the blocks holding that token.
std::string ExactValueQuery(std::string_view name, std::string_view value);

// Where each character of s starts, as SQLite and FTS5 read UTF-8: a byte from 0xc0 starts a
// character and takes the continuation bytes after it; any other byte, a stray continuation
// byte included, is a character of its own.
std::vector<size_t> CharStarts(std::string_view s);

// raw with its JSON string escapes decoded (\uXXXX with surrogate pairs, \", \\, \/, \n,
// \r, \t, \b, \f; a lone surrogate becomes U+FFFD; anything else is kept). A text search
// matches this too, so 登录失败 finds {"msg":"\u767b\u5f55\u5931\u8d25"} (the default of
// Python's json.dumps) and <script> finds Go's \u003cscript\u003e. The decoded values are in
// the index already (a field's value that is not a piece of the raw text).
std::string DecodeJsonEscapes(std::string_view raw);
// The SQL condition of a text search on the row's raw text, the LIKE pattern in parameter
// ?param: the raw text matches, or it holds a backslash and its decoded form matches.
std::string TextMatchCondition(int param);

// Makes the tokenizer known to this connection; every connection that writes, reads or
// creates a partition's block index needs it. Also the SQL functions
// vigil_exact_value(name, value), the token (for checking an index against a fresh one), and
// vigil_json_text(raw) (DecodeJsonEscapes).
Status RegisterTextTokenizer(Database& db);

}  // namespace vigil::store
