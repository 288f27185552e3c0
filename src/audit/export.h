#pragma once
// Export of audit records for auditors and regulators: JSON lines and CSV.
//
// JSON lines: one object per record, keys in a fixed order, strings escaped per RFC 8259 (invalid
// UTF-8 bytes as \u00XX), time both as RFC 3339 text (milliseconds) and exact nanoseconds.
// CSV: RFC 4180 (header row, CRLF line ends, fields with comma, quote, CR or LF quoted, quotes
// doubled). Text fields starting with = + - @ TAB or CR get a leading single quote so that a
// spreadsheet shows them as text instead of running them as formulas (CSV injection, OWASP).

#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "audit/chain.h"
#include "audit/record.h"
#include "base/result.h"

namespace vigil::audit {

// {"seq":1,"time":"...","time_ns":...,"actor":...,"action":...,"object":...,"before":...,
//  "after":...,"source_ip":...,"result":...,"detail":...,"prev_hash":...,"hash":...}
std::string RecordToJson(const Record& record);
// {"seq":...,"hash":...,"time":"...","time_ns":...,"signature":...,"key_id":...}
std::string CheckpointToJson(const Checkpoint& checkpoint);

// One CSV field: neutralised against formula injection, then quoted when RFC 4180 needs it.
std::string CsvField(std::string_view text);
// "seq,time,time_ns,actor,action,object,before,after,source_ip,result,detail,prev_hash,hash"
std::string_view CsvHeader();
// One record as a CSV row in CsvHeader's column order, ending in CRLF.
std::string CsvRow(const Record& record);

// Fail with kUnavailable when the stream reports an error.
Status ExportJsonLines(std::span<const Record> records, std::ostream& out);
Status ExportCheckpointsJsonLines(std::span<const Checkpoint> checkpoints, std::ostream& out);
Status ExportCsv(std::span<const Record> records, std::ostream& out);

}  // namespace vigil::audit
