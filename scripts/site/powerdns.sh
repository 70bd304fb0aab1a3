#!/usr/bin/env bash
# PowerDNS Authoritative 4.7 on loopback for the DNS providers' tests:
#   powerdns.sh start DIR   the server with its state in DIR/powerdns/ (gsqlite3
#                           backend), the HTTP API with a random API key, and
#                           RFC 2136 updates signed with a TSIG key.
#   powerdns.sh stop DIR    stops it by PID (safe to call twice).
# Writes DIR/powerdns/provider.json for the "powerdns" implementation and
# DIR/powerdns/rfc2136.json, of the same shape, for the "rfc2136" one.
#
# Updates: the global allow-dnsupdate-from is empty, so no zone takes an update
# unless its metadata says so. The rfc2136 provider cannot create zones, so this
# script creates one zone for it, rfc2136.test, whose metadata allows updates
# from 127.0.0.0/8 signed with the TSIG key (ALLOW-DNSUPDATE-FROM,
# TSIG-ALLOW-DNSUPDATE) and zone transfers with that key (TSIG-ALLOW-AXFR, for
# list()); rfc2136.json names it in settings "zones". Zones the powerdns
# provider creates through the API take no updates.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
state="$dir/powerdns"

case "$cmd" in
stop)
  stop_pids "$state"
  exit 0
  ;;
start) ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

for tool in pdns_server pdnsutil sqlite3 curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "powerdns.sh: $tool is not installed (scripts/install-deps --test)" >&2; exit 1; }
done
schema=/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql
[ -f "$schema" ] || { echo "powerdns.sh: $schema missing (pdns-backend-sqlite3)" >&2; exit 1; }

mkdir -p "$state"
dns_port=$(free_port)
web_port=$(free_port)
while [ "$web_port" = "$dns_port" ]; do web_port=$(free_port); done
api_key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
tsig_name=fedihost-update
tsig_secret=$(head -c 32 /dev/urandom | base64)
zone=rfc2136.test

rm -f "$state/pdns.sqlite3"
sqlite3 "$state/pdns.sqlite3" <"$schema"
cat >"$state/pdns.conf" <<CONF
launch=gsqlite3
gsqlite3-database=$state/pdns.sqlite3
local-address=127.0.0.1
local-port=$dns_port
api=yes
api-key=$api_key
webserver=yes
webserver-address=127.0.0.1
webserver-port=$web_port
webserver-allow-from=127.0.0.0/8
socket-dir=$state
daemon=no
guardian=no
disable-syslog=yes
security-poll-suffix=
dnsupdate=yes
allow-dnsupdate-from=
allow-axfr-ips=127.0.0.0/8
default-soa-content=ns1.fedihost.test. hostmaster.@ 0 10800 3600 604800 300
loglevel=6
CONF

pdns() { pdnsutil --config-dir="$state" "$@" >>"$state/setup.log" 2>&1 || fail_with_log "powerdns.sh: pdnsutil $* failed" "$state/setup.log"; }
pdns create-zone "$zone" ns1.fedihost.test
pdns import-tsig-key "$tsig_name" hmac-sha256 "$tsig_secret"
pdns set-meta "$zone" ALLOW-DNSUPDATE-FROM 127.0.0.0/8
pdns set-meta "$zone" TSIG-ALLOW-DNSUPDATE "$tsig_name"
pdns set-meta "$zone" TSIG-ALLOW-AXFR "$tsig_name"

pdns_server --config-dir="$state" </dev/null >"$state/pdns.log" 2>&1 &
pid=$!
remember_pid "$state" "$pid"
wait_tcp "$dns_port" 20 || { stop_pids "$state"; fail_with_log "powerdns.sh: pdns_server did not listen on $dns_port" "$state/pdns.log"; }
wait_tcp "$web_port" 20 || { stop_pids "$state"; fail_with_log "powerdns.sh: the API did not listen on $web_port" "$state/pdns.log"; }
ready=0
for _ in $(seq 1 100); do
  if curl -sf -o /dev/null -H "X-API-Key: $api_key" "http://127.0.0.1:$web_port/api/v1/servers/localhost"; then ready=1; break; fi
  sleep 0.05
done
[ "$ready" = 1 ] || { stop_pids "$state"; fail_with_log "powerdns.sh: the API did not answer" "$state/pdns.log"; }

cat >"$state/provider.json" <<JSON
{"dns-record-set": {"implementation": "powerdns", "settings": {
  "url": "http://127.0.0.1:$web_port", "apiKey": "$api_key", "server": "localhost",
  "nameservers": ["ns1.fedihost.test.", "ns2.fedihost.test."], "hostmaster": "hostmaster.fedihost.test.",
  "dnsAddress": "127.0.0.1", "dnsPort": $dns_port}}}
JSON
cat >"$state/rfc2136.json" <<JSON
{"dns-record-set": {"implementation": "rfc2136", "settings": {
  "server": "127.0.0.1", "port": $dns_port, "tsigName": "$tsig_name", "tsigAlgorithm": "hmac-sha256",
  "tsigSecret": "$tsig_secret", "zones": ["$zone"]}}}
JSON
