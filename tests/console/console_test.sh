#!/usr/bin/env bash
# Browser tests of the web console: a data directory from `vigil init`, `vigil serve` with the
# built console (web/dist) on an ephemeral port, and `node --test web/tests/`, which drives
# Debian's Chromium through playwright-core against it.
#
#   bash tests/console/console_test.sh <path to vigil>
#
# Needs /usr/bin/chromium and node (exit 77 = skipped without them) and a built console
# (scripts/build_console.sh). Screenshots of the main pages go to $VIGIL_SCREENSHOTS when set.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WEB="$ROOT/web"
SKIP=77

if [[ $# -ne 1 ]]; then
    echo "usage: $0 <path to vigil>" >&2
    exit 2
fi
VIGIL=$(realpath "$1")
CHROMIUM=${VIGIL_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $CHROMIUM ]]; then
    echo "console.browser: SKIPPED: $CHROMIUM not installed (apt-get install chromium)"
    exit $SKIP
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "console.browser: SKIPPED: node/npm not installed"
    exit $SKIP
fi
if [[ ! -f $WEB/dist/index.html ]]; then
    echo "console.browser: web/dist/index.html missing: run bash scripts/build_console.sh" >&2
    exit 1
fi
if [[ ! -d $WEB/node_modules/playwright-core ]]; then
    (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error)
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-console.XXXXXX")
SERVE_PID=""
cleanup() {
    if [[ -n $SERVE_PID ]]; then
        kill -TERM "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

"$VIGIL" init "$TMP/data" >"$TMP/init.out" 2>"$TMP/init.err" || {
    cat "$TMP/init.out" "$TMP/init.err" >&2
    exit 1
}
PASSWORD=$(sed -n 's/^One-time password: *//p' "$TMP/init.out")
if [[ -z $PASSWORD ]]; then
    echo "console.browser: no 'One-time password:' line in the output of vigil init" >&2
    exit 1
fi

: >"$TMP/serve.out"
"$VIGIL" serve --data "$TMP/data" --console "$WEB/dist" --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE_PID=$!
PORT=""
for _ in $(seq 300); do
    PORT=$(sed -n 's|^vigil serve: listening on https://127.0.0.1:\([0-9]*\)$|\1|p' "$TMP/serve.out")
    [[ -n $PORT ]] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
done
if [[ -z $PORT ]]; then
    echo "console.browser: vigil serve did not start" >&2
    cat "$TMP/serve.out" "$TMP/serve.err" >&2
    exit 1
fi

RC=0
(cd "$WEB" && VIGIL_URL="https://127.0.0.1:$PORT" VIGIL_ADMIN_PASSWORD="$PASSWORD" \
    VIGIL_SCREENSHOTS="${VIGIL_SCREENSHOTS:-$TMP/screenshots}" \
    node --test --test-concurrency=1 tests/) || RC=$?
if [[ $RC -ne 0 ]]; then
    echo "--- vigil serve stderr (last 40 lines):"
    tail -n 40 "$TMP/serve.err"
fi
exit $RC
