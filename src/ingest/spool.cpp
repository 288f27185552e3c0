#include "ingest/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include <sys/stat.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/bytes.h"
#include "base/files.h"

namespace vigil::ingest {

namespace {

namespace fs = std::filesystem;

// Named limit: one spooled record (a message plus its metadata).
constexpr uint32_t kMaxRecordBytes = 16 * 1024 * 1024;
constexpr size_t kHeaderBytes = 8;
// The flags byte that may end a record's payload.
constexpr uint8_t kFlagTruncated = 1;  // RawMessage::truncated
// What Read takes from a segment per pread.
constexpr uint64_t kReadBlockBytes = 1024 * 1024;
// A reused message's string keeps its buffer up to this size: one long line passing through
// does not leave a large buffer behind in every batch that reuses the message.
constexpr size_t kReuseMaxBytes = 4096;

tl::unexpected<Error> Errno(const std::string& what) {
    return MakeError(Code::kUnavailable, what + ": " + std::strerror(errno));
}

// Appends one record (header, then the payload) to out.
void EncodeTo(std::string& out, const RawMessage& m) {
    const size_t header = out.size();
    out.append(kHeaderBytes, '\0');
    PutLenPrefixed(out, m.id);
    PutLenPrefixed(out, m.source);
    PutLenPrefixed(out, m.peer);
    PutLe64(out, static_cast<uint64_t>(m.received_ns));
    PutLenPrefixed(out, m.bytes);
    // Only a message read again after a crash has one, and only a cut one its flags (then the
    // time is there, 0 when none); the others' records end here.
    if (m.earlier_receipt_ns != 0 || m.truncated) {
        PutLe64(out, static_cast<uint64_t>(m.earlier_receipt_ns));
    }
    if (m.truncated) out.push_back(static_cast<char>(kFlagTruncated));
    const size_t len = out.size() - header - kHeaderBytes;
    SetLe32(out, header, static_cast<uint32_t>(len));
    SetLe32(out, header + 4, XXH32(out.data() + header + kHeaderBytes, len, 0));
}

// Reads buf.size() bytes at offset; false on an error or a short file.
bool PreadAll(int fd, std::string& buf, uint64_t offset) {
    size_t got = 0;
    while (got < buf.size()) {
        const ssize_t n =
            ::pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        got += static_cast<size_t>(n);
    }
    return true;
}

bool Decode(std::string_view p, RawMessage& m) {
    ByteReader r(p);
    std::string_view id, source, peer, bytes, flags;
    uint64_t received = 0, earlier = 0;
    if (!r.LenPrefixed(id) || !r.LenPrefixed(source) || !r.LenPrefixed(peer) || !r.Le64(received) ||
        !r.LenPrefixed(bytes) || (!r.done() && !r.Le64(earlier)) ||
        (!r.done() && (!r.Bytes(1, flags) || !r.done() ||
                       (static_cast<uint8_t>(flags[0]) & ~kFlagTruncated) != 0))) {
        return false;
    }
    m.earlier_receipt_ns = static_cast<int64_t>(earlier);
    m.truncated = !flags.empty() && (static_cast<uint8_t>(flags[0]) & kFlagTruncated) != 0;
    m.id.assign(id);
    m.source.assign(source);
    m.peer.assign(peer);
    m.received_ns = static_cast<int64_t>(received);
    m.bytes.assign(bytes);
    return true;
}

std::string SegmentName(uint64_t n) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "seg-%08llu.spool", static_cast<unsigned long long>(n));
    return buf;
}

// The segment number of "seg-NNNNNNNN.spool", or 0.
uint64_t SegmentNumber(const std::string& name) {
    if (name.size() != 18 || name.rfind("seg-", 0) != 0 || !name.ends_with(".spool")) return 0;
    uint64_t n = 0;
    for (char c : name.substr(4, 8)) {
        if (c < '0' || c > '9') return 0;
        n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    return n;
}

Result<std::string> ReadFile(const fs::path& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return Errno("opening " + path.string());
    std::string out;
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
    const bool err = std::ferror(f);
    std::fclose(f);
    if (err) return Errno("reading " + path.string());
    return out;
}

}  // namespace

struct DiskSpool::Impl {
    SpoolOptions options;
    mutable std::mutex mu;
    std::map<uint64_t, uint64_t> segments;  // number -> size in bytes
    SpoolCursor committed;                  // first unconsumed record
    SpoolCursor read;                       // first record not yet handed to the reader
    int write_fd = -1;
    uint64_t write_segment = 0;
    uint64_t unconsumed_records = 0;
    SpoolStats stats;

    fs::path Path(uint64_t n) const { return options.dir / SegmentName(n); }

    uint64_t UnconsumedBytes() const {
        uint64_t total = 0;
        for (const auto& [n, size] : segments) {
            if (n > committed.segment) total += size;
            if (n == committed.segment) total += size - std::min(size, committed.offset);
        }
        return total;
    }

    // Scans a segment: the size of its valid prefix and how many records it holds from `from`.
    // A record whose checksum fails but which a good record follows was damaged in place (not
    // torn by a crash): it stays and Read skips it; a bad record with nothing good after it is
    // a torn tail and ends the prefix.
    Result<std::pair<uint64_t, uint64_t>> Scan(uint64_t n, uint64_t from) {
        auto data = ReadFile(Path(n));
        if (!data) return tl::unexpected(std::move(data.error()));
        const std::string& d = *data;
        // The length of a whole record at pos, 0 when there is none; *good: its checksum holds.
        auto record_at = [&d](uint64_t pos, bool* good) -> uint64_t {
            if (d.size() - pos < kHeaderBytes) return 0;
            const uint64_t len = GetLe(d.data() + pos, 4);
            if (len > kMaxRecordBytes || d.size() - pos - kHeaderBytes < len) return 0;
            const uint32_t sum = static_cast<uint32_t>(GetLe(d.data() + pos + 4, 4));
            *good = XXH32(d.data() + pos + kHeaderBytes, len, 0) == sum;
            return kHeaderBytes + len;
        };
        uint64_t pos = 0, records = 0;
        while (pos < d.size()) {
            bool good = false;
            const uint64_t size = record_at(pos, &good);
            if (size == 0) break;
            if (!good) {
                bool next_good = false;
                if (record_at(pos + size, &next_good) == 0 || !next_good) break;
                // Damaged in place: Read skips it (and counts it consumed, as here).
            }
            pos += size;
            if (pos > from) ++records;
        }
        return std::pair{pos, records};
    }

    Status OpenWriter(uint64_t n) {
        if (write_fd >= 0) ::close(write_fd);
        write_fd = ::open(Path(n).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (write_fd < 0) return Errno("opening spool segment " + Path(n).string());
        write_segment = n;
        segments.emplace(n, 0);
        if (options.fsync) return SyncDirectory(options.dir);
        return Ok();
    }

    Status SavePosition() {
        const fs::path tmp = options.dir / "spool.pos.tmp";
        const std::string text =
            std::to_string(committed.segment) + " " + std::to_string(committed.offset) + "\n";
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) return Errno("writing " + tmp.string());
        const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        if (ok && options.fsync) ::fsync(fd);
        ::close(fd);
        if (!ok) return Errno("writing " + tmp.string());
        if (::rename(tmp.c_str(), (options.dir / "spool.pos").c_str()) != 0) {
            return Errno("renaming " + tmp.string());
        }
        return options.fsync ? SyncDirectory(options.dir) : Ok();
    }
};

DiskSpool::DiskSpool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DiskSpool::~DiskSpool() {
    if (impl_ && impl_->write_fd >= 0) ::close(impl_->write_fd);
}

Result<std::unique_ptr<DiskSpool>> DiskSpool::Open(SpoolOptions options) {
    std::error_code ec;
    fs::create_directories(options.dir, ec);
    if (ec) {
        return MakeError(Code::kUnavailable,
                         "creating spool directory " + options.dir.string() + ": " + ec.message());
    }
    fs::permissions(options.dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    Impl& s = *impl;
    // The segment being written keeps its consumed start on disk until it is full and a later
    // one is read, so the files hold up to max_bytes plus a segment: a segment is at most an
    // eighth of max_bytes (at least 1 MiB) to keep that within the bound's order.
    s.options.segment_bytes = std::min(
        s.options.segment_bytes, std::max<uint64_t>(s.options.max_bytes / 8, uint64_t{1} << 20));
    for (const auto& entry : fs::directory_iterator(s.options.dir, ec)) {
        if (uint64_t n = SegmentNumber(entry.path().filename().string())) {
            s.segments.emplace(n, entry.file_size(ec));
        }
    }
    // The committed position; without one, the oldest segment's start.
    if (auto pos = ReadFile(s.options.dir / "spool.pos")) {
        unsigned long long seg = 0, off = 0;
        if (std::sscanf(pos->c_str(), "%llu %llu", &seg, &off) == 2) s.committed = {seg, off};
    }
    if (s.committed.segment == 0 && !s.segments.empty()) {
        s.committed = {s.segments.begin()->first, 0};
    }
    // Segments before the committed one were consumed (a crash between commit and delete).
    for (auto it = s.segments.begin(); it != s.segments.end();) {
        if (it->first < s.committed.segment) {
            fs::remove(s.Path(it->first), ec);
            it = s.segments.erase(it);
        } else {
            ++it;
        }
    }
    // The committed segment itself is gone: it was consumed and deleted, and this is a copy of
    // the spool (a backup) whose position was taken after that. What remains is unconsumed
    // from its start; a position inside a segment that is not there would skip new records.
    if (s.committed.segment != 0 && !s.segments.contains(s.committed.segment)) {
        s.committed = {s.segments.empty() ? s.committed.segment : s.segments.begin()->first, 0};
    }
    // Cut torn tails (a crash mid-append) so appends continue after the last whole record.
    for (auto& [n, size] : s.segments) {
        auto scanned = s.Scan(n, n == s.committed.segment ? s.committed.offset : 0);
        if (!scanned) return tl::unexpected(std::move(scanned.error()));
        if (scanned->first < size) {
            s.stats.torn_bytes_cut += size - scanned->first;
            if (::truncate(s.Path(n).c_str(), static_cast<off_t>(scanned->first)) != 0) {
                return Errno("cutting the torn tail of " + s.Path(n).string());
            }
            size = scanned->first;
        }
        s.unconsumed_records += scanned->second;
    }
    s.read = s.committed;
    const uint64_t next = s.segments.empty() ? std::max<uint64_t>(1, s.committed.segment)
                                             : s.segments.rbegin()->first;
    if (auto st = s.OpenWriter(next); !st) return tl::unexpected(std::move(st.error()));
    if (s.committed.segment == 0) s.committed = s.read = {next, 0, 0};
    return std::unique_ptr<DiskSpool>(new DiskSpool(std::move(impl)));
}

Status DiskSpool::Append(const std::vector<RawMessage>& batch, bool sync) {
    std::string data;
    size_t total = 0;
    for (const auto& m : batch)
        total += kHeaderBytes + 24 + m.id.size() + m.source.size() + m.peer.size() + m.bytes.size();
    data.reserve(total);
    for (const auto& m : batch) EncodeTo(data, m);
    std::lock_guard lock(impl_->mu);
    Impl& s = *impl_;
    if (s.UnconsumedBytes() + data.size() > s.options.max_bytes) {
        return MakeError(Code::kResourceExhausted, "spool full (" +
                                                       std::to_string(s.options.max_bytes) +
                                                       " bytes in " + s.options.dir.string() + ")");
    }
    if (s.segments[s.write_segment] >= s.options.segment_bytes) {
        if (auto st = s.OpenWriter(s.write_segment + 1); !st) return st;
    }
    size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = ::write(s.write_fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // Leave no partial record: cut back to the last whole one.
            const int saved = errno;
            (void)::ftruncate(s.write_fd, static_cast<off_t>(s.segments[s.write_segment]));
            errno = saved;
            return Errno("appending to spool segment " + s.Path(s.write_segment).string());
        }
        off += static_cast<size_t>(n);
    }
    if (sync && s.options.fsync && ::fdatasync(s.write_fd) != 0) {
        return Errno("syncing spool segment " + s.Path(s.write_segment).string());
    }
    s.segments[s.write_segment] += data.size();
    s.unconsumed_records += batch.size();
    return Ok();
}

Result<std::vector<RawMessage>> DiskSpool::Read(size_t max, SpoolCursor& next,
                                                std::vector<RawMessage> reuse, size_t max_bytes) {
    // Written bytes of a segment never change, so the reading happens outside the lock and
    // producers keep appending meanwhile; only this (single) consumer moves the read cursor.
    Impl& s = *impl_;
    // Records are decoded into the reused messages first (their strings keep their buffers).
    std::vector<RawMessage> out = std::move(reuse);
    for (RawMessage& m : out) {
        for (std::string* str : {&m.id, &m.source, &m.peer, &m.bytes}) {
            if (str->capacity() > kReuseMaxBytes) std::string().swap(*str);  // frees it
        }
    }
    size_t n = 0;
    std::string block;
    SpoolCursor cursor;
    {
        std::lock_guard lock(s.mu);
        cursor = s.read;
    }
    uint64_t corrupt = 0;
    size_t bytes = 0;   // MessageBytes of the records read
    bool full = false;  // the next record would pass max_bytes
    while (n < max && !full) {
        uint64_t end = 0;
        fs::path path;
        {
            std::lock_guard lock(s.mu);
            auto seg = s.segments.find(cursor.segment);
            if (seg == s.segments.end()) break;
            if (cursor.offset >= seg->second) {
                // This segment is read to its end; move on if a later one exists.
                auto later = std::next(seg);
                if (later == s.segments.end()) break;
                cursor = {later->first, 0, cursor.sequence};
                continue;
            }
            end = seg->second;
            path = s.Path(seg->first);
        }
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return Errno("opening " + path.string());
        // One block at a time (a record larger than the block is read on its own).
        uint64_t want = std::min<uint64_t>(end - cursor.offset, kReadBlockBytes);
        bool ok = true;
        while (ok && n < max && !full && cursor.offset < end) {
            block.resize(static_cast<size_t>(want));
            ok = PreadAll(fd, block, cursor.offset);
            if (!ok) break;
            size_t pos = 0;
            while (n < max && pos + kHeaderBytes <= block.size()) {
                const uint64_t len = GetLe(block.data() + pos, 4);
                const uint32_t sum = static_cast<uint32_t>(GetLe(block.data() + pos + 4, 4));
                if (len > kMaxRecordBytes || cursor.offset + pos + kHeaderBytes + len > end) {
                    // Cannot happen for what Open scanned and Append wrote; skip the rest.
                    ++corrupt;
                    pos = static_cast<size_t>(end - cursor.offset);
                    break;
                }
                // The record's MessageBytes, near enough: its payload holds the strings.
                const size_t record_bytes = sizeof(RawMessage) + len;
                if (n > 0 && bytes + record_bytes > max_bytes) {
                    full = true;
                    break;
                }
                if (pos + kHeaderBytes + len > block.size()) break;  // in the next block
                bytes += record_bytes;
                const std::string_view payload(block.data() + pos + kHeaderBytes, len);
                pos += kHeaderBytes + len;
                RawMessage& m = n < out.size() ? out[n] : out.emplace_back();
                if (XXH32(payload.data(), payload.size(), 0) != sum || !Decode(payload, m)) {
                    ++corrupt;
                    ++cursor.sequence;  // consumed all the same (Commit counts it off)
                    continue;
                }
                ++n;
                ++cursor.sequence;
            }
            if (pos == 0 && n < max && !full) {
                if (block.size() < kHeaderBytes) {  // a torn header: Open cuts these
                    ++corrupt;
                    cursor.offset = end;
                    break;
                }
                // The next record is larger than the block: read exactly it.
                want = kHeaderBytes + GetLe(block.data(), 4);
                continue;
            }
            cursor.offset += pos;
            want = std::min<uint64_t>(end - cursor.offset, kReadBlockBytes);
        }
        ::close(fd);
        if (!ok) return Errno("reading " + path.string());
    }
    out.resize(n);
    std::lock_guard lock(s.mu);
    s.read = cursor;
    s.stats.corrupt_records += corrupt;
    next = cursor;
    return out;
}

Status DiskSpool::Commit(const SpoolCursor& upto) {
    std::lock_guard lock(impl_->mu);
    Impl& s = *impl_;
    const uint64_t consumed = upto.sequence - std::min(upto.sequence, s.committed.sequence);
    s.committed = upto;
    if (auto st = s.SavePosition(); !st) return st;
    s.unconsumed_records -= std::min(s.unconsumed_records, consumed);
    // Read to the end of what is written: nothing waits, whatever a damaged record skipped
    // (Read cannot count the records behind a damaged length).
    if (s.committed.segment == s.write_segment &&
        s.committed.offset >= s.segments[s.write_segment]) {
        s.unconsumed_records = 0;
    }
    std::error_code ec;
    for (auto it = s.segments.begin(); it != s.segments.end();) {
        if (it->first < s.committed.segment) {
            fs::remove(s.Path(it->first), ec);
            it = s.segments.erase(it);
        } else {
            ++it;
        }
    }
    return Ok();
}

SpoolStats DiskSpool::stats() const {
    std::lock_guard lock(impl_->mu);
    SpoolStats out = impl_->stats;
    out.bytes = impl_->UnconsumedBytes();
    out.records = impl_->unconsumed_records;
    out.segments = impl_->segments.size();
    return out;
}

bool DiskSpool::empty() const { return stats().records == 0; }

}  // namespace vigil::ingest
