#include "app/data_dir_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <sys/file.h>
#include <sys/stat.h>

namespace vigil::app {

namespace fs = std::filesystem;

DataDirLock::DataDirLock(DataDirLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

DataDirLock::~DataDirLock() {
    // Closing the last descriptor of the open file description releases the flock.
    if (fd_ >= 0) ::close(fd_);
}

Result<DataDirLock> LockDataDir(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return NotFound("the data directory " + dir.string() + " does not exist");
    }
    const fs::path path = dir / kLockFileName;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int err = errno;
        return MakeError(
            err == EACCES || err == EROFS ? Code::kPermissionDenied : Code::kUnavailable,
            "cannot open the lock file " + path.string() + ": " + std::strerror(err));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        // The holder wrote its pid when it took the lock.
        char buf[32] = {};
        const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
        ::close(fd);
        if (err != EWOULDBLOCK) {
            return MakeError(Code::kUnavailable,
                             "cannot lock " + path.string() + ": " + std::strerror(err));
        }
        std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
        return MakeError(Code::kFailedPrecondition,
                         "the data directory " + dir.string() +
                             " is in use by another vigil process (pid " +
                             (pid.empty() ? std::string("unknown") : pid) +
                             "); stop it (e.g. vigil serve) and try again");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        // The lock is held; only the pid for others' messages is missing.
    }
    return DataDirLock(fd, path);
}

Result<DataDirLockState> ProbeDataDirLock(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return NotFound("the data directory " + dir.string() + " does not exist");
    }
    DataDirLockState state;
    const fs::path path = dir / kLockFileName;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        // No lock file: no vigil process has locked this directory yet.
        if (err == ENOENT) return state;
        return MakeError(err == EACCES ? Code::kPermissionDenied : Code::kUnavailable,
                         "cannot open the lock file " + path.string() + ": " + std::strerror(err));
    }
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    state.pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!state.pid.empty() && (state.pid.back() == '\n' || state.pid.back() == ' ')) {
        state.pid.pop_back();
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0) {
        state.since_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    }
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
        ::flock(fd, LOCK_UN);
    } else if (errno == EWOULDBLOCK) {
        state.held = true;
    } else {
        const int err = errno;
        ::close(fd);
        return MakeError(Code::kUnavailable,
                         "cannot probe the lock " + path.string() + ": " + std::strerror(err));
    }
    ::close(fd);
    return state;
}

}  // namespace vigil::app
