#include "base/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vigil {

Status SyncDirectory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return MakeError(Code::kUnavailable,
                         "opening directory " + dir.string() + ": " + std::strerror(errno));
    }
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
        return MakeError(Code::kUnavailable,
                         "syncing directory " + dir.string() + ": " + std::strerror(err));
    }
    return Ok();
}

}  // namespace vigil
