#include "store/database.h"

#include <cstdint>
#include <cstdio>
#include <stdexcept>

#include <gtest/gtest.h>

#include "store/tests/test_util.h"

namespace vigil::store {
namespace {

using testing::TempDir;
using Step = Statement::StepResult;

std::string QueryText(Database& db, const std::string& sql) {
    auto stmt = db.Prepare(sql);
    EXPECT_TRUE(stmt.has_value()) << stmt.error().message;
    auto step = stmt->Step();
    EXPECT_TRUE(step.has_value());
    return *step == Step::kRow ? stmt->ColumnText(0) : "";
}

int64_t Count(Database& db, const std::string& table) {
    auto stmt = db.Prepare("SELECT count(*) FROM " + table);
    EXPECT_TRUE(stmt.has_value());
    EXPECT_EQ(*stmt->Step(), Step::kRow);
    return stmt->ColumnInt64(0);
}

TEST(SqliteDatabase, OpenSetsWalForeignKeysAndSecureDelete) {
    TempDir dir;
    auto db = Database::Open(dir / "state.db");
    ASSERT_TRUE(db.has_value()) << db.error().message;
    EXPECT_EQ(QueryText(*db, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(QueryText(*db, "PRAGMA foreign_keys"), "1");
    EXPECT_EQ(QueryText(*db, "PRAGMA secure_delete"), "1");
    EXPECT_EQ(QueryText(*db, "PRAGMA synchronous"), "1");  // NORMAL
    EXPECT_EQ(QueryText(*db, "PRAGMA busy_timeout"), "5000");
    EXPECT_TRUE(std::filesystem::exists(dir / "state.db"));
}

TEST(SqliteDatabase, SynchronousFullOnRequest) {
    TempDir dir;
    OpenOptions options;
    options.synchronous_full = true;
    auto db = Database::Open(dir / "audit.db", options);
    ASSERT_TRUE(db.has_value());
    EXPECT_EQ(QueryText(*db, "PRAGMA synchronous"), "2");  // FULL
}

TEST(SqliteDatabase, ReadOnlyRefusesWritesAndMissingFiles) {
    TempDir dir;
    {
        auto db = Database::Open(dir / "a.db");
        ASSERT_TRUE(db.has_value());
        ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").has_value());
    }
    OpenOptions ro;
    ro.read_only = true;
    auto db = Database::Open(dir / "a.db", ro);
    ASSERT_TRUE(db.has_value()) << db.error().message;
    EXPECT_TRUE(db->read_only());
    auto st = db->Exec("INSERT INTO t VALUES (1)");
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().code, Code::kPermissionDenied) << st.error().message;

    auto missing = Database::Open(dir / "missing.db", ro);
    ASSERT_FALSE(missing.has_value());
    EXPECT_NE(missing.error().message.find("missing.db"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir / "missing.db"));
}

TEST(SqliteDatabase, NotADatabaseIsDataLoss) {
    TempDir dir;
    {
        std::FILE* f = std::fopen((dir / "junk.db").c_str(), "w");
        std::fputs("this is not a database, it is a text file with enough bytes in it......", f);
        std::fclose(f);
    }
    auto db = Database::Open(dir / "junk.db");
    ASSERT_FALSE(db.has_value());
    EXPECT_EQ(db.error().code, Code::kDataLoss) << db.error().message;
}

TEST(SqliteDatabase, BindStepRoundTripsEveryType) {
    TempDir dir;
    auto db = Database::Open(dir / "t.db");
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE(db->Exec("CREATE TABLE t(i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)").has_value());
    auto insert = db->Prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)");
    ASSERT_TRUE(insert.has_value());
    const std::string blob("\x00\x01\xff\x00zz", 6);
    const std::string text = "caf\xc3\xa9 \"quoted\" 'x'";
    ASSERT_TRUE(insert->BindInt64(1, INT64_MIN).has_value());
    ASSERT_TRUE(insert->BindDouble(2, 2.5).has_value());
    ASSERT_TRUE(insert->BindText(3, text).has_value());
    ASSERT_TRUE(insert->BindBlob(4, blob).has_value());
    ASSERT_TRUE(insert->BindNull(5).has_value());
    ASSERT_TRUE(insert->Run().has_value());
    EXPECT_EQ(db->Changes(), 1);
    EXPECT_EQ(db->LastInsertRowId(), 1);

    // Reused after Reset: bindings are cleared, so unbound parameters are NULL.
    insert->Reset();
    ASSERT_TRUE(insert->BindInt64(1, 7).has_value());
    ASSERT_TRUE(insert->BindBlob(4, "").has_value());
    ASSERT_TRUE(insert->Run().has_value());

    auto select = db->Prepare("SELECT i, d, s, b, n, typeof(b) FROM t ORDER BY rowid");
    ASSERT_TRUE(select.has_value());
    ASSERT_EQ(*select->Step(), Step::kRow);
    EXPECT_EQ(select->ColumnCount(), 6);
    EXPECT_EQ(select->ColumnInt64(0), INT64_MIN);
    EXPECT_DOUBLE_EQ(select->ColumnDouble(1), 2.5);
    EXPECT_EQ(select->ColumnText(2), text);
    EXPECT_EQ(select->ColumnBlob(3), blob);
    EXPECT_TRUE(select->ColumnIsNull(4));
    EXPECT_FALSE(select->ColumnIsNull(3));
    EXPECT_EQ(select->ColumnText(5), "blob");
    ASSERT_EQ(*select->Step(), Step::kRow);
    EXPECT_EQ(select->ColumnInt64(0), 7);
    EXPECT_TRUE(select->ColumnIsNull(1));
    EXPECT_TRUE(select->ColumnIsNull(2));
    EXPECT_EQ(select->ColumnText(5), "blob");  // an empty blob, not NULL
    EXPECT_EQ(select->ColumnBlob(3), "");
    EXPECT_EQ(*select->Step(), Step::kDone);
}

TEST(SqliteDatabase, ErrorsCarrySqliteMessageAndSql) {
    TempDir dir;
    auto db = Database::Open(dir / "t.db");
    ASSERT_TRUE(db.has_value());
    auto bad = db->Prepare("SELEC nonsense");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("syntax error"), std::string::npos) << bad.error().message;
    EXPECT_NE(bad.error().message.find("\"SELEC nonsense\""), std::string::npos);

    ASSERT_TRUE(db->Exec("CREATE TABLE u(name TEXT UNIQUE)").has_value());
    ASSERT_TRUE(db->Exec("INSERT INTO u VALUES ('a')").has_value());
    auto insert = db->Prepare("INSERT INTO u VALUES (?1)");
    ASSERT_TRUE(insert.has_value());
    ASSERT_TRUE(insert->BindText(1, "a").has_value());
    auto st = insert->Run();
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().code, Code::kFailedPrecondition);
    EXPECT_NE(st.error().message.find("UNIQUE constraint failed: u.name"), std::string::npos)
        << st.error().message;
    EXPECT_NE(st.error().message.find("INSERT INTO u VALUES (?1)"), std::string::npos);

    // Long SQL is cut to its first 80 characters in the message.
    std::string longsql = "SELECT * FROM no_such_table WHERE " + std::string(200, 'x') + " = 1";
    auto missing = db->Prepare(longsql);
    ASSERT_FALSE(missing.has_value());
    EXPECT_NE(missing.error().message.find("no such table: no_such_table"), std::string::npos);
    EXPECT_NE(missing.error().message.find(longsql.substr(0, 80) + "...\""), std::string::npos);
    EXPECT_EQ(missing.error().message.find(longsql.substr(0, 81) + "..."), std::string::npos);

    auto two = db->Prepare("SELECT 1; SELECT 2");
    ASSERT_FALSE(two.has_value());
    EXPECT_NE(two.error().message.find("more than one statement"), std::string::npos);
}

TEST(SqliteDatabase, CachedStatementIsPreparedOnceAndReset) {
    TempDir dir;
    auto db = Database::Open(dir / "t.db");
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE(db->Exec("CREATE TABLE t(x INTEGER)").has_value());
    Statement* first = nullptr;
    for (int i = 0; i < 3; ++i) {
        auto stmt = db->Cached("INSERT INTO t VALUES (?1)");
        ASSERT_TRUE(stmt.has_value());
        if (first == nullptr) first = *stmt;
        EXPECT_EQ(*stmt, first);
        ASSERT_TRUE((*stmt)->BindInt64(1, i).has_value());
        ASSERT_TRUE((*stmt)->Run().has_value());
    }
    EXPECT_EQ(Count(*db, "t"), 3);
    // A cached SELECT left mid-way is reset on the next use.
    auto sel = db->Cached("SELECT x FROM t ORDER BY x");
    ASSERT_EQ(*(*sel)->Step(), Step::kRow);
    sel = db->Cached("SELECT x FROM t ORDER BY x");
    ASSERT_EQ(*(*sel)->Step(), Step::kRow);
    EXPECT_EQ((*sel)->ColumnInt64(0), 0);
}

TEST(SqliteDatabase, TransactionCommits) {
    TempDir dir;
    auto db = Database::Open(dir / "t.db");
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").has_value());
    {
        auto tx = Transaction::Begin(*db);
        ASSERT_TRUE(tx.has_value());
        ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").has_value());
        ASSERT_TRUE(tx->Commit().has_value());
        EXPECT_FALSE(tx->Commit().has_value());  // only once
    }
    EXPECT_EQ(Count(*db, "t"), 1);
}

TEST(SqliteDatabase, TransactionRollsBackOnDestruction) {
    TempDir dir;
    auto db = Database::Open(dir / "t.db");
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").has_value());
    {
        auto tx = Transaction::Begin(*db);
        ASSERT_TRUE(tx.has_value());
        ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").has_value());
    }
    EXPECT_EQ(Count(*db, "t"), 0);
    // The connection is usable again: a new transaction can start.
    auto tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx.has_value()) << tx.error().message;
    ASSERT_TRUE(tx->Rollback().has_value());
}

TEST(SqliteDatabase, TransactionRollsBackWhenAnExceptionUnwinds) {
    TempDir dir;
    auto db = Database::Open(dir / "t.db");
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").has_value());
    try {
        auto tx = Transaction::Begin(*db);
        ASSERT_TRUE(tx.has_value());
        ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").has_value());
        throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(Count(*db, "t"), 0);
}

TEST(SqliteDatabase, SecondWriterWaitsThenGetsUnavailable) {
    TempDir dir;
    auto a = Database::Open(dir / "t.db");
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(a->Exec("CREATE TABLE t(x)").has_value());
    OpenOptions quick;
    quick.busy_timeout_ms = 50;
    auto b = Database::Open(dir / "t.db", quick);
    ASSERT_TRUE(b.has_value());
    auto tx = Transaction::Begin(*a);
    ASSERT_TRUE(tx.has_value());
    auto tx2 = Transaction::Begin(*b);
    ASSERT_FALSE(tx2.has_value());
    EXPECT_EQ(tx2.error().code, Code::kUnavailable) << tx2.error().message;
    // Readers are not blocked by the writer in WAL mode.
    EXPECT_EQ(Count(*b, "t"), 0);
}

TEST(SqliteDatabase, MoveKeepsConnectionAndCache) {
    TempDir dir;
    auto db = Database::Open(dir / "t.db");
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE(db->Cached("SELECT 1").has_value());
    Database moved = std::move(*db);
    auto stmt = moved.Cached("SELECT 1");
    ASSERT_TRUE(stmt.has_value());
    ASSERT_EQ(*(*stmt)->Step(), Step::kRow);
    EXPECT_EQ((*stmt)->ColumnInt64(0), 1);
    auto other = Database::Open(dir / "u.db");
    ASSERT_TRUE(other.has_value());
    moved = std::move(*other);  // the first connection closes with its cached statements
    EXPECT_EQ(moved.path(), dir / "u.db");
}

}  // namespace
}  // namespace vigil::store
