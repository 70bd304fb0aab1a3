# Mastodon (services.mastodon): nginx, a database on the shared PostgreSQL,
# its own Redis, media in an S3 bucket, mail through the relay.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "mastodon";
  a = fh.app id;
  s = a.settings;
  db = a.database;
  s3 = fh.s3 a;
  bool = b: if b then "true" else "false";
  # Settings stay on the schema they were stored with until their owner
  # upgrades: schema 1 had a yes/no "openRegistrations" instead of "registrations".
  registrationMode =
    if (a.schemaVersion or 2) >= 2 then
      s.registrations
    else if s.openRegistrations or false then
      "open"
    else
      "approval";
  # tootctl settings registrations <mode>
  registrations = {
    open = "open";
    approval = "approved";
    closed = "close";
  };
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.mastodon = {
      enable = true;
      localDomain = a.host;
      configureNginx = true;
      streamingProcesses = 1;
      # Its own secrets are the control plane's (so every bundle carries them): the module's
      # mastodon-init-dirs generates one only where its file is missing, and these exist.
      secretKeyBaseFile = a.secretFiles.secret-key-base;
      otpSecretFile = a.secretFiles.otp-secret;
      vapidPrivateKeyFile = a.secretFiles.vapid-private-key;
      vapidPublicKeyFile = a.secretFiles.vapid-public-key;
      activeRecordEncryptionPrimaryKeyFile = a.secretFiles.active-record-primary-key;
      activeRecordEncryptionDeterministicKeyFile = a.secretFiles.active-record-deterministic-key;
      activeRecordEncryptionKeyDerivationSaltFile = a.secretFiles.active-record-derivation-salt;
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
      # The module's own Redis server "mastodon", on /run/redis-mastodon/redis.sock.
      redis.createLocally = true;
      smtp = {
        createLocally = false;
        authenticate = true;
        inherit (fh.smtp a) host port;
        inherit (a.smtp) user passwordFile;
        fromAddress = a.smtp.from;
      };
      extraConfig = {
        SINGLE_USER_MODE = bool (s.singleUserMode or false);
        AUTHORIZED_FETCH = bool (s.authorizedFetch or false);
        DEFAULT_LOCALE = s.defaultLocale or "en";
        # Read by Mastodon forks such as glitch-soc; upstream keeps 500.
        MAX_TOOT_CHARS = toString (s.maxTootChars or 500);
        S3_ENABLED = "true";
        S3_BUCKET = s3.buckets.media;
        S3_ENDPOINT = s3.endpoint;
        S3_REGION = s3.region;
        S3_PROTOCOL = s3.scheme;
        S3_HOSTNAME = s3.host;
        S3_FORCE_SINGLE_REQUEST = "true";
        # Garage has no ACLs.
        S3_PERMISSION = "";
        AWS_ACCESS_KEY_ID = s3.accessKeyId;
      };
      extraEnvFiles = [ (fh.runtimeFile "mastodon-s3-env") ];
    };

    fedihost.secretFiles.mastodon-s3-env = fh.secretFile {
      template = "AWS_SECRET_ACCESS_KEY=@FEDIHOST_S3_SECRET_ACCESS_KEY@\n";
      secrets."@FEDIHOST_S3_SECRET_ACCESS_KEY@" = s3.secretAccessKeyFile;
      owner = "mastodon";
      # Every Mastodon unit requires mastodon-init-dirs and starts after it.
      requiredBy = [ "mastodon-init-dirs.service" ];
    };

    # mastodon-init-dirs reads them as the mastodon user.
    systemd.tmpfiles.rules = fh.secretOwner "mastodon" (
      [
        db.passwordFile
        a.smtp.passwordFile
      ]
      ++ builtins.attrValues a.secretFiles
    );

    systemd.services.mastodon-init-db = fh.afterLocalDatabase a.database;

    # Who may sign up is kept in Mastodon's database, not in its environment.
    systemd.services.fedihost-mastodon-settings = {
      description = "fedihost: Mastodon settings kept in its database";
      after = [
        "mastodon-init-db.service"
        "mastodon-web.service"
      ];
      requires = [ "mastodon-init-db.service" ];
      wantedBy = [ "multi-user.target" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
      script = ''
        /run/current-system/sw/bin/mastodon-tootctl settings registrations ${registrations.${registrationMode}}
      '';
    };

    warnings = fh.versionWarning id (pkgs.mastodon or { });
  };
}
