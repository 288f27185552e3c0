#pragma once
// Small file-system helpers shared by the layers above.

#include <filesystem>

#include "base/result.h"

namespace vigil {

// fsync of a directory, so a file created, renamed or removed in it survives a crash.
Status SyncDirectory(const std::filesystem::path& dir);

}  // namespace vigil
