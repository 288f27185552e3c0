#!/usr/bin/env bash
# End-to-end tests of `vigil status`: a data directory from `vigil init` with a tailed access log,
# `vigil serve` on an ephemeral port, good and malformed lines written to the log, the table and
# the --json form while serve runs, then SIGTERM and the state at stop; a stale snapshot, a
# directory that is not a data directory.
#
#   bash tests/cli/status_cli_test.sh <path to vigil> <source dir (for rules/)>
#
# Prints one line per check and a final "cli.status: N passed, M failed"; exits 1 on failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

VIGIL=$(realpath "$1")
SRC=$(realpath "$2")
# shellcheck source=lib.sh
source "$HERE/lib.sh"
scratch status-cli

DIR="$TMP/data"
vigil init "$DIR"
check "init exits 0" rc_is 0
mkdir -p "$TMP/logs"
cat >>"$DIR/vigil.yml" <<CONF

ingest:
  rules: [$SRC/rules/web]
  sources:
    - {name: weblog, type: file, paths: ["$TMP/logs/*.log"], decoder: access}
CONF

# --- before serve ever ran ---------------------------------------------------------------------

vigil status --data "$DIR"
check "never run: exit 3 (not running)" rc_is 3
check "never run: says serve is not running" out_has "vigil serve: not running on $DIR"
check "never run: no snapshot yet" out_has "No status snapshot"
vigil status --data "$DIR" --json
check "never run, --json: exit 3" rc_is 3
check "never run, --json: running false, no age" py "
import json, sys
s = json.load(sys.stdin)
assert s['running'] is False and s['age_seconds'] is None, s"

# --- serve with a tailed log -------------------------------------------------------------------

"$VIGIL" serve --data "$DIR" --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE=$!
PIDS+=("$SERVE")
for _ in $(seq 200); do
    grep -q "listening on" "$TMP/serve.out" && break
    kill -0 "$SERVE" 2>/dev/null || break
    sleep 0.05
done
check "serve is listening" grep -q "listening on" "$TMP/serve.out"

GOOD='198.51.100.9 - - [21/Nov/2026:08:16:00 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
SQLI='198.51.100.9 - - [21/Nov/2026:08:16:01 +0000] "GET /item.php?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users-- HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
{
    echo "$GOOD"
    echo "$SQLI"
    echo "$GOOD"
    echo "this is not an access log line"
    printf 'terminal trick \033[31mred\033[0m here\n'
} >>"$TMP/logs/access.log"

# Serve writes the snapshot every 5 s: wait (bounded) until it shows the five lines stored.
for _ in $(seq 300); do
    vigil status --data "$DIR" --json
    if [[ $RC -eq 0 ]] && py "
import json, sys
s = json.load(sys.stdin)
w = [x for x in s['sources'] if x['name'] == 'weblog'][0]
assert w['received'] == 5 and w['stored'] == 5" 2>/dev/null; then
        break
    fi
    sleep 0.2
done
check "running, --json: exit 0 once the lines are stored" rc_is 0
check "running, --json: running, current, counters per source" py "
import json, sys
s = json.load(sys.stdin)
assert s['running'] is True and s['stale'] is False, s
assert 0 <= s['age_seconds'] <= 30, s['age_seconds']
assert s['updated_at'].endswith('Z') and s['rules_loaded'] >= 1, s
assert s['accepted_total'] >= 5 and s['stored_total'] >= 5, s
assert set(s['buffer']) >= {'memory_messages', 'spooled_records', 'spooled_bytes', 'spooled_total', 'refused_total'}
w = [x for x in s['sources'] if x['name'] == 'weblog'][0]
assert w['type'] == 'file' and w['decoder'] == 'access', w
assert w['received'] == 5 and w['stored'] == 5 and w['malformed'] == 2 and w['parsed'] == 3, w
assert w['detections'] >= 1 and w['refused'] == 0 and w['silent'] is False, w
assert w['last_received_at'].endswith('Z'), w
assert len(w['malformed_samples']) == 2, w['malformed_samples']
assert any('this is not an access log line' in x for x in w['malformed_samples']), w
assert any(x['name'] == 'http' for x in s['sources'])"

vigil status --data "$DIR"
check "running: exit 0" rc_is 0
check "running: says serve runs, with its pid" out_has "vigil serve: running on $DIR (pid $SERVE,"
check "running: snapshot age" grep -qE '^Snapshot: updated [0-9]+ s ago' "$TMP/out"
check "running: no warning" out_lacks "WARNING"
check "running: table header" grep -qE '^SOURCE +TYPE +DECODER +STATE +RATE/S +RECEIVED +STORED +MALFORMED +REFUSED +DETECTIONS +LAST EVENT$' "$TMP/out"
# weblog  file  access  receiving  <rate>  5  5  2  0  <detections>  N s ago
check "running: the source's row" grep -qE '^weblog +file +access +receiving +[0-9.]+ +5 +5 +2 +0 +[1-9][0-9]* +[0-9]+ s ago$' "$TMP/out"
check "running: the intake's row" grep -qE '^http +http +auto +idle +0\.0 +0 +0 +0 +0 +0 +never$' "$TMP/out"
check "running: totals" grep -qE '^Totals: +[0-9]+ accepted, [0-9]+ stored, 0 duplicates \(already stored\), [1-9][0-9]* detections, 0 store errors$' "$TMP/out"
check "running: buffer and spool" grep -qE '^Buffer: +[0-9]+ messages in memory; spool: [0-9]+ records' "$TMP/out"
check "running: memory, the process and SQLite's part" grep -qE '^Memory: +[0-9.]+ [KMGT]?i?B resident \(peak [0-9.]+ [KMGT]?i?B\), of which SQLite [0-9.]+ [KMGT]?i?B \(peak ' "$TMP/out"
check "running: rules" grep -qE '^Rules: +[1-9][0-9]* loaded, 0 rejected' "$TMP/out"
check "running: last error" out_has "Last error: none"
check "running: backups are off, and what that risks" out_has "Backups: off (no backup.interval in vigil.yml; see docs/backup.md)"
check "running: malformed samples below the table" out_has "Malformed samples"
check "running: a sample with its reason" grep -qE '^    access: .*this is not an access log line$' "$TMP/out"
check "running: control characters from the log are escaped" out_has 'terminal trick \x1b[31mred\x1b[0m here'
check "running: no raw escape byte reaches the terminal" bash -c "! grep -q \$'\\x1b' '$TMP/out'"

# --- stop: the state at stop -------------------------------------------------------------------

kill -TERM "$SERVE"
RC=0
wait "$SERVE" || RC=$?
check "serve stops on SIGTERM" rc_is 0

touch "$TMP/marker"
sleep 0.1  # file times are coarse: anything status wrote would be clearly newer
vigil status --data "$DIR"
check "stopped: exit 3" rc_is 3
check "stopped: says serve is not running" out_has "vigil serve: not running on $DIR"
check "stopped: the snapshot is the state at stop" out_has "Last snapshot: the state when vigil serve stopped"
check "stopped: the table is still shown" grep -qE '^weblog +file +access +stopped +0\.0 +5 +5 +2 +0 ' "$TMP/out"
vigil status --data "$DIR" --json
check "stopped, --json: exit 3" rc_is 3
check "stopped, --json: running false, final counters" py "
import json, sys
s = json.load(sys.stdin)
assert s['running'] is False and s['stale'] is False and s['age_seconds'] >= 0, s
w = [x for x in s['sources'] if x['name'] == 'weblog'][0]
assert w['stored'] == 5 and w['rate_per_s'] == 0, w"
check "status changed nothing in the data directory" bash -c \
    "[ -z \"\$(find '$DIR' -newer '$TMP/marker' -print -quit)\" ]"
check "the snapshot (its samples are log lines) is readable by its owner only" bash -c \
    "[ \"\$(stat -c %a '$DIR/run/ingest-status.json')\" = 600 ]"

# --- the scheduled backups: a failed last run and no good archive for three days -----------------
# Serve publishes its scheduler's state in run/backup-status.json (the C++ test
# SchedulerTest.TheStateIsPublishedForVigilStatus checks what it writes); this one stands in
# for a server whose backups have been failing.
python3 - "$DIR/run/backup-status.json" <<'PY'
import json, sys, datetime
now = datetime.datetime.now(datetime.timezone.utc)
at = lambda d: (now - d).strftime('%Y-%m-%dT%H:%M:%S.000Z')
json.dump({'enabled': True, 'interval_seconds': 3600, 'dir': '/srv/vigil-backups', 'runs': 4,
           'failures': 4, 'last_success_at': at(datetime.timedelta(days=3)),
           'last_success_file': '/srv/vigil-backups/vigil-backup-20261120T080000Z.vbk',
           'last_run_at': at(datetime.timedelta(minutes=10)), 'last_result': 'failure',
           'last_error': 'backup.passphrase_file: cannot read /etc/vigil/backup.pass',
           'updated_at': at(datetime.timedelta(minutes=10))}, open(sys.argv[1], 'w'))
PY
vigil status --data "$DIR"
check "backups failing: exit 3 (not running) as before" rc_is 3
check "backups failing: where, and the last good archive" out_has "Backups: every 60 min into /srv/vigil-backups; last good archive 3 d ago (vigil-backup-20261120T080000Z.vbk); none scheduled while vigil serve is stopped; 4 runs since start, 4 failed"
check "backups failing: the last run's error" out_has "WARNING: the last scheduled backup failed 10 min ago: backup.passphrase_file: cannot read /etc/vigil/backup.pass"
check "backups failing: no good backup for two intervals" out_has "WARNING: no good backup for 3 d (one is due every 60 min)"
vigil status --data "$DIR" --json
check "backups failing, --json: the backup section" py "
import json, sys
s = json.load(sys.stdin)
assert s['backup']['last_result'] == 'failure' and s['backup']['failures'] == 4, s['backup']"
echo "not json" >"$DIR/run/backup-status.json"
vigil status --data "$DIR"
check "backup status unreadable: the rest is still shown, exit 3 as before" rc_is 3
check "backup status unreadable: says so" out_has "Backups: status unreadable:"
check "backup status unreadable: the sources' table is there" grep -qE '^weblog +file +access ' "$TMP/out"
rm "$DIR/run/backup-status.json"
vigil status --data "$DIR"
check "no backup status file: says so" out_has "Backups: no backup status yet (vigil serve writes it at start)"

# --- a stale snapshot while the lock is held ---------------------------------------------------
# This shell takes the lock with flock(1), standing in for a serve whose pipeline stopped
# writing: the lock is held and the snapshot says it was written an hour ago.
python3 - "$DIR/run/ingest-status.json" <<'PY'
import json, sys, datetime
p = sys.argv[1]
s = json.load(open(p))
old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
s['updated_at'] = old.strftime('%Y-%m-%dT%H:%M:%S.000Z')
json.dump(s, open(p, 'w'))
PY
touch -d '2 hours ago' "$DIR/vigil.lock"  # when that serve took the lock
exec 9<"$DIR/vigil.lock"
flock --exclusive --nonblock 9
vigil status --data "$DIR"
check "stale: exit 4" rc_is 4
check "stale: a clear warning" out_has "WARNING: the status snapshot is stale: updated 60 min ago"
vigil status --data "$DIR" --json
check "stale, --json: exit 4, stale true" py "
import json, sys
s = json.load(sys.stdin)
assert s['running'] is True and s['stale'] is True and s['age_seconds'] >= 3600, s"
exec 9<&-
vigil status --data "$DIR"
check "lock released: exit 3 again" rc_is 3

# --- not a data directory ----------------------------------------------------------------------

vigil status --data "$TMP/nowhere"
check "missing directory: exit 2" rc_is 2
check "missing directory: says so" err_has "the data directory $TMP/nowhere does not exist"
mkdir "$TMP/plain"
vigil status --data "$TMP/plain"
check "plain directory: exit 2" rc_is 2
check "plain directory: not a vigil data directory" err_has "is not a vigil data directory: it has no vigil.yml"
vigil status
check "no --data: usage error, exit 2" rc_is 2

# --- another account: the 0700 data directory keeps it out -------------------------------------
# Needs root (to switch to nobody) and a vigil binary nobody may run (not under a 0700 home).
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null &&
    setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$VIGIL"; then
    RC=0
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$VIGIL" status --data "$DIR" \
        >"$TMP/out" 2>"$TMP/err" || RC=$?
    check "another account: exit 2" rc_is 2
    check "another account: permission denied, and what to do" \
        err_has "permission denied (a data directory is mode 0700: run vigil status as the account vigil serve runs as, or as root)"
else
    echo "cli.status: SKIPPED the other-account checks: not root, no setpriv, or nobody cannot run $VIGIL"
fi
vigil --help
check "status is in vigil --help" grep -qE '^ +status +' "$TMP/out"

finish cli.status
