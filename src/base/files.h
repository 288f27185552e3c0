#pragma once
// Small file-system helpers shared by the layers above.

#include <filesystem>
#include <string_view>

#include "base/result.h"

namespace vigil {

// fsync of a directory, so a file created, renamed or removed in it survives a crash.
Status SyncDirectory(const std::filesystem::path& dir);

// Replaces `path` with `text` at once (a file beside it, mode 0600, renamed over it): a reader
// sees the old content or the new, never a part. Not synced: for status files rewritten often.
Status ReplaceFile(const std::filesystem::path& path, std::string_view text);

}  // namespace vigil
