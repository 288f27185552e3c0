#include "app/init_data_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "api/certs.h"
#include "audit/keys.h"
#include "audit/record.h"
#include "audit/sqlite_log.h"
#include "auth/permissions.h"
#include "auth/seal.h"
#include "store/database.h"

namespace vigil::app {

namespace fs = std::filesystem;

const std::string_view kDefaultConfig = R"yaml(# Vigil configuration, written by `vigil init`.
# Relative paths are resolved against the directory holding this file.

server:
  # Address the HTTPS API and web console listen on. 127.0.0.1 keeps the console local until
  # the firewall and certificate are in place; use 0.0.0.0 (or one interface) to serve others.
  bind: 127.0.0.1
  port: 8443
  # Requests per second (and burst) per client address before 429 Too Many Requests.
  rate_limit_per_second: 50
  rate_limit_burst: 100

tls:
  # TLS 1.3 only. Replace the certificate with one from your own CA; keep the key mode 0600.
  min_version: "1.3"
  cert: tls/cert.pem
  key: tls/key.pem

data:
  state_db: state.db                            # users, tokens, audit trail (SQLite)
  seal_key: keys/seal.key                       # AES-256 key sealing secrets at rest
  audit_signing_key: keys/audit-signing.pem     # Ed25519 key signing audit checkpoints
  audit_public_key: keys/audit-signing.pub.pem  # for `vigil audit verify`; give to auditors

# Audit and event logs are kept at least this long (the Cybersecurity Law asks six months).
retention_days: 180

auth:
  password_min_length: 8        # characters, 8..128
  password_min_classes: 3       # of lower case, upper case, digits, symbols (3 or 4)
  password_history: 5           # the last N passwords cannot be reused
  password_max_age_days: 90     # 0: passwords never expire
  lockout_account_failures: 5   # failed sign-ins per account before growing delays
  lockout_ip_failures: 20       # ... per source address
  session_idle_minutes: 30
  session_absolute_hours: 12

# Ingestion (see docs/ingestion.md). The HTTP intake (POST /api/v1/events) is always on; add
# syslog listeners and tailed files here, and the Sigma rules to run on every event.
# ingest:
#   rules: [/opt/vigil/rules, /opt/sigma/rules/linux, /opt/sigma/rules/web]
#   sources:
#     - {name: syslog-tls, type: syslog-tls, bind: 0.0.0.0, port: 6514, silent_minutes: 15}
#     - {name: nginx, type: file, paths: [/var/log/nginx/access.log], decoder: access, host: web01}

# Scheduled encrypted backups (see docs/backup.md). Off until an interval is set; the
# passphrase file must be mode 0600 and should live outside this directory.
# backup:
#   interval: 24h
#   dir: backups
#   keep: 7
#   passphrase_file: /etc/vigil/backup.pass
)yaml";

namespace {

int64_t SystemNowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

tl::unexpected<Error> FsError(Code code, const std::string& what, int err) {
    return MakeError(code, what + ": " + std::strerror(err));
}

// Everything this run created, removed again (newest first) when a later step fails, so a
// failed init leaves the directory as it found it and can simply be run again.
class Created {
public:
    void Add(fs::path path) { paths_.push_back(std::move(path)); }
    void Commit() { paths_.clear(); }
    ~Created() {
        for (auto it = paths_.rbegin(); it != paths_.rend(); ++it) {
            std::error_code ec;
            fs::remove(*it, ec);
        }
    }

private:
    std::vector<fs::path> paths_;
};

// Restores the process umask when the call ends.
class UmaskGuard {
public:
    explicit UmaskGuard(mode_t mask) : old_(::umask(mask)) {}
    ~UmaskGuard() { ::umask(old_); }

private:
    mode_t old_;
};

Status MakeDir(const fs::path& dir, Created& created) {
    if (::mkdir(dir.c_str(), 0700) == 0) {
        created.Add(dir);
        return Ok();
    }
    const int err = errno;
    if (err != EEXIST) {
        return FsError(err == EACCES || err == EROFS ? Code::kPermissionDenied : Code::kUnavailable,
                       "cannot create " + dir.string(), err);
    }
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return MakeError(Code::kFailedPrecondition,
                         dir.string() + " exists and is not a directory");
    }
    if (::chmod(dir.c_str(), 0700) != 0) {
        return FsError(Code::kPermissionDenied, "cannot chmod 700 " + dir.string(), errno);
    }
    return Ok();
}

// Creates path (which must not exist) with mode, writes content and fsyncs.
Status WriteNewFile(const fs::path& path, std::string_view content, mode_t mode, Created& created) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        const int err = errno;
        if (err == EEXIST) {
            return MakeError(Code::kAlreadyExists,
                             "refusing to overwrite existing " + path.string());
        }
        return FsError(Code::kUnavailable, "cannot create " + path.string(), err);
    }
    created.Add(path);
    bool ok = ::fchmod(fd, mode) == 0;  // the umask must not loosen or tighten it
    size_t written = 0;
    while (ok && written < content.size()) {
        ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = false;
            break;
        }
        written += static_cast<size_t>(n);
    }
    int err = errno;
    if (ok && ::fsync(fd) != 0) {
        ok = false;
        err = errno;
    }
    ::close(fd);
    if (!ok) return FsError(Code::kUnavailable, "writing " + path.string(), err);
    return Ok();
}

Status RefuseExisting(const fs::path& path) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec))) {
        return MakeError(Code::kAlreadyExists, "refusing to overwrite existing " + path.string());
    }
    return Ok();
}

Result<InitDataDirResult> Initialise(const InitDataDirOptions& opt, Created& created) {
    if (opt.data_dir.empty()) return InvalidArgument("a data directory is required");
    if (auto st = auth::ValidateUsername(opt.admin_username); !st) {
        return tl::unexpected(std::move(st.error()).WithContext("administrator name"));
    }
    const fs::path dir = fs::absolute(opt.data_dir);
    std::error_code ec;
    if (fs::exists(fs::symlink_status(dir, ec))) {
        if (!fs::is_directory(dir, ec)) {
            return MakeError(Code::kFailedPrecondition,
                             dir.string() + " exists and is not a directory");
        }
        if (!fs::is_empty(dir, ec) && !opt.force) {
            return MakeError(Code::kFailedPrecondition,
                             "refusing to initialise " + dir.string() +
                                 ": the directory is not empty (--force uses it anyway; "
                                 "existing files are never overwritten)");
        }
        if (ec) return FsError(Code::kUnavailable, "cannot read " + dir.string(), ec.value());
    }
    const fs::path keys = dir / "keys";
    const fs::path seal_key = keys / "seal.key";
    const fs::path signing_key = keys / "audit-signing.pem";
    const fs::path public_key = keys / "audit-signing.pub.pem";
    const fs::path config = dir / "vigil.yml";
    const fs::path state_db = dir / "state.db";
    const fs::path tls_cert = dir / "tls" / "cert.pem";
    const fs::path tls_key = dir / "tls" / "key.pem";
    // Check every target up front so --force on a used directory fails before writing.
    for (const auto& path :
         {seal_key, signing_key, public_key, config, state_db, tls_cert, tls_key}) {
        if (auto st = RefuseExisting(path); !st) return tl::unexpected(st.error());
    }

    if (auto st = MakeDir(dir, created); !st) return tl::unexpected(st.error());
    if (auto st = MakeDir(keys, created); !st) return tl::unexpected(st.error());
    if (auto st = MakeDir(dir / "tls", created); !st) return tl::unexpected(st.error());

    // A self-signed certificate so `vigil serve` speaks TLS from the first start.
    created.Add(tls_cert);
    created.Add(tls_key);
    if (auto st = api::GenerateSelfSigned("localhost", 825, tls_cert.string(), tls_key.string());
        !st)
        return tl::unexpected(st.error());

    auto seal = auth::SealKey::CreateFile(seal_key);  // O_EXCL: never replaces a key
    if (!seal) return tl::unexpected(std::move(seal.error()));
    created.Add(seal_key);
    auto signer = audit::SigningKey::Generate();
    if (!signer) return tl::unexpected(std::move(signer.error()));
    if (auto st = RefuseExisting(signing_key); !st) return tl::unexpected(st.error());
    created.Add(signing_key);
    if (auto st = signer->SaveToFile(signing_key); !st) return tl::unexpected(st.error());
    auto pub_pem = signer->public_key().ToPem();
    if (!pub_pem) return tl::unexpected(std::move(pub_pem.error()));
    if (auto st = WriteNewFile(public_key, *pub_pem, 0644, created); !st) {
        return tl::unexpected(st.error());
    }
    if (auto st = WriteNewFile(config, kDefaultConfig, 0600, created); !st) {
        return tl::unexpected(st.error());
    }

    const int64_t now = opt.now_ns != 0 ? opt.now_ns : SystemNowNs();
    created.Add(state_db);
    created.Add(state_db.string() + "-wal");
    created.Add(state_db.string() + "-shm");
    InitDataDirResult result;
    result.data_dir = dir;
    result.seal_key_id = seal->id();
    {
        store::OpenOptions open;
        open.synchronous_full = true;  // acknowledged audit records survive a power cut
        auto db = store::Database::Open(state_db, open);
        if (!db) return tl::unexpected(std::move(db.error()).WithContext(state_db.string()));
        auto users = auth::UserStore::Open(*db, opt.user_store);
        if (!users) return tl::unexpected(std::move(users.error()));
        audit::ChainOptions chain;
        chain.clock = [now] { return now; };
        result.audit_key_id = signer->key_id();
        auto log = audit::SqliteAuditLog::Open(*db, std::move(*signer), chain);
        if (!log) return tl::unexpected(std::move(log.error()));

        audit::Record init;
        init.time_ns = now;
        init.actor = "system";
        init.action = "system.init";
        init.object = dir.string();
        init.result = "success";
        init.detail = "data directory initialised by vigil init; audit key " + result.audit_key_id +
                      ", seal key " + seal->id();
        if (auto r = log->Append(std::move(init)); !r) return tl::unexpected(r.error());

        auto admin = users->CreateUser(opt.admin_username, auth::Role::kAdministrator, now, {},
                                       "Administrator");
        if (!admin) {
            return tl::unexpected(
                std::move(admin.error()).WithContext("creating the administrator"));
        }
        audit::Record create;
        create.time_ns = now;
        create.actor = "system";
        create.action = "user.create";
        create.object = "user:" + admin->user.username;
        create.after =
            "role=" + std::string(auth::RoleName(admin->user.role)) + " must_change_password=1";
        create.result = "success";
        create.detail = "first administrator; one-time password issued";
        if (auto r = log->Append(std::move(create)); !r) return tl::unexpected(r.error());
        // Sign the head now: the first records are protected by a checkpoint, not only by the
        // hash chain.
        if (auto r = log->MakeCheckpoint(); !r) return tl::unexpected(r.error());

        result.admin_username = admin->user.username;
        result.one_time_password = std::move(admin->one_time_password);
    }
    return result;
}

}  // namespace

Result<InitDataDirResult> InitDataDir(const InitDataDirOptions& options) {
    // Everything written here is for the service account only.
    UmaskGuard umask(077);
    Created created;
    auto result = Initialise(options, created);
    if (result) created.Commit();
    return result;
}

}  // namespace vigil::app
