#include "event/event.h"

#include <algorithm>
#include <map>

#include "base/strings.h"

namespace vigil::event {

bool LogSource::HasCategory(std::string_view c) const {
    return std::find(categories.begin(), categories.end(), c) != categories.end();
}

void LogSource::AddCategory(std::string_view c) {
    if (!HasCategory(c)) categories.emplace_back(c);
}

std::string LogSource::Key() const {
    std::string k = product;
    k += '/';
    k += service;
    k += '/';
    for (size_t i = 0; i < categories.size(); ++i) {
        if (i) k += '+';
        k += categories[i];
    }
    return k;
}

void Event::Clear() {
    buf_.clear();
    fields_.clear();
    logsource.Clear();
    time_ns = 0;
    message.clear();
    origin.clear();
    sequence = 0;
}

void Event::Add(std::string_view name, std::string_view value, ValueKind kind,
                uint32_t line_offset) {
    Slot s;
    s.line_offset = line_offset;
    s.name_off = static_cast<uint32_t>(buf_.size());
    s.name_len = static_cast<uint32_t>(name.size());
    buf_.append(name);
    s.value_off = static_cast<uint32_t>(buf_.size());
    s.value_len = static_cast<uint32_t>(value.size());
    buf_.append(value);
    s.kind = kind;
    fields_.push_back(s);
}

void Event::Rename(size_t i, std::string_view new_name) {
    Slot& s = fields_[i];
    if (new_name.size() <= s.name_len) {
        buf_.replace(s.name_off, new_name.size(), new_name);
    } else {
        s.name_off = static_cast<uint32_t>(buf_.size());
        buf_.append(new_name);
    }
    s.name_len = static_cast<uint32_t>(new_name.size());
}

void Event::AppendToValue(size_t i, std::string_view more) {
    Slot& s = fields_[i];
    if (s.value_off + s.value_len != buf_.size()) {
        // Not last in the buffer: the value moves to its end first.
        const size_t off = buf_.size();
        buf_.append(buf_, s.value_off, s.value_len);
        s.value_off = static_cast<uint32_t>(off);
    }
    buf_.append(more);
    s.value_len += static_cast<uint32_t>(more.size());
    s.line_offset = kNotInLine;
}

void Event::Erase(size_t i) { fields_.erase(fields_.begin() + static_cast<std::ptrdiff_t>(i)); }

int Event::Find(std::string_view name) const {
    for (size_t i = 0; i < fields_.size(); ++i) {
        const Slot& s = fields_[i];
        if (s.name_len == name.size() &&
            std::string_view(buf_).substr(s.name_off, s.name_len) == name)
            return static_cast<int>(i);
    }
    return -1;
}

std::string_view Event::Get(std::string_view name) const {
    int i = Find(name);
    return i < 0 ? std::string_view() : field(static_cast<size_t>(i)).value;
}

void AppendJsonValue(std::string& out, const FieldView& f) {
    // A number or boolean as the decoder saw it may not be one JSON can hold ("0100755" from
    // auditd's mode, FortiGate's "0000000013"), or one its readers would change (an account
    // number past 2^53): then it is written as a string, as sent.
    if ((f.kind == ValueKind::kNumber && IsJsonNumber(f.value) && JsonNumberFitsDouble(f.value)) ||
        (f.kind == ValueKind::kBool && (f.value == "true" || f.value == "false"))) {
        out.append(f.value);
    } else if (f.kind == ValueKind::kNull) {
        out.append("null");
    } else {
        AppendJsonString(out, f.value);
    }
}

namespace {
// A tree of dotted names, rebuilt only for output.
struct Node {
    std::vector<FieldView> values;
    std::map<std::string, Node, std::less<>> children;
    std::vector<std::string> order;
};

void AppendNode(std::string& out, const Node& n) {
    out.push_back('{');
    bool first = true;
    for (const auto& key : n.order) {
        const Node& c = n.children.find(key)->second;
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, key);
        out.push_back(':');
        bool has_children = !c.children.empty();
        size_t count = c.values.size() + (has_children ? 1 : 0);
        if (count > 1) out.push_back('[');
        for (size_t i = 0; i < c.values.size(); ++i) {
            if (i) out.push_back(',');
            AppendJsonValue(out, c.values[i]);
        }
        if (has_children) {
            if (!c.values.empty()) out.push_back(',');
            AppendNode(out, c);
        }
        if (count > 1) out.push_back(']');
    }
    out.push_back('}');
}
}  // namespace

void Event::AppendJson(std::string& out) const {
    Node root;
    for (size_t i = 0; i < fields_.size(); ++i) {
        FieldView f = field(i);
        Node* n = &root;
        std::string_view name = f.name;
        while (true) {
            size_t dot = name.find('.');
            std::string_view part = name.substr(0, dot);
            auto it = n->children.find(part);
            if (it == n->children.end()) {
                it = n->children.emplace(std::string(part), Node{}).first;
                n->order.emplace_back(part);
            }
            n = &it->second;
            if (dot == std::string_view::npos) break;
            name.remove_prefix(dot + 1);
        }
        n->values.push_back(f);
    }
    AppendNode(out, root);
}

}  // namespace vigil::event
