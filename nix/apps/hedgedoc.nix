# HedgeDoc (services.hedgedoc) behind nginx, a database on the shared
# PostgreSQL, uploaded pictures in an S3 bucket. The module substitutes
# $VARIABLES of its configuration from the environment file, which is
# assembled at boot with the secrets.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "hedgedoc";
  a = fh.app id;
  s = a.settings;
  db = a.database;
  s3 = fh.s3 a;
  port = fh.localPorts.hedgedoc;
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.hedgedoc = {
      enable = true;
      environmentFile = fh.runtimeFile "hedgedoc-env";
      settings = {
        domain = a.host;
        protocolUseSSL = true;
        host = "127.0.0.1";
        inherit port;
        db = {
          dialect = "postgres";
          inherit (db) host port;
          database = db.name;
          username = db.user;
          password = "$FEDIHOST_DB_PASSWORD";
        };
        sessionSecret = "$FEDIHOST_SESSION_SECRET";
        email = true;
        inherit (s)
          allowEmailRegister
          allowAnonymous
          allowAnonymousEdits
          defaultPermission
          documentMaxLength
          ;
        imageUploadType = "s3";
        s3bucket = s3.buckets.uploads;
        s3 = {
          accessKeyId = s3.accessKeyId;
          secretAccessKey = "$FEDIHOST_S3_SECRET_ACCESS_KEY";
          inherit (s3) region endpoint;
        };
      };
    };

    fedihost.secretFiles.hedgedoc-env = fh.secretFile {
      template = ''
        FEDIHOST_DB_PASSWORD=@FEDIHOST_DB_PASSWORD@
        FEDIHOST_SESSION_SECRET=@FEDIHOST_SESSION_SECRET@
        FEDIHOST_S3_SECRET_ACCESS_KEY=@FEDIHOST_S3_SECRET_ACCESS_KEY@
      '';
      secrets = {
        "@FEDIHOST_DB_PASSWORD@" = db.passwordFile;
        "@FEDIHOST_S3_SECRET_ACCESS_KEY@" = s3.secretAccessKeyFile;
        "@FEDIHOST_SESSION_SECRET@" = a.secretFiles.session-secret;
      };
      requiredBy = [ "hedgedoc.service" ];
    };

    systemd.services.hedgedoc = fh.afterLocalDatabase a.database;

    services.nginx.virtualHosts = lib.optionalAttrs (fh.has id) {
      ${a.host} = fh.proxyHost {
        inherit port;
        websockets = true;
        maxBodyMiB = 20;
      };
    };

    warnings = fh.versionWarning id (pkgs.hedgedoc or { });
  };
}
