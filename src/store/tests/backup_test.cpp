#include "store/backup.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "store/tests/test_util.h"

namespace vigil::store {
namespace {

using testing::TempDir;
using Step = Statement::StepResult;

std::string Dump(Database& db) {
    auto stmt = db.Prepare("SELECT id, name, hex(data) FROM t ORDER BY id");
    EXPECT_TRUE(stmt.has_value()) << stmt.error().message;
    std::string out;
    while (*stmt->Step() == Step::kRow) {
        out += std::to_string(stmt->ColumnInt64(0)) + "|" + stmt->ColumnText(1) + "|" +
               stmt->ColumnText(2) + "\n";
    }
    return out;
}

TEST(SqliteBackup, CopyIsIdenticalAndReadable) {
    TempDir dir;
    auto src = Database::Open(dir / "src.db");
    ASSERT_TRUE(src.has_value());
    ASSERT_TRUE(src->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB)"));
    {
        auto tx = Transaction::Begin(*src);
        ASSERT_TRUE(tx.has_value());
        auto insert = src->Prepare("INSERT INTO t(name, data) VALUES (?1, randomblob(?2))");
        ASSERT_TRUE(insert.has_value());
        for (int i = 0; i < 2000; ++i) {
            insert->Reset();
            ASSERT_TRUE(insert->BindText(1, "row " + std::to_string(i)));
            ASSERT_TRUE(insert->BindInt64(2, 100 + i % 300));
            ASSERT_TRUE(insert->Run());
        }
        ASSERT_TRUE(tx->Commit());
    }
    // A writer on another connection holds an open transaction during the backup: the copy is
    // the committed state, without its pending row, and the backup does not wait for it.
    auto writer = Database::Open(dir / "src.db");
    ASSERT_TRUE(writer.has_value());
    auto pending = Transaction::Begin(*writer);
    ASSERT_TRUE(pending.has_value());
    ASSERT_TRUE(writer->Exec("INSERT INTO t(name) VALUES ('uncommitted')"));

    ASSERT_TRUE(OnlineBackup(*src, dir / "copy.db").has_value());
    ASSERT_TRUE(pending->Rollback());
    EXPECT_FALSE(std::filesystem::exists(dir / "copy.db.partial"));

    OpenOptions ro;
    ro.read_only = true;
    auto copy = Database::Open(dir / "copy.db", ro);
    ASSERT_TRUE(copy.has_value()) << copy.error().message;
    std::string expected = Dump(*src);
    EXPECT_EQ(Dump(*copy), expected);
    EXPECT_EQ(std::count(expected.begin(), expected.end(), '\n'), 2000);
    auto check = copy->Prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check.has_value());
    ASSERT_EQ(*check->Step(), Step::kRow);
    EXPECT_EQ(check->ColumnText(0), "ok");
    // One self-contained file: no WAL needed to read it.
    EXPECT_FALSE(std::filesystem::exists(dir / "copy.db-wal"));
}

// A large database is copied a few MiB at a time, still as of one moment: rows another
// connection commits between the steps are not in the copy. Progress is reported between the
// steps, and a cancel there leaves no copy.
TEST(SqliteBackup, CopiesInStepsAsOfOneMomentAndCanBeCancelled) {
    TempDir dir;
    auto src = Database::Open(dir / "src.db");
    ASSERT_TRUE(src.has_value());
    ASSERT_TRUE(src->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB)"));
    ASSERT_TRUE(
        src->Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                  "WHERE i < 2000) INSERT INTO t(name, data) SELECT 'row ' || i, "
                  "randomblob(6000) FROM n"));
    const std::string expected = Dump(*src);
    auto writer = Database::Open(dir / "src.db");
    ASSERT_TRUE(writer.has_value());
    std::vector<uint64_t> progress;
    OnlineBackupHooks hooks;
    hooks.progress = [&](uint64_t bytes) {
        progress.push_back(bytes);
        ASSERT_TRUE(writer->Exec("INSERT INTO t(name) VALUES ('committed meanwhile')"));
    };
    ASSERT_TRUE(OnlineBackup(*src, dir / "copy.db", hooks).has_value());
    ASSERT_GE(progress.size(), 2u);  // 12 MB: several steps
    EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
    OpenOptions ro;
    ro.read_only = true;
    auto copy = Database::Open(dir / "copy.db", ro);
    ASSERT_TRUE(copy.has_value()) << copy.error().message;
    EXPECT_EQ(Dump(*copy), expected);
    EXPECT_NE(Dump(*src), expected);  // the rows committed meanwhile are in the source

    OnlineBackupHooks cancel;
    cancel.cancelled = [] { return true; };
    auto st = OnlineBackup(*src, dir / "cancelled.db", cancel);
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().code, Code::kCancelled);
    EXPECT_FALSE(std::filesystem::exists(dir / "cancelled.db"));
    EXPECT_FALSE(std::filesystem::exists(dir / "cancelled.db.partial"));
}

TEST(SqliteBackup, RefusesToOverwrite) {
    TempDir dir;
    auto src = Database::Open(dir / "src.db");
    ASSERT_TRUE(src.has_value());
    ASSERT_TRUE(src->Exec("CREATE TABLE t(x)"));
    ASSERT_TRUE(OnlineBackup(*src, dir / "copy.db").has_value());
    auto again = OnlineBackup(*src, dir / "copy.db");
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, Code::kAlreadyExists);
    EXPECT_NE(again.error().message.find("copy.db"), std::string::npos);
}

TEST(SqliteBackup, UnwritableDestinationFails) {
    TempDir dir;
    auto src = Database::Open(dir / "src.db");
    ASSERT_TRUE(src.has_value());
    auto st = OnlineBackup(*src, dir / "no-such-dir" / "copy.db");
    ASSERT_FALSE(st.has_value());
    EXPECT_NE(st.error().message.find("backing up"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace vigil::store
