#!/usr/bin/env bash
# Load benchmark of `vigil serve` with wrk (Debian package): a fresh data directory, the first
# administrator signed in the way a person would (one-time password, password change, TOTP
# enrolment, sign-in with a code), an API token with users.read, then wrk against the
# authenticated read endpoints GET /api/v1/users and GET /api/v1/system/status over TLS 1.3.
# Prints requests/s and the latency percentiles (p50 ... p99) of each.
#
#   bash bench/serve_wrk.sh [build-dir] [seconds] [connections]   (default: build/release 20 32)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
SECONDS_RUN=${2:-20}
CONNECTIONS=${3:-32}
if ! command -v wrk >/dev/null; then
  echo "serve_wrk: installing wrk (Debian package)" >&2
  ${SUDO:-$([ "$(id -u)" -eq 0 ] || echo sudo)} apt-get install -y -qq wrk >/dev/null
fi
cmake --build "$BUILD" --target vigil >/dev/null
VIGIL=$BUILD/src/cli/vigil
TMP=$(mktemp -d)
PID=""
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

"$VIGIL" init "$TMP/data" >"$TMP/init.out"
OTP=$(sed -n 's/^One-time password: *//p' "$TMP/init.out")
# The per-IP rate limit protects sign-in from guessing; the benchmark measures the server, so
# its one client address gets a limit it cannot reach.
sed -i 's/^  rate_limit_per_second: .*/  rate_limit_per_second: 100000000/; s/^  rate_limit_burst: .*/  rate_limit_burst: 100000000/' \
    "$TMP/data/vigil.yml"
"$VIGIL" serve --data "$TMP/data" --port 0 --threads "$(nproc)" >"$TMP/serve.out" 2>&1 &
PID=$!
for _ in $(seq 200); do
  PORT=$(sed -n 's|^vigil serve: listening on https://127.0.0.1:\([0-9]*\)$|\1|p' "$TMP/serve.out")
  [[ -n ${PORT:-} ]] && break
  sleep 0.05
done
[[ -n ${PORT:-} ]] || { cat "$TMP/serve.out" >&2; exit 1; }
URL="https://127.0.0.1:$PORT"

TOKEN=$(python3 tests/tools/vigil_token.py "$URL" "$OTP" users.read system.status)

for path in /api/v1/users /api/v1/system/status; do
  echo "== GET $path  (${SECONDS_RUN}s, $CONNECTIONS connections, $(nproc) wrk threads, server threads $(nproc))"
  wrk -t "$(nproc)" -c "$CONNECTIONS" -d "${SECONDS_RUN}s" --latency \
      -H "Authorization: Bearer $TOKEN" "$URL$path" | tee "$TMP/wrk.out" |
      grep -E "Requests/sec|Non-2xx|Latency  |^ +(50|75|90|99)%|requests in"
done
