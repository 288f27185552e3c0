#include "audit/export.h"

#include <sstream>

#include <gtest/gtest.h>

namespace vigil::audit {
namespace {

Record Sample() {
    Record r;
    r.seq = 7;
    r.time_ns = 1'700'000'000'123'456'789;
    r.actor = "alice";
    r.action = "config.change";
    r.object = "detect.rules";
    r.before = "{\"level\":\"low\"}";
    r.after = "line1\nline2, \"quoted\"";
    r.source_ip = "192.0.2.7";
    r.result = "success";
    r.detail = "=HYPERLINK(\"http://evil\")";
    r.prev_hash = std::string(64, 'a');
    r.hash = std::string(64, 'b');
    return r;
}

TEST(Export, JsonLinesEscapeAndKeepFieldOrder) {
    std::vector<Record> records = {Sample()};
    std::ostringstream out;
    ASSERT_TRUE(ExportJsonLines(records, out).has_value());
    EXPECT_EQ(out.str(),
              R"j({"seq":7,"time":"2023-11-14T22:13:20.123Z","time_ns":1700000000123456789,)j"
              R"j("actor":"alice","action":"config.change","object":"detect.rules",)j"
              R"j("before":"{\"level\":\"low\"}","after":"line1\nline2, \"quoted\"",)j"
              R"j("source_ip":"192.0.2.7","result":"success",)j"
              R"j("detail":"=HYPERLINK(\"http://evil\")","prev_hash":")j" +
                  std::string(64, 'a') + R"j(","hash":")j" + std::string(64, 'b') + "\"}\n");
}

TEST(Export, CsvQuotesPerRfc4180AndNeutralisesFormulas) {
    std::vector<Record> records = {Sample()};
    std::ostringstream out;
    ASSERT_TRUE(ExportCsv(records, out).has_value());
    EXPECT_EQ(out.str(),
              "seq,time,time_ns,actor,action,object,before,after,source_ip,result,detail,"
              "prev_hash,hash\r\n"
              "7,2023-11-14T22:13:20.123Z,1700000000123456789,alice,config.change,detect.rules,"
              "\"{\"\"level\"\":\"\"low\"\"}\",\"line1\nline2, \"\"quoted\"\"\",192.0.2.7,"
              "success,\"'=HYPERLINK(\"\"http://evil\"\")\"," +
                  std::string(64, 'a') + "," + std::string(64, 'b') + "\r\n");
}

TEST(Export, CsvFieldInjectionPrefixes) {
    EXPECT_EQ(CsvField("=1+2"), "'=1+2");
    EXPECT_EQ(CsvField("+1"), "'+1");
    EXPECT_EQ(CsvField("-2"), "'-2");
    EXPECT_EQ(CsvField("@SUM(A1)"), "'@SUM(A1)");
    EXPECT_EQ(CsvField("\tcmd"), "'\tcmd");
    EXPECT_EQ(CsvField("\rcmd"), "\"'\rcmd\"");
    EXPECT_EQ(CsvField("a=b"), "a=b");
    EXPECT_EQ(CsvField(""), "");
    EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
    EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(CsvField("-1,2"), "\"'-1,2\"");
}

TEST(Export, CheckpointJson) {
    Checkpoint cp{10, std::string(64, 'c'), 1'700'000'000'000'000'000, "c2ln", "0123456789abcdef"};
    std::vector<Checkpoint> cps = {cp};
    std::ostringstream out;
    ASSERT_TRUE(ExportCheckpointsJsonLines(cps, out).has_value());
    EXPECT_EQ(out.str(), R"({"seq":10,"hash":")" + std::string(64, 'c') +
                             R"(","time":"2023-11-14T22:13:20.000Z","time_ns":1700000000000000000,)"
                             R"("signature":"c2ln","key_id":"0123456789abcdef"})"
                             "\n");
}

TEST(Export, StreamFailureIsAnError) {
    std::vector<Record> records = {Sample()};
    std::ostringstream out;
    out.setstate(std::ios::badbit);
    auto st = ExportCsv(records, out);
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().code, Code::kUnavailable);
}

}  // namespace
}  // namespace vigil::audit
