#include "store/backup.h"

#include <memory>
#include <system_error>

#include <sqlite3.h>

namespace vigil::store {

namespace {

struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

}  // namespace

Status OnlineBackup(Database& src, const std::filesystem::path& dest_path) {
    namespace fs = std::filesystem;
    const std::string context = "backing up " + src.path().string() + " to " + dest_path.string();
    std::error_code ec;
    if (fs::exists(dest_path, ec)) {
        return MakeError(Code::kAlreadyExists, context + ": the destination exists");
    }
    fs::path partial = dest_path;
    partial += ".partial";
    fs::remove(partial, ec);  // left over from an interrupted backup

    sqlite3* raw = nullptr;
    int rc =
        sqlite3_open_v2(partial.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    std::unique_ptr<sqlite3, Closer> dest(raw);
    auto fail = [&](Error error) -> Status {
        dest.reset();
        fs::remove(partial, ec);
        return tl::unexpected(std::move(error).WithContext(context));
    };
    if (rc != SQLITE_OK) return fail(SqliteError(raw, rc, ""));

    sqlite3_backup* backup = sqlite3_backup_init(dest.get(), "main", src.handle(), "main");
    if (backup == nullptr) {
        return fail(SqliteError(dest.get(), sqlite3_extended_errcode(dest.get()), ""));
    }
    // All pages in one step: one read transaction, hence one consistent snapshot. Writers in
    // WAL mode go on meanwhile; a lock held by a writer in rollback mode is retried briefly.
    int step_rc = SQLITE_OK;
    for (int attempt = 0; attempt < 100; ++attempt) {
        step_rc = sqlite3_backup_step(backup, -1);
        if (step_rc != SQLITE_BUSY && step_rc != SQLITE_LOCKED) break;
        sqlite3_sleep(50);
    }
    rc = sqlite3_backup_finish(backup);
    if (step_rc != SQLITE_DONE) return fail(SqliteError(dest.get(), step_rc, ""));
    if (rc != SQLITE_OK) return fail(SqliteError(dest.get(), rc, ""));
    // The copy has the source's WAL flag; fold everything into the main file so the backup is
    // one self-contained file.
    rc = sqlite3_exec(dest.get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return fail(SqliteError(dest.get(), rc, "PRAGMA journal_mode=DELETE"));
    dest.reset();

    fs::rename(partial, dest_path, ec);
    if (ec) {
        fs::remove(partial, ec);
        return MakeError(Code::kUnavailable, context + ": renaming the copy: " + ec.message());
    }
    return Ok();
}

}  // namespace vigil::store
