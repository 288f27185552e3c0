#!/usr/bin/env bash
# End-to-end tests of `vigil backup`, `vigil backup verify`, `vigil restore` and
# `vigil keys rotate`: a data directory from `vigil init` gets real state through `vigil serve`
# (the administrator changes the one-time password and enrols TOTP over HTTPS), is backed up,
# wiped and restored; then damaged archives, wrong passphrases, unsafe passphrase files, a
# locked directory, Ctrl-C, and a seal-key rotation after which the TOTP sign-in still works.
#
#   bash tests/cli/backup_cli_test.sh <path to vigil>
#
# Prints one line per check and a final "cli.backup: N passed, M failed"; exits 1 on failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

VIGIL=$(realpath "$1")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-backup-cli.XXXXXX")
SERVE_PID=""
BG_PID=""
cleanup() {
    if [[ -n $SERVE_PID ]]; then kill -KILL "$SERVE_PID" 2>/dev/null || true; fi
    if [[ -n $BG_PID ]]; then kill -KILL "$BG_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
cd "$TMP"

for tool in sqlite3 curl python3 flock; do
    if ! command -v "$tool" >/dev/null; then
        echo "cli.backup: $tool is missing (scripts/deps.sh installs it)"
        exit 1
    fi
done

# shellcheck source=lib.sh
source "$HERE/lib.sh"
mode_is() { [[ $(stat -c '%a' "$2") == "$1" ]]; }
sql() { sqlite3 "$DIR/state.db" "$1"; }
# The regular files of a directory with their hashes (the lock file aside): "untouched" means
# this listing did not change.
snapshot() { (cd "$1" && find . -type f ! -name vigil.lock -exec sha256sum {} + | sort); }

DIR="$TMP/data"
NEW_PASSWORD="Restored-Pass-2027!"
umask 077
echo "a backup passphrase for the tests" >pass
echo "this is not the passphrase at all" >wrong

# --- state: init, then the administrator signs in, changes the password, enrols TOTP ------

vigil init "$DIR"
check "init exits 0" rc_is 0
OTP=$(sed -n 's/^One-time password: *//p' "$TMP/out")

start_serve() {
    "$VIGIL" serve --data "$DIR" --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
    SERVE_PID=$!
    PORT=$(serve_port "$TMP/serve.out" "$SERVE_PID")
    URL="https://127.0.0.1:${PORT:-1}"
}
stop_serve() {
    kill -INT "$SERVE_PID"
    wait "$SERVE_PID" || true
    SERVE_PID=""
}
# post <path> <json>: with the cookie jar and the CSRF token; prints the HTTP status.
post() {
    curl -sk -o "$TMP/out" -w '%{http_code}' -b "$TMP/jar" -c "$TMP/jar" \
        -H 'Content-Type: application/json' -H "X-CSRF-Token: ${CSRF:-}" \
        --data "$2" "$URL$1" 2>"$TMP/err" || true
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', ''))" <"$TMP/out"; }
login() {  # login <password> [totp]: sets LOGIN (the HTTP status) and CSRF
    rm -f "$TMP/jar"
    CSRF=""
    LOGIN=$(post /api/v1/auth/login "{\"username\":\"admin\",\"password\":\"$1\"${2:+,\"totp\":\"$2\"}}")
    CSRF=$(field csrf_token 2>/dev/null || true)
}
# signed_in: the last login answered 200; otherwise says what came back instead (status, body,
# curl's error, the server's last log lines) so a failure can be told apart from a slow start.
signed_in() {
    [ "$LOGIN" = 200 ] && return 0
    echo "  login answered ${LOGIN:-nothing}: $(head -c 400 "$TMP/out" 2>/dev/null)" \
        "$(head -c 200 "$TMP/err" 2>/dev/null)" >&2
    tail -n 5 "$TMP/serve.err" >&2 2>/dev/null || true
    return 1
}
# totp <base32 secret> <seconds offset>: the RFC 6238 code (SHA-1, 6 digits, 30 s).
totp() {
    python3 - "$1" "$2" <<'PY'
import base64, hashlib, hmac, struct, sys, time
s, off = sys.argv[1], int(sys.argv[2])
key = base64.b32decode(s + "=" * ((8 - len(s) % 8) % 8))
h = hmac.new(key, struct.pack(">Q", int((time.time() + off) // 30)), hashlib.sha1).digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
}

start_serve
check "serve listens" [ -n "$PORT" ]
login "$OTP"
check "one-time password signs in" signed_in
check "password change" [ "$(post /api/v1/auth/password "{\"old\":\"$OTP\",\"new\":\"$NEW_PASSWORD\"}")" = 200 ]
login "$NEW_PASSWORD"
check "new password signs in (TOTP enrolment required)" signed_in
check "TOTP enrolment" [ "$(post /api/v1/auth/totp/enroll '{}')" = 200 ]
SECRET=$(field secret)
# Each code below comes from a later 30 s step than the one before (a step is used once).
check "TOTP confirmed" [ "$(post /api/v1/auth/totp/confirm "{\"code\":\"$(totp "$SECRET" -30)\"}")" = 200 ]
login "$NEW_PASSWORD" "$(totp "$SECRET" 0)"
check "sign-in with password and code" signed_in
stop_serve

USERS_BEFORE=$(sql "SELECT id, username, role, mfa_enrolled, totp_sealed IS NOT NULL FROM users ORDER BY id")
RECORDS_BEFORE=$(sql "SELECT count(*) FROM audit_records")
check "state exists: an enrolled administrator" [ "$USERS_BEFORE" = "1|admin|administrator|1|1" ]
check "state exists: audit records of the sign-ins" [ "$(sql "SELECT count(*) FROM audit_records WHERE action = 'auth.totp_confirm'")" -eq 1 ]

# --- backup -----------------------------------------------------------------------------------

vigil backup --data "$DIR" --out "$TMP/good.vbk" --passphrase-file pass
check "backup exits 0" rc_is 0
check "backup names the archive" out_has "vigil backup: wrote $TMP/good.vbk"
check "archive is mode 0600" mode_is 600 "$TMP/good.vbk"
check "no temporary file is left" [ ! -e "$TMP/good.vbk.tmp" ]
check "no staging directory is left in the data directory" \
    bash -c "! ls -a '$DIR' | grep -q backup-staging"
check "the archive is not plaintext" bash -c "! grep -qa 'BEGIN PRIVATE KEY' '$TMP/good.vbk' && ! grep -qa 'SQLite format' '$TMP/good.vbk'"
ARCHIVE_SHA=$(sha256sum "$TMP/good.vbk" | cut -d' ' -f1)
check "backup prints the archive's SHA-256" out_has "sha256 $ARCHIVE_SHA"
check "backup.run audited with size and sha256" \
    [ "$(sql "SELECT actor || '|' || result FROM audit_records WHERE action = 'backup.run' AND object = '$TMP/good.vbk' AND detail LIKE '%sha256 $ARCHIVE_SHA%'")" = "cli:${USER:-$(id -un)}|success" ]

vigil backup verify "$TMP/good.vbk" --passphrase-file pass
check "verify: exit 0" rc_is 0
check "verify: OK" out_has "vigil backup verify: OK: $TMP/good.vbk"
check "verify: database integrity" out_has "database   state.db: integrity ok"
check "verify: audit trail checked" out_has "audit      $RECORDS_BEFORE records checked"

VIGIL_BACKUP_PASSPHRASE_FILE="$TMP/pass" "$VIGIL" backup verify "$TMP/good.vbk" >"$TMP/out" 2>"$TMP/err" && RC=0 || RC=$?
check "VIGIL_BACKUP_PASSPHRASE_FILE names the passphrase file" rc_is 0

# --- wipe and restore ------------------------------------------------------------------------

rm -rf "$DIR"
vigil restore "$TMP/good.vbk" --data "$DIR" --passphrase-file pass
check "restore exits 0" rc_is 0
check "restore says what it did" out_has "vigil restore: restored $DIR from $TMP/good.vbk"
check "restore warns that later changes are undone" out_has "WARNING: $DIR is now as it was when the archive was made ("
check "restore warns: revoked tokens are valid again" out_has "API tokens revoked since then are valid again"
check "restore warns: disabled users, resets, roles" bash -c "grep -qF 'users disabled since then are enabled again' '$TMP/out' && grep -qF 'password and MFA (TOTP) resets are undone' '$TMP/out' && grep -qF 'role changes are reverted' '$TMP/out'"
check "restored: the same users" [ "$(sql "SELECT id, username, role, mfa_enrolled, totp_sealed IS NOT NULL FROM users ORDER BY id")" = "$USERS_BEFORE" ]
check "restored: every audit record plus backup.restore" [ "$(sql "SELECT count(*) FROM audit_records")" -eq $((RECORDS_BEFORE + 1)) ]
check "restored: the last record is backup.restore" \
    [ "$(sql "SELECT action FROM audit_records ORDER BY seq DESC LIMIT 1")" = "backup.restore" ]
check "restored: modes (dir 0700, keys 0600)" bash -c "
    [ \$(stat -c %a '$DIR') = 700 ] && [ \$(stat -c %a '$DIR/keys') = 700 ] &&
    [ \$(stat -c %a '$DIR/keys/seal.key') = 600 ] && [ \$(stat -c %a '$DIR/keys/audit-signing.pem') = 600 ] &&
    [ \$(stat -c %a '$DIR/tls/key.pem') = 600 ] && [ \$(stat -c %a '$DIR/state.db') = 600 ] &&
    [ \$(stat -c %a '$DIR/vigil.yml') = 600 ]"
check "restored: no temporary directory is left" bash -c "! ls '$TMP' | grep -q restore-"
vigil audit verify --db "$DIR/state.db" --public-key "$DIR/keys/audit-signing.pub.pem"
check "restored: audit verify passes" rc_is 0
check "restored: audit verify counts every record" out_has "OK: $((RECORDS_BEFORE + 1)) records checked"

# --- damaged archives: refused, the target untouched ----------------------------------------

BEFORE=$(snapshot "$DIR")
flip() {  # flip <file> <offset>: XOR one byte with 1
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\x$(printf %02x $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}
SIZE=$(stat -c %s "$TMP/good.vbk")
for offset in 40 100 $((SIZE / 2)) $((SIZE - 3)); do
    cp "$TMP/good.vbk" "$TMP/flipped.vbk"
    flip "$TMP/flipped.vbk" "$offset"
    check "flipped byte at $offset: the copy differs" bash -c "! cmp -s '$TMP/good.vbk' '$TMP/flipped.vbk'"
    vigil backup verify "$TMP/flipped.vbk" --passphrase-file pass
    if [[ $offset -eq 40 ]]; then
        # A damaged salt derives another key: indistinguishable from a wrong passphrase.
        check "flipped byte in the header: verify exit 2, wrong passphrase or damaged header" \
            bash -c "[ $RC -eq 2 ] && grep -qF 'or its header is damaged' '$TMP/err'"
    else
        check "flipped byte at $offset: verify exit 1, DAMAGED" \
            bash -c "[ $RC -eq 1 ] && grep -qF 'DAMAGED' '$TMP/out' && grep -qF 'failed authentication' '$TMP/out'"
    fi
    vigil restore "$TMP/flipped.vbk" --data "$DIR" --passphrase-file pass --force
    check "flipped byte at $offset: restore --force refuses" bash -c "[ $RC -ne 0 ]"
    check "flipped byte at $offset: the data directory is untouched" [ "$(snapshot "$DIR")" = "$BEFORE" ]
    vigil restore "$TMP/flipped.vbk" --data "$TMP/elsewhere" --passphrase-file pass
    check "flipped byte at $offset: nothing is created" [ ! -e "$TMP/elsewhere" ]
done
check "refused restores leave no temporary directory" bash -c "! ls '$TMP' | grep -q restore-"
check "refused restores move nothing aside" bash -c "! ls '$TMP' | grep -q pre-restore"

head -c $((SIZE - 100)) "$TMP/good.vbk" >"$TMP/cut.vbk"
vigil backup verify "$TMP/cut.vbk" --passphrase-file pass
check "truncated: verify exit 1" rc_is 1
check "truncated: says so" out_has "truncated"
vigil restore "$TMP/cut.vbk" --data "$DIR" --passphrase-file pass --force
check "truncated: restore refuses (exit 1)" rc_is 1
check "truncated: the message says the directory was not touched" err_has "refused: "
check "truncated: the data directory is untouched" [ "$(snapshot "$DIR")" = "$BEFORE" ]

head -c 64 "$TMP/good.vbk" >"$TMP/header-only.vbk"
vigil backup verify "$TMP/header-only.vbk" --passphrase-file pass
check "header only: verify exit 1, truncated" bash -c "[ $RC -eq 1 ] && grep -qF 'truncated' '$TMP/out'"
echo "not an archive at all" >"$TMP/junk.vbk"
vigil backup verify "$TMP/junk.vbk" --passphrase-file pass
check "not an archive: verify exit 1" rc_is 1
check "not an archive: says so" out_has "not a vigil backup archive"

# --- passphrases -------------------------------------------------------------------------------

vigil backup verify "$TMP/good.vbk" --passphrase-file wrong
check "wrong passphrase: verify exit 2" rc_is 2
check "wrong passphrase: clear error" err_has "wrong passphrase for $TMP/good.vbk"
vigil restore "$TMP/good.vbk" --data "$TMP/elsewhere" --passphrase-file wrong
check "wrong passphrase: restore exit 2, nothing created" bash -c "[ $RC -eq 2 ] && [ ! -e '$TMP/elsewhere' ]"

cp pass open-pass
chmod 644 open-pass
vigil backup --data "$DIR" --out "$TMP/open.vbk" --passphrase-file open-pass
check "passphrase file 0644: backup exit 2" rc_is 2
check "passphrase file 0644: says how to fix it" \
    err_has "the passphrase file open-pass is accessible by group or others (mode 0644); run: chmod 600 open-pass"
check "passphrase file 0644: no archive" [ ! -e "$TMP/open.vbk" ]
vigil backup verify "$TMP/good.vbk" --passphrase-file open-pass
check "passphrase file 0644: verify refuses too" rc_is 2
echo "short" >short-pass
vigil backup --data "$DIR" --out "$TMP/short.vbk" --passphrase-file short-pass
check "short passphrase: refused for a new archive" bash -c "[ $RC -eq 2 ] && grep -qF 'too short' '$TMP/err'"
"$VIGIL" backup --data "$DIR" --out "$TMP/none.vbk" </dev/null >"$TMP/out" 2>"$TMP/err" && RC=0 || RC=$?
check "no passphrase and no terminal: exit 2" rc_is 2
check "no passphrase and no terminal: says what to do" err_has "give --passphrase-file FILE (mode 0600)"

vigil backup --data "$DIR" --out "$TMP/good.vbk" --passphrase-file pass
check "existing archive: never overwritten (exit 2)" bash -c "[ $RC -eq 2 ] && grep -qF 'exists; choose another name' '$TMP/err'"
check "existing archive: unchanged" [ "$(sha256sum <"$TMP/good.vbk" | cut -d' ' -f1)" = "$ARCHIVE_SHA" ]
vigil backup --data "$DIR"
check "backup without --out: usage error" rc_is 2
vigil restore "$TMP/good.vbk"
check "restore without --data: usage error" rc_is 2

# --- non-empty targets, --force, the data-directory lock --------------------------------------

BEFORE=$(snapshot "$DIR")  # the refused backups above were audited in state.db

vigil restore "$TMP/good.vbk" --data "$DIR" --passphrase-file pass
check "non-empty target without --force: exit 2" rc_is 2
check "non-empty target without --force: says what --force does" err_has "the directory is not empty (--force moves it aside"
check "non-empty target without --force: untouched" [ "$(snapshot "$DIR")" = "$BEFORE" ]

# Any holder of the lock (vigil serve takes it) blocks restore and key rotation.
(
    exec 9>>"$DIR/vigil.lock"
    flock 9
    exec sleep 30
) &
BG_PID=$!
for _ in $(seq 100); do
    flock -n "$DIR/vigil.lock" true 2>/dev/null || break
    sleep 0.05
done
vigil restore "$TMP/good.vbk" --data "$DIR" --passphrase-file pass --force
check "locked directory: restore --force exit 2" rc_is 2
check "locked directory: restore names the reason" err_has "is in use by another vigil process"
check "locked directory: untouched" [ "$(snapshot "$DIR")" = "$BEFORE" ]
vigil keys rotate --data "$DIR"
check "locked directory: keys rotate exit 2" rc_is 2
check "locked directory: keys rotate names the reason" err_has "is in use by another vigil process"
kill "$BG_PID" 2>/dev/null || true
wait "$BG_PID" 2>/dev/null || true
BG_PID=""

vigil restore "$TMP/good.vbk" --data "$DIR" --passphrase-file pass --force
check "restore --force: exit 0" rc_is 0
ASIDE=$(ls -d "$DIR".pre-restore-* 2>/dev/null | head -n 1)
check "restore --force: the old directory is moved aside" [ -n "$ASIDE" ]
check "restore --force: says where" out_has "The previous directory was moved to $ASIDE"
check "restore --force: names the previous trail to review" out_has "The previous directory's trail lists them: vigil audit export --db $ASIDE/state.db --from "
check "restore --force: the old directory is kept intact" [ "$(snapshot "$ASIDE")" = "$BEFORE" ]
check "restore --force: the restored trail has its backup.restore record" \
    [ "$(sql "SELECT count(*) FROM audit_records WHERE action = 'backup.restore'")" -eq 1 ]
rm -rf "$ASIDE"

# --- Ctrl-C: no partial archive ---------------------------------------------------------------

cp -a "$DIR" "$TMP/big"
truncate -s 256M "$TMP/big/large.bin"
"$VIGIL" backup --data "$TMP/big" --out "$TMP/int.vbk" --passphrase-file pass >"$TMP/out" 2>"$TMP/err" &
BG_PID=$!
for _ in $(seq 1000); do
    [[ -e "$TMP/int.vbk.tmp" ]] && break
    kill -0 "$BG_PID" 2>/dev/null || break
    sleep 0.01
done
kill -INT "$BG_PID" 2>/dev/null || true
RC=0
wait "$BG_PID" || RC=$?
BG_PID=""
check "Ctrl-C: exit 130" rc_is 130
check "Ctrl-C: says nothing was written" err_has "interrupted; no archive was written"
check "Ctrl-C: no archive and no temporary file" bash -c "[ ! -e '$TMP/int.vbk' ] && [ ! -e '$TMP/int.vbk.tmp' ]"
check "Ctrl-C: no staging directory left" bash -c "! ls -a '$TMP/big' | grep -q backup-staging"
check "Ctrl-C: the interrupted run is audited" \
    [ "$(sqlite3 "$TMP/big/state.db" "SELECT result || '|' || detail FROM audit_records WHERE action = 'backup.run' ORDER BY seq DESC LIMIT 1")" = "failure|interrupted; no archive written" ]
rm -rf "$TMP/big"

# --- a terminal: progress and the passphrase prompt -------------------------------------------

# A small pty driver: answers the prompts only once they are shown.
python3 - "$VIGIL" "$DIR" "$TMP/tty.vbk" >"$TMP/out" 2>"$TMP/err" <<'PY' && RC=0 || RC=$?
import os, pty, sys, time
vigil, data, out = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(vigil, [vigil, "backup", "--data", data, "--out", out])
seen = b""
answers = [(b"Backup passphrase: ", b"typed passphrase 1234\n"),
           (b"Repeat the passphrase: ", b"typed passphrase 1234\n")]
deadline = time.time() + 60
while time.time() < deadline:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    if answers and answers[0][0] in seen:
        os.write(fd, answers.pop(0)[1])
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.WEXITSTATUS(status))
PY
check "terminal: backup exit 0" rc_is 0
check "terminal: asks twice for the passphrase" bash -c "grep -qF 'Backup passphrase:' '$TMP/out' && grep -qF 'Repeat the passphrase:' '$TMP/out'"
check "terminal: shows progress in bytes" out_has "vigil backup: written "
check "terminal: the passphrase is not echoed" out_lacks "typed passphrase 1234"
echo "typed passphrase 1234" >typed
vigil backup verify "$TMP/tty.vbk" --passphrase-file typed
check "terminal: the archive opens with the typed passphrase" rc_is 0

# --- keys rotate: TOTP sign-in still works, the old key is gone ------------------------------

OLD_KEY_ID=$(sql "SELECT substr(totp_sealed, 4, 16) FROM users WHERE username = 'admin'")
vigil keys rotate --data "$DIR"
check "keys rotate: exit 0" rc_is 0
check "keys rotate: names the old key" out_has "seal key $OLD_KEY_ID replaced by "
NEW_KEY_ID=$(sql "SELECT substr(totp_sealed, 4, 16) FROM users WHERE username = 'admin'")
check "keys rotate: the TOTP secret is sealed under a new key" [ "$NEW_KEY_ID" != "$OLD_KEY_ID" ]
check "keys rotate: only the current seal key remains" \
    [ "$(ls "$DIR/keys")" = "$(printf 'audit-signing.pem\naudit-signing.pub.pem\nseal.key')" ]
check "keys rotate: the key file stays 0600" mode_is 600 "$DIR/keys/seal.key"
check "keys rotate: audited with both key ids" \
    [ "$(sql "SELECT before || '|' || after || '|' || result FROM audit_records WHERE action = 'keys.rotate'")" = "seal key id $OLD_KEY_ID|seal key id $NEW_KEY_ID|success" ]
KEY_HEX=$(od -An -tx1 "$DIR/keys/seal.key" | tr -d ' \n')
check "keys rotate: no key bytes in the trail" \
    bash -c "! sqlite3 '$DIR/state.db' 'SELECT * FROM audit_records' | grep -qiF '$KEY_HEX'"

start_serve
check "serve starts on the restored, rotated directory" [ -n "$PORT" ]
login "$NEW_PASSWORD" "$(totp "$SECRET" 30)"
check "the administrator signs in with password and TOTP after the rotation" signed_in
check "... a full session" bash -c "! grep -qF 'must_change_password' '$TMP/out' && ! grep -qF 'mfa_enrolment_required' '$TMP/out'"
stop_serve
vigil audit verify --db "$DIR/state.db" --public-key "$DIR/keys/audit-signing.pub.pem"
check "audit verify passes after rotation and sign-in" rc_is 0

finish cli.backup
