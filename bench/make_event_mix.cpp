// Writes the benchmark event mix as JSON lines: `vigil_event_mix COUNT > events.jsonl`.
// Used by bench/hunt_bench.sh to measure `vigil hunt` end to end.

#include <cstdio>
#include <cstdlib>

#include "event_mix.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: vigil_event_mix COUNT > events.jsonl\n");
        return 2;
    }
    size_t count = std::strtoull(argv[1], nullptr, 10);
    for (const auto& doc : vigil::bench::EventMix(count, VIGIL_SHARED_DATA)) {
        // Pretty-printed regression events are written on one line.
        for (char c : doc) std::fputc(c == '\n' || c == '\r' ? ' ' : c, stdout);
        std::fputc('\n', stdout);
    }
    return 0;
}
