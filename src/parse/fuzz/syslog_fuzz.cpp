// libFuzzer target for syslog (RFC 5424 and RFC 3164 headers, structured data, and the decoders of
// the MSG): see decode_fuzz.h for what must hold.
#include <cstddef>
#include <cstdint>

#include "decode_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using vigil::parse::Format;
    vigil::parse::fuzz::FuzzLines(data, size,
                                  {Format::kSyslog, Format::kRfc3164, Format::kRfc5424});
    return 0;
}
