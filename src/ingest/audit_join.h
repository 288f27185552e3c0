#pragma once
// Linux audit writes one event as several records (SYSCALL, EXECVE, CWD, PATH..., then EOE)
// that share msg=audit(TIME:SERIAL), one line each, whether in audit.log or relayed one syslog
// message per record. AuditJoiner puts consecutive records of one event back together into one
// message, the records joined by '\n', so the event is decoded, matched and stored whole (the
// decoder reads every record of a joined message). Each producer keeps one joiner per stream
// (a tailed file, a TCP connection, a UDP sender, an HTTP request), as Wazuh's logcollector
// does for audit.log.
//
// A group ends at its EOE record, at a record of another event or a message that is no audit
// record, at max_records or max_bytes, or when the producer calls Flush (end of data, or the
// group has waited long enough: user-space events have no EOE). Records of two events that
// interleave stay separate events. A group ended by a bound (max_records, max_bytes, or the
// producer's own: Cut) before its event's records were all seen is counted, where the producer
// asks (CountCutsIn): that event is stored in pieces.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.h"
#include "ingest/message.h"

namespace vigil::ingest {

class AuditJoiner {
public:
    struct Limits {
        size_t max_records = 64;
        size_t max_bytes = limits::kMaxLineBytes;  // what a decoder takes as one message
    };
    AuditJoiner() : AuditJoiner(Limits{}) {}
    explicit AuditJoiner(Limits limits) : limits_(limits) {}
    // enabled false: every message passes as it is (a source whose decoder never sees audit
    // records), so producers add through a joiner either way.
    explicit AuditJoiner(bool enabled) : enabled_(enabled) {}

    // Appends to out what is ready, in order: a message that is no audit record passes at once
    // (after the group held before it). The joined message keeps the first record's id, peer
    // and receive time. `tag` is the caller's handle on a message (the tailer: its offset);
    // held_tag() gives the held group's first one.
    void Add(RawMessage m, std::vector<RawMessage>& out, uint64_t tag = 0);
    // Appends the held group, if any.
    void Flush(std::vector<RawMessage>& out);
    // Appends the held group, if any, as ended by a bound of the producer's (counted).
    void Cut(std::vector<RawMessage>& out);
    // Where groups ended by a bound are counted (SourceCounters::audit_cut); none by default.
    void CountCutsIn(std::atomic<uint64_t>* cut) { cut_ = cut; }
    // Forgets the held group (the caller reads its records again).
    void Clear();
    bool holding() const { return holding_; }
    uint64_t held_tag() const { return tag_; }
    int64_t held_received_ns() const { return held_.received_ns; }

    // The event a record belongs to: "NODE|TIME:SERIAL" (NODE empty without node=), empty for
    // a line that is no audit record. *end is set when the record is the event's EOE.
    static std::string Key(std::string_view line, bool* end = nullptr);

private:
    Limits limits_;
    bool enabled_ = true;
    bool holding_ = false;
    RawMessage held_;
    std::string key_;
    size_t records_ = 0;
    uint64_t tag_ = 0;
    std::atomic<uint64_t>* cut_ = nullptr;
};

}  // namespace vigil::ingest
