#pragma once
// Retention: which oldest records may be deleted. Records older than the retention period
// (180 days by default, the Cybersecurity Law's six months) may go, but only up to a signed
// checkpoint, and that checkpoint is kept as the anchor the remaining chain is verified from
// (VerifyOptions::anchor): the first remaining record must link to the anchor's hash.
//
// Run Verify before cutting: a chain that does not verify is evidence and should not be cut.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "audit/chain.h"
#include "audit/keys.h"
#include "audit/record.h"
#include "base/result.h"

namespace vigil::audit {

inline constexpr int kDefaultRetentionDays = 180;

struct RetentionPlan {
    int64_t cutoff_ns = 0;             // records with time_ns < cutoff_ns are expired
    size_t drop_count = 0;             // records[0, drop_count) may be deleted
    std::optional<Checkpoint> anchor;  // set when drop_count > 0; store it as the new anchor
};

// records: the stored chain in seq order (possibly starting after an earlier anchor).
// Only checkpoints whose signature verifies with key and whose hash equals the stored record's
// are used as cut points. The cut covers the longest prefix of expired records ending at such a
// checkpoint; a record that is not yet expired stops the prefix even if later ones are older.
// Fails when retention_days < 1.
Result<RetentionPlan> PlanRetention(std::span<const Record> records,
                                    std::span<const Checkpoint> checkpoints, const PublicKey& key,
                                    int64_t now_ns, int retention_days = kDefaultRetentionDays);

}  // namespace vigil::audit
