#include "audit/chain.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "audit/tests/test_util.h"

namespace vigil::audit {
namespace {

using testing::Built;
using testing::ChainBuilder;
using testing::Event;
using testing::kSecond;
using testing::kT0;

class TempDir {
public:
    TempDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "vigil-audit-test-XXXXXX").string();
        char* made = ::mkdtemp(tmpl.data());
        EXPECT_NE(made, nullptr);
        path_ = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

TEST(Chain, AppendNumbersAndLinksRecords) {
    ChainBuilder builder(1000);
    Built b = builder.Build(3);
    ASSERT_EQ(b.records.size(), 3u);
    EXPECT_EQ(b.records[0].seq, 1u);
    EXPECT_EQ(b.records[0].prev_hash, kGenesisHash);
    for (size_t i = 0; i < b.records.size(); ++i) {
        EXPECT_EQ(b.records[i].seq, i + 1);
        EXPECT_EQ(b.records[i].hash, HashRecord(b.records[i]));
        if (i > 0) {
            EXPECT_EQ(b.records[i].prev_hash, b.records[i - 1].hash);
        }
    }
    EXPECT_EQ(builder.chain().state().last_seq, 3u);
    EXPECT_EQ(builder.chain().state().last_hash, b.records[2].hash);
    EXPECT_TRUE(b.checkpoints.empty());
}

TEST(Chain, HashesDoNotDependOnTheKeyOrCallerSuppliedHashes) {
    // Two chains with different keys over the same events hash identically.
    ChainBuilder one(1000);
    ChainBuilder two(1000);
    Built a = one.Build(5);
    Built b = two.Build(5);
    for (size_t i = 0; i < a.records.size(); ++i) EXPECT_EQ(a.records[i].hash, b.records[i].hash);

    // Values the caller puts in seq / prev_hash / hash are replaced.
    ChainBuilder three(1000);
    Record r = Event(1);
    r.seq = 99;
    r.prev_hash = "forged";
    r.hash = "forged";
    auto appended = three.chain().Append(r);
    ASSERT_TRUE(appended.has_value());
    EXPECT_EQ(appended->record.seq, 1u);
    EXPECT_EQ(appended->record.hash, a.records[0].hash);
}

TEST(Chain, ZeroTimeTakesTheClock) {
    ChainBuilder builder(1000);
    builder.set_now(kT0 + 42);
    Record r = Event(1);
    r.time_ns = 0;
    auto appended = builder.chain().Append(r);
    ASSERT_TRUE(appended.has_value());
    EXPECT_EQ(appended->record.time_ns, kT0 + 42);
}

TEST(Chain, CheckpointEveryIntervalAndOnDemand) {
    ChainBuilder builder(4);
    Built b = builder.Build(10);
    ASSERT_EQ(b.checkpoints.size(), 2u);
    EXPECT_EQ(b.checkpoints[0].seq, 4u);
    EXPECT_EQ(b.checkpoints[0].hash, b.records[3].hash);
    EXPECT_EQ(b.checkpoints[0].time_ns, kT0 + 4 * kSecond);
    EXPECT_EQ(b.checkpoints[1].seq, 8u);
    EXPECT_EQ(b.checkpoints[0].key_id, b.key.key_id());

    auto cp = builder.chain().MakeCheckpoint();
    ASSERT_TRUE(cp.has_value());
    EXPECT_EQ(cp->seq, 10u);
    EXPECT_EQ(cp->hash, b.records[9].hash);
    EXPECT_TRUE(VerifyCheckpointSignature(*cp, b.key));
    // An on-demand checkpoint restarts the interval.
    EXPECT_EQ(builder.chain().state().last_checkpoint_seq, 10u);
    Built more = builder.Build(4);
    ASSERT_EQ(more.checkpoints.size(), 1u);
    EXPECT_EQ(more.checkpoints[0].seq, 14u);
}

TEST(Chain, CheckpointOnEmptyChainFails) {
    ChainBuilder builder(1000);
    auto cp = builder.chain().MakeCheckpoint();
    ASSERT_FALSE(cp.has_value());
    EXPECT_EQ(cp.error().code, Code::kFailedPrecondition);
}

TEST(Chain, CheckpointSignatureCoversSeqHashAndTime) {
    ChainBuilder builder(2);
    Built b = builder.Build(2);
    ASSERT_EQ(b.checkpoints.size(), 1u);
    const Checkpoint& cp = b.checkpoints[0];
    EXPECT_TRUE(VerifyCheckpointSignature(cp, b.key));
    EXPECT_EQ(CheckpointMessage(7, "ab", -3), "vigil-audit-checkpoint\n7\nab\n-3");

    Checkpoint other = cp;
    other.seq += 1;
    EXPECT_FALSE(VerifyCheckpointSignature(other, b.key));
    other = cp;
    other.hash[0] = other.hash[0] == '0' ? '1' : '0';
    EXPECT_FALSE(VerifyCheckpointSignature(other, b.key));
    other = cp;
    other.time_ns += 1;
    EXPECT_FALSE(VerifyCheckpointSignature(other, b.key));
    other = cp;
    other.signature = "not base64!";
    EXPECT_FALSE(VerifyCheckpointSignature(other, b.key));

    // Another key neither verifies it nor has the same key_id.
    auto stranger = SigningKey::Generate();
    ASSERT_TRUE(stranger.has_value());
    EXPECT_NE(stranger->key_id(), b.key.key_id());
    EXPECT_FALSE(VerifyCheckpointSignature(cp, stranger->public_key()));
}

TEST(Chain, OversizedRecordIsRejectedAndChainUnchanged) {
    ChainBuilder builder(1000);
    builder.Build(1);
    ChainState before = builder.chain().state();
    Record r = Event(2);
    r.after = std::string(kMaxLongFieldBytes + 1, 'x');
    auto appended = builder.chain().Append(r);
    ASSERT_FALSE(appended.has_value());
    EXPECT_EQ(appended.error().code, Code::kInvalidArgument);
    EXPECT_EQ(builder.chain().state().last_seq, before.last_seq);
    EXPECT_EQ(builder.chain().state().last_hash, before.last_hash);
}

TEST(Chain, ResumesFromStoredState) {
    ChainBuilder builder(1000);
    Built b = builder.Build(3);
    auto key = SigningKey::FromPem(builder.pem());
    ASSERT_TRUE(key.has_value());
    ChainState state{3, b.records[2].hash, 0};
    Chain resumed(std::move(*key), {}, state);
    auto appended = resumed.Append(Event(4));
    ASSERT_TRUE(appended.has_value());
    EXPECT_EQ(appended->record.seq, 4u);
    EXPECT_EQ(appended->record.prev_hash, b.records[2].hash);
}

TEST(Keys, KeyIdIsSha256OfRawPublicKey) {
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->public_key().raw().size(), kEd25519PublicKeyBytes);
    EXPECT_EQ(key->key_id(), Sha256Hex(key->public_key().raw()).substr(0, 16));
}

TEST(Keys, SaveWritesMode0600AndLoadRoundTrips) {
    TempDir dir;
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.has_value());
    auto path = dir.path() / "audit.key";
    ASSERT_TRUE(key->SaveToFile(path).has_value());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::string head(27, '\0');
    {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        ASSERT_NE(f, nullptr);
        ASSERT_EQ(std::fread(head.data(), 1, head.size(), f), head.size());
        std::fclose(f);
    }
    EXPECT_EQ(head, "-----BEGIN PRIVATE KEY-----");

    auto loaded = SigningKey::LoadFromFile(path);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
    EXPECT_EQ(loaded->key_id(), key->key_id());
    auto sig = loaded->Sign("hello");
    ASSERT_TRUE(sig.has_value());
    EXPECT_TRUE(key->public_key().Verify("hello", *sig));
    EXPECT_FALSE(key->public_key().Verify("hellO", *sig));
}

TEST(Keys, SaveTightensAnExistingFile) {
    TempDir dir;
    auto path = dir.path() / "audit.key";
    {
        std::FILE* f = std::fopen(path.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fclose(f);
    }
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.has_value());
    ASSERT_TRUE(key->SaveToFile(path).has_value());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Keys, LoadRefusesAKeyOthersCanRead) {
    TempDir dir;
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.has_value());
    auto path = dir.path() / "audit.key";
    ASSERT_TRUE(key->SaveToFile(path).has_value());
    ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
    auto loaded = SigningKey::LoadFromFile(path);
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().code, Code::kPermissionDenied);
    EXPECT_NE(loaded.error().message.find("0640"), std::string::npos) << loaded.error().message;
}

TEST(Keys, PublicKeyPemRoundTripAndRejectsGarbage) {
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.has_value());
    auto pem = key->public_key().ToPem();
    ASSERT_TRUE(pem.has_value());
    EXPECT_EQ(pem->rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
    auto back = PublicKey::FromPem(*pem);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->raw(), key->public_key().raw());
    EXPECT_EQ(back->key_id(), key->key_id());

    EXPECT_FALSE(PublicKey::FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
                     .has_value());
    EXPECT_FALSE(SigningKey::FromPem("not a key").has_value());
    EXPECT_FALSE(PublicKey::FromRaw("short").has_value());
}

TEST(Keys, Base64RoundTrip) {
    for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        auto back = Base64Decode(Base64Encode(s));
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, s);
    }
    EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
    EXPECT_FALSE(Base64Decode("abc").has_value());
    EXPECT_FALSE(Base64Decode("ab!=").has_value());
}

}  // namespace
}  // namespace vigil::audit
