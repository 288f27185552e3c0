#include "parse/input.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "parse/json.h"
#include "parse/json_stream.h"

namespace vigil::parse {
namespace {

namespace fs = std::filesystem;
using internal::JsonStreamSplitter;

// What a test checks of a record.
struct Rec {
    RecordKind kind;
    uint64_t line;
    std::string data;   // the document, the text line, or the malformed sample
    std::string error;  // kMalformed only

    bool operator==(const Rec&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Rec& r) {
    static const char* kKinds[] = {"json", "text", "event", "malformed"};
    return os << "{" << kKinds[static_cast<int>(r.kind)] << " line " << r.line << " "
              << testing::PrintToString(r.data) << (r.error.empty() ? "" : " error: ") << r.error
              << "}";
}

Rec Json(uint64_t line, std::string data) { return {RecordKind::kJson, line, std::move(data), {}}; }
Rec Text(uint64_t line, std::string data) { return {RecordKind::kText, line, std::move(data), {}}; }
Rec Bad(uint64_t line, std::string sample, std::string error) {
    return {RecordKind::kMalformed, line, std::move(sample), std::move(error)};
}

// Splits input fed in chunks of `chunk` bytes; checks the sequence numbers on the way.
std::vector<Rec> Split(std::string_view input, size_t chunk = 1 << 20,
                       size_t max_record = limits::kMaxEventBytes) {
    JsonStreamSplitter splitter(max_record);
    std::vector<Rec> out;
    Record rec;
    auto drain = [&] {
        while (splitter.Next(rec)) {
            EXPECT_EQ(rec.sequence, out.size());
            out.push_back({rec.kind, rec.line, rec.data, rec.error});
        }
    };
    for (size_t pos = 0; pos < input.size(); pos += chunk) {
        splitter.Feed(input.substr(pos, chunk));
        drain();
    }
    splitter.Finish();
    drain();
    EXPECT_EQ(splitter.buffered(), 0u);
    return out;
}

// Same, and checks that any chunking gives the same records.
std::vector<Rec> SplitAllWays(std::string_view input, size_t max_record = limits::kMaxEventBytes) {
    std::vector<Rec> whole = Split(input, 1 << 20, max_record);
    for (size_t chunk : {1, 2, 3, 7}) {
        EXPECT_EQ(Split(input, chunk, max_record), whole) << "fed in chunks of " << chunk;
    }
    return whole;
}

TEST(JsonStream, JsonLines) {
    EXPECT_EQ(
        SplitAllWays("{\"a\":1}\n{\"a\":2}\r\n\n{\"a\":3}"),
        (std::vector<Rec>{Json(1, R"({"a":1})"), Json(2, R"({"a":2})"), Json(4, R"({"a":3})")}));
}

TEST(JsonStream, PrettyPrintedDocuments) {
    const std::string first = "{\n  \"a\": {\n    \"b\": [1, 2]\n  }\n}";
    const std::string second = "{\n  \"c\": \"}{\\\"\"\n}";
    EXPECT_EQ(SplitAllWays(first + "\n" + second + "\n"),
              (std::vector<Rec>{Json(1, first), Json(6, second)}));
}

TEST(JsonStream, ConcatenatedDocumentsAndBracesInStrings) {
    EXPECT_EQ(SplitAllWays(R"({"a":"{"}{"b":"\\"} {"c":"\"}"})"),
              (std::vector<Rec>{Json(1, R"({"a":"{"})"), Json(1, R"({"b":"\\"})"),
                                Json(1, R"({"c":"\"}"})")}));
}

TEST(JsonStream, TopLevelArrayOfObjects) {
    EXPECT_EQ(SplitAllWays("[\n  {\"a\": 1},\n  {\"b\": [{\"c\": 2}]}\n]\n[{\"d\":3}]\n"),
              (std::vector<Rec>{Json(2, R"({"a": 1})"), Json(3, R"({"b": [{"c": 2}]})"),
                                Json(5, R"({"d":3})")}));
    EXPECT_EQ(SplitAllWays(R"([{"a":1}, 42, "x,]", [1], {"b":2}])"),
              (std::vector<Rec>{
                  Json(1, R"({"a":1})"), Bad(1, "42", "array element is not a JSON object"),
                  Bad(1, R"("x,]")", "array element is not a JSON object"),
                  Bad(1, "[1]", "array element is not a JSON object"), Json(1, R"({"b":2})")}));
    EXPECT_EQ(
        SplitAllWays(R"([{"a":1},)"),
        (std::vector<Rec>{Json(1, R"({"a":1})"),
                          Bad(1, "", "top-level array not closed (unexpected end of input)")}));
}

TEST(JsonStream, TruncatedLineInTheMiddleKeepsTheFollowingRecords) {
    EXPECT_EQ(SplitAllWays("{\"a\":1}\n{\"a\":2, \"b\": [1,\n{\"a\":3}\n{\"a\":4}\n"),
              (std::vector<Rec>{Json(1, R"({"a":1})"),
                                Bad(2, "{\"a\":2, \"b\": [1,\n", "truncated JSON document"),
                                Json(3, R"({"a":3})"), Json(4, R"({"a":4})")}));
    // Cut inside a string.
    EXPECT_EQ(SplitAllWays("{\"a\":\"abc\n{\"a\":3}\n"),
              (std::vector<Rec>{Bad(1, "{\"a\":\"abc\n", "unterminated string in JSON document"),
                                Json(2, R"({"a":3})")}));
}

TEST(JsonStream, TruncatedPrettyDocumentResyncsAtTheNextDocument) {
    const std::string cut = "{\n  \"a\": {\n    \"b\": 1,\n";
    const std::string good = "{\n  \"c\": {\n    \"d\": 2\n  }\n}";
    EXPECT_EQ(
        SplitAllWays(cut + good + "\n" + good),
        (std::vector<Rec>{Bad(1, cut, "truncated JSON document"), Json(4, good), Json(9, good)}));
    // The same document at the end of the input.
    EXPECT_EQ(SplitAllWays(good + "\n" + cut),
              (std::vector<Rec>{Json(1, good),
                                Bad(6, cut, "truncated JSON document (unexpected end of input)")}));
}

TEST(JsonStream, GarbageBetweenDocuments) {
    EXPECT_EQ(
        SplitAllWays("{\"a\":1}\nnot json at all\nstill not\n{\"a\":2} trailing\n{\"a\":3}\n"),
        (std::vector<Rec>{
            Json(1, R"({"a":1})"),
            Bad(2, "not json at all\nstill not\n", "expected a JSON object but found 'n'"),
            Json(4, R"({"a":2})"), Bad(4, "trailing\n", "expected a JSON object but found 't'"),
            Json(5, R"({"a":3})")}));
    EXPECT_EQ(SplitAllWays(std::string("\x01}\n{}", 5)),
              (std::vector<Rec>{Bad(1, "\x01}\n", "expected a JSON object but found byte 0x01"),
                                Json(2, "{}")}));
}

TEST(JsonStream, ByteOrderMarkAndBlankInput) {
    EXPECT_EQ(SplitAllWays("\xEF\xBB\xBF{\"a\":1}"), (std::vector<Rec>{Json(1, R"({"a":1})")}));
    EXPECT_EQ(SplitAllWays(" \n\t\r\n"), std::vector<Rec>{});
    EXPECT_EQ(SplitAllWays(""), std::vector<Rec>{});
}

TEST(JsonStream, OversizedRecordIsSkipped) {
    const std::string big = "{\"a\":\"" + std::string(100, 'x') + "\",\"b\":{\"c\":\"}\"}}";
    EXPECT_EQ(SplitAllWays("{\"ok\":1}\n" + big + "{\"ok\":2}\n", 64),
              (std::vector<Rec>{Json(1, R"({"ok":1})"),
                                Bad(2, big.substr(0, 65), "record exceeds 64 bytes"),
                                Json(2, R"({"ok":2})")}));
    // A sample is at most 200 bytes and does not cut a UTF-8 character in two.
    auto recs = Split("{\"z\":\"" + std::string(193, 'z') + "\xC3\xA9" + std::string(300, 'w'),
                      1 << 20, 10000);
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].data.size(), 199u);
}

TEST(JsonStream, DocumentWithUnindentedNestedObjectIsKept) {
    // Unusual but valid: a nested object starting a line. Only the end decides.
    const std::string doc = "{\n\"a\":\n{\"b\":1}\n}";
    EXPECT_EQ(SplitAllWays(doc + "\n{\"c\":1}"),
              (std::vector<Rec>{Json(1, doc), Json(5, R"({"c":1})")}));
}

class InputTest : public testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("vigil_parse_test_" + std::to_string(::getpid()) + "_" +
                testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string Write(const std::string& name, std::string_view content) {
        fs::path p = dir_ / name;
        std::ofstream(p, std::ios::binary) << content;
        return p.string();
    }

    static std::vector<Record> ReadAll(const std::string& path,
                                       InputFormat format = InputFormat::kAuto) {
        auto reader = OpenInput(path, format);
        EXPECT_TRUE(reader) << (reader ? "" : reader.error().message);
        std::vector<Record> out;
        if (!reader) return out;
        std::vector<Record> batch;
        for (;;) {
            auto n = (*reader)->Read(batch, 3);  // small batches: records span Read calls
            EXPECT_TRUE(n) << (n ? "" : n.error().message);
            if (!n || *n == 0) break;
            EXPECT_EQ(batch.size(), *n);
            for (auto& r : batch) out.push_back(std::move(r));
        }
        EXPECT_EQ((*reader)->bytes_read(), (*reader)->total_bytes());
        return out;
    }

    static std::vector<Rec> Recs(const std::vector<Record>& records) {
        std::vector<Rec> out;
        for (size_t i = 0; i < records.size(); ++i) {
            EXPECT_EQ(records[i].sequence, i);
            out.push_back({records[i].kind, records[i].line, records[i].data, records[i].error});
        }
        return out;
    }

    fs::path dir_;
};

TEST_F(InputTest, DetectsJsonAndReadsItInBatches) {
    std::string path = Write("a.json", "\n\n  {\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4}\n");
    EXPECT_EQ(Recs(ReadAll(path)),
              (std::vector<Rec>{Json(3, R"({"a":1})"), Json(4, R"({"a":2})"), Json(5, R"({"a":3})"),
                                Json(6, R"({"a":4})")}));
    path = Write("b.json", "[{\"a\":1},{\"a\":2}]");
    EXPECT_EQ(Recs(ReadAll(path)),
              (std::vector<Rec>{Json(1, R"({"a":1})"), Json(1, R"({"a":2})")}));
}

TEST_F(InputTest, MalformedRecordInTheMiddleKeepsTheFollowingOnes) {
    std::string path = Write("m.jsonl", "{\"a\":1}\n{\"a\":\n{\"a\":3}\n");
    auto records = ReadAll(path);
    EXPECT_EQ(Recs(records), (std::vector<Rec>{Json(1, R"({"a":1})"),
                                               Bad(2, "{\"a\":\n", "truncated JSON document"),
                                               Json(3, R"({"a":3})")}));
    // The documents the reader returns decode.
    JsonDecoder decoder;
    for (const Record& r : records) {
        if (r.kind != RecordKind::kJson) continue;
        event::Event ev;
        EXPECT_TRUE(decoder.Decode(r.data, ev)) << r.data;
    }
}

TEST_F(InputTest, HugeRecordIsReportedAndSkipped) {
    std::string big = "{\"a\":\"" + std::string(limits::kMaxEventBytes, 'x') + "\"}\n";
    std::string path = Write("big.json", "{\"a\":1}\n" + big + "{\"a\":2}\n");
    auto records = ReadAll(path);
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0].data, R"({"a":1})");
    EXPECT_EQ(records[1].kind, RecordKind::kMalformed);
    EXPECT_EQ(records[1].error, "record exceeds 4 MiB");
    EXPECT_EQ(records[1].line, 2u);
    EXPECT_EQ(records[1].data, big.substr(0, 200));
    EXPECT_EQ(records[2].data, R"({"a":2})");
    EXPECT_EQ(records[2].line, 3u);
}

TEST_F(InputTest, TextLines) {
    std::string path = Write("t.log", "first line\r\n\nsecond {x}\n\r\nlast without newline");
    EXPECT_EQ(Recs(ReadAll(path)), (std::vector<Rec>{Text(1, "first line"), Text(3, "second {x}"),
                                                     Text(5, "last without newline")}));
    // A bracket that does not open an array of objects is a text log.
    path = Write("error.log", "[Mon Jan 01 10:00:00 2024] [error] x\n[Mon Jan 01] y\n");
    EXPECT_EQ(Recs(ReadAll(path)),
              (std::vector<Rec>{Text(1, "[Mon Jan 01 10:00:00 2024] [error] x"),
                                Text(2, "[Mon Jan 01] y")}));
    // Forced text even when it looks like JSON.
    path = Write("j.log", "{\"a\":1}\n");
    EXPECT_EQ(Recs(ReadAll(path, InputFormat::kText)), (std::vector<Rec>{Text(1, R"({"a":1})")}));
}

TEST_F(InputTest, OverlongTextLine) {
    std::string path =
        Write("long.log", "a\n" + std::string(limits::kMaxEventBytes + 10, 'z') + "\nb\n");
    auto recs = Recs(ReadAll(path));
    EXPECT_EQ(recs,
              (std::vector<Rec>{Text(1, "a"), Bad(2, std::string(200, 'z'), "record exceeds 4 MiB"),
                                Text(3, "b")}));
}

TEST_F(InputTest, Errors) {
    auto r = OpenInput((dir_ / "missing.json").string());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::kNotFound);
    EXPECT_NE(r.error().message.find("missing.json"), std::string::npos);

    r = OpenInput(dir_.string());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("is a directory"), std::string::npos);

    r = OpenInput(Write("x.json", "{}"), InputFormat::kEvtx);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("as EVTX"), std::string::npos) << r.error().message;

    r = OpenInput("-", InputFormat::kEvtx);
    ASSERT_FALSE(r);
}

TEST_F(InputTest, EmptyFile) { EXPECT_TRUE(ReadAll(Write("empty", "")).empty()); }

// --- EVTX ---------------------------------------------------------------------------------

const fs::path kSixSysmonRecords =
    fs::path(VIGIL_SHARED_DATA) / "sigma/regression_data/rules-emerging-threats/2025/Malware" /
    "Shai-Hulud/proc_creation_win_mal_shai_hulud_malicious_node_bun_execution" /
    "5299fadf-f228-4526-8274-251db1960be9.evtx";

TEST_F(InputTest, EvtxRecordsBecomeEvents) {
    if (!fs::exists(kSixSysmonRecords)) GTEST_SKIP() << "no sample at " << kSixSysmonRecords;
    // Detected by its signature, whatever the file name.
    std::string path = (dir_ / "renamed.log").string();
    fs::copy_file(kSixSysmonRecords, path);
    auto records = ReadAll(path);
    ASSERT_EQ(records.size(), 6u);
    for (const Record& r : records) {
        ASSERT_EQ(r.kind, RecordKind::kEvent) << r.error;
        EXPECT_EQ(r.event.Get("Event.System.Channel"), "Microsoft-Windows-Sysmon/Operational");
        // The record number of the file (this sample was exported: its records are numbered
        // 1-6, their EventRecordID is the original log's).
        EXPECT_EQ(r.line, r.sequence + 1);
        EXPECT_FALSE(r.event.Get("Event.System.EventRecordID").empty());
        EXPECT_EQ(r.event.origin, path + "#" + std::to_string(r.line));
        EXPECT_EQ(r.event.sequence, r.sequence);
        EXPECT_GT(r.event.time_ns, 1700000000LL * 1000000000);
        int id = r.event.Find("Event.System.EventID");
        ASSERT_GE(id, 0);
        EXPECT_EQ(r.event.field(id).kind, event::ValueKind::kNumber);
    }
}

TEST_F(InputTest, CorruptEvtxRecordIsMalformedAndReadingContinues) {
    if (!fs::exists(kSixSysmonRecords)) GTEST_SKIP() << "no sample at " << kSixSysmonRecords;
    std::ifstream in(kSixSysmonRecords, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Overwrite the start of the first record's binary XML (file header 4096 bytes, chunk
    // header 512, record header 24).
    bytes.replace(4096 + 512 + 24, 32, 32, 'A');
    auto records = ReadAll(Write("corrupt.evtx", bytes));
    ASSERT_EQ(records.size(), 6u);
    EXPECT_EQ(records[0].kind, RecordKind::kMalformed);
    EXPECT_NE(records[0].error.find("record 1"), std::string::npos) << records[0].error;
    for (size_t i = 1; i < records.size(); ++i) {
        EXPECT_EQ(records[i].kind, RecordKind::kEvent) << records[i].error;
    }
    // A file that only starts like one.
    auto r = OpenInput(Write("fake.evtx", std::string("ElfFile\0garbage", 15)));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("as EVTX"), std::string::npos) << r.error().message;
}

// --- EVTX against evtx_dump -------------------------------------------------------------

using FieldSet = std::vector<std::pair<std::string, std::string>>;

bool IsGuidInBraces(std::string_view v) {
    if (v.size() != 38 || v.front() != '{' || v.back() != '}') return false;
    for (size_t i = 1; i < 37; ++i) {
        char c = v[i];
        bool dash = i == 9 || i == 14 || i == 19 || i == 24;
        if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

// The systematic differences between our .evtx fields and the .json files, none of which
// a Sigma rule depends on:
//  - libevtx writes GUID values in braces ({5770385F-...}), evtx_dump without;
//  - libevtx writes SystemTime with 9 fractional digits, evtx_dump with 6;
//  - the .json files have trailing whitespace trimmed from strings, which the .evtx files
//    hold (e.g. Sysmon's ParentCommandLine `"C:\WINDOWS\system32\cmd.exe" `: the string's
//    size in the record includes the space). We keep the bytes of the record.
void Normalise(std::string_view name, std::string& value) {
    if (IsGuidInBraces(value)) value = value.substr(1, 36);
    if (name.ends_with(".SystemTime")) {
        size_t dot = value.find('.');
        size_t z = value.find('Z');
        if (dot != std::string::npos && z != std::string::npos && z > dot + 7) {
            value.erase(dot + 7, z - dot - 7);
        }
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
        value.pop_back();
    }
}

// Pairs whose .json was not produced from the .evtx as it is: (file name, field) whose
// values differ in the data itself.
constexpr std::pair<std::string_view, std::string_view> kKnownDataDifferences[] = {
    // The record holds "C:\Windows\Explorer.EXE" (checked in its UTF-16 bytes); the .json
    // says "Explorer.exe".
    {"ad691d92-15f2-4181-9aa4-723c74f9ddc3.evtx", "Event.EventData.ParentCommandLine"},
};

bool KnownDifference(const fs::path& file, std::string_view field) {
    for (const auto& [f, n] : kKnownDataDifferences) {
        if (file.filename() == f && field == n) return true;
    }
    return false;
}

FieldSet ToSet(const event::Event& ev, bool normalise, const fs::path& file = {}) {
    FieldSet out;
    for (size_t i = 0; i < ev.size(); ++i) {
        auto f = ev.field(i);
        if (KnownDifference(file, f.name)) continue;
        std::string value(f.value);
        if (normalise) Normalise(f.name, value);
        out.emplace_back(std::string(f.name), std::move(value));
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string Diff(const FieldSet& evtx, const FieldSet& json) {
    FieldSet only_evtx, only_json;
    std::set_difference(evtx.begin(), evtx.end(), json.begin(), json.end(),
                        std::back_inserter(only_evtx));
    std::set_difference(json.begin(), json.end(), evtx.begin(), evtx.end(),
                        std::back_inserter(only_json));
    std::string out;
    for (const auto& [n, v] : only_evtx) out += "    evtx only: " + n + " = " + v + "\n";
    for (const auto& [n, v] : only_json) out += "    json only: " + n + " = " + v + "\n";
    return out;
}

TEST(EvtxInput, MatchesEvtxDumpJsonOfTheSigmaRegressionData) {
    const fs::path root = fs::path(VIGIL_SHARED_DATA) / "sigma" / "regression_data";
    if (!fs::is_directory(root)) {
        GTEST_SKIP() << "no Sigma regression data at " << root
                     << " (expected .evtx files with their evtx_dump .json beside them)";
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_regular_file() && e.path().extension() == ".evtx") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty());

    JsonDecoder decoder;
    size_t compared = 0, records = 0;
    std::string failures;
    for (const fs::path& evtx_path : files) {
        fs::path json_path = evtx_path;
        json_path.replace_extension(".json");
        if (!fs::exists(json_path)) continue;

        std::vector<FieldSet> from_evtx, from_json;
        auto reader = OpenInput(evtx_path.string());
        ASSERT_TRUE(reader) << reader.error().message;
        std::vector<Record> recs;
        std::vector<Record> batch;
        while (true) {
            auto n = (*reader)->Read(batch, 64);
            ASSERT_TRUE(n) << n.error().message;
            if (*n == 0) break;
            for (auto& r : batch) recs.push_back(std::move(r));
        }
        for (const Record& r : recs) {
            ASSERT_EQ(r.kind, RecordKind::kEvent) << evtx_path << ": " << r.error;
            EXPECT_NE(r.event.time_ns, 0) << evtx_path;
            EXPECT_EQ(r.event.origin, evtx_path.string() + "#" + std::to_string(r.line));
            from_evtx.push_back(ToSet(r.event, true, evtx_path));
        }

        auto jreader = OpenInput(json_path.string(), InputFormat::kJson);
        ASSERT_TRUE(jreader) << jreader.error().message;
        recs.clear();
        batch.clear();
        while (true) {
            auto n = (*jreader)->Read(batch, 64);
            ASSERT_TRUE(n) << n.error().message;
            if (*n == 0) break;
            for (auto& r : batch) recs.push_back(std::move(r));
        }
        for (const Record& r : recs) {
            ASSERT_EQ(r.kind, RecordKind::kJson) << json_path << ": " << r.error;
            event::Event ev;
            Status st = decoder.Decode(r.data, ev);
            ASSERT_TRUE(st) << json_path << ": " << st.error().message;
            from_json.push_back(ToSet(ev, true, evtx_path));
        }

        // evtx_dump may write the records in another order.
        std::sort(from_evtx.begin(), from_evtx.end());
        std::sort(from_json.begin(), from_json.end());
        ++compared;
        records += from_evtx.size();
        if (from_evtx == from_json) continue;
        failures += evtx_path.string() + ":\n";
        if (from_evtx.size() != from_json.size()) {
            failures += "    " + std::to_string(from_evtx.size()) + " records in the .evtx, " +
                        std::to_string(from_json.size()) + " in the .json\n";
            continue;
        }
        for (size_t i = 0; i < from_evtx.size(); ++i) failures += Diff(from_evtx[i], from_json[i]);
    }
    EXPECT_GT(compared, 0u);
    EXPECT_TRUE(failures.empty()) << failures;
    std::cout << "compared " << compared << " .evtx files (" << records
              << " records) with their evtx_dump .json\n";
}

}  // namespace
}  // namespace vigil::parse

namespace vigil::parse {
namespace {

TEST(ToEvent, EachRecordKind) {
    JsonDecoder decoder;
    event::Event ev;
    Record json;
    json.kind = RecordKind::kJson;
    json.data = R"({"a":{"b":1}})";
    ASSERT_TRUE(ToEvent(json, decoder, ev));
    EXPECT_EQ(ev.Get("a.b"), "1");

    Record text;
    text.kind = RecordKind::kText;
    text.data = "Feb 17 host sshd: Failed password";
    ASSERT_TRUE(ToEvent(text, decoder, ev));
    EXPECT_TRUE(ev.empty());
    EXPECT_EQ(ev.message, "Feb 17 host sshd: Failed password");

    Record decoded;
    decoded.kind = RecordKind::kEvent;
    decoded.event.Add("EventID", "4624", event::ValueKind::kNumber);
    ASSERT_TRUE(ToEvent(decoded, decoder, ev));
    EXPECT_EQ(ev.Get("EventID"), "4624");
    EXPECT_TRUE(ev.message.empty()) << "the previous event's message must not leak";

    Record bad;
    bad.kind = RecordKind::kMalformed;
    bad.error = "truncated JSON document";
    auto st = ToEvent(bad, decoder, ev);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().message, "truncated JSON document");

    json.data = R"({"a":)";
    EXPECT_FALSE(ToEvent(json, decoder, ev));
}

}  // namespace
}  // namespace vigil::parse
