#pragma once
// The Event: what every decoder produces and every detector reads. Fields are flat
// (nested JSON is joined with '.'), kept in one byte buffer with offsets so an Event can
// be cleared and refilled without allocating. A field name may repeat (JSON arrays).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::event {

enum class ValueKind : uint8_t { kString, kNumber, kBool, kNull };

// Sigma logsource of an event. An event may carry several categories (a Sysmon
// registry event is registry_event and registry_set at once).
struct LogSource {
    std::string product;
    std::string service;
    std::vector<std::string> categories;

    void Clear() {
        product.clear();
        service.clear();
        categories.clear();
    }
    bool HasCategory(std::string_view c) const;
    void AddCategory(std::string_view c);
    // "product/service/cat1+cat2", used as a cache key for per-logsource rule sets.
    std::string Key() const;
};

// Offset of a value in the line it was decoded from, when it is a verbatim piece of it.
inline constexpr uint32_t kNotInLine = UINT32_MAX;

struct FieldView {
    std::string_view name;
    std::string_view value;
    ValueKind kind;
    uint32_t line_offset;  // kNotInLine, or where value starts in the decoded line
};

// Appends a field's value to out as JSON: a number or boolean as itself when JSON can write it
// so, else as a string.
void AppendJsonValue(std::string& out, const FieldView& f);

class Event {
public:
    void Clear();

    // line_offset: where value starts in the line being decoded, when it is a verbatim piece
    // of it (the store then keeps a reference instead of a copy).
    void Add(std::string_view name, std::string_view value, ValueKind kind = ValueKind::kString,
             uint32_t line_offset = kNotInLine);
    // Renames field i in place (used by field-mapping pipelines).
    void Rename(size_t i, std::string_view new_name);
    // Appends more to field i's value (which is then no verbatim piece of the line).
    void AppendToValue(size_t i, std::string_view more);
    // Removes field i; the fields after it move up by one.
    void Erase(size_t i);

    size_t size() const { return fields_.size(); }
    bool empty() const { return fields_.empty(); }
    FieldView field(size_t i) const {
        const Slot& s = fields_[i];
        return {std::string_view(buf_).substr(s.name_off, s.name_len),
                std::string_view(buf_).substr(s.value_off, s.value_len), s.kind, s.line_offset};
    }
    // First field with this exact name, or -1.
    int Find(std::string_view name) const;
    // Value of the first field with this name ("" if absent).
    std::string_view Get(std::string_view name) const;

    LogSource logsource;
    int64_t time_ns = 0;    // event time; 0 when unknown
    std::string message;    // the raw text of a non-JSON record (keyword search covers it)
    std::string origin;     // "file.evtx#123": where the event came from
    uint64_t sequence = 0;  // position in its input

    // Writes the fields as a nested JSON object (dotted names are nested again).
    void AppendJson(std::string& out) const;

private:
    struct Slot {
        uint32_t name_off, name_len, value_off, value_len;
        uint32_t line_offset;
        ValueKind kind;
    };
    std::string buf_;
    std::vector<Slot> fields_;
};

}  // namespace vigil::event
