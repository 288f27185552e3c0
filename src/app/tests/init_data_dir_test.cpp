#include "app/init_data_dir.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "app/config.h"
#include "audit/keys.h"
#include "audit/sqlite_log.h"
#include "auth/seal.h"
#include "store/database.h"

namespace vigil::app {
namespace {

namespace fs = std::filesystem;

class InitDataDirTest : public ::testing::Test {
protected:
    void SetUp() override {
        static int counter = 0;
        root_ = fs::temp_directory_path() /
                ("vigil-init-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(root_);
        fs::create_directories(root_);
        options_.data_dir = root_ / "data";
        options_.now_ns = int64_t{1800000000} * 1000000000;
        options_.user_store.argon2.memory_kib = 64;
        options_.user_store.argon2.iterations = 1;
    }
    void TearDown() override { fs::remove_all(root_); }

    static unsigned Mode(const fs::path& p) {
        struct stat st {};
        EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
        return st.st_mode & 0777;
    }

    fs::path root_;
    InitDataDirOptions options_;
};

TEST_F(InitDataDirTest, CreatesWhatServeNeedsWithTightModes) {
    auto made = InitDataDir(options_);
    ASSERT_TRUE(made) << made.error().message;
    const fs::path dir = options_.data_dir;
    EXPECT_EQ(made->admin_username, "admin");
    EXPECT_EQ(made->one_time_password.size(), 19u);  // four groups of four, three dashes
    EXPECT_EQ(Mode(dir), 0700u);
    EXPECT_EQ(Mode(dir / "keys"), 0700u);
    EXPECT_EQ(Mode(dir / "keys/seal.key"), 0600u);
    EXPECT_EQ(Mode(dir / "keys/audit-signing.pem"), 0600u);
    EXPECT_EQ(Mode(dir / "keys/audit-signing.pub.pem"), 0644u);
    EXPECT_EQ(Mode(dir / "tls/key.pem"), 0600u);
    EXPECT_EQ(Mode(dir / "vigil.yml"), 0600u);
    EXPECT_EQ(Mode(dir / "state.db"), 0600u);

    auto config = LoadServeConfig(dir / "vigil.yml");
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->port, 8443);
    EXPECT_EQ(config->tls_cert, fs::absolute(dir) / "tls/cert.pem");
    EXPECT_TRUE(auth::SealKey::LoadFile(config->seal_key));

    auto db = store::Database::Open(dir / "state.db");
    ASSERT_TRUE(db);
    auto log = audit::SqliteAuditLog::Open(*db);
    ASSERT_TRUE(log);
    auto pub = audit::PublicKey::LoadFromFile(dir / "keys/audit-signing.pub.pem");
    ASSERT_TRUE(pub);
    EXPECT_EQ(pub->key_id(), made->audit_key_id);
    auto report = log->Verify(*pub);
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->ok);
    EXPECT_EQ(report->records_checked, 2u);
}

TEST_F(InitDataDirTest, RefusesAUsedDirectoryAndNeverOverwrites) {
    ASSERT_TRUE(InitDataDir(options_));
    auto again = InitDataDir(options_);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Code::kFailedPrecondition);
    options_.force = true;
    again = InitDataDir(options_);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Code::kAlreadyExists);
    EXPECT_TRUE(fs::exists(options_.data_dir / "keys/seal.key"));
}

TEST_F(InitDataDirTest, FailureLeavesNothingBehind) {
    options_.admin_username = "bad name";
    auto made = InitDataDir(options_);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().code, Code::kInvalidArgument);
    EXPECT_FALSE(fs::exists(options_.data_dir));
}

}  // namespace
}  // namespace vigil::app
