// `vigil keys rotate` on a real data directory with a TOTP-enrolled user: the secret still
// unseals (and a code still verifies) under the new key, the old key is gone, the rotation is
// audited without key bytes, a running server blocks it, and every interrupted state is
// finished by running it again.
#include "app/keys_rotate.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "app/data_dir_lock.h"
#include "app/init_data_dir.h"
#include "audit/keys.h"
#include "audit/sqlite_log.h"
#include "auth/encoding.h"
#include "auth/seal.h"
#include "auth/totp.h"
#include "auth/user_store.h"
#include "store/database.h"

namespace vigil::app {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kStart = int64_t{1800000000} * kSecond;

std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

auth::UserStoreOptions SmallArgon() {
    auth::UserStoreOptions o;
    o.argon2.memory_kib = 64;
    o.argon2.iterations = 1;
    return o;
}

class KeysRotateTest : public ::testing::Test {
protected:
    void SetUp() override {
        static int counter = 0;
        dir_ = fs::temp_directory_path() /
               ("vigil-rotate-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(dir_);
        InitDataDirOptions init;
        init.data_dir = dir_;
        init.now_ns = kStart;
        init.user_store = SmallArgon();
        ASSERT_TRUE(InitDataDir(init));
        seal_ = dir_ / "keys/seal.key";
        // alice enrols an authenticator and confirms it with a first code.
        auto ring = LoadSealKeyRing(seal_);
        ASSERT_TRUE(ring);
        old_id_ = ring->current_id();
        WithUsers([&](auth::UserStore& users) {
            auto alice = users.CreateUser("alice", auth::Role::kViewer, kStart,
                                          std::string_view("First-Pass-0002"));
            ASSERT_TRUE(alice);
            alice_ = alice->user.id;
            auto enrolment = users.EnrollTotp(alice_, *ring);
            ASSERT_TRUE(enrolment);
            auto secret = auth::Base32Decode(enrolment->secret_base32);
            ASSERT_TRUE(secret);
            secret_ = *secret;
            ASSERT_TRUE(users.ConfirmTotp(alice_, Code(kStart), kStart, *ring));
        });
    }
    void TearDown() override { fs::remove_all(dir_); }

    template <typename F>
    void WithUsers(F f) {
        auto db = store::Database::Open(dir_ / "state.db");
        ASSERT_TRUE(db) << db.error().message;
        auto users = auth::UserStore::Open(*db, SmallArgon());
        ASSERT_TRUE(users);
        f(*users);
    }
    std::string Code(int64_t ns) { return *auth::Totp(secret_, ns / kSecond); }
    std::string SealedSecret() {
        auto db = store::Database::Open(dir_ / "state.db");
        auto st = db->Prepare("SELECT totp_sealed FROM users WHERE username = 'alice'");
        EXPECT_TRUE(st->Step());
        return st->ColumnText(0);
    }
    // A sign-in's second factor, with whatever key ring the server would load.
    Status SignInWithCode(int64_t now) {
        auto ring = LoadSealKeyRing(seal_);
        if (!ring) return tl::unexpected(ring.error());
        Status result;
        WithUsers([&](auth::UserStore& users) {
            result = users.VerifyTotpCode(alice_, Code(now), now, *ring);
        });
        return result;
    }
    std::vector<audit::Record> Trail(bool* ok) {
        auto key = audit::PublicKey::LoadFromFile(dir_ / "keys/audit-signing.pub.pem");
        auto db = store::Database::Open(dir_ / "state.db");
        auto log = audit::SqliteAuditLog::Open(*db);
        auto report = log->Verify(*key);
        *ok = report && report->ok;
        std::vector<audit::Record> records;
        auto source = log->Records();
        audit::Record r;
        while (*source(r)) records.push_back(r);
        return records;
    }
    std::vector<std::string> KeyFiles() {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(dir_ / "keys")) {
            names.push_back(e.path().filename().string());
        }
        std::sort(names.begin(), names.end());
        return names;
    }
    RotateSealKeyOptions Options() {
        RotateSealKeyOptions o;
        o.data_dir = dir_;
        o.actor = "cli:tester";
        o.clock = [] { return kStart + 600 * kSecond; };
        return o;
    }

    fs::path dir_;
    fs::path seal_;
    std::string old_id_;
    std::string secret_;
    int64_t alice_ = 0;
};

const std::vector<std::string> kKeyFiles = {"audit-signing.pem", "audit-signing.pub.pem",
                                            "seal.key"};

TEST_F(KeysRotateTest, ReSealsTheTotpSecretAndDeletesTheOldKey) {
    const std::string old_key_bytes = ReadFile(seal_);
    const std::string before = SealedSecret();
    ASSERT_EQ(before.rfind("v1:" + old_id_ + ":", 0), 0u);

    auto rotated = RotateSealKey(Options());
    ASSERT_TRUE(rotated) << rotated.error().message;
    EXPECT_EQ(rotated->old_key_id, old_id_);
    EXPECT_NE(rotated->new_key_id, old_id_);
    EXPECT_EQ(rotated->resealed, 1u);
    EXPECT_FALSE(rotated->resumed);

    auto current = auth::SealKey::LoadFile(seal_);
    ASSERT_TRUE(current);
    EXPECT_EQ(current->id(), rotated->new_key_id);
    struct stat st {};
    ASSERT_EQ(::stat(seal_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(KeyFiles(), kKeyFiles) << "no .new or .retired key left";
    EXPECT_EQ(SealedSecret().rfind("v1:" + rotated->new_key_id + ":", 0), 0u);

    // The second factor still works with the new key alone...
    EXPECT_TRUE(SignInWithCode(kStart + 90 * kSecond));
    // ...and the old key cannot open the re-sealed secret.
    auto old_key = auth::SealKey::FromBytes(old_key_bytes);
    ASSERT_TRUE(old_key);
    auth::KeyRing old_ring(*old_key);
    EXPECT_FALSE(old_ring.Unseal(SealedSecret(), "totp:" + std::to_string(alice_)));

    bool ok = false;
    const auto trail = Trail(&ok);
    EXPECT_TRUE(ok);
    const audit::Record& last = trail.back();
    EXPECT_EQ(last.action, "keys.rotate");
    EXPECT_EQ(last.actor, "cli:tester");
    EXPECT_EQ(last.result, "success");
    EXPECT_EQ(last.before, "seal key id " + old_id_);
    EXPECT_EQ(last.after, "seal key id " + rotated->new_key_id);
    EXPECT_NE(last.detail.find("re-sealed 1 values"), std::string::npos);
    EXPECT_EQ(last.time_ns, kStart + 600 * kSecond);
    // Never key bytes, in any encoding.
    const std::string new_key_bytes = ReadFile(seal_);
    for (const auto& r : trail) {
        const std::string all = r.before + r.after + r.detail + r.object;
        for (const std::string& bytes : {old_key_bytes, new_key_bytes}) {
            EXPECT_EQ(all.find(bytes), std::string::npos);
            EXPECT_EQ(all.find(auth::HexEncode(bytes)), std::string::npos);
            EXPECT_EQ(all.find(auth::Base64Encode(bytes)), std::string::npos);
        }
    }

    // Twice in a row is fine: each rotation starts from the current key.
    auto again = RotateSealKey(Options());
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->old_key_id, rotated->new_key_id);
    EXPECT_TRUE(SignInWithCode(kStart + 150 * kSecond));
    EXPECT_EQ(KeyFiles(), kKeyFiles);
}

TEST_F(KeysRotateTest, RefusedWhileTheDirectoryIsInUse) {
    auto lock = LockDataDir(dir_);
    ASSERT_TRUE(lock);
    const std::string key = ReadFile(seal_);
    auto rotated = RotateSealKey(Options());
    ASSERT_FALSE(rotated);
    EXPECT_EQ(rotated.error().code, Code::kFailedPrecondition);
    EXPECT_NE(rotated.error().message.find("is in use by another vigil process"),
              std::string::npos);
    EXPECT_EQ(ReadFile(seal_), key);
    EXPECT_EQ(KeyFiles(), kKeyFiles);
}

// Killed after the re-seal committed but before seal.key.new replaced seal.key: the server
// still reads the secret (LoadSealKeyRing picks up seal.key.new), and the next run finishes.
TEST_F(KeysRotateTest, AnInterruptedRotationIsFinishedByTheNextRun) {
    auto fresh = auth::SealKey::CreateFile(dir_ / "keys/seal.key.new");
    ASSERT_TRUE(fresh);
    auto current = auth::SealKey::LoadFile(seal_);
    ASSERT_TRUE(current);
    auth::KeyRing ring(*fresh);
    ring.AddOld(*current);
    WithUsers([&](auth::UserStore& users) { ASSERT_EQ(*users.ResealSecrets(ring), 1u); });
    ASSERT_EQ(SealedSecret().rfind("v1:" + fresh->id() + ":", 0), 0u);

    EXPECT_TRUE(SignInWithCode(kStart + 90 * kSecond)) << "a server started now still works";

    auto rotated = RotateSealKey(Options());
    ASSERT_TRUE(rotated) << rotated.error().message;
    EXPECT_TRUE(rotated->resumed);
    EXPECT_EQ(rotated->new_key_id, fresh->id());
    EXPECT_EQ(rotated->resealed, 0u);
    EXPECT_EQ(auth::SealKey::LoadFile(seal_)->id(), fresh->id());
    EXPECT_EQ(KeyFiles(), kKeyFiles);
    EXPECT_TRUE(SignInWithCode(kStart + 150 * kSecond));
}

// Killed after the swap but before the retired key was deleted.
TEST_F(KeysRotateTest, ARetiredKeyLeftBehindIsLoadedAndThenDeleted) {
    const std::string old_bytes = ReadFile(seal_);
    ASSERT_TRUE(RotateSealKey(Options()));
    const fs::path retired = dir_ / ("keys/seal.key." + old_id_ + ".retired");
    {
        std::ofstream out(retired, std::ios::binary);
        out << old_bytes;
    }
    ::chmod(retired.c_str(), 0600);
    auto ring = LoadSealKeyRing(seal_);
    ASSERT_TRUE(ring);
    EXPECT_EQ(ring->key_ids().size(), 2u) << "the server can still unseal with it";
    EXPECT_EQ(SealKeyLeftovers(seal_), std::vector<fs::path>{retired});

    ASSERT_TRUE(RotateSealKey(Options()));
    EXPECT_FALSE(fs::exists(retired));
    EXPECT_EQ(KeyFiles(), kKeyFiles);
    EXPECT_TRUE(SignInWithCode(kStart + 90 * kSecond));
}

TEST_F(KeysRotateTest, AnIncompleteNewKeyFileIsReplaced) {
    {
        std::ofstream out(dir_ / "keys/seal.key.new", std::ios::binary);
        out << "12345";
    }
    ::chmod((dir_ / "keys/seal.key.new").c_str(), 0600);
    EXPECT_TRUE(LoadSealKeyRing(seal_)) << "a server ignores the cut-off file";
    auto rotated = RotateSealKey(Options());
    ASSERT_TRUE(rotated) << rotated.error().message;
    EXPECT_FALSE(rotated->resumed);
    EXPECT_EQ(KeyFiles(), kKeyFiles);
    EXPECT_TRUE(SignInWithCode(kStart + 90 * kSecond));
}

TEST_F(KeysRotateTest, AValueThatDoesNotUnsealChangesNothing) {
    {
        auto db = store::Database::Open(dir_ / "state.db");
        ASSERT_TRUE(db);
        auto users = auth::UserStore::Open(*db, SmallArgon());
        ASSERT_TRUE(users->CreateUser("mallory", auth::Role::kViewer, kStart,
                                      std::string_view("First-Pass-0003")));
        ASSERT_TRUE(db->Exec("UPDATE users SET totp_sealed = 'v1:" + old_id_ +
                             ":AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE username = "
                             "'mallory'"));
    }
    const std::string key = ReadFile(seal_);
    const std::string sealed = SealedSecret();
    auto rotated = RotateSealKey(Options());
    ASSERT_FALSE(rotated);
    EXPECT_NE(rotated.error().message.find("nothing was changed"), std::string::npos)
        << rotated.error().message;
    EXPECT_NE(rotated.error().message.find("the TOTP secret of user"), std::string::npos);
    EXPECT_EQ(ReadFile(seal_), key);
    EXPECT_EQ(SealedSecret(), sealed);
    EXPECT_EQ(KeyFiles(), kKeyFiles);
    bool ok = false;
    const auto trail = Trail(&ok);
    EXPECT_TRUE(ok);
    EXPECT_EQ(trail.back().action, "keys.rotate");
    EXPECT_EQ(trail.back().result, "failure");
}

TEST_F(KeysRotateTest, UserStoreResealSecretsReportsWhatItChanged) {
    auto current = auth::SealKey::LoadFile(seal_);
    auto next = auth::SealKey::Generate();
    ASSERT_TRUE(current && next);
    auth::KeyRing same(*current);
    WithUsers([&](auth::UserStore& users) { EXPECT_EQ(*users.ResealSecrets(same), 0u); });
    auth::KeyRing unknown(*next);  // the value's key is not in the ring: refused, not dropped
    WithUsers([&](auth::UserStore& users) {
        auto r = users.ResealSecrets(unknown);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, Code::kNotFound);
    });
    EXPECT_EQ(SealedSecret().rfind("v1:" + old_id_ + ":", 0), 0u);
}

}  // namespace
}  // namespace vigil::app
