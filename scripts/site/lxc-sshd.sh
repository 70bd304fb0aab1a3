#!/usr/bin/env bash
# LXC containers with sshd for the "ssh" NixOS provider's tests: lxc.sh in
# DIR/lxc-sshd from a cache with openssh-server (see lxc.sh, FEDIHOST_LXC_FLAVOUR).
#   lxc-sshd.sh start|stop DIR
FEDIHOST_LXC_FLAVOUR=sshd exec "$(dirname "$0")/lxc.sh" "$@"
