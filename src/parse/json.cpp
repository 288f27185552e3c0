#include "parse/json.h"

#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <string>

#include "base/strings.h"

namespace vigil::parse {

namespace {

namespace dom = simdjson::dom;
namespace ondemand = simdjson::ondemand;

constexpr std::string_view kBroken = "invalid JSON";

const char* TypeName(dom::element_type t) {
    switch (t) {
        case dom::element_type::ARRAY:
            return "an array";
        case dom::element_type::OBJECT:
            return "an object";
        case dom::element_type::STRING:
            return "a string";
        case dom::element_type::INT64:
        case dom::element_type::UINT64:
        case dom::element_type::DOUBLE:
            return "a number";
        case dom::element_type::BOOL:
            return "a boolean";
        case dom::element_type::NULL_VALUE:
            return "null";
    }
    return "unknown";
}

// Bad text a sender's JSON may hold that a strict parser refuses with the whole document:
// bytes that are not UTF-8 (a file name with byte 0xFF) and \u escapes of lone surrogates (what
// Python's json.dumps writes for such a name: "\udcff"). Each is replaced by U+FFFD (the raw
// line keeps the bytes), so one value does not leave the event without fields. False when there
// is nothing to replace.
bool RepairText(std::string_view json, std::string& out) {
    out.clear();
    bool changed = false;
    bool in_string = false;
    const auto hex4 = [&](size_t at) -> int {  // the 4 hex digits at `at`, -1 if not
        if (at + 4 > json.size()) return -1;
        int v = 0;
        for (size_t k = at; k < at + 4; ++k) {
            const int d = HexDigit(json[k]);
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        return v;
    };
    for (size_t i = 0; i < json.size();) {
        const auto c = static_cast<unsigned char>(json[i]);
        if (c >= 0x80) {
            const size_t n = Utf8SequenceAt(json, i);
            if (n == 0) {
                out += "\xEF\xBF\xBD";
                changed = true;
                ++i;
            } else {
                out.append(json, i, n);
                i += n;
            }
            continue;
        }
        if (c == '"') in_string = !in_string;
        if (in_string && c == '\\' && i + 1 < json.size()) {
            if (json[i + 1] == 'u') {
                const int u = hex4(i + 2);
                if (u >= 0xD800 && u <= 0xDBFF) {
                    const int low = i + 7 < json.size() && json[i + 6] == '\\' && json[i + 7] == 'u'
                                        ? hex4(i + 8)
                                        : -1;
                    if (low >= 0xDC00 && low <= 0xDFFF) {  // a pair: kept
                        out.append(json, i, 12);
                        i += 12;
                        continue;
                    }
                }
                if (u >= 0xD800 && u <= 0xDFFF) {  // alone
                    out += "\\ufffd";
                    changed = true;
                    i += 6;
                    continue;
                }
            }
            out.append(json, i, 2);  // an escape: its second character cannot end the string
            i += 2;
            continue;
        }
        out.push_back(static_cast<char>(c));
        ++i;
    }
    return changed;
}

}  // namespace

struct JsonDecoder::Impl {
    explicit Impl(JsonLimits l) : limits(l) {}

    Status Decode(std::string_view json, bool padded, event::Event& ev);
    Status Walk(dom::element el, size_t depth, event::Event& ev);
    Status ReadOnDemand(std::string_view json, event::Event* ev, int64_t& at);
    Status WalkOnDemand(ondemand::value v, size_t depth, event::Event* ev);
    Status Add(std::string_view value, event::ValueKind kind, event::Event& ev);
    Error ParseError(simdjson::error_code code, std::string_view json);

    JsonLimits limits;
    std::string repaired;  // a document with bad text, as RepairText gives it
    bool repairing = false;
    dom::parser parser;
    bool allocated = false;
    std::unique_ptr<ondemand::parser> on_demand;  // created on the first document the DOM refuses
    std::string padded;                           // a copy of that document, padded
    std::string key;                              // dotted name of the current value
    size_t fields = 0;                            // fields added by the current Decode
    char number[64];  // a double in full: up to 21 digits before the point, 24 after
};

Status JsonDecoder::Impl::Add(std::string_view value, event::ValueKind kind, event::Event& ev) {
    if (++fields > limits.max_fields) {
        return ResourceExhausted("field limit " + std::to_string(limits.max_fields) + " exceeded");
    }
    ev.Add(key, value, kind);
    return Ok();
}

Status JsonDecoder::Impl::Walk(dom::element el, size_t depth, event::Event& ev) {
    using event::ValueKind;
    switch (el.type()) {
        case dom::element_type::OBJECT: {
            if (depth > limits.max_depth) break;
            const size_t base = key.size();
            const dom::object obj = el.get_object().value_unsafe();
            for (dom::key_value_pair field : obj) {
                if (base != 0) key.push_back('.');
                key.append(field.key);
                Status st = Walk(field.value, depth + 1, ev);
                key.resize(base);
                if (!st) return st;
            }
            return Ok();
        }
        case dom::element_type::ARRAY: {
            if (depth > limits.max_depth) break;
            const dom::array arr = el.get_array().value_unsafe();
            for (dom::element item : arr) {
                if (Status st = Walk(item, depth + 1, ev); !st) return st;
            }
            return Ok();
        }
        case dom::element_type::STRING:
            return Add(el.get_string().value_unsafe(), ValueKind::kString, ev);
        case dom::element_type::INT64: {
            auto r = std::to_chars(number, number + sizeof(number), el.get_int64().value_unsafe());
            return Add(std::string_view(number, r.ptr - number), ValueKind::kNumber, ev);
        }
        case dom::element_type::UINT64: {
            auto r = std::to_chars(number, number + sizeof(number), el.get_uint64().value_unsafe());
            return Add(std::string_view(number, r.ptr - number), ValueKind::kNumber, ev);
        }
        case dom::element_type::DOUBLE: {
            // The DOM keeps no source text; shortest round-trip gives back "1.5" for 1.5 (but
            // "1" for 1.0). Written out in full between 1e-7 and 1e21, as JavaScript prints
            // numbers: the shortest form of 1763000000.0 is "1.763e+09", which neither an epoch
            // time field nor a rule's value reads.
            const double d = el.get_double().value_unsafe();
            const double a = d < 0 ? -d : d;
            const auto r =
                a == 0 || (a >= 1e-7 && a < 1e21)
                    ? std::to_chars(number, number + sizeof(number), d, std::chars_format::fixed)
                    : std::to_chars(number, number + sizeof(number), d);
            return Add(std::string_view(number, r.ptr - number), ValueKind::kNumber, ev);
        }
        case dom::element_type::BOOL:
            return Add(el.get_bool().value_unsafe() ? "true" : "false", ValueKind::kBool, ev);
        case dom::element_type::NULL_VALUE:
            return Add({}, ValueKind::kNull, ev);
    }
    return InvalidArgument("nesting deeper than " + std::to_string(limits.max_depth));
}

Error JsonDecoder::Impl::ParseError(simdjson::error_code code, std::string_view json) {
    if (code == simdjson::DEPTH_ERROR) {
        return Error{Code::kInvalidArgument,
                     "nesting deeper than " + std::to_string(limits.max_depth)};
    }
    std::string msg(kBroken);
    if (code != simdjson::CAPACITY && code != simdjson::MEMALLOC) {
        // Where On-Demand stops on it tells the user where the damage is.
        int64_t at = -1;
        (void)ReadOnDemand(json, nullptr, at);
        if (at >= 0) msg += " near byte " + std::to_string(at);
    }
    msg += ": ";
    msg += simdjson::error_message(code);
    return Error{Code::kInvalidArgument, std::move(msg)};
}

Status JsonDecoder::Impl::Decode(std::string_view json, bool padded, event::Event& ev) {
    // A repaired document may be up to three times the one that passed (U+FFFD for a byte).
    if (json.size() > limits.max_bytes && !repairing) {
        return ResourceExhausted("JSON document of " + std::to_string(json.size()) +
                                 " bytes exceeds the limit of " + std::to_string(limits.max_bytes) +
                                 " bytes");
    }
    if (!allocated) {
        // simdjson counts the top-level container as depth 1, as we do; one spare level
        // lets our own check below produce the error message.
        if (parser.allocate(64 * 1024, limits.max_depth + 1) != simdjson::SUCCESS) {
            return Internal("cannot allocate the JSON parser");
        }
        allocated = true;
    }
    dom::element root;
    // Without padding, simdjson copies the document into its reused padded buffer.
    if (simdjson::error_code code = parser.parse(json.data(), json.size(), !padded).get(root)) {
        // The DOM refuses a number it cannot hold (an integer past 64 bits, 1e400), and the
        // whole document with it: one number a sender controls would hide the event from every
        // rule. The document is read again, each number kept as its text (On-Demand checks
        // the rest of the grammar as it goes, IsJsonNumber the numbers).
        if ((code == simdjson::UTF8_ERROR || code == simdjson::STRING_ERROR) && !repairing &&
            RepairText(json, repaired)) {
            repairing = true;
            const std::string fixed = std::move(repaired);
            Status st = Decode(fixed, false, ev);
            repairing = false;
            return st;
        }
        if (code == simdjson::NUMBER_ERROR) {
            int64_t at = -1;
            Status st = ReadOnDemand(json, &ev, at);
            if (!st && st.error().message == kBroken && at >= 0) {
                return InvalidArgument(std::string(kBroken) + " near byte " + std::to_string(at));
            }
            return st;
        }
        return tl::unexpected(ParseError(code, json));
    }
    if (root.type() != dom::element_type::OBJECT) {
        return InvalidArgument(std::string("top-level JSON value is ") + TypeName(root.type()) +
                               ", expected an object");
    }
    key.clear();
    fields = 0;
    return Walk(root, 1, ev);
}

// The On-Demand pass, on the error path only. A document the DOM refused is read again: its
// fields go to ev, each number kept as its text (ev null: only walked, to find the damage). `at`
// is where On-Demand stopped when the document is broken (-1: nothing found, or unknown).
Status JsonDecoder::Impl::ReadOnDemand(std::string_view json, event::Event* ev, int64_t& at) {
    at = -1;
    if (!on_demand) on_demand = std::make_unique<ondemand::parser>();
    padded.assign(json);
    padded.append(simdjson::SIMDJSON_PADDING, '\0');
    ondemand::document doc;
    if (on_demand->iterate(padded.data(), json.size(), padded.size()).get(doc)) {
        return InvalidArgument(std::string(kBroken));
    }
    ondemand::value root;
    ondemand::json_type type;
    Status st = Ok();
    if (doc.get_value().get(root) || root.type().get(type)) {
        st = InvalidArgument(std::string(kBroken));
    } else if (ev && type != ondemand::json_type::object) {
        st = InvalidArgument("top-level JSON value is not an object");
    } else {
        key.clear();
        fields = 0;
        st = WalkOnDemand(root, 1, ev);
    }
    const char* where = nullptr;
    const bool more = !doc.current_location().get(where);
    if (st && more) st = InvalidArgument(std::string(kBroken));  // text after the value
    if (!st && more && where >= padded.data()) at = where - padded.data();
    return st;
}

// Walk's twin for On-Demand (ReadOnDemand): every value is checked, numbers by their grammar.
Status JsonDecoder::Impl::WalkOnDemand(ondemand::value v, size_t depth, event::Event* ev) {
    using event::ValueKind;
    const Status bad = InvalidArgument(std::string(kBroken));
    auto add = [&](std::string_view value, ValueKind kind) {
        return ev ? Add(value, kind, *ev) : Ok();
    };
    ondemand::json_type type;
    if (v.type().get(type)) return bad;
    switch (type) {
        case ondemand::json_type::object: {
            ondemand::object obj;
            if (depth > limits.max_depth || v.get_object().get(obj)) break;
            const size_t base = key.size();
            for (auto field : obj) {
                std::string_view name;
                ondemand::value fv;
                if (field.unescaped_key().get(name) || field.value().get(fv)) return bad;
                if (base != 0) key.push_back('.');
                key.append(name);
                Status st = WalkOnDemand(fv, depth + 1, ev);
                key.resize(base);
                if (!st) return st;
            }
            return Ok();
        }
        case ondemand::json_type::array: {
            ondemand::array arr;
            if (depth > limits.max_depth || v.get_array().get(arr)) break;
            for (auto item : arr) {
                ondemand::value iv;
                if (item.get(iv)) return bad;
                if (Status st = WalkOnDemand(iv, depth + 1, ev); !st) return st;
            }
            return Ok();
        }
        case ondemand::json_type::string: {
            std::string_view text;
            if (v.get_string().get(text)) return bad;
            return add(text, ValueKind::kString);
        }
        case ondemand::json_type::number: {
            std::string_view text = v.raw_json_token();
            while (!text.empty() && (text.back() == ' ' || text.back() == '\t' ||
                                     text.back() == '\n' || text.back() == '\r')) {
                text.remove_suffix(1);
            }
            if (!IsJsonNumber(text)) return bad;
            return add(text, ValueKind::kNumber);
        }
        case ondemand::json_type::boolean: {
            bool b = false;
            if (v.get_bool().get(b)) return bad;
            return add(b ? "true" : "false", ValueKind::kBool);
        }
        case ondemand::json_type::null: {
            bool is_null = false;
            if (v.is_null().get(is_null) || !is_null) return bad;  // "nul", "nulx"
            return add({}, ValueKind::kNull);
        }
    }
    if (depth > limits.max_depth) {
        return InvalidArgument("nesting deeper than " + std::to_string(limits.max_depth));
    }
    return bad;
}

JsonDecoder::JsonDecoder(JsonLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
JsonDecoder::~JsonDecoder() = default;

Status JsonDecoder::Decode(std::string_view json, event::Event& ev) {
    return impl_->Decode(json, false, ev);
}

static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING);

Status JsonDecoder::Decode(const std::string& json, event::Event& ev) {
    return impl_->Decode(json, json.capacity() - json.size() >= simdjson::SIMDJSON_PADDING, ev);
}

namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string AtByte(size_t at) { return " at byte " + std::to_string(at); }

size_t SkipJsonSpace(std::string_view text, size_t at) {
    while (at < text.size() && IsJsonSpace(text[at])) ++at;
    return at;
}

// The end of the value that starts at `at`: a string, an object or array with everything in
// it (brackets matched on a stack of their own, so no depth can exhaust the call stack), or a
// scalar up to the next delimiter.
Result<size_t> ScanJsonValue(std::string_view text, size_t at) {
    const size_t start = at;
    std::string open;
    do {
        if (at >= text.size()) {
            return InvalidArgument("the JSON ends inside " +
                                   std::string(open.back() == '{' ? "an object" : "an array") +
                                   AtByte(at));
        }
        const char c = text[at];
        if (c == '"') {
            const size_t quote = at++;
            while (at < text.size() && text[at] != '"') at += text[at] == '\\' ? 2 : 1;
            if (at >= text.size()) return InvalidArgument("unterminated string" + AtByte(quote));
            ++at;
        } else if (c == '{' || c == '[') {
            open.push_back(c);
            ++at;
        } else if (c == '}' || c == ']') {
            if (open.empty() || open.back() != (c == '}' ? '{' : '[')) {
                return InvalidArgument(std::string("unexpected '") + c + "'" + AtByte(at));
            }
            open.pop_back();
            ++at;
        } else if (open.empty()) {
            // A scalar: up to a delimiter.
            while (at < text.size() && !IsJsonSpace(text[at]) && text[at] != ',' &&
                   text[at] != ']' && text[at] != '}') {
                ++at;
            }
            if (at == start) return InvalidArgument("expected a value" + AtByte(at));
        } else {
            ++at;  // inside an object or array: numbers, literals, ':' and ','
        }
    } while (!open.empty());
    return at;
}

}  // namespace

Status SplitJsonValues(std::string_view text, std::vector<std::string_view>& values) {
    size_t at = SkipJsonSpace(text, 0);
    while (at < text.size()) {
        if (text[at] == '{') {
            auto end = ScanJsonValue(text, at);
            if (!end) return tl::unexpected(std::move(end.error()));
            values.push_back(text.substr(at, *end - at));
            at = SkipJsonSpace(text, *end);
            continue;
        }
        if (text[at] != '[') {
            return InvalidArgument("expected a JSON object or array" + AtByte(at));
        }
        // A top-level array: its elements are the events.
        at = SkipJsonSpace(text, at + 1);
        bool first = true;
        while (true) {
            if (at >= text.size())
                return InvalidArgument("the JSON ends inside an array" + AtByte(at));
            if (text[at] == ']' && first) break;
            auto end = ScanJsonValue(text, at);
            if (!end) return tl::unexpected(std::move(end.error()));
            values.push_back(text.substr(at, *end - at));
            first = false;
            at = SkipJsonSpace(text, *end);
            if (at >= text.size())
                return InvalidArgument("the JSON ends inside an array" + AtByte(at));
            if (text[at] == ']') break;
            if (text[at] != ',') {
                return InvalidArgument("expected ',' or ']' after an array element" + AtByte(at));
            }
            at = SkipJsonSpace(text, at + 1);
        }
        at = SkipJsonSpace(text, at + 1);
    }
    return Ok();
}

}  // namespace vigil::parse
