#!/usr/bin/env bash
# Debian's pebble (a small ACME test CA) on loopback for the "acme" certificate
# provider's tests, validating DNS-01 against the site's PowerDNS:
#   pebble.sh start DIR   pebble with its state in DIR/pebble/; needs powerdns.sh
#                         started first in the same DIR (it reads DIR/powerdns/provider.json
#                         for the DNS port pebble asks).
#   pebble.sh stop DIR    stops it by PID (safe to call twice).
# Pebble's own TLS certificate (for the directory at https://127.0.0.1:PORT/dir)
# is signed by a throw-away CA made here, DIR/pebble/tls-ca.pem: the target's
# "caFile". That is not the CA that signs issued certificates: pebble makes a
# new root at every start, served by its management API at /roots/0
# ("managementUrl" in provider.json, informative only).
# PEBBLE_VA_NOSLEEP=1 (no random validation delay); PEBBLE_WFE_NONCEREJECT=0: no
# nonce is rejected at random (pebble's default rejects 5 %, which made the site tests
# fail at random, e.g. a revocation's badNonce; the client's badNonce retry is not
# exercised against pebble for that reason).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
state="$dir/pebble"

case "$cmd" in
stop)
  stop_pids "$state"
  exit 0
  ;;
start) ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

for tool in pebble openssl curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "pebble.sh: $tool is not installed (scripts/install-deps --test)" >&2; exit 1; }
done
[ -f "$dir/powerdns/provider.json" ] || { echo "pebble.sh: start powerdns.sh first (DNS-01 is validated against it)" >&2; exit 1; }
dns_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dns-record-set"]["settings"]["dnsPort"])' "$dir/powerdns/provider.json")

mkdir -p "$state"
acme_port=$(free_port)
mgmt_port=$(free_port)
http_port=$(free_port)
tls_port=$(free_port)

# The CA of pebble's listener, and the listener's certificate for 127.0.0.1 and localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=fedihost test pebble TLS CA" \
  -keyout "$state/tls-ca.key" -out "$state/tls-ca.pem" >>"$state/setup.log" 2>&1 ||
  fail_with_log "pebble.sh: making the TLS CA failed" "$state/setup.log"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$state/tls.key" -out "$state/tls.csr" >>"$state/setup.log" 2>&1 ||
  fail_with_log "pebble.sh: making the TLS key failed" "$state/setup.log"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$state/tls.ext"
openssl x509 -req -in "$state/tls.csr" -CA "$state/tls-ca.pem" -CAkey "$state/tls-ca.key" -CAcreateserial -days 2 \
  -extfile "$state/tls.ext" -out "$state/tls.pem" >>"$state/setup.log" 2>&1 ||
  fail_with_log "pebble.sh: signing the TLS certificate failed" "$state/setup.log"

cat >"$state/pebble.json" <<JSON
{"pebble": {
  "listenAddress": "127.0.0.1:$acme_port",
  "managementListenAddress": "127.0.0.1:$mgmt_port",
  "certificate": "$state/tls.pem",
  "privateKey": "$state/tls.key",
  "httpPort": $http_port,
  "tlsPort": $tls_port,
  "ocspResponderURL": "",
  "externalAccountBindingRequired": false
}}
JSON

PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 pebble -config "$state/pebble.json" -dnsserver "127.0.0.1:$dns_port" </dev/null >"$state/pebble.log" 2>&1 &
pid=$!
remember_pid "$state" "$pid"
wait_tcp "$acme_port" 20 || { stop_pids "$state"; fail_with_log "pebble.sh: pebble did not listen on $acme_port" "$state/pebble.log"; }
ready=0
for _ in $(seq 1 100); do
  if curl -sf -o /dev/null --cacert "$state/tls-ca.pem" "https://127.0.0.1:$acme_port/dir" &&
     curl -sf -o /dev/null --cacert "$state/tls-ca.pem" "https://127.0.0.1:$mgmt_port/roots/0"; then ready=1; break; fi
  sleep 0.05
done
[ "$ready" = 1 ] || { stop_pids "$state"; fail_with_log "pebble.sh: pebble did not answer" "$state/pebble.log"; }

cat >"$state/provider.json" <<JSON
{"certificate": {"implementation": "acme", "settings": {
  "directoryUrl": "https://127.0.0.1:$acme_port/dir", "caFile": "$state/tls-ca.pem",
  "pollIntervalMs": 100, "pollTimeoutMs": 60000,
  "managementUrl": "https://127.0.0.1:$mgmt_port"}}}
JSON
