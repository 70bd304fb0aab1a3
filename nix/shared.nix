# What every app on the machine shares: the host name and firewall, a local
# PostgreSQL and MariaDB server for the databases kept in files (databases of a
# real target are on its server), one Redis server per app that wants one,
# nginx with the deployment's certificate (delivered by fedihost; nginx's own
# ACME only for configurations rendered without one), and the files built from
# secrets at boot.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.fedihost;
  fh = import ./lib.nix { inherit config lib; };
  services = fh.json.services or { };
  off = {
    enable = false;
    databases = [ ];
    users = [ ];
    servers = { };
    virtualHosts = { };
  };
  # The machine runs a database server of its own only for databases kept in files (host
  # "localhost"); the others are on the target's server, which fedihost's providers manage.
  localServer =
    server:
    let
      users = builtins.filter (u: fh.isLocalHost (fh.resolved "the database host of ${u.name}" (u.host or "localhost"))) (
        server.users or [ ]
      );
    in
    server
    // {
      inherit users;
      enable = (server.enable or false) && users != [ ];
      databases = map (u: u.database) users;
    };
  pg = localServer (services.postgresql or off);
  my = localServer (services.mysql or off);
  redis = services.redis or off;
  nginx = services.nginx or off;
  appList = builtins.attrValues fh.apps;
  dir = cfg.runtimeFilesDir;

  # Lines fed to psql on its standard input: each password is read by psql
  # itself from the unit's credentials, so it never appears in an argument list.
  psqlLines = builtins.concatMap (u: [
    "\\set pw `cat \"$CREDENTIALS_DIRECTORY/${u.name}\"`"
    "ALTER ROLE \"${u.name}\" WITH LOGIN PASSWORD :'pw';"
  ]) pg.users;

  mysqlUser = u: ''
    pw=$(cat "$CREDENTIALS_DIRECTORY/${u.name}")
    pw=''${pw//\\/\\\\}
    pw=''${pw//\'/\\\'}
    printf '%s\n' \
      "CREATE USER IF NOT EXISTS '${u.name}'@'localhost' IDENTIFIED BY '$pw';" \
      "ALTER USER '${u.name}'@'localhost' IDENTIFIED BY '$pw';" \
      "GRANT ALL PRIVILEGES ON \`${u.database}\`.* TO '${u.name}'@'localhost';" | mysql -N
  '';

in
{
  imports = [ ./options.nix ];

  config = lib.mkMerge [
    {
      networking.hostName = fh.json.networking.hostName;
      networking.firewall = {
        enable = true;
        allowedTCPPorts = fh.json.networking.firewall.allowedTCPPorts;
        allowedUDPPortRanges = fh.json.networking.firewall.allowedUDPPortRanges or [ ];
      };

      # What is deployed here, for people and tools on the machine (no secrets).
      environment.etc."fedihost/release.json".text = builtins.toJSON (
        {
          inherit (fh.json.fedihost) deployment machine;
          catalogVersion = fh.json.fedihost.catalogVersion or "";
          nixpkgsRevision = fh.json.fedihost.nixpkgsRevision or "";
          apps = builtins.mapAttrs (_: a: a.version) fh.apps;
        }
        // lib.optionalAttrs (fh.certificate != null) {
          certificateSerial = fh.resolved "the certificate's serial" fh.certificate.serial;
        }
      );

      assertions = [
        {
          # The target's relay comes with each mail account; accounts kept in files need the machine's.
          assertion = builtins.all (a: a ? smtp -> (fh.smtp a).host != null) appList;
          message = "fedihost: set fedihost.smtp.host, the mail relay of the apps that send mail.";
        }
        {
          assertion = builtins.all (a: a ? s3 -> fh.s3Endpoint a != null) appList;
          message = "fedihost: set fedihost.s3.endpoint, the object storage holding the apps' buckets.";
        }
      ];
    }

    (lib.mkIf pg.enable {
      services.postgresql = {
        enable = true;
        ensureDatabases = pg.databases;
        # Every database is owned by the role of the same name.
        ensureUsers = map (u: {
          inherit (u) name;
          ensureDBOwnership = true;
        }) pg.users;
      };
      # ensureUsers creates roles without passwords; the apps sign in over TCP
      # with the password fedihost generated.
      systemd.services.fedihost-postgresql-passwords = {
        description = "fedihost: passwords of the apps' PostgreSQL roles";
        after = [
          "postgresql.service"
          "postgresql-setup.service"
        ];
        requires = [ "postgresql.service" ];
        wantedBy = [ "multi-user.target" ];
        path = [ (config.services.postgresql.package or pkgs.postgresql) ];
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
          User = "postgres";
          LoadCredential = map (u: "${u.name}:${u.passwordFile}") pg.users;
        };
        script = ''
          printf '%s\n' ${lib.concatStringsSep " " (map lib.escapeShellArg psqlLines)} \
            | psql -v ON_ERROR_STOP=1 -d postgres
        '';
      };
    })

    (lib.mkIf my.enable {
      services.mysql = {
        enable = true;
        package = lib.mkDefault pkgs.mariadb;
        ensureDatabases = my.databases;
      };
      # Users with a password (ensureUsers only creates socket-authenticated ones).
      systemd.services.fedihost-mysql-users = {
        description = "fedihost: the apps' MariaDB users and their passwords";
        after = [ "mysql.service" ];
        requires = [ "mysql.service" ];
        wantedBy = [ "multi-user.target" ];
        path = [ (config.services.mysql.package or pkgs.mariadb) ];
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
          User = config.services.mysql.user or "mysql";
          LoadCredential = map (u: "${u.name}:${u.passwordFile}") my.users;
        };
        script = "set -eu\n" + lib.concatMapStrings mysqlUser my.users;
      };
    })

    (lib.mkIf redis.enable {
      services.redis.servers = builtins.mapAttrs (_: r: {
        enable = true;
        inherit (r) unixSocket;
      }) redis.servers;
    })

    (lib.mkIf nginx.enable {
      services.nginx = {
        enable = true;
        recommendedProxySettings = true;
        recommendedTlsSettings = true;
        recommendedGzipSettings = true;
        recommendedOptimisation = true;
        # The deployment's certificate covers every host name and alias; forced, since some
        # nixpkgs modules (configureNginx) turn on nginx's own ACME for their host.
        virtualHosts = builtins.mapAttrs (
          _: v:
          {
            inherit (v) forceSSL;
          }
          // builtins.mapAttrs (_: lib.mkForce) fh.tls
          // lib.optionalAttrs (v ? serverAliases) { inherit (v) serverAliases; }
        ) nginx.virtualHosts;
      };
    })

    (lib.mkIf (nginx.enable && fh.certificate != null) {
      # Its chain and key, delivered by fedihost beside the secrets, readable by nginx only.
      systemd.tmpfiles.rules = fh.secretOwner "nginx" [
        fh.certificate.chainFile
        fh.certificate.keyFile
      ];
    })

    (lib.mkIf (nginx.enable && fh.certificate == null) {
      security.acme = {
        acceptTerms = true;
        defaults =
          {
            email = if cfg.acme.email != null then cfg.acme.email else "hostmaster@${fh.domain}";
          }
          // lib.optionalAttrs (cfg.acme.server != null) {
            inherit (cfg.acme) server;
          };
      };
    })

    {
      systemd.services = lib.mapAttrs' (
        name: f:
        lib.nameValuePair "fedihost-file-${name}" {
          description = "fedihost: ${dir}/${name}, assembled from secret files";
          wantedBy = [ "multi-user.target" ];
          requiredBy = f.requiredBy;
          before = f.requiredBy;
          path = [
            pkgs.coreutils
            pkgs.replace-secret
          ];
          serviceConfig = {
            Type = "oneshot";
            RemainAfterExit = true;
          };
          script =
            ''
              set -eu
              install -d -m 0755 ${dir}
              t=$(mktemp ${dir}/.${name}.XXXXXX)
              cat ${pkgs.writeText "fedihost-${name}.template" f.template} > "$t"
            ''
            + lib.concatStrings (
              lib.mapAttrsToList (
                placeholder: file: "replace-secret ${lib.escapeShellArg placeholder} ${lib.escapeShellArg file} \"$t\"\n"
              ) f.placeholders
            )
            + ''
              chown ${f.owner}:${f.group} "$t"
              chmod ${f.mode} "$t"
              mv "$t" ${dir}/${name}
            '';
        }
      ) cfg.secretFiles;
    }
  ];
}
