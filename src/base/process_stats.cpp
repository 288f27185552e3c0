#include "base/process_stats.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace vigil {
namespace {

// "VmRSS:	  123456 kB" -> bytes.
std::optional<uint64_t> StatusKb(std::string_view line, std::string_view key) {
    if (line.substr(0, key.size()) != key) return std::nullopt;
    line.remove_prefix(key.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    uint64_t kb = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), kb);
    if (ec != std::errc()) return std::nullopt;
    return kb * 1024;
}

// The seconds since boot at which the process started, from /proc/self/stat's 22nd field (in
// clock ticks), and its user and system CPU time (fields 14 and 15).
bool ReadStat(ProcessStats& out) {
    std::ifstream in("/proc/self/stat");
    std::string stat;
    if (!std::getline(in, stat)) return false;
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) return false;
    std::string_view rest = std::string_view(stat).substr(close + 1);
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    uint64_t utime = 0, stime = 0, start = 0;
    for (int field = 3; !rest.empty() && field <= 22; ++field) {
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        const size_t sp = rest.find(' ');
        std::string_view tok = rest.substr(0, sp);
        uint64_t* target = field == 14   ? &utime
                           : field == 15 ? &stime
                           : field == 22 ? &start
                                         : nullptr;
        if (target) std::from_chars(tok.data(), tok.data() + tok.size(), *target);
        rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp);
    }
    out.cpu_seconds = static_cast<double>(utime + stime) / ticks;
    timespec now_real{}, now_boot{};
    clock_gettime(CLOCK_REALTIME, &now_real);
    clock_gettime(CLOCK_BOOTTIME, &now_boot);
    const double boot_epoch = static_cast<double>(now_real.tv_sec - now_boot.tv_sec) +
                              static_cast<double>(now_real.tv_nsec - now_boot.tv_nsec) / 1e9;
    out.start_time_seconds = boot_epoch + static_cast<double>(start) / ticks;
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
