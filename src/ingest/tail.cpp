#include "ingest/tail.h"

#include <fcntl.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/files.h"
#include "base/strings.h"
#include "ingest/audit_join.h"

namespace vigil::ingest {

namespace {

namespace fs = std::filesystem;

int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A file: its device and inode, and its birth time where the filesystem keeps one (ext4, XFS,
// Btrfs, tmpfs; 0 elsewhere). ext4 gives a deleted file's inode to the next file created, which
// logrotate does at every rotation (the oldest file deleted, then the log created): the birth
// time tells the two apart.
struct FileId {
    uint64_t dev = 0;
    uint64_t ino = 0;
    uint64_t birth = 0;  // ns since the epoch; 0: unknown
    auto operator<=>(const FileId&) const = default;
};

// The identity of a regular file (fd >= 0: that open file; else the file at path), and its size
// when asked.
std::optional<FileId> IdentifyFile(int fd, const char* path, uint64_t* size = nullptr) {
    constexpr unsigned kMask = STATX_TYPE | STATX_INO | STATX_BTIME | STATX_SIZE;
    struct statx st {};
    const int rc = fd >= 0 ? ::statx(fd, "", AT_EMPTY_PATH, kMask, &st)
                           : ::statx(AT_FDCWD, path, 0, kMask, &st);
    if (rc != 0 || !S_ISREG(st.stx_mode)) return std::nullopt;
    if (size) *size = st.stx_size;
    FileId id{::makedev(st.stx_dev_major, st.stx_dev_minor), st.stx_ino, 0};
    if (st.stx_mask & STATX_BTIME) {
        id.birth =
            static_cast<uint64_t>(st.stx_btime.tv_sec) * 1'000'000'000ULL + st.stx_btime.tv_nsec;
    }
    return id;
}

// What a file's first bytes say it holds. A rotation glob ("access.log*") also matches the
// rotated files logrotate's compress left (access.log.2.gz); read as text, their bytes would be
// hundreds of garbage events. Decided on the content, not the name, so a renamed file is caught.
enum class Content { kText, kCompressed, kUnknown };

Content SniffContent(std::string_view head) {
    // gzip (deflate, the one method in use), bzip2 (its block size digit and the first block's
    // magic: "BZh1" alone is text a line could start with, and the file would be skipped for
    // good), xz, zstd, lz4 (frame format), zip.
    static constexpr std::string_view kMagic[] = {
        std::string_view("\x1f\x8b\x08", 3),
        std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6),
        std::string_view("\x28\xb5\x2f\xfd", 4),
        std::string_view("\x04\x22\x4d\x18", 4),
        std::string_view("PK\x03\x04", 4),
        "BZh11AY&SY",
        "BZh21AY&SY",
        "BZh31AY&SY",
        "BZh41AY&SY",
        "BZh51AY&SY",
        "BZh61AY&SY",
        "BZh71AY&SY",
        "BZh81AY&SY",
        "BZh91AY&SY",
    };
    if (head.empty()) return Content::kUnknown;
    bool maybe = false;
    for (const std::string_view magic : kMagic) {
        if (head.starts_with(magic)) return Content::kCompressed;
        maybe = maybe || magic.starts_with(head);  // too few bytes yet to tell
    }
    return maybe ? Content::kUnknown : Content::kText;
}

// Bytes enough to tell any of SniffContent's formats.
constexpr size_t kSniffBytes = 10;

constexpr size_t kFingerprintBytes = 64;
constexpr std::string_view kStateHeader = "vigil-tail-offsets 3";

// How far one file is read; saved per file.
struct Position {
    uint64_t offset = 0;  // start of the first byte not yet taken
    // Truncations seen (copytruncate): part of the ids, since a rewritten file brings the same
    // offsets back with other lines.
    uint64_t generation = 0;
    // The last bytes before offset (at most kFingerprintBytes): when they change, the file was
    // truncated and rewritten past the offset.
    std::string fingerprint;
    bool skipping = false;  // inside an overlong line whose head was taken: drop up to its newline
};

// Keeps the last kFingerprintBytes of fingerprint + taken.
void ExtendFingerprint(std::string& fingerprint, std::string_view taken) {
    if (taken.size() >= kFingerprintBytes) {
        fingerprint.assign(taken.substr(taken.size() - kFingerprintBytes));
        return;
    }
    fingerprint.append(taken);
    if (fingerprint.size() > kFingerprintBytes) {
        fingerprint.erase(0, fingerprint.size() - kFingerprintBytes);
    }
}

// Splits the field before the next space off `rest` (all of `rest` when there is none).
std::string_view NextField(std::string_view& rest) {
    const size_t space = rest.find(' ');
    const std::string_view field = rest.substr(0, space);
    rest.remove_prefix(space == std::string_view::npos ? rest.size() : space + 1);
    return field;
}

bool ParseNumber(std::string_view text, uint64_t& value) {
    const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
    return !text.empty() && r.ec == std::errc() && r.ptr == text.data() + text.size();
}

// An entry of the state file: where reading stands, and the file's path when it was last seen
// (empty: unknown).
struct Saved {
    Position position;
    std::string path;
};

struct Followed {
    std::string path;
    std::string id_prefix;  // of its records' ids (RecordId)
    int fd = -1;
    Position position;  // taken so far
    Position durable;   // up to the first byte not yet durable (stored or spooled): saved
    // (sink.offered() after an accepted batch, position after it), oldest first.
    std::deque<std::pair<uint64_t, Position>> pending;
    // The path now names another file: followed until it has not grown for rotate_wait, then
    // dropped.
    bool rotated = false;
    uint64_t last_size = 0;  // at the previous poll (multi-line: is the tail stable?)
    // The records starting before this offset were in the file when it was found again at its
    // saved position: a previous run may have read and stored them (RawMessage::
    // earlier_receipt_ns).
    uint64_t read_before_end = 0;
    // Of those, how many more may have been read (max_unsaved_records), counted from
    // counted_upto on: a record read again after a refused offer is not counted twice.
    uint64_t maybe_read_left = 0;
    uint64_t counted_upto = 0;
    std::chrono::steady_clock::time_point changed_at;  // its last growth, or its rotation
    // Its first bytes were looked at (SniffContent): text. Until then nothing is read.
    bool sniffed = false;
    bool compressed = false;  // they were a compressed format's: the file is to be skipped
};

// A file skipped as compressed, remembered so it is counted once, not at every poll. Its size
// when last looked at: at another size its first bytes are looked at again (still being
// compressed, or another file on the inode where the filesystem keeps no birth time).
struct Skipped {
    uint64_t size = 0;
};

bool IsContinuation(std::string_view line) {
    return !line.empty() && (line.front() == ' ' || line.front() == '\t');
}

}  // namespace

struct FileTailer::Impl {
    Impl(TailOptions o, Sink& s, SourceCounters& c) : options(std::move(o)), sink(s), counters(c) {}

    TailOptions options;
    Sink& sink;
    SourceCounters& counters;
    std::map<FileId, Followed> files;
    std::map<FileId, Saved> saved;      // loaded from the state file, not yet matched
    std::map<FileId, Skipped> skipped;  // compressed files the globs match
    TailStats stats;
    mutable std::mutex mu;  // files, stats (PollOnce vs stats()/SaveState)
    std::thread thread;
    std::mutex wake_mu;
    std::condition_variable wake;
    bool stop = false;
    bool dirty = false;
    bool sink_full = false;       // the sink refused the last offer: reading is paused
    bool first_discovery = true;  // files there at the first poll may start at their end
    bool loaded = false;          // the state file was read (Start, or the first PollOnce)
    // When the state file was last written (its mtime at load; 0: none): a previous run read
    // the lines after the saved offsets around then.
    int64_t saved_at_ns = 0;
    std::chrono::steady_clock::time_point last_save = std::chrono::steady_clock::now();

    std::chrono::steady_clock::time_point Now() const {
        return options.clock ? options.clock() : std::chrono::steady_clock::now();
    }

    ~Impl() {
        for (auto& [id, f] : files) {
            if (f.fd >= 0) ::close(f.fd);
        }
    }

    std::vector<std::string> Expand() const {
        std::vector<std::string> out;
        for (const auto& pattern : options.paths) {
            glob_t g{};
            if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
                for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
            }
            ::globfree(&g);
        }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }

    // Matches the paths on disk with the followed files: new files, renames, deletions.
    void Discover() {
        std::map<std::string, FileId> on_disk;
        std::map<FileId, uint64_t> sizes;
        for (const auto& path : Expand()) {
            uint64_t size = 0;
            if (auto id = IdentifyFile(-1, path.c_str(), &size)) {
                on_disk[path] = *id;
                sizes[*id] = size;
            }
        }
        // A skipped file is forgotten once the globs no longer find it (deleted, renamed away).
        std::erase_if(skipped, [&sizes](const auto& entry) { return !sizes.count(entry.first); });
        // A followed file whose path now names another file (or nothing) was rotated away.
        for (auto& [id, f] : files) {
            auto it = on_disk.find(f.path);
            if (!f.rotated && (it == on_disk.end() || it->second != id)) {
                f.rotated = true;
                f.changed_at = Now();
                ++stats.rotations;
            }
        }
        for (const auto& [path, id] : on_disk) {
            if (auto it = skipped.find(id); it != skipped.end()) {
                // Another size: still being compressed (skipped still), or another file.
                if (it->second.size == sizes[id]) continue;
                if (StillCompressed(path)) {
                    it->second.size = sizes[id];
                    continue;
                }
                skipped.erase(it);
            }
            if (files.count(id)) {
                files[id].path = path;  // renamed within the glob: same file, keep following
                files[id].rotated = false;
                continue;
            }
            Follow(path, id, /*rotated=*/false);
        }
        if (first_discovery) FindRotatedWhileStopped();
        first_discovery = false;
    }

    // Do the first bytes of the file at path still say compressed?
    static bool StillCompressed(const std::string& path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return false;
        char head[kSniffBytes];
        const ssize_t n = ::pread(fd, head, sizeof head, 0);
        ::close(fd);
        return n > 0 &&
               SniffContent(std::string_view(head, static_cast<size_t>(n))) == Content::kCompressed;
    }

    // A saved file the globs no longer find may have been rotated while Vigil was stopped
    // (app.log -> app.log.1, which "*.log" does not match): it is looked for in the directory of
    // its saved path and, found there, followed as rotated from its saved position (read to its
    // end, then dropped).
    void FindRotatedWhileStopped() {
        std::set<fs::path> dirs;
        for (const auto& [id, s] : saved) {
            if (!s.path.empty()) dirs.insert(fs::path(s.path).parent_path());
        }
        for (const auto& dir : dirs) {
            std::error_code ec;
            for (fs::directory_iterator it(dir.empty() ? fs::path(".") : dir, ec), end;
                 !ec && it != end; it.increment(ec)) {
                const auto id = IdentifyFile(-1, it->path().c_str());
                if (!id || FindSaved(*id) == saved.end() || files.count(*id)) continue;
                Follow(it->path().string(), *id, /*rotated=*/true);
                if (files.count(*id)) ++stats.rotations;
            }
        }
    }

    // Opens a file to follow: from its saved position, else its end (start_at_end, at the
    // first poll), else its start. A rotated one is followed only from its saved position, when
    // its bytes before it are still those that were read.
    void Follow(const std::string& path, const FileId& id, bool rotated) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return;
        struct stat st {};
        if (::fstat(fd, &st) != 0 || IdentifyFile(fd, nullptr) != id) {
            ::close(fd);  // replaced since it was found: the next poll sees the new one
            return;
        }
        Followed f;
        f.path = path;
        f.id_prefix = IdPrefix(id);
        f.fd = fd;
        f.rotated = rotated;
        f.changed_at = Now();
        auto s = FindSaved(id);
        if (s == saved.end() && !rotated) s = FindCopy(path, fd, st);
        if (s != saved.end()) {
            f.position = s->second.position;
            if (saved_at_ns != 0) {
                f.read_before_end = static_cast<uint64_t>(st.st_size);
                f.maybe_read_left = options.max_unsaved_records;
            }
            saved.erase(s);
            if (rotated && (static_cast<uint64_t>(st.st_size) < f.position.offset ||
                            !FingerprintMatches(fd, f.position))) {
                // Not the file that was read (its inode reused since it was deleted): forgotten.
                ::close(fd);
                dirty = true;
                return;
            }
        } else if (options.start_at_end && first_discovery) {
            f.position.offset = static_cast<uint64_t>(st.st_size);
        }
        if (f.position.fingerprint.empty() && f.position.offset > 0) {
            // From the end, or a state file without fingerprints: take the bytes as they are.
            const size_t n =
                static_cast<size_t>(std::min<uint64_t>(f.position.offset, kFingerprintBytes));
            std::string bytes(n, '\0');
            if (::pread(fd, bytes.data(), n, static_cast<off_t>(f.position.offset - n)) ==
                static_cast<ssize_t>(n)) {
                f.position.fingerprint = std::move(bytes);
            }
        }
        f.durable = f.position;
        files.emplace(id, std::move(f));
    }

    // Reads the complete records of one file from its offset; false when the sink refused.
    bool ReadFile(Followed& f) {
        struct stat st {};
        if (::fstat(f.fd, &st) != 0) return true;
        const uint64_t size = static_cast<uint64_t>(st.st_size);
        // copytruncate: the file is shorter than the offset, or (rewritten past it before this
        // poll) the bytes before the offset are no longer those that were read.
        if (size < f.position.offset || ((size != f.last_size || size > f.position.offset) &&
                                         !FingerprintMatches(f.fd, f.position))) {
            ++stats.truncations;
            f.position = Position{0, f.position.generation + 1, {}};
            f.read_before_end = 0;  // another file's lines now
            f.pending.emplace_back(sink.offered(), f.position);
            dirty = true;
        }
        const bool stable = size == f.last_size;
        f.last_size = size;
        // A rotated file is complete once it has stopped growing for rotate_wait: until then the
        // application may still write to it (logrotate's create, before it reopens its log).
        const auto now = Now();
        if (!stable) f.changed_at = now;
        const bool settled = f.rotated && now - f.changed_at >= options.rotate_wait;
        if (!f.sniffed) {
            // Decided once, on the file's first bytes: an empty file is read once it has some.
            char head[kSniffBytes];
            const ssize_t n = ::pread(f.fd, head, std::min<uint64_t>(size, sizeof head), 0);
            if (n < 0) return true;
            const Content content = SniffContent(std::string_view(head, static_cast<size_t>(n)));
            if (content == Content::kCompressed) {
                f.compressed = true;  // Poll drops it
                return true;
            }
            // A rotated file that settled with a few bytes that begin a magic number is text.
            if (content == Content::kUnknown && !(settled && n > 0)) return true;
            f.sniffed = true;
        }
        uint64_t budget = options.max_bytes_per_poll;
        std::vector<RawMessage> batch;
        std::string buf;
        // Audit records of one event become one message. A group still open at the end of a
        // chunk is read again with the next one (it is never held between polls, so the
        // offsets need no bookkeeping for it), unless the file has stopped growing.
        AuditJoiner joiner(options.join_audit);
        joiner.CountCutsIn(&counters.audit_cut);
        // A chunk holds a line of the limit's length with its newline.
        const uint64_t chunk = std::max<uint64_t>(1024 * 1024, options.max_line_bytes + 2);
        while (f.position.offset < size && budget > 0) {
            joiner.Clear();
            const size_t want =
                static_cast<size_t>(std::min<uint64_t>({size - f.position.offset, budget, chunk}));
            buf.resize(want);
            const ssize_t n =
                ::pread(f.fd, buf.data(), want, static_cast<off_t>(f.position.offset));
            if (n <= 0) break;
            buf.resize(static_cast<size_t>(n));
            budget -= static_cast<uint64_t>(n);
            // Split into records; `taken` is how far this chunk is consumed.
            size_t pos = 0, taken = 0;
            bool skipping = f.position.skipping;
            // Multi-line: the lines continuing an overlong record are dropped with it.
            bool skip_continuations = false;
            if (skipping) {
                const size_t nl = buf.find('\n');
                skipping = nl == std::string::npos;
                pos = taken = skipping ? buf.size() : nl + 1;
                skip_continuations = !skipping && options.multiline_indented;
            }
            size_t record_start = 0;
            bool in_record = false;
            auto emit = [&](size_t start, size_t end, size_t next) {
                std::string_view text(buf.data() + start, end - start);
                if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
                const bool cut = text.size() > options.max_line_bytes;
                if (cut) {
                    text = text.substr(0, options.max_line_bytes);
                    ++counters.oversized;
                }
                if (!text.empty()) {
                    RawMessage m;
                    m.id = RecordId(f, f.position.offset + start);
                    m.source = options.source;
                    m.peer = f.path;
                    m.received_ns = NowNs();
                    const uint64_t at = f.position.offset + start;
                    if (at < f.read_before_end && at >= f.counted_upto) {
                        if (f.maybe_read_left == 0) {
                            f.read_before_end = at;  // no run read this far without storing it
                        } else {
                            --f.maybe_read_left;
                            f.counted_upto = at + 1;
                        }
                    }
                    if (at < f.read_before_end) m.earlier_receipt_ns = saved_at_ns;
                    m.bytes.assign(text);
                    // A record of CRLF lines joins them with LF, as the last line's CR goes.
                    if (options.multiline_indented && m.bytes.find('\r') != std::string::npos) {
                        size_t out = 0;
                        for (size_t i = 0; i < m.bytes.size(); ++i) {
                            if (m.bytes[i] == '\r' && i + 1 < m.bytes.size() &&
                                m.bytes[i + 1] == '\n') {
                                continue;
                            }
                            m.bytes[out++] = m.bytes[i];
                        }
                        m.bytes.resize(out);
                    }
                    m.truncated = cut;
                    joiner.Add(std::move(m), batch, start);
                }
                taken = next;
            };
            while (true) {
                const size_t nl = buf.find('\n', pos);
                if (nl == std::string::npos) break;
                std::string_view line(buf.data() + pos, nl - pos);
                if (skip_continuations) {
                    if (IsContinuation(line)) {
                        pos = taken = nl + 1;
                        continue;
                    }
                    skip_continuations = false;
                }
                if (options.multiline_indented && in_record && IsContinuation(line)) {
                    pos = nl + 1;  // part of the current record
                    continue;
                }
                if (in_record) emit(record_start, pos - 1, pos);
                if (options.multiline_indented) {
                    in_record = true;
                    record_start = pos;
                } else {
                    emit(pos, nl, nl + 1);
                }
                pos = nl + 1;
            }
            const bool at_end = f.position.offset + buf.size() == size;
            if (skip_continuations && !(at_end && (stable || settled))) {
                if (pos < buf.size() && IsContinuation(std::string_view(buf).substr(pos))) {
                    taken = buf.size();  // a continuation line without its newline (yet)
                    skipping = true;
                } else if (pos == buf.size()) {
                    // Whether the next line continues the record is not known yet: read again
                    // from the newline before it.
                    taken = pos - 1;
                    skipping = true;
                }
            } else if (options.multiline_indented) {
                // A record not yet complete and already over the limit is one record, its
                // head, whatever follows (it may be longer than a chunk); the rest of it is
                // dropped as it comes.
                const size_t open = in_record ? record_start : pos;
                if (buf.size() - open > options.max_line_bytes) {
                    emit(open, buf.size(), buf.back() == '\n' ? buf.size() - 1 : buf.size());
                    in_record = false;
                    skipping = true;
                }
            }
            // The last multi-line record is complete when the file has stopped growing, or
            // the file was rotated away and settled (nothing more will be appended).
            if (in_record && at_end && pos == buf.size() && (stable || settled)) {
                emit(record_start, pos - 1, pos);
            }
            if (!options.multiline_indented && pos < buf.size()) {
                // The rest of the chunk is a line without its newline (yet).
                size_t rest = buf.size() - pos;
                if (buf.back() == '\r') --rest;  // perhaps a CRLF line of the limit's length
                if (rest > options.max_line_bytes) {
                    // Over the limit: one record, its head; the rest of the line is dropped as
                    // it comes, however long it is.
                    emit(pos, buf.size(), buf.size());
                    skipping = true;
                } else if (settled && at_end) {
                    emit(pos, buf.size(), buf.size());  // a rotated file's last line
                }
            }
            if (joiner.holding()) {
                if (at_end && taken == buf.size() && (stable || settled)) {
                    joiner.Flush(batch);  // the file stopped growing: the group is complete
                } else if (joiner.held_tag() > 0) {
                    taken = joiner.held_tag();  // read the open group again with what follows
                    skipping = false;           // from the start of a line
                    joiner.Clear();
                } else if (!at_end) {
                    joiner.Flush(batch);  // the group fills the whole chunk: take it as it is
                } else {
                    taken = 0;  // the end of a growing file: wait for more of it
                    joiner.Clear();
                }
            }
            // Offer what this chunk produced before reading further.
            if (!batch.empty() && !Offer(batch)) return false;
            // No complete line, or only an open audit group: wait for more of the file.
            if (taken == 0) break;
            ExtendFingerprint(f.position.fingerprint, std::string_view(buf.data(), taken));
            f.position.offset += taken;
            f.position.skipping = skipping;
            f.pending.emplace_back(sink.offered(), f.position);
            dirty = true;
        }
        return true;
    }

    // "f:<source>:<dev>:<inode>:b<birth>:<offset>": the birth time in hex, left out where the
    // filesystem keeps none; "g<generation>:" before the offset once the file was truncated.
    // The source is in it because two sources may read one file (other decoders, other
    // logsources) and each stores its records. Read from the right, the id is unambiguous even
    // when the source's name holds a colon.
    std::string IdPrefix(const FileId& id) const {
        std::string out = "f:" + options.source + ":" + std::to_string(id.dev) + ":" +
                          std::to_string(id.ino) + ":";
        if (id.birth > 0) {
            char hex[17];
            const auto r = std::to_chars(hex, hex + sizeof hex, id.birth, 16);
            out += "b" + std::string(hex, r.ptr) + ":";
        }
        return out;
    }
    static std::string RecordId(const Followed& f, uint64_t offset) {
        std::string out = f.id_prefix;
        if (f.position.generation > 0) out += "g" + std::to_string(f.position.generation) + ":";
        return out + std::to_string(offset);
    }

    // The saved entry of a file; one saved without a birth time (an older state file) stands
    // for the file on its device and inode.
    std::map<FileId, Saved>::iterator FindSaved(const FileId& id) {
        auto it = saved.find(id);
        if (it == saved.end() && id.birth != 0) it = saved.find(FileId{id.dev, id.ino, 0});
        return it;
    }

    // A saved file at `path` that is another file now (another inode) but holds the same bytes
    // before the saved offset: a copy of it (a log volume restored or mounted on another host
    // with Vigil's data directory, a directory copied with rsync). Reading goes on from the
    // offset instead of storing every line again under the copy's ids. An entry without a
    // fingerprint (or at offset 0) proves nothing and is not taken.
    std::map<FileId, Saved>::iterator FindCopy(const std::string& path, int fd,
                                               const struct stat& st) {
        for (auto it = saved.begin(); it != saved.end(); ++it) {
            const Position& p = it->second.position;
            if (it->second.path == path && !p.fingerprint.empty() &&
                p.offset <= static_cast<uint64_t>(st.st_size) && FingerprintMatches(fd, p)) {
                ++stats.copies_resumed;
                return it;
            }
        }
        return saved.end();
    }

    // Are the bytes before the offset still those that were taken?
    static bool FingerprintMatches(int fd, const Position& p) {
        const std::string& expected = p.fingerprint;
        if (expected.empty()) return true;
        if (expected.size() > p.offset) return false;
        std::string bytes(expected.size(), '\0');
        const ssize_t n =
            ::pread(fd, bytes.data(), bytes.size(), static_cast<off_t>(p.offset - expected.size()));
        return n == static_cast<ssize_t>(bytes.size()) && bytes == expected;
    }

    bool Offer(std::vector<RawMessage>& batch) {
        for (size_t i = 0; i < batch.size(); i += options.max_batch) {
            std::vector<RawMessage> part(
                std::make_move_iterator(batch.begin() + static_cast<long>(i)),
                std::make_move_iterator(batch.begin() + static_cast<long>(std::min(
                                                            batch.size(), i + options.max_batch))));
            uint64_t bytes = 0;
            for (const auto& m : part) bytes += m.bytes.size();
            const size_t n = part.size();
            if (!sink.Offer(part)) {
                // Nothing after an earlier accepted part is lost: the caller keeps the offset
                // at the last fully accepted batch only when the whole batch was taken, so a
                // partial acceptance replays the accepted part with the same ids.
                if (!sink_full) ++counters.paused;  // a pause, not each poll within it
                sink_full = true;
                batch.clear();
                return false;
            }
            sink_full = false;
            counters.received += n;
            counters.bytes += bytes;
            counters.last_received_ns = NowNs();
        }
        batch.clear();
        return true;
    }

    // Moves each file's durable offset up to the newest batch the sink holds durably.
    void Advance() {
        const uint64_t durable = sink.durable();
        for (auto& [id, f] : files) {
            while (!f.pending.empty() && f.pending.front().first <= durable) {
                f.durable = f.pending.front().second;
                f.pending.pop_front();
                dirty = true;
            }
        }
    }

    Result<bool> Poll() {
        std::lock_guard lock(mu);
        if (!loaded) {
            if (auto st = Load(); !st) return tl::unexpected(st.error());
        }
        Advance();
        Discover();
        bool all_taken = true;
        for (auto it = files.begin(); it != files.end();) {
            if (!ReadFile(it->second)) {
                all_taken = false;
                break;
            }
            if (it->second.compressed) {
                // Skipped: counted once, and remembered so the next polls pass it by.
                struct stat st {};
                skipped[it->first].size =
                    ::fstat(it->second.fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
                ++counters.compressed_skipped;
                ::close(it->second.fd);
                it = files.erase(it);
                dirty = true;
                continue;
            }
            // A rotated file is dropped once settled, read to its end and stored: until then a
            // restart must still find its offset.
            if (it->second.rotated && it->second.pending.empty() &&
                Now() - it->second.changed_at >= options.rotate_wait) {
                struct stat st {};
                if (::fstat(it->second.fd, &st) == 0 &&
                    it->second.position.offset >= static_cast<uint64_t>(st.st_size)) {
                    ::close(it->second.fd);
                    it = files.erase(it);
                    dirty = true;
                    continue;
                }
            }
            ++it;
        }
        stats.files = files.size();
        return all_taken;
    }

    Status Save() {
        if (options.state_file.empty()) return Ok();
        std::ostringstream out;
        {
            std::lock_guard lock(mu);
            Advance();
            out << kStateHeader << '\n';
            for (const auto& [id, f] : files) WriteEntry(out, id, f.durable, f.path);
            for (const auto& [id, s] : saved) {  // not seen this run; keep them
                WriteEntry(out, id, s.position, s.path);
            }
            dirty = false;
        }
        const fs::path tmp = options.state_file.string() + ".tmp";
        const std::string text = out.str();
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            return MakeError(Code::kUnavailable,
                             "writing " + tmp.string() + ": " + std::strerror(errno));
        }
        const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        if (ok) ::fsync(fd);
        ::close(fd);
        if (!ok || ::rename(tmp.c_str(), options.state_file.c_str()) != 0) {
            return MakeError(Code::kUnavailable, "saving tail offsets to " +
                                                     options.state_file.string() + ": " +
                                                     std::strerror(errno));
        }
        // The rename itself survives a crash only once the directory is synced.
        if (auto st = SyncDirectory(options.state_file.parent_path().empty()
                                        ? fs::path(".")
                                        : options.state_file.parent_path());
            !st) {
            return st;
        }
        last_save = std::chrono::steady_clock::now();
        return Ok();
    }

    // "<dev> <inode> <birth> <offset> <generation> <skipping> <fingerprint> <path>": the birth
    // time in ns (0: unknown), skipping 0 or 1, the fingerprint in hex ("-" when empty), the
    // path to the end of the line ("-" when unknown).
    static void WriteEntry(std::ostream& out, const FileId& id, const Position& p,
                           const std::string& path) {
        out << id.dev << ' ' << id.ino << ' ' << id.birth << ' ' << p.offset << ' ' << p.generation
            << ' ' << (p.skipping ? 1 : 0) << ' '
            << (p.fingerprint.empty() ? "-" : HexEncode(p.fingerprint)) << ' '
            << (path.empty() || path.find('\n') != std::string::npos ? "-" : path) << '\n';
    }

    // Reads the state file: the current format (kStateHeader, then WriteEntry's lines), the
    // second (no birth time) or the first ("<dev> <inode> <offset> <path>" lines, no header).
    Status Load() {
        loaded = true;
        if (options.state_file.empty()) return Ok();
        std::ifstream in(options.state_file);
        if (!in) return Ok();  // first start
        struct stat st {};
        if (::stat(options.state_file.c_str(), &st) == 0) {
            saved_at_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
        }
        std::string line;
        int n = 0;
        int format = 1;
        while (std::getline(in, line)) {
            ++n;
            const std::string where = options.state_file.string() + ":" + std::to_string(n);
            if (n == 1 && line.rfind("vigil-tail-offsets ", 0) == 0) {
                if (line == kStateHeader) {
                    format = 3;
                } else if (line == "vigil-tail-offsets 2") {
                    format = 2;
                } else {
                    return InvalidArgument(where + ": unknown state format '" + line +
                                           "' (expected '" + std::string(kStateHeader) + "')");
                }
                continue;
            }
            std::string_view rest = line;
            FileId id;
            Saved s;
            bool ok = ParseNumber(NextField(rest), id.dev) &&
                      ParseNumber(NextField(rest), id.ino) &&
                      (format < 3 || ParseNumber(NextField(rest), id.birth)) &&
                      ParseNumber(NextField(rest), s.position.offset);
            if (format >= 2) {
                ok = ok && ParseNumber(NextField(rest), s.position.generation);
                const std::string_view skipping = NextField(rest);
                ok = ok && (skipping == "0" || skipping == "1");
                s.position.skipping = skipping == "1";
                const std::string_view fingerprint = NextField(rest);
                if (ok && fingerprint != "-" &&
                    (!DecodeHex(fingerprint, s.position.fingerprint) ||
                     s.position.fingerprint.size() > kFingerprintBytes)) {
                    return InvalidArgument(where + ": bad fingerprint (up to " +
                                           std::to_string(kFingerprintBytes) +
                                           " bytes in hex, or -)");
                }
                ok = ok && !fingerprint.empty();
            }
            if (!ok) {
                return InvalidArgument(
                    where + (format == 3   ? ": expected \"<dev> <inode> <birth> <offset> "
                                             "<generation> <skipping> <fingerprint> <path>\""
                             : format == 2 ? ": expected \"<dev> <inode> <offset> <generation> "
                                             "<skipping> <fingerprint> <path>\""
                                           : ": expected \"<dev> <inode> <offset> <path>\""));
            }
            if (rest != "-") s.path = std::string(rest);
            saved[id] = std::move(s);
        }
        return Ok();
    }
};

FileTailer::FileTailer(TailOptions options, Sink& sink, SourceCounters& counters)
    : impl_(std::make_unique<Impl>(std::move(options), sink, counters)) {}

FileTailer::~FileTailer() { Stop(); }

Result<bool> FileTailer::PollOnce() { return impl_->Poll(); }

Status FileTailer::SaveState() { return impl_->Save(); }

TailStats FileTailer::stats() const {
    std::lock_guard lock(impl_->mu);
    return impl_->stats;
}

Status FileTailer::Start() {
    Impl& s = *impl_;
    if (!s.loaded) {
        if (auto st = s.Load(); !st) return st;
    }
    s.thread = std::thread([&s] {
        std::unique_lock lock(s.wake_mu);
        while (!s.stop) {
            lock.unlock();
            (void)s.Poll();
            if (s.dirty &&
                std::chrono::steady_clock::now() - s.last_save >= s.options.save_interval) {
                (void)s.Save();
            }
            lock.lock();
            s.wake.wait_for(lock, s.options.poll, [&s] { return s.stop; });
        }
    });
    return Ok();
}

void FileTailer::Stop() {
    Impl& s = *impl_;
    if (!s.thread.joinable()) return;
    {
        std::lock_guard lock(s.wake_mu);
        s.stop = true;
    }
    s.wake.notify_all();
    s.thread.join();
    (void)s.Save();
}

}  // namespace vigil::ingest
