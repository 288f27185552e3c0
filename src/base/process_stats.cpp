#include "base/process_stats.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/strings.h"

namespace vigil {
namespace {

// "VmRSS:	  123456 kB" -> bytes.
std::optional<uint64_t> StatusKb(std::string_view line, std::string_view key) {
    if (!line.starts_with(key)) return std::nullopt;
    std::string_view v = Trim(line.substr(key.size()));
    if (v.ends_with(" kB")) v.remove_suffix(3);
    const auto kb = ParseInt(v);
    if (!kb || *kb < 0) return std::nullopt;
    return static_cast<uint64_t>(*kb) * 1024;
}

// From /proc/self/stat: the user and system CPU time (fields 14 and 15) and the start time
// after boot (field 22), all in clock ticks.
bool ReadStat(ProcessStats& out) {
    std::ifstream in("/proc/self/stat");
    std::string stat;
    if (!std::getline(in, stat)) return false;
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) return false;
    const std::vector<std::string_view> f =
        Split(Trim(std::string_view(stat).substr(close + 1)), ' ');
    if (f.size() < 20) return false;  // f[0] is field 3
    const auto utime = ParseInt(f[14 - 3]), stime = ParseInt(f[15 - 3]),
               start = ParseInt(f[22 - 3]);
    if (!utime || !stime || !start) return false;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    out.cpu_seconds = static_cast<double>(*utime + *stime) / ticks;
    timespec now_real{}, now_boot{};
    clock_gettime(CLOCK_REALTIME, &now_real);
    clock_gettime(CLOCK_BOOTTIME, &now_boot);
    const double boot_epoch = static_cast<double>(now_real.tv_sec - now_boot.tv_sec) +
                              static_cast<double>(now_real.tv_nsec - now_boot.tv_nsec) / 1e9;
    out.start_time_seconds = boot_epoch + static_cast<double>(*start) / ticks;
    return true;
}

}  // namespace

std::optional<ProcessStats> ReadProcessStats() {
    ProcessStats s;
    {
        std::ifstream status("/proc/self/status");  // closed before the descriptors are counted
        if (!status) return std::nullopt;
        std::string line;
        while (std::getline(status, line)) {
            if (auto v = StatusKb(line, "VmRSS:")) s.resident_bytes = *v;
            if (auto v = StatusKb(line, "VmHWM:")) s.peak_resident_bytes = *v;
            if (auto v = StatusKb(line, "VmSize:")) s.virtual_bytes = *v;
        }
    }
    // The kernel updates VmHWM lazily (at unmaps and from per-thread counters it syncs now and
    // then), so it can read a little below the VmRSS of the same moment.
    s.peak_resident_bytes = std::max(s.peak_resident_bytes, s.resident_bytes);
    if (!ReadStat(s)) return std::nullopt;
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
        ++s.open_fds;
    }
    // The directory's own descriptor, open while it is listed, is not one of the process's.
    if (s.open_fds > 0) --s.open_fds;
    return s;
}

}  // namespace vigil
