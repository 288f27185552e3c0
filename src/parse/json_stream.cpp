#include "parse/json_stream.h"

#include <algorithm>
#include <array>
#include <utility>

#include "parse/json.h"

namespace vigil::parse::internal {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

using ByteSet = std::array<bool, 256>;

constexpr ByteSet MakeByteSet(std::string_view chars) {
    ByteSet set{};
    for (char c : chars) set[static_cast<unsigned char>(c)] = true;
    return set;
}

// The bytes that change the scanner's state, inside and outside strings ('\n' for lines).
constexpr ByteSet kStringStops = MakeByteSet("\"\\\n");
constexpr ByteSet kStructureStops = MakeByteSet("\"{}[]\n");

// The first bytes of s, not cutting a UTF-8 sequence in two.
std::string_view Sample(std::string_view s) {
    if (s.size() <= kMalformedSampleBytes) return s;
    size_t n = kMalformedSampleBytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

std::string DescribeByte(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
    static const char kHex[] = "0123456789abcdef";
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

}  // namespace

std::string FormatByteSize(size_t n) {
    if (n >= 1024 * 1024 && n % (1024 * 1024) == 0) return std::to_string(n >> 20) + " MiB";
    if (n >= 1024 && n % 1024 == 0) return std::to_string(n >> 10) + " KiB";
    return std::to_string(n) + " bytes";
}

JsonStreamSplitter::JsonStreamSplitter(size_t max_record_bytes)
    : max_record_bytes_(max_record_bytes) {}

void JsonStreamSplitter::Feed(std::string_view data) {
    Compact();
    buf_.append(data);
}

void JsonStreamSplitter::Finish() { finished_ = true; }

void JsonStreamSplitter::Compact() {
    if (consumed_ == 0) return;
    buf_.erase(0, consumed_);
    pos_ -= consumed_;
    doc_start_ = doc_start_ >= consumed_ ? doc_start_ - consumed_ : 0;
    if (resync_ != std::string::npos) resync_ -= consumed_;
    stream_pos_ += consumed_;
    consumed_ = 0;
}

void JsonStreamSplitter::Step() {
    char c = buf_[pos_++];
    if (c == '\n') {
        ++line_;
        at_line_start_ = true;
    } else {
        at_line_start_ = false;
    }
}

void JsonStreamSplitter::StartDocument(bool object) {
    mode_ = Mode::kDocument;
    doc_start_ = pos_;
    doc_line_ = line_;
    doc_is_object_ = object;
    depth_ = 0;
    in_string_ = false;
    escape_ = false;
    doc_newlines_ = 0;
    resync_ = std::string::npos;
}

void JsonStreamSplitter::StartGarbage() {
    mode_ = Mode::kGarbage;
    sample_.clear();
    sample_line_ = line_;
    skip_error_ = "expected a JSON object but found " + DescribeByte(buf_[pos_]);
}

void JsonStreamSplitter::EmitMalformedSample(Record& rec, std::string_view sample, uint64_t line,
                                             std::string error) {
    rec.kind = RecordKind::kMalformed;
    rec.data.assign(Sample(sample));
    rec.error = std::move(error);
    rec.line = line;
    rec.sequence = sequence_++;
    rec.event.Clear();
}

void JsonStreamSplitter::EmitMalformed(Record& rec, size_t begin, size_t end, uint64_t line,
                                       std::string error) {
    EmitMalformedSample(rec, std::string_view(buf_).substr(begin, end - begin), line,
                        std::move(error));
    consumed_ = end;
}

size_t JsonStreamSplitter::SkipPlain(size_t pos, size_t end) const {
    // The first byte of a line is looked at: it may start the next record.
    if (at_line_start_) return pos;
    const ByteSet* stops = nullptr;
    if (in_string_) {
        if (!escape_) stops = &kStringStops;
    } else if (doc_is_object_ || depth_ > 0) {
        stops = &kStructureStops;
    }
    if (stops == nullptr) return pos;
    end = std::min(end, buf_.size());
    while (pos < end && !(*stops)[static_cast<unsigned char>(buf_[pos])]) ++pos;
    return pos;
}

bool JsonStreamSplitter::Oversize(Record& rec, bool complete) {
    if (resync_ != std::string::npos) {
        EmitMalformed(rec, doc_start_, resync_, doc_line_, "truncated JSON document");
        pos_ = resync_;
        line_ = resync_line_;
        at_line_start_ = true;
        mode_ = Mode::kBetween;
        return true;
    }
    EmitMalformed(rec, doc_start_, pos_, doc_line_,
                  "record exceeds " + FormatByteSize(max_record_bytes_));
    mode_ = complete ? Mode::kBetween : Mode::kSkip;
    return true;
}

// Scans bytes of the current document. Returns true when a record was produced.
bool JsonStreamSplitter::ScanDocument(Record& rec) {
    while (pos_ < buf_.size()) {
        // Not past the limit, so that what is reported does not depend on the chunking.
        if (const size_t next = SkipPlain(pos_, doc_start_ + max_record_bytes_ + 1); next != pos_) {
            pos_ = next;
            at_line_start_ = false;
            if (pos_ - doc_start_ > max_record_bytes_) return Oversize(rec, false);
            if (pos_ == buf_.size()) break;
        }
        const char c = buf_[pos_];
        if (at_line_start_ && c == '{' && pos_ > doc_start_) {
            // A line inside the document starts with '{'. In valid JSON lines and in
            // pretty-printed output that only happens when the document was cut short, but a
            // hand-formatted document may do it too: unless the evidence is clear (inside a
            // string, or a one-line document), remember the spot and decide at the end.
            if (in_string_ || doc_newlines_ <= 1) {
                EmitMalformed(rec, doc_start_, pos_, doc_line_,
                              in_string_ ? "unterminated string in JSON document"
                                         : "truncated JSON document");
                mode_ = Mode::kBetween;
                return true;
            }
            if (resync_ == std::string::npos) {
                resync_ = pos_;
                resync_line_ = line_;
            }
        }
        bool end_before = false;  // the element ended just before c
        bool end_after = false;   // the document ends with c
        if (in_string_) {
            StepInString(c);
        } else if (!doc_is_object_ && depth_ == 0 && pos_ > doc_start_ &&
                   (c == ',' || c == ']' || IsSpace(c))) {
            end_before = true;
        } else if (c == '"') {
            in_string_ = true;
        } else if (c == '{' || c == '[') {
            ++depth_;
        } else if (c == '}' || c == ']') {
            if (depth_ > 0 && --depth_ == 0) end_after = true;
        }
        if (end_before) {
            EmitMalformed(rec, doc_start_, pos_, doc_line_, "array element is not a JSON object");
            mode_ = Mode::kBetween;
            return true;
        }
        Step();
        if (c == '\n') ++doc_newlines_;
        if (pos_ - doc_start_ > max_record_bytes_) return Oversize(rec, end_after);
        if (end_after) {
            if (doc_is_object_) {
                rec.kind = RecordKind::kJson;
                // Spare capacity lets JsonDecoder parse in place (simdjson's padding).
                rec.data.reserve(pos_ - doc_start_ + kJsonPadding);
                rec.data.assign(buf_, doc_start_, pos_ - doc_start_);
                rec.error.clear();
                rec.line = doc_line_;
                rec.sequence = sequence_++;
                rec.event.Clear();
                consumed_ = pos_;
            } else {
                EmitMalformed(rec, doc_start_, pos_, doc_line_,
                              "array element is not a JSON object");
            }
            mode_ = Mode::kBetween;
            return true;
        }
    }
    if (!finished_) return false;
    // End of input inside the document.
    if (resync_ != std::string::npos) {
        EmitMalformed(rec, doc_start_, resync_, doc_line_, "truncated JSON document");
        pos_ = resync_;
        line_ = resync_line_;
        at_line_start_ = true;
    } else {
        EmitMalformed(rec, doc_start_, pos_, doc_line_,
                      doc_is_object_ ? "truncated JSON document (unexpected end of input)"
                                     : "array element is not a JSON object");
    }
    mode_ = Mode::kBetween;
    return true;
}

// Drops the rest of an oversized document, following its structure to its end.
void JsonStreamSplitter::ScanSkip() {
    while (pos_ < buf_.size()) {
        if (const size_t next = SkipPlain(pos_, buf_.size()); next != pos_) {
            pos_ = next;
            at_line_start_ = false;
            if (pos_ == buf_.size()) break;
        }
        const char c = buf_[pos_];
        if (at_line_start_ && c == '{') {
            // Likely the next record: a huge document has rarely its own lines start with '{'.
            mode_ = Mode::kBetween;
            break;
        }
        bool done = false;
        if (in_string_) {
            StepInString(c);
        } else if (!doc_is_object_ && depth_ == 0 && (c == ',' || c == ']' || IsSpace(c))) {
            mode_ = Mode::kBetween;
            break;
        } else if (c == '"') {
            in_string_ = true;
        } else if (c == '{' || c == '[') {
            ++depth_;
        } else if (c == '}' || c == ']') {
            if (depth_ > 0 && --depth_ == 0) done = true;
        }
        Step();
        if (done) {
            mode_ = Mode::kBetween;
            break;
        }
    }
    consumed_ = pos_;
    if (pos_ == buf_.size() && finished_) mode_ = Mode::kBetween;
}

// Drops bytes that are not JSON until a line starts with '{' (or '[').
bool JsonStreamSplitter::ScanGarbage(Record& rec) {
    bool end = false;
    while (pos_ < buf_.size()) {
        const char c = buf_[pos_];
        if (at_line_start_ && (c == '{' || c == '[') && !sample_.empty()) {
            end = true;
            break;
        }
        if (sample_.size() < kMalformedSampleBytes + 4) sample_.push_back(c);
        Step();
    }
    consumed_ = pos_;
    if (!end && !finished_) return false;
    EmitMalformedSample(rec, sample_, sample_line_, std::move(skip_error_));
    mode_ = Mode::kBetween;
    return true;
}

bool JsonStreamSplitter::Next(Record& rec) {
    for (;;) {
        switch (mode_) {
            case Mode::kDocument:
                if (ScanDocument(rec)) return true;
                if (mode_ == Mode::kDocument) return false;  // needs more input
                continue;
            case Mode::kSkip:
                ScanSkip();
                if (mode_ == Mode::kSkip) return false;
                continue;
            case Mode::kGarbage:
                if (ScanGarbage(rec)) return true;
                return false;
            case Mode::kBetween:
                break;
        }
        if (pos_ == buf_.size()) {
            if (finished_ && in_array_) {
                in_array_ = false;
                EmitMalformedSample(rec, {}, line_,
                                    "top-level array not closed (unexpected end of input)");
                return true;
            }
            return false;
        }
        const char c = buf_[pos_];
        if (stream_pos_ + pos_ == 0 && c == '\xEF') {
            // A UTF-8 byte order mark.
            if (buf_.size() < 3 && !finished_) return false;
            if (buf_.compare(0, 3, "\xEF\xBB\xBF") == 0) {
                pos_ = consumed_ = 3;
                continue;
            }
        }
        if (IsSpace(c)) {
            Step();
            consumed_ = pos_;
        } else if (c == '{') {
            StartDocument(true);
        } else if (in_array_) {
            if (c == ',' || c == ']') {
                Step();
                consumed_ = pos_;
                if (c == ']') in_array_ = false;
            } else {
                StartDocument(false);
            }
        } else if (c == '[') {
            Step();
            consumed_ = pos_;
            in_array_ = true;
        } else {
            StartGarbage();
        }
    }
}

}  // namespace vigil::parse::internal
