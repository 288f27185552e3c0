#include "cli/serve_cmd.h"

#include "app/app.h"

namespace vigil::cli {

int RunServe(const ServeCmdOptions& options) {
    app::ServeOptions serve;
    serve.data_dir = options.data_dir;
    serve.port = options.port;
    serve.bind = options.bind;
    serve.threads = options.threads;
    if (options.console_dir) serve.console_dir = *options.console_dir;
    return app::RunServe(serve);
}

}  // namespace vigil::cli
