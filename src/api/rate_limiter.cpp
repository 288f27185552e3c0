#include "api/rate_limiter.h"

#include <algorithm>

namespace vigil::api {

RateLimiter::RateLimiter(double rate, double burst, size_t max_clients, Clock clock)
    : rate_(rate),
      burst_(std::max(burst, 1.0)),
      max_clients_(std::max<size_t>(max_clients, 1)),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {}

bool RateLimiter::Allow(std::string_view client) {
    if (rate_ <= 0) return true;
    auto now = clock_();
    std::lock_guard lock(mu_);
    auto it = buckets_.find(std::string(client));
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_clients_) {
            // Drop buckets that have refilled completely: forgetting them changes nothing.
            std::erase_if(buckets_, [&](const auto& kv) {
                std::chrono::duration<double> idle = now - kv.second.last;
                return kv.second.tokens + idle.count() * rate_ >= burst_;
            });
            if (buckets_.size() >= max_clients_) return false;  // fail closed under a flood
        }
        it = buckets_.emplace(std::string(client), Bucket{burst_, now}).first;
    }
    Bucket& b = it->second;
    std::chrono::duration<double> elapsed = now - b.last;
    b.tokens = std::min(burst_, b.tokens + elapsed.count() * rate_);
    b.last = now;
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

}  // namespace vigil::api
