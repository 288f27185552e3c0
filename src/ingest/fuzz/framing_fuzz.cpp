// libFuzzer target: RFC 6587 framing over arbitrary byte streams, split at an arbitrary point.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/framing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    vigil::ingest::SyslogFramer framer(256);
    size_t total = 0;
    auto on_frame = [&](std::string_view frame) {
        if (frame.empty() || frame.size() > 256) __builtin_trap();
        total += frame.size();
    };
    const size_t cut = size > 0 ? data[0] % (size + 1) : 0;
    framer.Feed(in.substr(0, cut), on_frame);
    framer.Feed(in.substr(cut), on_frame);
    framer.Finish(on_frame);
    if (total > size) __builtin_trap();
    return 0;
}
