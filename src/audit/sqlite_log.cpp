#include "audit/sqlite_log.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <variant>

#include "audit/export.h"

namespace vigil::audit {

namespace {

using store::Statement;
using Step = Statement::StepResult;

// Applied migrations are never edited: a schema change is a new entry at the end.
const std::vector<store::Migration>& Migrations() {
    static const std::vector<store::Migration> kMigrations = {
        {1, "audit records and checkpoints",
         R"sql(
CREATE TABLE audit_records (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    time_ns INTEGER NOT NULL,
    actor TEXT NOT NULL,
    "action" TEXT NOT NULL,
    object TEXT NOT NULL,
    "before" TEXT NOT NULL,
    "after" TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    result TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_records_time ON audit_records(time_ns);
CREATE TABLE audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    time_ns INTEGER NOT NULL,
    signature TEXT NOT NULL,
    key_id TEXT NOT NULL
);
CREATE TABLE audit_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    time_ns INTEGER NOT NULL,
    signature TEXT NOT NULL,
    key_id TEXT NOT NULL
);
)sql"},
    };
    return kMigrations;
}

constexpr std::string_view kSelectRecords =
    "SELECT seq, time_ns, actor, \"action\", object, \"before\", \"after\", source_ip, result, "
    "detail, prev_hash, hash FROM audit_records WHERE seq >= ?1 ORDER BY seq";

void ReadRecord(const Statement& s, Record& r) {
    r.seq = static_cast<uint64_t>(s.ColumnInt64(0));
    r.time_ns = s.ColumnInt64(1);
    r.actor = s.ColumnText(2);
    r.action = s.ColumnText(3);
    r.object = s.ColumnText(4);
    r.before = s.ColumnText(5);
    r.after = s.ColumnText(6);
    r.source_ip = s.ColumnText(7);
    r.result = s.ColumnText(8);
    r.detail = s.ColumnText(9);
    r.prev_hash = s.ColumnText(10);
    r.hash = s.ColumnText(11);
}

Checkpoint ReadCheckpoint(const Statement& s) {
    Checkpoint cp;
    cp.seq = static_cast<uint64_t>(s.ColumnInt64(0));
    cp.hash = s.ColumnText(1);
    cp.time_ns = s.ColumnInt64(2);
    cp.signature = s.ColumnText(3);
    cp.key_id = s.ColumnText(4);
    return cp;
}

// Seq numbers are stored as SQLite integers (signed 64 bit).
Result<int64_t> SeqParam(uint64_t seq) {
    if (seq > static_cast<uint64_t>(INT64_MAX)) return InvalidArgument("seq out of range");
    return static_cast<int64_t>(seq);
}

bool SameState(const ChainState& a, const ChainState& b) {
    return a.last_seq == b.last_seq && a.last_hash == b.last_hash &&
           a.last_checkpoint_seq == b.last_checkpoint_seq;
}

}  // namespace

std::span<const store::Migration> AuditMigrations() { return Migrations(); }

SqliteAuditLog::SqliteAuditLog(store::Database& db, std::unique_ptr<Chain> chain)
    : db_(&db), chain_(std::move(chain)), mu_(std::make_unique<std::mutex>()) {}
SqliteAuditLog::SqliteAuditLog(SqliteAuditLog&&) noexcept = default;
SqliteAuditLog& SqliteAuditLog::operator=(SqliteAuditLog&&) noexcept = default;
SqliteAuditLog::~SqliteAuditLog() = default;

Result<SqliteAuditLog> SqliteAuditLog::Open(store::Database& db) {
    if (auto r = store::Migrate(db, "audit", AuditMigrations()); !r) {
        return tl::unexpected(std::move(r.error()).WithContext("opening the audit log"));
    }
    return SqliteAuditLog(db, nullptr);
}

Result<SqliteAuditLog> SqliteAuditLog::Open(store::Database& db, SigningKey key,
                                            ChainOptions options) {
    if (db.read_only()) {
        return MakeError(Code::kFailedPrecondition,
                         "opening the audit log for appending: the database is read-only");
    }
    auto log = Open(db);
    if (!log) return log;
    auto state = log->StoredState();
    if (!state)
        return tl::unexpected(std::move(state.error()).WithContext("opening the audit log"));
    log->chain_ = std::make_unique<Chain>(std::move(key), std::move(options), std::move(*state));
    return log;
}

Result<ChainState> SqliteAuditLog::StoredState() {
    ChainState state;
    auto anchor = Anchor();
    if (!anchor) return tl::unexpected(std::move(anchor.error()));
    if (*anchor) {
        state.last_seq = (*anchor)->seq;
        state.last_hash = (*anchor)->hash;
        state.last_checkpoint_seq = (*anchor)->seq;
    }
    auto last = db_->Cached("SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1");
    if (!last) return tl::unexpected(std::move(last.error()));
    auto step = (*last)->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    if (*step == Step::kRow) {
        state.last_seq = static_cast<uint64_t>((*last)->ColumnInt64(0));
        state.last_hash = (*last)->ColumnText(1);
    }
    (*last)->Reset();
    auto cp = db_->Cached("SELECT max(seq) FROM audit_checkpoints");
    if (!cp) return tl::unexpected(std::move(cp.error()));
    step = (*cp)->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    if (*step == Step::kRow && !(*cp)->ColumnIsNull(0)) {
        state.last_checkpoint_seq =
            std::max(state.last_checkpoint_seq, static_cast<uint64_t>((*cp)->ColumnInt64(0)));
    }
    (*cp)->Reset();
    return state;
}

Status SqliteAuditLog::Insert(const Record& r) {
    auto stmt = db_->Cached(
        "INSERT INTO audit_records(seq, time_ns, actor, \"action\", object, \"before\", "
        "\"after\", source_ip, result, detail, prev_hash, hash) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    Statement& s = **stmt;
    auto seq = SeqParam(r.seq);
    if (!seq) return tl::unexpected(std::move(seq.error()));
    Status st = s.BindInt64(1, *seq);
    if (st) st = s.BindInt64(2, r.time_ns);
    int index = 3;
    for (const std::string* field : {&r.actor, &r.action, &r.object, &r.before, &r.after,
                                     &r.source_ip, &r.result, &r.detail, &r.prev_hash, &r.hash}) {
        if (st) st = s.BindText(index++, *field);
    }
    if (st) st = s.Run();
    return st;
}

Status SqliteAuditLog::Insert(const Checkpoint& cp) {
    auto stmt = db_->Cached(
        "INSERT INTO audit_checkpoints(seq, hash, time_ns, signature, key_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    Statement& s = **stmt;
    auto seq = SeqParam(cp.seq);
    if (!seq) return tl::unexpected(std::move(seq.error()));
    Status st = s.BindInt64(1, *seq);
    if (st) st = s.BindText(2, cp.hash);
    if (st) st = s.BindInt64(3, cp.time_ns);
    if (st) st = s.BindText(4, cp.signature);
    if (st) st = s.BindText(5, cp.key_id);
    if (st) st = s.Run();
    return st;
}

Result<Appended> SqliteAuditLog::Append(Record record) {
    if (!chain_) {
        return MakeError(Code::kFailedPrecondition,
                         "appending to the audit log: it was opened without a signing key");
    }
    std::lock_guard lock(*mu_);
    auto tx = store::Transaction::Begin(*db_);
    if (!tx) return tl::unexpected(std::move(tx.error()).WithContext("appending an audit record"));
    // Under the write lock: continue from what is stored, even if another process appended.
    auto stored = StoredState();
    if (!stored) {
        return tl::unexpected(std::move(stored.error()).WithContext("appending an audit record"));
    }
    if (!SameState(*stored, chain_->state())) chain_->Restore(*stored);
    const ChainState before = chain_->state();

    auto appended = chain_->Append(std::move(record));
    if (!appended) return appended;
    Status st = Insert(appended->record);
    if (st && appended->checkpoint) st = Insert(*appended->checkpoint);
    if (st) st = tx->Commit();
    if (!st) {
        chain_->Restore(before);
        return tl::unexpected(std::move(st.error()).WithContext("appending an audit record"));
    }
    return appended;
}

Result<Checkpoint> SqliteAuditLog::MakeCheckpoint() {
    if (!chain_) {
        return MakeError(Code::kFailedPrecondition,
                         "signing an audit checkpoint: the log was opened without a signing key");
    }
    std::lock_guard lock(*mu_);
    auto tx = store::Transaction::Begin(*db_);
    if (!tx) {
        return tl::unexpected(std::move(tx.error()).WithContext("signing an audit checkpoint"));
    }
    auto stored = StoredState();
    if (!stored) return tl::unexpected(std::move(stored.error()));
    if (!SameState(*stored, chain_->state())) chain_->Restore(*stored);
    const ChainState before = chain_->state();
    if (before.last_seq != 0 && before.last_checkpoint_seq == before.last_seq) {
        auto existing = db_->Prepare(
            "SELECT seq, hash, time_ns, signature, key_id FROM audit_checkpoints WHERE seq = ?1");
        if (!existing) return tl::unexpected(std::move(existing.error()));
        auto seq = SeqParam(before.last_seq);
        if (!seq) return tl::unexpected(std::move(seq.error()));
        if (auto st = existing->BindInt64(1, *seq); !st) return tl::unexpected(st.error());
        auto step = existing->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == Step::kRow) return ReadCheckpoint(*existing);
        // The head is the anchor: signed, but its checkpoint row was pruned; sign anew.
    }
    auto cp = chain_->MakeCheckpoint();
    if (!cp) return cp;
    Status st = Insert(*cp);
    if (st) st = tx->Commit();
    if (!st) {
        chain_->Restore(before);
        return tl::unexpected(std::move(st.error()).WithContext("signing an audit checkpoint"));
    }
    return cp;
}

RecordSource SqliteAuditLog::Records(uint64_t from_seq) {
    auto seq = SeqParam(from_seq);
    std::shared_ptr<Statement> stmt;
    Error error;
    if (!seq) {
        error = std::move(seq.error());
    } else if (auto prepared = db_->Prepare(kSelectRecords); !prepared) {
        error = std::move(prepared.error());
    } else {
        stmt = std::make_shared<Statement>(std::move(*prepared));
        if (auto st = stmt->BindInt64(1, *seq); !st) {
            error = std::move(st.error());
            stmt.reset();
        }
    }
    return [stmt, error](Record& out) -> Result<bool> {
        if (!stmt) return tl::unexpected(error);
        auto step = stmt->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == Step::kDone) return false;
        ReadRecord(*stmt, out);
        return true;
    };
}

namespace {

// LIKE pattern matching `text` anywhere, with % _ and the escape character itself escaped.
std::string LikeContains(std::string_view text) {
    std::string out = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    out += '%';
    return out;
}

}  // namespace

Result<std::vector<Record>> SqliteAuditLog::Query(const RecordQuery& q) {
    std::string sql =
        "SELECT seq, time_ns, actor, \"action\", object, \"before\", \"after\", source_ip, "
        "result, detail, prev_hash, hash FROM audit_records WHERE 1=1";
    // Each filter adds its clause and the values it binds, in order.
    std::vector<std::variant<int64_t, std::string>> params;
    auto text_eq = [&](const char* column, const std::string& value) {
        if (value.empty()) return;
        sql += std::string(" AND ") + column + " = ?";
        params.emplace_back(value);
    };
    text_eq("actor", q.actor);
    text_eq("result", q.result);
    text_eq("object", q.object);
    if (!q.action.empty() && q.action.back() == '.') {
        sql += " AND \"action\" LIKE ? ESCAPE '\\'";
        params.emplace_back(LikeContains(q.action).substr(1));  // prefix: drop the leading %
    } else {
        text_eq("\"action\"", q.action);
    }
    if (q.since_ns) {
        sql += " AND time_ns >= ?";
        params.emplace_back(*q.since_ns);
    }
    if (q.until_ns) {
        sql += " AND time_ns < ?";
        params.emplace_back(*q.until_ns);
    }
    if (q.before_seq) {
        sql += " AND seq < ?";
        params.emplace_back(static_cast<int64_t>(
            std::min<uint64_t>(*q.before_seq, std::numeric_limits<int64_t>::max())));
    }
    if (!q.text.empty()) {
        sql +=
            " AND (actor LIKE ?1x ESCAPE '\\' OR \"action\" LIKE ?1x ESCAPE '\\' OR object LIKE "
            "?1x ESCAPE '\\' OR detail LIKE ?1x ESCAPE '\\' OR source_ip LIKE ?1x ESCAPE '\\')";
        // Numbered so the one pattern binds once; its number is fixed below.
        const std::string n = std::to_string(params.size() + 1);
        for (size_t pos; (pos = sql.find("?1x")) != std::string::npos;) {
            sql.replace(pos, 3, "?" + n);
        }
        params.emplace_back(LikeContains(q.text));
    }
    sql += " ORDER BY seq DESC LIMIT ?";
    params.emplace_back(static_cast<int64_t>(q.limit));
    // Positional '?' after a numbered '?N' take N+1, N+2, ...: only LIMIT follows the text
    // clause, so it gets the next number.
    auto stmt = db_->Prepare(sql);
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    for (size_t i = 0; i < params.size(); ++i) {
        const int index = static_cast<int>(i + 1);
        Status st = std::holds_alternative<int64_t>(params[i])
                        ? stmt->BindInt64(index, std::get<int64_t>(params[i]))
                        : stmt->BindText(index, std::get<std::string>(params[i]));
        if (!st) return tl::unexpected(std::move(st.error()));
    }
    std::vector<Record> out;
    while (true) {
        auto step = stmt->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == Step::kDone) break;
        Record r;
        ReadRecord(*stmt, r);
        out.push_back(std::move(r));
    }
    return out;
}

Result<size_t> SqliteAuditLog::ApplyRetention(const PublicKey& key, int64_t now_ns,
                                              int retention_days) {
    auto report = Verify(key);
    if (!report) return tl::unexpected(std::move(report.error()));
    if (!report->ok) {
        return MakeError(Code::kFailedPrecondition,
                         "the audit trail does not verify (" +
                             (report->findings.empty() ? std::string("see vigil audit verify")
                                                       : report->findings[0].ToString()) +
                             "); nothing is deleted from damaged evidence");
    }
    std::vector<Record> records;
    auto source = Records();
    for (Record r;;) {
        auto more = source(r);
        if (!more) return tl::unexpected(std::move(more.error()));
        if (!*more) break;
        records.push_back(std::move(r));
    }
    auto checkpoints = Checkpoints();
    if (!checkpoints) return tl::unexpected(std::move(checkpoints.error()));
    auto plan = PlanRetention(records, *checkpoints, key, now_ns, retention_days);
    if (!plan) return tl::unexpected(std::move(plan.error()));
    if (plan->drop_count == 0 || !plan->anchor) return size_t{0};
    const Checkpoint& anchor = *plan->anchor;
    auto seq = SeqParam(anchor.seq);
    if (!seq) return tl::unexpected(std::move(seq.error()));
    auto tx = store::Transaction::Begin(*db_);
    if (!tx) return tl::unexpected(std::move(tx.error()));
    for (const char* sql : {"DELETE FROM audit_records WHERE seq <= ?1",
                            "DELETE FROM audit_checkpoints WHERE seq <= ?1"}) {
        auto stmt = db_->Prepare(sql);
        if (!stmt) return tl::unexpected(std::move(stmt.error()));
        if (auto st = stmt->BindInt64(1, *seq); !st) return tl::unexpected(std::move(st.error()));
        if (auto st = stmt->Run(); !st) return tl::unexpected(std::move(st.error()));
    }
    auto put = db_->Prepare(
        "INSERT OR REPLACE INTO audit_anchor (id, seq, hash, time_ns, signature, key_id) "
        "VALUES (1, ?1, ?2, ?3, ?4, ?5)");
    if (!put) return tl::unexpected(std::move(put.error()));
    Status st = put->BindInt64(1, *seq);
    if (st) st = put->BindText(2, anchor.hash);
    if (st) st = put->BindInt64(3, anchor.time_ns);
    if (st) st = put->BindText(4, anchor.signature);
    if (st) st = put->BindText(5, anchor.key_id);
    if (st) st = put->Run();
    if (st) st = tx->Commit();
    if (!st) return tl::unexpected(std::move(st.error()).WithContext("applying audit retention"));
    return plan->drop_count;
}

Result<uint64_t> SqliteAuditLog::Count() {
    auto stmt = db_->Prepare("SELECT count(*) FROM audit_records");
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    auto step = stmt->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    return static_cast<uint64_t>(stmt->ColumnInt64(0));
}

Result<std::vector<Checkpoint>> SqliteAuditLog::Checkpoints() {
    auto stmt = db_->Prepare(
        "SELECT seq, hash, time_ns, signature, key_id FROM audit_checkpoints ORDER BY seq");
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    std::vector<Checkpoint> out;
    while (true) {
        auto step = stmt->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == Step::kDone) break;
        out.push_back(ReadCheckpoint(*stmt));
    }
    return out;
}

Result<std::optional<Checkpoint>> SqliteAuditLog::Anchor() {
    auto stmt =
        db_->Cached("SELECT seq, hash, time_ns, signature, key_id FROM audit_anchor WHERE id = 1");
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    auto step = (*stmt)->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    std::optional<Checkpoint> out;
    if (*step == Step::kRow) out = ReadCheckpoint(**stmt);
    (*stmt)->Reset();
    return out;
}

Result<VerifyReport> SqliteAuditLog::Verify(const PublicKey& key, VerifyOptions options) {
    // One read transaction: records and checkpoints come from the same snapshot even while
    // another connection appends.
    if (auto st = db_->Exec("BEGIN"); !st) return tl::unexpected(std::move(st.error()));
    struct EndRead {
        store::Database* db;
        ~EndRead() { (void)db->Exec("COMMIT"); }
    } end_read{db_};

    auto checkpoints = Checkpoints();
    if (!checkpoints) {
        return tl::unexpected(
            std::move(checkpoints.error()).WithContext("verifying the audit log"));
    }
    if (!options.anchor) {
        auto anchor = Anchor();
        if (!anchor) return tl::unexpected(std::move(anchor.error()));
        options.anchor = std::move(*anchor);
    }
    auto report = audit::Verify(Records(), *checkpoints, key, options);
    if (!report) {
        return tl::unexpected(std::move(report.error()).WithContext("verifying the audit log"));
    }
    return report;
}

Status SqliteAuditLog::ExportRecords(std::ostream& out, uint64_t from_seq, bool csv) {
    if (csv) out << CsvHeader() << "\r\n";
    auto source = Records(from_seq);
    Record r;
    std::string line;
    while (out) {
        auto more = source(r);
        if (!more) return tl::unexpected(std::move(more.error()).WithContext("exporting audit"));
        if (!*more) break;
        if (csv) {
            line = CsvRow(r);
        } else {
            line = RecordToJson(r);
            line += '\n';
        }
        out.write(line.data(), static_cast<std::streamsize>(line.size()));
    }
    out.flush();
    if (!out) return MakeError(Code::kUnavailable, "exporting audit records: write failed");
    return Ok();
}

Status SqliteAuditLog::ExportJsonLines(std::ostream& out, uint64_t from_seq) {
    return ExportRecords(out, from_seq, false);
}

Status SqliteAuditLog::ExportCsv(std::ostream& out, uint64_t from_seq) {
    return ExportRecords(out, from_seq, true);
}

Status SqliteAuditLog::ExportCheckpointsJsonLines(std::ostream& out) {
    auto checkpoints = Checkpoints();
    if (!checkpoints) return tl::unexpected(std::move(checkpoints.error()));
    return audit::ExportCheckpointsJsonLines(*checkpoints, out);
}

}  // namespace vigil::audit
