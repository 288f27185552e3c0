#include "audit/export.h"

#include "base/strings.h"

namespace vigil::audit {
namespace {

void AppendKey(std::string& out, std::string_view key) {
    out += '"';
    out.append(key);
    out += "\":";
}

void AppendStringMember(std::string& out, std::string_view key, std::string_view value) {
    out += ',';
    AppendKey(out, key);
    AppendJsonString(out, value);
}

Status StreamStatus(const std::ostream& out, std::string_view what) {
    if (!out) return MakeError(Code::kUnavailable, "writing " + std::string(what) + " failed");
    return Ok();
}

}  // namespace

std::string RecordToJson(const Record& r) {
    std::string out = "{";
    AppendKey(out, "seq");
    out += std::to_string(r.seq);
    AppendStringMember(out, "time", FormatTimestamp(r.time_ns));
    out += ',';
    AppendKey(out, "time_ns");
    out += std::to_string(r.time_ns);
    AppendStringMember(out, "actor", r.actor);
    AppendStringMember(out, "action", r.action);
    AppendStringMember(out, "object", r.object);
    AppendStringMember(out, "before", r.before);
    AppendStringMember(out, "after", r.after);
    AppendStringMember(out, "source_ip", r.source_ip);
    AppendStringMember(out, "result", r.result);
    AppendStringMember(out, "detail", r.detail);
    AppendStringMember(out, "prev_hash", r.prev_hash);
    AppendStringMember(out, "hash", r.hash);
    out += '}';
    return out;
}

std::string CheckpointToJson(const Checkpoint& cp) {
    std::string out = "{";
    AppendKey(out, "seq");
    out += std::to_string(cp.seq);
    AppendStringMember(out, "hash", cp.hash);
    AppendStringMember(out, "time", FormatTimestamp(cp.time_ns));
    out += ',';
    AppendKey(out, "time_ns");
    out += std::to_string(cp.time_ns);
    AppendStringMember(out, "signature", cp.signature);
    AppendStringMember(out, "key_id", cp.key_id);
    out += '}';
    return out;
}

std::string CsvField(std::string_view text) {
    std::string value;
    if (!text.empty()) {
        char c = text.front();
        if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') value += '\'';
    }
    value.append(text);
    if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
    std::string quoted = "\"";
    for (char c : value) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

std::string_view CsvHeader() {
    return "seq,time,time_ns,actor,action,object,before,after,source_ip,result,detail,"
           "prev_hash,hash";
}

Status ExportJsonLines(std::span<const Record> records, std::ostream& out) {
    for (const Record& r : records) {
        std::string line = RecordToJson(r);
        line += '\n';
        out.write(line.data(), static_cast<std::streamsize>(line.size()));
        if (!out) break;
    }
    out.flush();
    return StreamStatus(out, "audit JSON lines");
}

Status ExportCheckpointsJsonLines(std::span<const Checkpoint> checkpoints, std::ostream& out) {
    for (const Checkpoint& cp : checkpoints) {
        std::string line = CheckpointToJson(cp);
        line += '\n';
        out.write(line.data(), static_cast<std::streamsize>(line.size()));
        if (!out) break;
    }
    out.flush();
    return StreamStatus(out, "audit checkpoints");
}

std::string CsvRow(const Record& r) {
    // seq, time and time_ns are produced by us (digits, ISO time) and never need escaping.
    std::string line = std::to_string(r.seq);
    line += ',';
    line += FormatTimestamp(r.time_ns);
    line += ',';
    line += std::to_string(r.time_ns);
    for (const std::string* field : {&r.actor, &r.action, &r.object, &r.before, &r.after,
                                     &r.source_ip, &r.result, &r.detail, &r.prev_hash, &r.hash}) {
        line += ',';
        line += CsvField(*field);
    }
    line += "\r\n";
    return line;
}

Status ExportCsv(std::span<const Record> records, std::ostream& out) {
    out << CsvHeader() << "\r\n";
    for (const Record& r : records) {
        if (!out) break;
        std::string line = CsvRow(r);
        out.write(line.data(), static_cast<std::streamsize>(line.size()));
    }
    out.flush();
    return StreamStatus(out, "audit CSV");
}

}  // namespace vigil::audit
