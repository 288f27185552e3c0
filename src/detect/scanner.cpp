#include "detect/scanner.h"

#include <dlfcn.h>

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace vigil::detect::internal {

namespace {

struct DbFree {
    void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct ScratchFree {
    void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};
struct CompileErrorFree {
    void operator()(hs_compile_error_t* e) const { hs_free_compile_error(e); }
};

int OnHit(unsigned /*id*/, unsigned long long /*from*/, unsigned long long /*to*/,
          unsigned /*flags*/, void* context) {
    ++*static_cast<int*>(context);
    return 0;
}

// Does `scan` find a literal in every position of the last 64-byte block, with databases of two
// short literals (the shape that fails) compiled for `platform`? Buffer lengths that end a
// partial block (68, 130, 200, 300) and one that ends a whole block (256).
bool Passes(ScanFn scan, const hs_platform_info_t* platform) {
    const char* lits[] = {".exe", ".dll"};
    const size_t lens[] = {4, 4};
    const unsigned flags[] = {0, 0};
    const unsigned ids[] = {0, 1};
    hs_database_t* raw = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(lits, flags, ids, lens, 2, HS_MODE_BLOCK, platform, &raw, &err) !=
        HS_SUCCESS) {
        std::unique_ptr<hs_compile_error_t, CompileErrorFree> guard(err);
        return false;
    }
    std::unique_ptr<hs_database_t, DbFree> db(raw);
    hs_scratch_t* s = nullptr;
    if (hs_alloc_scratch(db.get(), &s) != HS_SUCCESS) return false;
    std::unique_ptr<hs_scratch_t, ScratchFree> scratch(s);
    for (size_t len : {68, 130, 200, 256, 300}) {
        // Offsets into a buffer of its own, so that its alignment varies too.
        std::vector<char> buf(len + 64, 'a');
        for (size_t shift : {size_t{0}, size_t{3}}) {
            for (size_t at = len > 70 ? len - 70 : 0; at + 4 <= len; ++at) {
                char* p = buf.data() + shift;
                std::memset(p, 'a', len);
                std::memcpy(p + at, ".exe", 4);
                int hits = 0;
                if (scan(db.get(), p, static_cast<unsigned>(len), 0, scratch.get(), OnHit, &hits) !=
                        HS_SUCCESS ||
                    hits != 1) {
                    return false;
                }
            }
        }
    }
    return true;
}

ScannerChoice Choose() {
    ScannerChoice choice;
    choice.scan = hs_scan;
    if (Passes(hs_scan, nullptr)) return choice;
    // The library's scanners for older instruction sets, best first, with the CPU feature each
    // needs (the fat runtime exports them by these names).
    struct Candidate {
        const char* symbol;
        const char* name;
        bool supported;
    };
    const Candidate candidates[] = {
        {"avx2_hs_scan", "AVX2", __builtin_cpu_supports("avx2") != 0},
        {"corei7_hs_scan", "SSE4.2", __builtin_cpu_supports("sse4.2") != 0},
        {"core2_hs_scan", "SSSE3", __builtin_cpu_supports("ssse3") != 0},
    };
    static hs_platform_info_t platform{};
    const bool have_platform = hs_populate_platform(&platform) == HS_SUCCESS;
    platform.cpu_features &=
        ~static_cast<unsigned long long>(HS_CPU_FEATURES_AVX512 | HS_CPU_FEATURES_AVX512VBMI);
    const std::string version = hs_version();
    const std::string lib = "Vectorscan " + version.substr(0, version.find(' '));
    for (const Candidate& c : candidates) {
        if (!c.supported || !have_platform) continue;
        auto fn = reinterpret_cast<ScanFn>(::dlsym(RTLD_DEFAULT, c.symbol));
        if (fn == nullptr || !Passes(fn, &platform)) continue;
        choice.scan = fn;
        choice.platform = &platform;
        choice.note = lib +
                      "'s default scanner on this CPU misses matches near the end of a "
                      "value (a known bug of its AVX-512 code); using its " +
                      std::string(c.name) + " scanner instead";
        return choice;
    }
    choice.note = "WARNING: " + lib +
                  " misses matches near the end of a value on this CPU and no other scanner "
                  "of it passed the self-test: rules may miss events; install a fixed "
                  "Vectorscan (5.4.11 or later)";
    return choice;
}

}  // namespace

const ScannerChoice& Scanner() {
    static const ScannerChoice choice = Choose();
    return choice;
}

}  // namespace vigil::detect::internal
