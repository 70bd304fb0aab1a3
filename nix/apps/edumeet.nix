# Edumeet 4 (room server, media node, web client). nixpkgs has no Edumeet
# package nor module: this module declares its own options (fedihost.edumeet)
# and runs both servers as systemd services behind nginx. The packages come
# from the operator (or an overlay providing pkgs.edumeet-room-server,
# pkgs.edumeet-media-node and pkgs.edumeet-client).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  fh = import ../lib.nix { inherit config lib; };
  cfg = config.fedihost.edumeet;
  id = "edumeet";
  a = fh.app id;
  s = a.settings;
  roomPort = fh.localPorts.edumeet;
  # The media streams' UDP ports, which the shared firewall opens.
  rtc = builtins.head (a.udpPortRanges or [ { from = 40000; to = 49999; } ]);
  mediaPort = fh.localPorts.edumeetMediaNode;
  address = fh.json.networking.address or null;
  announced = if cfg.announcedAddress != null then cfg.announcedAddress else address;

  # What the browser loads as /config/config.js (no secrets).
  clientConfig = {
    title = s.title;
    serverHostname = a.host;
    serverPort = 443;
    resolution = s.videoResolution;
    askForMediaOnJoin = s.askForMediaOnJoin;
    maxUsersPerRoom = s.maxParticipantsPerRoom;
  }
  // lib.optionalAttrs (s.privacyUrl != "") { inherit (s) privacyUrl; };

  # The room server's config.json; the media node's secret is filled in at boot.
  roomConfig = {
    listenHost = "127.0.0.1";
    listenPort = roomPort;
    maxUsersPerRoom = s.maxParticipantsPerRoom;
    mediaNodes = [
      {
        hostname = "127.0.0.1";
        port = mediaPort;
        secret = "@FEDIHOST_MEDIA_NODE_SECRET@";
        latitude = 0;
        longitude = 0;
      }
    ];
  };
in
{
  imports = [ ../shared.nix ];

  options.fedihost.edumeet = {
    roomServerPackage = mkOption {
      type = types.nullOr types.package;
      default = pkgs.edumeet-room-server or null;
      description = "The Edumeet room server (edumeet-room-server 4.x), with bin/edumeet-room-server.";
    };
    mediaNodePackage = mkOption {
      type = types.nullOr types.package;
      default = pkgs.edumeet-media-node or null;
      description = "The Edumeet media node (edumeet-media-node 4.x, mediasoup), with bin/edumeet-media-node.";
    };
    clientPackage = mkOption {
      type = types.nullOr types.package;
      default = pkgs.edumeet-client or null;
      description = "The built Edumeet web client: a directory holding index.html.";
    };
    announcedAddress = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The public address the media node announces to browsers (default: the machine's address).";
    };

  };

  config = lib.mkIf (fh.has id) {
    assertions = [
      {
        assertion = cfg.roomServerPackage != null && cfg.mediaNodePackage != null && cfg.clientPackage != null;
        message = "fedihost: Edumeet is not packaged in nixpkgs; set fedihost.edumeet.{roomServer,mediaNode,client}Package.";
      }
      {
        assertion = builtins.isString announced;
        message = "fedihost: set fedihost.edumeet.announcedAddress, or deliver configuration.json with the machine's address resolved.";
      }
    ];

    fedihost.secretFiles.edumeet-room-server = fh.secretFile {
      template = builtins.toJSON roomConfig;
      secrets."@FEDIHOST_MEDIA_NODE_SECRET@" = a.secretFiles.media-node-secret;
      requiredBy = [ "edumeet-room-server.service" ];
    };

    systemd.services.edumeet-media-node = {
      description = "Edumeet media node";
      wantedBy = [ "multi-user.target" ];
      after = [ "network-online.target" ];
      wants = [ "network-online.target" ];
      serviceConfig = {
        DynamicUser = true;
        StateDirectory = "edumeet-media-node";
        LoadCredential = [ "secret:${a.secretFiles.media-node-secret}" ];
        Restart = "on-failure";
      };
      script = ''
        exec ${cfg.mediaNodePackage}/bin/edumeet-media-node \
          --ip 0.0.0.0 --announcedIp ${announced} --listenPort ${toString mediaPort} \
          --rtcMinPort ${toString rtc.from} --rtcMaxPort ${toString rtc.to} \
          --secret "$(cat "$CREDENTIALS_DIRECTORY/secret")"
      '';
    };

    systemd.services.edumeet-room-server = {
      description = "Edumeet room server";
      wantedBy = [ "multi-user.target" ];
      after = [
        "network.target"
        "edumeet-media-node.service"
      ];
      serviceConfig = {
        DynamicUser = true;
        StateDirectory = "edumeet-room-server";
        WorkingDirectory = "/var/lib/edumeet-room-server";
        LoadCredential = [ "config.json:${fh.runtimeFile "edumeet-room-server"}" ];
        Restart = "on-failure";
      };
      # The room server reads config/config.json from its working directory.
      script = ''
        install -d -m 0700 config
        install -m 0400 "$CREDENTIALS_DIRECTORY/config.json" config/config.json
        exec ${cfg.roomServerPackage}/bin/edumeet-room-server
      '';
    };

    environment.etc."edumeet/config.js".text = "var config = ${builtins.toJSON clientConfig};\n";

    services.nginx.virtualHosts = lib.optionalAttrs (fh.has id) {
      ${a.host} = {
        root = "${cfg.clientPackage}";
        locations."/".tryFiles = "$uri /index.html";
        locations."= /config/config.js".alias = "/etc/edumeet/config.js";
        locations."/socket.io/" = {
          proxyPass = "http://127.0.0.1:${toString roomPort}";
          proxyWebsockets = true;
        };
      };
    };
  };
}
