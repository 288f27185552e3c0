#pragma once
// `vigil events search`, `vigil events get` and `vigil events stats` over the event store of a
// data directory (see docs/events.md). They open the store read-only: they never write to it,
// so they can run next to `vigil serve`.
//
//   vigil events search --data DIR [--since T] [--until T] [--where k=v]... [--text WORD]
//                       [--limit N] [--cursor C] [--json]
//   vigil events get --data DIR [--time T] [--json] ID...
//   vigil events stats --data DIR [--json]
//
// T is an RFC 3339 time ("2025-11-26T08:00:00Z") or a relative one ("15m", "24h", "7d" ago).
// The default range is the last 24 hours.
//
// Exit codes: 0 done (also when nothing matched); 1 the store could not be read, or (get) an id
// is not stored; 2 usage error; 130 interrupted (Ctrl-C).

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace vigil::cli {

struct EventsSearchOptions {
    std::string data_dir;
    std::string since;
    std::string until;
    std::vector<std::string> where;
    std::string text;
    size_t limit = 100;
    std::string cursor;
    bool json = false;
};

struct EventsGetOptions {
    std::string data_dir;
    std::vector<std::string> ids;
    std::string time;  // the events' time, when known (a detection's): read its day first
    bool json = false;
};

struct EventsStatsOptions {
    std::string data_dir;
    bool json = false;
};

int RunEventsSearch(const EventsSearchOptions& options);
int RunEventsGet(const EventsGetOptions& options);
int RunEventsStats(const EventsStatsOptions& options);

class EventsCommands {
public:
    void Register(CLI::App& app);
    std::optional<int> Run() const;

private:
    EventsSearchOptions search_;
    EventsGetOptions get_;
    EventsStatsOptions stats_;
    CLI::App* search_cmd_ = nullptr;
    CLI::App* get_cmd_ = nullptr;
    CLI::App* stats_cmd_ = nullptr;
};

}  // namespace vigil::cli
