#include "cli/backup_cmd.h"

#include <pwd.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>
#include <openssl/crypto.h>

#include "app/backup.h"
#include "audit/record.h"
#include "base/result.h"
#include "base/strings.h"

namespace vigil::cli {

namespace {

namespace fs = std::filesystem;

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void OnInterrupt(int) { g_interrupted = 1; }

bool Interrupted() { return g_interrupted != 0; }

// Ctrl-C and SIGTERM set a flag the long operations poll, so they can remove what they wrote
// and exit 130. No SA_RESTART: a blocking read (the passphrase prompt) returns EINTR.
void CatchInterrupts() {
    struct sigaction sa {};
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int ExitCode(const Error& error) {
    switch (error.code) {
        case Code::kCancelled:
            return 130;
        case Code::kInvalidArgument:
        case Code::kNotFound:
        case Code::kAlreadyExists:
        case Code::kPermissionDenied:
        case Code::kFailedPrecondition:
            return 2;
        default:
            return 1;
    }
}

// Reads one line from the terminal without echo. kCancelled on Ctrl-C.
Result<std::string> PromptLine(const char* prompt) {
    // Echo goes off before the prompt shows, so nothing typed after it is echoed.
    termios old{};
    const bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::fprintf(stderr, "%s", prompt);
    std::fflush(stderr);
    std::string line;
    Status status;
    while (true) {
        char c = 0;
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR) {
            if (Interrupted()) {
                status = MakeError(Code::kCancelled, "interrupted");
                break;
            }
            continue;
        }
        if (n <= 0 || c == '\n') break;
        if (line.size() > app::kMaxPassphraseBytes) {
            status = InvalidArgument("the passphrase is longer than " +
                                     std::to_string(app::kMaxPassphraseBytes) + " bytes");
            break;
        }
        line.push_back(c);
    }
    if (tty) ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    if (!status) {
        OPENSSL_cleanse(line.data(), line.size());
        std::fprintf(stderr, "\n");
        return tl::unexpected(std::move(status.error()));
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// --passphrase-file, else $VIGIL_BACKUP_PASSPHRASE_FILE, else a prompt on a terminal (twice
// when `confirm`: a typo in a new archive's passphrase would make it unreadable).
Result<app::Passphrase> GetPassphrase(const std::string& file_option, bool confirm) {
    std::string file = file_option;
    if (file.empty()) {
        if (const char* env = std::getenv("VIGIL_BACKUP_PASSPHRASE_FILE"); env && *env) file = env;
    }
    if (!file.empty()) return app::ReadPassphraseFile(file);
    if (!::isatty(STDIN_FILENO)) {
        return InvalidArgument(
            "no passphrase: give --passphrase-file FILE (mode 0600), set "
            "VIGIL_BACKUP_PASSPHRASE_FILE, or run on a terminal to be asked for it");
    }
    auto first = PromptLine("Backup passphrase: ");
    if (!first) return tl::unexpected(std::move(first.error()));
    app::Passphrase passphrase(std::move(*first));
    if (passphrase.size() == 0) return InvalidArgument("the passphrase is empty");
    if (confirm) {
        auto again = PromptLine("Repeat the passphrase: ");
        if (!again) return tl::unexpected(std::move(again.error()));
        app::Passphrase second(std::move(*again));
        if (second.view() != passphrase.view()) {
            return InvalidArgument("the two passphrases differ; nothing was written");
        }
    }
    return passphrase;
}

// Progress in bytes on a terminal (standard error), at most ten updates a second.
class Progress {
public:
    Progress(const char* cmd, const char* verb)
        : cmd_(cmd), verb_(verb), enabled_(::isatty(STDERR_FILENO) != 0) {}
    ~Progress() { Done(); }

    // Shows "<cmd>: <verb> <bytes>" on one line, at most ten times a second; `verb` is the
    // constructor's unless given (one line for the phases of a command).
    std::function<void(uint64_t)> Callback(const char* verb = nullptr) {
        if (!enabled_) return {};
        return [this, verb = verb ? verb : verb_](uint64_t bytes) {
            const auto now = std::chrono::steady_clock::now();
            if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
            last_ = now;
            shown_ = true;
            std::fprintf(stderr, "\r%s: %s %s          ", cmd_, verb, FormatBytes(bytes).c_str());
            std::fflush(stderr);
        };
    }
    void Done() {
        if (shown_) std::fprintf(stderr, "\n");
        shown_ = false;
    }

private:
    const char* cmd_;
    const char* verb_;
    bool enabled_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point last_{};
};

void PrintReport(const char* cmd, const app::ArchiveReport& r) {
    std::printf("  archive    %s, sha256 %s\n", FormatBytes(r.archive_bytes).c_str(),
                r.archive_sha256.c_str());
    std::printf("  made       %s from %s%s%s\n", FormatTimestamp(r.created_ns).c_str(),
                r.source_dir.c_str(), r.host.empty() ? "" : " on ", r.host.c_str());
    std::printf("  contents   %zu files, %zu directories, %s\n", r.files, r.directories,
                FormatBytes(r.data_bytes).c_str());
    for (const auto& db : r.databases) {
        std::printf("  database   %s: %s\n", db.path.c_str(), db.detail.c_str());
    }
    if (r.audit_checked) {
        std::printf("  audit      %llu records checked, last seq %llu, %zu findings (key %s)\n",
                    static_cast<unsigned long long>(r.audit_records),
                    static_cast<unsigned long long>(r.audit_last_seq), r.audit_findings,
                    r.audit_key_id.c_str());
    }
    for (const auto& problem : r.problems) std::printf("  problem    %s\n", problem.c_str());
}

// A restore brings back the state of the archive's time: security changes made since then
// (revocations, disables, resets, role changes) are silently undone unless the operator
// re-applies them, so the restore says so every time.
void PrintUndoneWarning(const app::RestoreResult& r) {
    const std::string made = FormatTimestamp(r.report.created_ns);
    std::printf(
        "WARNING: %s is now as it was when the archive was made (%s). Every change made after "
        "that is undone, security changes too; review them and make them again before you "
        "start vigil serve:\n"
        "  - API tokens revoked since then are valid again\n"
        "  - users disabled since then are enabled again, users created since then are gone\n"
        "  - password and MFA (TOTP) resets are undone: the old password and authenticator "
        "work again\n"
        "  - role changes are reverted\n"
        "  Their audit records are not in the restored trail (it ends at seq %llu, then "
        "backup.restore).\n",
        r.data_dir.c_str(), made.c_str(), static_cast<unsigned long long>(r.report.audit_last_seq));
    const fs::path old_trail = r.moved_aside / "state.db";
    std::error_code ec;
    if (!r.moved_aside.empty() && fs::exists(old_trail, ec)) {
        std::printf(
            "  The previous directory's trail lists them: vigil audit export --db %s --from %llu\n",
            old_trail.c_str(), static_cast<unsigned long long>(r.report.audit_last_seq + 1));
    } else {
        std::printf(
            "  Look for them in the previous server's audit trail or exports, from seq %llu on.\n",
            static_cast<unsigned long long>(r.report.audit_last_seq + 1));
    }
}

}  // namespace

std::string CliActor() {
    if (const char* user = std::getenv("USER"); user && *user) return std::string("cli:") + user;
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) {
        return std::string("cli:") + pw->pw_name;
    }
    return "cli:uid" + std::to_string(::getuid());
}

int RunBackup(const BackupCmdOptions& opt) {
    constexpr const char* kCmd = "vigil backup";
    if (opt.data_dir.empty() || opt.out.empty()) {
        std::fprintf(stderr,
                     "%s: --data DIR and --out FILE are required (to check an archive: vigil "
                     "backup verify FILE)\n",
                     kCmd);
        return 2;
    }
    CatchInterrupts();
    auto passphrase = GetPassphrase(opt.passphrase_file, /*confirm=*/true);
    if (passphrase) {
        if (auto st = app::CheckNewPassphrase(*passphrase); !st) {
            passphrase = tl::unexpected(std::move(st.error()));
        }
    }
    if (!passphrase) {
        std::fprintf(stderr, "%s: %s\n", kCmd, passphrase.error().message.c_str());
        return ExitCode(passphrase.error());
    }
    Progress progress(kCmd, "written");
    app::BackupOptions backup;
    backup.data_dir = opt.data_dir;
    backup.out = opt.out;
    backup.passphrase = &*passphrase;
    backup.progress = progress.Callback();
    backup.copy_progress = progress.Callback("databases copied");
    backup.cancelled = Interrupted;
    auto result = app::CreateBackup(backup);
    progress.Done();

    audit::Record record;
    record.actor = CliActor();
    record.action = "backup.run";
    record.object = fs::absolute(opt.out).lexically_normal().string();
    if (result) {
        record.result = "success";
        record.detail = "size " + std::to_string(result->archive_bytes) + " bytes, sha256 " +
                        result->archive_sha256 + ", " + std::to_string(result->files) + " files, " +
                        std::to_string(result->databases) + " databases";
    } else {
        record.result = "failure";
        record.detail = result.error().code == Code::kCancelled ? "interrupted; no archive written"
                                                                : result.error().message;
    }
    // Failed runs are recorded when the directory has a trail to record them in.
    Status audited = app::AppendDataDirAudit(opt.data_dir, std::move(record));

    if (!result) {
        if (result.error().code == Code::kCancelled) {
            std::fprintf(stderr, "%s: interrupted; no archive was written\n", kCmd);
        } else {
            std::fprintf(stderr, "%s: %s\n", kCmd, result.error().message.c_str());
        }
        return ExitCode(result.error());
    }
    std::printf("%s: wrote %s\n", kCmd, result->archive.c_str());
    std::printf("  %s (%llu bytes), sha256 %s\n", FormatBytes(result->archive_bytes).c_str(),
                static_cast<unsigned long long>(result->archive_bytes),
                result->archive_sha256.c_str());
    std::printf("  %zu files (%s), %zu database%s copied with SQLite's online backup\n",
                result->files, FormatBytes(result->data_bytes).c_str(), result->databases,
                result->databases == 1 ? "" : "s");
    for (const auto& skipped : result->skipped) {
        std::printf("  not archived: %s\n", skipped.c_str());
    }
    std::printf(
        "Keep the passphrase apart from the archive: without it the archive cannot be read.\n");
    std::fflush(stdout);
    if (!audited) {
        std::fprintf(stderr,
                     "%s: the archive was written, but the audit record backup.run could not be "
                     "appended: %s\n",
                     kCmd, audited.error().message.c_str());
        return 1;
    }
    return 0;
}

int RunBackupVerify(const BackupVerifyCmdOptions& opt) {
    constexpr const char* kCmd = "vigil backup verify";
    CatchInterrupts();
    auto passphrase = GetPassphrase(opt.passphrase_file, /*confirm=*/false);
    if (!passphrase) {
        std::fprintf(stderr, "%s: %s\n", kCmd, passphrase.error().message.c_str());
        return ExitCode(passphrase.error());
    }
    Progress progress(kCmd, "checked");
    app::VerifyBackupOptions verify;
    verify.archive = opt.archive;
    verify.passphrase = &*passphrase;
    verify.progress = progress.Callback();
    verify.cancelled = Interrupted;
    auto report = app::VerifyBackup(verify);
    progress.Done();
    if (!report) {
        const Error& e = report.error();
        if (e.code == Code::kDataLoss) {
            std::printf("%s: DAMAGED: %s\n", kCmd, e.message.c_str());
            return 1;
        }
        std::fprintf(stderr, "%s: %s\n", kCmd,
                     e.code == Code::kCancelled ? "interrupted" : e.message.c_str());
        return ExitCode(e);
    }
    std::printf("%s: %s: %s\n", kCmd, report->ok() ? "OK" : "DAMAGED", opt.archive.c_str());
    PrintReport(kCmd, *report);
    std::fflush(stdout);
    return report->ok() ? 0 : 1;
}

int RunRestore(const RestoreCmdOptions& opt) {
    constexpr const char* kCmd = "vigil restore";
    CatchInterrupts();
    auto passphrase = GetPassphrase(opt.passphrase_file, /*confirm=*/false);
    if (!passphrase) {
        std::fprintf(stderr, "%s: %s\n", kCmd, passphrase.error().message.c_str());
        return ExitCode(passphrase.error());
    }
    Progress progress(kCmd, "checked");
    app::RestoreOptions restore;
    restore.archive = opt.archive;
    restore.data_dir = opt.data_dir;
    restore.passphrase = &*passphrase;
    restore.force = opt.force;
    restore.actor = CliActor();
    restore.progress = progress.Callback();
    restore.cancelled = Interrupted;
    auto result = app::RestoreBackup(restore);
    progress.Done();
    if (!result) {
        const Error& e = result.error();
        if (e.code == Code::kCancelled) {
            std::fprintf(stderr, "%s: interrupted; %s was not touched\n", kCmd,
                         opt.data_dir.c_str());
        } else if (e.code == Code::kDataLoss) {
            const bool said = e.message.find("was not touched") != std::string::npos;
            std::fprintf(stderr, "%s: refused: %s%s%s\n", kCmd, e.message.c_str(),
                         said ? "" : "; nothing was restored and ",
                         said ? "" : (opt.data_dir + " was not touched").c_str());
        } else {
            std::fprintf(stderr, "%s: %s\n", kCmd, e.message.c_str());
        }
        return ExitCode(e);
    }
    std::printf("%s: restored %s from %s\n", kCmd, result->data_dir.c_str(), opt.archive.c_str());
    PrintReport(kCmd, result->report);
    PrintUndoneWarning(*result);
    if (!result->backups_kept.empty()) {
        std::printf("The backup archives of the previous directory are kept in %s.\n",
                    result->backups_kept.c_str());
    }
    if (!result->moved_aside.empty() && !result->backups_left.empty()) {
        std::printf(
            "The previous directory was moved to %s. It still holds the backup archives, in %s "
            "(%s): move them out before you delete it.\n",
            result->moved_aside.c_str(), result->backups_left.c_str(),
            result->backups_problem.c_str());
    } else if (!result->moved_aside.empty()) {
        std::printf(
            "The previous directory was moved to %s; delete it once the restored one works and "
            "the changes above are re-applied.\n",
            result->moved_aside.c_str());
    }
    std::fflush(stdout);
    return 0;
}

void BackupCommands::Register(CLI::App& app) {
    backup_cmd_ = app.add_subcommand(
        "backup",
        "Write an encrypted, integrity-checked archive of a data directory (while it runs)");
    backup_cmd_->add_option("--data", backup_.data_dir, "Data directory to back up");
    backup_cmd_->add_option("-o,--out", backup_.out, "Archive to write (must not exist)");
    backup_cmd_->add_option("--passphrase-file", backup_.passphrase_file,
                            "File holding the passphrase (mode 0600); default: "
                            "$VIGIL_BACKUP_PASSPHRASE_FILE, else asked on the terminal");
    backup_cmd_->require_subcommand(0, 1);
    verify_cmd_ = backup_cmd_->add_subcommand(
        "verify",
        "Decrypt and check an archive: chunks, manifest hashes, databases, audit trail "
        "(exit 1 when damaged)");
    verify_cmd_->add_option("archive", verify_.archive, "Archive to check")->required();
    verify_cmd_->add_option("--passphrase-file", verify_.passphrase_file,
                            "File holding the passphrase (mode 0600)");

    restore_cmd_ = app.add_subcommand(
        "restore", "Verify an archive completely, then put it in place as the data directory");
    restore_cmd_->add_option("archive", restore_.archive, "Archive to restore")->required();
    restore_cmd_->add_option("--data", restore_.data_dir, "Data directory to restore into")
        ->required();
    restore_cmd_->add_option("--passphrase-file", restore_.passphrase_file,
                             "File holding the passphrase (mode 0600)");
    restore_cmd_->add_flag("--force", restore_.force,
                           "Replace a non-empty directory (moved aside to DIR.pre-restore-<time>, "
                           "never deleted)");
}

std::optional<int> BackupCommands::Run() const {
    if (verify_cmd_ && verify_cmd_->parsed()) {
        BackupVerifyCmdOptions verify = verify_;
        // `vigil backup --passphrase-file F verify FILE` works too.
        if (verify.passphrase_file.empty()) verify.passphrase_file = backup_.passphrase_file;
        return RunBackupVerify(verify);
    }
    if (backup_cmd_ && backup_cmd_->parsed()) return RunBackup(backup_);
    if (restore_cmd_ && restore_cmd_->parsed()) return RunRestore(restore_);
    return std::nullopt;
}

}  // namespace vigil::cli
