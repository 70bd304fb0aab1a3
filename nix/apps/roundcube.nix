# Roundcube (services.roundcube): nginx and PHP from the module, a database on
# the shared PostgreSQL (over TCP with the generated password), the customer's
# own IMAP server, and their SMTP server or else the platform's mail relay.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  fh = import ../lib.nix { inherit config lib; };
  id = "roundcube";
  a = fh.app id;
  s = a.settings;
  db = a.database;
  php = fh.phpString;
  imapHost = if s.imapHost != "" then s.imapHost else "imap.${fh.domain}";
  # Roundcube reads the relay's password from its file at run time.
  smtp =
    if s.smtpHost != "" then
      ''
        $config['smtp_host'] = ${php "tls://${s.smtpHost}:587"};
        $config['smtp_user'] = '%u';
        $config['smtp_pass'] = '%p';
      ''
    else
      ''
        $config['smtp_host'] = ${php "tls://${(fh.smtp a).host}:${toString (fh.smtp a).port}"};
        $config['smtp_user'] = ${php a.smtp.user};
        $config['smtp_pass'] = trim(file_get_contents(${php a.smtp.passwordFile}));
      '';
in
{
  imports = [ ../shared.nix ];

  config = lib.mkIf (fh.has id) {
    services.roundcube = {
      enable = true;
      hostName = a.host;
      configureNginx = true;
      maxAttachmentSize = s.maxAttachmentMiB;
      database = {
        # Not "localhost": the module would then use peer authentication and
        # create its own role; fedihost's role signs in with a password.
        host = "127.0.0.1";
        username = db.user;
        dbname = db.name;
        # A .pgpass line, assembled at boot (see fedihost.secretFiles).
        passwordFile = fh.runtimeFile "roundcube-pgpass";
      };
      extraConfig = ''
        $config['product_name'] = ${php s.productName};
        $config['imap_host'] = ${php "ssl://${imapHost}:993"};
        ${smtp}
      '';
    };

    fedihost.secretFiles.roundcube-pgpass = fh.secretFile {
      template = "127.0.0.1:${toString db.port}:${db.name}:${db.user}:@FEDIHOST_DB_PASSWORD@\n";
      secrets."@FEDIHOST_DB_PASSWORD@" = db.passwordFile;
      # PHP runs as nginx when the database is not local.
      owner = "nginx";
      requiredBy = [
        "roundcube-setup.service"
        "phpfpm-roundcube.service"
      ];
    };

    systemd.tmpfiles.rules = fh.secretOwner "nginx" [ a.smtp.passwordFile ];

    systemd.services.roundcube-setup = fh.afterLocalDatabase a.database;

    warnings = fh.versionWarning id (pkgs.roundcube or { });
  };
}
