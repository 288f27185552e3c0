#pragma once
// `vigil keys rotate --data DIR`: a new seal key, every sealed secret re-sealed under it, the
// old key deleted once nothing needs it; audited as keys.rotate. Refused while `vigil serve`
// runs on DIR. Only the seal key is rotated (see docs/backup.md).
//
// Exit codes: 0 rotated; 1 failed; 2 usage or configuration error (no data directory, the
// directory is in use).

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace vigil::cli {

struct KeysRotateCmdOptions {
    std::string data_dir;
};

int RunKeysRotate(const KeysRotateCmdOptions& options);

// Registers `keys rotate`; Run() after parsing returns its exit code, or nullopt.
class KeysCommands {
public:
    void Register(CLI::App& app);
    std::optional<int> Run() const;

private:
    KeysRotateCmdOptions rotate_;
    CLI::App* rotate_cmd_ = nullptr;
};

}  // namespace vigil::cli
