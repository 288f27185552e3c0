#pragma once
// Online backup: a consistent copy of a live database (SQLite's backup API), for `vigil backup`.

#include <filesystem>

#include "base/result.h"
#include "store/database.h"

namespace vigil::store {

// Copies src to dest_path in one read transaction, so the copy is the database as of one
// moment even while other connections write (in WAL mode they are not blocked). The copy is
// written to "<dest_path>.partial" and renamed into place when complete; an existing dest_path
// is refused (kAlreadyExists) rather than overwritten.
Status OnlineBackup(Database& src, const std::filesystem::path& dest_path);

}  // namespace vigil::store
