#include "parse/evtx_xml.h"

#include <expat.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/limits.h"
#include "base/strings.h"

namespace vigil::parse::internal {

namespace {

using event::ValueKind;

// Elements per record; far above what Windows writes (a few dozen), low enough that a
// crafted record cannot make us build a huge tree.
constexpr size_t kMaxXmlElements = 4 * limits::kMaxEventFields;
// evtx_dump tracks this many distinct child names per element for its "_N" suffixes.
constexpr size_t kMaxSuffixNames = 64;

struct ParserDeleter {
    void operator()(XML_ParserStruct* p) const { XML_ParserFree(p); }
};

struct Node {
    std::string name;
    std::string text;
    uint32_t attr_begin = 0;
    uint32_t attr_count = 0;
    int32_t first_child = -1;
    int32_t last_child = -1;
    int32_t next_sibling = -1;
};

struct Attr {
    std::string name;
    std::string value;
};

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool AllDigits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

// "0x" and 8 or 16 hex digits, the first a zero: how libevtx writes hexadecimal integers.
bool IsPaddedHex(std::string_view s) {
    if ((s.size() != 10 && s.size() != 18) || s[0] != '0' || s[1] != 'x' || s[2] != '0') {
        return false;
    }
    for (size_t i = 3; i < s.size(); ++i) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

bool IsDataContainer(std::string_view name) { return name == "EventData" || name == "UserData"; }

}  // namespace

struct EvtxXmlConverter::Impl {
    Impl() : parser(XML_ParserCreate("UTF-8")) {}

    Status Convert(std::string_view xml, event::Event& ev);

    // Tree building (expat callbacks).
    static void OnStart(void* self, const XML_Char* name, const XML_Char** atts);
    static void OnEnd(void* self, const XML_Char* name);
    static void OnText(void* self, const XML_Char* s, int len);
    static void OnDoctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int);
    void Stop(std::string why);

    // Field emission, mirroring evtx's JSON renderer (ir_json.rs) then our flattening.
    Status EmitValue(const Node& node, bool child_is_container);
    Status EmitBody(const Node& node, bool in_data_container);
    Status EmitDataValue(const Node& node);
    Status Add(std::string_view value, ValueKind kind);
    std::string_view Text(const Node& node) const;
    std::string_view FindAttr(const Node& node, std::string_view name) const;
    ValueKind KindOf(std::string_view value) const;

    std::unique_ptr<XML_ParserStruct, ParserDeleter> parser;
    std::vector<Node> nodes;  // nodes[0..node_count) are this record's; the rest keep capacity
    size_t node_count = 0;
    std::vector<Attr> attrs;
    size_t attr_count = 0;
    std::vector<int32_t> stack;
    std::string error;    // set by a callback that stopped the parser
    std::string escaped;  // the record with '\r' protected from XML newline normalisation
    std::string hex;      // a value being unpadded

    event::Event* ev = nullptr;
    std::string key;
    size_t fields = 0;
};

void EvtxXmlConverter::Impl::Stop(std::string why) {
    if (error.empty()) error = std::move(why);
    XML_StopParser(parser.get(), XML_FALSE);
}

void EvtxXmlConverter::Impl::OnStart(void* p, const XML_Char* name, const XML_Char** atts) {
    auto* self = static_cast<Impl*>(p);
    if (self->stack.size() >= limits::kMaxJsonDepth) {
        return self->Stop("XML nesting deeper than " + std::to_string(limits::kMaxJsonDepth));
    }
    if (self->node_count >= kMaxXmlElements) {
        return self->Stop("more than " + std::to_string(kMaxXmlElements) + " XML elements");
    }
    if (self->node_count == self->nodes.size()) self->nodes.emplace_back();
    const auto index = static_cast<int32_t>(self->node_count++);
    Node& node = self->nodes[static_cast<size_t>(index)];
    node.name.assign(name);
    node.text.clear();
    node.first_child = node.last_child = node.next_sibling = -1;
    node.attr_begin = static_cast<uint32_t>(self->attr_count);
    node.attr_count = 0;
    for (size_t i = 0; atts[i] != nullptr; i += 2) {
        if (self->attr_count == self->attrs.size()) self->attrs.emplace_back();
        Attr& a = self->attrs[self->attr_count++];
        a.name.assign(atts[i]);
        a.value.assign(atts[i + 1]);
        ++node.attr_count;
    }
    if (!self->stack.empty()) {
        Node& parent = self->nodes[static_cast<size_t>(self->stack.back())];
        if (parent.last_child < 0) {
            parent.first_child = index;
        } else {
            self->nodes[static_cast<size_t>(parent.last_child)].next_sibling = index;
        }
        parent.last_child = index;
    }
    self->stack.push_back(index);
}

void EvtxXmlConverter::Impl::OnEnd(void* p, const XML_Char*) {
    static_cast<Impl*>(p)->stack.pop_back();
}

void EvtxXmlConverter::Impl::OnText(void* p, const XML_Char* s, int len) {
    auto* self = static_cast<Impl*>(p);
    if (self->stack.empty()) return;
    std::string& text = self->nodes[static_cast<size_t>(self->stack.back())].text;
    if (text.size() + static_cast<size_t>(len) > limits::kMaxEventBytes) {
        return self->Stop("XML text longer than the record limit");
    }
    text.append(s, static_cast<size_t>(len));
}

void EvtxXmlConverter::Impl::OnDoctype(void* p, const XML_Char*, const XML_Char*, const XML_Char*,
                                       int) {
    // libevtx never writes one; a DTD could only come from a crafted record.
    static_cast<Impl*>(p)->Stop("unexpected DOCTYPE in record XML");
}

std::string_view EvtxXmlConverter::Impl::Text(const Node& node) const {
    std::string_view t = node.text;
    if (node.first_child < 0) return t;
    // Between child elements libevtx writes indentation, which is not part of the data.
    while (!t.empty() && IsXmlSpace(t.front())) t.remove_prefix(1);
    while (!t.empty() && IsXmlSpace(t.back())) t.remove_suffix(1);
    return t;
}

std::string_view EvtxXmlConverter::Impl::FindAttr(const Node& node, std::string_view name) const {
    for (uint32_t i = 0; i < node.attr_count; ++i) {
        const Attr& a = attrs[node.attr_begin + i];
        if (a.name == name) return a.value;
    }
    return {};
}

ValueKind EvtxXmlConverter::Impl::KindOf(std::string_view value) const {
    // evtx_dump writes System's integer values (EventID, Level, ProcessID...) as numbers.
    return StartsWith(key, "Event.System.") && AllDigits(value) ? ValueKind::kNumber
                                                                : ValueKind::kString;
}

Status EvtxXmlConverter::Impl::Add(std::string_view value, ValueKind kind) {
    if (IsPaddedHex(value)) {
        // libevtx zero-pads HexInt32/HexInt64 values ("0x00000000000003e7"); Windows and
        // evtx_dump write "0x3e7", which is what rules (LogonId: '0x3e7') are written against.
        size_t first = value.find_first_not_of('0', 2);
        hex.assign("0x");
        hex.append(first == std::string_view::npos ? "0" : value.substr(first));
        value = hex;
    }
    if (++fields > limits::kMaxEventFields) {
        return ResourceExhausted("field limit " + std::to_string(limits::kMaxEventFields) +
                                 " exceeded");
    }
    ev->Add(key, value, kind);
    return Ok();
}

Status EvtxXmlConverter::Impl::EmitValue(const Node& node, bool child_is_container) {
    std::string_view text = Text(node);
    bool attr_text = false;
    for (uint32_t i = 0; i < node.attr_count && !attr_text; ++i) {
        attr_text = !attrs[node.attr_begin + i].value.empty();
    }
    if (node.first_child < 0 && !attr_text) {
        return text.empty() ? Add({}, ValueKind::kNull) : Add(text, KindOf(text));
    }
    return EmitBody(node, child_is_container);
}

// A <Data> element inside EventData/UserData: empty is "" rather than null.
Status EvtxXmlConverter::Impl::EmitDataValue(const Node& node) {
    if (node.first_child >= 0) return EmitBody(node, false);
    std::string_view text = Text(node);
    return Add(text, text.empty() ? ValueKind::kString : KindOf(text));
}

Status EvtxXmlConverter::Impl::EmitBody(const Node& node, bool in_data_container) {
    const size_t base = key.size();
    for (uint32_t i = 0; i < node.attr_count; ++i) {
        const Attr& a = attrs[node.attr_begin + i];
        if (a.value.empty()) continue;
        key.append(".#attributes.").append(a.name);
        Status st = Add(a.value, KindOf(a.value));
        key.resize(base);
        if (!st) return st;
    }
    if (std::string_view text = Text(node); !text.empty()) {
        key.append(".#text");
        Status st = Add(text, KindOf(text));
        key.resize(base);
        if (!st) return st;
    }

    // Inside EventData/UserData, <Data Name="X"> becomes X; without any Name the values are
    // listed under Data.#text.
    bool named_data = false;
    if (in_data_container) {
        for (int32_t c = node.first_child; c >= 0 && !named_data; c = nodes[c].next_sibling) {
            named_data = nodes[c].name == "Data" && !FindAttr(nodes[c], "Name").empty();
        }
    }
    bool positional_done = false;
    std::array<std::pair<std::string_view, uint32_t>, kMaxSuffixNames> seen;
    size_t seen_count = 0;

    for (int32_t c = node.first_child; c >= 0; c = nodes[c].next_sibling) {
        const Node& child = nodes[static_cast<size_t>(c)];
        Status st;
        if (in_data_container && child.name == "Data") {
            if (named_data) {
                std::string_view name = FindAttr(child, "Name");
                if (name.empty()) continue;
                key.append(".").append(name);
                st = EmitDataValue(child);
            } else if (!positional_done) {
                positional_done = true;
                key.append(".Data.#text");
                for (int32_t d = c; d >= 0 && st; d = nodes[d].next_sibling) {
                    if (nodes[d].name == "Data") st = EmitDataValue(nodes[d]);
                }
            }
        } else {
            // Repeated names get evtx_dump's suffixes: Header, Header_1, Header_2...
            uint32_t suffix = 0;
            size_t i = 0;
            while (i < seen_count && seen[i].first != child.name) ++i;
            if (i < seen_count) {
                suffix = seen[i].second++;
            } else if (seen_count < kMaxSuffixNames) {
                seen[seen_count++] = {child.name, 1};
            }
            key.append(".").append(child.name);
            if (suffix > 0) key.append("_").append(std::to_string(suffix));
            st = EmitValue(child, IsDataContainer(child.name));
        }
        key.resize(base);
        if (!st) return st;
    }
    return Ok();
}

Status EvtxXmlConverter::Impl::Convert(std::string_view xml, event::Event& out) {
    if (!parser) return Internal("cannot create the XML parser");
    if (xml.size() > limits::kMaxEventBytes) {
        return ResourceExhausted("record XML exceeds " +
                                 std::to_string(limits::kMaxEventBytes >> 20) + " MiB");
    }
    // XML parsers turn "\r\n" into "\n"; evtx_dump keeps the bytes, so do we.
    if (xml.find('\r') != std::string_view::npos) {
        escaped.clear();
        for (char c : xml) {
            if (c == '\r') {
                escaped.append("&#13;");
            } else {
                escaped.push_back(c);
            }
        }
        xml = escaped;
    }

    XML_ParserReset(parser.get(), "UTF-8");
    XML_SetUserData(parser.get(), this);
    XML_SetElementHandler(parser.get(), &Impl::OnStart, &Impl::OnEnd);
    XML_SetCharacterDataHandler(parser.get(), &Impl::OnText);
    XML_SetStartDoctypeDeclHandler(parser.get(), &Impl::OnDoctype);
    node_count = 0;
    attr_count = 0;
    stack.clear();
    error.clear();

    const char* data = xml.data();
    size_t left = xml.size();
    XML_Status status = XML_STATUS_OK;
    // XML_Parse takes an int length.
    do {
        const int n = static_cast<int>(std::min<size_t>(left, 1 << 30));
        left -= static_cast<size_t>(n);
        status = XML_Parse(parser.get(), data, n, left == 0);
        data += n;
    } while (status == XML_STATUS_OK && left > 0);
    if (status != XML_STATUS_OK || !error.empty()) {
        std::string msg = "invalid record XML at line " +
                          std::to_string(XML_GetCurrentLineNumber(parser.get())) + ", column " +
                          std::to_string(XML_GetCurrentColumnNumber(parser.get())) + ": ";
        msg += error.empty() ? XML_ErrorString(XML_GetErrorCode(parser.get())) : error;
        return InvalidArgument(std::move(msg));
    }
    if (node_count == 0) return InvalidArgument("record XML has no element");

    ev = &out;
    fields = 0;
    const Node& root = nodes[0];
    key.assign(root.name);
    Status st = EmitValue(root, IsDataContainer(root.name));
    ev = nullptr;
    if (!st) return st;
    if (auto t = ParseTimestamp(out.Get("Event.System.TimeCreated.#attributes.SystemTime"))) {
        out.time_ns = *t;
    }
    return Ok();
}

EvtxXmlConverter::EvtxXmlConverter() : impl_(std::make_unique<Impl>()) {}
EvtxXmlConverter::~EvtxXmlConverter() = default;

Status EvtxXmlConverter::Convert(std::string_view xml, event::Event& ev) {
    return impl_->Convert(xml, ev);
}

}  // namespace vigil::parse::internal
