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

Status OnlineBackup(Database& src, const std::filesystem::path& dest_path,
                    const OnlineBackupHooks& hooks) {
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

    // One read transaction on the source around every step, hence one consistent snapshot
    // however many steps the copy takes (a step opens none of its own inside it). Writers in WAL
    // mode go on meanwhile; a lock held by a writer in rollback mode is retried briefly.
    sqlite3* source = src.handle();
    int step_rc = SQLITE_OK;
    for (int attempt = 0; attempt < 100; ++attempt) {
        step_rc = sqlite3_exec(source, "BEGIN; SELECT count(*) FROM sqlite_schema;", nullptr,
                               nullptr, nullptr);
        if (step_rc != SQLITE_BUSY && step_rc != SQLITE_LOCKED) break;
        if (sqlite3_get_autocommit(source) == 0) sqlite3_exec(source, "ROLLBACK", 0, 0, 0);
        sqlite3_sleep(50);
    }
    if (step_rc != SQLITE_OK) return fail(SqliteError(source, step_rc, "BEGIN"));
    struct EndRead {
        sqlite3* db;
        ~EndRead() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
    } end_read{source};
    sqlite3_backup* backup = sqlite3_backup_init(dest.get(), "main", source, "main");
    if (backup == nullptr) {
        return fail(SqliteError(dest.get(), sqlite3_extended_errcode(dest.get()), ""));
    }
    constexpr int kPagesPerStep = 1024;
    int64_t page_size = 4096;
    if (sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(source, "PRAGMA page_size", -1, &st, nullptr) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) page_size = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    bool cancelled = false;
    for (int busy = 0;;) {
        step_rc = sqlite3_backup_step(backup, kPagesPerStep);
        if ((step_rc == SQLITE_BUSY || step_rc == SQLITE_LOCKED) && ++busy < 100) {
            sqlite3_sleep(50);
            continue;
        }
        busy = 0;
        if (step_rc != SQLITE_OK) break;  // SQLITE_DONE or an error
        if (hooks.progress) {
            const int total = sqlite3_backup_pagecount(backup);
            const int left = sqlite3_backup_remaining(backup);
            hooks.progress(static_cast<uint64_t>(total - left) * static_cast<uint64_t>(page_size));
        }
        if (hooks.cancelled && hooks.cancelled()) {
            cancelled = true;
            break;
        }
    }
    rc = sqlite3_backup_finish(backup);
    if (cancelled) return fail(Error{Code::kCancelled, "interrupted"});
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
