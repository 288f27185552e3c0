#include "store/sqlite_event_store.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <system_error>
#include <utility>

#include "base/files.h"
#include "base/strings.h"
#include "store/field_codec.h"
#include "store/migrations.h"
#include "store/text_index.h"

namespace vigil::store {

namespace fs = std::filesystem;
using Step = Statement::StepResult;

namespace {

// Milliseconds on the steady clock (the indexer's idle test).
int64_t SteadyMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

constexpr std::string_view kDetectionsFile = "detections.db";

// Applied migrations are never edited: a schema change is a new entry at the end.
const std::vector<Migration>& PartitionMigrations() {
    static const std::vector<Migration> kMigrations = {
        {1, "events, time index, trigram text index",
         R"sql(
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL,
    time_ns INTEGER NOT NULL,
    event_ns INTEGER NOT NULL,
    receive_ns INTEGER NOT NULL,
    source TEXT NOT NULL,
    host TEXT NOT NULL,
    product TEXT NOT NULL,
    service TEXT NOT NULL,
    categories TEXT NOT NULL,
    fields BLOB NOT NULL,
    raw TEXT NOT NULL
);
CREATE UNIQUE INDEX events_id ON events(id);
CREATE INDEX events_time ON events(time_ns);
CREATE VIRTUAL TABLE events_fts USING fts5(raw, content='events', content_rowid='seq',
    tokenize='trigram');
CREATE TABLE events_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO events_meta(key, value) VALUES ('fts_upto', 0);
)sql"},
        // Indexing under load merges fewer, larger groups of segments; CompactText merges the
        // rest when the indexer is idle.
        {2, "text index: merge 16 segments at a time while indexing",
         "INSERT INTO events_fts(events_fts, rank) VALUES('automerge', 16);"},
        // The rows indexed from here on (seq > fts_upto) go to a text index without token
        // positions: it builds ~1.8 times faster and takes a third of the space. A search takes its
        // candidates (rows holding every trigram of the text) from both indexes and checks the
        // text itself on each candidate row, which it reads anyway.
        {3, "text index without positions for the rows indexed from now on",
         R"sql(
CREATE VIRTUAL TABLE events_text USING fts5(raw, content='events', content_rowid='seq',
    tokenize='trigram', detail='none');
INSERT INTO events_text(events_text, rank) VALUES('automerge', 16);
INSERT INTO events_meta(key, value) SELECT 'fts_old_upto', value FROM events_meta
    WHERE key = 'fts_upto';
)sql"},
        // From here on the text index holds blocks of fts_blk_rows consecutive rows, one
        // document each (text_index.h): each distinct trigram of a block is indexed once
        // instead of every trigram of every row, which makes indexing several times cheaper. A
        // search checks every row of a candidate block.
        {4, "text index of blocks of rows",
         R"sql(
CREATE VIRTUAL TABLE events_blk USING fts5(raw, content='', tokenize='vigil_trigram',
    detail='none', columnsize=0);
INSERT INTO events_blk(events_blk, rank) VALUES('automerge', 16);
INSERT INTO events_meta(key, value) SELECT 'fts_blk_from', value FROM events_meta
    WHERE key = 'fts_upto';
INSERT INTO events_meta(key, value) VALUES ('fts_blk_rows', 32);
)sql"},
        // From the block after the last one indexed (the whole partition when nothing is
        // indexed yet), a block's document also holds each row's field values that are not
        // pieces of its raw text, and its host, source, product, service and categories: field
        // filters then take their candidates from the index as text searches do. A block
        // indexed in part keeps the document it started with.
        {5, "text index: field values in the block documents",
         R"sql(
INSERT INTO events_meta(key, value)
    SELECT 'fts_values_blk', CASE WHEN u.value = 0 THEN 0 ELSE u.value / r.value + 1 END
    FROM events_meta u, events_meta r WHERE u.key = 'fts_upto' AND r.key = 'fts_blk_rows';
)sql"},
        // From the block after the last one indexed, a block's document holds an exact-value
        // token for each field and attribute of its rows (text_index.h) instead of their
        // values' trigrams: a field filter of any length takes its candidates from the blocks
        // holding its token.
        {6, "text index: exact field values in the block documents",
         R"sql(
INSERT INTO events_meta(key, value)
    SELECT 'fts_exact_blk', CASE WHEN u.value = 0 THEN 0 ELSE u.value / r.value + 1 END
    FROM events_meta u, events_meta r WHERE u.key = 'fts_upto' AND r.key = 'fts_blk_rows';
)sql"},
        // FTS5 merges a level whole ("crisis merge") once it holds crisismerge segments, in the
        // transaction that wrote the last one, whatever its size; at the default (16, equal to
        // the automerge above) every merge was one, and a large level's took seconds with the
        // partition's one writer held: appends stalled. Above automerge, the incremental
        // merges (bounded per transaction) do the work and a crisis stays the exception.
        {7, "text index: crisis merges only past 64 segments of a level",
         "INSERT INTO events_blk(events_blk, rank) VALUES('crisismerge', 64);"},
    };
    return kMigrations;
}

const std::vector<Migration>& DetectionMigrationList() {
    static const std::vector<Migration> kMigrations = {
        {1, "detections",
         R"sql(
CREATE TABLE detections (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    rule_id TEXT NOT NULL,
    rule_title TEXT NOT NULL,
    level TEXT NOT NULL,
    time_ns INTEGER NOT NULL,
    created_ns INTEGER NOT NULL,
    status TEXT NOT NULL,
    event_ids TEXT NOT NULL
);
CREATE INDEX detections_time ON detections(time_ns);
CREATE INDEX detections_status ON detections(status, time_ns);
)sql"},
    };
    return kMigrations;
}

// ---- small encodings -------------------------------------------------------------------------

// Returns s, or a copy in scratch with every invalid UTF-8 byte replaced by U+FFFD (repaired
// counts it).
std::string_view SafeText(std::string_view s, size_t max, std::string& scratch, bool& cut,
                          size_t& repaired) {
    cut = s.size() > max;
    s = CutUtf8(s, max);
    size_t ok = ValidUtf8Prefix(s);
    if (ok == s.size()) return s;
    ++repaired;
    scratch.clear();
    while (true) {
        scratch.append(s.substr(0, ok));
        if (ok == s.size()) break;
        scratch.append("\xEF\xBF\xBD");
        s.remove_prefix(ok + 1);
        ok = ValidUtf8Prefix(s);
    }
    return scratch;
}

std::string JoinCategories(const std::vector<std::string>& categories) {
    std::string out;
    for (const auto& c : categories) {
        if (!out.empty()) out.push_back(',');
        out += c;
    }
    return out;
}

// Cuts and repairs s in place (SafeText); true when it changed.
bool MakeSafe(std::string& s, size_t max, std::string& scratch, bool& cut, uint32_t& repaired) {
    size_t n = 0;
    std::string_view safe = SafeText(s, max, scratch, cut, n);
    repaired += static_cast<uint32_t>(n);
    if (safe.size() == s.size() && safe.data() == s.data()) return false;
    if (safe.data() == s.data()) {
        s.resize(safe.size());
    } else {
        s.assign(safe);
    }
    return true;
}

// The encoding of one event for its row: texts made safe in place, fields and categories
// encoded.
void PrepareEvent(StoredEvent& e, std::string& scratch) {
    StoredEvent::Encoded& enc = e.encoded;
    enc.fields_dropped = enc.values_truncated = enc.utf8_repaired = 0;
    bool cut = false;
    MakeSafe(e.event.message, kMaxStoredRawBytes, scratch, cut, enc.utf8_repaired);
    enc.raw_truncated = cut;
    // Cut here (an HTTP event over 64 KiB; the listeners cut theirs before): marked as theirs
    // are, so a search or a rule sees the stored text is not the whole.
    // (Not when the fields past the limit would drop it anyway.)
    if (cut && e.event.size() < kMaxStoredFields && e.event.Find("vigil.truncated") < 0) {
        e.event.Add("vigil.truncated", "true");
    }
    for (std::string* t :
         {&e.source, &e.host, &e.event.logsource.product, &e.event.logsource.service}) {
        MakeSafe(*t, kMaxStoredShortTextBytes, scratch, cut, enc.utf8_repaired);
    }
    enc.categories = JoinCategories(e.event.logsource.categories);
    MakeSafe(enc.categories, kMaxStoredShortTextBytes, scratch, cut, enc.utf8_repaired);
    FieldEncodeCounts counts;
    EncodeFields(e.event, e.event.message, enc.fields, counts);
    enc.fields_dropped = static_cast<uint32_t>(counts.fields_dropped);
    enc.values_truncated = static_cast<uint32_t>(counts.values_truncated);
    enc.ready = true;
}

// Which text indexes hold a partition's rows (seq <= fts_upto). Rows indexed before schema
// migration 3 are in events_fts (with positions, up to fts_old_upto); those indexed under
// version 3 in events_text (one document per row, up to fts_blk_from); the rest in events_blk
// (blocks of block_rows rows). A partition created by a newer version has only events_blk.
struct TextIndexes {
    bool positional = false;  // events_fts
    bool per_row = false;     // events_text
    int64_t block_rows = 0;   // events_blk
    int64_t blk_from = 0;     // events_blk holds the rows after this one
    int64_t upto = 0;         // and up to this one (fts_upto)
    int64_t values_blk = 0;   // blocks from this one on hold field values too (migration 5)
    int64_t exact_blk = 0;    // and from this one on exact-value tokens instead (migration 6)
};
Result<TextIndexes> ReadTextIndexes(Database& db) {
    auto meta = db.Cached(
        "SELECT key, value FROM events_meta "
        "WHERE key IN ('fts_old_upto', 'fts_blk_from', 'fts_blk_rows', 'fts_upto', "
        "'fts_values_blk', 'fts_exact_blk')");
    if (!meta) return tl::unexpected(std::move(meta.error()));
    int64_t old_upto = 0;
    TextIndexes out;
    while (true) {
        auto row = (*meta)->Step();
        if (!row) {
            (*meta)->Reset();
            return tl::unexpected(std::move(row.error()));
        }
        if (*row == Statement::StepResult::kDone) break;
        const std::string key = (*meta)->ColumnText(0);
        const int64_t value = (*meta)->ColumnInt64(1);
        if (key == "fts_old_upto") old_upto = value;
        if (key == "fts_blk_from") out.blk_from = value;
        if (key == "fts_blk_rows") out.block_rows = value;
        if (key == "fts_upto") out.upto = value;
        if (key == "fts_values_blk") out.values_blk = value;
        if (key == "fts_exact_blk") out.exact_blk = value;
    }
    (*meta)->Reset();
    if (out.block_rows < 1) {
        return MakeError(Code::kDataLoss, "the partition's text index has no block size");
    }
    out.positional = old_upto > 0;
    out.per_row = out.blk_from > old_upto;
    return out;
}

// The partition's last row (0 when it has none).
Result<int64_t> MaxSeq(Database& db) {
    auto stmt = db.Cached("SELECT max(seq) FROM events");
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    auto step = (*stmt)->Step();
    const int64_t last = step ? (*stmt)->ColumnInt64(0) : 0;
    (*stmt)->Reset();
    if (!step) return tl::unexpected(std::move(step.error()));
    return last;
}

// "<time_ns>:<seq>"
std::string MakeCursor(int64_t time_ns, int64_t seq) {
    return std::to_string(time_ns) + ":" + std::to_string(seq);
}

Result<std::pair<int64_t, int64_t>> ParseCursor(std::string_view c) {
    const size_t colon = c.find(':');
    auto t = colon == std::string_view::npos ? std::nullopt : ParseInt(c.substr(0, colon));
    auto s = colon == std::string_view::npos ? std::nullopt : ParseInt(c.substr(colon + 1));
    if (!t || !s) return InvalidArgument("malformed cursor '" + std::string(c) + "'");
    return std::pair{*t, *s};
}

// "2025-11-26.db" -> day start in ns.
std::optional<int64_t> PartitionDayStart(std::string_view name) {
    if (name.size() != 13 || !EndsWith(name, ".db") || name[4] != '-' || name[7] != '-') {
        return std::nullopt;
    }
    auto y = ParseInt(name.substr(0, 4));
    auto m = ParseInt(name.substr(5, 2));
    auto d = ParseInt(name.substr(8, 2));
    if (!y || !m || !d) return std::nullopt;
    using namespace std::chrono;
    const year_month_day ymd{year{static_cast<int>(*y)}, month{static_cast<unsigned>(*m)},
                             day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) return std::nullopt;
    return static_cast<int64_t>(sys_days{ymd}.time_since_epoch().count()) * kNsPerDay;
}

struct PartitionFile {
    std::string day;
    int64_t start_ns = 0;
    fs::path path;
};

// The partition files in dir, newest first.
std::vector<PartitionFile> ListPartitions(const fs::path& dir) {
    std::vector<PartitionFile> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (auto start = PartitionDayStart(name)) {
            out.push_back({name.substr(0, 10), *start, it->path()});
        }
    }
    std::sort(out.begin(), out.end(),
              [](const PartitionFile& a, const PartitionFile& b) { return a.day > b.day; });
    return out;
}

uint64_t FileBytes(const fs::path& p) {
    std::error_code ec;
    const auto n = fs::file_size(p, ec);
    return ec ? 0 : n;
}

// A connection for reading. Read-only when the whole store is (another process writes);
// read-write otherwise: a SQLITE_OPEN_READONLY connection in the process that is writing the
// same WAL database was seen to read an empty snapshot (the main file without the WAL).
Result<Database> OpenReader(const fs::path& path, std::string_view component,
                            std::span<const Migration> migrations, bool read_only) {
    OpenOptions open;
    open.read_only = read_only;
    open.create = false;
    auto db = Database::Open(path, open);
    if (!db) return tl::unexpected(std::move(db.error()));
    if (auto st = RegisterTextTokenizer(*db); !st) {
        return tl::unexpected(std::move(st.error()).WithContext(path.string()));
    }
    if (auto m = Migrate(*db, component, migrations); !m) {
        return tl::unexpected(std::move(m.error()).WithContext(path.string()));
    }
    return db;
}

template <typename T>
tl::unexpected<Error> Fail(Result<T>& r, std::string_view context) {
    return tl::unexpected(std::move(r.error()).WithContext(context));
}
tl::unexpected<Error> Fail(Status& r, std::string_view context) {
    return tl::unexpected(std::move(r.error()).WithContext(context));
}

// ---- the append ----------------------------------------------------------------------------

// Rows per INSERT: one statement of many rows opens the table's and its indexes' cursors once
// for them all, which halves the CPU per row of single-row INSERTs (docs/benchmarks.md,
// "Rows per INSERT"). Shorter runs (a batch's tail) take the powers of two below it.
constexpr size_t kMaxRowsPerInsert = 32;

// The INSERTs of 1, 2, 4 ... kMaxRowsPerInsert rows into one table; row r of a statement binds
// parameters r * columns + 1 ... (r + 1) * columns.
class MultiRowInsert {
public:
    MultiRowInsert(std::string_view head, int columns) : columns_(columns) {
        std::string row = "(";
        for (int c = 0; c < columns; ++c) row += c == 0 ? "?" : ",?";
        row += ")";
        for (size_t n = 1; n <= kMaxRowsPerInsert; n *= 2) {
            std::string sql(head);
            for (size_t r = 0; r < n; ++r) {
                if (r > 0) sql += ',';
                sql += row;
            }
            sql_.push_back(std::move(sql));
        }
    }
    // The statement of `rows` rows, a power of two up to kMaxRowsPerInsert.
    const std::string& Sql(size_t rows) const {
        return sql_[static_cast<size_t>(std::countr_zero(rows))];
    }
    // The first parameter of row r.
    int First(size_t r) const { return static_cast<int>(r) * columns_ + 1; }

private:
    int columns_;
    std::vector<std::string> sql_;
};

const MultiRowInsert& EventsInsert() {
    static const MultiRowInsert kInsert(
        "INSERT OR IGNORE INTO events(id, time_ns, event_ns, receive_ns, source, host, product, "
        "service, categories, fields, raw) VALUES ",
        11);
    return kInsert;
}

const MultiRowInsert& DetectionsInsert() {
    static const MultiRowInsert kInsert(
        "INSERT OR IGNORE INTO detections(id, rule_id, rule_title, level, time_ns, created_ns, "
        "status, event_ids) VALUES ",
        8);
    return kInsert;
}

// The rows of one INSERT: the largest power of two, up to kMaxRowsPerInsert, not above `left`.
size_t RowsPerInsert(size_t left) { return std::min(kMaxRowsPerInsert, std::bit_floor(left)); }

// After an INSERT OR IGNORE of the events at `rows` that inserted `inserted` of them, marks
// the others duplicate. The rows a statement inserts take the partition's next seqs, so a row
// was inserted by it when its id's seq lies above the seqs before it, and it is the first row
// of the statement holding that id. Only replays get here.
Status MarkDuplicates(Database& db, std::span<StoredEvent> events, std::span<const size_t> rows,
                      size_t inserted) {
    auto last = MaxSeq(db);
    if (!last) return tl::unexpected(std::move(last.error()));
    const int64_t before = *last - static_cast<int64_t>(inserted);
    auto find = db.Cached("SELECT seq FROM events WHERE id = ?1");
    if (!find) return tl::unexpected(std::move(find.error()));
    std::vector<int64_t> claimed;
    for (size_t i : rows) {
        StoredEvent& e = events[i];
        if (Status st = (*find)->BindBlobUnowned(1, e.id.view()); !st) return st;
        auto step = (*find)->Step();
        const int64_t seq = step && *step == Step::kRow ? (*find)->ColumnInt64(0) : 0;
        (*find)->Reset();
        if (!step) return tl::unexpected(std::move(step.error()));
        const bool mine =
            seq > before && std::find(claimed.begin(), claimed.end(), seq) == claimed.end();
        if (mine) claimed.push_back(seq);
        e.duplicate = !mine;
    }
    return Ok();
}

// ---- the search scan -----------------------------------------------------------------------

// Columns of kSelect, in order.
enum Col {
    kSeq,
    kId,
    kTime,
    kEventNs,
    kReceive,
    kSource,
    kHost,
    kProduct,
    kService,
    kCats,
    kFields,
    kRaw
};
constexpr std::string_view kSelect =
    "SELECT seq, id, time_ns, event_ns, receive_ns, source, host, product, service, categories, "
    "fields, raw FROM events";

// An FTS5 query that every row containing the text matches: trigrams of the text that cover
// it (one at every third character, and the last), each a quoted string (double quotes
// doubled, so no user text is FTS syntax), ANDed. Rows that hold them in another order are
// removed by the LIKE check on each candidate. Non-overlapping trigrams select nearly as
// well as all of them for a fraction of the index reads; at most kMaxQueryTrigrams.
constexpr size_t kMaxQueryTrigrams = 32;
std::string FtsTrigrams(std::string_view text) {
    std::vector<size_t> starts = CharStarts(text);
    const size_t chars = starts.size();
    starts.push_back(text.size());
    if (chars < 3) return {};
    std::vector<size_t> at;
    for (size_t c = 0; c + 3 <= chars; c += 3) at.push_back(c);
    if (at.back() != chars - 3) at.push_back(chars - 3);
    if (at.size() > kMaxQueryTrigrams) at.resize(kMaxQueryTrigrams);
    std::vector<std::string> trigrams;
    for (size_t c : at) {
        trigrams.push_back(AsciiLower(text.substr(starts[c], starts[c + 3] - starts[c])));
    }
    std::sort(trigrams.begin(), trigrams.end());
    trigrams.erase(std::unique(trigrams.begin(), trigrams.end()), trigrams.end());
    std::string out;
    for (const std::string& t : trigrams) {
        if (!out.empty()) out += " AND ";
        out.push_back('"');
        for (char c : t) {
            if (c == '"') out.push_back('"');
            out.push_back(c);
        }
        out.push_back('"');
    }
    return out;
}

std::string LikePattern(std::string_view text) {
    std::string out = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('%');
    return out;
}

// Every (name, value) a field filter `name=value` matches in a row read with kSelect: its host,
// source, product and service, each of its categories ("category"), then its fields. fn
// returns false to stop. The filter's check (RowMatches) and what the text index holds for it
// (AppendSearchableValues, AppendExactValues) both come from here.
template <typename Fn>
void ForEachFilterable(const Statement& row, Fn&& fn) {
    static constexpr std::pair<std::string_view, int> kAttributes[] = {
        {"host", kHost}, {"source", kSource}, {"product", kProduct}, {"service", kService}};
    for (const auto& [name, col] : kAttributes) {
        if (!fn(name, row.ColumnView(col))) return;
    }
    // Comma-separated, as Split reads it; an event without a category has none to match
    // (`category=` finds no event, as `user=` finds none without a user field).
    const std::string_view cats = row.ColumnView(kCats);
    for (size_t at = 0; !cats.empty();) {
        const size_t comma = cats.find(',', at);
        if (!fn(std::string_view("category"), cats.substr(at, comma - at))) return;
        if (comma == std::string_view::npos) break;
        at = comma + 1;
    }
    ForEachField(
        row.ColumnView(kFields), row.ColumnView(kRaw),
        [&](std::string_view name, std::string_view value, uint8_t) { return fn(name, value); });
}

bool RowMatches(const Statement& row, const std::vector<WhereTerm>& where) {
    for (const WhereTerm& t : where) {
        bool hit = false;
        ForEachFilterable(row, [&](std::string_view name, std::string_view value) {
            hit = name == t.field && value == t.value;
            return !hit;
        });
        if (!hit) return false;
    }
    return true;
}

// What a row adds to its block's document after its raw text under schema migration 5: each
// value a field filter matches that the raw text does not hold verbatim, each after a
// kRowBreak. A value the raw text holds has its trigrams there already: slices of the raw text
// (most syslog fields), and most JSON values (looked for only when long: a short value costs
// the tokenizer less than the search). Values under three bytes are left out: a filter on them
// has no trigram and scans.
constexpr size_t kFindValuesFrom = 24;  // bytes
void AppendSearchableValues(const Statement& row, std::string& doc) {
    const std::string_view raw = row.ColumnView(kRaw);
    ForEachFilterable(row, [&](std::string_view, std::string_view value) {
        const auto at = reinterpret_cast<uintptr_t>(value.data());
        const auto begin = reinterpret_cast<uintptr_t>(raw.data());
        const bool slice = at >= begin && at + value.size() <= begin + raw.size();
        if (value.size() < 3 || slice) return true;
        if (value.size() >= kFindValuesFrom && raw.find(value) != std::string_view::npos) {
            return true;
        }
        doc.append(1, kRowBreak).append(value);
        return true;
    });
}

// What a row adds instead since schema migration 6: an exact-value token (text_index.h) for
// each (name, value) a field filter matches, each after a kRowBreak.
void AppendExactValues(const Statement& row, std::string& doc) {
    ForEachFilterable(row, [&](std::string_view name, std::string_view value) {
        doc.push_back(kRowBreak);
        AppendExactValueToken(doc, name, value);
        return true;
    });
}

void ReadHit(const Statement& row, SearchHit& hit) {
    hit.time_ns = row.ColumnInt64(kTime);
    std::string_view id = row.ColumnView(kId);
    if (id.size() == hit.id.bytes.size()) std::copy(id.begin(), id.end(), hit.id.bytes.begin());
    StoredEvent& e = hit.event;
    e.id = hit.id;
    e.receive_ns = row.ColumnInt64(kReceive);
    e.source = row.ColumnText(kSource);
    e.host = row.ColumnText(kHost);
    e.event.time_ns = row.ColumnInt64(kEventNs);
    e.event.logsource.product = row.ColumnText(kProduct);
    e.event.logsource.service = row.ColumnText(kService);
    for (std::string_view c : Split(row.ColumnView(kCats), ',')) {
        if (!c.empty()) e.event.logsource.AddCategory(c);
    }
    DecodeFields(row.ColumnView(kFields), row.ColumnView(kRaw), e.event);
    e.event.message = row.ColumnText(kRaw);
}

struct ScanRange {
    int64_t since_ns = 0;
    int64_t until_ns = 0;
    std::optional<std::pair<int64_t, int64_t>> before;  // (time_ns, seq) cursor: strictly older
};

constexpr uint64_t kProgressEveryRows = 16384;

// Named limit: a search reads at most this many index candidates (the rows of the matching
// blocks and the rows not indexed yet) one by one (ScanCandidates); with more, it walks the time
// range newest first.
constexpr int64_t kMaxCandidateRows = 50000;

// Reads only the candidates of an indexed search: the rows of the blocks whose document holds
// every trigram of `match`, and the rows after the index's mark; checks the time range, cursor,
// text and filters on each, then visits the matches newest first (with limit 0, in the order
// read: every match is wanted, so none is read twice). The partition's index must be
// blocks only, answering field filters from its first block (values_blk 0) when `match` has
// any.
//
// It must read every candidate before it visits the first, while the walk newest first stops
// at the page's limit. Its rows cost ~7 times a step of the walk (1.7 against 0.26 µs on the
// 1M-event store benchmark), and a block holds about one match, so with `limit` (0: every
// match is wanted, as a histogram does) it gives way (nullopt, nothing visited) when
// blocks² > limit × rows / 200: a needle in 1 of 1,000 events over 1M rows (1,000 blocks) is
// walked, an absent value or a rare address is read from its candidates.
template <typename Visit>
Result<std::optional<bool>> ScanCandidates(Database& db, const SearchQuery& q,
                                           const ScanRange& range, const TextIndexes& idx,
                                           const std::string& match, size_t limit,
                                           SearchProgress& progress, const ProgressFn& report,
                                           Visit& visit) {
    const int64_t rows = idx.block_rows;
    auto last = MaxSeq(db);
    if (!last) return Fail(last, "searching");
    const int64_t max_seq = *last;
    int64_t candidates = std::max<int64_t>(0, max_seq - idx.upto);
    if (candidates > kMaxCandidateRows) return std::optional<bool>();
    std::vector<std::pair<int64_t, int64_t>> ranges;  // seq from, to
    {
        auto blocks =
            db.Prepare("SELECT rowid FROM events_blk WHERE events_blk MATCH ?1 ORDER BY rowid");
        if (!blocks) return Fail(blocks, "searching");
        if (Status st = blocks->BindText(1, match); !st) return Fail(st, "searching");
        while (true) {
            auto row = blocks->Step();
            if (!row) return Fail(row, "searching");
            if (*row == Step::kDone) break;
            const int64_t b = blocks->ColumnInt64(0);
            const int64_t from = std::max<int64_t>(b * rows, 1);
            const int64_t to = std::min(b * rows + rows - 1, idx.upto);
            if (from > to) continue;
            candidates += to - from + 1;
            const auto n = static_cast<double>(ranges.size() + 1);
            if (candidates > kMaxCandidateRows ||
                (limit > 0 && n * n * 200 > static_cast<double>(limit) * max_seq)) {
                return std::optional<bool>();
            }
            ranges.emplace_back(from, to);
        }
    }
    if (max_seq > idx.upto) ranges.emplace_back(idx.upto + 1, max_seq);
    std::string sql(kSelect);
    // +time_ns: the rowid range drives the read, never the time index.
    sql += " WHERE seq >= ?1 AND seq <= ?2 AND +time_ns >= ?3 AND +time_ns < ?4";
    if (range.before) sql += " AND +time_ns <= ?5 AND (+time_ns < ?5 OR seq < ?6)";
    if (!q.text.empty()) sql += " AND " + TextMatchCondition(7);
    auto read = db.Prepare(sql);
    if (!read) return Fail(read, "searching");
    std::vector<std::pair<int64_t, int64_t>> hits;  // (time_ns, seq)
    bool stopped = false;
    for (const auto& [from, to] : ranges) {
        Status st = read->BindInt64(1, from);
        if (st) st = read->BindInt64(2, to);
        if (st) st = read->BindInt64(3, range.since_ns);
        if (st) st = read->BindInt64(4, range.until_ns);
        if (st && range.before) st = read->BindInt64(5, range.before->first);
        if (st && range.before) st = read->BindInt64(6, range.before->second);
        if (st && !q.text.empty()) st = read->BindText(7, LikePattern(q.text));
        if (!st) return Fail(st, "searching");
        while (true) {
            auto row = read->Step();
            if (!row) return Fail(row, "searching " + db.path().string());
            if (*row == Step::kDone) break;
            if (++progress.scanned % kProgressEveryRows == 0 && report && !report(progress)) {
                return std::optional<bool>(false);
            }
            if (!RowMatches(*read, q.where)) continue;
            if (limit == 0) {
                // Every match is wanted (a histogram): visited as read, not read twice.
                stopped = !visit(*read);
                if (stopped) break;
                continue;
            }
            hits.emplace_back(read->ColumnInt64(kTime), read->ColumnInt64(kSeq));
        }
        read->Reset();
        if (stopped) return std::optional<bool>(true);
    }
    std::sort(hits.begin(), hits.end(), std::greater<>());
    auto one = db.Prepare(std::string(kSelect) + " WHERE seq = ?1");
    if (!one) return Fail(one, "searching");
    for (const auto& hit : hits) {
        if (Status st = one->BindInt64(1, hit.second); !st) return Fail(st, "searching");
        auto row = one->Step();
        if (!row) return Fail(row, "searching " + db.path().string());
        if (*row == Step::kRow && !visit(*one)) break;
        one->Reset();
    }
    return std::optional<bool>(true);
}

// Runs the query over one partition newest first; visit(row) returns false to stop. Returns
// false when progress asked to stop. limit: how many matches the caller wants at most, for the
// choice between reading the index's candidates and walking the time range; 0: all of them, in
// any order (a histogram).
template <typename Visit>
Result<bool> ScanPartition(Database& db, const SearchQuery& q, const ScanRange& range, size_t limit,
                           SearchProgress& progress, const ProgressFn& report, Visit&& visit) {
    if (auto st = db.Exec("BEGIN"); !st) return Fail(st, "starting a read transaction");
    struct EndRead {
        Database& db;
        ~EndRead() { (void)db.Exec("COMMIT"); }
    } end_read{db};

    std::string sql(kSelect);
    sql += " WHERE time_ns >= ?1 AND time_ns < ?2";
    if (range.before) sql += " AND time_ns <= ?3 AND (time_ns < ?3 OR seq < ?4)";
    const bool text = !q.text.empty();
    const bool fts = text && CharStarts(q.text).size() >= 3;  // trigrams need three characters
    const std::string text_trigrams = fts ? FtsTrigrams(q.text) : std::string();
    std::optional<TextIndexes> indexes;
    if (fts || !q.where.empty()) {
        auto read = ReadTextIndexes(db);
        if (!read) return Fail(read, "searching");
        indexes = *read;
    }
    // Field filters the index answers: the blocks from exact_blk hold each filterable value's
    // exact-value token (token_match); the blocks from values_blk to there the trigrams of the
    // values, which a filter uses when its value has three characters or more and is valid
    // UTF-8 (trigram_match; a stored value with other bytes cannot equal one of these, and a NUL
    // would end the FTS5 query string). The candidate read asks every block at once
    // (value_match: the token, or either); the walk asks each range for its own kind, so a value
    // whose trigrams are common is not walked in the blocks with tokens. Every candidate is
    // checked against every filter, so a filter left out only costs reads.
    std::string value_match, token_match, trigram_match;
    auto add = [](std::string& to, const std::string& piece) {
        if (!to.empty()) to += " AND ";
        to += piece;
    };
    for (const WhereTerm& t : q.where) {
        const std::string token = ExactValueQuery(t.field, t.value);
        add(token_match, token);
        if (indexes->exact_blk == 0) {
            add(value_match, token);
        } else if (CharStarts(t.value).size() >= 3 && ValidUtf8Prefix(t.value) == t.value.size() &&
                   t.value.find('\0') == std::string::npos) {
            const std::string trigrams = FtsTrigrams(t.value);
            add(trigram_match, trigrams);
            add(value_match, "(" + trigrams + " OR " + token + ")");
        }
    }
    // Selective: read only the candidates. The index must hold every indexed row in blocks
    // (no older per-row index), and the field values of every block when filters use it.
    std::string match = value_match;
    if (fts) match += (match.empty() ? "" : " AND ") + text_trigrams;
    if (indexes && !indexes->positional && !indexes->per_row && !match.empty() &&
        (value_match.empty() || indexes->values_blk == 0)) {
        auto done = ScanCandidates(db, q, range, *indexes, match, limit, progress, report, visit);
        if (!done) return tl::unexpected(std::move(done.error()));
        if (*done) return **done;
    }
    if (!token_match.empty()) {
        // Candidates: the rows of the blocks from exact_blk holding every filter's token (no
        // earlier block holds a token); of the blocks from values_blk to there, those holding
        // the trigrams of every filter that has them; the rows before values_blk; and the rows
        // not indexed yet. Then the filters themselves, on each.
        const std::string rows = std::to_string(indexes->block_rows);
        sql +=
            " AND (seq / " + rows + " IN (SELECT rowid FROM events_blk WHERE events_blk MATCH ?7)";
        if (indexes->exact_blk > 0) {
            const std::string exact_from = std::to_string(indexes->exact_blk * indexes->block_rows);
            if (trigram_match.empty()) {
                sql += " OR seq < " + exact_from;
            } else {
                sql += " OR (seq < " + exact_from + " AND seq / " + rows +
                       " IN (SELECT rowid FROM events_blk WHERE events_blk MATCH ?8)) OR seq < " +
                       std::to_string(indexes->values_blk * indexes->block_rows);
            }
        }
        sql += " OR seq > (SELECT value FROM events_meta WHERE key = 'fts_upto'))";
    }
    if (fts) {
        // Candidates: the rows of the blocks that hold every trigram, the rows indexed one by
        // one under older schema versions that do, and the rows not indexed yet. Then the text
        // itself, on each.
        sql += " AND (seq / " + std::to_string(indexes->block_rows) +
               " IN (SELECT rowid FROM events_blk WHERE events_blk MATCH ?5) OR ";
        if (indexes->per_row)
            sql += "seq IN (SELECT rowid FROM events_text WHERE events_text MATCH ?5) OR ";
        if (indexes->positional)
            sql += "seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?5) OR ";
        sql += "seq > (SELECT value FROM events_meta WHERE key = 'fts_upto'))";
    }
    if (text) sql += " AND " + TextMatchCondition(6);
    sql += " ORDER BY time_ns DESC, seq DESC";
    auto stmt = db.Prepare(sql);
    if (!stmt) return Fail(stmt, "searching");
    Status st = stmt->BindInt64(1, range.since_ns);
    if (st) st = stmt->BindInt64(2, range.until_ns);
    if (st && range.before) st = stmt->BindInt64(3, range.before->first);
    if (st && range.before) st = stmt->BindInt64(4, range.before->second);
    if (st && fts) st = stmt->BindText(5, text_trigrams);
    if (st && text) st = stmt->BindText(6, LikePattern(q.text));
    if (st && !token_match.empty()) st = stmt->BindText(7, token_match);
    if (st && !trigram_match.empty()) st = stmt->BindText(8, trigram_match);
    if (!st) return Fail(st, "searching");
    while (true) {
        auto step = stmt->Step();
        if (!step) return Fail(step, "searching " + db.path().string());
        if (*step == Step::kDone) break;
        if (++progress.scanned % kProgressEveryRows == 0 && report && !report(progress)) {
            return false;
        }
        if (!RowMatches(*stmt, q.where)) continue;
        if (!visit(*stmt)) break;
    }
    return true;
}

}  // namespace

std::span<const Migration> EventPartitionMigrations() { return PartitionMigrations(); }
std::span<const Migration> DetectionMigrations() { return DetectionMigrationList(); }

// ---- SqliteEventStore ------------------------------------------------------------------------

struct SqliteEventStore::Partition {
    Database db;
    uint64_t last_use = 0;
};

SqliteEventStore::SqliteEventStore(fs::path events_dir, OpenEventStoreOptions options)
    : events_dir_(std::move(events_dir)), options_(std::move(options)) {}

SqliteEventStore::~SqliteEventStore() {
    {
        std::lock_guard lock(index_mu_);
        stop_ = true;
    }
    index_cv_.notify_all();
    if (indexer_.joinable()) indexer_.join();
}

Result<std::unique_ptr<SqliteEventStore>> SqliteEventStore::Open(const fs::path& dir,
                                                                 OpenEventStoreOptions options) {
    fs::path events_dir = dir / "events";
    std::error_code ec;
    if (options.read_only) {
        if (!fs::is_directory(dir, ec)) {
            return NotFound("data directory " + dir.string() + " does not exist");
        }
    } else {
        fs::create_directories(events_dir, ec);
        if (ec) {
            return MakeError(Code::kUnavailable,
                             "cannot create " + events_dir.string() + ": " + ec.message());
        }
        fs::permissions(events_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    }
    if (options.max_open_partitions == 0) options.max_open_partitions = 1;
    if (options.index_chunk_rows == 0) options.index_chunk_rows = 1;
    if (options.index_busy_chunk_rows == 0) options.index_busy_chunk_rows = 1;
    std::unique_ptr<SqliteEventStore> store(
        new SqliteEventStore(std::move(events_dir), std::move(options)));
    if (!store->options_.read_only) {
        // Rows appended before a crash or a restart may not be indexed yet, and the newest
        // partitions' indexes not compacted (a compact one costs one step to find so).
        const std::vector<PartitionFile> parts = ListPartitions(store->events_dir_);
        for (const PartitionFile& p : parts) store->unindexed_days_.insert(p.day);
        for (size_t i = parts.size() > 2 ? parts.size() - 2 : 0; i < parts.size(); ++i) {
            store->uncompacted_days_.insert(parts[i].day);
        }
        if (store->options_.background_index) {
            store->index_wanted_ = true;
            store->indexer_ = std::thread([s = store.get()] { s->IndexLoop(); });
        }
    }
    return store;
}

fs::path SqliteEventStore::PartitionPath(std::string_view day) const {
    return events_dir_ / (std::string(day) + ".db");
}

int64_t SqliteEventStore::Now() const {
    if (options_.clock) return options_.clock();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Result<SqliteEventStore::Partition*> SqliteEventStore::Writable(const std::string& day) {
    if (auto it = open_.find(day); it != open_.end()) {
        it->second->last_use = ++use_counter_;
        return it->second.get();
    }
    while (open_.size() >= options_.max_open_partitions) {
        auto lru = std::min_element(open_.begin(), open_.end(), [](const auto& a, const auto& b) {
            return a.second->last_use < b.second->last_use;
        });
        open_.erase(lru);
    }
    OpenOptions open;
    open.synchronous_full = options_.sync_commits;
    // 16 KiB pages for new partitions: appends of ~300-byte rows touch fewer pages than with
    // 4 KiB (the store benchmark appends ~30 % faster; 32-64 KiB gain nothing more).
    open.page_size = 16384;
    const auto open_migrated = [&](const fs::path& file) -> Result<Database> {
        auto db = Database::Open(file, open);
        if (!db) return Fail(db, "opening event partition");
        // Partitions are deleted as whole files, so zeroing freed pages buys nothing; a larger
        // page cache and a 32 MiB WAL (2,048 pages of 16 KiB) keep checkpoints off the
        // per-batch path.
        auto st = db->Exec(
            "PRAGMA secure_delete=OFF; PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint=2048;");
        if (st) st = RegisterTextTokenizer(*db);
        if (!st) return Fail(st, "opening event partition " + file.string());
        if (auto m = Migrate(*db, "events", PartitionMigrations()); !m) {
            return Fail(m, "opening event partition " + file.string());
        }
        return db;
    };
    const fs::path path = PartitionPath(day);
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        // A new partition appears whole: made under another name (which no reader lists),
        // migrated, closed, then renamed. A reader in another process (vigil events search)
        // never opens one whose schema is only partly there.
        const fs::path made = path.string() + ".new";
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(made.string() + suffix, ec);
        {
            auto db = open_migrated(made);
            if (!db) return tl::unexpected(std::move(db.error()));
        }
        if (::rename(made.c_str(), path.c_str()) != 0) {
            return MakeError(Code::kUnavailable, "creating event partition " + path.string() +
                                                     ": " + std::strerror(errno));
        }
        if (Status st = SyncDirectory(events_dir_); !st)
            return Fail(st, "creating event partition");
    }
    auto db = open_migrated(path);
    if (!db) return tl::unexpected(std::move(db.error()));
    auto p = std::make_unique<Partition>(Partition{std::move(*db), ++use_counter_});
    Partition* out = p.get();
    open_.emplace(day, std::move(p));
    return out;
}

int64_t SqliteEventStore::DoSearchTime(const StoredEvent& e) const {
    const int64_t t = e.event.time_ns;
    if (t == 0 || t < e.receive_ns - options_.max_event_age_ns ||
        t > e.receive_ns + options_.max_event_lead_ns) {
        return e.receive_ns;
    }
    return t;
}

void SqliteEventStore::DoPrepare(std::span<StoredEvent> events) const {
    std::string scratch;
    for (StoredEvent& e : events) PrepareEvent(e, scratch);
}

Result<AppendResult> SqliteEventStore::DoAppend(std::span<StoredEvent> events, int64_t now_ns) {
    if (options_.read_only) {
        return MakeError(Code::kFailedPrecondition, "the event store was opened read-only");
    }
    if (now_ns == 0) now_ns = Now();
    AppendResult result;

    // Search time and partition of every event; most batches fall on one day.
    std::vector<int64_t> times(events.size());
    std::vector<std::pair<int64_t, std::vector<size_t>>> by_day;  // (day start, events)
    for (size_t i = 0; i < events.size(); ++i) {
        StoredEvent& e = events[i];
        if (e.id.IsZero()) e.id = EventId::New(now_ns);
        if (e.receive_ns == 0) e.receive_ns = now_ns;
        const int64_t t = DoSearchTime(e);
        if (e.event.time_ns != 0 && t != e.event.time_ns) ++result.time_clamped;
        times[i] = t;
        const int64_t day = UtcDayStart(t);
        auto it = std::find_if(by_day.begin(), by_day.end(),
                               [day](const auto& d) { return d.first == day; });
        if (it == by_day.end()) it = by_day.insert(by_day.end(), {day, {}});
        it->second.push_back(i);
    }

    appends_waiting_.fetch_add(1);
    std::unique_lock lock(write_mu_);
    appends_waiting_.fetch_sub(1);
    if (auto st = DropCopiesFiledElsewhere(events, by_day, result); !st) {
        return Fail(st, "appending events");
    }
    std::string scratch;
    for (const auto& [day_start, indexes] : by_day) {
        if (indexes.empty()) continue;
        const std::string day = UtcDay(day_start);
        auto part = Writable(day);
        if (!part) return tl::unexpected(std::move(part.error()));
        Database& db = (*part)->db;
        auto tx = Transaction::Begin(db);
        if (!tx) return Fail(tx, "appending events to " + day);
        for (size_t at = 0; at < indexes.size();) {
            const size_t rows = RowsPerInsert(indexes.size() - at);
            auto stmt = db.Cached(EventsInsert().Sql(rows));
            if (!stmt) return Fail(stmt, "appending events");
            Statement& s = **stmt;
            Status st;
            for (size_t r = 0; r < rows && st; ++r) {
                const size_t i = indexes[at + r];
                StoredEvent& e = events[i];
                e.duplicate = false;
                if (!e.encoded.ready) PrepareEvent(e, scratch);
                const StoredEvent::Encoded& enc = e.encoded;
                result.fields_dropped += enc.fields_dropped;
                result.values_truncated += enc.values_truncated;
                result.utf8_repaired += enc.utf8_repaired;
                if (enc.raw_truncated) ++result.raw_truncated;
                const int p = EventsInsert().First(r);
                st = s.BindBlobUnowned(p, e.id.view());
                if (st) st = s.BindInt64(p + 1, times[i]);
                if (st) st = s.BindInt64(p + 2, e.event.time_ns);
                if (st) st = s.BindInt64(p + 3, e.receive_ns);
                if (st) st = s.BindTextUnowned(p + 4, e.source);
                if (st) st = s.BindTextUnowned(p + 5, e.host);
                if (st) st = s.BindTextUnowned(p + 6, e.event.logsource.product);
                if (st) st = s.BindTextUnowned(p + 7, e.event.logsource.service);
                if (st) st = s.BindTextUnowned(p + 8, enc.categories);
                if (st) st = s.BindBlobUnowned(p + 9, enc.fields);
                if (st) st = s.BindTextUnowned(p + 10, e.event.message);
            }
            if (st) st = s.Run();
            if (!st) return Fail(st, "appending events to " + day);
            // INSERT OR IGNORE: the rows not inserted hold an id the partition already has.
            const auto inserted = static_cast<size_t>(db.Changes());
            result.stored += inserted;
            result.duplicates += rows - inserted;
            if (inserted < rows) {
                if (auto st =
                        MarkDuplicates(db, events, std::span(indexes).subspan(at, rows), inserted);
                    !st) {
                    return Fail(st, "appending events to " + day);
                }
            }
            at += rows;
        }
        if (auto st = tx->Commit(); !st) return Fail(st, "appending events to " + day);
        unindexed_days_.insert(day);
    }
    if (indexer_.joinable() && result.stored > 0) {
        last_append_ms_ = SteadyMs();
        pending_index_rows_ += result.stored;
        {
            std::lock_guard il(index_mu_);
            index_wanted_ = true;
        }
        index_cv_.notify_one();
    }
    return result;
}

Status SqliteEventStore::DropCopiesFiledElsewhere(
    std::span<StoredEvent> events, std::vector<std::pair<int64_t, std::vector<size_t>>>& by_day,
    AppendResult& result) {
    std::vector<int64_t> days;
    // Whether a day's partition exists, looked up once per append (a batch read again after a
    // crash holds thousands of marked lines, mostly of one or two days).
    std::vector<std::pair<int64_t, bool>> partition_exists;
    const auto exists = [&](int64_t d) {
        for (const auto& [day, there] : partition_exists) {
            if (day == d) return there;
        }
        std::error_code ec;
        const bool there = fs::exists(PartitionPath(UtcDay(d)), ec);
        partition_exists.emplace_back(d, there);
        return there;
    };
    for (auto& [day_start, indexes] : by_day) {
        size_t kept = 0;
        for (size_t i : indexes) {
            StoredEvent& e = events[i];
            bool found = false;
            if (e.earlier_receipt_ns != 0) {
                // Filed then by its own time, or by that receipt: the days of both.
                days.clear();
                if (e.event.time_ns != 0) days.push_back(UtcDayStart(e.event.time_ns));
                for (int64_t d = UtcDayStart(e.earlier_receipt_ns - kEarlierReceiptSpanNs);
                     d <= e.earlier_receipt_ns + kEarlierReceiptSpanNs; d += kNsPerDay) {
                    days.push_back(d);
                }
                for (int64_t d : days) {
                    if (d == day_start || found || !exists(d)) continue;
                    auto part = Writable(UtcDay(d));
                    if (!part) return tl::unexpected(std::move(part.error()));
                    auto find = (*part)->db.Cached("SELECT 1 FROM events WHERE id = ?1");
                    if (!find) return tl::unexpected(std::move(find.error()));
                    Statement& s = **find;
                    if (Status st = s.BindBlobUnowned(1, e.id.view()); !st) return st;
                    auto step = s.Step();
                    s.Reset();
                    if (!step) return tl::unexpected(std::move(step.error()));
                    found = *step == Statement::StepResult::kRow;
                }
            }
            if (found) {
                e.duplicate = true;
                ++result.duplicates;
            } else {
                indexes[kept++] = i;
            }
        }
        indexes.resize(kept);
    }
    return Ok();
}

Result<size_t> SqliteEventStore::IndexPartition(const std::string& day, size_t max_rows) {
    if (!fs::exists(PartitionPath(day))) return size_t{0};  // dropped meanwhile
    auto part = Writable(day);
    if (!part) return tl::unexpected(std::move(part.error()));
    Database& db = (*part)->db;
    auto tx = Transaction::Begin(db);
    if (!tx) return Fail(tx, "indexing " + day);
    auto indexes = ReadTextIndexes(db);
    if (!indexes) return Fail(indexes, "indexing " + day);
    const int64_t rows = indexes->block_rows;
    const int64_t from = indexes->upto;
    auto max_seq = MaxSeq(db);
    if (!max_seq) return Fail(max_seq, "indexing " + day);
    const int64_t last = *max_seq;
    if (last <= from) return size_t{0};
    // This chunk indexes the rows from+1 .. to: about max_rows, up to the end of a block, or
    // up to the last row. Block b holds the rows b*rows .. b*rows+rows-1 after blk_from. When
    // from ends inside a block, that block's document holds its rows up to from: it is deleted
    // (a contentless table is told the text it indexed) and indexed again with the new rows.
    const int64_t chunk_end = ((from + static_cast<int64_t>(max_rows)) / rows + 1) * rows - 1;
    const int64_t to = std::min(last, chunk_end);
    const int64_t first_block = (from + 1) / rows;
    const int64_t low = std::max(first_block * rows, indexes->blk_from + 1);
    auto read = db.Cached(std::string(kSelect) + " WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq");
    auto insert = db.Cached("INSERT INTO events_blk(rowid, raw) VALUES (?1, ?2)");
    auto remove =
        db.Cached("INSERT INTO events_blk(events_blk, rowid, raw) VALUES ('delete', ?1, ?2)");
    if (!read) return Fail(read, "indexing " + day);
    if (!insert) return Fail(insert, "indexing " + day);
    if (!remove) return Fail(remove, "indexing " + day);
    Status st = (*read)->BindInt64(1, low);
    if (st) st = (*read)->BindInt64(2, to);
    if (!st) return Fail(st, "indexing " + day);
    std::string doc;
    // The first block's document as indexed up to from, when from ends inside it.
    std::optional<size_t> indexed_before;
    int64_t block = -1;
    auto flush = [&]() -> Status {
        if (block < 0) return Ok();
        Status s = Ok();
        if (indexed_before) {
            s = (*remove)->BindInt64(1, block);
            if (s)
                s = (*remove)->BindTextUnowned(2, std::string_view(doc).substr(0, *indexed_before));
            if (s) s = (*remove)->Run();
            indexed_before.reset();
        }
        if (s) s = (*insert)->BindInt64(1, block);
        if (s) s = (*insert)->BindTextUnowned(2, doc);
        if (s) s = (*insert)->Run();
        doc.clear();
        return s;
    };
    while (true) {
        auto step = (*read)->Step();
        if (!step) {
            (*read)->Reset();
            return Fail(step, "indexing " + day);
        }
        if (*step == Step::kDone) break;
        const int64_t seq = (*read)->ColumnInt64(kSeq);
        const int64_t b = seq / rows;
        if (b != block) {
            st = flush();
            if (!st) break;
            block = b;
            if (b >= indexes->exact_blk) doc.push_back(kExactValue);
        } else {
            doc.push_back(kRowBreak);
        }
        const std::string_view raw = (*read)->ColumnView(kRaw);
        doc.append(raw);
        // JSON's escapes decoded (text_index.h): the text a search also matches.
        if (raw.find('\\') != std::string_view::npos) {
            if (std::string decoded = DecodeJsonEscapes(raw); decoded != raw) {
                doc.append(1, kRowBreak).append(decoded);
            }
        }
        if (b >= indexes->exact_blk) {
            AppendExactValues(**read, doc);
        } else if (b >= indexes->values_blk) {
            AppendSearchableValues(**read, doc);
        }
        if (seq == from) indexed_before = doc.size();
    }
    (*read)->Reset();
    if (st) st = flush();
    if (!st) return Fail(st, "indexing " + day);
    auto update = db.Cached("UPDATE events_meta SET value = ?1 WHERE key = 'fts_upto'");
    if (!update) return Fail(update, "indexing " + day);
    st = (*update)->BindInt64(1, to);
    if (st) st = (*update)->Run();
    if (st) st = tx->Commit();
    if (!st) return Fail(st, "indexing " + day);
    return static_cast<size_t>(to - from);
}

Result<size_t> SqliteEventStore::IndexText(size_t max_rows) {
    if (options_.read_only) return size_t{0};
    std::lock_guard lock(write_mu_);
    size_t done = 0;
    while (done < max_rows && !unindexed_days_.empty()) {
        const std::string day = *unindexed_days_.rbegin();  // newest first
        auto n = IndexPartition(day, max_rows - done);
        if (!n) return tl::unexpected(std::move(n.error()));
        if (*n == 0) {
            unindexed_days_.erase(day);
            continue;
        }
        uncompacted_days_.insert(day);
        done += *n;
    }
    return done;
}

Result<bool> SqliteEventStore::CompactPartition(const std::string& day) {
    if (!fs::exists(PartitionPath(day))) return false;  // dropped meanwhile
    auto part = Writable(day);
    if (!part) return tl::unexpected(std::move(part.error()));
    Database& db = (*part)->db;
    auto tx = Transaction::Begin(db);
    if (!tx) return Fail(tx, "compacting the text index of " + day);
    // FTS5: 'merge' with N pages does up to N pages of merging; a step that changes fewer than
    // two rows found nothing left to merge. Every index that holds rows of the partition.
    auto indexes = ReadTextIndexes(db);
    if (!indexes) return Fail(indexes, "compacting the text index of " + day);
    std::vector<const char*> merges = {
        "INSERT INTO events_blk(events_blk, rank) VALUES('merge', 500)"};
    if (indexes->per_row)
        merges.push_back("INSERT INTO events_text(events_text, rank) VALUES('merge', 500)");
    if (indexes->positional)
        merges.push_back("INSERT INTO events_fts(events_fts, rank) VALUES('merge', 500)");
    bool more = false;
    for (const char* sql : merges) {
        const int64_t before = db.TotalChanges();
        auto merge = db.Cached(sql);
        if (!merge) return Fail(merge, "compacting the text index of " + day);
        if (Status st = (*merge)->Run(); !st) {
            return Fail(st, "compacting the text index of " + day);
        }
        more = more || db.TotalChanges() - before >= 2;
    }
    if (Status st = tx->Commit(); !st) return Fail(st, "compacting the text index of " + day);
    return more;
}

Result<size_t> SqliteEventStore::CompactText(size_t max_steps) {
    if (options_.read_only) return size_t{0};
    size_t steps = 0;
    while (steps < max_steps) {
        std::lock_guard lock(write_mu_);
        if (uncompacted_days_.empty()) break;
        const std::string day = *uncompacted_days_.rbegin();
        auto more = CompactPartition(day);
        if (!more) {
            uncompacted_days_.erase(day);  // retried after its next indexing
            return tl::unexpected(std::move(more.error()));
        }
        if (!*more) {
            uncompacted_days_.erase(day);
            continue;
        }
        ++steps;
    }
    return steps;
}

void SqliteEventStore::IndexLoop() {
    // Appends go on: one came within index_idle_ms.
    const auto appending = [&] {
        return SteadyMs() - last_append_ms_.load() < options_.index_idle_ms;
    };
    while (true) {
        {
            std::unique_lock lock(index_mu_);
            index_cv_.wait(lock, [&] { return stop_ || index_wanted_; });
            if (stop_) return;
            index_wanted_ = false;
        }
        // Chunks, each in its own transaction, so appends wait at most one chunk.
        while (true) {
            {
                std::lock_guard lock(index_mu_);
                if (stop_) return;
            }
            // Appends go first: the index may lag under load (searches scan what it has not
            // reached), an append must not wait behind it. Under a sustained load it waits for
            // a pause, unless the lag grows past index_max_lag_rows.
            while (pending_index_rows_.load() < options_.index_max_lag_rows && appending()) {
                {
                    std::lock_guard lock(index_mu_);
                    if (stop_) return;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            for (int i = 0; i < 1000 && appends_waiting_.load() > 0; ++i) {
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            }
            auto n =
                IndexText(appending() ? options_.index_busy_chunk_rows : options_.index_chunk_rows);
            if (n) pending_index_rows_ -= std::min<uint64_t>(pending_index_rows_.load(), *n);
            if (!n || *n == 0) break;  // an error is retried on the next append
        }
        // Caught up: compact the index a step at a time while nothing new waits for it.
        while (pending_index_rows_.load() == 0) {
            {
                std::lock_guard lock(index_mu_);
                if (stop_ || index_wanted_) break;
            }
            for (int i = 0; i < 1000 && appends_waiting_.load() > 0; ++i) {
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            }
            auto steps = CompactText(1);
            if (!steps || *steps == 0) break;
        }
    }
}

Result<SearchPage> SqliteEventStore::DoSearch(const SearchQuery& q, const ProgressFn& report) {
    SearchPage page;
    ScanRange range{q.since_ns, q.until_ns, std::nullopt};
    if (!q.cursor.empty()) {
        auto c = ParseCursor(q.cursor);
        if (!c) return tl::unexpected(std::move(c.error()));
        range.before = *c;
    }
    std::vector<PartitionFile> parts;
    for (PartitionFile& p : ListPartitions(events_dir_)) {
        const int64_t end = p.start_ns + kNsPerDay;
        if (end <= q.since_ns || p.start_ns >= q.until_ns) continue;
        if (range.before && p.start_ns > range.before->first) continue;
        parts.push_back(std::move(p));
    }
    SearchProgress progress;
    progress.partitions_total = parts.size();
    int64_t last_time = 0, last_seq = 0;
    bool more = false;
    for (const PartitionFile& p : parts) {
        if (report && !report(progress)) return MakeError(Code::kCancelled, "search cancelled");
        auto db = OpenReader(p.path, "events", PartitionMigrations(), options_.read_only);
        if (!db) {
            if (db.error().code == Code::kNotFound) continue;  // dropped by retention meanwhile
            return Fail(db, "searching");
        }
        const size_t wanted = q.limit + 1 - page.hits.size();  // one more tells of a next page
        auto ok = ScanPartition(*db, q, range, wanted, progress, report, [&](const Statement& row) {
            if (page.hits.size() == q.limit) {
                more = true;
                return false;
            }
            SearchHit& hit = page.hits.emplace_back();
            ReadHit(row, hit);
            last_time = hit.time_ns;
            last_seq = row.ColumnInt64(kSeq);
            return true;
        });
        if (!ok) return tl::unexpected(std::move(ok.error()));
        if (!*ok) return MakeError(Code::kCancelled, "search cancelled");
        ++progress.partitions_done;
        ++page.partitions;
        if (more) break;
    }
    page.scanned = progress.scanned;
    if (more) page.next_cursor = MakeCursor(last_time, last_seq);
    return page;
}

Result<TimeHistogram> SqliteEventStore::DoHistogram(const HistogramQuery& hq,
                                                    const ProgressFn& report) {
    const SearchQuery& q = hq.filter;
    TimeHistogram h;
    h.since_ns = q.since_ns;
    h.bucket_ns = hq.bucket_ns;
    h.counts.assign(
        static_cast<size_t>((q.until_ns - q.since_ns + hq.bucket_ns - 1) / hq.bucket_ns), 0);
    ScanRange range{q.since_ns, q.until_ns, std::nullopt};
    std::vector<PartitionFile> parts;
    for (PartitionFile& p : ListPartitions(events_dir_)) {
        if (p.start_ns + kNsPerDay <= q.since_ns || p.start_ns >= q.until_ns) continue;
        parts.push_back(std::move(p));
    }
    SearchProgress progress;
    progress.partitions_total = parts.size();
    for (const PartitionFile& p : parts) {
        if (report && !report(progress)) return MakeError(Code::kCancelled, "cancelled");
        auto db = OpenReader(p.path, "events", PartitionMigrations(), options_.read_only);
        if (!db) {
            if (db.error().code == Code::kNotFound) continue;
            return Fail(db, "counting");
        }
        if (q.where.empty() && q.text.empty()) {
            // Nothing to look at per row: let SQLite count on the time index.
            auto stmt = db->Prepare(
                "SELECT (time_ns - ?1) / ?3, count(*) FROM events "
                "WHERE time_ns >= ?1 AND time_ns < ?2 GROUP BY 1");
            if (!stmt) return Fail(stmt, "counting");
            Status st = stmt->BindInt64(1, q.since_ns);
            if (st) st = stmt->BindInt64(2, q.until_ns);
            if (st) st = stmt->BindInt64(3, hq.bucket_ns);
            if (!st) return Fail(st, "counting");
            while (true) {
                auto step = stmt->Step();
                if (!step) return Fail(step, "counting " + p.path.string());
                if (*step == Step::kDone) break;
                const auto b = static_cast<size_t>(stmt->ColumnInt64(0));
                const auto n = static_cast<uint64_t>(stmt->ColumnInt64(1));
                if (b < h.counts.size()) h.counts[b] += n;
                h.total += n;
                progress.scanned += n;
            }
        } else {
            auto ok = ScanPartition(*db, q, range, 0, progress, report, [&](const Statement& row) {
                const auto b =
                    static_cast<size_t>((row.ColumnInt64(kTime) - q.since_ns) / hq.bucket_ns);
                if (b < h.counts.size()) ++h.counts[b];
                ++h.total;
                return true;
            });
            if (!ok) return tl::unexpected(std::move(ok.error()));
            if (!*ok) return MakeError(Code::kCancelled, "cancelled");
        }
        ++progress.partitions_done;
    }
    return h;
}

Result<std::vector<SearchHit>> SqliteEventStore::DoGetEvents(const EventLookup& lookup) {
    std::vector<EventId> ids;
    for (const EventId& id : lookup.ids) {
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    // Partitions in the order they are read: the hint's day and its neighbours; those an id's
    // own time allows (an event lands within [received - max age, received + max lead]; the
    // store's ids are UUIDv7s of about the receive time, a day of slack either side); then
    // the rest, newest first (ids from elsewhere carry no time).
    std::vector<int64_t> id_times;
    for (const EventId& id : ids) {
        if (auto t = id.UuidV7TimeNs()) id_times.push_back(*t);
    }
    auto rank = [&](const PartitionFile& p) {
        if (lookup.time_hint_ns != 0 &&
            std::abs(p.start_ns - UtcDayStart(lookup.time_hint_ns)) <= kNsPerDay) {
            return 0;
        }
        for (const int64_t t : id_times) {
            if (p.start_ns + kNsPerDay > t - options_.max_event_age_ns - kNsPerDay &&
                p.start_ns <= t + options_.max_event_lead_ns + kNsPerDay) {
                return 1;
            }
        }
        return 2;
    };
    std::vector<std::pair<int, PartitionFile>> parts;  // (rank, partition), newest first
    for (PartitionFile& p : ListPartitions(events_dir_)) {
        const int r = rank(p);
        parts.emplace_back(r, std::move(p));
    }
    std::stable_sort(parts.begin(), parts.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::optional<SearchHit>> found(ids.size());
    size_t missing = ids.size();
    for (const auto& [r, p] : parts) {
        if (missing == 0) break;
        auto db = OpenReader(p.path, "events", PartitionMigrations(), options_.read_only);
        if (!db) {
            if (db.error().code == Code::kNotFound) continue;  // dropped by retention meanwhile
            return Fail(db, "looking events up");
        }
        auto stmt = db->Prepare(std::string(kSelect) + " WHERE id = ?1");
        if (!stmt) return Fail(stmt, "looking events up");
        for (size_t i = 0; i < ids.size(); ++i) {
            if (found[i]) continue;
            if (Status st = stmt->BindBlob(1, ids[i].view()); !st) {
                return Fail(st, "looking events up");
            }
            auto step = stmt->Step();
            if (!step) return Fail(step, "looking events up in " + p.path.string());
            if (*step == Step::kRow) {
                ReadHit(*stmt, found[i].emplace());
                --missing;
            }
            stmt->Reset();
        }
    }
    std::vector<SearchHit> out;
    for (auto& hit : found) {
        if (hit) out.push_back(std::move(*hit));
    }
    return out;
}

Result<size_t> SqliteEventStore::DoDropPartitionsBefore(int64_t before_ns, int64_t now_ns) {
    if (options_.read_only) {
        return MakeError(Code::kFailedPrecondition, "the event store was opened read-only");
    }
    if (now_ns == 0) now_ns = Now();
    const std::string today = UtcDay(now_ns);
    std::lock_guard lock(write_mu_);
    size_t dropped = 0;
    for (const PartitionFile& p : ListPartitions(events_dir_)) {
        if (p.start_ns + kNsPerDay > before_ns || p.day == today) continue;
        open_.erase(p.day);
        unindexed_days_.erase(p.day);
        // The database first: without it the sidecars are meaningless, and a crash half-way
        // leaves at most stray -wal/-shm files that the next run removes with it.
        std::error_code ec;
        fs::remove(p.path, ec);
        if (ec) {
            return MakeError(Code::kUnavailable,
                             "cannot remove " + p.path.string() + ": " + ec.message());
        }
        for (const char* suffix : {"-wal", "-shm", "-journal"}) {
            fs::remove(fs::path(p.path.string() + suffix), ec);
        }
        ++dropped;
    }
    // Stray sidecars of partitions removed by an interrupted run.
    std::error_code ec;
    for (fs::directory_iterator it(events_dir_, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        for (std::string_view suffix : {"-wal", "-shm", "-journal"}) {
            if (!EndsWith(name, suffix)) continue;
            const std::string base = name.substr(0, name.size() - suffix.size());
            if (PartitionDayStart(base) && !fs::exists(events_dir_ / base)) {
                std::error_code rm;
                fs::remove(it->path(), rm);
            }
        }
    }
    return dropped;
}

Result<Database*> SqliteEventStore::DetectionsDb() {
    if (detections_) return detections_.get();
    OpenOptions open;
    open.synchronous_full = options_.sync_commits;
    const fs::path path = events_dir_ / kDetectionsFile;
    auto db = Database::Open(path, open);
    if (!db) return Fail(db, "opening the detections database");
    // A brute force raises a detection per event: with SQLite's default 2 MB cache the
    // table's and its three indexes' pages spilled to the WAL in mid-transaction and were
    // read back. 16 MiB of cache and an 8 MiB WAL (2,048 pages of 4 KiB) keep them in memory.
    if (auto st = db->Exec("PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=2048;"); !st) {
        return Fail(st, "opening " + path.string());
    }
    if (auto m = Migrate(*db, "detections", DetectionMigrationList()); !m) {
        return Fail(m, "opening " + path.string());
    }
    detections_ = std::make_unique<Database>(std::move(*db));
    return detections_.get();
}

Result<size_t> SqliteEventStore::DoAppendDetections(std::span<Detection> detections,
                                                    int64_t now_ns) {
    if (options_.read_only) {
        return MakeError(Code::kFailedPrecondition, "the event store was opened read-only");
    }
    if (now_ns == 0) now_ns = Now();
    std::lock_guard lock(detections_mu_);
    auto db = DetectionsDb();
    if (!db) return tl::unexpected(std::move(db.error()));
    auto tx = Transaction::Begin(**db);
    if (!tx) return Fail(tx, "storing detections");
    size_t stored = 0;
    std::string ids, scratch;
    size_t repaired = 0;
    bool cut = false;
    // Many rows per INSERT, as for events (a brute force raises a detection per event).
    for (size_t at = 0; at < detections.size();) {
        const size_t rows = RowsPerInsert(detections.size() - at);
        auto stmt = (*db)->Cached(DetectionsInsert().Sql(rows));
        if (!stmt) return Fail(stmt, "storing detections");
        Statement& s = **stmt;
        Status st;
        for (size_t r = 0; r < rows && st; ++r) {
            Detection& d = detections[at + r];
            if (d.id.IsZero()) d.id = EventId::New(now_ns);
            if (d.created_ns == 0) d.created_ns = now_ns;
            if (d.status.empty()) d.status = "new";
            ids = "[";
            for (size_t i = 0; i < d.event_ids.size() && i < kMaxDetectionEvents; ++i) {
                if (i > 0) ids += ",";
                ids += '"';
                ids += d.event_ids[i].ToString();
                ids += '"';
            }
            ids += "]";
            const int p = DetectionsInsert().First(r);
            st = s.BindBlob(p, d.id.view());
            int index = p + 1;
            for (const std::string* t : {&d.rule_id, &d.rule_title, &d.level}) {
                if (st) {
                    st = s.BindText(index,
                                    SafeText(*t, kMaxStoredShortTextBytes, scratch, cut, repaired));
                }
                ++index;
            }
            if (st) st = s.BindInt64(p + 4, d.time_ns);
            if (st) st = s.BindInt64(p + 5, d.created_ns);
            if (st) st = s.BindText(p + 6, SafeText(d.status, 64, scratch, cut, repaired));
            if (st) st = s.BindText(p + 7, ids);
        }
        if (st) st = s.Run();
        if (!st) return Fail(st, "storing detections");
        stored += static_cast<size_t>((*db)->Changes());
        at += rows;
    }
    if (auto st = tx->Commit(); !st) return Fail(st, "storing detections");
    return stored;
}

Result<size_t> SqliteEventStore::DoDeleteDetectionsBefore(int64_t before_ns) {
    if (options_.read_only) {
        return MakeError(Code::kFailedPrecondition, "the event store was opened read-only");
    }
    // Old by its event's time and by when it was raised: a sender can date its lines up to 30
    // days back (max_event_age), and must not have its detections deleted at the next pass.
    // Rows per DELETE: each is its own transaction, so a retention run after a flood of
    // detections lets the pipeline's appends in between.
    constexpr int64_t kChunk = 10000;
    size_t deleted = 0;
    for (;;) {
        std::lock_guard lock(detections_mu_);
        if (!detections_ && !fs::exists(events_dir_ / kDetectionsFile)) return deleted;
        auto db = DetectionsDb();
        if (!db) return tl::unexpected(std::move(db.error()));
        auto stmt = (*db)->Cached(
            "DELETE FROM detections WHERE seq IN (SELECT seq FROM detections WHERE time_ns < ?1 "
            "AND created_ns < ?1 LIMIT ?2)");
        if (!stmt) return Fail(stmt, "deleting old detections");
        Status st = (*stmt)->BindInt64(1, before_ns);
        if (st) st = (*stmt)->BindInt64(2, kChunk);
        if (st) st = (*stmt)->Run();
        if (!st) return Fail(st, "deleting old detections");
        const auto n = static_cast<size_t>((*db)->Changes());
        deleted += n;
        if (n < static_cast<size_t>(kChunk)) return deleted;
    }
}

Result<DetectionPage> SqliteEventStore::DoListDetections(const DetectionQuery& q) {
    DetectionPage page;
    std::optional<std::pair<int64_t, int64_t>> before;
    if (!q.cursor.empty()) {  // a bad cursor is an error whether or not there is a detection
        auto c = ParseCursor(q.cursor);
        if (!c) return tl::unexpected(std::move(c.error()));
        before = *c;
    }
    const fs::path path = events_dir_ / kDetectionsFile;
    if (!fs::exists(path)) return page;
    auto db = OpenReader(path, "detections", DetectionMigrationList(), options_.read_only);
    if (!db) return Fail(db, "listing detections");
    std::string sql =
        "SELECT seq, id, rule_id, rule_title, level, time_ns, created_ns, status, event_ids "
        "FROM detections WHERE time_ns >= ?1";
    if (before) sql += " AND time_ns <= ?2 AND (time_ns < ?2 OR seq < ?3)";
    if (!q.status.empty()) sql += " AND status = ?4";
    sql += " ORDER BY time_ns DESC, seq DESC LIMIT ?5";
    auto stmt = db->Prepare(sql);
    if (!stmt) return Fail(stmt, "listing detections");
    Status st = stmt->BindInt64(1, q.since_ns);
    if (st && before) st = stmt->BindInt64(2, before->first);
    if (st && before) st = stmt->BindInt64(3, before->second);
    if (st && !q.status.empty()) st = stmt->BindText(4, q.status);
    if (st) st = stmt->BindInt64(5, static_cast<int64_t>(q.limit + 1));
    if (!st) return Fail(st, "listing detections");
    int64_t last_time = 0, last_seq = 0;
    while (true) {
        auto step = stmt->Step();
        if (!step) return Fail(step, "listing detections");
        if (*step == Step::kDone) break;
        if (page.detections.size() == q.limit) {
            page.next_cursor = MakeCursor(last_time, last_seq);
            break;
        }
        Detection& d = page.detections.emplace_back();
        std::string_view id = stmt->ColumnView(1);
        if (id.size() == d.id.bytes.size()) std::copy(id.begin(), id.end(), d.id.bytes.begin());
        d.rule_id = stmt->ColumnText(2);
        d.rule_title = stmt->ColumnText(3);
        d.level = stmt->ColumnText(4);
        d.time_ns = stmt->ColumnInt64(5);
        d.created_ns = stmt->ColumnInt64(6);
        d.status = stmt->ColumnText(7);
        // The ids were written by DoAppendDetections as ["uuid",...].
        std::string_view ids = stmt->ColumnView(8);
        for (size_t pos = ids.find('"'); pos != std::string_view::npos;) {
            const size_t end = ids.find('"', pos + 1);
            if (end == std::string_view::npos) break;
            if (auto e = EventId::Parse(ids.substr(pos + 1, end - pos - 1))) {
                d.event_ids.push_back(*e);
            }
            pos = ids.find('"', end + 1);
        }
        last_time = d.time_ns;
        last_seq = stmt->ColumnInt64(0);
    }
    return page;
}

Result<StoreStats> SqliteEventStore::DoStats() {
    StoreStats stats;
    auto parts = ListPartitions(events_dir_);
    std::reverse(parts.begin(), parts.end());
    for (const PartitionFile& p : parts) {
        PartitionInfo info;
        info.day = p.day;
        info.path = p.path.string();
        info.bytes = FileBytes(p.path) + FileBytes(p.path.string() + "-wal");
        auto db = OpenReader(p.path, "events", PartitionMigrations(), options_.read_only);
        if (!db) {
            if (db.error().code == Code::kNotFound) continue;
            return Fail(db, "reading partition statistics");
        }
        auto stmt = db->Prepare(
            "SELECT count(*), min(time_ns), max(time_ns), "
            "(SELECT count(*) FROM events WHERE seq > "
            "(SELECT value FROM events_meta WHERE key = 'fts_upto')) FROM events");
        if (!stmt) return Fail(stmt, "reading partition statistics");
        auto step = stmt->Step();
        if (!step) return Fail(step, "reading " + p.path.string());
        info.events = static_cast<uint64_t>(stmt->ColumnInt64(0));
        info.min_time_ns = stmt->ColumnInt64(1);
        info.max_time_ns = stmt->ColumnInt64(2);
        info.unindexed = static_cast<uint64_t>(stmt->ColumnInt64(3));
        stats.events += info.events;
        stats.bytes += info.bytes;
        stats.partitions.push_back(std::move(info));
    }
    const fs::path det = events_dir_ / kDetectionsFile;
    if (fs::exists(det)) {
        auto db = OpenReader(det, "detections", DetectionMigrationList(), options_.read_only);
        if (!db) return Fail(db, "reading detection statistics");
        auto stmt = db->Prepare("SELECT count(*) FROM detections");
        if (!stmt) return Fail(stmt, "reading detection statistics");
        auto step = stmt->Step();
        if (!step) return Fail(step, "reading detection statistics");
        stats.detections = static_cast<uint64_t>(stmt->ColumnInt64(0));
        stats.bytes += FileBytes(det) + FileBytes(det.string() + "-wal");
    }
    return stats;
}

}  // namespace vigil::store
