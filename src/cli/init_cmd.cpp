#include "cli/init_cmd.h"

#include <cstdio>
#include <string>

#include "app/init_data_dir.h"
#include "base/result.h"

namespace vigil::cli {

namespace {

constexpr const char* kCmd = "vigil init";

int ExitCode(const Error& error) {
    switch (error.code) {
        case Code::kInvalidArgument:
        case Code::kAlreadyExists:
        case Code::kPermissionDenied:
        case Code::kFailedPrecondition:
        case Code::kNotFound:
        case Code::kUnavailable:
            return 2;
        default:
            return 1;
    }
}

}  // namespace

int RunInit(const InitOptions& opt) {
    // The directory layout, keys, database and rollback live in app::InitDataDir, which the
    // server's tests use too.
    app::InitDataDirOptions init;
    init.data_dir = opt.data_dir;
    init.admin_username = opt.admin_username;
    init.force = opt.force;
    init.now_ns = opt.now_ns;
    auto result = app::InitDataDir(init);
    if (!result) {
        std::fprintf(stderr, "%s: %s\n", kCmd, result.error().message.c_str());
        return ExitCode(result.error());
    }
    const std::string dir = result->data_dir.string();
    std::printf(
        "%s: initialised %s\n"
        "  keys/seal.key               AES-256 key sealing secrets at rest (back it up apart "
        "from the data)\n"
        "  keys/audit-signing.pem      Ed25519 key signing the audit trail (key id %s)\n"
        "  keys/audit-signing.pub.pem  public key for `vigil audit verify`\n"
        "  vigil.yml                   configuration\n"
        "  state.db                    users, tokens and the audit trail\n"
        "\n"
        "First administrator: %s\n"
        "One-time password:   %s\n"
        "\n"
        "This password is shown only once. The first sign-in forces a password change and the\n"
        "enrolment of an authenticator app (TOTP).\n",
        kCmd, dir.c_str(), result->audit_key_id.c_str(), result->admin_username.c_str(),
        result->one_time_password.c_str());
    std::fflush(stdout);
    return 0;
}

}  // namespace vigil::cli
