#include "audit/chain.h"

#include <chrono>

namespace vigil::audit {

std::string CheckpointMessage(uint64_t seq, std::string_view hash, int64_t time_ns) {
    std::string m = "vigil-audit-checkpoint\n";
    m += std::to_string(seq);
    m += '\n';
    m.append(hash);
    m += '\n';
    m += std::to_string(time_ns);
    return m;
}

bool VerifyCheckpointSignature(const Checkpoint& checkpoint, const PublicKey& key) {
    if (checkpoint.key_id != key.key_id()) return false;
    return key.Verify(CheckpointMessage(checkpoint.seq, checkpoint.hash, checkpoint.time_ns),
                      checkpoint.signature);
}

Chain::Chain(SigningKey key, ChainOptions options, ChainState state)
    : key_(std::move(key)), options_(std::move(options)), state_(std::move(state)) {}

int64_t Chain::Now() const {
    if (options_.clock) return options_.clock();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Result<Appended> Chain::Append(Record record) {
    if (auto st = CheckLimits(record); !st) return tl::unexpected(std::move(st.error()));
    record.seq = state_.last_seq + 1;
    if (record.time_ns == 0) record.time_ns = Now();
    record.prev_hash = state_.last_hash;
    record.hash = HashRecord(record);
    if (record.hash.empty()) return Internal("computing SHA-256 of an audit record failed");

    Appended out;
    ChainState next = state_;
    next.last_seq = record.seq;
    next.last_hash = record.hash;
    if (options_.checkpoint_interval > 0 &&
        record.seq - state_.last_checkpoint_seq >= options_.checkpoint_interval) {
        Checkpoint cp;
        cp.seq = record.seq;
        cp.hash = record.hash;
        cp.time_ns = Now();
        cp.key_id = key_.key_id();
        auto sig = key_.Sign(CheckpointMessage(cp.seq, cp.hash, cp.time_ns));
        if (!sig) return tl::unexpected(std::move(sig.error()));
        cp.signature = std::move(*sig);
        next.last_checkpoint_seq = record.seq;
        out.checkpoint = std::move(cp);
    }
    state_ = std::move(next);
    out.record = std::move(record);
    return out;
}

Result<Checkpoint> Chain::MakeCheckpoint() {
    if (state_.last_seq == 0) {
        return MakeError(Code::kFailedPrecondition, "the audit chain is empty; nothing to sign");
    }
    Checkpoint cp;
    cp.seq = state_.last_seq;
    cp.hash = state_.last_hash;
    cp.time_ns = Now();
    cp.key_id = key_.key_id();
    auto sig = key_.Sign(CheckpointMessage(cp.seq, cp.hash, cp.time_ns));
    if (!sig) return tl::unexpected(std::move(sig.error()));
    cp.signature = std::move(*sig);
    state_.last_checkpoint_seq = cp.seq;
    return cp;
}

}  // namespace vigil::audit
