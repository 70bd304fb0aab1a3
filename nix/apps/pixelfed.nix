# Pixelfed (services.pixelfed): nginx, a database on the shared PostgreSQL,
# its own Redis, photos in an S3 bucket, mail through the relay.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "pixelfed";
  a = fh.app id;
  s = a.settings;
  db = a.database;
  s3 = fh.s3 a;
  bucket = s3.buckets.media;
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.pixelfed = {
      enable = true;
      domain = a.host;
      # The module's virtual host for `domain`, with TLS.
      nginx = fh.tls // {
        forceSSL = true;
      };
      # APP_KEY, Passport's OAuth keys and the passwords, assembled at boot (see fedihost.secretFiles).
      secretFile = fh.runtimeFile "pixelfed-env";
      redis.createLocally = true;
      database = {
        createLocally = false;
        type = "pgsql";
        inherit (db) name;
      };
      maxUploadSize = "${toString ((s.maxPhotoSizeKiB + 1023) / 1024)}M";
      settings = {
        APP_NAME = s.siteName;
        OPEN_REGISTRATION = s.registrations != "closed";
        INSTANCE_CUR_REG = s.registrations == "approval";
        ENFORCE_EMAIL_VERIFICATION = s.enforceEmailVerification;
        MAX_PHOTO_SIZE = s.maxPhotoSizeKiB;
        MAX_ALBUM_LENGTH = s.maxAlbumPhotos;

        DB_CONNECTION = "pgsql";
        DB_HOST = db.host;
        DB_PORT = db.port;
        DB_DATABASE = db.name;
        DB_USERNAME = db.user;

        MAIL_DRIVER = "smtp";
        MAIL_MAILER = "smtp";
        MAIL_HOST = (fh.smtp a).host;
        MAIL_PORT = (fh.smtp a).port;
        MAIL_ENCRYPTION = "tls";
        MAIL_USERNAME = a.smtp.user;
        MAIL_FROM_ADDRESS = a.smtp.from;
        MAIL_FROM_NAME = s.siteName;

        PF_ENABLE_CLOUD = true;
        FILESYSTEM_CLOUD = "s3";
        AWS_ACCESS_KEY_ID = s3.accessKeyId;
        AWS_DEFAULT_REGION = s3.region;
        AWS_BUCKET = bucket;
        AWS_URL = "${s3.endpoint}/${bucket}";
        AWS_ENDPOINT = s3.endpoint;
        AWS_USE_PATH_STYLE_ENDPOINT = true;
      };
    };

    fedihost.secretFiles.pixelfed-env = fh.secretFile {
      template = ''
        APP_KEY=@FEDIHOST_APP_KEY@
        DB_PASSWORD=@FEDIHOST_DB_PASSWORD@
        MAIL_PASSWORD=@FEDIHOST_MAIL_PASSWORD@
        AWS_SECRET_ACCESS_KEY=@FEDIHOST_S3_SECRET_ACCESS_KEY@
        PASSPORT_PRIVATE_KEY="@FEDIHOST_PASSPORT_PRIVATE_KEY@"
        PASSPORT_PUBLIC_KEY="@FEDIHOST_PASSPORT_PUBLIC_KEY@"
      '';
      secrets = {
        "@FEDIHOST_DB_PASSWORD@" = db.passwordFile;
        "@FEDIHOST_MAIL_PASSWORD@" = a.smtp.passwordFile;
        "@FEDIHOST_S3_SECRET_ACCESS_KEY@" = s3.secretAccessKeyFile;
        "@FEDIHOST_APP_KEY@" = a.secretFiles.app-key;
        # PEM, several lines: quoted above (phpdotenv reads a double-quoted value across lines).
        # Passport reads its keys from these rather than the files `passport:keys` makes in storage/.
        "@FEDIHOST_PASSPORT_PRIVATE_KEY@" = a.secretFiles.passport-private-key;
        "@FEDIHOST_PASSPORT_PUBLIC_KEY@" = a.secretFiles.passport-public-key;
      };
      requiredBy = [ "pixelfed-data-setup.service" ];
    };

    systemd.services.pixelfed-data-setup = fh.afterLocalDatabase a.database;

    warnings = fh.versionWarning id (pkgs.pixelfed or { });
  };
}
