#include "app/correlation_journal.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "store/database.h"

namespace vigil::app {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kMin = int64_t{60} * 1000000000;

CorrelationFeedEntry Entry(int64_t minute, uint8_t id, std::string ip = "203.0.113.7") {
    CorrelationFeedEntry e;
    e.time_ns = minute * kMin;
    e.rule_id = "rule-1";
    e.rule_name = "ssh_failure";
    e.event.bytes[0] = id;
    e.fields = {{"source_ip", std::move(ip)}, {"user", ""}};
    return e;
}

class CorrelationJournalTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = fs::temp_directory_path() / ("vigil-corr-" + std::to_string(::getpid()) + ".db");
        Clean();
    }
    void TearDown() override { Clean(); }
    void Clean() {
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_.string() + suffix);
    }
    // The matches the file holds (what a restart would have to read).
    int64_t EntriesInFile() {
        auto db = store::Database::Open(path_);
        EXPECT_TRUE(db) << db.error().message;
        if (!db) return -1;
        auto sum = db->Prepare("SELECT IFNULL(SUM(entries), 0) FROM feed");
        EXPECT_TRUE(sum) << sum.error().message;
        if (!sum) return -1;
        auto step = sum->Step();
        EXPECT_TRUE(step && *step == store::Statement::StepResult::kRow);
        return sum->ColumnInt64(0);
    }
    fs::path path_;
};

TEST_F(CorrelationJournalTest, EntriesComeBackInOrderWithinTheWindowAndOnce) {
    {
        auto j = CorrelationJournal::Open(path_);
        ASSERT_TRUE(j) << j.error().message;
        ASSERT_TRUE((*j)->Append({Entry(1, 1), Entry(10, 2, "198.51.100.4")}));
        ASSERT_TRUE((*j)->Append(CorrelationFeed{}));  // nothing to keep: no row
        // The same event again (a batch stored twice across a crash) and a newer one.
        ASSERT_TRUE((*j)->Append({Entry(10, 2, "198.51.100.4"), Entry(12, 3)}));
    }
    auto j = CorrelationJournal::Open(path_);  // after a restart
    ASSERT_TRUE(j);
    auto all = (*j)->Load(60 * kMin, 100 * kMin);
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(all->size(), 3u);
    EXPECT_EQ((*all)[0].event.bytes[0], 1);
    EXPECT_EQ((*all)[1].event.bytes[0], 2);
    EXPECT_EQ((*all)[1].fields[0].second, "198.51.100.4");
    EXPECT_EQ((*all)[1].fields[1], (std::pair<std::string, std::string>{"user", ""}));
    EXPECT_EQ((*all)[2].event.bytes[0], 3);
    EXPECT_EQ((*all)[2].rule_name, "ssh_failure");
    // A 5-minute window before the newest entry (minute 12): minutes 10 and 12.
    auto recent = (*j)->Load(5 * kMin, 100 * kMin);
    ASSERT_TRUE(recent);
    ASSERT_EQ(recent->size(), 2u);
    EXPECT_EQ(recent->front().event.bytes[0], 2);
}

// The feed the pipeline fills match by match: entries with no fields, with many, with long and
// empty values, come back as they went in; the newest time is the largest, not the last.
TEST_F(CorrelationJournalTest, AFeedFilledMatchByMatchComesBackAsFed) {
    CorrelationFeed feed;
    feed.AddField("orphan", "no entry yet");  // ignored: it belongs to no entry
    EXPECT_TRUE(feed.empty());
    EXPECT_TRUE(feed.data().empty());
    store::EventId a, b, c;
    a.bytes[0] = 1;
    b.bytes[0] = 2;
    c.bytes[0] = 3;
    const std::string long_value(70000, 'v');  // a field count past one byte, a value past 64K
    feed.Add(9 * kMin, "rule-1", "ssh_failure", a);
    feed.Add(7 * kMin, "rule-2", "", b);
    for (int i = 0; i < 300; ++i)
        feed.AddField("f" + std::to_string(i), i == 299 ? long_value : "");
    feed.Add(8 * kMin, "", "web_probe", c);
    feed.AddField("source_ip", "198.51.100.4");
    EXPECT_EQ(feed.entries(), 3u);
    EXPECT_EQ(feed.newest_ns(), 9 * kMin);
    {
        auto j = CorrelationJournal::Open(path_);
        ASSERT_TRUE(j);
        ASSERT_TRUE((*j)->Append(feed));
    }
    auto j = CorrelationJournal::Open(path_);
    ASSERT_TRUE(j);
    auto all = (*j)->Load(60 * kMin, 100 * kMin);
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(all->size(), 3u);
    EXPECT_EQ((*all)[0].rule_id, "rule-1");
    EXPECT_TRUE((*all)[0].fields.empty());
    EXPECT_EQ((*all)[1].time_ns, 7 * kMin);
    EXPECT_EQ((*all)[1].event.bytes[0], 2);
    ASSERT_EQ((*all)[1].fields.size(), 300u);
    EXPECT_EQ((*all)[1].fields[0], (std::pair<std::string, std::string>{"f0", ""}));
    EXPECT_EQ((*all)[1].fields[299].second, long_value);
    EXPECT_EQ((*all)[2].rule_name, "web_probe");
    ASSERT_EQ((*all)[2].fields.size(), 1u);
    EXPECT_EQ((*all)[2].fields[0].second, "198.51.100.4");

    feed.clear();  // reused for the next batch: empty, and nothing of the last one left
    EXPECT_TRUE(feed.empty());
    EXPECT_TRUE(feed.data().empty());
    feed.AddField("orphan", "after clear");  // ignored again
    EXPECT_TRUE(feed.data().empty());
    store::EventId d;  // another event: the journal keeps a (rule, event) once
    d.bytes[0] = 4;
    feed.Add(1 * kMin, "rule-1", "ssh_failure", d);
    feed.AddField("user", "root");
    EXPECT_EQ(feed.newest_ns(), 1 * kMin);
    ASSERT_TRUE((*j)->Append(feed));
    auto again = (*j)->Load(600 * kMin, 100 * kMin);
    ASSERT_TRUE(again);
    ASSERT_EQ(again->size(), 4u);
    ASSERT_EQ(again->back().fields.size(), 1u);
    EXPECT_EQ(again->back().fields[0], (std::pair<std::string, std::string>{"user", "root"}));
}

// A sender's clock far in the future does not push the window past everything else.
TEST_F(CorrelationJournalTest, AFutureTimestampDoesNotHideTheRest) {
    auto j = CorrelationJournal::Open(path_);
    ASSERT_TRUE(j);
    ASSERT_TRUE((*j)->Append({Entry(1, 1), Entry(10, 2)}));
    ASSERT_TRUE((*j)->Append({Entry(1000000, 3)}));
    auto got = (*j)->Load(5 * kMin, /*now=*/12 * kMin);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), 2u);
    EXPECT_EQ(got->front().event.bytes[0], 2);
    EXPECT_EQ(got->back().event.bytes[0], 3);
}

TEST_F(CorrelationJournalTest, PruneDropsOldBatchesAndKeepsAtMostMaxRows) {
    auto j = CorrelationJournal::Open(path_, /*max_rows=*/3);
    ASSERT_TRUE(j);
    ASSERT_TRUE((*j)->Append({Entry(1, 1)}));
    ASSERT_TRUE((*j)->Append({Entry(20, 2), Entry(21, 3)}));
    ASSERT_TRUE((*j)->Append({Entry(22, 4), Entry(23, 5)}));
    ASSERT_TRUE(
        (*j)->Prune(5 * kMin));  // minute 1 goes; 4 entries left, over 3: the batch of 20-21 goes
    auto left = (*j)->Load(60 * kMin, 100 * kMin);
    ASSERT_TRUE(left);
    ASSERT_EQ(left->size(), 2u);
    EXPECT_EQ(left->front().event.bytes[0], 4);
}

// A burst of matches (a scanner's failed logins from a million addresses) is held to max_rows as
// it is appended, not only when the once-a-minute prune runs: the file never keeps more than the
// bound plus the batch that crossed it, and a restart reads no more.
TEST_F(CorrelationJournalTest, ABurstOfAppendsKeepsAtMostMaxRows) {
    constexpr size_t kMax = 100;
    {
        auto j = CorrelationJournal::Open(path_, kMax);
        ASSERT_TRUE(j);
        for (int batch = 0; batch < 400; ++batch) {
            std::vector<CorrelationFeedEntry> entries;
            for (int i = 0; i < 1 + batch % 7; ++i) {  // batches of 1 to 7 matches
                auto e = Entry(batch, 0);
                e.event.bytes[0] = static_cast<uint8_t>(batch);
                e.event.bytes[1] = static_cast<uint8_t>(batch >> 8);
                e.event.bytes[2] = static_cast<uint8_t>(i);
                entries.push_back(std::move(e));
            }
            ASSERT_TRUE((*j)->Append(entries));
            ASSERT_LE(EntriesInFile(), static_cast<int64_t>(kMax + 7)) << "after batch " << batch;
        }
    }
    EXPECT_GT(EntriesInFile(), 0);
    auto j = CorrelationJournal::Open(path_, kMax);  // after a restart
    ASSERT_TRUE(j);
    auto all = (*j)->Load(int64_t{1000} * kMin, int64_t{1000} * kMin);
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_FALSE(all->empty());
    EXPECT_LE(all->size(), kMax);
    EXPECT_EQ(all->back().time_ns, 399 * kMin);  // the newest are the ones kept
    for (size_t i = 1; i < all->size(); ++i)
        EXPECT_LE((*all)[i - 1].time_ns, (*all)[i].time_ns);  // in the order fed
}

// A journal bigger than the bound (written before the bound was kept on append, or with a larger
// one) costs a restart at most max_rows entries: the newest ones within the window, in order.
TEST_F(CorrelationJournalTest, LoadReadsAtMostMaxRowsTheNewest) {
    {
        auto big = CorrelationJournal::Open(path_, /*max_rows=*/1000000);
        ASSERT_TRUE(big);
        for (int batch = 0; batch < 50; ++batch) {  // 50 batches of 4: minutes 0 .. 49
            std::vector<CorrelationFeedEntry> entries;
            for (int i = 0; i < 4; ++i) {
                auto e = Entry(batch, static_cast<uint8_t>(batch), std::to_string(i));
                e.event.bytes[1] = static_cast<uint8_t>(i);
                entries.push_back(std::move(e));
            }
            ASSERT_TRUE((*big)->Append(entries));
        }
    }
    ASSERT_EQ(EntriesInFile(), 200);
    auto j = CorrelationJournal::Open(path_, /*max_rows=*/10);
    ASSERT_TRUE(j);
    auto got = (*j)->Load(int64_t{1000} * kMin, int64_t{1000} * kMin);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_EQ(got->size(), 10u);
    // The last 10 fed: the last two of minute 47, then minutes 48 and 49, in order.
    EXPECT_EQ(got->front().event.bytes[0], 47);
    EXPECT_EQ(got->front().event.bytes[1], 2);
    EXPECT_EQ((*got)[2].event.bytes[0], 48);
    EXPECT_EQ((*got)[2].event.bytes[1], 0);
    EXPECT_EQ(got->back().event.bytes[0], 49);
    EXPECT_EQ(got->back().event.bytes[1], 3);
    EXPECT_EQ(got->back().fields[0].second, "3");
    // The window still applies first: 5 minutes before minute 49 leaves minutes 44 .. 49, of
    // which the newest 10.
    auto recent = (*j)->Load(5 * kMin, int64_t{1000} * kMin);
    ASSERT_TRUE(recent);
    EXPECT_EQ(recent->size(), 10u);
    auto narrow = (*j)->Load(1 * kMin, int64_t{1000} * kMin);  // minutes 48 and 49
    ASSERT_TRUE(narrow);
    EXPECT_EQ(narrow->size(), 8u);
    EXPECT_EQ(narrow->front().event.bytes[0], 48);
}

// A batch bigger than the bound alone stays in the file (the newest matches are not thrown away
// whole) and is cut to its newest entries when loaded; the next batch pushes it out.
TEST_F(CorrelationJournalTest, ABatchBiggerThanTheBoundIsCutWhenLoaded) {
    auto j = CorrelationJournal::Open(path_, /*max_rows=*/3);
    ASSERT_TRUE(j);
    ASSERT_TRUE((*j)->Append({Entry(1, 1)}));
    ASSERT_TRUE((*j)->Append({Entry(2, 2), Entry(2, 3), Entry(2, 4), Entry(2, 5), Entry(2, 6)}));
    EXPECT_EQ(EntriesInFile(), 5);
    auto got = (*j)->Load(60 * kMin, 100 * kMin);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), 3u);
    EXPECT_EQ(got->front().event.bytes[0], 4);
    EXPECT_EQ(got->back().event.bytes[0], 6);
    ASSERT_TRUE((*j)->Append({Entry(3, 7)}));
    EXPECT_EQ(EntriesInFile(), 1);
    // The count the bound goes by follows the once-a-minute prune too.
    ASSERT_TRUE((*j)->Prune(4 * kMin));
    EXPECT_EQ(EntriesInFile(), 0);
    ASSERT_TRUE((*j)->Append({Entry(5, 8), Entry(5, 9)}));
    ASSERT_TRUE((*j)->Append({Entry(6, 10)}));
    EXPECT_EQ(EntriesInFile(), 3);  // nothing dropped: the bound is not reached
}

}  // namespace
}  // namespace vigil::app
