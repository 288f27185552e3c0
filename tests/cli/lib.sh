# Shared harness of the CLI end-to-end tests. Source it after setting VIGIL (the binary) and
# TMP (a scratch folder the caller removes); each check prints one line and the script ends
# with `finish NAME`, which prints "NAME: N passed, M failed" and sets the exit code.

PASSED=0
FAILED=0
RC=0

# scratch NAME: makes TMP (removed at exit, with every process in PIDS killed) and enters it.
# For scripts that start servers; call it right after sourcing this file.
PIDS=()
scratch() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-$1.XXXXXX")
    trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
    cd "$TMP"
}

pass() {
    PASSED=$((PASSED + 1))
    echo "ok   - $1"
}
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL - $1"
    echo "  --- exit code: $RC"
    echo "  --- stdout:"
    head -n 30 "$TMP/out" 2>/dev/null | sed 's/^/  | /'
    echo "  --- stderr:"
    head -n 30 "$TMP/err" 2>/dev/null | sed 's/^/  | /'
}
# check <description> <command...>: passes when the command succeeds.
check() {
    local desc=$1
    shift
    if "$@"; then pass "$desc"; else fail "$desc"; fi
}
# vigil <args...>: runs the binary, stdout -> out, stderr -> err, exit code -> RC.
vigil() {
    RC=0
    "$VIGIL" "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
}
rc_is() { [[ $RC -eq $1 ]]; }
out_has() { grep -qF -- "$1" "$TMP/out"; }
err_has() { grep -qF -- "$1" "$TMP/err"; }
out_lacks() { ! grep -qF -- "$1" "$TMP/out"; }
out_lines() { [[ $(wc -l <"$TMP/out") -eq $1 ]]; }
count_in_out() { grep -cF -- "$1" "$TMP/out" || true; }
# py <program>: runs python3 with the program, stdout of the last vigil run on stdin.
py() { python3 -c "$1" <"$TMP/out"; }

finish() {
    echo "$1: $PASSED passed, $FAILED failed"
    [[ $FAILED -eq 0 ]]
}

# The port `vigil serve` (process PID) printed in FILE ("listening on https://127.0.0.1:PORT"),
# waiting up to 10 s; empty when it exits first or never listens. FILE may not exist yet: the
# background shell that runs the server opens its redirection after the caller goes on.
serve_port() {
    local file=$1 pid=$2 port=""
    for _ in $(seq 200); do
        port=$(sed -n 's|^vigil serve: listening on https://127.0.0.1:\([0-9]*\)$|\1|p' "$file" 2>/dev/null || true)
        [[ -n $port ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "$port"
}
