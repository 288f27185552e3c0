#!/usr/bin/env bash
# Installs every Debian 12 package the build and the tests need. Safe to re-run: it only
# calls apt when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  clang libclang-rt-14-dev
  libexpected-dev libyaml-cpp-dev libsimdjson-dev nlohmann-json3-dev
  libvectorscan-dev libre2-dev libcli11-dev libspdlog-dev libfmt-dev
  libevtx-dev libbfio-dev libexpat1-dev libxxhash-dev libssl-dev libargon2-dev
  libsqlite3-dev sqlite3 libboost-dev python3
  tzdata  # TimeZone tests read America/New_York (daylight saving time)
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium
)
# The web console (scripts/build_console.sh) needs Node.js >= 20.19 and npm. The machines come
# with Node.js 20 (with npm) from outside Debian; Debian's own nodejs/npm are only a fallback
# where there is no node at all (installing Debian's npm next to that Node.js would replace it).
if ! command -v node >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
