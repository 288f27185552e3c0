#pragma once
// What the listeners and the file tailer hand to the pipeline: raw message bytes with where
// and when they came from, before any decoding. A Sink takes batches of them; refusing a batch
// is how back-pressure reaches a listener (TCP stops reading, UDP counts a drop, the tailer
// retries from the same offset).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace vigil::ingest {

struct RawMessage {
    // Stable id when the producer can replay the message (the tailer: source file identity and
    // offset; the HTTP intake: the id it acknowledged), so storage can drop a replayed copy.
    // Empty otherwise.
    std::string id;
    std::string source;  // configured source name ("syslog-tcp", "nginx", ...)
    std::string peer;    // sender address ("10.0.0.5:51514") or the file path
    int64_t received_ns = 0;
    std::string bytes;  // one message, without framing
    // Nonzero: a previous run may have received (and stored) this message already, within an
    // hour of this time. The tailer sets it on the lines it reads again after a crash, which
    // get a new receive time; the store then also looks for their copies under the day they
    // were first filed under (store::StoredEvent::earlier_receipt_ns).
    int64_t earlier_receipt_ns = 0;
    // The message is the head of a longer one, cut at the producer's size limit (a syslog frame
    // or datagram over max_frame_bytes, a file line over max_line_bytes); the rest was skipped.
    // The event gets the field vigil.truncated.
    bool truncated = false;
};

// What a message takes in memory, roughly: the struct and its strings. The memory queue and
// the batches are bounded by it as well as by count (a message can be a 64 KiB frame).
inline size_t MessageBytes(const RawMessage& m) {
    return sizeof(RawMessage) + m.id.size() + m.source.size() + m.peer.size() + m.bytes.size();
}

class Sink {
public:
    virtual ~Sink() = default;
    // Takes the whole batch (true; the messages are moved from) or none of it (false: full).
    // Called from listener threads; must be thread-safe.
    virtual bool Offer(std::vector<RawMessage>& batch) = 0;

    // Durability watermark for producers that persist their own position (the file tailer
    // saves offsets): every message offered before offered() returned P is stored, or in the
    // disk spool (replayed after a crash), once durable() >= P. A sink that stores on Offer
    // keeps the defaults (0 and 0: at once).
    virtual uint64_t offered() const { return 0; }
    virtual uint64_t durable() const { return 0; }
};

// Counters per source; read concurrently by status and /metrics.
struct SourceCounters {
    std::atomic<uint64_t> received{0};   // messages handed to the sink
    std::atomic<uint64_t> bytes{0};      // their bytes
    std::atomic<uint64_t> malformed{0};  // framing errors (bad octet count, ...)
    std::atomic<uint64_t> oversized{0};  // frames over the size limit, their head kept
    std::atomic<uint64_t> refused{0};    // messages the sink refused and that were lost (UDP)
    // UDP datagrams the kernel dropped before Vigil read them (the socket's buffer was full).
    std::atomic<uint64_t> kernel_drops{0};
    std::atomic<uint64_t> paused{0};  // times a stream stopped reading because the sink was full
    std::atomic<uint64_t> connections{0};
    // Connections closed at once: the listener had max_connections open (in all, or
    // max_connections_per_peer from the address).
    std::atomic<uint64_t> connections_refused{0};
    std::atomic<uint64_t> tls_failures{0};  // failed or truncated TLS handshakes
    // Audit events stored in pieces: their record group ended by a bound (records, bytes, the
    // UDP listener's number of senders) before its last record (ingest/audit_join.h).
    std::atomic<uint64_t> audit_cut{0};
    // Files a file source's globs matched that hold compressed data (gzip, bzip2, xz, zstd, lz4,
    // zip: logrotate's rotated access.log.2.gz), by their first bytes: skipped, once each.
    std::atomic<uint64_t> compressed_skipped{0};
    std::atomic<int64_t> last_received_ns{0};

    // The latest framing error, oversized frame or refused request, with its reason and
    // position ("10.0.0.5:51514: octet count longer than 9 digits at stream byte 1234"), for
    // the status: the counts alone do not say what to fix at the sender.
    void NoteError(std::string error) {
        std::lock_guard lock(error_mu_);
        last_error_ = std::move(error);
    }
    std::string LastError() const {
        std::lock_guard lock(error_mu_);
        return last_error_;
    }

private:
    mutable std::mutex error_mu_;
    std::string last_error_;
};

}  // namespace vigil::ingest
