#!/usr/bin/env bash
# Issue 4, must-show 2: `kill -9` of `vigil serve` during a sustained HTTP intake and file-tail
# load, then a restart: every acknowledged HTTP event and every written line is stored exactly
# once (ids compared with the sqlite3 shell).
#
#   bash tests/cli/ingest_crash_test.sh <path to vigil>
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VIGIL=$(realpath "$1")
# shellcheck source=lib.sh
source "$HERE/lib.sh"
scratch ingest-crash

DIR="$TMP/data"
"$VIGIL" init "$DIR" >"$TMP/init.out"
OTP=$(sed -n 's/^One-time password: *//p' "$TMP/init.out")
mkdir -p "$TMP/logs"
cat >>"$DIR/vigil.yml" <<CONF

ingest:
  sources:
    - {name: files, type: file, paths: ["$TMP/logs/*.log"], decoder: text}
CONF

start_serve() {
    "$VIGIL" serve --data "$DIR" --port 0 >"$TMP/serve.out" 2>&1 &
    SERVE=$!
    PIDS+=("$SERVE")
    PORT=$(serve_port "$TMP/serve.out" "$SERVE")
    [[ -n $PORT ]] || { cat "$TMP/serve.out" >&2; exit 1; }
}

start_serve
TOKEN=$(python3 "$HERE/../tools/vigil_token.py" "https://127.0.0.1:$PORT" "$OTP" events.ingest)

# HTTP load: batches of 100 NDJSON events; the ids of a batch are recorded only after its 202.
cat >"$TMP/sender.py" <<'PY'
import json, ssl, sys, urllib.request
port, token, out = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
n = 0
with open(out, "a") as acked:
    while True:
        body = "".join(json.dumps({"seq": n + i, "message": f"load event {n + i}"}) + "\n"
                       for i in range(100))
        req = urllib.request.Request(f"https://127.0.0.1:{port}/api/v1/events", method="POST",
                                     data=body.encode())
        req.add_header("Authorization", "Bearer " + token)
        req.add_header("Content-Type", "application/x-ndjson")
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
                if r.status == 202:
                    for i in json.loads(r.read())["ids"]:
                        acked.write(i.replace("-", "") + "\n")
                    acked.flush()
        except Exception:
            sys.exit(0)  # the server died: what was not acknowledged may be lost
        n += 100
PY
: >"$TMP/acked.txt"
python3 "$TMP/sender.py" "$PORT" "$TOKEN" "$TMP/acked.txt" &
SENDER=$!
PIDS+=("$SENDER")
# File load: numbered lines, 200 at a time.
(
    i=0
    while true; do
        for _ in $(seq 200); do echo "file line $i" ; i=$((i + 1)); done >>"$TMP/logs/app.log"
        sleep 0.02
    done
) &
WRITER=$!
PIDS+=("$WRITER")

sleep 3
kill -KILL "$SERVE"
wait "$SERVE" 2>/dev/null || true
wait "$SENDER" 2>/dev/null || true
sleep 0.5  # the file keeps growing while Vigil is down
kill "$WRITER"
wait "$WRITER" 2>/dev/null || true
# The complete lines in the file (the writer may have been stopped inside a block of 200; a
# last line without its newline is not a record yet).
LINES=$(wc -l <"$TMP/logs/app.log")
ACKED=$(wc -l <"$TMP/acked.txt")
check "load was acknowledged before the kill ($ACKED events)" [ "$ACKED" -gt 0 ]

start_serve
# Wait until every line and every acknowledged event is stored (or 60 s).
count() {
    local total=0 n
    for db in "$DIR"/events/20*.db; do
        [[ $db == *-wal || $db == *-shm ]] && continue
        n=$(sqlite3 "$db" "SELECT count(*) FROM events WHERE source = '$1'" 2>/dev/null || echo 0)
        total=$((total + n))
    done
    echo "$total"
}
for _ in $(seq 120); do
    [[ $(count files) -ge $LINES && $(count http) -ge $ACKED ]] && break
    sleep 0.5
done
for db in "$DIR"/events/20*.db; do
    [[ $db == *-wal || $db == *-shm ]] && continue
    sqlite3 "$db" "SELECT lower(hex(id)) FROM events WHERE source = 'http'" >>"$TMP/stored_http.txt"
    sqlite3 "$db" "SELECT raw FROM events WHERE source = 'files'" >>"$TMP/stored_files.txt"
done
sort "$TMP/acked.txt" >"$TMP/acked.sorted"
sort "$TMP/stored_http.txt" >"$TMP/stored.sorted"
MISSING=$(comm -23 "$TMP/acked.sorted" "$TMP/stored.sorted" | wc -l)
DUP_HTTP=$(uniq -d "$TMP/stored.sorted" | wc -l)
check "every acknowledged HTTP event is stored ($ACKED acknowledged, $MISSING missing)" \
    [ "$MISSING" -eq 0 ]
check "no HTTP event is stored twice" [ "$DUP_HTTP" -eq 0 ]
FILE_STORED=$(wc -l <"$TMP/stored_files.txt")
FILE_UNIQUE=$(sort -u "$TMP/stored_files.txt" | wc -l)
check "every written line is stored ($LINES lines, $FILE_UNIQUE distinct stored)" \
    [ "$FILE_UNIQUE" -eq "$LINES" ]
check "no line is stored twice ($FILE_STORED rows)" [ "$FILE_STORED" -eq "$FILE_UNIQUE" ]
kill -INT "$SERVE"
wait "$SERVE" 2>/dev/null || true
finish cli.ingest_crash
