# PeerTube (services.peertube): nginx, a database on the shared PostgreSQL,
# its own Redis, videos in S3 buckets, mail through the relay.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "peertube";
  a = fh.app id;
  s = a.settings;
  db = a.database;
  s3 = fh.s3 a;
  privacy = {
    public = 1;
    unlisted = 2;
    private = 3;
    internal = 4;
  };
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.peertube = {
      enable = true;
      localDomain = a.host;
      listenWeb = 443;
      enableWebHttps = true;
      configureNginx = true;
      secrets.secretsFile = a.secretFiles.server-secret;
      # The S3 key and the first administrator's password, assembled at boot (AWS_* variables
      # are read by PeerTube; PT_INITIAL_ROOT_PASSWORD when it starts for the first time and
      # makes its administrator "root").
      serviceEnvironmentFile = fh.runtimeFile "peertube-env";
      database = {
        createLocally = false;
        inherit (db)
          host
          port
          name
          user
          passwordFile
          ;
      };
      # The module's own Redis server "peertube", on /run/redis-peertube/redis.sock.
      redis = {
        createLocally = true;
        enableUnixSocket = true;
      };
      smtp = {
        createLocally = false;
        inherit (a.smtp) passwordFile;
      };
      settings = {
        instance.name = s.instanceName;
        signup = {
          enabled = s.registrations != "closed";
          requires_approval = s.registrations == "approval";
          requires_email_verification = true;
        };
        transcoding.enabled = s.transcoding;
        defaults.publish.privacy = privacy.${s.defaultVideoPrivacy};
        smtp = {
          transport = "smtp";
          hostname = (fh.smtp a).host;
          port = (fh.smtp a).port;
          username = a.smtp.user;
          tls = false;
          disable_starttls = false;
          from_address = a.smtp.from;
        };
        object_storage = {
          enabled = true;
          inherit (s3) endpoint region;
          web_videos.bucket_name = s3.buckets.videos;
          streaming_playlists.bucket_name = s3.buckets.streaming-playlists;
        };
      };
    };

    services.nginx.virtualHosts = lib.optionalAttrs (fh.has id) {
      ${a.host}.extraConfig = "client_max_body_size ${toString s.maxUploadSizeMiB}m;\n";
    };

    fedihost.secretFiles.peertube-env = fh.secretFile {
      template = ''
        AWS_ACCESS_KEY_ID=${s3.accessKeyId}
        AWS_SECRET_ACCESS_KEY=@FEDIHOST_S3_SECRET_ACCESS_KEY@
        PT_INITIAL_ROOT_PASSWORD=@FEDIHOST_ADMIN_PASSWORD@
      '';
      secrets."@FEDIHOST_S3_SECRET_ACCESS_KEY@" = s3.secretAccessKeyFile;
      secrets."@FEDIHOST_ADMIN_PASSWORD@" = a.secretFiles.admin-password;
      requiredBy = [ "peertube.service" ];
    };

    systemd.tmpfiles.rules = fh.secretOwner "peertube" [
      db.passwordFile
      a.smtp.passwordFile
      a.secretFiles.server-secret
    ];

    systemd.services.peertube = fh.afterLocalDatabase a.database;

    warnings = fh.versionWarning id (pkgs.peertube or { });
  };
}
