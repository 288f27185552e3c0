#include "app/ingest_pipeline.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "app/correlation_journal.h"
#include "base/files.h"
#include "base/process_stats.h"
#include "base/strings.h"
#include "config/diagnostic.h"
#include "detect/engine.h"
#include "detect/pipeline.h"
#include "ingest/audit_join.h"
#include "ingest/buffer.h"
#include "ingest/listener.h"
#include "ingest/tail.h"
#include "parse/decode.h"
#include "parse/json.h"
#include "store/database.h"
#include "store/event_store.h"

namespace vigil::app {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Named limits of the HTTP intake and of the samples kept per source.
constexpr size_t kMaxIntakeLines = 100000;
constexpr size_t kMaxSamples = 5;
constexpr size_t kMaxSampleBytes = 300;
constexpr int64_t kNsPerMinute = int64_t{60} * 1000000000;
constexpr int64_t kDatedAheadNs = 15 * kNsPerMinute;

// A stable event id for a producer's replayable id (file offset, intake id): the same
// message replayed gets the same id, so the store keeps it once.
store::EventId IdFor(const std::string& producer_id, int64_t now_ns) {
    if (producer_id.empty()) return store::EventId::New(now_ns);
    if (auto parsed = store::EventId::Parse(producer_id)) return *parsed;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(producer_id.data(), producer_id.size(), digest, &len, EVP_sha256(), nullptr);
    store::EventId id;
    std::copy_n(digest, id.bytes.size(), id.bytes.begin());
    return id;
}

// The detection of rule `rule` on event `event`: a stable id, so a replay stores it once. It
// keeps the event id's first six bytes (a UUIDv7's millisecond time), so detections of events
// in time order are inserted in id order too.
store::EventId DetectionId(const store::EventId& event, uint32_t rule) {
    std::string key(event.view());
    key += ":rule:" + std::to_string(rule);
    store::EventId id = IdFor(key, 0);
    std::copy_n(event.bytes.begin(), 6, id.bytes.begin());
    return id;
}

// Sources whose decoder may see Linux audit records have the records of one event joined
// into one message (ingest/audit_join.h).
bool JoinsAudit(parse::Format f) {
    return f == parse::Format::kAuto || f == parse::Format::kAuditd ||
           f == parse::Format::kSyslog || f == parse::Format::kRfc3164 ||
           f == parse::Format::kRfc5424;
}

// A sample value of the Prometheus text format: the shortest text that reads back as v.
std::string FormatMetricValue(double v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

// A label value of the Prometheus text format: backslash, double quote and newline escaped (a
// source's name is the operator's text).
std::string MetricLabel(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (const char c : v) {
        if (c == '\\' || c == '"') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

// The fields that name the machine an event is from, in the shapes senders write them: syslog's
// HOSTNAME and logfmt's host, ECS (Winlogbeat, Filebeat), NXLog, Windows XML and evtx JSON.
constexpr std::string_view kHostFields[] = {"host",
                                            "host.name",
                                            "hostname",
                                            "Hostname",
                                            "Computer",
                                            "winlog.computer_name",
                                            "Event.System.Computer"};

// This machine's name: the host of the files it tails.
std::string LocalHostName() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
    return name;
}

std::string HostOf(std::string_view peer) {
    // "10.0.0.5:51514" -> "10.0.0.5"; "[::1]:514" -> "::1".
    if (peer.empty()) return std::string(peer);
    if (peer.front() == '[') {
        const size_t end = peer.find(']');
        return std::string(peer.substr(1, end == std::string_view::npos ? 0 : end - 1));
    }
    const size_t colon = peer.rfind(':');
    return std::string(colon == std::string_view::npos ? peer : peer.substr(0, colon));
}

}  // namespace

// Adds the time from construction to Stop() (or destruction) to a counter.
class StageTimer {
public:
    explicit StageTimer(std::atomic<uint64_t>& total)
        : total_(total), start_(std::chrono::steady_clock::now()) {}
    ~StageTimer() { Stop(); }
    void Stop() {
        if (stopped_) return;
        stopped_ = true;
        total_ += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::steady_clock::now() - start_)
                                            .count());
    }

private:
    std::atomic<uint64_t>& total_;
    std::chrono::steady_clock::time_point start_;
    bool stopped_ = false;
};

struct IngestPipeline::Impl {
    struct Source {
        IngestSource config;
        parse::Format format = parse::Format::kAuto;
        TimeZone zone;  // its times without a zone: its timezone, else ingest.timezone
        ingest::SourceCounters counters;  // what the listener or tailer counted
        std::atomic<uint64_t> parsed{0}, malformed{0}, stored{0}, duplicates{0}, detections{0};
        // What the store changed to keep an event (event_store.h's limits): its raw text cut
        // at 64 KiB (marked vigil.truncated), fields past 512 dropped, values cut at 16 KiB,
        // texts whose invalid UTF-8 became U+FFFD.
        std::atomic<uint64_t> raw_cut{0}, fields_dropped{0}, values_cut{0}, utf8_repaired{0};
        // Events whose own time is more than kDatedAheadNs after their receipt: a sender's
        // clock ahead, or its times without a zone read in the wrong one (its `timezone`).
        std::atomic<uint64_t> dated_ahead{0};
        std::atomic<bool> silent{false};
        std::atomic<uint16_t> bound_port{0};  // a listener's port once bound (port 0: any)
        // Messages per second received over the last rate window (updated by Tick).
        std::atomic<double> rate{0};
        uint64_t rate_mark = 0;
        // The pipeline clock at the Tick that last saw `received` grow: silence is judged on the
        // pipeline's (injectable) clock, not on the listeners' wall-clock receive times.
        int64_t active_ns = 0;
        // Silent since before this start, and reported then (RestoreFromSnapshot): it stays silent
        // until a message comes, not only until silent_minutes have passed since the start.
        bool silent_since_before = false;
        mutable std::mutex samples_mu;
        std::deque<std::string> samples;  // "reason: line" of the latest malformed lines
    };
    struct Worker {
        explicit Worker(const detect::Engine* engine) {
            if (engine) matcher = std::make_unique<detect::Matcher>(*engine);
        }
        parse::LineDecoder decoder;
        std::unique_ptr<detect::Matcher> matcher;
        std::vector<detect::Match> matches;
        // The source of the last message (a batch mostly holds one): looked up again only
        // when the name changes. Starts as "", which names no source (the config requires
        // names).
        std::string source_name;
        Source* source = nullptr;
    };

    Impl(IngestPipelineOptions o, store::EventStore& s) : options(std::move(o)), store(s) {
        if (!options.clock) {
            options.clock = [] {
                return std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                    .count();
            };
        }
    }

    int64_t Now() const { return options.clock(); }

    Source* FindSource(const std::string& name) {
        auto it = sources.find(name);
        return it == sources.end() ? nullptr : it->second.get();
    }
    Source* FindSource(Worker& w, const std::string& name) {
        if (name != w.source_name) {
            w.source_name = name;
            w.source = FindSource(name);
        }
        return w.source;
    }

    Status LoadRules() {
        if (options.config.rules.empty()) return Ok();
        engine = std::make_unique<detect::Engine>();
        config::Diagnostics diags;
        for (const auto& path : options.config.rules) {
            fs::path p = path;
            if (p.is_relative()) p = options.data_dir / p;
            if (auto st = engine->LoadPath(p.string(), diags); !st) {
                return tl::unexpected(std::move(st.error()).WithContext("ingest.rules"));
            }
        }
        if (auto st = engine->Compile(diags); !st) return st;
        for (const auto& [name, yaml] : detect::BuiltinPipelines()) {
            if (auto st = pipeline.LoadString(yaml, "builtin:" + name, diags); !st) return st;
        }
        rules_rejected = engine->stats().rules_rejected;
        const auto& corr = engine->correlations();
        corr_wants.assign(engine->rule_count(), 0);
        corr_hides.assign(engine->rule_count(), 0);
        for (uint32_t r = 0; r < engine->rule_count(); ++r) {
            const auto& m = engine->rule(r).meta;
            corr_wants[r] = corr.Wants(m.id, m.name);
            corr_hides[r] = corr.Suppresses(m.id, m.name);
        }
        if (corr.size() > 0) corr_state = engine->NewCorrelationState();
        if (const std::string& note = engine->stats().scanner_note; !note.empty()) {
            std::fprintf(stderr, "vigil serve: detection: %s\n", note.c_str());
        }
        if (!diags.items().empty()) {
            std::fprintf(stderr,
                         "vigil serve: %zu detection rules loaded, %zu rejected (see "
                         "vigil rules check)\n",
                         engine->stats().rules_loaded, rules_rejected);
        }
        return Ok();
    }

    // What a worker found in its chunks: detections to store (with their event's source) and
    // the matches correlations read (event index, rule).
    struct Found {
        std::vector<store::Detection> dets;
        std::vector<Source*> det_sources;
        std::vector<std::pair<size_t, uint32_t>> corr;
    };

    // Decodes, maps and matches msgs[begin, end) into events[begin, end) and found.
    void Process(Worker& w, std::vector<ingest::RawMessage>& msgs, size_t begin, size_t end,
                 std::vector<store::StoredEvent>& events, Found& found) {
        for (size_t i = begin; i < end; ++i) {
            ingest::RawMessage& m = msgs[i];
            store::StoredEvent& se = events[i];
            Source* src = FindSource(w, m.source);
            se.encoded.ready = false;  // a reused event
            se.id = IdFor(m.id, m.received_ns);
            se.receive_ns = m.received_ns;
            se.earlier_receipt_ns = m.earlier_receipt_ns;
            se.source = m.source;
            const TimeZone& zone = src ? src->zone : options.config.timezone;
            w.decoder.set_zone(zone);
            auto st = w.decoder.Decode(m.bytes, src ? src->format : parse::Format::kAuto, se.event,
                                       m.received_ns);
            if (!st) {
                // Kept as text with the reason: a keyword rule or a search still finds it.
                se.event.Clear();
                se.event.Add("vigil.decode_error", st.error().message);
                if (src) {
                    ++src->malformed;
                    std::lock_guard lock(src->samples_mu);
                    if (src->samples.size() == kMaxSamples) src->samples.pop_front();
                    src->samples.push_back(st.error().message + ": " +
                                           std::string(CutUtf8(m.bytes, kMaxSampleBytes)));
                }
            } else if (src) {
                ++src->parsed;
            }
            // Only the head of a longer message came: rules and searches can tell.
            if (m.truncated) se.event.Add("vigil.truncated", "true");
            if (se.event.message.empty()) se.event.message = std::move(m.bytes);
            // A tailed line keeps the file it was read from.
            const bool from_file = src && src->config.type == "file";
            if (from_file) se.event.Add("log.file.path", m.peer);
            // The asset: as configured for the source, else as the message names it, else this
            // machine for a file it tails, else the sender's address.
            se.host.clear();
            if (src && !src->config.host.empty()) {
                se.host = src->config.host;
            } else {
                for (std::string_view field : kHostFields) {
                    if (std::string_view h = se.event.Get(field); !h.empty()) {
                        se.host = std::string(h);
                        break;
                    }
                }
            }
            if (se.host.empty()) se.host = from_file ? local_host : HostOf(m.peer);
            if (src) {
                event::LogSource& ls = se.event.logsource;
                if (!src->config.product.empty()) ls.product = src->config.product;
                if (!src->config.service.empty()) ls.service = src->config.service;
                if (!src->config.category.empty() && !ls.HasCategory(src->config.category)) {
                    ls.AddCategory(src->config.category);
                }
            }
            if (!pipeline.empty()) pipeline.Apply(se.event, zone);
            if (src && se.event.time_ns > m.received_ns + kDatedAheadNs) ++src->dated_ahead;
            if (se.event.time_ns == 0) se.event.time_ns = m.received_ns;
            if (!w.matcher) continue;
            w.matches.clear();
            w.matcher->Match(se.event, w.matches);
            for (const detect::Match& match : w.matches) {
                if (corr_wants[match.rule]) found.corr.emplace_back(i, match.rule);
                // A rule only counted by correlations (generate: false) raises no detection.
                if (corr_hides[match.rule]) continue;
                const detect::RuleInfo& rule = engine->rule(match.rule);
                store::Detection d;
                d.id = DetectionId(se.id, match.rule);
                d.rule_id = rule.meta.id;
                d.rule_title = rule.meta.title;
                d.level = std::string(detect::LevelName(rule.meta.level));
                d.time_ns = store.SearchTime(se);  // not the sender's claim (see SearchTime)
                d.event_ids.push_back(se.id);
                found.dets.push_back(std::move(d));
                found.det_sources.push_back(src);
            }
        }
        // The store's per-event encoding, here in parallel rather than in its single writer.
        store.Prepare(std::span(events).subspan(begin, end - begin));
    }

    // A batch decoded and matched, waiting to be stored.
    struct Prepared {
        ingest::TakenBatch taken;
        std::vector<store::StoredEvent> events;
        std::vector<store::Detection> dets;
        std::vector<Source*> det_sources;               // the source of each detection's event
        std::vector<std::pair<size_t, uint32_t>> corr;  // (event, rule) for correlations
        CorrelationFeed feed;                           // for the journal once the batch is stored
    };

    static std::string FeedKey(std::string_view rule_id, std::string_view rule_name,
                               const store::EventId& event) {
        std::string key(rule_id);
        key.append("\n").append(rule_name).append("\n").append(event.view());
        return key;
    }

    // Opens the correlation journal and feeds its recent entries back, so the windows carry
    // on where the last run left them. A journal that cannot be opened costs only that.
    void RestoreCorrelations() {
        if (!corr_state) return;
        for (const auto& r : engine->correlations().rules())
            corr_keep_ns = std::max(corr_keep_ns, r.timespan_ns);
        corr_read_fields = engine->correlations().FieldsRead();
        std::error_code ec;
        fs::create_directories(options.data_dir / "run", ec);
        auto journal = CorrelationJournal::Open(options.data_dir / "run" / "correlation-feed.db");
        if (!journal) {
            RecordError(journal.error().message);
            return;
        }
        corr_journal = std::move(*journal);
        corr_replayed_until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        auto entries = corr_journal->Load(corr_keep_ns, Now());
        if (!entries) {
            RecordError(entries.error().message);
            return;
        }
        event::Event ev;
        for (const auto& e : *entries) {
            ev.Clear();
            ev.time_ns = e.time_ns;
            for (const auto& [name, value] : e.fields) ev.Add(name, value);
            ev.sequence = Remember(e.event);
            corr_hits.clear();  // fired before the restart: stored then
            corr_state->OnMatch(e.rule_id, e.rule_name, ev, corr_hits, Now());
            corr_replayed.insert(FeedKey(e.rule_id, e.rule_name, e.event));
        }
        corr_restored = entries->size();
    }

    // After a batch is stored: its correlation matches go to the journal; old ones are pruned
    // once a minute.
    void JournalCorrelations(const CorrelationFeed& feed) {
        if (!corr_journal || feed.empty()) return;
        if (auto st = corr_journal->Append(feed); !st) RecordError(st.error().message);
        const auto now = std::chrono::steady_clock::now();
        if (now - corr_pruned >= std::chrono::minutes(1)) {
            corr_pruned = now;
            // Event times are the senders': one far in the future must not prune the rest.
            const int64_t newest = feed.newest_ns();
            if (auto st = corr_journal->Prune(std::min(newest, Now()) - corr_keep_ns); !st)
                RecordError(st.error().message);
        }
    }

    // A sequence number for a match fed to the correlations, remembered with its event's id
    // (the last kCorrIds) so a correlation detection can name its contributing events.
    uint64_t Remember(const store::EventId& event) {
        corr_ids.emplace_back(++corr_seq, event);
        if (corr_ids.size() > kCorrIds) corr_ids.pop_front();
        return corr_seq;
    }

    // Stage 1, after matching (the consumer thread, so in stream order and off the store
    // thread): feeds the batch's matches to the correlations and adds a detection for each
    // correlation that fires.
    void Correlate(Prepared& p) {
        // What can bring an event fed back from the journal again: the spool's replay (over
        // once it is empty) and the tailers re-reading lines stored in the last second before
        // a crash (at once at start). After both, the set goes.
        if (!corr_replayed.empty() && std::chrono::steady_clock::now() >= corr_replayed_until &&
            buffer->stats().spooled_records == 0) {
            corr_replayed = {};
        }
        if (!corr_state || p.corr.empty()) return;
        const int64_t arrival_ns = Now();
        for (const auto& [index, rule_index] : p.corr) {
            store::StoredEvent& se = p.events[index];
            const detect::RuleInfo& rule = engine->rule(rule_index);
            if (!corr_replayed.empty() &&
                corr_replayed.count(FeedKey(rule.meta.id, rule.meta.name, se.id))) {
                continue;  // fed at start from the journal; here again from the spool
            }
            se.event.sequence = Remember(se.id);
            // Windows run on the events' times, which are the senders': an event is not later
            // than its receipt, so a fast clock in a group several hosts share (no group-by
            // host) cannot push the others' matches out of its window.
            const int64_t reported_ns = se.event.time_ns;
            if (se.receive_ns > 0) se.event.time_ns = std::min(se.event.time_ns, se.receive_ns);
            if (corr_journal) {
                p.feed.Add(se.event.time_ns, rule.meta.id, rule.meta.name, se.id);
                for (const auto& name : corr_read_fields) {
                    const int i = se.event.Find(name);
                    if (i >= 0) p.feed.AddField(name, se.event.field(static_cast<size_t>(i)).value);
                }
            }
            corr_hits.clear();
            corr_state->OnMatch(rule.meta.id, rule.meta.name, se.event, corr_hits, arrival_ns);
            corr_groups_evicted.store(corr_state->groups_evicted(), std::memory_order_relaxed);
            se.event.time_ns = reported_ns;  // stored as reported
            for (const detect::CorrelationHit& hit : corr_hits) {
                // An intermediate correlation of a chain is hidden like a base rule.
                if (corr_state->Suppresses(hit.rule->meta.id, hit.rule->meta.name)) continue;
                store::Detection d;
                d.id =
                    IdFor("correlation:" + hit.rule->meta.id + ":" + std::string(se.id.view()), 0);
                std::copy_n(se.id.bytes.begin(), 6, d.id.bytes.begin());
                d.rule_id = hit.rule->meta.id;
                d.rule_title = hit.rule->meta.title;
                std::string group;
                for (const auto& [field, value] : hit.group) {
                    group += (group.empty() ? "" : ", ") + field + "=" + value;
                }
                if (!group.empty()) d.rule_title += " (" + group + ")";
                d.level = std::string(detect::LevelName(hit.rule->meta.level));
                d.time_ns = store.SearchTime(se);  // the completing event, as filed
                for (uint64_t seq : hit.event_sequences) {
                    auto it = std::lower_bound(
                        corr_ids.begin(), corr_ids.end(), seq,
                        [](const auto& entry, uint64_t s) { return entry.first < s; });
                    if (it != corr_ids.end() && it->first == seq) d.event_ids.push_back(it->second);
                }
                if (d.event_ids.empty()) d.event_ids.push_back(se.id);
                p.dets.push_back(std::move(d));
                p.det_sources.push_back(FindSource(se.source));
            }
        }
        // By arrival: a group is dropped once no match has come for it for its timespan.
        corr_state->Expire(arrival_ns);
    }

    // Starts fn(w) for the workers w = 1, 2, ... on their own threads (which live as long as
    // the pipeline, so their thread-local caches stay warm). FinishOnWorkers runs fn(0) on this
    // thread and returns when all are done; in between, this thread is free for other work.
    void StartOnWorkers(const std::function<void(size_t)>& fn) {
        {
            std::lock_guard lock(run_mu);
            run_fn = &fn;
            run_pending = workers.size() - 1;
            ++run_generation;
        }
        run_cv.notify_all();
    }
    void FinishOnWorkers(const std::function<void(size_t)>& fn) {
        fn(0);
        std::unique_lock lock(run_mu);
        run_done_cv.wait(lock, [&] { return run_pending == 0; });
        run_fn = nullptr;
    }

    void WorkerLoop(size_t w) {
        uint64_t seen = 0;
        for (;;) {
            const std::function<void(size_t)>* fn = nullptr;
            {
                std::unique_lock lock(run_mu);
                run_cv.wait(lock, [&] { return run_quit || run_generation != seen; });
                if (run_quit) return;
                seen = run_generation;
                fn = run_fn;
            }
            (*fn)(w);
            std::lock_guard lock(run_mu);
            if (--run_pending == 0) run_done_cv.notify_all();
        }
    }

    void StopWorkerThreads() {
        {
            std::lock_guard lock(run_mu);
            run_quit = true;
        }
        run_cv.notify_all();
        for (auto& t : worker_threads) t.join();
        worker_threads.clear();
    }

    // When idle: the stored batches waiting in the pool keep only their event buffers (for
    // reuse); their messages, detections and journal entries are freed here.
    void FreeSpent() {
        recycled = {};
        std::vector<Prepared> freed;
        {
            std::lock_guard lock(pool_mu);
            for (Prepared& b : pool) {
                if (b.taken.messages.empty() && b.dets.empty() && b.feed.empty()) continue;
                Prepared& f = freed.emplace_back();
                f.taken = std::exchange(b.taken, {});
                f.dets = std::exchange(b.dets, {});
                f.feed = std::exchange(b.feed, {});
            }
        }
    }

    // A batch the workers decode, map and match, in chunks handed out in turn, so a worker
    // slowed by the other load on the machine does not hold the batch up.
    struct InFlight {
        Prepared p;
        std::vector<Found> found;
        std::atomic<size_t> next{0};
        std::function<void(size_t)> work;
    };

    // Starts decoding, mapping and matching a batch on the worker threads; FinishPrepare joins
    // them and returns it.
    std::unique_ptr<InFlight> StartPrepare(ingest::TakenBatch taken) {
        auto f = std::make_unique<InFlight>();
        Prepared& p = f->p;
        p.taken = std::move(taken);
        auto& msgs = p.taken.messages;
        {
            // A stored batch: its events' buffers are reused rather than allocated again, and
            // the rest of it is freed here, before the workers start and off the store thread
            // (the pipeline's serial stage).
            Prepared spent;
            {
                std::lock_guard lock(pool_mu);
                if (!pool.empty()) {
                    spent = std::move(pool.back());
                    pool.pop_back();
                }
            }
            p.events = std::move(spent.events);
            // Its messages take the next batch read from the spool (Consume).
            if (recycled.empty()) recycled = std::move(spent.taken.messages);
        }
        p.events.resize(msgs.size());
        f->found.resize(workers.size());
        f->work = [this, in = f.get()](size_t w) {
            auto& msgs = in->p.taken.messages;
            for (;;) {
                const size_t begin = in->next.fetch_add(kChunk);
                if (begin >= msgs.size()) return;
                Process(*workers[w], msgs, begin, std::min(msgs.size(), begin + kChunk),
                        in->p.events, in->found[w]);
            }
        };
        StartOnWorkers(f->work);
        return f;
    }

    Prepared FinishPrepare(std::unique_ptr<InFlight> f) {
        FinishOnWorkers(f->work);
        Prepared& p = f->p;
        for (Found& found : f->found) {
            for (auto& d : found.dets) p.dets.push_back(std::move(d));
            for (Source* src : found.det_sources) p.det_sources.push_back(src);
            p.corr.insert(p.corr.end(), found.corr.begin(), found.corr.end());
        }
        // Correlations read the matches in the order of the stream.
        std::sort(p.corr.begin(), p.corr.end());
        return std::move(p);
    }

    // One store append for the events, then their detections (both idempotent on ids, so a
    // retry after a failure between them stores nothing twice).
    Status Persist(Prepared& p) {
        auto appended = store.Append(p.events, Now());
        if (!appended) return tl::unexpected(std::move(appended.error()));
        if (!p.dets.empty()) {
            auto stored = store.AppendDetections(p.dets, Now());
            if (!stored) return tl::unexpected(std::move(stored.error()));
        }
        // Counted per run of one source (a batch mostly holds one or a few). An event the store
        // already held (a replay) is counted as a duplicate, not stored again.
        Source* src = nullptr;
        const std::string* name = nullptr;
        uint64_t run = 0, dups = 0;
        const auto count_run = [&] {
            if (!src) return;
            src->stored += run;
            src->duplicates += dups;
        };
        for (const auto& e : p.events) {
            if (!name || e.source != *name) {
                count_run();
                name = &e.source;
                src = FindSource(e.source);
                run = dups = 0;
            }
            if (e.duplicate) {
                ++dups;
            } else {
                ++run;
                const auto& enc = e.encoded;
                if (src && (enc.raw_truncated || enc.fields_dropped || enc.values_truncated ||
                            enc.utf8_repaired)) {
                    src->raw_cut += enc.raw_truncated ? 1 : 0;
                    src->fields_dropped += enc.fields_dropped;
                    src->values_cut += enc.values_truncated;
                    src->utf8_repaired += enc.utf8_repaired;
                }
            }
        }
        count_run();
        for (Source* src : p.det_sources) {
            if (src) ++src->detections;
        }
        detections_total += p.dets.size();
        stored_total += appended->stored;
        duplicates_total += appended->duplicates;
        return Ok();
    }

    void CheckSilent() {
        const int64_t now = Now();
        std::vector<store::Detection> dets;
        std::vector<Source*> of;
        for (auto& [name, src] : sources) {
            if (src->config.silent_minutes <= 0) continue;
            const int64_t last =
                src->silent_since_before ? src->active_ns : std::max(src->active_ns, started_ns);
            const bool quiet = now - last >= src->config.silent_minutes * kNsPerMinute;
            if (quiet && !src->silent.exchange(true)) {
                store::Detection d;
                d.id = IdFor("silent:" + name + ":" + std::to_string(last), 0);
                d.rule_id = "vigil-silent-source";
                d.rule_title = "Source " + name + " silent for " +
                               std::to_string(src->config.silent_minutes) + " minutes";
                d.level = "high";
                d.time_ns = now;
                dets.push_back(std::move(d));
                of.push_back(src.get());
            } else if (!quiet) {
                src->silent = false;
                src->silent_since_before = false;
            }
        }
        if (!dets.empty()) {
            if (auto st = store.AppendDetections(dets, now); st) {
                detections_total += dets.size();
                for (Source* src : of) ++src->detections;
            }
        }
    }

    // Every second the status snapshot; every kRateWindowSeconds each source's rate and the
    // silent-source check.
    void Tick() {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_snapshot >= std::chrono::seconds(1)) {
            last_snapshot = now;
            WriteSnapshot();
        }
        const double secs = std::chrono::duration<double>(now - last_tick).count();
        if (secs < kRateWindowSeconds) return;
        last_tick = now;
        const int64_t clock_now = Now();
        for (auto& [name, src] : sources) {
            const uint64_t received = src->counters.received.load();
            if (received != src->rate_mark) src->active_ns = clock_now;
            src->rate = static_cast<double>(received - src->rate_mark) / secs;
            src->rate_mark = received;
        }
        CheckSilent();
    }

    // DIR/run/ingest-status.json, written atomically, for `vigil status` (the counters live in
    // this process; the file lets an operator read them without credentials on the host).
    // Also written when the pipeline falls idle, so the last stored count shows at once.
    void WriteSnapshot() const {
        std::lock_guard lock(snapshot_mu);
        const fs::path dir = options.data_dir / "run";
        std::error_code ec;
        fs::create_directories(dir, ec);
        // 0600 as everything else in the data directory: the samples are log lines. A failed
        // write leaves the previous snapshot, which `vigil status` reports as stale.
        (void)ReplaceFile(dir / "ingest-status.json", StatusText());
    }

    std::string StatusText(bool samples = true) const;

    // From the last snapshot before a restart: a source that was silent, and was reported then,
    // stays so (the same outage is not reported again after every restart), and each source's
    // last message time.
    void RestoreFromSnapshot() {
        std::ifstream in(options.data_dir / "run" / "ingest-status.json");
        if (!in) return;
        const json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object() || !j.contains("sources") || !j["sources"].is_array()) return;
        for (const json& o : j["sources"]) {
            if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) continue;
            Source* src = FindSource(o["name"].get<std::string>());
            if (!src) continue;
            // When the source last sent is a fact about the source, not about this process:
            // "never" after a restart would be wrong (the counters do start from zero).
            if (o.contains("last_received_at") && o["last_received_at"].is_string()) {
                if (auto t = ParseTimestamp(o["last_received_at"].get<std::string>())) {
                    int64_t none = 0;
                    src->counters.last_received_ns.compare_exchange_strong(none, *t);
                }
            }
            if (o.value("silent", false)) {
                src->silent = true;
                src->silent_since_before = true;
            }
        }
    }

    // Stage 1 (consumer thread): takes batches from the buffer in order; the workers decode,
    // map and match one while this thread takes the next, then feeds its matches to the
    // correlations (in stream order) while they start on the next, and stages it for the store.
    void Consume() {
        std::unique_ptr<InFlight> cur;  // with the workers
        bool more = true;
        while (more || cur) {
            std::optional<ingest::TakenBatch> next;
            if (more) {
                // With a batch in flight the next is taken without waiting: that batch is not
                // held back for messages that have not arrived.
                StageTimer take_timer(stage_ns[kTake]);
                auto taken = buffer->Take(options.batch, std::chrono::milliseconds(cur ? 0 : 200),
                                          std::move(recycled), options.batch_bytes);
                recycled = {};
                take_timer.Stop();
                Tick();
                if (!taken) {
                    RecordError(taken.error().message);
                    if (!cur) std::this_thread::sleep_for(std::chrono::seconds(1));
                } else if (closing && taken->spool_cursor) {
                    more = false;  // stopping: what is spooled stays there for the next start
                } else if (!taken->messages.empty()) {
                    next = std::move(*taken);
                } else if (!cur && closing) {
                    more = false;  // stopping, and nothing is left in memory
                } else if (!cur) {
                    FreeSpent();  // idle
                }
            }
            if (!cur) {
                if (next) cur = StartPrepare(std::move(*next));
                continue;
            }
            StageTimer prepare_timer(stage_ns[kPrepare]);
            Prepared p = FinishPrepare(std::move(cur));
            if (next) cur = StartPrepare(std::move(*next));
            Correlate(p);
            prepare_timer.Stop();
            StageTimer wait_timer(stage_ns[kHandOff]);
            std::unique_lock lock(stage_mu);
            stage_cv.wait(lock, [&] { return staged.size() < kStagedBatches; });
            wait_timer.Stop();
            staged.push_back(std::move(p));
            stage_cv.notify_all();
        }
        std::lock_guard lock(stage_mu);
        consumer_done = true;
        stage_cv.notify_all();
    }

    // Stage 2 (store thread): store each prepared batch in order, then commit it in the buffer.
    // Decoding the next batch overlaps with storing this one.
    void StoreLoop() {
        for (;;) {
            Prepared p;
            {
                StageTimer idle_timer(stage_ns[kStoreIdle]);
                std::unique_lock lock(stage_mu);
                stage_cv.wait(lock, [&] { return !staged.empty() || consumer_done; });
                idle_timer.Stop();
                if (staged.empty()) return;
                p = std::move(staged.front());
                staged.pop_front();
                stage_cv.notify_all();
            }
            // A batch that cannot be stored is retried (the sources back up meanwhile); it is
            // never dropped.
            bool stored = false;
            StageTimer store_timer(stage_ns[kStore]);
            for (;;) {
                auto st = Persist(p);
                if (st) {
                    stored = true;
                    break;
                }
                RecordError(st.error().message);
                ++store_errors;
                if (closing) break;  // spooled batches replay at the next start
                std::this_thread::sleep_for(std::chrono::seconds(1));
            }
            store_timer.Stop();
            if (!stored) {
                // Stopping with a batch not stored: no later batch is committed either, since
                // committing one would commit the spool (and the durability watermark) past
                // this one. Both are replayed at the next start.
                uncommitted = true;
                continue;
            }
            JournalCorrelations(p.feed);
            StageTimer commit_timer(stage_ns[kCommit]);
            if (!uncommitted) {
                if (auto st = buffer->Done(p.taken); !st) RecordError(st.error().message);
            }
            commit_timer.Stop();
            processed += p.taken.messages.size();
            {
                std::lock_guard lock(pool_mu);
                if (pool.size() < kStagedBatches + 1) pool.push_back(std::move(p));
            }
            if (processed >= accepted) WriteSnapshot();
            idle_cv.notify_all();
        }
    }

    void RecordError(std::string message) {
        std::lock_guard lock(error_mu);
        last_error = std::move(message);
    }

    IngestPipelineOptions options;
    store::EventStore& store;
    std::unique_ptr<detect::Engine> engine;
    detect::Pipeline pipeline;
    // Correlations over the live stream (the consumer thread feeds them in order).
    std::vector<uint8_t> corr_wants, corr_hides;  // per rule
    std::optional<detect::CorrelationEngine> corr_state;
    std::vector<detect::CorrelationHit> corr_hits;
    uint64_t corr_seq = 0;
    static constexpr size_t kCorrIds = 65536;
    std::deque<std::pair<uint64_t, store::EventId>> corr_ids;  // sequence -> event id
    // The matches fed, kept across restarts (correlation_journal.h): a batch's entries wait
    // in its Prepared::feed until the batch is stored; corr_replayed holds the events fed
    // again at start, which a spool replay must not count twice.
    std::unique_ptr<CorrelationJournal> corr_journal;
    std::vector<std::string> corr_read_fields;
    int64_t corr_keep_ns = 0;
    std::unordered_set<std::string> corr_replayed;
    std::chrono::steady_clock::time_point corr_replayed_until{};  // kept at least until then
    uint64_t corr_restored = 0;  // entries fed back at start (status)
    // Groups the correlations dropped at their group cap (those matched only once first),
    // which can lose a detection. Copied from the consumer thread's engine for the status
    // readers.
    std::atomic<uint64_t> corr_groups_evicted{0};
    std::chrono::steady_clock::time_point corr_pruned{};
    size_t rules_rejected = 0;
    std::unique_ptr<ingest::Buffer> buffer;
    std::map<std::string, std::unique_ptr<Source>> sources;
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<std::unique_ptr<ingest::SyslogListener>> listeners;
    std::vector<std::unique_ptr<ingest::FileTailer>> tailers;
    std::thread consumer;
    std::thread storer;
    // A stored batch's messages, whose buffers the consumer's next spool read reuses.
    std::vector<ingest::RawMessage> recycled;
    // Prepared batches between the stages (bounded: memory stays bounded).
    static constexpr size_t kStagedBatches = 2;
    std::mutex stage_mu;
    std::condition_variable stage_cv;
    std::deque<Prepared> staged;
    // Time spent per stage (seconds in the status): where a slow pipeline waits.
    enum Stage { kTake, kPrepare, kHandOff, kStoreIdle, kStore, kCommit, kStages };
    static constexpr const char* kStageNames[kStages] = {
        "take", "decode_match", "wait_for_store", "store_idle", "store", "spool_commit"};
    std::array<std::atomic<uint64_t>, kStages> stage_ns{};
    // The worker threads (RunOnWorkers).
    static constexpr size_t kChunk = 256;
    std::vector<std::thread> worker_threads;
    std::mutex run_mu;
    std::condition_variable run_cv, run_done_cv;
    const std::function<void(size_t)>* run_fn = nullptr;
    uint64_t run_generation = 0;
    size_t run_pending = 0;
    bool run_quit = false;
    std::mutex pool_mu;
    std::vector<Prepared> pool;  // stored batches, for Prepare to reuse and free
    bool consumer_done = false;
    bool uncommitted = false;  // the store thread's: a batch was left unstored at stop
    std::atomic<bool> closing{false};
    std::atomic<uint64_t> accepted{0};  // messages the buffer took (all sources)
    std::atomic<uint64_t> processed{0};
    std::atomic<uint64_t> stored_total{0}, duplicates_total{0}, detections_total{0},
        store_errors{0};
    int64_t started_ns = 0;
    const std::string local_host = LocalHostName();  // the host of tailed files
    static constexpr double kRateWindowSeconds = 5;
    std::chrono::steady_clock::time_point last_tick = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_snapshot = last_tick;
    mutable std::mutex snapshot_mu;
    std::mutex idle_mu;
    std::condition_variable idle_cv;
    mutable std::mutex error_mu;
    std::string last_error;
    bool started = false;
};

namespace {

// Counts what the buffer accepted, so WaitIdle knows how much is still in flight.
class CountingSink : public ingest::Sink {
public:
    CountingSink(ingest::Buffer& buffer, std::atomic<uint64_t>& accepted)
        : buffer_(buffer), accepted_(accepted) {}
    bool Offer(std::vector<ingest::RawMessage>& batch) override {
        const size_t n = batch.size();
        if (!buffer_.Offer(batch)) return false;
        accepted_ += n;
        return true;
    }
    uint64_t offered() const override { return buffer_.offered(); }
    uint64_t durable() const override { return buffer_.durable(); }

private:
    ingest::Buffer& buffer_;
    std::atomic<uint64_t>& accepted_;
};

}  // namespace

IngestPipeline::IngestPipeline(IngestPipelineOptions options, store::EventStore& store)
    : impl_(std::make_unique<Impl>(std::move(options), store)) {}

IngestPipeline::~IngestPipeline() { Stop(); }

Status IngestPipeline::Start() {
    Impl& s = *impl_;
    s.started_ns = s.Now();
    if (auto st = s.LoadRules(); !st) return st;
    s.RestoreCorrelations();
    ingest::BufferOptions bo;
    bo.spool.dir = s.options.data_dir / "spool";
    bo.spool.max_bytes = s.options.config.spool_max_bytes;
    bo.max_memory_messages = s.options.config.memory_messages;
    auto buffer = ingest::Buffer::Open(bo);
    if (!buffer) return tl::unexpected(std::move(buffer.error()).WithContext("ingest spool"));
    s.buffer = std::move(*buffer);

    // Sources: "http" always (the intake), then the configured ones.
    auto http = std::make_unique<Impl::Source>();
    http->config.name = "http";
    http->config.type = "http";
    http->zone = s.options.config.timezone;
    s.sources.emplace("http", std::move(http));
    for (const IngestSource& cfg : s.options.config.sources) {
        if (s.sources.count(cfg.name)) {
            return InvalidArgument("ingest.sources: the name '" + cfg.name + "' is used twice");
        }
        auto format = parse::FormatByName(cfg.decoder);
        if (!format) {
            return InvalidArgument("ingest.sources." + cfg.name + ".decoder: unknown decoder '" +
                                   cfg.decoder + "'");
        }
        auto src = std::make_unique<Impl::Source>();
        src->config = cfg;
        src->format = *format;
        src->zone = cfg.timezone.value_or(s.options.config.timezone);
        s.sources.emplace(cfg.name, std::move(src));
    }
    s.RestoreFromSnapshot();
    const int n = std::max(1, s.options.config.workers);
    for (int i = 0; i < n; ++i) s.workers.push_back(std::make_unique<Impl::Worker>(s.engine.get()));
    for (int i = 1; i < n; ++i) {
        s.worker_threads.emplace_back([&s, i] { s.WorkerLoop(static_cast<size_t>(i)); });
    }
    s.consumer = std::thread([&s] { s.Consume(); });
    s.storer = std::thread([&s] { s.StoreLoop(); });
    s.started = true;

    sink_ = std::make_unique<CountingSink>(*s.buffer, s.accepted);
    for (auto& [name, src] : s.sources) {
        const IngestSource& cfg = src->config;
        if (cfg.type == "http") continue;
        if (cfg.type == "file") {
            ingest::TailOptions t;
            t.source = cfg.name;
            t.paths = cfg.paths;
            t.state_file = s.options.data_dir / ("tail-" + cfg.name + ".offsets");
            t.multiline_indented = cfg.multiline;
            t.join_audit = JoinsAudit(src->format);
            // What can be taken and not yet stored: the memory queue, and the batches the
            // workers, the consumer and the store thread hold (generously).
            t.max_unsaved_records = s.options.config.memory_messages + 16 * s.options.batch;
            auto tailer = std::make_unique<ingest::FileTailer>(t, *sink_, src->counters);
            if (auto st = tailer->Start(); !st) {
                return tl::unexpected(std::move(st.error()).WithContext("source " + cfg.name));
            }
            s.tailers.push_back(std::move(tailer));
            continue;
        }
        ingest::ListenerOptions l;
        l.source = cfg.name;
        l.bind = cfg.bind;
        l.port = cfg.port;
        l.join_audit = JoinsAudit(src->format);
        l.max_connections = static_cast<size_t>(cfg.max_connections);
        l.max_connections_per_peer = static_cast<size_t>(cfg.max_connections_per_peer);
        if (cfg.type == "syslog-udp") {
            l.kind = ingest::ListenerOptions::Kind::kUdp;
        } else if (cfg.type == "syslog-tcp") {
            l.kind = ingest::ListenerOptions::Kind::kTcp;
        } else if (cfg.type == "syslog-tls") {
            l.kind = ingest::ListenerOptions::Kind::kTls;
            l.cert_pem_path = s.options.tls_cert;
            l.key_pem_path = s.options.tls_key;
            l.allow_tls12 = s.options.allow_tls12;
        } else {
            return InvalidArgument("ingest.sources." + cfg.name + ".type: '" + cfg.type +
                                   "' is not syslog-udp, syslog-tcp, syslog-tls or file");
        }
        auto listener = std::make_unique<ingest::SyslogListener>(l, *sink_, src->counters);
        if (auto st = listener->Start(); !st) return st;
        src->bound_port = listener->port();
        s.listeners.push_back(std::move(listener));
    }
    return Ok();
}

void IngestPipeline::Stop() {
    Impl& s = *impl_;
    if (!s.started) return;
    s.started = false;
    for (auto& l : s.listeners) l->Stop();
    for (auto& t : s.tailers) t->Stop();
    s.closing = true;
    s.buffer->Close();
    s.consumer.join();
    s.storer.join();
    s.StopWorkerThreads();
    // The drain stored what the tailers had queued in memory: save their offsets past it.
    for (auto& t : s.tailers) (void)t->SaveState();
    s.listeners.clear();
    s.tailers.clear();
    for (auto& [name, src] : s.sources) src->rate = 0;
    s.WriteSnapshot();
}

uint16_t IngestPipeline::port(const std::string& source) const {
    auto it = impl_->sources.find(source);
    return it == impl_->sources.end() ? 0 : it->second->bound_port.load();
}

Result<std::vector<std::string>> IngestPipeline::Intake(std::string_view body, IntakeBody kind,
                                                        std::string_view peer) {
    Impl& s = *impl_;
    if (!s.started) return MakeError(Code::kUnavailable, "ingestion is not running");
    std::vector<std::string_view> texts;
    if (kind == IntakeBody::kJson) {
        // Each event's text as sent (never parsed and written out again): split below.
    } else {
        size_t pos = 0;
        while (pos < body.size()) {
            size_t nl = body.find('\n', pos);
            if (nl == std::string_view::npos) nl = body.size();
            std::string_view line = body.substr(pos, nl - pos);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (!Trim(line).empty()) texts.push_back(line);
            pos = nl + 1;
        }
    }
    Impl::Source* http = s.FindSource("http");
    // A body refused whole is counted as the http source's framing error, its reason kept: a
    // shipper whose every batch is refused shows in the status, not only in its own log.
    const auto refuse = [&](std::string reason) -> tl::unexpected<Error> {
        ++http->counters.malformed;
        http->counters.NoteError(std::string(peer) + ": " + reason);
        return InvalidArgument(std::move(reason));
    };
    if (kind == IntakeBody::kJson) {
        if (auto st = parse::SplitJsonValues(body, texts); !st) {
            return refuse("the body is not JSON: " + st.error().message);
        }
    }
    std::vector<std::string> lines(texts.begin(), texts.end());
    if (lines.empty()) return refuse("no events in the body");
    if (lines.size() > kMaxIntakeLines) {
        return refuse("more than " + std::to_string(kMaxIntakeLines) + " events in one request");
    }
    const int64_t now = s.Now();
    std::vector<ingest::RawMessage> batch;
    batch.reserve(lines.size());
    // The audit records of one event in a request become one event (its first record's id).
    ingest::AuditJoiner joiner(JoinsAudit(http->format));
    joiner.CountCutsIn(&http->counters.audit_cut);
    for (auto& line : lines) {
        ingest::RawMessage m;
        m.id = store::EventId::New(now).ToString();
        m.source = "http";
        m.peer = std::string(peer);
        m.received_ns = now;
        m.bytes = std::move(line);
        joiner.Add(std::move(m), batch);
    }
    joiner.Flush(batch);
    std::vector<std::string> ids;
    ids.reserve(batch.size());
    for (const auto& m : batch) ids.push_back(m.id);
    const size_t n = batch.size();
    if (auto st = s.buffer->OfferDurable(batch); !st) {
        http->counters.refused += n;
        return tl::unexpected(std::move(st.error()));
    }
    s.accepted += n;
    http->counters.received += n;
    http->counters.bytes += body.size();
    http->counters.last_received_ns = now;
    return ids;
}

bool IngestPipeline::WaitIdle(std::chrono::milliseconds timeout) {
    Impl& s = *impl_;
    std::unique_lock lock(s.idle_mu);
    return s.idle_cv.wait_for(lock, timeout, [&s] { return s.processed >= s.accepted; });
}

std::string IngestPipeline::StatusJson(bool samples) const { return impl_->StatusText(samples); }

std::string IngestPipeline::Impl::StatusText(bool samples) const {
    const Impl& s = *this;
    json j;
    j["updated_at"] = FormatTimestamp(s.Now());
    j["rules_loaded"] = s.engine ? s.engine->stats().rules_loaded : 0;
    j["rules_rejected"] = s.rules_rejected;
    j["correlations_loaded"] = s.engine ? s.engine->stats().correlations_loaded : 0;
    j["correlation_matches_restored"] = s.corr_restored;
    j["correlation_groups_evicted"] = s.corr_groups_evicted.load(std::memory_order_relaxed);
    j["workers"] = s.workers.size();
    if (s.buffer) {
        const auto b = s.buffer->stats();
        // What the sources turned away for good (a batch a stream offers again is not).
        uint64_t refused = 0;
        for (const auto& [name, src] : s.sources) refused += src->counters.refused.load();
        j["buffer"] = {{"memory_messages", b.memory_messages},
                       {"spooled_records", b.spooled_records},
                       {"spooled_bytes", b.spooled_bytes},
                       {"spooled_total", b.spooled_total},
                       {"refused_total", refused}};
    }
    j["accepted_total"] = s.accepted.load();
    j["stored_total"] = s.stored_total.load();
    j["duplicates_total"] = s.duplicates_total.load();
    j["detections_total"] = s.detections_total.load();
    j["store_errors"] = s.store_errors.load();
    json stages;
    for (int i = 0; i < kStages; ++i) stages[kStageNames[i]] = s.stage_ns[i].load() / 1e9;
    j["stage_seconds"] = std::move(stages);
    // Where the memory goes: the process, and SQLite's share (page caches, FTS5 buffers).
    const store::SqliteHeap heap = store::SqliteHeapUsage();
    json process{{"sqlite_heap_bytes", heap.used_bytes},
                 {"sqlite_heap_peak_bytes", heap.peak_bytes}};
    if (const auto ps = ReadProcessStats()) {
        process["resident_bytes"] = ps->resident_bytes;
        process["peak_resident_bytes"] = ps->peak_resident_bytes;
        process["cpu_seconds"] = ps->cpu_seconds;
        process["open_fds"] = ps->open_fds;
    }
    j["process"] = std::move(process);
    {
        std::lock_guard lock(s.error_mu);
        if (!s.last_error.empty()) j["last_error"] = s.last_error;
    }
    json sources = json::array();
    for (const auto& [name, src] : s.sources) {
        const auto& c = src->counters;
        json o{{"name", name},
               {"type", src->config.type},
               {"decoder", src->config.type == "http" ? "auto" : src->config.decoder},
               {"received", c.received.load()},
               {"rate_per_s", src->rate.load()},
               {"bytes", c.bytes.load()},
               {"parsed", src->parsed.load()},
               {"malformed", src->malformed.load()},
               {"stored", src->stored.load()},
               {"duplicates", src->duplicates.load()},
               {"detections", src->detections.load()},
               {"refused", c.refused.load()},
               {"kernel_drops", c.kernel_drops.load()},
               {"paused", c.paused.load()},
               {"oversized", c.oversized.load()},
               {"framing_errors", c.malformed.load()},
               {"connections", c.connections.load()},
               {"connections_refused", c.connections_refused.load()},
               {"tls_failures", c.tls_failures.load()},
               {"audit_cut", c.audit_cut.load()},
               {"compressed_skipped", c.compressed_skipped.load()},
               {"dated_ahead", src->dated_ahead.load()},
               {"raw_cut", src->raw_cut.load()},
               {"fields_dropped", src->fields_dropped.load()},
               {"values_cut", src->values_cut.load()},
               {"utf8_repaired", src->utf8_repaired.load()},
               {"silent", src->silent.load()}};
        if (const uint16_t port = src->bound_port ? src->bound_port.load() : src->config.port) {
            o["port"] = port;
        }
        if (std::string error = c.LastError(); !error.empty()) {
            o["last_transport_error"] = std::move(error);
        } else {
            o["last_transport_error"] = nullptr;
        }
        const int64_t last = c.last_received_ns.load();
        o["last_received_at"] = last ? json(FormatTimestamp(last)) : json(nullptr);
        if (samples) {
            std::lock_guard lock(src->samples_mu);
            o["malformed_samples"] =
                json(std::vector<std::string>(src->samples.begin(), src->samples.end()));
        } else {
            o["malformed_samples"] = json::array();
        }
        sources.push_back(std::move(o));
    }
    j["sources"] = std::move(sources);
    if (!samples) j["samples_withheld"] = true;
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string IngestPipeline::PrometheusText() const {
    const Impl& s = *impl_;
    std::string out;
    auto metric = [&out](const char* name, const char* help, const char* type) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    };
    struct PerSource {
        const char* name;
        const char* help;
        uint64_t (*get)(const Impl::Source&);
    };
    static const PerSource kPerSource[] = {
        {"vigil_ingest_received_total", "Messages received per source.",
         [](const Impl::Source& x) { return x.counters.received.load(); }},
        {"vigil_ingest_bytes_total", "Bytes received per source.",
         [](const Impl::Source& x) { return x.counters.bytes.load(); }},
        {"vigil_ingest_parsed_total", "Messages decoded per source.",
         [](const Impl::Source& x) { return x.parsed.load(); }},
        {"vigil_ingest_malformed_total", "Messages that failed to decode (stored as text).",
         [](const Impl::Source& x) { return x.malformed.load(); }},
        {"vigil_ingest_stored_total", "Events stored per source.",
         [](const Impl::Source& x) { return x.stored.load(); }},
        {"vigil_ingest_duplicates_total",
         "Events not stored again: the store already held their id (a replay).",
         [](const Impl::Source& x) { return x.duplicates.load(); }},
        {"vigil_ingest_detections_total", "Detections raised per source.",
         [](const Impl::Source& x) { return x.detections.load(); }},
        {"vigil_ingest_refused_total", "Messages refused because the buffer was full.",
         [](const Impl::Source& x) { return x.counters.refused.load(); }},
        {"vigil_ingest_kernel_drops_total",
         "UDP datagrams the kernel dropped before they were read (receive buffer full).",
         [](const Impl::Source& x) { return x.counters.kernel_drops.load(); }},
        {"vigil_ingest_connections_refused_total",
         "Connections closed at once: the listener had max_connections open, or "
         "max_connections_per_peer from the same address.",
         [](const Impl::Source& x) { return x.counters.connections_refused.load(); }},
        {"vigil_ingest_oversized_total",
         "Frames and lines over the size limit, stored cut to their head.",
         [](const Impl::Source& x) { return x.counters.oversized.load(); }},
        {"vigil_ingest_paused_total", "Times a stream stopped reading because the buffer was full.",
         [](const Impl::Source& x) { return x.counters.paused.load(); }},
        {"vigil_ingest_connections_total", "Connections served per listener.",
         [](const Impl::Source& x) { return x.counters.connections.load(); }},
        {"vigil_ingest_framing_errors_total",
         "Frames the syslog framing could not read; HTTP request bodies refused whole.",
         [](const Impl::Source& x) { return x.counters.malformed.load(); }},
        {"vigil_ingest_raw_cut_total",
         "Events whose raw text the store cut at 64 KiB (marked vigil.truncated).",
         [](const Impl::Source& x) { return x.raw_cut.load(); }},
        {"vigil_ingest_fields_dropped_total",
         "Fields the store dropped: past 512 per event, or with an over-long name.",
         [](const Impl::Source& x) { return x.fields_dropped.load(); }},
        {"vigil_ingest_values_cut_total", "Field values the store cut at 16 KiB.",
         [](const Impl::Source& x) { return x.values_cut.load(); }},
        {"vigil_ingest_utf8_repaired_total",
         "Texts whose invalid UTF-8 the store replaced by U+FFFD.",
         [](const Impl::Source& x) { return x.utf8_repaired.load(); }},
        {"vigil_ingest_tls_failures_total", "Failed, plain-text or truncated TLS connections.",
         [](const Impl::Source& x) { return x.counters.tls_failures.load(); }},
        {"vigil_ingest_audit_cut_total",
         "Audit events stored in pieces: their records' group ended by a bound.",
         [](const Impl::Source& x) { return x.counters.audit_cut.load(); }},
        {"vigil_ingest_compressed_skipped_total",
         "Files a file source's globs matched that hold compressed data, skipped.",
         [](const Impl::Source& x) { return x.counters.compressed_skipped.load(); }},
        {"vigil_ingest_dated_ahead_total",
         "Events whose own time is more than 15 minutes after their receipt: a sender's clock "
         "ahead, or a wrong timezone for its times without a zone.",
         [](const Impl::Source& x) { return x.dated_ahead.load(); }},
    };
    // One sample per source, the label escaped.
    auto per_source = [&](const char* name, const char* help, const char* type, auto value) {
        metric(name, help, type);
        for (const auto& [source, src] : s.sources) {
            out += std::string(name) + "{source=\"" + MetricLabel(source) + "\"} " + value(*src) +
                   "\n";
        }
    };
    for (const PerSource& m : kPerSource) {
        per_source(m.name, m.help, "counter",
                   [&m](const Impl::Source& x) { return std::to_string(m.get(x)); });
    }
    per_source("vigil_ingest_silent",
               "1 while the source is silent (no message for its silent_minutes).", "gauge",
               [](const Impl::Source& x) { return std::string(x.silent.load() ? "1" : "0"); });
    per_source(
        "vigil_ingest_last_received_seconds",
        "When the source last received a message, since the Unix epoch (0: never).", "gauge",
        [](const Impl::Source& x) {
            return FormatMetricValue(static_cast<double>(x.counters.last_received_ns.load()) / 1e9);
        });
    metric("vigil_detections_total", "Detections stored, silent-source detections included.",
           "counter");
    out += "vigil_detections_total " + std::to_string(s.detections_total.load()) + "\n";
    metric("vigil_ingest_store_errors_total", "Batches the event store failed to append.",
           "counter");
    out += "vigil_ingest_store_errors_total " + std::to_string(s.store_errors.load()) + "\n";
    metric("vigil_correlation_groups_evicted_total",
           "Correlation groups dropped at a correlation's group cap.", "counter");
    out += "vigil_correlation_groups_evicted_total " +
           std::to_string(s.corr_groups_evicted.load(std::memory_order_relaxed)) + "\n";
    if (s.buffer) {
        const auto b = s.buffer->stats();
        metric("vigil_ingest_spool_bytes", "Bytes waiting in the disk spool.", "gauge");
        out += "vigil_ingest_spool_bytes " + std::to_string(b.spooled_bytes) + "\n";
        metric("vigil_ingest_queue_messages", "Messages waiting in memory.", "gauge");
        out += "vigil_ingest_queue_messages " + std::to_string(b.memory_messages) + "\n";
    }
    // The process collector's usual names, so existing dashboards and alerts apply.
    auto sample = [&](const char* name, const char* help, const char* type, const std::string& v) {
        metric(name, help, type);
        out += std::string(name) + " " + v + "\n";
    };
    if (const auto ps = ReadProcessStats()) {
        sample("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
               std::to_string(ps->resident_bytes));
        sample("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge",
               std::to_string(ps->virtual_bytes));
        sample("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
               "counter", FormatMetricValue(ps->cpu_seconds));
        sample("process_open_fds", "Number of open file descriptors.", "gauge",
               std::to_string(ps->open_fds));
        sample("process_start_time_seconds", "Start time of the process since the Unix epoch.",
               "gauge", FormatMetricValue(ps->start_time_seconds));
        sample("vigil_process_peak_resident_memory_bytes",
               "The most resident memory at any time since start (VmHWM).", "gauge",
               std::to_string(ps->peak_resident_bytes));
    }
    const store::SqliteHeap heap = store::SqliteHeapUsage();
    sample("vigil_sqlite_heap_bytes",
           "Heap held by SQLite across all connections (page caches, statements, FTS5).", "gauge",
           std::to_string(heap.used_bytes));
    return out;
}

}  // namespace vigil::app
