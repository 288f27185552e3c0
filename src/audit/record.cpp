#include "audit/record.h"

#include <array>

#include <openssl/evp.h>

#include "base/strings.h"

namespace vigil::audit {
namespace {

void AppendNetstring(std::string& out, std::string_view bytes) {
    out += std::to_string(bytes.size());
    out += ':';
    out.append(bytes);
    out += ',';
}

}  // namespace

std::string CanonicalBytes(const Record& r) {
    std::string out;
    out.reserve(64 + r.actor.size() + r.action.size() + r.object.size() + r.before.size() +
                r.after.size() + r.source_ip.size() + r.result.size() + r.detail.size() + 80);
    out += "vigil-audit-record-v1\n";
    AppendNetstring(out, std::to_string(r.seq));
    AppendNetstring(out, std::to_string(r.time_ns));
    AppendNetstring(out, r.actor);
    AppendNetstring(out, r.action);
    AppendNetstring(out, r.object);
    AppendNetstring(out, r.before);
    AppendNetstring(out, r.after);
    AppendNetstring(out, r.source_ip);
    AppendNetstring(out, r.result);
    AppendNetstring(out, r.detail);
    return out;
}

std::string Sha256Hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    // EVP_Digest with SHA-256 only fails on allocation failure; an empty hash then fails every
    // comparison, which is the safe direction for a verifier.
    if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) {
        return {};
    }
    return HexEncode(std::string_view(reinterpret_cast<const char*>(md.data()), len));
}

std::string HashRecord(const Record& record) {
    std::string input = record.prev_hash;
    input += CanonicalBytes(record);
    return Sha256Hex(input);
}

bool IsHashHex(std::string_view s) {
    if (s.size() != kHashHexLength) return false;
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

Status CheckLimits(const Record& r) {
    struct Field {
        const char* name;
        const std::string* value;
        size_t limit;
    };
    const Field fields[] = {
        {"actor", &r.actor, kMaxShortFieldBytes},
        {"action", &r.action, kMaxShortFieldBytes},
        {"object", &r.object, kMaxShortFieldBytes},
        {"source_ip", &r.source_ip, kMaxShortFieldBytes},
        {"result", &r.result, kMaxShortFieldBytes},
        {"before", &r.before, kMaxLongFieldBytes},
        {"after", &r.after, kMaxLongFieldBytes},
        {"detail", &r.detail, kMaxLongFieldBytes},
    };
    for (const Field& f : fields) {
        if (f.value->size() > f.limit) {
            return InvalidArgument("audit record field '" + std::string(f.name) + "' is " +
                                   std::to_string(f.value->size()) + " bytes; the limit is " +
                                   std::to_string(f.limit));
        }
    }
    return Ok();
}

}  // namespace vigil::audit
