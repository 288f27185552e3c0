#!/usr/bin/env bash
# End-to-end tests of `vigil init`: the data directory, its modes, the state database (read with
# the sqlite3 shell), the audit trail (checked with `vigil audit verify`) and the refusals.
#
#   bash tests/cli/init_cli_test.sh <path to vigil>
#
# Prints one line per check and a final "cli.init: N passed, M failed"; exits 1 on failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

VIGIL=$(realpath "$1")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-init-cli.XXXXXX")
trap 'chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
cd "$TMP"

if ! command -v sqlite3 >/dev/null; then
    echo "cli.init: the sqlite3 shell is missing (scripts/deps.sh installs it)"
    exit 1
fi

# shellcheck source=lib.sh
source "$HERE/lib.sh"
mode_is() { [[ $(stat -c '%a' "$2") == "$1" ]]; }
sql() { sqlite3 "$DIR/state.db" "$1"; }

# --- a fresh data directory ----------------------------------------------------------------

DIR="$TMP/data"
vigil init "$DIR"
check "init exits 0" rc_is 0
check "init prints the administrator" out_has "First administrator: admin"
check "init says the first sign-in forces a change and TOTP" \
    out_has "The first sign-in forces a password change"
PASSWORD=$(sed -n 's/^One-time password: *//p' "$TMP/out")
check "a one-time password is printed" [ -n "$PASSWORD" ]
check "the password is printed once" [ "$(grep -cF -- "$PASSWORD" "$TMP/out")" -eq 1 ]
cp "$TMP/out" "$TMP/first_out"

check "data dir is 0700" mode_is 700 "$DIR"
check "keys/ is 0700" mode_is 700 "$DIR/keys"
check "keys/seal.key is 0600" mode_is 600 "$DIR/keys/seal.key"
check "keys/seal.key is 32 bytes" [ "$(stat -c '%s' "$DIR/keys/seal.key")" -eq 32 ]
check "keys/audit-signing.pem is 0600" mode_is 600 "$DIR/keys/audit-signing.pem"
check "keys/audit-signing.pem is a private key" \
    grep -qF -- "-----BEGIN PRIVATE KEY-----" "$DIR/keys/audit-signing.pem"
check "keys/audit-signing.pub.pem is a public key" \
    grep -qF -- "-----BEGIN PUBLIC KEY-----" "$DIR/keys/audit-signing.pub.pem"
check "vigil.yml is 0600" mode_is 600 "$DIR/vigil.yml"
check "state.db is 0600" mode_is 600 "$DIR/state.db"
check "tls/key.pem is 0600" mode_is 600 "$DIR/tls/key.pem"
check "tls/cert.pem is a certificate for localhost" \
    bash -c "openssl x509 -in '$DIR/tls/cert.pem' -noout -ext subjectAltName | grep -q 'DNS:localhost'"
check "tls key matches the certificate" bash -c "
    [ \"\$(openssl x509 -in '$DIR/tls/cert.pem' -noout -pubkey)\" = \
      \"\$(openssl pkey -in '$DIR/tls/key.pem' -pubout)\" ]"
check "vigil.yml: port 8443" grep -qE '^  port: 8443' "$DIR/vigil.yml"
check "vigil.yml: retention 180 days" grep -qE '^retention_days: 180' "$DIR/vigil.yml"
check "vigil.yml: TLS 1.3" grep -qF 'min_version: "1.3"' "$DIR/vigil.yml"
check "vigil.yml: certificate paths" grep -qF 'cert: tls/cert.pem' "$DIR/vigil.yml"
check "vigil.yml parses as YAML" python3 -c "
import sys
try:
    import yaml
except ImportError:
    sys.exit(0)
c = yaml.safe_load(open('$DIR/vigil.yml'))
assert c['server']['port'] == 8443 and c['retention_days'] == 180 and c['tls']['min_version'] == '1.3'
"

# --- the administrator in state.db ---------------------------------------------------------

check "one user" [ "$(sql 'SELECT COUNT(*) FROM users')" -eq 1 ]
check "admin is an administrator" \
    [ "$(sql "SELECT role FROM users WHERE username = 'admin'")" = administrator ]
check "admin must change the password" \
    [ "$(sql "SELECT must_change_password FROM users WHERE username = 'admin'")" -eq 1 ]
check "admin has no MFA yet" \
    [ "$(sql "SELECT mfa_enrolled FROM users WHERE username = 'admin'")" -eq 0 ]
PHC=$(sql "SELECT password_phc FROM users WHERE username = 'admin'")
is_argon2id() { [[ $1 == '$argon2id$v=19$'* ]]; }
check "password stored as argon2id PHC" is_argon2id "$PHC"
check "stored hash is not the printed password" [ "$PHC" != "$PASSWORD" ]
check "the password appears in no file of the data dir" \
    bash -c "! grep -rqaF -- '$PASSWORD' '$DIR'"
check "the password verifies against the stored hash" python3 -c "
import sys
try:
    import argon2
except ImportError:
    sys.exit(0)
argon2.PasswordHasher().verify('''$PHC''', '''$PASSWORD''')
"

# --- the audit trail -----------------------------------------------------------------------

check "audit record system.init" \
    [ "$(sql "SELECT COUNT(*) FROM audit_records WHERE action = 'system.init'")" -eq 1 ]
check "audit record user.create for admin" \
    [ "$(sql "SELECT object FROM audit_records WHERE action = 'user.create'")" = user:admin ]
check "audit head is signed" [ "$(sql 'SELECT COUNT(*) FROM audit_checkpoints')" -ge 1 ]
vigil audit verify --db "$DIR/state.db" --public-key "$DIR/keys/audit-signing.pub.pem"
check "audit verify exits 0 after init" rc_is 0
check "audit verify reports OK" out_has ": OK: 2 records checked"

# --- refusals ------------------------------------------------------------------------------

KEY_SUM=$(sha256sum <"$DIR/keys/seal.key")
DB_SUM=$(sha256sum <"$DIR/state.db")
vigil init "$DIR"
check "second init exits 2" rc_is 2
check "second init says the directory is not empty" err_has "not empty"
check "second init prints no password" bash -c "! grep -q 'One-time password' '$TMP/out'"
vigil init --force "$DIR"
check "--force on an initialised dir exits 2" rc_is 2
check "--force never overwrites a key" err_has "refusing to overwrite existing"
check "seal key unchanged" [ "$(sha256sum <"$DIR/keys/seal.key")" = "$KEY_SUM" ]
check "state.db unchanged" [ "$(sha256sum <"$DIR/state.db")" = "$DB_SUM" ]

mkdir "$TMP/used"
echo notes >"$TMP/used/README"
vigil init "$TMP/used"
check "non-empty dir without --force exits 2" rc_is 2
check "nothing written into it" [ "$(ls "$TMP/used")" = README ]
vigil init --force "$TMP/used"
check "--force accepts a non-empty dir" rc_is 0
check "--force keeps the existing file" [ "$(cat "$TMP/used/README")" = notes ]

echo x >"$TMP/plainfile"
vigil init "$TMP/plainfile"
check "a file as data dir exits 2" rc_is 2

vigil init "$TMP/missing/parent/dir"
check "a missing parent exits 2" rc_is 2

vigil init --admin "bad name" "$TMP/badname"
check "invalid administrator name exits 2" rc_is 2
check "invalid name leaves no directory" [ ! -e "$TMP/badname" ]

vigil init --admin secadmin "$TMP/named"
check "--admin names the administrator" rc_is 0
check "named administrator stored" \
    [ "$(sqlite3 "$TMP/named/state.db" "SELECT username FROM users")" = secadmin ]

finish cli.init
