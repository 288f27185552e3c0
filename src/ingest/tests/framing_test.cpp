#include "ingest/framing.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::ingest {
namespace {

// The frames, a cut one (the head of an oversized frame) followed by " [cut]".
std::vector<std::string> FrameAll(SyslogFramer& f, const std::vector<std::string>& chunks) {
    std::vector<std::string> out;
    auto add = [&](std::string_view frame, bool truncated) {
        out.emplace_back(std::string(frame) + (truncated ? " [cut]" : ""));
    };
    for (const auto& c : chunks) f.Feed(c, add);
    f.Finish(add);
    return out;
}

TEST(SyslogFramer, NewlineFramingWithCrLfNulAndBlankLines) {
    SyslogFramer f;
    auto frames =
        FrameAll(f, {"<13>one\n<13>two\r\n\n<13>thr", "ee", std::string("\0<13>four", 9)});
    EXPECT_EQ(frames, (std::vector<std::string>{"<13>one", "<13>two", "<13>three", "<13>four"}));
    EXPECT_EQ(f.stats().frames, 4u);
    EXPECT_EQ(f.stats().malformed, 0u);
}

TEST(SyslogFramer, OctetCountingSplitAnywhereAndMixedWithLines) {
    const std::string stream = "11 <13>a b\nc d9 <13>x\ny z<13>line\n";
    // "11 " frames "<13>a b\nc d" (a newline inside an octet-counted frame is data).
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
        SyslogFramer f;
        auto frames = FrameAll(f, {stream.substr(0, cut), stream.substr(cut)});
        EXPECT_EQ(frames, (std::vector<std::string>{"<13>a b\nc d", "<13>x\ny z", "<13>line"}))
            << "cut at " << cut;
    }
}

// An oversized frame keeps its head (the limit's length), marked as cut and counted; the rest
// of it is skipped and the frames after it are intact. Padding a message past the limit must
// not make it disappear.
TEST(SyslogFramer, OversizedFramesKeepTheirHeadMarkedAndCounted) {
    SyslogFramer f(16);
    auto frames = FrameAll(f, {"<13>ok\n", "<13>MARKER " + std::string(100, 'x') + "\n",
                               "20 <13>COUNTED " + std::string(8, 'y'), "<13>after\n"});
    EXPECT_EQ(frames, (std::vector<std::string>{"<13>ok", "<13>MARKER xxxxx [cut]",
                                                "<13>COUNTED yyyy [cut]", "<13>after"}));
    EXPECT_EQ(f.stats().oversized, 2u);
    EXPECT_NE(f.stats().last_error.find("over the limit"), std::string::npos);
    EXPECT_NE(f.stats().last_error.find("head kept"), std::string::npos);
}

// The same at every split point of the stream: the head is taken across reads, the rest of an
// octet-counted frame skipped by its count (a newline inside it is data), that of a line up to
// its newline.
TEST(SyslogFramer, OversizedFramesSplitAnywhere) {
    const std::string stream = "<13>ok\n32 <13>abcdefghijkl\nmnopqrstuvwxyz\n" +
                               std::string("<13>") + std::string(40, 'L') + "\n9 <13>after";
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
        SyslogFramer f(16);
        auto frames = FrameAll(f, {stream.substr(0, cut), stream.substr(cut)});
        EXPECT_EQ(frames, (std::vector<std::string>{"<13>ok", "<13>abcdefghijkl [cut]",
                                                    "<13>LLLLLLLLLLLL [cut]", "<13>after"}))
            << "cut at " << cut;
        EXPECT_EQ(f.stats().oversized, 2u) << "cut at " << cut;
        EXPECT_EQ(f.stats().malformed, 0u) << "cut at " << cut;
    }
}

// A line of exactly the limit fits, with LF or CRLF; one byte more is cut.
TEST(SyslogFramer, LineOfTheLimitsLengthIsWhole) {
    SyslogFramer f(16);
    const std::string line = "<13>" + std::string(12, 'a');
    EXPECT_EQ(FrameAll(f, {line + "\n" + line + "\r\n" + line + "b\n"}),
              (std::vector<std::string>{line, line, line + " [cut]"}));
    EXPECT_EQ(f.stats().oversized, 1u);
}

TEST(SyslogFramer, BadOctetCountsResynchroniseAtTheNextLine) {
    SyslogFramer f;
    auto frames = FrameAll(f, {"12345678901234 junk\n<13>good\n"});
    EXPECT_EQ(frames, (std::vector<std::string>{"<13>good"}));
    EXPECT_EQ(f.stats().malformed, 1u);
    EXPECT_NE(f.stats().last_error.find("octet count"), std::string::npos);
    // A line that merely starts with digits is a line.
    SyslogFramer g;
    EXPECT_EQ(FrameAll(g, {"2026-11-21 app started\n"}),
              (std::vector<std::string>{"2026-11-21 app started"}));
}

// A sender closing inside an octet-counted frame: the part that came is kept, marked cut, and
// the frame counted malformed with the reason.
TEST(SyslogFramer, TruncatedOctetCountedFrameAtEndIsKeptCutAndMalformed) {
    SyslogFramer f;
    auto frames = FrameAll(f, {"9 <13>whole30 <13>only part"});
    EXPECT_EQ(frames, (std::vector<std::string>{"<13>whole", "<13>only part [cut]"}));
    EXPECT_EQ(f.stats().malformed, 1u);
    EXPECT_NE(f.stats().last_error.find("ended inside"), std::string::npos);
    EXPECT_NE(f.stats().last_error.find("kept"), std::string::npos);
    // Closed right after the count: nothing to keep, still counted.
    SyslogFramer g;
    EXPECT_TRUE(FrameAll(g, {"30 "}).empty());
    EXPECT_EQ(g.stats().malformed, 1u);
}

// A CRLF line of exactly the limit is whole wherever the reads split it, between its CR and LF
// too; a lone CR past the limit is cut like any other byte.
TEST(SyslogFramer, CrLfLineOfTheLimitsLengthIsWholeAtEverySplit) {
    const std::string line = "<13>" + std::string(12, 'a');
    const std::string stream = line + "\r\n" + line + "\rb\n<13>after\n";
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
        SyslogFramer f(16);
        auto frames = FrameAll(f, {stream.substr(0, cut), stream.substr(cut)});
        EXPECT_EQ(frames, (std::vector<std::string>{line, line + " [cut]", "<13>after"}))
            << "cut at " << cut;
        EXPECT_EQ(f.stats().oversized, 1u) << "cut at " << cut;
    }
}

TEST(SyslogFramer, MemoryStaysBoundedOnAnEndlessLine) {
    SyslogFramer f(1024);
    std::vector<std::string> out;
    auto add = [&](std::string_view frame, bool) { out.emplace_back(frame); };
    const std::string chunk(4096, 'a');
    for (int i = 0; i < 1000; ++i) {
        f.Feed(chunk, add);
        ASSERT_LE(f.buffered(), 1024u);
    }
    f.Feed("\n<13>next\n", add);
    EXPECT_EQ(out, (std::vector<std::string>{std::string(1024, 'a'), "<13>next"}));
    EXPECT_EQ(f.stats().oversized, 1u);
    // An octet count far past the limit holds no more than the limit either.
    SyslogFramer g(1024);
    out.clear();
    g.Feed("999999999 ", add);
    for (int i = 0; i < 1000; ++i) {
        g.Feed(chunk, add);
        ASSERT_LE(g.buffered(), 1024u);
    }
    EXPECT_EQ(out, (std::vector<std::string>{std::string(1024, 'a')}));
}

}  // namespace
}  // namespace vigil::ingest
