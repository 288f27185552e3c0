// libFuzzer target for the JSON path: JsonDecoder on the whole input, and the input as a
// JSON stream split into records, each record decoded in turn. The stream is split twice,
// fed whole and in uneven chunks, and both must give the same records.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "event/event.h"
#include "parse/json.h"
#include "parse/json_stream.h"

namespace {

using vigil::parse::JsonDecoder;
using vigil::parse::Record;
using vigil::parse::RecordKind;
using vigil::parse::internal::JsonStreamSplitter;

void Check(bool ok) {
    if (!ok) std::abort();
}

struct Out {
    RecordKind kind;
    uint64_t line;
    std::string data;
    std::string error;
    bool operator==(const Out&) const = default;
};

std::vector<Out> Split(std::string_view input, size_t step, size_t max_record,
                       JsonDecoder& decoder) {
    JsonStreamSplitter splitter(max_record);
    std::vector<Out> out;
    Record rec;
    vigil::event::Event ev;
    size_t pos = 0;
    for (;;) {
        while (splitter.Next(rec)) {
            Check(rec.sequence == out.size());
            Check(rec.line >= 1);
            if (rec.kind == RecordKind::kJson) {
                Check(!rec.data.empty() && rec.data.front() == '{');
                Check(rec.data.size() <= max_record);
                ev.Clear();
                (void)decoder.Decode(rec.data, ev);
            } else {
                Check(rec.kind == RecordKind::kMalformed && !rec.error.empty());
                Check(rec.data.size() <= vigil::parse::internal::kMalformedSampleBytes);
            }
            out.push_back({rec.kind, rec.line, rec.data, rec.error});
        }
        if (pos > input.size()) break;
        if (pos == input.size()) {
            splitter.Finish();
            ++pos;
            continue;
        }
        const size_t n = std::min(step, input.size() - pos);
        splitter.Feed(input.substr(pos, n));
        pos += n;
    }
    Check(splitter.buffered() == 0);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    static JsonDecoder decoder;
    static JsonDecoder small_decoder({.max_bytes = 4096, .max_depth = 8, .max_fields = 16});
    vigil::event::Event ev;
    (void)decoder.Decode(input, ev);
    ev.Clear();
    (void)small_decoder.Decode(input, ev);

    // Chunk sizes derived from the input, so the fuzzer explores the boundaries too.
    const size_t step = size == 0 ? 1 : 1 + data[size - 1] % 31;
    const size_t whole = size + 1;
    Check(Split(input, whole, vigil::limits::kMaxEventBytes, decoder) ==
          Split(input, step, vigil::limits::kMaxEventBytes, decoder));
    // A small limit exercises the oversized-record paths.
    Check(Split(input, whole, 64, small_decoder) == Split(input, step, 64, small_decoder));
    return 0;
}
