#include "ingest/buffer.h"

#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace vigil::ingest {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::vector<RawMessage> Batch(int from, int n) {
    std::vector<RawMessage> out;
    for (int i = from; i < from + n; ++i) {
        RawMessage m;
        m.id = std::to_string(i);
        m.source = "s";
        m.bytes = "<13>m" + std::to_string(i);
        out.push_back(std::move(m));
    }
    return out;
}

class BufferTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("vigil-buffer-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::unique_ptr<Buffer> Open(size_t memory = 100, uint64_t spool_bytes = 1 << 20) {
        BufferOptions o;
        o.max_memory_messages = memory;
        o.spool.dir = dir_;
        o.spool.max_bytes = spool_bytes;
        auto b = Buffer::Open(o);
        EXPECT_TRUE(b) << b.error().message;
        return std::move(*b);
    }
    static std::vector<std::string> DrainIds(Buffer& b) {
        std::vector<std::string> ids;
        for (;;) {
            auto t = b.Take(64, 10ms);
            EXPECT_TRUE(t);
            if (!t || t->messages.empty()) break;
            for (auto& m : t->messages) ids.push_back(m.id);
            EXPECT_TRUE(b.Done(*t));
        }
        return ids;
    }
    fs::path dir_;
};

TEST_F(BufferTest, OverflowGoesToTheSpoolAndOrderIsKept) {
    auto b = Open(/*memory=*/50);
    for (int i = 0; i < 300; i += 10) {
        auto batch = Batch(i, 10);
        ASSERT_TRUE(b->Offer(batch));
    }
    EXPECT_EQ(b->stats().memory_messages, 50u);
    EXPECT_EQ(b->stats().spooled_total, 250u);
    auto ids = DrainIds(*b);
    ASSERT_EQ(ids.size(), 300u);
    for (int i = 0; i < 300; ++i) EXPECT_EQ(ids[i], std::to_string(i));
    // Caught up: memory again.
    auto batch = Batch(300, 5);
    ASSERT_TRUE(b->Offer(batch));
    EXPECT_EQ(b->stats().memory_messages, 5u);
}

// A message can be a 64 KiB frame: the memory queue is bounded in bytes as well as messages,
// and a batch is taken up to a byte bound (at least one message), from memory and from the
// spool alike, in order.
TEST_F(BufferTest, MemoryAndBatchesAreBoundedInBytes) {
    BufferOptions o;
    o.max_memory_messages = 1000;
    o.max_memory_bytes = 300 * 1024;
    o.spool.dir = dir_;
    o.spool.max_bytes = 64 << 20;
    auto opened = Buffer::Open(o);
    ASSERT_TRUE(opened) << opened.error().message;
    Buffer& b = **opened;
    int next = 0;
    for (int i = 0; i < 10; ++i) {  // 10 batches of 2 messages of 60 KB
        auto batch = Batch(next, 2);
        for (auto& m : batch) m.bytes.append(60000, 'x');
        next += 2;
        ASSERT_TRUE(b.Offer(batch));
    }
    EXPECT_EQ(b.stats().memory_messages, 4u);  // 240 KB; a third batch would pass 300 KB
    EXPECT_EQ(b.stats().spooled_total, 16u);
    std::vector<std::string> ids;
    for (;;) {
        auto t = b.Take(64, 10ms, {}, 130000);
        ASSERT_TRUE(t);
        if (t->messages.empty()) break;
        EXPECT_LE(t->messages.size(), 2u);  // two 60 KB messages fit in 130 KB, three do not
        for (auto& m : t->messages) ids.push_back(m.id);
        ASSERT_TRUE(b.Done(*t));
    }
    ASSERT_EQ(ids.size(), 20u);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(ids[static_cast<size_t>(i)], std::to_string(i));
    // One message larger than the bound is still taken, alone.
    auto big = Batch(20, 1);
    big[0].bytes.append(200000, 'y');
    ASSERT_TRUE(b.Offer(big));
    auto t = b.Take(64, 10ms, {}, 1000);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->messages.size(), 1u);
}

TEST_F(BufferTest, FullMemoryAndSpoolRefuseAndCount) {
    auto b = Open(/*memory=*/10, /*spool_bytes=*/2000);
    int refused = 0;
    for (int i = 0; i < 100; i += 10) {
        auto batch = Batch(i, 10);
        if (!b->Offer(batch)) refused += 10;
    }
    EXPECT_GT(refused, 0);
    EXPECT_EQ(b->stats().memory_messages + b->stats().spooled_records, 100u - refused);
}

TEST_F(BufferTest, DurableOffersSurviveAReopenUntilDone) {
    {
        auto b = Open();
        auto batch = Batch(0, 20);
        ASSERT_TRUE(b->OfferDurable(batch));
        auto t = b->Take(100, 10ms);  // taken but never stored: a crash
        ASSERT_TRUE(t);
        EXPECT_EQ(t->messages.size(), 20u);
    }
    auto b = Open();
    auto ids = DrainIds(*b);
    EXPECT_EQ(ids.size(), 20u);
    auto again = Open();
    EXPECT_TRUE(DrainIds(*again).empty()) << "committed after Done";
}

// offered() numbers messages as they come; durable() is how many of the first ones are stored
// or spooled: messages waiting in memory (or taken from it and not Done) hold it back, spooled
// ones do not (a restart replays them).
TEST_F(BufferTest, OfferedAndDurableGiveADurabilityWatermark) {
    {
        auto b = Open(/*memory=*/10);
        auto batch = Batch(0, 10);
        ASSERT_TRUE(b->Offer(batch));  // memory
        EXPECT_EQ(b->offered(), 10u);
        EXPECT_EQ(b->durable(), 0u);
        batch = Batch(10, 5);
        ASSERT_TRUE(b->Offer(batch));  // memory is full: spool
        EXPECT_EQ(b->offered(), 15u);
        EXPECT_EQ(b->durable(), 0u) << "the memory batch before the spooled one waits";
        auto t = b->Take(8, 10ms);
        ASSERT_TRUE(t);
        EXPECT_EQ(b->durable(), 0u) << "taken is not stored";
        ASSERT_TRUE(b->Done(*t));
        EXPECT_EQ(b->durable(), 8u);
        t = b->Take(8, 10ms);  // the last two of memory
        ASSERT_TRUE(t);
        ASSERT_EQ(t->messages.size(), 2u);
        ASSERT_TRUE(b->Done(*t));
        EXPECT_EQ(b->durable(), 15u) << "the spooled five count at once";
        batch = Batch(15, 2);
        ASSERT_TRUE(b->OfferDurable(batch));
        EXPECT_EQ(b->durable(), 17u);
    }  // a stop with the spool not drained: it replays at the next start
    auto b = Open(/*memory=*/10);
    EXPECT_EQ(b->offered(), 0u);
    EXPECT_EQ(b->durable(), 0u);
    EXPECT_EQ(DrainIds(*b).size(), 7u);
    auto batch = Batch(20, 3);
    ASSERT_TRUE(b->Offer(batch));
    EXPECT_EQ(b->durable(), 0u);
    EXPECT_EQ(DrainIds(*b).size(), 3u);
    EXPECT_EQ(b->durable(), 3u);
}

TEST_F(BufferTest, SpooledMessagesWithoutAnIdGetOneThatAReplayKeeps) {
    // A syslog message has no id of its own. Once spooled it gets one, so when a batch is
    // stored but the process dies before Done, the replay carries the same id (and the store
    // keeps one copy).
    std::vector<std::string> first;
    {
        auto b = Open(/*memory=*/2);
        auto batch = Batch(0, 5);
        for (auto& m : batch) m.id.clear();
        ASSERT_TRUE(b->Offer(batch));  // over the memory limit: spooled
        auto t = b->Take(64, 10ms);
        ASSERT_TRUE(t);
        ASSERT_EQ(t->messages.size(), 5u);
        for (auto& m : t->messages) {
            EXPECT_EQ(m.id.size(), 36u) << m.id;  // a UUID the store takes as the event id
            EXPECT_EQ(m.id[14], '7') << m.id;
            first.push_back(m.id);
        }
        // No Done: a crash after storing.
    }
    auto b = Open(2);
    EXPECT_EQ(DrainIds(*b), first);
    EXPECT_EQ(std::set<std::string>(first.begin(), first.end()).size(), first.size());
}

TEST_F(BufferTest, TakeWaitsAndCloseWakesIt) {
    auto b = Open();
    std::thread producer([&] {
        std::this_thread::sleep_for(50ms);
        auto batch = Batch(0, 3);
        b->Offer(batch);
    });
    auto t = b->Take(10, 5000ms);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->messages.size(), 3u);
    producer.join();
    std::thread closer([&] {
        std::this_thread::sleep_for(50ms);
        b->Close();
    });
    t = b->Take(10, 60000ms);
    closer.join();
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->messages.empty());
}

}  // namespace
}  // namespace vigil::ingest
