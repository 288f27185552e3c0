#pragma once
// Backup, verification and restore of a data directory (`vigil backup`, `vigil backup verify`,
// `vigil restore`) and the scheduled backups `vigil serve` runs (BackupScheduler).
//
// An archive (".vbk") holds everything a wiped directory needs to come back: vigil.yml, keys/,
// tls/, and a consistent copy (SQLite online backup) of every *.db. It is encrypted with
// AES-256-GCM under a key derived with argon2id from a passphrase, in authenticated chunks
// whose nonce and associated data carry the chunk index and a final flag, so a flipped bit,
// reordered chunks and a cut-off tail are all detected. Inside, a manifest lists every file
// with size, mode and SHA-256. The byte format is in docs/backup.md.
//
// Nothing here holds the data-directory lock: a backup copies a live directory; restore and
// the CLI take the lock themselves (data_dir_lock.h).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/config.h"
#include "audit/record.h"
#include "base/result.h"

namespace vigil::app {

// Named limits.
inline constexpr size_t kMinPassphraseBytes = 12;    // for new archives
inline constexpr size_t kMaxPassphraseBytes = 1024;  // and for the passphrase file's first line
inline constexpr size_t kBackupChunkBytes = 1024 * 1024;
inline constexpr size_t kMaxBackupEntries = 1000000;
inline constexpr size_t kMaxManifestBytes = 64 * 1024 * 1024;

// argon2id cost of deriving the archive key; written into the archive header. Readers refuse
// headers beyond kMaxKdfMemoryKib / kMaxKdfIterations (a damaged header must not exhaust memory).
struct KdfParams {
    uint32_t memory_kib = 64 * 1024;
    uint32_t iterations = 3;
    uint32_t parallelism = 1;
};
inline constexpr uint32_t kMaxKdfMemoryKib = 4 * 1024 * 1024;
inline constexpr uint32_t kMaxKdfIterations = 64;

// A passphrase in memory; wiped when destroyed.
class Passphrase {
public:
    explicit Passphrase(std::string text) : text_(std::move(text)) {}
    Passphrase(Passphrase&& other) noexcept;
    Passphrase& operator=(Passphrase&& other) noexcept;
    Passphrase(const Passphrase&) = delete;
    Passphrase& operator=(const Passphrase&) = delete;
    ~Passphrase();

    std::string_view view() const { return text_; }
    size_t size() const { return text_.size(); }

private:
    std::string text_;
};

// The first line of a passphrase file (its trailing newline removed). permission_denied when
// group or others may access the file ("run: chmod 600 F"), not_found when it is missing,
// invalid_argument when it is empty or longer than kMaxPassphraseBytes.
Result<Passphrase> ReadPassphraseFile(const std::filesystem::path& path);

// invalid_argument unless the passphrase is at least kMinPassphraseBytes long (new archives).
Status CheckNewPassphrase(const Passphrase& passphrase);

struct BackupOptions {
    std::filesystem::path data_dir;
    std::filesystem::path out;  // must not exist; written as out + ".tmp", then renamed
    const Passphrase* passphrase = nullptr;
    KdfParams kdf;
    // Bytes of archive written so far; called after every chunk.
    std::function<void(uint64_t)> progress;
    // Bytes of the databases copied so far (before the archive is written), every few MiB.
    std::function<void(uint64_t)> copy_progress;
    // Polled between chunks and files, and every few MiB of a database copy; true stops the
    // backup (kCancelled), nothing is left.
    std::function<bool()> cancelled;
    std::function<int64_t()> clock;  // ns since the epoch, for the manifest; system clock if empty
};

struct BackupResult {
    std::filesystem::path archive;  // absolute
    uint64_t archive_bytes = 0;
    std::string archive_sha256;  // lower-case hex, of the whole archive file
    size_t files = 0;
    size_t databases = 0;
    uint64_t data_bytes = 0;           // plaintext bytes of the files
    std::vector<std::string> skipped;  // what was left out and why ("tls/x: a socket")
};

// Writes the archive of data_dir to options.out (mode 0600). The data directory needs a
// readable vigil.yml; its state database must lie inside it. Leaves out: vigil.lock, SQLite
// -wal/-shm/-journal files (every *.db is copied through the online-backup API instead),
// *.vbk archives, the backup.dir of vigil.yml, and anything but files and directories.
// On any failure (or cancellation) no archive and no temporary file remains.
Result<BackupResult> CreateBackup(const BackupOptions& options);

struct DatabaseCheck {
    std::string path;  // inside the archive
    bool ok = false;
    std::string detail;  // "integrity ok" or the first lines of PRAGMA integrity_check
};

// What verification found. A damaged stream (failed chunk, truncation, wrong passphrase) is an
// error rather than a report; problems lists what is wrong with a stream that decrypted.
struct ArchiveReport {
    std::filesystem::path archive;
    uint64_t archive_bytes = 0;
    std::string archive_sha256;
    int64_t created_ns = 0;
    std::string source_dir;
    std::string host;
    size_t files = 0;
    size_t directories = 0;
    uint64_t data_bytes = 0;
    std::vector<DatabaseCheck> databases;
    bool audit_checked = false;
    uint64_t audit_records = 0;
    uint64_t audit_last_seq = 0;
    size_t audit_findings = 0;
    std::string audit_key_id;
    std::vector<std::string> problems;  // empty: everything verified

    bool ok() const { return problems.empty(); }
};

struct VerifyBackupOptions {
    std::filesystem::path archive;
    const Passphrase* passphrase = nullptr;
    // Where the databases are unpacked for their checks (a private directory that is removed
    // afterwards); the system temporary directory when empty.
    std::filesystem::path scratch_parent;
    std::function<void(uint64_t)> progress;  // archive bytes read
    std::function<bool()> cancelled;
};

// Decrypts and checks everything: every chunk, the manifest (each file's size and SHA-256),
// PRAGMA integrity_check of each database, and the audit trail of the state database against
// the public half of the archive's audit signing key. Errors: permission_denied for a wrong
// passphrase, data_loss for a damaged, truncated or foreign file, not_found for a missing one.
Result<ArchiveReport> VerifyBackup(const VerifyBackupOptions& options);

struct RestoreOptions {
    std::filesystem::path archive;
    std::filesystem::path data_dir;
    const Passphrase* passphrase = nullptr;
    // Replace a non-empty data_dir: it is moved aside to DIR.pre-restore-<UTC time>, never
    // deleted. Without it a non-empty directory is refused.
    bool force = false;
    std::string actor = "system";  // of the backup.restore audit record
    std::function<void(uint64_t)> progress;
    std::function<bool()> cancelled;
    std::function<int64_t()> clock;
};

struct RestoreResult {
    ArchiveReport report;
    std::filesystem::path data_dir;     // absolute
    std::filesystem::path moved_aside;  // empty when data_dir was empty or missing
    // The backup.dir of the replaced directory's vigil.yml when it lay inside it (the default,
    // DIR/backups): moved back from moved_aside into the restored directory, so its archives
    // stay where the scheduler and the operator expect them.
    std::filesystem::path backups_kept;
    // Set instead when that failed or the restored directory already has one: the archives
    // are still here, inside moved_aside.
    std::filesystem::path backups_left;
    std::string backups_problem;  // why they were left
};

// Unpacks into a private directory next to data_dir, verifies it completely (as VerifyBackup),
// appends a backup.restore record to the restored audit trail, and only then moves it into
// place, then moves the old directory's backup dir back in (RestoreResult::backups_kept).
// failed_precondition when data_dir is not empty (without force) or another vigil process
// holds its lock; data_loss when the archive does not verify (data_dir untouched).
Result<RestoreResult> RestoreBackup(const RestoreOptions& options);

// Appends one record to the audit trail of a data directory (its vigil.yml names the state
// database and the signing key) and signs the new head.
Status AppendDataDirAudit(const std::filesystem::path& data_dir, audit::Record record);

// "vigil-backup-20270115T080000Z.vbk": the names the scheduler writes and prunes.
std::string ScheduledBackupName(int64_t ns);
bool IsScheduledBackupName(std::string_view name);
// The time in such a name (ns since the epoch, whole seconds); nullopt for other names.
std::optional<int64_t> ScheduledBackupTime(std::string_view name);

struct BackupLeftovers {
    bool busy = false;  // a backup of the directory is running: nothing was looked at
    std::vector<std::filesystem::path> removed;
    uint64_t bytes = 0;                 // freed
    std::vector<std::string> problems;  // what could not be removed
};

// Removes what backups that ended without cleaning up (kill -9, the OOM killer, a power cut)
// left: data_dir/.backup-staging-* (the database copies) and backup_dir/vigil-backup-*.vbk.tmp.
// Never anything of a backup still running: every backup holds a shared flock on
// data_dir/.backup.lock, taken here exclusively (busy when it cannot be), and an
// exclusive one on its .tmp (checked too, for backups of another directory into backup_dir).
Result<BackupLeftovers> RemoveBackupLeftovers(const std::filesystem::path& data_dir,
                                              const std::filesystem::path& backup_dir);

struct BackupSchedulerOptions {
    std::filesystem::path data_dir;
    BackupConfig config;             // ServeConfig::backup
    std::function<int64_t()> clock;  // ns since the epoch; the system clock when empty
    // Appends a record to the live audit trail (in `vigil serve`: its SqliteAuditLog). When
    // empty, each record is appended with AppendDataDirAudit.
    std::function<Status(audit::Record)> audit;
    // Operational messages (leftovers removed); dropped when empty.
    std::function<void(const std::string&)> log;
    KdfParams kdf;
};

// How long after Start() an overdue first run waits (never longer than the interval), so
// that start-up is not slowed by a backup.
inline constexpr std::chrono::seconds kFirstBackupDelay{30};

// What a status endpoint shows.
struct BackupSchedulerState {
    bool enabled = false;
    std::chrono::seconds interval{0};
    std::filesystem::path dir;
    int64_t next_run_ns = 0;  // 0: not scheduled
    int64_t last_run_ns = 0;  // 0: no run yet
    std::filesystem::path last_file;
    std::string last_result;  // "success", "failure" or empty before the first run
    std::string last_error;
    uint64_t last_bytes = 0;
    std::string last_sha256;
    uint64_t runs = 0;
    uint64_t failures = 0;
    // The newest successful scheduled archive: found in dir at Start() (its name holds the
    // time of its run), then each successful run. 0: none.
    int64_t last_success_ns = 0;
    std::filesystem::path last_success_file;
    uint64_t leftovers_removed = 0;  // staging directories and .tmp files of crashed backups
};

// The state as JSON: /api/v1/system/status's "backup" section and DIR/run/backup-status.json.
std::string BackupSchedulerStateJson(const BackupSchedulerState& state);

// Where the scheduler publishes its state for `vigil status` (rewritten at start, after each
// run and at stop), relative to the data directory.
inline constexpr std::string_view kBackupStatusFile = "run/backup-status.json";

// Every config.interval writes config.dir/vigil-backup-<UTC time>.vbk with the passphrase
// from config.passphrase_file (read again for each run), then deletes the oldest archives
// beyond config.keep (only files named like its own; never the one just written, and names
// in the future count as oldest). Each run, successful or not, is audited (backup.run, actor
// "system"). The first run is one interval after the newest archive in config.dir (its name
// holds the time of the last successful run), or kFirstBackupDelay after Start() when that is
// already past or there is none, so a server restarted more often than the interval still
// makes backups.
class BackupScheduler {
public:
    explicit BackupScheduler(BackupSchedulerOptions options);
    ~BackupScheduler();  // Stop()
    BackupScheduler(const BackupScheduler&) = delete;
    BackupScheduler& operator=(const BackupScheduler&) = delete;

    // Removes the leftovers of crashed backups (RemoveBackupLeftovers; audited as
    // backup.cleanup), checks the configuration (passphrase file present, mode 0600, long
    // enough; backup directory creatable) and starts the thread when an interval is
    // configured. With backups off only the leftovers are removed.
    Status Start();
    // Returns promptly: wakes the thread and cancels a run in progress (no archive is left).
    void Stop();
    // One backup and pruning now, on the calling thread (serialised with the scheduled runs).
    Result<BackupResult> RunNow();
    // Thread-safe.
    BackupSchedulerState State() const;

private:
    void Loop();
    int64_t Now() const;
    void RemoveLeftovers();
    // Writes the state to kBackupStatusFile (best effort: a status file, not a record).
    void Publish();

    BackupSchedulerOptions options_;
    mutable std::mutex mu_;  // guards state_, stop_
    std::condition_variable cv_;
    bool stop_ = false;
    std::atomic<bool> cancel_{false};
    BackupSchedulerState state_;
    std::mutex run_mu_;      // one run at a time
    std::mutex publish_mu_;  // one writer of the status file at a time
    std::thread thread_;
};

}  // namespace vigil::app
