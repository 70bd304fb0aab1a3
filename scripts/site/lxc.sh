#!/usr/bin/env bash
# LXC containers for tests: a cached Debian root filesystem (debootstrap once,
# kept between runs under ${FEDIHOST_CACHE:-/var/cache/fedihost}/rootfs-bookworm:
# ~30 s to 2 min and the Debian mirror the first time) and a private lxc path
# in DIR/lxc/containers. Needs root, lxc and debootstrap (scripts/install-deps --test).
#   lxc.sh start DIR   writes DIR/lxc/provider.json:
#     {"machine": {"implementation": "lxc", "settings": {lxcPath, rootfsCache, init,
#       network: "routed", timeoutMs}}}
#     and, for tests only, DIR/lxc/site.json: {"subnet": "10.213.N"} (addresses
#     10.213.N.2 to .254 are the test's: N is random, so two runs do not collide).
#   lxc.sh stop DIR    kills and destroys every container in DIR/lxc/containers,
#                      deletes their host-side veths (and routes), removes the directory.
# FEDIHOST_LXC_FLAVOUR=sshd (scripts/site/lxc-sshd.sh): the same in DIR/lxc-sshd, from
# a cache with openssh-server (rootfs-bookworm-sshd), and a key pair for the "ssh" NixOS
# provider: DIR/lxc-sshd/id_ed25519(.pub); the machine settings name its public half in
# "authorizedKeys" (root's authorized_keys in every container), and provider.json also has
#   {"nixos-config": {"implementation": "ssh", "settings": {"privateKey": {"file": …}}}}.
# The containers' PID 1 (/usr/local/sbin/fedihost-init, rewritten into an older cache) mounts
# /run on tmpfs and starts sshd when the container has the host key the lxc provider made
# (its sshd_config.d/fedihost-host-key.conf).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cmd=${1:?usage: lxc.sh start|stop DIR}
dir=${2:?usage: lxc.sh start|stop DIR}
flavour=${FEDIHOST_LXC_FLAVOUR:-}
S="$dir/lxc${flavour:+-$flavour}"
P="$S/containers"
cache_dir=${FEDIHOST_CACHE:-/var/cache/fedihost}
cache="$cache_dir/rootfs-bookworm${flavour:+-$flavour}"
include=iproute2,netcat-openbsd
case "$flavour" in
  "") ;;
  sshd) include=$include,openssh-server ;;
  *) echo "lxc.sh: unknown FEDIHOST_LXC_FLAVOUR $flavour (known: sshd)" >&2; exit 2 ;;
esac
mirror=${FEDIHOST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
init=/usr/local/sbin/fedihost-init

write_init() {  # the same PID 1 the provider writes into a cache it builds itself (kMinimalInit)
  mkdir -p "$1/usr/local/sbin"
  cat >"$1$init.new" <<'INIT'
#!/bin/sh
# PID 1 of a fedihost LXC container without an init system (written by fedihost):
# /run on tmpfs, sshd with our host key, orphans reaped, exit on SIGPWR or SIGTERM.
trap 'exit 0' PWR TERM INT
[ "$(stat -f -c %T /run 2>/dev/null)" = tmpfs ] || mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mkdir -p /run/lock
if [ -x /usr/sbin/sshd ] && [ -e /etc/ssh/sshd_config.d/fedihost-host-key.conf ]; then mkdir -p /run/sshd && /usr/sbin/sshd -E /var/log/sshd.log; fi
while :; do sleep 3600 & wait $!; done
INIT
  chmod 755 "$1$init.new"
  if cmp -s "$1$init.new" "$1$init"; then rm -f "$1$init.new"; else mv -f "$1$init.new" "$1$init"; fi
}

case "$cmd" in
  start)
    trap '"$0" stop "$dir"' EXIT
    [ "$(id -u)" = 0 ] || { echo "lxc.sh: needs root" >&2; exit 1; }
    for t in lxc-start lxc-attach lxc-destroy debootstrap; do
      command -v "$t" >/dev/null || { echo "lxc.sh: $t not found (apt-get install lxc debootstrap)" >&2; exit 1; }
    done
    mkdir -p "$P" "$cache_dir"
    # One build at a time (flock), into a side directory renamed into place.
    exec 9>"$cache.lock"
    flock 9
    if [ ! -d "$cache/etc" ]; then
      rm -rf "$cache.building"
      echo "lxc.sh: building $cache with debootstrap (once)" >&2
      debootstrap --variant=minbase --include=$include bookworm "$cache.building" "$mirror" \
        >"$S/debootstrap.log" 2>&1 || fail_with_log "lxc.sh: debootstrap failed" "$S/debootstrap.log"
      write_init "$cache.building"
      mv "$cache.building" "$cache"
    fi
    write_init "$cache"  # an older cache gets the current one
    [ -x "$cache/usr/bin/nc.openbsd" ] || { echo "lxc.sh: $cache has no nc (delete it to rebuild)" >&2; exit 1; }
    exec 9>&-
    nixos="" keys=""
    if [ "$flavour" = sshd ]; then
      [ -x "$cache/usr/sbin/sshd" ] || { echo "lxc.sh: $cache has no sshd (delete it to rebuild)" >&2; exit 1; }
      command -v ssh-keygen >/dev/null || { echo "lxc.sh: ssh-keygen not found (apt-get install openssh-client)" >&2; exit 1; }
      ssh-keygen -q -t ed25519 -N "" -C fedihost-test -f "$S/id_ed25519"
      keys=", \"authorizedKeys\": [\"$(cat "$S/id_ed25519.pub")\"]"
      nixos=", \"nixos-config\": {\"implementation\": \"ssh\", \"settings\": {\"privateKey\": {\"file\": \"$S/id_ed25519\"}}}"
    fi
    cat >"$S/provider.json" <<JSON
{"machine": {"implementation": "lxc", "settings": {
  "lxcPath": "$P", "rootfsCache": "$cache", "init": "$init", "network": "routed", "timeoutMs": 30000${keys:-}}}$nixos}
JSON
    echo "{\"subnet\": \"10.213.$((RANDOM % 250 + 1))\"}" >"$S/site.json"
    trap - EXIT
    ;;
  stop)
    [ -d "$P" ] || { rm -rf "$S"; exit 0; }
    for c in "$P"/* "$P"/.*.creating; do
      [ -f "$c/config" ] || continue
      n=$(basename "$c")
      veth=$(sed -n 's/^lxc.net.0.veth.pair *= *//p' "$c/config")
      case "$n" in
        .*) ;;
        *) lxc-stop -P "$P" -n "$n" -k >/dev/null 2>&1 || true
           lxc-destroy -P "$P" -n "$n" >/dev/null 2>&1 || true ;;
      esac
      if [ -n "$veth" ] && [ -e "/sys/class/net/$veth" ]; then ip link del "$veth" 2>/dev/null || true; fi
    done
    rm -rf "$S"
    ;;
  *) echo "usage: lxc.sh start|stop DIR" >&2; exit 2 ;;
esac
