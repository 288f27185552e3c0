#include "cli/keys_cmd.h"

#include <cstdio>

#include <CLI/CLI.hpp>

#include "app/keys_rotate.h"
#include "base/result.h"
#include "cli/backup_cmd.h"

namespace vigil::cli {

int RunKeysRotate(const KeysRotateCmdOptions& opt) {
    constexpr const char* kCmd = "vigil keys rotate";
    app::RotateSealKeyOptions rotate;
    rotate.data_dir = opt.data_dir;
    rotate.actor = CliActor();
    auto result = app::RotateSealKey(rotate);
    if (!result) {
        std::fprintf(stderr, "%s: %s\n", kCmd, result.error().message.c_str());
        switch (result.error().code) {
            case Code::kInvalidArgument:
            case Code::kNotFound:
            case Code::kPermissionDenied:
            case Code::kFailedPrecondition:
                return 2;
            default:
                return 1;
        }
    }
    std::printf("%s: seal key %s replaced by %s in %s\n", kCmd, result->old_key_id.c_str(),
                result->new_key_id.c_str(), opt.data_dir.c_str());
    std::printf(
        "  %zu sealed values (TOTP secrets) re-sealed under the new key; the old key is "
        "deleted\n",
        result->resealed);
    if (result->resumed) {
        std::printf("  this finished a rotation that an interrupted run had started\n");
    }
    std::printf("Archives made before now hold the old key: keep them as safe as before.\n");
    std::fflush(stdout);
    return 0;
}

void KeysCommands::Register(CLI::App& app) {
    auto* keys = app.add_subcommand("keys", "Key management");
    keys->require_subcommand(1);
    rotate_cmd_ = keys->add_subcommand(
        "rotate",
        "Replace the seal key and re-seal every secret under it (stop vigil serve first)");
    rotate_cmd_->add_option("--data", rotate_.data_dir, "Data directory")->required();
}

std::optional<int> KeysCommands::Run() const {
    if (rotate_cmd_ && rotate_cmd_->parsed()) return RunKeysRotate(rotate_);
    return std::nullopt;
}

}  // namespace vigil::cli
