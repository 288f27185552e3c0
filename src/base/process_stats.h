#pragma once
// What the running process uses, read from Linux's /proc/self: memory, CPU time, open file
// descriptors. For the status snapshot and /metrics (operators watch the memory bound of a
// long-running `vigil serve` there).

#include <cstdint>
#include <optional>

namespace vigil {

struct ProcessStats {
    uint64_t resident_bytes = 0;       // VmRSS
    uint64_t peak_resident_bytes = 0;  // VmHWM: the most resident at any time since start
    uint64_t virtual_bytes = 0;        // VmSize
    double cpu_seconds = 0;            // user + system, all threads
    uint64_t open_fds = 0;
    double start_time_seconds = 0;  // since the Unix epoch
};

// Nothing when /proc/self cannot be read (not Linux, or /proc not mounted).
std::optional<ProcessStats> ReadProcessStats();

}  // namespace vigil
