# Owncast (services.owncast) behind nginx, RTMP ingest on its public port.
# Owncast keeps its settings in its own database: they are applied through
# its admin API, with the administrator password fedihost generated and
# delivered (replacing Owncast's default one at the first start).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "owncast";
  a = fh.app id;
  s = a.settings;
  port = fh.localPorts.owncast;
  rtmp = builtins.filter (p: p != 80 && p != 443) a.ports;
  api = "http://127.0.0.1:${toString port}";
  value = v: lib.escapeShellArg (builtins.toJSON { value = v; });
  calls = [
    {
      path = "/api/admin/config/name";
      body = value s.serverName;
    }
    {
      path = "/api/admin/config/serverurl";
      body = value "https://${a.host}";
    }
    {
      path = "/api/admin/config/chat/disable";
      body = value (!s.chatEnabled);
    }
    {
      path = "/api/admin/config/federation/enable";
      body = value s.federationEnabled;
    }
    {
      path = "/api/admin/config/federation/username";
      body = value s.federationUsername;
    }
    {
      path = "/api/admin/config/video/streamoutputvariants";
      body = value [
        {
          name = "fedihost";
          videoPassthrough = false;
          audioPassthrough = true;
          videoBitrate = s.maxBitrateKbps;
          framerate = 30;
          cpuUsageLevel = 2;
        }
      ];
    }
  ];
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.owncast = {
      enable = true;
      listen = "127.0.0.1";
      inherit port;
      rtmp-port = if rtmp == [ ] then 1935 else builtins.head rtmp;
      # The shared firewall opens the app's ports.
      openFirewall = false;
    };

    services.nginx.virtualHosts = lib.optionalAttrs (fh.has id) {
      ${a.host} = fh.proxyHost {
        inherit port;
        websockets = true;
      };
    };

    systemd.services.fedihost-owncast-settings = {
      description = "fedihost: Owncast settings, through its admin API";
      after = [ "owncast.service" ];
      requires = [ "owncast.service" ];
      wantedBy = [ "multi-user.target" ];
      path = [
        pkgs.curl
        pkgs.coreutils
      ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
      # curl reads the credentials from its standard input (-K -), never from its arguments.
      script =
        ''
          set -eu
          pw=$(cat ${a.secretFiles.admin-password})
          as() { printf 'user = "admin:%s"\n' "$1"; }
          for i in $(seq 60); do curl -fsS -o /dev/null ${api}/api/status && break; sleep 1; done
          if ! as "$pw" | curl -fsS -K - -o /dev/null ${api}/api/admin/serverconfig; then
            # First start: replace Owncast's default administrator password.
            body=$(mktemp)
            trap 'rm -f "$body"' EXIT
            printf '{"value": "%s"}' "$pw" > "$body"
            as abc123 | curl -fsS -K - -o /dev/null -X POST -H 'Content-Type: application/json' \
              --data @"$body" ${api}/api/admin/config/adminpass
          fi
          post() { as "$pw" | curl -fsS -K - -o /dev/null -X POST -H 'Content-Type: application/json' --data "$2" "${api}$1"; }
        ''
        + lib.concatMapStrings (c: "post ${c.path} ${c.body}\n") calls;
    };

    warnings = fh.versionWarning id (pkgs.owncast or { });
  };
}
