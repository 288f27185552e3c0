#pragma once
// The encoding of an event's fields in the event store's `fields` column.
//
// Version 1: a varint count, then per field a varint name length, the name, a varint value
// length, the value and one kind byte.
//
// Version 2 (what appends write): the bytes 0x00 0x02, a varint count, then per field
//   - a tag byte: bits 0-2 the value kind, bit 3 set when the name is a code of the built-in
//     name table, bit 4 set when the value is a slice of the event's stored raw text;
//   - the name: one code byte, or a varint length and the bytes;
//   - the value: a varint offset and a varint length into the raw text, or a varint length and
//     the bytes.
// Decoded fields mostly repeat pieces of the raw line under a few dozen common names, so a
// version 2 blob is a fraction of version 1's size. A version 1 blob never starts with 0x00
// followed by more bytes (its count 0 is the single byte 0x00), so both are read.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::event {
class Event;
}

namespace vigil::store {

struct FieldEncodeCounts {
    size_t fields_dropped = 0;    // past kMaxStoredFields or with an over-long name
    size_t values_truncated = 0;  // cut to kMaxStoredValueBytes
};

// Encodes e's fields (version 2) against `raw`, the text stored in the same row.
void EncodeFields(const event::Event& e, std::string_view raw, std::string& out,
                  FieldEncodeCounts& counts);
// Adds the fields of `blob` (either version) to out; false when the blob is damaged.
bool DecodeFields(std::string_view blob, std::string_view raw, event::Event& out);

namespace field_codec {

// The name with code `code` of the built-in table ("" past its end).
std::string_view NameOfCode(uint8_t code);

inline bool GetVarint(std::string_view& in, uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (in.empty()) return false;
        const auto b = static_cast<uint8_t>(in[0]);
        in.remove_prefix(1);
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) return true;
    }
    return false;
}

inline bool GetBytes(std::string_view& in, std::string_view& out) {
    uint64_t n = 0;
    if (!GetVarint(in, n) || n > in.size()) return false;
    out = in.substr(0, n);
    in.remove_prefix(n);
    return true;
}

inline constexpr uint8_t kKindMask = 0x07;
inline constexpr uint8_t kNameCoded = 0x08;
inline constexpr uint8_t kValueInRaw = 0x10;

}  // namespace field_codec

// Walks an encoded fields blob (either version); visit(name, value, kind) returns false to stop
// early. Returns false when the blob is damaged.
template <typename Visit>
bool ForEachField(std::string_view blob, std::string_view raw, Visit&& visit) {
    using namespace field_codec;
    uint64_t count = 0;
    if (blob.size() > 1 && blob[0] == 0) {
        if (blob[1] != 2) return false;
        blob.remove_prefix(2);
        if (!GetVarint(blob, count)) return false;
        for (uint64_t i = 0; i < count; ++i) {
            if (blob.empty()) return false;
            const auto tag = static_cast<uint8_t>(blob[0]);
            blob.remove_prefix(1);
            std::string_view name, value;
            if (tag & kNameCoded) {
                if (blob.empty()) return false;
                name = NameOfCode(static_cast<uint8_t>(blob[0]));
                blob.remove_prefix(1);
                if (name.empty()) return false;
            } else if (!GetBytes(blob, name)) {
                return false;
            }
            if (tag & kValueInRaw) {
                uint64_t off = 0, len = 0;
                if (!GetVarint(blob, off) || !GetVarint(blob, len) || off > raw.size() ||
                    len > raw.size() - off) {
                    return false;
                }
                value = raw.substr(off, len);
            } else if (!GetBytes(blob, value)) {
                return false;
            }
            if (!visit(name, value, static_cast<uint8_t>(tag & kKindMask))) return true;
        }
        return true;
    }
    if (!GetVarint(blob, count)) return false;
    for (uint64_t i = 0; i < count; ++i) {
        std::string_view name, value;
        if (!GetBytes(blob, name) || !GetBytes(blob, value) || blob.empty()) return false;
        const auto kind = static_cast<uint8_t>(blob[0]);
        blob.remove_prefix(1);
        if (!visit(name, value, kind)) return true;
    }
    return true;
}

}  // namespace vigil::store
