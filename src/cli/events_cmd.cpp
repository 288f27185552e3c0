#include "cli/events_cmd.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>

#include <CLI/CLI.hpp>

#include "base/strings.h"
#include "store/sqlite_event_store.h"

namespace vigil::cli {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void OnEventsInterrupt(int) { g_interrupted = 1; }

void CatchInterrupts() {
    struct sigaction sa {};
    sa.sa_handler = OnEventsInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// RFC 3339, "now", or a duration ago: "30s", "15m", "24h", "7d".
std::optional<int64_t> ParseTime(std::string_view s, int64_t now) {
    if (s == "now") return now;
    if (s.size() >= 2) {
        const char unit = s.back();
        int64_t scale = 0;
        if (unit == 's') scale = 1;
        if (unit == 'm') scale = 60;
        if (unit == 'h') scale = 3600;
        if (unit == 'd') scale = 86400;
        if (scale != 0) {
            auto n = ParseInt(s.substr(0, s.size() - 1));
            if (n && *n >= 0 && *n <= 100LL * 366 * 86400 / scale) {
                return now - *n * scale * 1000000000LL;
            }
        }
    }
    return ParseTimestamp(s);
}

void AppendFieldsJson(const event::Event& e, std::string& out) {
    // Repeated names (JSON arrays flattened by the decoder) become arrays again.
    std::vector<std::string_view> order;
    std::map<std::string_view, std::vector<event::FieldView>> by_name;
    for (size_t i = 0; i < e.size(); ++i) {
        auto f = e.field(i);
        auto& list = by_name[f.name];
        if (list.empty()) order.push_back(f.name);
        list.push_back(f);
    }
    auto value = [&](const event::FieldView& f) { event::AppendJsonValue(out, f); };
    out += "{";
    for (size_t i = 0; i < order.size(); ++i) {
        if (i > 0) out += ",";
        AppendJsonString(out, order[i]);
        out += ":";
        const auto& list = by_name[order[i]];
        if (list.size() == 1) {
            value(list[0]);
            continue;
        }
        out += "[";
        for (size_t k = 0; k < list.size(); ++k) {
            if (k > 0) out += ",";
            value(list[k]);
        }
        out += "]";
    }
    out += "}";
}

std::string HitJson(const store::SearchHit& h) {
    const store::StoredEvent& e = h.event;
    std::string out = "{\"id\":\"" + h.id.ToString() + "\",\"time\":";
    AppendJsonString(out, FormatTimestamp(h.time_ns));
    out += ",\"event_time\":";
    if (e.event.time_ns != 0) {
        AppendJsonString(out, FormatTimestamp(e.event.time_ns));
    } else {
        out += "null";
    }
    out += ",\"receive_time\":";
    AppendJsonString(out, FormatTimestamp(e.receive_ns));
    out += ",\"source\":";
    AppendJsonString(out, e.source);
    out += ",\"host\":";
    AppendJsonString(out, e.host);
    out += ",\"logsource\":{\"product\":";
    AppendJsonString(out, e.event.logsource.product);
    out += ",\"service\":";
    AppendJsonString(out, e.event.logsource.service);
    out += ",\"categories\":[";
    for (size_t i = 0; i < e.event.logsource.categories.size(); ++i) {
        if (i > 0) out += ",";
        AppendJsonString(out, e.event.logsource.categories[i]);
    }
    out += "]},\"fields\":";
    AppendFieldsJson(e.event, out);
    out += ",\"raw\":";
    AppendJsonString(out, e.event.message);
    out += "}";
    return out;
}

// One line for people: time, host, source, then the raw message (or the fields without one).
std::string HitLine(const store::SearchHit& h) {
    std::string line =
        FormatTimestamp(h.time_ns) + "  " + h.event.host + "  " + h.event.source + "  ";
    std::string text = h.event.event.message;
    if (text.empty()) AppendFieldsJson(h.event.event, text);
    for (char& c : text) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    return line + text;
}

// Progress on a terminal once a search has run for a second; Ctrl-C stops it.
class SearchProgressLine {
public:
    explicit SearchProgressLine(const char* cmd)
        : cmd_(cmd),
          enabled_(::isatty(STDERR_FILENO) != 0),
          start_(std::chrono::steady_clock::now()) {}
    ~SearchProgressLine() { Done(); }

    store::ProgressFn Callback() {
        return [this](const store::SearchProgress& p) {
            if (g_interrupted != 0) return false;
            if (!enabled_) return true;
            const auto now = std::chrono::steady_clock::now();
            if (now - start_ < std::chrono::seconds(1)) return true;
            if (shown_ && now - last_ < std::chrono::milliseconds(100)) return true;
            last_ = now;
            shown_ = true;
            std::fprintf(stderr, "\r%s: partition %zu of %zu, %llu events examined   ", cmd_,
                         p.partitions_done + 1, p.partitions_total,
                         static_cast<unsigned long long>(p.scanned));
            std::fflush(stderr);
            return true;
        };
    }
    void Done() {
        if (shown_) std::fprintf(stderr, "\n");
        shown_ = false;
    }

private:
    const char* cmd_;
    bool enabled_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_{};
};

Result<std::unique_ptr<store::SqliteEventStore>> OpenReadOnly(const std::string& dir) {
    store::OpenEventStoreOptions options;
    options.read_only = true;
    options.background_index = false;
    return store::SqliteEventStore::Open(dir, options);
}

int ExitCode(const Error& e) {
    if (e.code == Code::kCancelled) return 130;
    if (e.code == Code::kInvalidArgument || e.code == Code::kNotFound) return 2;
    return 1;
}

}  // namespace

int RunEventsSearch(const EventsSearchOptions& opt) {
    constexpr const char* kCmd = "vigil events search";
    const int64_t now = NowNs();
    store::SearchQuery q;
    auto since = ParseTime(opt.since.empty() ? "24h" : opt.since, now);
    auto until = opt.until.empty() ? std::optional<int64_t>(now + 1) : ParseTime(opt.until, now);
    if (!since || !until) {
        std::fprintf(stderr, "%s: bad time '%s' (RFC 3339, 'now', or 30s/15m/24h/7d ago)\n", kCmd,
                     (!since ? opt.since : opt.until).c_str());
        return 2;
    }
    q.since_ns = *since;
    q.until_ns = *until;
    for (const std::string& w : opt.where) {
        auto term = store::ParseWhere(w);
        if (!term) {
            std::fprintf(stderr, "%s: --where %s\n", kCmd, term.error().message.c_str());
            return 2;
        }
        q.where.push_back(std::move(*term));
    }
    q.text = opt.text;
    q.limit = opt.limit;
    q.cursor = opt.cursor;

    auto store = OpenReadOnly(opt.data_dir);
    if (!store) {
        std::fprintf(stderr, "%s: %s\n", kCmd, store.error().message.c_str());
        return ExitCode(store.error());
    }
    CatchInterrupts();
    SearchProgressLine progress(kCmd);
    auto page = (*store)->Search(q, progress.Callback());
    progress.Done();
    if (!page) {
        std::fprintf(
            stderr, "%s: %s\n", kCmd,
            page.error().code == Code::kCancelled ? "interrupted" : page.error().message.c_str());
        return ExitCode(page.error());
    }
    for (const store::SearchHit& h : page->hits) {
        std::printf("%s\n", (opt.json ? HitJson(h) : HitLine(h)).c_str());
    }
    std::fprintf(stderr, "%zu events (%llu examined in %zu partitions)%s%s\n", page->hits.size(),
                 static_cast<unsigned long long>(page->scanned), page->partitions,
                 page->next_cursor.empty() ? "" : "; next page: --cursor ",
                 page->next_cursor.c_str());
    return 0;
}

int RunEventsGet(const EventsGetOptions& opt) {
    constexpr const char* kCmd = "vigil events get";
    store::EventLookup lookup;
    for (const std::string& text : opt.ids) {
        auto id = store::EventId::Parse(text);
        if (!id) {
            std::fprintf(stderr, "%s: '%s' is not an event id (a UUID)\n", kCmd, text.c_str());
            return 2;
        }
        lookup.ids.push_back(*id);
    }
    if (lookup.ids.size() > store::kMaxLookupIds) {
        std::fprintf(stderr, "%s: at most %zu ids at a time\n", kCmd, store::kMaxLookupIds);
        return 2;
    }
    if (!opt.time.empty()) {
        auto t = ParseTime(opt.time, NowNs());
        if (!t) {
            std::fprintf(stderr, "%s: bad time '%s' (RFC 3339, 'now', or 30s/15m/24h/7d ago)\n",
                         kCmd, opt.time.c_str());
            return 2;
        }
        lookup.time_hint_ns = *t;
    }
    auto store = OpenReadOnly(opt.data_dir);
    if (!store) {
        std::fprintf(stderr, "%s: %s\n", kCmd, store.error().message.c_str());
        return ExitCode(store.error());
    }
    auto hits = (*store)->GetEvents(lookup);
    if (!hits) {
        std::fprintf(stderr, "%s: %s\n", kCmd, hits.error().message.c_str());
        return ExitCode(hits.error());
    }
    size_t missing = 0;
    for (const store::EventId& id : lookup.ids) {
        const auto hit = std::find_if(hits->begin(), hits->end(),
                                      [&](const store::SearchHit& h) { return h.id == id; });
        if (hit == hits->end()) {
            ++missing;
            std::fprintf(stderr, "%s: %s: not stored (never, or past the retention period)\n", kCmd,
                         id.ToString().c_str());
            continue;
        }
        std::printf("%s\n", (opt.json ? HitJson(*hit) : HitLine(*hit)).c_str());
    }
    return missing == 0 ? 0 : 1;
}

int RunEventsStats(const EventsStatsOptions& opt) {
    constexpr const char* kCmd = "vigil events stats";
    auto store = OpenReadOnly(opt.data_dir);
    if (!store) {
        std::fprintf(stderr, "%s: %s\n", kCmd, store.error().message.c_str());
        return ExitCode(store.error());
    }
    auto stats = (*store)->Stats();
    if (!stats) {
        std::fprintf(stderr, "%s: %s\n", kCmd, stats.error().message.c_str());
        return ExitCode(stats.error());
    }
    if (opt.json) {
        std::string out = "{\"events\":" + std::to_string(stats->events) +
                          ",\"bytes\":" + std::to_string(stats->bytes) +
                          ",\"detections\":" + std::to_string(stats->detections) +
                          ",\"partitions\":[";
        for (size_t i = 0; i < stats->partitions.size(); ++i) {
            const auto& p = stats->partitions[i];
            if (i > 0) out += ",";
            out += "{\"day\":\"" + p.day + "\",\"path\":";
            AppendJsonString(out, p.path);
            out += ",\"events\":" + std::to_string(p.events) +
                   ",\"unindexed\":" + std::to_string(p.unindexed) +
                   ",\"bytes\":" + std::to_string(p.bytes) + "}";
        }
        out += "]}";
        std::printf("%s\n", out.c_str());
        return 0;
    }
    std::printf("%-12s %12s %12s %10s  %s\n", "day", "events", "unindexed", "size", "span (UTC)");
    for (const auto& p : stats->partitions) {
        std::string span = p.events == 0 ? "-"
                                         : FormatTimestamp(p.min_time_ns) + " .. " +
                                               FormatTimestamp(p.max_time_ns);
        std::printf("%-12s %12llu %12llu %10s  %s\n", p.day.c_str(),
                    static_cast<unsigned long long>(p.events),
                    static_cast<unsigned long long>(p.unindexed), FormatBytes(p.bytes).c_str(),
                    span.c_str());
    }
    std::printf("%zu partitions, %llu events, %llu detections, %s\n", stats->partitions.size(),
                static_cast<unsigned long long>(stats->events),
                static_cast<unsigned long long>(stats->detections),
                FormatBytes(stats->bytes).c_str());
    return 0;
}

void EventsCommands::Register(CLI::App& app) {
    auto* events = app.add_subcommand("events", "Stored events: search, read by id, statistics");
    events->require_subcommand(1);
    search_cmd_ = events->add_subcommand(
        "search", "Search stored events, newest first (read-only; safe next to vigil serve)");
    search_cmd_->add_option("--data", search_.data_dir, "Data directory")->required();
    search_cmd_->add_option("--since", search_.since,
                            "Start: RFC 3339 time, or 30s/15m/24h/7d ago (default 24h)");
    search_cmd_->add_option("--until", search_.until, "End (exclusive; default now)");
    search_cmd_->add_option("--where", search_.where, "field=value, exact (repeat: all must match)")
        ->expected(1)
        ->take_all();
    search_cmd_->add_option("--text", search_.text,
                            "Substring of the raw message, case-insensitive");
    search_cmd_->add_option("--limit", search_.limit, "Events per page")
        ->check(CLI::Range(size_t{1}, store::kMaxSearchLimit));
    search_cmd_->add_option("--cursor", search_.cursor, "Continue after a previous page");
    search_cmd_->add_flag("--json", search_.json, "One JSON object per event");
    get_cmd_ = events->add_subcommand(
        "get", "Stored events by id, e.g. a detection's event ids (read-only)");
    get_cmd_->add_option("--data", get_.data_dir, "Data directory")->required();
    get_cmd_->add_option("--time", get_.time,
                         "The events' time when known (a detection's): that day and the next and "
                         "previous are read first");
    get_cmd_->add_flag("--json", get_.json, "One JSON object per event");
    get_cmd_->add_option("ids", get_.ids, "Event ids (UUIDs)")->required();
    stats_cmd_ = events->add_subcommand("stats", "Partitions, event counts and sizes");
    stats_cmd_->add_option("--data", stats_.data_dir, "Data directory")->required();
    stats_cmd_->add_flag("--json", stats_.json, "As JSON");
}

std::optional<int> EventsCommands::Run() const {
    if (search_cmd_ && search_cmd_->parsed()) return RunEventsSearch(search_);
    if (get_cmd_ && get_cmd_->parsed()) return RunEventsGet(get_);
    if (stats_cmd_ && stats_cmd_->parsed()) return RunEventsStats(stats_);
    return std::nullopt;
}

}  // namespace vigil::cli
