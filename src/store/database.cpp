#include "store/database.h"

#include <utility>

#include <sqlite3.h>

namespace vigil::store {

namespace {

Code CodeFor(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_IOERR:
            return Code::kUnavailable;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return Code::kDataLoss;
        case SQLITE_CONSTRAINT:
            return Code::kFailedPrecondition;
        case SQLITE_CANTOPEN:
            return Code::kNotFound;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
            return Code::kPermissionDenied;
        case SQLITE_FULL:
        case SQLITE_NOMEM:
        case SQLITE_TOOBIG:
            return Code::kResourceExhausted;
        case SQLITE_RANGE:
        case SQLITE_MISMATCH:
        case SQLITE_MISUSE:
            return Code::kInvalidArgument;
        default:
            return Code::kInternal;
    }
}

std::string SqlContext(std::string_view sql) {
    std::string out;
    for (char c : sql.substr(0, kSqlContextChars)) out += (c == '\n' || c == '\t') ? ' ' : c;
    if (sql.size() > kSqlContextChars) out += "...";
    return out;
}

}  // namespace

SqliteHeap SqliteHeapUsage() { return {sqlite3_memory_used(), sqlite3_memory_highwater(0)}; }

Error SqliteError(sqlite3* db, int rc, std::string_view sql) {
    // The connection's message is the most specific one (it names the constraint or table);
    // it is only about rc when the last call on the connection produced rc.
    std::string message = "sqlite: ";
    if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff)) {
        message += sqlite3_errmsg(db);
    } else {
        message += sqlite3_errstr(rc);
    }
    if (!sql.empty()) message += " in \"" + SqlContext(sql) + "\"";
    return Error{CodeFor(rc), std::move(message)};
}

// ---- Statement -------------------------------------------------------------------------------

void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Statement::Statement(sqlite3_stmt* stmt, sqlite3* db, std::string sql)
    : stmt_(stmt), db_(db), sql_(std::move(sql)) {}
Statement::Statement(Statement&&) noexcept = default;
Statement& Statement::operator=(Statement&&) noexcept = default;
Statement::~Statement() = default;

Status Statement::Check(int rc, std::string_view what) const {
    if (rc == SQLITE_OK) return Ok();
    return tl::unexpected(SqliteError(db_, rc, sql_).WithContext(what));
}

Status Statement::BindInt64(int index, int64_t value) {
    return Check(sqlite3_bind_int64(stmt_.get(), index, value), "binding parameter");
}
Status Statement::BindDouble(int index, double value) {
    return Check(sqlite3_bind_double(stmt_.get(), index, value), "binding parameter");
}
namespace {
// A null data pointer would bind NULL; an empty blob must stay an empty blob.
const char kEmptyBlob = 0;
}  // namespace

Status Statement::BindText(int index, std::string_view value) {
    return Check(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(),
                                     SQLITE_TRANSIENT, SQLITE_UTF8),
                 "binding parameter");
}
Status Statement::BindBlob(int index, std::string_view bytes) {
    return Check(sqlite3_bind_blob64(stmt_.get(), index, bytes.empty() ? &kEmptyBlob : bytes.data(),
                                     bytes.size(), SQLITE_TRANSIENT),
                 "binding parameter");
}
Status Statement::BindTextUnowned(int index, std::string_view value) {
    return Check(sqlite3_bind_text64(stmt_.get(), index, value.empty() ? "" : value.data(),
                                     value.size(), SQLITE_STATIC, SQLITE_UTF8),
                 "binding parameter");
}
Status Statement::BindBlobUnowned(int index, std::string_view bytes) {
    return Check(sqlite3_bind_blob64(stmt_.get(), index, bytes.empty() ? &kEmptyBlob : bytes.data(),
                                     bytes.size(), SQLITE_STATIC),
                 "binding parameter");
}
Status Statement::BindNull(int index) {
    return Check(sqlite3_bind_null(stmt_.get(), index), "binding parameter");
}

Result<Statement::StepResult> Statement::Step() {
    int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return StepResult::kRow;
    if (rc == SQLITE_DONE) return StepResult::kDone;
    Error error = SqliteError(db_, rc, sql_);
    sqlite3_reset(stmt_.get());  // makes the statement reusable after the error
    return tl::unexpected(std::move(error));
}

Status Statement::Run() {
    auto step = Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    sqlite3_reset(stmt_.get());
    return Ok();
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_.get()); }
bool Statement::ColumnIsNull(int index) const {
    return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL;
}
int64_t Statement::ColumnInt64(int index) const { return sqlite3_column_int64(stmt_.get(), index); }
double Statement::ColumnDouble(int index) const {
    return sqlite3_column_double(stmt_.get(), index);
}
std::string Statement::ColumnText(int index) const {
    const auto* p = sqlite3_column_text(stmt_.get(), index);
    int n = sqlite3_column_bytes(stmt_.get(), index);  // after the pointer, as SQLite asks
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n))
             : std::string();
}
std::string Statement::ColumnBlob(int index) const {
    const void* p = sqlite3_column_blob(stmt_.get(), index);
    int n = sqlite3_column_bytes(stmt_.get(), index);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

std::string_view Statement::ColumnView(int index) const {
    const void* p = sqlite3_column_blob(stmt_.get(), index);
    int n = sqlite3_column_bytes(stmt_.get(), index);
    return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
             : std::string_view();
}

void Statement::Reset() {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
}

// ---- Database --------------------------------------------------------------------------------

// close_v2: statements still alive (a moved-from cache) turn the connection into a zombie that
// closes with the last of them instead of failing.
void Database::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Database::Database(sqlite3* db, std::filesystem::path path, bool read_only)
    : db_(db), path_(std::move(path)), read_only_(read_only) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        cache_.clear();
        db_ = std::move(other.db_);
        path_ = std::move(other.path_);
        read_only_ = other.read_only_;
        cache_ = std::move(other.cache_);
    }
    return *this;
}
Database::~Database() = default;

Result<Database> Database::Open(const std::filesystem::path& path, const OpenOptions& options) {
    int flags = SQLITE_OPEN_NOMUTEX;  // one thread per connection; no per-call locking needed
    if (options.read_only) {
        flags |= SQLITE_OPEN_READONLY;
    } else {
        flags |= SQLITE_OPEN_READWRITE;
        if (options.create) flags |= SQLITE_OPEN_CREATE;
    }
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    Database db(raw, path, options.read_only);
    if (rc != SQLITE_OK) {
        return tl::unexpected(
            SqliteError(raw, rc, "").WithContext("opening database " + path.string()));
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, options.busy_timeout_ms);

    std::string setup = "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;";
    if (!options.read_only && options.page_size > 0) {
        setup += "PRAGMA page_size=" + std::to_string(options.page_size) + ";";
    }
    if (!options.read_only) {
        setup +=
            options.synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
    }
    if (auto st = db.Exec(setup); !st) {
        return tl::unexpected(
            std::move(st.error()).WithContext("opening database " + path.string()));
    }
    if (!options.read_only) {
        // journal_mode answers with the mode in force: a file system without shared memory
        // support leaves it at "delete", which must not pass silently.
        auto stmt = db.Prepare("PRAGMA journal_mode=WAL");
        if (!stmt) {
            return tl::unexpected(
                std::move(stmt.error()).WithContext("opening database " + path.string()));
        }
        auto step = stmt->Step();
        if (!step) {
            return tl::unexpected(
                std::move(step.error()).WithContext("opening database " + path.string()));
        }
        std::string mode = *step == Statement::StepResult::kRow ? stmt->ColumnText(0) : "";
        if (mode != "wal") {
            return MakeError(Code::kFailedPrecondition,
                             "opening database " + path.string() +
                                 ": cannot switch to WAL journal mode (got '" + mode + "')");
        }
    } else {
        // Verify reads from the file itself: a missing or empty file is not a database.
        auto stmt = db.Prepare("SELECT count(*) FROM sqlite_master");
        if (!stmt) {
            return tl::unexpected(
                std::move(stmt.error()).WithContext("opening database " + path.string()));
        }
        if (auto step = stmt->Step(); !step) {
            return tl::unexpected(
                std::move(step.error()).WithContext("opening database " + path.string()));
        }
    }
    return db;
}

Status Database::Exec(std::string_view sql) {
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return Ok();
    std::string message = "sqlite: ";
    message += err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    message += " in \"" + SqlContext(sql) + "\"";
    return MakeError(CodeFor(rc), std::move(message));
}

Result<Statement> Database::Prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return tl::unexpected(SqliteError(db_.get(), rc, sql).WithContext("preparing statement"));
    }
    if (stmt == nullptr) return InvalidArgument("preparing statement: empty SQL");
    // A second statement in the text would silently never run.
    for (const char* p = tail; p != nullptr && p < sql.data() + sql.size(); ++p) {
        if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') {
            sqlite3_finalize(stmt);
            return InvalidArgument("preparing statement: more than one statement in \"" +
                                   SqlContext(sql) + "\"");
        }
    }
    return Statement(stmt, db_.get(), std::string(sql));
}

Result<Statement*> Database::Cached(std::string_view sql) {
    std::string key(sql);
    if (auto it = cache_.find(key); it != cache_.end()) {
        it->second->Reset();
        return it->second.get();
    }
    auto stmt = Prepare(sql);
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    auto owned = std::make_unique<Statement>(std::move(*stmt));
    Statement* out = owned.get();
    cache_.emplace(std::move(key), std::move(owned));
    return out;
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_.get()); }
int64_t Database::Changes() const { return sqlite3_changes64(db_.get()); }

int64_t Database::TotalChanges() const { return sqlite3_total_changes64(db_.get()); }

// ---- Transaction -----------------------------------------------------------------------------

Result<Transaction> Transaction::Begin(Database& db) {
    if (auto st = db.Exec("BEGIN IMMEDIATE"); !st) {
        return tl::unexpected(std::move(st.error()).WithContext("starting transaction"));
    }
    return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
    if (db_ != nullptr) (void)Rollback();
}

Status Transaction::Commit() {
    if (db_ == nullptr) {
        return MakeError(Code::kFailedPrecondition, "transaction already finished");
    }
    auto st = db_->Exec("COMMIT");
    if (!st) {
        // A failed COMMIT (SQLITE_BUSY, disk full) leaves the transaction open: roll it back so
        // the connection is usable and nothing half-done stays pending.
        (void)Rollback();
        return tl::unexpected(std::move(st.error()).WithContext("committing transaction"));
    }
    db_ = nullptr;
    return Ok();
}

Status Transaction::Rollback() {
    if (db_ == nullptr) return Ok();
    Database* db = std::exchange(db_, nullptr);
    // SQLite may already have rolled back on its own (after SQLITE_FULL, for example).
    if (sqlite3_get_autocommit(db->handle())) return Ok();
    return db->Exec("ROLLBACK");
}

}  // namespace vigil::store
