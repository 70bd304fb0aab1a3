# Helpers shared by the fedihost modules (not a module itself): reading the
# rendered configuration.json and describing the files built from secrets.
#
# The modules use a small part of nixpkgs' lib on purpose, so that
# tests/eval.nix can evaluate them with a small stub of it (see README.md).
{ config, lib }:
let
  cfg = config.fedihost;
  json = builtins.fromJSON (builtins.readFile cfg.configurationFile);
  apps = json.apps or { };

  # "https://s3.example.net:3900/" -> { scheme = "https"; host = "s3.example.net"; port = 3900; }
  parseUrl =
    url:
    let
      m = builtins.match "(https?)://([^/:]+)(:([0-9]+))?/?" url;
    in
    if m == null then
      throw "fedihost: \"${url}\" is not an http(s) URL without a path"
    else
      {
        scheme = builtins.elemAt m 0;
        host = builtins.elemAt m 1;
        port =
          if builtins.elemAt m 3 != null then
            builtins.fromJSON (builtins.elemAt m 3)
          else if builtins.elemAt m 0 == "https" then
            443
          else
            80;
      };
in
rec {
  inherit json apps parseUrl;

  /** Whether the machine runs the app `id`. */
  has = id: apps ? ${id};

  /** The rendered block of the app `id` (only used under `mkIf (has id)`). */
  app = id: apps.${id} or (throw "fedihost: the configuration has no app \"${id}\"");

  domain = json.networking.domain;

  /** A value the orchestrator resolves before it delivers the file (an output
      of another resource); refuses a reference left unresolved. */
  resolved =
    what: v:
    if builtins.isString v then
      v
    else
      throw "fedihost: ${what} is an unresolved reference to ${v.ref or "?"}; deliver configuration.json through the orchestrator";

  /** Where a file built from secrets at boot lives (tmpfs, never the Nix store). */
  runtimeFile = name: "${cfg.runtimeFilesDir}/${name}";

  /** Where a secret generated once on the machine lives. */
  generatedFile = name: "${cfg.generatedSecretsDir}/${name}";

  /** Ports on 127.0.0.1 of the apps that nginx proxies to, distinct per machine. */
  localPorts = {
    cryptpad = 3010;
    cryptpadWebsocket = 3013;
    edumeet = 3030;
    edumeetMediaNode = 3031;
    forgejo = 3000;
    hedgedoc = 3020;
    matrix = 8008;
    owncast = 8080;
    vikunja = 3456;
  };

  /** The outgoing mail relay of the machine (fedihost.smtp), for apps with a mail account. */
  smtp = {
    host = cfg.smtp.host;
    port = cfg.smtp.port;
  };

  /** Object storage of an app: endpoint (from the app's block, else fedihost.s3), bucket names, key. */
  s3 =
    a:
    let
      endpoint = a.s3.endpoint or cfg.s3.endpoint;
      url = parseUrl endpoint;
    in
    {
      inherit endpoint;
      inherit (url) scheme host port;
      hostPort = "${url.host}:${toString url.port}";
      useSsl = url.scheme == "https";
      region = a.s3.region or cfg.s3.region;
      buckets = a.s3.buckets;
      accessKeyId = resolved "the S3 access key of ${a.host}" a.s3.accessKey;
      secretAccessKeyFile = a.s3.secretAccessKeyFile;
    };

  /** A file assembled at boot from a template and secret files: the template
      (in the Nix store) holds placeholders only; `secrets` maps a placeholder
      to a delivered secret file, `generated` to a secret generated on the
      machine (see fedihost.generatedSecrets). */
  secretFile =
    {
      template,
      secrets ? { },
      generated ? { },
      owner ? "root",
      group ? "root",
      mode ? "0400",
      requiredBy ? [ ],
    }:
    {
      inherit
        template
        owner
        group
        mode
        requiredBy
        ;
      placeholders = secrets // builtins.mapAttrs (_: generatedFile) generated;
    };

  /** A secret generated once on the machine (kept across reboots, backed up with /var/lib). */
  generatedSecret =
    {
      format ? "hex",
      owner ? "root",
      group ? "root",
      mode ? "0400",
    }:
    {
      inherit
        format
        owner
        group
        mode
        ;
    };

  /** tmpfiles rules giving delivered secret files to the user that reads them. */
  secretOwner = user: paths: map (p: "z ${p} 0400 ${user} - - -") paths;

  /** nginx virtual host of an app served by a local port (TLS from the shared settings). */
  proxyHost =
    {
      port,
      websockets ? false,
      maxBodyMiB ? null,
    }:
    {
      locations."/" = {
        proxyPass = "http://127.0.0.1:${toString port}";
        proxyWebsockets = websockets;
      };
      extraConfig = lib.optionalString (maxBodyMiB != null) "client_max_body_size ${toString maxBodyMiB}m;\n";
    };

  /** A warning when the nixpkgs package differs from the version the catalog pins. */
  versionWarning =
    id: pkg:
    let
      want = (app id).version;
      have = pkg.version or null;
    in
    lib.optional (have != null && have != want)
      "fedihost: ${id} ${want} is configured but nixpkgs provides ${have}; check fedihost.nixpkgsRevision (${json.fedihost.nixpkgsRevision or ""})";

  /** A string as a PHP single-quoted literal. */
  phpString = s: "'" + builtins.replaceStrings [ "\\" "'" ] [ "\\\\" "\\'" ] s + "'";
}
