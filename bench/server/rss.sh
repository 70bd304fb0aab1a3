#!/usr/bin/env bash
# Peak RSS of `fedihost serve` with N deployments in its state database (see bench/README.md).
#   bench/server/rss.sh            N=100000; the database is bench_plan's cache
# The filled database is build/bench-data/plan-N.db, made (once, about 4 minutes at 100,000)
# by `build/bench/bench/bench_plan --benchmark_filter='PlanSurvey/N$'`; it is copied, so the
# cache is never changed. The server is the Release build of the `bench` preset. It is
# started on a copy, then the API is asked for every deployment (pages of 200), each
# deployment's details for the first 2,000, and /metrics; VmRSS and VmHWM (the peak) are read
# from /proc after each phase. REFRESH=S starts it with --refresh-interval S (default 0: no
# periodic refresh and no plan survey).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-100000}
REFRESH=${REFRESH:-0}
BIN=${FEDIHOST_BIN:-$here/build/bench/fedihost}
DB=$here/build/bench-data/plan-$N.db
[ -x "$BIN" ] || (cd "$here" && cmake --preset bench >/dev/null && cmake --build --preset bench --target fedihost)
[ -f "$DB" ] || { echo "no $DB: run build/bench/bench/bench_plan --benchmark_filter='PlanSurvey/$N\$' first" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/data"
install -m 600 "$DB" "$tmp/data/state.db"
"$BIN" serve --data "$tmp/data" --listen 127.0.0.1:0 --port-file "$tmp/port" --web "$tmp/no-panel" \
  --refresh-interval "$REFRESH" >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 3000); do [ -s "$tmp/port" ] && break; kill -0 "$pid" || { cat "$tmp/serve.log"; exit 1; }; sleep 0.1; done
port=$(cat "$tmp/port")
mem() { awk -v what="$1" '/^VmRSS|^VmHWM/ { v[$1] = $2 } END { printf "%-28s VmRSS %7.1f MiB, VmHWM (peak) %7.1f MiB\n", what, v["VmRSS:"] / 1024, v["VmHWM:"] / 1024 }' "/proc/$pid/status"; }
mem "started"
python3 - "$port" "$tmp/data/initial-password" <<'PY'
import json, sys, urllib.request
port, pwfile = sys.argv[1], sys.argv[2]
email, password = open(pwfile).read().split()[:2]
base = f"http://127.0.0.1:{port}/api/v1"
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")
token = call("POST", "/auth/login", {"email": email, "password": password})["token"]
ids, cursor = [], None
while True:
    page = call("GET", "/deployments?limit=200" + (f"&cursor={cursor}" if cursor else ""), token=token)
    ids += [d["id"] for d in page["items"]]
    cursor = page.get("next")
    if not cursor: break
print(f"listed {len(ids)} deployments")
open(sys.argv[2] + ".ids", "w").write("\n".join(ids))
PY
mem "after listing every one"
python3 - "$port" "$tmp/data/initial-password" <<'PY'
import json, sys, urllib.request
port, pwfile = sys.argv[1], sys.argv[2]
email, password = open(pwfile).read().split()[:2]
base = f"http://127.0.0.1:{port}/api/v1"
def call(method, path, body=None, token=None, raw=False):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req) as r:
        data = r.read()
        return data if raw else json.loads(data or b"null")
token = call("POST", "/auth/login", {"email": email, "password": password})["token"]
ids = open(pwfile + ".ids").read().split()
for i in ids[:2000]:
    call("GET", f"/deployments/{i}", token=token)
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"})).read()
print("read 2000 deployments' details and /metrics")
PY
mem "after details and metrics"
if [ "$REFRESH" != 0 ]; then
  echo "waiting for the first plan survey (see the log)..."
  for _ in $(seq 1 3600); do grep -q "plan survey:" "$tmp/serve.log" && break; sleep 1; done
  grep "plan survey:" "$tmp/serve.log" | tail -1
  mem "after the plan survey"
fi
