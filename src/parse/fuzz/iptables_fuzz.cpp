// libFuzzer target for netfilter (iptables / nftables) kernel log lines: see decode_fuzz.h for what
// must hold.
#include <cstddef>
#include <cstdint>

#include "decode_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using vigil::parse::Format;
    vigil::parse::fuzz::FuzzLines(data, size, {Format::kIptables});
    return 0;
}
