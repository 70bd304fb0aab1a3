#!/usr/bin/env bash
# A real S3 server on loopback for the blob providers' tests: Debian's OpenStack
# Swift 2.30 (account, container and object servers, and a proxy with the s3api
# and tempauth middlewares).
#   s3.sh start DIR   Swift with its state in DIR/s3/: configuration in etc/, the
#                     rings (one device, one replica), the device in srv/d1 (or,
#                     if DIR's file system has no user xattrs, in a directory of
#                     ours under /var/tmp or /dev/shm) and logs in log/.
#   s3.sh stop DIR    stops every server by PID (safe to call twice).
# Writes DIR/s3/provider.json with
#   "bucket":     implementation "s3", the S3 endpoint and the admin's S3 keys;
#   "access-key": implementation "swift-tempauth", the same plus the proxy's
#                 configuration directory and PID file, where that provider
#                 writes its users and which it signals to reload.
#
# The proxy reads a configuration directory (proxy-server.conf.d: every *.conf
# in it, in name order, sections merged), so the access-key provider owns one
# file of it; SIGUSR1 makes the proxy re-exec itself in place (same PID) with
# the new configuration (SIGHUP would only stop it gracefully).
#
# s3api runs with s3_acl = true: an app's tempauth user has no .admin group and
# reaches a bucket only through the bucket's S3 ACL (grants to "account:user"),
# which the provider sets with the admin's keys. versioned_writes with
# allow_object_versioning makes S3 bucket versioning work.
#
# The rings are built with Swift's RingBuilder (the library swift-ring-builder
# wraps) in one Python process: the command line needs 9 runs of ~2 s here.
# Every server runs in its own session (setsid), as Swift servers signal their
# whole process group when they stop.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
state="$dir/s3"

case "$cmd" in
stop)
  stop_pids "$state"
  if [ -f "$state/run/devices-elsewhere" ]; then
    d=$(cat "$state/run/devices-elsewhere")
    case "$d" in /var/tmp/fedihost-swift.*|/dev/shm/fedihost-swift.*) rm -rf -- "$d" ;; esac
    rm -f "$state/run/devices-elsewhere"
  fi
  exit 0
  ;;
start) ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

py=/usr/bin/python3
for tool in swift-proxy-server swift-account-server swift-container-server swift-object-server curl setsid; do
  command -v "$tool" >/dev/null 2>&1 || { echo "s3.sh: $tool is not installed (scripts/install-deps --test: swift swift-proxy swift-account swift-container swift-object)" >&2; exit 1; }
done

mkdir -p "$state/etc/proxy-server.conf.d" "$state/srv/d1" "$state/log" "$state/run"
etc="$state/etc"

# Swift keeps object metadata in extended attributes: the devices directory
# must be on a file system that takes user xattrs. DIR's is tried first, then
# /var/tmp and /dev/shm (a directory of ours there, removed by stop).
xattr_ok() { "$py" -c 'import os,sys; p=sys.argv[1]+"/.xattr-check"; open(p,"w").close(); os.setxattr(p,"user.fedihost",b"1"); os.remove(p)' "$1" 2>>"$state/log/setup.log"; }
devices="$state/srv"
if ! xattr_ok "$devices"; then
  devices=""
  for base in /var/tmp /dev/shm; do
    d=$(mktemp -d "$base/fedihost-swift.XXXXXX" 2>/dev/null) || continue
    if xattr_ok "$d"; then devices=$d; echo "$d" >"$state/run/devices-elsewhere"; break; fi
    rmdir "$d"
  done
  [ -n "$devices" ] || fail_with_log "s3.sh: no file system here takes user extended attributes ($state, /var/tmp, /dev/shm); Swift needs them" "$state/log/setup.log"
  mkdir -p "$devices/d1"
fi

ports=()
while [ "${#ports[@]}" -lt 4 ]; do
  p=$(free_port)
  case " ${ports[*]-} " in *" $p "*) continue ;; esac
  ports+=("$p")
done
account_port=${ports[0]}; container_port=${ports[1]}; object_port=${ports[2]}; proxy_port=${ports[3]}
admin_account=fedihost
admin_user=admin
admin_key=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
region=us-east-1
run_user=$(id -un)  # Swift drops to user "swift" by default, who cannot reach a private DIR

cat >"$etc/swift.conf" <<CONF
[swift-hash]
swift_hash_path_suffix = $(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
swift_hash_path_prefix = fedihost-test

[storage-policy:0]
name = Policy-0
default = yes
CONF

"$py" - "$etc" "$account_port" "$container_port" "$object_port" >>"$state/log/setup.log" 2>&1 <<'PY' || fail_with_log "s3.sh: building the rings failed" "$state/log/setup.log"
import sys
from swift.common.ring import RingBuilder
etc = sys.argv[1]
for name, port in zip(("account", "container", "object"), sys.argv[2:5]):
    b = RingBuilder(10, 1, 1)
    b.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
               "device": "d1", "weight": 1, "meta": ""})
    b.rebalance()
    b.save("%s/%s.builder" % (etc, name))
    b.get_ring().save("%s/%s.ring.gz" % (etc, name))
PY

backend_conf() {  # NAME PORT
  cat >"$etc/$1-server.conf" <<CONF
[DEFAULT]
user = $run_user
devices = $devices
mount_check = false
disable_fallocate = true
bind_ip = 127.0.0.1
bind_port = $2
workers = 0
swift_dir = $etc
log_name = $1-server

[pipeline:main]
pipeline = $1-server

[app:$1-server]
use = egg:swift#$1
CONF
}
backend_conf account "$account_port"
backend_conf container "$container_port"
backend_conf object "$object_port"

cat >"$etc/proxy-server.conf.d/00-proxy.conf" <<CONF
[DEFAULT]
user = $run_user
bind_ip = 127.0.0.1
bind_port = $proxy_port
workers = 1
swift_dir = $etc
log_name = proxy-server

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_object_versioning = true

[filter:tempauth]
use = egg:swift#tempauth
user_${admin_account}_${admin_user} = $admin_key .admin

[filter:s3api]
use = egg:swift#s3api
s3_acl = true
location = $region

[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_object_versioning = true

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:symlink]
use = egg:swift#symlink
CONF

start_server() {  # NAME CONF
  setsid "swift-$1-server" "$2" --verbose </dev/null >"$state/log/$1.log" 2>&1 &
  remember_pid "$state" "$!"
  echo "$!" >"$state/run/$1.pid"
}
start_server account "$etc/account-server.conf"
start_server container "$etc/container-server.conf"
start_server object "$etc/object-server.conf"
start_server proxy "$etc/proxy-server.conf.d"

# Until each listens; a server that died is reported at once with its log.
for s in account:$account_port container:$container_port object:$object_port proxy:$proxy_port; do
  name=${s%%:*}; port=${s#*:}; pid=$(cat "$state/run/$name.pid"); up=0
  for _ in $(seq 1 1200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  [ "$up" = 1 ] || { stop_pids "$state"; fail_with_log "s3.sh: swift-$name-server did not listen on $port" "$state/log/$name.log"; }
done
ready=0
for _ in $(seq 1 200); do
  if curl -sf -o /dev/null "http://127.0.0.1:$proxy_port/healthcheck"; then ready=1; break; fi
  sleep 0.05
done
[ "$ready" = 1 ] || { stop_pids "$state"; fail_with_log "s3.sh: the proxy did not answer /healthcheck" "$state/log/proxy.log"; }

cat >"$state/provider.json" <<JSON
{"bucket": {"implementation": "s3", "settings": {
  "endpoint": "http://127.0.0.1:$proxy_port", "region": "$region",
  "accessKeyId": "$admin_account:$admin_user", "secretAccessKey": "$admin_key", "pathStyle": true}},
 "access-key": {"implementation": "swift-tempauth", "settings": {
  "endpoint": "http://127.0.0.1:$proxy_port", "region": "$region", "account": "$admin_account",
  "accessKeyId": "$admin_account:$admin_user", "secretAccessKey": "$admin_key",
  "proxyConfigDir": "$etc/proxy-server.conf.d", "proxyPidFile": "$state/run/proxy.pid"}}}
JSON
