#include "ingest/audit_join.h"

#include <atomic>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::ingest {
namespace {

RawMessage Msg(std::string text, std::string id = {}) {
    RawMessage m;
    m.id = std::move(id);
    m.source = "audit";
    m.bytes = std::move(text);
    return m;
}

std::vector<std::string> Texts(const std::vector<RawMessage>& out) {
    std::vector<std::string> t;
    for (const auto& m : out) t.push_back(m.bytes);
    return t;
}

const std::string kSyscall =
    "type=SYSCALL msg=audit(1763712915.123:77): arch=c000003e syscall=59 success=yes "
    "exe=\"/usr/bin/wget\"";
const std::string kExecve = "type=EXECVE msg=audit(1763712915.123:77): argc=2 a0=\"wget\" a1=\"x\"";
const std::string kEoe = "type=EOE msg=audit(1763712915.123:77): ";

TEST(AuditJoinTest, KeysNameTheNodeAndTheEvent) {
    bool end = true;
    EXPECT_EQ(AuditJoiner::Key(kSyscall, &end), "|1763712915.123:77");
    EXPECT_FALSE(end);
    EXPECT_EQ(AuditJoiner::Key("node=db01 " + kExecve), "db01|1763712915.123:77");
    EXPECT_EQ(AuditJoiner::Key(kEoe, &end), "|1763712915.123:77");
    EXPECT_TRUE(end);
    EXPECT_EQ(AuditJoiner::Key("<14>Nov 22 10:00:00 db01 audispd: node=db01 " + kExecve),
              "db01|1763712915.123:77");
    EXPECT_EQ(AuditJoiner::Key("<4>Nov 22 10:00:00 db01 kernel: audit: type=1400 "
                               "audit(1763712915.5:9): apparmor=\"DENIED\""),
              "|1763712915.5:9");
    EXPECT_EQ(AuditJoiner::Key("Failed password for root from 203.0.113.7"), "");
    EXPECT_EQ(AuditJoiner::Key("type=x but no audit id here"), "");
    EXPECT_EQ(AuditJoiner::Key("type=SYSCALL msg=audit(no colon)"), "");
}

TEST(AuditJoinTest, RecordsOfOneEventBecomeOneMessageEndedByEoe) {
    AuditJoiner j;
    std::vector<RawMessage> out;
    j.Add(Msg(kSyscall, "id-1"), out, 100);
    j.Add(Msg(kExecve, "id-2"), out, 200);
    EXPECT_TRUE(out.empty());
    ASSERT_TRUE(j.holding());
    EXPECT_EQ(j.held_tag(), 100u);
    j.Add(Msg(kEoe, "id-3"), out, 300);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].bytes, kSyscall + "\n" + kExecve + "\n" + kEoe);
    EXPECT_EQ(out[0].id, "id-1") << "the first record's id";
    EXPECT_FALSE(j.holding());
}

TEST(AuditJoinTest, OtherMessagesAndOtherEventsEndAGroupAndKeepTheOrder) {
    AuditJoiner j;
    std::vector<RawMessage> out;
    j.Add(Msg(kSyscall), out);
    j.Add(Msg("plain line"), out);
    j.Add(Msg("type=USER_LOGIN msg=audit(1763712916.000:78): res=failed"), out);
    j.Add(Msg("type=USER_LOGIN msg=audit(1763712916.100:79): res=failed"), out);
    EXPECT_EQ(Texts(out), (std::vector<std::string>{
                              kSyscall, "plain line",
                              "type=USER_LOGIN msg=audit(1763712916.000:78): res=failed"}));
    j.Flush(out);
    EXPECT_EQ(out.size(), 4u);
    EXPECT_FALSE(j.holding());
    j.Flush(out);
    EXPECT_EQ(out.size(), 4u) << "nothing held, nothing flushed";
}

TEST(AuditJoinTest, GroupsAreBoundedInRecordsAndBytes) {
    AuditJoiner j({.max_records = 3, .max_bytes = 1 << 20});
    std::vector<RawMessage> out;
    for (int i = 0; i < 7; ++i) j.Add(Msg(kExecve), out);
    EXPECT_EQ(out.size(), 2u);
    j.Flush(out);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[2].bytes, kExecve);

    AuditJoiner small({.max_records = 64, .max_bytes = kExecve.size() * 2 + 1});
    out.clear();
    for (int i = 0; i < 5; ++i) small.Add(Msg(kExecve), out);
    small.Flush(out);
    ASSERT_EQ(out.size(), 3u);
    for (const auto& m : out) EXPECT_LE(m.bytes.size(), kExecve.size() * 2 + 1);
}

// A group ended by a bound before its EOE (its event is stored in pieces) is counted where the
// producer asks; groups ended by their EOE, another event, a flush or a plain line are not.
TEST(AuditJoinTest, GroupsCutByABoundAreCounted) {
    std::atomic<uint64_t> cut{0};
    AuditJoiner j({.max_records = 3, .max_bytes = 1 << 20});
    j.CountCutsIn(&cut);
    std::vector<RawMessage> out;
    for (int i = 0; i < 4; ++i) j.Add(Msg(kExecve), out);  // cut after 3
    EXPECT_EQ(cut.load(), 1u);
    j.Add(Msg(kEoe), out);  // ends the second group by its EOE
    j.Add(Msg(kSyscall), out);
    j.Add(Msg("plain line"), out);
    j.Add(Msg(kSyscall), out);
    j.Flush(out);
    EXPECT_EQ(cut.load(), 1u);
    j.Add(Msg(kSyscall), out);
    j.Cut(out);  // the producer's own bound
    EXPECT_EQ(cut.load(), 2u);
    j.Cut(out);
    EXPECT_EQ(cut.load(), 2u) << "nothing held, nothing cut";

    AuditJoiner small({.max_records = 64, .max_bytes = kExecve.size() * 2 + 1});
    small.CountCutsIn(&cut);
    for (int i = 0; i < 3; ++i) small.Add(Msg(kExecve), out);  // the third does not fit
    EXPECT_EQ(cut.load(), 3u);
}

TEST(AuditJoinTest, ADisabledJoinerPassesEveryMessage) {
    AuditJoiner j(/*enabled=*/false);
    std::vector<RawMessage> out;
    for (const auto& r : {kSyscall, kExecve, kEoe}) j.Add(Msg(r), out);
    EXPECT_EQ(Texts(out), (std::vector<std::string>{kSyscall, kExecve, kEoe}));
    EXPECT_FALSE(j.holding());
}

TEST(AuditJoinTest, ClearForgetsTheHeldGroup) {
    AuditJoiner j;
    std::vector<RawMessage> out;
    j.Add(Msg(kSyscall), out, 7);
    j.Clear();
    EXPECT_FALSE(j.holding());
    j.Flush(out);
    EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace vigil::ingest
