// libFuzzer target for sshd, sudo and PAM messages: see decode_fuzz.h for what must hold.
#include <cstddef>
#include <cstdint>

#include "decode_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using vigil::parse::Format;
    vigil::parse::fuzz::FuzzLines(data, size, {Format::kAuth});
    return 0;
}
