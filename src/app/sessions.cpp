#include "app/sessions.h"

#include <string>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "audit/record.h"

namespace vigil::app {

namespace {

std::string HashId(std::string_view id) { return audit::Sha256Hex(id); }

}  // namespace

std::string_view SessionLimitName(SessionLimit limit) {
    switch (limit) {
        case SessionLimit::kNone:
            return "none";
        case SessionLimit::kPasswordChange:
            return "password_change";
        case SessionLimit::kMfaEnrolment:
            return "mfa_enrolment";
    }
    return "none";
}

Result<std::string> RandomHex(size_t n) {
    std::vector<unsigned char> bytes(n);
    if (RAND_bytes(bytes.data(), static_cast<int>(n)) != 1) {
        return Internal("the random number generator failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * n);
    for (unsigned char b : bytes) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
    }
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return out;
}

bool SecureEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool SessionTable::Expired(const Session& s, int64_t now_ns) const {
    return now_ns - s.last_seen_ns >= options_.idle_timeout_ns ||
           now_ns - s.created_ns >= options_.absolute_timeout_ns;
}

Result<NewSession> SessionTable::Create(int64_t user_id, std::string_view username, auth::Role role,
                                        SessionLimit limit, int64_t now_ns) {
    auto id = RandomHex(kSessionIdBytes);
    if (!id) return tl::unexpected(std::move(id.error()));
    auto csrf = RandomHex(kSessionIdBytes);
    if (!csrf) return tl::unexpected(std::move(csrf.error()));
    NewSession out;
    out.id = std::move(*id);
    out.session.user_id = user_id;
    out.session.username = std::string(username);
    out.session.role = role;
    out.session.limit = limit;
    out.session.csrf_token = std::move(*csrf);
    out.session.created_ns = now_ns;
    out.session.last_seen_ns = now_ns;

    std::lock_guard lock(mu_);
    if (by_hash_.size() >= options_.max_sessions) {
        // Drop the expired ones first, then the least recently used.
        std::erase_if(by_hash_, [&](const auto& kv) { return Expired(kv.second, now_ns); });
        if (by_hash_.size() >= options_.max_sessions) {
            auto oldest = by_hash_.begin();
            for (auto it = by_hash_.begin(); it != by_hash_.end(); ++it) {
                if (it->second.last_seen_ns < oldest->second.last_seen_ns) oldest = it;
            }
            by_hash_.erase(oldest);
        }
    }
    by_hash_[HashId(out.id)] = out.session;
    return out;
}

std::optional<Session> SessionTable::Touch(std::string_view id, int64_t now_ns, bool activity) {
    if (id.size() != 2 * kSessionIdBytes) return std::nullopt;
    const std::string key = HashId(id);
    std::lock_guard lock(mu_);
    auto it = by_hash_.find(key);
    if (it == by_hash_.end()) return std::nullopt;
    if (Expired(it->second, now_ns)) {
        by_hash_.erase(it);
        return std::nullopt;
    }
    if (activity) it->second.last_seen_ns = now_ns;
    return it->second;
}

bool SessionTable::Destroy(std::string_view id) {
    const std::string key = HashId(id);
    std::lock_guard lock(mu_);
    return by_hash_.erase(key) > 0;
}

size_t SessionTable::DestroyUser(int64_t user_id) {
    std::lock_guard lock(mu_);
    return std::erase_if(by_hash_, [&](const auto& kv) { return kv.second.user_id == user_id; });
}

size_t SessionTable::size() const {
    std::lock_guard lock(mu_);
    return by_hash_.size();
}

std::string SessionTable::CookieFor(std::string_view id) const {
    return std::string(kSessionCookie) + "=" + std::string(id) +
           "; Path=/; Max-Age=" + std::to_string(options_.absolute_timeout_ns / 1000000000) +
           "; HttpOnly; Secure; SameSite=Strict";
}

std::string SessionTable::ExpiredCookie() {
    return std::string(kSessionCookie) + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict";
}

std::string_view SessionTable::CookieValue(std::string_view header) {
    while (!header.empty()) {
        size_t end = header.find(';');
        std::string_view part = header.substr(0, end);
        header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
        while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) {
            part.remove_prefix(1);
        }
        while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
        if (part.size() > kSessionCookie.size() && part.starts_with(kSessionCookie) &&
            part[kSessionCookie.size()] == '=') {
            return part.substr(kSessionCookie.size() + 1);
        }
    }
    return {};
}

}  // namespace vigil::app
