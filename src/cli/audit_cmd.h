#pragma once
// `vigil audit verify`: check an audit database's hash chain and checkpoints with the public
// key and name every altered, inserted and deleted record. `vigil audit export`: the records
// (or the checkpoints) as JSON lines or CSV for auditors.
//
// Exit codes: 0 the log verifies / export written, 1 findings, 2 usage or configuration error
// (missing database, unreadable key, not an audit database).

#include <cstdint>
#include <string>

namespace vigil::cli {

struct AuditVerifyOptions {
    std::string db;
    std::string public_key;  // PEM file ("-----BEGIN PUBLIC KEY-----")
    size_t max_findings = 1000;
};

int RunAuditVerify(const AuditVerifyOptions& options);

struct AuditExportOptions {
    std::string db;
    std::string format = "jsonl";  // jsonl | csv
    std::string out;               // empty or "-": standard output
    uint64_t from_seq = 0;
    bool checkpoints = false;  // the signed checkpoints instead of the records (jsonl only)
};

int RunAuditExport(const AuditExportOptions& options);

}  // namespace vigil::cli
