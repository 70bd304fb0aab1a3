# Nextcloud (services.nextcloud): nginx, a database on the shared PostgreSQL,
# the module's Redis, files in an S3 bucket (primary storage), mail through
# the relay.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "nextcloud";
  a = fh.app id;
  s = a.settings;
  db = a.database;
  s3 = fh.s3 a;
  major = builtins.head (builtins.splitVersion a.version);
  package = pkgs."nextcloud${major}";
  from = builtins.match "([^@]+)@(.+)" a.smtp.from;
  links = {
    allowed = {
      allow = "yes";
      password = "no";
    };
    password = {
      allow = "yes";
      password = "yes";
    };
    disabled = {
      allow = "no";
      password = "no";
    };
  };
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.nextcloud = {
      enable = true;
      inherit package;
      hostName = a.host;
      https = true;
      maxUploadSize = "${toString s.maxUploadSizeMiB}M";
      # The module's own Redis server "nextcloud".
      configureRedis = true;
      database.createLocally = false;
      config = {
        dbtype = "pgsql";
        dbhost = "${db.host}:${toString db.port}";
        dbname = db.name;
        dbuser = db.user;
        dbpassFile = db.passwordFile;
        adminuser = "admin";
        adminpassFile = a.secretFiles.admin-password;
        objectstore.s3 = {
          enable = true;
          bucket = s3.buckets.files;
          key = s3.accessKeyId;
          secretFile = s3.secretAccessKeyFile;
          hostname = s3.host;
          inherit (s3) port useSsl region;
          usePathStyle = true;
        };
      };
      settings = {
        default_phone_region = s.defaultPhoneRegion;
        overwriteprotocol = "https";
        mail_smtpmode = "smtp";
        mail_smtphost = (fh.smtp a).host;
        mail_smtpport = (fh.smtp a).port;
        mail_smtpsecure = "";
        mail_smtpauth = true;
        mail_smtpname = a.smtp.user;
        mail_from_address = builtins.elemAt from 0;
        mail_domain = builtins.elemAt from 1;
      };
      # The mail password and the secrets its installer would otherwise generate (secret,
      # passwordsalt, instanceid: the control plane's, so every bundle carries them), assembled at
      # boot into JSON merged into config.php.
      secretFile = fh.runtimeFile "nextcloud-secrets";
      extraApps = lib.optionalAttrs s.calendarAndContacts {
        inherit (pkgs."nextcloud${major}Packages".apps) calendar contacts;
      };
      extraAppsEnable = true;
    };

    fedihost.secretFiles.nextcloud-secrets = fh.secretFile {
      template = builtins.toJSON {
        mail_smtppassword = "@FEDIHOST_MAIL_PASSWORD@";
        secret = "@FEDIHOST_SECRET@";
        passwordsalt = "@FEDIHOST_PASSWORD_SALT@";
        instanceid = "@FEDIHOST_INSTANCE_ID@";
      };
      secrets = {
        "@FEDIHOST_MAIL_PASSWORD@" = a.smtp.passwordFile;
        "@FEDIHOST_SECRET@" = a.secretFiles.config-secret;
        "@FEDIHOST_PASSWORD_SALT@" = a.secretFiles.password-salt;
        "@FEDIHOST_INSTANCE_ID@" = a.secretFiles.instance-id;
      };
      owner = "nextcloud";
      requiredBy = [ "nextcloud-setup.service" ];
    };

    systemd.tmpfiles.rules = fh.secretOwner "nextcloud" [
      db.passwordFile
      a.secretFiles.admin-password
      s3.secretAccessKeyFile
    ];

    systemd.services.nextcloud-setup = fh.afterLocalDatabase a.database;

    # Settings kept in Nextcloud's database rather than config.php.
    systemd.services.fedihost-nextcloud-settings = {
      description = "fedihost: Nextcloud settings kept in its database";
      after = [ "nextcloud-setup.service" ];
      requires = [ "nextcloud-setup.service" ];
      wantedBy = [ "multi-user.target" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
      script = ''
        occ=/run/current-system/sw/bin/nextcloud-occ
        $occ config:app:set files default_quota --value=${lib.escapeShellArg "${toString s.defaultQuotaGiB} GB"}
        $occ config:app:set core shareapi_allow_links --value=${links.${s.publicLinks}.allow}
        $occ config:app:set core shareapi_enforce_links_password --value=${links.${s.publicLinks}.password}
      '';
    };

    warnings = fh.versionWarning id package;
  };
}
