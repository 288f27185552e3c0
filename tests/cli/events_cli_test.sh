#!/usr/bin/env bash
# End-to-end tests of `vigil events search`, `get` and `stats` on an event store written
# by the test-only seeder (tests/tools/events_seed.cpp).
#
#   bash tests/cli/events_cli_test.sh <path to vigil> <path to events_seed>
#
# Prints one line per check and a final "cli.events: N passed, M failed"; exits 1 on failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

VIGIL=$(realpath "$1")
SEED=$(realpath "$2")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-events-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"

# shellcheck source=lib.sh
source "$HERE/lib.sh"

LAST_ID=$("$SEED" data 500)

vigil events search --data data --limit 10
check "search: newest first, ten lines" rc_is 0
check "search: newest is the sshd failure" bash -c "head -n1 '$TMP/out' | grep -qF 'Failed password for root'"
check "search: ten events listed" out_lines 10
check "search: next-page cursor on stderr" err_has "next page: --cursor "

vigil events search --data data --text "password FOR ROOT" --json
check "text: case-insensitive, one JSON object" out_lines 1
check "text: the id the seeder acknowledged" out_has "\"id\":\"$LAST_ID\""
check "text: fields, logsource, raw in JSON" py "
import json, sys
e = json.loads(sys.stdin.readline())
assert e['fields']['user'] == ['bob', 'root'] or e['fields']['user'] == ['alice', 'root'], e
assert e['logsource']['service'] == 'sshd' and e['raw'].startswith('Failed password')
assert e['host'].startswith('web-') and e['source'] == 'seed'"

vigil events search --data data --text "登录失败"
check "text: Chinese, one event" out_lines 1
check "text: Chinese, the right one" out_has "登录失败"

vigil events search --data data --text '" OR * NEAR('
check "text: FTS syntax in user text is data, not an error" rc_is 0

vigil events search --data data --where "query=x' OR '1'='1; DROP TABLE events;--"
check "where: SQL metacharacters are data" out_lines 1
vigil events search --data data --where user=alice --where host=web-0 --limit 1000
check "where: two terms ANDed" py "
import sys
lines = sys.stdin.read().splitlines()
assert lines and all('  web-0  ' in l for l in lines), lines[:3]"
N_ALICE_WEB0=$(wc -l <"$TMP/out")
vigil events search --data data --where user=alice --limit 1000
check "where: more without the second term" test "$(wc -l <"$TMP/out")" -gt "$N_ALICE_WEB0"

vigil events search --data data --since 48h --limit 1000
check "since 48h: all 500" out_lines 500
vigil events search --data data --since 2h --limit 1000
check "since 2h: only the last ones" test "$(wc -l <"$TMP/out")" -lt 50

# Paging with the cursor visits every event once.
CURSOR=""
: >"$TMP/all"
for _ in $(seq 1 20); do
    if [[ -n $CURSOR ]]; then
        vigil events search --data data --since 48h --limit 75 --json --cursor "$CURSOR"
    else
        vigil events search --data data --since 48h --limit 75 --json
    fi
    cat "$TMP/out" >>"$TMP/all"
    CURSOR=$(sed -n 's/.*next page: --cursor //p' "$TMP/err")
    [[ -z $CURSOR ]] && break
done
check "cursor: 500 distinct ids over the pages" bash -c \
    "python3 -c \"import json,sys; ids=[json.loads(l)['id'] for l in sys.stdin]; assert len(ids)==500==len(set(ids)), len(ids)\" <'$TMP/all'"

vigil events get --data data "$LAST_ID"
check "get: exit 0" rc_is 0
check "get: one line, the event" out_has "Failed password for root"
vigil events get --data data --json --time 1h "$LAST_ID" 00000000-0000-7000-8000-000000000000
check "get: an id not stored is exit 1" rc_is 1
check "get: and named on stderr" err_has "00000000-0000-7000-8000-000000000000: not stored"
check "get: the stored one still printed as JSON" py "
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == 1 and json.loads(lines[0])['id'] == '$LAST_ID', lines"
vigil events get --data data not-an-id
check "get: a malformed id is exit 2" rc_is 2

vigil events stats --data data
check "stats: exit 0" rc_is 0
check "stats: totals line" out_has "500 events, 1 detections"
vigil events stats --data data --json
check "stats: JSON" py "
import json, sys
s = json.load(sys.stdin)
assert s['events'] == 500 and s['detections'] == 1
assert 1 <= len(s['partitions']) <= 3 and all(p['day'] for p in s['partitions'])"

vigil events search --data data --where novalue
check "usage: where without = is exit 2" rc_is 2
check "usage: says what is wrong" err_has "expected field=value"
vigil events search --data data --since yesterday-ish
check "usage: bad time is exit 2" rc_is 2
vigil events search --data data --cursor nonsense
check "usage: bad cursor is exit 2" rc_is 2
vigil events search --data "$TMP/nowhere"
check "missing data directory is exit 2" rc_is 2
vigil events search --data data --since 1h --until 2h
check "empty range is exit 2" rc_is 2

# Read-only: the CLI writes nothing into the store.
vigil events search --data data --text password
vigil events stats --data data
vigil events get --data data "$LAST_ID"
check "search, get and stats modify no file" test "$(find data -name '*.db' -newer "$TMP/all" | wc -l)" -eq 0

finish cli.events
