#include "auth/seal.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace vigil::auth {
namespace {

namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "vigil-seal-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path_); }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

KeyRing NewRing() {
    auto key = SealKey::Generate();
    EXPECT_TRUE(key);
    return KeyRing(std::move(*key));
}

TEST(Seal, RoundTripWithFormat) {
    KeyRing ring = NewRing();
    auto sealed = ring.Seal("JBSWY3DPEHPK3PXP", "totp-seed:user42");
    ASSERT_TRUE(sealed);
    EXPECT_TRUE(sealed->starts_with("v1:" + ring.current_id() + ":")) << *sealed;
    EXPECT_EQ(ring.current_id().size(), 16u);
    auto plain = ring.Unseal(*sealed, "totp-seed:user42");
    ASSERT_TRUE(plain) << plain.error().ToString();
    EXPECT_EQ(*plain, "JBSWY3DPEHPK3PXP");
    // Fresh nonce every time.
    EXPECT_NE(*sealed, *ring.Seal("JBSWY3DPEHPK3PXP", "totp-seed:user42"));
    auto empty = ring.Seal("", "x");
    ASSERT_TRUE(empty);
    EXPECT_EQ(*ring.Unseal(*empty, "x"), "");
}

TEST(Seal, TamperingIsDetected) {
    KeyRing ring = NewRing();
    auto sealed = ring.Seal("integration password", "credential:smtp");
    ASSERT_TRUE(sealed);
    size_t header = sealed->rfind(':') + 1;
    for (size_t i = header; i < sealed->size() - 2; i += 3) {
        std::string bad = *sealed;
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        auto r = ring.Unseal(bad, "credential:smtp");
        ASSERT_FALSE(r) << "flipped offset " << i;
    }
    std::string flipped = *sealed;
    flipped[header + 20] = flipped[header + 20] == 'A' ? 'B' : 'A';
    auto r = ring.Unseal(flipped, "credential:smtp");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::kDataLoss);
    EXPECT_FALSE(ring.Unseal("v1:" + ring.current_id() + ":AAAA", "credential:smtp"));
    EXPECT_FALSE(ring.Unseal("garbage", "credential:smtp"));
}

TEST(Seal, WrongPurposeOrKeyFails) {
    KeyRing ring = NewRing();
    auto sealed = ring.Seal("seed", "totp-seed:user42");
    ASSERT_TRUE(sealed);
    auto wrong_aad = ring.Unseal(*sealed, "totp-seed:user43");
    ASSERT_FALSE(wrong_aad);
    EXPECT_EQ(wrong_aad.error().code, Code::kDataLoss);

    KeyRing other = NewRing();
    auto unknown = other.Unseal(*sealed, "totp-seed:user42");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, Code::kNotFound);
    // A different key presented under the same id (a corrupted key file) fails the tag.
    std::string relabelled = "v1:" + other.current_id() + sealed->substr(sealed->rfind(':'));
    auto wrong_key = other.Unseal(relabelled, "totp-seed:user42");
    ASSERT_FALSE(wrong_key);
    EXPECT_EQ(wrong_key.error().code, Code::kDataLoss);
}

TEST(Seal, RotationResealsUnderNewKey) {
    KeyRing ring = NewRing();
    std::string old_id = ring.current_id();
    auto sealed = ring.Seal("api-secret", "credential:webhook");
    ASSERT_TRUE(sealed);
    EXPECT_FALSE(ring.NeedsReseal(*sealed));

    auto next = SealKey::Generate();
    ASSERT_TRUE(next);
    ring.Rotate(*next);
    EXPECT_NE(ring.current_id(), old_id);
    EXPECT_EQ(ring.key_ids().size(), 2u);
    EXPECT_TRUE(ring.NeedsReseal(*sealed));
    EXPECT_EQ(*ring.Unseal(*sealed, "credential:webhook"), "api-secret");  // old key still opens

    auto resealed = ring.Reseal(*sealed, "credential:webhook");
    ASSERT_TRUE(resealed);
    EXPECT_FALSE(ring.NeedsReseal(*resealed));
    // Once every value is re-sealed the old key can go.
    KeyRing only_new(*next);
    EXPECT_EQ(*only_new.Unseal(*resealed, "credential:webhook"), "api-secret");
    EXPECT_FALSE(only_new.Unseal(*sealed, "credential:webhook"));
}

TEST(SealKeyFile, CreatedWith0600AndLoads) {
    TempDir dir;
    fs::path path = dir.path() / "seal.key";
    auto created = SealKey::CreateFile(path);
    ASSERT_TRUE(created) << created.error().ToString();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_EQ(st.st_size, 32);
    auto loaded = SealKey::LoadFile(path);
    ASSERT_TRUE(loaded) << loaded.error().ToString();
    EXPECT_EQ(loaded->id(), created->id());
    EXPECT_FALSE(SealKey::CreateFile(path));  // never overwrites a key

    auto ring = KeyRing::LoadFiles(path);
    ASSERT_TRUE(ring);
    auto sealed = ring->Seal("x", "y");
    EXPECT_EQ(*KeyRing(*created).Unseal(*sealed, "y"), "x");
}

TEST(SealKeyFile, RefusesLooseModesAndBadSizes) {
    TempDir dir;
    fs::path path = dir.path() / "seal.key";
    ASSERT_TRUE(SealKey::CreateFile(path));
    ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
    auto loose = SealKey::LoadFile(path);
    ASSERT_FALSE(loose);
    EXPECT_EQ(loose.error().code, Code::kPermissionDenied);
    EXPECT_EQ(loose.error().message, "key file " + path.string() +
                                         " is accessible by group or others (mode 0640); run: "
                                         "chmod 600 " +
                                         path.string());
    ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
    EXPECT_FALSE(SealKey::LoadFile(path));

    fs::path short_key = dir.path() / "short.key";
    { std::ofstream(short_key) << "too short"; }
    ASSERT_EQ(::chmod(short_key.c_str(), 0600), 0);
    auto bad = SealKey::LoadFile(short_key);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Code::kDataLoss);
    EXPECT_EQ(SealKey::LoadFile(dir.path() / "missing.key").error().code, Code::kNotFound);
}

}  // namespace
}  // namespace vigil::auth
