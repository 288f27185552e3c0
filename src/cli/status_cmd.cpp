#include "cli/status_cmd.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "app/backup.h"
#include "app/data_dir_lock.h"
#include "base/strings.h"

namespace vigil::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kCmd = "vigil status";
// Written by app::IngestPipeline (WriteSnapshot) every second and when serve stops.
constexpr const char* kSnapshot = "run/ingest-status.json";
constexpr int64_t kNs = 1000000000;
// Serve rewrites the snapshot every second; this much older means the pipeline is not ticking.
constexpr int64_t kStaleSeconds = 30;
// A source with an event this recent (before the snapshot) counts as receiving.
constexpr int64_t kReceivingSeconds = 60;
// The snapshot is a few KiB per source; anything this large is not one.
constexpr std::streamsize kMaxSnapshotBytes = 16 << 20;

int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// "4 s", "12 min", "3 h", "2 d".
std::string HumanAge(int64_t seconds) {
    seconds = std::max<int64_t>(seconds, 0);
    if (seconds < 120) return std::to_string(seconds) + " s";
    if (seconds < 2 * 3600) return std::to_string(seconds / 60) + " min";
    if (seconds < 2 * 86400) return std::to_string(seconds / 3600) + " h";
    return std::to_string(seconds / 86400) + " d";
}

// Malformed samples and errors carry bytes from the network: terminal control characters
// (C0, DEL, and C1 as UTF-8) are shown escaped, never sent to the terminal.
std::string Printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    char buf[8];
    for (size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) {
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(s[i + 1]));
            out += buf;
            ++i;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string Str(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
uint64_t Num(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}
std::string Count(const json& j, const char* key) { return std::to_string(Num(j, key)); }

// The program holding the lock: "serve", "restore", "keys" (rotate), or "" when unknown (another
// pid namespace, /proc hidden); unknown is taken to be serve.
std::string HolderCommand(const std::string& pid) {
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) return "";
    std::ifstream in("/proc/" + pid + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    std::stringstream ss(cmdline);
    for (std::string a; std::getline(ss, a, '\0');) args.push_back(a);
    if (args.empty() || fs::path(args[0]).filename().string().find("vigil") == std::string::npos) {
        return "";
    }
    for (size_t i = 1; i < args.size(); ++i) {
        if (args[i] == "serve" || args[i] == "restore" || args[i] == "keys") return args[i];
    }
    return "";
}

struct Snapshot {
    json doc;
    int64_t updated_ns = 0;
};

// nullopt when there is none; an error when it exists but is not a snapshot.
Result<std::optional<Snapshot>> ReadSnapshot(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::error_code ec;
        if (!fs::exists(path, ec) && !ec) return std::optional<Snapshot>();
        return MakeError(Code::kUnavailable, "cannot read " + path.string());
    }
    std::string text(static_cast<size_t>(kMaxSnapshotBytes) + 1, '\0');
    in.read(text.data(), kMaxSnapshotBytes + 1);
    text.resize(static_cast<size_t>(in.gcount()));
    if (text.size() > static_cast<size_t>(kMaxSnapshotBytes)) {
        return MakeError(Code::kDataLoss, path.string() + " is larger than 16 MiB");
    }
    Snapshot s;
    s.doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (s.doc.is_discarded() || !s.doc.is_object()) {
        return MakeError(Code::kDataLoss, path.string() + " is not a JSON object");
    }
    if (auto t = ParseTimestamp(Str(s.doc, "updated_at"))) {
        s.updated_ns = *t;
    } else {
        // Fall back on when the file was written.
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) {
            s.updated_ns = int64_t{st.st_mtim.tv_sec} * kNs + st.st_mtim.tv_nsec;
        }
    }
    return std::optional<Snapshot>(std::move(s));
}

// Rows of cells printed as aligned columns; columns from `first_numeric` on are right-aligned.
void PrintTable(const std::vector<std::vector<std::string>>& rows, size_t first_numeric,
                size_t last_numeric) {
    std::vector<size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()));
        for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c) {
            const std::string pad(width[c] - row[c].size(), ' ');
            const bool right = c >= first_numeric && c <= last_numeric;
            const bool last = c + 1 == row.size();
            line += right ? pad + row[c] : row[c] + (last ? "" : pad);
            if (!last) line += "  ";
        }
        std::printf("%s\n", line.c_str());
    }
}

// The scheduled backups, from the state vigil serve publishes (app::kBackupStatusFile): how
// long since the last good archive, when the next is due, and a warning when the last run
// failed or no archive was written for two intervals.
struct Backups {
    std::optional<Snapshot> state;
    std::string error;  // the file is there but cannot be read
};

void PrintBackups(const Backups& backups, int64_t now, bool running) {
    const std::optional<Snapshot>& state = backups.state;
    if (!backups.error.empty()) {
        std::printf("Backups: status unreadable: %s\n", Printable(backups.error).c_str());
        return;
    }
    if (!state) {
        std::printf("Backups: no backup status yet (vigil serve writes it at start)\n");
        return;
    }
    const json& j = state->doc;
    const auto enabled = j.find("enabled");
    if (enabled == j.end() || !enabled->is_boolean() || !enabled->get<bool>()) {
        std::printf(
            "Backups: off (no backup.interval in vigil.yml; see docs/backup.md). Without "
            "backups a lost disk loses every event, detection and audit record.\n");
        return;
    }
    const auto interval_s = static_cast<int64_t>(Num(j, "interval_seconds"));
    std::string line =
        "Backups: every " + HumanAge(interval_s) + " into " + Printable(Str(j, "dir")) + "; ";
    const auto last_success = ParseTimestamp(Str(j, "last_success_at"));
    if (last_success) {
        line += "last good archive " + HumanAge((now - *last_success) / kNs) + " ago (" +
                Printable(fs::path(Str(j, "last_success_file")).filename().string()) + ")";
    } else {
        line += "no archive yet";
    }
    if (const auto next = ParseTimestamp(Str(j, "next_run_at")); next && running) {
        line += *next > now ? "; next in " + HumanAge((*next - now) / kNs) : "; next due now";
    } else if (!running) {
        line += "; none scheduled while vigil serve is stopped";
    }
    line += "; " + Count(j, "runs") + " runs since start, " + Count(j, "failures") + " failed";
    std::printf("%s\n", line.c_str());
    if (Str(j, "last_result") == "failure") {
        const auto at = ParseTimestamp(Str(j, "last_run_at"));
        std::printf("WARNING: the last scheduled backup failed%s: %s\n",
                    at ? (" " + HumanAge((now - *at) / kNs) + " ago").c_str() : "",
                    Printable(Str(j, "last_error")).c_str());
    }
    // Two intervals: one run may be in progress or just missed by a restart.
    if (interval_s > 0 && last_success && now - *last_success > 2 * interval_s * kNs) {
        std::printf("WARNING: no good backup for %s (one is due every %s)\n",
                    HumanAge((now - *last_success) / kNs).c_str(), HumanAge(interval_s).c_str());
    }
}

void PrintSnapshot(const json& j, int64_t updated_ns, int64_t now, bool running,
                   const Backups& backups) {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"SOURCE", "TYPE", "DECODER", "STATE", "RATE/S", "RECEIVED", "STORED",
                    "MALFORMED", "REFUSED", "DETECTIONS", "LAST EVENT"});
    std::vector<std::string> problems, samples;
    bool dated_ahead = false;  // a source whose events are dated after their receipt
    const json sources = j.contains("sources") && j["sources"].is_array() ? j["sources"] : json();
    for (const json& s : sources) {
        if (!s.is_object()) continue;
        const std::string name = Printable(Str(s, "name"));
        std::string state = "idle";
        std::string last = "never";
        if (auto t = ParseTimestamp(Str(s, "last_received_at"))) {
            last = HumanAge((now - *t) / kNs) + " ago";
            if (updated_ns - *t <= kReceivingSeconds * kNs) state = "receiving";
        }
        const double rate = s.value("rate_per_s", 0.0);
        if (rate > 0) state = "receiving";
        if (s.value("silent", false)) state = "silent";
        if (!running) state = "stopped";
        char rate_text[32];
        std::snprintf(rate_text, sizeof rate_text, "%.1f", rate);
        std::string port = s.contains("port") ? ":" + std::to_string(Num(s, "port")) : "";
        rows.push_back({name, Printable(Str(s, "type")) + port, Printable(Str(s, "decoder")), state,
                        rate_text, Count(s, "received"), Count(s, "stored"), Count(s, "malformed"),
                        Count(s, "refused"), Count(s, "detections"), last});
        // The transport's own trouble, shown only when there is some.
        std::string trouble;
        for (const char* key :
             {"kernel_drops", "oversized", "framing_errors", "tls_failures", "connections_refused",
              "paused", "compressed_skipped", "dated_ahead", "raw_cut", "fields_dropped",
              "values_cut", "utf8_repaired"}) {
            if (const uint64_t n = Num(s, key)) {
                trouble += (trouble.empty() ? "" : ", ") + std::to_string(n) + " " + key;
            }
        }
        if (!trouble.empty() && s.contains("last_transport_error") &&
            s["last_transport_error"].is_string()) {
            trouble += "; last: " + Printable(s["last_transport_error"].get<std::string>());
        }
        if (!trouble.empty()) problems.push_back("  " + name + ": " + trouble);
        dated_ahead = dated_ahead || Num(s, "dated_ahead") > 0;
        if (s.contains("malformed_samples") && s["malformed_samples"].is_array() &&
            !s["malformed_samples"].empty()) {
            samples.push_back("  " + name + ":");
            for (const json& line : s["malformed_samples"]) {
                if (line.is_string())
                    samples.push_back("    " + Printable(line.get<std::string>()));
            }
        }
    }
    PrintTable(rows, 4, 9);
    std::printf("\n");
    std::printf(
        "Totals:  %llu accepted, %llu stored, %llu duplicates (already stored), %llu "
        "detections, %llu store errors\n",
        static_cast<unsigned long long>(Num(j, "accepted_total")),
        static_cast<unsigned long long>(Num(j, "stored_total")),
        static_cast<unsigned long long>(Num(j, "duplicates_total")),
        static_cast<unsigned long long>(Num(j, "detections_total")),
        static_cast<unsigned long long>(Num(j, "store_errors")));
    if (j.contains("buffer") && j["buffer"].is_object()) {
        const json& b = j["buffer"];
        std::printf(
            "Buffer:  %llu messages in memory; spool: %llu records (%s) waiting, %llu spooled "
            "in all, %llu refused (full)\n",
            static_cast<unsigned long long>(Num(b, "memory_messages")),
            static_cast<unsigned long long>(Num(b, "spooled_records")),
            FormatBytes(Num(b, "spooled_bytes")).c_str(),
            static_cast<unsigned long long>(Num(b, "spooled_total")),
            static_cast<unsigned long long>(Num(b, "refused_total")));
    }
    // Without the resident figures (/proc unreadable) there is nothing to say.
    if (j.contains("process") && j["process"].is_object() &&
        j["process"].contains("resident_bytes")) {
        const json& p = j["process"];
        std::printf("Memory:  %s resident (peak %s), of which SQLite %s (peak %s)\n",
                    FormatBytes(Num(p, "resident_bytes")).c_str(),
                    FormatBytes(Num(p, "peak_resident_bytes")).c_str(),
                    FormatBytes(Num(p, "sqlite_heap_bytes")).c_str(),
                    FormatBytes(Num(p, "sqlite_heap_peak_bytes")).c_str());
    }
    std::printf("Rules:   %llu loaded, %llu rejected (see vigil rules check); %llu workers\n",
                static_cast<unsigned long long>(Num(j, "rules_loaded")),
                static_cast<unsigned long long>(Num(j, "rules_rejected")),
                static_cast<unsigned long long>(Num(j, "workers")));
    if (const uint64_t evicted = Num(j, "correlation_groups_evicted"); evicted > 0) {
        // Each is a group a correlation forgot at its cap (those matched only once go first).
        std::printf(
            "Correlations: %llu groups dropped at the group cap (matched once first); a "
            "correlation may have missed a detection\n",
            static_cast<unsigned long long>(evicted));
    }
    PrintBackups(backups, now, running);
    const std::string error = Str(j, "last_error");
    std::printf("Last error: %s\n", error.empty() ? "none" : Printable(error).c_str());
    if (!problems.empty()) {
        std::printf("\nTransport problems:\n");
        for (const auto& p : problems) std::printf("%s\n", p.c_str());
        if (dated_ahead) {
            std::printf(
                "  (dated_ahead: events dated more than 15 min after they arrived: the sender's "
                "clock is ahead, or its times without a zone are read in the wrong one; set the "
                "source's timezone, docs/ingestion.md)\n");
        }
    }
    if (!samples.empty()) {
        std::printf(
            "\nMalformed samples (the latest per source; stored as text with the reason):\n");
        for (const auto& s : samples) std::printf("%s\n", s.c_str());
    }
}

}  // namespace

int RunStatus(const StatusOptions& opt) {
    const fs::path dir = opt.data_dir;
    std::error_code ec;
    auto denied = [&] {
        std::fprintf(stderr,
                     "%s: cannot read %s: permission denied (a data directory is mode 0700: run "
                     "vigil status as the account vigil serve runs as, or as root)\n",
                     kCmd, dir.string().c_str());
        return 2;
    };
    const bool is_dir = fs::is_directory(dir, ec);
    if (ec == std::errc::permission_denied) return denied();
    if (!is_dir) {
        std::fprintf(
            stderr, "%s: the data directory %s does not exist%s\n", kCmd, dir.string().c_str(),
            ec && ec != std::errc::no_such_file_or_directory ? (" (" + ec.message() + ")").c_str()
                                                             : "");
        return 2;
    }
    const bool has_config = fs::exists(dir / "vigil.yml", ec);
    if (ec == std::errc::permission_denied) return denied();
    if (!has_config) {
        std::fprintf(stderr,
                     "%s: %s is not a vigil data directory: it has no vigil.yml (see vigil "
                     "init)\n",
                     kCmd, dir.string().c_str());
        return 2;
    }
    auto lock = app::ProbeDataDirLock(dir);
    if (!lock) {
        std::fprintf(stderr, "%s: %s\n", kCmd, lock.error().message.c_str());
        return lock.error().code == Code::kPermissionDenied ? 2 : 1;
    }
    std::string holder = lock->held ? HolderCommand(lock->pid) : "";
    if (lock->held && holder.empty()) holder = "serve";
    const bool running = lock->held && holder == "serve";

    auto snapshot = ReadSnapshot(dir / kSnapshot);
    if (!snapshot) {
        std::fprintf(stderr, "%s: %s\n", kCmd, snapshot.error().message.c_str());
        return 1;
    }
    const int64_t now = NowNs();
    const Snapshot* snap = *snapshot ? &**snapshot : nullptr;
    const int64_t age_s = snap ? std::max<int64_t>(0, (now - snap->updated_ns) / kNs) : 0;
    // Serve took the lock (and stamped the lock file) before its pipeline started, so a snapshot
    // older than that is the previous run's.
    const bool from_this_run = snap && running && snap->updated_ns + kNs >= lock->since_ns;
    const bool stale = running && (!from_this_run || age_s > kStaleSeconds);
    const int code = !running ? kStatusExitNotRunning : stale ? kStatusExitStale : 0;

    // The backup state is a side line: unreadable, it is said so, and the rest still shown.
    Backups backups;
    if (auto read = ReadSnapshot(dir / app::kBackupStatusFile)) {
        backups.state = std::move(*read);
    } else {
        backups.error = read.error().message;
    }

    if (opt.json) {
        json out = snap ? snap->doc : json::object();
        if (backups.state) out["backup"] = backups.state->doc;
        out["running"] = running;
        out["age_seconds"] = snap ? json(age_s) : json(nullptr);
        out["stale"] = stale;
        std::printf("%s\n", out.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
        return code;
    }

    const std::string pid = lock->pid.empty() ? "unknown" : lock->pid;
    if (running) {
        std::printf("vigil serve: running on %s (pid %s, started %s ago)\n", dir.string().c_str(),
                    pid.c_str(), HumanAge((now - lock->since_ns) / kNs).c_str());
    } else if (lock->held) {
        std::printf("vigil serve: not running on %s; vigil %s holds it (pid %s)\n",
                    dir.string().c_str(), holder.c_str(), pid.c_str());
    } else {
        std::printf("vigil serve: not running on %s\n", dir.string().c_str());
    }
    if (!snap) {
        std::printf(running ? "WARNING: no status snapshot yet (%s); vigil serve writes one "
                              "every second\n"
                            : "No status snapshot: ingestion has not run on this data "
                              "directory (%s)\n",
                    (dir / kSnapshot).string().c_str());
        PrintBackups(backups, now, running);
        return code;
    }
    const std::string at = FormatTimestamp(snap->updated_ns);
    if (!running) {
        std::printf("Last snapshot: the state when vigil serve stopped, %s ago (%s)\n",
                    HumanAge(age_s).c_str(), at.c_str());
    } else if (!from_this_run) {
        std::printf(
            "WARNING: no snapshot from this run yet; showing the previous run's, written %s ago "
            "(%s). vigil serve writes one every second: if this stays, ingestion is stalled.\n",
            HumanAge(age_s).c_str(), at.c_str());
    } else if (stale) {
        std::printf(
            "WARNING: the status snapshot is stale: updated %s ago (%s), but vigil serve writes "
            "one every second. Ingestion looks stalled (the store failing or blocked?): see the "
            "last error below and the log of vigil serve.\n",
            HumanAge(age_s).c_str(), at.c_str());
    } else {
        std::printf("Snapshot: updated %s ago (%s)\n", HumanAge(age_s).c_str(), at.c_str());
    }
    std::printf("\n");
    try {
        PrintSnapshot(snap->doc, snap->updated_ns, now, running, backups);
    } catch (const json::exception& e) {
        std::fprintf(stderr, "%s: %s is not a status snapshot: %s\n", kCmd,
                     (dir / kSnapshot).string().c_str(), e.what());
        return 1;
    }
    return code;
}

}  // namespace vigil::cli
