#pragma once
// Syslog over a byte stream (RFC 6587): octet counting ("LEN SP MSG", RFC 5425 / 6587 3.4.1)
// and non-transparent framing (messages ended by LF, also CRLF or NUL; 3.4.2). The method is
// chosen per frame, as rsyslog does: a frame starting with a digit is octet-counted, anything
// else runs to the next terminator. A frame over max_frame_bytes is delivered cut to its first
// max_frame_bytes bytes, marked truncated and counted (oversized); the rest of it is skipped (an
// octet-counted frame by its count, a line up to its terminator), so what follows is framed as
// usual and an event cannot be hidden by padding it past the limit. A bad octet count is counted
// and the stream resynchronises at the next terminator; nothing stops the stream.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace vigil::ingest {

// Named limit: RFC 5425 asks receivers to take at least 2 KiB and should take 8 KiB; we take
// 64 KiB by default (stack traces in application logs).
inline constexpr size_t kDefaultMaxFrameBytes = 64 * 1024;
// Octet counts have at most this many digits (a 9-digit count is already beyond any limit).
inline constexpr size_t kMaxOctetCountDigits = 9;

class SyslogFramer {
public:
    struct Stats {
        uint64_t frames = 0;
        uint64_t oversized = 0;
        uint64_t malformed = 0;
        std::string last_error;  // "bad octet count at stream byte 1234: ..."
    };
    // truncated: the frame is the head of a longer one (the first max_frame_bytes bytes).
    using FrameFn = std::function<void(std::string_view frame, bool truncated)>;

    explicit SyslogFramer(size_t max_frame_bytes = kDefaultMaxFrameBytes)
        : max_frame_(max_frame_bytes) {}

    // Feeds bytes as they arrive; calls on_frame for every complete frame (empty frames, e.g.
    // blank lines, are dropped) and for the head of an oversized one as soon as it has
    // max_frame_bytes. The view is valid during the call only.
    void Feed(std::string_view bytes, const FrameFn& on_frame);
    // At end of stream: a pending non-transparent frame without its terminator is delivered
    // (a sender closing after its last message); a partial octet-counted frame is counted
    // malformed and what came of it delivered marked truncated.
    void Finish(const FrameFn& on_frame);

    const Stats& stats() const { return stats_; }
    // Bytes held for an incomplete frame.
    size_t buffered() const { return buf_.size(); }

private:
    enum class State { kStart, kCount, kCounted, kLine, kSkipLine, kSkipCounted };
    // Hands a frame over (its CR before the LF dropped), unless it is empty.
    void Emit(std::string_view frame, bool truncated, const FrameFn& on_frame);
    // Emit(buf_), then clears buf_.
    void EmitBuffered(bool truncated, const FrameFn& on_frame);
    void Malformed(std::string reason);

    size_t max_frame_;
    State state_ = State::kStart;
    std::string buf_;
    size_t want_ = 0;  // octets still expected (kCounted, kSkipCounted)
    // kCounted for an oversized frame: want_ is the limit, and this many octets follow its head.
    size_t skip_after_ = 0;
    uint64_t offset_ = 0;  // stream position, for error messages
    Stats stats_;
};

}  // namespace vigil::ingest
