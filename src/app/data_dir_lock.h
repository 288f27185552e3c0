#pragma once
// One vigil process at a time changes a data directory: `vigil serve`, `vigil restore` and
// `vigil keys rotate` hold an exclusive flock(2) on DIR/vigil.lock while they run. The kernel
// drops the lock when the process ends, however it ends, so a crash never leaves a stale lock;
// the file itself stays and carries the pid of the last holder for the error message.
// (`vigil backup` takes no lock: it copies a live directory consistently.)

#include <cstdint>
#include <filesystem>
#include <string>

#include "base/result.h"

namespace vigil::app {

inline constexpr const char* kLockFileName = "vigil.lock";

class DataDirLock {
public:
    DataDirLock(DataDirLock&& other) noexcept;
    DataDirLock& operator=(DataDirLock&& other) noexcept;
    DataDirLock(const DataDirLock&) = delete;
    DataDirLock& operator=(const DataDirLock&) = delete;
    ~DataDirLock();  // releases the lock

    const std::filesystem::path& path() const { return path_; }

private:
    friend Result<DataDirLock> LockDataDir(const std::filesystem::path& dir);

    // Whether a vigil process holds the lock of DIR now, for `vigil status`. Probes with a shared
    // flock taken and dropped at once (never written to, never created), so it does not disturb the
    // holder; a `vigil serve` trying to start within those microseconds would be refused.
    struct DataDirLockState {
        bool held = false;
        std::string pid;       // the pid the last holder wrote ("" when unknown)
        int64_t since_ns = 0;  // when the last holder took the lock (the file's mtime)
    };
    // not_found when DIR does not exist; permission_denied when the lock file cannot be read.
    Result<DataDirLockState> ProbeDataDirLock(const std::filesystem::path& dir);
    DataDirLock(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::filesystem::path path_;
};

// Non-blocking. failed_precondition "the data directory DIR is in use by another vigil process
// (pid N)" when another process (or another DataDirLock in this one) holds it; not_found when
// DIR does not exist. The lock file is created with mode 0600.
Result<DataDirLock> LockDataDir(const std::filesystem::path& dir);

// Whether a vigil process holds the lock of DIR now, for `vigil status`. Probes with a shared
// flock taken and dropped at once (never written to, never created), so it does not disturb the
// holder; a `vigil serve` trying to start within those microseconds would be refused.
struct DataDirLockState {
    bool held = false;
    std::string pid;       // the pid the last holder wrote ("" when unknown)
    int64_t since_ns = 0;  // when the last holder took the lock (the file's mtime)
};
// not_found when DIR does not exist; permission_denied when the lock file cannot be read.
Result<DataDirLockState> ProbeDataDirLock(const std::filesystem::path& dir);

}  // namespace vigil::app
