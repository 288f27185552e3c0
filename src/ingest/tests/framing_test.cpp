#include "ingest/framing.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::ingest {
namespace {

std::vector<std::string> FrameAll(SyslogFramer& f, const std::vector<std::string>& chunks) {
    std::vector<std::string> out;
    auto add = [&](std::string_view frame) { out.emplace_back(frame); };
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

TEST(SyslogFramer, OversizedFramesAreSkippedAndCounted) {
    SyslogFramer f(16);
    auto frames = FrameAll(
        f, {"<13>ok\n", std::string(100, 'x') + "\n", "20 " + std::string(20, 'y'), "<13>after\n"});
    EXPECT_EQ(frames, (std::vector<std::string>{"<13>ok", "<13>after"}));
    EXPECT_EQ(f.stats().oversized, 2u);
    EXPECT_NE(f.stats().last_error.find("over the limit"), std::string::npos);
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

TEST(SyslogFramer, TruncatedOctetCountedFrameAtEndIsMalformed) {
    SyslogFramer f;
    auto frames = FrameAll(f, {"30 <13>only part"});
    EXPECT_TRUE(frames.empty());
    EXPECT_EQ(f.stats().malformed, 1u);
    EXPECT_NE(f.stats().last_error.find("ended inside"), std::string::npos);
}

TEST(SyslogFramer, MemoryStaysBoundedOnAnEndlessLine) {
    SyslogFramer f(1024);
    std::vector<std::string> out;
    auto add = [&](std::string_view frame) { out.emplace_back(frame); };
    const std::string chunk(4096, 'a');
    for (int i = 0; i < 1000; ++i) {
        f.Feed(chunk, add);
        ASSERT_LE(f.buffered(), 1024u);
    }
    f.Feed("\n<13>next\n", add);
    EXPECT_EQ(out, (std::vector<std::string>{"<13>next"}));
    EXPECT_EQ(f.stats().oversized, 1u);
}

}  // namespace
}  // namespace vigil::ingest
