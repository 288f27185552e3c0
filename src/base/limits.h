#pragma once
// Named limits for every untrusted input. Exceeding one is a clear error, never a crash.

#include <cstddef>

namespace vigil::limits {

inline constexpr size_t kMaxEventBytes = 4 * 1024 * 1024;  // one JSON document / log record
inline constexpr size_t kMaxEventFields = 4096;            // flattened fields per event
inline constexpr size_t kMaxLineBytes = 256 * 1024;        // one text log line given to a decoder
inline constexpr size_t kMaxJsonDepth = 64;                // nesting depth of event JSON
inline constexpr size_t kMaxRuleFileBytes = 1024 * 1024;   // one rule/pipeline YAML file
inline constexpr size_t kMaxRuleValues = 100000;           // values listed for one field
inline constexpr size_t kMaxValueExpansion = 4096;         // values one value expands to
inline constexpr size_t kMaxConditionDepth = 64;           // parenthesis / not nesting
inline constexpr size_t kMaxConditionTokens = 4096;
inline constexpr size_t kMaxRegexBytes = 8192;

}  // namespace vigil::limits
