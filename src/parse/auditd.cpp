// Linux audit records ("type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e ...") and
// AuditdAssembler, which groups the records of one event. Field names are auditd's own
// (type, a0, exe, comm, key, name, nametype, ...) as the SigmaHQ auditd rules read them; a
// grouped event repeats `type` once per record, so `type: EXECVE` and `type: PATH` both hold.
#include <array>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "base/audit_record.h"
#include "base/strings.h"
#include "parse/decoders.h"

namespace vigil::parse::internal {

namespace {

struct TypeName {
    int number;
    std::string_view name;
};
// Record types the kernel writes as numbers ("type=1400 audit(...)" in dmesg / kern.log).
constexpr TypeName kTypes[] = {
    {1100, "USER_AUTH"},     {1101, "USER_ACCT"},     {1102, "USER_MGMT"},
    {1103, "CRED_ACQ"},      {1104, "CRED_DISP"},     {1105, "USER_START"},
    {1106, "USER_END"},      {1107, "USER_AVC"},      {1108, "USER_CHAUTHTOK"},
    {1109, "USER_ERR"},      {1110, "CRED_REFR"},     {1111, "USYS_CONFIG"},
    {1112, "USER_LOGIN"},    {1113, "USER_LOGOUT"},   {1114, "ADD_USER"},
    {1115, "DEL_USER"},      {1116, "ADD_GROUP"},     {1117, "DEL_GROUP"},
    {1123, "USER_CMD"},      {1124, "USER_TTY"},      {1130, "SERVICE_START"},
    {1131, "SERVICE_STOP"},  {1300, "SYSCALL"},       {1302, "PATH"},
    {1303, "IPC"},           {1304, "SOCKETCALL"},    {1305, "CONFIG_CHANGE"},
    {1306, "SOCKADDR"},      {1307, "CWD"},           {1309, "EXECVE"},
    {1320, "EOE"},           {1322, "CAPSET"},        {1323, "MMAP"},
    {1324, "NETFILTER_PKT"}, {1325, "NETFILTER_CFG"}, {1326, "SECCOMP"},
    {1327, "PROCTITLE"},     {1330, "KERN_MODULE"},   {1334, "BPF"},
    {1400, "AVC"},           {1401, "SELINUX_ERR"},   {1700, "ANOM_PROMISCUOUS"},
    {1701, "ANOM_ABEND"},
};

struct Syscall {
    int number;
    std::string_view name;
};
// Syscalls the SigmaHQ auditd rules and common audit rule sets name, for logs written
// without log_format=ENRICHED (which adds SYSCALL= itself).
constexpr Syscall kX86_64[] = {
    {2, "open"},       {41, "socket"},        {42, "connect"},        {43, "accept"},
    {44, "sendto"},    {49, "bind"},          {50, "listen"},         {56, "clone"},
    {57, "fork"},      {58, "vfork"},         {59, "execve"},         {62, "kill"},
    {63, "uname"},     {82, "rename"},        {83, "mkdir"},          {84, "rmdir"},
    {86, "link"},      {87, "unlink"},        {88, "symlink"},        {90, "chmod"},
    {91, "fchmod"},    {92, "chown"},         {93, "fchown"},         {94, "lchown"},
    {99, "sysinfo"},   {101, "ptrace"},       {103, "syslog"},        {105, "setuid"},
    {106, "setgid"},   {133, "mknod"},        {135, "personality"},   {165, "mount"},
    {169, "reboot"},   {175, "init_module"},  {176, "delete_module"}, {257, "openat"},
    {259, "mknodat"},  {260, "fchownat"},     {263, "unlinkat"},      {264, "renameat"},
    {268, "fchmodat"}, {313, "finit_module"}, {319, "memfd_create"},  {321, "bpf"},
    {322, "execveat"},
};
constexpr Syscall kAarch64[] = {
    {33, "mknodat"},     {34, "mkdirat"},       {35, "unlinkat"},       {36, "symlinkat"},
    {40, "mount"},       {53, "fchmodat"},      {54, "fchownat"},       {56, "openat"},
    {92, "personality"}, {105, "init_module"},  {106, "delete_module"}, {116, "syslog"},
    {117, "ptrace"},     {129, "kill"},         {142, "reboot"},        {146, "setuid"},
    {160, "uname"},      {179, "sysinfo"},      {198, "socket"},        {200, "bind"},
    {201, "listen"},     {202, "accept"},       {203, "connect"},       {220, "clone"},
    {221, "execve"},     {273, "finit_module"}, {279, "memfd_create"},  {280, "bpf"},
    {281, "execveat"},
};

// 32-bit processes: i386 (also on x86_64 kernels, arch=40000003) and ARM EABI (40000028). They
// share the old Linux numbers below 191 and number the later calls each their own way (a
// 32-bit execve is what a web shell on an old or multiarch host runs, and SigmaHQ's audit
// rule sets watch arch=b32 too).
constexpr Syscall kLegacy32[] = {
    {2, "fork"},          {5, "open"},
    {9, "link"},          {10, "unlink"},
    {11, "execve"},       {14, "mknod"},
    {15, "chmod"},        {21, "mount"},
    {26, "ptrace"},       {37, "kill"},
    {38, "rename"},       {39, "mkdir"},
    {40, "rmdir"},        {83, "symlink"},
    {88, "reboot"},       {94, "fchmod"},
    {103, "syslog"},      {116, "sysinfo"},
    {120, "clone"},       {122, "uname"},
    {128, "init_module"}, {129, "delete_module"},
    {136, "personality"}, {190, "vfork"},
    {213, "setuid"},      {214, "setgid"},
};
constexpr Syscall kI386[] = {
    {295, "openat"},   {297, "mknodat"},      {301, "unlinkat"},     {302, "renameat"},
    {306, "fchmodat"}, {350, "finit_module"}, {356, "memfd_create"}, {357, "bpf"},
    {358, "execveat"}, {359, "socket"},       {361, "bind"},         {362, "connect"},
    {363, "listen"},
};
constexpr Syscall kArm[] = {
    {281, "socket"}, {282, "bind"},     {283, "connect"},      {284, "listen"},
    {285, "accept"}, {322, "openat"},   {379, "finit_module"}, {385, "memfd_create"},
    {386, "bpf"},    {387, "execveat"},
};

// Fields whose unquoted values auditd writes hex-encoded (they may hold any bytes).
bool MaybeHexEncoded(std::string_view key, bool execve) {
    static constexpr std::string_view kKeys[] = {"proctitle", "cwd",   "exe",  "comm",
                                                 "name",      "path",  "data", "cmd",
                                                 "acct",      "ocomm", "old",  "new"};
    if (execve && key.size() >= 2 && key[0] == 'a' && IsDigits(key.substr(1))) return true;
    for (auto k : kKeys)
        if (k == key) return true;
    return false;
}

// Decodes hex if the value is hex and the bytes are text (NUL separates proctitle's args).
bool DecodeAuditHex(std::string_view v, std::string& out) {
    if (!DecodeHex(v, out)) return false;
    while (!out.empty() && out.back() == '\0') out.pop_back();
    for (char& c : out) {
        if (c == '\0') {
            c = ' ';
        } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
            return false;
        }
    }
    return true;
}

bool IsSep(char c) { return c == ' ' || c == '\x1d' || c == '\t'; }

// key=value pairs; values "quoted", 'quoted' (parsed as pairs in turn) or bare.
void ParsePairs(Ctx& ctx, std::string_view s, bool execve, int depth, std::string& scratch,
                std::string& arg_key, std::string& arg_value) {
    auto flush_arg = [&] {
        if (arg_key.empty()) return;
        ctx.Add(arg_key, arg_value);
        arg_key.clear();
        arg_value.clear();
    };
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && IsSep(s[i])) ++i;
        size_t key_start = i;
        while (i < s.size() && s[i] != '=' && !IsSep(s[i])) ++i;
        if (i >= s.size() || s[i] != '=') continue;  // a bare word (AVC "denied { read }")
        std::string_view key = s.substr(key_start, i - key_start);
        ++i;
        std::string_view value;
        bool quoted = false;
        if (i < s.size() && (s[i] == '"' || s[i] == '\'')) {
            char q = s[i++];
            size_t end = s.find(q, i);
            if (end == std::string_view::npos) end = s.size();
            value = s.substr(i, end - i);
            i = end + 1;
            quoted = true;
            if (q == '\'' && depth == 0) {
                // msg='op=PAM:authentication acct="alice" exe=... res=failed'
                flush_arg();
                ParsePairs(ctx, value, false, depth + 1, scratch, arg_key, arg_value);
                continue;
            }
        } else {
            size_t end = i;
            while (end < s.size() && !IsSep(s[end])) ++end;
            value = s.substr(i, end - i);
            i = end;
        }
        if (key.empty()) continue;
        // Long execve arguments come in pieces: a1_len=N a1[0]=... a1[1]=...
        size_t lb = key.find('[');
        if (execve && lb != std::string_view::npos) {
            std::string_view base = key.substr(0, lb);
            if (arg_key != base) {
                flush_arg();
                arg_key.assign(base);
            }
            if (!quoted && DecodeAuditHex(value, scratch)) {
                arg_value += scratch;
            } else {
                arg_value.append(value);
            }
            continue;
        }
        flush_arg();
        if (execve && EndsWith(key, "_len")) continue;
        if (!quoted && value != "(null)" && MaybeHexEncoded(key, execve) &&
            DecodeAuditHex(value, scratch)) {
            ctx.Add(key, scratch);
        } else if (quoted) {
            ctx.Add(key, value);
        } else {
            ctx.AddNumberOrString(key, value);
        }
    }
    if (depth == 0) flush_arg();
}

std::string_view SyscallName(std::string_view arch, std::string_view number) {
    auto n = ParseInt(number);
    if (!n) return {};
    const auto find = [&](std::span<const Syscall> table) -> std::string_view {
        for (const auto& s : table)
            if (s.number == *n) return s.name;
        return {};
    };
    if (arch == "c000003e") return find(kX86_64);
    if (arch == "c00000b7") return find(kAarch64);
    if (arch == "40000003" || arch == "40000028") {
        if (auto name = find(kLegacy32); !name.empty()) return name;
        return find(arch == "40000003" ? std::span<const Syscall>(kI386) : kArm);
    }
    return {};
}

}  // namespace

bool LooksLikeAuditd(std::string_view text) {
    std::string_view s = text;
    if (StartsWith(s, "node=")) {
        size_t sp = s.find(' ');
        if (sp == std::string_view::npos) return false;
        s.remove_prefix(sp + 1);
    }
    if (!StartsWith(s, "type=")) return false;
    size_t a = s.find("audit(");
    return a != std::string_view::npos && a < 64;
}

Status DecodeAuditRecord(Ctx& ctx, std::string_view text, AuditRecordInfo& info) {
    std::string_view s = text;
    if (StartsWith(s, "node=")) {
        size_t sp = s.find(' ');
        if (sp == std::string_view::npos)
            return ctx.Fail("auditd", s, "expected type= after node=");
        info.node = s.substr(5, sp - 5);
        s.remove_prefix(sp + 1);
    }
    if (!StartsWith(s, "type=")) return ctx.Fail("auditd", s, "expected type=");
    s.remove_prefix(5);
    size_t sp = s.find(' ');
    if (sp == std::string_view::npos || sp == 0)
        return ctx.Fail("auditd", s, "expected msg=audit(...) after the type");
    info.type = s.substr(0, sp);
    if (IsDigits(info.type)) {
        auto n = ParseInt(info.type);
        for (const auto& t : kTypes)
            if (n && t.number == *n) info.type = t.name;
    }
    s.remove_prefix(sp + 1);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    (void)ConsumePrefix(s, "msg=");
    if (!StartsWith(s, "audit(")) return ctx.Fail("auditd", s, "expected msg=audit(TIME:SERIAL)");
    s.remove_prefix(6);
    size_t close = s.find(')');
    size_t colon = s.find(':');
    if (close == std::string_view::npos || colon == std::string_view::npos || colon > close)
        return ctx.Fail("auditd", s, "expected TIME:SERIAL) in msg=audit(");
    std::string_view time = s.substr(0, colon), serial = s.substr(colon + 1, close - colon - 1);
    size_t dot = time.find('.');
    std::string_view secs = time.substr(0, dot);
    std::string_view frac =
        dot == std::string_view::npos ? std::string_view() : time.substr(dot + 1);
    if (!IsDigits(secs) || secs.size() > 11 || !IsDigits(serial) || serial.size() > 19 ||
        (dot != std::string_view::npos && (!IsDigits(frac) || frac.size() > 9)))
        return ctx.Fail("auditd", s, "bad TIME:SERIAL in msg=audit(");
    // Seconds past what a time holds (year 2262) would overflow the nanoseconds.
    constexpr int64_t kMaxSecs = INT64_MAX / 1000000000LL - 1;
    if (*ParseInt(secs) > kMaxSecs)
        return ctx.Fail("auditd", s, "TIME in msg=audit( is past the year 2262");
    int64_t ns = *ParseInt(secs) * 1000000000LL;
    int64_t scale = 100000000;
    for (char c : frac) {
        ns += (c - '0') * scale;
        scale /= 10;
    }
    info.time_ns = ns;
    info.serial = static_cast<uint64_t>(std::stoull(std::string(serial)));
    s.remove_prefix(close + 1);
    if (!s.empty() && s.front() == ':') s.remove_prefix(1);
    ctx.ev.time_ns = ns;
    ctx.Add("type", info.type);
    std::string scratch, arg_key, arg_value;
    ParsePairs(ctx, s, info.type == "EXECVE", 0, scratch, arg_key, arg_value);
    return Ok();
}

void FinishAuditEvent(event::Event& ev, size_t max_fields) {
    auto add = [&](std::string_view name, const std::string& value,
                   event::ValueKind kind = event::ValueKind::kString) {
        if (ev.size() < max_fields) ev.Add(name, value, kind);
    };
    ev.logsource.product = "linux";
    ev.logsource.service = "auditd";
    if (ev.Find("SYSCALL") < 0 && ev.Find("syscall") >= 0) {
        std::string_view name = SyscallName(ev.Get("arch"), ev.Get("syscall"));
        if (!name.empty()) add("SYSCALL", std::string(name));
    }
    // A long argument the kernel split across EXECVE records (a1_len=N a1[0]=... ending one
    // record, a1[1]=... starting the next) was added once per record: one field again.
    int last_arg = -1;
    bool in_execve_record = false;
    for (size_t i = 0; i < ev.size();) {
        const event::FieldView f = ev.field(i);
        if (f.name == "type") {
            in_execve_record = f.value == "EXECVE";
            if (!in_execve_record) last_arg = -1;
        } else if (in_execve_record && f.name.size() >= 2 && f.name[0] == 'a' &&
                   IsDigits(f.name.substr(1))) {
            if (last_arg >= 0 && ev.field(static_cast<size_t>(last_arg)).name == f.name) {
                const std::string piece(f.value);
                ev.AppendToValue(static_cast<size_t>(last_arg), piece);
                ev.Erase(i);
                continue;
            }
            last_arg = static_cast<int>(i);
        } else {
            last_arg = -1;
        }
        ++i;
    }
    // The EXECVE record's arguments: the a<N> fields after its type field.
    std::string cmdline;
    bool in_execve = false, execve = false;
    for (size_t i = 0; i < ev.size(); ++i) {
        event::FieldView f = ev.field(i);
        if (f.name == "type") {
            in_execve = f.value == "EXECVE";
            execve = execve || in_execve;
            continue;
        }
        if (in_execve && f.name.size() >= 2 && f.name[0] == 'a' && IsDigits(f.name.substr(1))) {
            if (!cmdline.empty()) cmdline.push_back(' ');
            cmdline.append(f.value);
        }
    }
    if (!execve) return;
    // An execution: Sigma's linux process_creation names as well, so those rules apply.
    ev.logsource.AddCategory("process_creation");
    std::string image(ev.Get("exe")), cwd(ev.Get("cwd")), pid(ev.Get("pid")), ppid(ev.Get("ppid"));
    std::string user(ev.Find("UID") >= 0 ? ev.Get("UID") : ev.Get("uid"));
    if (!cmdline.empty()) add("CommandLine", cmdline);
    if (!image.empty()) add("Image", image);
    if (!cwd.empty()) add("CurrentDirectory", cwd);
    if (!pid.empty()) add("ProcessId", pid, event::ValueKind::kNumber);
    if (!ppid.empty()) add("ParentProcessId", ppid, event::ValueKind::kNumber);
    if (!user.empty()) add("User", user);
}

Status DecodeAuditd(Ctx& ctx, std::string_view text) {
    // One record, or the records of one event joined by '\n' (the ingest pipeline joins
    // them, see ingest/audit_join.h): the first line is a record, later ones may carry a
    // syslog header before theirs. A later record that does not decode is skipped; EOE
    // records carry nothing.
    AuditRecordInfo info;
    size_t nl = text.find('\n');
    if (Status st = DecodeAuditRecord(ctx, text.substr(0, nl), info); !st) return st;
    while (nl != std::string_view::npos) {
        const size_t start = nl + 1;
        nl = text.find('\n', start);
        std::string_view record =
            FindAuditRecord(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
        while (!record.empty() && (record.back() == '\r' || record.back() == ' '))
            record.remove_suffix(1);
        const std::string_view type = record.substr(std::min(record.size(), record.find("type=")));
        if (type.empty() || type.starts_with("type=EOE ") || type.starts_with("type=1320 ")) {
            continue;
        }
        AuditRecordInfo more;
        (void)DecodeAuditRecord(ctx, record, more);
    }
    ctx.ev.time_ns = info.time_ns;
    ctx.Add("serial", std::to_string(info.serial), event::ValueKind::kNumber);
    if (!info.node.empty()) ctx.Add("node", info.node);
    FinishAuditEvent(ctx.ev, ctx.options.max_fields);
    return Ok();
}

}  // namespace vigil::parse::internal

namespace vigil::parse {

struct AuditdAssembler::Group {
    event::Event ev;
    uint64_t serial = 0;
    std::string node;
    int64_t time_ns = 0;
    size_t records = 0;
    bool syscall = false;  // kernel events end with an EOE record; user-space ones do not
};

AuditdAssembler::AuditdAssembler(LineDecoder& decoder, Limits limits)
    : decoder_(decoder), limits_(limits) {}

AuditdAssembler::~AuditdAssembler() = default;

void AuditdAssembler::Emit(size_t i, std::vector<event::Event>& out) {
    Group& g = *open_[i];
    internal::FinishAuditEvent(g.ev, decoder_.options().max_fields);
    out.push_back(std::move(g.ev));
    open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
}

Status AuditdAssembler::Add(std::string_view line, std::vector<event::Event>& out,
                            uint64_t position) {
    const DecodeOptions& opt = decoder_.options();
    if (line.size() > opt.max_line_bytes)
        return ResourceExhausted("line of " + std::to_string(line.size()) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(opt.max_line_bytes));
    std::string_view text = Trim(line);
    (void)ConsumePrefix(text, "\xEF\xBB\xBF");
    // A record relayed by syslog (audispd, audisp-syslog, the kernel's "audit: ") is read
    // from its "node=" or "type=" on; the header adds nothing the record does not hold.
    if (const std::string_view record = FindAuditRecord(text); !record.empty()) text = record;
    record_.Clear();
    internal::Ctx ctx{decoder_, record_, opt, line};
    internal::AuditRecordInfo info;
    if (Status st = internal::DecodeAuditRecord(ctx, text, info); !st) return st;

    size_t g = open_.size();
    for (size_t i = 0; i < open_.size(); ++i)
        if (open_[i]->serial == info.serial && open_[i]->node == info.node) g = i;
    if (g == open_.size()) {
        // Another event started: finished user-space events and stale ones go out.
        for (size_t i = 0; i < open_.size();) {
            if (!open_[i]->syscall || open_[i]->time_ns + limits_.max_age_ns < info.time_ns) {
                Emit(i, out);
            } else {
                ++i;
            }
        }
        if (open_.size() >= limits_.max_open) Emit(0, out);
        auto grp = std::make_unique<Group>();
        grp->serial = info.serial;
        grp->node.assign(info.node);
        grp->time_ns = info.time_ns;
        grp->ev.time_ns = info.time_ns;
        grp->ev.sequence = position;
        grp->ev.Add("serial", std::to_string(info.serial), event::ValueKind::kNumber);
        if (!info.node.empty()) grp->ev.Add("node", info.node);
        open_.push_back(std::move(grp));
        g = open_.size() - 1;
    }
    Group& grp = *open_[g];
    if (info.type == "EOE") {
        Emit(g, out);
        return Ok();
    }
    for (size_t i = 0; i < record_.size(); ++i) {
        event::FieldView f = record_.field(i);
        if (grp.ev.size() >= opt.max_fields) {
            ctx.dropped += record_.size() - i;
            break;
        }
        grp.ev.Add(f.name, f.value, f.kind);
    }
    if (grp.ev.message.size() < opt.max_line_bytes) {
        if (!grp.ev.message.empty()) grp.ev.message.push_back('\n');
        grp.ev.message.append(text);
    }
    if (info.type == "SYSCALL") grp.syscall = true;
    if (++grp.records >= limits_.max_records) Emit(g, out);
    decoder_.AddDropped(ctx.dropped);
    return Ok();
}

void AuditdAssembler::Flush(std::vector<event::Event>& out) {
    while (!open_.empty()) Emit(0, out);
}

}  // namespace vigil::parse
