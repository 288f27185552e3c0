#pragma once
// Shared body of the line decoder fuzz targets: every line of the input, and the input as a
// single line, through the named decoders with the default limits and with small ones. A
// decoder may reject a line but must not crash, hang, exceed its field limit or report an
// error without a reason, or with an offset outside the line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "event/event.h"
#include "parse/decode.h"

namespace vigil::parse::fuzz {

inline void Check(bool ok) {
    if (!ok) std::abort();
}

// 2026-11-20T12:00:00Z, so RFC 3164 year inference does not depend on the wall clock.
inline constexpr int64_t kNow = 1795176000LL * 1000000000LL;

inline void CheckError(const Status& st, std::string_view line) {
    if (st) return;
    const std::string& m = st.error().message;
    Check(!m.empty());
    size_t at = m.find(": at byte ");
    if (at == std::string::npos) return;  // too long, or JsonDecoder's own wording
    size_t offset = std::strtoull(m.c_str() + at + 10, nullptr, 10);
    Check(offset <= line.size());
}

inline void DecodeLine(LineDecoder& d, std::string_view line, Format f, event::Event& ev) {
    Status st = d.Decode(line, f, ev);
    Check(ev.size() <= d.options().max_fields);
    CheckError(st, line);
    std::string json;
    ev.AppendJson(json);  // output must cope with whatever bytes the fields hold
}

inline void FuzzLines(const uint8_t* data, size_t size, std::initializer_list<Format> formats) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    static LineDecoder normal({.now_ns = kNow});
    static LineDecoder small({.max_line_bytes = 512, .max_fields = 8, .now_ns = kNow});
    event::Event ev;
    for (Format f : formats) {
        for (LineDecoder* d : {&normal, &small}) {
            DecodeLine(*d, input, f, ev);
            size_t pos = 0;
            while (pos <= input.size()) {
                size_t nl = input.find('\n', pos);
                std::string_view line = input.substr(
                    pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
                DecodeLine(*d, line, f, ev);
                if (nl == std::string_view::npos) break;
                pos = nl + 1;
            }
        }
    }
}

}  // namespace vigil::parse::fuzz
