#pragma once
// Sign-in throttling: after repeated failures an account, and separately a source IP, must
// wait before the next attempt, and the wait doubles with every further failure. In memory
// only, with an injected clock (ns since the epoch) so tests never sleep.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace vigil::auth {

struct LockoutPolicy {
    // Failures allowed before the first delay. Per IP the threshold is higher because
    // offices sign in through one NAT address.
    int account_max_failures = 5;
    int ip_max_failures = 20;
    // Counters reset after this long without failures (counted from the end of any delay).
    int64_t window_ns = int64_t{15} * 60 * 1000000000;
    int64_t base_delay_ns = int64_t{1} * 1000000000;       // 1 s, 2 s, 4 s, ...
    int64_t max_delay_ns = int64_t{15} * 60 * 1000000000;  // ... capped at 15 min
    // Memory bound per key kind; when full the least recently failed entry is dropped.
    size_t max_entries = 100000;
};

// Keys longer than this are truncated (account names and IPs come from the request).
inline constexpr size_t kMaxLockoutKeyBytes = 256;

struct LockoutDecision {
    bool allowed = true;
    int64_t retry_after_ns = 0;  // > 0 when not allowed
};

class Lockout {
public:
    explicit Lockout(LockoutPolicy policy = {});
    ~Lockout();
    Lockout(const Lockout&) = delete;
    Lockout& operator=(const Lockout&) = delete;

    // Ask before checking the password; a refused attempt is not checked at all.
    LockoutDecision Check(std::string_view account, std::string_view ip, int64_t now_ns) const;
    void RecordFailure(std::string_view account, std::string_view ip, int64_t now_ns);
    // Resets the account's counter. The IP's counter stays: one good password from an address
    // that is guessing many accounts must not clear its record.
    void RecordSuccess(std::string_view account, std::string_view ip, int64_t now_ns);

    size_t account_entries() const;
    size_t ip_entries() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::auth
