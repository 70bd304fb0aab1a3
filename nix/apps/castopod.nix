# Castopod (services.castopod): nginx, a database on the shared MariaDB, its
# own Redis as cache, episode files in an S3 bucket, mail through the relay.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "castopod";
  a = fh.app id;
  s = a.settings;
  db = a.database;
  s3 = fh.s3 a;
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.castopod = {
      enable = true;
      localDomain = a.host;
      configureNginx = true;
      maxUploadSize = s.maxUploadSizeMiB;
      database = {
        createLocally = false;
        # "localhost": PHP connects through MariaDB's socket, with the password.
        hostname = db.host;
        inherit (db) name user passwordFile;
      };
      # The mail and S3 secrets, assembled at boot, appended to Castopod's .env.
      environmentFile = fh.runtimeFile "castopod-env";
      settings = {
        "app.defaultLocale" = s.defaultLanguage;
        "admin.gateway" = s.adminPath;

        "cache.handler" = "redis";
        "cache.redis.host" = a.redis.unixSocket;
        "cache.redis.port" = 0;

        "email.protocol" = "smtp";
        "email.SMTPHost" = (fh.smtp a).host;
        "email.SMTPPort" = (fh.smtp a).port;
        "email.SMTPCrypto" = "tls";
        "email.SMTPUser" = a.smtp.user;
        "email.fromEmail" = a.smtp.from;

        "media.fileManager" = "s3";
        "media.s3.endpoint" = s3.endpoint;
        "media.s3.region" = s3.region;
        "media.s3.bucket" = s3.buckets.media;
        "media.s3.key" = s3.accessKeyId;
        "media.s3.pathStyleEndpoint" = true;
      };
    };

    # Castopod runs as "castopod" and reads its Redis socket.
    users.users.castopod.extraGroups = [ "redis-castopod" ];

    fedihost.secretFiles.castopod-env = fh.secretFile {
      template = ''
        email.SMTPPass=@FEDIHOST_MAIL_PASSWORD@
        media.s3.secret=@FEDIHOST_S3_SECRET_ACCESS_KEY@
      '';
      secrets = {
        "@FEDIHOST_MAIL_PASSWORD@" = a.smtp.passwordFile;
        "@FEDIHOST_S3_SECRET_ACCESS_KEY@" = s3.secretAccessKeyFile;
      };
      owner = "castopod";
      requiredBy = [ "castopod-setup.service" ];
    };

    systemd.tmpfiles.rules = fh.secretOwner "castopod" [ db.passwordFile ];

    systemd.services.castopod-setup = fh.afterLocalDatabase a.database;

    warnings = fh.versionWarning id (pkgs.castopod or { });
  };
}
