#!/usr/bin/env bash
# Builds Vigil (release) with its web console and runs the main job: `vigil serve` on the
# embedded SQLite store, reachable in a browser at https://127.0.0.1:8443/.
#
# The data directory is $VIGIL_DATA (default: ./vigil-data, ignored by git). The first run
# creates it with `vigil init`, which prints the first administrator's one-time password once;
# sign in with it, choose a password and enrol an authenticator app (TOTP).
# Extra arguments go to `vigil serve` (e.g. --port 9443, --bind 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build_console.sh
cmake --preset release >/dev/null
cmake --build --preset release --target vigil
VIGIL=build/release/src/cli/vigil
DATA=${VIGIL_DATA:-vigil-data}
if [[ ! -f $DATA/vigil.yml ]]; then
  "$VIGIL" init "$DATA"
  echo
  echo "First login: open the URL below (the certificate is self-signed: $DATA/tls/cert.pem),"
  echo "sign in as admin with the one-time password above, choose a new password and scan the"
  echo "QR code with an authenticator app."
else
  echo "Using the data directory $DATA (sign in with your account; an administrator resets"
  echo "forgotten passwords in Users)."
fi
echo
exec "$VIGIL" serve --data "$DATA" --console web/dist "$@"
