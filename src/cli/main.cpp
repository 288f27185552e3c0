#include <CLI/CLI.hpp>

#include "cli/audit_cmd.h"
#include "cli/backup_cmd.h"
#include "cli/events_cmd.h"
#include "cli/hunt.h"
#include "cli/init_cmd.h"
#include "cli/keys_cmd.h"
#include "cli/serve_cmd.h"
#include "cli/status_cmd.h"
#include "parse/decode.h"

int main(int argc, char** argv) {
    CLI::App app{"Vigil: security assurance platform"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "vigil 0.1.0");

    vigil::cli::HuntOptions hunt;
    auto* h = app.add_subcommand(
        "hunt", "Run Sigma rules over event files (JSON, JSON lines, .evtx, text)");
    h->add_option("-r,--rules", hunt.rules, "Rule file or folder (repeat -r for more)")
        ->required()
        ->expected(1)
        ->take_all();
    h->add_option("-p,--pipeline", hunt.pipelines,
                  "Field-mapping pipeline file, added to the built-in ones (repeatable)")
        ->expected(1)
        ->take_all();
    h->add_flag("--no-builtin-pipelines", hunt.no_builtin_pipelines,
                "Do not load the shipped windows/generic pipelines");
    h->add_option("--placeholders", hunt.placeholders,
                  "YAML file with values for |expand placeholders");
    h->add_option("-f,--format", hunt.format, "Output format")
        ->check(CLI::IsMember({"table", "jsonl", "csv"}));
    h->add_option("-j,--threads", hunt.threads, "Worker threads (default: all cores)");
    std::vector<std::string> decoders;
    for (auto n : vigil::parse::FormatNames()) decoders.emplace_back(n);
    h->add_option("--decoder", hunt.decoder,
                  "Decoder for text lines: auto, syslog, access, auditd, ... (default text: "
                  "lines are only seen by keyword rules); see docs/decoders.md")
        ->check(CLI::IsMember(decoders));
    h->add_option("--timezone", hunt.timezone,
                  "How times without a zone (RFC 3164 syslog, NXLog's EventTime) are read: UTC "
                  "(default), local, or an offset such as +08:00");
    h->add_option("--logsource", hunt.logsource,
                  "Logsource for events without one, e.g. product=linux,service=auth");
    h->add_flag("--match-unrouted", hunt.match_unrouted,
                "Evaluate every rule on events with no logsource");
    h->add_flag("--stats", hunt.stats, "Print rule, event and speed statistics");
    h->add_option("inputs", hunt.inputs, "Input files ('-' for standard input)")->required();

    vigil::cli::RulesCheckOptions check;
    auto* rules = app.add_subcommand("rules", "Rule management");
    rules->require_subcommand(1);
    auto* c = rules->add_subcommand("check", "Load rules and report every diagnostic");
    c->add_option("paths", check.rules, "Rule files or folders")->required();
    c->add_option("--placeholders", check.placeholders,
                  "YAML file with values for |expand placeholders");
    c->add_flag("--json", check.json, "Diagnostics as JSON lines");

    vigil::cli::AuditVerifyOptions audit_verify;
    vigil::cli::AuditExportOptions audit_export;
    auto* audit = app.add_subcommand("audit", "Audit trail: verify and export");
    audit->require_subcommand(1);
    auto* av = audit->add_subcommand(
        "verify",
        "Check the hash chain and signed checkpoints; name every altered, inserted "
        "and deleted record (exit 1 on findings)");
    av->add_option("--db", audit_verify.db, "Audit database (SQLite)")->required();
    av->add_option("--public-key", audit_verify.public_key,
                   "Ed25519 public key (PEM) the checkpoints were signed with")
        ->required();
    av->add_option("--max-findings", audit_verify.max_findings, "Findings to list at most");
    auto* ae = audit->add_subcommand("export", "Write the audit records as JSON lines or CSV");
    ae->add_option("--db", audit_export.db, "Audit database (SQLite)")->required();
    ae->add_option("-f,--format", audit_export.format, "Output format")
        ->check(CLI::IsMember({"jsonl", "csv"}));
    ae->add_option("-o,--out", audit_export.out, "Output file (default: standard output)");
    ae->add_option("--from", audit_export.from_seq, "First seq to export");
    ae->add_flag("--checkpoints", audit_export.checkpoints,
                 "Export the signed checkpoints instead of the records (jsonl)");

    vigil::cli::InitOptions init;
    auto* in = app.add_subcommand(
        "init",
        "Create a data directory: keys, configuration, state database and the first "
        "administrator (one-time password printed once)");
    in->add_option("dir", init.data_dir, "Data directory to create (mode 0700)")->required();
    in->add_option("--admin", init.admin_username, "Name of the first administrator");
    in->add_flag("--force", init.force, "Use a non-empty directory (never overwrites files)");

    vigil::cli::ServeCmdOptions serve;
    auto* sv = app.add_subcommand(
        "serve", "Run the HTTPS API (TLS 1.3) on a data directory from `vigil init` until Ctrl-C");
    sv->add_option("--data", serve.data_dir, "Data directory (holds vigil.yml)")->required();
    sv->add_option("--port", serve.port, "Port, overriding vigil.yml (0: an ephemeral port)");
    sv->add_option("--bind", serve.bind, "Address, overriding vigil.yml");
    sv->add_option("--threads", serve.threads, "Server worker threads")->check(CLI::Range(1, 64));
    sv->add_option("--console", serve.console_dir,
                   "Built web console to serve at / (default: the build's web/dist if built)");

    vigil::cli::StatusOptions status;
    auto* st = app.add_subcommand(
        "status",
        "Is vigil serve running on a data directory, and its ingestion counters per source "
        "(exit 3: not running; 4: running, no current snapshot)");
    st->add_option("--data", status.data_dir, "Data directory")->required();
    st->add_flag("--json", status.json, "The snapshot as JSON, with running and age_seconds");

    vigil::cli::BackupCommands backup;  // backup, backup verify, restore
    backup.Register(app);
    vigil::cli::KeysCommands keys;  // keys rotate
    keys.Register(app);
    vigil::cli::EventsCommands events;  // events search, events stats
    events.Register(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Help and version exit 0; every usage error exits 2, as documented.
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (auto code = backup.Run()) return *code;
    if (auto code = keys.Run()) return *code;
    if (auto code = events.Run()) return *code;
    if (h->parsed()) return vigil::cli::RunHunt(hunt);
    if (in->parsed()) return vigil::cli::RunInit(init);
    if (sv->parsed()) return vigil::cli::RunServe(serve);
    if (st->parsed()) return vigil::cli::RunStatus(status);
    if (c->parsed()) return vigil::cli::RunRulesCheck(check);
    if (av->parsed()) return vigil::cli::RunAuditVerify(audit_verify);
    if (ae->parsed()) return vigil::cli::RunAuditExport(audit_export);
    return 0;
}
