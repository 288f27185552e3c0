#pragma once
// Rule metadata shared by detection, correlation and filter rules.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "event/event.h"

namespace vigil::detect {

enum class Level : uint8_t { kInformational, kLow, kMedium, kHigh, kCritical };

std::optional<Level> ParseLevel(std::string_view s);
std::string_view LevelName(Level level);

// Alert tiers: 1 major risk, 2 general, 3 low. Sigma critical/high -> 1, medium -> 2,
// low/informational -> 3 unless the organisation configures otherwise.
struct TierMap {
    int tier[5] = {3, 3, 2, 1, 1};  // indexed by Level
    int For(Level l) const { return tier[static_cast<int>(l)]; }
};

struct LogSourceSpec {
    std::string product, category, service;
    bool Matches(const event::LogSource& ls) const;
    bool empty() const { return product.empty() && category.empty() && service.empty(); }
};

struct RuleMeta {
    std::string id;
    std::string name;
    std::string title;
    std::string description;
    std::string status;
    std::string author;
    Level level = Level::kMedium;
    std::vector<std::string> tags;
    std::string file;
    int line = 0;
};

}  // namespace vigil::detect
