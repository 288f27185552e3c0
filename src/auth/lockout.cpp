#include "auth/lockout.h"

#include <algorithm>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace vigil::auth {
namespace {

struct Entry {
    int failures = 0;
    int64_t last_failure_ns = 0;
    int64_t locked_until_ns = 0;
};

// One keyed table with least-recently-failed eviction.
class Table {
public:
    Table(int threshold, const LockoutPolicy& policy) : threshold_(threshold), policy_(policy) {}

    int64_t RetryAfter(std::string_view key, int64_t now) const {
        auto it = index_.find(Key(key));
        if (it == index_.end()) return 0;
        const Entry& e = it->second->second;
        if (Stale(e, now)) return 0;
        return std::max<int64_t>(0, e.locked_until_ns - now);
    }

    void Fail(std::string_view key, int64_t now) {
        std::string k = Key(key);
        auto it = index_.find(k);
        if (it == index_.end()) {
            if (index_.size() >= policy_.max_entries && !lru_.empty()) {
                index_.erase(lru_.back().first);
                lru_.pop_back();
            }
            lru_.emplace_front(k, Entry{});
            it = index_.emplace(std::move(k), lru_.begin()).first;
        } else {
            lru_.splice(lru_.begin(), lru_, it->second);
        }
        Entry& e = it->second->second;
        if (Stale(e, now)) e = Entry{};
        e.failures = std::min(e.failures + 1, 1000);
        e.last_failure_ns = now;
        if (e.failures >= threshold_) {
            int exponent = std::min(e.failures - threshold_, 40);
            int64_t delay = policy_.base_delay_ns;
            for (int i = 0; i < exponent && delay < policy_.max_delay_ns; ++i) delay *= 2;
            delay = std::min(delay, policy_.max_delay_ns);
            e.locked_until_ns = now + delay;
        }
    }

    void Reset(std::string_view key) {
        auto it = index_.find(Key(key));
        if (it == index_.end()) return;
        lru_.erase(it->second);
        index_.erase(it);
    }

    size_t size() const { return index_.size(); }

private:
    static std::string Key(std::string_view key) {
        return std::string(key.substr(0, kMaxLockoutKeyBytes));
    }
    // Quiet for a whole window after the last failure or the end of the delay, whichever is
    // later, so waiting out a long delay does not by itself restore the free attempts.
    bool Stale(const Entry& e, int64_t now) const {
        return now - std::max(e.last_failure_ns, e.locked_until_ns) > policy_.window_ns;
    }

    using Node = std::pair<std::string, Entry>;
    int threshold_;
    const LockoutPolicy& policy_;
    std::list<Node> lru_;  // most recently failed first
    std::unordered_map<std::string, std::list<Node>::iterator> index_;
};

}  // namespace

struct Lockout::Impl {
    explicit Impl(LockoutPolicy p)
        : policy(p), accounts(p.account_max_failures, policy), ips(p.ip_max_failures, policy) {}
    LockoutPolicy policy;
    mutable std::mutex mu;
    Table accounts;
    Table ips;
};

Lockout::Lockout(LockoutPolicy policy) : impl_(std::make_unique<Impl>(policy)) {}
Lockout::~Lockout() = default;

LockoutDecision Lockout::Check(std::string_view account, std::string_view ip,
                               int64_t now_ns) const {
    std::lock_guard lock(impl_->mu);
    int64_t wait =
        std::max(impl_->accounts.RetryAfter(account, now_ns), impl_->ips.RetryAfter(ip, now_ns));
    return LockoutDecision{wait == 0, wait};
}

void Lockout::RecordFailure(std::string_view account, std::string_view ip, int64_t now_ns) {
    std::lock_guard lock(impl_->mu);
    impl_->accounts.Fail(account, now_ns);
    impl_->ips.Fail(ip, now_ns);
}

void Lockout::RecordSuccess(std::string_view account, std::string_view ip, int64_t now_ns) {
    std::lock_guard lock(impl_->mu);
    impl_->accounts.Reset(account);
}

size_t Lockout::account_entries() const {
    std::lock_guard lock(impl_->mu);
    return impl_->accounts.size();
}

size_t Lockout::ip_entries() const {
    std::lock_guard lock(impl_->mu);
    return impl_->ips.size();
}

}  // namespace vigil::auth
