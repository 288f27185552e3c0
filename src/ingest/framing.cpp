#include "ingest/framing.h"

#include <algorithm>
#include <cstring>

namespace vigil::ingest {

void SyslogFramer::Malformed(std::string reason) {
    ++stats_.malformed;
    stats_.last_error = std::move(reason);
}

namespace {

// The first '\n' or NUL from i, or npos: two vectorised scans (basic_string_view::find_first_of
// looks every byte up in the set one by one).
size_t LineEnd(std::string_view in, size_t i) {
    const char* base = in.data();
    const void* nl = std::memchr(base + i, '\n', in.size() - i);
    const size_t stop = nl ? static_cast<size_t>(static_cast<const char*>(nl) - base) : in.size();
    const void* nul = std::memchr(base + i, '\0', stop - i);
    if (nul) return static_cast<size_t>(static_cast<const char*>(nul) - base);
    return nl ? stop : std::string_view::npos;
}

}  // namespace

void SyslogFramer::Emit(std::string_view frame, bool truncated, const FrameFn& on_frame) {
    // A CR before the LF belongs to the terminator.
    if (!truncated && !frame.empty() && frame.back() == '\r') frame.remove_suffix(1);
    if (!frame.empty()) {
        ++stats_.frames;
        on_frame(frame, truncated);
    }
}

void SyslogFramer::EmitBuffered(bool truncated, const FrameFn& on_frame) {
    Emit(buf_, truncated, on_frame);
    buf_.clear();
}

void SyslogFramer::Feed(std::string_view in, const FrameFn& on_frame) {
    size_t i = 0;
    while (i < in.size()) {
        switch (state_) {
            case State::kStart: {
                const char c = in[i];
                if (c == '\n' || c == '\0' || c == '\r') {  // stray terminators between frames
                    ++i;
                    ++offset_;
                } else if (c >= '0' && c <= '9') {
                    state_ = State::kCount;
                    want_ = 0;
                    buf_.clear();
                } else {
                    state_ = State::kLine;
                    buf_.clear();
                }
                break;
            }
            case State::kCount: {
                const char c = in[i];
                if (c >= '0' && c <= '9') {
                    buf_ += c;
                    ++i;
                    ++offset_;
                    if (buf_.size() > kMaxOctetCountDigits) {
                        Malformed("octet count longer than " +
                                  std::to_string(kMaxOctetCountDigits) + " digits at stream byte " +
                                  std::to_string(offset_));
                        buf_.clear();
                        state_ = State::kSkipLine;
                    }
                } else if (c == ' ' && !buf_.empty()) {
                    want_ = std::stoul(buf_);
                    buf_.clear();
                    ++i;
                    ++offset_;
                    skip_after_ = 0;
                    if (want_ == 0) {
                        state_ = State::kStart;
                    } else {
                        if (want_ > max_frame_) {
                            // Its head is read as a frame of the limit's length; the rest is
                            // skipped by its count.
                            ++stats_.oversized;
                            stats_.last_error = "frame of " + std::to_string(want_) +
                                                " bytes over the limit of " +
                                                std::to_string(max_frame_) + " at stream byte " +
                                                std::to_string(offset_) + ": its head kept";
                            skip_after_ = want_ - max_frame_;
                            want_ = max_frame_;
                        }
                        state_ = State::kCounted;
                    }
                } else {
                    // Not an octet count after all (a line starting with digits, as some
                    // devices send): treat what was read as the start of a line.
                    state_ = State::kLine;
                }
                break;
            }
            case State::kCounted: {
                const size_t take = std::min(want_ - buf_.size(), in.size() - i);
                buf_.append(in.substr(i, take));
                i += take;
                offset_ += take;
                if (buf_.size() == want_) {
                    const bool truncated = skip_after_ > 0;
                    // Octet-counted frames may still end with a newline some senders add.
                    while (!truncated && !buf_.empty() &&
                           (buf_.back() == '\n' || buf_.back() == '\r')) {
                        buf_.pop_back();
                    }
                    EmitBuffered(truncated, on_frame);
                    want_ = skip_after_;
                    skip_after_ = 0;
                    state_ = truncated ? State::kSkipCounted : State::kStart;
                }
                break;
            }
            case State::kSkipCounted: {
                const size_t take = std::min(want_, in.size() - i);
                want_ -= take;
                i += take;
                offset_ += take;
                if (want_ == 0) state_ = State::kStart;
                break;
            }
            case State::kLine: {
                const size_t end = LineEnd(in, i);
                const size_t stop = end == std::string_view::npos ? in.size() : end;
                const size_t room = max_frame_ - std::min(max_frame_, buf_.size());
                // A CR before the terminator is not part of the line: a CRLF line of the limit's
                // length fits.
                // So is a CR that ends this read with no terminator yet: the LF may be the next
                // read's first byte (the line then has one byte more than the limit in buf_
                // until it comes, and is cut to the limit if it does not).
                const bool cr = stop > i && in[stop - 1] == '\r';
                if (stop - i - (cr ? 1 : 0) > room) {
                    // Over the limit: its head (the limit's length) is the frame, the rest of
                    // the line is skipped up to its terminator however long it is.
                    ++stats_.oversized;
                    stats_.last_error = "line over the limit of " + std::to_string(max_frame_) +
                                        " bytes at stream byte " +
                                        std::to_string(offset_ - buf_.size()) + ": its head kept";
                    if (buf_.empty()) {
                        Emit(in.substr(i, room), /*truncated=*/true, on_frame);
                    } else {
                        buf_.append(in.substr(i, room));
                        buf_.resize(std::min(buf_.size(), max_frame_));  // a held CR past it
                        EmitBuffered(/*truncated=*/true, on_frame);
                    }
                    i += room;
                    offset_ += room;
                    state_ = State::kSkipLine;
                    break;
                }
                if (buf_.empty() && end != std::string_view::npos) {
                    // The whole line is in this input: hand it over without copying.
                    const std::string_view line = in.substr(i, stop - i);
                    offset_ += stop - i + 1;
                    i = stop + 1;
                    state_ = State::kStart;
                    Emit(line, /*truncated=*/false, on_frame);
                    break;
                }
                buf_.append(in.substr(i, stop - i));
                offset_ += stop - i;
                i = stop;
                if (end != std::string_view::npos) {
                    ++i;
                    ++offset_;
                    EmitBuffered(/*truncated=*/false, on_frame);
                    state_ = State::kStart;
                }
                break;
            }
            case State::kSkipLine: {
                const size_t end = LineEnd(in, i);
                if (end == std::string_view::npos) {
                    offset_ += in.size() - i;
                    i = in.size();
                } else {
                    offset_ += end + 1 - i;
                    i = end + 1;
                    state_ = State::kStart;
                }
                break;
            }
        }
    }
}

void SyslogFramer::Finish(const FrameFn& on_frame) {
    if (state_ == State::kLine || state_ == State::kCount) {
        EmitBuffered(/*truncated=*/false, on_frame);
    } else if (state_ == State::kCounted) {
        // The sender closed inside a frame: what came of it is kept, marked cut (as an
        // oversized frame's head), and counted with the reason.
        Malformed("stream ended inside an octet-counted frame (" + std::to_string(buf_.size()) +
                  " of " + std::to_string(want_ + skip_after_) + " bytes)" +
                  (buf_.empty() ? "" : ": what came kept, marked truncated"));
        EmitBuffered(/*truncated=*/true, on_frame);
    }
    buf_.clear();
    state_ = State::kStart;
}

}  // namespace vigil::ingest
