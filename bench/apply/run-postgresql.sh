#!/usr/bin/env bash
# Scale-out: bench_apply with null providers against one PostgreSQL, with one and then
# with two instances (see bench/README.md). Each pass gets fresh state and accounting
# databases on a private PostgreSQL 15 (scripts/site/postgresql.sh), stopped at the end.
#   bench/apply/run-postgresql.sh            N=1000 deployments, WORKERS=2, STEPS=8, INSTANCES="1 2"
# Needs root and postgresql (scripts/install-deps --test).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-1000}
WORKERS=${WORKERS:-2}
STEPS=${STEPS:-8}
INSTANCES=${INSTANCES:-"1 2"}
BIN=${BENCH_APPLY_BIN:-$here/build/bench/bench/bench_apply}
if [ ! -x "$BIN" ]; then
  (cd "$here" && cmake --preset bench >/dev/null && cmake --build --preset bench --target bench_apply)
fi
tmp=$(mktemp -d)
trap '"$here/scripts/site/postgresql.sh" stop "$tmp"; rm -rf "$tmp"' EXIT
"$here/scripts/site/postgresql.sh" start "$tmp" >/dev/null
settings() { python3 -c "import json,sys; print(json.load(open('$tmp/postgresql/provider.json'))['database']['settings']['$1'])"; }
socket=$(settings socketDir)
port=$(settings port)
psql_() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$socket" -p "$port" -U postgres -d postgres "$@"; }
# The server's CPU seconds so far: the postmaster's own and its reaped backends' (utime, stime,
# cutime, cstime of /proc/PID/stat): a pass's backends have ended when bench_apply exits.
postmaster=$(head -1 "$tmp/postgresql/pids")
pg_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15 + $16 + $17) / hz }' "/proc/$postmaster/stat"; }
for n in $INSTANCES; do
  for db in bench_state bench_accounting; do
    psql_ -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
  done
  before=$(pg_cpu)
  echo "== $n instance(s), $N deployments, null providers, state on PostgreSQL"
  FEDIHOST_BENCH_TARGET=null FEDIHOST_BENCH_INSTANCES=$n \
    FEDIHOST_BENCH_STATE="postgresql://postgres@/bench_state?host=$socket&port=$port" \
    FEDIHOST_BENCH_ACCOUNTING="postgresql://postgres@/bench_accounting?host=$socket&port=$port" \
    "$BIN" "$N" "$WORKERS" "$STEPS"
  echo "PostgreSQL's CPU in this pass: $(awk -v a="$(pg_cpu)" -v b="$before" "BEGIN { print a - b }") s"
done
