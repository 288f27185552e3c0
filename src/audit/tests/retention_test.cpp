#include "audit/retention.h"

#include <gtest/gtest.h>

#include "audit/tests/test_util.h"
#include "audit/verify.h"

namespace vigil::audit {
namespace {

using testing::Built;
using testing::ChainBuilder;
using testing::kSecond;
using testing::kT0;

constexpr int64_t kDay = 86400 * kSecond;

TEST(Retention, CutsOnlyAtACheckpointAndVerifiesFromTheAnchor) {
    ChainBuilder builder(4);
    Built b = builder.Build(10);  // record i at kT0 + i s; checkpoints at 4 and 8
    // 180 days after record 6: records 1..5 are expired; the last checkpoint among them is 4.
    int64_t now = kT0 + 6 * kSecond + 180 * kDay;
    auto plan = PlanRetention(b.records, b.checkpoints, b.key, now);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(plan->cutoff_ns, kT0 + 6 * kSecond);
    EXPECT_EQ(plan->drop_count, 4u);
    ASSERT_TRUE(plan->anchor.has_value());
    EXPECT_EQ(plan->anchor->seq, 4u);

    std::vector<Record> kept(b.records.begin() + static_cast<long>(plan->drop_count),
                             b.records.end());
    VerifyOptions options;
    options.anchor = plan->anchor;
    VerifyReport report = Verify(kept, b.checkpoints, b.key, options);
    EXPECT_TRUE(report.ok) << (report.findings.empty() ? "" : report.findings[0].ToString());
    EXPECT_EQ(report.records_checked, 6u);

    // A second cut later on starts from the retained chain.
    auto again = PlanRetention(kept, b.checkpoints, b.key, kT0 + 9 * kSecond + 180 * kDay);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->drop_count, 4u);  // records 5..8
    EXPECT_EQ(again->anchor->seq, 8u);
}

TEST(Retention, NothingExpiredOrNoCheckpointMeansNoCut) {
    ChainBuilder builder(4);
    Built b = builder.Build(10);
    auto plan = PlanRetention(b.records, b.checkpoints, b.key, kT0 + 180 * kDay);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(plan->drop_count, 0u);
    EXPECT_FALSE(plan->anchor.has_value());

    // Records 1..3 expired, but the first checkpoint is at 4.
    plan = PlanRetention(b.records, b.checkpoints, b.key, kT0 + 4 * kSecond + 180 * kDay);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(plan->drop_count, 0u);
}

TEST(Retention, IgnoresForgedOrMismatchedCheckpoints) {
    ChainBuilder builder(4);
    Built b = builder.Build(10);
    int64_t now = kT0 + 100 * kSecond + 30 * kDay;
    std::vector<Checkpoint> cps = b.checkpoints;
    cps[1].time_ns += 1;  // checkpoint 8: bad signature
    auto plan = PlanRetention(b.records, cps, b.key, now, 30);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(plan->drop_count, 4u);

    std::vector<Record> records = b.records;
    records[7].hash = std::string(kGenesisHash);  // the record at checkpoint 8 differs
    plan = PlanRetention(records, b.checkpoints, b.key, now, 30);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(plan->drop_count, 4u);
}

TEST(Retention, AYoungRecordStopsTheExpiredPrefix) {
    ChainBuilder builder(4);
    Built b = builder.Build(10);
    std::vector<Record> records = b.records;
    records[2].time_ns = kT0 + 1000 * kDay;  // out of order (clock jump); not expired
    auto plan = PlanRetention(records, b.checkpoints, b.key, kT0 + 200 * kDay);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(plan->drop_count, 0u);
}

TEST(Retention, RejectsNonPositiveDays) {
    ChainBuilder builder(4);
    Built b = builder.Build(1);
    auto plan = PlanRetention(b.records, b.checkpoints, b.key, kT0, 0);
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().code, Code::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::audit
