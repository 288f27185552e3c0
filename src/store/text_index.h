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

#include <cstddef>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::store {

class Database;

inline constexpr char kRowBreak = '\xff';
inline constexpr std::string_view kTextTokenizer = "vigil_trigram";

// Where each character of s starts, as SQLite and FTS5 read UTF-8: a byte from 0xc0 starts a
// character and takes the continuation bytes after it; any other byte, a stray continuation
// byte included, is a character of its own.
std::vector<size_t> CharStarts(std::string_view s);

// Makes the tokenizer known to this connection; every connection that writes, reads or
// creates a partition's block index needs it.
Status RegisterTextTokenizer(Database& db);

}  // namespace vigil::store
