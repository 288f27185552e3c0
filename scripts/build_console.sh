#!/usr/bin/env bash
# Builds the web console: web/ -> web/dist (served by `vigil serve --console web/dist`).
# Runs `npm ci` only when web/node_modules is missing or package-lock.json changed since the
# last install, then `npm run build` (type check + Vite). No network access beyond the npm
# registry; no browser download.
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v npm >/dev/null; then
    echo "build_console: npm not found (bash scripts/deps.sh installs it)" >&2
    exit 1
fi
stamp=node_modules/.vigil-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    echo "build_console: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
fi
npm run --silent build
