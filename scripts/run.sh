#!/usr/bin/env bash
# Builds Vigil (release) and runs the main job: a Sigma hunt over the demo logs with the
# rules Vigil ships. Pass extra `vigil hunt` arguments to change it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build_console.sh
cmake --preset release >/dev/null
cmake --build --preset release --target vigil
exec build/release/src/cli/vigil hunt --rules rules/ --stats "$@" demo/
