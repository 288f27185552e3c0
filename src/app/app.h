#pragma once
// The composition root of `vigil serve`: ordered start-up steps, each returning a Status,
// and a teardown list that always runs (newest first), whether a later step failed, Stop()
// was called or the App is destroyed.
//
//   1. config      DIR/vigil.yml (bind, port, TLS paths, data paths, auth policy, backup)
//   1b. lock       DIR/vigil.lock (flock): one process per data directory
//   2. database    DIR/state.db; auth and audit migrations
//   3. keys        the seal key ring (keys/seal.key) and the audit signing key
//   4. audit       SqliteAuditLog appending with the signing key
//   4b. backups    the BackupScheduler (when backup.interval is set)
//   5. users       UserStore, sessions, lockout
//   6. routes      the Router with the sign-in routes (auth_api) and the management routes
//                  (admin_api); the web console's files loaded
//   7. server      api::Server (TLS 1.3) started; "server.start" audited
//   8. maintenance a thread applying audit retention at start and every interval
//
// Teardown: the server stops (in-flight requests finish), "server.stop" is audited and the
// chain head signed, then the stores and the database close.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "api/router.h"
#include "app/sessions.h"
#include "auth/lockout.h"
#include "auth/user_store.h"
#include "base/result.h"

namespace vigil::app {

struct ServeOptions {
    std::filesystem::path data_dir;
    std::optional<uint16_t> port;       // overrides server.port (0: an ephemeral port)
    std::optional<std::string> bind;    // overrides server.bind
    auth::UserStoreOptions user_store;  // tests use small argon2 parameters
    SessionOptions sessions;
    auth::LockoutPolicy lockout;
    std::function<int64_t()> clock;  // ns since the epoch; the system clock when empty
    int threads = 1;
    // How often the audit retention (config retention_days) is applied; also once at start.
    std::chrono::nanoseconds maintenance_interval = std::chrono::hours(24);
    // The built web console (web/dist). Unset: the build tree's web/dist when it exists,
    // else no console (the API alone). Set but unloadable: Start() fails.
    std::optional<std::filesystem::path> console_dir;
};

class App {
public:
    explicit App(ServeOptions options);
    ~App();  // Stop()
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Runs the steps in order; on the first failure runs the teardown of the steps done so far
    // and returns the error with the step's name ("opening the state database: ...").
    Status Start();
    // The bound port after Start().
    uint16_t port() const;
    const std::string& bind() const;
    // The bound port of an ingestion listener source (0 when unknown).
    uint16_t ingest_port(const std::string& source) const;
    // Waits until every message received so far is stored (tests); false on timeout.
    bool WaitIngestIdle(std::chrono::milliseconds timeout) const;
    // The served route table (empty before Start()).
    std::span<const api::Route> routes() const;
    // Where the console was loaded from; empty when the server runs without it.
    const std::filesystem::path& console_dir() const;
    // Runs the teardown list (once).
    void Stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// `vigil serve`: blocks SIGINT/SIGTERM, starts the App, prints
// "vigil serve: listening on https://BIND:PORT", waits for a signal and stops gracefully.
// Returns the exit code: 0 after a signal, 2 for configuration errors, 1 otherwise.
int RunServe(const ServeOptions& options);

}  // namespace vigil::app
