// libFuzzer target for the EVTX path after libevtx: record XML -> Event fields.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "event/event.h"
#include "parse/evtx_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static vigil::parse::internal::EvtxXmlConverter converter;
    vigil::event::Event ev;
    (void)converter.Convert(std::string_view(reinterpret_cast<const char*>(data), size), ev);
    return 0;
}
