#include "app/keys_rotate.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "app/backup.h"
#include "app/config.h"
#include "app/data_dir_lock.h"
#include "audit/keys.h"
#include "audit/record.h"
#include "auth/user_store.h"
#include "base/files.h"
#include "base/strings.h"
#include "store/database.h"

namespace vigil::app {

namespace fs = std::filesystem;

namespace {

int64_t SystemNowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

fs::path WithSuffix(const fs::path& path, const std::string& suffix) {
    fs::path out = path;
    out += suffix;
    return out;
}

bool IsRetiredName(const std::string& name, const std::string& base) {
    // <base>.<16 hex>.retired
    const std::string prefix = base + ".";
    constexpr std::string_view kSuffix = ".retired";
    if (name.size() != prefix.size() + 16 + kSuffix.size()) return false;
    if (!StartsWith(name, prefix) || !EndsWith(name, kSuffix)) return false;
    for (size_t i = prefix.size(); i < prefix.size() + 16; ++i) {
        const char c = name[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

tl::unexpected<Error> Fail(Error error) { return tl::unexpected(std::move(error)); }

struct Rotation {
    const RotateSealKeyOptions& options;
    fs::path dir;
    ServeConfig config;
    RotateSealKeyResult result;
    bool rotated = false;  // seal.key holds the new key

    int64_t Now() const { return options.clock ? options.clock() : SystemNowNs(); }

    Status Audit(const std::string& outcome, const std::string& detail) {
        audit::Record record;
        record.time_ns = Now();
        record.actor = options.actor;
        record.action = "keys.rotate";
        record.object = config.seal_key.string();
        record.before = result.old_key_id.empty() ? "" : "seal key id " + result.old_key_id;
        record.after = result.new_key_id.empty() ? "" : "seal key id " + result.new_key_id;
        record.result = outcome;
        record.detail = detail;
        return AppendDataDirAudit(dir, std::move(record));
    }

    Status Run() {
        const fs::path seal = config.seal_key;
        const fs::path keys_dir = seal.parent_path();
        const fs::path fresh_path = WithSuffix(seal, ".new");
        // The audit record at the end needs the signing key: check it before changing anything.
        if (auto signer = audit::SigningKey::LoadFromFile(config.audit_signing_key); !signer) {
            return tl::unexpected(std::move(signer.error()).WithContext("audit signing key"));
        }
        auto current = auth::SealKey::LoadFile(seal);
        if (!current) return tl::unexpected(std::move(current.error()));
        result.old_key_id = current->id();

        std::optional<auth::SealKey> fresh;
        bool created = false;
        std::error_code ec;
        if (fs::exists(fs::symlink_status(fresh_path, ec))) {
            auto leftover = auth::SealKey::LoadFile(fresh_path);
            if (leftover) {
                fresh.emplace(std::move(*leftover));
                result.resumed = true;
            } else if (leftover.error().code == Code::kDataLoss) {
                // Cut off while it was written: the key is synced before anything is sealed
                // under it, so nothing can need it.
                fs::remove(fresh_path, ec);
            } else {
                return tl::unexpected(std::move(leftover.error()));
            }
        }
        if (!fresh) {
            auto made = auth::SealKey::CreateFile(fresh_path);
            if (!made) return tl::unexpected(std::move(made.error()));
            fresh.emplace(std::move(*made));
            created = true;
            if (auto st = SyncDirectory(keys_dir); !st) return st;
        }
        result.new_key_id = fresh->id();
        if (fresh->id() == current->id()) {
            return MakeError(Code::kInternal, "the new seal key equals the current one");
        }

        auth::KeyRing ring(*fresh);
        ring.AddOld(*current);
        for (const fs::path& path : SealKeyLeftovers(seal)) {
            if (path == fresh_path) continue;
            auto old = auth::SealKey::LoadFile(path);
            if (!old) return tl::unexpected(std::move(old.error()));
            ring.AddOld(std::move(*old));
        }

        {
            store::OpenOptions open;
            open.create = false;
            open.synchronous_full = true;
            auto db = store::Database::Open(config.state_db, open);
            if (!db) {
                return tl::unexpected(std::move(db.error()).WithContext(config.state_db.string()));
            }
            auto users = auth::UserStore::Open(*db);
            if (!users) return tl::unexpected(std::move(users.error()));
            auto resealed = users->ResealSecrets(ring);
            if (!resealed) {
                // Rolled back: nothing is sealed under a key this run made.
                if (created) fs::remove(fresh_path, ec);
                return tl::unexpected(
                    std::move(resealed.error()).WithContext("nothing was changed; re-sealing"));
            }
            result.resealed = *resealed;
        }

        // The old key stays on disk until the new one is in place.
        const fs::path retired = WithSuffix(seal, "." + result.old_key_id + ".retired");
        if (!fs::exists(fs::symlink_status(retired, ec))) {
            if (::link(seal.c_str(), retired.c_str()) != 0) {
                fs::copy_file(seal, retired, ec);
                if (!ec)
                    fs::permissions(retired, fs::perms::owner_read | fs::perms::owner_write, ec);
                if (ec) {
                    return MakeError(
                        Code::kUnavailable,
                        "keeping the old key as " + retired.string() + ": " + ec.message());
                }
            }
        }
        if (auto st = SyncDirectory(keys_dir); !st) return st;
        if (::rename(fresh_path.c_str(), seal.c_str()) != 0) {
            return MakeError(Code::kUnavailable, "renaming " + fresh_path.string() + " to " +
                                                     seal.string() + ": " + std::strerror(errno));
        }
        rotated = true;
        if (auto st = SyncDirectory(keys_dir); !st) return st;

        std::string detail = "re-sealed " + std::to_string(result.resealed) +
                             " values (TOTP secrets) under the new key; the previous key is "
                             "deleted";
        if (result.resumed) detail += "; finished a rotation an interrupted run had started";
        Status audited = Audit("success", detail);

        for (const fs::path& path : SealKeyLeftovers(seal)) fs::remove(path, ec);
        if (auto st = SyncDirectory(keys_dir); !st) return st;
        if (!audited) {
            return tl::unexpected(std::move(audited.error())
                                      .WithContext("the seal key was rotated (new id " +
                                                   result.new_key_id +
                                                   ") but the audit record was not written"));
        }
        return Ok();
    }
};

}  // namespace

std::vector<fs::path> SealKeyLeftovers(const fs::path& seal_key) {
    std::vector<fs::path> out;
    const std::string base = seal_key.filename().string();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(seal_key.parent_path(), ec)) {
        const std::string name = entry.path().filename().string();
        if (name == base + ".new" || IsRetiredName(name, base)) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

Result<auth::KeyRing> LoadSealKeyRing(const fs::path& seal_key) {
    auto ring = auth::KeyRing::LoadFiles(seal_key);
    if (!ring) return ring;
    for (const fs::path& path : SealKeyLeftovers(seal_key)) {
        auto key = auth::SealKey::LoadFile(path);
        if (!key) {
            // An incomplete seal.key.new (cut off while written) never sealed anything.
            if (key.error().code == Code::kDataLoss) continue;
            return tl::unexpected(std::move(key.error()));
        }
        ring->AddOld(std::move(*key));
    }
    return ring;
}

Result<RotateSealKeyResult> RotateSealKey(const RotateSealKeyOptions& options) {
    const fs::path dir = fs::absolute(options.data_dir).lexically_normal();
    auto lock = LockDataDir(dir);
    if (!lock) return tl::unexpected(std::move(lock.error()));
    std::error_code ec;
    if (!fs::exists(dir / "vigil.yml", ec)) {
        return NotFound(dir.string() +
                        " is not a vigil data directory: it has no vigil.yml (see vigil init)");
    }
    auto config = LoadServeConfig(dir / "vigil.yml");
    if (!config) return tl::unexpected(std::move(config.error()));
    Rotation rotation{options, dir, std::move(*config), {}};
    if (auto st = rotation.Run(); !st) {
        if (!rotation.rotated) (void)rotation.Audit("failure", st.error().message);
        return Fail(std::move(st.error()));
    }
    return rotation.result;
}

}  // namespace vigil::app
