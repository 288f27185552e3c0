#include "cli/hunt.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "base/audit_record.h"
#include "base/limits.h"
#include "base/strings.h"
#include "detect/engine.h"
#include "detect/pipeline.h"
#include "parse/decode.h"
#include "parse/input.h"
#include "parse/json.h"

namespace vigil::cli {

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

using Clock = std::chrono::steady_clock;

struct Batch {
    std::vector<parse::Record> records;
    std::string input;
};

// Bounded queue between the reader and the workers.
class BatchQueue {
public:
    explicit BatchQueue(size_t capacity) : capacity_(capacity) {}
    void Push(Batch b) {
        std::unique_lock lock(mu_);
        not_full_.wait(lock, [&] { return q_.size() < capacity_; });
        q_.push_back(std::move(b));
        not_empty_.notify_one();
    }
    bool Pop(Batch& out) {
        std::unique_lock lock(mu_);
        not_empty_.wait(lock, [&] { return !q_.empty() || closed_; });
        if (q_.empty()) return false;
        out = std::move(q_.front());
        q_.pop_front();
        not_full_.notify_one();
        return true;
    }
    void Close() {
        std::lock_guard lock(mu_);
        closed_ = true;
        not_empty_.notify_all();
    }

private:
    std::mutex mu_;
    std::condition_variable not_full_, not_empty_;
    std::deque<Batch> q_;
    size_t capacity_;
    bool closed_ = false;
};

struct Counters {
    std::atomic<uint64_t> events{0};
    std::atomic<uint64_t> malformed{0};
    std::atomic<uint64_t> detections{0};
    std::atomic<uint64_t> evaluated{0};
    std::atomic<uint64_t> values_scanned{0};
    std::atomic<uint64_t> bytes{0};
};

// A match some correlation wants, kept for the ordered correlation pass.
struct Pending {
    int64_t time_ns;
    uint64_t sequence;
    uint32_t rule;
    event::Event event;
};

class Output {
public:
    explicit Output(std::string format) : format_(std::move(format)) {
        if (format_ == "csv")
            std::fputs("time,tier,level,rule_id,rule_title,origin,matched\n", stdout);
        if (format_ == "table")
            std::fputs("TIME                     TIER LEVEL         RULE\n", stdout);
    }

    void Detection(std::string& out, const detect::Engine& engine, uint32_t rule_index,
                   const event::Event& ev) const {
        const auto& rule = engine.rule(rule_index);
        int tier = engine.tiers().For(rule.meta.level);
        std::string time = ev.time_ns ? FormatTimestamp(ev.time_ns) : std::string("-");
        if (format_ == "jsonl") {
            out += "{\"time\":";
            AppendJsonString(out, time);
            out += ",\"rule_id\":";
            AppendJsonString(out, rule.meta.id);
            out += ",\"rule_title\":";
            AppendJsonString(out, rule.meta.title);
            out += ",\"level\":";
            AppendJsonString(out, LevelName(rule.meta.level));
            out += ",\"tier\":" + std::to_string(tier) + ",\"origin\":";
            AppendJsonString(out, ev.origin);
            out += ",\"logsource\":";
            AppendJsonString(out, ev.logsource.Key());
            out += ",\"matched\":{";
            bool first = true;
            for (const auto& f : rule.fields) {
                int i = ev.Find(f);
                if (i < 0) continue;
                if (!first) out += ',';
                first = false;
                AppendJsonString(out, f);
                out += ':';
                AppendJsonString(out, ev.field(static_cast<size_t>(i)).value);
            }
            out += "},\"event\":";
            if (ev.empty()) {
                AppendJsonString(out, ev.message);
            } else {
                ev.AppendJson(out);
            }
            out += "}\n";
            return;
        }
        std::string matched;
        for (const auto& f : rule.fields) {
            int i = ev.Find(f);
            if (i < 0) continue;
            if (!matched.empty()) matched += "; ";
            matched += f + "=" + std::string(ev.field(static_cast<size_t>(i)).value);
        }
        if (matched.empty() && !ev.message.empty()) matched = ev.message;
        if (format_ == "csv") {
            out += time + "," + std::to_string(tier) + "," +
                   std::string(LevelName(rule.meta.level)) + "," + Csv(rule.meta.id) + "," +
                   Csv(rule.meta.title) + "," + Csv(ev.origin) + "," + Csv(matched) + "\n";
            return;
        }
        char head[96];
        std::snprintf(head, sizeof head, "%-24s T%-3d %-13s ", time.c_str(), tier,
                      std::string(LevelName(rule.meta.level)).c_str());
        out += head;
        out += rule.meta.title;
        if (!rule.meta.id.empty()) out += " [" + rule.meta.id + "]";
        out += "\n";
        out += "    at " + ev.origin + "\n";
        if (!matched.empty()) {
            if (matched.size() > 300) matched = matched.substr(0, 300) + "...";
            out += "    " + matched + "\n";
        }
    }

    void Correlation(std::string& out, const detect::Engine& engine,
                     const detect::CorrelationHit& hit) const {
        const auto& m = hit.rule->meta;
        int tier = engine.tiers().For(m.level);
        std::string first = FormatTimestamp(hit.first_ns), last = FormatTimestamp(hit.last_ns);
        std::string group;
        for (const auto& [k, v] : hit.group) {
            if (!group.empty()) group += "; ";
            group += k + "=" + v;
        }
        char value[32];
        std::snprintf(value, sizeof value, "%g", hit.value);
        if (format_ == "jsonl") {
            out += "{\"time\":";
            AppendJsonString(out, last);
            out += ",\"rule_id\":";
            AppendJsonString(out, m.id);
            out += ",\"rule_title\":";
            AppendJsonString(out, m.title);
            out += ",\"level\":";
            AppendJsonString(out, LevelName(m.level));
            out += ",\"tier\":" + std::to_string(tier) + ",\"correlation\":";
            AppendJsonString(out, detect::CorrelationTypeName(hit.rule->type));
            out += ",\"first\":";
            AppendJsonString(out, first);
            out += ",\"value\":" + std::string(value) + ",\"group\":{";
            for (size_t i = 0; i < hit.group.size(); ++i) {
                if (i) out += ',';
                AppendJsonString(out, hit.group[i].first);
                out += ':';
                AppendJsonString(out, hit.group[i].second);
            }
            out += "},\"events\":[";
            for (size_t i = 0; i < hit.event_sequences.size(); ++i) {
                if (i) out += ',';
                out += std::to_string(hit.event_sequences[i]);
            }
            out += "]}\n";
            return;
        }
        std::string desc = std::string(detect::CorrelationTypeName(hit.rule->type)) + " " + value +
                           " from " + first + " (" + group + ")";
        if (format_ == "csv") {
            out += last + "," + std::to_string(tier) + "," + std::string(LevelName(m.level)) + "," +
                   Csv(m.id) + "," + Csv(m.title) + ",correlation," + Csv(desc) + "\n";
            return;
        }
        char head[96];
        std::snprintf(head, sizeof head, "%-24s T%-3d %-13s ", last.c_str(), tier,
                      std::string(LevelName(m.level)).c_str());
        out += head;
        out += m.title + " [" + m.id + "] (correlation)\n    " + desc + "\n";
    }

private:
    // RFC 4180 field: quoted, inner quotes doubled. Every CSV field goes through here,
    // since values come from the events.
    static std::string Csv(std::string_view s) {
        std::string q = "\"";
        for (char c : s) {
            if (c == '"') q += '"';
            q += c;
        }
        return q + "\"";
    }

    std::string format_;
};

void PrintDiagnostics(const config::Diagnostics& diags, bool all) {
    size_t shown = 0;
    for (const auto& d : diags.items()) {
        if (!all && shown >= 10) {
            std::fprintf(stderr, "  ... %zu more (vigil rules check lists them all)\n",
                         diags.items().size() - shown);
            break;
        }
        std::fprintf(stderr, "  %s\n", d.ToString().c_str());
        ++shown;
    }
}

Status LoadEngine(detect::Engine& engine, const std::vector<std::string>& paths,
                  config::Diagnostics& diags) {
    for (const auto& p : paths) {
        if (auto st = engine.LoadPath(p, diags); !st) return st;
    }
    return engine.Compile(diags);
}

bool ParseLogSource(const std::string& text, event::LogSource& ls) {
    for (auto part : Split(text, ',')) {
        auto eq = part.find('=');
        if (eq == std::string_view::npos) return false;
        auto k = Trim(part.substr(0, eq));
        std::string v = AsciiLower(Trim(part.substr(eq + 1)));
        if (k == "product") {
            ls.product = v;
        } else if (k == "service") {
            ls.service = v;
        } else if (k == "category") {
            ls.AddCategory(v);
        } else {
            return false;
        }
    }
    return true;
}

// A copy of ev with just the named fields (and its time, sequence and origin).
event::Event KeepFields(const event::Event& ev, const std::vector<std::string>& names) {
    event::Event out;
    out.time_ns = ev.time_ns;
    out.sequence = ev.sequence;
    out.origin = ev.origin;
    for (size_t i = 0; i < ev.size(); ++i) {
        event::FieldView f = ev.field(i);
        if (std::binary_search(names.begin(), names.end(), f.name))
            out.Add(f.name, f.value, f.kind);
    }
    return out;
}

// Folders are hunted recursively, in name order.
std::vector<std::string> ExpandInputs(const std::vector<std::string>& inputs) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    for (const auto& in : inputs) {
        std::error_code ec;
        if (in != "-" && fs::is_directory(in, ec)) {
            std::vector<std::string> files;
            for (auto it = fs::recursive_directory_iterator(in, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
                if (it->is_regular_file(ec)) files.push_back(it->path().string());
            }
            std::sort(files.begin(), files.end());
            out.insert(out.end(), files.begin(), files.end());
        } else {
            out.push_back(in);
        }
    }
    return out;
}

std::string Human(double n) {
    char buf[32];
    if (n >= 1e9) {
        std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
    } else if (n >= 1e6) {
        std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
    } else if (n >= 1e3) {
        std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
    } else {
        std::snprintf(buf, sizeof buf, "%.0f", n);
    }
    return buf;
}

// Moves auditd records out of a batch of text records into AuditdAssembler and puts the
// events it completes in their place (kEvent records whose line is their first record's).
// Grouping happens here, on the reader thread, because the records of one event may fall into
// different batches.
void GroupAuditRecords(parse::Format format, parse::AuditdAssembler& assembler,
                       std::vector<parse::Record>& records) {
    std::vector<parse::Record> kept;
    kept.reserve(records.size());
    std::vector<event::Event> done;
    for (auto& r : records) {
        // Bare or after a syslog header (base/audit_record.h: the rule serve's joiner follows).
        if (r.kind != parse::RecordKind::kText ||
            (format != parse::Format::kAuditd && FindAuditRecord(r.data).empty())) {
            kept.push_back(std::move(r));
            continue;
        }
        if (auto st = assembler.Add(r.data, done, r.line); !st) {
            r.kind = parse::RecordKind::kMalformed;
            r.error = st.error().message;
            r.data.resize(std::min<size_t>(r.data.size(), 200));
            kept.push_back(std::move(r));
        }
        for (auto& ev : done) {
            parse::Record& out = kept.emplace_back();
            out.kind = parse::RecordKind::kEvent;
            out.line = ev.sequence;
            out.event = std::move(ev);
        }
        done.clear();
    }
    records = std::move(kept);
}

}  // namespace

// Engine options shared by hunt and rules check; false (after printing why) on a bad file.
bool EngineOptionsFrom(const std::string& placeholders, const char* command,
                       detect::EngineOptions& out) {
    if (placeholders.empty()) return true;
    auto ph = detect::LoadPlaceholders(placeholders);
    if (!ph) {
        std::fprintf(stderr, "%s: %s\n", command, ph.error().message.c_str());
        return false;
    }
    out.placeholders = std::move(*ph);
    return true;
}

int RunHunt(const HuntOptions& opt) {
    auto t0 = Clock::now();
    detect::EngineOptions eopt;
    eopt.match_unrouted = opt.match_unrouted;
    if (!EngineOptionsFrom(opt.placeholders, "vigil hunt", eopt)) return 2;
    const auto decoder_format = parse::FormatByName(opt.decoder);
    if (!decoder_format) {
        std::fprintf(stderr, "vigil hunt: unknown --decoder '%s'\n", opt.decoder.c_str());
        return 2;
    }
    const parse::Format format = *decoder_format;
    const auto zone = TimeZone::Parse(opt.timezone);
    if (!zone) {
        std::fprintf(stderr,
                     "vigil hunt: --timezone '%s': expected UTC, local or an offset such as "
                     "+08:00\n",
                     opt.timezone.c_str());
        return 2;
    }
    const bool group_audit = format == parse::Format::kAuto || format == parse::Format::kAuditd;
    // JSON records keep the plain JSON decoder unless a JSON shape (or auto) is asked for.
    const bool decode_json = format == parse::Format::kAuto || format == parse::Format::kJson ||
                             format == parse::Format::kSuricata ||
                             format == parse::Format::kWinJson;
    event::LogSource default_ls;
    if (!opt.logsource.empty() && !ParseLogSource(opt.logsource, default_ls)) {
        std::fprintf(stderr, "vigil hunt: --logsource wants product=..,service=..,category=..\n");
        return 2;
    }

    detect::Engine engine(eopt);
    config::Diagnostics diags;
    if (auto st = LoadEngine(engine, opt.rules, diags); !st) {
        std::fprintf(stderr, "vigil hunt: %s\n", st.error().message.c_str());
        return 2;
    }
    detect::Pipeline pipeline;
    if (!opt.no_builtin_pipelines) {
        for (const auto& [name, yaml] : detect::BuiltinPipelines()) {
            if (auto st = pipeline.LoadString(yaml, "builtin:" + name, diags); !st) {
                std::fprintf(stderr, "vigil hunt: %s\n", st.error().message.c_str());
                return 2;
            }
        }
    }
    for (const auto& p : opt.pipelines) {
        if (auto st = pipeline.LoadFile(p, diags); !st) {
            std::fprintf(stderr, "vigil hunt: %s\n", st.error().message.c_str());
            PrintDiagnostics(diags, true);
            return 2;
        }
    }
    double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto& ls = engine.stats();
    std::fprintf(stderr,
                 "vigil hunt: %zu rules loaded, %zu rejected, %zu correlations, %zu filters "
                 "(%.2f s)\n",
                 ls.rules_loaded, ls.rules_rejected, ls.correlations_loaded, ls.filters_loaded,
                 load_s);
    if (diags.errors() > 0) PrintDiagnostics(diags, opt.stats);

    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    unsigned threads = opt.threads > 0 ? static_cast<unsigned>(opt.threads)
                                       : std::max(1u, std::thread::hardware_concurrency());
    Output output(opt.format);
    Counters counters;
    BatchQueue queue(threads * 2);
    std::mutex out_mu, pending_mu, sample_mu;
    std::vector<Pending> pending;
    std::vector<std::string> samples;
    const auto& corr = engine.correlations();
    std::vector<uint8_t> wants(engine.rule_count()), hides(engine.rule_count());
    for (uint32_t r = 0; r < engine.rule_count(); ++r) {
        const auto& m = engine.rule(r).meta;
        wants[r] = corr.Wants(m.id, m.name);
        hides[r] = corr.Suppresses(m.id, m.name);
    }
    // Matches kept for the ordered correlation pass hold only what correlations read.
    const std::vector<std::string> corr_fields = corr.FieldsRead();
    std::atomic<uint64_t> total_bytes{0};
    std::string open_error;

    auto t_start = Clock::now();
    std::thread reader([&] {
        uint64_t sequence = 0;
        for (const auto& path : ExpandInputs(opt.inputs)) {
            if (g_stop.load()) break;
            auto in = parse::OpenInput(path, parse::InputFormat::kAuto, &g_stop);
            if (!in) {
                std::lock_guard lock(sample_mu);
                open_error += "vigil hunt: " + in.error().message + "\n";
                continue;
            }
            total_bytes += (*in)->total_bytes();
            uint64_t prev = 0;
            parse::LineDecoder audit_decoder(
                {.max_line_bytes = limits::kMaxEventBytes, .zone = *zone});
            parse::AuditdAssembler assembler(audit_decoder);
            while (!g_stop.load()) {
                Batch b;
                b.input = path;
                auto n = (*in)->Read(b.records, 512);
                if (!n) {
                    if (n.error().code == Code::kCancelled) break;  // Ctrl-C: summary follows
                    std::lock_guard lock(sample_mu);
                    open_error += "vigil hunt: reading " + path + ": " + n.error().message + "\n";
                    break;
                }
                uint64_t now = (*in)->bytes_read();
                counters.bytes += now - prev;
                prev = now;
                if (*n == 0) break;
                b.records.resize(*n);
                if (group_audit) GroupAuditRecords(format, assembler, b.records);
                for (auto& r : b.records) r.sequence = sequence++;
                queue.Push(std::move(b));
            }
            if (group_audit && assembler.open() > 0) {
                Batch b;
                b.input = path;
                std::vector<event::Event> done;
                assembler.Flush(done);
                for (auto& ev : done) {
                    parse::Record& r = b.records.emplace_back();
                    r.kind = parse::RecordKind::kEvent;
                    r.line = ev.sequence;
                    r.sequence = sequence++;
                    r.event = std::move(ev);
                }
                queue.Push(std::move(b));
            }
        }
        queue.Close();
    });

    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            detect::Matcher matcher(engine);
            parse::JsonDecoder decoder;
            parse::LineDecoder lines({.max_line_bytes = limits::kMaxEventBytes, .zone = *zone});
            event::Event ev;
            std::vector<detect::Match> matches;
            std::string out;
            Batch b;
            while (queue.Pop(b)) {
                out.clear();
                uint64_t dets = 0;
                for (auto& rec : b.records) {
                    const bool decode = format != parse::Format::kText &&
                                        (rec.kind == parse::RecordKind::kText ||
                                         (rec.kind == parse::RecordKind::kJson && decode_json));
                    auto decoded = decode ? lines.Decode(rec.data, format, ev)
                                          : parse::ToEvent(rec, decoder, ev);
                    std::string error = decoded ? std::string() : decoded.error().message;
                    if (ev.origin.empty())
                        ev.origin = (b.input == "-" ? std::string("stdin") : b.input) + ":" +
                                    std::to_string(rec.line);
                    if (!error.empty()) {
                        counters.malformed++;
                        std::lock_guard lock(sample_mu);
                        if (samples.size() < 10) samples.push_back(ev.origin + ": " + error);
                        continue;
                    }
                    ev.sequence = rec.sequence;
                    pipeline.Apply(ev, *zone);
                    if (ev.logsource.product.empty()) ev.logsource.product = default_ls.product;
                    if (ev.logsource.service.empty()) ev.logsource.service = default_ls.service;
                    for (const auto& c : default_ls.categories) ev.logsource.AddCategory(c);
                    matches.clear();
                    matcher.Match(ev, matches);
                    for (const auto& m : matches) {
                        if (wants[m.rule]) {
                            std::lock_guard lock(pending_mu);
                            pending.push_back(
                                {ev.time_ns, ev.sequence, m.rule, KeepFields(ev, corr_fields)});
                        }
                        if (hides[m.rule]) continue;
                        ++dets;
                        output.Detection(out, engine, m.rule, ev);
                    }
                }
                counters.events += b.records.size();
                counters.detections += dets;
                if (!out.empty()) {
                    std::lock_guard lock(out_mu);
                    std::fwrite(out.data(), 1, out.size(), stdout);
                }
            }
            counters.evaluated += matcher.rules_evaluated();
            counters.values_scanned += matcher.values_scanned();
        });
    }

    bool tty = isatty(STDERR_FILENO) != 0;
    std::atomic<bool> done{false};
    std::thread progress([&] {
        while (!done.load()) {
            // Short naps so a finished hunt does not wait for the next tick.
            for (int i = 0; i < 10 && !done.load(); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(25));
            if (!tty || done.load()) continue;
            double s = std::chrono::duration<double>(Clock::now() - t_start).count();
            uint64_t tb = total_bytes.load();
            std::string pct =
                tb ? " (" + std::to_string(counters.bytes.load() * 100 / tb) + "%)" : "";
            std::fprintf(stderr, "\r\033[K[hunt] %sB%s  %s events  %llu detections  %s events/s",
                         Human(static_cast<double>(counters.bytes.load())).c_str(), pct.c_str(),
                         Human(static_cast<double>(counters.events.load())).c_str(),
                         static_cast<unsigned long long>(counters.detections.load()),
                         Human(counters.events.load() / std::max(s, 1e-9)).c_str());
        }
        if (tty) std::fprintf(stderr, "\r\033[K");
    });

    reader.join();
    for (auto& w : workers) w.join();
    done = true;
    progress.join();

    // Correlations run over the wanted matches in event-time order.
    uint64_t corr_hits = 0;
    if (!pending.empty() && !g_stop.load()) {
        std::sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
            return a.time_ns != b.time_ns ? a.time_ns < b.time_ns : a.sequence < b.sequence;
        });
        detect::CorrelationEngine state = engine.NewCorrelationState();
        std::vector<detect::CorrelationHit> hits;
        std::string out;
        for (const auto& p : pending) {
            const auto& m = engine.rule(p.rule).meta;
            hits.clear();
            state.OnMatch(m.id, m.name, p.event, hits);
            for (const auto& h : hits) {
                // An intermediate correlation of a chain is hidden like a base rule.
                if (state.Suppresses(h.rule->meta.id, h.rule->meta.name)) continue;
                output.Correlation(out, engine, h);
                ++corr_hits;
            }
        }
        std::fwrite(out.data(), 1, out.size(), stdout);
    }
    std::fflush(stdout);

    double secs = std::chrono::duration<double>(Clock::now() - t_start).count();
    if (!open_error.empty()) std::fputs(open_error.c_str(), stderr);
    bool interrupted = g_stop.load();
    if (interrupted) std::fprintf(stderr, "vigil hunt: interrupted; partial summary follows\n");
    uint64_t events = counters.events.load();
    std::fprintf(stderr,
                 "vigil hunt: %llu events, %llu malformed, %llu detections, %llu correlation "
                 "detections in %.2f s (%s events/s)\n",
                 static_cast<unsigned long long>(events),
                 static_cast<unsigned long long>(counters.malformed.load()),
                 static_cast<unsigned long long>(counters.detections.load()),
                 static_cast<unsigned long long>(corr_hits), secs,
                 Human(events / std::max(secs, 1e-9)).c_str());
    if (!samples.empty()) {
        std::fprintf(stderr, "malformed samples:\n");
        for (const auto& s : samples) std::fprintf(stderr, "  %s\n", s.c_str());
    }
    if (!ls.scanner_note.empty() && (opt.stats || StartsWith(ls.scanner_note, "WARNING"))) {
        std::fprintf(stderr, "%s\n", ls.scanner_note.c_str());
    }
    if (opt.stats) {
        std::fprintf(stderr,
                     "stats: files=%zu documents=%zu rules_loaded=%zu rules_rejected=%zu "
                     "correlations=%zu filters=%zu patterns=%zu patterns_on_demand=%zu "
                     "regex_confirmed=%zu regex_only=%zu threads=%u rules_evaluated=%llu "
                     "values_scanned=%llu\n",
                     ls.files, ls.documents, ls.rules_loaded, ls.rules_rejected,
                     ls.correlations_loaded, ls.filters_loaded, ls.patterns, ls.patterns_on_demand,
                     ls.regex_confirmed, ls.regex_only, threads,
                     static_cast<unsigned long long>(counters.evaluated.load()),
                     static_cast<unsigned long long>(counters.values_scanned.load()));
    }
    if (interrupted) return 130;
    return open_error.empty() ? 0 : 1;
}

int RunRulesCheck(const RulesCheckOptions& opt) {
    detect::EngineOptions eopt;
    if (!EngineOptionsFrom(opt.placeholders, "vigil rules check", eopt)) return 2;
    detect::Engine engine(eopt);
    config::Diagnostics diags;
    auto t0 = Clock::now();
    if (auto st = LoadEngine(engine, opt.rules, diags); !st) {
        std::fprintf(stderr, "vigil rules check: %s\n", st.error().message.c_str());
        return 2;
    }
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    for (const auto& d : diags.items()) {
        std::printf("%s\n", opt.json ? d.ToJson().c_str() : d.ToString().c_str());
    }
    const auto& s = engine.stats();
    std::fprintf(
        stderr,
        "%zu files, %zu documents: %zu rules loaded, %zu rejected; %zu correlations "
        "loaded, %zu rejected; %zu filters loaded, %zu rejected; %zu errors, %zu warnings; "
        "%zu patterns (%zu checked on demand, %zu regex confirmed by RE2, %zu RE2-only); %.2f "
        "s\n",
        s.files, s.documents, s.rules_loaded, s.rules_rejected, s.correlations_loaded,
        s.correlations_rejected, s.filters_loaded, s.filters_rejected, diags.errors(),
        diags.warnings(), s.patterns, s.patterns_on_demand, s.regex_confirmed, s.regex_only, secs);
    return diags.errors() > 0 ? 1 : 0;
}

}  // namespace vigil::cli
