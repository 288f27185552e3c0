#pragma once
// JSON object -> flat Event fields with simdjson. Nested objects join their keys with '.',
// arrays of scalars repeat the field name, arrays of objects flatten each element under
// the same name. Numbers keep their text, booleans are "true"/"false", null is kNull.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.h"
#include "base/result.h"
#include "event/event.h"

namespace vigil::parse {

// Spare capacity after a document that lets the decoder parse it in place.
inline constexpr size_t kJsonPadding = 64;

struct JsonLimits {
    size_t max_bytes = limits::kMaxEventBytes;
    size_t max_depth = limits::kMaxJsonDepth;
    size_t max_fields = limits::kMaxEventFields;
};

class JsonDecoder {
public:
    explicit JsonDecoder(JsonLimits limits = {});
    ~JsonDecoder();
    JsonDecoder(const JsonDecoder&) = delete;
    JsonDecoder& operator=(const JsonDecoder&) = delete;

    // Appends the fields of one JSON object to ev. On error ev may hold a partial set of
    // fields and the error says why and where (byte offset) the document is bad.
    Status Decode(std::string_view json, event::Event& ev);
    // Same, parsing in place without a copy when json has kJsonPadding bytes of spare
    // capacity (the reader's records do).
    Status Decode(const std::string& json, event::Event& ev);
    Status Decode(const char* json, event::Event& ev) { return Decode(std::string_view(json), ev); }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Splits a JSON text of one or more values (an HTTP body of `application/json`) into the texts
// of the events it holds: each element of a top-level array, each other top-level value whole
// (a pretty-printed object is one event). The texts are views of `text`, exactly as sent. The
// scan only finds where values begin and end (strings, escapes, nesting, without recursion,
// so any depth is safe); each value is validated when it is decoded. Errors say at which byte.
Status SplitJsonValues(std::string_view text, std::vector<std::string_view>& values);

}  // namespace vigil::parse
