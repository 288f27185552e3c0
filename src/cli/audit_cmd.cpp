#include "cli/audit_cmd.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include <sys/stat.h>

#include "audit/keys.h"
#include "audit/sqlite_log.h"
#include "audit/verify.h"
#include "store/database.h"

namespace vigil::cli {

namespace {

// Verify and export never write to the audit database: it is evidence.
// The read-only audit database and its log; the log points into the database, which is
// therefore held by pointer so the pair can be returned.
struct OpenedLog {
    std::unique_ptr<store::Database> db;
    std::optional<audit::SqliteAuditLog> log;
};

// Opens the audit log for reading; prints the reason and returns nullopt on failure.
std::optional<OpenedLog> OpenLog(const std::string& path, const char* cmd) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        std::fprintf(stderr, "%s: audit database %s does not exist\n", cmd, path.c_str());
        return std::nullopt;
    }
    store::OpenOptions options;
    options.read_only = true;
    auto db = store::Database::Open(path, options);
    if (!db) {
        std::fprintf(stderr, "%s: %s\n", cmd, db.error().message.c_str());
        return std::nullopt;
    }
    OpenedLog opened;
    opened.db = std::make_unique<store::Database>(std::move(*db));
    auto log = audit::SqliteAuditLog::Open(*opened.db);
    if (!log) {
        std::fprintf(stderr, "%s: %s\n", cmd, log.error().message.c_str());
        return std::nullopt;
    }
    opened.log.emplace(std::move(*log));
    return opened;
}

}  // namespace

int RunAuditVerify(const AuditVerifyOptions& opt) {
    constexpr const char* kCmd = "vigil audit verify";
    auto key = audit::PublicKey::LoadFromFile(opt.public_key);
    if (!key) {
        std::fprintf(stderr, "%s: %s\n", kCmd, key.error().message.c_str());
        return 2;
    }
    auto opened = OpenLog(opt.db, kCmd);
    if (!opened) return 2;
    auto& log = opened->log;
    auto checkpoints = log->Checkpoints();
    audit::VerifyOptions options;
    options.max_findings = opt.max_findings;
    auto report = log->Verify(*key, options);
    if (!report || !checkpoints) {
        const auto& error = report ? checkpoints.error() : report.error();
        std::fprintf(stderr, "%s: %s\n", kCmd, error.message.c_str());
        return 2;
    }
    for (const auto& finding : report->findings) {
        std::printf("%s\n", finding.ToString().c_str());
    }
    if (report->findings_omitted > 0) {
        std::printf("... %llu more findings not shown\n",
                    static_cast<unsigned long long>(report->findings_omitted));
    }
    const uint64_t findings = report->findings.size() + report->findings_omitted;
    std::printf("%s: %s: %llu records checked, %zu checkpoints, last seq %llu, %llu findings\n",
                kCmd, report->ok ? "OK" : "FAILED",
                static_cast<unsigned long long>(report->records_checked), checkpoints->size(),
                static_cast<unsigned long long>(report->last_seq),
                static_cast<unsigned long long>(findings));
    std::fflush(stdout);
    return report->ok ? 0 : 1;
}

int RunAuditExport(const AuditExportOptions& opt) {
    constexpr const char* kCmd = "vigil audit export";
    if (opt.checkpoints && opt.format != "jsonl") {
        std::fprintf(stderr, "%s: --checkpoints exports JSON lines only\n", kCmd);
        return 2;
    }
    auto opened = OpenLog(opt.db, kCmd);
    if (!opened) return 2;
    auto& log = opened->log;

    std::ofstream file;
    std::ostream* out = &std::cout;
    if (!opt.out.empty() && opt.out != "-") {
        // Audit records name people and addresses: the export is readable by its owner only.
        const mode_t old_mask = ::umask(077);
        file.open(opt.out, std::ios::binary | std::ios::trunc);
        ::umask(old_mask);
        if (!file) {
            std::fprintf(stderr, "%s: cannot write %s\n", kCmd, opt.out.c_str());
            return 2;
        }
        out = &file;
    }
    Status st;
    if (opt.checkpoints) {
        st = log->ExportCheckpointsJsonLines(*out);
    } else if (opt.format == "csv") {
        st = log->ExportCsv(*out, opt.from_seq);
    } else {
        st = log->ExportJsonLines(*out, opt.from_seq);
    }
    if (st && file.is_open()) {
        file.close();
        if (!file) st = MakeError(Code::kUnavailable, "writing " + opt.out + " failed");
    }
    if (!st) {
        std::fprintf(stderr, "%s: %s\n", kCmd, st.error().message.c_str());
        return 2;
    }
    return 0;
}

}  // namespace vigil::cli
