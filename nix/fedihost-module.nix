# services.fedihost: fedihost itself on NixOS (the control plane, not the machines it
# manages: those import ./default.nix). Mirrors the Debian package's unit
# (dist/fedihost.service): the same hardening, Type=notify with a watchdog, a state
# directory, secrets as systemd credentials.
#
#   imports = [ ./fedihost/nix/fedihost-module.nix ];
#   services.fedihost = {
#     enable = true;
#     settings.server.public_url = "https://panel.example.org";
#     settings.mail.smtp = "smtp://mail.example.org:587";
#     credentials.smtp-password = "/run/keys/fedihost-smtp";  # a file outside the store
#     database.createLocally = true;                          # PostgreSQL on this machine
#   };
#
# `settings` is rendered to fedihost.toml (docs/configuration.md lists the keys; fedihost
# refuses an unknown one at start). Never put a secret in it: it lands in the Nix store.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.fedihost;
  toml = pkgs.formats.toml { };
  configFile = toml.generate "fedihost.toml" cfg.settings;
  stateDir = "/var/lib/fedihost";
  # PostgreSQL over its Unix socket, as the fedihost role (peer authentication).
  pgUrl = database: "postgresql://fedihost@%2Frun%2Fpostgresql/${database}";
in
{
  options.services.fedihost = {
    enable = lib.mkEnableOption "fedihost, a control plane for hosting Fediverse apps";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./fedihost-package.nix { };
      description = "The fedihost package (./fedihost-package.nix built from this checkout by default).";
    };

    settings = lib.mkOption {
      type = toml.type;
      default = { };
      description = ''
        The configuration file (fedihost.toml), as Nix values: sections are attribute sets,
        e.g. `server.listen = "127.0.0.1:8080"`. Defaults set here: data_dir, server.listen,
        server.web. Secrets are references only: `{ credential = "smtp-password"; }`.
      '';
    };

    credentials = lib.mkOption {
      type = lib.types.attrsOf lib.types.path;
      default = { };
      example = {
        smtp-password = "/run/keys/fedihost-smtp";
        master-key = "/run/keys/fedihost-master-key";
      };
      description = ''
        systemd credentials of the service (LoadCredential=): name -> a file readable by root,
        outside the Nix store. fedihost reads "master-key" (the key sealing secrets at rest)
        and "smtp-password" (the mail relay's password) from $CREDENTIALS_DIRECTORY.
      '';
    };

    database.createLocally = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Keep fedihost's state and accounting databases in PostgreSQL on this machine
        (services.postgresql, databases "fedihost" and "fedihost_accounting" owned by the
        role "fedihost", reached over the Unix socket) instead of SQLite in ${stateDir}.
      '';
    };
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        services.fedihost.settings = {
          data_dir = lib.mkDefault stateDir;
          server = {
            listen = lib.mkDefault "127.0.0.1:8080";
            web = lib.mkDefault "${cfg.package}/share/fedihost/web";
          };
        };

        users.users.fedihost = {
          isSystemUser = true;
          group = "fedihost";
          home = stateDir;
        };
        users.groups.fedihost = { };

        # The command-line client, for operators on the machine.
        environment.systemPackages = [ cfg.package ];
        environment.etc."fedihost/fedihost.toml".source = configFile;

        systemd.services.fedihost = {
          description = "fedihost control plane for hosting Fediverse apps";
          wantedBy = [ "multi-user.target" ];
          wants = [ "network-online.target" ];
          after = [ "network-online.target" ];
          restartTriggers = [ configFile ];
          serviceConfig = {
            Type = "notify";
            NotifyAccess = "main";
            ExecStart = "${cfg.package}/bin/fedihost serve --config ${configFile}";
            Restart = "on-failure";
            RestartSec = "5s";
            WatchdogSec = "30s";
            TimeoutStartSec = "10min";
            TimeoutStopSec = "2min";
            User = "fedihost";
            Group = "fedihost";
            StateDirectory = "fedihost";
            StateDirectoryMode = "0700";
            WorkingDirectory = stateDir;
            UMask = "0077";
            LoadCredential = lib.mapAttrsToList (name: file: "${name}:${file}") cfg.credentials;
            LimitNOFILE = 65536;

            NoNewPrivileges = true;
            ProtectSystem = "strict";
            ProtectHome = true;
            PrivateTmp = true;
            PrivateDevices = true;
            PrivateMounts = true;
            PrivateUsers = true;
            DevicePolicy = "closed";
            ProtectKernelTunables = true;
            ProtectKernelModules = true;
            ProtectKernelLogs = true;
            ProtectControlGroups = true;
            ProtectClock = true;
            ProtectHostname = true;
            ProtectProc = "invisible";
            ProcSubset = "pid";
            RestrictNamespaces = true;
            RestrictRealtime = true;
            RestrictSUIDSGID = true;
            LockPersonality = true;
            MemoryDenyWriteExecute = true;
            RemoveIPC = true;
            CapabilityBoundingSet = "";
            AmbientCapabilities = "";
            RestrictAddressFamilies = [
              "AF_UNIX"
              "AF_INET"
              "AF_INET6"
              "AF_NETLINK"
            ];
            SystemCallArchitectures = "native";
            SystemCallFilter = [
              "@system-service"
              "~@privileged @resources"
            ];
            SystemCallErrorNumber = "EPERM";
          };
        };
      }

      (lib.mkIf cfg.database.createLocally {
        services.postgresql = {
          enable = true;
          ensureDatabases = [
            "fedihost"
            "fedihost_accounting"
          ];
          ensureUsers = [
            {
              name = "fedihost";
              ensureDBOwnership = true;
            }
          ];
        };
        # ensureDBOwnership covers the database named like the role; the accounting one is given here.
        systemd.services.fedihost-postgresql-setup = {
          description = "fedihost's accounting database owned by its role";
          requiredBy = [ "fedihost.service" ];
          before = [ "fedihost.service" ];
          after = [ "postgresql.service" ];
          requires = [ "postgresql.service" ];
          serviceConfig = {
            Type = "oneshot";
            User = "postgres";
            RemainAfterExit = true;
          };
          script = ''
            ${config.services.postgresql.package}/bin/psql -v ON_ERROR_STOP=1 -d postgres \
              -c 'ALTER DATABASE fedihost_accounting OWNER TO fedihost'
          '';
        };
        systemd.services.fedihost = {
          after = [ "postgresql.service" ];
          requires = [ "postgresql.service" ];
          environment = {
            FEDIHOST_STATE_URL = pgUrl "fedihost";
            FEDIHOST_ACCOUNTING_URL = pgUrl "fedihost_accounting";
          };
        };
      })
    ]
  );
}
