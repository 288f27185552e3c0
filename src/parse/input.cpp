#include "parse/input.h"

#include <fcntl.h>
#include <libevtx.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <sys/stat.h>

#include "base/limits.h"
#include "base/strings.h"
#include "parse/evtx_xml.h"
#include "parse/json.h"
#include "parse/json_stream.h"

namespace vigil::parse {

namespace {

using internal::FormatByteSize;
using internal::kMalformedSampleBytes;

constexpr size_t kChunkBytes = 1024 * 1024;
constexpr std::string_view kEvtxSignature{"ElfFile\0", 8};

Error ErrnoError(int err, const std::string& what) {
    Code code = err == ENOENT                   ? Code::kNotFound
                : err == EACCES || err == EPERM ? Code::kPermissionDenied
                                                : Code::kUnavailable;
    return Error{code, what + ": " + std::strerror(err)};
}

// '{', or '[' opening an array of objects: "[2024-01-01 10:00] GET /" is a text log.
bool LooksLikeJson(std::string_view head) {
    (void)ConsumePrefix(head, "\xEF\xBB\xBF");
    size_t i = head.find_first_not_of(" \t\r\n");
    if (i == std::string_view::npos) return true;  // blank: nothing to read either way
    if (head[i] == '{') return true;
    if (head[i] != '[') return false;
    i = head.find_first_not_of(" \t\r\n", i + 1);
    return i == std::string_view::npos || head[i] == '{' || head[i] == ']';
}

// Closes a file descriptor other than standard input.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        std::swap(fd_, o.fd_);
        return *this;
    }
    ~Fd() {
        if (fd_ > STDIN_FILENO) ::close(fd_);
    }
    int get() const { return fd_; }

private:
    int fd_ = -1;
};

// A file or standard input read in chunks. The first bytes may be read ahead to detect
// the format; they are handed out again first.
class ByteSource {
public:
    static Result<ByteSource> Open(const std::string& path) {
        ByteSource src;
        if (path == "-") {
            src.fd_ = Fd(STDIN_FILENO);
            return src;
        }
        src.fd_ = Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (src.fd_.get() < 0) return tl::unexpected(ErrnoError(errno, "cannot open " + path));
        struct stat st {};
        if (fstat(src.fd_.get(), &st) == 0) {
            if (S_ISDIR(st.st_mode)) return InvalidArgument(path + " is a directory");
            if (S_ISREG(st.st_mode)) src.total_ = static_cast<uint64_t>(st.st_size);
        }
        return src;
    }

    // Reads the next chunk into out; an empty out means end of input.
    Status Read(std::string& out) {
        if (ahead_.empty()) return ReadMore(out);
        out.swap(ahead_);
        ahead_.clear();
        return Ok();
    }

    // Reads ahead until the first byte that is not a BOM or whitespace (or `limit` bytes) and
    // returns what was read; Read() returns it again.
    Result<std::string_view> Peek(size_t limit) {
        std::string chunk;
        while (ahead_.size() < limit) {
            if (Status st = ReadMore(chunk); !st) return tl::unexpected(st.error());
            if (chunk.empty()) break;
            ahead_.append(chunk);
            size_t i = ahead_.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
            i = ahead_.find_first_not_of(" \t\r\n", i);
            if (i != std::string::npos && ahead_.size() >= kEvtxSignature.size()) break;
        }
        return std::string_view(ahead_);
    }

    uint64_t bytes_read() const { return bytes_read_; }
    uint64_t total() const { return total_; }

    void set_cancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }

private:
    // read(2) rather than stdio: from a pipe, records are handed on as they arrive. With a
    // cancel flag, waits in short polls so a quiet pipe cannot hold up Ctrl-C.
    Status ReadMore(std::string& out) {
        if (cancel_) {
            while (true) {
                if (cancel_->load()) {
                    out.clear();
                    return MakeError(Code::kCancelled, "interrupted");
                }
                pollfd p{fd_.get(), POLLIN, 0};
                int r = ::poll(&p, 1, 200);
                if (r > 0 || (r < 0 && errno != EINTR)) break;
            }
        }
        out.resize(kChunkBytes);
        ssize_t n;
        do {
            n = ::read(fd_.get(), out.data(), out.size());
        } while (n < 0 && errno == EINTR && !(cancel_ && cancel_->load()));
        if (n < 0) {
            out.clear();
            return tl::unexpected(ErrnoError(errno, "read"));
        }
        out.resize(static_cast<size_t>(n));
        bytes_read_ += static_cast<uint64_t>(n);
        return Ok();
    }

    Fd fd_;
    std::string ahead_;
    uint64_t bytes_read_ = 0;
    uint64_t total_ = 0;
    const std::atomic<bool>* cancel_ = nullptr;
};

class JsonReader final : public RecordReader {
public:
    JsonReader(std::string name, ByteSource src) : name_(std::move(name)), src_(std::move(src)) {}

    Result<size_t> Read(std::vector<Record>& out, size_t max) override {
        out.clear();
        size_t produced = 0;
        while (produced < max) {
            Record& rec = out.emplace_back();
            if (splitter_.Next(rec)) {
                ++produced;
                continue;
            }
            out.pop_back();
            if (eof_) break;
            if (Status st = src_.Read(chunk_); !st) {
                return tl::unexpected(std::move(st.error()).WithContext("reading " + name_));
            }
            if (chunk_.empty()) {
                eof_ = true;
                splitter_.Finish();
            } else {
                splitter_.Feed(chunk_);
            }
        }
        return produced;
    }
    uint64_t bytes_read() const override { return src_.bytes_read() - splitter_.buffered(); }
    uint64_t total_bytes() const override { return src_.total(); }
    const std::string& name() const override { return name_; }

private:
    std::string name_;
    ByteSource src_;
    internal::JsonStreamSplitter splitter_;
    std::string chunk_;
    bool eof_ = false;
};

class TextReader final : public RecordReader {
public:
    TextReader(std::string name, ByteSource src) : name_(std::move(name)), src_(std::move(src)) {}

    Result<size_t> Read(std::vector<Record>& out, size_t max) override {
        out.clear();
        size_t produced = 0;
        while (produced < max) {
            const size_t nl = buf_.find('\n', start_);
            if (nl == std::string::npos && !eof_) {
                if (buf_.size() - start_ > limits::kMaxEventBytes) {
                    // Too long: report it once and drop bytes up to the end of the line.
                    if (!skipping_) Emit(out, produced, start_, buf_.size(), true);
                    skipping_ = true;
                    start_ = buf_.size();
                }
                buf_.erase(0, start_);
                start_ = 0;
                if (Status st = src_.Read(chunk_); !st) {
                    return tl::unexpected(std::move(st.error()).WithContext("reading " + name_));
                }
                if (chunk_.empty()) {
                    eof_ = true;
                } else {
                    buf_.append(chunk_);
                }
                continue;
            }
            if (nl == std::string::npos && start_ == buf_.size()) break;  // at the end
            const size_t end = nl == std::string::npos ? buf_.size() : nl;
            if (!skipping_) Emit(out, produced, start_, end, end - start_ > limits::kMaxEventBytes);
            skipping_ = false;
            start_ = nl == std::string::npos ? buf_.size() : nl + 1;
            ++line_;
        }
        return produced;
    }
    uint64_t bytes_read() const override { return src_.bytes_read() - (buf_.size() - start_); }
    uint64_t total_bytes() const override { return src_.total(); }
    const std::string& name() const override { return name_; }

private:
    void Emit(std::vector<Record>& out, size_t& produced, size_t begin, size_t end, bool too_long) {
        std::string_view text = std::string_view(buf_).substr(begin, end - begin);
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        if (text.empty()) return;
        Record& rec = out.emplace_back();
        rec.event.Clear();
        rec.sequence = sequence_++;
        rec.line = line_;
        if (too_long) {
            rec.kind = RecordKind::kMalformed;
            rec.data.assign(text.substr(0, kMalformedSampleBytes));
            rec.error = "record exceeds " + FormatByteSize(limits::kMaxEventBytes);
        } else {
            rec.kind = RecordKind::kText;
            rec.data.assign(text);
            rec.error.clear();
        }
        ++produced;
    }

    std::string name_;
    ByteSource src_;
    std::string buf_;
    std::string chunk_;
    size_t start_ = 0;  // start of the current line in buf_
    uint64_t line_ = 1;
    uint64_t sequence_ = 0;
    bool skipping_ = false;
    bool eof_ = false;
};

struct EvtxFileDeleter {
    void operator()(libevtx_file_t* f) const {
        if (opened) libevtx_file_close(f, nullptr);
        libevtx_file_free(&f, nullptr);
    }
    bool opened = false;
};
using EvtxFilePtr = std::unique_ptr<libevtx_file_t, EvtxFileDeleter>;

struct EvtxRecordDeleter {
    void operator()(libevtx_record_t* r) const { libevtx_record_free(&r, nullptr); }
};
using EvtxRecordPtr = std::unique_ptr<libevtx_record_t, EvtxRecordDeleter>;

// Takes libevtx's error message and frees the error.
std::string TakeError(libevtx_error_t*& error) {
    if (error == nullptr) return "unknown libevtx error";
    char buf[512];
    int n = libevtx_error_sprint(error, buf, sizeof(buf));
    libevtx_error_free(&error);
    if (n <= 0) return "unknown libevtx error";
    std::string msg(buf, std::min(static_cast<size_t>(n), sizeof(buf) - 1));
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\0')) msg.pop_back();
    return msg;
}

class EvtxReader final : public RecordReader {
public:
    static Result<std::unique_ptr<RecordReader>> Open(const std::string& path) {
        libevtx_error_t* error = nullptr;
        libevtx_file_t* raw = nullptr;
        if (libevtx_file_initialize(&raw, &error) != 1) {
            return Internal("libevtx: " + TakeError(error));
        }
        EvtxFilePtr file(raw);
        if (libevtx_file_open(file.get(), path.c_str(), libevtx_get_access_flags_read(), &error) !=
            1) {
            return InvalidArgument("cannot open " + path + " as EVTX: " + TakeError(error));
        }
        file.get_deleter().opened = true;
        int count = 0;
        if (libevtx_file_get_number_of_records(file.get(), &count, &error) != 1) {
            return MakeError(Code::kDataLoss, "reading " + path + ": " + TakeError(error));
        }
        uint64_t total = 0;
        struct stat st {};
        if (stat(path.c_str(), &st) == 0) total = static_cast<uint64_t>(st.st_size);
        return std::unique_ptr<RecordReader>(new EvtxReader(path, std::move(file), count, total));
    }

    Result<size_t> Read(std::vector<Record>& out, size_t max) override {
        out.clear();
        size_t produced = 0;
        while (produced < max && next_ < count_) {
            const int index = next_++;
            Record& rec = out.emplace_back();
            ReadRecord(index, rec);
            ++produced;
        }
        if (next_ >= count_) bytes_read_ = total_;
        return produced;
    }
    uint64_t bytes_read() const override { return bytes_read_; }
    uint64_t total_bytes() const override { return total_; }
    const std::string& name() const override { return name_; }

private:
    EvtxReader(std::string name, EvtxFilePtr file, int count, uint64_t total)
        : name_(std::move(name)), file_(std::move(file)), count_(count), total_(total) {}

    void Malformed(Record& rec, std::string error, std::string_view sample = {}) {
        rec.kind = RecordKind::kMalformed;
        rec.error = std::move(error);
        rec.data.assign(sample.substr(0, kMalformedSampleBytes));
        rec.event.Clear();
    }

    void ReadRecord(int index, Record& rec) {
        rec.sequence = sequence_++;
        rec.line = static_cast<uint64_t>(index) + 1;
        rec.data.clear();
        libevtx_error_t* error = nullptr;
        libevtx_record_t* raw = nullptr;
        if (libevtx_file_get_record_by_index(file_.get(), index, &raw, &error) != 1) {
            return Malformed(rec, "record " + std::to_string(index + 1) + ": " + TakeError(error));
        }
        EvtxRecordPtr record(raw);
        uint64_t id = 0;
        if (libevtx_record_get_identifier(record.get(), &id, &error) == 1) {
            rec.line = id;
        } else {
            libevtx_error_free(&error);
        }
        off64_t offset = 0;
        if (libevtx_record_get_offset(record.get(), &offset, &error) == 1 && offset > 0) {
            bytes_read_ = static_cast<uint64_t>(offset);
        } else {
            libevtx_error_free(&error);
        }
        const std::string where = "record " + std::to_string(rec.line);
        size_t size = 0;
        if (libevtx_record_get_utf8_xml_string_size(record.get(), &size, &error) != 1) {
            return Malformed(rec, where + ": " + TakeError(error));
        }
        if (size > limits::kMaxEventBytes) {
            return Malformed(rec,
                             where + ": record exceeds " + FormatByteSize(limits::kMaxEventBytes));
        }
        xml_.resize(size);
        if (size > 0 &&
            libevtx_record_get_utf8_xml_string(
                record.get(), reinterpret_cast<uint8_t*>(xml_.data()), size, &error) != 1) {
            return Malformed(rec, where + ": " + TakeError(error));
        }
        std::string_view xml(xml_.data(), strnlen(xml_.data(), xml_.size()));
        rec.event.Clear();
        if (Status st = converter_.Convert(xml, rec.event); !st) {
            return Malformed(rec, where + ": " + st.error().message, xml);
        }
        rec.kind = RecordKind::kEvent;
        rec.error.clear();
        rec.event.sequence = rec.sequence;
        rec.event.origin = name_;
        rec.event.origin += '#';
        rec.event.origin += std::to_string(rec.line);
    }

    std::string name_;
    EvtxFilePtr file_;
    int count_ = 0;
    int next_ = 0;
    uint64_t sequence_ = 0;
    uint64_t bytes_read_ = 0;
    uint64_t total_ = 0;
    std::string xml_;
    internal::EvtxXmlConverter converter_;
};

}  // namespace

Status ToEvent(Record& record, JsonDecoder& decoder, event::Event& out) {
    out.Clear();
    switch (record.kind) {
        case RecordKind::kMalformed:
            return InvalidArgument(record.error);
        case RecordKind::kJson:
            return decoder.Decode(record.data, out);
        case RecordKind::kText:
            out.message = record.data;
            return Ok();
        case RecordKind::kEvent:
            out = std::move(record.event);
            return Ok();
    }
    return Internal("unknown record kind");
}

Result<std::unique_ptr<RecordReader>> OpenInput(const std::string& path, InputFormat format,
                                                const std::atomic<bool>* cancel) {
    const std::string name = path == "-" ? "<stdin>" : path;
    if (format == InputFormat::kEvtx) {
        if (path == "-") return InvalidArgument("EVTX input cannot be read from standard input");
        return EvtxReader::Open(path);
    }
    auto src = ByteSource::Open(path);
    if (!src) return tl::unexpected(std::move(src.error()));
    src->set_cancel(cancel);
    if (format == InputFormat::kAuto) {
        auto head = src->Peek(kChunkBytes);
        if (!head) return tl::unexpected(std::move(head.error()).WithContext("reading " + name));
        std::string_view h = *head;
        if (h.substr(0, kEvtxSignature.size()) == kEvtxSignature) {
            if (path == "-") {
                return InvalidArgument("EVTX input cannot be read from standard input");
            }
            return EvtxReader::Open(path);
        }
        format = LooksLikeJson(h) ? InputFormat::kJson : InputFormat::kText;
    }
    if (format == InputFormat::kJson) {
        return std::unique_ptr<RecordReader>(new JsonReader(name, std::move(*src)));
    }
    return std::unique_ptr<RecordReader>(new TextReader(name, std::move(*src)));
}

}  // namespace vigil::parse
