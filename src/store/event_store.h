#pragma once
// The event store: every ingested event, searchable by time, field and text, and the detections
// raised on them, kept for the retention period. EventStore is the interface the ingestion
// pipeline, the API and the CLI use; SqliteEventStore (sqlite_event_store.h) is the embedded
// implementation, a PostgreSQL/ClickHouse one can come later behind the same calls.
//
// Public calls are non-virtual: they check arguments and apply the named limits, then call the
// private Do* hooks a backend implements.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "event/event.h"

namespace vigil::store {

// Named limits of what one stored event may carry. Beyond them data is dropped or cut, counted
// in AppendResult, never refused: a hostile sender cannot make an event unstorable.
inline constexpr size_t kMaxStoredFields = 512;            // fields kept per event
inline constexpr size_t kMaxStoredFieldNameBytes = 256;    // longer names: field dropped
inline constexpr size_t kMaxStoredValueBytes = 16 * 1024;  // longer values are cut
inline constexpr size_t kMaxStoredRawBytes = 64 * 1024;    // longer raw messages are cut
inline constexpr size_t kMaxStoredShortTextBytes = 1024;   // source, host, logsource parts
inline constexpr size_t kMaxSearchLimit = 10000;           // events per search page
inline constexpr size_t kMaxWhereTerms = 16;               // field=value terms per search
inline constexpr size_t kMaxSearchTextBytes = 1024;        // --text
inline constexpr size_t kMaxHistogramBuckets = 10000;
inline constexpr size_t kMaxDetectionEvents = 1000;  // event ids kept per detection
inline constexpr size_t kMaxLookupIds = 100;         // ids per GetEvents call

// 128-bit identifier of a stored event or detection. New ids are UUIDv7 (RFC 9562): 48-bit
// Unix milliseconds first, so ids sort by the time they were assigned; ids from elsewhere are
// accepted as they are. Text form: the canonical 8-4-4-4-12 lower-case hex.
struct EventId {
    std::array<uint8_t, 16> bytes{};

    static EventId New(int64_t now_ns);
    static std::optional<EventId> Parse(std::string_view text);
    // The time New put in a UUIDv7 (ms precision), when this is one with a time before the year
    // 10000 (a hash from elsewhere can carry the version bits by chance, with any time).
    std::optional<int64_t> UuidV7TimeNs() const;
    std::string ToString() const;
    bool IsZero() const;
    std::string_view view() const {
        return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    }
    auto operator<=>(const EventId&) const = default;
};

// What is stored of one event. The search time (the partition it lands in) is event.time_ns
// when it lies within [receive_ns - kMaxEventAge, receive_ns + kMaxEventLead], else receive_ns
// (see SqliteEventStore); the reported time is kept either way.
struct StoredEvent {
    EventId id;              // zero: the store assigns a new UUIDv7
    int64_t receive_ns = 0;  // when vigil received it; 0: now
    std::string source;      // the intake that received it ("syslog-udp", "http", "file:/x")
    std::string host;        // the sending host
    event::Event event;      // fields, logsource, time_ns, message (the raw text)
    // Nonzero: a previous run may have stored this event already, having received it within
    // kEarlierReceiptSpanNs of this time (the file tailer reading again lines whose offsets were
    // not saved before a crash). Its copy may then be filed under another day (an event without
    // a time of its own goes by its receipt), so Append also looks for the id in the partitions
    // of those days.
    int64_t earlier_receipt_ns = 0;
    // Set by Append: the store already held an event with this id (a replay), so this one was
    // not stored.
    bool duplicate = false;

    // The store's encoding of the event, made by EventStore::Prepare (opaque to callers).
    struct Encoded {
        bool ready = false;
        std::string fields;
        std::string categories;
        uint32_t fields_dropped = 0, values_truncated = 0, utf8_repaired = 0;
        bool raw_truncated = false;
    } encoded;
};

inline constexpr int64_t kEarlierReceiptSpanNs = int64_t{3600} * 1000000000;

struct AppendResult {
    size_t stored = 0;      // newly stored
    size_t duplicates = 0;  // already stored under the same id (a replay)
    size_t fields_dropped = 0;
    size_t values_truncated = 0;
    size_t raw_truncated = 0;
    size_t utf8_repaired = 0;  // strings whose invalid UTF-8 was replaced by U+FFFD
    size_t time_clamped = 0;   // events whose time lay outside the accepted window
};

// One field=value term: exact, case-sensitive match of a field's value. The names "host",
// "source", "product", "service" and "category" also match the stored event's own attributes.
struct WhereTerm {
    std::string field;
    std::string value;
};

struct SearchQuery {
    int64_t since_ns = 0;          // inclusive; required (callers default to the last 24 h)
    int64_t until_ns = 0;          // exclusive
    std::vector<WhereTerm> where;  // all must match
    std::string text;              // substring of the raw message, case-insensitive; "" = any
    size_t limit = 100;
    std::string cursor;  // from the previous page's next_cursor; "" = newest first
};

struct SearchHit {
    EventId id;
    int64_t time_ns = 0;  // search time (see StoredEvent)
    StoredEvent event;    // event.event.time_ns is the reported time
};

struct SearchPage {
    std::vector<SearchHit> hits;  // newest first
    std::string next_cursor;      // "" when there is nothing more
    uint64_t scanned = 0;         // rows examined
    size_t partitions = 0;        // partitions searched
};

// Events by id: a detection's events, a link from elsewhere.
struct EventLookup {
    std::vector<EventId> ids;  // 1 to kMaxLookupIds
    // Optional: the events' time (a detection's time_ns); its partition is read first. Without
    // it, the partitions a UUIDv7's own time allows come first, then the rest.
    int64_t time_hint_ns = 0;
};

struct HistogramQuery {
    SearchQuery filter;  // since/until/where/text; limit and cursor are ignored
    int64_t bucket_ns = 3600LL * 1000000000;
};

struct TimeHistogram {
    int64_t since_ns = 0;
    int64_t bucket_ns = 0;
    std::vector<uint64_t> counts;  // counts[i]: [since + i*bucket, since + (i+1)*bucket)
    uint64_t total = 0;
};

// Progress of a long search: called between partitions and every few thousand rows. Returning
// false stops the search with kCancelled.
struct SearchProgress {
    size_t partitions_done = 0;
    size_t partitions_total = 0;
    uint64_t scanned = 0;
};
using ProgressFn = std::function<bool(const SearchProgress&)>;

// A detection raised on stored events, kept for the alert workflow (status "new" until it is
// picked up).
struct Detection {
    EventId id;  // zero: assigned; a replayed detection with the same id is stored once
    std::string rule_id;
    std::string rule_title;
    std::string level;               // Sigma level: informational, low, medium, high, critical
    int64_t time_ns = 0;             // time of the (last) matching event
    int64_t created_ns = 0;          // 0: now
    std::vector<EventId> event_ids;  // at most kMaxDetectionEvents kept
    std::string status = "new";
};

struct DetectionQuery {
    int64_t since_ns = 0;  // time_ns >= since
    std::string status;    // "" = any
    size_t limit = 100;
    std::string cursor;
};

struct DetectionPage {
    std::vector<Detection> detections;  // newest first
    std::string next_cursor;
};

struct PartitionInfo {
    std::string day;  // "2025-11-26" (UTC)
    std::string path;
    uint64_t events = 0;
    uint64_t unindexed = 0;  // events the text index has not reached yet
    uint64_t bytes = 0;      // file + WAL
    int64_t min_time_ns = 0;
    int64_t max_time_ns = 0;
};

struct StoreStats {
    std::vector<PartitionInfo> partitions;  // oldest first
    uint64_t events = 0;
    uint64_t bytes = 0;
    uint64_t detections = 0;
};

class EventStore {
public:
    virtual ~EventStore() = default;

    // Stores a batch; durable (against a crash of the process) when the call returns Ok.
    // Idempotent on EventId: events already stored are counted as duplicates, not stored again.
    // Events without an id or receive time get them here, written back into events.
    Result<AppendResult> Append(std::span<StoredEvent> events, int64_t now_ns = 0);
    // Optional, on the caller's thread: the per-event encoding work of Append done ahead of it
    // (thread-safe, touches only `events`), so a pipeline runs it in parallel outside the
    // store's single writer. Texts are cut and repaired in place. Append does it itself for
    // events that were not prepared; a prepared event must not change before Append.
    void Prepare(std::span<StoredEvent> events) const { DoPrepare(events); }
    // The time Append files an event under, which searches go by: its own time when plausible,
    // else its receipt (receive_ns must be set). A detection on the event is dated so too, so
    // a sender's claimed time cannot push it out of the lists.
    int64_t SearchTime(const StoredEvent& e) const { return DoSearchTime(e); }
    Result<SearchPage> Search(const SearchQuery& query, const ProgressFn& progress = {});
    Result<TimeHistogram> Histogram(const HistogramQuery& query, const ProgressFn& progress = {});
    // The stored events with these ids, in the order asked; ids not stored (never, or dropped by
    // retention) are left out. A repeated id is answered once.
    Result<std::vector<SearchHit>> GetEvents(const EventLookup& lookup);
    // Deletes every partition whose whole day lies before day_start_ns (UTC day boundary),
    // never the partition of now_ns. Returns how many partitions were removed.
    Result<size_t> DropPartitionsBefore(int64_t day_start_ns, int64_t now_ns);
    // Retention in days (at least 1): drops the partitions older than now - days.
    Result<size_t> ApplyRetention(int days, int64_t now_ns);

    Result<size_t> AppendDetections(std::span<Detection> detections, int64_t now_ns = 0);
    // Deletes the detections whose time and creation both lie before now - days (days at least
    // 1), in chunks so that appends are not held up. Returns how many were deleted.
    Result<size_t> ApplyDetectionRetention(int days, int64_t now_ns);
    Result<DetectionPage> ListDetections(const DetectionQuery& query);

    Result<StoreStats> Stats();

private:
    virtual void DoPrepare(std::span<StoredEvent>) const {}
    virtual int64_t DoSearchTime(const StoredEvent& e) const = 0;
    virtual Result<AppendResult> DoAppend(std::span<StoredEvent> events, int64_t now_ns) = 0;
    virtual Result<SearchPage> DoSearch(const SearchQuery& query, const ProgressFn& progress) = 0;
    virtual Result<TimeHistogram> DoHistogram(const HistogramQuery& query,
                                              const ProgressFn& progress) = 0;
    virtual Result<std::vector<SearchHit>> DoGetEvents(const EventLookup& lookup) = 0;
    virtual Result<size_t> DoDropPartitionsBefore(int64_t day_start_ns, int64_t now_ns) = 0;
    virtual Result<size_t> DoAppendDetections(std::span<Detection> detections, int64_t now_ns) = 0;
    virtual Result<size_t> DoDeleteDetectionsBefore(int64_t before_ns) = 0;
    virtual Result<DetectionPage> DoListDetections(const DetectionQuery& query) = 0;
    virtual Result<StoreStats> DoStats() = 0;
};

// A search's range [since, until): not empty, and its length an int64 of nanoseconds.
Status CheckTimeRange(int64_t since_ns, int64_t until_ns);

// The UTC day of ns as "YYYY-MM-DD", and the start of that day.
std::string UtcDay(int64_t ns);
int64_t UtcDayStart(int64_t ns);
inline constexpr int64_t kNsPerDay = 86400LL * 1000000000;

// "host=web-1" -> {host, web-1}; the first '=' splits. invalid_argument without one or with an
// empty name.
Result<WhereTerm> ParseWhere(std::string_view text);

}  // namespace vigil::store
