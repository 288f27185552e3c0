#!/usr/bin/env bash
# Issue 4, must-show 4: peak memory stays bounded under a sustained overload; the spool is used,
# TCP is paused, HTTP answers 503, and nothing is lost.
#
#   bash bench/overload.sh BUILD_DIR [SECONDS]        (default: 600)
#
# A fresh `vigil serve` with a syslog TCP source, the benchmark rule set (bench/lib.sh) and a
# small spool (SPOOL_MB, 64) is fed for SECONDS by vigil_syslog_send over CONNS (8) TCP
# connections at full speed, every message numbered (" seqno=N"), and with HTTP=1 (the default)
# also by an HTTP intake sender (NDJSON batches of 500 numbered events). Once a second:
# vigil's VmRSS / VmHWM, the spool's size, the ingest counters (CSV; a progress line every 10 s).
# Then the drain: until every message the sender wrote (all its bytes taken by Vigil) and every
# HTTP event acknowledged (202) is stored; then the store is checked with the sqlite3 shell:
# every number stored exactly once.
#
# Environment: CONNS (8), SPOOL_MB (64), HTTP (1; needs ~30 s more for an API token),
# MAX_RSS_MB (fail when VmHWM exceeds it; unset: report only), CSV_OUT (copy the samples there),
# KEEP=1 (keep the scratch directory), NO_BUILD=1 (do not build the targets first).
# Exit status: 0 when nothing was lost or stored twice and the run did overload the pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
source bench/lib.sh
BUILD=$(realpath "${1:?usage: bench/overload.sh BUILD_DIR [SECONDS]}")
DURATION=${2:-600}
CONNS=${CONNS:-8}
SPOOL_MB=${SPOOL_MB:-64}
HTTP=${HTTP:-1}
VIGIL=$BUILD/src/cli/vigil
SEND=$BUILD/bench/vigil_syslog_send
[[ ${NO_BUILD:-0} == 1 ]] || cmake --build "$BUILD" --target vigil vigil_syslog_send >/dev/null
command -v sqlite3 >/dev/null || { echo "overload: needs the sqlite3 shell" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-overload.XXXXXX")
DIR=$TMP/data
CSV=$TMP/samples.csv
SERVE_PID="" MONITOR="" SENDER="" HTTP_SENDER=""
cleanup() {
  local p
  for p in $SENDER $HTTP_SENDER $MONITOR; do kill "$p" 2>/dev/null || true; done
  if [[ -n $SERVE_PID ]] && kill -0 "$SERVE_PID" 2>/dev/null; then
    kill -INT "$SERVE_PID" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVE_PID" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  if [[ ${KEEP:-0} == 1 ]]; then echo "overload: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'echo; echo "overload: interrupted" >&2; exit 130' INT TERM

# The last sample's value of a CSV column (0 when empty).
csv_last() { awk -F, -v k="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i; next }
                                { v = $c } END { print v + 0 }' "$CSV"; }

"$VIGIL" init "$DIR" >"$TMP/init.out"
OTP=$(sed -n 's/^One-time password: *//p' "$TMP/init.out")
# One client address sends everything: lift the per-IP rate limit for the HTTP intake.
sed -i 's/^  rate_limit_per_second: .*/  rate_limit_per_second: 0/' "$DIR/vigil.yml"
P=$(free_port)
cat >>"$DIR/vigil.yml" <<CONF

ingest:
  rules: $(vigil_rules)
  workers: $(nproc)
  spool_max_mb: $SPOOL_MB
  sources:
    - {name: overload, type: syslog-tcp, port: $P}
CONF
start_vigil_serve "$VIGIL" "$DIR" "$TMP/serve.out"
wait_port "$P" || { cat "$TMP/serve.out" >&2; exit 1; }
URL=https://127.0.0.1:$API_PORT
TOKEN=""
if [[ $HTTP == 1 ]]; then
  echo "overload: signing in for an API token (up to 30 s: a TOTP code is used once)"
  TOKEN=$(python3 tests/tools/vigil_token.py "$URL" "$OTP" events.ingest system.status)
fi

echo "overload: ${DURATION} s, vigil_syslog_send over $CONNS TCP connections$([[ $HTTP == 1 ]] &&
  echo ' + HTTP intake'), spool_max_mb $SPOOL_MB, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo load >"$TMP/phase"
python3 bench/overload.py sample "$SERVE_PID" "$DIR" "$CSV" "$TMP/phase" overload \
  ${TOKEN:+"$URL" "$TOKEN"} &
MONITOR=$!
if [[ $HTTP == 1 ]]; then
  python3 bench/overload.py http "$URL" "$TOKEN" "$TMP/http.stop" "$TMP/http.out" &
  HTTP_SENDER=$!
fi
LOAD_START=$(date +%s.%N)
"$SEND" "$P" 0 "$CONNS" lf --seconds "$DURATION" --numbered >"$TMP/send.out" &
SENDER=$!
wait "$SENDER"
SENDER=""
SENT=$(sed -n 's/^sent \([0-9]*\) messages.*/\1/p' "$TMP/send.out")
ACKED=0 HTTP_503=0 HTTP_ERRORS=0
if [[ $HTTP == 1 ]]; then
  touch "$TMP/http.stop"
  wait "$HTTP_SENDER"
  HTTP_SENDER=""
  read -r _ ACKED _ HTTP_503 _ HTTP_ERRORS <"$TMP/http.out"
fi
LOAD_END=$(date +%s.%N)
echo "overload: senders stopped: $(cat "$TMP/send.out"); HTTP: $ACKED events acknowledged," \
  "$HTTP_503 batches answered 503, $HTTP_ERRORS errors"

# Drain: until everything accepted is stored and the buffer and spool are empty.
echo drain >"$TMP/phase"
EXPECTED=$((SENT + ACKED))
DRAINED=0
for _ in $(seq $((DURATION * 10 + 1200))); do
  if (($(csv_last accepted_total) >= EXPECTED && $(csv_last stored_total) >= $(csv_last accepted_total) &&
       $(csv_last memory_messages) == 0 && $(csv_last spooled_records) == 0)); then
    DRAINED=1
    break
  fi
  kill -0 "$SERVE_PID" 2>/dev/null || { echo "overload: vigil serve died" >&2; cat "$TMP/serve.out" >&2; exit 1; }
  sleep 0.1
done
DRAIN_END=$(date +%s.%N)
kill "$MONITOR" 2>/dev/null || true
wait "$MONITOR" 2>/dev/null || true
MONITOR=""
[[ -n ${CSV_OUT:-} ]] && cp "$CSV" "$CSV_OUT"
kill -INT "$SERVE_PID"
wait "$SERVE_PID" || echo "overload: vigil serve exited with status $?" >&2
SERVE_PID=""

# The store, with the sqlite3 shell: every partition attached, each message's number taken
# from its raw text (syslog: " seqno=N" at its end; HTTP: the JSON's "seq").
ATTACH="" UNION_S="" UNION_H="" i=0
for db in "$DIR"/events/20*.db; do
  [[ $db == *-wal || $db == *-shm ]] && continue
  ATTACH+="ATTACH '$db' AS p$i; "
  UNION_S+="${UNION_S:+ UNION ALL }SELECT raw FROM p$i.events WHERE source = 'overload'"
  UNION_H+="${UNION_H:+ UNION ALL }SELECT raw FROM p$i.events WHERE source = 'http'"
  i=$((i + 1))
done
((i > 0 && i <= 9)) || { echo "overload: $i partitions (expected 1..9)" >&2; exit 1; }
check_numbers() {  # check_numbers UNION EXPR N -> "rows distinct missing unexpected unnumbered"
  local q="$ATTACH CREATE TEMP VIEW v AS SELECT $2 AS n FROM ($1);" out rows distinct unexpected unnumbered missing
  out=$(sqlite3 -batch -separator ' ' :memory: "$q
    SELECT count(*), count(DISTINCT n), coalesce(sum(n < 0 OR n >= $3), 0),
           coalesce(sum(n IS NULL), 0) FROM v")
  read -r rows distinct unexpected unnumbered <<<"${out:-0 0 0 0}"
  missing=$(($3 - distinct))
  if ((unexpected > 0)); then  # numbers outside 0..N-1: count the distinct ones inside
    missing=$(($3 - $(sqlite3 -batch :memory: "$q SELECT count(DISTINCT n) FROM v WHERE n >= 0 AND n < $3")))
  fi
  echo "$rows $distinct $missing $unexpected $unnumbered"
}
VERIFY_START=$(date +%s.%N)
read -r S_ROWS S_DISTINCT S_MISSING S_UNEXPECTED S_UNNUMBERED < <(check_numbers "$UNION_S" \
  "CASE WHEN instr(raw, ' seqno=') > 0 THEN CAST(substr(raw, instr(raw, ' seqno=') + 7) AS INTEGER) END" "$SENT")
H_ROWS=0 H_DISTINCT=0 H_MISSING=0 H_UNEXPECTED=0 H_UNNUMBERED=0
if [[ $HTTP == 1 ]]; then
  read -r H_ROWS H_DISTINCT H_MISSING H_UNEXPECTED H_UNNUMBERED < <(check_numbers "$UNION_H" \
    "CAST(json_extract(raw, '\$.seq') AS INTEGER)" "$ACKED")
fi
VERIFY_END=$(date +%s.%N)
STORE_MB=$(du -sm "$DIR/events" | cut -f1)

secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }
LOAD_SECS=$(secs "$LOAD_START" "$LOAD_END")
echo
echo "=== overload summary ==="
echo "duration (load)        $LOAD_SECS s, $CONNS TCP connections$([[ $HTTP == 1 ]] && echo ' + HTTP intake')"
echo "syslog messages sent   $SENT  ($(python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):,.0f}')" "$SENT" "$LOAD_SECS")/s on average: as fast as Vigil took them)"
[[ $HTTP == 1 ]] && echo "HTTP events acked      $ACKED  ($HTTP_503 batches of 500 answered 503, $HTTP_ERRORS errors)"
python3 bench/overload.py summary "$CSV" $((SPOOL_MB << 20)) "${MAX_RSS_MB:-}" || SUMMARY_FAIL=1
echo "drain                  $(secs "$LOAD_END" "$DRAIN_END") s after the senders stopped$([[ $DRAINED == 1 ]] || echo ' (TIMED OUT)')"
echo "store                  $STORE_MB MB in $i partition(s); checked in $(secs "$VERIFY_START" "$VERIFY_END") s"
echo "syslog stored          $S_ROWS rows, $S_DISTINCT distinct numbers: $S_MISSING missing, $((S_ROWS - S_DISTINCT)) duplicates, $S_UNEXPECTED unexpected, $S_UNNUMBERED unnumbered"
[[ $HTTP == 1 ]] && echo "HTTP stored            $H_ROWS rows, $H_DISTINCT distinct numbers: $H_MISSING missing, $((H_ROWS - H_DISTINCT)) duplicates, $H_UNEXPECTED unexpected, $H_UNNUMBERED unnumbered"
RC=0
if ((S_MISSING || S_ROWS != S_DISTINCT || S_UNEXPECTED || S_UNNUMBERED || S_ROWS != SENT)); then
  echo "FAIL: syslog messages lost or stored twice"; RC=1
fi
if ((H_MISSING || H_ROWS != H_DISTINCT || H_UNEXPECTED || H_UNNUMBERED || H_ROWS != ACKED)); then
  echo "FAIL: HTTP events lost or stored twice"; RC=1
fi
((SENT > 0)) || { echo "FAIL: nothing sent"; RC=1; }
[[ $DRAINED == 1 ]] || { echo "FAIL: the drain did not finish"; RC=1; }
[[ -z ${SUMMARY_FAIL:-} ]] || RC=1
[[ $RC == 0 ]] && echo "PASS: nothing lost, nothing stored twice"
exit $RC
