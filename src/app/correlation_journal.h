#pragma once
// The matches the ingest pipeline fed to its Sigma correlations, kept in a small SQLite file
// (DIR/run/correlation-feed.db) so a restart rebuilds the correlation windows instead of
// starting them empty: five SSH failures before an upgrade and two after still count seven.
//
// The store thread appends a batch's matches (one row per batch) after the batch is stored; at
// start the pipeline feeds the entries of the last `keep_ns` (the longest correlation
// timespan) back, in order, and skips those events if a spool replay brings them again. Old
// batches are pruned; at most max_rows entries are kept (the oldest batches go first), held as
// each batch is appended, and a start reads no more than max_rows whatever the file holds.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/event_store.h"

namespace vigil::app {

struct CorrelationFeedEntry {
    int64_t time_ns = 0;
    std::string rule_id, rule_name;  // the detection rule that matched
    store::EventId event;
    std::vector<std::pair<std::string, std::string>> fields;  // those the correlations read
};

// A stored batch's matches as the journal keeps them, encoded as they are fed: no object and no
// string copies per match (the feed is on the path of every matching event).
class CorrelationFeed {
public:
    // One match: its event's time, the rule that matched, the event; then AddField for each
    // field of the event that the correlations read (ignored before the first Add).
    void Add(int64_t time_ns, std::string_view rule_id, std::string_view rule_name,
             const store::EventId& event);
    void AddField(std::string_view name, std::string_view value);
    void Add(const CorrelationFeedEntry& entry);

    bool empty() const { return entries_ == 0; }
    size_t entries() const { return entries_; }
    int64_t newest_ns() const { return newest_ns_; }  // of the entries added
    std::string_view data() const { return data_; }
    void clear();  // keeps the buffer

private:
    std::string data_;
    size_t entries_ = 0;
    size_t fields_at_ = 0;  // where the last entry's field count is
    uint32_t fields_ = 0;
    int64_t newest_ns_ = 0;
};

class CorrelationJournal {
public:
    static Result<std::unique_ptr<CorrelationJournal>> Open(const std::filesystem::path& path,
                                                            size_t max_rows = 200000);
    ~CorrelationJournal();

    // One row for a stored batch's entries (none for an empty feed); then, past max_rows
    // entries, the oldest batches go (never the one just appended: a batch bigger than the
    // bound alone is kept, and cut when loaded).
    Status Append(const CorrelationFeed& feed);
    Status Append(const std::vector<CorrelationFeedEntry>& entries);
    // The entries no older than keep_ns before the newest one (or before now_ns, if that is
    // earlier: a sender's clock far in the future does not hide the rest), in the order they
    // were fed; an entry stored twice (a batch replayed across a crash) comes once. At most
    // max_rows of them: the newest (the last fed).
    Result<std::vector<CorrelationFeedEntry>> Load(int64_t keep_ns, int64_t now_ns);
    // Drops batches whose newest entry is older than before_ns, then the oldest batches beyond
    // max_rows entries (as Append does).
    Status Prune(int64_t before_ns);

private:
    struct Impl;
    explicit CorrelationJournal(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::app
