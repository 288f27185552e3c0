#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "store/database.h"
#include "store/migrations.h"
#include "store/sqlite_event_store.h"
#include "store/tests/test_util.h"
#include "store/text_index.h"

namespace vigil::store {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

constexpr int64_t kSec = 1000000000;
constexpr int64_t kHour = 3600 * kSec;
// 2025-11-26T00:00:00Z
constexpr int64_t kDay0 = 1764115200LL * kSec;

StoredEvent MakeEvent(int64_t time_ns, std::string raw,
                      std::vector<std::pair<std::string, std::string>> fields = {}) {
    StoredEvent e;
    e.receive_ns = time_ns;
    e.source = "test";
    e.host = "web-1";
    e.event.time_ns = time_ns;
    e.event.message = std::move(raw);
    e.event.logsource.product = "linux";
    e.event.logsource.service = "sshd";
    for (auto& [k, v] : fields) e.event.Add(k, v);
    return e;
}

OpenEventStoreOptions Manual(int64_t now) {
    OpenEventStoreOptions o;
    o.background_index = false;
    o.clock = [now] { return now; };
    return o;
}

std::unique_ptr<SqliteEventStore> OpenStore(const TempDir& dir, int64_t now = kDay0 + kHour) {
    auto s = SqliteEventStore::Open(dir.path(), Manual(now));
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return std::move(*s);
}

Result<AppendResult> AppendAll(EventStore& store, std::vector<StoredEvent> events) {
    return store.Append(events);
}

SearchQuery Range(int64_t since, int64_t until) {
    SearchQuery q;
    q.since_ns = since;
    q.until_ns = until;
    return q;
}

std::vector<std::string> Raws(const SearchPage& page) {
    std::vector<std::string> out;
    for (const auto& h : page.hits) out.push_back(h.event.event.message);
    return out;
}

// The raw messages of the first hour of kDay0 that hold text, newest first (up to 1,000).
std::vector<std::string> FindText(EventStore& store, std::string text) {
    SearchQuery q = Range(kDay0, kDay0 + kHour);
    q.text = std::move(text);
    q.limit = 1000;
    auto page = store.Search(q);
    EXPECT_TRUE(page.has_value()) << page.error().message;
    return page ? Raws(*page) : std::vector<std::string>{};
}

// A partition file as an older version wrote it: its first `version` migrations, 40 rows
// (i = 1 .. 40, one second apart from kDay0) whose host and raw are the SQL expressions given,
// then `index_sql` (the old version's text index and its mark).
void WriteOldPartition(const fs::path& path, int version, const std::string& host,
                       const std::string& raw, const std::string& index_sql) {
    fs::create_directories(path.parent_path());
    auto db = Database::Open(path);
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE(RegisterTextTokenizer(*db));
    ASSERT_TRUE(
        Migrate(*db, "events", EventPartitionMigrations().first(static_cast<size_t>(version))));
    auto st = db->Exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) "
        "INSERT INTO events(id, time_ns, event_ns, receive_ns, source, host, product, "
        "service, categories, fields, raw) SELECT randomblob(16), " +
        std::to_string(kDay0) + " + i * 1000000000, 0, " + std::to_string(kDay0) + ", 'test', " +
        host + ", 'linux', 'sshd', '', x'000200', " + raw + " FROM n;" + index_sql);
    ASSERT_TRUE(st) << st.error().message;
}

// FTS5's own check of a partition's block index, and how many (term, block, count) entries
// differ from an index built from scratch in the same file, each row's document being `doc`
// (SQL over the row's columns; s is the row break) and the documents of the blocks from
// exact_from on starting with kExactValue. -1 when the comparison could not run.
// A row's exact-value tokens for its attributes (a document's tokens are a set: their order
// does not matter), in SQL over its columns as DiffFromFreshIndex reads them; for rows with at most
// one category (the indexer makes a token of each, and none without one).
const std::string kExactAttributes =
    "vigil_exact_value('host', host) || s || vigil_exact_value('source', source) || s || "
    "vigil_exact_value('product', product) || s || vigil_exact_value('service', service) || "
    "CASE WHEN categories = '' THEN '' ELSE s || vigil_exact_value('category', categories) END";

int64_t DiffFromFreshIndex(Database& db, const std::string& doc, int64_t exact_from) {
    auto check = db.Exec("INSERT INTO events_blk(events_blk) VALUES('integrity-check')");
    EXPECT_TRUE(check) << check.error().message;
    auto built = db.Exec(
        "CREATE VIRTUAL TABLE fresh USING fts5(raw, content='', tokenize='vigil_trigram', "
        "detail='none', columnsize=0);"
        "INSERT INTO fresh(rowid, raw) SELECT seq / 32, CASE WHEN seq / 32 >= " +
        std::to_string(exact_from) +
        " THEN CAST(x'fe' AS TEXT) ELSE '' END || group_concat(doc, s) FROM (SELECT seq, s, " +
        doc +
        " AS doc FROM events, (SELECT CAST(x'ff' AS TEXT) AS s) ORDER BY seq) GROUP BY seq / 32;"
        "CREATE VIRTUAL TABLE temp.v_blk USING fts5vocab(main, events_blk, 'row');"
        "CREATE VIRTUAL TABLE temp.v_fresh USING fts5vocab(main, fresh, 'row');");
    EXPECT_TRUE(built) << built.error().message;
    auto differ = db.Prepare(
        "SELECT (SELECT count(*) FROM temp.v_fresh), count(*) FROM ("
        "SELECT * FROM (SELECT term, doc, cnt FROM temp.v_blk EXCEPT "
        "SELECT term, doc, cnt FROM temp.v_fresh) UNION ALL "
        "SELECT * FROM (SELECT term, doc, cnt FROM temp.v_fresh EXCEPT "
        "SELECT term, doc, cnt FROM temp.v_blk))");
    EXPECT_TRUE(differ) << differ.error().message;
    if (!built || !differ || *differ->Step() != Statement::StepResult::kRow) return -1;
    EXPECT_GT(differ->ColumnInt64(0), 100) << "the fresh index holds the rows' trigrams";
    return differ->ColumnInt64(1);
}

TEST(EventId, NewIdsAreOrderedAndRoundTripAsText) {
    EventId a = EventId::New(kDay0);
    EventId b = EventId::New(kDay0);
    EXPECT_LT(a, b);
    EXPECT_EQ((a.bytes[6] >> 4), 7);  // UUIDv7
    auto parsed = EventId::Parse(a.ToString());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, a);
    EXPECT_EQ(a.ToString().size(), 36u);
    EXPECT_FALSE(EventId::Parse("not-an-id"));
    EXPECT_FALSE(EventId::Parse(a.ToString() + "0"));
    // Upper case reads the same; one stray character anywhere in the canonical form fails it,
    // and the form without dashes still reads.
    std::string upper = a.ToString();
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(EventId::Parse(upper), a);
    for (size_t i = 0; i < 36; ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) continue;
        std::string bad = a.ToString();
        bad[i] = 'g';
        EXPECT_FALSE(EventId::Parse(bad)) << i;
    }
    std::string bare = a.ToString();
    std::erase(bare, '-');
    EXPECT_EQ(EventId::Parse(bare), a);
    // Its time comes back (to the ms); ids that are not UUIDv7s, or whose time is past the
    // year 10000, carry none.
    EXPECT_EQ(EventId::New(kDay0 + 123456789).UuidV7TimeNs(), kDay0 + 123000000);
    EventId hashed;
    hashed.bytes.fill(0xab);
    EXPECT_FALSE(hashed.UuidV7TimeNs());
    hashed.bytes.fill(0xff);
    hashed.bytes[6] = 0x7f;
    hashed.bytes[8] = 0xbf;
    EXPECT_FALSE(hashed.UuidV7TimeNs()) << "0xffffffffffff ms is past the year 10000";
}

TEST(EventStore, AppendSearchRoundTrip) {
    TempDir dir;
    auto store = OpenStore(dir);
    std::vector<StoredEvent> batch = {
        MakeEvent(kDay0 + 10 * kSec, "Failed password for root from 10.0.0.1",
                  {{"user", "root"}, {"src_ip", "10.0.0.1"}}),
        MakeEvent(kDay0 + 20 * kSec, "Accepted password for alice", {{"user", "alice"}}),
    };
    auto r = store->Append(batch);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->stored, 2u);
    EXPECT_FALSE(batch[0].id.IsZero());  // assigned and written back
    EXPECT_TRUE(fs::exists(dir / "events/2025-11-26.db"));

    auto page = store->Search(Range(kDay0, kDay0 + kHour));
    ASSERT_TRUE(page.has_value()) << page.error().message;
    ASSERT_EQ(page->hits.size(), 2u);
    const SearchHit& newest = page->hits[0];
    EXPECT_EQ(newest.id, batch[1].id);
    EXPECT_EQ(newest.event.event.message, "Accepted password for alice");
    EXPECT_EQ(newest.event.event.Get("user"), "alice");
    EXPECT_EQ(newest.event.host, "web-1");
    EXPECT_EQ(newest.event.event.logsource.service, "sshd");
    EXPECT_EQ(page->hits[1].event.event.Get("src_ip"), "10.0.0.1");
    EXPECT_TRUE(page->next_cursor.empty());
}

TEST(EventStore, ReappendingTheSameIdsStoresThemOnce) {
    TempDir dir;
    auto store = OpenStore(dir);
    std::vector<StoredEvent> batch;
    for (int i = 0; i < 50; ++i)
        batch.push_back(MakeEvent(kDay0 + i * kSec, "e" + std::to_string(i)));
    ASSERT_EQ(store->Append(batch)->stored, 50u);
    auto again = store->Append(batch);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->stored, 0u);
    EXPECT_EQ(again->duplicates, 50u);
    // Reopened (a restart), the replay is still recognised.
    store.reset();
    store = OpenStore(dir);
    EXPECT_EQ(store->Append(batch)->duplicates, 50u);
    auto stats = store->Stats();
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(stats->events, 50u);
}

// A line without a time of its own is filed under its receipt. Read again after a crash (its
// offset not saved), it is received again, maybe on the next day: the store finds the copy
// filed under the day it was first received, and under its own time when it has one, once
// the event says when a previous run may have received it.
TEST(EventStore, AReplayReceivedOnAnotherDayIsFoundUnderTheDayOfItsFirstReceipt) {
    TempDir dir;
    auto store = OpenStore(dir, kDay0 + 24 * kHour);
    const int64_t first = kDay0 + 24 * kHour - 2 * kSec;  // 23:59:58 on day 0
    StoredEvent untimed = MakeEvent(0, "no time of its own");
    untimed.receive_ns = first;
    untimed.id = EventId::New(first);
    // Its own time, 40 days back, is not trusted: it is filed under its receipt too.
    StoredEvent old = MakeEvent(first - 40 * 24 * kHour, "forty days back");
    old.receive_ns = first;
    old.id = EventId::New(first + 1);
    std::vector<StoredEvent> batch{untimed, old};
    ASSERT_EQ(store->Append(batch)->stored, 2u);
    ASSERT_TRUE(fs::exists(dir.path() / "events/2025-11-26.db"));

    const int64_t again = kDay0 + 24 * kHour + 30 * 60 * kSec;  // 00:30 on day 1
    std::vector<StoredEvent> replay{untimed, old};
    for (StoredEvent& e : replay) e.receive_ns = again;
    // Without the earlier receipt the store has no reason to look elsewhere: stored twice.
    {
        auto twice = SqliteEventStore::Open(dir.path() / "other", Manual(kDay0 + 24 * kHour));
        ASSERT_TRUE(twice.has_value()) << twice.error().message;
        std::vector<StoredEvent> b1{untimed, old}, b2 = replay;
        ASSERT_EQ((*twice)->Append(b1)->stored, 2u);
        EXPECT_EQ((*twice)->Append(b2)->stored, 2u);
    }
    for (StoredEvent& e : replay) e.earlier_receipt_ns = again - 5 * 60 * kSec;
    auto r = store->Append(replay);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->stored, 0u);
    EXPECT_EQ(r->duplicates, 2u);
    EXPECT_TRUE(replay[0].duplicate);
    EXPECT_TRUE(replay[1].duplicate);
    EXPECT_FALSE(fs::exists(dir.path() / "events/2025-11-27.db"));
    // A new event with an earlier receipt, whose id is nowhere, is stored.
    StoredEvent fresh = MakeEvent(0, "new line");
    fresh.receive_ns = again;
    fresh.id = EventId::New(again);
    fresh.earlier_receipt_ns = again - 5 * 60 * kSec;
    std::vector<StoredEvent> one{fresh};
    ASSERT_EQ(store->Append(one)->stored, 1u);
    EXPECT_FALSE(one[0].duplicate);
    auto stats = store->Stats();
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(stats->events, 3u);
}

// The writer inserts many rows per statement: a batch whose length is no multiple of that, with
// new events, events stored before and one id twice, stores each new event once with its own
// columns, and counts the rest as duplicates.
TEST(EventStore, MixedBatchOfNewAndStoredIdsStoresEachNewEventOnce) {
    TempDir dir;
    auto store = OpenStore(dir);
    std::vector<StoredEvent> old;
    for (int i = 0; i < 50; ++i)
        old.push_back(MakeEvent(kDay0 + i * kSec, "old " + std::to_string(i)));
    ASSERT_EQ(store->Append(old)->stored, 50u);
    std::vector<StoredEvent> batch;
    size_t fresh = 0;
    for (int k = 0; k < 77; ++k) {
        if (k % 3 == 0) {
            batch.push_back(old[static_cast<size_t>(k) % old.size()]);
        } else {
            StoredEvent e = MakeEvent(kDay0 + (100 + k) * kSec, "new " + std::to_string(k),
                                      {{"n", std::to_string(k)}});
            e.id = EventId::New(kDay0 + k);
            batch.push_back(std::move(e));
            ++fresh;
        }
    }
    batch.push_back(batch[40]);  // a new event's id a second time in the same batch
    auto r = store->Append(batch);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->stored, fresh);
    EXPECT_EQ(r->duplicates, batch.size() - fresh);
    // Each event says whether it was stored: the replayed old ones and the second copy were not.
    for (size_t k = 0; k < batch.size(); ++k) {
        EXPECT_EQ(batch[k].duplicate, k % 3 == 0 || k + 1 == batch.size()) << k;
    }
    for (const StoredEvent& e : old) EXPECT_FALSE(e.duplicate);
    auto stats = store->Stats();
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(stats->events, 50u + fresh);
    for (const StoredEvent& e : batch) {
        EventLookup lookup;
        lookup.ids = {e.id};
        auto hits = store->GetEvents(lookup);
        ASSERT_TRUE(hits.has_value());
        ASSERT_EQ(hits->size(), 1u);
        EXPECT_EQ((*hits)[0].event.event.message, e.event.message);
        EXPECT_EQ((*hits)[0].event.event.time_ns, e.event.time_ns);
        EXPECT_EQ((*hits)[0].event.event.Get("n"), e.event.Get("n"));
    }
}

TEST(EventStore, OnePartitionPerDayAndSearchesSpanDays) {
    TempDir dir;
    auto store = OpenStore(dir, kDay0 + 3 * 86400 * kSec);
    std::vector<StoredEvent> batch;
    for (int d = 0; d < 3; ++d) {
        for (int i = 0; i < 4; ++i) {
            auto e = MakeEvent(kDay0 + d * 86400 * kSec + i * kHour,
                               "day" + std::to_string(d) + " n" + std::to_string(i));
            e.receive_ns = kDay0 + 3 * 86400 * kSec;
            batch.push_back(std::move(e));
        }
    }
    ASSERT_TRUE(store->Append(batch));
    for (const char* f : {"2025-11-26.db", "2025-11-27.db", "2025-11-28.db"}) {
        EXPECT_TRUE(fs::exists(dir / (std::string("events/") + f))) << f;
    }
    auto page = store->Search(Range(kDay0 + 2 * kHour, kDay0 + 86400 * kSec + 2 * kHour));
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(Raws(*page), (std::vector<std::string>{"day1 n1", "day1 n0", "day0 n3", "day0 n2"}));
    EXPECT_EQ(page->partitions, 2u);
}

TEST(EventStore, EventsAreFoundByIdInWhicheverPartitionTheyAre) {
    TempDir dir;
    const int64_t now = kDay0 + 3 * 86400 * kSec;
    auto store = OpenStore(dir, now);
    std::vector<StoredEvent> batch;
    for (int d = 0; d < 3; ++d) {
        auto e = MakeEvent(kDay0 + d * 86400 * kSec + kHour, "day" + std::to_string(d),
                           {{"user", "u" + std::to_string(d)}});
        e.receive_ns = now;  // the ids' time is now; the events lie up to 3 days before it
        batch.push_back(std::move(e));
    }
    // An id from elsewhere (a file line's hash): no time in it, so every partition is read.
    StoredEvent hashed = MakeEvent(kDay0 + 2 * kHour, "hashed id");
    hashed.id.bytes.fill(0xab);
    batch.push_back(std::move(hashed));
    ASSERT_TRUE(store->Append(batch));
    const EventId day0 = batch[0].id, day2 = batch[2].id, other = batch[3].id;
    EventId unknown = EventId::New(now);

    EventLookup lookup;
    lookup.ids = {day2, unknown, other, day0, day2};
    auto hits = store->GetEvents(lookup);
    ASSERT_TRUE(hits.has_value()) << hits.error().message;
    ASSERT_EQ(hits->size(), 3u);
    EXPECT_EQ((*hits)[0].id, day2);
    EXPECT_EQ((*hits)[0].event.event.message, "day2");
    EXPECT_EQ((*hits)[0].event.event.Get("user"), "u2");
    EXPECT_EQ((*hits)[0].time_ns, kDay0 + 2 * 86400 * kSec + kHour);
    EXPECT_EQ((*hits)[1].id, other);
    EXPECT_EQ((*hits)[1].event.event.message, "hashed id");
    EXPECT_EQ((*hits)[2].event.event.message, "day0");
    EXPECT_EQ((*hits)[2].event.host, "web-1");

    // A time hint (a detection's time) and a reader that is read-only give the same answer.
    OpenEventStoreOptions ro;
    ro.read_only = true;
    ro.background_index = false;
    auto reader = SqliteEventStore::Open(dir.path(), ro);
    ASSERT_TRUE(reader.has_value());
    lookup.ids = {day0};
    lookup.time_hint_ns = kDay0 + kHour;
    hits = (*reader)->GetEvents(lookup);
    ASSERT_TRUE(hits.has_value()) << hits.error().message;
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ((*hits)[0].event.event.message, "day0");

    // Nothing stored under an id: an empty answer, not an error. Bad requests are refused.
    lookup.ids = {unknown};
    hits = store->GetEvents(lookup);
    ASSERT_TRUE(hits.has_value());
    EXPECT_TRUE(hits->empty());
    lookup.ids.clear();
    EXPECT_EQ(store->GetEvents(lookup).error().code, Code::kInvalidArgument);
    lookup.ids.assign(kMaxLookupIds + 1, day0);
    EXPECT_EQ(store->GetEvents(lookup).error().code, Code::kInvalidArgument);
}

// `vigil events search` reads the store read-only while serve writes it. A partition serve is
// creating appears whole: a search over days being created never meets a file whose schema is
// only partly there (it failed: "has no events schema", "at version 3, this build needs 6").
// A file left by a crash in the middle of making one does not get in the way.
TEST(EventStore, ReadersNeverSeeAPartitionBeingCreated) {
    TempDir dir;
    constexpr int kDays = 40;
    const int64_t now = kDay0 + kDays * 86400 * kSec;
    auto store = OpenStore(dir, now);
    fs::create_directories(dir.path() / "events");
    std::ofstream(dir.path() / "events" / "2025-11-27.db.new") << "left by a crash";
    ASSERT_TRUE(AppendAll(*store, {MakeEvent(kDay0 + kHour, "first")}));
    OpenEventStoreOptions ro = Manual(now);
    ro.read_only = true;
    auto reader = SqliteEventStore::Open(dir.path(), ro);
    ASSERT_TRUE(reader.has_value()) << reader.error().message;
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (int d = 1; d < kDays; ++d) {
            auto r = AppendAll(
                *store, {MakeEvent(kDay0 + d * 86400 * kSec + kHour, "day " + std::to_string(d))});
            EXPECT_TRUE(r.has_value()) << r.error().message;
        }
        done = true;
    });
    int searches = 0;
    std::string failure;
    while (!done || searches == 0) {
        SearchQuery q = Range(kDay0, now);
        q.text = "no such text";
        auto page = (*reader)->Search(q);
        ++searches;
        if (!page && failure.empty()) failure = page.error().message;
    }
    writer.join();
    EXPECT_EQ(failure, "") << "in " << searches << " searches";
    auto page = (*reader)->Search(Range(kDay0, now));
    ASSERT_TRUE(page.has_value()) << page.error().message;
    EXPECT_EQ(page->hits.size(), static_cast<size_t>(kDays));
    for (const auto& entry : fs::directory_iterator(dir.path() / "events")) {
        EXPECT_EQ(entry.path().string().find(".new"), std::string::npos) << entry.path();
    }
}

TEST(EventStore, TimesOutsideTheWindowGoToTheReceiveDay) {
    TempDir dir;
    auto store = OpenStore(dir);
    std::vector<StoredEvent> batch = {MakeEvent(kDay0 + kHour, "from 1999"),
                                      MakeEvent(kDay0 + kHour, "from 2100")};
    batch[0].event.time_ns = 915148800LL * kSec;
    batch[1].event.time_ns = 4102444800LL * kSec;
    auto r = store->Append(batch);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->time_clamped, 2u);
    // Only the receive day's file exists; the reported times are kept.
    size_t files = 0;
    for (const auto& entry : fs::directory_iterator(dir / "events")) {
        files += entry.path().extension() == ".db";
    }
    EXPECT_EQ(files, 1u);
    auto page = store->Search(Range(kDay0, kDay0 + 2 * kHour));
    ASSERT_TRUE(page.has_value());
    ASSERT_EQ(page->hits.size(), 2u);
    EXPECT_EQ(page->hits[0].time_ns, kDay0 + kHour);
    EXPECT_EQ(page->hits[1].event.event.time_ns, 915148800LL * kSec);
}

TEST(EventStore, TextSearchEnglishAndChineseIndexedOrNot) {
    TempDir dir;
    auto store = OpenStore(dir);
    std::vector<StoredEvent> batch = {
        MakeEvent(kDay0 + 1 * kSec, "Failed password for ROOT from 10.0.0.1 port 22 ssh2"),
        MakeEvent(kDay0 + 2 * kSec, "用户 admin 登录失败，来源 10.0.0.9"),
        MakeEvent(kDay0 + 3 * kSec, "session opened for user alice"),
        MakeEvent(kDay0 + 4 * kSec, "100% done with \"quotes\" AND NOT OR * ( ) :"),
    };
    ASSERT_TRUE(store->Append(batch));
    auto find = [&](std::string text) { return FindText(*store, std::move(text)); };
    auto check_all = [&] {
        EXPECT_EQ(find("password for root").size(), 1u);  // case-insensitive
        EXPECT_EQ(find("登录失败"), std::vector<std::string>{batch[1].event.message});
        EXPECT_EQ(find("登录").size(), 1u);                // two characters: scanned, not indexed
        EXPECT_EQ(find("\"quotes\" AND NOT").size(), 1u);  // FTS syntax is data
        EXPECT_EQ(find("100%").size(), 1u);                // LIKE syntax is data
        EXPECT_EQ(find("%").size(), 1u);
        EXPECT_EQ(find("_").size(), 0u);
        EXPECT_EQ(find("nothing like this").size(), 0u);
        EXPECT_EQ(find("10.0.0.").size(), 2u);
    };
    check_all();  // nothing indexed yet: the scan of the tail answers
    auto n = store->IndexText(1000);
    ASSERT_TRUE(n.has_value()) << n.error().message;
    EXPECT_EQ(*n, 4u);
    EXPECT_EQ(*store->IndexText(1000), 0u);
    check_all();  // from the index
    // Half indexed: both paths at once.
    ASSERT_TRUE(
        AppendAll(*store, {MakeEvent(kDay0 + 5 * kSec, "another Failed password for root")}));
    EXPECT_EQ(find("password for root").size(), 2u);
}

// Indexed in many small chunks (many FTS5 segments), then compacted: the same answers, and a
// compact index has nothing left to merge.
TEST(EventStore, CompactingTheTextIndexKeepsEveryAnswer) {
    TempDir dir;
    auto store = OpenStore(dir);
    std::vector<StoredEvent> batch;
    for (int i = 0; i < 400; ++i) {
        batch.push_back(
            MakeEvent(kDay0 + i * kSec, "login failed for user u" + std::to_string(i) +
                                            (i % 50 == 0 ? " 登录失败 rare-token" : "")));
    }
    ASSERT_TRUE(store->Append(batch));
    for (;;) {
        auto n = store->IndexText(7);
        ASSERT_TRUE(n) << n.error().message;
        if (*n == 0) break;
    }
    auto count = [&](std::string text) { return FindText(*store, std::move(text)).size(); };
    const size_t rare = count("rare-token"), chinese = count("登录失败"), user = count("user u1");
    EXPECT_EQ(rare, 8u);
    EXPECT_EQ(chinese, 8u);
    size_t steps = 0;
    for (;;) {
        auto n = store->CompactText(10);
        ASSERT_TRUE(n) << n.error().message;
        if (*n == 0) break;
        steps += *n;
    }
    EXPECT_GT(steps, 0u) << "57 small segments had something to merge";
    EXPECT_EQ(*store->CompactText(10), 0u);
    EXPECT_EQ(count("rare-token"), rare);
    EXPECT_EQ(count("登录失败"), chinese);
    EXPECT_EQ(count("user u1"), user);
}

// The index holds trigrams without positions: a row holding every trigram of the text, but
// not the text, is not an answer, indexed or not.
TEST(EventStore, TextSearchNeedsTheWholeTextNotJustItsTrigrams) {
    TempDir dir;
    auto store = OpenStore(dir);
    ASSERT_TRUE(AppendAll(*store, {MakeEvent(kDay0 + 1 * kSec, "xx abcdef yy"),
                                   MakeEvent(kDay0 + 2 * kSec, "abc zz def cde bcd"),
                                   MakeEvent(kDay0 + 3 * kSec, "ABCDEF at the start")}));
    auto find = [&](std::string text) { return FindText(*store, std::move(text)).size(); };
    EXPECT_EQ(find("abcdef"), 2u);
    // A stray continuation byte in the text is a character of its own, as SQLite reads it (a
    // search, not an error): it finds U+0080.
    ASSERT_TRUE(AppendAll(*store, {MakeEvent(kDay0 + 4 * kSec, "xa\u0080bcx")}));
    EXPECT_EQ(find("a\x80"
                   "bc"),
              1u);
    ASSERT_TRUE(store->IndexText(1000));
    EXPECT_EQ(find("abcdef"), 2u);
    EXPECT_EQ(find("bcde"), 2u);
    EXPECT_EQ(find("zz def cde"), 1u);
    EXPECT_EQ(find("a\x80"
                   "bc"),
              1u);
    EXPECT_EQ(find("\x80\x80\x80"), 0u);
}

// Partitions written before schema version 3 keep their rows in the positional index
// (events_fts); rows indexed after the upgrade go to the newest index. A search finds both.
TEST(EventStore, RowsIndexedBeforeTheTextIndexChangeAreStillFound) {
    TempDir dir;
    const fs::path part = dir.path() / "events" / "2025-11-26.db";
    {
        auto store = OpenStore(dir);
        ASSERT_TRUE(AppendAll(*store, {MakeEvent(kDay0 + 1 * kSec, "old row: login failed"),
                                       MakeEvent(kDay0 + 2 * kSec, "old row: 登录失败")}));
    }
    {
        // What version 2 left, upgraded: the rows indexed in events_fts, none in the newer
        // indexes (the upgrade marks them as the old index's).
        auto db = Database::Open(part);
        ASSERT_TRUE(db) << db.error().message;
        ASSERT_TRUE(
            db->Exec("INSERT INTO events_fts(rowid, raw) SELECT seq, raw FROM events;"
                     "UPDATE events_meta SET value = (SELECT max(seq) FROM events) "
                     "WHERE key IN ('fts_upto', 'fts_old_upto', 'fts_blk_from');"));
    }
    auto store = OpenStore(dir);
    ASSERT_TRUE(AppendAll(*store, {MakeEvent(kDay0 + 3 * kSec, "new row: login failed"),
                                   MakeEvent(kDay0 + 4 * kSec, "new row: 登录失败")}));
    auto find = [&](std::string text) { return FindText(*store, std::move(text)); };
    using V = std::vector<std::string>;
    EXPECT_EQ(find("login failed"), (V{"new row: login failed", "old row: login failed"}));
    ASSERT_EQ(*store->IndexText(1000), 2u);
    EXPECT_EQ(find("login failed"), (V{"new row: login failed", "old row: login failed"}));
    EXPECT_EQ(find("登录失败"), (V{"new row: 登录失败", "old row: 登录失败"}));
    EXPECT_EQ(find("old row"), (V{"old row: 登录失败", "old row: login failed"}));

    // The migration itself: a version-2 partition's indexed rows are marked as the old
    // index's, so searches keep reading it.
    const fs::path v2 = dir.path() / "v2.db";
    auto db = Database::Open(v2);
    ASSERT_TRUE(db);
    ASSERT_TRUE(RegisterTextTokenizer(*db));
    ASSERT_TRUE(Migrate(*db, "events", EventPartitionMigrations().first(2)));
    ASSERT_TRUE(db->Exec("UPDATE events_meta SET value = 41 WHERE key = 'fts_upto'"));
    ASSERT_TRUE(Migrate(*db, "events", EventPartitionMigrations()));
    auto old =
        db->Prepare("SELECT value FROM events_meta WHERE key IN ('fts_old_upto', 'fts_blk_from')");
    ASSERT_TRUE(old);
    ASSERT_EQ(*old->Step(), Statement::StepResult::kRow);
    EXPECT_EQ(old->ColumnInt64(0), 41);
    ASSERT_EQ(*old->Step(), Statement::StepResult::kRow);
    EXPECT_EQ(old->ColumnInt64(0), 41);
    old->Reset();
    // Migration 7: FTS5 merges a level whole only past 64 segments (never at automerge's 16),
    // so the indexer's transaction does not hold the partition's writer for seconds.
    auto merge = db->Prepare(
        "SELECT k, v FROM events_blk_config WHERE k IN ('automerge', 'crisismerge') ORDER BY k");
    ASSERT_TRUE(merge);
    ASSERT_EQ(*merge->Step(), Statement::StepResult::kRow);
    EXPECT_EQ(merge->ColumnInt64(1), 16);
    ASSERT_EQ(*merge->Step(), Statement::StepResult::kRow);
    EXPECT_EQ(merge->ColumnInt64(1), 64);
}

// The text index holds blocks of rows. Indexing after every append leaves the newest block
// partly indexed each time; its document is then deleted and indexed again whole. Every row
// stays findable, and nothing is left unindexed.
TEST(EventStore, BlocksIndexedPartlyAreIndexedAgainWhole) {
    TempDir dir;
    auto store = OpenStore(dir);
    constexpr int kRows = 75;  // two whole blocks of 32 and part of a third
    for (int i = 0; i < kRows; ++i) {
        ASSERT_TRUE(AppendAll(
            *store, {MakeEvent(kDay0 + (i + 1) * kSec, "row " + std::to_string(i) + " token" +
                                                           std::to_string(i) + "x shared text")}));
        auto n = store->IndexText(1000);
        ASSERT_TRUE(n) << n.error().message;
        EXPECT_EQ(*n, 1u);
    }
    for (int i = 0; i < kRows; ++i) {
        EXPECT_EQ(FindText(*store, "token" + std::to_string(i) + "x").size(), 1u) << i;
    }
    EXPECT_EQ(FindText(*store, "shared text").size(), static_cast<size_t>(kRows));
    auto stats = store->Stats();
    ASSERT_TRUE(stats);
    ASSERT_EQ(stats->partitions.size(), 1u);
    EXPECT_EQ(stats->partitions[0].unindexed, 0u);
    // After all those deletions the index holds what one built from scratch does: every
    // trigram and token in as many blocks, FTS5's own check passing. (A row's document: its raw
    // text, then the exact-value tokens of its fields and attributes; these rows have no fields.)
    auto db = Database::Open(dir.path() / "events" / "2025-11-26.db");
    ASSERT_TRUE(db);
    ASSERT_TRUE(RegisterTextTokenizer(*db));
    EXPECT_EQ(DiffFromFreshIndex(*db, "raw || s || " + kExactAttributes, 0), 0);
}

// The index reads characters as the search's LIKE check does (invalid UTF-8 in a search text
// included), so a text finds the same rows before, while and after they are indexed. Each row
// is alone in its block of 32 (filler rows with no trigram between them), so a block is a
// candidate only through its own row; the index is built halfway, leaving a block with
// non-ASCII text to be indexed again.
TEST(EventStore, TextSearchAnswersTheSameIndexedOrNot) {
    TempDir dir;
    auto store = OpenStore(dir);
    const std::vector<std::string> rows = {"caf\u00e9 CAF\u00c9 menu",
                                           "a\uFFFDbc replaced",
                                           "x\u0080y z",
                                           "tab\there and more",
                                           "emoji \U0001F600\U0001F600\U0001F600 end",
                                           "\u00c0\u00c9\u00ce \u00e0\u00e9\u00ee",
                                           "line one\nline two",
                                           "\u00ff\u00fe thorn",
                                           "Mixed CASE Words",
                                           "\xc3 broken at the start"};
    const std::vector<std::string> texts = {
        "caf\u00e9", "CAF\u00c9", "cafe",
        "a\xff"
        "bc",
        "a\uFFFDbc", "\x80y z", "x\xc2\x80y", "\U0001F600\U0001F600", "\u00e0\u00e9\u00ee",
        "\u00c0\u00c9\u00ce", "one\nline", "e\nl", "\xc3\xc3\xc3", "\xff\xfe t", "\u00ff\u00fe t",
        "mixed case", "WORDS", "\xef\xbf\xbd broken",
        // Read as U+FFFD, then "bc"; its one trigram starts
        // with the byte of an exact-value token.
        "\xfe\x80\x80\x80\x80\x80\x80"
        "bc",
        "\xfe\x80\x80\x80\x80\x80\x80\x80\x80"
        "bc repl"};
    int64_t t = 0;
    auto append = [&](size_t from, size_t to) {
        for (size_t i = from; i < to; ++i) {
            std::vector<StoredEvent> batch = {MakeEvent(kDay0 + (++t) * kSec, rows[i])};
            for (int f = 0; f < 31; ++f) batch.push_back(MakeEvent(kDay0 + (++t) * kSec, "-"));
            ASSERT_TRUE(store->Append(batch));
        }
    };
    append(0, 5);
    ASSERT_TRUE(AppendAll(*store, {MakeEvent(kDay0 + (++t) * kSec, rows[5])}));
    std::vector<std::vector<std::string>> before;
    for (const std::string& text : texts) before.push_back(FindText(*store, text));
    ASSERT_TRUE(store->IndexText(100000));  // the last block holds rows[5] alone
    for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(FindText(*store, texts[i]), before[i]) << i;
    append(6, rows.size());
    before.clear();
    for (const std::string& text : texts) before.push_back(FindText(*store, text));
    EXPECT_EQ(before[0].size(), 1u);
    EXPECT_EQ(before[8].size(), 1u);
    EXPECT_EQ(before[15].size(), 1u);
    EXPECT_EQ(before[18].size(), 1u);
    EXPECT_EQ(before[19].size(), 1u);
    ASSERT_TRUE(store->IndexText(100000));
    for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(FindText(*store, texts[i]), before[i]) << i;
}

// A partition indexed under schema version 3 (rows in events_text, one document per row) and
// upgraded with its high-water mark inside a block: old rows are found through events_text,
// new ones through the blocks, before and after indexing (in two steps, so the block that
// starts after the mark is indexed again) and compaction.
TEST(EventStore, RowsIndexedUnderVersion3AreFoundBesideBlocks) {
    TempDir dir;
    ASSERT_NO_FATAL_FAILURE(
        WriteOldPartition(dir.path() / "events" / "2025-11-26.db", 3, "'h'",
                          "'old row ' || i || ' \u767b\u5f55\u5931\u8d25'",
                          "INSERT INTO events_text(rowid, raw) SELECT seq, raw FROM events;"
                          "UPDATE events_meta SET value = 40 WHERE key = 'fts_upto';"));
    auto store = OpenStore(dir);
    auto add = [&](int from, int to) {
        std::vector<StoredEvent> batch;
        for (int i = from; i <= to; ++i) {
            batch.push_back(MakeEvent(kDay0 + (100 + i) * kSec, "new row " + std::to_string(i) +
                                                                    " \u767b\u5f55\u5931\u8d25"));
        }
        ASSERT_TRUE(store->Append(batch));
    };
    auto check = [&](size_t new_rows) {
        EXPECT_EQ(FindText(*store, "\u767b\u5f55\u5931\u8d25").size(), 40 + new_rows);
        EXPECT_EQ(FindText(*store, "old row 3").size(), 11u);  // 3, 30-39
        EXPECT_EQ(FindText(*store, "new row 4").size(), new_rows >= 10 ? 1u : 0u);
        EXPECT_EQ(FindText(*store, "new row 2").size(), new_rows >= 30 ? 11u : 1u);
    };
    add(1, 10);
    check(10);
    ASSERT_TRUE(store->IndexText(100000));
    check(10);
    add(11, 30);
    check(30);
    ASSERT_TRUE(store->IndexText(100000));
    check(30);
    while (true) {
        auto n = store->CompactText(10);
        ASSERT_TRUE(n) << n.error().message;
        if (*n == 0) break;
    }
    check(30);
}

// Field filters take their candidates from the block index (schema migration 5: a block's
// document holds its rows' field values that are not pieces of the raw text, and their host,
// source, product, service and categories). The same answers before, half-way and after
// indexing, for values in the raw text and not, attributes, repeated names, Chinese, values
// too short for trigrams and values that are not UTF-8; and once indexed, a rare value reads
// its block, not the partition.
TEST(EventStore, FieldFiltersAnswerTheSameIndexedOrNot) {
    TempDir dir;
    auto store = OpenStore(dir);
    std::vector<StoredEvent> rows;
    auto row = [&](std::string raw) -> StoredEvent& {
        rows.push_back(MakeEvent(0, std::move(raw)));
        return rows.back();
    };
    {
        StoredEvent& e = row("Failed password for alice from 10.1.2.3 port 22");
        e.event.Add("user", "alice", event::ValueKind::kString, 20);       // a piece of the raw
        e.event.Add("src_ip", "10.1.2.3", event::ValueKind::kString, 31);  // a piece of the raw
        e.event.Add("outcome", "failure");                                 // not in the raw
    }
    row("login failure").event.Add("user", "zhangsan");
    {
        StoredEvent& e = row("geo");
        e.event.Add("city", "\u5317\u4eac");          // two characters: no trigram
        e.event.Add("region", "\u4e0a\u6d77\u5e02");  // three
    }
    row("bytes").event.Add("blob",
                           "ab\xff\xfe"
                           "cd");
    row("from the bastion").host = "bastion-7";
    row("a process started").event.logsource.AddCategory("process_creation");
    {
        StoredEvent& e = row("tagged");
        e.event.Add("tag", "alpha");
        e.event.Add("tag", "beta");
    }
    row("mixed case").event.Add("user", "Admin");
    row("nul").event.Add("nul", std::string("ab\0cd", 5));
    const std::vector<std::vector<WhereTerm>> queries = {
        {{"src_ip", "10.1.2.3"}},
        {{"user", "alice"}},
        {{"user", "alic"}},
        {{"outcome", "failure"}},
        {{"user", "zhangsan"}},
        {{"city", "\u5317\u4eac"}},
        {{"region", "\u4e0a\u6d77\u5e02"}},
        {{"blob",
          "ab\xff\xfe"
          "cd"}},
        {{"host", "bastion-7"}},
        {{"host", "web-1"}},
        {{"category", "process_creation"}},
        {{"tag", "beta"}},
        {{"tag", "alpha"}, {"tag", "beta"}},
        {{"user", "admin"}},
        {{"user", "Admin"}},
        {{"user", "alice"}, {"outcome", "failure"}},
        {{"user", "alice"}, {"user", "zhangsan"}},
        {{"service", "sshd"}, {"user", "zhangsan"}},
        {{"nul", std::string("ab\0cd", 5)}},  // hashed into its token like any other value
        {{"category", ""}},                   // no event without a category has an empty one
    };
    auto find = [&](const std::vector<WhereTerm>& where) {
        SearchQuery q = Range(kDay0, kDay0 + kHour);
        q.where = where;
        q.limit = 1000;
        auto page = store->Search(q);
        EXPECT_TRUE(page.has_value()) << page.error().message;
        return page ? Raws(*page) : std::vector<std::string>{};
    };
    // Each row alone in its block of 32, behind 31 rows with nothing but the attributes.
    int64_t t = 0;
    auto append = [&](size_t from, size_t to) {
        for (size_t i = from; i < to; ++i) {
            StoredEvent e = rows[i];
            e.event.time_ns = e.receive_ns = kDay0 + (++t) * kSec;
            std::vector<StoredEvent> batch = {std::move(e)};
            for (int f = 0; f < 31; ++f) batch.push_back(MakeEvent(kDay0 + (++t) * kSec, "-"));
            ASSERT_TRUE(store->Append(batch));
        }
    };
    append(0, 4);
    std::vector<std::vector<std::string>> before;
    for (const auto& where : queries) before.push_back(find(where));
    ASSERT_TRUE(store->IndexText(100000));
    for (size_t i = 0; i < queries.size(); ++i) EXPECT_EQ(find(queries[i]), before[i]) << i;
    append(4, rows.size());
    before.clear();
    for (const auto& where : queries) before.push_back(find(where));
    using V = std::vector<std::string>;
    EXPECT_EQ(before[0], V{"Failed password for alice from 10.1.2.3 port 22"});
    EXPECT_EQ(before[2], V{});
    EXPECT_EQ(before[3], V{"Failed password for alice from 10.1.2.3 port 22"});
    EXPECT_EQ(before[5], V{"geo"});
    EXPECT_EQ(before[7], V{"bytes"});
    EXPECT_EQ(before[8], V{"from the bastion"});
    EXPECT_EQ(before[9].size(), rows.size() * 32 - 1);
    EXPECT_EQ(before[10], V{"a process started"});
    EXPECT_EQ(before[12], V{"tagged"});
    EXPECT_EQ(before[13], V{});
    EXPECT_EQ(before[14], V{"mixed case"});
    EXPECT_EQ(before[16], V{});
    EXPECT_EQ(before[17], V{"login failure"});
    EXPECT_EQ(before[18], V{"nul"});
    EXPECT_EQ(before[19], V{});
    ASSERT_TRUE(store->IndexText(100000));
    for (size_t i = 0; i < queries.size(); ++i) EXPECT_EQ(find(queries[i]), before[i]) << i;
    // Page by page, one event each: a value in one block is read from its candidates, one in
    // several is walked (a page of one wants too little to read them all); the cursor holds
    // in both.
    auto paged = [&](const std::vector<WhereTerm>& where) {
        std::vector<std::string> out;
        SearchQuery q = Range(kDay0, kDay0 + kHour);
        q.where = where;
        q.limit = 1;
        for (int n = 0; n < 400; ++n) {
            auto page = store->Search(q);
            EXPECT_TRUE(page.has_value()) << page.error().message;
            if (!page) break;
            for (const auto& h : page->hits) out.push_back(h.event.event.message);
            if (page->next_cursor.empty()) break;
            q.cursor = page->next_cursor;
        }
        return out;
    };
    for (size_t i = 0; i < queries.size(); ++i) EXPECT_EQ(paged(queries[i]), before[i]) << i;
    // The time range holds for candidates too: the first row is at kDay0 + 1 s.
    for (int64_t since : {kDay0, kDay0 + 2 * kSec}) {
        SearchQuery q = Range(since, kDay0 + kHour);
        q.where = {{"src_ip", "10.1.2.3"}};
        auto page = store->Search(q);
        ASSERT_TRUE(page.has_value());
        EXPECT_EQ(page->hits.size(), since == kDay0 ? 1u : 0u) << since;
    }

    // Indexed, a rare value reads the rows of its block, not the 320 of the partition.
    SearchQuery q = Range(kDay0, kDay0 + kHour);
    q.where = {{"user", "zhangsan"}};
    auto page = store->Search(q);
    ASSERT_TRUE(page.has_value());
    ASSERT_EQ(page->hits.size(), 1u);
    EXPECT_LE(page->scanned, 32u);
    // So does a value of two characters (no trigram), one with a NUL, and an attribute, through
    // their exact-value tokens.
    for (const WhereTerm& term : std::vector<WhereTerm>{
             {"city", "\u5317\u4eac"}, {"nul", std::string("ab\0cd", 5)}, {"host", "bastion-7"}}) {
        q.where = {term};
        page = store->Search(q);
        ASSERT_TRUE(page.has_value());
        EXPECT_EQ(page->hits.size(), 1u) << term.field;
        EXPECT_LE(page->scanned, 32u) << term.field;
    }
    // A value held by another field of the same block is a candidate, not a hit.
    q.where = {{"src_ip", "failure"}};
    page = store->Search(q);
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->hits.size(), 0u);
    EXPECT_EQ(page->scanned, 0u);
}

// Partitions indexed under schema version 4 (documents of raw texts only) and 5 (raw texts and
// field values) with the mark inside a block, upgraded: the partly indexed block is indexed
// again in its old form (FTS5's check passes), and the blocks after it hold exact-value tokens.
// Under version 4 the rows of the blocks indexed before are found by scanning; under version 5
// from their values' trigrams. A filter whose value has no trigram scans such a partition.
TEST(EventStore, FieldFiltersOnPartitionsIndexedUnderVersions4And5) {
    for (int version : {4, 5}) {
        SCOPED_TRACE("version " + std::to_string(version));
        TempDir dir;
        const fs::path part = dir.path() / "events" / "2025-11-26.db";
        const std::string old_doc =
            version == 4 ? "raw"
                         : "raw || s || host || s || source || s || product || s || service";
        ASSERT_NO_FATAL_FAILURE(WriteOldPartition(
            part, version, "'old-host-' || i", "'old row ' || i",
            "INSERT INTO events_blk(rowid, raw) SELECT seq / 32, group_concat(doc, s) FROM "
            "(SELECT seq, s, " +
                old_doc +
                " AS doc FROM events, (SELECT CAST(x'ff' AS TEXT) AS s) ORDER BY seq) GROUP BY "
                "seq / 32;"
                "UPDATE events_meta SET value = 40 WHERE key = 'fts_upto';"));
        auto store = OpenStore(dir);
        std::vector<StoredEvent> batch;
        for (int i = 41; i <= 200; ++i) {
            StoredEvent e = MakeEvent(kDay0 + (100 + i) * kSec, "new row " + std::to_string(i),
                                      {{"n", std::to_string(i % 10)}});
            e.host = "new-host-" + std::to_string(i);
            batch.push_back(std::move(e));
        }
        ASSERT_TRUE(store->Append(batch));
        auto search = [&](const WhereTerm& term) {
            SearchQuery q = Range(kDay0, kDay0 + kHour);
            q.where = {term};
            q.limit = 1000;
            auto page = store->Search(q);
            EXPECT_TRUE(page.has_value()) << page.error().message;
            return page ? std::pair{Raws(*page), page->scanned}
                        : std::pair{std::vector<std::string>{}, uint64_t{0}};
        };
        using V = std::vector<std::string>;
        for (int round = 0; round < 2; ++round) {
            EXPECT_EQ(search({"host", "old-host-7"}).first, V{"old row 7"}) << round;
            EXPECT_EQ(search({"host", "old-host-35"}).first, V{"old row 35"}) << round;
            EXPECT_EQ(search({"host", "new-host-45"}).first, V{"new row 45"}) << round;
            EXPECT_EQ(search({"host", "new-host-150"}).first, V{"new row 150"}) << round;
            EXPECT_EQ(search({"n", "7"}).first.size(), 16u) << round;
            ASSERT_TRUE(store->IndexText(100000));
        }
        // Row 150 is found through its block (128-159); rows 1-63 (blocks 0 and 1, indexed in
        // the old form) are scanned under version 4, and answer from the index under version 5.
        EXPECT_EQ(search({"host", "new-host-150"}).second, version == 4 ? 63u + 32u : 32u);
        EXPECT_EQ(search({"host", "old-host-7"}).second, version == 4 ? 63u : 31u);  // seq 1-31
        // A value whose trigrams the newer blocks' raw texts hold ("new row 1xx") but no host
        // is: they answer by token, so under version 4 only the blocks of the old form are read.
        EXPECT_EQ(search({"host", "new row 1"}).first, V{});
        if (version == 4) {
            EXPECT_EQ(search({"host", "new row 1"}).second, 63u);
        }
        // Without a trigram, the blocks of the old form cannot answer: the partition is read.
        EXPECT_EQ(search({"n", "7"}).second, 200u);
        auto db = Database::Open(part);
        ASSERT_TRUE(db);
        ASSERT_TRUE(RegisterTextTokenizer(*db));
        // The index equals one built from scratch with blocks 0 and 1 in the old form.
        EXPECT_EQ(DiffFromFreshIndex(*db,
                                     "CASE WHEN seq / 32 < 2 THEN " + old_doc +
                                         " ELSE raw || s || vigil_exact_value('n', seq % "
                                         "10) || s || " +
                                         kExactAttributes + " END",
                                     2),
                  0);
        auto marks = db->Prepare(
            "SELECT key, value FROM events_meta WHERE key IN ('fts_values_blk', "
            "'fts_exact_blk') ORDER BY key");
        ASSERT_TRUE(marks);
        ASSERT_EQ(*marks->Step(), Statement::StepResult::kRow);
        EXPECT_EQ(marks->ColumnText(0), "fts_exact_blk");
        EXPECT_EQ(marks->ColumnInt64(1), 2);
        ASSERT_EQ(*marks->Step(), Statement::StepResult::kRow);
        EXPECT_EQ(marks->ColumnInt64(1), version == 4 ? 2 : 0);
    }
}

TEST(EventStore, FieldFiltersTreatSqlMetacharactersAsData) {
    TempDir dir;
    auto store = OpenStore(dir);
    std::vector<StoredEvent> batch = {
        MakeEvent(kDay0 + 1 * kSec, "a", {{"user", "x' OR '1'='1"}, {"cmd", "rm -rf /"}}),
        MakeEvent(kDay0 + 2 * kSec, "b", {{"user", "bob"}, {"cmd", "ls; DROP TABLE events;--"}}),
        MakeEvent(kDay0 + 3 * kSec, "c", {{"user", "bob"}, {"cmd", "ls"}}),
    };
    batch[2].host = "db-2";
    ASSERT_TRUE(store->Append(batch));
    auto find = [&](std::vector<WhereTerm> where) {
        SearchQuery q = Range(kDay0, kDay0 + kHour);
        q.where = std::move(where);
        auto page = store->Search(q);
        EXPECT_TRUE(page.has_value()) << page.error().message;
        return page ? Raws(*page) : std::vector<std::string>{};
    };
    EXPECT_EQ(find({{"user", "x' OR '1'='1"}}), std::vector<std::string>{"a"});
    EXPECT_EQ(find({{"cmd", "ls; DROP TABLE events;--"}}), std::vector<std::string>{"b"});
    EXPECT_EQ(find({{"user", "bob"}}), (std::vector<std::string>{"c", "b"}));
    EXPECT_EQ(find({{"user", "bob"}, {"host", "db-2"}}), std::vector<std::string>{"c"});
    EXPECT_EQ(find({{"user", "bob"}, {"cmd", "rm -rf /"}}), std::vector<std::string>{});
    EXPECT_EQ(find({{"user", "BOB"}}), std::vector<std::string>{});  // exact
    EXPECT_EQ(find({{"service", "sshd"}}).size(), 3u);
    EXPECT_EQ(find({{"nosuchfield", ""}}), std::vector<std::string>{});
    // The table is still there.
    EXPECT_EQ(store->Stats()->events, 3u);
}

TEST(EventStore, CursorPagesAreStableAcrossPartitionsAndAppends) {
    TempDir dir;
    auto store = OpenStore(dir, kDay0 + 2 * 86400 * kSec);
    std::vector<StoredEvent> batch;
    // 60 events over two days, ten of them sharing one timestamp.
    for (int i = 0; i < 60; ++i) {
        int64_t t = kDay0 + 86400 * kSec - 30 * kSec + i * kSec;
        if (i >= 40 && i < 50) t = kDay0 + 86400 * kSec + 40 * kSec;
        auto e = MakeEvent(t, "n" + std::to_string(i));
        e.receive_ns = kDay0 + 2 * 86400 * kSec;
        batch.push_back(std::move(e));
    }
    ASSERT_TRUE(store->Append(batch));
    SearchQuery q = Range(kDay0, kDay0 + 2 * 86400 * kSec);
    q.limit = 7;
    std::vector<EventId> seen;
    bool appended = false;
    while (true) {
        auto page = store->Search(q);
        ASSERT_TRUE(page.has_value()) << page.error().message;
        for (const auto& h : page->hits) seen.push_back(h.id);
        if (!appended) {
            // Newer events arriving between pages do not shift the pages.
            ASSERT_TRUE(AppendAll(*store, {MakeEvent(kDay0 + 86400 * kSec + 3600 * kSec, "late")}));
            appended = true;
        }
        if (page->next_cursor.empty()) break;
        q.cursor = page->next_cursor;
    }
    ASSERT_EQ(seen.size(), 60u);
    EXPECT_EQ(std::set<EventId>(seen.begin(), seen.end()).size(), 60u);
    q.cursor = "garbage";
    EXPECT_FALSE(store->Search(q).has_value());
}

TEST(EventStore, HistogramCountsPerBucket) {
    TempDir dir;
    auto store = OpenStore(dir);
    std::vector<StoredEvent> batch;
    for (int i = 0; i < 10; ++i) {
        batch.push_back(
            MakeEvent(kDay0 + i * 10 * 60 * kSec, "tick", {{"n", i % 2 == 0 ? "even" : "odd"}}));
    }
    ASSERT_TRUE(store->Append(batch));
    HistogramQuery hq;
    hq.filter = Range(kDay0, kDay0 + 2 * kHour);
    hq.bucket_ns = kHour;
    auto h = store->Histogram(hq);
    ASSERT_TRUE(h.has_value()) << h.error().message;
    EXPECT_EQ(h->counts, (std::vector<uint64_t>{6, 4}));
    EXPECT_EQ(h->total, 10u);
    hq.filter.where = {{"n", "even"}};
    h = store->Histogram(hq);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->counts, (std::vector<uint64_t>{3, 2}));
    hq.bucket_ns = 1;
    EXPECT_FALSE(store->Histogram(hq).has_value());  // too many buckets
}

TEST(EventStore, RetentionDropsWholeFilesButNeverToday) {
    TempDir dir;
    const int64_t today = kDay0 + 200 * 86400 * kSec;
    auto store = OpenStore(dir, today);
    std::vector<StoredEvent> batch;
    for (int d : {0, 10, 190, 199, 200}) {
        auto e = MakeEvent(kDay0 + d * 86400 * kSec + kHour, "d" + std::to_string(d));
        batch.push_back(std::move(e));  // receive time = event time: no clamping
    }
    ASSERT_TRUE(store->Append(batch));
    ASSERT_TRUE(store->IndexText(100));
    auto dropped = store->ApplyRetention(180, today + kHour);
    ASSERT_TRUE(dropped.has_value()) << dropped.error().message;
    EXPECT_EQ(*dropped, 2u);
    EXPECT_FALSE(fs::exists(dir / "events/2025-11-26.db"));
    EXPECT_FALSE(fs::exists(dir / "events/2025-11-26.db-wal"));
    EXPECT_FALSE(fs::exists(dir / "events/2025-11-26.db-shm"));
    auto stats = store->Stats();
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(stats->partitions.size(), 3u);
    // Even a cut-off in the future keeps today's partition.
    EXPECT_EQ(*store->DropPartitionsBefore(today + 10 * 86400 * kSec, today), 2u);
    EXPECT_EQ(store->Stats()->partitions.size(), 1u);
    EXPECT_EQ(store->Stats()->partitions[0].day, UtcDay(today));
    // The store still appends to a dropped day (it is recreated).
    ASSERT_TRUE(AppendAll(*store, {MakeEvent(today - 86400 * kSec, "y")}));
    EXPECT_FALSE(store->ApplyRetention(0, today).has_value());
}

TEST(EventStore, DetectionsAreStoredWithTheirEventIds) {
    TempDir dir;
    auto store = OpenStore(dir);
    {
        DetectionQuery bad;  // refused before there is any detection too (it answered nothing)
        bad.cursor = "zzz";
        EXPECT_FALSE(store->ListDetections(bad).has_value());
    }
    std::vector<StoredEvent> events = {MakeEvent(kDay0 + kSec, "x"),
                                       MakeEvent(kDay0 + 2 * kSec, "y")};
    ASSERT_TRUE(store->Append(events));
    std::vector<Detection> ds(3);
    for (int i = 0; i < 3; ++i) {
        ds[i].rule_id = "rule-" + std::to_string(i);
        ds[i].rule_title = "Brute force";
        ds[i].level = "high";
        ds[i].time_ns = kDay0 + (i + 1) * kSec;
        ds[i].event_ids = {events[0].id, events[1].id};
    }
    auto n = store->AppendDetections(ds);
    ASSERT_TRUE(n.has_value()) << n.error().message;
    EXPECT_EQ(*n, 3u);
    EXPECT_EQ(*store->AppendDetections(ds), 0u);  // replay: same ids
    DetectionQuery q;
    q.limit = 2;
    auto page = store->ListDetections(q);
    ASSERT_TRUE(page.has_value()) << page.error().message;
    ASSERT_EQ(page->detections.size(), 2u);
    EXPECT_EQ(page->detections[0].rule_id, "rule-2");
    EXPECT_EQ(page->detections[0].status, "new");
    EXPECT_EQ(page->detections[0].event_ids, (std::vector<EventId>{events[0].id, events[1].id}));
    q.cursor = page->next_cursor;
    page = store->ListDetections(q);
    ASSERT_TRUE(page.has_value());
    ASSERT_EQ(page->detections.size(), 1u);
    EXPECT_EQ(page->detections[0].rule_id, "rule-0");
    EXPECT_TRUE(page->next_cursor.empty());
    EXPECT_EQ(store->Stats()->detections, 3u);
}

TEST(EventStore, DetectionRetentionDeletesOnlyTheOlderDetectionsInChunks) {
    TempDir dir;
    auto store = OpenStore(dir);
    const int64_t now = kDay0 + 200 * (24 * kHour);
    EXPECT_EQ(*store->ApplyDetectionRetention(180, now), 0u);  // no detections.db yet
    EXPECT_FALSE(fs::exists(dir.path() / "events" / "detections.db")) << "not created by it";
    EXPECT_FALSE(store->ApplyDetectionRetention(0, now).has_value());
    // 25,000 old ones (more than one chunk of the DELETE), 10 within the retention, and one
    // dated back by its sender but raised now.
    std::vector<Detection> ds(25011);
    for (size_t i = 0; i < ds.size(); ++i) {
        ds[i].rule_id = "rule";
        ds[i].rule_title = "Brute force";
        ds[i].level = "high";
        ds[i].time_ns = i < 25000 ? kDay0 + static_cast<int64_t>(i) * kSec
                                  : now - static_cast<int64_t>(i - 24990) * (24 * kHour);
        ds[i].created_ns = ds[i].time_ns + kSec;
    }
    ds.back().time_ns = kDay0;
    ds.back().created_ns = now - kHour;
    ASSERT_EQ(*store->AppendDetections(ds), ds.size());
    auto deleted = store->ApplyDetectionRetention(180, now);
    ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
    EXPECT_EQ(*deleted, 25000u);
    EXPECT_EQ(store->Stats()->detections, 11u);
    DetectionQuery q;
    q.limit = 100;
    auto page = store->ListDetections(q);
    ASSERT_TRUE(page.has_value());
    ASSERT_EQ(page->detections.size(), 11u);
    for (const auto& d : page->detections) {
        EXPECT_GE(std::max(d.time_ns, d.created_ns), now - 180 * (24 * kHour));
    }
    EXPECT_EQ(*store->ApplyDetectionRetention(180, now), 0u);
}

TEST(EventStore, ManyDetectionsAreStoredRowByRowInTheirOwnFields) {
    // Detections go in many rows per INSERT: each row keeps its own fields, a replay mixed
    // with new detections stores only the new ones, and the count says so.
    TempDir dir;
    auto store = OpenStore(dir);
    auto make = [](int i) {
        Detection d;
        d.rule_id = "rule-" + std::to_string(i);
        d.rule_title = "title " + std::to_string(i);
        d.level = i % 2 ? "high" : "low";
        d.time_ns = kDay0 + (i + 1) * kSec;
        d.id = *EventId::Parse("00000000-0000-7000-8000-" + std::string(8, '0') +
                               std::to_string(1000 + i));
        d.event_ids = {d.id};
        return d;
    };
    std::vector<Detection> first;
    for (int i = 0; i < 100; ++i) first.push_back(make(i));
    EXPECT_EQ(*store->AppendDetections(first), 100u);
    std::vector<Detection> second;  // 60 already stored, interleaved with 41 new
    for (int i = 40; i < 141; ++i) second.push_back(make(i));
    EXPECT_EQ(*store->AppendDetections(second), 41u);
    DetectionQuery q;
    q.limit = 1000;
    auto page = store->ListDetections(q);
    ASSERT_TRUE(page.has_value()) << page.error().message;
    ASSERT_EQ(page->detections.size(), 141u);
    for (size_t k = 0; k < page->detections.size(); ++k) {
        const int i = 140 - static_cast<int>(k);  // newest first
        const Detection& d = page->detections[k];
        EXPECT_EQ(d.rule_id, "rule-" + std::to_string(i));
        EXPECT_EQ(d.rule_title, "title " + std::to_string(i));
        EXPECT_EQ(d.level, i % 2 ? "high" : "low");
        EXPECT_EQ(d.time_ns, kDay0 + (i + 1) * kSec);
        EXPECT_EQ(d.event_ids, std::vector<EventId>{make(i).id});
    }
}

TEST(EventStore, HostileEventsStayBounded) {
    TempDir dir;
    auto store = OpenStore(dir);
    StoredEvent e = MakeEvent(kDay0 + kSec, std::string(kMaxStoredRawBytes + 100, 'r'));
    for (size_t i = 0; i < 100000; ++i) e.event.Add("f" + std::to_string(i), "v");
    e.event.Add(std::string(kMaxStoredFieldNameBytes + 1, 'n'), "v");
    StoredEvent bad = MakeEvent(kDay0 + 2 * kSec, "bad \xff\xfe utf8 \xe4\xb8");
    bad.host = "h\xc0\xaf";
    bad.event.Add("big", std::string(kMaxStoredValueBytes * 2, 'v'));
    std::vector<StoredEvent> batch = {std::move(e), std::move(bad)};
    auto r = store->Append(batch);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->stored, 2u);
    EXPECT_EQ(r->fields_dropped, 100000 - kMaxStoredFields + 1);
    EXPECT_EQ(r->raw_truncated, 1u);
    EXPECT_EQ(r->values_truncated, 1u);
    EXPECT_EQ(r->utf8_repaired, 2u);
    auto page = store->Search(Range(kDay0, kDay0 + kHour));
    ASSERT_TRUE(page.has_value());
    ASSERT_EQ(page->hits.size(), 2u);
    EXPECT_EQ(page->hits[0].event.event.message,
              "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(page->hits[0].event.host, "h\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(page->hits[0].event.event.Get("big").size(), kMaxStoredValueBytes);
    EXPECT_EQ(page->hits[1].event.event.size(), kMaxStoredFields);
    EXPECT_EQ(page->hits[1].event.event.message.size(), kMaxStoredRawBytes);
}

// JSON that escapes what is not ASCII (Python's json.dumps by default; Go escapes < and >) is
// found by the text as people read it, before and after the text index has the rows; a
// backslash that is no escape is still found as written.
TEST(EventStore, TextSearchReadsJsonEscapes) {
    TempDir dir;
    OpenEventStoreOptions o;
    o.clock = [] { return kDay0 + kHour; };
    auto store = SqliteEventStore::Open(dir.path(), o);
    ASSERT_TRUE(store.has_value());
    const std::string json =
        R"({"msg":"\u7528\u6237\u767b\u5f55\u5931\u8d25","ua":"\u003cscript\u003e","e":"\ud83d\ude00 \"q\""})";
    const std::string path = R"(opened C:\new\test.txt)";
    std::vector<StoredEvent> batch = {
        MakeEvent(kDay0 + kSec, json,
                  {{"msg", "用户登录失败"}, {"ua", "<script>"}, {"e", "😀 \"q\""}}),
        MakeEvent(kDay0 + 2 * kSec, path)};
    ASSERT_TRUE((*store)->Append(batch));
    auto check = [&](const char* when) {
        for (const char* text : {"登录失败", "失败", "<script>", "😀", "\"q\"", "<SCRIPT"}) {
            EXPECT_EQ(FindText(**store, text), std::vector<std::string>{json}) << text << when;
        }
        EXPECT_EQ(FindText(**store, R"(C:\new\test)"), std::vector<std::string>{path}) << when;
        EXPECT_EQ(FindText(**store, R"(\u767b)"), std::vector<std::string>{json}) << when;
        EXPECT_TRUE(FindText(**store, "登录成功").empty()) << when;
    };
    check(" (before the index)");
    for (int i = 0; i < 500; ++i) {
        auto stats = (*store)->Stats();
        ASSERT_TRUE(stats.has_value());
        if (stats->partitions.size() == 1 && stats->partitions[0].unindexed == 0) break;
        usleep(10000);
    }
    check(" (indexed)");
}

TEST(EventStore, BackgroundIndexerCatchesUp) {
    TempDir dir;
    OpenEventStoreOptions o;
    o.clock = [] { return kDay0 + kHour; };
    o.index_chunk_rows = 7;
    auto store = SqliteEventStore::Open(dir.path(), o);
    ASSERT_TRUE(store.has_value());
    std::vector<StoredEvent> batch;
    for (int i = 0; i < 100; ++i)
        batch.push_back(MakeEvent(kDay0 + i * kSec, "msg " + std::to_string(i)));
    ASSERT_TRUE((*store)->Append(batch));
    for (int i = 0; i < 500; ++i) {
        auto stats = (*store)->Stats();
        ASSERT_TRUE(stats.has_value());
        if (stats->partitions.size() == 1 && stats->partitions[0].unindexed == 0) return;
        usleep(10000);
    }
    FAIL() << "the background indexer did not catch up";
}

// While appends go on (no pause of index_idle_ms), the indexer runs only past its lag, in
// chunks of index_busy_chunk_rows rounded up to a 32-row block, and stops once the lag is back
// under index_max_lag_rows: of rows 1-100, blocks 0-2 are indexed and rows 96-100 wait. Indexing
// in the idle chunks (a million rows) would index all 100.
TEST(EventStore, UnderAppendsTheIndexerTakesBusyChunksAndHoldsItsLag) {
    TempDir dir;
    OpenEventStoreOptions o;
    o.clock = [] { return kDay0 + kHour; };
    o.index_idle_ms = 3600 * 1000;  // appends never pause in this test
    o.index_max_lag_rows = 10;
    o.index_chunk_rows = 1000000;
    o.index_busy_chunk_rows = 3;
    auto store = SqliteEventStore::Open(dir.path(), o);
    ASSERT_TRUE(store.has_value());
    // The indexer's pass at opening (nothing appended yet: idle) must be over, or it would
    // index the append below in an idle chunk.
    usleep(200000);
    std::vector<StoredEvent> batch;
    for (int i = 0; i < 100; ++i)
        batch.push_back(MakeEvent(kDay0 + i * kSec, "msg " + std::to_string(i)));
    ASSERT_TRUE((*store)->Append(batch));
    auto unindexed = [&]() -> int64_t {
        auto stats = (*store)->Stats();
        if (!stats || stats->partitions.size() != 1) return -1;
        return static_cast<int64_t>(stats->partitions[0].unindexed);
    };
    for (int i = 0; i < 500 && unindexed() > 5; ++i) usleep(10000);
    EXPECT_EQ(unindexed(), 5);
    usleep(300000);  // and it stays there: the lag is under index_max_lag_rows
    EXPECT_EQ(unindexed(), 5);
}

TEST(EventStore, ReadOnlyStoreSearchesButNeverWrites) {
    TempDir dir;
    {
        auto store = OpenStore(dir);
        ASSERT_TRUE(AppendAll(*store, {MakeEvent(kDay0 + kSec, "x")}));
    }
    OpenEventStoreOptions o = Manual(kDay0 + kHour);
    o.read_only = true;
    auto ro = SqliteEventStore::Open(dir.path(), o);
    ASSERT_TRUE(ro.has_value());
    EXPECT_EQ((*ro)->Search(Range(kDay0, kDay0 + kHour))->hits.size(), 1u);
    EXPECT_FALSE(AppendAll(**ro, {MakeEvent(kDay0, "y")}).has_value());
    EXPECT_FALSE(SqliteEventStore::Open(dir / "missing", o).has_value());
}

// kill -9 during sustained appends: every batch the child was told is stored (Append returned)
// is present exactly once after reopening, and replaying everything adds nothing.
TEST(EventStoreCrash, EveryAcknowledgedEventSurvivesSigkillExactlyOnce) {
    TempDir dir;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(fds[0]);
        auto store = SqliteEventStore::Open(dir.path(), Manual(kDay0 + kHour));
        if (!store) _exit(2);
        for (int b = 0;; ++b) {
            std::vector<StoredEvent> batch;
            for (int i = 0; i < 200; ++i) {
                batch.push_back(MakeEvent(kDay0 + (b % 3000) * kSec, "load " + std::to_string(i),
                                          {{"b", std::to_string(b)}}));
                batch.back().id = EventId::New(kDay0);
            }
            if (!(*store)->Append(batch)) _exit(3);
            for (const auto& e : batch) {
                if (write(fds[1], e.id.bytes.data(), 16) != 16) _exit(4);
            }
        }
    }
    close(fds[1]);
    std::vector<EventId> acked;
    EventId id;
    while (acked.size() < 20000) {
        ssize_t n = read(fds[0], id.bytes.data(), 16);
        ASSERT_EQ(n, 16);
        acked.push_back(id);
    }
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    // Ids written to the pipe before the kill were acknowledged too.
    while (read(fds[0], id.bytes.data(), 16) == 16) acked.push_back(id);
    close(fds[0]);

    auto store = OpenStore(dir);
    std::map<EventId, int> found;
    SearchQuery q = Range(kDay0, kDay0 + kHour);
    q.limit = kMaxSearchLimit;
    while (true) {
        auto page = store->Search(q);
        ASSERT_TRUE(page.has_value()) << page.error().message;
        for (const auto& h : page->hits) ++found[h.id];
        if (page->next_cursor.empty()) break;
        q.cursor = page->next_cursor;
    }
    for (const EventId& a : acked) {
        ASSERT_EQ(found[a], 1) << a.ToString();
    }
    for (const auto& [k, n] : found) ASSERT_EQ(n, 1);
    // The spool replays everything it had: nothing is stored twice.
    std::vector<StoredEvent> replay;
    for (const EventId& a : acked) {
        replay.push_back(MakeEvent(kDay0, "replay"));
        replay.back().id = a;
    }
    auto r = store->Append(replay);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->stored, 0u);
    EXPECT_EQ(r->duplicates, acked.size());
}

}  // namespace
}  // namespace vigil::store
