// Engine::Compile: attaches filters, resolves correlations, works out which patterns each
// rule cannot match without (its triggers) and builds the per-field Vectorscan databases.

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

#include "detect/internal.h"

namespace vigil::detect {

using internal::Node;
using internal::PatKind;

namespace {

// The set of patterns at least one of which must be seen for the node to be true, or
// nullopt when the node can be true without any pattern (not, numeric, exists, ...).
std::optional<std::vector<uint32_t>> Required(const Engine::Impl& e, uint32_t n) {
    const Node& node = e.nodes[n];
    switch (node.op) {
        case Node::kPattern:
            return std::vector<uint32_t>{node.a};
        case Node::kFalse:
            return std::vector<uint32_t>{};
        case Node::kAnd: {
            std::optional<std::vector<uint32_t>> best;
            for (uint32_t i = 0; i < node.b; ++i) {
                auto r = Required(e, e.kids[node.a + i]);
                if (r && (!best || r->size() < best->size())) best = std::move(r);
            }
            return best;
        }
        case Node::kOr: {
            std::vector<uint32_t> all;
            for (uint32_t i = 0; i < node.b; ++i) {
                auto r = Required(e, e.kids[node.a + i]);
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
    opt.set_case_sensitive(p.cased);
    opt.set_dot_nl(true);
    opt.set_encoding(RE2::Options::EncodingLatin1);
    return std::make_shared<RE2>(p.text, opt);
}

struct HsCompileError {
    void operator()(hs_compile_error_t* e) const { hs_free_compile_error(e); }
};

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

    // Triggers.
    e.pattern_rules.assign(e.patterns.size(), {});
    for (uint32_t i = 0; i < e.rules.size(); ++i) {
        auto req = Required(e, e.rules[i].root);
        if (!req) {
            e.rules[i].always = true;
            continue;
        }
        for (uint32_t p : *req) e.pattern_rules[p].push_back(i);
    }

    // Per-field indexes.
    e.fields.clear();
    e.fields.resize(e.field_names.size());
    struct Pending {
        std::vector<std::string> exprs;
        std::vector<unsigned> flags;
        std::vector<uint32_t> pats;
    };
    std::vector<Pending> lits(e.fields.size()), res(e.fields.size());
    for (uint32_t pid = 0; pid < e.patterns.size(); ++pid) {
        auto& p = e.patterns[pid];
        auto& fi = e.fields[p.field];
        unsigned caseless = p.cased ? 0 : HS_FLAG_CASELESS;
        switch (p.kind) {
            case PatKind::kExact:
                (p.cased ? fi.exact_cs : fi.exact_ci)[p.text].push_back(pid);
                break;
            case PatKind::kPrefix:
            case PatKind::kContains:
                lits[p.field].exprs.push_back(p.text);
                lits[p.field].flags.push_back(caseless | HS_FLAG_SINGLEMATCH);
                lits[p.field].pats.push_back(pid);
                break;
            case PatKind::kSuffix:
                lits[p.field].exprs.push_back(p.text);
                lits[p.field].flags.push_back(caseless);
                lits[p.field].pats.push_back(pid);
                break;
            case PatKind::kGlob:
                res[p.field].exprs.push_back(p.text);
                res[p.field].flags.push_back(caseless | HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH);
                res[p.field].pats.push_back(pid);
                break;
            case PatKind::kRegex: {
                unsigned f = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH;
                if (p.flags.find('i') != std::string::npos) f |= HS_FLAG_CASELESS;
                if (p.flags.find('m') != std::string::npos) f |= HS_FLAG_MULTILINE;
                if (p.flags.find('s') != std::string::npos) f |= HS_FLAG_DOTALL;
                res[p.field].exprs.push_back(p.text);
                res[p.field].flags.push_back(f);
                res[p.field].pats.push_back(pid);
                p.prefiltered = true;
                break;
            }
        }
    }

    // Fields are independent: build their databases on all cores, largest first.
    std::vector<uint32_t> order(e.fields.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        return lits[a].exprs.size() + 8 * res[a].exprs.size() >
               lits[b].exprs.size() + 8 * res[b].exprs.size();
    });
    std::vector<Status> results(e.fields.size());
    auto build = [&](uint32_t fid) -> Status {
        auto& fi = e.fields[fid];
        // Literals never fail to compile.
        if (!lits[fid].exprs.empty()) {
            auto& L = lits[fid];
            std::vector<const char*> ptrs;
            std::vector<size_t> lens;
            std::vector<unsigned> ids;
            for (size_t i = 0; i < L.exprs.size(); ++i) {
                ptrs.push_back(L.exprs[i].data());
                lens.push_back(L.exprs[i].size());
                ids.push_back(static_cast<unsigned>(i));
                fi.lit_pat.push_back(L.pats[i]);
                fi.lit_len.push_back(static_cast<uint32_t>(L.exprs[i].size()));
            }
            hs_database_t* db = nullptr;
            hs_compile_error_t* err = nullptr;
            if (hs_compile_lit_multi(ptrs.data(), L.flags.data(), ids.data(), lens.data(),
                                     static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK, nullptr,
                                     &db, &err) != HS_SUCCESS) {
                std::unique_ptr<hs_compile_error_t, HsCompileError> guard(err);
                return Internal("building literal index for field '" + e.field_names[fid] +
                                "': " + (err ? err->message : "unknown error"));
            }
            fi.lit.reset(db);
        }
        // Regexes: a pattern Vectorscan rejects moves to RE2-only matching.
        auto& R = res[fid];
        std::vector<bool> dropped(R.exprs.size(), false);
        while (true) {
            std::vector<const char*> ptrs;
            std::vector<unsigned> flags, ids;
            std::vector<uint32_t> pats;
            for (size_t i = 0; i < R.exprs.size(); ++i) {
                if (dropped[i]) continue;
                ptrs.push_back(R.exprs[i].c_str());
                flags.push_back(R.flags[i]);
                ids.push_back(static_cast<unsigned>(pats.size()));
                pats.push_back(static_cast<uint32_t>(i));
            }
            if (ptrs.empty()) break;
            hs_database_t* db = nullptr;
            hs_compile_error_t* err = nullptr;
            if (hs_compile_multi(ptrs.data(), flags.data(), ids.data(),
                                 static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK, nullptr, &db,
                                 &err) == HS_SUCCESS) {
                fi.re.reset(db);
                for (uint32_t i : pats) fi.re_pat.push_back(R.pats[i]);
                break;
            }
            std::unique_ptr<hs_compile_error_t, HsCompileError> guard(err);
            if (!err || err->expression < 0) {
                return Internal("building regex index for field '" + e.field_names[fid] +
                                "': " + (err ? err->message : "unknown error"));
            }
            dropped[pats[static_cast<size_t>(err->expression)]] = true;
        }
        for (size_t i = 0; i < R.exprs.size(); ++i) {
            if (!dropped[i]) continue;
            auto& p = e.patterns[R.pats[i]];
            p.prefiltered = false;
            if (p.kind == PatKind::kGlob) p.re2 = Re2ForGlob(p);
            fi.re2_only.push_back(R.pats[i]);
        }
        // Empty values are not scanned; regexes that match "" are marked directly.
        for (uint32_t pid : fi.re_pat) {
            const auto& p = e.patterns[pid];
            if (p.kind == PatKind::kRegex && RE2::PartialMatch("", *p.re2))
                fi.match_empty.push_back(pid);
        }
        return Ok();
    };
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < order.size(); i = next++) results[order[i]] = build(order[i]);
    };
    unsigned n = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    for (const auto& r : results)
        if (!r) return r;

    e.stats.patterns = e.patterns.size();
    for (const auto& p : e.patterns) {
        if (p.kind == PatKind::kRegex && p.prefiltered) ++e.stats.regex_confirmed;
        if ((p.kind == PatKind::kRegex || p.kind == PatKind::kGlob) && !p.prefiltered && p.re2)
            ++e.stats.regex_only;
    }
    e.compiled = true;
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
