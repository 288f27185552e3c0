#include "base/flat_name_map.h"

#include <random>

namespace vigil {

uint64_t FlatNameSeed() {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace vigil
