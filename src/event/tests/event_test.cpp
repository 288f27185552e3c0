#include "event/event.h"

#include <gtest/gtest.h>

namespace vigil::event {
namespace {

TEST(Event, AddFindRenameAndReuse) {
    Event e;
    e.Add("Event.EventData.Image", "C:\\cmd.exe");
    e.Add("EventID", "1", ValueKind::kNumber);
    EXPECT_EQ(e.Get("EventID"), "1");
    e.Rename(0, "Image");
    EXPECT_EQ(e.Get("Image"), "C:\\cmd.exe");
    e.Rename(1, "A_much_longer_name_than_before");
    EXPECT_EQ(e.Get("A_much_longer_name_than_before"), "1");
    e.Clear();
    EXPECT_TRUE(e.empty());
    EXPECT_EQ(e.Find("Image"), -1);
}

TEST(Event, JsonNestsDottedNamesAndRepeatsBecomeArrays) {
    Event e;
    e.Add("a.b", "x\"y");
    e.Add("a.c", "2", ValueKind::kNumber);
    e.Add("tags", "t1");
    e.Add("tags", "t2");
    e.Add("n", "", ValueKind::kNull);
    std::string out;
    e.AppendJson(out);
    EXPECT_EQ(out, R"({"a":{"b":"x\"y","c":2},"tags":["t1","t2"],"n":null})");
}

// What a decoder takes for a number is not always one JSON can write: auditd's mode=0100755,
// FortiGate's logid=0000000013. The output stays valid JSON. A number its readers would change
// (JavaScript and jq read doubles: past 2^53, more than 15 digits) is a string too, as sent.
TEST(Event, JsonWritesNumbersJsonCannotHoldAsStrings) {
    Event e;
    e.Add("mode", "0100755", ValueKind::kNumber);
    e.Add("big", "123456789012345678901234567890", ValueKind::kNumber);
    e.Add("neg", "-0.5e-3", ValueKind::kNumber);
    e.Add("odd", "1.", ValueKind::kNumber);
    e.Add("flag", "yes", ValueKind::kBool);
    e.Add("ok", "false", ValueKind::kBool);
    std::string out;
    e.AppendJson(out);
    EXPECT_EQ(out, R"({"mode":"0100755","big":"123456789012345678901234567890","neg":-0.5e-3,)"
                   R"("odd":"1.","flag":"yes","ok":false})");
    Event account;
    account.Add("txn", "9007199254740993", ValueKind::kNumber);
    account.Add("max", "9007199254740992", ValueKind::kNumber);
    out.clear();
    account.AppendJson(out);
    EXPECT_EQ(out, R"({"txn":"9007199254740993","max":9007199254740992})");
}

TEST(Event, LogSourceKeyAndCategories) {
    LogSource ls;
    ls.product = "windows";
    ls.service = "sysmon";
    ls.AddCategory("registry_set");
    ls.AddCategory("registry_event");
    ls.AddCategory("registry_set");
    EXPECT_EQ(ls.Key(), "windows/sysmon/registry_set+registry_event");
}

}  // namespace
}  // namespace vigil::event
