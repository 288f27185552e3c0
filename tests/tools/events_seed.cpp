// Test-only: writes events and detections into the event store of a data directory, for the
// `vigil events` end-to-end test (tests/cli/events_cli_test.sh). Not shipped.
//
//   events_seed DIR N   N events (N >= 3) spread over the last 36 hours, three of them fixed:
//                       an sshd failure, a Chinese login failure, one with SQL metacharacters;
//                       plus one detection linking the first two.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "store/sqlite_event_store.h"

using namespace vigil::store;

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: events_seed DIR N\n");
        return 2;
    }
    const long n = std::atol(argv[2]);
    if (n < 3) return 2;
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    constexpr int64_t kSec = 1000000000;
    OpenEventStoreOptions options;
    options.background_index = false;
    auto store = SqliteEventStore::Open(argv[1], options);
    if (!store) {
        std::fprintf(stderr, "%s\n", store.error().message.c_str());
        return 1;
    }
    std::vector<StoredEvent> events(static_cast<size_t>(n));
    for (long i = 0; i < n; ++i) {
        StoredEvent& e = events[static_cast<size_t>(i)];
        e.event.time_ns = now - 36 * 3600 * kSec + (i + 1) * (35 * 3600 * kSec / n);
        e.receive_ns = now;
        e.source = "seed";
        e.host = "web-" + std::to_string(i % 3);
        e.event.logsource.product = "linux";
        e.event.logsource.service = "sshd";
        e.event.Add("n", std::to_string(i), vigil::event::ValueKind::kNumber);
        e.event.Add("user", i % 2 == 0 ? "alice" : "bob");
        e.event.message = "routine message " + std::to_string(i);
    }
    events[n - 1].event.message = "Failed password for root from 203.0.113.9 port 22 ssh2";
    events[n - 1].event.Add("user", "root");
    events[n - 2].event.message = "用户 admin 登录失败，来源 203.0.113.10";
    events[n - 3].event.message = "odd input";
    events[n - 3].event.Add("query", "x' OR '1'='1; DROP TABLE events;--");
    auto r = (*store)->Append(events);
    if (!r) {
        std::fprintf(stderr, "%s\n", r.error().message.c_str());
        return 1;
    }
    // Index half of it, so searches cover the indexed and the unindexed path.
    if (auto k = (*store)->IndexText(static_cast<size_t>(n / 2)); !k) return 1;
    std::vector<Detection> ds(1);
    ds[0].rule_id = "sshd-brute-force";
    ds[0].rule_title = "SSH brute force";
    ds[0].level = "high";
    ds[0].time_ns = events[n - 1].event.time_ns;
    ds[0].event_ids = {events[n - 2].id, events[n - 1].id};
    if (auto d = (*store)->AppendDetections(ds); !d) return 1;
    std::printf("%s\n", events[n - 1].id.ToString().c_str());
    return 0;
}
