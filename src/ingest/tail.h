#pragma once
// File tailing: globs, rotation by rename (the old file is followed through the open descriptor
// until it has not grown for rotate_wait, the new one read from its start) and by copytruncate (a
// file shorter than the offset, or whose last 64 bytes before the offset changed, starts over),
// offsets persisted so a restart neither loses nor repeats lines (nor misses a copytruncate made
// meanwhile), and optional multi-line records (lines starting with a space or tab continue the
// previous one: stack traces). A line is taken only once its newline is written (the last line of a
// rotated file once the file has not grown for rotate_wait). Reading advances after the sink took a
// batch; the saved offset advances only once the sink reports the batch stored (Sink::durable), so
// a crash while lines wait in memory re-reads them instead of losing them. A rotated file stays in
// the state until its lines are stored; one rotated while Vigil was stopped (its new name out of
// the globs) is found beside its saved path and read from its saved offset.
//
// Each record's id is "f:<source>:<dev>:<inode>:b<birth>:<offset>" (the file's birth time in hex,
// where the filesystem keeps one; "...:g<n>:<offset>" after the file's n-th truncation): a replay
// after a crash between storing a batch and saving the offsets (at most save_interval) carries the
// same ids, so storage drops the copies, while the lines written after a copytruncate, each
// source's record of a file two sources read, and the lines of a file created on a deleted file's
// inode are stored.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "ingest/framing.h"
#include "ingest/message.h"

namespace vigil::ingest {

struct TailOptions {
    std::string source;
    std::vector<std::string> paths;    // glob patterns ("/var/log/nginx/*.log")
    std::filesystem::path state_file;  // offsets; empty: not persisted
    std::chrono::milliseconds poll{250};
    std::chrono::milliseconds save_interval{1000};
    // A longer line is one record, cut there and counted (oversized); the rest of it is skipped.
    size_t max_line_bytes = kDefaultMaxFrameBytes;
    bool multiline_indented = false;
    // Consecutive audit records of one event become one message (ingest/audit_join.h).
    bool join_audit = false;
    bool start_at_end = false;  // a file seen for the first time: from its end, not its start
    // At most how many records past its saved offset a file can have had taken but not stored
    // (the sink's memory queue and batches in flight): the records a previous run may have
    // stored already, which a restart marks with RawMessage::earlier_receipt_ns.
    uint64_t max_unsaved_records = UINT64_MAX;
    size_t max_batch = 512;
    size_t max_bytes_per_poll = 8 * 1024 * 1024;  // per file, so one file cannot starve others
    // A file rotated away (renamed) is followed until it has not grown for this long: the
    // application writes to it until it reopens its log. Its last line without a newline is
    // taken then, and the file dropped.
    std::chrono::milliseconds rotate_wait{5000};
    std::function<std::chrono::steady_clock::time_point()> clock;  // tests; empty: steady_clock
};

struct TailStats {
    size_t files = 0;        // files being followed
    uint64_t rotations = 0;  // renames followed
    uint64_t truncations = 0;
    // Files found at a saved path as another file holding the same bytes before the saved
    // offset (a copy: logs restored or mounted on another host), read on from that offset.
    uint64_t copies_resumed = 0;
};

class FileTailer {
public:
    FileTailer(TailOptions options, Sink& sink, SourceCounters& counters);
    ~FileTailer();  // Stop()
    FileTailer(const FileTailer&) = delete;
    FileTailer& operator=(const FileTailer&) = delete;

    // Loads the offsets and starts the polling thread.
    Status Start();
    // Stops the thread and saves the offsets (stored so far; call SaveState again once the
    // sink has drained).
    void Stop();
    // One poll on the calling thread (tests, and Start's thread): expand globs, follow
    // rotations, read new lines, offer them. Returns false when the sink refused a batch. The
    // first call loads the offsets when Start did not.
    Result<bool> PollOnce();
    Status SaveState();
    TailStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::ingest
