// Replays fuzz inputs without libFuzzer, so CI runs every corpus under GCC and the
// sanitizers: `<fuzzer>_replay <dir-or-file>...` calls LLVMFuzzerTestOneInput on each file.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool RunFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        return false;
    }
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // A separate heap copy of the exact size lets ASan see reads past the end.
    auto copy = std::make_unique<uint8_t[]>(bytes.size() + (bytes.empty() ? 1 : 0));
    std::copy(bytes.begin(), bytes.end(), copy.get());
    LLVMFuzzerTestOneInput(copy.get(), bytes.size());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <corpus dir or file>...\n", argv[0]);
        return 2;
    }
    size_t runs = 0;
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        std::error_code ec;
        std::filesystem::path arg(argv[i]);
        if (std::filesystem::is_regular_file(arg, ec)) {
            ok = RunFile(arg) && ok;
            ++runs;
            continue;
        }
        if (!std::filesystem::is_directory(arg, ec)) {
            std::fprintf(stderr, "no such file or directory: %s\n", argv[i]);
            ok = false;
            continue;
        }
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(arg, ec)) {
            if (entry.is_regular_file()) files.push_back(entry.path());
        }
        if (ec) {
            std::fprintf(stderr, "cannot list %s: %s\n", argv[i], ec.message().c_str());
            ok = false;
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            ok = RunFile(f) && ok;
            ++runs;
        }
    }
    std::printf("replayed %zu inputs\n", runs);
    return ok && runs > 0 ? 0 : 1;
}
