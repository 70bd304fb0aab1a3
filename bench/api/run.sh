#!/usr/bin/env bash
# API load benchmark: GET /api/v1/deployments/{id} of fedihost as an organisation's
# member (through the full authorization check), side by side with nginx serving the
# very same JSON body as a static file (the "how fast could it be" reference), and
# optionally with an older fedihost binary (FEDIHOST_BIN_BEFORE, as an operator: it
# knows no members). Then GET /api/v1/health while 32 clients keep logging in with
# wrong passwords (password hashing must not stall other clients). All measured with
# wrk, one after the other, on 127.0.0.1 only.
#
# Usage: bench/api/run.sh
# Environment:
#   FEDIHOST_BIN  the server binary       (default: build/release/fedihost; built if missing)
#   DURATION      seconds per measurement (default: 10)
#   CONNECTIONS   wrk connections         (default: 64)
#   THREADS       wrk threads             (default: 2)
#   OUT           JSON results file       (default: build/bench-api-results.json)
#   WORKERS       handler threads of fedihost = worker processes of nginx (default: 1)
#   LOGIN_CLIENTS connections logging in with wrong passwords (default: 32)
#   FEDIHOST_BIN_BEFORE  an older server binary to measure the same request against (optional)
#   KEEP_TMP=1    keep the temporary directory (logs, configs) for inspection
#
# Fairness: fedihost answers on WORKERS handler threads (one I/O thread besides), and
# nginx runs WORKERS worker processes. Both get the same Authorization header,
# which nginx ignores. Everything stops by itself: every started process is killed by
# PID on exit (also on failure and Ctrl-C) and is additionally wrapped in `timeout`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FEDIHOST_BIN="${FEDIHOST_BIN:-$ROOT/build/release/fedihost}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
OUT="${OUT:-$ROOT/build/bench-api-results.json}"
NGINX="${NGINX:-/usr/sbin/nginx}"
APPLY_TIMEOUT="${APPLY_TIMEOUT:-120}"
WORKERS="${WORKERS:-1}"
LOGIN_CLIENTS="${LOGIN_CLIENTS:-32}"
FEDIHOST_BIN_BEFORE="${FEDIHOST_BIN_BEFORE:-}"

DURATION="${DURATION%s}"
for v in DURATION CONNECTIONS THREADS APPLY_TIMEOUT WORKERS LOGIN_CLIENTS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "error: $v must be a positive integer (got '${!v}')" >&2; exit 2; }
done
((CONNECTIONS >= THREADS)) || { echo "error: CONNECTIONS must be >= THREADS" >&2; exit 2; }

die() { echo "error: $*" >&2; exit 1; }
for tool in wrk curl python3; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[[ -x "$NGINX" ]] || die "nginx not found at $NGINX"
HAVE_JQ=0
command -v jq >/dev/null && HAVE_JQ=1

# ---- 1. the binary --------------------------------------------------------------------
if [[ ! -x "$FEDIHOST_BIN" ]]; then
  echo "== $FEDIHOST_BIN is missing: building the release preset"
  (cd "$ROOT" && cmake --preset release && cmake --build --preset release)
  [[ -x "$FEDIHOST_BIN" ]] || die "the build did not produce $FEDIHOST_BIN"
fi

# ---- 2. temp dir and cleanup ----------------------------------------------------------
D="$(mktemp -d "${TMPDIR:-/tmp}/fedihost-bench-api.XXXXXX")"
PIDS=()
# Safety net: no started process may outlive this budget even if this script is killed hard.
BUDGET=$((8 * DURATION + 2 * APPLY_TIMEOUT + 180))

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if ((rc != 0)); then
    echo "benchmark failed (exit $rc); last lines of the server logs:" >&2
    for f in "$D/fedihost.log" "$D/nginx.err" "$D/nginx.out"; do
      [[ -s "$f" ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then echo "kept $D" >&2; else rm -rf "$D"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# JSON helpers: field of the JSON on stdin (jq if present, python3 otherwise).
jget() {
  if ((HAVE_JQ)); then jq -er --arg k "$1" '.[$k] // empty'
  else python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); sys.exit(1) if v is None else print(v)' "$1"
  fi
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# ---- 3. fedihost ----------------------------------------------------------------------
# start_fedihost BIN DIR [OPTIONS…] -> sets FH (base URL), FH_PID, EMAIL, PASSWORD
start_fedihost() {
  local bin="$1" dir="$2"
  shift 2
  echo "== starting fedihost ($bin)"
  timeout "$BUDGET" "$bin" serve --data "$dir/var" --listen 127.0.0.1:0 --port-file "$dir/port" "$@" \
    >"$dir/fedihost.log" 2>&1 &
  PIDS+=($!)
  FH_PID=$!
  for _ in $(seq 100); do
    [[ -s "$dir/port" ]] && break
    kill -0 "$FH_PID" 2>/dev/null || die "fedihost exited during start-up"
    sleep 0.1
  done
  [[ -s "$dir/port" ]] || die "fedihost did not write its port file within 10 s"
  FH="http://127.0.0.1:$(head -n1 "$dir/port")"
  [[ -s "$dir/var/initial-password" ]] || die "no $dir/var/initial-password"
  EMAIL="$(sed -n 1p "$dir/var/initial-password")"
  PASSWORD="$(sed -n 2p "$dir/var/initial-password")"
}

# ---- 4. set up a realistic deployment -------------------------------------------------
TOKEN=""
# api METHOD PATH [JSON-BODY] -> response body on stdout; fails unless 2xx.
api() {
  local method="$1" path="$2" body="${3-}" code
  local args=(-sS --max-time 10 -X "$method" -o "$D/resp" -w '%{http_code}')
  [[ -n "$TOKEN" ]] && args+=(-H "Authorization: Bearer $TOKEN")
  [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  code="$(curl "${args[@]}" "$FH$path")" || die "$method $path: curl failed"
  [[ "$code" == 2* ]] || die "$method $path: HTTP $code: $(cat "$D/resp")"
  cat "$D/resp"
}
json_of() { python3 -c 'import json,sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' "$@"; }

# setup_deployment ORG-BODY -> sets DEP (a ready deployment of Mastodon + Pixelfed), TOKEN (the operator's)
setup_deployment() {
  echo "== setting up an organisation and a deployment"
  TOKEN="$(api POST /api/v1/auth/login "$(json_of email "$EMAIL" password "$PASSWORD")" | jget token)"
  ORG="$(api POST /api/v1/organisations "$1" | jget id)"
  DEP="$(api POST "/api/v1/organisations/$ORG/deployments" \
    '{"name":"social","domain":"social.example.test","apps":[{"app":"mastodon"},{"app":"pixelfed"}]}' | jget id)"
  api POST "/api/v1/deployments/$DEP/apply" >/dev/null
  local deadline=$((SECONDS + APPLY_TIMEOUT)) status
  while :; do
    status="$(api GET "/api/v1/deployments/$DEP" | jget status)"
    [[ "$status" == ready ]] && break
    [[ "$status" == failed ]] && die "applying the deployment failed: $(cat "$D/resp")"
    ((SECONDS < deadline)) || die "the deployment is not ready after ${APPLY_TIMEOUT}s (status: $status)"
    sleep 0.2
  done
}

if [[ -n "$FEDIHOST_BIN_BEFORE" ]]; then
  mkdir -p "$D/before"
  start_fedihost "$FEDIHOST_BIN_BEFORE" "$D/before"
  setup_deployment '{"name":"Bench"}'
  BEFORE_URL="$FH/api/v1/deployments/$DEP"
  BEFORE_TOKEN="$TOKEN"
  BEFORE_PID="$FH_PID"
fi

mkdir -p "$D/www" "$D/now"
# Every refused login is hashed (the flood below comes from one address, which would be throttled otherwise).
start_fedihost "$FEDIHOST_BIN" "$D/now" --handler-threads "$WORKERS" --login-failures-per-address 1000000000
setup_deployment '{"name":"bench","displayName":"Bench"}'
# The request is made by a member of the organisation, invited and signed up as a customer would be.
INVITE="$(api POST "/api/v1/organisations/$ORG/invitations" '{"email":"member@bench.example","role":"member"}' | jget token)"
TOKEN=""
TOKEN="$(api POST /api/v1/invitations/accept "$(json_of token "$INVITE" password "a member's long password")" | jget token)"
PATH_DEP="/api/v1/deployments/$DEP"
api GET "$PATH_DEP" >"$D/www/deployment.json"
BODY_BYTES="$(wc -c <"$D/www/deployment.json")"
echo "   deployment $DEP is ready; its JSON body is $BODY_BYTES bytes, read as member@bench.example"

# ---- 5. nginx -------------------------------------------------------------------------
NG_PORT="$(free_port)"
cat >"$D/nginx.conf" <<EOF
daemon off;
master_process $( ((WORKERS > 1)) && echo on || echo off);
worker_processes $WORKERS;
$( ((EUID == 0)) && echo "user root;  # with a master process, workers would drop to nobody and not read the 0700 temp dir")
pid $D/nginx.pid;
error_log $D/nginx.err;
events {}
http {
  access_log off;
  client_body_temp_path $D/nginx-tmp/body;
  proxy_temp_path $D/nginx-tmp/proxy;
  fastcgi_temp_path $D/nginx-tmp/fastcgi;
  uwsgi_temp_path $D/nginx-tmp/uwsgi;
  scgi_temp_path $D/nginx-tmp/scgi;
  keepalive_requests 1000000;  # like fedihost, never close a keep-alive connection
  server {
    listen 127.0.0.1:$NG_PORT;
    location / { root $D/www; default_type application/json; }
  }
}
EOF
mkdir -p "$D/nginx-tmp"
echo "== starting nginx on 127.0.0.1:$NG_PORT ($WORKERS worker process(es))"
timeout "$BUDGET" "$NGINX" -p "$D/" -e "$D/nginx.err" -c "$D/nginx.conf" >"$D/nginx.out" 2>&1 &
PIDS+=($!)
NG_PID=$!
NG="http://127.0.0.1:$NG_PORT"
for _ in $(seq 100); do
  curl -sf --max-time 1 -o /dev/null "$NG/deployment.json" && break
  kill -0 "$NG_PID" 2>/dev/null || die "nginx exited during start-up"
  sleep 0.1
done
cmp -s <(curl -sf --max-time 5 "$NG/deployment.json") "$D/www/deployment.json" ||
  die "nginx does not serve the deployment body"

# ---- 6. wrk, one after the other ------------------------------------------------------
# to_ms VALUE-WITH-UNIT (wrk prints us, ms, s, m)
to_ms() {
  python3 -c '
import re,sys
m=re.fullmatch(r"([0-9.]+)(us|ms|s|m)", sys.argv[1])
if not m: sys.exit("cannot read the latency " + sys.argv[1])
print(round(float(m[1]) * {"us":0.001,"ms":1,"s":1000,"m":60000}[m[2]], 3))' "$1"
}

# measure NAME URL [TOKEN [CONNECTIONS]] -> sets R_RPS R_P99 R_REQS R_NON2XX R_SOCKERR
measure() {
  local name="$1" url="$2" token="${3-$TOKEN}" conns="${4-$CONNECTIONS}" out="$D/wrk-$1.txt"
  local wrk_args=(-t"$THREADS" -c"$conns" --latency --timeout 5s -H "Authorization: Bearer $token")
  echo "== $name: warm-up 1 s, then ${DURATION} s at $conns connections, $THREADS threads"
  timeout 30 wrk "${wrk_args[@]}" -d1s "$url" >/dev/null
  timeout $((DURATION + 30)) wrk "${wrk_args[@]}" -d"${DURATION}s" "$url" >"$out"
  R_RPS="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  R_P99="$(awk '$1 == "99%" {print $2}' "$out")"
  R_REQS="$(awk '/requests in/ {print $1}' "$out")"
  R_NON2XX="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")"
  R_SOCKERR="$(grep -m1 'Socket errors:' "$out" | sed 's/^ *Socket errors: *//' || true)"
  [[ -n "$R_RPS" && -n "$R_P99" ]] || { cat "$out" >&2; die "cannot read wrk's output for $name"; }
  R_P99="$(to_ms "$R_P99")"
  R_NON2XX="${R_NON2XX:-0}"
  if [[ "$R_NON2XX" != 0 ]]; then
    echo "warning: $name answered $R_NON2XX non-2xx responses; its figures are not meaningful" >&2
  fi
  [[ -n "$R_SOCKERR" ]] && echo "warning: $name socket errors: $R_SOCKERR" >&2
  return 0
}

measure fedihost "$FH$PATH_DEP"
FH_RPS="$R_RPS" FH_P99="$R_P99" FH_REQS="$R_REQS" FH_NON2XX="$R_NON2XX" FH_SOCKERR="$R_SOCKERR"
measure nginx "$NG/deployment.json"
NG_RPS="$R_RPS" NG_P99="$R_P99" NG_REQS="$R_REQS" NG_NON2XX="$R_NON2XX" NG_SOCKERR="$R_SOCKERR"
BF_RPS=0 BF_P99=0
if [[ -n "$FEDIHOST_BIN_BEFORE" ]]; then
  measure before "$BEFORE_URL" "$BEFORE_TOKEN"
  BF_RPS="$R_RPS" BF_P99="$R_P99"
  kill -TERM "$BEFORE_PID" 2>/dev/null || true
fi

# /api/v1/health alone, then while LOGIN_CLIENTS connections log in with wrong passwords.
measure health "$FH/api/v1/health" "" 4
HL_RPS="$R_RPS" HL_P99="$R_P99"
cat >"$D/login.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/api/v1/auth/login",
    nil, '{"email":"user' .. (n % 500) .. '@bench.example","password":"not the password ' .. n .. '"}')
end
LUA
echo "== $LOGIN_CLIENTS connections log in with wrong passwords for $((DURATION + 4)) s"
timeout $((DURATION + 30)) wrk -t1 -c"$LOGIN_CLIENTS" -d"$((DURATION + 4))s" --timeout 10s -s "$D/login.lua" "$FH" \
  >"$D/wrk-logins.txt" 2>&1 &
FLOOD_PID=$!
PIDS+=($FLOOD_PID)
sleep 2
measure health-under-logins "$FH/api/v1/health" "" 4
HF_RPS="$R_RPS" HF_P99="$R_P99"
wait "$FLOOD_PID" || true
LOGIN_RPS="$(awk '/^Requests\/sec:/ {print $2}' "$D/wrk-logins.txt")"
LOGIN_RPS="${LOGIN_RPS:-0}"

# ---- 7. stop the servers, report ------------------------------------------------------
for pid in "$FH_PID" "$NG_PID"; do kill -TERM "$pid" 2>/dev/null || true; done

mkdir -p "$(dirname "$OUT")"
python3 - "$OUT" <<EOF
import json, sys, datetime, platform, os, subprocess
def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
fh = {"requests_per_s": float("$FH_RPS"), "p99_ms": float("$FH_P99"), "requests": int("$FH_REQS"),
      "non_2xx": int("$FH_NON2XX"), "socket_errors": "$FH_SOCKERR" or None,
      "url": "GET /api/v1/deployments/{id}", "as": "member", "handler_threads": $WORKERS}
ng = {"requests_per_s": float("$NG_RPS"), "p99_ms": float("$NG_P99"), "requests": int("$NG_REQS"),
      "non_2xx": int("$NG_NON2XX"), "socket_errors": "$NG_SOCKERR" or None,
      "url": "GET /deployment.json (static, same body)"}
before = {"requests_per_s": float("$BF_RPS"), "p99_ms": float("$BF_P99"), "bin": "$FEDIHOST_BIN_BEFORE"} if "$FEDIHOST_BIN_BEFORE" else None
health = {"idle": {"requests_per_s": float("$HL_RPS"), "p99_ms": float("$HL_P99")},
          "under_logins": {"requests_per_s": float("$HF_RPS"), "p99_ms": float("$HF_P99"),
                           "login_clients": $LOGIN_CLIENTS, "failed_logins_per_s": float("$LOGIN_RPS")}}
res = {
    "benchmark": "api-get-deployment",
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "machine": {"host": platform.node(), "cpus": os.cpu_count(), "cpu": cpu_model(), "kernel": platform.release()},
    "settings": {"duration_s": $DURATION, "connections": $CONNECTIONS, "threads": $THREADS, "warmup_s": 1,
                 "body_bytes": $BODY_BYTES, "fedihost_bin": "$FEDIHOST_BIN"},
    "fedihost": fh,
    "nginx": ng,
    "before": before,
    "health": health,
    "ratio": {"requests_per_s": round(fh["requests_per_s"] / ng["requests_per_s"], 4),
              "p99": round(fh["p99_ms"] / ng["p99_ms"], 4) if ng["p99_ms"] else None},
}
with open(sys.argv[1], "w") as f:
    json.dump(res, f, indent=2)
    f.write("\n")
r = res["ratio"]
print()
print(f"GET /api/v1/deployments/{{id}}  ({$BODY_BYTES} bytes, {$CONNECTIONS} connections, {$THREADS} threads, {$DURATION} s)")
print(f"{'server':<10} {'requests/s':>12} {'p99 (ms)':>10}")
print(f"{'fedihost':<10} {fh['requests_per_s']:>12.0f} {fh['p99_ms']:>10.2f}")
print(f"{'nginx':<10} {ng['requests_per_s']:>12.0f} {ng['p99_ms']:>10.2f}   ({$WORKERS} worker process(es))")
print(f"ratio fedihost/nginx: requests/s {r['requests_per_s']:.3f} ({100*r['requests_per_s']:.1f} %), "
      f"p99 {r['p99']:.2f}x")
if before:
    print(f"{'before':<10} {before['requests_per_s']:>12.0f} {before['p99_ms']:>10.2f}   ({before['bin']}, as operator)")
h = health
print(f"GET /api/v1/health p99: {h['idle']['p99_ms']:.2f} ms alone, {h['under_logins']['p99_ms']:.2f} ms while "
      f"{$LOGIN_CLIENTS} clients log in with wrong passwords ({h['under_logins']['failed_logins_per_s']:.0f} refused logins/s)")
print(f"results written to {sys.argv[1]}")
EOF
