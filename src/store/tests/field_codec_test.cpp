#include "store/field_codec.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "event/event.h"

namespace vigil::store {
namespace {

using event::Event;
using event::ValueKind;

std::vector<std::tuple<std::string, std::string, uint8_t>> Fields(std::string_view blob,
                                                                  std::string_view raw,
                                                                  bool* ok = nullptr) {
    std::vector<std::tuple<std::string, std::string, uint8_t>> out;
    const bool good =
        ForEachField(blob, raw, [&](std::string_view n, std::string_view v, uint8_t k) {
            out.emplace_back(std::string(n), std::string(v), k);
            return true;
        });
    if (ok) *ok = good;
    return out;
}

// Adds a field as a decoder does: with its offset when it is a verbatim piece of the line.
void AddFrom(Event& e, std::string_view line, std::string_view name, std::string_view value,
             ValueKind kind = ValueKind::kString) {
    const size_t at = line.find(value);
    e.Add(name, value, kind,
          value.empty() || at == std::string_view::npos ? event::kNotInLine
                                                        : static_cast<uint32_t>(at));
}

TEST(FieldCodecTest, RoundTripsNamesValuesAndKindsAgainstTheRawLine) {
    const std::string raw =
        "<86>Nov 21 08:15:11 db01 sudo:   alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; "
        "COMMAND=/usr/bin/systemctl restart app1";
    Event e;
    AddFrom(e, raw, "user", "alice");
    AddFrom(e, raw, "TTY", "pts/1");
    AddFrom(e, raw, "PWD", "/home/alice");
    AddFrom(e, raw, "USER", "root");
    AddFrom(e, raw, "COMMAND", "/usr/bin/systemctl restart app1");
    AddFrom(e, raw, "outcome", "success");  // not in the line: written out
    AddFrom(e, raw, "a.name.not.in.the.table", "db01");
    AddFrom(e, raw, "count", "3", ValueKind::kNumber);
    AddFrom(e, raw, "empty", "");
    // An offset that does not hold the value (the stored text differs from the decoded line)
    // is not trusted.
    e.Add("host", "db02", ValueKind::kString, static_cast<uint32_t>(raw.find("db01")));
    std::string blob;
    FieldEncodeCounts counts;
    EncodeFields(e, raw, blob, counts);
    const auto f = Fields(blob, raw);
    ASSERT_EQ(f.size(), e.size());
    for (size_t i = 0; i < e.size(); ++i) {
        EXPECT_EQ(std::get<0>(f[i]), e.field(i).name);
        EXPECT_EQ(std::get<1>(f[i]), e.field(i).value);
        EXPECT_EQ(std::get<2>(f[i]), static_cast<uint8_t>(e.field(i).kind));
    }
    // Well under version 1 (names and values written out, 3 bytes of framing each).
    size_t v1 = 1;
    for (size_t i = 0; i < e.size(); ++i) {
        v1 += e.field(i).name.size() + e.field(i).value.size() + 3;
    }
    EXPECT_LT(blob.size(), v1 * 6 / 10) << blob.size() << " of " << v1;

    Event back;
    ASSERT_TRUE(DecodeFields(blob, raw, back));
    EXPECT_EQ(back.Get("COMMAND"), "/usr/bin/systemctl restart app1");
    EXPECT_EQ(back.Get("outcome"), "success");
    EXPECT_EQ(back.Get("host"), "db02");
}

TEST(FieldCodecTest, ReadsVersionOneBlobs) {
    // count 2: ("user", "bob", string), ("n", "7", number)
    std::string v1;
    v1 += '\x02';
    v1 += '\x04';
    v1 += "user";
    v1 += '\x03';
    v1 += "bob";
    v1 += '\x00';
    v1 += '\x01';
    v1 += "n";
    v1 += '\x01';
    v1 += "7";
    v1 += '\x01';
    const auto f = Fields(v1, "unrelated raw");
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(std::get<1>(f[0]), "bob");
    EXPECT_EQ(std::get<2>(f[1]), 1);
    // A version 1 blob without fields is the single byte 0.
    bool ok = false;
    EXPECT_TRUE(Fields(std::string(1, '\0'), "", &ok).empty());
    EXPECT_TRUE(ok);
}

TEST(FieldCodecTest, DamagedBlobsAreRefusedNotReadPastTheirEnd) {
    const std::string raw = "src=10.0.0.1 dst=10.0.0.2";
    Event e;
    AddFrom(e, raw, "src", "10.0.0.1");
    AddFrom(e, raw, "dst", "10.0.0.2");
    AddFrom(e, raw, "custom_name", "a value not in the raw text");
    std::string blob;
    FieldEncodeCounts counts;
    EncodeFields(e, raw, blob, counts);
    // Every truncation is refused (or yields fewer fields), never a crash.
    for (size_t n = 2; n < blob.size(); ++n) {
        bool ok = true;
        const auto f = Fields(std::string_view(blob).substr(0, n), raw, &ok);
        EXPECT_TRUE(!ok || f.size() < e.size()) << n;
    }
    // A slice past the end of a (shorter) raw text is refused.
    bool ok = true;
    Fields(blob, "src=1", &ok);
    EXPECT_FALSE(ok);
    // An unknown version.
    std::string v9 = blob;
    v9[1] = 9;
    Fields(v9, raw, &ok);
    EXPECT_FALSE(ok);
    // A name code past the table.
    const std::string bad_code("\x00\x02\x01\x08\xff\x01x", 7);
    Fields(bad_code, raw, &ok);
    EXPECT_FALSE(ok);
}

TEST(FieldCodecTest, TheNameTableHasNoDuplicates) {
    std::set<std::string_view> seen;
    for (int code = 0; code < 256; ++code) {
        const std::string_view name = field_codec::NameOfCode(static_cast<uint8_t>(code));
        if (name.empty()) break;
        EXPECT_TRUE(seen.insert(name).second) << name;
    }
    EXPECT_GT(seen.size(), 100u);
}

}  // namespace
}  // namespace vigil::store
