#include "base/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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

Status ReplaceFile(const std::filesystem::path& path, std::string_view text) {
    const std::filesystem::path tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    std::FILE* f = fd < 0 ? nullptr : ::fdopen(fd, "wb");
    if (f == nullptr) {
        const int err = errno;
        if (fd >= 0) ::close(fd);
        return MakeError(Code::kUnavailable, "writing " + tmp.string() + ": " + std::strerror(err));
    }
    const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    const bool closed = std::fclose(f) == 0;
    if (!written || !closed) {
        ::unlink(tmp.c_str());
        return MakeError(Code::kUnavailable, "writing " + tmp.string() + ": short write");
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return MakeError(Code::kUnavailable,
                         "replacing " + path.string() + ": " + std::strerror(err));
    }
    return Ok();
}

}  // namespace vigil
