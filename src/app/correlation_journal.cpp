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
};

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
    return s.Run();
}

Status CorrelationJournal::Append(const std::vector<CorrelationFeedEntry>& entries) {
    CorrelationFeed feed;
    for (const auto& e : entries) feed.Add(e);
    return Append(feed);
}

Result<std::vector<CorrelationFeedEntry>> CorrelationJournal::Load(int64_t keep_ns,
                                                                   int64_t now_ns) {
    std::vector<CorrelationFeedEntry> all;
    auto stmt = impl_->db.Prepare(
        "SELECT data FROM feed WHERE newest_ns >= min((SELECT IFNULL(MAX(newest_ns), 0) FROM feed),"
        " ?2) - ?1 ORDER BY seq");
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    if (auto st = stmt->BindInt64(1, keep_ns); !st) return tl::unexpected(std::move(st.error()));
    if (auto st = stmt->BindInt64(2, now_ns); !st) return tl::unexpected(std::move(st.error()));
    int64_t newest = 0;
    for (;;) {
        auto step = stmt->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == store::Statement::StepResult::kDone) break;
        (void)Decode(stmt->ColumnView(0), all);  // a damaged row gives what it holds
    }
    for (const auto& e : all) newest = std::max(newest, e.time_ns);
    newest = std::min(newest, now_ns);
    // Within the window; the same (rule, event) once (a batch stored twice across a crash).
    std::vector<CorrelationFeedEntry> out;
    std::unordered_set<std::string> seen;
    for (auto& e : all) {
        if (e.time_ns < newest - keep_ns) continue;
        std::string key = e.rule_id + '\n' + e.rule_name + '\n' + std::string(e.event.view());
        if (!seen.insert(std::move(key)).second) continue;
        out.push_back(std::move(e));
    }
    return out;
}

Status CorrelationJournal::Prune(int64_t before_ns) {
    auto old = impl_->db.Cached("DELETE FROM feed WHERE newest_ns < ?1");
    if (!old) return tl::unexpected(std::move(old.error()));
    if (auto st = (*old)->BindInt64(1, before_ns); !st) return st;
    if (auto st = (*old)->Run(); !st) return st;
    // At most max_rows entries: the oldest batches go first.
    auto rows = impl_->db.Cached("SELECT seq, entries FROM feed ORDER BY seq DESC");
    if (!rows) return tl::unexpected(std::move(rows.error()));
    uint64_t kept = 0;
    int64_t cut = -1;
    for (;;) {
        auto step = (*rows)->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == store::Statement::StepResult::kDone) break;
        kept += static_cast<uint64_t>((*rows)->ColumnInt64(1));
        if (kept > impl_->max_rows) {
            cut = (*rows)->ColumnInt64(0);
            break;
        }
    }
    (*rows)->Reset();
    if (cut < 0) return Ok();
    auto del = impl_->db.Cached("DELETE FROM feed WHERE seq <= ?1");
    if (!del) return tl::unexpected(std::move(del.error()));
    if (auto st = (*del)->BindInt64(1, cut); !st) return st;
    return (*del)->Run();
}

}  // namespace vigil::app
