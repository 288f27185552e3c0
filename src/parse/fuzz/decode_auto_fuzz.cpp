// libFuzzer target for the auto-detecting front door and the JSON shapes (plain, Suricata EVE,
// Windows): see decode_fuzz.h for what must hold.
#include <cstddef>
#include <cstdint>

#include "decode_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using vigil::parse::Format;
    vigil::parse::fuzz::FuzzLines(
        data, size, {Format::kAuto, Format::kJson, Format::kSuricata, Format::kWinJson});
    return 0;
}
