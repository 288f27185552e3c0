#include "event_mix.h"

#include <cstdio>
#include <filesystem>
#include <random>

#include "base/strings.h"
#include "parse/input.h"

namespace vigil::bench {

namespace {

std::string J(std::string_view s) {
    std::string out;
    AppendJsonString(out, s);
    return out;
}

// Coherent process trees as an office and branch network produce them.
struct Proc {
    const char* image;
    const char* args;
    const char* parent;
    const char* user;
};
const Proc kProcs[] = {
    {"C:\\Windows\\System32\\svchost.exe", "-k netsvcs -p -s Schedule",
     "C:\\Windows\\System32\\services.exe", "NT AUTHORITY\\SYSTEM"},
    {"C:\\Windows\\System32\\svchost.exe", "-k LocalService -p -s EventLog",
     "C:\\Windows\\System32\\services.exe", "NT AUTHORITY\\LOCAL SERVICE"},
    {"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
     "--type=renderer --lang=zh-CN --field-trial-handle=1234",
     "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "CORP\\wang.fang"},
    {"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "", "C:\\Windows\\explorer.exe",
     "CORP\\teller07"},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE", "/n",
     "C:\\Windows\\explorer.exe", "CORP\\wang.fang"},
    {"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE", "",
     "C:\\Windows\\explorer.exe", "CORP\\li.na"},
    {"C:\\Windows\\System32\\RuntimeBroker.exe", "-Embedding", "C:\\Windows\\System32\\svchost.exe",
     "CORP\\teller07"},
    {"C:\\Windows\\System32\\taskhostw.exe", "", "C:\\Windows\\System32\\svchost.exe",
     "CORP\\teller07"},
    {"C:\\Windows\\System32\\SearchIndexer.exe", "/Embedding",
     "C:\\Windows\\System32\\services.exe", "NT AUTHORITY\\SYSTEM"},
    {"C:\\Program Files (x86)\\Bank\\Teller\\teller.exe", "--profile branch-17",
     "C:\\Windows\\explorer.exe", "CORP\\teller07"},
    {"C:\\Program Files (x86)\\Bank\\Teller\\teller.exe", "--profile branch-03",
     "C:\\Windows\\explorer.exe", "CORP\\teller11"},
    {"C:\\Windows\\System32\\notepad.exe", "", "C:\\Windows\\explorer.exe", "CORP\\li.na"},
    {"C:\\Program Files\\7-Zip\\7zFM.exe", "", "C:\\Windows\\explorer.exe", "CORP\\svc_backup"},
    {"C:\\Windows\\System32\\backgroundTaskHost.exe",
     "-ServerName:App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca",
     "C:\\Windows\\System32\\svchost.exe", "CORP\\wang.fang"},
    {"C:\\Windows\\System32\\dllhost.exe", "/Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
     "C:\\Windows\\System32\\svchost.exe", "CORP\\teller07"},
};
const char* kNetImages[] = {
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Program Files (x86)\\Bank\\Teller\\teller.exe",
};
const char* kUsers[] = {"CORP\\teller07", "CORP\\svc_backup", "NT AUTHORITY\\SYSTEM",
                        "CORP\\adm_li", "CORP\\wang.fang"};
const char* kHosts[] = {"hq-ws-017", "hq-ws-233", "branch-12-pc4", "hq-dc-01", "core-app-03"};
const char* kDomains[] = {"www.bank.example", "update.microsoft.com", "api.partner.example",
                          "cdn.example.net", "login.example.org"};
const char* kUris[] = {"/accounts",      "/api/v1/transfer", "/static/app.js", "/login",
                       "/reports/daily", "/images/logo.png", "/api/v1/rates",  "/health"};
const char* kQueries[] = {"",
                          "id=1042",
                          "page=2&size=50",
                          "ccy=CNY&date=2026-11-20",
                          "q=deposit+rates",
                          "token=abc123&lang=zh-CN"};
const char* kAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", "curl/8.5.0",
    "okhttp/4.12.0"};
const char* kLinuxCmds[] = {"/usr/bin/ls -la /var/log",
                            "/usr/sbin/cron -f",
                            "/usr/bin/python3 /opt/app/worker.py",
                            "/usr/bin/systemctl status nginx",
                            "/usr/bin/rsync -a /data /backup",
                            "/usr/bin/grep -r error /var/log/app",
                            "/bin/bash -c /opt/jobs/rotate.sh"};

std::string Sysmon(int eid, const std::string& data, const std::string& host, int64_t ts) {
    return R"({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":)" +
           std::to_string(eid) + R"(,"Level":4,"TimeCreated":{"#attributes":{"SystemTime":)" +
           J(FormatTimestamp(ts)) +
           R"(}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":)" + J(host) +
           R"(},"EventData":{)" + data + "}}}";
}

std::string Security(int eid, const std::string& data, const std::string& host, int64_t ts) {
    return R"({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":)" +
           std::to_string(eid) + R"(,"TimeCreated":{"#attributes":{"SystemTime":)" +
           J(FormatTimestamp(ts)) + R"(}},"Channel":"Security","Computer":)" + J(host) +
           R"(},"EventData":{)" + data + "}}}";
}

}  // namespace

std::vector<std::string> EventMix(size_t count, const std::string& shared_data) {
    std::mt19937_64 rng(20261121);
    auto pick = [&](auto& arr) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
    std::vector<std::string> out;
    out.reserve(count + 256);
    int64_t ts = *ParseTimestamp("2026-11-20T00:00:00Z");
    for (size_t i = 0; i < count; ++i) {
        ts += 1000000 * static_cast<int64_t>(rng() % 50);
        std::string host = pick(kHosts);
        unsigned kind = rng() % 100;
        if (kind < 22) {  // Sysmon process creation
            const Proc& p = kProcs[rng() % (sizeof(kProcs) / sizeof(kProcs[0]))];
            std::string img = p.image, parent = p.parent, user = p.user;
            // Real command lines are mostly unique: documents, temp names, ids.
            std::string args = p.args;
            if (img.ends_with("WINWORD.EXE") || img.ends_with("EXCEL.EXE") ||
                img.ends_with("notepad.exe"))
                args += " \"D:\\Work\\case-" + std::to_string(rng() % 1000000) + ".docx\"";
            else if (img.ends_with("chrome.exe"))
                args += " --renderer-client-id=" + std::to_string(rng() % 100000);
            bool system = user.starts_with("NT AUTHORITY");
            char logon[32];
            std::snprintf(
                logon, sizeof logon, "0x%llx",
                system ? 0x3e7ULL : static_cast<unsigned long long>(0x100000 + rng() % 0xfffff));
            out.push_back(Sysmon(
                1,
                R"("RuleName":"-","UtcTime":)" + J(FormatTimestamp(ts)) +
                    R"(,"ProcessGuid":"{0197231E-8BFF-6926-1308-000000000D00}","ProcessId":)" +
                    std::to_string(rng() % 60000) + R"(,"Image":)" + J(img) +
                    R"(,"FileVersion":"10.0.19041.1","Description":"Application","Product":"Application","Company":"Vendor","OriginalFileName":)" +
                    J(img.substr(img.rfind('\\') + 1)) + R"(,"CommandLine":)" +
                    J("\"" + img + "\" " + args) +
                    R"(,"CurrentDirectory":"C:\\Windows\\system32\\","User":)" + J(user) +
                    R"(,"LogonId":)" + J(logon) + R"(,"IntegrityLevel":)" +
                    J(system ? "System" : "Medium") +
                    R"(,"Hashes":"SHA256=F8810179AB033A9B79CD7006C1A74FBCDE6ED0451C92FBB8C7CE15B52499353A","ParentImage":)" +
                    J(parent) + R"(,"ParentCommandLine":)" + J(parent) + R"(,"ParentUser":)" +
                    J(user),
                host, ts));
        } else if (kind < 32) {  // network connection
            out.push_back(
                Sysmon(3,
                       R"("Image":)" + J(pick(kNetImages)) + R"(,"User":)" + J(pick(kUsers)) +
                           R"(,"Protocol":"tcp","Initiated":"true","SourceIp":"10.20.)" +
                           std::to_string(rng() % 255) + "." + std::to_string(rng() % 255) +
                           R"(","SourcePort":)" + std::to_string(49152 + rng() % 16000) +
                           R"(,"DestinationIp":"203.0.113.)" + std::to_string(rng() % 255) +
                           R"(","DestinationPort":443,"DestinationHostname":)" + J(pick(kDomains)),
                       host, ts));
        } else if (kind < 42) {  // registry set
            out.push_back(Sysmon(
                13,
                R"("EventType":"SetValue","Image":)" + J(kProcs[rng() % 15].image) +
                    R"(,"TargetObject":"HKU\\S-1-5-21-1\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming\\Identities\\Value)" +
                    std::to_string(rng() % 100) + R"x(","Details":"DWORD (0x00000001)","User":)x" +
                    J(pick(kUsers)),
                host, ts));
        } else if (kind < 50) {  // file create
            out.push_back(
                Sysmon(11,
                       R"("Image":)" + J(kProcs[rng() % 15].image) +
                           R"(,"TargetFilename":"C:\\Users\\teller07\\AppData\\Local\\Temp\\tmp)" +
                           std::to_string(rng() % 100000) + R"(.tmp","User":)" + J(pick(kUsers)),
                       host, ts));
        } else if (kind < 55) {  // image load
            out.push_back(Sysmon(
                7,
                R"("Image":)" + J(kProcs[rng() % 15].image) +
                    R"(,"ImageLoaded":"C:\\Windows\\System32\\kernelbase.dll","Signed":"true","Signature":"Microsoft Windows","User":)" +
                    J(pick(kUsers)),
                host, ts));
        } else if (kind < 62) {  // security logons
            out.push_back(Security(rng() % 5 ? 4624 : 4625,
                                   R"("SubjectUserSid":"S-1-5-18","TargetUserName":)" +
                                       J(std::string(pick(kUsers)).substr(5)) +
                                       R"(,"TargetDomainName":"CORP","LogonType":)" +
                                       std::to_string(rng() % 2 ? 3 : 10) +
                                       R"(,"IpAddress":"10.20.1.)" + std::to_string(rng() % 255) +
                                       R"(","WorkstationName":)" + J(host) +
                                       R"(,"AuthenticationPackageName":"Kerberos")",
                                   host, ts));
        } else if (kind < 72) {  // linux sshd
            std::string ip = "198.51.100." + std::to_string(rng() % 255);
            std::string msg = rng() % 4
                                  ? "Accepted publickey for deploy from " + ip + " port 52211 ssh2"
                                  : "Failed password for root from " + ip + " port 52211 ssh2";
            out.push_back(
                R"({"@timestamp":)" + J(FormatTimestamp(ts)) +
                R"(,"logsource":{"product":"linux","service":"sshd"},"host":"core-app-03","source_ip":)" +
                J(ip) + R"(,"process":"sshd","pid":)" + std::to_string(rng() % 30000) +
                R"(,"message":)" + J(msg) + "}");
        } else if (kind < 80) {  // linux process creation
            std::string cmd =
                std::string(pick(kLinuxCmds)) + " --job " + std::to_string(rng() % 1000000);
            out.push_back(
                R"({"@timestamp":)" + J(FormatTimestamp(ts)) +
                R"(,"logsource":{"product":"linux","category":"process_creation"},"host":"core-app-03","Image":)" +
                J(cmd.substr(0, cmd.find(' '))) + R"(,"CommandLine":)" + J(cmd) +
                R"(,"ParentImage":"/usr/bin/bash","User":"app","CurrentDirectory":"/opt/app"})");
        } else if (kind < 85) {  // auditd
            out.push_back(
                R"({"@timestamp":)" + J(FormatTimestamp(ts)) +
                R"(,"logsource":{"product":"linux","service":"auditd"},"type":"EXECVE","argc":3,"a0":"/usr/bin/ls","a1":"-la","a2":"/tmp","key":"exec","uid":"1000","auid":"1000","exe":"/usr/bin/ls","comm":"ls"})");
        } else {  // web access
            out.push_back(
                R"({"@timestamp":)" + J(FormatTimestamp(ts)) +
                R"(,"logsource":{"category":"webserver","product":"nginx"},"c-ip":"192.0.2.)" +
                std::to_string(rng() % 255) + R"(","cs-method":")" + (rng() % 5 ? "GET" : "POST") +
                R"(","cs-uri-stem":)" + J(pick(kUris)) + R"(,"cs-uri-query":)" +
                J(std::string(pick(kQueries)) + "&r=" + std::to_string(rng() % 1000000)) +
                R"(,"sc-status":)" + (rng() % 10 ? "200" : "404") + R"(,"cs-bytes":)" +
                std::to_string(rng() % 20000) + R"(,"c-useragent":)" + J(pick(kAgents)) +
                R"(,"cs-host":"www.bank.example"})");
        }
    }
    // The real SigmaHQ regression events (Windows attacks), about 1% of the mix.
    namespace fs = std::filesystem;
    fs::path reg = fs::path(shared_data) / "sigma/regression_data";
    std::error_code ec;
    if (fs::exists(reg, ec)) {
        for (const auto& e : fs::recursive_directory_iterator(reg, ec)) {
            if (e.path().extension() != ".json") continue;
            auto in = parse::OpenInput(e.path().string());
            if (!in) continue;
            std::vector<parse::Record> recs;
            while (true) {
                auto n = (*in)->Read(recs, 64);
                if (!n || *n == 0) break;
                for (auto& r : recs)
                    if (r.kind == parse::RecordKind::kJson) out.push_back(std::move(r.data));
            }
        }
    }
    std::shuffle(out.begin(), out.end(), rng);
    return out;
}

}  // namespace vigil::bench
