// Test helper (built with VIGIL_BUILD_TESTS only): writes a signed audit database for the CLI
// tests, the way the server will, and the public key to verify it with.
//
//   audit_seed <db> <public key PEM out> <count> [checkpoint interval]
//
// Records get fixed times (2023-11-14T22:13:21Z + i seconds) so runs are reproducible except
// for the key.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "audit/keys.h"
#include "audit/sqlite_log.h"
#include "store/database.h"

int main(int argc, char** argv) {
    using namespace vigil;
    if (argc < 4 || argc > 5) {
        std::fprintf(stderr, "usage: audit_seed <db> <public key out> <count> [interval]\n");
        return 2;
    }
    const int count = std::atoi(argv[3]);
    audit::ChainOptions options;
    if (argc == 5) options.checkpoint_interval = std::strtoull(argv[4], nullptr, 10);
    constexpr int64_t kT0 = 1'700'000'000'000'000'000;
    int64_t now = kT0;
    options.clock = [&now] { return now; };

    auto key = audit::SigningKey::Generate();
    auto pem = key ? key->public_key().ToPem() : vigil::Result<std::string>(std::string());
    if (!key || !pem) {
        std::fprintf(stderr, "audit_seed: generating a key failed\n");
        return 1;
    }
    std::ofstream(argv[2]) << *pem;

    auto db = store::Database::Open(argv[1]);
    if (!db) {
        std::fprintf(stderr, "audit_seed: %s\n", db.error().message.c_str());
        return 1;
    }
    auto log = audit::SqliteAuditLog::Open(*db, std::move(*key), options);
    if (!log) {
        std::fprintf(stderr, "audit_seed: %s\n", log.error().message.c_str());
        return 1;
    }
    for (int i = 1; i <= count; ++i) {
        now = kT0 + int64_t{i} * 1'000'000'000;
        audit::Record r;
        r.time_ns = now;
        r.actor = i % 3 == 0 ? "bob" : "alice";
        r.action = i % 2 == 0 ? "auth.login" : "config.change";
        r.object = "object-" + std::to_string(i);
        r.before = "v" + std::to_string(i);
        r.after = "v" + std::to_string(i + 1);
        r.source_ip = "10.0.0." + std::to_string(i % 250);
        r.result = "success";
        if (auto appended = log->Append(std::move(r)); !appended) {
            std::fprintf(stderr, "audit_seed: %s\n", appended.error().message.c_str());
            return 1;
        }
    }
    return 0;
}
