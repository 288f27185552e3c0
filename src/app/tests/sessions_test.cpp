#include "app/sessions.h"

#include <gtest/gtest.h>

namespace vigil::app {
namespace {

constexpr int64_t kMin = int64_t{60} * 1000000000;

TEST(SessionTableTest, CreateTouchDestroy) {
    SessionTable table;
    auto s = table.Create(7, "alice", auth::Role::kAnalyst, SessionLimit::kNone, 0);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->id.size(), 2 * kSessionIdBytes);
    EXPECT_EQ(s->session.csrf_token.size(), 2 * kSessionIdBytes);
    EXPECT_NE(s->id, s->session.csrf_token);
    auto found = table.Touch(s->id, kMin);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->username, "alice");
    EXPECT_EQ(found->user_id, 7);
    EXPECT_FALSE(table.Touch(std::string(64, '0'), kMin));
    EXPECT_TRUE(table.Destroy(s->id));
    EXPECT_FALSE(table.Touch(s->id, kMin));
    EXPECT_FALSE(table.Destroy(s->id));
}

TEST(SessionTableTest, IdleAndAbsoluteTimeouts) {
    SessionTable table;  // 30 min idle, 12 h absolute
    auto s = table.Create(1, "bob", auth::Role::kViewer, SessionLimit::kNone, 0);
    ASSERT_TRUE(s);
    // Activity every 29 minutes keeps it alive ...
    int64_t t = 0;
    for (int i = 0; i < 24; ++i) {
        t += 29 * kMin;
        ASSERT_TRUE(table.Touch(s->id, t)) << "at " << t / kMin << " min";
    }
    // ... until the absolute lifetime of 12 h.
    t = 12 * 60 * kMin;
    EXPECT_FALSE(table.Touch(s->id, t));
    EXPECT_EQ(table.size(), 0u);

    auto idle = table.Create(1, "bob", auth::Role::kViewer, SessionLimit::kNone, 0);
    ASSERT_TRUE(idle);
    EXPECT_FALSE(table.Touch(idle->id, 30 * kMin));

    // A page refreshing itself every 5 s is not the user: it does not keep the session alive.
    auto watched = table.Create(1, "bob", auth::Role::kViewer, SessionLimit::kNone, 0);
    ASSERT_TRUE(watched);
    for (t = 5000000000; t < 30 * kMin; t += 5000000000) {
        ASSERT_TRUE(table.Touch(watched->id, t, /*activity=*/false)) << "at " << t / kMin;
    }
    EXPECT_FALSE(table.Touch(watched->id, 30 * kMin, /*activity=*/false));
}

TEST(SessionTableTest, DestroyUserEndsAllItsSessions) {
    SessionTable table;
    auto a = table.Create(1, "a", auth::Role::kViewer, SessionLimit::kNone, 0);
    auto b = table.Create(1, "a", auth::Role::kViewer, SessionLimit::kNone, 0);
    auto c = table.Create(2, "c", auth::Role::kViewer, SessionLimit::kNone, 0);
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(table.DestroyUser(1), 2u);
    EXPECT_FALSE(table.Touch(a->id, 1));
    EXPECT_TRUE(table.Touch(c->id, 1));
}

TEST(SessionTableTest, BoundedMemoryDropsTheLeastRecentlyUsed) {
    SessionOptions o;
    o.max_sessions = 2;
    SessionTable table(o);
    auto a = table.Create(1, "a", auth::Role::kViewer, SessionLimit::kNone, 0);
    auto b = table.Create(2, "b", auth::Role::kViewer, SessionLimit::kNone, 1);
    ASSERT_TRUE(table.Touch(a->id, 2));
    auto c = table.Create(3, "c", auth::Role::kViewer, SessionLimit::kNone, 3);
    EXPECT_EQ(table.size(), 2u);
    EXPECT_TRUE(table.Touch(a->id, 4));
    EXPECT_FALSE(table.Touch(b->id, 4));
    EXPECT_TRUE(table.Touch(c->id, 4));
}

TEST(SessionTableTest, CookieAttributesAndParsing) {
    SessionTable table;
    const std::string cookie = table.CookieFor("abc");
    EXPECT_EQ(cookie,
              "vigil_session=abc; Path=/; Max-Age=43200; HttpOnly; Secure; SameSite=Strict");
    EXPECT_NE(SessionTable::ExpiredCookie().find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(SessionTable::CookieValue("vigil_session=xyz"), "xyz");
    EXPECT_EQ(SessionTable::CookieValue("a=b; vigil_session=xyz; c=d"), "xyz");
    EXPECT_EQ(SessionTable::CookieValue("xvigil_session=xyz"), "");
    EXPECT_EQ(SessionTable::CookieValue("vigil_sessionx=1"), "");
    EXPECT_EQ(SessionTable::CookieValue(""), "");
}

TEST(SessionTableTest, SecureEquals) {
    EXPECT_TRUE(SecureEquals("abc", "abc"));
    EXPECT_FALSE(SecureEquals("abc", "abd"));
    EXPECT_FALSE(SecureEquals("abc", "ab"));
    EXPECT_FALSE(SecureEquals("", "a"));
}

}  // namespace
}  // namespace vigil::app
