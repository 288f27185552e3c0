#include "parse/evtx_xml.h"

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "base/strings.h"

namespace vigil::parse::internal {
namespace {

using event::ValueKind;
using Field = std::tuple<std::string, std::string, ValueKind>;

std::vector<Field> Convert(std::string_view xml) {
    EvtxXmlConverter converter;
    event::Event ev;
    Status st = converter.Convert(xml, ev);
    EXPECT_TRUE(st) << st.error().message;
    std::vector<Field> out;
    for (size_t i = 0; i < ev.size(); ++i) {
        auto f = ev.field(i);
        out.emplace_back(std::string(f.name), std::string(f.value), f.kind);
    }
    return out;
}

std::string ConvertError(std::string_view xml) {
    EvtxXmlConverter converter;
    event::Event ev;
    Status st = converter.Convert(xml, ev);
    return st ? "<no error>" : st.error().message;
}

// As libevtx renders a Sysmon record.
constexpr std::string_view kSysmon =
    R"(<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/>
    <EventID>1</EventID>
    <Keywords>0x8000000000000000</Keywords>
    <TimeCreated SystemTime="2025-11-27T07:40:10.165324000Z"/>
    <Correlation/>
    <Execution ProcessID="3544" ThreadID="4272"/>
    <Security UserID="S-1-5-18"/>
  </System>
  <EventData>
    <Data Name="CommandLine">cmd.exe /c "a &amp; b" &lt;x&gt;</Data>
    <Data Name="Empty"></Data>
    <Data Name="ProcessId">4460</Data>
  </EventData>
</Event>
)";

TEST(EvtxXml, NamesFieldsLikeEvtxDumpJson) {
    const std::string ns = "http://schemas.microsoft.com/win/2004/08/events/event";
    EXPECT_EQ(Convert(kSysmon),
              (std::vector<Field>{
                  {"Event.#attributes.xmlns", ns, ValueKind::kString},
                  {"Event.System.Provider.#attributes.Name", "Microsoft-Windows-Sysmon",
                   ValueKind::kString},
                  {"Event.System.Provider.#attributes.Guid",
                   "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}", ValueKind::kString},
                  {"Event.System.EventID", "1", ValueKind::kNumber},
                  {"Event.System.Keywords", "0x8000000000000000", ValueKind::kString},
                  {"Event.System.TimeCreated.#attributes.SystemTime",
                   "2025-11-27T07:40:10.165324000Z", ValueKind::kString},
                  {"Event.System.Correlation", "", ValueKind::kNull},
                  {"Event.System.Execution.#attributes.ProcessID", "3544", ValueKind::kNumber},
                  {"Event.System.Execution.#attributes.ThreadID", "4272", ValueKind::kNumber},
                  {"Event.System.Security.#attributes.UserID", "S-1-5-18", ValueKind::kString},
                  {"Event.EventData.CommandLine", R"(cmd.exe /c "a & b" <x>)", ValueKind::kString},
                  {"Event.EventData.Empty", "", ValueKind::kString},
                  {"Event.EventData.ProcessId", "4460", ValueKind::kString},
              }));
}

TEST(EvtxXml, SetsTheEventTime) {
    EvtxXmlConverter converter;
    event::Event ev;
    ASSERT_TRUE(converter.Convert(kSysmon, ev));
    EXPECT_EQ(ev.time_ns, *ParseTimestamp("2025-11-27T07:40:10.165324Z"));
}

TEST(EvtxXml, TimeOutsideTheNanosecondRangeIsIgnored) {
    EvtxXmlConverter converter;
    event::Event ev;
    ASSERT_TRUE(converter.Convert(
        R"(<Event><System><TimeCreated SystemTime="4051-01-01T00:00:00.0Z"/></System></Event>)",
        ev));
    EXPECT_EQ(ev.time_ns, 0);
    EXPECT_EQ(ev.Get("Event.System.TimeCreated.#attributes.SystemTime"), "4051-01-01T00:00:00.0Z");
}

TEST(EvtxXml, AttributesAndTextOnOneElement) {
    EXPECT_EQ(Convert(R"(<Event><System><EventID Qualifiers="16384">4902</EventID>)"
                      R"(<Level Qualifiers="">4</Level></System></Event>)"),
              (std::vector<Field>{
                  {"Event.System.EventID.#attributes.Qualifiers", "16384", ValueKind::kNumber},
                  {"Event.System.EventID.#text", "4902", ValueKind::kNumber},
                  // Empty attributes are dropped, as evtx_dump does.
                  {"Event.System.Level", "4", ValueKind::kNumber},
              }));
}

TEST(EvtxXml, UnnamedDataIsListedUnderDataText) {
    EXPECT_EQ(Convert("<Event><EventData><Data>a</Data><Data></Data><Data>b</Data>"
                      "<Binary>00FF</Binary></EventData></Event>"),
              (std::vector<Field>{
                  {"Event.EventData.Data.#text", "a", ValueKind::kString},
                  {"Event.EventData.Data.#text", "", ValueKind::kString},
                  {"Event.EventData.Data.#text", "b", ValueKind::kString},
                  {"Event.EventData.Binary", "00FF", ValueKind::kString},
              }));
}

TEST(EvtxXml, EventDataAttributesAndUserData) {
    EXPECT_EQ(
        Convert(
            R"(<Event><EventData Name="TaskDisabled"><Data Name="TaskName">\SR</Data>)"
            R"(<Data>ignored without a name</Data></EventData>)"
            R"(<UserData><Op xmlns="urn:x"><User>bob</User><Pid>1</Pid></Op></UserData></Event>)"),
        (std::vector<Field>{
            {"Event.EventData.#attributes.Name", "TaskDisabled", ValueKind::kString},
            {"Event.EventData.TaskName", R"(\SR)", ValueKind::kString},
            {"Event.UserData.Op.#attributes.xmlns", "urn:x", ValueKind::kString},
            {"Event.UserData.Op.User", "bob", ValueKind::kString},
            {"Event.UserData.Op.Pid", "1", ValueKind::kString},
        }));
}

TEST(EvtxXml, RepeatedElementsGetSuffixes) {
    EXPECT_EQ(Convert("<Event><UserData><Info><Header>a</Header><Header>b</Header>"
                      "<Other/><Header>c</Header></Info></UserData></Event>"),
              (std::vector<Field>{
                  {"Event.UserData.Info.Header", "a", ValueKind::kString},
                  {"Event.UserData.Info.Header_1", "b", ValueKind::kString},
                  {"Event.UserData.Info.Other", "", ValueKind::kNull},
                  {"Event.UserData.Info.Header_2", "c", ValueKind::kString},
              }));
}

TEST(EvtxXml, HexIntegersLoseLibevtxZeroPadding) {
    EXPECT_EQ(Convert("<Event><System><Keywords>0x8000000000000000</Keywords></System><EventData>"
                      "<Data Name=\"LogonId\">0x00000000000003e7</Data>"
                      "<Data Name=\"Status\">0x00000000</Data>"
                      "<Data Name=\"Other\">0x0000000g</Data></EventData></Event>"),
              (std::vector<Field>{
                  {"Event.System.Keywords", "0x8000000000000000", ValueKind::kString},
                  {"Event.EventData.LogonId", "0x3e7", ValueKind::kString},
                  {"Event.EventData.Status", "0x0", ValueKind::kString},
                  {"Event.EventData.Other", "0x0000000g", ValueKind::kString},
              }));
}

TEST(EvtxXml, KeepsCarriageReturnsAndWhitespaceInValues) {
    EXPECT_EQ(Convert("<Event><EventData><Data Name=\"T\">a\r\n  b </Data></EventData></Event>"),
              (std::vector<Field>{{"Event.EventData.T", "a\r\n  b ", ValueKind::kString}}));
}

TEST(EvtxXml, BadXmlIsAnError) {
    EXPECT_NE(ConvertError("<Event><System></Event>").find("invalid record XML at line 1"),
              std::string::npos);
    EXPECT_NE(ConvertError("<!DOCTYPE x [<!ENTITY a \"b\">]><Event>&a;</Event>")
                  .find("unexpected DOCTYPE"),
              std::string::npos);
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "<a>";
    for (int i = 0; i < 100; ++i) deep += "</a>";
    EXPECT_NE(ConvertError(deep).find("XML nesting deeper than 64"), std::string::npos);
    EXPECT_EQ(ConvertError(""), "invalid record XML at line 1, column 0: no element found");
}

TEST(EvtxXml, ConverterIsReusable) {
    EvtxXmlConverter converter;
    event::Event ev;
    ASSERT_FALSE(converter.Convert("<Event><a>", ev));
    ev.Clear();
    ASSERT_TRUE(converter.Convert("<Event><b>1</b></Event>", ev));
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev.field(0).name, "Event.b");
}

}  // namespace
}  // namespace vigil::parse::internal
