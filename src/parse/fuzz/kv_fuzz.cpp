// libFuzzer target for the key=value family (CEF, LEEF 1.0/2.0, generic key=value): see
// decode_fuzz.h for what must hold.
#include <cstddef>
#include <cstdint>

#include "decode_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using vigil::parse::Format;
    vigil::parse::fuzz::FuzzLines(data, size, {Format::kCef, Format::kLeef, Format::kKv});
    return 0;
}
