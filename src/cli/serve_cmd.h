#pragma once
// `vigil serve --data DIR [--port N] [--bind ADDR] [--console DIR]`: the HTTPS API on the data
// directory that `vigil init` created. Prints "vigil serve: listening on https://BIND:PORT" once it
// accepts connections and runs until SIGINT or SIGTERM, then stops gracefully.
//
// Exit codes: 0 stopped by a signal, 1 internal error, 2 configuration error (missing or
// invalid vigil.yml, state database, keys or certificate).

#include <cstdint>
#include <optional>
#include <string>

namespace vigil::cli {

struct ServeCmdOptions {
    std::string data_dir;
    std::optional<uint16_t> port;  // overrides server.port in vigil.yml; 0 = ephemeral
    std::optional<std::string> bind;
    int threads = 1;
    std::optional<std::string> console_dir;  // the built web console (web/dist)
};

int RunServe(const ServeCmdOptions& options);

}  // namespace vigil::cli
