#include "store/migrations.h"

#include <vector>

#include <gtest/gtest.h>

#include "store/tests/test_util.h"

namespace vigil::store {
namespace {

using testing::TempDir;
using Step = Statement::StepResult;

std::vector<Migration> V2() {
    return {
        {1, "create items", "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"},
        {2, "add owner",
         "ALTER TABLE items ADD COLUMN owner TEXT; CREATE INDEX items_owner "
         "ON items(owner);"},
    };
}

int64_t Scalar(Database& db, const std::string& sql) {
    auto stmt = db.Prepare(sql);
    EXPECT_TRUE(stmt.has_value()) << stmt.error().message;
    EXPECT_EQ(*stmt->Step(), Step::kRow);
    return stmt->ColumnInt64(0);
}

TEST(SqliteMigrations, ApplyInOrderAndRecordEach) {
    TempDir dir;
    auto db = Database::Open(dir / "m.db");
    ASSERT_TRUE(db.has_value());
    auto migrations = V2();
    auto r = Migrate(*db, "things", migrations);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->from_version, 0);
    EXPECT_EQ(r->to_version, 2);
    ASSERT_TRUE(db->Exec("INSERT INTO items(name, owner) VALUES ('a', 'b')").has_value());

    auto rows = db->Prepare(
        "SELECT component, version, name, checksum, applied_at FROM schema_migrations "
        "ORDER BY version");
    ASSERT_TRUE(rows.has_value());
    ASSERT_EQ(*rows->Step(), Step::kRow);
    EXPECT_EQ(rows->ColumnText(0), "things");
    EXPECT_EQ(rows->ColumnInt64(1), 1);
    EXPECT_EQ(rows->ColumnText(2), "create items");
    EXPECT_EQ(rows->ColumnText(3), MigrationChecksum(migrations[0]));
    EXPECT_EQ(rows->ColumnText(3).size(), 64u);
    EXPECT_EQ(rows->ColumnText(4).size(), 24u);  // 2026-01-02T03:04:05.678Z
    ASSERT_EQ(*rows->Step(), Step::kRow);
    EXPECT_EQ(rows->ColumnInt64(1), 2);
    EXPECT_EQ(*rows->Step(), Step::kDone);
}

TEST(SqliteMigrations, RerunIsANoOp) {
    TempDir dir;
    auto db = Database::Open(dir / "m.db");
    ASSERT_TRUE(db.has_value());
    auto migrations = V2();
    ASSERT_TRUE(Migrate(*db, "things", migrations).has_value());
    auto again = Migrate(*db, "things", migrations);
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_EQ(again->from_version, 2);
    EXPECT_EQ(again->to_version, 2);
    EXPECT_EQ(Scalar(*db, "SELECT count(*) FROM schema_migrations"), 2);
}

TEST(SqliteMigrations, AppliesOnlyTheMissingOnes) {
    TempDir dir;
    auto db = Database::Open(dir / "m.db");
    ASSERT_TRUE(db.has_value());
    auto migrations = V2();
    ASSERT_TRUE(Migrate(*db, "things", std::span(migrations).first(1)).has_value());
    ASSERT_TRUE(db->Exec("INSERT INTO items(name) VALUES ('kept')").has_value());
    auto r = Migrate(*db, "things", migrations);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->from_version, 1);
    EXPECT_EQ(r->to_version, 2);
    EXPECT_EQ(Scalar(*db, "SELECT count(*) FROM items WHERE owner IS NULL"), 1);
}

TEST(SqliteMigrations, ComponentsAreIndependent) {
    TempDir dir;
    auto db = Database::Open(dir / "m.db");
    ASSERT_TRUE(db.has_value());
    auto migrations = V2();
    std::vector<Migration> other = {{1, "create other", "CREATE TABLE other(x);"}};
    ASSERT_TRUE(Migrate(*db, "things", migrations).has_value());
    auto r = Migrate(*db, "other", other);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->to_version, 1);
    EXPECT_EQ(Scalar(*db, "SELECT count(*) FROM schema_migrations"), 3);
}

TEST(SqliteMigrations, FailedMigrationLeavesNoTrace) {
    TempDir dir;
    auto db = Database::Open(dir / "m.db");
    ASSERT_TRUE(db.has_value());
    std::vector<Migration> bad = {
        {1, "create", "CREATE TABLE a(x);"},
        {2, "half broken", "CREATE TABLE b(x); CREATE TABLE a(y);"},  // a exists
    };
    auto r = Migrate(*db, "things", bad);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("version 2 (half broken)"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("table a already exists"), std::string::npos);
    // Version 1 stays applied; version 2's first statement was rolled back with it.
    EXPECT_EQ(Scalar(*db, "SELECT max(version) FROM schema_migrations"), 1);
    EXPECT_EQ(Scalar(*db, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 0);
}

TEST(SqliteMigrations, ChangedChecksumIsRefused) {
    TempDir dir;
    auto db = Database::Open(dir / "m.db");
    ASSERT_TRUE(db.has_value());
    auto migrations = V2();
    ASSERT_TRUE(Migrate(*db, "things", migrations).has_value());
    migrations[0].sql = "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT);";
    auto r = Migrate(*db, "things", migrations);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Code::kFailedPrecondition);
    EXPECT_NE(r.error().message.find("migration things 1 (create items) was changed after it "
                                     "was applied"),
              std::string::npos)
        << r.error().message;
}

TEST(SqliteMigrations, NewerDatabaseIsRefused) {
    TempDir dir;
    auto db = Database::Open(dir / "m.db");
    ASSERT_TRUE(db.has_value());
    auto migrations = V2();
    ASSERT_TRUE(Migrate(*db, "things", migrations).has_value());
    auto r = Migrate(*db, "things", std::span(migrations).first(1));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Code::kFailedPrecondition);
    EXPECT_NE(r.error().message.find("is at version 2, newer than this build knows (1)"),
              std::string::npos)
        << r.error().message;
}

TEST(SqliteMigrations, BadListsAreRejected) {
    TempDir dir;
    auto db = Database::Open(dir / "m.db");
    ASSERT_TRUE(db.has_value());
    std::vector<Migration> gap = {{1, "a", "CREATE TABLE a(x);"}, {3, "c", "CREATE TABLE c(x);"}};
    auto r = Migrate(*db, "things", gap);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("expected version 2, found 3"), std::string::npos);
    std::vector<Migration> ok = {{1, "a", "CREATE TABLE a(x);"}};
    EXPECT_FALSE(Migrate(*db, "", ok).has_value());
}

// A database that is up to date is not locked to find so: a connection opening it next to a
// writer in the middle of a transaction neither waits for it nor fails, and the writer can
// commit. Migrating still takes the lock (and fails at once here, with no wait allowed).
TEST(SqliteMigrations, UpToDateNeedsNoWriteLock) {
    TempDir dir;
    auto migrations = V2();
    auto writer = Database::Open(dir / "m.db");
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE(Migrate(*writer, "things", std::span(migrations).first(1)).has_value());
    ASSERT_TRUE(writer->Exec("BEGIN IMMEDIATE; INSERT INTO items(name) VALUES ('x');"));
    OpenOptions no_wait;
    no_wait.busy_timeout_ms = 0;
    auto other = Database::Open(dir / "m.db", no_wait);
    ASSERT_TRUE(other.has_value());
    auto current = Migrate(*other, "things", std::span(migrations).first(1));
    ASSERT_TRUE(current.has_value()) << current.error().message;
    EXPECT_EQ(current->to_version, 1);
    auto behind = Migrate(*other, "things", migrations);
    ASSERT_FALSE(behind.has_value());
    EXPECT_EQ(behind.error().code, Code::kUnavailable) << behind.error().message;
    ASSERT_TRUE(writer->Exec("COMMIT"));
    auto now = Migrate(*other, "things", migrations);
    ASSERT_TRUE(now.has_value()) << now.error().message;
    EXPECT_EQ(now->from_version, 1);
    EXPECT_EQ(now->to_version, 2);
}

TEST(SqliteMigrations, ReadOnlyChecksWithoutWriting) {
    TempDir dir;
    auto migrations = V2();
    {
        auto db = Database::Open(dir / "m.db");
        ASSERT_TRUE(db.has_value());
        ASSERT_TRUE(Migrate(*db, "things", std::span(migrations).first(1)).has_value());
    }
    OpenOptions ro;
    ro.read_only = true;
    auto db = Database::Open(dir / "m.db", ro);
    ASSERT_TRUE(db.has_value());
    auto old = Migrate(*db, "things", migrations);
    ASSERT_FALSE(old.has_value());
    EXPECT_NE(old.error().message.find("is at version 1, this build needs 2"), std::string::npos)
        << old.error().message;
    auto current = Migrate(*db, "things", std::span(migrations).first(1));
    ASSERT_TRUE(current.has_value()) << current.error().message;
    EXPECT_EQ(current->to_version, 1);
}

}  // namespace
}  // namespace vigil::store
