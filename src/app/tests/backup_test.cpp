// Backup archives end to end on real data directories (InitDataDir with small argon2 costs):
// round trip through CreateBackup / VerifyBackup / RestoreBackup, every kind of damage the
// format must catch, the passphrase file rules, the data-directory lock, the `backup:` section
// of vigil.yml and the scheduler.
#include "app/backup.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "app/config.h"
#include "app/data_dir_lock.h"
#include "app/init_data_dir.h"
#include "audit/keys.h"
#include "audit/sqlite_log.h"
#include "auth/user_store.h"
#include "base/strings.h"
#include "store/database.h"

namespace vigil::app {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kStart = int64_t{1800000000} * kSecond;  // 2027-01-15T08:00:00Z
constexpr const char* kPassphrase = "correct horse battery staple";

std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void WriteFile(const fs::path& path, const std::string& bytes, mode_t mode = 0600) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << bytes;
    }
    ::chmod(path.c_str(), mode);
}

unsigned Mode(const fs::path& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 07777;
}

auth::UserStoreOptions SmallArgon() {
    auth::UserStoreOptions o;
    o.argon2.memory_kib = 64;
    o.argon2.iterations = 1;
    return o;
}

KdfParams SmallKdf() {
    KdfParams k;
    k.memory_kib = 256;
    k.iterations = 1;
    return k;
}

std::vector<std::string> Usernames(const fs::path& state_db) {
    auto db = store::Database::Open(state_db);
    EXPECT_TRUE(db);
    auto users = auth::UserStore::Open(*db, SmallArgon());
    EXPECT_TRUE(users);
    std::vector<std::string> names;
    auto list = users->ListUsers();
    EXPECT_TRUE(list);
    for (const auto& u : *list) names.push_back(u.username);
    return names;
}

struct AuditSummary {
    bool ok = false;
    uint64_t records = 0;
    std::vector<audit::Record> all;
};

AuditSummary ReadAudit(const fs::path& dir) {
    AuditSummary s;
    auto key = audit::PublicKey::LoadFromFile(dir / "keys/audit-signing.pub.pem");
    EXPECT_TRUE(key);
    store::OpenOptions ro;
    ro.read_only = true;
    auto db = store::Database::Open(dir / "state.db", ro);
    EXPECT_TRUE(db) << db.error().message;
    auto log = audit::SqliteAuditLog::Open(*db);
    EXPECT_TRUE(log);
    auto report = log->Verify(*key);
    EXPECT_TRUE(report);
    s.ok = report->ok;
    s.records = report->records_checked;
    auto source = log->Records();
    audit::Record r;
    while (*source(r)) s.all.push_back(r);
    return s;
}

class BackupTest : public ::testing::Test {
protected:
    void SetUp() override {
        static int counter = 0;
        root_ = fs::temp_directory_path() /
                ("vigil-backup-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(root_);
        fs::create_directories(root_);
        dir_ = root_ / "data";
        InitDataDirOptions init;
        init.data_dir = dir_;
        init.now_ns = kStart;
        init.user_store = SmallArgon();
        auto made = InitDataDir(init);
        ASSERT_TRUE(made) << made.error().message;
        {
            auto db = store::Database::Open(dir_ / "state.db");
            ASSERT_TRUE(db);
            auto users = auth::UserStore::Open(*db, SmallArgon());
            ASSERT_TRUE(users);
            ASSERT_TRUE(users->CreateUser("alice", auth::Role::kViewer, kStart,
                                          std::string_view("First-Pass-0002")));
            ASSERT_TRUE(users->CreateUser("bob", auth::Role::kAuditor, kStart,
                                          std::string_view("First-Pass-0003")));
        }
        pass_file_ = root_ / "pass";
        WriteFile(pass_file_, std::string(kPassphrase) + "\n");
    }
    void TearDown() override { fs::remove_all(root_); }

    Passphrase Pass(const char* text = kPassphrase) { return Passphrase(text); }

    Result<BackupResult> Backup(const fs::path& out, const Passphrase& pass,
                                std::function<bool()> cancelled = {}) {
        BackupOptions o;
        o.data_dir = dir_;
        o.out = out;
        o.passphrase = &pass;
        o.kdf = SmallKdf();
        o.clock = [] { return kStart + 60 * kSecond; };
        o.cancelled = std::move(cancelled);
        return CreateBackup(o);
    }
    Result<ArchiveReport> Verify(const fs::path& archive, const Passphrase& pass) {
        VerifyBackupOptions o;
        o.archive = archive;
        o.passphrase = &pass;
        o.scratch_parent = root_;
        return VerifyBackup(o);
    }
    Result<RestoreResult> Restore(const fs::path& archive, const fs::path& target,
                                  const Passphrase& pass, bool force = false) {
        RestoreOptions o;
        o.archive = archive;
        o.data_dir = target;
        o.passphrase = &pass;
        o.force = force;
        o.actor = "cli:tester";
        o.clock = [] { return kStart + 120 * kSecond; };
        return RestoreBackup(o);
    }
    // Only the expected entries: no temporary files or directories left behind.
    std::vector<std::string> Listing(const fs::path& dir) {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(dir)) {
            names.push_back(e.path().filename().string());
        }
        std::sort(names.begin(), names.end());
        return names;
    }
    // A file big enough for several chunks (1 MiB each).
    void AddBigFile() {
        fs::create_directories(dir_ / "attachments");
        std::string big(2 * 1024 * 1024 + 12345, '\0');
        for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) >> 3);
        WriteFile(dir_ / "attachments/blob.bin", big, 0640);
    }

    fs::path root_;
    fs::path dir_;
    fs::path pass_file_;
};

TEST_F(BackupTest, RoundTripRestoresEveryFileUserAndAuditRecord) {
    AddBigFile();
    const auto before_audit = ReadAudit(dir_);
    ASSERT_TRUE(before_audit.ok);
    const fs::path archive = root_ / "a.vbk";
    auto made = Backup(archive, Pass());
    ASSERT_TRUE(made) << made.error().message;
    EXPECT_EQ(made->databases, 1u);
    EXPECT_GE(made->files, 7u);  // vigil.yml, 3 keys, 2 tls, state.db, blob
    EXPECT_EQ(made->archive_bytes, fs::file_size(archive));
    EXPECT_EQ(made->archive_sha256.size(), 64u);
    EXPECT_EQ(Mode(archive), 0600u);
    EXPECT_EQ(Listing(root_), (std::vector<std::string>{"a.vbk", "data", "pass"}));
    for (const auto& name : Listing(dir_)) EXPECT_NE(name.rfind(".backup-staging-", 0), 0u);
    // The plaintext never reaches the archive.
    const std::string bytes = ReadFile(archive);
    EXPECT_EQ(bytes.find("BEGIN PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(bytes.find("SQLite format"), std::string::npos);
    EXPECT_EQ(bytes.rfind("VIGILBAK", 0), 0u);

    auto report = Verify(archive, Pass());
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->ok()) << report->problems[0];
    EXPECT_EQ(report->files, made->files);
    EXPECT_EQ(report->archive_sha256, made->archive_sha256);
    ASSERT_EQ(report->databases.size(), 1u);
    EXPECT_EQ(report->databases[0].path, "state.db");
    EXPECT_EQ(report->databases[0].detail, "integrity ok");
    EXPECT_TRUE(report->audit_checked);
    EXPECT_EQ(report->audit_records, before_audit.records);
    EXPECT_EQ(report->source_dir, dir_.string());
    EXPECT_EQ(report->created_ns, kStart + 60 * kSecond);
    EXPECT_EQ(Listing(root_), (std::vector<std::string>{"a.vbk", "data", "pass"}))
        << "verify leaves nothing behind";

    // Wipe and restore.
    const std::string seal = ReadFile(dir_ / "keys/seal.key");
    const std::string yml = ReadFile(dir_ / "vigil.yml");
    const std::string blob = ReadFile(dir_ / "attachments/blob.bin");
    fs::remove_all(dir_);
    auto restored = Restore(archive, dir_, Pass());
    ASSERT_TRUE(restored) << restored.error().message;
    EXPECT_TRUE(restored->moved_aside.empty());
    EXPECT_EQ(ReadFile(dir_ / "keys/seal.key"), seal);
    EXPECT_EQ(ReadFile(dir_ / "vigil.yml"), yml);
    EXPECT_EQ(ReadFile(dir_ / "attachments/blob.bin"), blob);
    EXPECT_EQ(Mode(dir_), 0700u);
    EXPECT_EQ(Mode(dir_ / "keys"), 0700u);
    EXPECT_EQ(Mode(dir_ / "keys/seal.key"), 0600u);
    EXPECT_EQ(Mode(dir_ / "keys/audit-signing.pem"), 0600u);
    EXPECT_EQ(Mode(dir_ / "keys/audit-signing.pub.pem"), 0644u);
    EXPECT_EQ(Mode(dir_ / "state.db"), 0600u);
    EXPECT_EQ(Mode(dir_ / "attachments/blob.bin"), 0640u);
    EXPECT_EQ(Usernames(dir_ / "state.db"), (std::vector<std::string>{"admin", "alice", "bob"}));
    const auto after = ReadAudit(dir_);
    EXPECT_TRUE(after.ok);
    ASSERT_EQ(after.records, before_audit.records + 1);
    const audit::Record& last = after.all.back();
    EXPECT_EQ(last.action, "backup.restore");
    EXPECT_EQ(last.actor, "cli:tester");
    EXPECT_EQ(last.object, dir_.string());
    EXPECT_NE(last.detail.find(made->archive_sha256), std::string::npos);
    EXPECT_EQ(Listing(root_), (std::vector<std::string>{"a.vbk", "data", "pass"}));
}

TEST_F(BackupTest, LeavesOutLockSidecarsArchivesAndTheBackupDir) {
    auto lock = LockDataDir(dir_);
    ASSERT_TRUE(lock);
    fs::create_directories(dir_ / "backups");
    WriteFile(dir_ / "backups/vigil-backup-20270101T000000Z.vbk", "old archive");
    WriteFile(dir_ / "stray.vbk", "another archive");
    auto db = store::Database::Open(dir_ / "state.db");  // keeps -wal and -shm around
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->Exec("CREATE TABLE IF NOT EXISTS extra(x); INSERT INTO extra VALUES (1)"));
    ASSERT_TRUE(fs::exists(dir_ / "state.db-wal"));
    const fs::path archive = dir_ / "inside.vbk";  // even inside the directory it backs up
    auto made = Backup(archive, Pass());
    ASSERT_TRUE(made) << made.error().message;
    fs::path target = root_ / "restored";
    auto restored = Restore(archive, target, Pass());
    ASSERT_TRUE(restored) << restored.error().message;
    EXPECT_FALSE(fs::exists(target / "vigil.lock"));
    EXPECT_FALSE(fs::exists(target / "backups"));
    EXPECT_FALSE(fs::exists(target / "stray.vbk"));
    EXPECT_FALSE(fs::exists(target / "inside.vbk"));
    EXPECT_FALSE(fs::exists(target / "state.db-wal"));
    // The committed row still in the WAL is in the copy: the online backup reads through it.
    auto copy = store::Database::Open(target / "state.db");
    ASSERT_TRUE(copy);
    auto st = copy->Prepare("SELECT count(*) FROM extra");
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->Step());
    EXPECT_EQ(st->ColumnInt64(0), 1);
}

TEST_F(BackupTest, ConsistentWhileTheAuditTrailIsWritten) {
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        auto db = store::Database::Open(dir_ / "state.db");
        auto key = audit::SigningKey::LoadFromFile(dir_ / "keys/audit-signing.pem");
        if (!db || !key) return;
        auto log = audit::SqliteAuditLog::Open(*db, std::move(*key));
        if (!log) return;
        for (int i = 0; !stop && i < 2000; ++i) {
            audit::Record r;
            r.actor = "writer";
            r.action = "test.write";
            r.result = "success";
            (void)log->Append(std::move(r));
        }
    });
    auto made = Backup(root_ / "live.vbk", Pass());
    stop = true;
    writer.join();
    ASSERT_TRUE(made) << made.error().message;
    auto report = Verify(root_ / "live.vbk", Pass());
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->ok()) << report->problems[0];
    EXPECT_EQ(report->audit_findings, 0u);
}

// The ingest state is taken before the databases are copied, as it was at that moment: serve
// deleting a consumed spool segment or replacing the tail offsets while the databases are copied
// neither fails the backup nor puts offsets ahead of the stored events into it (lines lost
// after a restore).
TEST_F(BackupTest, TheIngestStateIsTakenBeforeTheDatabases) {
    fs::create_directories(dir_ / "spool");
    WriteFile(dir_ / "spool/seg-00000001.spool", "segment one");
    WriteFile(dir_ / "spool/spool.pos", "1 0\n");
    WriteFile(dir_ / "tail-web.offsets", "offsets before");
    // Made under umask 022 by an older serve: restored as the owner's only.
    fs::permissions(dir_ / "state.db", fs::perms(0644));
    fs::permissions(dir_ / "spool", fs::perms(0755));
    bool changed = false;
    int calls = 0;
    auto made = Backup(root_ / "live.vbk", Pass(), [&] {
        // The first call is after the listing; the second as the first database is copied.
        if (++calls == 2) {  // as serve goes on
            changed = true;
            fs::remove(dir_ / "spool/seg-00000001.spool");
            WriteFile(dir_ / "spool/seg-00000002.spool", "segment two");
            WriteFile(dir_ / "tail-web.offsets.tmp", "offsets after");
            fs::rename(dir_ / "tail-web.offsets.tmp", dir_ / "tail-web.offsets");
        }
        return false;
    });
    ASSERT_TRUE(changed);
    ASSERT_TRUE(made) << made.error().message;
    ASSERT_TRUE(Restore(root_ / "live.vbk", root_ / "restored", Pass()));
    EXPECT_EQ(ReadFile(root_ / "restored/spool/seg-00000001.spool"), "segment one");
    EXPECT_EQ(ReadFile(root_ / "restored/tail-web.offsets"), "offsets before");
    EXPECT_FALSE(fs::exists(root_ / "restored/spool/seg-00000002.spool"));
    EXPECT_EQ(fs::status(root_ / "restored/state.db").permissions(), fs::perms(0600));
    EXPECT_EQ(fs::status(root_ / "restored/spool").permissions(), fs::perms(0700));
}

// A partition made between the listing of the data directory and the opening of the ingest
// state (the first events of a new day, whose file offsets the state then counts as stored) is
// in the archive too: the databases are listed again after the state is opened.
TEST_F(BackupTest, ADatabaseMadeAsTheIngestStateIsOpenedIsInTheArchive) {
    WriteFile(dir_ / "tail-web.offsets", "offsets before");
    bool made_partition = false;
    auto made = Backup(root_ / "live.vbk", Pass(), [&] {
        if (!made_partition) {  // just after the listing
            made_partition = true;
            fs::create_directories(dir_ / "events");
            auto db = store::Database::Open(dir_ / "events/2026-11-24.db", {});
            EXPECT_TRUE(db) << db.error().message;
            if (db) {
                EXPECT_TRUE(db->Exec("CREATE TABLE t(x); INSERT INTO t VALUES ('new day');"));
            }
            WriteFile(dir_ / "tail-web.offsets", "offsets past the new day's first events");
        }
        return false;
    });
    ASSERT_TRUE(made_partition);
    ASSERT_TRUE(made) << made.error().message;
    ASSERT_TRUE(Restore(root_ / "live.vbk", root_ / "restored", Pass()));
    EXPECT_EQ(ReadFile(root_ / "restored/tail-web.offsets"),
              "offsets past the new day's first events");
    store::OpenOptions ro;
    ro.read_only = true;
    auto db = store::Database::Open(root_ / "restored/events/2026-11-24.db", ro);
    ASSERT_TRUE(db) << db.error().message;
    auto stmt = db->Prepare("SELECT x FROM t");
    ASSERT_TRUE(stmt);
    ASSERT_TRUE(stmt->Step());
    EXPECT_EQ(stmt->ColumnText(0), "new day");
}

TEST_F(BackupTest, WrongPassphraseIsAClearErrorAndRestoreLeavesTargetAlone) {
    ASSERT_TRUE(Backup(root_ / "a.vbk", Pass()));
    auto report = Verify(root_ / "a.vbk", Pass("not the right passphrase"));
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().code, Code::kPermissionDenied);
    EXPECT_NE(report.error().message.find("wrong passphrase for"), std::string::npos);
    auto restored = Restore(root_ / "a.vbk", root_ / "target", Pass("not the right passphrase"));
    ASSERT_FALSE(restored);
    EXPECT_EQ(restored.error().code, Code::kPermissionDenied);
    EXPECT_FALSE(fs::exists(root_ / "target"));
    EXPECT_EQ(Listing(root_), (std::vector<std::string>{"a.vbk", "data", "pass"}));
}

class DamageTest : public BackupTest {
protected:
    void SetUp() override {
        BackupTest::SetUp();
        AddBigFile();
        archive_ = root_ / "good.vbk";
        auto made = Backup(archive_, Pass());
        ASSERT_TRUE(made) << made.error().message;
        good_ = ReadFile(archive_);
        // A non-empty target whose contents must survive every refused restore.
        fs::create_directories(root_ / "target");
        WriteFile(root_ / "target/keep.txt", "untouched");
    }
    // Verification and restore both refuse `bytes`; the target is left as it was.
    void ExpectRefused(const std::string& bytes, const std::string& message,
                       Code code = Code::kDataLoss) {
        const fs::path bad = root_ / "bad.vbk";
        WriteFile(bad, bytes);
        auto report = Verify(bad, Pass());
        ASSERT_FALSE(report) << "verify accepted damage: " << message;
        EXPECT_EQ(report.error().code, code) << report.error().message;
        EXPECT_NE(report.error().message.find(message), std::string::npos)
            << report.error().message;
        auto restored = Restore(bad, root_ / "target", Pass(), /*force=*/true);
        ASSERT_FALSE(restored);
        EXPECT_EQ(restored.error().code, code);
        EXPECT_EQ(Listing(root_ / "target"), (std::vector<std::string>{"keep.txt", "vigil.lock"}));
        EXPECT_EQ(ReadFile(root_ / "target/keep.txt"), "untouched");
        EXPECT_EQ(Listing(root_),
                  (std::vector<std::string>{"bad.vbk", "data", "good.vbk", "pass", "target"}));
    }
    static constexpr size_t kHeader = 64;
    static constexpr size_t kChunk = 5 + 1024 * 1024 + 16;

    fs::path archive_;
    std::string good_;
};

TEST_F(DamageTest, BitFlipsAnywhereAreCaught) {
    ASSERT_GT(good_.size(), kHeader + 2 * kChunk);
    std::string bytes = good_;
    bytes[kHeader + 1000] ^= 0x01;  // ciphertext of chunk 0
    ExpectRefused(bytes, "chunk 0 (at byte 64) failed authentication");
    bytes = good_;
    bytes[kHeader + kChunk + 5 + 1024 * 1024 + 3] ^= 0x80;  // tag of chunk 1
    ExpectRefused(bytes, "chunk 1");
    bytes = good_;
    bytes.back() ^= 0x01;  // tag of the final chunk
    ExpectRefused(bytes, "failed authentication");
    bytes = good_;
    bytes[kHeader + kChunk] |= 0x01;  // chunk 1 claims to be final
    ExpectRefused(bytes, "chunk 1");
    bytes = good_;
    bytes[40] ^= 0x01;  // the salt: a different key
    ExpectRefused(bytes, "wrong passphrase", Code::kPermissionDenied);
    bytes = good_;
    bytes[0] = 'X';
    ExpectRefused(bytes, "not a vigil backup archive");
}

TEST_F(DamageTest, TruncationAndReorderingAreCaught) {
    ExpectRefused(good_.substr(0, kHeader + 2 * kChunk),
                  "truncated: it ends after 2 chunks without the final one");
    ExpectRefused(good_.substr(0, kHeader + kChunk + 100), "truncated in chunk 1");
    ExpectRefused(good_.substr(0, good_.size() - 1), "truncated");
    ExpectRefused(good_.substr(0, 30), "header is truncated");
    ExpectRefused(good_ + "x", "after the final chunk");
    std::string swapped = good_.substr(0, kHeader) + good_.substr(kHeader + kChunk, kChunk) +
                          good_.substr(kHeader, kChunk) + good_.substr(kHeader + 2 * kChunk);
    ExpectRefused(swapped, "chunk 0 (at byte 64) failed authentication");
}

TEST_F(BackupTest, RefusesWhatItMustNotOverwriteOrRead) {
    ASSERT_TRUE(Backup(root_ / "a.vbk", Pass()));
    auto again = Backup(root_ / "a.vbk", Pass());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Code::kAlreadyExists);
    EXPECT_NE(again.error().message.find("never overwritten"), std::string::npos);

    auto short_pass = Backup(root_ / "b.vbk", Pass("short"));
    ASSERT_FALSE(short_pass);
    EXPECT_EQ(short_pass.error().code, Code::kInvalidArgument);
    EXPECT_NE(short_pass.error().message.find("too short"), std::string::npos);

    BackupOptions o;
    const Passphrase pass = Pass();
    o.data_dir = root_ / "nowhere";
    o.out = root_ / "c.vbk";
    o.passphrase = &pass;
    auto missing = CreateBackup(o);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Code::kNotFound);
    o.data_dir = root_;  // a directory, but not a data directory
    auto foreign = CreateBackup(o);
    ASSERT_FALSE(foreign);
    EXPECT_NE(foreign.error().message.find("is not a vigil data directory"), std::string::npos);
    EXPECT_FALSE(fs::exists(root_ / "c.vbk"));
}

TEST_F(BackupTest, CancelledBackupLeavesNothing) {
    AddBigFile();
    int polls = 0;
    auto made = Backup(root_ / "a.vbk", Pass(), [&] { return ++polls > 2; });
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().code, Code::kCancelled);
    EXPECT_EQ(Listing(root_), (std::vector<std::string>{"data", "pass"}));
    for (const auto& name : Listing(dir_)) EXPECT_NE(name.rfind(".backup-staging-", 0), 0u);
}

TEST_F(BackupTest, RestoreRefusesANonEmptyDirectoryUnlessForcedAndNeverDeletes) {
    ASSERT_TRUE(Backup(root_ / "a.vbk", Pass()));
    fs::create_directories(root_ / "target");
    WriteFile(root_ / "target/old.txt", "old contents");
    auto refused = Restore(root_ / "a.vbk", root_ / "target", Pass());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Code::kFailedPrecondition);
    EXPECT_NE(refused.error().message.find("is not empty (--force moves it aside"),
              std::string::npos);
    EXPECT_EQ(Listing(root_ / "target"), (std::vector<std::string>{"old.txt"}));

    // A running server (any holder of the lock) blocks even a forced restore.
    {
        auto lock = LockDataDir(root_ / "target");
        ASSERT_TRUE(lock);
        auto busy = Restore(root_ / "a.vbk", root_ / "target", Pass(), /*force=*/true);
        ASSERT_FALSE(busy);
        EXPECT_EQ(busy.error().code, Code::kFailedPrecondition);
        EXPECT_NE(busy.error().message.find("is in use by another vigil process (pid " +
                                            std::to_string(::getpid()) + ")"),
                  std::string::npos)
            << busy.error().message;
    }

    auto forced = Restore(root_ / "a.vbk", root_ / "target", Pass(), /*force=*/true);
    ASSERT_TRUE(forced) << forced.error().message;
    EXPECT_EQ(forced->moved_aside, fs::path(root_ / "target.pre-restore-20270115T080200Z"));
    EXPECT_EQ(ReadFile(forced->moved_aside / "old.txt"), "old contents");
    EXPECT_TRUE(fs::exists(root_ / "target/state.db"));
    EXPECT_EQ(Usernames(root_ / "target/state.db"),
              (std::vector<std::string>{"admin", "alice", "bob"}));

    // An empty directory is simply filled.
    fs::create_directories(root_ / "empty");
    auto filled = Restore(root_ / "a.vbk", root_ / "empty", Pass());
    ASSERT_TRUE(filled) << filled.error().message;
    EXPECT_TRUE(fs::exists(root_ / "empty/vigil.yml"));
}

TEST_F(BackupTest, InPlaceRestoreKeepsTheArchivesOfTheDefaultBackupDir) {
    // The default backup.dir is DIR/backups: an in-place restore from one of its archives must
    // leave them all in DIR/backups, not only in DIR.pre-restore-*.
    fs::create_directories(dir_ / "backups");
    const fs::path archive = dir_ / "backups/vigil-backup-20270115T080100Z.vbk";
    ASSERT_TRUE(Backup(archive, Pass()));
    WriteFile(dir_ / "backups/vigil-backup-20270114T080000Z.vbk", "an older archive");
    WriteFile(dir_ / "backups/notes.txt", "the operator's notes");
    auto restored = Restore(archive, dir_, Pass(), /*force=*/true);
    ASSERT_TRUE(restored) << restored.error().message;
    ASSERT_FALSE(restored->moved_aside.empty());
    EXPECT_EQ(Listing(dir_ / "backups"),
              (std::vector<std::string>{"notes.txt", "vigil-backup-20270114T080000Z.vbk",
                                        "vigil-backup-20270115T080100Z.vbk"}));
    EXPECT_EQ(ReadFile(dir_ / "backups/notes.txt"), "the operator's notes");
    EXPECT_FALSE(fs::exists(restored->moved_aside / "backups"));
    EXPECT_TRUE(fs::exists(restored->moved_aside / "state.db"));
    // The archive it came from still verifies where it was.
    auto report = Verify(archive, Pass());
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->ok());
}

TEST(PassphraseFileTest, ModeContentAndLimits) {
    const fs::path dir = fs::temp_directory_path() / ("vigil-pass-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path file = dir / "pass";
    WriteFile(file, "a long enough passphrase\r\nsecond line ignored\n", 0600);
    auto ok = ReadPassphraseFile(file);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->view(), "a long enough passphrase");
    WriteFile(file, "a long enough passphrase\n", 0644);
    auto open = ReadPassphraseFile(file);
    ASSERT_FALSE(open);
    EXPECT_EQ(open.error().code, Code::kPermissionDenied);
    EXPECT_EQ(open.error().message, "the passphrase file " + file.string() +
                                        " is accessible by group or others (mode 0644); run: "
                                        "chmod 600 " +
                                        file.string());
    WriteFile(file, "\n", 0400);
    auto empty = ReadPassphraseFile(file);
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().message.find("is empty"), std::string::npos);
    auto missing = ReadPassphraseFile(dir / "missing");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Code::kNotFound);
    fs::remove_all(dir);
}

TEST(DataDirLockTest, OneHolderAtATime) {
    const fs::path dir = fs::temp_directory_path() / ("vigil-lock-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        auto first = LockDataDir(dir);
        ASSERT_TRUE(first) << first.error().message;
        EXPECT_EQ(Mode(dir / "vigil.lock"), 0600u);
        auto second = LockDataDir(dir);
        ASSERT_FALSE(second);
        EXPECT_EQ(second.error().code, Code::kFailedPrecondition);
        EXPECT_EQ(second.error().message.rfind("the data directory " + dir.string() +
                                                   " is in use by another vigil process (pid " +
                                                   std::to_string(::getpid()) + ")",
                                               0),
                  0u);
        DataDirLock moved = std::move(*first);
        EXPECT_FALSE(LockDataDir(dir));
    }
    EXPECT_TRUE(LockDataDir(dir)) << "released when the holder goes away";
    EXPECT_EQ(LockDataDir(dir / "missing").error().code, Code::kNotFound);
    fs::remove_all(dir);
}

// `vigil status` asks whether serve holds the lock without taking it from anyone.
TEST(DataDirLockTest, ProbeSeesTheHolderAndLeavesTheLockFree) {
    const fs::path dir =
        fs::temp_directory_path() / ("vigil-lock-probe-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto never = ProbeDataDirLock(dir);
    ASSERT_TRUE(never) << never.error().message;
    EXPECT_FALSE(never->held);
    EXPECT_FALSE(fs::exists(dir / "vigil.lock")) << "the probe creates no lock file";
    {
        auto lock = LockDataDir(dir);
        ASSERT_TRUE(lock);
        auto probe = ProbeDataDirLock(dir);
        ASSERT_TRUE(probe) << probe.error().message;
        EXPECT_TRUE(probe->held);
        EXPECT_EQ(probe->pid, std::to_string(::getpid()));
        EXPECT_GT(probe->since_ns, 0);
        EXPECT_TRUE(ProbeDataDirLock(dir)->held) << "probing twice changes nothing";
    }
    auto after = ProbeDataDirLock(dir);
    ASSERT_TRUE(after);
    EXPECT_FALSE(after->held);
    EXPECT_EQ(after->pid, std::to_string(::getpid())) << "the last holder's pid stays";
    EXPECT_TRUE(LockDataDir(dir)) << "a probe leaves the lock free";
    EXPECT_EQ(ProbeDataDirLock(dir / "missing").error().code, Code::kNotFound);
    fs::remove_all(dir);
}

TEST(BackupConfigTest, ParsesTheBackupSection) {
    auto c = ParseServeConfig(R"(
backup:
  interval: 24h
  dir: /srv/backups
  keep: 3
  passphrase_file: keys/backup.pass
)",
                              "/data", "vigil.yml");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_TRUE(c->backup.enabled());
    EXPECT_EQ(c->backup.interval, std::chrono::hours(24));
    EXPECT_EQ(c->backup.dir, fs::path("/srv/backups"));
    EXPECT_EQ(c->backup.keep, 3);
    EXPECT_EQ(c->backup.passphrase_file, fs::path("/data/keys/backup.pass"));

    auto off = ParseServeConfig("server:\n  port: 1\n", "/data", "vigil.yml");
    ASSERT_TRUE(off);
    EXPECT_FALSE(off->backup.enabled());
    EXPECT_EQ(off->backup.dir, fs::path("/data/backups"));
    EXPECT_EQ(off->backup.keep, 7);

    EXPECT_EQ(ParseInterval("30m").value(), std::chrono::minutes(30));
    EXPECT_EQ(ParseInterval("90s").value(), std::chrono::seconds(90));
    EXPECT_EQ(ParseInterval("7d").value(), std::chrono::hours(24 * 7));
    EXPECT_EQ(ParseInterval("off").value(), std::chrono::seconds(0));
    EXPECT_FALSE(ParseInterval("10s"));  // below the minimum
    EXPECT_FALSE(ParseInterval("1w"));
    EXPECT_FALSE(ParseInterval("h"));

    auto bad = ParseServeConfig("backup:\n  interval: daily\n", "/data", "vigil.yml");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message.rfind("vigil.yml:2:13: backup.interval: expected a duration", 0),
              0u)
        << bad.error().message;
    auto no_pass = ParseServeConfig("backup:\n  interval: 1h\n", "/data", "vigil.yml");
    ASSERT_FALSE(no_pass);
    EXPECT_NE(no_pass.error().message.find(
                  "vigil.yml:2:3: backup.passphrase_file: required when backup.interval is set"),
              std::string::npos)
        << no_pass.error().message;
    auto keep = ParseServeConfig("backup:\n  keep: 0\n", "/data", "vigil.yml");
    ASSERT_FALSE(keep);
    EXPECT_EQ(keep.error().message, "vigil.yml:2:9: backup.keep: expected an integer 1..10000");
    auto section = ParseServeConfig("backup: 5\n", "/data", "vigil.yml");
    ASSERT_FALSE(section);
    EXPECT_EQ(section.error().message, "vigil.yml:1:9: backup: expected a mapping");
}

TEST(ScheduledNameTest, OnlyItsOwnNames) {
    EXPECT_EQ(ScheduledBackupName(kStart), "vigil-backup-20270115T080000Z.vbk");
    EXPECT_TRUE(IsScheduledBackupName("vigil-backup-20270115T080000Z.vbk"));
    EXPECT_FALSE(IsScheduledBackupName("vigil-backup-20270115T080000Z.vbk.tmp"));
    EXPECT_FALSE(IsScheduledBackupName("vigil-backup-2027011xT080000Z.vbk"));
    EXPECT_FALSE(IsScheduledBackupName("my-vigil-backup-20270115T080000Z.vbk"));
    EXPECT_FALSE(IsScheduledBackupName("important.vbk"));
}

class SchedulerTest : public BackupTest {
protected:
    BackupSchedulerOptions Options(std::chrono::seconds interval) {
        BackupSchedulerOptions o;
        o.data_dir = dir_;
        o.config.interval = interval;
        o.config.dir = root_ / "backups";
        o.config.keep = 2;
        o.config.passphrase_file = pass_file_;
        o.kdf = SmallKdf();
        o.clock = [this] { return now_.load(); };
        return o;
    }
    std::atomic<int64_t> now_{kStart};
};

TEST_F(SchedulerTest, RunsPrunesOnlyItsOwnArchivesAndAudits) {
    fs::create_directories(root_ / "backups");
    WriteFile(root_ / "backups/keep-me.vbk", "not ours");
    BackupScheduler scheduler(Options(std::chrono::hours(1)));
    ASSERT_TRUE(scheduler.Start());
    EXPECT_EQ(scheduler.State().next_run_ns, kStart + 30 * kSecond);  // no archive yet
    for (int i = 0; i < 3; ++i) {
        now_ = kStart + i * 60 * kSecond;
        auto run = scheduler.RunNow();
        ASSERT_TRUE(run) << run.error().message;
    }
    EXPECT_EQ(Listing(root_ / "backups"),
              (std::vector<std::string>{"keep-me.vbk", "vigil-backup-20270115T080100Z.vbk",
                                        "vigil-backup-20270115T080200Z.vbk"}));
    const BackupSchedulerState state = scheduler.State();
    EXPECT_TRUE(state.enabled);
    EXPECT_EQ(state.runs, 3u);
    EXPECT_EQ(state.failures, 0u);
    EXPECT_EQ(state.last_result, "success");
    EXPECT_EQ(state.last_run_ns, kStart + 120 * kSecond);
    EXPECT_EQ(state.last_file, root_ / "backups/vigil-backup-20270115T080200Z.vbk");
    EXPECT_EQ(state.last_bytes, fs::file_size(state.last_file));
    scheduler.Stop();

    auto report = Verify(state.last_file, Pass());
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->ok());

    const auto trail = ReadAudit(dir_);
    EXPECT_TRUE(trail.ok);
    int runs = 0;
    for (const auto& r : trail.all) {
        if (r.action != "backup.run") continue;
        ++runs;
        EXPECT_EQ(r.actor, "system");
        EXPECT_EQ(r.result, "success");
    }
    EXPECT_EQ(runs, 3);
    EXPECT_NE(trail.all.back().detail.find(state.last_sha256), std::string::npos);
    EXPECT_NE(trail.all.back().detail.find("removed old archives: "
                                           "vigil-backup-20270115T080000Z.vbk"),
              std::string::npos);
}

TEST_F(SchedulerTest, FailuresAreRecordedAndAudited) {
    BackupScheduler scheduler(Options(std::chrono::hours(1)));
    ASSERT_TRUE(scheduler.Start());
    fs::remove(pass_file_);
    auto run = scheduler.RunNow();
    ASSERT_FALSE(run);
    const BackupSchedulerState state = scheduler.State();
    EXPECT_EQ(state.last_result, "failure");
    EXPECT_EQ(state.failures, 1u);
    EXPECT_NE(state.last_error.find("backup.passphrase_file"), std::string::npos);
    const auto trail = ReadAudit(dir_);
    EXPECT_EQ(trail.all.back().action, "backup.run");
    EXPECT_EQ(trail.all.back().result, "failure");
}

// `vigil status` reads the scheduler's state from the data directory: what it says at start,
// after a good run, after a failed one, at stop, and with backups off.
TEST_F(SchedulerTest, TheStateIsPublishedForVigilStatus) {
    const fs::path file = dir_ / kBackupStatusFile;
    const auto published = [&] { return nlohmann::json::parse(ReadFile(file)); };
    {
        BackupScheduler scheduler(Options(std::chrono::hours(1)));
        ASSERT_TRUE(scheduler.Start());
        auto j = published();
        EXPECT_EQ(j["enabled"], true);
        EXPECT_EQ(j["interval_seconds"], 3600);
        EXPECT_EQ(j["next_run_at"], FormatTimestamp(kStart + 30 * kSecond));
        EXPECT_FALSE(j.contains("last_success_at"));
        EXPECT_EQ(j["updated_at"], FormatTimestamp(kStart));
        struct stat st {};
        ASSERT_EQ(::stat(file.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);

        // The runs stay before the scheduled one (kStart + 30 s): the thread does not run.
        now_ = kStart + 10 * kSecond;
        ASSERT_TRUE(scheduler.RunNow());
        j = published();
        EXPECT_EQ(j["last_result"], "success");
        EXPECT_EQ(j["last_success_at"], FormatTimestamp(kStart + 10 * kSecond));
        EXPECT_EQ(j["last_success_file"],
                  (root_ / "backups/vigil-backup-20270115T080010Z.vbk").string());
        EXPECT_EQ(j["runs"], 1);

        fs::remove(pass_file_);
        now_ = kStart + 20 * kSecond;
        ASSERT_FALSE(scheduler.RunNow());
        j = published();
        EXPECT_EQ(j["last_result"], "failure");
        EXPECT_EQ(j["failures"], 1);
        EXPECT_NE(j["last_error"].get<std::string>().find("backup.passphrase_file"),
                  std::string::npos);
        EXPECT_EQ(j["last_success_at"], FormatTimestamp(kStart + 10 * kSecond));  // kept

        scheduler.Stop();
        EXPECT_FALSE(published().contains("next_run_at"));
    }
    BackupScheduler off(Options(std::chrono::seconds(0)));
    ASSERT_TRUE(off.Start());
    EXPECT_EQ(published()["enabled"], false);
}

TEST_F(SchedulerTest, StartChecksThePassphraseFileAndOffDoesNothing) {
    ::chmod(pass_file_.c_str(), 0644);
    BackupScheduler open(Options(std::chrono::hours(1)));
    auto st = open.Start();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("chmod 600"), std::string::npos);

    BackupScheduler off(Options(std::chrono::seconds(0)));
    EXPECT_TRUE(off.Start());
    EXPECT_FALSE(off.State().enabled);
    off.Stop();
    EXPECT_FALSE(fs::exists(root_ / "backups"));
}

TEST_F(SchedulerTest, TheThreadRunsOnScheduleAndStopIsPrompt) {
    {
        // A long interval: Stop must wake the thread instead of waiting for it.
        BackupScheduler idle(Options(std::chrono::hours(24)));
        ASSERT_TRUE(idle.Start());
        idle.Stop();
        EXPECT_EQ(idle.State().runs, 0u);
    }
    BackupScheduler scheduler(Options(std::chrono::seconds(1)));
    ASSERT_TRUE(scheduler.Start());
    for (int i = 0; i < 200 && scheduler.State().runs == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    scheduler.Stop();
    const BackupSchedulerState state = scheduler.State();
    ASSERT_GE(state.runs, 1u);
    EXPECT_EQ(state.last_result, "success") << state.last_error;
    EXPECT_EQ(state.next_run_ns, 0);
}

TEST_F(SchedulerTest, RetentionNeverRemovesTheArchiveItJustWrote) {
    // Archives named in the future (a run while the clock was ahead) must not count as newer
    // than the one a run has just written.
    fs::create_directories(root_ / "backups");
    WriteFile(root_ / "backups/vigil-backup-20281124T020000Z.vbk", "clock was ahead");
    auto options = Options(std::chrono::hours(1));
    options.config.keep = 1;
    {
        BackupScheduler scheduler(options);
        auto run = scheduler.RunNow();
        ASSERT_TRUE(run) << run.error().message;
        EXPECT_EQ(Listing(root_ / "backups"),
                  (std::vector<std::string>{"vigil-backup-20270115T080000Z.vbk"}));
        EXPECT_EQ(scheduler.State().last_file, root_ / "backups/vigil-backup-20270115T080000Z.vbk");
    }
    // keep 2: the new archive and the newest other one that is not named in the future.
    WriteFile(root_ / "backups/vigil-backup-20281124T020000Z.vbk", "clock was ahead");
    WriteFile(root_ / "backups/vigil-backup-20290101T000000Z.vbk", "clock was far ahead");
    options.config.keep = 2;
    now_ = kStart + 3600 * kSecond;
    BackupScheduler scheduler(options);
    auto run = scheduler.RunNow();
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(Listing(root_ / "backups"),
              (std::vector<std::string>{"vigil-backup-20270115T080000Z.vbk",
                                        "vigil-backup-20270115T090000Z.vbk"}));
    const auto trail = ReadAudit(dir_);
    EXPECT_EQ(trail.all.back().action, "backup.run");
    EXPECT_EQ(trail.all.back().result, "success");
    EXPECT_NE(trail.all.back().detail.find("vigil-backup-20290101T000000Z.vbk"), std::string::npos)
        << trail.all.back().detail;
}

TEST_F(SchedulerTest, StartRemovesLeftoversOfACrashedBackupButNotOfARunningOne) {
    // What kill -9 during a scheduled run leaves: the database copies and the .tmp archive.
    fs::create_directories(dir_ / ".backup-staging-AbC123");
    WriteFile(dir_ / ".backup-staging-AbC123/0.db", std::string(4096, 'x'));
    fs::create_directories(root_ / "backups");
    WriteFile(root_ / "backups/vigil-backup-20270115T070000Z.vbk.tmp", std::string(8192, 'y'));
    WriteFile(root_ / "backups/other.tmp", "not ours");
    {
        BackupScheduler scheduler(Options(std::chrono::hours(1)));
        ASSERT_TRUE(scheduler.Start());
        scheduler.Stop();
    }
    EXPECT_FALSE(fs::exists(dir_ / ".backup-staging-AbC123"));
    EXPECT_EQ(Listing(root_ / "backups"), (std::vector<std::string>{"other.tmp"}));
    const auto trail = ReadAudit(dir_);
    EXPECT_EQ(trail.all.back().action, "backup.cleanup");
    EXPECT_NE(trail.all.back().detail.find("vigil-backup-20270115T070000Z.vbk.tmp"),
              std::string::npos)
        << trail.all.back().detail;

    // A backup still running (here `vigil backup` into the scheduler's directory, paused after
    // its first chunk) keeps its staging directory and its .tmp while a scheduler starts.
    AddBigFile();
    std::mutex mu;
    std::condition_variable cv;
    bool paused = false;
    bool resume = false;
    const fs::path out = root_ / "backups/vigil-backup-20270115T075900Z.vbk";
    std::thread cli([&] {
        const Passphrase pass = Pass();
        BackupOptions o;
        o.data_dir = dir_;
        o.out = out;
        o.passphrase = &pass;
        o.kdf = SmallKdf();
        o.progress = [&](uint64_t) {
            std::unique_lock<std::mutex> lock(mu);
            paused = true;
            cv.notify_all();
            cv.wait(lock, [&] { return resume; });
        };
        auto made = CreateBackup(o);
        EXPECT_TRUE(made) << made.error().message;
    });
    {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return paused; });
    }
    fs::path staging;
    for (const auto& e : fs::directory_iterator(dir_)) {
        if (e.path().filename().string().rfind(".backup-staging-", 0) == 0) staging = e.path();
    }
    ASSERT_FALSE(staging.empty());
    fs::path tmp = out;
    tmp += ".tmp";
    ASSERT_TRUE(fs::exists(tmp));
    {
        BackupScheduler scheduler(Options(std::chrono::hours(1)));
        ASSERT_TRUE(scheduler.Start());
        scheduler.Stop();
    }
    EXPECT_TRUE(fs::exists(staging));
    EXPECT_TRUE(fs::exists(tmp));
    {
        std::lock_guard<std::mutex> lock(mu);
        resume = true;
    }
    cv.notify_all();
    cli.join();
    EXPECT_TRUE(fs::exists(out));
    EXPECT_FALSE(fs::exists(staging));
    EXPECT_FALSE(fs::exists(tmp));
}

TEST_F(SchedulerTest, TheFirstRunFollowsTheLastScheduledArchiveNotTheStart) {
    fs::create_directories(root_ / "backups");
    // No archive yet: soon after the start, not one interval later.
    {
        BackupScheduler scheduler(Options(std::chrono::hours(24)));
        ASSERT_TRUE(scheduler.Start());
        EXPECT_EQ(scheduler.State().next_run_ns, kStart + 30 * kSecond);
        EXPECT_EQ(scheduler.State().last_success_ns, 0);
    }
    // The last archive is 10 minutes old: due one interval after it.
    WriteFile(root_ / "backups/vigil-backup-20270115T075000Z.vbk", "ten minutes ago");
    // Named in the future (the clock was ahead): does not count.
    WriteFile(root_ / "backups/vigil-backup-20281124T020000Z.vbk", "clock was ahead");
    {
        BackupScheduler scheduler(Options(std::chrono::hours(1)));
        ASSERT_TRUE(scheduler.Start());
        const BackupSchedulerState state = scheduler.State();
        EXPECT_EQ(state.next_run_ns, kStart + 50 * 60 * kSecond);
        EXPECT_EQ(state.last_success_ns, kStart - 10 * 60 * kSecond);
        EXPECT_EQ(state.last_success_file, root_ / "backups/vigil-backup-20270115T075000Z.vbk");
    }
    // Overdue (restarted more often than the interval): soon after the start.
    now_ = kStart + 2 * 3600 * kSecond;
    {
        BackupScheduler scheduler(Options(std::chrono::hours(1)));
        ASSERT_TRUE(scheduler.Start());
        EXPECT_EQ(scheduler.State().next_run_ns, now_.load() + 30 * kSecond);
    }
    // A short interval is never exceeded by the start-up delay, and the thread runs it.
    BackupScheduler scheduler(Options(std::chrono::seconds(2)));
    ASSERT_TRUE(scheduler.Start());
    EXPECT_EQ(scheduler.State().next_run_ns, now_.load() + 2 * kSecond);
    for (int i = 0; i < 200 && scheduler.State().runs == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    scheduler.Stop();
    const BackupSchedulerState state = scheduler.State();
    ASSERT_EQ(state.runs, 1u);
    EXPECT_EQ(state.last_result, "success") << state.last_error;
    EXPECT_EQ(state.last_success_ns, now_.load());
    EXPECT_EQ(state.last_success_file, state.last_file);
}

}  // namespace
}  // namespace vigil::app
