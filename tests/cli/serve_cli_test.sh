#!/usr/bin/env bash
# End-to-end tests of `vigil serve`: a data directory from `vigil init`, the server on an
# ephemeral port, curl over TLS 1.3 (TLS 1.2 refused), the one-time password sign-in, Ctrl-C,
# and the audit trail the run leaves (checked with `vigil audit verify`).
#
#   bash tests/cli/serve_cli_test.sh <path to vigil>
#
# Prints one line per check and a final "cli.serve: N passed, M failed"; exits 1 on failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

VIGIL=$(realpath "$1")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-serve-cli.XXXXXX")
SERVE_PID=""
cleanup() {
    if [[ -n $SERVE_PID ]]; then kill -KILL "$SERVE_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
cd "$TMP"

# shellcheck source=lib.sh
source "$HERE/lib.sh"

DIR="$TMP/data"
vigil init "$DIR"
check "init exits 0" rc_is 0
PASSWORD=$(sed -n 's/^One-time password: *//p' "$TMP/out")

# --- errors before listening -------------------------------------------------------------

vigil serve --data "$TMP/missing" --port 0
check "serve on a missing data dir exits 2" rc_is 2
check "serve names the missing configuration" err_has "vigil.yml"

# --- start ---------------------------------------------------------------------------------

"$VIGIL" serve --data "$DIR" --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE_PID=$!
PORT=$(serve_port "$TMP/serve.out" "$SERVE_PID")
cp "$TMP/serve.out" "$TMP/out"
cp "$TMP/serve.err" "$TMP/err"
check "serve prints the listening line with the port" [ -n "$PORT" ]
PORT=${PORT:-1}
URL="https://127.0.0.1:$PORT"

code() { curl -sk -o "$TMP/out" -w '%{http_code}' "$@" 2>"$TMP/err" || true; }
check "health is 200 over TLS" [ "$(code "$URL/api/v1/health")" = 200 ]
check "health body" out_has '"status":"ok"'
check "the self-signed certificate verifies as localhost" \
    curl -s -o /dev/null --cacert "$DIR/tls/cert.pem" --resolve "localhost:$PORT:127.0.0.1" \
    "https://localhost:$PORT/api/v1/health"
check "TLS 1.2 is refused" bash -c "! curl -sk --tls-max 1.2 -o /dev/null '$URL/api/v1/health'"
check "unauthenticated /users is 401" [ "$(code "$URL/api/v1/users")" = 401 ]

login() {
    code -X POST -H 'Content-Type: application/json' -c "$TMP/jar" \
        --data "{\"username\":\"admin\",\"password\":\"$1\"}" "$URL/api/v1/auth/login"
}
check "wrong password is 401" [ "$(login 'Not-The-Password-1')" = 401 ]
check "one-time password signs in (200)" [ "$(login "$PASSWORD")" = 200 ]
check "... and asks for a password change" out_has '"must_change_password":true'
check "session cookie is HttpOnly" grep -q '#HttpOnly_127.0.0.1' "$TMP/jar"
check "limited session cannot list users" \
    [ "$(code -b "$TMP/jar" "$URL/api/v1/users")" = 403 ]

# --- Ctrl-C ----------------------------------------------------------------------------------

kill -INT "$SERVE_PID"
RC=0
wait "$SERVE_PID" || RC=$?
SERVE_PID=""
cp "$TMP/serve.out" "$TMP/out"
cp "$TMP/serve.err" "$TMP/err"
check "SIGINT: exit code 0" rc_is 0
check "SIGINT: says it is stopping" out_has "SIGINT received, stopping"
check "port closed after stop" bash -c "! curl -sk -o /dev/null --max-time 2 '$URL/api/v1/health'"

# --- the audit trail of the run --------------------------------------------------------------

vigil audit verify --db "$DIR/state.db" --public-key "$DIR/keys/audit-signing.pub.pem"
check "audit verify exits 0 after the run" rc_is 0
vigil audit export --db "$DIR/state.db"
check "audit: server.start recorded" out_has '"action":"server.start"'
check "audit: server.stop recorded" out_has '"action":"server.stop"'
check "audit: failed sign-in recorded" \
    py 'import sys, json; rs = [json.loads(l) for l in sys.stdin]; assert any(r["action"] == "auth.login" and r["result"] == "failure" and r["actor"] == "admin" and r["source_ip"] == "127.0.0.1" for r in rs)'
check "audit: successful sign-in recorded" \
    py 'import sys, json; rs = [json.loads(l) for l in sys.stdin]; assert any(r["action"] == "auth.login" and r["result"] == "success" for r in rs)'
check "audit: no password in any record" bash -c "! grep -qF -- '$PASSWORD' '$TMP/out' && ! grep -qF 'Not-The-Password-1' '$TMP/out'"

# A second server on the same data directory resumes the chain.
"$VIGIL" serve --data "$DIR" --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE_PID=$!
for _ in $(seq 200); do
    grep -q "listening on" "$TMP/serve.out" && break
    sleep 0.05
done
kill -TERM "$SERVE_PID"
RC=0
wait "$SERVE_PID" || RC=$?
SERVE_PID=""
check "SIGTERM: exit code 0" rc_is 0
vigil audit verify --db "$DIR/state.db" --public-key "$DIR/keys/audit-signing.pub.pem"
check "audit verify exits 0 after a second run" rc_is 0

finish cli.serve
