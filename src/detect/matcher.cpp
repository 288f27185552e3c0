// Matcher: one Vectorscan pass per (routed, referenced) field value, then evaluation of only
// the rules whose required patterns were seen.

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <optional>
#include <span>

#include <arpa/inet.h>

#include "base/strings.h"
#include "detect/internal.h"
#include "detect/scanner.h"

namespace vigil::detect {

using internal::CmpOp;
using internal::Node;
using internal::PatKind;
using internal::Pred;
using internal::TimePart;

namespace {
struct ScratchDeleter {
    void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};

// Which patterns a (field, value) hit, remembered per thread. Open addressing keyed by a
// 64-bit hash; cleared wholesale when full, so memory stays bounded.
class ValueCache {
public:
    static constexpr size_t kSlots = 1 << 16;
    static constexpr size_t kMaxUsed = kSlots / 2;
    static constexpr size_t kMaxArena = 16 << 20;

    ValueCache() : slots_(kSlots) {}

    // A slot's stored hash: never 0, which marks an empty slot.
    static uint64_t Hash(uint32_t fid, std::string_view v) {
        return XXH3_64bits_withSeed(v.data(), v.size(), fid) | 1;
    }
    // A hash's home slot, from bits above the one Hash forces to 1: from bit 0 only odd slots
    // would be homes, and at the table's half-full limit its clusters would run for thousands
    // of slots (a miss walking each of them).
    static size_t Home(uint64_t h) { return static_cast<size_t>(h >> 1) & (kSlots - 1); }

    // The value's hits (often none), or nullopt when it is not cached. (The hits of a value
    // without any are an empty span, never "not cached": that made every value of a stream
    // without pattern hits a miss, inserted again and again into one ever longer cluster.)
    std::optional<std::span<const uint32_t>> Find(uint64_t h, uint32_t fid,
                                                  std::string_view v) const {
        for (size_t i = Home(h);; i = (i + 1) & (kSlots - 1)) {
            const Slot& s = slots_[i];
            if (s.hash == 0) return std::nullopt;
            if (s.hash == h && s.fid == fid && s.len == v.size() &&
                std::memcmp(arena_.data() + s.off, v.data(), v.size()) == 0) {
                return std::span<const uint32_t>(hits_.data() + s.hits_off, s.hits_len);
            }
        }
    }

    void Insert(uint64_t h, uint32_t fid, std::string_view v, const std::vector<uint32_t>& hits) {
        if (used_ >= kMaxUsed || arena_.size() + v.size() > kMaxArena) Clear();
        size_t i = Home(h);
        while (slots_[i].hash != 0) i = (i + 1) & (kSlots - 1);
        slots_[i] = {h,
                     fid,
                     static_cast<uint32_t>(v.size()),
                     static_cast<uint32_t>(arena_.size()),
                     static_cast<uint32_t>(hits_.size()),
                     static_cast<uint32_t>(hits.size())};
        arena_.append(v);
        hits_.insert(hits_.end(), hits.begin(), hits.end());
        ++used_;
    }

private:
    struct Slot {
        uint64_t hash = 0;
        uint32_t fid = 0, len = 0, off = 0, hits_off = 0, hits_len = 0;
    };
    void Clear() {
        std::fill(slots_.begin(), slots_.end(), Slot{});
        arena_.clear();
        hits_.clear();
        used_ = 0;
    }
    std::vector<Slot> slots_;
    std::string arena_;
    std::vector<uint32_t> hits_;
    size_t used_ = 0;
};

struct View {
    std::vector<uint8_t> rule_ok;
    std::vector<uint8_t> field_used;
    std::vector<uint32_t> always;
    std::vector<uint32_t> keyword_groups;
};

std::optional<double> TimePartOf(std::string_view value, TimePart part) {
    auto ns = ParseTimestamp(value);
    if (!ns) return std::nullopt;
    std::time_t t = static_cast<std::time_t>(*ns / 1000000000LL);
    std::tm tm{};
    gmtime_r(&t, &tm);
    switch (part) {
        case TimePart::kMinute:
            return tm.tm_min;
        case TimePart::kHour:
            return tm.tm_hour;
        case TimePart::kDay:
            return tm.tm_mday;
        case TimePart::kMonth:
            return tm.tm_mon + 1;
        case TimePart::kYear:
            return tm.tm_year + 1900;
        case TimePart::kWeek: {
            char buf[8];
            std::strftime(buf, sizeof buf, "%V", &tm);  // ISO 8601 week number
            return std::atoi(buf);
        }
        case TimePart::kNone:
            break;
    }
    return std::nullopt;
}

bool Compare(double x, CmpOp op, double y) {
    switch (op) {
        case CmpOp::kLt:
            return x < y;
        case CmpOp::kLte:
            return x <= y;
        case CmpOp::kGt:
            return x > y;
        case CmpOp::kGte:
            return x >= y;
        case CmpOp::kEq:
            return x == y;
        case CmpOp::kNeq:
            return x != y;
    }
    return false;
}

bool InNetwork(const internal::Network& n, const uint8_t* addr, bool v6) {
    if (n.v6 != v6) return false;
    int full = n.prefix / 8, rest = n.prefix % 8;
    if (std::memcmp(n.addr.data(), addr, static_cast<size_t>(full)) != 0) return false;
    if (rest == 0) return true;
    auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
    return (n.addr[static_cast<size_t>(full)] & mask) == (addr[full] & mask);
}
}  // namespace

struct Matcher::Impl {
    explicit Impl(const Engine::Impl& engine) : e(engine) {}

    const Engine::Impl& e;
    const internal::ScanFn scan = internal::Scanner().scan;  // see scanner.h
    std::unique_ptr<hs_scratch_t, ScratchDeleter> scratch;
    uint32_t epoch = 0;
    std::vector<uint32_t> pat_stamp;
    std::vector<uint32_t> checked_stamp;  // on-demand patterns checked in this epoch
    // The event's values lower-cased for on-demand checks, each on first use (index size():
    // the message).
    std::vector<uint32_t> lowered_stamp;
    std::vector<std::pair<uint32_t, uint32_t>> lowered_at;
    std::string lowered;
    uint32_t lowered_epoch = 0;  // `lowered` holds this event's values
    uint32_t joined_epoch = 0;   // `joined` holds this event's values
    std::vector<uint32_t> hit_list;
    std::vector<uint32_t> confirm;
    std::vector<uint32_t> rule_stamp;
    std::vector<uint32_t> field_stamp;
    std::vector<int32_t> field_first;
    std::vector<int32_t> next_same;
    std::vector<uint32_t> candidates;
    std::string lower;
    std::string key;
    // The logsource a view was made for -> the view. Logsources come from the events (a
    // Suricata event_type, a FortiGate type, a routed field's value), so a sender could make
    // any number of them: past kMaxViewKeys the map starts over. Views are kept once per
    // distinct content (which rules and keyword groups apply), which the rules bound, not the
    // events; node-based, so View addresses are stable.
    static constexpr size_t kMaxViewKeys = 4096;
    static constexpr size_t kMaxViewKeyBytes = 512;  // a longer logsource is routed, not kept
    std::unordered_map<std::string, const View*> view_of;
    std::unordered_map<std::string, View> views;  // by Signature
    // The views of the last few logsources seen: a live stream mixes a handful of them.
    struct RecentView {
        event::LogSource ls;
        const View* view = nullptr;
    };
    std::array<RecentView, 8> recent_views;
    size_t recent_next = 0;
    const event::Event* ev = nullptr;
    uint64_t evaluated = 0;
    uint64_t scanned = 0;  // field values not answered by the cache

    // Scan context.
    const internal::Db* db = nullptr;
    size_t value_len = 0;

    // Field values repeat heavily in real logs (images, users, directories, event ids,
    // hashes of common binaries): each (field, value) is scanned once per cache lifetime.
    static constexpr size_t kCacheMaxValue = 512;
    ValueCache cache;
    std::vector<uint32_t> scan_hits;  // every Mark of a caching Scan, for the cache
    bool caching = false;             // the current Scan's hits go to the cache

    bool Hit(uint32_t pid) const { return pat_stamp[pid] == epoch; }
    void Mark(uint32_t pid) {
        if (caching) scan_hits.push_back(pid);
        if (pat_stamp[pid] == epoch) return;
        pat_stamp[pid] = epoch;
        hit_list.push_back(pid);
    }

    static int OnMatch(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                       void* ctx) {
        auto* m = static_cast<Impl*>(ctx);
        uint32_t pid = m->db->pat[id];
        switch (m->e.patterns[pid].kind) {
            case PatKind::kPrefix:
                if (to == m->db->len[id]) m->Mark(pid);
                break;
            case PatKind::kSuffix:
                if (to == m->value_len) m->Mark(pid);
                break;
            case PatKind::kRegex:
                m->confirm.push_back(pid);
                break;
            default:
                m->Mark(pid);
        }
        return 0;
    }

    void ScanField(uint32_t fid, std::string_view value) {
        const auto& index = e.fields[fid];
        // Exact-only fields (event ids, flags) are one hash lookup already.
        if (index.dbs.empty() || value.size() > kCacheMaxValue) {
            ++scanned;
            Scan(index, value);
            return;
        }
        uint64_t h = ValueCache::Hash(fid, value);
        if (const auto hits = cache.Find(h, fid, value)) {
            for (uint32_t pid : *hits) Mark(pid);
            return;
        }
        ++scanned;
        scan_hits.clear();
        caching = true;
        Scan(index, value);
        caching = false;
        std::sort(scan_hits.begin(), scan_hits.end());
        scan_hits.erase(std::unique(scan_hits.begin(), scan_hits.end()), scan_hits.end());
        cache.Insert(h, fid, value, scan_hits);
    }

    void Scan(const internal::FieldIndex& index, std::string_view value) {
        if (index.needs_lower) AsciiLowerInto(value, lower);
        if (!index.exact_ci.empty()) {
            if (const auto* pids = index.exact_ci.Find(lower))
                for (uint32_t pid : *pids) Mark(pid);
        }
        if (!index.exact_cs.empty()) {
            if (const auto* pids = index.exact_cs.Find(value))
                for (uint32_t pid : *pids) Mark(pid);
        }
        if (value.empty()) {
            for (uint32_t pid : index.match_empty) Mark(pid);
        } else {
            value_len = value.size();
            auto len = static_cast<unsigned>(value.size());
            for (const auto& d : index.dbs) {
                db = &d;
                scan(d.db.get(), d.lower ? lower.data() : value.data(), len, 0, scratch.get(),
                     OnMatch, this);
            }
            // A pattern another value of the event already hit is confirmed again when the
            // hits are being cached: the cache records this value's hits, all of them.
            for (uint32_t pid : confirm) {
                if ((caching || !Hit(pid)) && RE2::PartialMatch(value, *e.patterns[pid].re2))
                    Mark(pid);
            }
            confirm.clear();
            if (!index.re2_non_ascii.empty() && !IsAscii(value)) {
                for (uint32_t pid : index.re2_non_ascii) {
                    if ((caching || !Hit(pid)) && RE2::PartialMatch(value, *e.patterns[pid].re2))
                        Mark(pid);
                }
            }
        }
        for (const auto& r : index.re2_only) {
            if ((caching || !Hit(r.pid)) &&
                RE2::PartialMatch(r.lower ? std::string_view(lower) : value, *r.re))
                Mark(r.pid);
        }
    }

    const View& GetView(const event::LogSource& ls) {
        for (const RecentView& r : recent_views) {
            if (r.view && ls.product == r.ls.product && ls.service == r.ls.service &&
                ls.categories == r.ls.categories)
                return *r.view;
        }
        RecentView& r = recent_views[recent_next++ % recent_views.size()];
        r.ls = ls;
        r.view = &LookupView(ls);
        return *r.view;
    }

    const View& LookupView(const event::LogSource& ls) {
        key.clear();
        key += ls.product;
        key += '/';
        key += ls.service;
        for (const auto& c : ls.categories) {
            key += '/';
            key += c;
        }
        if (auto it = view_of.find(key); it != view_of.end()) return *it->second;
        if (view_of.size() >= kMaxViewKeys) view_of.clear();  // recent_views keep theirs
        View v;
        v.rule_ok.assign(e.rules.size(), 0);
        v.field_used.assign(e.field_names.size(), 0);
        bool unrouted = ls.product.empty() && ls.service.empty() && ls.categories.empty();
        for (uint32_t i = 0; i < e.rules.size(); ++i) {
            const auto& r = e.rules[i];
            bool ok = (unrouted && e.options.match_unrouted) || r.info.logsource.Matches(ls);
            if (!ok) continue;
            v.rule_ok[i] = 1;
            // A field whose patterns are all on demand has nothing to scan.
            for (uint32_t f : r.field_ids) v.field_used[f] = !e.fields[f].empty();
            if (r.always) v.always.push_back(i);
        }
        for (uint32_t g = 0; g < e.keyword_groups.size(); ++g) {
            if ((unrouted && e.options.match_unrouted) || e.keyword_groups[g].logsource.Matches(ls))
                v.keyword_groups.push_back(g);
        }
        // What the view holds follows from which rules and groups apply.
        std::string signature(v.rule_ok.begin(), v.rule_ok.end());
        for (uint32_t g : v.keyword_groups) {
            signature.append(reinterpret_cast<const char*>(&g), sizeof g);
        }
        const View* view = &views.try_emplace(std::move(signature), std::move(v)).first->second;
        if (key.size() <= kMaxViewKeyBytes) view_of.emplace(key, view);
        return *view;
    }

    // Values of a field in the current event.
    template <typename F>
    bool AnyValue(uint32_t fid, F&& f) const {
        if (fid >= field_stamp.size() || field_stamp[fid] != epoch) return false;
        for (int32_t i = field_first[fid]; i >= 0; i = next_same[static_cast<size_t>(i)]) {
            if (f(ev->field(static_cast<size_t>(i)))) return true;
        }
        return false;
    }
    bool Present(uint32_t fid) const {
        return fid < field_stamp.size() && field_stamp[fid] == epoch;
    }

    bool EvalPred(const Pred& p) const {
        switch (p.kind) {
            case Pred::kNull:
                return !Present(p.field) || AnyValue(p.field, [](const event::FieldView& f) {
                    return f.kind == event::ValueKind::kNull;
                });
            case Pred::kExists:
                return Present(p.field);
            case Pred::kNotExists:
                return !Present(p.field);
            case Pred::kNumCmp:
                return AnyValue(p.field, [&](const event::FieldView& f) {
                    auto x = p.part == TimePart::kNone ? ParseDouble(f.value)
                                                       : TimePartOf(f.value, p.part);
                    return x && Compare(*x, p.cmp, p.number);
                });
            case Pred::kCidr:
                return AnyValue(p.field, [&](const event::FieldView& f) {
                    char buf[64];
                    if (f.value.empty() || f.value.size() >= sizeof buf) return false;
                    std::memcpy(buf, f.value.data(), f.value.size());
                    buf[f.value.size()] = 0;
                    uint8_t addr[16];
                    bool v6 = f.value.find(':') != std::string_view::npos;
                    if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, addr) != 1) return false;
                    for (const auto& n : p.networks)
                        if (InNetwork(n, addr, v6)) return true;
                    return false;
                });
            case Pred::kFieldRef:
                return AnyValue(p.field, [&](const event::FieldView& a) {
                    return AnyValue(p.other_field, [&](const event::FieldView& b) {
                        std::string x = p.cased ? std::string(a.value) : AsciiLower(a.value);
                        std::string y = p.cased ? std::string(b.value) : AsciiLower(b.value);
                        switch (p.ref_kind) {
                            case PatKind::kPrefix:
                                return x.starts_with(y);
                            case PatKind::kSuffix:
                                return x.ends_with(y);
                            case PatKind::kContains:
                                return x.find(y) != std::string::npos;
                            default:
                                return x == y;
                        }
                    });
                });
        }
        return false;
    }

    // Value i of the event (i == size(): its message), lower-cased.
    std::string_view Lowered(size_t i, std::string_view value) {
        if (i >= lowered_stamp.size()) {
            lowered_stamp.resize(i + 1, 0);
            lowered_at.resize(i + 1);
        }
        if (lowered_stamp[i] != epoch) {
            if (lowered_epoch != epoch) {  // the first value lowered in this event
                lowered_epoch = epoch;
                lowered.clear();
            }
            lowered_stamp[i] = epoch;
            lowered_at[i] = {static_cast<uint32_t>(lowered.size()),
                             static_cast<uint32_t>(value.size())};
            AppendAsciiLower(value, lowered);
        }
        return std::string_view(lowered).substr(lowered_at[i].first, lowered_at[i].second);
    }

    // Whether value i of the event has the pattern, as a scan would find it (for on-demand
    // patterns). The view Lowered returns is used before the next call.
    bool ValueHas(const internal::Pattern& p, size_t i, std::string_view value) {
        if (p.kind == PatKind::kRegex) return RE2::PartialMatch(value, *p.re2);
        const std::string_view v = p.cased ? value : Lowered(i, value);
        if (p.kind == PatKind::kExact) return v == p.text;
        if (v.empty()) return false;  // empty values are not scanned
        switch (p.kind) {
            case PatKind::kPrefix:
                return v.starts_with(p.text);
            case PatKind::kSuffix:
                return v.ends_with(p.text);
            case PatKind::kContains:
                return v.find(p.text) != std::string_view::npos;
            case PatKind::kGlob:
                return RE2::PartialMatch(v, *p.re2);
            default:  // kExact and kRegex above
                return false;
        }
    }

    // An on-demand pattern: checked against the event's values the first time a rule's
    // evaluation asks in this event, then remembered like a scanned hit.
    bool CheckedHit(uint32_t pid) {
        if (pat_stamp[pid] == epoch) return true;
        if (checked_stamp[pid] == epoch) return false;
        checked_stamp[pid] = epoch;
        const internal::Pattern& p = e.patterns[pid];
        bool hit = false;
        if (p.field == internal::kKeywordField && p.kind == PatKind::kContains &&
            internal::Joinable(p)) {
            // One search of the values joined as for the keyword scan (lower-cased, each
            // value's end marked; the literal cannot span two).
            if (joined_epoch != epoch) (void)JoinValues(*ev);
            hit = joined.find(p.text) != std::string::npos;
        } else if (p.field == internal::kKeywordField) {
            for (size_t i = 0; i < ev->size() && !hit; ++i) {
                const event::FieldView f = ev->field(i);
                hit = f.kind != event::ValueKind::kNull && ValueHas(p, i, f.value);
            }
            hit = hit || (!ev->message.empty() && ValueHas(p, ev->size(), ev->message));
        } else {
            for (int32_t i = Present(p.field) ? field_first[p.field] : -1; i >= 0 && !hit;
                 i = next_same[static_cast<size_t>(i)]) {
                const auto at = static_cast<size_t>(i);
                const event::FieldView f = ev->field(at);
                hit = f.kind != event::ValueKind::kNull && ValueHas(p, at, f.value);
            }
        }
        if (hit) {
            pat_stamp[pid] = epoch;
            hit_list.push_back(pid);
        }
        return hit;
    }
    bool PatternHit(uint32_t pid) { return e.on_demand[pid] ? CheckedHit(pid) : Hit(pid); }

    bool Eval(const internal::Instr* p) {
        switch (p->op) {
            case Node::kAnd: {
                const internal::Instr* c = p + 1;
                for (uint32_t i = 0; i < p->count; ++i, c += c->len)
                    if (!Eval(c)) return false;
                return true;
            }
            case Node::kOr: {
                const internal::Instr* c = p + 1;
                for (uint32_t i = 0; i < p->count; ++i, c += c->len)
                    if (Eval(c)) return true;
                return false;
            }
            case Node::kNot:
                return !Eval(p + 1);
            case Node::kAnyPattern: {
                const uint32_t* first = e.kids.data() + p->arg;
                const uint32_t* last = first + p->count;
                // Binary search over the few hits beats touching every listed pattern.
                if (hit_list.size() < p->count) {
                    for (uint32_t pid : hit_list)
                        if (std::binary_search(first, last, pid)) return true;
                } else {
                    for (const uint32_t* q = first; q != last; ++q)
                        if (Hit(*q)) return true;
                }
                if (!e.instr_on_demand[static_cast<size_t>(p - e.program.data())]) return false;
                for (const uint32_t* q = first; q != last; ++q)
                    if (e.on_demand[*q] && CheckedHit(*q)) return true;
                return false;
            }
            case Node::kPattern:
                return PatternHit(p->arg);
            case Node::kPred:
                return EvalPred(e.preds[p->arg]);
            case Node::kTrue:
                return true;
            case Node::kFalse:
                return false;
        }
        return false;
    }
    bool EvalRule(const internal::CompiledRule& r) { return Eval(&e.program[r.program]); }

    void NextEpoch() {
        if (++epoch == 0) {
            std::fill(pat_stamp.begin(), pat_stamp.end(), 0);
            std::fill(checked_stamp.begin(), checked_stamp.end(), 0);
            std::fill(lowered_stamp.begin(), lowered_stamp.end(), 0);
            joined_epoch = 0;
            lowered_epoch = 0;
            std::fill(rule_stamp.begin(), rule_stamp.end(), 0);
            std::fill(field_stamp.begin(), field_stamp.end(), 0);
            epoch = 1;
        }
    }

    enum class Joined { kNotYet, kBuilt, kHoldsSeparator };

    // Copies and lower-cases the event's values and message into `joined`, each value
    // followed by the separator (joinable patterns are all caseless). A value that is a
    // verbatim piece of the message is left out: the message is scanned too, and a match
    // within the piece is one within the message. kHoldsSeparator: the event's own data holds
    // the separator byte.
    Joined JoinValues(const event::Event& event) {
        joined_epoch = epoch;
        joined.clear();
        bool holds = false;
        const auto holds_separator = [](std::string_view v) {
            return std::memchr(v.data(), internal::kValueSeparator, v.size()) != nullptr;
        };
        const std::string_view msg = event.message;
        for (size_t i = 0; i < event.size(); ++i) {
            event::FieldView f = event.field(i);
            if (f.kind == event::ValueKind::kNull) continue;
            if (f.line_offset <= msg.size() && f.value.size() <= msg.size() - f.line_offset &&
                msg.compare(f.line_offset, f.value.size(), f.value) == 0) {
                continue;
            }
            holds = holds || holds_separator(f.value);
            AppendAsciiLower(f.value, joined);
            joined.push_back(internal::kValueSeparator);
        }
        holds = holds || holds_separator(msg);
        AppendAsciiLower(msg, joined);
        return holds ? Joined::kHoldsSeparator : Joined::kBuilt;
    }

    // Scans every value of the event and its message with one keyword index.
    void ScanValues(const internal::FieldIndex& index, const event::Event& event) {
        for (size_t i = 0; i < event.size(); ++i) {
            event::FieldView f = event.field(i);
            if (f.kind != event::ValueKind::kNull) Scan(index, f.value);
        }
        if (!event.message.empty()) Scan(index, event.message);
    }

    void Match(const event::Event& event, std::vector<detect::Match>& out) {
        const View& view = GetView(event.logsource);
        NextEpoch();
        ev = &event;
        hit_list.clear();
        next_same.assign(event.size(), -1);
        // Link same-named fields and scan the ones some routed rule reads.
        std::vector<int32_t>& last = scratch_last;
        for (size_t i = 0; i < event.size(); ++i) {
            event::FieldView f = event.field(i);
            const uint32_t* id = e.field_ids.Find(f.name);
            if (id == nullptr) continue;
            const uint32_t fid = *id;
            if (field_stamp[fid] != epoch) {
                field_stamp[fid] = epoch;
                field_first[fid] = static_cast<int32_t>(i);
            } else {
                next_same[static_cast<size_t>(last[fid])] = static_cast<int32_t>(i);
            }
            last[fid] = static_cast<int32_t>(i);
            if (view.field_used[fid] && f.kind != event::ValueKind::kNull) ScanField(fid, f.value);
        }
        // The joined values, built once for the event when a group can use them.
        Joined joined_state = Joined::kNotYet;
        for (uint32_t g : view.keyword_groups) {
            const auto& group = e.keyword_groups[g];
            bool use_joined = !group.joined.dbs.empty();
            if (use_joined && joined_state == Joined::kNotYet) joined_state = JoinValues(event);
            if (group.joined_globs && joined_state == Joined::kHoldsSeparator) use_joined = false;
            if (use_joined) {
                for (const auto& d : group.joined.dbs) {
                    db = &d;
                    value_len = joined.size();
                    scan(d.db.get(), joined.data(), static_cast<unsigned>(joined.size()), 0,
                         scratch.get(), OnMatch, this);
                }
                if (!group.rest_empty) ScanValues(group.rest, event);
            } else {
                ScanValues(group.index, event);
            }
        }
        candidates.clear();
        for (uint32_t pid : hit_list) {
            for (uint32_t r : e.pattern_rules[pid]) {
                if (view.rule_ok[r] && rule_stamp[r] != epoch) {
                    rule_stamp[r] = epoch;
                    candidates.push_back(r);
                }
            }
        }
        candidates.insert(candidates.end(), view.always.begin(), view.always.end());
        std::sort(candidates.begin(), candidates.end());
        for (uint32_t r : candidates) {
            ++evaluated;
            const auto& rule = e.rules[r];
            if (!EvalRule(rule)) continue;
            bool suppressed = false;
            for (uint32_t f : rule.filters) {
                const auto& filter = e.filters[f];
                if (filter.info.logsource.Matches(event.logsource) && EvalRule(filter)) {
                    suppressed = true;
                    break;
                }
            }
            if (!suppressed) out.push_back({r});
        }
    }

    std::vector<int32_t> scratch_last;
    std::string joined;
};

Matcher::Matcher(const Engine& engine) : impl_(std::make_unique<Impl>(*engine.impl_)) {
    Impl& m = *impl_;
    const Engine::Impl& e = *engine.impl_;
    hs_scratch_t* s = nullptr;
    auto grow = [&](const internal::FieldIndex& fi) {
        for (const auto& d : fi.dbs) hs_alloc_scratch(d.db.get(), &s);
    };
    for (const auto& fi : e.fields) grow(fi);
    for (const auto& g : e.keyword_groups) {
        grow(g.index);
        grow(g.joined);
        grow(g.rest);
    }
    m.scratch.reset(s);
    m.pat_stamp.assign(e.patterns.size(), 0);
    m.checked_stamp.assign(e.patterns.size(), 0);
    m.rule_stamp.assign(e.rules.size(), 0);
    m.field_stamp.assign(e.field_names.size(), 0);
    m.field_first.assign(e.field_names.size(), -1);
    m.scratch_last.assign(e.field_names.size(), -1);
}

Matcher::~Matcher() = default;

void Matcher::Match(const event::Event& ev, std::vector<detect::Match>& out) {
    impl_->Match(ev, out);
}

uint64_t Matcher::rules_evaluated() const { return impl_->evaluated; }
uint64_t Matcher::values_scanned() const { return impl_->scanned; }
size_t Matcher::views_held() const { return impl_->views.size(); }

}  // namespace vigil::detect
