#include "detect/rule.h"

#include "base/strings.h"

namespace vigil::detect {

std::optional<Level> ParseLevel(std::string_view s) {
    if (s == "informational") return Level::kInformational;
    if (s == "low") return Level::kLow;
    if (s == "medium") return Level::kMedium;
    if (s == "high") return Level::kHigh;
    if (s == "critical") return Level::kCritical;
    return std::nullopt;
}

std::string_view LevelName(Level level) {
    switch (level) {
        case Level::kInformational:
            return "informational";
        case Level::kLow:
            return "low";
        case Level::kMedium:
            return "medium";
        case Level::kHigh:
            return "high";
        case Level::kCritical:
            return "critical";
    }
    return "medium";
}

bool LogSourceSpec::Matches(const event::LogSource& ls) const {
    if (!product.empty() && !EqualsIgnoreCase(product, ls.product)) return false;
    if (!service.empty() && !EqualsIgnoreCase(service, ls.service)) return false;
    if (!category.empty()) {
        bool found = false;
        for (const auto& c : ls.categories) found = found || EqualsIgnoreCase(c, category);
        if (!found) return false;
    }
    return true;
}

}  // namespace vigil::detect
