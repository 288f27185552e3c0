#pragma once
// The audit trail in SQLite: records and signed checkpoints in the audit tables of a
// store::Database, appended through a Chain and verified by streaming the records in seq order.
//
// Tables (migration "audit" 1):
//   audit_records(seq INTEGER PRIMARY KEY, time_ns, actor, action, object, before, after,
//                 source_ip, result, detail, prev_hash, hash)
//   audit_checkpoints(seq INTEGER PRIMARY KEY, hash, time_ns, signature, key_id)
//   audit_anchor(id = 1, seq, hash, time_ns, signature, key_id)   the retention anchor, if any
//
// Nothing in the tables is trusted by Verify: whoever can write the file can change any row, and
// Verify names what changed (see verify.h). Only the public key is needed to verify.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <vector>

#include "audit/chain.h"
#include "audit/keys.h"
#include "audit/record.h"
#include "audit/retention.h"
#include "audit/verify.h"
#include "base/result.h"
#include "store/database.h"
#include "store/migrations.h"

namespace vigil::audit {

// The audit component's schema migrations (component name "audit").
std::span<const store::Migration> AuditMigrations();

// A page of the trail for people: newest first, every filter optional and combined with AND.
// Values are bound as parameters, never spliced into SQL.
struct RecordQuery {
    std::string actor;   // exact
    std::string action;  // exact, or a prefix when it ends in '.' ("auth." = every auth.*)
    std::string result;  // exact
    std::string object;  // exact
    std::optional<int64_t> since_ns;     // time_ns >= since
    std::optional<int64_t> until_ns;     // time_ns < until
    std::string text;                    // substring of actor, action, object, detail or source_ip
    std::optional<uint64_t> before_seq;  // the cursor: only records with seq < before_seq
    size_t limit = 50;
};

class SqliteAuditLog {
public:
    // For reading, verifying and exporting. Brings the schema up to date (on a read-only
    // connection: fails unless it is current). db must outlive the log.
    static Result<SqliteAuditLog> Open(store::Database& db);
    // Also for appending: the chain resumes from the last stored record and checkpoint.
    static Result<SqliteAuditLog> Open(store::Database& db, SigningKey key,
                                       ChainOptions options = {});

    SqliteAuditLog(SqliteAuditLog&&) noexcept;
    SqliteAuditLog& operator=(SqliteAuditLog&&) noexcept;
    ~SqliteAuditLog();

    // Appends record (seq, prev_hash and hash are assigned) and, when it completes a checkpoint
    // interval, the signed checkpoint, in one transaction. Thread-safe within one log; another
    // process appending to the same file is picked up (the chain resynchronises inside the
    // write transaction). On failure nothing is stored and the chain is unchanged.
    Result<Appended> Append(Record record);
    // Signs the current head and stores the checkpoint (returns the stored one when the head is
    // already signed). Fails on an empty log.
    Result<Checkpoint> MakeCheckpoint();

    // Streams records with seq >= from_seq in seq order. The source reads from db, which must
    // outlive it; each call to Records is an independent cursor.
    RecordSource Records(uint64_t from_seq = 0);
    Result<std::vector<Checkpoint>> Checkpoints();
    Result<std::optional<Checkpoint>> Anchor();
    // What the stored tables say the chain head is (last record, last checkpoint).
    Result<ChainState> StoredState();

    // Verifies the stored chain with key. The stored anchor is used unless options has one.
    Result<VerifyReport> Verify(const PublicKey& key, VerifyOptions options = {});

    // Enforces retention (retention.h): when the stored chain verifies with key, deletes the
    // records older than retention_days up to the last signed checkpoint among them, which
    // becomes the stored anchor, in one transaction. Returns how many records were deleted
    // (0 when nothing is due). failed_precondition, deleting nothing, when the chain does not
    // verify: a damaged trail is evidence.
    Result<size_t> ApplyRetention(const PublicKey& key, int64_t now_ns, int retention_days);

    // Up to query.limit records matching query, newest first.
    Result<std::vector<Record>> Query(const RecordQuery& query);
    // How many records the trail holds.
    Result<uint64_t> Count();

    // JSON lines / CSV (header row first) of the records with seq >= from_seq; see export.h.
    Status ExportJsonLines(std::ostream& out, uint64_t from_seq = 0);
    Status ExportCsv(std::ostream& out, uint64_t from_seq = 0);
    Status ExportCheckpointsJsonLines(std::ostream& out);

private:
    SqliteAuditLog(store::Database& db, std::unique_ptr<Chain> chain);
    Status Insert(const Record& record);
    Status Insert(const Checkpoint& checkpoint);
    Status ExportRecords(std::ostream& out, uint64_t from_seq, bool csv);

    store::Database* db_;           // not owned
    std::unique_ptr<Chain> chain_;  // null when opened without a signing key
    std::unique_ptr<std::mutex> mu_;
};

}  // namespace vigil::audit
