#pragma once
// The bounded on-disk spool between the listeners and the pipeline: when detection or storage
// falls behind, batches are appended here (durable when Append returns: written and fsynced)
// and replayed in order later. Records are length-prefixed and checksummed (XXH32) in segment
// files; a torn tail after a crash is detected and cut at open, never replayed half. The read
// position is committed only after the consumer has stored what it read, so a crash replays
// (the ids let storage drop the copies) and never skips.
//
//   DIR/seg-00000001.spool ...   records: u32 length, u32 XXH32(payload), payload
//   DIR/spool.pos                 "<segment> <offset>\n" of the first unconsumed record
//
// Thread-safe: any number of appenders, one reader.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "base/result.h"
#include "ingest/message.h"

namespace vigil::ingest {

struct SpoolOptions {
    std::filesystem::path dir;
    uint64_t max_bytes = uint64_t{1} << 30;  // Append answers resource_exhausted beyond
    // A new segment after this many bytes; at most max_bytes / 8 (at least 1 MiB), since the
    // consumed start of the segment being written stays on disk until it is full: the files
    // hold at most max_bytes + a segment + a batch.
    uint64_t segment_bytes = uint64_t{64} << 20;
    bool fsync = true;  // durable appends (tests of speed may turn off)
};

struct SpoolStats {
    uint64_t bytes = 0;    // on disk, unconsumed
    uint64_t records = 0;  // unconsumed
    uint64_t segments = 0;
    uint64_t torn_bytes_cut = 0;   // cut from a torn tail at open
    uint64_t corrupt_records = 0;  // checksum mismatches skipped while reading
};

// Where the reader stands: pass it back to Commit once the records are stored.
struct SpoolCursor {
    uint64_t segment = 0;
    uint64_t offset = 0;
    uint64_t sequence = 0;  // records read since the spool was opened, up to here
};

class DiskSpool {
public:
    // Creates DIR (0700) if needed, recovers the segments and the committed position.
    static Result<std::unique_ptr<DiskSpool>> Open(SpoolOptions options);
    ~DiskSpool();
    DiskSpool(const DiskSpool&) = delete;
    DiskSpool& operator=(const DiskSpool&) = delete;

    // All of the batch or nothing (resource_exhausted "spool full" when it would exceed
    // max_bytes). Durable when it returns Ok (with options.fsync and sync on); sync=false
    // leaves the flush to the kernel (producers that do not acknowledge).
    Status Append(const std::vector<RawMessage>& batch, bool sync = true);
    // Up to max records, and about max_bytes of them (MessageBytes; at least one), after the last
    // one read (not yet committed). The cursor after them.
    // reuse: spent messages whose strings take the records (no allocation per record).
    Result<std::vector<RawMessage>> Read(size_t max, SpoolCursor& next,
                                         std::vector<RawMessage> reuse = {},
                                         size_t max_bytes = SIZE_MAX);
    // Everything before `upto` is consumed: persists the position, deletes finished segments.
    Status Commit(const SpoolCursor& upto);
    SpoolStats stats() const;
    bool empty() const;

private:
    struct Impl;
    explicit DiskSpool(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::ingest
