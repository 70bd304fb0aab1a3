#!/usr/bin/env bash
# A FAKE Garage admin API (v1) on loopback for the "garage" providers' tests:
# Garage itself cannot be built here, so tests/fakes/garage_admin_fake.mjs
# (Node, no dependencies) stands in for it, following Garage's published
# specification. It holds buckets, keys and permissions in memory and serves
# no S3.
#   garage-fake.sh start DIR   the fake with a random bearer token; its log in DIR/garage-fake/
#   garage-fake.sh stop DIR    stops it by PID (safe to call twice).
# Writes DIR/garage-fake/provider.json: "bucket" and "access-key", both
# implementation "garage". s3Endpoint there is where a real Garage's S3 API
# would be; nothing listens on it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
state="$dir/garage-fake"

case "$cmd" in
stop)
  stop_pids "$state"
  exit 0
  ;;
start) ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

command -v node >/dev/null 2>&1 || { echo "garage-fake.sh: node is not installed (scripts/install-deps)" >&2; exit 1; }
fake="$here/../../tests/fakes/garage_admin_fake.mjs"
[ -f "$fake" ] || { echo "garage-fake.sh: $fake is missing" >&2; exit 1; }

mkdir -p "$state"
admin_port=$(free_port)
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

node "$fake" --port "$admin_port" --token "$token" --region garage </dev/null >"$state/fake.log" 2>&1 &
pid=$!
remember_pid "$state" "$pid"
ready=0
for _ in $(seq 1 200); do
  if grep -q "listening on 127.0.0.1:$admin_port" "$state/fake.log" 2>/dev/null; then ready=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
[ "$ready" = 1 ] || { stop_pids "$state"; fail_with_log "garage-fake.sh: the fake did not listen on $admin_port" "$state/fake.log"; }

cat >"$state/provider.json" <<JSON
{"bucket": {"implementation": "garage", "settings": {
  "adminUrl": "http://127.0.0.1:$admin_port", "adminToken": "$token",
  "s3Endpoint": "http://127.0.0.1:3900", "region": "garage"}},
 "access-key": {"implementation": "garage", "settings": {
  "adminUrl": "http://127.0.0.1:$admin_port", "adminToken": "$token",
  "s3Endpoint": "http://127.0.0.1:3900", "region": "garage"}}}
JSON
