// Reader and compiler: Sigma YAML -> compiled rules (nodes, patterns, predicates) ->
// per-field Vectorscan databases.

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include "base/limits.h"
#include "base/strings.h"
#include "detect/condition.h"
#include "detect/internal.h"
#include "detect/sigma_value.h"

namespace vigil::detect {

using internal::CmpOp;
using internal::Network;
using internal::Node;
using internal::PatKind;
using internal::Pattern;
using internal::Pred;
using internal::TimePart;

std::string internal::Pattern::Key() const {
    std::string k = std::to_string(field);
    k += '|';
    k += static_cast<char>('0' + static_cast<int>(kind));
    k += cased ? 'c' : 'i';
    k += flags;
    k += '|';
    k += text;
    return k;
}

uint32_t Engine::Impl::FieldId(std::string_view name) {
    if (const uint32_t* id = field_ids.Find(name)) return *id;
    auto id = static_cast<uint32_t>(field_names.size());
    field_names.emplace_back(name);
    field_ids.Insert(name, id);
    return id;
}

namespace {

// A rule's detection compiled into local pools, merged into the engine only on success.
struct LocalRule {
    std::vector<Node> nodes;
    std::vector<uint32_t> kids;
    std::vector<Pattern> patterns;
    std::vector<Pred> preds;
    std::set<uint32_t> fields;
    bool keywords = false;
};

struct RuleError {
    std::string code;
    std::string message;
    int line = 0, column = 0;
};

int Line(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }
int Col(const YAML::Node& n) { return n.Mark().column >= 0 ? n.Mark().column + 1 : 0; }

RuleError Err(const YAML::Node& at, std::string code, std::string message) {
    return RuleError{std::move(code), std::move(message), Line(at), Col(at)};
}

std::string Scalar(const YAML::Node& n) {
    if (!n || !n.IsScalar()) return {};
    return n.Scalar();
}

class DetectionCompiler {
public:
    DetectionCompiler(Engine::Impl& engine, LocalRule& out) : engine_(engine), out_(out) {}

    // Compiles `detection` (without `condition`) and the condition into out_. Returns the
    // root node or an error.
    std::optional<uint32_t> Compile(const YAML::Node& detection, const YAML::Node& condition,
                                    RuleError& err);

    std::vector<std::string> warnings;
    std::vector<RuleError> errors;  // every problem found; Compile's err is the first

private:
    uint32_t AddNode(Node n) {
        out_.nodes.push_back(n);
        return static_cast<uint32_t>(out_.nodes.size() - 1);
    }
    uint32_t AddGroup(Node::Op op, const std::vector<uint32_t>& children) {
        if (children.size() == 1) return children[0];
        if (children.empty()) return AddNode({op == Node::kAnd ? Node::kTrue : Node::kFalse, 0, 0});
        Node n{op, static_cast<uint32_t>(out_.kids.size()), static_cast<uint32_t>(children.size())};
        out_.kids.insert(out_.kids.end(), children.begin(), children.end());
        return AddNode(n);
    }
    uint32_t AddPattern(Pattern p) {
        out_.patterns.push_back(std::move(p));
        return AddNode({Node::kPattern, static_cast<uint32_t>(out_.patterns.size() - 1), 0});
    }
    uint32_t AddPred(Pred p) {
        out_.preds.push_back(std::move(p));
        return AddNode({Node::kPred, static_cast<uint32_t>(out_.preds.size() - 1), 0});
    }

    std::optional<uint32_t> CompileSearch(const YAML::Node& value, RuleError& err);
    std::optional<uint32_t> CompileMap(const YAML::Node& map, RuleError& err);
    std::optional<uint32_t> CompileField(const YAML::Node& key, const YAML::Node& value,
                                         RuleError& err);
    std::optional<uint32_t> CompileCondition(const CondNode& c, const YAML::Node& at,
                                             RuleError& err);
    std::optional<uint32_t> PatternFromString(uint32_t field, SigmaString s, bool cased,
                                              RuleError& err, const YAML::Node& at);

    Engine::Impl& engine_;
    LocalRule& out_;
    std::vector<std::pair<std::string, uint32_t>> searches_;  // identifier -> node
};

enum class Mod {
    kContains,
    kStartswith,
    kEndswith,
    kAll,
    kExists,
    kCased,
    kNeq,
    kRe,
    kReI,
    kReM,
    kReS,
    kBase64,
    kBase64Offset,
    kUtf16Le,
    kUtf16Be,
    kUtf16,
    kWindash,
    kCidr,
    kLt,
    kLte,
    kGt,
    kGte,
    kMinute,
    kHour,
    kDay,
    kWeek,
    kMonth,
    kYear,
    kExpand,
    kFieldref,
};

std::optional<Mod> ParseMod(std::string_view m) {
    static const std::pair<const char*, Mod> kMods[] = {
        {"contains", Mod::kContains},
        {"startswith", Mod::kStartswith},
        {"endswith", Mod::kEndswith},
        {"all", Mod::kAll},
        {"exists", Mod::kExists},
        {"cased", Mod::kCased},
        {"neq", Mod::kNeq},
        {"re", Mod::kRe},
        {"i", Mod::kReI},
        {"m", Mod::kReM},
        {"s", Mod::kReS},
        {"base64", Mod::kBase64},
        {"base64offset", Mod::kBase64Offset},
        {"utf16le", Mod::kUtf16Le},
        {"wide", Mod::kUtf16Le},
        {"utf16be", Mod::kUtf16Be},
        {"utf16", Mod::kUtf16},
        {"windash", Mod::kWindash},
        {"cidr", Mod::kCidr},
        {"lt", Mod::kLt},
        {"lte", Mod::kLte},
        {"gt", Mod::kGt},
        {"gte", Mod::kGte},
        {"minute", Mod::kMinute},
        {"hour", Mod::kHour},
        {"day", Mod::kDay},
        {"week", Mod::kWeek},
        {"month", Mod::kMonth},
        {"year", Mod::kYear},
        {"expand", Mod::kExpand},
        {"fieldref", Mod::kFieldref},
    };
    for (const auto& [name, mod] : kMods)
        if (m == name) return mod;
    return std::nullopt;
}

std::optional<Network> ParseNetwork(std::string_view text) {
    Network n;
    std::string s(Trim(text));
    size_t slash = s.find('/');
    std::string addr = s.substr(0, slash);
    n.v6 = addr.find(':') != std::string::npos;
    if (inet_pton(n.v6 ? AF_INET6 : AF_INET, addr.c_str(), n.addr.data()) != 1) return std::nullopt;
    int max = n.v6 ? 128 : 32;
    n.prefix = max;
    if (slash != std::string::npos) {
        auto p = ParseInt(std::string_view(s).substr(slash + 1));
        if (!p || *p < 0 || *p > max) return std::nullopt;
        n.prefix = static_cast<int>(*p);
    }
    return n;
}

std::optional<uint32_t> DetectionCompiler::PatternFromString(uint32_t field, SigmaString s,
                                                             bool cased, RuleError& err,
                                                             const YAML::Node& at) {
    bool star_start = s.StartsWithStar();
    bool star_end = s.EndsWithStar();
    // Strip the outer stars; what remains decides literal vs glob.
    SigmaString inner = s;
    if (star_start) inner.pieces.erase(inner.pieces.begin());
    if (star_end && !inner.pieces.empty()) inner.pieces.pop_back();
    if (inner.pieces.empty()) {
        if (star_start || star_end) {
            // '*' alone: any value of an existing field.
            Pred p;
            p.kind = Pred::kExists;
            p.field = field;
            return AddPred(p);
        }
    }
    Pattern p;
    p.field = field;
    p.cased = cased;
    if (!inner.HasWildcards()) {
        p.text = cased ? inner.Text() : AsciiLower(inner.Text());
        p.kind = star_start ? (star_end ? PatKind::kContains : PatKind::kSuffix)
                            : (star_end ? PatKind::kPrefix : PatKind::kExact);
        if (p.text.empty() && p.kind != PatKind::kExact) {
            Pred e;
            e.kind = Pred::kExists;
            e.field = field;
            return AddPred(e);
        }
        return AddPattern(std::move(p));
    }
    // Glob: Vectorscan regex with every non-alphanumeric byte escaped.
    static const char* kHex = "0123456789abcdef";
    std::string re;
    if (!star_start) re += '^';
    for (const auto& piece : inner.pieces) {
        if (piece.kind == SigmaString::Piece::kStar) {
            re += ".*";
        } else if (piece.kind == SigmaString::Piece::kOne) {
            re += internal::kGlobOneChar;
        } else {
            for (char c : cased ? piece.text : AsciiLower(piece.text)) {
                auto u = static_cast<unsigned char>(c);
                if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')) {
                    re += c;
                } else {
                    re += "\\x";
                    re += kHex[u >> 4];
                    re += kHex[u & 15];
                }
            }
        }
    }
    if (!star_end) re += "\\z";
    if (re.size() > limits::kMaxRegexBytes) {
        err = Err(at, "value-too-large", "wildcard value longer than the regex limit");
        return std::nullopt;
    }
    p.kind = PatKind::kGlob;
    p.text = std::move(re);
    return AddPattern(std::move(p));
}

std::optional<uint32_t> DetectionCompiler::CompileField(const YAML::Node& key,
                                                        const YAML::Node& value, RuleError& err) {
    std::string spec = key.Scalar();
    auto parts = Split(spec, '|');
    std::string field_name(parts[0]);
    bool keyword = field_name.empty();
    uint32_t field = keyword ? internal::kKeywordField : engine_.FieldId(field_name);
    if (keyword) {
        out_.keywords = true;
    } else {
        out_.fields.insert(field);
    }

    std::vector<Mod> mods;
    for (size_t i = 1; i < parts.size(); ++i) {
        auto m = ParseMod(parts[i]);
        if (!m) {
            err = Err(key, "unknown-modifier",
                      "unknown modifier '" + std::string(parts[i]) + "' in '" + spec + "'");
            return std::nullopt;
        }
        mods.push_back(*m);
    }
    auto has = [&](Mod m) { return std::find(mods.begin(), mods.end(), m) != mods.end(); };

    // Values: a scalar, null or a list of scalars.
    std::vector<YAML::Node> values;
    if (value.IsSequence()) {
        if (value.size() == 0) {
            err = Err(value, "empty-value-list", "'" + spec + "' has an empty list of values");
            return std::nullopt;
        }
        for (const auto& v : value) {
            if (!v.IsScalar() && !v.IsNull()) {
                err = Err(v, "bad-value", "values of '" + spec + "' must be scalars");
                return std::nullopt;
            }
            if (v.IsNull() && value.size() > 1) {
                err = Err(v, "null-in-list",
                          "null cannot be part of a list of values; use its own selection");
                return std::nullopt;
            }
            values.push_back(v);
        }
    } else if (value.IsScalar() || value.IsNull()) {
        values.push_back(value);
    } else {
        err = Err(value, "bad-value", "'" + spec + "' must have a scalar or a list of scalars");
        return std::nullopt;
    }
    if (values.size() > limits::kMaxRuleValues) {
        err = Err(
            value, "too-many-values",
            "'" + spec + "' has more than " + std::to_string(limits::kMaxRuleValues) + " values");
        return std::nullopt;
    }
    if (has(Mod::kAll) && values.size() == 1)
        warnings.push_back("'" + spec + "': |all on a single value has no effect");

    bool cased = has(Mod::kCased);
    bool all = has(Mod::kAll);
    std::vector<uint32_t> per_value;

    auto finish = [&](std::vector<uint32_t> items) -> std::optional<uint32_t> {
        uint32_t n = AddGroup(all ? Node::kAnd : Node::kOr, items);
        if (has(Mod::kNeq)) n = AddNode({Node::kNot, n, 0});
        return n;
    };

    // Special value types first.
    if (has(Mod::kExists)) {
        if (values.size() != 1 || !values[0].IsScalar() ||
            (values[0].Scalar() != "true" && values[0].Scalar() != "false")) {
            err = Err(value, "bad-exists", "'" + spec + "' needs true or false");
            return std::nullopt;
        }
        Pred p;
        p.kind = values[0].Scalar() == "true" ? Pred::kExists : Pred::kNotExists;
        p.field = field;
        return AddPred(p);
    }
    for (const auto& v : values) {
        if (v.IsNull()) {
            Pred p;
            p.kind = Pred::kNull;
            p.field = field;
            per_value.push_back(AddPred(p));
        }
    }
    if (!per_value.empty()) return finish(per_value);

    std::optional<CmpOp> cmp;
    TimePart part = TimePart::kNone;
    for (Mod m : mods) {
        switch (m) {
            case Mod::kLt:
                cmp = CmpOp::kLt;
                break;
            case Mod::kLte:
                cmp = CmpOp::kLte;
                break;
            case Mod::kGt:
                cmp = CmpOp::kGt;
                break;
            case Mod::kGte:
                cmp = CmpOp::kGte;
                break;
            case Mod::kMinute:
                part = TimePart::kMinute;
                break;
            case Mod::kHour:
                part = TimePart::kHour;
                break;
            case Mod::kDay:
                part = TimePart::kDay;
                break;
            case Mod::kWeek:
                part = TimePart::kWeek;
                break;
            case Mod::kMonth:
                part = TimePart::kMonth;
                break;
            case Mod::kYear:
                part = TimePart::kYear;
                break;
            default:
                break;
        }
    }
    if (cmp || part != TimePart::kNone) {
        for (const auto& v : values) {
            auto num = ParseDouble(v.Scalar());
            if (!num) {
                err = Err(v, "not-a-number",
                          "'" + spec + "' needs a number, not '" + v.Scalar() + "'");
                return std::nullopt;
            }
            Pred p;
            p.kind = Pred::kNumCmp;
            p.field = field;
            p.cmp = cmp.value_or(CmpOp::kEq);
            p.part = part;
            p.number = *num;
            per_value.push_back(AddPred(p));
        }
        return finish(per_value);
    }
    if (has(Mod::kCidr)) {
        Pred p;
        p.kind = Pred::kCidr;
        p.field = field;
        for (const auto& v : values) {
            auto net = ParseNetwork(v.Scalar());
            if (!net) {
                err = Err(v, "bad-cidr", "'" + v.Scalar() + "' is not an IPv4 or IPv6 network");
                return std::nullopt;
            }
            if (all) {
                Pred one = p;
                one.networks.push_back(*net);
                per_value.push_back(AddPred(one));
            } else {
                p.networks.push_back(*net);
            }
        }
        if (!all) per_value.push_back(AddPred(p));
        return finish(per_value);
    }
    if (has(Mod::kFieldref)) {
        for (const auto& v : values) {
            Pred p;
            p.kind = Pred::kFieldRef;
            p.field = field;
            p.other_field = engine_.FieldId(v.Scalar());
            out_.fields.insert(p.other_field);
            p.cased = cased;
            bool c = has(Mod::kContains), s = has(Mod::kStartswith), e = has(Mod::kEndswith);
            p.ref_kind = c   ? PatKind::kContains
                         : s ? PatKind::kPrefix
                         : e ? PatKind::kSuffix
                             : PatKind::kExact;
            per_value.push_back(AddPred(p));
        }
        return finish(per_value);
    }
    if (has(Mod::kRe)) {
        std::string flags;
        if (has(Mod::kReI)) flags += 'i';
        if (has(Mod::kReM)) flags += 'm';
        if (has(Mod::kReS)) flags += 's';
        for (Mod m : mods) {
            if (m == Mod::kBase64 || m == Mod::kBase64Offset || m == Mod::kWindash ||
                m == Mod::kUtf16 || m == Mod::kUtf16Le || m == Mod::kUtf16Be ||
                m == Mod::kContains || m == Mod::kStartswith || m == Mod::kEndswith) {
                err = Err(key, "bad-modifier-combination",
                          "'" + spec + "': |re cannot be combined with string transformations");
                return std::nullopt;
            }
        }
        for (const auto& v : values) {
            std::string re = v.Scalar();
            if (re.size() > limits::kMaxRegexBytes) {
                err = Err(v, "regex-too-large",
                          "regex longer than " + std::to_string(limits::kMaxRegexBytes) + " bytes");
                return std::nullopt;
            }
            RE2::Options opt;
            opt.set_log_errors(false);
            opt.set_case_sensitive(!has(Mod::kReI));
            opt.set_dot_nl(has(Mod::kReS));
            opt.set_never_nl(false);
            opt.set_max_mem(8 << 20);
            std::string re2_text = has(Mod::kReM) ? "(?m)" + re : re;
            auto compiled = std::make_shared<RE2>(re2_text, opt);
            if (!compiled->ok()) {
                err = Err(v, "unsupported-regex",
                          "regex '" + re + "' uses a feature the engine does not support (" +
                              compiled->error() + ")");
                return std::nullopt;
            }
            Pattern p;
            p.field = field;
            p.kind = PatKind::kRegex;
            p.cased = !has(Mod::kReI);
            p.flags = flags;
            p.text = re;
            p.re2 = std::move(compiled);
            per_value.push_back(AddPattern(std::move(p)));
        }
        return finish(per_value);
    }

    // String values through the transforming modifiers, in the order written.
    for (const auto& v : values) {
        std::vector<SigmaString> expanded;
        std::string raw = v.Scalar();
        if (has(Mod::kExpand)) {
            auto r = ApplyExpand(raw, engine_.options.placeholders);
            if (!r) {
                err = Err(v, "unresolved-placeholder", r.error().message);
                return std::nullopt;
            }
            expanded = std::move(*r);
        } else {
            expanded.push_back(SigmaString::Parse(raw));
        }
        bool anchored = false;
        for (Mod m : mods) {
            Result<std::vector<SigmaString>> r = expanded;
            std::vector<SigmaString> next;
            switch (m) {
                case Mod::kContains:
                    for (auto& s : expanded) s.PrependStar(), s.AppendStar();
                    anchored = true;
                    continue;
                case Mod::kStartswith:
                    for (auto& s : expanded) s.AppendStar();
                    anchored = true;
                    continue;
                case Mod::kEndswith:
                    for (auto& s : expanded) s.PrependStar();
                    anchored = true;
                    continue;
                case Mod::kBase64:
                case Mod::kBase64Offset:
                case Mod::kUtf16:
                case Mod::kUtf16Le:
                case Mod::kUtf16Be:
                case Mod::kWindash:
                    for (auto& s : expanded) {
                        Result<std::vector<SigmaString>> one =
                            m == Mod::kBase64         ? ApplyBase64(s)
                            : m == Mod::kBase64Offset ? ApplyBase64Offset(s)
                            : m == Mod::kWindash
                                ? ApplyWindash(s)
                                : ApplyUtf16(s, m == Mod::kUtf16     ? Utf16Kind::kBom
                                                : m == Mod::kUtf16Be ? Utf16Kind::kBe
                                                                     : Utf16Kind::kLe);
                        if (!one) {
                            err = Err(v, "bad-modifier-value",
                                      "'" + spec + "': " + one.error().message);
                            return std::nullopt;
                        }
                        for (auto& x : *one) next.push_back(std::move(x));
                    }
                    if (next.size() > limits::kMaxValueExpansion) {
                        err =
                            Err(v, "too-many-values", "'" + spec + "' expands to too many values");
                        return std::nullopt;
                    }
                    expanded = std::move(next);
                    continue;
                default:
                    continue;
            }
        }
        if (keyword && !anchored) {
            for (auto& s : expanded) s.PrependStar(), s.AppendStar();
        }
        std::vector<uint32_t> alts;
        for (auto& s : expanded) {
            auto n = PatternFromString(field, std::move(s), cased, err, v);
            if (!n) return std::nullopt;
            alts.push_back(*n);
        }
        per_value.push_back(AddGroup(Node::kOr, alts));
    }
    return finish(per_value);
}

std::optional<uint32_t> DetectionCompiler::CompileMap(const YAML::Node& map, RuleError& err) {
    std::vector<uint32_t> items;
    for (auto it = map.begin(); it != map.end(); ++it) {
        if (!it->first.IsScalar()) {
            err = Err(it->first, "bad-field", "field names must be strings");
            return std::nullopt;
        }
        auto n = CompileField(it->first, it->second, err);
        if (!n) return std::nullopt;
        items.push_back(*n);
    }
    if (items.empty()) {
        err = Err(map, "empty-selection", "selection has no fields");
        return std::nullopt;
    }
    return AddGroup(Node::kAnd, items);
}

std::optional<uint32_t> DetectionCompiler::CompileSearch(const YAML::Node& value, RuleError& err) {
    if (value.IsMap()) return CompileMap(value, err);
    if (value.IsSequence()) {
        if (value.size() == 0) {
            err = Err(value, "empty-selection", "selection is an empty list");
            return std::nullopt;
        }
        std::vector<uint32_t> items;
        std::vector<YAML::Node> keywords;
        for (const auto& item : value) {
            if (item.IsMap()) {
                auto n = CompileMap(item, err);
                if (!n) return std::nullopt;
                items.push_back(*n);
            } else if (item.IsScalar()) {
                keywords.push_back(item);
            } else {
                err = Err(item, "bad-selection", "list items must be maps or strings");
                return std::nullopt;
            }
        }
        if (!keywords.empty()) {
            YAML::Node list(YAML::NodeType::Sequence);
            for (const auto& k : keywords) list.push_back(k);
            YAML::Node key("");
            auto n = CompileField(key, list, err);
            if (!n) return std::nullopt;
            items.push_back(*n);
        }
        return AddGroup(Node::kOr, items);
    }
    if (value.IsScalar()) {
        YAML::Node key("");
        return CompileField(key, value, err);
    }
    err = Err(value, "bad-selection", "a search identifier must be a map, a list or a string");
    return std::nullopt;
}

std::optional<uint32_t> DetectionCompiler::CompileCondition(const CondNode& c, const YAML::Node& at,
                                                            RuleError& err) {
    auto cond_err = [&](std::string code, std::string msg) {
        err = Err(at, std::move(code), "condition column " + std::to_string(c.column) + ": " + msg);
        return std::nullopt;
    };
    switch (c.kind) {
        case CondNode::kIdent: {
            for (const auto& [name, node] : searches_)
                if (name == c.ident) return node;
            return cond_err("unknown-identifier", "'" + c.ident + "' is not defined in detection");
        }
        case CondNode::kNot: {
            auto n = CompileCondition(c.children[0], at, err);
            if (!n) return std::nullopt;
            return AddNode({Node::kNot, *n, 0});
        }
        case CondNode::kAnd:
        case CondNode::kOr: {
            std::vector<uint32_t> items;
            for (const auto& child : c.children) {
                auto n = CompileCondition(child, at, err);
                if (!n) return std::nullopt;
                items.push_back(*n);
            }
            return AddGroup(c.kind == CondNode::kAnd ? Node::kAnd : Node::kOr, items);
        }
        case CondNode::kOneOf:
        case CondNode::kAllOf: {
            std::vector<uint32_t> items;
            for (const auto& [name, node] : searches_) {
                bool take = c.ident == "them" ? !name.starts_with("_") : GlobMatch(c.ident, name);
                if (take) items.push_back(node);
            }
            if (items.empty())
                return cond_err("unknown-identifier",
                                "'" + c.ident + "' matches no search identifier");
            return AddGroup(c.kind == CondNode::kOneOf ? Node::kOr : Node::kAnd, items);
        }
    }
    return std::nullopt;
}

std::optional<uint32_t> DetectionCompiler::Compile(const YAML::Node& detection,
                                                   const YAML::Node& condition, RuleError& err) {
    // Every search identifier and the condition's syntax are checked even after an error,
    // so one `vigil rules check` run lists all of a rule's problems.
    for (auto it = detection.begin(); it != detection.end(); ++it) {
        std::string name = Scalar(it->first);
        if (name == "condition" || name == "timeframe" || name == "rules") continue;
        RuleError search_err;
        auto n = CompileSearch(it->second, search_err);
        if (!n) {
            errors.push_back(std::move(search_err));
            continue;
        }
        searches_.emplace_back(name, *n);
    }
    std::vector<std::pair<std::string, YAML::Node>> conds;
    if (!condition) {
        errors.push_back(Err(detection, "missing-condition", "detection has no condition"));
    } else if (condition.IsSequence()) {
        for (const auto& c : condition) conds.emplace_back(Scalar(c), c);
    } else {
        conds.emplace_back(Scalar(condition), condition);
    }
    std::vector<uint32_t> roots;
    for (const auto& [text, node] : conds) {
        auto parsed = ParseCondition(text);
        if (!parsed) {
            std::string msg = parsed.error().message;
            errors.push_back(Err(node,
                                 msg.find("aggregation") != std::string::npos ||
                                         msg.find("near") != std::string::npos
                                     ? "unsupported-aggregation"
                                     : "bad-condition",
                                 "condition '" + text + "': " + msg));
            continue;
        }
        // Identifiers are resolved only when every search compiled: a broken search would
        // otherwise also be reported as an unknown identifier.
        if (!errors.empty()) continue;
        RuleError cond_err;
        auto n = CompileCondition(*parsed, node, cond_err);
        if (!n) {
            errors.push_back(std::move(cond_err));
            continue;
        }
        roots.push_back(*n);
    }
    if (!errors.empty()) {
        err = errors.front();
        return std::nullopt;
    }
    return AddGroup(Node::kOr, roots);
}

void ReadMeta(const YAML::Node& doc, const std::string& file, RuleMeta& meta) {
    meta.id = Scalar(doc["id"]);
    meta.name = Scalar(doc["name"]);
    meta.title = Scalar(doc["title"]);
    meta.description = Scalar(doc["description"]);
    meta.status = Scalar(doc["status"]);
    meta.author = Scalar(doc["author"]);
    meta.file = file;
    meta.line = Line(doc);
    if (auto lvl = ParseLevel(Scalar(doc["level"]))) meta.level = *lvl;
    if (doc["tags"] && doc["tags"].IsSequence())
        for (const auto& t : doc["tags"]) meta.tags.push_back(Scalar(t));
}

LogSourceSpec ReadLogSource(const YAML::Node& ls) {
    LogSourceSpec spec;
    if (ls && ls.IsMap()) {
        spec.product = AsciiLower(Scalar(ls["product"]));
        spec.category = AsciiLower(Scalar(ls["category"]));
        spec.service = AsciiLower(Scalar(ls["service"]));
    }
    return spec;
}

}  // namespace

// Merges a compiled local rule into the engine pools.
static internal::CompiledRule MergeRule(Engine::Impl& e, LocalRule& local, uint32_t local_root) {
    auto node_base = static_cast<uint32_t>(e.nodes.size());
    auto kid_base = static_cast<uint32_t>(e.kids.size());
    auto pred_base = static_cast<uint32_t>(e.preds.size());
    std::vector<uint32_t> pat_map(local.patterns.size());
    for (size_t i = 0; i < local.patterns.size(); ++i) {
        std::string key = local.patterns[i].Key();
        auto it = e.pattern_ids.find(key);
        if (it == e.pattern_ids.end()) {
            auto id = static_cast<uint32_t>(e.patterns.size());
            e.patterns.push_back(std::move(local.patterns[i]));
            it = e.pattern_ids.emplace(std::move(key), id).first;
        }
        pat_map[i] = it->second;
    }
    for (auto& p : local.preds) e.preds.push_back(std::move(p));
    for (uint32_t k : local.kids) e.kids.push_back(k + node_base);
    for (Node n : local.nodes) {
        switch (n.op) {
            case Node::kAnd:
            case Node::kOr:
                n.a += kid_base;
                break;
            case Node::kNot:
                n.a += node_base;
                break;
            case Node::kPattern:
                n.a = pat_map[n.a];
                break;
            case Node::kPred:
                n.a += pred_base;
                break;
            default:
                break;
        }
        e.nodes.push_back(n);
    }
    internal::CompiledRule r;
    r.root = local_root + node_base;
    r.field_ids.assign(local.fields.begin(), local.fields.end());
    r.keywords = local.keywords;
    return r;
}

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    impl_->field_names.emplace_back("");  // keyword pseudo-field
}
Engine::~Engine() = default;

const LoadStats& Engine::stats() const { return impl_->stats; }
size_t Engine::rule_count() const { return impl_->rules.size(); }
const RuleInfo& Engine::rule(uint32_t index) const { return impl_->rules[index].info; }
const TierMap& Engine::tiers() const { return impl_->options.tiers; }
const CorrelationEngine& Engine::correlations() const { return impl_->correlations; }

namespace {
// One rule file parsed into YAML documents (done in parallel; compiling is sequential).
struct ParsedFile {
    std::vector<YAML::Node> docs;
    bool failed = false;
    int line = 0, column = 0;
    std::string message;
};

ParsedFile ParseYaml(std::string_view yaml) {
    ParsedFile out;
    try {
        out.docs = YAML::LoadAll(std::string(yaml));
    } catch (const YAML::Exception& ex) {
        out.failed = true;
        out.line = ex.mark.line + 1;
        out.column = ex.mark.column + 1;
        out.message = ex.msg;
    }
    return out;
}
}  // namespace

static void ProcessDocs(Engine::Impl& e, const ParsedFile& parsed, const std::string& file,
                        config::Diagnostics& diags);

void Engine::LoadString(std::string_view yaml, const std::string& file,
                        config::Diagnostics& diags) {
    ProcessDocs(*impl_, ParseYaml(yaml), file, diags);
}

static void ProcessDocs(Engine::Impl& e, const ParsedFile& parsed, const std::string& file,
                        config::Diagnostics& diags) {
    if (parsed.failed) {
        diags.Error("yaml-syntax", file, parsed.line, parsed.column, parsed.message);
        ++e.stats.rules_rejected;
        return;
    }
    for (const auto& doc : parsed.docs) {
        if (!doc || doc.IsNull()) continue;
        ++e.stats.documents;
        if (!doc.IsMap()) {
            diags.Error("bad-document", file, Line(doc), Col(doc), "a rule must be a YAML map");
            ++e.stats.rules_rejected;
            continue;
        }
        try {
            if (doc["correlation"]) {
                auto c = ParseCorrelationRule(doc, file, diags);
                if (c) {
                    e.pending_correlations.push_back(std::move(*c));
                } else {
                    ++e.stats.correlations_rejected;
                }
                continue;
            }
            bool is_filter = static_cast<bool>(doc["filter"]);
            RuleMeta meta;
            ReadMeta(doc, file, meta);
            auto reject = [&](const RuleError& err) {
                diags.Error(err.code, file, err.line, err.column, err.message, meta.id);
                ++(is_filter ? e.stats.filters_rejected : e.stats.rules_rejected);
            };
            if (meta.title.empty()) {
                reject(Err(doc, "missing-title", "rule has no title"));
                continue;
            }
            const YAML::Node body = is_filter ? doc["filter"] : doc["detection"];
            if (!body || !body.IsMap()) {
                if (doc["action"]) {
                    reject(Err(doc, "unsupported-action",
                               "Sigma 1.0 rule collections ('action') are not part of Sigma 2"));
                } else {
                    reject(Err(doc, is_filter ? "missing-filter" : "missing-detection",
                               is_filter ? "filter section is missing or not a map"
                                         : "detection section is missing or not a map"));
                }
                continue;
            }
            if (!doc["logsource"] || !doc["logsource"].IsMap()) {
                reject(Err(doc, "missing-logsource", "logsource is missing or not a map"));
                continue;
            }
            LocalRule local;
            DetectionCompiler dc(e, local);
            RuleError err;
            auto root = dc.Compile(body, body["condition"], err);
            if (!root) {
                reject(err);
                for (size_t i = 1; i < dc.errors.size(); ++i) {
                    const RuleError& more = dc.errors[i];
                    diags.Error(more.code, file, more.line, more.column, more.message, meta.id);
                }
                continue;
            }
            for (const auto& w : dc.warnings)
                diags.Warning("suspicious-value", file, Line(body), Col(body), w, meta.id);
            internal::CompiledRule r = MergeRule(e, local, *root);
            r.info.meta = std::move(meta);
            r.info.logsource = ReadLogSource(doc["logsource"]);
            r.info.is_filter = is_filter;
            for (uint32_t f : r.field_ids) r.info.fields.push_back(e.field_names[f]);
            if (is_filter) {
                std::vector<std::string> targets;
                const YAML::Node rules = body["rules"];
                if (rules && rules.IsSequence()) {
                    for (const auto& t : rules) targets.push_back(Scalar(t));
                } else if (rules && rules.IsScalar()) {
                    targets.push_back(rules.Scalar());
                }
                if (targets.empty()) {
                    diags.Error("filter-without-rules", file, Line(body), Col(body),
                                "filter names no rules", r.info.meta.id);
                    ++e.stats.filters_rejected;
                    continue;
                }
                e.filters.push_back(std::move(r));
                e.filter_targets.push_back(std::move(targets));
                ++e.stats.filters_loaded;
            } else {
                e.rules.push_back(std::move(r));
                ++e.stats.rules_loaded;
            }
        } catch (const YAML::Exception& ex) {
            diags.Error("bad-rule", file, ex.mark.line + 1, ex.mark.column + 1, ex.msg);
            ++e.stats.rules_rejected;
        }
    }
}

Status Engine::LoadPath(const std::string& path, config::Diagnostics& diags) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_directory(path, ec)) {
        for (auto it = fs::recursive_directory_iterator(path, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (!it->is_regular_file(ec)) continue;
            auto ext = it->path().extension().string();
            if (ext == ".yml" || ext == ".yaml") files.push_back(it->path());
        }
        if (ec) return MakeError(Code::kUnavailable, "reading " + path + ": " + ec.message());
        std::sort(files.begin(), files.end());
    } else if (fs::is_regular_file(path, ec)) {
        files.emplace_back(path);
    } else {
        return NotFound("rules path " + path + " does not exist");
    }
    // Read and parse on all cores; compile in file order so ids and diagnostics are stable.
    std::vector<ParsedFile> parsed(files.size());
    std::vector<std::string> read_errors(files.size());
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < files.size(); i = next++) {
            std::error_code fec;
            auto size = fs::file_size(files[i], fec);
            if (fec || size > limits::kMaxRuleFileBytes) {
                read_errors[i] = fec ? fec.message()
                                     : "rule file larger than " +
                                           std::to_string(limits::kMaxRuleFileBytes) + " bytes";
                continue;
            }
            std::ifstream in(files[i], std::ios::binary);
            std::stringstream ss;
            ss << in.rdbuf();
            parsed[i] = ParseYaml(ss.str());
        }
    };
    unsigned n = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < n && t < files.size(); ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    for (size_t i = 0; i < files.size(); ++i) {
        ++impl_->stats.files;
        if (!read_errors[i].empty()) {
            diags.Error("file-unreadable", files[i].string(), 0, 0, read_errors[i]);
            ++impl_->stats.rules_rejected;
            continue;
        }
        ProcessDocs(*impl_, parsed[i], files[i].string(), diags);
    }
    return Ok();
}

Result<std::map<std::string, std::vector<std::string>>> LoadPlaceholders(const std::string& path) {
    try {
        YAML::Node root = YAML::LoadFile(path);
        std::map<std::string, std::vector<std::string>> out;
        if (!root.IsMap()) return InvalidArgument(path + ": placeholders must be a map of lists");
        for (auto it = root.begin(); it != root.end(); ++it) {
            std::string name = it->first.Scalar();
            if (name.size() > 2 && name.front() == '%' && name.back() == '%')
                name = name.substr(1, name.size() - 2);
            auto& vals = out[name];
            const YAML::Node list = it->second;  // the iterator's pair is a temporary
            if (list.IsSequence()) {
                for (const auto& v : list) vals.push_back(v.Scalar());
            } else if (it->second.IsScalar()) {
                vals.push_back(it->second.Scalar());
            } else {
                return InvalidArgument(path + ":" + std::to_string(Line(it->second)) +
                                       ": placeholder '" + name + "' must be a list of strings");
            }
        }
        return out;
    } catch (const YAML::Exception& ex) {
        return InvalidArgument(path + ":" + std::to_string(ex.mark.line + 1) + ": " + ex.msg);
    }
}

}  // namespace vigil::detect
