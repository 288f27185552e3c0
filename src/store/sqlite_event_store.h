#pragma once
// The embedded event store: one SQLite file per UTC day under DIR/events, and the detections in
// DIR/events/detections.db. docs/events.md is the user guide; the choices in short:
//
// - Partition by search time: an event's own time when it lies within [received - max_event_age,
//   received + max_event_lead], else its receive time (both times are stored). Bad clocks and
//   hostile senders cannot create files outside that window, and retention drops whole files.
// - Each partition: table events (ids unique: INSERT OR IGNORE makes appends idempotent, so a
//   spool replay after a crash stores nothing twice), an index on time, the fields in a compact
//   length-prefixed blob (filtered while scanning the time range: per-field indexes would cost
//   more at insert than they save at search), the raw message with an FTS5 trigram index
//   (substrings in any script, Chinese included; case-insensitive).
// - The text index is built behind the appends (IndexText, or the background thread), because
//   trigram indexing costs ~10x an insert; searches scan the rows it has not reached yet, so
//   results are the same either way. While indexing, FTS5 merges its segments 16 at a time
//   (automerge 16: ~45 % faster indexing than the default 4); once the index has caught up,
//   CompactText merges them further (FTS5 'merge'), so searches read as few segments as with
//   the default.
// - WAL with synchronous=NORMAL: a batch is durable against a crash of the process when Append
//   returns; OpenEventStoreOptions::sync_commits (synchronous=FULL) extends that to power loss at
//   the cost of one fsync per batch.
//
// Thread-safe: appends, indexing and retention share one writer lock per store; searches use
// their own read-only connections and never wait for writers.

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "store/database.h"
#include "store/event_store.h"
#include "store/migrations.h"

namespace vigil::store {

struct OpenEventStoreOptions {
    // Read-only: Search, ListDetections and Stats only; nothing is created or written.
    bool read_only = false;
    // Partitions kept open for appending (least recently used closed first).
    size_t max_open_partitions = 4;
    int64_t max_event_age_ns = 30 * kNsPerDay;
    int64_t max_event_lead_ns = kNsPerDay;
    // synchronous=FULL: every committed batch survives a power cut, not only a process crash.
    bool sync_commits = false;
    // Run a thread that indexes appended raw messages for text search. Off: call IndexText.
    bool background_index = true;
    // Rows per indexing transaction while appends pause. Each commit writes a new FTS5
    // segment that later merges rewrite, so small chunks cost more per row: 4,096-row chunks
    // index ~50 % more rows per second than 500-row ones (docs/benchmarks.md).
    size_t index_chunk_rows = 4096;
    // Rows per indexing transaction while appends go on (the lag past index_max_lag_rows): an
    // append waits for the chunk being indexed (the partition has one writer), and a long
    // wait stalls the whole pipeline behind it, so these are small.
    size_t index_busy_chunk_rows = 500;
    // The indexer waits for appends to pause this long before it indexes (building the
    // trigram index costs several times an insert, so it must not compete with a sustained
    // load) ... unless this many rows wait for it: then it indexes anyway, so the lag stays
    // bounded. Searches scan the rows the index has not reached, so results never depend on it.
    int64_t index_idle_ms = 300;
    uint64_t index_max_lag_rows = 2'000'000;
    std::function<int64_t()> clock;  // ns since the epoch; the system clock when empty
};

class SqliteEventStore final : public EventStore {
public:
    // dir is the data directory; the store lives in dir/events (created unless read-only).
    static Result<std::unique_ptr<SqliteEventStore>> Open(const std::filesystem::path& dir,
                                                          OpenEventStoreOptions options = {});
    ~SqliteEventStore() override;  // stops the indexing thread

    // Indexes up to max_rows not yet indexed raw messages (oldest partitions last: today's
    // events are searched most). Returns how many were indexed; 0 when the index is complete.
    Result<size_t> IndexText(size_t max_rows);
    // Up to max_steps merge steps of the text index on the partitions indexed since their last
    // compaction (newest first; each step one short transaction). Returns the steps that did
    // work; 0 when every index is compact.
    Result<size_t> CompactText(size_t max_steps);

    const std::filesystem::path& events_dir() const { return events_dir_; }
    std::filesystem::path PartitionPath(std::string_view day) const;

private:
    struct Partition;
    SqliteEventStore(std::filesystem::path events_dir, OpenEventStoreOptions options);

    void DoPrepare(std::span<StoredEvent> events) const override;
    int64_t DoSearchTime(const StoredEvent& e) const override;
    Result<AppendResult> DoAppend(std::span<StoredEvent> events, int64_t now_ns) override;
    Result<SearchPage> DoSearch(const SearchQuery& query, const ProgressFn& progress) override;
    Result<TimeHistogram> DoHistogram(const HistogramQuery& query,
                                      const ProgressFn& progress) override;
    Result<std::vector<SearchHit>> DoGetEvents(const EventLookup& lookup) override;
    Result<size_t> DoDropPartitionsBefore(int64_t day_start_ns, int64_t now_ns) override;
    Result<size_t> DoAppendDetections(std::span<Detection> detections, int64_t now_ns) override;
    Result<DetectionPage> DoListDetections(const DetectionQuery& query) override;
    Result<size_t> DoDeleteDetectionsBefore(int64_t before_ns) override;
    Result<StoreStats> DoStats() override;

    int64_t Now() const;
    // The writable partition of day (opened, created and migrated on first use). write_mu_ held.
    Result<Partition*> Writable(const std::string& day);
    // Marks duplicate, and takes out of by_day, the events a previous run may have filed under
    // another day (StoredEvent::earlier_receipt_ns) whose id a partition of such a day holds.
    // write_mu_ held.
    Status DropCopiesFiledElsewhere(std::span<StoredEvent> events,
                                    std::vector<std::pair<int64_t, std::vector<size_t>>>& by_day,
                                    AppendResult& result);
    Result<size_t> IndexPartition(const std::string& day, size_t max_rows);  // write_mu_ held
    Result<bool> CompactPartition(const std::string& day);  // write_mu_ held; false: compact
    Result<Database*> DetectionsDb();                       // detections_mu_ held
    void IndexLoop();

    std::filesystem::path events_dir_;
    OpenEventStoreOptions options_;

    std::mutex write_mu_;
    std::atomic<int> appends_waiting_{0};                     // the indexer lets them go first
    std::atomic<int64_t> last_append_ms_{0};                  // steady clock, for the indexer
    std::atomic<uint64_t> pending_index_rows_{0};             // appended, not yet indexed
    std::map<std::string, std::unique_ptr<Partition>> open_;  // day -> partition
    uint64_t use_counter_ = 0;
    std::set<std::string> unindexed_days_;    // days that may hold rows the index has not reached
    std::set<std::string> uncompacted_days_;  // days indexed since their index was compacted

    std::mutex detections_mu_;
    std::unique_ptr<Database> detections_;

    std::mutex index_mu_;
    std::condition_variable index_cv_;
    bool stop_ = false;
    bool index_wanted_ = false;
    std::thread indexer_;
};

// The store's schema migrations: component "events" in every partition file, component
// "detections" in detections.db.
std::span<const Migration> EventPartitionMigrations();
std::span<const Migration> DetectionMigrations();

}  // namespace vigil::store
