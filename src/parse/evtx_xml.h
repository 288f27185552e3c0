#pragma once
// Private to parse/: turns the XML that libevtx renders for one record into Event fields
// named exactly as evtx_dump's JSON output flattened by JsonDecoder, so rules and field
// mappings written against `evtx_dump -o json` work on .evtx files unchanged:
//
//   <Provider Name="X"/>                 -> Event.System.Provider.#attributes.Name = X
//   <EventID>7</EventID>                 -> Event.System.EventID = 7 (kNumber)
//   <Correlation/>                       -> Event.System.Correlation (kNull)
//   <EventID Qualifiers="1">7</EventID>  -> ...EventID.#attributes.Qualifiers, ...EventID.#text
//   <Data Name="Image">x</Data>          -> Event.EventData.Image = x
//   <Data>a</Data><Data>b</Data>         -> Event.EventData.Data.#text = a, = b
//   <Header>a</Header><Header>b</Header> -> ...Header = a, ...Header_1 = b

#include <memory>
#include <string_view>

#include "base/result.h"
#include "event/event.h"

namespace vigil::parse::internal {

class EvtxXmlConverter {
public:
    EvtxXmlConverter();
    ~EvtxXmlConverter();
    EvtxXmlConverter(const EvtxXmlConverter&) = delete;
    EvtxXmlConverter& operator=(const EvtxXmlConverter&) = delete;

    // Appends the fields of one record's XML to ev and sets ev.time_ns from
    // System/TimeCreated when present.
    Status Convert(std::string_view xml, event::Event& ev);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::parse::internal
