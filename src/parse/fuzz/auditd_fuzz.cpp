// libFuzzer target for auditd records: each line decoded alone, and the lines grouped by
// AuditdAssembler with tight bounds; open events never exceed max_open and every line ends
// up in an emitted event or an error.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "decode_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using vigil::parse::AuditdAssembler;
    using vigil::parse::Format;
    using vigil::parse::fuzz::Check;
    vigil::parse::fuzz::FuzzLines(data, size, {Format::kAuditd});

    static vigil::parse::LineDecoder decoder(
        {.max_fields = 32, .now_ns = vigil::parse::fuzz::kNow});
    AuditdAssembler assembler(decoder, {.max_records = 4, .max_open = 3, .max_age_ns = 1000});
    std::vector<vigil::event::Event> out;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    size_t pos = 0;
    while (pos < input.size()) {
        size_t nl = input.find('\n', pos);
        if (nl == std::string_view::npos) nl = input.size();
        vigil::Status st = assembler.Add(input.substr(pos, nl - pos), out);
        vigil::parse::fuzz::CheckError(st, input.substr(pos, nl - pos));
        Check(assembler.open() <= 3);
        pos = nl + 1;
    }
    assembler.Flush(out);
    Check(assembler.open() == 0);
    for (const auto& ev : out) Check(ev.size() <= 32);
    return 0;
}
