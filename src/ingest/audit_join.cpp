#include "ingest/audit_join.h"

#include <utility>

#include "base/audit_record.h"

namespace vigil::ingest {

std::string AuditJoiner::Key(std::string_view line, bool* end) {
    if (end) *end = false;
    const std::string_view record = FindAuditRecord(line);
    if (record.empty()) return {};
    std::string_view node;
    size_t type = 0;
    if (record.starts_with("node=")) {
        type = record.find(' ') + 1;  // FindAuditRecord checked the space
        node = record.substr(5, type - 6);
    }
    const size_t open = record.find("audit(", type);
    const size_t close = record.find(')', open);
    if (close == std::string_view::npos || close - open > 48) return {};
    const std::string_view id = record.substr(open + 6, close - open - 6);
    if (id.find(':') == std::string_view::npos) return {};
    if (end) {
        const std::string_view t = record.substr(type + 5);
        *end = t.starts_with("EOE ") || t.starts_with("1320 ");
    }
    std::string key;
    key.reserve(node.size() + 1 + id.size());
    key.append(node).push_back('|');
    key.append(id);
    return key;
}

void AuditJoiner::Add(RawMessage m, std::vector<RawMessage>& out, uint64_t tag) {
    if (!enabled_) {
        out.push_back(std::move(m));
        return;
    }
    bool end = false;
    std::string key = Key(m.bytes, &end);
    if (holding_ && !key.empty() && key == key_ &&
        held_.bytes.size() + 1 + m.bytes.size() > limits_.max_bytes) {
        Cut(out);
    } else if (holding_ && (key.empty() || key != key_)) {
        Flush(out);
    }
    if (key.empty()) {
        out.push_back(std::move(m));
        return;
    }
    if (!holding_) {
        holding_ = true;
        held_ = std::move(m);
        key_ = std::move(key);
        records_ = 1;
        tag_ = tag;
    } else {
        held_.bytes.push_back('\n');
        held_.bytes.append(m.bytes);
        held_.truncated = held_.truncated || m.truncated;  // a cut record cuts the event
        ++records_;
    }
    if (end) {
        Flush(out);
    } else if (records_ >= limits_.max_records) {
        Cut(out);
    }
}

void AuditJoiner::Cut(std::vector<RawMessage>& out) {
    if (!holding_) return;
    if (cut_) ++*cut_;
    Flush(out);
}

void AuditJoiner::Flush(std::vector<RawMessage>& out) {
    if (!holding_) return;
    out.push_back(std::move(held_));
    Clear();
}

void AuditJoiner::Clear() {
    holding_ = false;
    held_ = RawMessage{};
    key_.clear();
    records_ = 0;
    tag_ = 0;
}

}  // namespace vigil::ingest
