# Forgejo (services.forgejo) behind nginx, Git over SSH on its own port, a
# database on the shared PostgreSQL, attachments and LFS in S3 buckets, mail
# through the relay. Secrets go through the module's `secrets` (LoadCredential).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "forgejo";
  a = fh.app id;
  s = a.settings;
  db = a.database;
  s3 = fh.s3 a;
  port = fh.localPorts.forgejo;
  forgejoPackage = config.services.forgejo.package or pkgs.forgejo-lts;
  stateDir = config.services.forgejo.stateDir or "/var/lib/forgejo";
  sshPorts = builtins.filter (p: p != 80 && p != 443) a.ports;
  sshPort = if sshPorts == [ ] then 2222 else builtins.head sshPorts;
  storage = bucket: {
    STORAGE_TYPE = "minio";
    MINIO_ENDPOINT = s3.hostPort;
    MINIO_ACCESS_KEY_ID = s3.accessKeyId;
    MINIO_BUCKET = bucket;
    MINIO_LOCATION = s3.region;
    MINIO_USE_SSL = s3.useSsl;
  };
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.forgejo = {
      enable = true;
      database = {
        type = "postgres";
        createDatabase = false;
        inherit (db)
          host
          port
          name
          user
          passwordFile
          ;
      };
      lfs.enable = true;
      settings = {
        server = {
          DOMAIN = a.host;
          ROOT_URL = "https://${a.host}/";
          PROTOCOL = "http";
          HTTP_ADDR = "127.0.0.1";
          HTTP_PORT = port;
          START_SSH_SERVER = true;
          SSH_DOMAIN = a.host;
          SSH_PORT = sshPort;
          SSH_LISTEN_PORT = sshPort;
        };
        session.COOKIE_SECURE = true;
        service = {
          DISABLE_REGISTRATION = !s.enableRegistration;
          REQUIRE_SIGNIN_VIEW = s.requireSignInToView;
        };
        repository.DEFAULT_PRIVATE = s.defaultRepoVisibility;
        quota.ENABLED = true;
        "quota.default".TOTAL = "${toString s.quotaPerAccountMiB}M";
        mailer = {
          ENABLED = true;
          PROTOCOL = "smtp+starttls";
          SMTP_ADDR = (fh.smtp a).host;
          SMTP_PORT = (fh.smtp a).port;
          USER = a.smtp.user;
          FROM = a.smtp.from;
        };
        attachment = storage s3.buckets.attachments;
        lfs = storage s3.buckets.lfs;
      };
      # The module names files in its custom folder for its own secrets, which its forgejo-secrets
      # unit generates where they are missing or empty: they are the control plane's instead (so
      # every bundle carries them), read through LoadCredential like the others.
      secrets = {
        security.SECRET_KEY = lib.mkForce a.secretFiles.secret-key;
        security.INTERNAL_TOKEN = lib.mkForce a.secretFiles.internal-token;
        oauth2.JWT_SECRET = lib.mkForce a.secretFiles.jwt-secret;
        server.LFS_JWT_SECRET = lib.mkForce a.secretFiles.lfs-jwt-secret;
        mailer.PASSWD = a.smtp.passwordFile;
        attachment.MINIO_SECRET_ACCESS_KEY = s3.secretAccessKeyFile;
        lfs.MINIO_SECRET_ACCESS_KEY = s3.secretAccessKeyFile;
      };
    };

    systemd.tmpfiles.rules = fh.secretOwner "forgejo" [
      db.passwordFile
      a.secretFiles.admin-password
    ];

    systemd.services.forgejo = fh.afterLocalDatabase a.database;

    # The first administrator (the catalog's adminLogin), made once with the control plane's
    # password through Forgejo's own command line ("admin" is a name Forgejo reserves). Forgejo
    # takes the password only as an argument: it is visible in the process list of this
    # single-tenant machine for the moment the command runs.
    systemd.services.fedihost-forgejo-admin = fh.firstAdmin {
      inherit id;
      unit = "forgejo.service";
      user = "forgejo";
      script = ''
        forgejo() { ${forgejoPackage}/bin/forgejo --work-path ${stateDir} --config ${stateDir}/custom/conf/app.ini "$@"; }
        if ! forgejo admin user list --admin | awk 'NR > 1 { print $2 }' | grep -qx administrator; then
          forgejo admin user create --admin --username administrator --email ${lib.escapeShellArg a.smtp.from} \
            --password "$(cat ${a.secretFiles.admin-password})" --must-change-password=false
        fi
      '';
    };

    services.nginx.virtualHosts = lib.optionalAttrs (fh.has id) {
      ${a.host} = fh.proxyHost {
        inherit port;
        maxBodyMiB = 512;
      };
    };

    warnings = fh.versionWarning id (pkgs.forgejo-lts or { });
  };
}
