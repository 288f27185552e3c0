#include "audit/verify.h"

#include <gtest/gtest.h>

#include "audit/tests/test_util.h"

namespace vigil::audit {
namespace {

using testing::Built;
using testing::ChainBuilder;

Record Rehashed(Record r) {
    r.hash = HashRecord(r);
    return r;
}

std::string Describe(const VerifyReport& report) {
    std::string s;
    for (const Finding& f : report.findings) s += f.ToString() + "\n";
    return s;
}

// 10 records, checkpoints at 5 and 10.
class VerifyTest : public ::testing::Test {
protected:
    VerifyTest() : builder_(5), built_(builder_.Build(10)) {}

    VerifyReport Run(const std::vector<Record>& records, const VerifyOptions& options = {}) {
        return Verify(records, built_.checkpoints, built_.key, options);
    }
    std::vector<Record>& records() { return built_.records; }

    ChainBuilder builder_;
    Built built_;
};

TEST_F(VerifyTest, IntactChainVerifies) {
    ASSERT_EQ(built_.checkpoints.size(), 2u);
    VerifyReport report = Run(records());
    EXPECT_TRUE(report.ok) << Describe(report);
    EXPECT_EQ(report.records_checked, 10u);
    EXPECT_EQ(report.last_seq, 10u);
}

TEST_F(VerifyTest, StreamingSourceGivesTheSameReport) {
    size_t i = 0;
    RecordSource source = [&](Record& out) -> Result<bool> {
        if (i == records().size()) return false;
        out = records()[i++];
        return true;
    };
    auto report = Verify(source, built_.checkpoints, built_.key);
    ASSERT_TRUE(report.has_value());
    EXPECT_TRUE(report->ok);
    EXPECT_EQ(report->records_checked, 10u);

    RecordSource failing = [](Record&) -> Result<bool> {
        return MakeError(Code::kUnavailable, "disk on fire");
    };
    auto failed = Verify(failing, built_.checkpoints, built_.key);
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().message, "reading audit records: disk on fire");
}

TEST_F(VerifyTest, EditedFieldIsReportedAsAlteredAtThatRecord) {
    std::vector<Record> r = records();
    r[3].result = "failure";  // record 4
    r[6].actor = "mallory";   // record 7
    VerifyReport report = Run(r);
    EXPECT_FALSE(report.ok);
    ASSERT_EQ(report.findings.size(), 2u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kAltered);
    EXPECT_EQ(report.findings[0].seq, 4u);
    EXPECT_EQ(report.findings[0].ToString(),
              "seq 4: altered: record 4 was altered: its stored hash does not match its content");
    EXPECT_EQ(report.findings[1].kind, Finding::kAltered);
    EXPECT_EQ(report.findings[1].seq, 7u);
}

TEST_F(VerifyTest, EditedTimeAndHashFieldsAreAltered) {
    std::vector<Record> r = records();
    r[1].time_ns += 1;
    VerifyReport report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kAltered);
    EXPECT_EQ(report.findings[0].seq, 2u);

    r = records();
    r[1].hash = "zz";
    report = Run(r);
    ASSERT_FALSE(report.findings.empty());
    EXPECT_EQ(report.findings[0].kind, Finding::kAltered);
    EXPECT_EQ(report.findings[0].seq, 2u);
}

TEST_F(VerifyTest, RewrittenRecordWithRecomputedHashIsAltered) {
    std::vector<Record> r = records();
    r[2].after = "v999";  // record 3, hash recomputed by the attacker
    r[2] = Rehashed(r[2]);
    VerifyReport report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kAltered);
    EXPECT_EQ(report.findings[0].seq, 3u);
    EXPECT_NE(report.findings[0].message.find("rewritten"), std::string::npos);
}

TEST_F(VerifyTest, RewrittenSuffixIsCaughtByTheCheckpoint) {
    // The attacker edits record 3 and recomputes every later hash: the links hold, but the
    // signed checkpoint at 5 names the original hash.
    std::vector<Record> r = records();
    r[2].detail = "nothing happened";
    for (size_t i = 2; i < r.size(); ++i) {
        if (i > 2) r[i].prev_hash = r[i - 1].hash;
        r[i] = Rehashed(r[i]);
    }
    VerifyReport report = Run(r);
    ASSERT_EQ(report.findings.size(), 2u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kCheckpointMismatch);
    EXPECT_EQ(report.findings[0].seq, 5u);
    EXPECT_EQ(report.findings[1].kind, Finding::kCheckpointMismatch);
    EXPECT_EQ(report.findings[1].seq, 10u);
}

TEST_F(VerifyTest, DeletedRecordIsReportedAtItsSeq) {
    std::vector<Record> r = records();
    r.erase(r.begin() + 3);  // record 4
    VerifyReport report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kDeleted);
    EXPECT_EQ(report.findings[0].seq, 4u);
    EXPECT_EQ(report.findings[0].message, "record 4 was deleted");
}

TEST_F(VerifyTest, DeletedRangeAndDeletedHead) {
    std::vector<Record> r = records();
    r.erase(r.begin() + 5, r.begin() + 8);  // records 6..8
    VerifyReport report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kDeleted);
    EXPECT_EQ(report.findings[0].seq, 6u);
    EXPECT_EQ(report.findings[0].message, "records 6..8 were deleted");

    r = records();
    r.erase(r.begin());  // record 1, no anchor
    report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kDeleted);
    EXPECT_EQ(report.findings[0].seq, 1u);
}

TEST_F(VerifyTest, ForgedRecordLinkedToPredecessorIsInserted) {
    // A forged record 4 that links correctly to record 3, placed before the real record 4.
    std::vector<Record> r = records();
    Record forged = testing::Event(100);
    forged.seq = 4;
    forged.prev_hash = r[2].hash;
    forged = Rehashed(forged);
    r.insert(r.begin() + 3, forged);
    VerifyReport report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kInserted);
    EXPECT_EQ(report.findings[0].seq, 4u);
    EXPECT_EQ(report.records_checked, 11u);
    EXPECT_EQ(report.last_seq, 10u);

    // The same forgery placed after the real record 4.
    r = records();
    r.insert(r.begin() + 4, forged);
    report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kInserted);
    EXPECT_EQ(report.findings[0].seq, 4u);
}

TEST_F(VerifyTest, ForgedRecordWithoutValidLinkIsInserted) {
    std::vector<Record> r = records();
    Record forged = testing::Event(100);
    forged.seq = 4;
    forged.prev_hash = std::string(kGenesisHash);
    forged = Rehashed(forged);
    r.insert(r.begin() + 3, forged);
    VerifyReport report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kInserted);
    EXPECT_EQ(report.findings[0].seq, 4u);

    // A far-away seq number between records 3 and 4.
    forged.seq = 500;
    forged = Rehashed(forged);
    r = records();
    r.insert(r.begin() + 3, forged);
    report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kInserted);
    EXPECT_EQ(report.findings[0].seq, 500u);

    // A duplicate of an earlier seq.
    forged.seq = 2;
    forged = Rehashed(forged);
    r = records();
    r.insert(r.begin() + 6, forged);
    report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kInserted);
    EXPECT_EQ(report.findings[0].seq, 2u);
}

TEST_F(VerifyTest, ReplayedRecordIsInserted) {
    std::vector<Record> r = records();
    r.insert(r.begin() + 6, r[2]);  // a copy of record 3 after record 6
    VerifyReport report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kInserted);
    EXPECT_EQ(report.findings[0].seq, 3u);
}

TEST_F(VerifyTest, ForgedTwinOfTheLastRecordIsResolvedByTheCheckpoint) {
    // Two records 10 with the same predecessor and no successor: the checkpoint at 10 names
    // the genuine one, wherever the forgery sits.
    Record forged = testing::Event(100);
    forged.seq = 10;
    forged.prev_hash = records()[8].hash;
    forged = Rehashed(forged);
    for (bool before : {true, false}) {
        std::vector<Record> r = records();
        r.insert(before ? r.end() - 1 : r.end(), forged);
        VerifyReport report = Run(r);
        ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
        EXPECT_EQ(report.findings[0].kind, Finding::kInserted);
        EXPECT_EQ(report.findings[0].seq, 10u);
    }
}

TEST_F(VerifyTest, TailCutAfterCheckpointIsTruncated) {
    std::vector<Record> r = records();
    r.resize(7);  // records 8..10 gone; checkpoint 10 vouches for them
    VerifyReport report = Run(r);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kTruncated);
    EXPECT_EQ(report.findings[0].seq, 8u);
    EXPECT_EQ(report.findings[0].message,
              "records 8..10 are missing: the log ends at record 7 but checkpoint 10 vouches "
              "for them");

    report = Run({});
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kTruncated);
    EXPECT_EQ(report.findings[0].seq, 1u);
}

TEST_F(VerifyTest, TailAfterLastCheckpointIsNotProtected) {
    // Documented limit: records after the last checkpoint are covered by the chain only.
    auto appended = builder_.chain().Append(testing::Event(11));
    ASSERT_TRUE(appended.has_value());
    VerifyReport report = Run(records());  // record 11 missing, undetectable
    EXPECT_TRUE(report.ok);
}

TEST_F(VerifyTest, ForgedCheckpointSignatureIsReported) {
    std::vector<Checkpoint> cps = built_.checkpoints;
    cps[0].time_ns += 1;  // the signature no longer matches
    VerifyReport report = Verify(records(), cps, built_.key);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kBadCheckpointSignature);
    EXPECT_EQ(report.findings[0].seq, 5u);

    // A checkpoint signed by another key (an attacker covering a truncation).
    auto stranger = SigningKey::Generate();
    ASSERT_TRUE(stranger.has_value());
    Checkpoint forged;
    forged.seq = 12;
    forged.hash = std::string(kGenesisHash);
    forged.time_ns = 1;
    forged.key_id = stranger->key_id();
    forged.signature = *stranger->Sign(CheckpointMessage(forged.seq, forged.hash, forged.time_ns));
    cps = built_.checkpoints;
    cps.push_back(forged);
    report = Verify(records(), cps, built_.key);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kBadCheckpointSignature);
    EXPECT_EQ(report.findings[0].seq, 12u);
    EXPECT_NE(report.findings[0].message.find(stranger->key_id()), std::string::npos);
}

TEST_F(VerifyTest, FirstRecordNotLinkedToGenesis) {
    std::vector<Record> r = records();
    r[0].prev_hash = std::string(64, 'a');
    r[0] = Rehashed(r[0]);
    VerifyReport report = Run(r);
    ASSERT_FALSE(report.findings.empty()) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kAltered);
    EXPECT_EQ(report.findings[0].seq, 1u);
}

TEST_F(VerifyTest, VerifiesFromAnAnchorCheckpoint) {
    std::vector<Record> tail(records().begin() + 5, records().end());  // records 6..10
    VerifyOptions options;
    options.anchor = built_.checkpoints[0];  // seq 5
    VerifyReport report = Run(tail, options);
    EXPECT_TRUE(report.ok) << Describe(report);
    EXPECT_EQ(report.records_checked, 5u);

    // Without the anchor the same records look like a deleted head.
    report = Run(tail);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kDeleted);
    EXPECT_EQ(report.findings[0].seq, 1u);

    // One more record dropped after the anchor is a deletion.
    std::vector<Record> shorter(records().begin() + 6, records().end());
    report = Run(shorter, options);
    ASSERT_EQ(report.findings.size(), 1u) << Describe(report);
    EXPECT_EQ(report.findings[0].kind, Finding::kDeleted);
    EXPECT_EQ(report.findings[0].seq, 6u);

    // A forged anchor is reported.
    options.anchor->hash = records()[4].prev_hash;
    report = Run(tail, options);
    ASSERT_FALSE(report.ok);
    EXPECT_EQ(report.findings[0].kind, Finding::kBadCheckpointSignature);
    EXPECT_EQ(report.findings[0].seq, 5u);
}

TEST_F(VerifyTest, FindingsAreCapped) {
    std::vector<Record> r = records();
    for (Record& rec : r) rec.detail = "x";
    VerifyOptions options;
    options.max_findings = 3;
    VerifyReport report = Run(r, options);
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.findings.size(), 3u);
    EXPECT_EQ(report.findings_omitted, 7u);
}

}  // namespace
}  // namespace vigil::audit
