#pragma once
// Verification of an audit chain: names the first altered record, inserted and deleted records,
// bad checkpoint signatures and records cut off after a signed checkpoint.
//
// Input: records in storage order (which must be seq order), the stored checkpoints and the
// public key. The verifier looks one record ahead, so it streams: memory does not grow with the
// number of records (only with the number of checkpoints).
//
// Rules, applied to each record r in order. "tip" is the last record accepted into the chain
// (initially seq 0 with the genesis hash, or the anchor checkpoint after a retention cut); "next"
// is the record after r, when there is one. A record is self-consistent when its stored hash
// equals HashRecord(r) (and both hashes are 64 lower-case hex characters).
//
//  1. r not self-consistent                  -> kAltered at r.seq; r is accepted (its stored hash
//     is what its successor committed to, so later records still link and are not reported).
//  2. r.seq == tip.seq + 1, r.prev_hash == tip.hash -> fine; r is accepted.
//  Otherwise r is self-consistent but does not continue the chain:
//  3. r.seq <= tip.seq:
//     a. r.seq == tip.seq and r.prev_hash == tip.prev_hash (two records claim the same
//        predecessor): the genuine one is the one next links to (at the end of the log: the one a
//        signed checkpoint names). If that is r, the tip was inserted (kInserted at tip.seq) and
//        r replaces it; otherwise r is inserted (kInserted at r.seq) and skipped.
//     b. otherwise a duplicated or out-of-order seq -> kInserted at r.seq; r is skipped.
//  4. next continues the tip (next.seq == tip.seq + 1 and next.prev_hash == tip.hash)
//                                            -> r was inserted: kInserted at r.seq; r is skipped.
//  5. r.seq > tip.seq + 1 (a gap):
//     a. r.prev_hash == tip.hash (links, but skips numbers: forged) -> kInserted at r.seq;
//     b. otherwise records tip.seq+1 .. r.seq-1 are gone -> kDeleted at tip.seq + 1.
//     Either way r is accepted, so one gap gives one finding.
//  6. r.seq == tip.seq + 1 but r.prev_hash != tip.hash: r commits to a different predecessor
//     than the one stored, so the tip was rewritten (its hash recomputed after an edit)
//     -> kAltered at tip.seq (kCheckpointMismatch at the anchor when the tip is the anchor;
//     kAltered at r.seq when r is record 1 and does not link to the genesis hash); r is accepted.
//
// Checkpoints:
//  - a checkpoint whose signature does not verify with the public key, or which names another
//    key_id -> kBadCheckpointSignature at its seq; it is then ignored.
//  - a valid checkpoint at a seq that was accepted with a different hash -> kCheckpointMismatch.
//    This is what catches an attacker who rewrites a record and recomputes every later hash.
//  - a valid checkpoint beyond the last accepted record -> kTruncated at last + 1 (records that
//    a signature vouched for are missing at the tail). Reported once, for the highest checkpoint.
//  - checkpoints at or before the anchor cover dropped records and are not compared.
//
// Limits of the method: records appended after the last checkpoint are protected by the hash
// chain only; deleting them from the tail (with that checkpoint still present) is not detectable.
// Checkpoints should therefore also be kept outside the store (exported, or sent to a log host).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/chain.h"
#include "audit/keys.h"
#include "audit/record.h"
#include "base/result.h"

namespace vigil::audit {

struct Finding {
    enum Kind {
        kAltered,
        kInserted,
        kDeleted,
        kBadCheckpointSignature,
        kCheckpointMismatch,
        kTruncated,
    };
    Kind kind = kAltered;
    uint64_t seq = 0;
    std::string message;

    // "seq 42: altered: ..."
    std::string ToString() const;
};

// "altered", "inserted", "deleted", "bad-checkpoint-signature", "checkpoint-mismatch",
// "truncated".
std::string_view KindName(Finding::Kind kind);

struct VerifyReport {
    bool ok = true;
    uint64_t records_checked = 0;
    uint64_t last_seq = 0;          // seq of the last record accepted into the chain
    std::vector<Finding> findings;  // ordered by seq, then by the order found
    uint64_t findings_omitted = 0;  // beyond VerifyOptions::max_findings
};

struct VerifyOptions {
    // Where a retained chain starts: its first record must have seq anchor.seq + 1 and
    // prev_hash anchor.hash. Without it the chain must start at seq 1 from the genesis hash.
    std::optional<Checkpoint> anchor;
    size_t max_findings = 1000;
};

// Incremental form for storage that streams records.
class Verifier {
public:
    Verifier(const PublicKey& key, std::span<const Checkpoint> checkpoints,
             VerifyOptions options = {});
    Verifier(Verifier&&) noexcept;
    Verifier& operator=(Verifier&&) noexcept;
    ~Verifier();

    // Records in seq order.
    void Add(const Record& record);
    VerifyReport Finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

VerifyReport Verify(std::span<const Record> records, std::span<const Checkpoint> checkpoints,
                    const PublicKey& key, const VerifyOptions& options = {});

// Pulls records from source until it returns false; a source error stops verification and is
// returned with context.
using RecordSource = std::function<Result<bool>(Record& out)>;
Result<VerifyReport> Verify(const RecordSource& source, std::span<const Checkpoint> checkpoints,
                            const PublicKey& key, const VerifyOptions& options = {});

}  // namespace vigil::audit
