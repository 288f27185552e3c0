#pragma once
// `vigil keys rotate`: replaces the seal key (keys/seal.key, AES-256-GCM for secrets at rest)
// and re-seals every sealed value under the new key. Nothing else is rotated: the audit
// signing key and the TLS key keep their own life cycle (docs/backup.md).
//
// Safe to kill at any point; running it again finishes the job:
//   1. the new key is written to seal.key.new (O_EXCL, 0600, fsync); a seal.key.new left by an
//      interrupted run is reused instead, so values already sealed under it stay readable
//   2. every sealed value is re-sealed in one transaction (all or nothing)
//   3. the old key is kept as seal.key.<old id>.retired (0600), then seal.key.new is renamed
//      over seal.key (atomic)
//   4. the audit record keys.rotate (old and new key ids, never key bytes)
//   5. the retired key is deleted: nothing is sealed under it any more.
// LoadSealKeyRing also loads seal.key.new and *.retired for unsealing, so a server started
// between two of these steps still reads every value.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "auth/seal.h"
#include "base/result.h"

namespace vigil::app {

struct RotateSealKeyOptions {
    std::filesystem::path data_dir;
    std::string actor = "system";    // of the keys.rotate audit record, e.g. "cli:alice"
    std::function<int64_t()> clock;  // ns since the epoch; the system clock when empty
};

struct RotateSealKeyResult {
    std::string old_key_id;
    std::string new_key_id;
    size_t resealed = 0;   // values re-sealed (TOTP secrets)
    bool resumed = false;  // finished the rotation an interrupted run had started
};

// Holds the data-directory lock while it runs: failed_precondition while `vigil serve` (or
// another rotation, or a restore) uses the directory.
Result<RotateSealKeyResult> RotateSealKey(const RotateSealKeyOptions& options);

// The seal key ring to run with: `seal_key` as the current key, plus (for unsealing only) the
// seal.key.new and seal.key.<id>.retired beside it that an interrupted rotation left behind.
Result<auth::KeyRing> LoadSealKeyRing(const std::filesystem::path& seal_key);

// Those leftovers: <seal_key>.new and <seal_key>.<16 hex>.retired, sorted.
std::vector<std::filesystem::path> SealKeyLeftovers(const std::filesystem::path& seal_key);

}  // namespace vigil::app
