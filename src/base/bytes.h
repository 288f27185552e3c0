#pragma once
// Little-endian fixed-width integers and u32-length-prefixed strings in a byte string: the
// record formats of the ingest spool and the correlation journal.
//
//   std::string out;  PutLe32(out, 7);  PutLenPrefixed(out, "id");
//   ByteReader r(out);  uint32_t n;  std::string_view s;  r.Le32(n) && r.LenPrefixed(s);

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

inline void PutLe32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void PutLe64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
// Overwrites 4 bytes at pos (a header filled in once what follows is known).
inline void SetLe32(std::string& out, size_t pos, uint32_t v) {
    for (int i = 0; i < 4; ++i) out[pos + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
inline void PutLenPrefixed(std::string& out, std::string_view s) {
    PutLe32(out, static_cast<uint32_t>(s.size()));
    out.append(s);
}
// The n (<= 8) bytes at p as a little-endian number.
inline uint64_t GetLe(const char* p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    return v;
}

// Reads what the Put functions wrote; each call is false (consuming nothing) when the input
// is too short.
class ByteReader {
public:
    explicit ByteReader(std::string_view data) : data_(data) {}
    bool done() const { return data_.empty(); }
    bool Le32(uint32_t& v) {
        if (data_.size() < 4) return false;
        v = static_cast<uint32_t>(GetLe(data_.data(), 4));
        data_.remove_prefix(4);
        return true;
    }
    bool Le64(uint64_t& v) {
        if (data_.size() < 8) return false;
        v = GetLe(data_.data(), 8);
        data_.remove_prefix(8);
        return true;
    }
    bool Bytes(size_t n, std::string_view& out) {
        if (data_.size() < n) return false;
        out = data_.substr(0, n);
        data_.remove_prefix(n);
        return true;
    }
    bool LenPrefixed(std::string_view& out) {
        if (data_.size() < 4) return false;
        const uint64_t n = GetLe(data_.data(), 4);
        if (data_.size() - 4 < n) return false;
        out = data_.substr(4, n);
        data_.remove_prefix(4 + n);
        return true;
    }

private:
    std::string_view data_;
};

}  // namespace vigil
