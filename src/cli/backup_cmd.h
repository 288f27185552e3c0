#pragma once
// `vigil backup`, `vigil backup verify` and `vigil restore` (see docs/backup.md).
//
//   vigil backup --data DIR --out FILE [--passphrase-file F]
//   vigil backup verify FILE [--passphrase-file F]
//   vigil restore FILE --data DIR [--passphrase-file F] [--force]
//
// The passphrase comes from --passphrase-file, else from the file named by
// VIGIL_BACKUP_PASSPHRASE_FILE, else (when standard input is a terminal) from a prompt without
// echo (twice for a new archive). A passphrase file must be mode 0600 or stricter.
//
// Exit codes: 0 done; 1 the archive is damaged or the operation failed; 2 usage or
// configuration error (wrong passphrase, unsafe passphrase file, non-empty target without
// --force, data directory in use); 130 interrupted (Ctrl-C), nothing left behind.

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace vigil::cli {

struct BackupCmdOptions {
    std::string data_dir;
    std::string out;
    std::string passphrase_file;
};

struct BackupVerifyCmdOptions {
    std::string archive;
    std::string passphrase_file;
};

struct RestoreCmdOptions {
    std::string archive;
    std::string data_dir;
    std::string passphrase_file;
    bool force = false;
};

int RunBackup(const BackupCmdOptions& options);
int RunBackupVerify(const BackupVerifyCmdOptions& options);
int RunRestore(const RestoreCmdOptions& options);

// Registers the three commands on the command line; after parsing, Run() runs the one given
// and returns its exit code (nullopt when none of them was given).
class BackupCommands {
public:
    void Register(CLI::App& app);
    std::optional<int> Run() const;

private:
    BackupCmdOptions backup_;
    BackupVerifyCmdOptions verify_;
    RestoreCmdOptions restore_;
    CLI::App* backup_cmd_ = nullptr;
    CLI::App* verify_cmd_ = nullptr;
    CLI::App* restore_cmd_ = nullptr;
};

// "cli:<login name>" for audit records of commands run by hand.
std::string CliActor();

}  // namespace vigil::cli
