#include "auth/lockout.h"

#include <gtest/gtest.h>

namespace vigil::auth {
namespace {

constexpr int64_t kSec = 1000000000;
constexpr int64_t kT0 = int64_t{1700000000} * kSec;

TEST(Lockout, DelayStartsAfterThresholdAndDoubles) {
    Lockout lockout;
    int64_t now = kT0;
    for (int i = 0; i < 4; ++i) {
        lockout.RecordFailure("alice", "10.0.0.1", now);
        EXPECT_TRUE(lockout.Check("alice", "10.0.0.1", now).allowed) << i;
    }
    lockout.RecordFailure("alice", "10.0.0.1", now);  // 5th failure: 1 s
    auto d = lockout.Check("alice", "10.0.0.1", now);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.retry_after_ns, 1 * kSec);
    EXPECT_EQ(lockout.Check("alice", "10.0.0.1", now + kSec / 2).retry_after_ns, kSec / 2);
    EXPECT_TRUE(lockout.Check("alice", "10.0.0.1", now + kSec).allowed);

    now += kSec;
    lockout.RecordFailure("alice", "10.0.0.1", now);  // 6th: 2 s
    EXPECT_EQ(lockout.Check("alice", "10.0.0.1", now).retry_after_ns, 2 * kSec);
    now += 2 * kSec;
    lockout.RecordFailure("alice", "10.0.0.1", now);  // 7th: 4 s
    EXPECT_EQ(lockout.Check("alice", "10.0.0.1", now).retry_after_ns, 4 * kSec);
    // Other accounts from another address are unaffected.
    EXPECT_TRUE(lockout.Check("bob", "10.0.0.2", now).allowed);
}

TEST(Lockout, DelayIsCappedAtFifteenMinutes) {
    Lockout lockout;
    int64_t now = kT0;
    for (int i = 0; i < 40; ++i) lockout.RecordFailure("alice", "10.0.0.1", now);
    EXPECT_EQ(lockout.Check("alice", "10.0.0.1", now).retry_after_ns, 15 * 60 * kSec);
}

TEST(Lockout, SuccessResetsAccountButNotIp) {
    LockoutPolicy policy;
    policy.account_max_failures = 3;
    policy.ip_max_failures = 5;
    Lockout lockout(policy);
    int64_t now = kT0;
    // One address guessing several accounts.
    for (const char* user : {"a1", "a2", "a3", "a4"})
        lockout.RecordFailure(user, "203.0.113.9", now);
    lockout.RecordFailure("alice", "203.0.113.9", now);  // 5th failure from this IP
    EXPECT_FALSE(lockout.Check("carol", "203.0.113.9", now).allowed);
    EXPECT_TRUE(lockout.Check("carol", "198.51.100.7", now).allowed);

    lockout.RecordFailure("alice", "198.51.100.7", now);
    lockout.RecordFailure("alice", "198.51.100.7", now);  // alice: 3 failures -> delayed
    EXPECT_FALSE(lockout.Check("alice", "198.51.100.7", now).allowed);
    lockout.RecordSuccess("alice", "203.0.113.9", now);
    EXPECT_TRUE(lockout.Check("alice", "198.51.100.7", now).allowed);
    EXPECT_FALSE(lockout.Check("alice", "203.0.113.9", now).allowed);  // the IP stays delayed
}

TEST(Lockout, CountersResetAfterQuietWindow) {
    Lockout lockout;
    int64_t now = kT0;
    for (int i = 0; i < 4; ++i) lockout.RecordFailure("alice", "10.0.0.1", now);
    now += 16 * 60 * kSec;  // quiet longer than the 15 min window
    lockout.RecordFailure("alice", "10.0.0.1", now);
    EXPECT_TRUE(lockout.Check("alice", "10.0.0.1", now).allowed);  // counted from 1 again
}

TEST(Lockout, WaitingOutTheDelayAloneDoesNotRestoreFreeAttempts) {
    Lockout lockout;
    int64_t now = kT0;
    for (int i = 0; i < 30; ++i) lockout.RecordFailure("alice", "10.0.0.1", now);
    now += 15 * 60 * kSec + 1;  // delay over, but the window counts from its end
    EXPECT_TRUE(lockout.Check("alice", "10.0.0.1", now).allowed);
    lockout.RecordFailure("alice", "10.0.0.1", now);
    EXPECT_EQ(lockout.Check("alice", "10.0.0.1", now).retry_after_ns, 15 * 60 * kSec);
}

TEST(Lockout, MemoryIsBoundedByEvictingOldest) {
    LockoutPolicy policy;
    policy.max_entries = 3;
    policy.account_max_failures = 1;
    policy.ip_max_failures = 1000;
    Lockout lockout(policy);
    lockout.RecordFailure("u1", "ip", kT0);
    lockout.RecordFailure("u2", "ip", kT0 + 1);
    lockout.RecordFailure("u3", "ip", kT0 + 2);
    lockout.RecordFailure("u4", "ip", kT0 + 3);
    EXPECT_EQ(lockout.account_entries(), 3u);
    EXPECT_EQ(lockout.ip_entries(), 1u);
    EXPECT_TRUE(lockout.Check("u1", "x", kT0 + 4).allowed);  // evicted
    EXPECT_FALSE(lockout.Check("u4", "x", kT0 + 4).allowed);
    // Over-long keys are truncated, not stored whole.
    lockout.RecordFailure(std::string(10000, 'z'), "ip", kT0 + 5);
    EXPECT_FALSE(lockout.Check(std::string(kMaxLockoutKeyBytes, 'z'), "x", kT0 + 5).allowed);
}

}  // namespace
}  // namespace vigil::auth
