#include "ingest/tail.h"

#include <fcntl.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <sys/stat.h>

#include "ingest/audit_join.h"

namespace vigil::ingest {

namespace {

namespace fs = std::filesystem;

int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct FileId {
    uint64_t dev = 0;
    uint64_t ino = 0;
    auto operator<=>(const FileId&) const = default;
};

struct Followed {
    std::string path;
    int fd = -1;
    uint64_t offset = 0;   // start of the first byte not yet taken
    uint64_t durable = 0;  // start of the first byte not yet durable (stored or spooled): saved
    // (sink.offered() after an accepted batch, offset after it), oldest first.
    std::deque<std::pair<uint64_t, uint64_t>> pending;
    bool rotated = false;    // the path now names another file: read to the end, then drop
    uint64_t last_size = 0;  // at the previous poll (multi-line: is the tail stable?)
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
    std::map<FileId, uint64_t> saved;  // offsets loaded from the state file, not yet matched
    TailStats stats;
    mutable std::mutex mu;  // files, stats (PollOnce vs stats()/SaveState)
    std::thread thread;
    std::mutex wake_mu;
    std::condition_variable wake;
    bool stop = false;
    bool dirty = false;
    bool first_discovery = true;  // files there at the first poll may start at their end
    bool loaded = false;          // the state file was read (Start, or the first PollOnce)
    std::chrono::steady_clock::time_point last_save = std::chrono::steady_clock::now();

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
        for (const auto& path : Expand()) {
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
            on_disk[path] =
                FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
        }
        // A followed file whose path now names another file (or nothing) was rotated away.
        for (auto& [id, f] : files) {
            auto it = on_disk.find(f.path);
            if (!f.rotated && (it == on_disk.end() || it->second != id)) {
                f.rotated = true;
                ++stats.rotations;
            }
        }
        for (const auto& [path, id] : on_disk) {
            if (files.count(id)) {
                files[id].path = path;  // renamed within the glob: same file, keep following
                files[id].rotated = false;
                continue;
            }
            const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            Followed f;
            f.path = path;
            f.fd = fd;
            if (auto s = saved.find(id); s != saved.end()) {
                f.offset = s->second;
                saved.erase(s);
            } else if (options.start_at_end && first_discovery) {
                struct stat st {};
                if (::fstat(fd, &st) == 0) f.offset = static_cast<uint64_t>(st.st_size);
            }
            f.durable = f.offset;
            files.emplace(id, std::move(f));
        }
        first_discovery = false;
    }

    // Reads the complete records of one file from its offset; false when the sink refused.
    bool ReadFile(const FileId& id, Followed& f) {
        struct stat st {};
        if (::fstat(f.fd, &st) != 0) return true;
        const uint64_t size = static_cast<uint64_t>(st.st_size);
        if (size < f.offset) {  // copytruncate
            ++stats.truncations;
            f.offset = 0;
            f.pending.emplace_back(sink.offered(), 0);
            dirty = true;
        }
        const bool stable = size == f.last_size;
        f.last_size = size;
        uint64_t budget = options.max_bytes_per_poll;
        std::vector<RawMessage> batch;
        std::string buf;
        // Audit records of one event become one message. A group still open at the end of a
        // chunk is read again with the next one (it is never held between polls, so the
        // offsets need no bookkeeping for it), unless the file has stopped growing.
        AuditJoiner joiner(options.join_audit);
        joiner.CountCutsIn(&counters.audit_cut);
        while (f.offset < size && budget > 0) {
            joiner.Clear();
            const size_t want =
                static_cast<size_t>(std::min<uint64_t>({size - f.offset, budget, 1024 * 1024}));
            buf.resize(want);
            const ssize_t n = ::pread(f.fd, buf.data(), want, static_cast<off_t>(f.offset));
            if (n <= 0) break;
            buf.resize(static_cast<size_t>(n));
            budget -= static_cast<uint64_t>(n);
            // Split into records; `taken` is how far this chunk is consumed.
            size_t pos = 0, taken = 0;
            size_t record_start = 0;
            bool in_record = false;
            auto emit = [&](size_t start, size_t end, size_t next) {
                std::string_view text(buf.data() + start, end - start);
                if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
                if (text.size() > options.max_line_bytes) {
                    text = text.substr(0, options.max_line_bytes);
                    ++counters.oversized;
                }
                if (!text.empty()) {
                    RawMessage m;
                    m.id = "f:" + std::to_string(id.dev) + ":" + std::to_string(id.ino) + ":" +
                           std::to_string(f.offset + start);
                    m.source = options.source;
                    m.peer = f.path;
                    m.received_ns = NowNs();
                    m.bytes.assign(text);
                    joiner.Add(std::move(m), batch, start);
                }
                taken = next;
            };
            while (true) {
                const size_t nl = buf.find('\n', pos);
                if (nl == std::string::npos) break;
                std::string_view line(buf.data() + pos, nl - pos);
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
            // The last multi-line record is complete when the file has stopped growing, or
            // the file was rotated away (nothing more will be appended).
            const bool at_end = f.offset + buf.size() == size;
            if (in_record && at_end && pos == buf.size() && (stable || f.rotated)) {
                emit(record_start, pos - 1, pos);
            }
            // A rotated file's last line may lack its newline.
            if (f.rotated && at_end && pos < buf.size() && !options.multiline_indented) {
                emit(pos, buf.size(), buf.size());
            }
            if (taken == 0) {
                // No complete record in this chunk: a line longer than the chunk. Cut it at
                // max_line_bytes once the file holds that much.
                if (buf.size() >= options.max_line_bytes && want == buf.size() &&
                    !options.multiline_indented) {
                    emit(0, buf.size(), buf.size());
                } else {
                    break;
                }
            }
            if (joiner.holding()) {
                if (at_end && taken == buf.size() && (stable || f.rotated)) {
                    joiner.Flush(batch);  // the file stopped growing: the group is complete
                } else if (joiner.held_tag() > 0) {
                    taken = joiner.held_tag();  // read the open group again with what follows
                    joiner.Clear();
                } else if (!at_end) {
                    joiner.Flush(batch);  // the group fills the whole chunk: take it as it is
                } else {
                    taken = 0;  // the end of a growing file: wait for more of it
                    joiner.Clear();
                }
            }
            // Offer what this chunk produced before reading further.
            if (!batch.empty()) {
                if (!Offer(batch)) return false;
                f.pending.emplace_back(sink.offered(), f.offset + taken);
                dirty = true;
            }
            f.offset += taken;
            if (taken == 0) break;  // only an open audit group: wait for more of the file
        }
        return true;
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
                ++counters.paused;
                batch.clear();
                return false;
            }
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
            if (!ReadFile(it->first, it->second)) {
                all_taken = false;
                break;
            }
            // A rotated file is dropped once read to its end and stored: until then a restart
            // must still find its offset.
            if (it->second.rotated && it->second.pending.empty()) {
                struct stat st {};
                if (::fstat(it->second.fd, &st) == 0 &&
                    it->second.offset >= static_cast<uint64_t>(st.st_size)) {
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
            for (const auto& [id, f] : files) {
                out << id.dev << ' ' << id.ino << ' ' << f.durable << ' ' << f.path << '\n';
            }
            for (const auto& [id, offset] : saved) {  // not seen this run; keep them
                out << id.dev << ' ' << id.ino << ' ' << offset << " -\n";
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
        last_save = std::chrono::steady_clock::now();
        return Ok();
    }

    Status Load() {
        loaded = true;
        if (options.state_file.empty()) return Ok();
        std::ifstream in(options.state_file);
        if (!in) return Ok();  // first start
        std::string line;
        int n = 0;
        while (std::getline(in, line)) {
            ++n;
            unsigned long long dev = 0, ino = 0, offset = 0;
            if (std::sscanf(line.c_str(), "%llu %llu %llu", &dev, &ino, &offset) != 3) {
                return InvalidArgument(options.state_file.string() + ":" + std::to_string(n) +
                                       ": expected \"<dev> <inode> <offset> <path>\"");
            }
            saved[FileId{dev, ino}] = offset;
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
