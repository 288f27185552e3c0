#pragma once
// Reading inputs for `vigil hunt`: JSON (one document, concatenated or pretty-printed
// documents, JSON lines, a top-level array of objects), Windows .evtx files (libevtx) and
// plain text lines. Reading is sequential; decoding the JSON records is left to the
// caller's worker threads (see json.h).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "event/event.h"

namespace vigil::parse {

enum class RecordKind : uint8_t {
    kJson,       // data holds one JSON object
    kText,       // data holds one line of text (no newline)
    kEvent,      // event is already decoded (evtx)
    kMalformed,  // data holds a sample of the bad bytes, error the reason
};

struct Record {
    RecordKind kind = RecordKind::kJson;
    std::string data;
    event::Event event;
    uint64_t sequence = 0;  // 0-based position of the record in its input
    uint64_t line = 0;      // 1-based line where the record starts (record number for evtx)
    std::string error;      // for kMalformed
};

enum class InputFormat { kAuto, kJson, kEvtx, kText };

class RecordReader {
public:
    virtual ~RecordReader() = default;
    // Replaces the contents of out with up to `max` records and returns how many there are;
    // 0 means the input is exhausted.
    virtual Result<size_t> Read(std::vector<Record>& out, size_t max) = 0;
    virtual uint64_t bytes_read() const = 0;
    virtual uint64_t total_bytes() const = 0;  // 0 when unknown (stdin)
    virtual const std::string& name() const = 0;
};

class JsonDecoder;

// Turns a record into an event: decodes JSON, wraps text as the event's message, takes a
// decoded EVTX event. Malformed records and undecodable JSON return the reason.
Status ToEvent(Record& record, JsonDecoder& decoder, event::Event& out);

// "-" reads standard input. kAuto detects .evtx by its file signature and JSON by its
// first non-blank byte ('{', or '[' opening an array of objects); anything else is read as
// text lines.
// With `cancel`, a read blocked on a quiet pipe or terminal returns kCancelled soon after
// the flag is set.
Result<std::unique_ptr<RecordReader>> OpenInput(const std::string& path,
                                                InputFormat format = InputFormat::kAuto,
                                                const std::atomic<bool>* cancel = nullptr);

}  // namespace vigil::parse
