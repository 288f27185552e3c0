// Engine::Compile: attaches filters, resolves correlations, works out which patterns each
// rule cannot match without (its triggers) and builds the per-field Vectorscan databases.

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <optional>
#include <thread>

#include "detect/internal.h"
#include "detect/scanner.h"

namespace vigil::detect {

using internal::Node;
using internal::PatKind;

namespace {

// The patterns reachable from node n (kNot's included) into `out`; with keywords_only, only
// the keyword (whole-event) ones.
void CollectPatterns(const Engine::Impl& e, uint32_t n, std::vector<uint32_t>& out,
                     bool keywords_only = false) {
    const auto take = [&](uint32_t pid) {
        if (!keywords_only || e.patterns[pid].field == internal::kKeywordField) out.push_back(pid);
    };
    const Node& node = e.nodes[n];
    switch (node.op) {
        case Node::kPattern:
            take(node.a);
            break;
        case Node::kAnyPattern:
            for (uint32_t i = 0; i < node.b; ++i) take(e.kids[node.a + i]);
            break;
        case Node::kAnd:
        case Node::kOr:
            for (uint32_t i = 0; i < node.b; ++i)
                CollectPatterns(e, e.kids[node.a + i], out, keywords_only);
            break;
        case Node::kNot:
            CollectPatterns(e, node.a, out, keywords_only);
            break;
        default:
            break;
    }
}

// The longest run of literal characters in a glob's regex (`*.onion/*` has 7, `*@*` has 1).
size_t GlobLongestLiteral(std::string_view re) {
    size_t best = 0, run = 0;
    for (size_t i = 0; i < re.size();) {
        if (re.substr(i).starts_with(".*") || re.substr(i).starts_with(internal::kGlobOneChar)) {
            i += re[i] == '.' ? 2 : internal::kGlobOneChar.size();
            run = 0;
        } else if (re.substr(i).starts_with("\\z")) {
            i += 2;
        } else if (re[i] == '^') {
            ++i;
        } else {
            i += re[i] == '\\' ? 4 : 1;  // \xHH or an alphanumeric byte
            best = std::max(best, ++run);
        }
    }
    return best;
}

// How likely a set of trigger patterns is to be seen: the sum, over its patterns, of the
// number of rules using each. A pattern many rules share (auditd's type=EXECVE, a web log's
// GET) is one that events carry; one only a single rule uses (a0=curl) rarely is.
// A substring of one or two characters (':', '@', '-s', or a glob such as `*:?/*`) is in nearly
// every event whatever the rules: never the better trigger.
uint64_t TriggerCost(const Engine::Impl& e, const std::vector<uint32_t>& set,
                     const std::vector<uint32_t>& rules_using) {
    constexpr uint64_t kShortSubstring = 1 << 20;
    uint64_t cost = 0;
    for (uint32_t p : set) {
        cost += rules_using[p];
        const internal::Pattern& pat = e.patterns[p];
        const bool short_text =
            pat.kind == PatKind::kGlob ? GlobLongestLiteral(pat.text) <= 2 : pat.text.size() <= 2;
        if (pat.kind != PatKind::kExact && pat.kind != PatKind::kRegex && short_text)
            cost += kShortSubstring;
    }
    return cost;
}

// The set of patterns at least one of which must be seen for the node to be true, or
// nullopt when the node can be true without any pattern (not, numeric, exists, ...). Of an
// AND's children, the set least likely to be seen (TriggerCost) is taken: the rule is then
// evaluated only on events that carry its rare part.
std::optional<std::vector<uint32_t>> Required(const Engine::Impl& e, uint32_t n,
                                              const std::vector<uint32_t>& rules_using) {
    const Node& node = e.nodes[n];
    switch (node.op) {
        case Node::kPattern:
            return std::vector<uint32_t>{node.a};
        case Node::kFalse:
            return std::vector<uint32_t>{};
        case Node::kAnd: {
            std::optional<std::vector<uint32_t>> best;
            uint64_t best_cost = 0;
            for (uint32_t i = 0; i < node.b; ++i) {
                auto r = Required(e, e.kids[node.a + i], rules_using);
                if (!r) continue;
                const uint64_t cost = TriggerCost(e, *r, rules_using);
                if (!best || cost < best_cost || (cost == best_cost && r->size() < best->size())) {
                    best = std::move(r);
                    best_cost = cost;
                }
            }
            return best;
        }
        case Node::kAnyPattern:
            return std::vector<uint32_t>(e.kids.begin() + node.a, e.kids.begin() + node.a + node.b);
        case Node::kOr: {
            std::vector<uint32_t> all;
            for (uint32_t i = 0; i < node.b; ++i) {
                auto r = Required(e, e.kids[node.a + i], rules_using);
                if (!r) return std::nullopt;
                all.insert(all.end(), r->begin(), r->end());
            }
            std::sort(all.begin(), all.end());
            all.erase(std::unique(all.begin(), all.end()), all.end());
            return all;
        }
        default:
            return std::nullopt;
    }
}

std::shared_ptr<RE2> Re2ForGlob(const internal::Pattern& p) {
    RE2::Options opt;
    opt.set_log_errors(false);
    opt.set_case_sensitive(true);  // caseless globs are already lower-case, like the value
    opt.set_dot_nl(true);
    opt.set_encoding(RE2::Options::EncodingLatin1);
    return std::make_shared<RE2>(p.text, opt);
}

struct HsCompileError {
    void operator()(hs_compile_error_t* e) const { hs_free_compile_error(e); }
};

// Patterns bound for one Vectorscan database.
struct DbInput {
    std::vector<std::string> exprs;
    std::vector<unsigned> flags;
    std::vector<uint32_t> pats;
    void Add(const std::string& expr, unsigned f, uint32_t pid) {
        exprs.push_back(expr);
        flags.push_back(f);
        pats.push_back(pid);
    }
};

Status CompileLiterals(const DbInput& in, bool lower, internal::FieldIndex& fi,
                       const std::string& what) {
    if (in.exprs.empty()) return Ok();
    internal::Db db;
    db.lower = lower;
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    std::vector<unsigned> ids;
    for (size_t i = 0; i < in.exprs.size(); ++i) {
        ptrs.push_back(in.exprs[i].data());
        lens.push_back(in.exprs[i].size());
        ids.push_back(static_cast<unsigned>(i));
        db.pat.push_back(in.pats[i]);
        db.len.push_back(static_cast<uint32_t>(in.exprs[i].size()));
    }
    hs_database_t* raw = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(ptrs.data(), in.flags.data(), ids.data(), lens.data(),
                             static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK,
                             internal::Scanner().platform, &raw, &err) != HS_SUCCESS) {
        std::unique_ptr<hs_compile_error_t, HsCompileError> guard(err);
        return Internal("building literal index for " + what + ": " +
                        (err ? err->message : "unknown error"));
    }
    db.db.reset(raw);
    fi.dbs.push_back(std::move(db));
    return Ok();
}

// A pattern Vectorscan rejects (lookaround-free but too complex, empty-matching, ...) moves
// to RE2-only matching instead of failing the database.
Status CompileRegexes(const Engine::Impl& e, const DbInput& in, bool lower,
                      internal::FieldIndex& fi, const std::string& what) {
    std::vector<bool> dropped(in.exprs.size(), false);
    while (true) {
        std::vector<const char*> ptrs;
        std::vector<unsigned> flags, ids;
        std::vector<uint32_t> index;
        for (size_t i = 0; i < in.exprs.size(); ++i) {
            if (dropped[i]) continue;
            ptrs.push_back(in.exprs[i].c_str());
            flags.push_back(in.flags[i]);
            ids.push_back(static_cast<unsigned>(index.size()));
            index.push_back(static_cast<uint32_t>(i));
        }
        if (ptrs.empty()) break;
        hs_database_t* raw = nullptr;
        hs_compile_error_t* err = nullptr;
        if (hs_compile_multi(ptrs.data(), flags.data(), ids.data(),
                             static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK,
                             internal::Scanner().platform, &raw, &err) == HS_SUCCESS) {
            internal::Db db;
            db.lower = lower;
            db.db.reset(raw);
            for (uint32_t i : index) {
                db.pat.push_back(in.pats[i]);
                db.len.push_back(0);
            }
            fi.dbs.push_back(std::move(db));
            break;
        }
        std::unique_ptr<hs_compile_error_t, HsCompileError> guard(err);
        if (!err || err->expression < 0)
            return Internal("building regex index for " + what + ": " +
                            (err ? err->message : "unknown error"));
        dropped[index[static_cast<size_t>(err->expression)]] = true;
    }
    for (size_t i = 0; i < in.exprs.size(); ++i) {
        if (!dropped[i]) continue;
        const auto& p = e.patterns[in.pats[i]];
        fi.re2_only.push_back(
            {in.pats[i], p.kind == PatKind::kGlob ? Re2ForGlob(p) : p.re2, lower});
    }
    return Ok();
}

// A contains-glob for the joined scan: its wildcards match anything but the separator, so a
// match stays within one value, as when the values are scanned one by one.
std::string JoinedGlob(std::string_view glob) {
    static constexpr std::string_view kAny = ".*";
    std::string out;
    for (size_t i = 0; i < glob.size();) {
        if (glob.substr(i).starts_with(kAny)) {
            out += "[^\\x1e]*";
            i += kAny.size();
        } else if (glob.substr(i).starts_with(internal::kGlobOneChar)) {
            out += "(?:[\\x00-\\x1d\\x1f-\\x7f]|[\\xc0-\\xff][\\x80-\\xbf]+)";
            i += internal::kGlobOneChar.size();
        } else {
            out += glob[i++];
        }
    }
    return out;
}

// How a regex is matched. Vectorscan's prefilter reads bytes and follows PCRE where RE2 reads
// UTF-8 characters and has its own syntax; where the two can differ, RE2 decides:
// - alone, on every value (`re2_only`): an octal escape or backreference `\N` (a code point or
//   a group for one, a byte for the other), `\Q...\E` (its text is not syntax, which this
//   reader does not follow), a non-ASCII byte in the pattern (`é?` leaves its
//   lead byte required), `\v` (VT for RE2, vertical space for PCRE), `\S` in a class or `\s` in
//   a negated one (PCRE's `\s` has VT, RE2's has not), and multi-line mode (RE2's `^` also
//   matches after a final newline);
// - alone in a value with a non-ASCII byte (`recheck_non_ascii`): an atom matching one character
//   of any width (`.`, a negated class, `\W`, `\S`, `\D`) not repeated by `*` or `+` (a run of
//   characters is a run of such bytes), an escape naming a code point or property, and, caseless,
//   any k, s, class or `\w` (RE2 folds the Kelvin sign into k and the long s into s).
// `\S` elsewhere is scanned for as `[^\t\n\f\r ]` (without PCRE's VT). Errs towards RE2.
struct RegexRoute {
    std::string scan_text;  // for Vectorscan
    bool re2_only = false;
    bool recheck_non_ascii = false;
};

RegexRoute RouteRegex(std::string_view re, bool caseless, bool multiline) {
    RegexRoute out;
    const size_t n = re.size();
    for (size_t at = re.find("(?"); at != std::string_view::npos; at = re.find("(?", at + 2)) {
        for (size_t k = at + 2; k < n && std::isalpha(static_cast<unsigned char>(re[k])); ++k) {
            caseless = caseless || re[k] == 'i';  // (?i) or (?i:...); conservative past a '-'
            multiline = multiline || re[k] == 'm';
        }
    }
    const auto re2_only = [&] {
        out.re2_only = true;
        return out;
    };
    if (multiline) return re2_only();
    out.recheck_non_ascii = caseless && (re.find_first_of("kKsS[") != std::string_view::npos ||
                                         re.find("\\w") != std::string_view::npos ||
                                         re.find("\\W") != std::string_view::npos);
    auto repeated = [&](size_t next) { return next < n && (re[next] == '*' || re[next] == '+'); };
    auto wide_escape = [](char c) { return c == 'W' || c == 'S' || c == 'D'; };
    auto code_escape = [](char c) {
        return c == 'x' || c == 'p' || c == 'P' || c == 'C' || c == 'X' || c == 'N';
    };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    out.scan_text.reserve(n);
    size_t i = 0;
    while (i < n) {
        const auto c = static_cast<unsigned char>(re[i]);
        if (c >= 0x80) return re2_only();
        if (c == '\\') {
            if (i + 1 >= n || digit(re[i + 1]) || re[i + 1] == 'v' || re[i + 1] == 'Q')
                return re2_only();
            const char e = re[i + 1];
            out.recheck_non_ascii = out.recheck_non_ascii || code_escape(e);
            if (e == 'S') {
                out.scan_text += "[^\\t\\n\\f\\r ]";
            } else {
                out.scan_text += re.substr(i, 2);
            }
            i += 2;
            if (wide_escape(e) && !repeated(i)) out.recheck_non_ascii = true;
        } else if (c == '[') {
            size_t j = i + 1;
            const bool negated = j < n && re[j] == '^';
            bool wide = negated;
            if (negated) ++j;
            if (j < n && re[j] == ']') ++j;  // a leading ']' is a member
            while (j < n && re[j] != ']') {
                const auto m = static_cast<unsigned char>(re[j]);
                if (m >= 0x80) return re2_only();
                if (m == '\\') {
                    if (j + 1 >= n) return re2_only();
                    const char e = re[j + 1];
                    if (digit(e) || e == 'v' || e == 'Q' || e == 'S' || (e == 's' && negated))
                        return re2_only();
                    out.recheck_non_ascii = out.recheck_non_ascii || code_escape(e);
                    wide = wide || wide_escape(e);
                    j += 2;
                } else if (m == '[' && j + 1 < n && re[j + 1] == ':') {  // [:alpha:], [:^alpha:]
                    const size_t end = re.find(":]", j + 2);
                    if (end == std::string_view::npos) return re2_only();
                    wide = wide || (j + 2 < n && re[j + 2] == '^');
                    j = end + 2;
                } else {
                    ++j;
                }
            }
            if (j >= n) return re2_only();
            out.scan_text += re.substr(i, j + 1 - i);
            i = j + 1;
            if (wide && !repeated(i)) out.recheck_non_ascii = true;
        } else {
            out.scan_text += static_cast<char>(c);
            ++i;
            if (c == '.' && !repeated(i)) out.recheck_non_ascii = true;
        }
    }
    return out;
}

// Builds the matching structures for a set of patterns (one field's, or one keyword group's;
// `joined`: for the joined keyword scan).
Status BuildIndex(const Engine::Impl& e, const std::vector<uint32_t>& pids,
                  internal::FieldIndex& fi, const std::string& what, bool joined = false) {
    DbInput lit_lower, lit_orig, re_lower, re_orig;
    for (uint32_t pid : pids) {
        const auto& p = e.patterns[pid];
        switch (p.kind) {
            case PatKind::kExact: {
                auto& exact = p.cased ? fi.exact_cs : fi.exact_ci;
                std::vector<uint32_t>* of_value = exact.Find(p.text);
                if (of_value == nullptr) of_value = &exact.Insert(p.text, {});
                of_value->push_back(pid);
                fi.needs_lower = fi.needs_lower || !p.cased;
                break;
            }
            case PatKind::kPrefix:
            case PatKind::kContains:
                // The first occurrence decides a prefix, so one report is enough.
                (p.cased ? lit_orig : lit_lower).Add(p.text, HS_FLAG_SINGLEMATCH, pid);
                break;
            case PatKind::kSuffix:
                (p.cased ? lit_orig : lit_lower).Add(p.text, 0, pid);
                break;
            case PatKind::kGlob:
                (p.cased ? re_orig : re_lower)
                    .Add(joined ? JoinedGlob(p.text) : p.text, HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH,
                         pid);
                break;
            case PatKind::kRegex: {
                const bool multiline = p.flags.find('m') != std::string::npos;
                RegexRoute route = RouteRegex(p.text, !p.cased, multiline);
                if (route.re2_only) {
                    fi.re2_only.push_back({pid, p.re2, false});
                    break;
                }
                unsigned f = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH;
                if (!p.cased) f |= HS_FLAG_CASELESS;
                if (p.flags.find('s') != std::string::npos) f |= HS_FLAG_DOTALL;
                re_orig.Add(route.scan_text, f, pid);
                if (route.recheck_non_ascii) fi.re2_non_ascii.push_back(pid);
                break;
            }
        }
    }
    fi.needs_lower = fi.needs_lower || !lit_lower.exprs.empty() || !re_lower.exprs.empty();
    if (auto st = CompileLiterals(lit_lower, true, fi, what); !st) return st;
    if (auto st = CompileLiterals(lit_orig, false, fi, what); !st) return st;
    if (auto st = CompileRegexes(e, re_lower, true, fi, what); !st) return st;
    if (auto st = CompileRegexes(e, re_orig, false, fi, what); !st) return st;
    // A regex Vectorscan rejected is matched by RE2 alone anyway.
    std::erase_if(fi.re2_non_ascii, [&](uint32_t pid) {
        return std::any_of(fi.re2_only.begin(), fi.re2_only.end(),
                           [&](const auto& r) { return r.pid == pid; });
    });
    // Empty values are not scanned; regexes that match "" are marked directly.
    for (uint32_t pid : pids) {
        const auto& p = e.patterns[pid];
        if (p.kind == PatKind::kRegex && RE2::PartialMatch("", *p.re2))
            fi.match_empty.push_back(pid);
    }
    return Ok();
}

// Appends the subtree at n to the program in pre-order.
void Flatten(const Engine::Impl& e, uint32_t n, std::vector<internal::Instr>& out) {
    const Node& node = e.nodes[n];
    size_t at = out.size();
    out.push_back({node.op, node.a, 0, 1});
    switch (node.op) {
        case Node::kAnd:
        case Node::kOr:
            out[at].count = node.b;
            for (uint32_t i = 0; i < node.b; ++i) Flatten(e, e.kids[node.a + i], out);
            break;
        case Node::kNot:
            out[at].count = 1;
            Flatten(e, node.a, out);
            break;
        case Node::kAnyPattern:
            out[at].count = node.b;
            break;
        default:
            break;
    }
    out[at].len = static_cast<uint32_t>(out.size() - at);
}

// On-demand patterns (after the triggers and the program): those no rule is triggered by,
// unless an always-evaluated rule or a filter (evaluated on every event of a rule that fires)
// reads them. A regex checked on demand is RE2's answer, which the scan gives too (its
// prefilter only proposes; RE2 decides, alone where the prefilter could miss: re2_non_ascii).
void MarkOnDemand(Engine::Impl& e) {
    e.on_demand.assign(e.patterns.size(), 0);
    for (uint32_t p = 0; p < e.patterns.size(); ++p) e.on_demand[p] = e.pattern_rules[p].empty();
    std::vector<uint32_t> read;
    for (auto* rules : {&e.rules, &e.filters}) {
        for (const auto& r : *rules) {
            if (rules == &e.rules && !r.always) continue;
            read.clear();
            CollectPatterns(e, r.root, read);
            for (uint32_t p : read) e.on_demand[p] = 0;
        }
    }
    // A rule's trigger can still be common in the data (a web log's GET): a long value list
    // checked pattern by pattern on each of those events would cost more than scanning for it.
    constexpr uint32_t kMaxOnDemandList = 8;
    for (const internal::Instr& in : e.program) {
        if (in.op != Node::kAnyPattern || in.count <= kMaxOnDemandList) continue;
        for (uint32_t k = 0; k < in.count; ++k) e.on_demand[e.kids[in.arg + k]] = 0;
    }
    e.instr_on_demand.assign(e.program.size(), 0);
    for (size_t i = 0; i < e.program.size(); ++i) {
        const internal::Instr& in = e.program[i];
        if (in.op != Node::kAnyPattern) continue;
        for (uint32_t k = 0; k < in.count; ++k)
            if (e.on_demand[e.kids[in.arg + k]]) e.instr_on_demand[i] = 1;
    }
    for (uint32_t p = 0; p < e.patterns.size(); ++p) {
        internal::Pattern& pat = e.patterns[p];
        if (e.on_demand[p] && pat.kind == PatKind::kGlob) pat.re2 = Re2ForGlob(pat);
    }
}

}  // namespace

Status Engine::Compile(config::Diagnostics& diags) {
    Impl& e = *impl_;
    if (e.compiled) return MakeError(Code::kFailedPrecondition, "engine already compiled");

    // Global filters -> the rules they name.
    for (size_t f = 0; f < e.filters.size(); ++f) {
        for (const auto& target : e.filter_targets[f]) {
            bool found = false;
            for (auto& r : e.rules) {
                if ((!r.info.meta.id.empty() && r.info.meta.id == target) ||
                    (!r.info.meta.name.empty() && r.info.meta.name == target)) {
                    r.filters.push_back(static_cast<uint32_t>(f));
                    r.field_ids.insert(r.field_ids.end(), e.filters[f].field_ids.begin(),
                                       e.filters[f].field_ids.end());
                    r.keywords = r.keywords || e.filters[f].keywords;
                    found = true;
                }
            }
            if (!found) {
                const auto& m = e.filters[f].info.meta;
                diags.Warning("filter-unknown-rule", m.file, m.line, 0,
                              "filter refers to rule '" + target + "', which is not loaded", m.id);
            }
        }
    }

    // Correlations.
    std::vector<std::pair<std::string, std::string>> known;
    known.reserve(e.rules.size());
    for (const auto& r : e.rules) known.emplace_back(r.info.meta.id, r.info.meta.name);
    size_t pending = e.pending_correlations.size();
    e.correlations.Build(std::move(e.pending_correlations), known, diags);
    e.stats.correlations_loaded = e.correlations.size();
    e.stats.correlations_rejected += pending - e.correlations.size();

    // Large ORs of plain patterns (value lists) become one sorted pattern list, checked
    // against the few patterns an event hits instead of child by child.
    for (auto& node : e.nodes) {
        if (node.op != Node::kOr || node.b < 4) continue;
        bool plain = true;
        for (uint32_t i = 0; i < node.b && plain; ++i)
            plain = e.nodes[e.kids[node.a + i]].op == Node::kPattern;
        if (!plain) continue;
        std::vector<uint32_t> pids;
        for (uint32_t i = 0; i < node.b; ++i) pids.push_back(e.nodes[e.kids[node.a + i]].a);
        std::sort(pids.begin(), pids.end());
        pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
        node = {Node::kAnyPattern, static_cast<uint32_t>(e.kids.size()),
                static_cast<uint32_t>(pids.size())};
        e.kids.insert(e.kids.end(), pids.begin(), pids.end());
    }

    e.program.clear();
    for (auto* rules : {&e.rules, &e.filters}) {
        for (auto& r : *rules) {
            r.program = static_cast<uint32_t>(e.program.size());
            Flatten(e, r.root, e.program);
        }
    }

    // Triggers.
    std::vector<uint32_t> rules_using(e.patterns.size(), 0);
    std::vector<uint32_t> used;
    for (const auto& r : e.rules) {
        used.clear();
        CollectPatterns(e, r.root, used);
        std::sort(used.begin(), used.end());
        used.erase(std::unique(used.begin(), used.end()), used.end());
        for (uint32_t p : used) ++rules_using[p];
    }
    e.pattern_rules.assign(e.patterns.size(), {});
    for (uint32_t i = 0; i < e.rules.size(); ++i) {
        auto req = Required(e, e.rules[i].root, rules_using);
        if (!req) {
            e.rules[i].always = true;
            continue;
        }
        for (uint32_t p : *req) e.pattern_rules[p].push_back(i);
    }

    MarkOnDemand(e);

    // Keyword groups: one per distinct rule logsource.
    std::map<std::string, uint32_t> group_of;
    for (auto& r : e.rules) {
        if (!r.keywords) continue;
        const auto& ls = r.info.logsource;
        std::string key = ls.product + "/" + ls.category + "/" + ls.service;
        auto [it, added] = group_of.emplace(key, static_cast<uint32_t>(e.keyword_groups.size()));
        if (added) {
            e.keyword_groups.emplace_back();
            e.keyword_groups.back().logsource = ls;
        }
        auto& pats = e.keyword_groups[it->second].patterns;
        CollectPatterns(e, r.root, pats, /*keywords_only=*/true);
        for (uint32_t f : r.filters) CollectPatterns(e, e.filters[f].root, pats, true);
    }
    // A group whose keywords are all checked on demand has nothing to scan.
    for (auto& g : e.keyword_groups) {
        std::sort(g.patterns.begin(), g.patterns.end());
        g.patterns.erase(std::unique(g.patterns.begin(), g.patterns.end()), g.patterns.end());
        std::erase_if(g.patterns, [&](uint32_t pid) { return e.on_demand[pid] != 0; });
    }
    std::erase_if(e.keyword_groups, [](const auto& g) { return g.patterns.empty(); });
    // Each group's patterns: joinable ones for the joined scan, the rest value by value.
    std::vector<std::vector<uint32_t>> joined_pats(e.keyword_groups.size()),
        rest_pats(e.keyword_groups.size());
    for (size_t i = 0; i < e.keyword_groups.size(); ++i) {
        auto& g = e.keyword_groups[i];
        for (uint32_t pid : g.patterns)
            (Joinable(e.patterns[pid]) ? joined_pats[i] : rest_pats[i]).push_back(pid);
    }

    // Per-field and per-keyword-group indexes, built on all cores, largest first.
    std::vector<std::vector<uint32_t>> field_pats(e.field_names.size());
    for (uint32_t pid = 0; pid < e.patterns.size(); ++pid) {
        if (e.patterns[pid].field != internal::kKeywordField && !e.on_demand[pid])
            field_pats[e.patterns[pid].field].push_back(pid);
    }
    e.fields.clear();
    e.fields.resize(e.field_names.size());
    struct Job {
        const std::vector<uint32_t>* pids;
        internal::FieldIndex* index;
        std::string what;
        bool joined = false;
    };
    std::vector<Job> jobs;
    for (uint32_t f = 0; f < e.fields.size(); ++f)
        if (!field_pats[f].empty())
            jobs.push_back({&field_pats[f], &e.fields[f], "field '" + e.field_names[f] + "'"});
    // A group's full index is needed where the joined scan may not be used.
    auto plan_group = [&](size_t i, std::vector<Job>& out) {
        auto& g = e.keyword_groups[i];
        g.joined = {};
        g.rest = {};
        g.index = {};
        g.rest_empty = rest_pats[i].empty();
        g.joined_globs = false;
        for (uint32_t pid : joined_pats[i])
            g.joined_globs = g.joined_globs || e.patterns[pid].kind == PatKind::kGlob;
        const std::string what = "keywords of " + g.logsource.product + "/" + g.logsource.category +
                                 "/" + g.logsource.service;
        if (!joined_pats[i].empty()) {
            out.push_back({&joined_pats[i], &g.joined, what + " (joined)", true});
            if (!rest_pats[i].empty()) out.push_back({&rest_pats[i], &g.rest, what});
        }
        if (joined_pats[i].empty() || g.joined_globs) out.push_back({&g.patterns, &g.index, what});
    };
    for (size_t i = 0; i < e.keyword_groups.size(); ++i) plan_group(i, jobs);
    std::sort(jobs.begin(), jobs.end(),
              [](const Job& a, const Job& b) { return a.pids->size() > b.pids->size(); });
    std::vector<Status> results(jobs.size());
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < jobs.size(); i = next++)
            results[i] = BuildIndex(e, *jobs[i].pids, *jobs[i].index, jobs[i].what, jobs[i].joined);
    };
    unsigned n = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    for (const auto& r : results)
        if (!r) return r;
    // A joinable glob Vectorscan rejected would need RE2 over the joined values, where its
    // wildcard could span the separator: such a group moves it to the value-by-value rest.
    for (size_t i = 0; i < e.keyword_groups.size(); ++i) {
        auto& g = e.keyword_groups[i];
        if (g.joined.re2_only.empty()) continue;
        for (const auto& r : g.joined.re2_only) {
            std::erase(joined_pats[i], r.pid);
            rest_pats[i].push_back(r.pid);
        }
        std::vector<Job> again;
        plan_group(i, again);
        for (const auto& job : again)
            if (auto st = BuildIndex(e, *job.pids, *job.index, job.what, job.joined); !st)
                return st;
    }

    e.stats.patterns = e.patterns.size();
    size_t regex = 0, re2_only = 0, on_demand = 0;
    // A search the condition never names is neither scanned nor checked: not counted on demand.
    std::vector<uint32_t> reached;
    for (auto* rules : {&e.rules, &e.filters})
        for (const auto& r : *rules) CollectPatterns(e, r.root, reached);
    std::vector<uint8_t> reachable(e.patterns.size(), 0);
    for (uint32_t p : reached) reachable[p] = 1;
    for (uint32_t p = 0; p < e.patterns.size(); ++p) {
        on_demand += e.on_demand[p] && reachable[p];
        regex += e.patterns[p].kind == PatKind::kRegex && !e.on_demand[p];
    }
    e.stats.patterns_on_demand = on_demand;
    auto count_re2 = [&](const internal::FieldIndex& fi) {
        for (const auto& r : fi.re2_only) re2_only += e.patterns[r.pid].kind == PatKind::kRegex;
    };
    for (const auto& fi : e.fields) count_re2(fi);
    for (const auto& g : e.keyword_groups) {
        // A pattern sits in `index` and in `joined` or `rest`: counted once.
        if (!g.joined.dbs.empty()) {
            count_re2(g.rest);
        } else {
            count_re2(g.index);
        }
    }
    e.stats.regex_only = re2_only;
    e.stats.regex_confirmed = regex - re2_only;
    e.compiled = true;
    e.stats.scanner_note = internal::Scanner().note;
    return Ok();
}

CorrelationEngine Engine::NewCorrelationState() const {
    // A correlation engine holds rules plus per-group state; a copy of the rules with
    // empty state is what a new stream needs.
    CorrelationEngine fresh;
    config::Diagnostics ignored;
    std::vector<std::pair<std::string, std::string>> known;
    for (const auto& r : impl_->rules) known.emplace_back(r.info.meta.id, r.info.meta.name);
    fresh.Build(impl_->correlations.rules(), known, ignored);
    return fresh;
}

}  // namespace vigil::detect
