#pragma once
// The Vectorscan scan function and compile platform the engine uses, chosen once per process
// by a self-test.
//
// Vectorscan 5.4.9 (Debian 12's libvectorscan5) loses matches on CPUs with AVX-512: its
// AVX-512 scanner, which the library's runtime dispatch picks there, misses every match that
// starts in the last, partial 64-byte block of a buffer when a database holds a few short
// literals (".exe", ".dll": an `|endswith` list on a path longer than 67 bytes never fired,
// and whether it did depended on memory alignment; VectorCamp/vectorscan#317 describes the
// same family of regression). The library's AVX2 scanner, built into the same library, scans
// the same databases correctly. Scanner() tries the dispatched scanner on buffers that show the
// bug and, when it misses, takes the first of the AVX2, SSE4.2 and SSSE3 scanners that the CPU
// supports and that passes, with databases compiled for a platform without AVX-512.

#include <string>

#include <hs/hs.h>

namespace vigil::detect::internal {

using ScanFn = hs_error_t (*)(const hs_database_t* db, const char* data, unsigned int length,
                              unsigned int flags, hs_scratch_t* scratch,
                              match_event_handler on_event, void* context);

struct ScannerChoice {
    ScanFn scan = nullptr;
    // The platform to compile databases for (nullptr: the host's).
    const hs_platform_info_t* platform = nullptr;
    // Empty when the dispatched scanner passed; else what was chosen and why (for the logs).
    std::string note;
};

// Thread-safe; the self-test runs on the first call (a few milliseconds).
const ScannerChoice& Scanner();

}  // namespace vigil::detect::internal
