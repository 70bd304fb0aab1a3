#!/usr/bin/env bash
# Containers created per minute by the lxc provider from the cached rootfs (see bench/README.md).
#   bench/lxc/run.sh            N=20 containers, P=1 thread; OUT=build/bench-lxc-results.json
# Needs root, lxc and debootstrap; the cache is built the first time (scripts/site/lxc.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-20}
P=${P:-1}
OUT=${OUT:-$here/build/bench-lxc-results.json}
BIN=${BENCH_LXC_BIN:-$here/build/bench/bench/bench_lxc}
if [ ! -x "$BIN" ]; then
  (cd "$here" && cmake --preset bench >/dev/null && cmake --build --preset bench --target bench_lxc)
fi
tmp=$(mktemp -d)
trap '"$here/scripts/site/lxc.sh" stop "$tmp"; rm -rf "$tmp"' EXIT
"$here/scripts/site/lxc.sh" start "$tmp"
"$BIN" "$tmp/lxc/provider.json" "$N" "$P" "$OUT"
echo "results in $OUT"
