#pragma once
// One audit record and the canonical byte form its hash is computed over.
//
// Every login (success and failure), permission change, configuration change and state change
// becomes a Record: who (actor), when (time_ns), what (action), on which object, the state
// before and after, the source IP and the result. Records are hash-chained (see chain.h).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vigil::audit {

// Hash of the virtual record before the first one (seq 0): 64 zeros.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr size_t kHashHexLength = 64;

// Named limits: a record is a few fields of text; before/after may carry a config snapshot.
inline constexpr size_t kMaxShortFieldBytes = 4096;        // actor, action, object, ip, result
inline constexpr size_t kMaxLongFieldBytes = 1024 * 1024;  // before, after, detail

struct Record {
    uint64_t seq = 0;     // 1, 2, 3, ... assigned by Chain::Append
    int64_t time_ns = 0;  // nanoseconds since the Unix epoch (UTC)
    std::string actor;    // user name, api token id or "system"
    std::string action;   // e.g. "auth.login", "config.change", "role.grant"
    std::string object;   // what the action was applied to
    std::string before;   // state before (free text or JSON), empty when not applicable
    std::string after;    // state after
    std::string source_ip;
    std::string result;     // "success", "failure", "denied", ...
    std::string detail;     // free-form context (failure reason, request id, ...)
    std::string prev_hash;  // hash of the record seq - 1 (kGenesisHash for seq 1)
    std::string hash;       // HashRecord(*this): lower-case hex SHA-256

    bool operator==(const Record&) const = default;
};

// Canonical serialization, version 1. Unambiguous because every field is length-prefixed:
//
//   "vigil-audit-record-v1\n"
//   then for each field, in this fixed order:
//     seq, time_ns, actor, action, object, before, after, source_ip, result, detail
//   the netstring  <decimal byte length> ":" <bytes> ","
//
// seq and time_ns are written as decimal (time_ns may carry a leading '-'). Field bytes are
// taken verbatim (no Unicode normalisation, no escaping), so any byte sequence round-trips and
// no two different records share a serialization. prev_hash and hash are not part of it.
std::string CanonicalBytes(const Record& record);

// Lower-case hex SHA-256 of prev_hash || CanonicalBytes(record). prev_hash is always exactly
// 64 hex characters (IsHashHex), so the concatenation is unambiguous.
std::string HashRecord(const Record& record);

// Lower-case hex SHA-256 of arbitrary bytes.
std::string Sha256Hex(std::string_view data);

// True for exactly 64 lower-case hex characters.
bool IsHashHex(std::string_view s);

// Checks the named limits; the message names the offending field.
Status CheckLimits(const Record& record);

}  // namespace vigil::audit
