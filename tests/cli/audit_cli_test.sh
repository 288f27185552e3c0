#!/usr/bin/env bash
# End-to-end tests of `vigil audit verify` and `vigil audit export`: a signed audit database is
# written by the test-only seeder (tests/tools/audit_seed.cpp), tampered with through the
# sqlite3 shell the way an intruder with file access would, and verified.
#
#   bash tests/cli/audit_cli_test.sh <path to vigil> <path to audit_seed>
#
# Prints one line per check and a final "cli.audit: N passed, M failed"; exits 1 on failure.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

VIGIL=$(realpath "$1")
SEED=$(realpath "$2")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-audit-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"

if ! command -v sqlite3 >/dev/null; then
    echo "cli.audit: the sqlite3 shell is missing (scripts/deps.sh installs it)"
    exit 1
fi

# shellcheck source=lib.sh
source "$HERE/lib.sh"

# --- fixtures: 2,500 records, checkpoints at 1000 and 2000 ---------------------------------

"$SEED" intact.db audit.pub 2500 1000
"$SEED" other.db other.pub 10 5  # only for its key
fresh() { cp intact.db "$1"; }

# A forged record an intruder can compute without any secret: the hash chain is public
# (SHA-256 over prev_hash and the canonical form); only the checkpoints need the key.
forge_sql() {  # forge_sql <db> <seq> <linked to seq>
    local prev
    prev=$(sqlite3 "$1" "SELECT hash FROM audit_records WHERE seq = $3")
    python3 - "$2" "$prev" <<'PY'
import hashlib, sys
seq, prev = int(sys.argv[1]), sys.argv[2]
fields = [str(seq), "1700000000000000000", "admin", "role.grant", "user:mallory", "", "admin",
          "10.9.9.9", "success", ""]
canon = b"vigil-audit-record-v1\n" + b"".join(
    b"%d:%s," % (len(f.encode()), f.encode()) for f in fields)
h = hashlib.sha256(prev.encode() + canon).hexdigest()
vals = ", ".join([str(seq), fields[1]] + ["'%s'" % f for f in fields[2:]] + ["'%s'" % prev, "'%s'" % h])
print("INSERT INTO audit_records VALUES (%s);" % vals)
PY
}

# --- verify ---------------------------------------------------------------------------------

BEFORE=$(sha256sum <intact.db)
vigil audit verify --db intact.db --public-key audit.pub
check "intact: exit code 0" rc_is 0
check "intact: summary" \
    out_has "vigil audit verify: OK: 2500 records checked, 2 checkpoints, last seq 2500, 0 findings"
check "intact: no findings" out_lines 1
check "intact: verify leaves the database unchanged" test "$(sha256sum <intact.db)" = "$BEFORE"

fresh altered.db
sqlite3 altered.db "UPDATE audit_records SET actor = 'mallory' WHERE seq = 1234"
vigil audit verify --db altered.db --public-key audit.pub
check "altered: exit code 1" rc_is 1
check "altered: the edited row is named" out_has "seq 1234: altered: "
check "altered: summary" out_has "vigil audit verify: FAILED: 2500 records checked, 2 checkpoints, last seq 2500, 1 findings"

fresh deleted.db
sqlite3 deleted.db "DELETE FROM audit_records WHERE seq = 1500"
vigil audit verify --db deleted.db --public-key audit.pub
check "deleted: exit code 1" rc_is 1
check "deleted: the missing row is named" out_has "seq 1500: deleted: "
check "deleted: one finding" out_has ", 1 findings"

fresh inserted.db
sqlite3 inserted.db "$(forge_sql inserted.db 2502 2500)"
vigil audit verify --db inserted.db --public-key audit.pub
check "inserted: exit code 1" rc_is 1
check "inserted: the forged row is named" out_has "seq 2502: inserted: "
check "inserted: one finding" out_has ", 1 findings"

fresh all.db
sqlite3 all.db "UPDATE audit_records SET detail = 'nothing to see' WHERE seq = 42;
                DELETE FROM audit_records WHERE seq BETWEEN 1700 AND 1702;"
sqlite3 all.db "$(forge_sql all.db 2510 2500)"
vigil audit verify --db all.db --public-key audit.pub
check "combined: exit code 1" rc_is 1
check "combined: each tampering named once, in seq order" py '
import sys
lines = sys.stdin.read().splitlines()
findings = [l for l in lines if l.startswith("seq ")]
kinds = [(l.split(":")[0], l.split(":")[1].strip()) for l in findings]
assert kinds == [("seq 42", "altered"), ("seq 1700", "deleted"), ("seq 2510", "inserted")], lines
assert lines[-1].endswith(", 3 findings"), lines
'

fresh cut.db
sqlite3 cut.db "DELETE FROM audit_records WHERE seq > 1990"
vigil audit verify --db cut.db --public-key audit.pub
check "truncated: exit code 1" rc_is 1
check "truncated: records vouched for by a checkpoint are missing" out_has "seq 1991: truncated: "

fresh sig.db
sqlite3 sig.db "UPDATE audit_checkpoints SET time_ns = time_ns + 1 WHERE seq = 2000"
vigil audit verify --db sig.db --public-key audit.pub
check "forged checkpoint: exit code 1" rc_is 1
check "forged checkpoint: named" out_has "seq 2000: bad-checkpoint-signature: "

vigil audit verify --db intact.db --public-key other.pub
check "wrong key: exit code 1" rc_is 1
check "wrong key: both checkpoints refused" py '
import sys
lines = [l for l in sys.stdin.read().splitlines() if "bad-checkpoint-signature" in l]
assert [l.split(":")[0] for l in lines] == ["seq 1000", "seq 2000"], lines
'

# --- usage and configuration errors ---------------------------------------------------------

vigil audit verify --db missing.db --public-key audit.pub
check "missing database: exit code 2" rc_is 2
check "missing database: message" err_has "missing.db does not exist"
check "missing database: not created" test ! -e missing.db
vigil audit verify --db intact.db --public-key no-such.pub
check "missing key: exit code 2" rc_is 2
echo "not a database, just some text in a file that is long enough to have a header" >junk.db
vigil audit verify --db junk.db --public-key audit.pub
check "not a database: exit code 2" rc_is 2
sqlite3 empty.db "CREATE TABLE unrelated(x)"
vigil audit verify --db empty.db --public-key audit.pub
check "database without an audit schema: exit code 2" rc_is 2
check "database without an audit schema: message" err_has "empty.db has no audit schema"
vigil audit verify --db intact.db
check "no --public-key: usage error, exit code 2" rc_is 2
vigil audit
check "no audit sub-command: usage error, exit code 2" rc_is 2

# --- export ---------------------------------------------------------------------------------

vigil audit export --db intact.db
check "export jsonl: exit code 0" rc_is 0
check "export jsonl: one object per record, in seq order" py '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 2500, len(rows)
assert [r["seq"] for r in rows] == list(range(1, 2501))
r = rows[1233]
assert r["actor"] == "alice" and r["object"] == "object-1234", r
assert r["time"] == "2023-11-14T22:33:54.000Z" and r["time_ns"] == 1700001234000000000, r
assert rows[1]["prev_hash"] == rows[0]["hash"]
'
vigil audit export --db intact.db --format csv --from 2499 --out export.csv
check "export csv --out: exit code 0" rc_is 0
check "export csv --out: header and the two rows from --from" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert [r["seq"] for r in rows] == ["2499", "2500"], rows
assert rows[1]["object"] == "object-2500" and rows[1]["result"] == "success", rows
' export.csv
check "export csv --out: file readable by its owner only" test "$(stat -c %a export.csv)" = 600
vigil audit export --db intact.db --checkpoints
check "export --checkpoints: two signed checkpoints" py '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert [r["seq"] for r in rows] == [1000, 2000], rows
assert all(r["signature"] and r["key_id"] for r in rows), rows
'
vigil audit export --db intact.db --format xml
check "export unknown --format: exit code 2" rc_is 2
vigil audit export --db intact.db --format csv --checkpoints
check "export --checkpoints as csv: exit code 2" rc_is 2
vigil audit export --db missing.db
check "export missing database: exit code 2" rc_is 2

finish cli.audit
