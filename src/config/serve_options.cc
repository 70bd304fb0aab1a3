// The table of `fedihost serve`'s options: the one place they are declared.
#include "config/options.hh"

namespace fedihost::config {

const std::vector<Option>& serveOptions() {
  using I = std::int64_t;
  using L = std::vector<std::string>;
  static const std::vector<Option> table = [] {
    std::vector<Option> t;
    auto add = [&](Option o) { t.push_back(std::move(o)); };
    auto str = [](const char* s) { return Value(std::string(s)); };

    add({"", "data_dir", "--data", Type::String, str("var"), "",
         "data directory (created if missing, mode 0700); locked while the server runs"});
    add({"", "master_key_file", "--master-key-file", Type::String, str(""),
         "the systemd credential `master-key` if present, else `<data_dir>/secret.key`",
         "the master key (32 bytes, mode 0600) that seals secrets at rest; created if missing"});

    add({"database", "state", "--state", Type::String, str(""), "`sqlite:<data_dir>/state.db`",
         "the state database: sqlite:PATH or postgresql://USER@HOST:PORT/DATABASE (a password in ~/.pgpass or PGPASSFILE, not here)"});
    add({"database", "accounting", "--accounting", Type::String, str(""), "`sqlite:<data_dir>/accounting.db`",
         "the accounting database: sqlite:PATH or postgresql://… (another database than the state's)"});
    add({"server", "listen", "--listen", Type::String, str("127.0.0.1:8080"), "",
         "address and port to listen on (port 0 picks a free one)"});
    add({"server", "web", "--web", Type::String, str(""), "`$FEDIHOST_WEB`, else the source tree's `web/dist`",
         "directory of the built panel"});
    add({"server", "port_file", "--port-file", Type::String, str(""), "",
         "write the bound port to this file once listening (scripts and tests)"});
    add({"server", "handler_threads", "--handler-threads", Type::Integer, Value(I{0}), "`0` (one per core)",
         "threads that answer API requests", false, 0, 256});
    add({"server", "public_url", "--public-url", Type::String, str(""), "`http://<listen>`",
         "the panel's address, for links in mails"});
    add({"server", "signup", "--signup", Type::Boolean, Value(false), "",
         "anyone may create an account and an organisation of her own"});

    add({"orchestrator", "workers", "--workers", Type::Integer, Value(I{2}), "",
         "runs applied at once (one deployment never has two)", false, 1, 64});
    add({"orchestrator", "job_workers", "--job-workers", Type::Integer, Value(I{2}), "",
         "refresh and orphan-scan jobs done at once", false, 1, 64});
    add({"orchestrator", "max_parallel_steps", "--max-parallel-steps", Type::Integer, Value(I{8}), "",
         "provider calls in flight at once, all runs together", false, 1, 256});
    add({"orchestrator", "retry_attempts", "--retry-attempts", Type::Integer, Value(I{6}), "",
         "calls per step before a retryable error (timeout, 5xx, busy) fails it", false, 1, 50});
    add({"orchestrator", "refresh_interval", "--refresh-interval", Type::Integer, Value(I{600}), "",
         "seconds between reading every deployment's resources back to find drift (0: never)", false, 0,
         7 * 24 * 3600});

    add({"orchestrator", "job_retention", "--job-retention", Type::Integer, Value(I{7}), "",
         "days a refresh or orphan-scan job that ended is kept with its result before housekeeping forgets it "
         "(0: kept forever)", false, 0, 3650});
    add({"orchestrator", "lease", "--lease", Type::Integer, Value(I{30}), "",
         "seconds an instance's runs and jobs stay its own without a heartbeat (written every fifth of it); "
         "instances sharing a PostgreSQL state database take over those of one silent for longer",
         false, 1, 3600});
    add({"orchestrator", "fault_injection", "--fault-injection", Type::Boolean, Value(false), "",
         "targets may inject faults into their providers' calls (a target file's `faults`): tests and chaos "
         "drills only; without it such a target is refused"});

    add({"orchestrator", "backup_dir", "--backup-dir", Type::String, str(""), "`<data_dir>/backups`",
         "where backups (bundle files) are written; with an S3 backup target, the spool each bundle is written and "
         "checked in before its upload"});
    add({"orchestrator", "backup_target", "--backup-target", Type::String, str(""), "`\"\"` (the backup directory)",
         "where backups' bundles are kept: \"\" for orchestrator.backup_dir, or s3://BUCKET/PREFIX for an S3 bucket "
         "(an off-site copy at a third party)"});
    add({"orchestrator", "backup_s3_endpoint", "--backup-s3-endpoint", Type::String, str(""), "",
         "S3 backup target: the service's URL, e.g. https://s3.eu-central-1.example.net"});
    add({"orchestrator", "backup_s3_region", "--backup-s3-region", Type::String, str("us-east-1"), "",
         "S3 backup target: the region requests are signed for"});
    add({"orchestrator", "backup_s3_path_style", "--backup-s3-path-style", Type::Boolean, Value(true), "",
         "S3 backup target: address the bucket as ENDPOINT/BUCKET (path style) rather than BUCKET.ENDPOINT"});
    add({"orchestrator", "backup_s3_part_size", "--backup-s3-part-size", Type::Integer, Value(I{16}), "",
         "S3 backup target: MiB per uploaded part and per ranged download (the memory a transfer holds)", false, 5,
         1024});
    add({"orchestrator", "backup_s3_access_key_id", "", Type::String, str(""), "",
         "S3 backup target: the access key id, from a file or a systemd credential", true});
    add({"orchestrator", "backup_s3_secret_access_key", "", Type::String, str(""), "",
         "S3 backup target: the secret access key, from a file or a systemd credential, never in clear", true});
    add({"orchestrator", "backup_schedule_check", "--backup-schedule-check", Type::Integer, Value(I{60}), "",
         "seconds between looking for backup schedules that are due (a scheduled backup starts up to this late; "
         "0: scheduled backups never start)", false, 0, 3600});

    add({"accounting", "storage_sample_interval", "--storage-sample-interval", Type::Integer, Value(I{3600}), "",
         "seconds between asking each bucket's provider how many bytes it holds, for bucket storage GiB-hours "
         "(0: never)", false, 0, 7 * 24 * 3600});

    add({"domains", "customer_domains", "--customer-domain", Type::StringList, Value(L{}), "",
         "parent domains whose sub-domains customers may use (the flag is repeatable)"});
    add({"domains", "resolver", "--resolver", Type::String, str(""), "the system's",
         "IP:PORT of the DNS resolver that checks domain challenges"});

    add({"mail", "smtp", "--smtp", Type::String, str(""), "",
         "mail relay for invitations and password resets: smtp://host:port or smtps://host:port"});
    add({"mail", "smtp_user", "--smtp-user", Type::String, str(""), "", "login at the mail relay"});
    add({"mail", "smtp_password", "", Type::String, str(""), "",
         "password at the mail relay: from a file or a systemd credential, never in clear", true});
    add({"mail", "smtp_starttls", "--smtp-starttls", Type::String, str("required"), "", "STARTTLS on smtp://", false,
         0, 0, {"required", "optional", "none"}});
    add({"mail", "mail_from", "--mail-from", Type::String, str(""), "`fedihost@<host of public_url>`",
         "sender address of mails"});

    add({"auth", "require_operator_totp", "--require-operator-totp", Type::Boolean, Value(false), "",
         "operators must set up a second factor before doing anything else"});
    add({"auth", "login_failures_per_address", "--login-failures-per-address", Type::Integer, Value(I{10}), "",
         "failed logins from one address before it must wait", false, 1, 1000000000});
    add({"auth", "session_idle", "--session-idle", Type::Integer, Value(I{8 * 3600}), "",
         "seconds without use after which a session ends", false, 60, 30 * 24 * 3600});
    add({"auth", "session_lifetime", "--session-lifetime", Type::Integer, Value(I{7 * 24 * 3600}), "",
         "seconds after which a session ends, used or not", false, 300, 365 * 24 * 3600});

    add({"log", "format", "--log-format", Type::String, str("auto"), "",
         "auto: text on a terminal, JSON lines otherwise (journald)", false, 0, 0, {"auto", "text", "json"}});
    add({"log", "level", "--log-level", Type::String, str("info"), "", "the least important level logged", false, 0,
         0, {"trace", "debug", "info", "warn", "error"}});
    return t;
  }();
  return table;
}

}  // namespace fedihost::config
