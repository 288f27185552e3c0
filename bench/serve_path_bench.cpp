// vigil serve's per-message work on one core, stage by stage, on the syslog benchmark's message
// set (bench/syslog_mix.h) and its rule set (ours, plus SigmaHQ's linux, web and network rules):
// what a pipeline worker does to each message before the store's writer takes it
// (app/ingest_pipeline.cpp, Process). Each benchmark adds one stage to the one before, so the
// difference between two is that stage's cost; CPU time per message is the figure (stable
// enough to compare two builds, unlike the end-to-end rate on a shared machine).
//
//   build/release/bench/vigil_serve_path_bench --benchmark_min_time=2
//
//   Decode   LineDecoder, format auto-detected (the benchmark's source names no decoder)
//   Map      + the built-in field-mapping pipeline (Sigma field names, logsource)
//   Match    + every rule (the syslog benchmark's rule set)
//   Encode   + the store's per-event encoding (EventStore::Prepare)
//
// BM_ServePathKind/kind:K: decode, map and match on one kind of the mix alone (a stream of one
// shape, like a single source's).

#include <unistd.h>

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "detect/engine.h"
#include "detect/pipeline.h"
#include "parse/decode.h"
#include "store/sqlite_event_store.h"
#include "syslog_mix.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = VIGIL_SOURCE_DIR;
const fs::path kShared = VIGIL_SHARED_DATA;
constexpr size_t kMessages = 60000;  // a multiple of the mix's 6 kinds

struct Fixture {
    std::vector<std::string> messages;
    std::array<std::vector<std::string>, bench::kKinds> by_kind;  // KindMessage, each kind alone
    std::unique_ptr<detect::Engine> engine;
    detect::Pipeline pipeline;
    size_t rules = 0;
    fs::path store_dir;
    std::unique_ptr<store::SqliteEventStore> store;
};

Fixture* g_fixture = nullptr;  // made on first use

Fixture& Shared() {
    if (g_fixture) return *g_fixture;
    auto* fx = g_fixture = new Fixture;
    for (uint64_t i = 0; i < kMessages; ++i) {
        fx->messages.push_back(bench::SyslogMessage(i));
    }
    fx->engine = std::make_unique<detect::Engine>();
    config::Diagnostics diags;
    (void)fx->engine->LoadPath((kSource / "rules").string(), diags);
    for (const char* d : {"linux", "web", "network"}) {
        const fs::path p = kShared / "sigma" / "rules" / d;
        if (fs::exists(p)) (void)fx->engine->LoadPath(p.string(), diags);
    }
    if (fx->engine->Compile(diags)) fx->rules = fx->engine->rule_count();
    for (int k = 0; k < bench::kKinds; ++k) {
        for (uint64_t i = 0; i < kMessages / 6; ++i)
            fx->by_kind[static_cast<size_t>(k)].push_back(bench::KindMessage(k, i));
    }
    for (const auto& [name, yaml] : detect::BuiltinPipelines())
        (void)fx->pipeline.LoadString(yaml, "builtin:" + name, diags);
    fx->store_dir =
        fs::temp_directory_path() / ("vigil-serve-path-bench-" + std::to_string(::getpid()));
    fs::create_directories(fx->store_dir);
    store::OpenEventStoreOptions o;
    o.background_index = false;  // only Prepare is measured
    auto opened = store::SqliteEventStore::Open(fx->store_dir, o);
    if (opened) fx->store = std::move(*opened);
    return *fx;
}

enum Stage { kDecode, kMap, kMatch, kEncode };

void RunStages(benchmark::State& state, Stage stage, const std::vector<std::string>& messages) {
    Fixture& f = Shared();
    if (f.rules == 0) {
        state.SkipWithError("the rules did not compile (rules/ of the source tree)");
        return;
    }
    if (!f.store) {
        state.SkipWithError("could not open an event store in the temporary directory");
        return;
    }
    parse::LineDecoder decoder;
    detect::Matcher matcher(*f.engine);
    std::vector<detect::Match> matches;
    store::StoredEvent se;
    size_t i = 0, detections = 0, malformed = 0;
    int64_t now = 1763712915LL * 1000000000;
    for (auto _ : state) {
        se.encoded.ready = false;
        se.id = store::EventId::New(++now);
        se.receive_ns = now;
        se.source = "bench";
        if (!decoder.Decode(messages[i], parse::Format::kAuto, se.event)) ++malformed;
        if (se.event.message.empty()) se.event.message = messages[i];
        se.host = std::string(se.event.Get("host"));
        if (stage >= kMap) f.pipeline.Apply(se.event);
        if (stage >= kMatch) {
            matches.clear();
            matcher.Match(se.event, matches);
            detections += matches.size();
        }
        if (stage >= kEncode) f.store->Prepare(std::span(&se, 1));
        if (++i == messages.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["rules"] = static_cast<double>(f.rules);
    state.counters["malformed"] = static_cast<double>(malformed);
    if (stage >= kMatch) {
        state.counters["rules_evaluated_per_event"] =
            static_cast<double>(matcher.rules_evaluated()) /
            static_cast<double>(state.iterations());
        state.counters["values_scanned_per_event"] =
            static_cast<double>(matcher.values_scanned()) / static_cast<double>(state.iterations());
        state.counters["detections_per_1k"] =
            1000.0 * static_cast<double>(detections) / static_cast<double>(state.iterations());
    }
}

void BM_ServePath(benchmark::State& state) {
    RunStages(state, static_cast<Stage>(state.range(0)), Shared().messages);
}
BENCHMARK(BM_ServePath)->ArgName("stage")->Arg(kDecode)->Arg(kMap)->Arg(kMatch)->Arg(kEncode);

// One kind alone (bench/syslog_mix.h, kKindNames: 0-5 the mix's kinds, 6-10 CEF, LEEF,
// FortiGate key=value, Suricata EVE, Winlogbeat), decoded, mapped and matched: a stream of one
// shape, as one source sends it, where the matcher's value cache sees only that shape's values.
void BM_ServePathKind(benchmark::State& state) {
    RunStages(state, kMatch, Shared().by_kind[static_cast<size_t>(state.range(0))]);
    state.SetLabel(bench::kKindNames[state.range(0)]);
}
BENCHMARK(BM_ServePathKind)->ArgName("kind")->DenseRange(0, bench::kKinds - 1);

}  // namespace
}  // namespace vigil

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (auto* f = vigil::g_fixture) {
        f->store.reset();
        std::error_code ec;
        std::filesystem::remove_all(f->store_dir, ec);
    }
    return 0;
}
