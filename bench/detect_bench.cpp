// Detection throughput over the full SigmaHQ rule set and a realistic event mix, on one
// core: parse alone (JSON decode + field mapping), match alone, and both together.
//
//   build/release/bench/vigil_bench --benchmark_counters_tabular=true

#include <chrono>
#include <filesystem>
#include <memory>

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include "detect/engine.h"
#include "detect/pipeline.h"
#include "event_mix.h"
#include "parse/json.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
const std::string kShared = VIGIL_SHARED_DATA;
const char* kRuleDirs[] = {"rules", "rules-emerging-threats", "rules-threat-hunting",
                           "rules-placeholder", "rules-compliance"};

double PeakRssMb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

std::unique_ptr<detect::Engine> LoadAll(size_t* rules = nullptr) {
    auto engine = std::make_unique<detect::Engine>();
    config::Diagnostics diags;
    for (const char* d : kRuleDirs) {
        fs::path p = fs::path(kShared) / "sigma" / d;
        if (fs::exists(p)) (void)engine->LoadPath(p.string(), diags);
    }
    (void)engine->Compile(diags);
    if (rules) *rules = engine->rule_count();
    return engine;
}

struct Fixture {
    std::unique_ptr<detect::Engine> engine;
    detect::Pipeline pipeline;
    std::vector<std::string> docs;
    std::vector<event::Event> events;  // decoded + mapped, for match-only
    size_t bytes = 0;
};

Fixture& Shared() {
    static Fixture* f = [] {
        auto* fx = new Fixture;
        fx->engine = LoadAll();
        config::Diagnostics diags;
        for (const auto& [name, yaml] : detect::BuiltinPipelines())
            (void)fx->pipeline.LoadString(yaml, name, diags);
        fx->docs = bench::EventMix(50000, kShared);
        for (auto& d : fx->docs) d.reserve(d.size() + parse::kJsonPadding);  // as the reader does
        parse::JsonDecoder dec;
        for (const auto& d : fx->docs) {
            fx->bytes += d.size();
            event::Event ev;
            if (dec.Decode(d, ev)) {
                fx->pipeline.Apply(ev);
                fx->events.push_back(std::move(ev));
            }
        }
        return fx;
    }();
    return *f;
}

bool HaveRules(benchmark::State& state) {
    if (fs::exists(fs::path(kShared) / "sigma" / "rules")) return true;
    state.SkipWithError("shared data (../shared/data/sigma) not found");
    return false;
}

void BM_Load_FullRuleSet(benchmark::State& state) {
    if (!HaveRules(state)) return;
    size_t rules = 0;
    for (auto _ : state) {
        auto e = LoadAll(&rules);
        benchmark::DoNotOptimize(e.get());
    }
    state.counters["rules"] = static_cast<double>(rules);
    state.counters["peak_rss_MB"] = PeakRssMb();
}
BENCHMARK(BM_Load_FullRuleSet)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

// Parsing alone: JSON -> Event + field mapping + logsource.
void BM_Parse_EventMix(benchmark::State& state) {
    if (!HaveRules(state)) return;
    Fixture& f = Shared();
    parse::JsonDecoder dec;
    event::Event ev;
    size_t i = 0;
    for (auto _ : state) {
        ev.Clear();
        benchmark::DoNotOptimize(dec.Decode(f.docs[i], ev));
        f.pipeline.Apply(ev);
        if (++i == f.docs.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (f.bytes / f.docs.size())));
}
BENCHMARK(BM_Parse_EventMix);

// Matching alone, all rules, decoded events.
void BM_Match_EventMix(benchmark::State& state) {
    if (!HaveRules(state)) return;
    Fixture& f = Shared();
    detect::Matcher m(*f.engine);
    std::vector<detect::Match> out;
    size_t i = 0, detections = 0;
    for (auto _ : state) {
        out.clear();
        m.Match(f.events[i], out);
        detections += out.size();
        if (++i == f.events.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["rules_evaluated_per_event"] =
        static_cast<double>(m.rules_evaluated()) / static_cast<double>(state.iterations());
    state.counters["detections_per_1k"] =
        1000.0 * static_cast<double>(detections) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Match_EventMix);

// The whole hunt path on one core: decode + map + match with all rules loaded.
void BM_Hunt_EventMix(benchmark::State& state) {
    if (!HaveRules(state)) return;
    Fixture& f = Shared();
    detect::Matcher m(*f.engine);
    parse::JsonDecoder dec;
    event::Event ev;
    std::vector<detect::Match> out;
    size_t i = 0;
    for (auto _ : state) {
        ev.Clear();
        out.clear();
        benchmark::DoNotOptimize(dec.Decode(f.docs[i], ev));
        f.pipeline.Apply(ev);
        m.Match(ev, out);
        if (++i == f.docs.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (f.bytes / f.docs.size())));
    state.counters["peak_rss_MB"] = PeakRssMb();
}
BENCHMARK(BM_Hunt_EventMix);

}  // namespace
}  // namespace vigil

BENCHMARK_MAIN();
