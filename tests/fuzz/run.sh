#!/usr/bin/env bash
# Builds the request fuzzer with clang in its own build directory and runs it for
# a while over a copy of the seed corpus (the committed corpus stays as it is).
#   tests/fuzz/run.sh [BUILD_DIR] [SECONDS]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(realpath -m "${1:-$here/../../build/fuzz}")
seconds=${2:-60}

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ is missing: run scripts/install-deps --test" >&2
  exit 1
fi

CXX=clang++ cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2

corpus="$build/corpus"
rm -rf "$corpus"
mkdir -p "$corpus"
cp "$here"/corpus/* "$corpus"/
cd "$build"
# ASAN_OPTIONS from the environment (ctest's) are kept; leaks are checked too.
"$build/request_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$build/" "$corpus"
