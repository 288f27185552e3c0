#pragma once
// A map from short strings (field names) to small values, for the lookups made on every field
// of every event: open addressing over one array (no node per entry, no division), the keys in
// one arena, and a hash that reads a name in whole words. The hash is seeded per process,
// so names that collide cannot be prepared in advance (field names come from the senders).

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil {

uint64_t FlatNameSeed();  // random, fixed for the process

namespace internal {
inline uint64_t Load8(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
inline uint64_t Load4(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
// The 128-bit product folded to 64 bits.
inline uint64_t Mix(uint64_t a, uint64_t b) {
    const unsigned __int128 m = static_cast<unsigned __int128>(a) * b;
    return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}
// a[0, n) == b[0, n), by the same overlapping word loads for names up to 16 bytes.
inline bool SameBytes(const char* a, const char* b, size_t n) {
    if (n >= 8 && n <= 16) {
        return Load8(a) == Load8(b) && Load8(a + n - 8) == Load8(b + n - 8);
    }
    if (n >= 4 && n < 8) return Load4(a) == Load4(b) && Load4(a + n - 4) == Load4(b + n - 4);
    return std::memcmp(a, b, n) == 0;
}
}  // namespace internal

// Whole-word loads only, overlapping at the ends (a name's last bytes are read as the word
// that ends with them): no byte loop, and no partial word written and read back.
inline uint64_t FlatNameHash(std::string_view s) {
    using internal::Load4;
    using internal::Load8;
    using internal::Mix;
    static const uint64_t seed = FlatNameSeed();
    constexpr uint64_t k1 = 0xA0761D6478BD642FULL, k2 = 0xE7037ED1A0B428DBULL;
    const char* p = s.data();
    const size_t n = s.size();
    uint64_t h = seed ^ (n * k1);
    uint64_t a = 0, b = 0;
    if (n <= 16) {
        if (n >= 8) {
            a = Load8(p);
            b = Load8(p + n - 8);
        } else if (n >= 4) {
            a = Load4(p);
            b = Load4(p + n - 4);
        } else if (n > 0) {
            a = static_cast<uint64_t>(static_cast<uint8_t>(p[0])) << 16 |
                static_cast<uint64_t>(static_cast<uint8_t>(p[n / 2])) << 8 |
                static_cast<uint8_t>(p[n - 1]);
        }
    } else {
        size_t i = 0;
        for (; i + 16 < n; i += 16) h = Mix(Load8(p + i) ^ k1, Load8(p + i + 8) ^ h);
        a = Load8(p + n - 16);
        b = Load8(p + n - 8);
    }
    return Mix(a ^ k2 ^ h, b ^ k1 ^ n);
}

template <typename V>
class FlatNameMap {
public:
    const V* Find(std::string_view key) const {
        if (slots_.empty()) return nullptr;
        const uint64_t h = FlatNameHash(key);
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.len == kEmpty) return nullptr;
            if (s.hash == h && s.len == key.size() &&
                internal::SameBytes(keys_.data() + s.off, key.data(), key.size())) {
                return &s.value;
            }
        }
    }
    V* Find(std::string_view key) {
        return const_cast<V*>(static_cast<const FlatNameMap*>(this)->Find(key));
    }

    // Adds key (not in the map yet) and returns its value.
    V& Insert(std::string_view key, V value) {
        if ((size_ + 1) * 2 > slots_.size()) Grow();
        const uint64_t h = FlatNameHash(key);
        size_t i = h & mask_;
        while (slots_[i].len != kEmpty) i = (i + 1) & mask_;
        Slot& s = slots_[i];
        s.hash = h;
        s.off = static_cast<uint32_t>(keys_.size());
        s.len = static_cast<uint32_t>(key.size());
        s.value = std::move(value);
        keys_.append(key);
        ++size_;
        return s.value;
    }

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    void clear() {
        slots_.clear();
        keys_.clear();
        size_ = 0;
        mask_ = 0;
    }

private:
    static constexpr uint32_t kEmpty = UINT32_MAX;  // a key's length is never this
    struct Slot {
        uint64_t hash = 0;
        uint32_t off = 0;
        uint32_t len = kEmpty;
        V value{};
    };
    void Grow() {
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
        mask_ = slots_.size() - 1;
        for (Slot& s : old) {
            if (s.len == kEmpty) continue;
            size_t i = s.hash & mask_;
            while (slots_[i].len != kEmpty) i = (i + 1) & mask_;
            slots_[i] = std::move(s);
        }
    }
    std::vector<Slot> slots_;
    std::string keys_;
    size_t size_ = 0;
    size_t mask_ = 0;
};

}  // namespace vigil
