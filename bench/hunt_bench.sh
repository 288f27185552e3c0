#!/usr/bin/env bash
# End-to-end `vigil hunt` benchmark: the full SigmaHQ rule set over N events of the
# benchmark mix, one thread and all threads. Prints load time, events/s and peak memory.
#
#   bash bench/hunt_bench.sh [build-dir] [events]      (default: build/release 1000000)
#   VIGIL=PATH: another vigil binary (an A/B run against a saved build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
N=${2:-1000000}
SIGMA=../shared/data/sigma
[ -d "$SIGMA" ] || { echo "hunt_bench: $SIGMA not found; skipping" >&2; exit 0; }
cmake --build "$BUILD" --target vigil vigil_event_mix >/dev/null
VIGIL=${VIGIL:-$BUILD/src/cli/vigil}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BUILD/bench/vigil_event_mix" "$N" >"$TMP/events.jsonl"
echo "events: $N ($(du -h "$TMP/events.jsonl" | cut -f1))"
RULES=(-r "$SIGMA/rules" -r "$SIGMA/rules-emerging-threats" -r "$SIGMA/rules-threat-hunting"
       -r "$SIGMA/rules-placeholder" -r "$SIGMA/rules-compliance")
for threads in 1 "$(nproc)"; do
  /usr/bin/time -f "%M" -o "$TMP/rss" "$VIGIL" hunt "${RULES[@]}" -f jsonl \
      --threads "$threads" "$TMP/events.jsonl" >"$TMP/out.jsonl" 2>"$TMP/err"
  load=$(grep -o '([0-9.]* s)' "$TMP/err" | head -1)
  summary=$(grep 'events,' "$TMP/err")
  echo "threads=$threads load=$load peak_rss=$(( $(cat "$TMP/rss") / 1024 )) MB :: $summary"
done
