# fedihost's NixOS modules. A machine imports this file and points
# fedihost.configurationFile at the configuration.json fedihost rendered for it:
#
#   imports = [ ./fedihost/nix ];
#   fedihost.configurationFile = ./configuration.json;
#
# Every app of the catalog has a module under apps/, active only when the
# configuration lists the app; shared.nix holds what the apps share.
{ config, lib, ... }:
let
  fh = import ./lib.nix { inherit config lib; };
  known = [
    "castopod"
    "cryptpad"
    "edumeet"
    "forgejo"
    "hedgedoc"
    "mastodon"
    "matrix"
    "nextcloud"
    "owncast"
    "peertube"
    "pixelfed"
    "roundcube"
    "vikunja"
  ];
  unknown = builtins.filter (id: !(builtins.elem id known)) (builtins.attrNames fh.apps);
in
{
  imports = [
    ./options.nix
    ./shared.nix
  ] ++ map (id: ./apps + "/${id}.nix") known;

  config.assertions = [
    {
      assertion = unknown == [ ];
      message = "fedihost: no module for the app(s) ${builtins.concatStringsSep ", " unknown} of the configuration; update nix/.";
    }
  ];
}
