# Matrix: Synapse (services.matrix-synapse) behind nginx on 443 and on the
# federation port, a database on the shared PostgreSQL, media in an S3 bucket
# (synapse-s3-storage-provider), mail through the relay.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "matrix";
  a = fh.app id;
  s = a.settings;
  db = a.database;
  s3 = fh.s3 a;
  port = fh.localPorts.matrix;
  federationPorts = builtins.filter (p: p != 80 && p != 443) a.ports;
  allowlist = builtins.filter (x: x != "") (
    map (x: builtins.head (builtins.match " *([^ ]*) *" x)) (
      builtins.filter builtins.isString (builtins.split "," s.federationAllowlist)
    )
  );

  database = {
    name = "psycopg2";
    args = {
      inherit (db) host port user;
      database = db.name;
      cp_min = 5;
      cp_max = 10;
    };
  };
  email = {
    smtp_host = (fh.smtp a).host;
    smtp_port = (fh.smtp a).port;
    smtp_user = a.smtp.user;
    require_transport_security = true;
    notif_from = "Matrix <${a.smtp.from}>";
    enable_notifs = true;
  };
  # Synapse replaces a top-level key of its configuration by the same key of
  # a later file: the secret file repeats these sections whole, with the secrets.
  secretSections = {
    database = database // {
      args = database.args // {
        password = "@FEDIHOST_DB_PASSWORD@";
      };
    };
    email = email // {
      smtp_pass = "@FEDIHOST_MAIL_PASSWORD@";
    };
    media_storage_providers = [
      {
        module = "s3_storage_provider.S3StorageProviderBackend";
        store_local = true;
        store_remote = true;
        store_synchronous = true;
        config = {
          bucket = s3.buckets.media;
          region_name = s3.region;
          endpoint_url = s3.endpoint;
          access_key_id = s3.accessKeyId;
          secret_access_key = "@FEDIHOST_S3_SECRET_ACCESS_KEY@";
        };
      }
    ];
  };
  listen = port: ssl: [
    {
      addr = "0.0.0.0";
      inherit port ssl;
    }
    {
      addr = "[::]";
      inherit port ssl;
    }
  ];
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.matrix-synapse = {
      enable = true;
      settings = {
        server_name = a.host;
        # The control plane's (so every bundle carries it); Synapse's --generate-keys at start
        # makes one only where the file is missing.
        signing_key_path = a.secretFiles.signing-key;
        public_baseurl = "https://${a.host}/";
        serve_server_wellknown = true;
        listeners = [
          {
            inherit port;
            bind_addresses = [ "127.0.0.1" ];
            type = "http";
            tls = false;
            x_forwarded = true;
            resources = [
              {
                names = [
                  "client"
                  "federation"
                ];
                compress = false;
              }
            ];
          }
        ];
        inherit database email;
        enable_registration = s.enableRegistration;
        registration_requires_3pid = lib.optional s.enableRegistration "email";
        max_upload_size = "${toString s.maxUploadSizeMiB}M";
        url_preview_enabled = s.urlPreviews;
        url_preview_ip_range_blacklist = [
          "127.0.0.0/8"
          "10.0.0.0/8"
          "172.16.0.0/12"
          "192.168.0.0/16"
          "100.64.0.0/10"
          "169.254.0.0/16"
          "::1/128"
          "fe80::/10"
          "fc00::/7"
        ];
      }
      // lib.optionalAttrs (s.federation != "open") {
        # An empty list: no other server at all.
        federation_domain_whitelist = if s.federation == "allowlist" then allowlist else [ ];
      };
      plugins = [ pkgs.matrix-synapse-plugins.matrix-synapse-s3-storage-provider ];
      extraConfigFiles = [ (fh.runtimeFile "matrix-synapse-secrets") ];
    };

    # JSON is YAML: the template is the JSON of secretSections.
    fedihost.secretFiles.matrix-synapse-secrets = fh.secretFile {
      template = builtins.toJSON secretSections;
      secrets = {
        "@FEDIHOST_DB_PASSWORD@" = db.passwordFile;
        "@FEDIHOST_MAIL_PASSWORD@" = a.smtp.passwordFile;
        "@FEDIHOST_S3_SECRET_ACCESS_KEY@" = s3.secretAccessKeyFile;
      };
      owner = "matrix-synapse";
      requiredBy = [ "matrix-synapse.service" ];
    };

    systemd.tmpfiles.rules = fh.secretOwner "matrix-synapse" [ a.secretFiles.signing-key ];

    systemd.services.matrix-synapse = fh.afterLocalDatabase a.database;

    services.nginx.virtualHosts = lib.optionalAttrs (fh.has id) {
      ${a.host} = {
        # 80 for ACME and the redirect, 443 for clients, the federation port for servers.
        listen = listen 80 false ++ builtins.concatMap (p: listen p true) ([ 443 ] ++ federationPorts);
        locations = builtins.listToAttrs (
          map
            (path: {
              name = path;
              value.proxyPass = "http://127.0.0.1:${toString port}";
            })
            [
              "/_matrix"
              "/_synapse/client"
              "/.well-known/matrix"
            ]
        );
        extraConfig = "client_max_body_size ${toString s.maxUploadSizeMiB}m;\n";
      };
    };

    warnings = fh.versionWarning id (pkgs.matrix-synapse or { });
  };
}
