#!/bin/sh
# A FAKE of NixOS's `nixos-rebuild` (and of the two commands a roll back to a given
# generation uses, `nix-env --switch-generation` and a generation's
# `bin/switch-to-configuration`), installed in the Debian container of
# tests/site/nixos_ssh_test.cc as /usr/local/bin/nixos-rebuild and, linked to it,
# /usr/local/bin/nix-env: NixOS cannot run here. It does what the "ssh" NixOS
# provider sees of the real ones:
#   nixos-rebuild switch [ARGS]   a new generation, the system profile link
#       /nix/var/nix/profiles/system -> system-<N>-link (N one more than the
#       highest, as nix-env numbers them, failed ones included; the generation keeps
#       a copy of the configuration.json it was "built" from), then activated;
#   nixos-rebuild switch --rollback   the profile to the generation before the current one;
#   nix-env -p PROFILE --switch-generation N   the profile to generation N;
#   <generation>/bin/switch-to-configuration switch   "activates" it.
# Every call is appended to /var/lib/fake-nixos-rebuild/calls, one line each:
# the arguments of nixos-rebuild, "nix-env ARGS" and "switch-to-configuration ARGS".
# To make it fail: /var/lib/fake-nixos-rebuild/fail-activation (the generation is
# made and the profile switched, then its activation fails, as when a unit does not
# start: exit 1 with the file's content on stderr) or fail-build (nothing changes,
# exit 1 with the file's content on stderr).
set -eu
state=/var/lib/fake-nixos-rebuild
profiles=/nix/var/nix/profiles
cfg=/etc/nixos/fedihost/configuration.json
mkdir -p "$state" "$profiles"

current() {
  l=$(readlink "$profiles/system" 2>/dev/null) || { echo 0; return; }
  l=${l#system-}
  echo "${l%-link}"
}

case "${0##*/}" in
  nix-env)
    printf 'nix-env %s\n' "$*" >>"$state/calls"
    [ "$#" = 4 ] && [ "$1" = -p ] && [ "$3" = --switch-generation ] ||
      { echo "nix-env (fake): only -p PROFILE --switch-generation N is faked" >&2; exit 2; }
    [ -e "$2-$4-link" ] || { echo "error: generation $4 does not exist" >&2; exit 1; }
    ln -sfn "${2##*/}-$4-link" "$2"
    echo "switching profile from version $(current) to $4"
    exit 0 ;;
  switch-to-configuration)
    printf 'switch-to-configuration %s\n' "$*" >>"$state/calls"
    echo "activating the configuration..."
    exit 0 ;;
esac

printf '%s\n' "$*" >>"$state/calls"
[ "${1:-}" = switch ] || { echo "nixos-rebuild (fake): only 'switch' is faked, not '${1:-}'" >&2; exit 2; }
shift
for a in "$@"; do
  if [ "$a" = --rollback ]; then
    p=$(($(current) - 1))
    while [ "$p" -gt 0 ] && [ ! -e "$profiles/system-$p-link" ]; do p=$((p - 1)); done
    [ "$p" -gt 0 ] || { echo "error: no generation older than the current one" >&2; exit 1; }
    ln -sfn "system-$p-link" "$profiles/system"
    echo "switching to the configuration of generation $p"
    exit 0
  fi
done

if [ -e "$state/fail-build" ]; then cat "$state/fail-build" >&2; exit 1; fi
last=$(ls "$profiles" | sed -n 's/^system-\([0-9]*\)-link$/\1/p' | sort -n | tail -n 1)
n=$((${last:-0} + 1))
mkdir -p "$profiles/system-$n-link/bin"
cp "$cfg" "$profiles/system-$n-link/configuration.json"
ln -sf /usr/local/bin/nixos-rebuild "$profiles/system-$n-link/bin/switch-to-configuration"
ln -sfn "system-$n-link" "$profiles/system"
echo "building the system configuration... (generation $n)"
if [ -e "$state/fail-activation" ]; then cat "$state/fail-activation" >&2; exit 1; fi
echo "activating the configuration..."
