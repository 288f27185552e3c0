#include "ingest/tail.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace vigil::ingest {
namespace {

namespace fs = std::filesystem;

class Collect : public Sink {
public:
    bool Offer(std::vector<RawMessage>& batch) override {
        std::lock_guard lock(mu);
        if (full) return false;
        for (auto& m : batch) messages.push_back(std::move(m));
        batch.clear();
        return true;
    }
    // Messages taken count as stored at once unless `hold` keeps them queued up to stored_mark.
    uint64_t offered() const override {
        std::lock_guard lock(mu);
        return messages.size();
    }
    uint64_t durable() const override {
        std::lock_guard lock(mu);
        return hold ? stored_mark : messages.size();
    }
    std::vector<std::string> Texts() {
        std::lock_guard lock(mu);
        std::vector<std::string> out;
        for (const auto& m : messages) out.push_back(m.bytes);
        return out;
    }
    mutable std::mutex mu;
    bool full = false;
    bool hold = false;
    uint64_t stored_mark = 0;
    std::vector<RawMessage> messages;
};

class TailTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("vigil-tail-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "logs");
    }
    void TearDown() override { fs::remove_all(dir_); }
    void Append(const std::string& name, const std::string& text) {
        std::ofstream out(dir_ / "logs" / name, std::ios::app | std::ios::binary);
        out << text;
    }
    TailOptions Options(bool multiline = false, bool join_audit = false) {
        TailOptions o;
        o.source = "files";
        o.paths = {(dir_ / "logs" / "*.log").string()};
        o.state_file = dir_ / "offsets";
        o.multiline_indented = multiline;
        o.join_audit = join_audit;
        o.rotate_wait = std::chrono::milliseconds(0);  // a rotated file is dropped at its end
        return o;
    }
    std::unique_ptr<FileTailer> Tailer(bool multiline = false, bool join_audit = false) {
        return std::make_unique<FileTailer>(Options(multiline, join_audit), sink_, counters_);
    }
    fs::path Log(const std::string& name) { return dir_ / "logs" / name; }
    // "<dev>:<inode>" of a log.
    std::string DevIno(const std::string& name) {
        struct stat st {};
        EXPECT_EQ(::stat(Log(name).c_str(), &st), 0);
        return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    }
    // Its birth time in ns, 0 where the filesystem keeps none.
    uint64_t Birth(const std::string& name) {
        struct statx st {};
        EXPECT_EQ(::statx(AT_FDCWD, Log(name).c_str(), 0, STATX_BTIME, &st), 0);
        if (!(st.stx_mask & STATX_BTIME)) return 0;
        return static_cast<uint64_t>(st.stx_btime.tv_sec) * 1'000'000'000ULL + st.stx_btime.tv_nsec;
    }
    // "f:files:<dev>:<inode>[:b<birth>]", the start of its record ids.
    std::string IdOf(const std::string& name) {
        std::string out = "f:files:" + DevIno(name);
        if (const uint64_t birth = Birth(name); birth > 0) {
            std::ostringstream hex;
            hex << std::hex << birth;
            out += ":b" + hex.str();
        }
        return out;
    }
    void Poll(FileTailer& t) {
        auto r = t.PollOnce();
        ASSERT_TRUE(r) << r.error().message;
    }
    fs::path dir_;
    Collect sink_;
    SourceCounters counters_;
};

TEST_F(TailTest, TakesCompleteLinesOnlyAndFollowsGlobs) {
    auto t = Tailer();
    Append("a.log", "one\ntwo\npart");
    Append("b.log", "bee\n");
    Append("c.txt", "not matched\n");
    Poll(*t);
    // Files are read in the order of their identity (device, inode), not of their names: the
    // order within a file is what is kept.
    std::vector<std::string> texts = sink_.Texts();
    std::vector<std::string> from_a;
    for (const auto& m : sink_.messages)
        if (m.peer == (dir_ / "logs" / "a.log").string()) from_a.push_back(m.bytes);
    EXPECT_EQ(from_a, (std::vector<std::string>{"one", "two"}));
    std::sort(texts.begin(), texts.end());
    EXPECT_EQ(texts, (std::vector<std::string>{"bee", "one", "two"}));
    Append("a.log", "ial\r\n");
    Poll(*t);
    EXPECT_EQ(sink_.Texts().back(), "partial");
    EXPECT_EQ(sink_.messages.back().peer, (dir_ / "logs" / "a.log").string());
    EXPECT_EQ(sink_.messages[0].id.rfind("f:", 0), 0u);
    EXPECT_EQ(counters_.received, 4u);
}

TEST_F(TailTest, RenameRotationReadsTheOldFileToItsEndThenTheNewOne) {
    auto t = Tailer();
    Append("app.log", "before-1\n");
    Poll(*t);
    Append("app.log", "before-2\nlast-without-newline");
    fs::rename(dir_ / "logs" / "app.log", dir_ / "logs" / "app.log.1");
    Append("app.log", "after-1\n");
    Poll(*t);
    Poll(*t);
    auto texts = sink_.Texts();
    std::multiset<std::string> got(texts.begin(), texts.end());
    EXPECT_EQ(got, (std::multiset<std::string>{"before-1", "before-2", "last-without-newline",
                                               "after-1"}));
    EXPECT_EQ(t->stats().rotations, 1u);
    EXPECT_EQ(t->stats().files, 1u);  // the rotated file was dropped at its end
}

TEST_F(TailTest, CopyTruncateStartsOver) {
    auto t = Tailer();
    Append("app.log", "old-1\nold-2\n");
    Poll(*t);
    fs::resize_file(dir_ / "logs" / "app.log", 0);
    Append("app.log", "new\n");
    Poll(*t);
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"old-1", "old-2", "new"}));
    EXPECT_EQ(t->stats().truncations, 1u);
}

TEST_F(TailTest, RestartNeitherLosesNorRepeats) {
    {
        auto t = Tailer();
        Append("app.log", "1\n2\n");
        Poll(*t);
        ASSERT_TRUE(t->SaveState());
    }
    Append("app.log", "3\n");  // written while Vigil was down
    auto t = Tailer();
    ASSERT_TRUE(t->Start());  // loads the offsets
    for (int i = 0; i < 100 && sink_.Texts().size() < 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    t->Stop();
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"1", "2", "3"}));
}

// The saved offset follows what the sink stored, not what it queued: lines still in memory at a
// crash are read again after the restart.
TEST_F(TailTest, SavedOffsetsWaitUntilTheLinesAreStored) {
    auto saved_offset = [&] {
        std::ifstream in(dir_ / "offsets");
        std::string header;
        std::getline(in, header);
        unsigned long long dev = 0, ino = 0, birth = 0, offset = 0;
        in >> dev >> ino >> birth >> offset;
        return offset;
    };
    sink_.hold = true;
    {
        auto t = Tailer();
        Append("app.log", "1\n2\n");
        Poll(*t);
        ASSERT_TRUE(t->SaveState());
        EXPECT_EQ(saved_offset(), 0u) << "taken but not stored";
        sink_.stored_mark = 1;
        ASSERT_TRUE(t->SaveState());
        EXPECT_EQ(saved_offset(), 0u) << "the batch is stored only as a whole";
        Append("app.log", "3\n");
        Poll(*t);
        sink_.stored_mark = 2;
        ASSERT_TRUE(t->SaveState());
        EXPECT_EQ(saved_offset(), 4u) << "the first batch is stored";
    }  // a crash: "3" was taken, never stored
    sink_.hold = false;
    sink_.messages.clear();
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "offsets").c_str(), &st), 0);
    const int64_t saved_at = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    auto t = Tailer();
    ASSERT_TRUE(t->PollOnce().has_value());
    Append("app.log", "4\n");  // written after the restart: never read before
    ASSERT_TRUE(t->PollOnce().has_value());
    ASSERT_EQ(sink_.Texts(), (std::vector<std::string>{"3", "4"}));
    // "3" is received again, at another time: it says when the first receipt was (about when
    // the offsets were saved), so the store can find its copy under the day it was filed.
    EXPECT_EQ(sink_.messages[0].earlier_receipt_ns, saved_at);
    EXPECT_EQ(sink_.messages[1].earlier_receipt_ns, 0);
    ASSERT_TRUE(t->SaveState());
    EXPECT_EQ(saved_offset(), 8u);
}

// Vigil's data directory restored on another host where the log is a copy (a restored or
// mounted log volume): the file at the saved path is another inode with the same bytes before
// the saved offset, so reading goes on from there instead of storing every line again. A file
// at that path with other bytes is another log, read from its start.
TEST_F(TailTest, ACopyOfAFileAtItsSavedPathIsReadOnFromTheSavedOffset) {
    {
        auto t = Tailer();
        Append("app.log", "Nov 21 08:00:01 one\nNov 21 08:00:02 two\n");
        Append("other.log", "Nov 21 08:00:03 first log line\n");
        Poll(*t);
        ASSERT_TRUE(t->SaveState());
    }
    const std::string before = DevIno("app.log");
    fs::copy_file(Log("app.log"), Log("app.log.copy"));
    fs::rename(Log("app.log.copy"), Log("app.log"));
    ASSERT_NE(DevIno("app.log"), before);
    Append("app.log", "Nov 21 08:00:04 three\n");
    fs::remove(Log("other.log"));
    Append("other.log", "Nov 22 09:00:00 a different log\n");
    sink_.messages.clear();
    auto t = Tailer();
    Poll(*t);
    std::vector<std::string> texts = sink_.Texts();
    std::sort(texts.begin(), texts.end());
    EXPECT_EQ(texts, (std::vector<std::string>{"Nov 21 08:00:04 three",
                                               "Nov 22 09:00:00 a different log"}));
    EXPECT_EQ(t->stats().copies_resumed, 1u);
}

// Only as many records past the saved offset as can have been taken and not stored are marked
// as maybe read before, and a record read again after a refused offer is not counted twice.
TEST_F(TailTest, OnlyTheRecordsAPreviousRunCanHaveTakenAreMarked) {
    {
        auto t = Tailer();
        Append("app.log", "1\n");
        Poll(*t);
        ASSERT_TRUE(t->SaveState());
    }
    Append("app.log", "2\n3\n4\n");  // past the saved offset, there at the restart
    sink_.messages.clear();
    TailOptions o = Options(false, false);
    o.max_unsaved_records = 2;
    FileTailer t(o, sink_, counters_);
    sink_.full = true;
    ASSERT_TRUE(t.PollOnce().has_value());  // refused: read again at the next poll
    sink_.full = false;
    ASSERT_TRUE(t.PollOnce().has_value());
    ASSERT_EQ(sink_.Texts(), (std::vector<std::string>{"2", "3", "4"}));
    EXPECT_NE(sink_.messages[0].earlier_receipt_ns, 0);
    EXPECT_NE(sink_.messages[1].earlier_receipt_ns, 0);
    EXPECT_EQ(sink_.messages[2].earlier_receipt_ns, 0);
}

TEST_F(TailTest, ARotatedFileStaysInTheStateUntilItsLinesAreStored) {
    sink_.hold = true;
    auto t = Tailer();
    Append("app.log", "old\n");
    Poll(*t);
    fs::rename(dir_ / "logs" / "app.log", dir_ / "logs" / "app.log.1");
    Append("app.log", "new\n");
    Poll(*t);
    ASSERT_EQ(sink_.Texts(), (std::vector<std::string>{"old", "new"}));
    ASSERT_TRUE(t->SaveState());
    auto state_lines = [&] {
        std::ifstream in(dir_ / "offsets");
        std::string line;
        int n = 0;
        while (std::getline(in, line)) ++n;
        return n - 1;  // the header
    };
    EXPECT_EQ(state_lines(), 2) << "app.log.1 is read but not stored";
    sink_.stored_mark = 2;
    Poll(*t);
    ASSERT_TRUE(t->SaveState());
    EXPECT_EQ(state_lines(), 1);
}

// audit.log: the records of one event become one message; an event still open at the end of
// the file waits until the file stops growing (user-space events have no EOE record).
TEST_F(TailTest, AuditRecordsOfOneEventBecomeOneMessage) {
    auto t = Tailer(/*multiline=*/false, /*join_audit=*/true);
    const std::string a1 = "type=SYSCALL msg=audit(1795000000.120:901): syscall=59";
    const std::string a2 = "type=EXECVE msg=audit(1795000000.120:901): argc=1 a0=\"id\"";
    const std::string a3 = "type=EOE msg=audit(1795000000.120:901): ";
    const std::string b1 = "type=USER_LOGIN msg=audit(1795000001.000:902): res=failed";
    Append("audit.log", a1 + "\n" + a2 + "\n");
    Poll(*t);
    EXPECT_TRUE(sink_.Texts().empty()) << "the file grew since the last poll: wait";
    Append("audit.log", a3 + "\n" + b1 + "\n");
    Poll(*t);
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{a1 + "\n" + a2 + "\n" + a3}));
    EXPECT_EQ(sink_.messages[0].id.substr(sink_.messages[0].id.rfind(':')), ":0")
        << "the id of the first record";
    Poll(*t);  // the file stopped growing: the last event is complete
    ASSERT_EQ(sink_.Texts().size(), 2u);
    EXPECT_EQ(sink_.Texts()[1], b1);
    ASSERT_TRUE(t->SaveState());
    // Restarted: nothing is read twice.
    sink_.messages.clear();
    auto again = Tailer(false, true);
    ASSERT_TRUE(again->Start());  // loads the offsets
    Append("other.log", b1 + "\n");
    for (int i = 0; i < 100 && sink_.Texts().empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    again->Stop();
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{b1})) << "only the new file's line";
}

// An open audit group larger than the tailer's 1 MiB read chunk (long lines are cut to 64 KiB
// in the message, not in the file) is taken as it is: the file does not stall on it.
TEST_F(TailTest, AnAuditGroupLargerThanAReadChunkDoesNotStallTheFile) {
    auto t = Tailer(/*multiline=*/false, /*join_audit=*/true);
    const std::string big =
        "type=EXECVE msg=audit(1795000000.120:901): a0=" + std::string(400 * 1024, 'x');
    Append("audit.log", big + "\n" + big + "\n" + big + "\n");
    Append("audit.log", "type=USER_LOGIN msg=audit(1795000001.000:902): res=failed\n");
    for (int i = 0; i < 4; ++i) Poll(*t);
    const auto texts = sink_.Texts();
    ASSERT_FALSE(texts.empty()) << "the file is stuck at its first group";
    EXPECT_EQ(texts.back(), "type=USER_LOGIN msg=audit(1795000001.000:902): res=failed");
    size_t records = 0;
    for (const auto& m : texts)
        records += static_cast<size_t>(std::count(m.begin(), m.end(), '\n')) + 1;
    EXPECT_EQ(records, 4u) << "every record once";
}

TEST_F(TailTest, AFullSinkKeepsTheOffsetAndTheLinesComeLater) {
    auto t = Tailer();
    Append("app.log", "a\nb\n");
    sink_.full = true;
    auto r = t->PollOnce();
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);
    EXPECT_EQ(counters_.paused, 1u);
    sink_.full = false;
    Poll(*t);
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(TailTest, IndentedLinesContinueARecord) {
    auto t = Tailer(/*multiline=*/true);
    Append("app.log", "ERROR boom\n  at a()\n\tat b()\nINFO next\n  detail\n");
    Poll(*t);  // the last record may still grow
    Poll(*t);  // the file is unchanged: the last record is complete
    EXPECT_EQ(sink_.Texts(),
              (std::vector<std::string>{"ERROR boom\n  at a()\n\tat b()", "INFO next\n  detail"}));
}

// A Windows application's log (CRLF lines): the record's lines are joined by LF, no CR kept.
TEST_F(TailTest, IndentedRecordsOfCrlfLinesKeepNoCr) {
    auto t = Tailer(/*multiline=*/true);
    Append("app.log", "ERROR boom\r\n  at a()\r\n  at b()\r\nINFO next\r\n");
    Poll(*t);
    Poll(*t);
    EXPECT_EQ(sink_.Texts(),
              (std::vector<std::string>{"ERROR boom\n  at a()\n  at b()", "INFO next"}));
}

TEST_F(TailTest, OverlongLinesAreCutAndCounted) {
    TailOptions o;
    o.source = "files";
    o.paths = {(dir_ / "logs" / "*.log").string()};
    o.max_line_bytes = 10;
    FileTailer t(o, sink_, counters_);
    Append("app.log", std::string(25, 'x') + "\nshort\n");
    ASSERT_TRUE(t.PollOnce());
    auto texts = sink_.Texts();
    ASSERT_EQ(texts.size(), 2u);
    EXPECT_EQ(texts[0], std::string(10, 'x'));
    EXPECT_EQ(texts[1], "short");
    // The cut record says so (the event gets vigil.truncated); a whole one does not.
    EXPECT_TRUE(sink_.messages[0].truncated);
    EXPECT_FALSE(sink_.messages[1].truncated);
    EXPECT_EQ(counters_.oversized, 1u);
}

// A multi-line record longer than a read chunk (a runaway stack trace) used to stop the file:
// each poll read the same chunk and found no end to it. It is one record, its head.
TEST_F(TailTest, AMultiLineRecordLongerThanAChunkIsOneRecord) {
    auto t = Tailer(/*multiline=*/true);
    std::string trace = "ERROR runaway\n";
    while (trace.size() < 1'500'000) trace += "  at frame()\n";
    Append("app.log", trace + "INFO next\n  detail\n");
    Poll(*t);
    Poll(*t);  // unchanged: the last record is complete
    const auto texts = sink_.Texts();
    ASSERT_EQ(texts.size(), 2u);
    EXPECT_EQ(texts[0], trace.substr(0, kDefaultMaxFrameBytes));
    EXPECT_EQ(texts[1], "INFO next\n  detail");
    EXPECT_TRUE(sink_.messages[0].truncated);
    EXPECT_FALSE(sink_.messages[1].truncated);
    EXPECT_EQ(counters_.oversized, 1u);
}

// ... and its continuation lines are dropped as they come, across polls and a restart.
TEST_F(TailTest, AnOverlongMultiLineRecordWrittenInPiecesIsOneRecordAcrossARestart) {
    TailOptions o = Options(/*multiline=*/true);
    o.max_line_bytes = 10;
    {
        FileTailer t(o, sink_, counters_);
        Append("app.log", "first\nBIG 0123456789\n");
        Poll(t);
        EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"first", "BIG 012345"}));
        Append("app.log", "  more\n  more");
        Poll(t);
        Append("app.log", "2\n");
        Poll(t);
        ASSERT_TRUE(t.SaveState());
    }
    Append("app.log", "  more3\nnext\n  t\n");
    FileTailer t(o, sink_, counters_);
    Poll(t);
    Poll(t);  // unchanged: the last record is complete
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"first", "BIG 012345", "next\n  t"}));
    EXPECT_EQ(counters_.oversized, 1u);
}

// copytruncate brings the same inode and offsets back: the new lines need other ids, or storage
// drops them as copies of the old ones. The generation is saved with the offset.
TEST_F(TailTest, ARewrittenFileGetsNewIds) {
    {
        auto t = Tailer();
        Append("app.log", "old-1\nold-2\n");
        Poll(*t);
        fs::resize_file(Log("app.log"), 0);
        Append("app.log", "new-1\n");
        Poll(*t);
        ASSERT_TRUE(t->SaveState());
    }
    fs::resize_file(Log("app.log"), 0);
    Append("app.log", "x\n");
    auto t = Tailer();
    Poll(*t);
    ASSERT_EQ(sink_.Texts(), (std::vector<std::string>{"old-1", "old-2", "new-1", "x"}));
    const std::string file = IdOf("app.log");
    EXPECT_EQ(sink_.messages[0].id, file + ":0");
    EXPECT_EQ(sink_.messages[1].id, file + ":6");
    EXPECT_EQ(sink_.messages[2].id, file + ":g1:0");
    EXPECT_EQ(sink_.messages[3].id, file + ":g2:0");
}

// Two sources reading one file (two decoders, two logsources) each store their copy.
TEST_F(TailTest, TwoSourcesOnOneFileGiveDifferentIds) {
    Append("app.log", "line\n");
    TailOptions a = Options(), b = Options();
    a.source = "a";
    a.state_file = dir_ / "a.offsets";
    b.source = "b";
    b.state_file = dir_ / "b.offsets";
    FileTailer ta(a, sink_, counters_), tb(b, sink_, counters_);
    Poll(ta);
    Poll(tb);
    ASSERT_EQ(sink_.messages.size(), 2u);
    EXPECT_NE(sink_.messages[0].id, sink_.messages[1].id);
}

// The state file of an earlier version ("<dev> <inode> <offset> <path>" lines) is read; its
// record ids stay those of generation 0.
TEST_F(TailTest, ReadsTheOldStateFormatAndRejectsBadLines) {
    Append("app.log", "1\n2\n3\n");
    {
        std::ofstream out(dir_ / "offsets");
        std::string dev_ino = DevIno("app.log");
        std::replace(dev_ino.begin(), dev_ino.end(), ':', ' ');
        out << dev_ino << " 4 " << Log("app.log").string() << "\n1 2 3 -\n";
    }
    {
        auto t = Tailer();
        Poll(*t);
        EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"3"}));
        EXPECT_EQ(sink_.messages[0].id, IdOf("app.log") + ":4");
        ASSERT_TRUE(t->SaveState());
    }
    std::ifstream in(dir_ / "offsets");
    std::string header;
    std::getline(in, header);
    EXPECT_EQ(header, "vigil-tail-offsets 3");
    sink_.messages.clear();
    Append("app.log", "4\n");
    {
        auto t = Tailer();
        Poll(*t);
        EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"4"}));
    }
    {
        std::ofstream out(dir_ / "offsets", std::ios::app);
        out << "1 2 x 0 0 - -\n";
    }
    auto r = Tailer()->PollOnce();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("offsets:4: expected"), std::string::npos)
        << r.error().message;
    {
        std::ofstream out(dir_ / "offsets");
        out << "1 2 3 -\nnot a line\n";
    }
    r = Tailer()->PollOnce();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("offsets:2: expected \"<dev> <inode> <offset> <path>\""),
              std::string::npos)
        << r.error().message;
}

// copytruncate, then more written than had been read before the next poll: the file is not
// shorter than the offset, but the bytes before the offset changed. Noticed too when it happens
// while Vigil is stopped.
TEST_F(TailTest, CopyTruncateIsNoticedWhenTheNewContentPassesTheOffset) {
    {
        auto t = Tailer();
        Append("app.log", "old-1\n");
        Poll(*t);
        fs::resize_file(Log("app.log"), 0);
        Append("app.log", "new-line-1\nnew-2\n");
        Poll(*t);
        EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"old-1", "new-line-1", "new-2"}));
        EXPECT_EQ(t->stats().truncations, 1u);
        ASSERT_TRUE(t->SaveState());
    }
    fs::resize_file(Log("app.log"), 0);
    Append("app.log", "written while stopped, longer\n");
    auto t = Tailer();
    Poll(*t);
    EXPECT_EQ(sink_.Texts().back(), "written while stopped, longer");
    EXPECT_EQ(t->stats().truncations, 1u);
}

// A line over the limit is one record, its head, counted once: the rest of it is dropped, also
// when it is longer than a read chunk (1 MiB).
TEST_F(TailTest, AnOverlongLineIsOneRecord) {
    auto t = Tailer();
    Append("app.log", std::string(2'500'000, 'x') + "\nafter\n");
    Poll(*t);
    const auto texts = sink_.Texts();
    ASSERT_EQ(texts.size(), 2u);
    EXPECT_EQ(texts[0], std::string(kDefaultMaxFrameBytes, 'x'));
    EXPECT_EQ(texts[1], "after");
    EXPECT_EQ(counters_.oversized, 1u);
}

// ... and when its end is written later, after a restart.
TEST_F(TailTest, AnOverlongLineWrittenInPiecesIsOneRecordAcrossARestart) {
    TailOptions o = Options();
    o.max_line_bytes = 10;
    {
        FileTailer t(o, sink_, counters_);
        Append("app.log", "first\n" + std::string(25, 'x'));
        Poll(t);
        EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"first", std::string(10, 'x')}));
        Append("app.log", std::string(25, 'y'));
        Poll(t);
        ASSERT_TRUE(t.SaveState());
    }
    Append("app.log", "zzz\nnext\n");
    FileTailer t(o, sink_, counters_);
    Poll(t);
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"first", std::string(10, 'x'), "next"}));
    EXPECT_EQ(counters_.oversized, 1u);
}

// logrotate's create: the application writes to the renamed file until it reopens its log (on
// a HUP). Those lines are read; the last line without a newline is taken, and the file dropped,
// once it has not grown for rotate_wait.
TEST_F(TailTest, ARotatedFileIsFollowedUntilItStopsGrowing) {
    auto now = std::chrono::steady_clock::now();
    TailOptions o = Options();
    o.rotate_wait = std::chrono::seconds(5);
    o.clock = [&now] { return now; };
    FileTailer t(o, sink_, counters_);
    Append("app.log", "before\n");
    Poll(t);
    fs::rename(Log("app.log"), Log("app.log.1"));
    Append("app.log", "new\n");
    Poll(t);
    EXPECT_EQ(t.stats().files, 2u) << "app.log.1 is still followed";
    Append("app.log.1", "late\npartial");
    now += std::chrono::seconds(4);
    Poll(t);
    auto texts = sink_.Texts();
    EXPECT_EQ(std::multiset<std::string>(texts.begin(), texts.end()),
              (std::multiset<std::string>{"before", "new", "late"}));
    now += std::chrono::seconds(4);
    Poll(t);
    EXPECT_EQ(sink_.Texts().size(), 3u) << "app.log.1 grew 4 s ago";
    EXPECT_EQ(t.stats().files, 2u);
    now += std::chrono::seconds(1);
    Poll(t);
    EXPECT_EQ(sink_.Texts().back(), "partial");
    Poll(t);  // its last line is stored: the file is dropped
    EXPECT_EQ(t.stats().files, 1u);
}

// Rotated while Vigil was stopped: app.log.1 is not in the glob, but it is where app.log was,
// so its unread lines are read from the saved offset.
TEST_F(TailTest, AFileRotatedWhileStoppedIsReadToItsEnd) {
    {
        auto t = Tailer();
        Append("app.log", "1\n");
        Poll(*t);
        ASSERT_TRUE(t->SaveState());
    }
    Append("app.log", "2\nlast");
    fs::rename(Log("app.log"), Log("app.log.1"));
    Append("app.log", "3\n");
    auto t = Tailer();
    Poll(*t);
    const auto texts = sink_.Texts();
    EXPECT_EQ(std::multiset<std::string>(texts.begin(), texts.end()),
              (std::multiset<std::string>{"1", "2", "last", "3"}));
    EXPECT_EQ(t->stats().rotations, 1u);
    Poll(*t);  // its lines are stored
    EXPECT_EQ(t->stats().files, 1u) << "app.log.1 was read to its end and dropped";
}

// ... but a saved file deleted since, whose inode a file beside it now has, is not that file:
// its bytes before the saved offset differ, so it is not read (nor from its start).
TEST_F(TailTest, AReusedInodeBesideASavedPathIsNotRead) {
    Append("app.log", "1\n");
    Append("app.log.2", "zzzz\nother\n");
    {
        std::ofstream out(dir_ / "offsets");
        std::string dev_ino = DevIno("app.log.2");
        std::replace(dev_ino.begin(), dev_ino.end(), ':', ' ');
        out << "vigil-tail-offsets 2\n"
            << dev_ino << " 4 0 0 61626364 " << Log("app.log").string() << "\n";  // "abcd"
    }
    auto t = Tailer();
    Poll(*t);
    Poll(*t);
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"1"}));
    EXPECT_EQ(t->stats().rotations, 0u);
    ASSERT_TRUE(t->SaveState());
    std::ifstream in(dir_ / "offsets");
    std::string line;
    int n = 0;
    while (std::getline(in, line)) ++n;
    EXPECT_EQ(n, 2) << "the header and app.log: the stale entry is forgotten";
}

// ext4 gives a deleted file's inode to the next file created, and logrotate deletes its oldest
// file just before it creates the log: the new file's records need other ids than those the
// store holds from the old one, or it drops them as copies (the first line of every rotation,
// and more where lines have one length).
TEST_F(TailTest, AFileOnADeletedFilesInodeGetsOtherIds) {
    auto t = Tailer();
    Append("app.log", "old-1\nold-2\n");
    Poll(*t);
    const std::string inode = DevIno("app.log");
    fs::remove(Log("app.log"));
    Poll(*t);  // deleted: read to its end and closed, which frees its inode
    ASSERT_EQ(t->stats().files, 0u);
    // File times advance by the kernel's clock tick.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Append("app.log", "new-1\nnew-2\n");
    if (DevIno("app.log") != inode) {
        GTEST_SKIP() << "this filesystem gave the new file another inode: nothing to tell apart";
    }
    if (Birth("app.log") == 0) {
        GTEST_SKIP() << "this filesystem keeps no birth times: a reused inode is not told apart";
    }
    Poll(*t);
    ASSERT_EQ(sink_.Texts(), (std::vector<std::string>{"old-1", "old-2", "new-1", "new-2"}));
    EXPECT_NE(sink_.messages[0].id, sink_.messages[2].id);
    EXPECT_NE(sink_.messages[1].id, sink_.messages[3].id);
    EXPECT_EQ(sink_.messages[2].id, IdOf("app.log") + ":0");
}

// logrotate's compress leaves access.log.2.gz beside the log, and the rotation glob
// "access.log*" matches it: a compressed file is skipped by its first bytes, whatever its name,
// and counted once (not at every poll), so its bytes never become garbage events.
TEST_F(TailTest, CompressedFilesAreSkippedByTheirFirstBytes) {
    TailOptions o = Options();
    o.paths = {(dir_ / "logs" / "access.log*").string()};
    FileTailer t(o, sink_, counters_);
    Append("access.log", "live line\n");
    const std::string body = "\n\x01\x02 binary\nbytes\n";
    Append("access.log.1.gz", std::string("\x1f\x8b\x08\x00", 4) + body);
    Append("access.log.2.bz2", "BZh91AY&SY" + body);
    Append("access.log.3.xz", std::string("\xfd\x37\x7a\x58\x5a\x00", 6) + body);
    Append("access.log.4.zst", "\x28\xb5\x2f\xfd" + body);
    Append("access.log.5.lz4", "\x04\x22\x4d\x18" + body);
    Append("access.log.6.zip", "PK\x03\x04" + body);
    Append("access.log.7", std::string("\x1f\x8b\x08\x00", 4) + body);  // renamed: still gzip
    Poll(t);
    Poll(t);
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"live line"}));
    EXPECT_EQ(counters_.compressed_skipped, 7u);
    EXPECT_EQ(t.stats().files, 1u) << "skipped files hold no descriptor";
    // One still being compressed grows: looked at again, not counted again.
    Append("access.log.1.gz", body);
    Poll(t);
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"live line"}));
    EXPECT_EQ(counters_.compressed_skipped, 7u);
    // Another file on a skipped file's inode, text now (rewritten in place): read.
    {
        std::ofstream out(Log("access.log.7"), std::ios::trunc | std::ios::binary);
        out << "rewritten as text\n";
    }
    Poll(t);
    EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"live line", "rewritten as text"}));
    EXPECT_EQ(counters_.compressed_skipped, 7u);
}

// Only the first bytes decide: an empty file is read once it is written, and one whose first
// bytes merely begin a magic number ("B" of bzip2's "BZh") waits for more before it is read.
TEST_F(TailTest, AFileIsJudgedOnItsFirstBytesOnceItHasThem) {
    TailOptions o = Options();
    o.paths = {(dir_ / "logs" / "access.log*").string()};
    FileTailer t(o, sink_, counters_);
    Append("access.log", "");
    Append("access.log.1", "B");
    Poll(t);
    Poll(t);
    EXPECT_TRUE(sink_.Texts().empty());
    Append("access.log", "first line\n");
    Append("access.log.1", "Z is no bzip2 header\n");
    Append("access.log.2", "PK are the initials\n");
    // A line a sender wrote that starts like bzip2's header is text: the whole header is
    // needed ("BZh91AY&SY"), so a log cannot be skipped for good by its first line.
    Append("access.log.3", "BZh9 is what an attacker typed\n");
    Poll(t);
    std::vector<std::string> texts = sink_.Texts();
    std::sort(texts.begin(), texts.end());
    EXPECT_EQ(texts,
              (std::vector<std::string>{"BZ is no bzip2 header", "BZh9 is what an attacker typed",
                                        "PK are the initials", "first line"}));
    EXPECT_EQ(counters_.compressed_skipped, 0u);
    // Decided once: gzip's magic number written later into a text file is read as text.
    Append("access.log", std::string("\x1f\x8b", 2) + "x\n");
    Poll(t);
    EXPECT_EQ(sink_.Texts().size(), 5u);
}

}  // namespace
}  // namespace vigil::ingest
