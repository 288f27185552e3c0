#include "app/config.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "app/init_data_dir.h"

namespace vigil::app {
namespace {

TEST(ServeConfigTest, ReadsWhatInitWritesAndResolvesPathsAgainstTheDirectory) {
    auto c = ParseServeConfig(R"yaml(
server:
  bind: 0.0.0.0
  port: 9443
tls:
  min_version: "1.3"
  cert: tls/cert.pem
  key: /etc/vigil/key.pem
data:
  state_db: state.db
  seal_key: keys/seal.key
retention_days: 365
)yaml",
                              "/srv/vigil", "vigil.yml");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->bind, "0.0.0.0");
    EXPECT_EQ(c->port, 9443);
    EXPECT_EQ(c->tls_cert, "/srv/vigil/tls/cert.pem");
    EXPECT_EQ(c->tls_key, "/etc/vigil/key.pem");
    EXPECT_EQ(c->state_db, "/srv/vigil/state.db");
    EXPECT_EQ(c->seal_key, "/srv/vigil/keys/seal.key");
    EXPECT_EQ(c->audit_signing_key, "/srv/vigil/keys/audit-signing.pem");
    EXPECT_EQ(c->retention_days, 365);
    EXPECT_EQ(c->ingest.retention_days, 365) << "the events are kept as long, unless ingest says";
    auto own =
        ParseServeConfig("retention_days: 365\ningest:\n  retention_days: 30\n", "/d", "vigil.yml");
    ASSERT_TRUE(own) << own.error().message;
    EXPECT_EQ(own->retention_days, 365);
    EXPECT_EQ(own->ingest.retention_days, 30);
    EXPECT_EQ(own->ingest.DetectionRetentionDays(), 30) << "detections go with their events";
    auto detections = ParseServeConfig(
        "ingest:\n  retention_days: 30\n  detection_retention_days: 400\n", "/d", "vigil.yml");
    ASSERT_TRUE(detections) << detections.error().message;
    EXPECT_EQ(detections->ingest.DetectionRetentionDays(), 400);
    EXPECT_EQ(detections->ingest.timezone, TimeZone::Local()) << "as rsyslog reads them";
    auto zones = ParseServeConfig(
        "ingest:\n  timezone: \"+08:00\"\n  sources:\n    - {name: a, type: syslog-udp, port: 0}\n"
        "    - {name: b, type: syslog-udp, port: 0, timezone: UTC}\n",
        "/d", "vigil.yml");
    ASSERT_TRUE(zones) << zones.error().message;
    EXPECT_EQ(zones->ingest.timezone.offset_s, 8 * 3600);
    EXPECT_FALSE(zones->ingest.sources[0].timezone.has_value());
    EXPECT_EQ(zones->ingest.sources[1].timezone, TimeZone{});
    auto named = ParseServeConfig(
        "ingest:\n  sources:\n    - {name: a, type: syslog-udp, port: 0, timezone: "
        "Asia/Shanghai}\n",
        "/d", "vigil.yml");
    ASSERT_FALSE(named);
    EXPECT_NE(named.error().message.find("ingest.sources[0].timezone"), std::string::npos)
        << named.error().message;
    EXPECT_NE(named.error().message.find("give its offset"), std::string::npos);
    auto bad = ParseServeConfig("ingest:\n  detection_retention_days: 0\n", "/d", "vigil.yml");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("ingest.detection_retention_days"), std::string::npos)
        << bad.error().message;
}

TEST(ServeConfigTest, EmptyFileTakesTheDefaults) {
    auto c = ParseServeConfig("", "/d", "vigil.yml");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->bind, "127.0.0.1");
    EXPECT_EQ(c->port, 8443);
    EXPECT_EQ(c->tls_min_version, "1.3");
    EXPECT_EQ(c->tls_cert, "/d/tls/cert.pem");
}

TEST(ServeConfigTest, BadValuesNameFileLineAndKey) {
    auto c = ParseServeConfig("server:\n  port: 70000\n", "/d", "vigil.yml");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message, "vigil.yml:2:9: server.port: expected an integer 0..65535");

    c = ParseServeConfig("tls:\n  min_version: \"1.0\"\n", "/d", "vigil.yml");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("tls.min_version"), std::string::npos);

    c = ParseServeConfig("server: [1, 2]\n", "/d", "vigil.yml");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("server: expected a mapping"), std::string::npos);

    c = ParseServeConfig("server:\n  port: [\n", "/d", "vigil.yml");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message.rfind("vigil.yml:", 0), 0u) << c.error().message;
}

TEST(ServeConfigTest, IngestBoundsAreReadWithinLimits) {
    auto c = ParseServeConfig("ingest:\n  spool_max_mb: 64\n  memory_messages: 5000\n", "/d",
                              "vigil.yml");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->ingest.spool_max_bytes, uint64_t{64} << 20);
    EXPECT_EQ(c->ingest.memory_messages, 5000u);
    EXPECT_EQ(ParseServeConfig("", "/d", "vigil.yml")->ingest.memory_messages, 200000u);
    auto bad = ParseServeConfig("ingest:\n  memory_messages: 10\n", "/d", "vigil.yml");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("memory_messages"), std::string::npos)
        << bad.error().message;
}

TEST(ServeConfigTest, MissingFileIsNotFound) {
    auto c = LoadServeConfig("/nonexistent/vigil.yml");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Code::kNotFound);
}

}  // namespace
}  // namespace vigil::app

namespace vigil::app {
namespace {

TEST(ServeConfigTest, AuthAndRateLimitKeysAreReadWithinBounds) {
    auto config = ParseServeConfig(
        "server:\n  rate_limit_per_second: 0\n  rate_limit_burst: 5\n"
        "auth:\n  password_min_length: 12\n  password_max_age_days: 0\n"
        "  session_idle_minutes: 15\n",
        "/d", "vigil.yml");
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->rate_limit_per_second, 0);
    EXPECT_EQ(config->rate_limit_burst, 5);
    EXPECT_EQ(config->auth.password_min_length, 12);
    EXPECT_EQ(config->auth.password_max_age_days, 0);
    EXPECT_EQ(config->auth.session_idle_minutes, 15);
    EXPECT_EQ(config->auth.password_min_classes, 3);  // default kept
    // The policy cannot be weakened below the platform's floor.
    auto weak = ParseServeConfig("auth:\n  password_min_length: 4\n", "/d", "vigil.yml");
    ASSERT_FALSE(weak);
    EXPECT_NE(weak.error().message.find("vigil.yml:2:"), std::string::npos) << weak.error().message;
    EXPECT_NE(weak.error().message.find("auth.password_min_length"), std::string::npos);
    EXPECT_FALSE(ParseServeConfig("auth: [1, 2]\n", "/d", "vigil.yml"));
}

}  // namespace
}  // namespace vigil::app

namespace vigil::app {
namespace {

std::string ErrorOf(const std::string& yaml) {
    auto c = ParseServeConfig(yaml, "/d", "vigil.yml");
    return c ? std::string("(loaded)") : c.error().message;
}

// A misspelt key used to leave its setting at the default without a word: `silent_minute`
// turned the silent-source detection off and `decodr` left the decoder on auto.
TEST(ServeConfigTest, UnknownKeysInASourceAreRefusedWithTheKeyMeant) {
    const std::string head =
        "ingest:\n"
        "  sources:\n"
        "    - name: fw\n"
        "      type: syslog-tcp\n"
        "      port: 6514\n";
    EXPECT_EQ(ErrorOf(head + "      silent_minute: 1\n"),
              "vigil.yml:6:7: ingest.sources[0].silent_minute: unknown key; did you mean "
              "'silent_minutes'?");
    EXPECT_EQ(ErrorOf(head + "      decodr: cef\n"),
              "vigil.yml:6:7: ingest.sources[0].decodr: unknown key; did you mean 'decoder'?");
    EXPECT_EQ(ErrorOf(head + "      max_frame_bytes: 100\n"),
              "vigil.yml:6:7: ingest.sources[0].max_frame_bytes: unknown key; expected one of "
              "name, type, bind, port, paths, multiline, decoder, product, service, category, "
              "host, silent_minutes, max_connections, max_connections_per_peer, timezone");
    // The flow style `vigil init` shows, and a later source: its index and line are named.
    EXPECT_EQ(ErrorOf("ingest:\n  sources:\n"
                      "    - {name: a, type: syslog-udp, port: 514}\n"
                      "    - {name: b, type: file, paths: [/x], Decoder: cef}\n"),
              "vigil.yml:4:42: ingest.sources[1].Decoder: unknown key; did you mean 'decoder'?");
    // A misspelt type key is named as such, not reported as a missing type.
    EXPECT_EQ(ErrorOf("ingest:\n  sources:\n    - {name: a, typ: file, paths: [/x]}\n"),
              "vigil.yml:3:17: ingest.sources[0].typ: unknown key; did you mean 'type'?");
}

TEST(ServeConfigTest, KeysOfTheOtherKindOfSourceAreRefused) {
    EXPECT_EQ(ErrorOf("ingest:\n  sources:\n    - {name: a, type: file, paths: [/x], port: 1}\n"),
              "vigil.yml:3:48: ingest.sources[0].port: not a key of a file source (bind and port "
              "are for syslog listeners)");
    EXPECT_EQ(ErrorOf("ingest:\n  sources:\n"
                      "    - {name: a, type: syslog-udp, port: 1, paths: [/x]}\n"),
              "vigil.yml:3:51: ingest.sources[0].paths: not a key of a syslog-udp source (paths "
              "and multiline are for file sources)");
    EXPECT_EQ(ErrorOf("ingest:\n  sources:\n"
                      "    - {name: a, type: syslog-udp, port: 1, max_connections_per_peer: 4}\n"),
              "vigil.yml:3:70: ingest.sources[0].max_connections_per_peer: not a key of a "
              "syslog-udp source (connection limits are for syslog-tcp and syslog-tls)");
}

// A relay or NAT puts many hosts behind one address: the per-address limit can be raised.
TEST(ServeConfigTest, ConnectionLimitsOfAStreamSource) {
    auto c = ParseServeConfig(
        "ingest:\n  sources:\n"
        "    - {name: relay, type: syslog-tls, port: 6514,\n"
        "       max_connections: 4096, max_connections_per_peer: 2048}\n"
        "    - {name: b, type: syslog-tcp, port: 514}\n",
        "/d", "vigil.yml");
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(c->ingest.sources.size(), 2u);
    EXPECT_EQ(c->ingest.sources[0].max_connections, 4096);
    EXPECT_EQ(c->ingest.sources[0].max_connections_per_peer, 2048);
    EXPECT_EQ(c->ingest.sources[1].max_connections, 1024);
    EXPECT_EQ(c->ingest.sources[1].max_connections_per_peer, 128);
    EXPECT_EQ(ErrorOf("ingest:\n  sources:\n"
                      "    - {name: a, type: syslog-tcp, port: 1, max_connections_per_peer: 0}\n"),
              "vigil.yml:3:70: ingest.sources[0].max_connections_per_peer: expected an "
              "integer 1..1000000");
}

TEST(ServeConfigTest, UnknownKeysInEverySectionAreRefused) {
    EXPECT_EQ(ErrorOf("server:\n  bind: 0.0.0.0\n  prot: 9443\n"),
              "vigil.yml:3:3: server.prot: unknown key; did you mean 'port'?");
    EXPECT_EQ(ErrorOf("sever:\n  port: 9443\n"),
              "vigil.yml:1:1: sever: unknown key; did you mean 'server'?");
    EXPECT_EQ(ErrorOf("tls:\n  min_versoin: \"1.2\"\n"),
              "vigil.yml:2:3: tls.min_versoin: unknown key; did you mean 'min_version'?");
    EXPECT_EQ(ErrorOf("data:\n  state: state.db\n"),
              "vigil.yml:2:3: data.state: unknown key; did you mean 'state_db'?");
    EXPECT_EQ(ErrorOf("auth:\n  password_min_len: 4\n"),
              "vigil.yml:2:3: auth.password_min_len: unknown key; did you mean "
              "'password_min_length'?");
    EXPECT_EQ(ErrorOf("backup:\n  intervall: 24h\n"),
              "vigil.yml:2:3: backup.intervall: unknown key; did you mean 'interval'?");
    EXPECT_EQ(ErrorOf("ingest:\n  spool_max_bytes: 64\n"),
              "vigil.yml:2:3: ingest.spool_max_bytes: unknown key; did you mean 'spool_max_mb'?");
    EXPECT_EQ(ErrorOf("retention: 365\n"),
              "vigil.yml:1:1: retention: unknown key; did you mean 'retention_days'?");
    EXPECT_EQ(ErrorOf("listeners:\n  - 514\n"),
              "vigil.yml:1:1: listeners: unknown key; expected one of server, tls, data, "
              "retention_days, auth, ingest, backup");
}

// YAML gives no error for a key written twice, and only one of the two values would be used.
TEST(ServeConfigTest, RepeatedKeysAreRefused) {
    EXPECT_EQ(ErrorOf("server:\n  port: 8443\n  port: 9443\n"),
              "vigil.yml:3:3: server.port: repeated key (first at line 2)");
    EXPECT_EQ(ErrorOf("ingest:\n  workers: 2\ningest:\n  workers: 4\n"),
              "vigil.yml:3:1: ingest: repeated key (first at line 1)");
}

// The vigil.yml inside a backup archive is read only for the paths it names: an archive made
// before a typo was caught must still restore (serve then names the key).
TEST(ServeConfigTest, UnknownKeysCanBeIgnoredForArchives) {
    auto c = ParseServeConfig("data:\n  state: x\n  state_db: s.db\n", "/d", "vigil.yml",
                              UnknownKeys::kIgnore);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->state_db, "/d/s.db");
}

// Every key the reference documents (docs/serve.md, docs/ingestion.md, docs/backup.md).
TEST(ServeConfigTest, EveryDocumentedKeyLoads) {
    auto c = ParseServeConfig(R"yaml(
server:
  bind: 0.0.0.0
  port: 9443
  rate_limit_per_second: 10
  rate_limit_burst: 20
tls:
  min_version: "1.2"
  cert: tls/cert.pem
  key: tls/key.pem
data:
  state_db: state.db
  seal_key: keys/seal.key
  audit_signing_key: keys/audit-signing.pem
  audit_public_key: keys/audit-signing.pub.pem
retention_days: 365
auth:
  password_min_length: 12
  password_min_classes: 4
  password_history: 6
  password_max_age_days: 60
  lockout_account_failures: 4
  lockout_ip_failures: 30
  session_idle_minutes: 20
  session_absolute_hours: 8
backup:
  interval: 24h
  dir: backups
  keep: 3
  passphrase_file: /etc/vigil/backup.pass
ingest:
  rules: [rules]
  workers: 3
  spool_max_mb: 64
  memory_messages: 5000
  retention_days: 90
  sources:
    - name: fw
      type: syslog-tls
      bind: 0.0.0.0
      port: 6514
      decoder: cef
      product: fortinet
      service: fortigate
      category: firewall
      host: fw01
      silent_minutes: 15
    - name: app
      type: file
      paths: [/var/log/app/*.log]
      multiline: indented
      decoder: auto
)yaml",
                              "/d", "vigil.yml");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->rate_limit_burst, 20);
    EXPECT_EQ(c->tls_min_version, "1.2");
    EXPECT_EQ(c->audit_public_key, "/d/keys/audit-signing.pub.pem");
    EXPECT_EQ(c->auth.session_absolute_hours, 8);
    EXPECT_EQ(c->backup.keep, 3);
    EXPECT_EQ(c->ingest.retention_days, 90);
    ASSERT_EQ(c->ingest.sources.size(), 2u);
    EXPECT_EQ(c->ingest.sources[0].decoder, "cef");
    EXPECT_EQ(c->ingest.sources[0].category, "firewall");
    EXPECT_EQ(c->ingest.sources[0].silent_minutes, 15);
    EXPECT_TRUE(c->ingest.sources[1].multiline);
}

// The examples a user copies from must load: the sections `vigil init` writes commented out,
// and every vigil.yml block of the documentation.
TEST(ServeConfigTest, TheExamplesOfInitAndTheDocsLoad) {
    std::istringstream init{std::string(kDefaultConfig)};
    std::string line, uncommented;
    for (; std::getline(init, line); uncommented += line + "\n") {
        if (line.rfind("# ingest:", 0) == 0 || line.rfind("# backup:", 0) == 0 ||
            line.rfind("#   ", 0) == 0) {
            line.erase(0, 2);
        }
    }
    ASSERT_NE(uncommented.find("\ningest:\n"), std::string::npos);
    ASSERT_NE(uncommented.find("\nbackup:\n"), std::string::npos);
    auto c = ParseServeConfig(uncommented, "/d", "vigil.yml");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->ingest.sources.size(), 2u);
    EXPECT_TRUE(c->backup.enabled());

    int blocks = 0;
    for (const char* doc : {"docs/ingestion.md", "docs/backup.md"}) {
        std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/" + doc);
        ASSERT_TRUE(in) << doc;
        std::string yaml;
        bool inside = false;
        for (int n = 1; std::getline(in, line); ++n) {
            if (!inside && line == "```yaml") {
                inside = true;
                yaml.clear();
            } else if (inside && line == "```") {
                inside = false;
                ++blocks;
                auto parsed = ParseServeConfig(yaml, "/d", doc);
                EXPECT_TRUE(parsed)
                    << doc << " (block ending at line " << n << "): " << parsed.error().message;
            } else if (inside) {
                yaml += line + "\n";
            }
        }
    }
    EXPECT_GE(blocks, 2);
}

}  // namespace
}  // namespace vigil::app
