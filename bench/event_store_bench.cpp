// Event store: append throughput (batches of 1000 realistic events: 20 fields, 200-byte raw
// message) and search latency on a store of 1M events. Figures in docs/benchmarks.md.
//
//   build/release/bench/vigil_store_bench --benchmark_filter=Append
//   build/release/bench/vigil_store_bench --benchmark_filter='RowFloor|BlockFloor'
//   VIGIL_BENCH_EVENTS=1000000 build/release/bench/vigil_store_bench --benchmark_filter=Search

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "store/database.h"
#include "store/sqlite_event_store.h"

namespace {

using vigil::store::SqliteEventStore;
using vigil::store::StoredEvent;
namespace fs = std::filesystem;

constexpr int64_t kSec = 1000000000;
constexpr int64_t kDay0 = 1764115200LL * kSec;  // 2025-11-26T00:00:00Z

fs::path BenchDir(const char* name) {
    fs::path p = fs::temp_directory_path() /
                 ("vigil-store-bench-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

// 20 fields of the kinds a Linux/Windows/web log carries, and a 200-byte raw line.
std::vector<StoredEvent> MakeBatch(std::mt19937_64& rng, int64_t t0, size_t n) {
    static const char* kUsers[] = {"root", "alice", "bob", "svc_backup", "admin", "www-data"};
    static const char* kWords[] = {"Failed",   "password", "for",  "invalid",    "user",
                                   "from",     "port",     "ssh2", "Accepted",   "publickey",
                                   "session",  "opened",   "GET",  "/index.php", "HTTP/1.1",
                                   "登录失败", "来源"};
    std::vector<StoredEvent> out(n);
    for (size_t i = 0; i < n; ++i) {
        StoredEvent& e = out[i];
        const uint64_t r = rng();
        e.source = "syslog-udp";
        e.host = "web-" + std::to_string(r % 50);
        e.event.time_ns = t0 + static_cast<int64_t>(i) * 1000;
        e.receive_ns = e.event.time_ns;
        e.event.logsource.product = "linux";
        e.event.logsource.service = "sshd";
        const std::string user = kUsers[r % 6];
        const std::string ip = "10." + std::to_string((r >> 8) % 256) + "." +
                               std::to_string((r >> 16) % 256) + "." +
                               std::to_string((r >> 24) % 256);
        e.event.Add("user", user);
        e.event.Add("src_ip", ip);
        e.event.Add("src_port", std::to_string(1024 + (r >> 32) % 60000),
                    vigil::event::ValueKind::kNumber);
        e.event.Add("dst_ip", "192.168.1.10");
        e.event.Add("dst_port", "22", vigil::event::ValueKind::kNumber);
        e.event.Add("process", "sshd");
        e.event.Add("pid", std::to_string((r >> 40) % 65536), vigil::event::ValueKind::kNumber);
        e.event.Add("action", (r & 1) ? "failed" : "accepted");
        e.event.Add("auth_method", "password");
        e.event.Add("facility", "auth");
        e.event.Add("severity", "info");
        e.event.Add("hostname", e.host);
        e.event.Add("program", "sshd");
        e.event.Add("session_id", std::to_string(r % 1000000));
        e.event.Add("tty", "ssh");
        e.event.Add("geo.country", "CN");
        e.event.Add("geo.city", "Beijing");
        e.event.Add("event.kind", "event");
        e.event.Add("event.outcome", (r & 1) ? "failure" : "success");
        e.event.Add("tags", "auth");
        std::string raw =
            "<38>Nov 26 08:00:00 " + e.host + " sshd[" + std::to_string((r >> 40) % 65536) + "]: ";
        std::mt19937_64 wr(r);
        while (raw.size() < 200) {
            raw += kWords[wr() % 17];
            raw += ' ';
            if (wr() % 4 == 0) raw += user + " " + ip + " ";
        }
        raw.resize(200);
        while (!raw.empty() && (static_cast<uint8_t>(raw.back()) & 0xc0) == 0x80) raw.pop_back();
        if (!raw.empty() && static_cast<uint8_t>(raw.back()) >= 0xc0) raw.pop_back();
        e.event.message = std::move(raw);
    }
    return out;
}

void BM_EventStore_Append(benchmark::State& state) {
    const fs::path dir = BenchDir("append");
    vigil::store::OpenEventStoreOptions o;
    o.background_index = state.range(1) != 0;
    o.clock = [] { return kDay0 + 3600 * kSec; };
    auto store = SqliteEventStore::Open(dir, o);
    if (!store) {
        state.SkipWithError(store.error().message.c_str());
        return;
    }
    std::mt19937_64 rng(42);
    const auto batch_size = static_cast<size_t>(state.range(0));
    // Fresh events for every batch (new ids); made before timing, as the pipeline hands them in.
    std::vector<std::vector<StoredEvent>> batches;
    for (int i = 0; i < 64; ++i) batches.push_back(MakeBatch(rng, kDay0 + i * kSec, batch_size));
    size_t next = 0;
    int64_t total = 0;
    for (auto _ : state) {
        auto& batch = batches[next++ % batches.size()];
        for (auto& e : batch) e.id = {};
        auto r = (*store)->Append(batch);
        if (!r) {
            state.SkipWithError(r.error().message.c_str());
            break;
        }
        total += static_cast<int64_t>(batch.size());
    }
    state.SetItemsProcessed(total);
    store->reset();
    fs::remove_all(dir);
}
// (batch size, background text indexing on)
BENCHMARK(BM_EventStore_Append)
    ->Args({1000, 0})
    ->Args({100, 0})
    ->Args({1000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A database for the floor benchmarks: the event store's partition settings (16 KiB pages,
// WAL, no secure delete, 32 MiB cache, checkpoints every 2,048 pages) and `schema`. nullopt
// (the benchmark skipped with the reason) when it cannot be made.
std::optional<vigil::store::Database> FloorDatabase(benchmark::State& state, const fs::path& path,
                                                    const std::string& schema) {
    vigil::store::OpenOptions o;
    o.page_size = 16384;
    auto db = vigil::store::Database::Open(path, o);
    if (!db) {
        state.SkipWithError(db.error().message.c_str());
        return std::nullopt;
    }
    if (auto st = db->Exec(
            "PRAGMA secure_delete=OFF; PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint=2048;" +
            schema);
        !st) {
        state.SkipWithError(st.error().message.c_str());
        return std::nullopt;
    }
    return std::move(*db);
}

// The n-th event id of a floor benchmark: its time first, as the store's UUIDv7s.
std::array<uint8_t, 16> FloorId(int64_t t, uint64_t n) {
    std::array<uint8_t, 16> id{};
    for (int i = 0; i < 8; ++i) id[i] = static_cast<uint8_t>(t >> (8 * (7 - i)));
    for (int i = 0; i < 8; ++i) id[8 + i] = static_cast<uint8_t>(n >> (8 * (7 - i)));
    return id;
}

// The floor of a row per event: the events table alone, the same rows and settings (16 KiB
// pages, WAL, one transaction per 1,024 rows), written with bare INSERTs of state.range(1) rows
// each, with state.range(0) = 0, 1 (the unique id index) or 2 (id and time) secondary indexes.
// What the store's writer cannot go below with this schema (docs/benchmarks.md, "What parity
// would take" and "Rows per INSERT").
void RowFloor(benchmark::State& state, const fs::path& dir) {
    std::string schema =
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, id BLOB NOT NULL, time_ns INTEGER NOT "
        "NULL, event_ns INTEGER NOT NULL, receive_ns INTEGER NOT NULL, source TEXT NOT NULL, "
        "host TEXT NOT NULL, product TEXT NOT NULL, service TEXT NOT NULL, categories TEXT NOT "
        "NULL, fields BLOB NOT NULL, raw TEXT NOT NULL);";
    if (state.range(0) >= 1) schema += "CREATE UNIQUE INDEX events_id ON events(id);";
    if (state.range(0) >= 2) schema += "CREATE INDEX events_time ON events(time_ns);";
    auto db = FloorDatabase(state, dir / "floor.db", schema);
    if (!db) return;
    constexpr int kColumns = 11;
    const auto rows = static_cast<size_t>(state.range(1));
    std::string sql =
        "INSERT OR IGNORE INTO events(id, time_ns, event_ns, receive_ns, source, host, product, "
        "service, categories, fields, raw) VALUES ";
    for (size_t r = 0; r < rows; ++r)
        sql += r == 0 ? "(?,?,?,?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?,?,?,?)";
    auto stmt = db->Prepare(sql);
    if (!stmt) {
        state.SkipWithError(stmt.error().message.c_str());
        return;
    }
    std::mt19937_64 rng(3);
    auto batch = MakeBatch(rng, kDay0, 1024);        // a multiple of every rows-per-INSERT measured
    const std::string fields(90, 'f');               // the size of an encoded fields column
    std::vector<std::array<uint8_t, 16>> ids(rows);  // bound unowned until the INSERT runs
    int64_t t = kDay0;
    uint64_t n = 0;
    for (auto _ : state) {
        (void)db->Exec("BEGIN");
        size_t in_insert = 0;
        for (const StoredEvent& e : batch) {
            t += 1000;
            ++n;
            ids[in_insert] = FloorId(t, n);
            const std::string_view idv(reinterpret_cast<const char*>(ids[in_insert].data()), 16);
            const int p = static_cast<int>(in_insert) * kColumns;
            (void)stmt->BindBlobUnowned(p + 1, idv);
            (void)stmt->BindInt64(p + 2, t);
            (void)stmt->BindInt64(p + 3, t);
            (void)stmt->BindInt64(p + 4, t);
            (void)stmt->BindTextUnowned(p + 5, e.source);
            (void)stmt->BindTextUnowned(p + 6, e.host);
            (void)stmt->BindTextUnowned(p + 7, e.event.logsource.product);
            (void)stmt->BindTextUnowned(p + 8, e.event.logsource.service);
            (void)stmt->BindTextUnowned(p + 9, "");
            (void)stmt->BindBlobUnowned(p + 10, fields);
            (void)stmt->BindTextUnowned(p + 11, e.event.message);
            if (++in_insert < rows) continue;
            in_insert = 0;
            if (auto st = stmt->Run(); !st) {
                state.SkipWithError(st.error().message.c_str());
                break;
            }
        }
        (void)db->Exec("COMMIT");
    }
    state.SetItemsProcessed(static_cast<int64_t>(n));
}
void BM_Sqlite_RowFloor(benchmark::State& state) {
    const fs::path dir = BenchDir("floor");
    RowFloor(state, dir);  // closes the database before the files go
    fs::remove_all(dir);
}
// (secondary indexes, rows per INSERT)
BENCHMARK(BM_Sqlite_RowFloor)
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({2, 1})
    ->Args({0, 32})
    ->Args({1, 32})
    ->Args({2, 8})
    ->Args({2, 32})
    ->Unit(benchmark::kMillisecond);

// The floor of a block layout (docs/benchmarks.md, "What parity would take"): the events in
// rows of state.range(0) events each (their encoded rows concatenated) with the block's time
// range indexed, and with state.range(1) each event's id in a WITHOUT ROWID table as well (the
// duplicate check, INSERT OR IGNORE, that the unique id index makes now). The same events,
// sizes and settings as RowFloor.
void BlockFloor(benchmark::State& state, const fs::path& dir) {
    auto db = FloorDatabase(
        state, dir / "blocks.db",
        "CREATE TABLE event_ids (id BLOB PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE TABLE event_blocks (blk INTEGER PRIMARY KEY, n INTEGER NOT NULL, "
        "min_time INTEGER NOT NULL, max_time INTEGER NOT NULL, data BLOB NOT NULL);"
        "CREATE INDEX event_blocks_time ON event_blocks(max_time);");
    if (!db) return;
    auto ids = db->Prepare("INSERT OR IGNORE INTO event_ids(id, seq) VALUES (?1, ?2)");
    auto blocks = db->Prepare(
        "INSERT INTO event_blocks(blk, n, min_time, max_time, data) VALUES (?1, ?2, ?3, ?4, ?5)");
    std::mt19937_64 rng(3);
    auto batch = MakeBatch(rng, kDay0, 1000);
    const std::string fields(90, 'f');
    const auto rows = static_cast<size_t>(state.range(0));
    const bool with_ids = state.range(1) != 0;
    int64_t t = kDay0;
    uint64_t n = 0;
    int64_t blk = 0;
    std::string data;
    size_t in_block = 0;
    int64_t min_time = 0;
    auto flush = [&] {
        (void)blocks->BindInt64(1, ++blk);
        (void)blocks->BindInt64(2, static_cast<int64_t>(in_block));
        (void)blocks->BindInt64(3, min_time);
        (void)blocks->BindInt64(4, t);
        (void)blocks->BindBlobUnowned(5, data);
        (void)blocks->Run();
        data.clear();
        in_block = 0;
    };
    for (auto _ : state) {
        (void)db->Exec("BEGIN");
        for (const StoredEvent& e : batch) {
            t += 1000;
            ++n;
            const std::array<uint8_t, 16> id = FloorId(t, n);
            const std::string_view idv(reinterpret_cast<const char*>(id.data()), id.size());
            if (with_ids) {
                (void)ids->BindBlobUnowned(1, idv);
                (void)ids->BindInt64(2, static_cast<int64_t>(n));
                if (auto st = ids->Run(); !st) {
                    state.SkipWithError(st.error().message.c_str());
                    break;
                }
                if (db->Changes() != 1) continue;
            }
            if (in_block == 0) min_time = t;
            // What a row holds, as one record: id, three times, the short texts, fields, raw.
            data.append(idv);
            data.append(reinterpret_cast<const char*>(&t), 8);
            data.append(reinterpret_cast<const char*>(&t), 8);
            data.append(reinterpret_cast<const char*>(&t), 8);
            for (const std::string* s : {&e.source, &e.host, &e.event.logsource.product,
                                         &e.event.logsource.service, &fields, &e.event.message}) {
                data.push_back(static_cast<char>(s->size() & 0x7f));
                data.append(*s);
            }
            if (++in_block == rows) flush();
        }
        if (in_block > 0) flush();
        (void)db->Exec("COMMIT");
    }
    state.SetItemsProcessed(static_cast<int64_t>(n));
}

void BM_Sqlite_BlockFloor(benchmark::State& state) {
    const fs::path dir = BenchDir("blockfloor");
    BlockFloor(state, dir);
    fs::remove_all(dir);
}
// (events per block, id table)
BENCHMARK(BM_Sqlite_BlockFloor)
    ->Args({32, 1})
    ->Args({64, 1})
    ->Args({128, 1})
    ->Args({64, 0})
    ->Unit(benchmark::kMillisecond);

// The text index alone: rows indexed per second, in chunks (one transaction each) of 500 to
// 10,000 rows; the background indexer's chunks are 4,096 (OpenEventStoreOptions).
void BM_EventStore_IndexText(benchmark::State& state) {
    const fs::path dir = BenchDir("index");
    vigil::store::OpenEventStoreOptions o;
    o.background_index = false;
    o.clock = [] { return kDay0 + 3600 * kSec; };
    auto store = SqliteEventStore::Open(dir, o);
    std::mt19937_64 rng(7);
    int64_t total = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto batch = MakeBatch(rng, kDay0 + total * 1000, 10000);
        (void)(*store)->Append(batch);
        state.ResumeTiming();
        for (;;) {  // in chunks of range(0) rows, as the background indexer does
            auto n = (*store)->IndexText(static_cast<size_t>(state.range(0)));
            if (!n || *n == 0) break;
            total += static_cast<int64_t>(*n);
        }
    }
    state.SetItemsProcessed(total);
    store->reset();
    fs::remove_all(dir);
}
BENCHMARK(BM_EventStore_IndexText)
    ->Arg(500)
    ->Arg(2000)
    ->Arg(4000)
    ->Arg(8000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20);

// Search latency on a store of VIGIL_BENCH_EVENTS (default 1M) events in one day, indexed.
class SearchFixture : public benchmark::Fixture {
public:
    void SetUp(const benchmark::State&) override {
        if (store_) return;
        const char* env = std::getenv("VIGIL_BENCH_EVENTS");
        const size_t n = env ? std::strtoull(env, nullptr, 10) : 1000000;
        dir_ = BenchDir("search");
        vigil::store::OpenEventStoreOptions o;
        o.background_index = false;
        o.clock = [] { return kDay0 + 86399 * kSec; };
        auto store = SqliteEventStore::Open(dir_, o);
        if (!store) return;
        store_ = std::move(*store);
        std::mt19937_64 rng(1);
        const int64_t step = 80000 * kSec / static_cast<int64_t>(n);
        for (size_t done = 0; done < n; done += 1000) {
            auto batch = MakeBatch(rng, kDay0, 1000);
            for (size_t i = 0; i < batch.size(); ++i) {
                batch[i].event.time_ns = kDay0 + static_cast<int64_t>(done + i) * step;
                batch[i].receive_ns = batch[i].event.time_ns;
            }
            batch[0].event.message += " needle-rare-token";
            (void)store_->Append(batch);
        }
        // Indexed as the background indexer does: 500-row chunks, then compacted once idle.
        while (true) {
            auto k = store_->IndexText(500);
            if (!k || *k == 0) break;
        }
        while (true) {
            auto k = store_->CompactText(100);
            if (!k || *k == 0) break;
        }
    }
    static std::unique_ptr<SqliteEventStore> store_;
    static fs::path dir_;
};
std::unique_ptr<SqliteEventStore> SearchFixture::store_;
fs::path SearchFixture::dir_;
// The 1M-event store is built once and removed when the program ends.
struct RemoveAtExit {
    ~RemoveAtExit() {
        SearchFixture::store_.reset();
        if (!SearchFixture::dir_.empty()) fs::remove_all(SearchFixture::dir_);
    }
} remove_at_exit;

vigil::store::SearchQuery Day() {
    vigil::store::SearchQuery q;
    q.since_ns = kDay0;
    q.until_ns = kDay0 + 86400 * kSec;
    q.limit = 100;
    return q;
}

void RunSearch(benchmark::State& state, SqliteEventStore* store,
               const vigil::store::SearchQuery& q) {
    if (!store) {
        state.SkipWithError("no store");
        return;
    }
    uint64_t scanned = 0;
    size_t hits = 0;
    for (auto _ : state) {
        auto page = store->Search(q);
        if (!page) {
            state.SkipWithError(page.error().message.c_str());
            break;
        }
        scanned = page->scanned;
        hits = page->hits.size();
    }
    state.counters["scanned"] = static_cast<double>(scanned);
    state.counters["hits"] = static_cast<double>(hits);
}

BENCHMARK_DEFINE_F(SearchFixture, Latest100)(benchmark::State& state) {
    RunSearch(state, store_.get(), Day());
}
BENCHMARK_DEFINE_F(SearchFixture, FieldCommon)(benchmark::State& state) {
    auto q = Day();
    q.where = {{"user", "root"}};
    RunSearch(state, store_.get(), q);
}
BENCHMARK_DEFINE_F(SearchFixture, FieldRare)(benchmark::State& state) {
    auto q = Day();
    q.where = {{"src_ip", "10.1.2.3"}};
    RunSearch(state, store_.get(), q);
}
// A value ~15 events hold (one process id of 65,536), whose trigrams most blocks hold.
BENCHMARK_DEFINE_F(SearchFixture, FieldRareHit)(benchmark::State& state) {
    auto q = Day();
    q.where = {{"pid", "4242"}};
    RunSearch(state, store_.get(), q);
}
// A value no event holds, whose trigrams few blocks hold together (an attacker's user name).
BENCHMARK_DEFINE_F(SearchFixture, FieldAbsent)(benchmark::State& state) {
    auto q = Day();
    q.where = {{"user", "mallory"}};
    RunSearch(state, store_.get(), q);
}
BENCHMARK_DEFINE_F(SearchFixture, TextRare)(benchmark::State& state) {
    auto q = Day();
    q.text = "needle-rare-token";
    RunSearch(state, store_.get(), q);
}
BENCHMARK_DEFINE_F(SearchFixture, TextCommon)(benchmark::State& state) {
    auto q = Day();
    q.text = "Failed password";
    RunSearch(state, store_.get(), q);
}
BENCHMARK_DEFINE_F(SearchFixture, TextChinese)(benchmark::State& state) {
    auto q = Day();
    q.text = "登录失败";
    RunSearch(state, store_.get(), q);
}
BENCHMARK_DEFINE_F(SearchFixture, HistogramDay)(benchmark::State& state) {
    if (!store_) return state.SkipWithError("no store");
    vigil::store::HistogramQuery hq;
    hq.filter = Day();
    for (auto _ : state) benchmark::DoNotOptimize((*store_).Histogram(hq));
}
BENCHMARK_REGISTER_F(SearchFixture, Latest100)->Unit(benchmark::kMillisecond);
BENCHMARK_REGISTER_F(SearchFixture, FieldCommon)->Unit(benchmark::kMillisecond);
BENCHMARK_REGISTER_F(SearchFixture, FieldRare)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_REGISTER_F(SearchFixture, FieldRareHit)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_REGISTER_F(SearchFixture, FieldAbsent)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_REGISTER_F(SearchFixture, TextRare)->Unit(benchmark::kMillisecond);
BENCHMARK_REGISTER_F(SearchFixture, TextCommon)->Unit(benchmark::kMillisecond);
BENCHMARK_REGISTER_F(SearchFixture, TextChinese)->Unit(benchmark::kMillisecond);
BENCHMARK_REGISTER_F(SearchFixture, HistogramDay)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
