# The options of the fedihost modules: where the rendered configuration is,
# what the machine's operator supplies (object storage endpoint, mail relay,
# ACME account) and the files built from secrets at boot.
{ lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.fedihost = {
    configurationFile = mkOption {
      type = types.path;
      example = "./configuration.json";
      description = ''
        The configuration.json that fedihost rendered for this machine
        (machines/<machine>/configuration.json of a deployment). It holds no
        secrets, only the paths of the secret files under /run/fedihost/secrets.
      '';
    };

    runtimeFilesDir = mkOption {
      type = types.str;
      default = "/run/fedihost/files";
      description = "Where the files assembled from secrets at boot are written (tmpfs).";
    };

    s3 = {
      endpoint = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "https://s3.garage.example.net";
        description = ''
          The object storage endpoint holding the buckets of the apps, unless
          the configuration names one per app. Required when an app has buckets.
        '';
      };
      region = mkOption {
        type = types.str;
        default = "garage";
        description = "The region name the object storage expects in signatures.";
      };
    };

    smtp = {
      host = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "smtp.example.net";
        description = ''
          The mail relay the apps send through with their own account
          (STARTTLS, authenticated). Required when an app sends mail.
        '';
      };
      port = mkOption {
        type = types.port;
        default = 587;
        description = "Submission port of the mail relay.";
      };
    };

    acme = {
      email = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Contact address of the ACME account (default: hostmaster@ the deployment's domain).";
      };
      server = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "ACME directory URL (default: Let's Encrypt).";
      };
    };

    secretFiles = mkOption {
      type = types.attrsOf (
        types.submodule {
          options = {
            template = mkOption {
              type = types.lines;
              description = "The file's text with placeholders instead of secrets.";
            };
            placeholders = mkOption {
              type = types.attrsOf types.str;
              default = { };
              description = "Placeholder -> path of the file holding the secret that replaces it.";
            };
            owner = mkOption {
              type = types.str;
              default = "root";
            };
            group = mkOption {
              type = types.str;
              default = "root";
            };
            mode = mkOption {
              type = types.str;
              default = "0400";
            };
            requiredBy = mkOption {
              type = types.listOf types.str;
              default = [ ];
              description = "Units that need the file; they start after it is written.";
            };
          };
        }
      );
      default = { };
      description = ''
        Files assembled at boot from a template and secret files (for apps
        that read secrets from an environment or configuration file), written
        to fedihost.runtimeFilesDir. Secrets never enter the Nix store.
      '';
    };
  };
}
