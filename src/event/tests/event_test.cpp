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
