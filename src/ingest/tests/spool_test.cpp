#include "ingest/spool.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/bytes.h"

namespace vigil::ingest {
namespace {

namespace fs = std::filesystem;

std::vector<RawMessage> Batch(int from, int n, size_t size = 100) {
    std::vector<RawMessage> out;
    for (int i = from; i < from + n; ++i) {
        RawMessage m;
        m.id = "id-" + std::to_string(i);
        m.source = "syslog-tcp";
        m.peer = "10.0.0.1:514";
        m.received_ns = 1000 + i;
        m.bytes = "<13>message " + std::to_string(i) + " " + std::string(size, 'x');
        out.push_back(std::move(m));
    }
    return out;
}

class SpoolTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("vigil-spool-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::unique_ptr<DiskSpool> Open(uint64_t max_bytes = 1 << 30, uint64_t segment = 1 << 20) {
        SpoolOptions o;
        o.dir = dir_;
        o.max_bytes = max_bytes;
        o.segment_bytes = segment;
        auto s = DiskSpool::Open(o);
        EXPECT_TRUE(s) << s.error().message;
        return s ? std::move(*s) : nullptr;
    }
    // Reads everything, committing after each batch; returns the ids in order.
    static std::vector<std::string> Drain(DiskSpool& s, size_t batch = 7) {
        std::vector<std::string> ids;
        for (;;) {
            SpoolCursor next;
            auto got = s.Read(batch, next);
            EXPECT_TRUE(got);
            if (!got || got->empty()) break;
            for (auto& m : *got) ids.push_back(m.id);
            EXPECT_TRUE(s.Commit(next));
        }
        return ids;
    }
    // Overwrites the byte `delta` bytes from where `marker` first occurs in the spool segment.
    void PutByteAt(std::string_view marker, std::ptrdiff_t delta, char byte);
    fs::path dir_;
};

TEST_F(SpoolTest, RoundTripInOrderAcrossSegmentsAndSegmentsAreDeleted) {
    auto s = Open(1 << 30, 4096);  // a new segment after ~30 records (whole batches)
    for (int i = 0; i < 200; i += 10) ASSERT_TRUE(s->Append(Batch(i, 10)));
    EXPECT_EQ(s->stats().records, 200u);
    EXPECT_GT(s->stats().segments, 3u);
    auto ids = Drain(*s);
    ASSERT_EQ(ids.size(), 200u);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(ids[i], "id-" + std::to_string(i));
    EXPECT_TRUE(s->empty());
    EXPECT_LE(s->stats().segments, 1u);
    // The fields survive, the earlier receipt of a message read again and the mark of a cut
    // one too (alone or together); read into a message reused from one that had them, a record
    // without them has none.
    auto batch = Batch(7, 4);
    batch[0].earlier_receipt_ns = 999;
    batch[0].truncated = true;
    batch[2].truncated = true;
    batch[3].earlier_receipt_ns = 5;
    ASSERT_TRUE(s->Append(batch));
    SpoolCursor next;
    auto got = s->Read(10, next);
    ASSERT_TRUE(got && got->size() == 4);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ((*got)[i].truncated, batch[i].truncated) << i;
        EXPECT_EQ((*got)[i].earlier_receipt_ns, batch[i].earlier_receipt_ns) << i;
        EXPECT_EQ((*got)[i].bytes, batch[i].bytes) << i;
    }
    EXPECT_EQ((*got)[0].source, "syslog-tcp");
    EXPECT_EQ((*got)[0].peer, "10.0.0.1:514");
    EXPECT_EQ((*got)[0].received_ns, 1007);
    EXPECT_EQ((*got)[0].bytes.rfind("<13>message 7 ", 0), 0u);
    EXPECT_EQ((*got)[0].earlier_receipt_ns, 999);
    EXPECT_EQ((*got)[1].earlier_receipt_ns, 0);
    ASSERT_TRUE(s->Append(Batch(9, 1)));
    std::vector<RawMessage> reuse = std::move(*got);
    got = s->Read(10, next, std::move(reuse));
    ASSERT_TRUE(got && got->size() == 1);
    EXPECT_EQ((*got)[0].id, "id-9");
    EXPECT_EQ((*got)[0].earlier_receipt_ns, 0);
    EXPECT_FALSE((*got)[0].truncated);
}

// The consumer hands a stored batch's messages back to Read, which decodes the next records
// into their strings: each record comes back exactly (nothing left over from the message it
// reused), reused messages beyond the records read are not returned, and a large buffer is not
// kept for a short record.
TEST_F(SpoolTest, ReadIntoReusedMessagesReturnsExactlyTheRecords) {
    auto s = Open();
    ASSERT_TRUE(s->Append(Batch(0, 5, 10)));
    ASSERT_TRUE(s->Append(Batch(5, 3, 2000)));
    const auto want = [] {
        auto a = Batch(0, 5, 10);
        auto b = Batch(5, 3, 2000);
        a.insert(a.end(), b.begin(), b.end());
        return a;
    }();
    std::vector<RawMessage> reuse = Batch(100, 4, 5000);  // longer strings than most records
    reuse[1].peer = "a-peer-longer-than-any-record-has:65535";
    std::vector<RawMessage> got;
    for (size_t batch : {4u, 10u}) {  // first fewer records than reused messages, then more
        SpoolCursor next;
        auto read = s->Read(batch, next, std::move(reuse));
        ASSERT_TRUE(read) << read.error().message;
        for (auto& m : *read) {
            got.push_back(m);
            // A reused buffer far larger than its record is let go (memory stays bounded).
            if (m.bytes.size() < 100) {
                EXPECT_LT(m.bytes.capacity(), 4096u) << m.id;
            }
        }
        ASSERT_TRUE(s->Commit(next));
        reuse = std::move(*read);
    }
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].id, want[i].id) << i;
        EXPECT_EQ(got[i].source, want[i].source) << i;
        EXPECT_EQ(got[i].peer, want[i].peer) << i;
        EXPECT_EQ(got[i].received_ns, want[i].received_ns) << i;
        EXPECT_EQ(got[i].bytes, want[i].bytes) << i;
    }
    SpoolCursor next;
    auto none = s->Read(10, next, std::move(reuse));
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

// Read takes a segment in blocks of 1 MiB: records that cross a block's end and records larger
// than a block come back whole and in order, and a damaged record is skipped and counted.
TEST_F(SpoolTest, RecordsAcrossAndLargerThanAReadBlockComeBackWhole) {
    auto s = Open(1 << 30, 64 << 20);
    ASSERT_TRUE(s->Append(Batch(0, 10, 300 * 1024)));  // 3 MiB: blocks end inside records
    ASSERT_TRUE(s->Append(Batch(10, 1, 3 << 20)));     // one record of 3 MiB
    ASSERT_TRUE(s->Append(Batch(11, 5)));
    std::vector<std::string> ids;
    std::vector<size_t> sizes;
    for (;;) {
        SpoolCursor next;
        auto got = s->Read(4, next);
        ASSERT_TRUE(got) << got.error().message;
        if (got->empty()) break;
        for (auto& m : *got) {
            ids.push_back(m.id);
            sizes.push_back(m.bytes.size());
        }
        ASSERT_TRUE(s->Commit(next));
    }
    ASSERT_EQ(ids.size(), 16u);
    for (int i = 0; i < 16; ++i) EXPECT_EQ(ids[i], "id-" + std::to_string(i));
    EXPECT_EQ(sizes[10], Batch(10, 1, 3 << 20)[0].bytes.size());
    EXPECT_EQ(s->stats().corrupt_records, 0u);
}

// A record damaged in place (its checksum fails, good records follow) is skipped and counted,
// whether the damage happened before a reopen or while the spool was open; the records after
// it are kept (a bad record at the very end is a torn tail: ATornTailIsCutAtOpen...).
TEST_F(SpoolTest, ADamagedRecordIsSkippedAndCounted) {
    for (const bool reopen : {false, true}) {
        fs::remove_all(dir_);
        auto s = Open();
        ASSERT_TRUE(s->Append(Batch(0, 3), /*sync=*/true));
        PutByteAt("<13>message 1 ", 0, 'X');  // the second record's checksum fails
        if (reopen) {
            s.reset();
            s = Open();
            EXPECT_EQ(s->stats().torn_bytes_cut, 0u);
            EXPECT_EQ(s->stats().records, 3u);
        }
        EXPECT_EQ(Drain(*s), (std::vector<std::string>{"id-0", "id-2"})) << reopen;
        EXPECT_EQ(s->stats().corrupt_records, 1u);
        EXPECT_TRUE(s->empty()) << "the damaged record is not waiting forever";
    }
}

// A damaged length field (found while the spool is open; Open would cut it as a torn tail)
// loses the rest of its segment, counted once; the spool still drains to empty.
TEST_F(SpoolTest, ADamagedLengthSkipsTheRestOfTheSegmentAndTheSpoolStillEmpties) {
    auto s = Open();
    ASSERT_TRUE(s->Append(Batch(0, 3), /*sync=*/true));
    // The payload starts with the id's length (4 bytes) after the 8-byte header, whose first
    // 4 bytes are the record's length: its top byte.
    PutByteAt("id-1", -4 - 8 + 3, '\x7f');
    EXPECT_EQ(Drain(*s), (std::vector<std::string>{"id-0"}));
    EXPECT_EQ(s->stats().corrupt_records, 1u);
    EXPECT_TRUE(s->empty()) << "not waiting forever for the records it could not read";
    ASSERT_TRUE(s->Append(Batch(3, 2)));
    EXPECT_EQ(Drain(*s), (std::vector<std::string>{"id-3", "id-4"}));
}

void SpoolTest::PutByteAt(std::string_view marker, std::ptrdiff_t delta, char byte) {
    fs::path seg;
    for (const auto& e : fs::directory_iterator(dir_))
        if (e.path().extension() == ".spool") seg = e.path();
    ASSERT_FALSE(seg.empty());
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(f)), {});
    const size_t at = data.find(marker);
    ASSERT_NE(at, std::string::npos) << marker;
    f.seekp(static_cast<std::streamoff>(at) + delta);
    f.put(byte);
}

TEST_F(SpoolTest, ReopenResumesAfterTheCommittedPositionAndReplaysTheUncommitted) {
    {
        auto s = Open();
        ASSERT_TRUE(s->Append(Batch(0, 50)));
        SpoolCursor next;
        auto got = s->Read(20, next);
        ASSERT_EQ(got->size(), 20u);
        ASSERT_TRUE(s->Commit(next));
        auto more = s->Read(20, next);  // read but never committed: a crash before storing
        ASSERT_EQ(more->size(), 20u);
    }
    auto s = Open();
    EXPECT_EQ(s->stats().records, 30u);
    auto ids = Drain(*s);
    ASSERT_EQ(ids.size(), 30u);
    EXPECT_EQ(ids.front(), "id-20");
    EXPECT_EQ(ids.back(), "id-49");
}

// A copy of the spool (a backup) can hold a position in a segment that was consumed and deleted
// before the copy was taken: the segments that are there are read from their start, and new
// records are not skipped.
TEST_F(SpoolTest, APositionInASegmentThatIsGoneSkipsNothing) {
    {
        auto s = Open(1 << 30, 1 << 20);
        ASSERT_TRUE(s->Append(Batch(0, 10)));
    }
    // As a backup copied it: the position names segment 7 at byte 500, which is not there.
    {
        std::ofstream pos(dir_ / "spool.pos", std::ios::trunc);
        pos << "7 500\n";
    }
    auto s = Open();
    ASSERT_TRUE(s->Append(Batch(10, 5)));
    auto ids = Drain(*s);
    ASSERT_EQ(ids.size(), 5u);  // segment 1 (before 7) was consumed; the new ones all come
    EXPECT_EQ(ids.front(), "id-10");
}

TEST_F(SpoolTest, ATornTailIsCutAtOpenAndAppendsContinue) {
    {
        auto s = Open();
        ASSERT_TRUE(s->Append(Batch(0, 10)));
    }
    fs::path seg;
    for (const auto& e : fs::directory_iterator(dir_)) {
        if (e.path().extension() == ".spool") seg = e.path();
    }
    {
        std::ofstream out(seg, std::ios::binary | std::ios::app);
        out << std::string("\x40\x00\x00\x00\x12\x34\x56\x78partial", 15);  // a cut record
    }
    auto s = Open();
    EXPECT_EQ(s->stats().torn_bytes_cut, 15u);
    ASSERT_TRUE(s->Append(Batch(10, 5)));
    auto ids = Drain(*s);
    ASSERT_EQ(ids.size(), 15u);
    EXPECT_EQ(ids.back(), "id-14");
    EXPECT_EQ(s->stats().corrupt_records, 0u);
}

// Message bytes come from outside and the record checksum (XXH32) is public, so a message can
// carry what looks like a whole spool record. When such a message is the torn tail, the whole
// tail is cut: the spool never looks inside a record for another one, so the planted record is
// never handed out as a message of its own.
TEST_F(SpoolTest, ARecordPlantedInATornMessageIsNeverReplayed) {
    std::string planted;  // a record as the spool writes one, with a chosen id and source
    {
        std::string payload;
        PutLenPrefixed(payload, "forged-id");
        PutLenPrefixed(payload, "trusted-source");
        PutLenPrefixed(payload, "10.9.9.9:514");
        PutLe64(payload, 42);
        PutLenPrefixed(payload, "<13>forged message");
        PutLe32(planted, static_cast<uint32_t>(payload.size()));
        PutLe32(planted, XXH32(payload.data(), payload.size(), 0));
        planted += payload;
    }
    {
        auto s = Open();
        ASSERT_TRUE(s->Append(Batch(0, 3)));
        auto carrier = Batch(3, 1);
        carrier[0].bytes = "<13>hello " + planted + " and 50 bytes after it" + std::string(30, 'z');
        ASSERT_TRUE(s->Append(carrier));
    }
    fs::path seg;
    for (const auto& e : fs::directory_iterator(dir_))
        if (e.path().extension() == ".spool") seg = e.path();
    fs::resize_file(seg, fs::file_size(seg) - 40);  // a crash in the middle of the carrier
    auto s = Open();
    EXPECT_GT(s->stats().torn_bytes_cut, planted.size());
    EXPECT_EQ(Drain(*s), (std::vector<std::string>{"id-0", "id-1", "id-2"}));
}

TEST_F(SpoolTest, FullSpoolRefusesWholeBatchesUntilDrained) {
    auto s = Open(20000, 4096);
    int appended = 0;
    for (int i = 0; i < 1000; i += 10) {
        auto st = s->Append(Batch(i, 10));
        if (!st) {
            EXPECT_EQ(st.error().code, Code::kResourceExhausted);
            EXPECT_NE(st.error().message.find("spool full"), std::string::npos);
            break;
        }
        appended += 10;
    }
    EXPECT_GT(appended, 0);
    EXPECT_LE(s->stats().bytes, 20000u);
    EXPECT_EQ(Drain(*s).size(), static_cast<size_t>(appended));
    EXPECT_TRUE(s->Append(Batch(0, 10)));  // room again
}

// The files stay near max_bytes: the consumed start of the segment being written is on disk
// until that segment is full, so segments are capped at an eighth of max_bytes (here 8 MiB with
// 64 MiB segments asked for: before the cap, the files grew to everything ever written).
TEST_F(SpoolTest, FilesStayWithinTheBoundPlusOneSegment) {
    const uint64_t max = 8 << 20;
    auto s = Open(max, uint64_t{64} << 20);
    auto disk = [this] {
        uint64_t total = 0;
        for (const auto& e : fs::directory_iterator(dir_)) total += e.file_size();
        return total;
    };
    uint64_t most = 0;
    int next = 0;
    for (int round = 0; round < 5; ++round) {  // fill, drain: 40 MiB through an 8 MiB spool
        while (s->Append(Batch(next, 100), /*sync=*/false)) {
            next += 100;
            most = std::max(most, disk());
        }
        EXPECT_EQ(Drain(*s, 5000).size() % 100, 0u);
        most = std::max(most, disk());
    }
    EXPECT_GT(next, 5 * 40000);  // ~180-byte records
    EXPECT_LE(most, max + max / 8 + (64 << 10));
}

// kill -9 while appending: every append that returned Ok is there after reopening.
TEST_F(SpoolTest, AcknowledgedAppendsSurviveSigkill) {
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipefd[0]);
        SpoolOptions o;
        o.dir = dir_;
        auto s = DiskSpool::Open(o);
        if (!s) ::_exit(2);
        for (int i = 0;; i += 10) {
            if (!(*s)->Append(Batch(i, 10, 300))) ::_exit(3);
            int acked = i + 10;
            if (::write(pipefd[1], &acked, sizeof(acked)) != sizeof(acked)) ::_exit(4);
        }
    }
    ::close(pipefd[1]);
    int acked = 0, v = 0;
    while (acked < 3000 && ::read(pipefd[0], &v, sizeof(v)) == sizeof(v)) acked = v;
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    while (::read(pipefd[0], &v, sizeof(v)) == sizeof(v)) acked = v;  // acks in the pipe
    ::close(pipefd[0]);
    ASSERT_GE(acked, 3000);
    auto s = Open();
    auto ids = Drain(*s, 500);
    std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(unique.size(), ids.size()) << "no record twice";
    for (int i = 0; i < acked; ++i) {
        ASSERT_TRUE(unique.count("id-" + std::to_string(i))) << "acknowledged id-" << i << " lost";
    }
}

}  // namespace
}  // namespace vigil::ingest
