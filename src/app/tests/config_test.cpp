#include "app/config.h"

#include <gtest/gtest.h>

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
