#include "base/process_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(ProcessStats, MemoryFollowsWhatTheProcessTouches) {
    auto before = ReadProcessStats();
    ASSERT_TRUE(before) << "/proc/self is not readable";
    EXPECT_GT(before->resident_bytes, 0u);
    EXPECT_GE(before->peak_resident_bytes, before->resident_bytes);
    EXPECT_GE(before->virtual_bytes, before->resident_bytes);

    constexpr size_t kBytes = 64u << 20;
    auto block = std::make_unique<char[]>(kBytes);
    std::memset(block.get(), 1, kBytes);  // touched: resident
    auto during = ReadProcessStats();
    ASSERT_TRUE(during);
    EXPECT_GE(during->resident_bytes, before->resident_bytes + kBytes - (4u << 20));
    EXPECT_GE(during->peak_resident_bytes, during->resident_bytes);
    block.reset();
    auto after = ReadProcessStats();
    ASSERT_TRUE(after);
    // The peak stays (the kernel's count may lag the moment's by a few pages).
    EXPECT_GE(after->peak_resident_bytes, during->resident_bytes - (1u << 20));
}

// The descriptors in /proc/self/fd, less the one that lists them.
uint64_t ListedDescriptors() {
    uint64_t n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr) return 0;
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.') ++n;
    }
    ::closedir(d);
    return n - 1;
}

TEST(ProcessStats, CountsOpenDescriptorsAndCpuTime) {
    auto before = ReadProcessStats();
    ASSERT_TRUE(before);
    EXPECT_EQ(before->open_fds, ListedDescriptors());  // none of its own counted
    const int fd = ::open("/proc/self/status", O_RDONLY);
    ASSERT_GE(fd, 0);
    auto open = ReadProcessStats();
    ::close(fd);
    ASSERT_TRUE(open);
    EXPECT_EQ(open->open_fds, before->open_fds + 1);

    // CPU time grows with work (the clock ticks in 10 ms steps: work until it moves).
    volatile uint64_t x = 0;
    auto now = *open;
    for (int round = 0; round < 1000 && now.cpu_seconds <= before->cpu_seconds; ++round) {
        for (int i = 0; i < 10000000; ++i) x = x + static_cast<uint64_t>(i);
        now = *ReadProcessStats();
    }
    EXPECT_GT(now.cpu_seconds, before->cpu_seconds);

    // This test program started a moment ago (within the hour, however slow the machine).
    const double t = static_cast<double>(::time(nullptr));
    EXPECT_LE(before->start_time_seconds, t + 1);
    EXPECT_GT(before->start_time_seconds, t - 3600);
    EXPECT_NEAR(now.start_time_seconds, before->start_time_seconds, 0.05);
}

}  // namespace
}  // namespace vigil
