// libFuzzer target: RFC 6587 framing over arbitrary byte streams, split at an arbitrary point,
// and the frames through an AuditJoiner with tight bounds (every frame comes out exactly once,
// in order, and no joined message exceeds the bound unless one record alone does).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/audit_join.h"
#include "ingest/framing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    vigil::ingest::SyslogFramer framer(256);
    vigil::ingest::AuditJoiner joiner({.max_records = 3, .max_bytes = 300});
    std::vector<vigil::ingest::RawMessage> out;
    std::string frames;  // every frame, '\n' after each
    size_t total = 0;
    auto on_frame = [&](std::string_view frame, bool) {
        if (frame.empty() || frame.size() > 256) __builtin_trap();
        total += frame.size();
        frames.append(frame).push_back('\n');
        vigil::ingest::RawMessage m;
        m.bytes.assign(frame);
        joiner.Add(std::move(m), out);
    };
    const size_t cut = size > 0 ? data[0] % (size + 1) : 0;
    framer.Feed(in.substr(0, cut), on_frame);
    framer.Feed(in.substr(cut), on_frame);
    framer.Finish(on_frame);
    joiner.Flush(out);
    if (total > size) __builtin_trap();
    std::string joined;
    for (const auto& m : out) {
        if (m.bytes.size() > 300 && m.bytes.size() > 256) __builtin_trap();
        joined.append(m.bytes).push_back('\n');
    }
    if (joined != frames) __builtin_trap();
    return 0;
}
