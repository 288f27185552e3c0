#pragma once
// Builds small signed chains for the audit tests.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "audit/chain.h"
#include "audit/keys.h"
#include "audit/record.h"

namespace vigil::audit::testing {

inline constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // 2023-11-14T22:13:20Z
inline constexpr int64_t kSecond = 1'000'000'000;

inline Record Event(int i) {
    Record r;
    r.time_ns = kT0 + i * kSecond;
    r.actor = "alice";
    r.action = i % 2 == 0 ? "auth.login" : "config.change";
    r.object = "object-" + std::to_string(i);
    r.before = "v" + std::to_string(i);
    r.after = "v" + std::to_string(i + 1);
    r.source_ip = "10.0.0." + std::to_string(i % 250);
    r.result = "success";
    return r;
}

struct Built {
    std::vector<Record> records;
    std::vector<Checkpoint> checkpoints;
    PublicKey key;
};

class ChainBuilder {
public:
    explicit ChainBuilder(uint64_t interval) {
        auto key = SigningKey::Generate();
        EXPECT_TRUE(key.has_value());
        pem_ = *key->ToPem();
        ChainOptions options;
        options.checkpoint_interval = interval;
        options.clock = [this] { return now_; };
        chain_ = std::make_unique<Chain>(std::move(*key), options);
    }

    Built Build(int n) {
        Built b{{}, {}, chain_->public_key()};
        for (int i = 1; i <= n; ++i) {
            now_ = kT0 + i * kSecond;
            auto appended = chain_->Append(Event(i));
            EXPECT_TRUE(appended.has_value());
            b.records.push_back(appended->record);
            if (appended->checkpoint) b.checkpoints.push_back(*appended->checkpoint);
        }
        return b;
    }

    Chain& chain() { return *chain_; }
    const std::string& pem() const { return pem_; }
    void set_now(int64_t now) { now_ = now; }

private:
    int64_t now_ = kT0;
    std::string pem_;
    std::unique_ptr<Chain> chain_;
};

}  // namespace vigil::audit::testing
