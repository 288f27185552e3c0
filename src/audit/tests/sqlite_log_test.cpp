#include "audit/sqlite_log.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "audit/export.h"
#include "audit/tests/test_util.h"
#include "store/backup.h"

namespace vigil::audit {
namespace {

namespace fs = std::filesystem;
using store::Database;

constexpr int kRecords = 2500;

std::string Describe(const VerifyReport& report) {
    std::string out;
    for (const auto& f : report.findings) out += f.ToString() + "\n";
    return out;
}

// One signed log of 2,500 records (checkpoints at 1000 and 2000) is built once; every test
// tampers with its own copy of it.
class SqliteAuditLogTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new fs::path(fs::temp_directory_path() /
                            ("vigil-audit-sqlite-" + std::to_string(::getpid())));
        fs::remove_all(*dir_);
        fs::create_directories(*dir_);
        auto key = SigningKey::Generate();
        ASSERT_TRUE(key.has_value());
        public_key_ = new PublicKey(key->public_key());
        auto db = Database::Open(*dir_ / "base.db");
        ASSERT_TRUE(db.has_value()) << db.error().message;
        ChainOptions options;
        options.checkpoint_interval = 1000;
        int64_t now = testing::kT0;
        options.clock = [&now] { return now; };
        auto log = SqliteAuditLog::Open(*db, std::move(*key), options);
        ASSERT_TRUE(log.has_value()) << log.error().message;
        for (int i = 1; i <= kRecords; ++i) {
            now = testing::kT0 + i * testing::kSecond;
            auto appended = log->Append(testing::Event(i));
            ASSERT_TRUE(appended.has_value()) << appended.error().message;
            ASSERT_EQ(appended->record.seq, static_cast<uint64_t>(i));
            ASSERT_EQ(appended->checkpoint.has_value(), i % 1000 == 0) << i;
        }
    }
    static void TearDownTestSuite() {
        fs::remove_all(*dir_);
        delete dir_;
        delete public_key_;
    }

    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        path_ = *dir_ / (std::string(info->name()) + ".db");
        fs::remove(path_);
        auto base = Database::Open(*dir_ / "base.db");
        ASSERT_TRUE(base.has_value());
        ASSERT_TRUE(store::OnlineBackup(*base, path_).has_value());
        auto db = Database::Open(path_);
        ASSERT_TRUE(db.has_value()) << db.error().message;
        db_ = std::make_unique<Database>(std::move(*db));
    }
    void TearDown() override { db_.reset(); }

    void Sql(const std::string& sql) {
        auto st = db_->Exec(sql);
        ASSERT_TRUE(st.has_value()) << st.error().message;
    }

    VerifyReport VerifyDb() {
        auto log = SqliteAuditLog::Open(*db_);
        EXPECT_TRUE(log.has_value()) << log.error().message;
        auto report = log->Verify(*public_key_);
        EXPECT_TRUE(report.has_value()) << report.error().message;
        return *report;
    }

    Record Stored(uint64_t seq) {
        auto log = SqliteAuditLog::Open(*db_);
        auto source = log->Records(seq);
        Record r;
        auto more = source(r);
        EXPECT_TRUE(more.has_value() && *more);
        return r;
    }

    static fs::path* dir_;
    static PublicKey* public_key_;
    fs::path path_;
    std::unique_ptr<Database> db_;
};

fs::path* SqliteAuditLogTest::dir_ = nullptr;
PublicKey* SqliteAuditLogTest::public_key_ = nullptr;

TEST_F(SqliteAuditLogTest, IntactLogVerifies) {
    VerifyReport report = VerifyDb();
    EXPECT_TRUE(report.ok) << Describe(report);
    EXPECT_TRUE(report.findings.empty());
    EXPECT_EQ(report.records_checked, static_cast<uint64_t>(kRecords));
    EXPECT_EQ(report.last_seq, static_cast<uint64_t>(kRecords));
    auto log = SqliteAuditLog::Open(*db_);
    ASSERT_TRUE(log.has_value());
    auto checkpoints = log->Checkpoints();
    ASSERT_TRUE(checkpoints.has_value());
    ASSERT_EQ(checkpoints->size(), 2u);
    EXPECT_EQ((*checkpoints)[0].seq, 1000u);
    EXPECT_EQ((*checkpoints)[1].seq, 2000u);
    EXPECT_TRUE(VerifyCheckpointSignature((*checkpoints)[1], *public_key_));
}

TEST_F(SqliteAuditLogTest, StoredRecordsRoundTrip) {
    Record r = Stored(1234);
    Record expected = testing::Event(1234);
    EXPECT_EQ(r.seq, 1234u);
    EXPECT_EQ(r.time_ns, expected.time_ns);
    EXPECT_EQ(r.actor, expected.actor);
    EXPECT_EQ(r.object, expected.object);
    EXPECT_EQ(r.before, expected.before);
    EXPECT_EQ(r.hash, HashRecord(r));
    EXPECT_EQ(r.prev_hash, Stored(1233).hash);
}

TEST_F(SqliteAuditLogTest, UpdatedActorIsAlteredAtThatSeq) {
    Sql("UPDATE audit_records SET actor = 'mallory' WHERE seq = 1234");
    VerifyReport report = VerifyDb();
    EXPECT_FALSE(report.ok);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kAltered);
    EXPECT_EQ(report.findings[0].seq, 1234u);
}

TEST_F(SqliteAuditLogTest, RewrittenRowWithRecomputedHashIsAltered) {
    // The attacker edits record 1234 and recomputes its hash: record 1235 still commits to
    // the original, so 1234 is named.
    Record r = Stored(1234);
    r.detail = "nothing happened";
    std::string hash = HashRecord(r);
    Sql("UPDATE audit_records SET detail = 'nothing happened', hash = '" + hash +
        "' WHERE seq = 1234");
    VerifyReport report = VerifyDb();
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kAltered);
    EXPECT_EQ(report.findings[0].seq, 1234u);
}

TEST_F(SqliteAuditLogTest, DeletedMiddleRowIsDeletedAtThatSeq) {
    Sql("DELETE FROM audit_records WHERE seq = 1500");
    VerifyReport report = VerifyDb();
    EXPECT_FALSE(report.ok);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kDeleted);
    EXPECT_EQ(report.findings[0].seq, 1500u);
}

TEST_F(SqliteAuditLogTest, DeletedTailAfterCheckpointIsTruncated) {
    Sql("DELETE FROM audit_records WHERE seq >= 1990");
    VerifyReport report = VerifyDb();
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kTruncated);
    EXPECT_EQ(report.findings[0].seq, 1990u);
}

TEST_F(SqliteAuditLogTest, InsertedForgedRowLinkedToPredecessorIsInserted) {
    // A well-formed record that links to the real head but skips a number.
    Record head = Stored(kRecords);
    Record forged = testing::Event(9999);
    forged.seq = kRecords + 2;
    forged.actor = "admin";
    forged.prev_hash = head.hash;
    forged.hash = HashRecord(forged);
    Sql("INSERT INTO audit_records VALUES (" + std::to_string(forged.seq) + ", " +
        std::to_string(forged.time_ns) + ", 'admin', '" + forged.action + "', '" + forged.object +
        "', '" + forged.before + "', '" + forged.after + "', '" + forged.source_ip + "', '" +
        forged.result + "', '', '" + forged.prev_hash + "', '" + forged.hash + "')");
    VerifyReport report = VerifyDb();
    EXPECT_FALSE(report.ok);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kInserted);
    EXPECT_EQ(report.findings[0].seq, static_cast<uint64_t>(kRecords + 2));
}

TEST_F(SqliteAuditLogTest, ReplacedRowIsAlteredAtThatSeq) {
    // Record 700 deleted and a forgery with the same seq and predecessor put in its place.
    Record forged = testing::Event(9999);
    forged.seq = 700;
    forged.prev_hash = Stored(699).hash;
    forged.hash = HashRecord(forged);
    Sql("DELETE FROM audit_records WHERE seq = 700");
    Sql("INSERT INTO audit_records VALUES (700, " + std::to_string(forged.time_ns) + ", '" +
        forged.actor + "', '" + forged.action + "', '" + forged.object + "', '" + forged.before +
        "', '" + forged.after + "', '" + forged.source_ip + "', '" + forged.result + "', '', '" +
        forged.prev_hash + "', '" + forged.hash + "')");
    VerifyReport report = VerifyDb();
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kAltered);
    EXPECT_EQ(report.findings[0].seq, 700u);
}

TEST_F(SqliteAuditLogTest, ForgedCheckpointIsReported) {
    Sql("UPDATE audit_checkpoints SET time_ns = time_ns + 1 WHERE seq = 1000");
    VerifyReport report = VerifyDb();
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kBadCheckpointSignature);
    EXPECT_EQ(report.findings[0].seq, 1000u);
}

TEST_F(SqliteAuditLogTest, ReopenResumesTheChain) {
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.has_value());
    // A different key would make the checkpoints disagree; resume with a fresh log instead.
    db_.reset();
    fs::remove(path_);
    auto db = Database::Open(path_);
    ASSERT_TRUE(db.has_value());
    PublicKey pub = key->public_key();
    std::string pem = *key->ToPem();
    ChainOptions options;
    options.checkpoint_interval = 3;
    {
        auto log = SqliteAuditLog::Open(*db, std::move(*key), options);
        ASSERT_TRUE(log.has_value());
        for (int i = 1; i <= 4; ++i) ASSERT_TRUE(log->Append(testing::Event(i)).has_value());
    }
    auto again = SqliteAuditLog::Open(*db, *SigningKey::FromPem(pem), options);
    ASSERT_TRUE(again.has_value());
    auto state = again->StoredState();
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->last_seq, 4u);
    EXPECT_EQ(state->last_checkpoint_seq, 3u);
    auto a5 = again->Append(testing::Event(5));
    ASSERT_TRUE(a5.has_value());
    EXPECT_EQ(a5->record.seq, 5u);
    EXPECT_FALSE(a5->checkpoint.has_value());
    auto a6 = again->Append(testing::Event(6));
    ASSERT_TRUE(a6.has_value());
    EXPECT_TRUE(a6->checkpoint.has_value());  // 3 records after the checkpoint at 3

    // A second writer on another connection: each append continues from the stored head.
    auto db2 = Database::Open(path_);
    ASSERT_TRUE(db2.has_value());
    auto other = SqliteAuditLog::Open(*db2, *SigningKey::FromPem(pem), options);
    ASSERT_TRUE(other.has_value());
    ASSERT_TRUE(other->Append(testing::Event(7)).has_value());
    auto a8 = again->Append(testing::Event(8));
    ASSERT_TRUE(a8.has_value());
    EXPECT_EQ(a8->record.seq, 8u);

    auto cp = again->MakeCheckpoint();
    ASSERT_TRUE(cp.has_value());
    EXPECT_EQ(cp->seq, 8u);
    auto same = again->MakeCheckpoint();
    ASSERT_TRUE(same.has_value());
    EXPECT_EQ(*same, *cp);  // the head is already signed

    auto report = again->Verify(pub);
    ASSERT_TRUE(report.has_value());
    EXPECT_TRUE(report->ok) << Describe(*report);
    EXPECT_EQ(report->records_checked, 8u);
}

TEST_F(SqliteAuditLogTest, FailedWriteLeavesChainUnchanged) {
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.has_value());
    PublicKey pub = key->public_key();
    db_.reset();
    fs::remove(path_);
    store::OpenOptions quick;
    quick.busy_timeout_ms = 10;
    auto db = Database::Open(path_, quick);
    ASSERT_TRUE(db.has_value());
    auto log = SqliteAuditLog::Open(*db, std::move(*key));
    ASSERT_TRUE(log.has_value());
    ASSERT_TRUE(log->Append(testing::Event(1)).has_value());
    // Another connection holds the write lock: the append fails and stores nothing.
    auto blocker = Database::Open(path_, quick);
    ASSERT_TRUE(blocker.has_value());
    {
        auto tx = store::Transaction::Begin(*blocker);
        ASSERT_TRUE(tx.has_value());
        auto failed = log->Append(testing::Event(2));
        EXPECT_FALSE(failed.has_value());
    }
    auto next = log->Append(testing::Event(2));
    ASSERT_TRUE(next.has_value()) << next.error().message;
    EXPECT_EQ(next->record.seq, 2u);
    auto report = log->Verify(pub);
    ASSERT_TRUE(report.has_value());
    EXPECT_TRUE(report->ok) << Describe(*report);
}

TEST_F(SqliteAuditLogTest, ReadOnlyOpenVerifiesButCannotAppend) {
    db_.reset();
    store::OpenOptions ro;
    ro.read_only = true;
    auto db = Database::Open(path_, ro);
    ASSERT_TRUE(db.has_value()) << db.error().message;
    auto log = SqliteAuditLog::Open(*db);
    ASSERT_TRUE(log.has_value()) << log.error().message;
    auto report = log->Verify(*public_key_);
    ASSERT_TRUE(report.has_value());
    EXPECT_TRUE(report->ok);
    auto append = log->Append(testing::Event(1));
    EXPECT_FALSE(append.has_value());
    auto key = SigningKey::Generate();
    EXPECT_FALSE(SqliteAuditLog::Open(*db, std::move(*key)).has_value());
}

TEST_F(SqliteAuditLogTest, ExportsJsonLinesAndCsv) {
    auto log = SqliteAuditLog::Open(*db_);
    ASSERT_TRUE(log.has_value());
    std::ostringstream jsonl;
    ASSERT_TRUE(log->ExportJsonLines(jsonl, 2499).has_value());
    std::string expected = RecordToJson(Stored(2499)) + "\n" + RecordToJson(Stored(2500)) + "\n";
    EXPECT_EQ(jsonl.str(), expected);

    std::ostringstream csv;
    ASSERT_TRUE(log->ExportCsv(csv, 2500).has_value());
    EXPECT_EQ(csv.str(), std::string(CsvHeader()) + "\r\n" + CsvRow(Stored(2500)));

    std::ostringstream all;
    ASSERT_TRUE(log->ExportCsv(all).has_value());
    std::string text = all.str();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), kRecords + 1);

    std::ostringstream checkpoints;
    ASSERT_TRUE(log->ExportCheckpointsJsonLines(checkpoints).has_value());
    std::string cps = checkpoints.str();
    EXPECT_EQ(std::count(cps.begin(), cps.end(), '\n'), 2);
    EXPECT_NE(cps.find("\"seq\":1000"), std::string::npos);
}

TEST_F(SqliteAuditLogTest, SchemaIsMigratedOnce) {
    auto first = SqliteAuditLog::Open(*db_);
    ASSERT_TRUE(first.has_value());
    auto stmt = db_->Prepare("SELECT count(*) FROM schema_migrations WHERE component = 'audit'");
    ASSERT_TRUE(stmt.has_value());
    ASSERT_EQ(*stmt->Step(), store::Statement::StepResult::kRow);
    EXPECT_EQ(stmt->ColumnInt64(0), static_cast<int64_t>(AuditMigrations().size()));
}

}  // namespace
}  // namespace vigil::audit

namespace vigil::audit {
namespace {

constexpr int64_t kDayNs = 86400 * testing::kSecond;

TEST_F(SqliteAuditLogTest, RetentionCutsAtTheLastExpiredCheckpointAndStillVerifies) {
    auto log = SqliteAuditLog::Open(*db_);
    ASSERT_TRUE(log.has_value());
    // Records 1..1499 are older than 180 days; the last checkpoint among them is 1000.
    const int64_t now = testing::kT0 + 1500 * testing::kSecond + 180 * kDayNs;
    auto dropped = log->ApplyRetention(*public_key_, now, 180);
    ASSERT_TRUE(dropped.has_value()) << dropped.error().message;
    EXPECT_EQ(*dropped, 1000u);
    EXPECT_EQ(*log->Count(), static_cast<uint64_t>(kRecords - 1000));
    auto anchor = log->Anchor();
    ASSERT_TRUE(anchor.has_value() && anchor->has_value());
    EXPECT_EQ((*anchor)->seq, 1000u);
    VerifyReport report = VerifyDb();
    EXPECT_TRUE(report.ok) << (report.findings.empty() ? "" : report.findings[0].ToString());
    // Nothing more is due at the same time; deleting the anchor is then detected.
    EXPECT_EQ(*log->ApplyRetention(*public_key_, now, 180), 0u);
    Sql("DELETE FROM audit_records WHERE seq = 1001");
    EXPECT_FALSE(VerifyDb().ok);
}

TEST_F(SqliteAuditLogTest, RetentionRefusesADamagedTrail) {
    Sql("UPDATE audit_records SET actor = 'mallory' WHERE seq = 5");
    auto log = SqliteAuditLog::Open(*db_);
    ASSERT_TRUE(log.has_value());
    auto dropped = log->ApplyRetention(*public_key_, testing::kT0 + 400 * kDayNs, 180);
    ASSERT_FALSE(dropped.has_value());
    EXPECT_EQ(dropped.error().code, Code::kFailedPrecondition);
    EXPECT_NE(dropped.error().message.find("does not verify"), std::string::npos);
    EXPECT_EQ(*log->Count(), static_cast<uint64_t>(kRecords));
}

}  // namespace
}  // namespace vigil::audit
