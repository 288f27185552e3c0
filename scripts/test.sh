#!/usr/bin/env bash
# Builds everything and runs every test: unit and regression tests (release), the same
# under AddressSanitizer + UBSan, fuzz-corpus replays, and the formatting check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
export CTEST_OUTPUT_ON_FAILURE=1

echo "== web console (web/dist)"
bash scripts/build_console.sh

echo "== release build + tests"
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release -j2

echo "== AddressSanitizer + UBSan build + tests"
cmake --preset debug >/dev/null
cmake --build --preset debug
ctest --preset debug -j2

echo "== formatting"
files=$(git ls-files '*.cpp' '*.h' 2>/dev/null || find src bench tests -name '*.cpp' -o -name '*.h')
if ! clang-format --dry-run --Werror $files; then
  echo "formatting differs: run clang-format -i on the files above" >&2
  exit 1
fi
echo "all tests passed"
