#!/usr/bin/env bash
# Browser tests of the web console: data directories from `vigil init`, `vigil serve` with the
# built console (web/dist) on ephemeral ports (one server for console.test.mjs, one with an
# ingest section for events.test.mjs), and `node --test web/tests/`, which drives Debian's
# Chromium through playwright-core against them.
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
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

# init_dir NAME: `vigil init $TMP/NAME`; prints the administrator's one-time password.
init_dir() {
    "$VIGIL" init "$TMP/$1" >"$TMP/$1.init.out" 2>"$TMP/$1.init.err" || {
        cat "$TMP/$1.init.out" "$TMP/$1.init.err" >&2
        return 1
    }
    local password
    password=$(sed -n 's/^One-time password: *//p' "$TMP/$1.init.out")
    if [[ -z $password ]]; then
        echo "console.browser: no 'One-time password:' line in the output of vigil init" >&2
        return 1
    fi
    echo "$password"
}

# serve NAME: `vigil serve` on $TMP/NAME with the console, on a free port; sets PORT.
serve() {
    : >"$TMP/$1.serve.out"
    "$VIGIL" serve --data "$TMP/$1" --console "$WEB/dist" --port 0 \
        >"$TMP/$1.serve.out" 2>"$TMP/$1.serve.err" &
    local pid=$!
    PIDS+=("$pid")
    PORT=""
    for _ in $(seq 300); do
        PORT=$(sed -n 's|^vigil serve: listening on https://127.0.0.1:\([0-9]*\)$|\1|p' "$TMP/$1.serve.out")
        [[ -n $PORT ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if [[ -z $PORT ]]; then
        echo "console.browser: vigil serve ($1) did not start" >&2
        cat "$TMP/$1.serve.out" "$TMP/$1.serve.err" >&2
        return 1
    fi
}

# console.test.mjs: a fresh server of its own (it signs the administrator in the first time).
PASSWORD=$(init_dir data)
serve data
CONSOLE_PORT=$PORT

# events.test.mjs: another fresh server, with the repository's Sigma rules and a syslog-udp
# source on a port that was free a moment ago (the status does not show the port of port 0).
EVENTS_PASSWORD=$(init_dir events)
SYSLOG_PORT=$(node -e "const s = require('dgram').createSocket('udp4');
s.bind(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });")
cat >>"$TMP/events/vigil.yml" <<CONF

ingest:
  rules: [$ROOT/rules]
  sources:
    - {name: syslog-udp, type: syslog-udp, bind: 127.0.0.1, port: $SYSLOG_PORT, decoder: rfc5424}
CONF
serve events
EVENTS_PORT=$PORT

RC=0
(cd "$WEB" && VIGIL_URL="https://127.0.0.1:$CONSOLE_PORT" VIGIL_ADMIN_PASSWORD="$PASSWORD" \
    VIGIL_EVENTS_URL="https://127.0.0.1:$EVENTS_PORT" VIGIL_EVENTS_ADMIN_PASSWORD="$EVENTS_PASSWORD" \
    VIGIL_EVENTS_SYSLOG_PORT="$SYSLOG_PORT" \
    VIGIL_SCREENSHOTS="${VIGIL_SCREENSHOTS:-$TMP/screenshots}" \
    node --test --test-concurrency=1 tests/) || RC=$?
if [[ $RC -ne 0 ]]; then
    for name in data events; do
        echo "--- vigil serve ($name) stderr (last 40 lines):"
        tail -n 40 "$TMP/$name.serve.err"
    done
fi
exit $RC
