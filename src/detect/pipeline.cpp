#include "detect/pipeline.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/yaml.h>

#include "base/flat_name_map.h"
#include "base/limits.h"
#include "base/strings.h"

namespace vigil::detect {

namespace {

struct Transform {
    enum Kind { kStripPrefix, kReplace, kRename } kind;
    std::vector<std::string> prefixes;  // strip_prefix; a '*' segment matches one name part
    std::string from, to;               // replace
    std::unordered_map<std::string, std::string> renames;
};

struct Condition {
    std::string field;
    std::vector<std::string> values;  // lower-cased; any of
};

struct LogSourceRule {
    std::vector<Condition> match;
    std::string product, service, category;
    // Field renames that apply only to events this entry matches (Security 4688 events
    // name the image NewProcessName where Sysmon says Image).
    std::vector<std::pair<std::string, std::string>> renames;
};

// What routing decided for one combination of routing-field values.
struct Routed {
    event::LogSource logsource;
    std::vector<std::pair<std::string, std::string>> renames;
};

int Line(const YAML::Node& n) { return n.Mark().line + 1; }
int Col(const YAML::Node& n) { return n.Mark().column + 1; }

// Strips `prefix` (which may hold '*' segments, e.g. "Event.UserData.*.") from name.
bool StripPrefix(std::string_view name, std::string_view prefix, std::string_view& rest) {
    size_t n = 0, p = 0;
    while (p < prefix.size()) {
        if (prefix[p] == '*') {
            size_t dot = name.find('.', n);
            if (dot == std::string_view::npos) return false;
            n = dot;
            ++p;
            continue;
        }
        if (n >= name.size() || name[n] != prefix[p]) return false;
        ++n;
        ++p;
    }
    if (n >= name.size()) return false;
    rest = name.substr(n);
    return true;
}

}  // namespace

// A number for each state a pipeline's rules are in (at construction, and after each load): a
// thread's cache of decisions belongs to one. An address would not do: a pipeline made where
// another was freed would take over its cache.
static std::atomic<uint64_t> next_pipeline_version{1};

struct Pipeline::Impl {
    uint64_t version = next_pipeline_version.fetch_add(1);
    std::vector<Transform> transforms;
    std::vector<std::string> timestamp_fields;
    // Time fields whose values are UTC when they carry no offset (Sysmon's UtcTime), whatever
    // the source's zone.
    std::vector<std::string> timestamp_utc;
    std::vector<LogSourceRule> logsources;
    std::string product_field, service_field, category_field;  // logsource_fields
    // Fields whose values decide the logsource: every `match` field and logsource_fields.
    std::vector<std::string> routing_fields;

    void Reindex() {
        routing_fields.clear();
        auto add = [&](const std::string& f) {
            if (!f.empty() &&
                std::find(routing_fields.begin(), routing_fields.end(), f) == routing_fields.end())
                routing_fields.push_back(f);
        };
        for (const auto& r : logsources)
            for (const auto& c : r.match) add(c.field);
        add(product_field);
        add(service_field);
        add(category_field);
        if (routing_fields.size() > 64) routing_fields.resize(64);
    }
    std::string MapName(std::string_view name) const;
    Routed Route(const std::vector<std::string_view>& values) const;
};

Pipeline::Pipeline() : impl_(std::make_unique<Impl>()) {}
Pipeline::~Pipeline() = default;
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;

bool Pipeline::empty() const {
    return impl_->transforms.empty() && impl_->logsources.empty() &&
           impl_->timestamp_fields.empty() && impl_->product_field.empty() &&
           impl_->service_field.empty() && impl_->category_field.empty();
}

Status Pipeline::LoadFile(const std::string& path, config::Diagnostics& diags) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound("pipeline file " + path + " cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    return LoadString(ss.str(), path, diags);
}

Status Pipeline::LoadString(std::string_view yaml, const std::string& file,
                            config::Diagnostics& diags) {
    if (yaml.size() > limits::kMaxRuleFileBytes)
        return InvalidArgument(file + ": pipeline larger than the 1 MiB limit");
    impl_->version = next_pipeline_version.fetch_add(1);  // cached decisions are stale
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& ex) {
        diags.Error("yaml-syntax", file, ex.mark.line + 1, ex.mark.column + 1, ex.msg);
        return InvalidArgument(file + ":" + std::to_string(ex.mark.line + 1) + ": " + ex.msg);
    }
    if (!root.IsMap()) {
        diags.Error("bad-pipeline", file, 1, 1, "a pipeline must be a YAML map");
        return InvalidArgument(file + ": a pipeline must be a YAML map");
    }
    size_t errors_before = diags.errors();
    try {
        if (auto t = root["transformations"]; t && t.IsSequence()) {
            for (const auto& item : t) {
                if (!item.IsMap() || item.size() != 1) {
                    diags.Error("bad-transformation", file, Line(item), Col(item),
                                "each transformation is a map with one key");
                    continue;
                }
                auto kv = item.begin();
                std::string kind = kv->first.Scalar();
                // By value: the iterator hands out a temporary pair.
                const YAML::Node v = kv->second;
                Transform tr{};
                if (kind == "strip_prefix" && v.IsSequence()) {
                    tr.kind = Transform::kStripPrefix;
                    for (const auto& p : v) tr.prefixes.push_back(p.Scalar());
                } else if (kind == "replace" && v.IsMap() && v["from"] && v["to"]) {
                    tr.kind = Transform::kReplace;
                    tr.from = v["from"].Scalar();
                    tr.to = v["to"].Scalar();
                    if (tr.from.empty()) {
                        diags.Error("bad-transformation", file, Line(v), Col(v),
                                    "replace needs a non-empty 'from'");
                        continue;
                    }
                } else if (kind == "rename" && v.IsMap()) {
                    tr.kind = Transform::kRename;
                    for (auto it = v.begin(); it != v.end(); ++it)
                        tr.renames[it->first.Scalar()] = it->second.Scalar();
                } else {
                    diags.Error("bad-transformation", file, Line(item), Col(item),
                                "unknown transformation '" + kind +
                                    "' (strip_prefix: [..], replace: {from, to}, rename: {..})");
                    continue;
                }
                impl_->transforms.push_back(std::move(tr));
            }
        }
        for (const auto& [key, list] : {std::pair{"timestamp", &impl_->timestamp_fields},
                                        std::pair{"timestamp_utc", &impl_->timestamp_utc}}) {
            if (auto t = root[key]; t) {
                if (t.IsSequence()) {
                    for (const auto& f : t) list->push_back(f.Scalar());
                } else {
                    list->push_back(t.Scalar());
                }
            }
        }
        if (auto lf = root["logsource_fields"]; lf && lf.IsMap()) {
            if (lf["product"]) impl_->product_field = lf["product"].Scalar();
            if (lf["service"]) impl_->service_field = lf["service"].Scalar();
            if (lf["category"]) impl_->category_field = lf["category"].Scalar();
        }
        if (auto ls = root["logsources"]; ls && ls.IsSequence()) {
            for (const auto& item : ls) {
                LogSourceRule r;
                if (!item.IsMap()) {
                    diags.Error("bad-logsource", file, Line(item), Col(item),
                                "each logsource entry is a map");
                    continue;
                }
                if (auto m = item["match"]; m && m.IsMap()) {
                    for (auto it = m.begin(); it != m.end(); ++it) {
                        Condition c;
                        c.field = it->first.Scalar();
                        const YAML::Node values = it->second;  // the pair is a temporary
                        if (values.IsSequence()) {
                            for (const auto& v : values) c.values.push_back(AsciiLower(v.Scalar()));
                        } else {
                            c.values.push_back(AsciiLower(it->second.Scalar()));
                        }
                        r.match.push_back(std::move(c));
                    }
                }
                if (item["product"]) r.product = AsciiLower(item["product"].Scalar());
                if (item["service"]) r.service = AsciiLower(item["service"].Scalar());
                if (item["category"]) r.category = AsciiLower(item["category"].Scalar());
                if (const YAML::Node rn = item["rename"]; rn) {
                    if (!rn.IsMap()) {
                        diags.Error("bad-logsource", file, Line(rn), Col(rn),
                                    "'rename' must be a map of field: new_name");
                        continue;
                    }
                    for (auto it = rn.begin(); it != rn.end(); ++it)
                        r.renames.emplace_back(it->first.Scalar(), it->second.Scalar());
                }
                if (r.product.empty() && r.service.empty() && r.category.empty() &&
                    r.renames.empty()) {
                    diags.Error("bad-logsource", file, Line(item), Col(item),
                                "logsource entry sets none of product, service, category, rename");
                    continue;
                }
                impl_->logsources.push_back(std::move(r));
            }
        }
    } catch (const YAML::Exception& ex) {
        diags.Error("bad-pipeline", file, ex.mark.line + 1, ex.mark.column + 1, ex.msg);
    }
    impl_->Reindex();
    if (diags.errors() > errors_before)
        return InvalidArgument(file + ": pipeline has " +
                               std::to_string(diags.errors() - errors_before) + " error(s)");
    return Ok();
}

std::string Pipeline::Impl::MapName(std::string_view name) const {
    std::string cur(name);
    for (const auto& tr : transforms) {
        switch (tr.kind) {
            case Transform::kStripPrefix:
                for (const auto& prefix : tr.prefixes) {
                    std::string_view rest;
                    if (StripPrefix(cur, prefix, rest)) {
                        cur = std::string(rest);
                        break;
                    }
                }
                break;
            case Transform::kReplace: {
                std::string out;
                size_t pos = 0;
                while (true) {
                    size_t f = cur.find(tr.from, pos);
                    if (f == std::string::npos) break;
                    out.append(cur, pos, f - pos);
                    out.append(tr.to);
                    pos = f + tr.from.size();
                }
                out.append(cur, pos);
                cur = std::move(out);
                break;
            }
            case Transform::kRename: {
                auto it = tr.renames.find(cur);
                if (it != tr.renames.end()) cur = it->second;
                break;
            }
        }
    }
    return cur;
}

namespace {
// Per-thread memory of what the pipeline decided for each field name and for recent routing
// values, so the work per event is one lookup per field. Bounded.
struct ApplyState {
    uint64_t owner = 0;  // the Pipeline::Impl::version the caches were made for
    struct NameInfo {
        std::string final;  // after transformations
        bool renamed = false;
        int slot = -1;  // routing field index
        int ts = -1;    // timestamp field priority (lower wins)
    };
    FlatNameMap<NameInfo> names;
    std::unordered_map<std::string, Routed> routes;
    std::string key;
    std::vector<std::string_view> values;
    std::vector<int32_t> value_at;  // by routing field: the first such field, or -1
    std::vector<int32_t> ts_at;     // by timestamp field priority: the first such field, or -1
};
// The caches are bounded in bytes as well as entries: field names and routing values come from
// the events, and a sender can make each distinct and up to a frame long. A longer name or
// routing key than these is worked out for its event and not cached (real ones are short).
constexpr size_t kMaxCachedNames = 65536;
constexpr size_t kMaxCachedNameBytes = 128;
constexpr size_t kMaxCachedRoutes = 4096;
constexpr size_t kMaxCachedRouteKeyBytes = 512;

// An event's own time from one of its time fields: ISO 8601 / RFC 3339 (without an offset: in
// `zone`), or a count since the epoch (ParseEpochTime).
std::optional<int64_t> EventTime(std::string_view v, const TimeZone& zone) {
    if (auto t = ParseTimestamp(v, zone)) return t;
    return ParseEpochTime(v);
}

}  // namespace

void Pipeline::Apply(event::Event& ev) const { Apply(ev, TimeZone{}); }

void Pipeline::Apply(event::Event& ev, const TimeZone& zone) const {
    const Impl& p = *impl_;
    thread_local ApplyState st;
    if (st.owner != p.version) {
        st = ApplyState{};
        st.owner = p.version;
    }
    st.values.assign(p.routing_fields.size(), std::string_view());
    st.value_at.assign(p.routing_fields.size(), -1);
    uint64_t seen = 0;  // routing fields are capped at 64
    st.ts_at.assign(p.timestamp_fields.size(), -1);
    for (size_t i = 0; i < ev.size(); ++i) {
        std::string_view name = ev.field(i).name;
        const ApplyState::NameInfo* found = st.names.Find(name);
        ApplyState::NameInfo uncached;
        if (found == nullptr) {
            if (st.names.size() >= kMaxCachedNames) st.names.clear();
            ApplyState::NameInfo info;
            info.final = p.MapName(name);
            info.renamed = info.final != name;
            for (size_t k = 0; k < p.routing_fields.size(); ++k)
                if (p.routing_fields[k] == info.final) info.slot = static_cast<int>(k);
            for (size_t k = 0; k < p.timestamp_fields.size(); ++k)
                if (p.timestamp_fields[k] == info.final) {
                    info.ts = static_cast<int>(k);
                    break;
                }
            if (name.size() <= kMaxCachedNameBytes) {
                found = &st.names.Insert(name, std::move(info));
            } else {
                uncached = std::move(info);
                found = &uncached;
            }
        }
        const auto& info = *found;
        if (info.renamed) ev.Rename(i, info.final);
        if (info.slot >= 0 && !(seen >> info.slot & 1)) {
            seen |= uint64_t{1} << info.slot;
            st.value_at[static_cast<size_t>(info.slot)] = static_cast<int32_t>(i);
        }
        if (info.ts >= 0 && st.ts_at[static_cast<size_t>(info.ts)] < 0) {
            st.ts_at[static_cast<size_t>(info.ts)] = static_cast<int32_t>(i);
        }
    }
    // The first time field, by priority, whose value is a time: one a sender wrote in another
    // form does not keep the next from giving the event its time.
    for (size_t k = 0; ev.time_ns == 0 && k < st.ts_at.size(); ++k) {
        if (st.ts_at[k] < 0) continue;
        const bool utc = std::find(p.timestamp_utc.begin(), p.timestamp_utc.end(),
                                   p.timestamp_fields[k]) != p.timestamp_utc.end();
        if (auto ns = EventTime(ev.field(static_cast<size_t>(st.ts_at[k])).value,
                                utc ? TimeZone{} : zone)) {
            ev.time_ns = *ns;
        }
    }
    if (p.routing_fields.empty()) return;
    // The routing values, read once every rename is done: a longer name may have moved the
    // event's text.
    for (size_t k = 0; k < st.value_at.size(); ++k) {
        if (st.value_at[k] >= 0) st.values[k] = ev.field(static_cast<size_t>(st.value_at[k])).value;
    }

    st.key.clear();
    for (auto v : st.values) {
        for (char c : v) st.key.push_back(AsciiLower(c));
        st.key.push_back('\x1f');
    }
    auto it = st.routes.find(st.key);
    Routed uncached_route;
    const Routed* routed = nullptr;
    if (it != st.routes.end()) {
        routed = &it->second;
    } else if (st.key.size() > kMaxCachedRouteKeyBytes) {
        uncached_route = p.Route(st.values);
        routed = &uncached_route;
    } else {
        if (st.routes.size() >= kMaxCachedRoutes) st.routes.clear();
        routed = &st.routes.emplace(st.key, p.Route(st.values)).first->second;
    }
    const event::LogSource& r = routed->logsource;
    if (ev.logsource.product.empty()) ev.logsource.product = r.product;
    if (ev.logsource.service.empty()) ev.logsource.service = r.service;
    for (const auto& c : r.categories) ev.logsource.AddCategory(c);
    const auto& renames = routed->renames;
    if (renames.empty()) return;
    // Each field is renamed by its name before this pass, so renames can swap names.
    std::vector<std::pair<size_t, const std::string*>> todo;
    for (size_t i = 0; i < ev.size(); ++i) {
        std::string_view name = ev.field(i).name;
        for (const auto& [from, to] : renames) {
            if (name == from) {
                todo.emplace_back(i, &to);
                break;
            }
        }
    }
    for (const auto& [i, to] : todo) ev.Rename(i, *to);
}

Routed Pipeline::Impl::Route(const std::vector<std::string_view>& values) const {
    Routed routed;
    event::LogSource& out = routed.logsource;
    auto value_of = [&](const std::string& field) -> std::string {
        for (size_t k = 0; k < routing_fields.size(); ++k)
            if (routing_fields[k] == field) return AsciiLower(values[k]);
        return {};
    };
    if (!product_field.empty()) out.product = value_of(product_field);
    if (!service_field.empty()) out.service = value_of(service_field);
    if (!category_field.empty()) {
        auto c = value_of(category_field);
        if (!c.empty()) out.AddCategory(c);
    }
    for (const auto& r : logsources) {
        bool ok = true;
        for (const auto& cond : r.match) {
            std::string v = value_of(cond.field);
            bool any = false;
            for (const auto& want : cond.values) any = any || want == v;
            if (!any) {
                ok = false;
                break;
            }
        }
        if (!ok) continue;
        if (!r.product.empty() && out.product.empty()) out.product = r.product;
        if (!r.service.empty() && out.service.empty()) out.service = r.service;
        if (!r.category.empty()) out.AddCategory(r.category);
        routed.renames.insert(routed.renames.end(), r.renames.begin(), r.renames.end());
    }
    return routed;
}

}  // namespace vigil::detect
