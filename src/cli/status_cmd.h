#pragma once
// `vigil status --data DIR [--json]`: whether `vigil serve` runs on DIR (it holds DIR/vigil.lock)
// and the ingestion counters it last wrote to DIR/run/ingest-status.json (every 5 s and at stop;
// the same JSON as GET /api/v1/ingest/status). Reads files only: no credentials, no network,
// and nothing in DIR is changed. DIR is mode 0700, so this is for the service account or root.
//
// Exit codes (see docs/status.md):
//   0  serve runs and the snapshot is current (at most 30 s old)
//   1  the snapshot cannot be read or is not valid
//   2  usage error, or DIR is not a (readable) Vigil data directory
//   3  serve is not running on DIR (the last snapshot, if any, is shown as the state at stop)
//   4  serve runs but there is no current snapshot (none yet, or older than 30 s: stalled)

#include <string>

namespace vigil::cli {

inline constexpr int kStatusExitNotRunning = 3;
inline constexpr int kStatusExitStale = 4;

struct StatusOptions {
    std::string data_dir;
    bool json = false;
};

int RunStatus(const StatusOptions& options);

}  // namespace vigil::cli
