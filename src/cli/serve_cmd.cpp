#include "cli/serve_cmd.h"

#include <sys/stat.h>

#include "app/app.h"

namespace vigil::cli {

int RunServe(const ServeCmdOptions& options) {
    // What serve creates in the data directory (event partitions, the spool, run/) is the
    // owner's alone, whatever umask it was started with; a backup restores those modes.
    ::umask(077);
    app::ServeOptions serve;
    serve.data_dir = options.data_dir;
    serve.port = options.port;
    serve.bind = options.bind;
    serve.threads = options.threads;
    if (options.console_dir) serve.console_dir = *options.console_dir;
    return app::RunServe(serve);
}

}  // namespace vigil::cli
