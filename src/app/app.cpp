#include "app/app.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "api/server.h"
#include "api/static_files.h"
#include "app/admin_api.h"
#include "app/auth_api.h"
#include "app/backup.h"
#include "app/config.h"
#include "app/data_dir_lock.h"
#include "app/events_api.h"
#include "app/ingest_pipeline.h"
#include "app/keys_rotate.h"
#include "audit/keys.h"
#include "audit/record.h"
#include "audit/sqlite_log.h"
#include "auth/seal.h"
#include "base/strings.h"
#include "store/database.h"
#include "store/sqlite_event_store.h"

namespace vigil::app {

namespace {

int64_t SystemNowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

struct App::Impl {
    ServeOptions options;
    std::optional<DataDirLock> lock;
    ServeConfig config;
    std::unique_ptr<BackupScheduler> backups;
    std::unique_ptr<store::SqliteEventStore> events;
    std::unique_ptr<IngestPipeline> ingest;
    std::optional<store::Database> db;
    std::optional<auth::KeyRing> keys;
    std::optional<audit::SigningKey> signing_key;  // moved into the audit log in step 4
    std::optional<audit::PublicKey> audit_public_key;
    std::optional<audit::SqliteAuditLog> audit;
    std::optional<auth::UserStore> users;
    std::unique_ptr<SessionTable> sessions;
    std::unique_ptr<auth::Lockout> lockout;
    std::unique_ptr<AuthApi> auth_api;
    std::optional<api::Router> router;
    std::unique_ptr<api::Server> server;
    std::shared_ptr<const api::StaticFiles> console;
    std::filesystem::path console_dir;
    int64_t started_at_ns = 0;

    std::vector<std::function<void()>> teardown;

    // Maintenance thread: audit retention.
    std::thread maintenance;
    std::mutex maintenance_mu;
    std::condition_variable maintenance_cv;
    bool maintenance_stop = false;

    int64_t Now() const { return options.clock(); }

    // One process per data directory: restore and key rotation refuse while serve runs.
    Status LockDirectory() {
        auto l = LockDataDir(options.data_dir);
        if (!l) return tl::unexpected(std::move(l.error()));
        lock.emplace(std::move(*l));
        teardown.push_back([this] { lock.reset(); });
        return Ok();
    }

    Status LoadConfig() {
        auto config_or = LoadServeConfig(options.data_dir / "vigil.yml");
        if (!config_or) return tl::unexpected(std::move(config_or.error()));
        config = std::move(*config_or);
        if (options.port) config.port = *options.port;
        if (options.bind) config.bind = *options.bind;
        // The auth section tightens or relaxes policy within the bounds the parser enforces.
        const ServeConfig::Auth& a = config.auth;
        auth::PasswordPolicy& policy = options.user_store.policy;
        policy.min_length = static_cast<size_t>(a.password_min_length);
        policy.min_classes = a.password_min_classes;
        policy.history = static_cast<size_t>(a.password_history);
        policy.max_age_days = a.password_max_age_days;
        options.lockout.account_max_failures = a.lockout_account_failures;
        options.lockout.ip_max_failures = a.lockout_ip_failures;
        constexpr int64_t kMinute = int64_t{60} * 1000000000;
        options.sessions.idle_timeout_ns = a.session_idle_minutes * kMinute;
        options.sessions.absolute_timeout_ns = a.session_absolute_hours * 60 * kMinute;
        return Ok();
    }

    Status OpenDatabase() {
        store::OpenOptions open;
        open.create = false;           // `vigil init` creates it; a typo must not start empty
        open.synchronous_full = true;  // an acknowledged audit record survives a power cut
        auto db_or = store::Database::Open(config.state_db, open);
        if (!db_or) {
            return tl::unexpected(
                std::move(db_or.error())
                    .WithContext(config.state_db.string() + " (run `vigil init` first)"));
        }
        db.emplace(std::move(*db_or));
        teardown.push_back([this] { db.reset(); });
        if (auto m = store::Migrate(*db, "auth", auth::AuthMigrations()); !m) {
            return tl::unexpected(std::move(m.error()).WithContext("auth schema"));
        }
        if (auto m = store::Migrate(*db, "audit", audit::AuditMigrations()); !m) {
            return tl::unexpected(std::move(m.error()).WithContext("audit schema"));
        }
        return Ok();
    }

    Status LoadKeys() {
        // Also the keys an interrupted `vigil keys rotate` left, so sign-in keeps working.
        auto ring = LoadSealKeyRing(config.seal_key);
        if (!ring) return tl::unexpected(std::move(ring.error()));
        keys.emplace(std::move(*ring));
        auto signer = audit::SigningKey::LoadFromFile(config.audit_signing_key);
        if (!signer) return tl::unexpected(std::move(signer.error()));
        audit_public_key = signer->public_key();
        signing_key.emplace(std::move(*signer));
        teardown.push_back([this] {
            signing_key.reset();
            keys.reset();
        });
        return Ok();
    }

    Status OpenAudit() {
        audit::ChainOptions chain;
        chain.clock = options.clock;
        auto log = audit::SqliteAuditLog::Open(*db, std::move(*signing_key), chain);
        signing_key.reset();
        if (!log) return tl::unexpected(std::move(log.error()));
        audit.emplace(std::move(*log));
        teardown.push_back([this] {
            // Sign the head so the records of this run are covered by a checkpoint (an empty
            // log has no head to sign).
            auto state = audit->StoredState();
            if (!state || state->last_seq == 0) {
                audit.reset();
                return;
            }
            if (auto c = audit->MakeCheckpoint(); !c) {
                std::fprintf(stderr, "vigil serve: signing the audit head: %s\n",
                             c.error().message.c_str());
            }
            audit.reset();
        });
        return Ok();
    }

    // Configuration changes are made by editing vigil.yml; each start compares its SHA-256
    // with the one the trail last recorded and records a change (the first start records the
    // initial configuration), so the trail shows when the configuration changed and between
    // which versions.
    Status RecordConfiguration() {
        std::ifstream in(options.data_dir / "vigil.yml", std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        const std::string hash = audit::Sha256Hex(text.str());
        audit::RecordQuery q;
        q.action = "config.change";
        q.limit = 1;
        auto last = audit->Query(q);
        if (!last) return tl::unexpected(std::move(last.error()));
        const std::string before = last->empty() ? "" : last->front().after;
        if (before == hash) return Ok();
        audit::Record r;
        r.time_ns = Now();
        r.actor = "system";
        r.action = "config.change";
        r.object = (options.data_dir / "vigil.yml").string();
        r.before = before;
        r.after = hash;
        r.result = "success";
        r.detail = before.empty() ? "configuration in effect (SHA-256 of vigil.yml)"
                                  : "vigil.yml changed since the last start (SHA-256 before/after)";
        if (auto a = audit->Append(std::move(r)); !a) return tl::unexpected(std::move(a.error()));
        return Ok();
    }

    Status StartBackups() {
        BackupSchedulerOptions o;
        o.data_dir = options.data_dir;
        o.config = config.backup;
        o.clock = options.clock;
        o.log = [](const std::string& message) {
            std::fprintf(stderr, "vigil serve: backups: %s\n", message.c_str());
        };
        backups = std::make_unique<BackupScheduler>(std::move(o));
        teardown.push_back([this] { backups.reset(); });  // stops a run in progress
        return backups->Start();
    }

    // The event store (DIR/events/) and the ingestion pipeline: the HTTP intake always, plus
    // the listeners and tailers vigil.yml configures.
    Status StartIngestion() {
        auto store = store::SqliteEventStore::Open(options.data_dir);
        if (!store) return tl::unexpected(std::move(store.error()).WithContext("event store"));
        events = std::move(*store);
        teardown.push_back([this] { events.reset(); });
        IngestPipelineOptions o;
        o.data_dir = options.data_dir;
        o.config = config.ingest;
        o.tls_cert = config.tls_cert.string();
        o.tls_key = config.tls_key.string();
        o.allow_tls12 = config.tls_min_version == "1.2";
        o.clock = options.clock;
        ingest = std::make_unique<IngestPipeline>(std::move(o), *events);
        teardown.push_back([this] { ingest.reset(); });  // stops sources, drains memory
        return ingest->Start();
    }

    std::string BackupStatusJson() const { return BackupSchedulerStateJson(backups->State()); }

    Status OpenUsers() {
        auto store = auth::UserStore::Open(*db, options.user_store);
        if (!store) return tl::unexpected(std::move(store.error()));
        users.emplace(std::move(*store));
        sessions = std::make_unique<SessionTable>(options.sessions);
        lockout = std::make_unique<auth::Lockout>(options.lockout);
        teardown.push_back([this] {
            lockout.reset();
            sessions.reset();
            users.reset();
        });
        return Ok();
    }

    Status BuildRoutes() {
        AuthApiDeps deps;
        deps.users = &*users;
        deps.audit = &*audit;
        deps.keys = &*keys;
        deps.audit_public_key = *audit_public_key;
        deps.sessions = sessions.get();
        deps.lockout = lockout.get();
        deps.clock = options.clock;
        auth_api = std::make_unique<AuthApi>(std::move(deps));
        teardown.push_back([this] { auth_api.reset(); });
        router.emplace();
        if (auto st = auth_api->AddRoutes(*router); !st) return st;
        AdminApiDeps admin;
        admin.auth = auth_api.get();
        admin.version = VIGIL_VERSION;
        admin.started_at_ns = started_at_ns;
        admin.bind = config.bind;
        admin.port = [this] { return server ? server->port() : uint16_t{0}; };
        admin.tls_min_version = config.tls_min_version;
        admin.state_db_path = config.state_db.string();
        admin.audit_retention_days = config.retention_days;
        admin.status_sections = [this] {
            return std::vector<std::pair<std::string, std::string>>{
                {"backup", BackupStatusJson()},
                {"ingestion", ingest->StatusJson(/*samples=*/false)}};
        };
        if (auto st = AddAdminRoutes(*router, std::move(admin)); !st) return st;
        if (auto st = AddEventRoutes(*router, *auth_api, *ingest, *events); !st) return st;
        return LoadConsole();
    }

    Status LoadConsole() {
        std::filesystem::path dir;
        if (options.console_dir) {
            dir = *options.console_dir;
        } else {
            std::error_code ec;
            dir = VIGIL_DEFAULT_CONSOLE_DIR;
            if (!std::filesystem::is_regular_file(dir / "index.html", ec)) return Ok();
        }
        auto files = api::StaticFiles::Load(dir);
        if (!files) return tl::unexpected(std::move(files.error()).WithContext("web console"));
        console = std::make_shared<const api::StaticFiles>(std::move(*files));
        console_dir = dir;
        return Ok();
    }

    Status StartServer() {
        api::ServerOptions so;
        so.bind = config.bind;
        so.port = config.port;
        so.cert_pem_path = config.tls_cert.string();
        so.key_pem_path = config.tls_key.string();
        so.allow_tls12 = config.tls_min_version == "1.2";
        so.threads = options.threads;
        so.console = console;
        so.rate_limit_per_second = config.rate_limit_per_second;
        so.rate_limit_burst = config.rate_limit_burst;
        server = std::make_unique<api::Server>(std::move(so), std::move(*router),
                                               auth_api->Authenticator());
        router.reset();
        // Registered before Start() so a half-started server is stopped too.
        teardown.push_back([this] {
            const bool was_serving = server->port() != 0;
            server->Stop();
            server.reset();
            if (!was_serving) return;
            audit::Record stop;
            stop.time_ns = Now();
            stop.actor = "system";
            stop.action = "server.stop";
            stop.result = "success";
            stop.detail = "vigil serve stopped";
            (void)audit->Append(std::move(stop));
        });
        if (auto st = server->Start(); !st) return st;
        audit::Record start;
        start.time_ns = Now();
        start.actor = "system";
        start.action = "server.start";
        start.object = "https://" + config.bind + ":" + std::to_string(server->port());
        start.result = "success";
        start.detail = "vigil serve started";
        if (auto r = audit->Append(std::move(start)); !r) {
            return tl::unexpected(std::move(r.error()).WithContext("audit"));
        }
        return Ok();
    }

    // One retention pass over the event store: an error on stderr, a deletion in the audit
    // trail ("deleted 3 day partitions older than 180 days").
    void ReportStoreRetention(const char* what, const char* action, const char* unit, int days,
                              const Result<size_t>& deleted) {
        if (!deleted) {
            std::fprintf(stderr, "vigil serve: %s retention: %s\n", what,
                         deleted.error().message.c_str());
            return;
        }
        if (*deleted == 0) return;
        audit::Record r;
        r.time_ns = Now();
        r.actor = "system";
        r.action = action;
        r.object = "event-store";
        r.result = "success";
        r.detail = "deleted " + std::to_string(*deleted) + " " + unit + " older than " +
                   std::to_string(days) + " days";
        auth_api->Exclusive([&] { (void)audit->Append(std::move(r)); });
    }

    // Applies the retention of events, detections and the audit trail once; the outcome is
    // itself an audit record when anything was deleted or the trail refused it.
    void ApplyRetention() {
        // Events: whole day partitions older than ingest.retention_days. Detections: rows older
        // than ingest.detection_retention_days (the events' by default), so a sender who makes
        // rules fire cannot grow detections.db for ever.
        if (events) {
            const int event_days = config.ingest.retention_days;
            ReportStoreRetention("event", "events.retention", "day partitions", event_days,
                                 events->ApplyRetention(event_days, Now()));
            const int detection_days = config.ingest.DetectionRetentionDays();
            ReportStoreRetention("detection", "detections.retention", "detections", detection_days,
                                 events->ApplyDetectionRetention(detection_days, Now()));
        }
        auth_api->Exclusive([this] {
            auto dropped = audit->ApplyRetention(*audit_public_key, Now(), config.retention_days);
            if (dropped && *dropped == 0) return;
            audit::Record r;
            r.time_ns = Now();
            r.actor = "system";
            r.action = "audit.retention";
            r.object = "audit-trail";
            r.result = dropped ? "success" : "failure";
            r.detail = dropped ? "deleted " + std::to_string(*dropped) + " records older than " +
                                     std::to_string(config.retention_days) + " days"
                               : dropped.error().message;
            if (!dropped) {
                std::fprintf(stderr, "vigil serve: audit retention: %s\n",
                             dropped.error().message.c_str());
            }
            (void)audit->Append(std::move(r));
        });
    }

    Status StartMaintenance() {
        ApplyRetention();  // before Start() returns, so a start after a long pause is clean
        maintenance = std::thread([this] {
            std::unique_lock lock(maintenance_mu);
            for (;;) {
                maintenance_cv.wait_for(lock, options.maintenance_interval,
                                        [this] { return maintenance_stop; });
                if (maintenance_stop) return;
                lock.unlock();
                ApplyRetention();
                lock.lock();
            }
        });
        teardown.push_back([this] {
            {
                std::lock_guard lock(maintenance_mu);
                maintenance_stop = true;
            }
            maintenance_cv.notify_all();
            maintenance.join();
        });
        return Ok();
    }

    void RunTeardown() {
        while (!teardown.empty()) {
            auto step = std::move(teardown.back());
            teardown.pop_back();
            step();
        }
    }
};

App::App(ServeOptions options) : impl_(std::make_unique<Impl>()) {
    if (!options.clock) options.clock = SystemNowNs;
    impl_->options = std::move(options);
    impl_->started_at_ns = impl_->options.clock();
}

App::~App() { Stop(); }

Status App::Start() {
    struct Step {
        const char* name;
        Status (Impl::*run)();
    };
    static constexpr Step kSteps[] = {
        {"loading the configuration", &Impl::LoadConfig},
        {"locking the data directory", &Impl::LockDirectory},
        {"opening the state database", &Impl::OpenDatabase},
        {"loading keys", &Impl::LoadKeys},
        {"opening the audit trail", &Impl::OpenAudit},
        {"recording the configuration", &Impl::RecordConfiguration},
        {"starting scheduled backups", &Impl::StartBackups},
        {"starting ingestion", &Impl::StartIngestion},
        {"opening the user store", &Impl::OpenUsers},
        {"building the routes", &Impl::BuildRoutes},
        {"starting the HTTPS server", &Impl::StartServer},
        {"starting maintenance", &Impl::StartMaintenance},
    };
    for (const Step& step : kSteps) {
        if (auto st = (impl_.get()->*step.run)(); !st) {
            impl_->RunTeardown();
            return tl::unexpected(std::move(st.error()).WithContext(step.name));
        }
    }
    return Ok();
}

uint16_t App::port() const { return impl_->server ? impl_->server->port() : 0; }

const std::string& App::bind() const { return impl_->config.bind; }

uint16_t App::ingest_port(const std::string& source) const {
    return impl_->ingest ? impl_->ingest->port(source) : 0;
}

bool App::WaitIngestIdle(std::chrono::milliseconds timeout) const {
    return impl_->ingest && impl_->ingest->WaitIdle(timeout);
}

std::span<const api::Route> App::routes() const {
    if (!impl_->server) return {};
    return impl_->server->router().routes();
}

const std::filesystem::path& App::console_dir() const { return impl_->console_dir; }

void App::Stop() {
    if (impl_) impl_->RunTeardown();
}

int RunServe(const ServeOptions& options) {
    // Block the stop signals before any thread starts, so every thread inherits the mask and
    // sigwait() below is the only place they are taken.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigset_t old_mask;
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
    // A shell starts background jobs with SIGINT ignored, and an ignored signal is discarded
    // rather than left pending for sigwait(); while blocked, the default action never runs.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    struct sigaction old_int {
    }, old_term{};
    sigaction(SIGINT, &dfl, &old_int);
    sigaction(SIGTERM, &dfl, &old_term);

    int code = 0;
    {
        App app(options);
        if (auto st = app.Start(); !st) {
            std::fprintf(stderr, "vigil serve: %s\n", st.error().message.c_str());
            switch (st.error().code) {
                case Code::kInvalidArgument:
                case Code::kNotFound:
                case Code::kPermissionDenied:
                case Code::kFailedPrecondition:
                    code = 2;
                    break;
                default:
                    code = 1;
            }
        } else {
            std::printf("vigil serve: listening on https://%s:%u\n", app.bind().c_str(),
                        static_cast<unsigned>(app.port()));
            if (app.console_dir().empty()) {
                std::printf(
                    "vigil serve: no web console (build it with "
                    "bash scripts/build_console.sh); the API alone is served\n");
            } else {
                std::printf("vigil serve: web console from %s at https://%s:%u/\n",
                            app.console_dir().c_str(), app.bind().c_str(),
                            static_cast<unsigned>(app.port()));
            }
            std::fflush(stdout);
            int sig = 0;
            sigwait(&stop_signals, &sig);
            std::printf("vigil serve: %s received, stopping\n",
                        sig == SIGINT ? "SIGINT" : "SIGTERM");
            std::fflush(stdout);
            app.Stop();
        }
    }
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    return code;
}

}  // namespace vigil::app
