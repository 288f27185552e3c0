#pragma once
// Compiled form of the rule set, shared by the compiler (compiler.cpp) and the matcher
// (matcher.cpp). Not part of the component's public interface.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <hs/hs.h>
#include <re2/re2.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/flat_name_map.h"
#include "detect/engine.h"

namespace vigil::detect::internal {

// Field id 0 is the whole-event keyword search.
inline constexpr uint32_t kKeywordField = 0;
// A glob's `?` in the Vectorscan regex a glob compiles to (`*` is `.*`, a literal byte is
// itself when alphanumeric and `\xHH` otherwise): one UTF-8 character.
inline constexpr std::string_view kGlobOneChar = "(?:[\\x00-\\x7f]|[\\xc0-\\xff][\\x80-\\xbf]+)";

enum class PatKind : uint8_t { kExact, kPrefix, kSuffix, kContains, kGlob, kRegex };

struct Pattern {
    uint32_t field = 0;
    PatKind kind = PatKind::kExact;
    bool cased = false;
    std::string text;          // literal (lower-cased unless cased), Vectorscan regex for kGlob,
                               // the rule's regex for kRegex
    std::string flags;         // kRegex: "i", "m", "s" sub-modifiers
    std::shared_ptr<RE2> re2;  // kRegex: confirms a Vectorscan prefilter hit; kGlob: checks
                               // an on-demand glob (Engine::Impl::on_demand)

    std::string Key() const;
};

enum class CmpOp : uint8_t { kLt, kLte, kGt, kGte, kEq, kNeq };
enum class TimePart : uint8_t { kNone, kMinute, kHour, kDay, kWeek, kMonth, kYear };

struct Network {
    bool v6 = false;
    std::array<uint8_t, 16> addr{};
    int prefix = 0;
};

// Leaves that are not text patterns.
struct Pred {
    enum Kind : uint8_t { kNull, kExists, kNotExists, kNumCmp, kCidr, kFieldRef } kind = kNull;
    uint32_t field = 0;
    CmpOp cmp = CmpOp::kEq;
    TimePart part = TimePart::kNone;
    double number = 0;
    std::vector<Network> networks;
    uint32_t other_field = 0;  // kFieldRef
    PatKind ref_kind = PatKind::kExact;
    bool cased = false;
};

struct Node {
    enum Op : uint8_t { kAnd, kOr, kNot, kPattern, kPred, kTrue, kFalse, kAnyPattern } op = kTrue;
    // kAnd/kOr: first child in kids; kAnyPattern: first pattern id in kids (sorted);
    // kNot: child node; kPattern/kPred: index
    uint32_t a = 0;
    uint32_t b = 0;  // kAnd/kOr/kAnyPattern: number of children
};

// A rule's condition flattened into pre-order so evaluation reads contiguous memory.
struct Instr {
    Node::Op op;
    uint32_t arg = 0;    // pattern / predicate index; kAnyPattern: first pattern in kids
    uint32_t count = 0;  // children (kAnd/kOr/kNot) or listed patterns (kAnyPattern)
    uint32_t len = 1;    // instructions in this subtree, itself included
};

struct CompiledRule {
    RuleInfo info;
    uint32_t root = 0;
    uint32_t program = 0;             // first instruction in Engine::Impl::program
    std::vector<uint32_t> field_ids;  // fields the rule (and its filters) reads
    bool keywords = false;            // reads the keyword pseudo-field
    bool always = false;              // no pattern is required: evaluate on every routed event
    std::vector<uint32_t> filters;    // indices of filter rules that apply to this rule
};

struct HsDbDeleter {
    void operator()(hs_database_t* db) const { hs_free_database(db); }
};
using HsDb = std::unique_ptr<hs_database_t, HsDbDeleter>;

// One Vectorscan database and what its ids mean.
struct Db {
    HsDb db;
    std::vector<uint32_t> pat;  // hs id -> pattern
    std::vector<uint32_t> len;  // literal length (prefix anchoring)
    bool lower = false;         // scanned against the lower-cased value
};

// Everything that matches one field's values. Caseless patterns are compiled lower-case
// and scanned against a value lower-cased once, which is faster than Vectorscan's
// caseless mode; cased patterns and user regexes see the original bytes.
struct FieldIndex {
    // Exact values -> their patterns (looked up for every scanned value, without a copy).
    FlatNameMap<std::vector<uint32_t>> exact_ci;  // lower-cased value
    FlatNameMap<std::vector<uint32_t>> exact_cs;
    std::vector<Db> dbs;
    // Patterns Vectorscan cannot compile, matched by RE2 alone.
    struct Re2Only {
        uint32_t pid;
        std::shared_ptr<RE2> re;
        bool lower;  // matches the lower-cased value
    };
    std::vector<Re2Only> re2_only;
    std::vector<uint32_t> match_empty;  // patterns that match an empty value (not scanned)
    // Scanned regexes whose byte-wise prefilter can miss a match in non-ASCII text (RE2 reads
    // UTF-8 characters: `a.b` matches `aéb`): RE2 alone decides them for such values.
    std::vector<uint32_t> re2_non_ascii;
    bool needs_lower = false;

    // Nothing to look for (a field whose patterns are all on demand).
    bool empty() const {
        return exact_ci.empty() && exact_cs.empty() && dbs.empty() && re2_only.empty() &&
               match_empty.empty();
    }
};

// Keyword (whole-event) patterns of the rules that share one logsource: an event scans
// only the groups routed to it.
struct KeywordGroup {
    LogSourceSpec logsource;
    std::vector<uint32_t> patterns;
    // Every pattern, scanned value by value.
    FieldIndex index;
    // The caseless contains-literals and contains-globs (a glob's wildcards kept within one
    // value), scanned once over all values joined by kValueSeparator; the other patterns
    // (anchored, cased, regular expressions) in `rest`, value by value. A group without
    // joinable patterns has an empty `joined` and uses `index`.
    FieldIndex joined;
    FieldIndex rest;
    bool rest_empty = true;
    // `joined` holds globs: an event with the separator byte in a value uses `index` instead,
    // so that byte cannot stop a glob's wildcard from spanning it.
    bool joined_globs = false;
};

// Joins values for a joinable keyword scan; no rule literal contains it.
inline constexpr char kValueSeparator = '\x1e';

// A keyword pattern the joined scan can take: a caseless contains-literal or contains-glob
// that cannot match the separator byte itself.
inline bool Joinable(const Pattern& p) {
    if (p.cased) return false;
    if (p.kind == PatKind::kContains) return p.text.find(kValueSeparator) == std::string::npos;
    if (p.kind == PatKind::kGlob)
        return !p.text.starts_with('^') && !p.text.ends_with("\\z") &&
               p.text.find("\\x1e") == std::string::npos;
    return false;
}

}  // namespace vigil::detect::internal

namespace vigil::detect {

struct Engine::Impl {
    EngineOptions options;
    LoadStats stats;

    std::vector<internal::Pattern> patterns;
    std::unordered_map<std::string, uint32_t> pattern_ids;  // Pattern::Key -> index
    std::vector<internal::Pred> preds;
    std::vector<internal::Node> nodes;
    std::vector<uint32_t> kids;
    std::vector<internal::Instr> program;  // every rule's and filter's flattened condition

    FlatNameMap<uint32_t> field_ids;       // looked up for every field of every event
    std::vector<std::string> field_names;  // by id; [0] is the keyword pseudo-field

    std::vector<internal::CompiledRule> rules;             // detection rules, reported
    std::vector<internal::CompiledRule> filters;           // global filters
    std::vector<std::vector<std::string>> filter_targets;  // per filter: rule ids / names
    std::vector<CorrelationRule> pending_correlations;
    CorrelationEngine correlations;

    // Built by Compile().
    std::vector<internal::FieldIndex> fields;  // by field id
    std::vector<internal::KeywordGroup> keyword_groups;
    std::vector<std::vector<uint32_t>> pattern_rules;  // pattern -> rules it triggers
    // Patterns no rule is triggered by (each rule using one needs a rarer part of its
    // condition seen first) and no always-evaluated rule or filter reads: left out of the
    // Vectorscan databases and checked, value by value, only when a rule's evaluation asks.
    std::vector<uint8_t> on_demand;        // by pattern
    std::vector<uint8_t> instr_on_demand;  // by program instruction: a kAnyPattern listing one
    bool compiled = false;

    uint32_t FieldId(std::string_view name);
};

}  // namespace vigil::detect
