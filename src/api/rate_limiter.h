#pragma once
// Per-client token bucket: `rate` tokens per second, at most `burst` banked. The clock is
// injected so tests never depend on wall time.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vigil::api {

class RateLimiter {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    // rate <= 0 disables limiting. `max_clients` bounds memory under address churn.
    RateLimiter(double rate, double burst, size_t max_clients = 100000, Clock clock = {});

    // True when `client` may make one more request now (and takes a token).
    bool Allow(std::string_view client);

private:
    struct Bucket {
        double tokens;
        std::chrono::steady_clock::time_point last;
    };
    double rate_;
    double burst_;
    size_t max_clients_;
    Clock clock_;
    std::mutex mu_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace vigil::api
