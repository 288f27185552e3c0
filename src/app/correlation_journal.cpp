#include "app/correlation_journal.h"

#include <algorithm>
#include <string_view>
#include <unordered_set>

#include "base/bytes.h"
#include "store/database.h"

namespace vigil::app {

namespace {

// Appends the blob's entries to out; false when it is damaged (what was read stays).
bool Decode(std::string_view blob, std::vector<CorrelationFeedEntry>& out) {
    ByteReader r(blob);
    while (!r.done()) {
        CorrelationFeedEntry e;
        uint64_t time = 0;
        uint32_t fields = 0;
        std::string_view rule_id, rule_name, event;
        if (!r.Le64(time) || !r.LenPrefixed(rule_id) || !r.LenPrefixed(rule_name) ||
            !r.Bytes(e.event.bytes.size(), event) || !r.Le32(fields)) {
            return false;
        }
        e.time_ns = static_cast<int64_t>(time);
        e.rule_id.assign(rule_id);
        e.rule_name.assign(rule_name);
        std::copy(event.begin(), event.end(), e.event.bytes.begin());
        for (uint32_t i = 0; i < fields; ++i) {
            std::string_view name, value;
            if (!r.LenPrefixed(name) || !r.LenPrefixed(value)) return false;
            e.fields.emplace_back(std::string(name), std::string(value));
        }
        out.push_back(std::move(e));
    }
    return true;
}

}  // namespace

// A batch's entries in one blob: per entry time (8 bytes), rule id, rule name, event id
// (16 bytes), field count, then name and value per field; strings as u32 length + bytes, all
// little-endian. One row per stored batch keeps the journal's cost per match to a copy.
void CorrelationFeed::Add(int64_t time_ns, std::string_view rule_id, std::string_view rule_name,
                          const store::EventId& event) {
    newest_ns_ = entries_ == 0 ? time_ns : std::max(newest_ns_, time_ns);
    ++entries_;
    PutLe64(data_, static_cast<uint64_t>(time_ns));
    PutLenPrefixed(data_, rule_id);
    PutLenPrefixed(data_, rule_name);
    data_.append(event.view());
    fields_at_ = data_.size();
    fields_ = 0;
    PutLe32(data_, 0);
}

void CorrelationFeed::AddField(std::string_view name, std::string_view value) {
    if (entries_ == 0) return;  // a field belongs to the last entry: there is none
    PutLenPrefixed(data_, name);
    PutLenPrefixed(data_, value);
    SetLe32(data_, fields_at_, ++fields_);
}

void CorrelationFeed::Add(const CorrelationFeedEntry& e) {
    Add(e.time_ns, e.rule_id, e.rule_name, e.event);
    for (const auto& [name, value] : e.fields) AddField(name, value);
}

void CorrelationFeed::clear() {
    data_.clear();
    entries_ = 0;
    fields_at_ = 0;
    fields_ = 0;
    newest_ns_ = 0;
}

struct CorrelationJournal::Impl {
    store::Database db;
    size_t max_rows = 0;
    uint64_t entries = 0;  // in the file: counted at Open and after a prune, kept by Append

    Status Count();
    Status Trim();
};

Status CorrelationJournal::Impl::Count() {
    auto sum = db.Cached("SELECT IFNULL(SUM(entries), 0) FROM feed");
    if (!sum) return tl::unexpected(std::move(sum.error()));
    auto step = (*sum)->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    const int64_t n = *step == store::Statement::StepResult::kRow ? (*sum)->ColumnInt64(0) : 0;
    (*sum)->Reset();
    entries = n > 0 ? static_cast<uint64_t>(n) : 0;
    return Ok();
}

// Drops the oldest batches until at most max_rows entries are left, never the newest batch (a
// batch bigger than the bound alone is cut when it is loaded). Reads only the rows it drops and
// one more, so running it after every append costs no more than the appends did.
Status CorrelationJournal::Impl::Trim() {
    if (entries <= max_rows) return Ok();
    auto newest = db.Cached("SELECT IFNULL(MAX(seq), 0) FROM feed");
    if (!newest) return tl::unexpected(std::move(newest.error()));
    auto step = (*newest)->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    const int64_t newest_seq =
        *step == store::Statement::StepResult::kRow ? (*newest)->ColumnInt64(0) : 0;
    (*newest)->Reset();
    auto rows = db.Cached("SELECT seq, entries FROM feed ORDER BY seq");
    if (!rows) return tl::unexpected(std::move(rows.error()));
    uint64_t left = entries;
    int64_t cut = -1;
    while (left > max_rows) {
        auto row = (*rows)->Step();
        if (!row) {
            (*rows)->Reset();
            return tl::unexpected(std::move(row.error()));
        }
        if (*row == store::Statement::StepResult::kDone) break;
        const int64_t seq = (*rows)->ColumnInt64(0);
        if (seq >= newest_seq) break;
        const auto n = static_cast<uint64_t>(std::max<int64_t>((*rows)->ColumnInt64(1), 0));
        left -= std::min(n, left);
        cut = seq;
    }
    (*rows)->Reset();
    if (cut < 0) return Ok();
    auto del = db.Cached("DELETE FROM feed WHERE seq <= ?1");
    if (!del) return tl::unexpected(std::move(del.error()));
    if (auto st = (*del)->BindInt64(1, cut); !st) return st;
    if (auto st = (*del)->Run(); !st) return st;
    entries = left;
    return Ok();
}

CorrelationJournal::CorrelationJournal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CorrelationJournal::~CorrelationJournal() = default;

Result<std::unique_ptr<CorrelationJournal>> CorrelationJournal::Open(
    const std::filesystem::path& path, size_t max_rows) {
    auto db = store::Database::Open(path);
    if (!db) return tl::unexpected(std::move(db.error()).WithContext("correlation feed"));
    // One row per stored batch: its entries, how many, and the newest entry's time.
    if (auto st = db->Exec("CREATE TABLE IF NOT EXISTS feed ("
                           " seq INTEGER PRIMARY KEY,"
                           " newest_ns INTEGER NOT NULL,"
                           " entries INTEGER NOT NULL,"
                           " data BLOB NOT NULL);");
        !st) {
        return tl::unexpected(
            std::move(st.error()).WithContext("correlation feed " + path.string()));
    }
    auto impl = std::make_unique<Impl>(Impl{std::move(*db), max_rows});
    if (auto st = impl->Count(); !st) {
        return tl::unexpected(
            std::move(st.error()).WithContext("correlation feed " + path.string()));
    }
    return std::unique_ptr<CorrelationJournal>(new CorrelationJournal(std::move(impl)));
}

Status CorrelationJournal::Append(const CorrelationFeed& feed) {
    if (feed.empty()) return Ok();
    auto stmt = impl_->db.Cached("INSERT INTO feed (newest_ns, entries, data) VALUES (?1, ?2, ?3)");
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    store::Statement& s = **stmt;
    if (auto st = s.BindInt64(1, feed.newest_ns()); !st) return st;
    if (auto st = s.BindInt64(2, static_cast<int64_t>(feed.entries())); !st) return st;
    if (auto st = s.BindBlobUnowned(3, feed.data()); !st) return st;
    if (auto st = s.Run(); !st) return st;
    // The bound holds as batches come, not only when the once-a-minute prune runs: a burst of
    // matches would otherwise stay in full, and a restart would read all of it.
    impl_->entries += feed.entries();
    return impl_->Trim();
}

Status CorrelationJournal::Append(const std::vector<CorrelationFeedEntry>& entries) {
    CorrelationFeed feed;
    for (const auto& e : entries) feed.Add(e);
    return Append(feed);
}

Result<std::vector<CorrelationFeedEntry>> CorrelationJournal::Load(int64_t keep_ns,
                                                                   int64_t now_ns) {
    // The window: keep_ns before the newest entry, or before now if that is earlier.
    auto from = impl_->db.Prepare("SELECT min(IFNULL(MAX(newest_ns), 0), ?2) - ?1 FROM feed");
    if (!from) return tl::unexpected(std::move(from.error()));
    if (auto st = from->BindInt64(1, keep_ns); !st) return tl::unexpected(std::move(st.error()));
    if (auto st = from->BindInt64(2, now_ns); !st) return tl::unexpected(std::move(st.error()));
    auto first = from->Step();
    if (!first) return tl::unexpected(std::move(first.error()));
    if (*first != store::Statement::StepResult::kRow) return std::vector<CorrelationFeedEntry>{};
    const int64_t since = from->ColumnInt64(0);

    // Newest batch first, until max_rows entries within the window are read: whatever the file
    // holds (one written before the bound was kept on append, too), a start reads no more.
    auto stmt = impl_->db.Prepare("SELECT data FROM feed WHERE newest_ns >= ?1 ORDER BY seq DESC");
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    if (auto st = stmt->BindInt64(1, since); !st) return tl::unexpected(std::move(st.error()));
    std::vector<std::vector<CorrelationFeedEntry>> batches;  // newest first
    std::vector<CorrelationFeedEntry> batch;
    size_t read = 0;
    while (read < impl_->max_rows) {
        auto step = stmt->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == store::Statement::StepResult::kDone) break;
        batch.clear();
        (void)Decode(stmt->ColumnView(0), batch);  // a damaged row gives what it holds
        std::erase_if(batch, [&](const CorrelationFeedEntry& e) { return e.time_ns < since; });
        if (batch.empty()) continue;
        read += batch.size();
        batches.push_back(std::move(batch));
        batch = {};
    }
    // The oldest batch read gives only its newest entries beyond the bound.
    size_t skip = read > impl_->max_rows ? read - impl_->max_rows : 0;

    // In the order fed; the same (rule, event) once (a batch stored twice across a crash).
    std::vector<CorrelationFeedEntry> out;
    out.reserve(read - skip);
    std::unordered_set<std::string> seen;
    for (auto b = batches.rbegin(); b != batches.rend(); ++b) {
        for (auto& e : *b) {
            if (skip > 0) {
                --skip;
                continue;
            }
            std::string key = e.rule_id + '\n' + e.rule_name + '\n' + std::string(e.event.view());
            if (!seen.insert(std::move(key)).second) continue;
            out.push_back(std::move(e));
        }
        b->clear();
        b->shrink_to_fit();
    }
    return out;
}

Status CorrelationJournal::Prune(int64_t before_ns) {
    auto old = impl_->db.Cached("DELETE FROM feed WHERE newest_ns < ?1");
    if (!old) return tl::unexpected(std::move(old.error()));
    if (auto st = (*old)->BindInt64(1, before_ns); !st) return st;
    if (auto st = (*old)->Run(); !st) return st;
    // At most max_rows entries: the oldest batches go first.
    if (auto st = impl_->Count(); !st) return st;
    return impl_->Trim();
}

}  // namespace vigil::app
