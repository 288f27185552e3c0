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
                     R"("e":18446744073709551615,"f":1.5,"g":-0.25,"h":1e-7,"i":0.1})"),
              (std::vector<Field>{{"a", "0", ValueKind::kNumber},
                                  {"b", "-42", ValueKind::kNumber},
                                  {"c", "9223372036854775807", ValueKind::kNumber},
                                  {"d", "-9223372036854775808", ValueKind::kNumber},
                                  {"e", "18446744073709551615", ValueKind::kNumber},
                                  {"f", "1.5", ValueKind::kNumber},
                                  {"g", "-0.25", ValueKind::kNumber},
                                  {"h", "1e-07", ValueKind::kNumber},
                                  {"i", "0.1", ValueKind::kNumber}}));
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
    EXPECT_NE(DecodeError("{\"a\":\"\xff\"}").find("UTF-8"), std::string::npos);
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

}  // namespace
}  // namespace vigil::parse
