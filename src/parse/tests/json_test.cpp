#include "parse/json.h"

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::parse {
namespace {

using event::ValueKind;
using Field = std::tuple<std::string, std::string, ValueKind>;

std::vector<Field> Fields(const event::Event& ev) {
    std::vector<Field> out;
    for (size_t i = 0; i < ev.size(); ++i) {
        auto f = ev.field(i);
        out.emplace_back(std::string(f.name), std::string(f.value), f.kind);
    }
    return out;
}

std::vector<Field> Decode(std::string_view json) {
    JsonDecoder decoder;
    event::Event ev;
    Status st = decoder.Decode(json, ev);
    EXPECT_TRUE(st) << st.error().message;
    return Fields(ev);
}

std::string DecodeError(std::string_view json, JsonLimits limits = {}) {
    JsonDecoder decoder(limits);
    event::Event ev;
    Status st = decoder.Decode(json, ev);
    if (st) return "<no error>";
    return st.error().message;
}

TEST(JsonDecoder, FlatObject) {
    EXPECT_EQ(Decode(R"({"Image":"C:\\Windows\\cmd.exe","User":"bob"})"),
              (std::vector<Field>{{"Image", R"(C:\Windows\cmd.exe)", ValueKind::kString},
                                  {"User", "bob", ValueKind::kString}}));
}

TEST(JsonDecoder, NestedObjectsJoinKeysWithDots) {
    EXPECT_EQ(Decode(R"({"Event":{"System":{"EventID":1,"Provider":{"Name":"Sysmon"}}}})"),
              (std::vector<Field>{{"Event.System.EventID", "1", ValueKind::kNumber},
                                  {"Event.System.Provider.Name", "Sysmon", ValueKind::kString}}));
}

TEST(JsonDecoder, ArraysOfScalarsRepeatTheName) {
    EXPECT_EQ(Decode(R"({"tags":["a","b"],"n":[1,[2]],"empty":[]})"),
              (std::vector<Field>{{"tags", "a", ValueKind::kString},
                                  {"tags", "b", ValueKind::kString},
                                  {"n", "1", ValueKind::kNumber},
                                  {"n", "2", ValueKind::kNumber}}));
}

TEST(JsonDecoder, ArraysOfObjectsFlattenUnderTheSameName) {
    EXPECT_EQ(Decode(R"({"procs":[{"pid":1,"name":"a"},{"pid":2,"args":["-x"]}]})"),
              (std::vector<Field>{{"procs.pid", "1", ValueKind::kNumber},
                                  {"procs.name", "a", ValueKind::kString},
                                  {"procs.pid", "2", ValueKind::kNumber},
                                  {"procs.args", "-x", ValueKind::kString}}));
}

TEST(JsonDecoder, ScalarKinds) {
    EXPECT_EQ(Decode(R"({"t":true,"f":false,"z":null,"s":"","e":{}})"),
              (std::vector<Field>{{"t", "true", ValueKind::kBool},
                                  {"f", "false", ValueKind::kBool},
                                  {"z", "", ValueKind::kNull},
                                  {"s", "", ValueKind::kString}}));
}

TEST(JsonDecoder, NumbersKeepTheirValueExactly) {
    EXPECT_EQ(Decode(R"({"a":0,"b":-42,"c":9223372036854775807,"d":-9223372036854775808,)"
                     R"("e":18446744073709551615,"f":1.5,"g":-0.25,"h":1e-7,"i":0.1,)"
                     R"("j":1763000000.0,"k":1.76300000025e9,"l":1e30,"m":-2.5e-8})"),
              (std::vector<Field>{{"a", "0", ValueKind::kNumber},
                                  {"b", "-42", ValueKind::kNumber},
                                  {"c", "9223372036854775807", ValueKind::kNumber},
                                  {"d", "-9223372036854775808", ValueKind::kNumber},
                                  {"e", "18446744073709551615", ValueKind::kNumber},
                                  {"f", "1.5", ValueKind::kNumber},
                                  {"g", "-0.25", ValueKind::kNumber},
                                  {"h", "0.0000001", ValueKind::kNumber},
                                  {"i", "0.1", ValueKind::kNumber},
                                  // An epoch time sent as a double reads as one (not 1.763e+09).
                                  {"j", "1763000000", ValueKind::kNumber},
                                  {"k", "1763000000.25", ValueKind::kNumber},
                                  {"l", "1e+30", ValueKind::kNumber},
                                  {"m", "-2.5e-08", ValueKind::kNumber}}));
}

// simdjson's DOM refuses these numbers, and would refuse the whole event with them: a number a
// sender controls would hide the event from every rule.
TEST(JsonDecoder, NumbersTooLargeToHoldKeepTheirText) {
    EXPECT_EQ(Decode(R"({"a":123456789012345678901234567890,"CommandLine":"whoami",)"
                     R"("n":{"x":1e400,"y":[-99999999999999999999, 2.50 ]},"t":true,"z":null,)"
                     R"("s":"a\"b"})"),
              (std::vector<Field>{{"a", "123456789012345678901234567890", ValueKind::kNumber},
                                  {"CommandLine", "whoami", ValueKind::kString},
                                  {"n.x", "1e400", ValueKind::kNumber},
                                  {"n.y", "-99999999999999999999", ValueKind::kNumber},
                                  {"n.y", "2.50", ValueKind::kNumber},
                                  {"t", "true", ValueKind::kBool},
                                  {"z", "", ValueKind::kNull},
                                  {"s", "a\"b", ValueKind::kString}}));
    // Still refused: broken JSON around such a number, a malformed number, too deep, too many.
    EXPECT_NE(DecodeError(R"({"a":1e400,"b":})").find("invalid JSON"), std::string::npos);
    EXPECT_NE(DecodeError(R"({"a":1e400,"b":01})").find("invalid JSON"), std::string::npos);
    EXPECT_NE(DecodeError(R"({"a":1e400} {"b":2})").find("invalid JSON"), std::string::npos);
    EXPECT_NE(DecodeError(R"({"a":1e400,"b":-})").find("invalid JSON"), std::string::npos);
    EXPECT_NE(DecodeError(R"({"a":1e400,"b":nul})").find("invalid JSON"), std::string::npos);
    EXPECT_NE(DecodeError(R"({"a":1e400,"b":fals})").find("invalid JSON"), std::string::npos);
    // ... and the error says where, as for any broken document.
    EXPECT_EQ(DecodeError(R"({"a":1e400,"b":})"), "invalid JSON near byte 15");
    EXPECT_NE(DecodeError(R"([1e400])").find("not an object"), std::string::npos);
    EXPECT_EQ(DecodeError(R"({"a":1e400,"b":{"c":{"d":1}}})", JsonLimits{.max_depth = 2}),
              "nesting deeper than 2");
    EXPECT_EQ(DecodeError(R"({"a":1e400,"b":1,"c":2})", JsonLimits{.max_fields = 2}),
              "field limit 2 exceeded");
}

TEST(JsonDecoder, StringsAreUnescaped) {
    EXPECT_EQ(Decode(R"({"s":"a\"b\\c\n\u00e9\ud83d\ude00"})"),
              (std::vector<Field>{{"s", "a\"b\\c\n\xC3\xA9\xF0\x9F\x98\x80", ValueKind::kString}}));
}

TEST(JsonDecoder, AppendsToTheEventAndIsReusable) {
    JsonDecoder decoder;
    event::Event ev;
    ASSERT_TRUE(decoder.Decode(R"({"a":{"b":1}})", ev));
    ASSERT_FALSE(decoder.Decode(R"({"x":)", ev));
    ASSERT_TRUE(decoder.Decode(R"({"c":2})", ev));
    EXPECT_EQ(Fields(ev), (std::vector<Field>{{"a.b", "1", ValueKind::kNumber},
                                              {"c", "2", ValueKind::kNumber}}));
}

TEST(JsonDecoder, TopLevelMustBeAnObject) {
    EXPECT_EQ(DecodeError("[1,2]"), "top-level JSON value is an array, expected an object");
    EXPECT_EQ(DecodeError("42"), "top-level JSON value is a number, expected an object");
    EXPECT_EQ(DecodeError(R"("s")"), "top-level JSON value is a string, expected an object");
}

TEST(JsonDecoder, InvalidJsonSaysWhatAndWhere) {
    std::string err = DecodeError(R"({"a":1,"b":tru})");
    EXPECT_NE(err.find("invalid JSON"), std::string::npos) << err;
    EXPECT_NE(err.find("near byte 11"), std::string::npos) << err;
    EXPECT_NE(err.find("atom"), std::string::npos) << err;  // simdjson's own words

    err = DecodeError(R"({"a":"unterminated)");
    EXPECT_NE(err.find("invalid JSON"), std::string::npos) << err;
    EXPECT_NE(err.find("string"), std::string::npos) << err;

    EXPECT_NE(DecodeError("").find("invalid JSON"), std::string::npos);
    EXPECT_NE(DecodeError(R"({"a":1} {"b":2})").find("invalid JSON"), std::string::npos);
}

// One value a sender controls must not leave the event without fields: a byte that is not
// UTF-8 (a file name with byte 0xFF) and a lone surrogate escape (Python's json.dumps of such
// a name) are read as U+FFFD, and the document's other fields are kept.
TEST(JsonDecoder, InvalidUtf8AndLoneSurrogatesAreReplacedNotFatal) {
    const std::string fffd = "\xEF\xBF\xBD";
    EXPECT_EQ(Decode("{\"user\":\"root\",\"file\":\"/tmp/\xff.sh\"}"),
              (std::vector<Field>{{"user", "root", ValueKind::kString},
                                  {"file", "/tmp/" + fffd + ".sh", ValueKind::kString}}));
    EXPECT_EQ(Decode(R"({"user":"root","file":"/tmp/\udcff.sh","x":"\ud800"})"),
              (std::vector<Field>{{"user", "root", ValueKind::kString},
                                  {"file", "/tmp/" + fffd + ".sh", ValueKind::kString},
                                  {"x", fffd, ValueKind::kString}}));
    // A pair is a character, kept; a truncated sequence, a bad key and a number too large to
    // hold in the same document are all read.
    EXPECT_EQ(Decode(R"({"e":"\ud83d\ude00"})"),
              (std::vector<Field>{{"e", "\xF0\x9F\x98\x80", ValueKind::kString}}));
    EXPECT_EQ(Decode("{\"k\xe4\":\"\xe4\xb8\",\"n\":123456789012345678901234567890}"),
              (std::vector<Field>{{"k" + fffd, fffd + fffd, ValueKind::kString},
                                  {"n", "123456789012345678901234567890", ValueKind::kNumber}}));
    // The limit applies to the document as sent, not as repaired (each byte three).
    {
        JsonDecoder small(JsonLimits{.max_bytes = 20});
        event::Event ev;
        Status st = small.Decode("{\"a\":\"\xff\xff\xff\xff\xff\xff\"}", ev);
        EXPECT_TRUE(st) << st.error().message;
        EXPECT_EQ(ev.Get("a"), fffd + fffd + fffd + fffd + fffd + fffd);
    }
    // Broken JSON stays broken.
    EXPECT_NE(DecodeError("{\"a\":\"\xff}").find("invalid JSON"), std::string::npos);
    EXPECT_NE(DecodeError(R"({"a":"\x41"})").find("invalid JSON"), std::string::npos);
}

std::string Nested(size_t depth) {
    std::string s;
    for (size_t i = 1; i < depth; ++i) s += R"({"a":)";
    s += R"({"leaf":1})";
    s.append(depth - 1, '}');
    return s;
}

TEST(JsonDecoder, DepthLimit) {
    event::Event ev;
    JsonDecoder decoder;
    ASSERT_TRUE(decoder.Decode(Nested(64), ev));
    EXPECT_EQ(ev.field(0).name.size(), std::string("a.").size() * 63 + std::string("leaf").size());
    EXPECT_EQ(DecodeError(Nested(65)), "nesting deeper than 64");
    // Far deeper than simdjson's own limit for this parser.
    EXPECT_EQ(DecodeError(Nested(5000)), "nesting deeper than 64");
    // Arrays count as levels too.
    EXPECT_EQ(DecodeError(R"({"a":[[1]]})", {.max_depth = 2}), "nesting deeper than 2");
    EXPECT_EQ(DecodeError(R"({"a":[1]})", {.max_depth = 2}), "<no error>");
}

TEST(JsonDecoder, FieldLimit) {
    std::string json = "{";
    for (int i = 0; i < 4097; ++i) json += (i ? ",\"f" : "\"f") + std::to_string(i) + "\":1";
    json += "}";
    EXPECT_EQ(DecodeError(json), "field limit 4096 exceeded");
    EXPECT_EQ(DecodeError(R"({"a":[1,2,3]})", {.max_fields = 2}), "field limit 2 exceeded");
    EXPECT_EQ(DecodeError(R"({"a":[1,2]})", {.max_fields = 2}), "<no error>");
}

TEST(JsonDecoder, ByteLimit) {
    EXPECT_EQ(DecodeError(R"({"a":"0123456789"})", {.max_bytes = 10}),
              "JSON document of 18 bytes exceeds the limit of 10 bytes");
}

// ---- SplitJsonValues: the events of an application/json body ----

std::vector<std::string> Split(std::string_view text) {
    std::vector<std::string_view> values;
    Status st = SplitJsonValues(text, values);
    EXPECT_TRUE(st) << st.error().message;
    return std::vector<std::string>(values.begin(), values.end());
}

std::string SplitError(std::string_view text) {
    std::vector<std::string_view> values;
    Status st = SplitJsonValues(text, values);
    return st ? "<no error>" : st.error().message;
}

TEST(SplitJsonValues, ArrayElementsAndTopLevelValuesAreEventsAsSent) {
    using V = std::vector<std::string>;
    EXPECT_EQ(Split(R"({"a":1})"), V{R"({"a":1})"});
    // Pretty-printed: one event, its text kept whole.
    EXPECT_EQ(Split("{\n  \"a\": 1,\n  \"b\": [1, 2]\n}\n"),
              V{"{\n  \"a\": 1,\n  \"b\": [1, 2]\n}"});
    // Concatenated or newline-separated objects (NDJSON sent as application/json).
    EXPECT_EQ(Split("{\"a\":1}\n{\"b\":2} {\"c\":3}"), (V{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}));
    // A top-level array: each element, exactly as written (no reformatting, number text and
    // duplicate keys kept).
    EXPECT_EQ(
        Split(R"([ {"big":123456789012345678901234567890,"f":1.10,"d":1,"d":2} , {"x":"]"} ])"),
        (V{R"({"big":123456789012345678901234567890,"f":1.10,"d":1,"d":2})", R"({"x":"]"})"}));
    // Brackets and quotes inside strings, escaped quotes, scalar elements.
    EXPECT_EQ(Split(R"([{"s":"a\"}{[b"}, "text", 12, null])"),
              (V{R"({"s":"a\"}{[b"})", R"("text")", "12", "null"}));
    // Two arrays: the elements of both.
    EXPECT_EQ(Split("[{\"a\":1}]\n[{\"b\":2}]"), (V{"{\"a\":1}", "{\"b\":2}"}));
    EXPECT_TRUE(Split("[]").empty());
    EXPECT_TRUE(Split(" \n\t ").empty());
}

TEST(SplitJsonValues, AnyDepthIsScannedWithoutRecursion) {
    // 200,000 levels: one element, left for the decoder to refuse by its depth limit.
    const std::string deep = std::string(200000, '[') + std::string(200000, ']');
    const auto values = Split("[" + deep + "]");
    ASSERT_EQ(values.size(), 1u);
    EXPECT_EQ(values[0].size(), deep.size());
    EXPECT_NE(SplitError("[" + deep), "<no error>");
}

TEST(SplitJsonValues, ErrorsSayWhatAndAtWhichByte) {
    EXPECT_EQ(SplitError("[1, 2"), "the JSON ends inside an array at byte 5");
    EXPECT_EQ(SplitError("[1,,2]"), "expected a value at byte 3");
    EXPECT_EQ(SplitError("[1,]"), "unexpected ']' at byte 3");
    EXPECT_EQ(SplitError("[1 2]"), "expected ',' or ']' after an array element at byte 3");
    EXPECT_EQ(SplitError(R"({"a":[1}})"), "unexpected '}' at byte 7");
    EXPECT_EQ(SplitError(R"({"a":"open)"), "unterminated string at byte 5");
    EXPECT_EQ(SplitError("{\"a\":1} x"), "expected a JSON object or array at byte 8");
    EXPECT_EQ(SplitError("hello"), "expected a JSON object or array at byte 0");
    EXPECT_EQ(SplitError("{\"a\":{}"), "the JSON ends inside an object at byte 7");
}

}  // namespace
}  // namespace vigil::parse
