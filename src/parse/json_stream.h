#pragma once
// Private to parse/: splits a byte stream into JSON documents without parsing them. Handles
// JSON lines, concatenated or pretty-printed documents and top-level arrays of objects
// (each element is one record). Damage stays local: a truncated or garbled document becomes
// one kMalformed record and splitting resumes at the next line that starts with '{'.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/limits.h"
#include "parse/input.h"

namespace vigil::parse::internal {

// Bytes of a bad record kept as its sample.
inline constexpr size_t kMalformedSampleBytes = 200;

// "4 MiB", "64 KiB", "100 bytes".
std::string FormatByteSize(size_t n);

class JsonStreamSplitter {
public:
    explicit JsonStreamSplitter(size_t max_record_bytes = limits::kMaxEventBytes);

    // Appends input. Bytes already returned as records are dropped from the buffer first.
    void Feed(std::string_view data);
    // No more input will come.
    void Finish();

    // Fills rec with the next record (kJson or kMalformed) and returns true; false when
    // more input is needed, or, after Finish(), when the input is exhausted.
    bool Next(Record& rec);

    // Bytes held for records not yet complete.
    size_t buffered() const { return buf_.size() - consumed_; }

private:
    enum class Mode : uint8_t {
        kBetween,   // outside any document
        kDocument,  // inside a document starting at doc_start_
        kSkip,      // inside a document too large to keep: dropping bytes until its end
        kGarbage,   // inside bytes that are not JSON: dropping until a line starts with '{'
    };

    // Advances pos_ over one byte, keeping the line count.
    void Step();
    void StartDocument(bool object);
    void StartGarbage();
    // Scans the current document; returns true when a record was produced.
    bool ScanDocument(Record& rec);
    void ScanSkip();
    // The first position in [pos, end) that can change the scanner's state, or end.
    size_t SkipPlain(size_t pos, size_t end) const;
    // Handles a document grown past the limit; complete when it ends at pos_.
    bool Oversize(Record& rec, bool complete);
    bool ScanGarbage(Record& rec);
    // A bad record sampling buf_[begin, end); the bytes up to end are consumed.
    void EmitMalformed(Record& rec, size_t begin, size_t end, uint64_t line, std::string error);
    void EmitMalformedSample(Record& rec, std::string_view sample, uint64_t line,
                             std::string error);
    void Compact();

    size_t max_record_bytes_;
    std::string buf_;
    size_t consumed_ = 0;      // bytes of buf_ already returned or dropped
    size_t pos_ = 0;           // scan position in buf_
    uint64_t stream_pos_ = 0;  // offset of buf_[0] in the stream
    uint64_t line_ = 1;        // line of buf_[pos_]
    bool at_line_start_ = true;
    bool finished_ = false;
    uint64_t sequence_ = 0;

    Mode mode_ = Mode::kBetween;
    bool in_array_ = false;  // inside a top-level array: its elements are the records

    // State of the document being scanned.
    size_t doc_start_ = 0;
    uint64_t doc_line_ = 0;
    bool doc_is_object_ = true;  // false for a non-object element of a top-level array
    size_t depth_ = 0;
    bool in_string_ = false;
    bool escape_ = false;
    // One byte inside a JSON string: tracks escapes and the closing quote.
    void StepInString(char c) {
        if (escape_) {
            escape_ = false;
        } else if (c == '\\') {
            escape_ = true;
        } else if (c == '"') {
            in_string_ = false;
        }
    }
    size_t doc_newlines_ = 0;  // newlines seen inside the document
    // First line inside the document that starts with '{': where to resume if the document
    // turns out to be truncated.
    size_t resync_ = std::string::npos;
    uint64_t resync_line_ = 0;

    // Garbage and oversized documents are not kept: only their first bytes.
    std::string sample_;
    uint64_t sample_line_ = 0;
    std::string skip_error_;
};

}  // namespace vigil::parse::internal
