#pragma once
// The hash chain: Chain::Append gives each record the next sequence number, links it to the
// previous record's hash and computes its own; every N records (and on demand) it signs a
// checkpoint over the head of the chain with Ed25519.
//
// Storage-agnostic: the caller persists the records and checkpoints Append returns, and resumes
// a chain after a restart from the last stored record (ChainState).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "audit/keys.h"
#include "audit/record.h"
#include "base/result.h"

namespace vigil::audit {

inline constexpr uint64_t kDefaultCheckpointInterval = 1000;

// A signed statement "the record with sequence number seq has hash `hash`". Because each hash
// commits to all earlier records, a checkpoint protects the whole prefix up to seq.
struct Checkpoint {
    uint64_t seq = 0;
    std::string hash;
    int64_t time_ns = 0;
    std::string signature;  // base64 Ed25519 over CheckpointMessage(seq, hash, time_ns)
    std::string key_id;     // PublicKey::key_id() of the signer

    bool operator==(const Checkpoint&) const = default;
};

// "vigil-audit-checkpoint\n<seq>\n<hash>\n<time_ns>" (decimal numbers, no trailing newline).
std::string CheckpointMessage(uint64_t seq, std::string_view hash, int64_t time_ns);

// True when the signature is valid for key and the checkpoint names key's key_id.
bool VerifyCheckpointSignature(const Checkpoint& checkpoint, const PublicKey& key);

// Where the chain stands: enough to resume appending after a restart.
struct ChainState {
    uint64_t last_seq = 0;  // 0: empty chain
    std::string last_hash = std::string(kGenesisHash);
    uint64_t last_checkpoint_seq = 0;  // seq of the last checkpoint made
};

struct ChainOptions {
    uint64_t checkpoint_interval = kDefaultCheckpointInterval;  // 0: only on demand
    // Nanoseconds since the epoch; defaults to the system clock. Injected by tests.
    std::function<int64_t()> clock;
};

struct Appended {
    Record record;
    std::optional<Checkpoint> checkpoint;  // set when this record completed an interval
};

// Not thread-safe: appends must be serialised by the caller together with the write to storage,
// or the stored order would not match the chain order.
class Chain {
public:
    explicit Chain(SigningKey key, ChainOptions options = {}, ChainState state = {});

    // Assigns seq, prev_hash and hash (any values passed in are replaced); time_ns 0 means now.
    // Fails when a field exceeds its limit; the chain is unchanged then.
    Result<Appended> Append(Record record);

    // Signs the current head. Fails on an empty chain.
    Result<Checkpoint> MakeCheckpoint();

    // Rewinds (or advances) to a stored state: after the write of an appended record failed, or
    // when another writer appended to the same storage.
    void Restore(ChainState state) { state_ = std::move(state); }

    const ChainState& state() const { return state_; }
    const PublicKey& public_key() const { return key_.public_key(); }

private:
    int64_t Now() const;

    SigningKey key_;
    ChainOptions options_;
    ChainState state_;
};

}  // namespace vigil::audit
