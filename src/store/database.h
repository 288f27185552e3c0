#pragma once
// SQLite connection, prepared statements and transactions for the embedded state store.
//
// sqlite3.h stays in database.cpp: callers see only these wrappers. Every failure is a Status
// whose message carries SQLite's own text and the start of the SQL it came from, e.g.
//   sqlite: UNIQUE constraint failed: users.name (constraint) in "INSERT INTO users(name) ..."
//
// A Database (and every Statement prepared on it) belongs to one thread at a time.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace vigil::store {

// Named limit: SQL text kept in error messages.
inline constexpr size_t kSqlContextChars = 80;

struct OpenOptions {
    bool read_only = false;
    // read-write only: create the file when it does not exist.
    bool create = true;
    // How long a writer waits for another connection's lock before SQLITE_BUSY.
    int busy_timeout_ms = 5000;
    // NORMAL is durable in WAL mode up to the last checkpoint of the WAL; FULL also syncs each
    // commit (the audit database asks for it: an acknowledged audit record must survive a
    // power cut).
    bool synchronous_full = false;
    // The page size of a new database file (0: SQLite's default); ignored for an existing one.
    int page_size = 0;
};

class Database;

// A prepared statement. Parameters are bound by 1-based index, columns read by 0-based index
// (SQLite's conventions). Finalized on destruction.
class Statement {
public:
    enum class StepResult { kRow, kDone };

    Statement(Statement&&) noexcept;
    Statement& operator=(Statement&&) noexcept;
    ~Statement();

    Status BindInt64(int index, int64_t value);
    Status BindDouble(int index, double value);
    Status BindText(int index, std::string_view value);
    Status BindBlob(int index, std::string_view bytes);
    // Without a copy: the bytes must stay valid until the statement has run (Run, or the last
    // Step). For hot inserts, where SQLite's copy of every text is measurable.
    Status BindTextUnowned(int index, std::string_view value);
    Status BindBlobUnowned(int index, std::string_view bytes);
    Status BindNull(int index);

    // kRow: a row is ready for the column getters; kDone: the statement has finished.
    Result<StepResult> Step();
    // Steps a statement that returns no rows (INSERT, UPDATE, DELETE, DDL).
    Status Run();

    int ColumnCount() const;
    bool ColumnIsNull(int index) const;
    int64_t ColumnInt64(int index) const;
    double ColumnDouble(int index) const;
    std::string ColumnText(int index) const;
    std::string ColumnBlob(int index) const;
    // Text or blob bytes without a copy; valid until the next Step, Reset or column call on the
    // same column.
    std::string_view ColumnView(int index) const;

    // Makes the statement ready to run again and clears its bindings.
    void Reset();

    const std::string& sql() const { return sql_; }

private:
    friend class Database;
    Statement(sqlite3_stmt* stmt, sqlite3* db, std::string sql);
    Status Check(int rc, std::string_view what) const;

    struct Finalizer {
        void operator()(sqlite3_stmt* stmt) const;
    };
    std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
    sqlite3* db_ = nullptr;  // not owned
    std::string sql_;
};

class Database {
public:
    // Opens (and by default creates) the database at path and sets the connection up:
    // journal_mode=WAL, foreign_keys=ON, synchronous=NORMAL|FULL, secure_delete=ON, busy timeout.
    // A read-only connection leaves the journal mode as the file has it.
    static Result<Database> Open(const std::filesystem::path& path,
                                 const OpenOptions& options = {});

    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;
    ~Database();

    // Runs one or more statements that return no rows.
    Status Exec(std::string_view sql);
    // A new statement owned by the caller.
    Result<Statement> Prepare(std::string_view sql);
    // A statement prepared once per connection and kept, reset, for the next call with the same
    // SQL. The pointer stays valid as long as the Database. Not reentrant: do not run the same
    // SQL from two places at once (Prepare a private statement for that).
    Result<Statement*> Cached(std::string_view sql);

    int64_t LastInsertRowId() const;
    // Rows changed by the last INSERT, UPDATE or DELETE.
    int64_t Changes() const;
    // Rows changed since the connection opened (FTS5 'merge' reports its work through it).
    int64_t TotalChanges() const;
    bool read_only() const { return read_only_; }
    const std::filesystem::path& path() const { return path_; }
    // For backup.cpp and tests; never null on an open Database.
    sqlite3* handle() const { return db_.get(); }

private:
    struct Closer {
        void operator()(sqlite3* db) const;
    };
    Database(sqlite3* db, std::filesystem::path path, bool read_only);

    std::unique_ptr<sqlite3, Closer> db_;
    std::filesystem::path path_;
    bool read_only_ = false;
    // Declared after db_ so statements are finalized before the connection closes.
    std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// BEGIN IMMEDIATE on creation (the write lock is taken up front, so a transaction never fails
// half-way with SQLITE_BUSY on lock upgrade); ROLLBACK on destruction unless committed.
class Transaction {
public:
    static Result<Transaction> Begin(Database& db);

    Transaction(Transaction&&) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();

    Status Commit();
    // Explicit rollback; the destructor does the same when Commit was not reached.
    Status Rollback();

private:
    explicit Transaction(Database* db) : db_(db) {}
    Database* db_;  // null once committed or rolled back
};

// Error from a SQLite result code, with the connection's message and the SQL for context.
Error SqliteError(sqlite3* db, int rc, std::string_view sql);

// The heap SQLite holds across every connection of the process (page caches, statements,
// FTS5 buffers): now, and the most at any time since start.
struct SqliteHeap {
    int64_t used_bytes = 0;
    int64_t peak_bytes = 0;
};
SqliteHeap SqliteHeapUsage();

}  // namespace vigil::store
