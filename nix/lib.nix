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
    if builtins.isAttrs v then
      throw "fedihost: ${what} is an unresolved reference to ${v.ref or "?"}; deliver configuration.json through the orchestrator"
    else
      v;

  /** An output of a provider, or `fallback` (what the machine's operator set) when the
      provider has none: the file providers hold no server and leave it "". */
  fromProvider =
    what: v: fallback:
    let
      r = resolved what v;
    in
    if r == "" || r == null then fallback else r;

  /** Whether a host is the machine itself: its database is on the machine's own server. */
  isLocalHost = host: builtins.elem host [ "localhost" "127.0.0.1" "::1" ];

  /** Whether the app's database is on the machine's own server (a database kept in files),
      rather than the target's database server. */
  localDatabase = db: isLocalHost (resolved "the database host" db.host);

  /** For the unit that first uses the app's database: after the machine's own server set the
      app's password (nothing when the database is elsewhere). */
  afterLocalDatabase =
    db:
    let
      unit =
        if db.engine == "mysql" then "fedihost-mysql-users.service" else "fedihost-postgresql-passwords.service";
    in
    lib.mkIf (localDatabase db) {
      after = [ unit ];
      requires = [ unit ];
    };

  /** The deployment's certificate (its chain and key delivered beside the secrets), or null
      for a configuration rendered before certificates were resources. */
  certificate = (json.services or { }).nginx.certificate or null;

  /** TLS settings of a virtual host: the deployment's certificate, else nginx's own ACME. */
  tls =
    if certificate != null then
      {
        enableACME = false;
        sslCertificate = certificate.chainFile;
        sslCertificateKey = certificate.keyFile;
      }
    else
      { enableACME = true; };

  /** Where a file built from secrets at boot lives (tmpfs, never the Nix store). */
  runtimeFile = name: "${cfg.runtimeFilesDir}/${name}";

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

  /** The mail relay of an app's mail account: its provider's (the target's relay), else the
      machine's (fedihost.smtp) when the account is kept in files. */
  smtp =
    a:
    let
      host = fromProvider "the mail relay of ${a.host}" (a.smtp.host or "") null;
    in
    if host != null then
      {
        inherit host;
        port = resolved "the mail relay's port of ${a.host}" a.smtp.port;
      }
    else
      {
        host = cfg.smtp.host;
        port = cfg.smtp.port;
      };

  /** Object storage of an app: endpoint and region (from its access key's provider, else
      fedihost.s3 when the key is kept in files), bucket names, key. */
  s3Endpoint = a: fromProvider "the S3 endpoint of ${a.host}" (a.s3.endpoint or "") cfg.s3.endpoint;
  s3 =
    a:
    let
      endpoint = s3Endpoint a;
      url = parseUrl endpoint;
    in
    {
      inherit endpoint;
      inherit (url) scheme host port;
      hostPort = "${url.host}:${toString url.port}";
      useSsl = url.scheme == "https";
      region = fromProvider "the S3 region of ${a.host}" (a.s3.region or "") cfg.s3.region;
      buckets = a.s3.buckets;
      accessKeyId = resolved "the S3 access key of ${a.host}" a.s3.accessKey;
      secretAccessKeyFile = a.s3.secretAccessKeyFile;
    };

  /** A file assembled at boot from a template and secret files: the template
      (in the Nix store) holds placeholders only; `secrets` maps a placeholder
      to a delivered secret file. */
  secretFile =
    {
      template,
      secrets ? { },
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
      placeholders = secrets;
    };

  /** The systemd unit that makes an app's first administrator (the catalog's adminLogin) once
      `unit` runs: `script` runs as `user` (under `set -e`), then a marker in the unit's state
      directory keeps it from running again, so that a customer who renamed or removed that
      account does not get it back at the next boot. */
  firstAdmin =
    {
      id,
      unit,
      user,
      script,
    }:
    {
      description = "fedihost: the first administrator of ${id}";
      after = [ unit ];
      requires = [ unit ];
      wantedBy = [ "multi-user.target" ];
      unitConfig.ConditionPathExists = "!/var/lib/fedihost-first-admin/${id}/done";
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        User = user;
        StateDirectory = "fedihost-first-admin/${id}";
      };
      script = script + "touch /var/lib/fedihost-first-admin/${id}/done\n";
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
