#include "config/diagnostic.h"

#include <gtest/gtest.h>

namespace vigil::config {
namespace {

TEST(Diagnostic, TextAndJsonCarryPosition) {
    Diagnostics d;
    d.Error("unknown-modifier", "rules/x.yml", 14, 3, "unknown modifier 'contians'", "r1");
    d.Warning("deprecated", "rules/y.yml", 0, 0, "old");
    EXPECT_EQ(d.errors(), 1u);
    EXPECT_EQ(d.warnings(), 1u);
    EXPECT_EQ(d.items()[0].ToString(),
              "rules/x.yml:14:3: error[unknown-modifier]: unknown modifier 'contians'");
    EXPECT_EQ(d.items()[0].ToJson(),
              R"({"severity":"error","code":"unknown-modifier","file":"rules/x.yml","line":14,)"
              R"("column":3,"message":"unknown modifier 'contians'","rule_id":"r1"})");
    EXPECT_EQ(d.items()[1].ToString(), "rules/y.yml: warning[deprecated]: old");
}

}  // namespace
}  // namespace vigil::config
