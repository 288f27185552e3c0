#include "detect/pipeline.h"

#include <fstream>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/yaml.h>

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

struct Pipeline::Impl {
    std::vector<Transform> transforms;
    std::vector<std::string> timestamp_fields;
    std::vector<LogSourceRule> logsources;
    std::string product_field, service_field, category_field;  // logsource_fields
    // Index: first match field -> lower-cased value -> logsource rules.
    std::unordered_map<std::string, std::unordered_map<std::string, std::vector<size_t>>> index;
    std::vector<size_t> unindexed;

    void Reindex() {
        index.clear();
        unindexed.clear();
        for (size_t i = 0; i < logsources.size(); ++i) {
            const auto& r = logsources[i];
            if (r.match.empty()) {
                unindexed.push_back(i);
                continue;
            }
            for (const auto& v : r.match[0].values) index[r.match[0].field][v].push_back(i);
        }
    }
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
                const YAML::Node& v = kv->second;
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
        if (auto t = root["timestamp"]; t) {
            if (t.IsSequence()) {
                for (const auto& f : t) impl_->timestamp_fields.push_back(f.Scalar());
            } else {
                impl_->timestamp_fields.push_back(t.Scalar());
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
                        if (it->second.IsSequence()) {
                            for (const auto& v : it->second)
                                c.values.push_back(AsciiLower(v.Scalar()));
                        } else {
                            c.values.push_back(AsciiLower(it->second.Scalar()));
                        }
                        r.match.push_back(std::move(c));
                    }
                }
                if (item["product"]) r.product = AsciiLower(item["product"].Scalar());
                if (item["service"]) r.service = AsciiLower(item["service"].Scalar());
                if (item["category"]) r.category = AsciiLower(item["category"].Scalar());
                if (r.product.empty() && r.service.empty() && r.category.empty()) {
                    diags.Error("bad-logsource", file, Line(item), Col(item),
                                "logsource entry sets none of product, service, category");
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

void Pipeline::Apply(event::Event& ev) const {
    const Impl& p = *impl_;
    thread_local std::string cur;  // Apply runs on every worker thread
    for (size_t i = 0; i < ev.size(); ++i) {
        std::string_view name = ev.field(i).name;
        bool changed = false;
        for (const auto& tr : p.transforms) {
            std::string_view n = changed ? std::string_view(cur) : name;
            switch (tr.kind) {
                case Transform::kStripPrefix:
                    for (const auto& prefix : tr.prefixes) {
                        std::string_view rest;
                        if (StripPrefix(n, prefix, rest)) {
                            cur = std::string(rest);
                            changed = true;
                            break;
                        }
                    }
                    break;
                case Transform::kReplace:
                    if (n.find(tr.from) != std::string_view::npos) {
                        std::string out;
                        size_t pos = 0;
                        while (true) {
                            size_t f = n.find(tr.from, pos);
                            if (f == std::string_view::npos) break;
                            out.append(n.substr(pos, f - pos));
                            out.append(tr.to);
                            pos = f + tr.from.size();
                        }
                        out.append(n.substr(pos));
                        cur = std::move(out);
                        changed = true;
                    }
                    break;
                case Transform::kRename: {
                    auto it = tr.renames.find(std::string(n));
                    if (it != tr.renames.end()) {
                        cur = it->second;
                        changed = true;
                    }
                    break;
                }
            }
        }
        if (changed) ev.Rename(i, cur);
    }

    if (ev.time_ns == 0) {
        for (const auto& f : p.timestamp_fields) {
            auto v = ev.Get(f);
            if (v.empty()) continue;
            if (auto ns = ParseTimestamp(v)) {
                ev.time_ns = *ns;
                break;
            }
        }
    }

    if (!p.product_field.empty() && ev.logsource.product.empty())
        ev.logsource.product = AsciiLower(ev.Get(p.product_field));
    if (!p.service_field.empty() && ev.logsource.service.empty())
        ev.logsource.service = AsciiLower(ev.Get(p.service_field));
    if (!p.category_field.empty()) {
        auto c = ev.Get(p.category_field);
        if (!c.empty()) ev.logsource.AddCategory(AsciiLower(c));
    }

    auto apply = [&](const LogSourceRule& r) {
        for (size_t k = 0; k < r.match.size(); ++k) {
            std::string lv = AsciiLower(ev.Get(r.match[k].field));
            bool any = false;
            for (const auto& v : r.match[k].values) any = any || v == lv;
            if (!any) return;
        }
        if (!r.product.empty() && ev.logsource.product.empty()) ev.logsource.product = r.product;
        if (!r.service.empty() && ev.logsource.service.empty()) ev.logsource.service = r.service;
        if (!r.category.empty()) ev.logsource.AddCategory(r.category);
    };
    for (const auto& [field, by_value] : p.index) {
        int i = ev.Find(field);
        if (i < 0) continue;
        AsciiLowerInto(ev.field(static_cast<size_t>(i)).value, cur);
        auto it = by_value.find(cur);
        if (it == by_value.end()) continue;
        for (size_t r : it->second) apply(p.logsources[r]);
    }
    for (size_t r : p.unindexed) apply(p.logsources[r]);
}

}  // namespace vigil::detect
