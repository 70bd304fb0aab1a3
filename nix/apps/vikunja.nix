# Vikunja (services.vikunja) behind nginx, a database on the shared
# PostgreSQL, mail through the relay; passwords through its environment file,
# assembled at boot.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "vikunja";
  a = fh.app id;
  s = a.settings;
  db = a.database;
  port = fh.localPorts.vikunja;
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.vikunja = {
      enable = true;
      frontendScheme = "https";
      frontendHostname = a.host;
      inherit port;
      database = {
        type = "postgres";
        host = "${db.host}:${toString db.port}";
        inherit (db) user;
        database = db.name;
      };
      environmentFiles = [ (fh.runtimeFile "vikunja-env") ];
      settings = {
        service = {
          enableregistration = s.enableRegistration;
          timezone = s.defaultTimezone;
          enablelinksharing = s.linkSharing;
          enableemailreminders = s.emailReminders;
        };
        files.maxsize = "${toString s.maxFileSizeMiB}MB";
        mailer = {
          enabled = true;
          inherit (fh.smtp a) host port;
          username = a.smtp.user;
          fromemail = a.smtp.from;
          forcessl = false;
        };
      };
    };

    fedihost.secretFiles.vikunja-env = fh.secretFile {
      template = ''
        VIKUNJA_DATABASE_PASSWORD=@FEDIHOST_DB_PASSWORD@
        VIKUNJA_MAILER_PASSWORD=@FEDIHOST_MAIL_PASSWORD@
        VIKUNJA_SERVICE_JWTSECRET=@FEDIHOST_JWT_SECRET@
      '';
      secrets = {
        "@FEDIHOST_DB_PASSWORD@" = db.passwordFile;
        "@FEDIHOST_MAIL_PASSWORD@" = a.smtp.passwordFile;
        "@FEDIHOST_JWT_SECRET@" = a.secretFiles.jwt-secret;
      };
      requiredBy = [ "vikunja.service" ];
    };

    systemd.services.vikunja = fh.afterLocalDatabase a.database;

    services.nginx.virtualHosts = lib.optionalAttrs (fh.has id) {
      ${a.host} = fh.proxyHost {
        inherit port;
        maxBodyMiB = s.maxFileSizeMiB;
      };
    };

    warnings = fh.versionWarning id (pkgs.vikunja or { });
  };
}
