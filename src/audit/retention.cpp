#include "audit/retention.h"

#include <unordered_map>

namespace vigil::audit {

Result<RetentionPlan> PlanRetention(std::span<const Record> records,
                                    std::span<const Checkpoint> checkpoints, const PublicKey& key,
                                    int64_t now_ns, int retention_days) {
    if (retention_days < 1) {
        return InvalidArgument("audit retention must be at least 1 day, got " +
                               std::to_string(retention_days));
    }
    constexpr int64_t kNsPerDay = 86400LL * 1000 * 1000 * 1000;
    RetentionPlan plan;
    plan.cutoff_ns = now_ns - static_cast<int64_t>(retention_days) * kNsPerDay;

    size_t expired = 0;
    while (expired < records.size() && records[expired].time_ns < plan.cutoff_ns) ++expired;
    if (expired == 0) return plan;

    std::unordered_map<uint64_t, size_t> index_of_seq;
    index_of_seq.reserve(expired);
    for (size_t i = 0; i < expired; ++i) index_of_seq.emplace(records[i].seq, i);

    for (const Checkpoint& cp : checkpoints) {
        auto it = index_of_seq.find(cp.seq);
        if (it == index_of_seq.end()) continue;
        size_t count = it->second + 1;
        if (count <= plan.drop_count) continue;
        if (records[it->second].hash != cp.hash) continue;
        if (!VerifyCheckpointSignature(cp, key)) continue;
        plan.drop_count = count;
        plan.anchor = cp;
    }
    return plan;
}

}  // namespace vigil::audit
