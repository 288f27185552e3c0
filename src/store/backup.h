#pragma once
// Online backup: a consistent copy of a live database (SQLite's backup API), for `vigil backup`.

#include <cstdint>
#include <filesystem>
#include <functional>

#include "base/result.h"
#include "store/database.h"

namespace vigil::store {

// Copies src to dest_path in one read transaction, so the copy is the database as of one
// moment even while other connections write (in WAL mode they are not blocked). The copy is
// written to "<dest_path>.partial" and renamed into place when complete; an existing dest_path
// is refused (kAlreadyExists) rather than overwritten. The copy goes a few MiB at a time within
// that one transaction: `cancelled` (kCancelled, no copy left) and `progress` (bytes copied so
// far) are called between the steps.
struct OnlineBackupHooks {
    std::function<bool()> cancelled;
    std::function<void(uint64_t)> progress;
};
Status OnlineBackup(Database& src, const std::filesystem::path& dest_path,
                    const OnlineBackupHooks& hooks = {});

}  // namespace vigil::store
