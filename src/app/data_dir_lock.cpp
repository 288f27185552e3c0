#include "app/data_dir_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <sys/file.h>

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

}  // namespace vigil::app
