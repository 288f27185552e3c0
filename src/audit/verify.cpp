#include "audit/verify.h"

#include <algorithm>
#include <map>

namespace vigil::audit {

std::string_view KindName(Finding::Kind kind) {
    switch (kind) {
        case Finding::kAltered:
            return "altered";
        case Finding::kInserted:
            return "inserted";
        case Finding::kDeleted:
            return "deleted";
        case Finding::kBadCheckpointSignature:
            return "bad-checkpoint-signature";
        case Finding::kCheckpointMismatch:
            return "checkpoint-mismatch";
        case Finding::kTruncated:
            return "truncated";
    }
    return "unknown";
}

std::string Finding::ToString() const {
    std::string s = "seq " + std::to_string(seq) + ": ";
    s += KindName(kind);
    s += ": ";
    s += message;
    return s;
}

struct Verifier::Impl {
    VerifyOptions options;
    VerifyReport report;

    // The tip: last record accepted into the chain (or the genesis / anchor before the first).
    uint64_t tip_seq = 0;
    std::string tip_hash = std::string(kGenesisHash);
    std::string tip_prev_hash;
    bool tip_is_record = false;
    uint64_t base_seq = 0;  // 0, or the anchor's seq

    std::optional<Record> pending;
    // Valid checkpoints after the anchor, by seq, and the hash accepted at each of those seqs.
    std::map<uint64_t, const Checkpoint*> checkpoints;
    std::vector<Checkpoint> checkpoint_copies;
    std::map<uint64_t, std::string> accepted_at_checkpoint;

    void AddFinding(Finding::Kind kind, uint64_t seq, std::string message) {
        if (report.findings.size() >= options.max_findings) {
            ++report.findings_omitted;
            return;
        }
        report.findings.push_back(Finding{kind, seq, std::move(message)});
    }

    void Accept(const Record& r) {
        tip_seq = r.seq;
        tip_hash = r.hash;
        tip_prev_hash = r.prev_hash;
        tip_is_record = true;
        if (checkpoints.count(r.seq) != 0) accepted_at_checkpoint[r.seq] = r.hash;
    }

    static bool SelfConsistent(const Record& r) {
        return IsHashHex(r.prev_hash) && IsHashHex(r.hash) && HashRecord(r) == r.hash;
    }

    void Process(const Record& r, const Record* next) {
        const std::string seq_text = std::to_string(r.seq);
        // Rule 1.
        if (!SelfConsistent(r)) {
            AddFinding(
                Finding::kAltered, r.seq,
                "record " + seq_text + " was altered: its stored hash does not match its content");
            Accept(r);
            return;
        }
        // Rule 2.
        if (r.seq == tip_seq + 1 && r.prev_hash == tip_hash) {
            Accept(r);
            return;
        }
        // Rule 3.
        if (r.seq <= tip_seq) {
            if (tip_is_record && r.seq == tip_seq && r.prev_hash == tip_prev_hash) {
                bool r_genuine = false;
                if (next != nullptr) {
                    r_genuine = next->prev_hash == r.hash;
                } else if (auto it = checkpoints.find(r.seq); it != checkpoints.end()) {
                    r_genuine = it->second->hash == r.hash;
                }
                if (r_genuine) {
                    AddFinding(Finding::kInserted, tip_seq,
                               "a record " + seq_text +
                                   " was inserted: no later record links to it; another "
                                   "record " +
                                   seq_text + " with the same predecessor continues the chain");
                    Accept(r);
                } else {
                    AddFinding(Finding::kInserted, r.seq,
                               "a second record " + seq_text +
                                   " with the same predecessor was inserted after the first");
                }
                return;
            }
            AddFinding(Finding::kInserted, r.seq,
                       "record " + seq_text + " was inserted: it follows record " +
                           std::to_string(tip_seq) + " (duplicated or out-of-order seq)");
            return;
        }
        // Rule 4.
        if (next != nullptr && next->seq == tip_seq + 1 && next->prev_hash == tip_hash) {
            AddFinding(Finding::kInserted, r.seq,
                       "record " + seq_text + " was inserted between record " +
                           std::to_string(tip_seq) + " and its successor");
            return;
        }
        // Rule 5.
        if (r.seq > tip_seq + 1) {
            if (r.prev_hash == tip_hash) {
                AddFinding(Finding::kInserted, r.seq,
                           "record " + seq_text + " links to record " + std::to_string(tip_seq) +
                               " but skips sequence numbers: forged");
            } else {
                uint64_t first = tip_seq + 1;
                uint64_t last = r.seq - 1;
                AddFinding(Finding::kDeleted, first,
                           first == last ? "record " + std::to_string(first) + " was deleted"
                                         : "records " + std::to_string(first) + ".." +
                                               std::to_string(last) + " were deleted");
            }
            Accept(r);
            return;
        }
        // Rule 6: r.seq == tip_seq + 1, different predecessor.
        if (tip_is_record) {
            AddFinding(Finding::kAltered, tip_seq,
                       "record " + std::to_string(tip_seq) + " was rewritten: record " + seq_text +
                           " commits to a different hash for it");
        } else if (base_seq > 0) {
            AddFinding(Finding::kCheckpointMismatch, base_seq,
                       "record " + seq_text +
                           " does not link to the anchor checkpoint the chain was cut at");
        } else {
            AddFinding(Finding::kAltered, r.seq,
                       "record " + seq_text + " does not link to the genesis hash");
        }
        Accept(r);
    }
};

Verifier::Verifier(const PublicKey& key, std::span<const Checkpoint> checkpoints,
                   VerifyOptions options)
    : impl_(std::make_unique<Impl>()) {
    Impl& s = *impl_;
    s.options = std::move(options);
    if (s.options.anchor) {
        const Checkpoint& anchor = *s.options.anchor;
        if (!VerifyCheckpointSignature(anchor, key)) {
            s.AddFinding(
                Finding::kBadCheckpointSignature, anchor.seq,
                "the anchor checkpoint's signature does not verify with key " + key.key_id());
        }
        s.base_seq = anchor.seq;
        s.tip_seq = anchor.seq;
        s.tip_hash = anchor.hash;
    }
    s.checkpoint_copies.assign(checkpoints.begin(), checkpoints.end());
    for (const Checkpoint& cp : s.checkpoint_copies) {
        if (s.options.anchor && cp.seq <= s.base_seq) continue;
        if (!VerifyCheckpointSignature(cp, key)) {
            s.AddFinding(
                Finding::kBadCheckpointSignature, cp.seq,
                cp.key_id != key.key_id()
                    ? "checkpoint " + std::to_string(cp.seq) + " names key '" + cp.key_id +
                          "', not the verifying key " + key.key_id()
                    : "checkpoint " + std::to_string(cp.seq) + " has an invalid signature");
            continue;
        }
        s.checkpoints.emplace(cp.seq, &cp);
    }
}

Verifier::Verifier(Verifier&&) noexcept = default;
Verifier& Verifier::operator=(Verifier&&) noexcept = default;
Verifier::~Verifier() = default;

void Verifier::Add(const Record& record) {
    Impl& s = *impl_;
    ++s.report.records_checked;
    if (s.pending) s.Process(*s.pending, &record);
    s.pending = record;
}

VerifyReport Verifier::Finish() {
    Impl& s = *impl_;
    if (s.pending) {
        s.Process(*s.pending, nullptr);
        s.pending.reset();
    }
    const Checkpoint* highest_missing = nullptr;
    for (const auto& [seq, cp] : s.checkpoints) {
        if (seq > s.tip_seq) {
            highest_missing = cp;
            continue;
        }
        auto it = s.accepted_at_checkpoint.find(seq);
        // Not accepted: the record is missing, already reported as deleted.
        if (it == s.accepted_at_checkpoint.end()) continue;
        if (it->second != cp->hash) {
            s.AddFinding(Finding::kCheckpointMismatch, seq,
                         "record " + std::to_string(seq) +
                             " does not have the hash its signed checkpoint names: it or an "
                             "earlier record was rewritten");
        }
    }
    if (highest_missing != nullptr) {
        s.AddFinding(Finding::kTruncated, s.tip_seq + 1,
                     "records " + std::to_string(s.tip_seq + 1) + ".." +
                         std::to_string(highest_missing->seq) +
                         " are missing: the log ends at record " + std::to_string(s.tip_seq) +
                         " but checkpoint " + std::to_string(highest_missing->seq) +
                         " vouches for them");
    }
    std::stable_sort(s.report.findings.begin(), s.report.findings.end(),
                     [](const Finding& a, const Finding& b) { return a.seq < b.seq; });
    s.report.last_seq = s.tip_seq;
    s.report.ok = s.report.findings.empty() && s.report.findings_omitted == 0;
    return std::move(s.report);
}

VerifyReport Verify(std::span<const Record> records, std::span<const Checkpoint> checkpoints,
                    const PublicKey& key, const VerifyOptions& options) {
    Verifier verifier(key, checkpoints, options);
    for (const Record& r : records) verifier.Add(r);
    return verifier.Finish();
}

Result<VerifyReport> Verify(const RecordSource& source, std::span<const Checkpoint> checkpoints,
                            const PublicKey& key, const VerifyOptions& options) {
    Verifier verifier(key, checkpoints, options);
    Record record;
    while (true) {
        auto more = source(record);
        if (!more)
            return tl::unexpected(std::move(more.error()).WithContext("reading audit records"));
        if (!*more) break;
        verifier.Add(record);
    }
    return verifier.Finish();
}

}  // namespace vigil::audit
