# CryptPad (services.cryptpad): no database, no buckets, no mail; its
# (encrypted) data stays under /var/lib/cryptpad. Documents render on a
# separate sandbox origin, an extra host name of the app that its virtual
# host serves as an alias (written here rather than by the module's
# configureNginx, which would add the same alias a second time).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "cryptpad";
  a = fh.app id;
  s = a.settings;
  MiB = 1024 * 1024;
  sandbox = builtins.head (a.extraHosts or [ a.host ]);
  port = fh.localPorts.cryptpad;
  websocketPort = fh.localPorts.cryptpadWebsocket;
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.cryptpad = {
      enable = true;
      configureNginx = false;
      settings = {
        httpUnsafeOrigin = "https://${a.host}";
        httpSafeOrigin = "https://${sandbox}";
        httpAddress = "127.0.0.1";
        httpPort = port;
        inherit websocketPort;
        blockDailyCheck = true;
        defaultStorageLimit = s.storageLimitMiB * MiB;
        maxUploadSize = s.maxUploadSizeMiB * MiB;
      };
    };

    services.nginx.virtualHosts = lib.optionalAttrs (fh.has id) {
      ${a.host} = lib.mkMerge [
        (fh.proxyHost {
          inherit port;
          maxBodyMiB = s.maxUploadSizeMiB + 10;
        })
        {
          locations."/cryptpad_websocket" = {
            proxyPass = "http://127.0.0.1:${toString websocketPort}";
            proxyWebsockets = true;
          };
        }
      ];
    };

    warnings = fh.versionWarning id (pkgs.cryptpad or { });
  };
}
