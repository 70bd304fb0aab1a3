// fedihost init / serve
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iterator>
#include <optional>

#include "accounting/month_closer.hh"
#include "accounting/storage_sampler.hh"
#include "orchestrator/backup_scheduler.hh"
#include "aaa/auth.hh"
#include "config/options.hh"
#include "core/log.hh"
#include "core/private_file.hh"
#include "orchestrator/key_rotation.hh"
#include "api/dispatcher.hh"
#include "api/server.hh"
#include "cli/commands.hh"
#include "core/ids.hh"
#include "core/systemd_notify.hh"
#include "orchestrator/orchestrator.hh"
#include "providers/provider.hh"
#include "store/accounting_store.hh"
#include "net/mailer.hh"
#include "secrets/secret_box.hh"
#include "store/account_store.hh"
#include "store/state_store.hh"

namespace fedihost::cli {
namespace {

namespace fs = std::filesystem;

std::string readPasswordFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the password file " + path);
  std::string pw;
  std::getline(in, pw);
  while (!pw.empty() && (pw.back() == '\r' || pw.back() == ' ')) pw.pop_back();
  return pw;
}

fs::path defaultWebRoot() {
  if (const char* env = std::getenv("FEDIHOST_WEB")) return env;
  fs::path source = fs::path(FEDIHOST_SOURCE_DIR) / "web" / "dist";
  if (fs::exists(source / "index.html")) return source;
  return fs::path("web") / "dist";
}

struct InitOptions {
  std::string data = "var";
  std::string state;       // database URLs; "" = the SQLite files under data
  std::string accounting;
  std::string email;
  std::string passwordFile;
};

void runInit(const InitOptions& o) {
  orchestrator::DataDir dir{o.data, {}, o.state, o.accounting};
  orchestrator::prepareDataDir(dir);
  auto conn = store::connect(dir.stateUrl());
  store::AccountStore accounts(*conn);
  auto user = aaa::createOperator(accounts, o.email, readPasswordFile(o.passwordFile));
  if (!user) throw AbortError(user.error());
  std::cout << "Created the data directory " << fs::absolute(dir.root).string() << " and the operator account "
            << user->email << ".\n";
}

/// The host of a URL for a sender address: "http://panel.example:8080/" -> "panel.example" ("localhost" for an IP).
std::string mailHostOf(const std::string& url) {
  auto start = url.find("://");
  auto host = url.substr(start == std::string::npos ? 0 : start + 3);
  host = host.substr(0, host.find_first_of(":/"));
  bool ip = !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
  return host.empty() || ip ? "localhost" : host;
}

/// Tells systemd (Type=notify) how the server is doing; a failure is logged, never fatal.
void notifyServiceManager(const std::string& state) {
  if (auto sent = systemd::notify(state); !sent) spdlog::warn("sd_notify: {}", sent.error().message);
}

bool isLoopback(const std::string& address) {
  return address == "localhost" || address.starts_with("127.") || address == "::1" || address == "[::1]";
}

/// The master key's file: master_key_file, else the systemd credential "master-key" if
/// present, else DATA/secret.key (empty path: the data directory's default).
fs::path masterKeyOf(const config::Config& c) {
  if (!c.string("master_key_file").empty()) return c.string("master_key_file");
  if (const char* creds = std::getenv("CREDENTIALS_DIRECTORY"); creds && *creds) {
    fs::path p = fs::path(creds) / "master-key";
    std::error_code ec;
    if (fs::exists(p, ec)) return p;
  }
  return {};
}

orchestrator::DataDir dataDirOf(const config::Config& c) {
  return orchestrator::DataDir{c.string("data_dir"), masterKeyOf(c), c.string("database.state"),
                               c.string("database.accounting")};
}

/// The configuration file (if any), then secrets from the environment, then the command line.
config::Config loadConfig(const std::string& file, const config::CommandLine* cli) {
  config::Config c(config::serveOptions());
  if (!file.empty()) config::readTomlFile(c, file).orThrow();
  config::readSecretsFromEnvironment(c, [](const char* n) { return std::getenv(n); }).orThrow();
  if (c.string("mail.smtp_password").empty())
    if (const char* pw = std::getenv("FEDIHOST_SMTP_PASSWORD"); pw && *pw)  // older: the value itself
      c.set("mail.smtp_password", std::string(pw), config::Origin::Environment, "FEDIHOST_SMTP_PASSWORD");
  // The database URLs may also come from the environment (as `init --state` takes them).
  for (auto [key, var] : {std::pair{"database.state", "FEDIHOST_STATE_URL"},
                          std::pair{"database.accounting", "FEDIHOST_ACCOUNTING_URL"}})
    if (const char* v = std::getenv(var); v && *v) c.set(key, std::string(v), config::Origin::Environment, var);
  if (cli) cli->apply(c);
  return c;
}

int intOf(const config::Config& c, std::string_view name) { return static_cast<int>(c.integer(name)); }

void runServe(const config::Config& c) {
  log::setup(log::formatFor(c.string("log.format"), ::isatty(STDERR_FILENO) == 1), c.string("log.level"));
  auto dir = dataDirOf(c);
  // Held until this process ends: a second server on the same directory refuses to start.
  auto lock = orchestrator::DataDirLock::acquire(dir);
  if (!lock) throw AbortError(lock.error());
  orchestrator::prepareDataDir(dir);
  providers::registerBuiltinProviders();

  const std::string listen = c.string("server.listen");
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8080");
  api::ServerOptions so;
  so.address = listen.substr(0, colon);
  so.port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));
  so.handlerThreads = intOf(c, "server.handler_threads") > 0 ? intOf(c, "server.handler_threads") : so.handlerThreads;

  auto stateConn = store::connect(dir.stateUrl());
  store::AccountStore accounts(*stateConn);

  // First start without `fedihost init`: create an operator; its password goes to a file
  // of mode 0600, never to the output (journald keeps that).
  if (accounts.countUsers() == 0) {
    std::string email = "operator@localhost";
    std::string password = ids::randomToken(15);
    aaa::createOperator(accounts, email, password).orThrow();
    const auto file = fs::absolute(dir.root / "initial-password");
    files::writePrivateFile(file, email + "\n" + password + "\n").orThrow();
    std::cout << "First start: created the operator account " << email << "; its password is in " << file.string()
              << " (mode 0600, readable by you only; delete it once noted)" << std::endl;
  }

  orchestrator::OrchestratorOptions oo;
  oo.workers = intOf(c, "orchestrator.workers");
  oo.maxParallelSteps = intOf(c, "orchestrator.max_parallel_steps");
  oo.retry.maxAttempts = intOf(c, "orchestrator.retry_attempts");
  oo.refreshInterval = std::chrono::seconds(c.integer("orchestrator.refresh_interval"));
  oo.jobWorkers = intOf(c, "orchestrator.job_workers");
  oo.backupDir = c.string("orchestrator.backup_dir");
  oo.backupTarget.url = c.string("orchestrator.backup_target");
  oo.backupTarget.endpoint = c.string("orchestrator.backup_s3_endpoint");
  oo.backupTarget.region = c.string("orchestrator.backup_s3_region");
  oo.backupTarget.pathStyle = c.boolean("orchestrator.backup_s3_path_style");
  oo.backupTarget.partSize = c.integer("orchestrator.backup_s3_part_size") << 20;
  oo.backupTarget.accessKeyId = c.string("orchestrator.backup_s3_access_key_id");
  oo.backupTarget.secretAccessKey = c.string("orchestrator.backup_s3_secret_access_key");
  oo.lease = std::chrono::seconds(c.integer("orchestrator.lease"));
  oo.faultInjection = c.boolean("orchestrator.fault_injection");
  oo.jobRetention = std::chrono::hours(24 * c.integer("orchestrator.job_retention"));
  orchestrator::Orchestrator orch(dir, oo);
  aaa::AuthOptions ao;
  ao.requireOperatorTotp = c.boolean("auth.require_operator_totp");
  ao.sessionIdle = std::chrono::seconds(c.integer("auth.session_idle"));
  ao.throttle.freeFailuresPerAddress = intOf(c, "auth.login_failures_per_address");
  ao.sessionLifetime = std::chrono::seconds(c.integer("auth.session_lifetime"));
  aaa::Authenticator authenticator(ao, secrets::SecretBox::openOrCreate(dir.secretKey()));
  api::ApiServices services{dir.stateUrl(), dir.accountingUrl(), orch, authenticator, {}, nullptr};
  services.options.signup = c.boolean("server.signup");
  services.options.customerDomains = c.strings("domains.customer_domains");
  services.options.publicUrl = c.string("server.public_url").empty() ? "http://" + listen : c.string("server.public_url");
  services.options.resolver = c.string("domains.resolver");
  services.options.secureCookies = !isLoopback(so.address);
  if (!c.string("mail.smtp").empty()) {
    net::MailerConfig mc;
    const auto& from = c.string("mail.mail_from");
    mc.from = from.empty() ? "fedihost@" + mailHostOf(services.options.publicUrl) : from;
    const auto& tls = c.string("mail.smtp_starttls");
    mc.startTls = tls == "none" ? net::StartTls::None : tls == "optional" ? net::StartTls::Optional : net::StartTls::Required;
    mc.password = c.string("mail.smtp_password");
    mc.username = c.string("mail.smtp_user");
    services.mailer = net::makeMailer(c.string("mail.smtp"), mc).orThrow();
  }
  fs::path web = c.string("server.web").empty() ? defaultWebRoot() : fs::path(c.string("server.web"));
  api::Dispatcher dispatcher(std::move(services), web);
  api::Server server(so, dispatcher);
  orch.start();
  // Ended months are closed (their statements stored) without waiting for someone to ask.
  accounting::MonthCloser closer({dir.stateUrl(), dir.accountingUrl(), std::chrono::hours(1)});
  closer.start();
  // Bucket storage: every bucket's provider asked how many bytes it holds, on a thread of its own.
  std::optional<accounting::StorageSampler> sampler;
  if (auto every = c.integer("accounting.storage_sample_interval"); every > 0) {
    sampler.emplace(accounting::StorageSamplerConfig{
        dir.stateUrl(), dir.accountingUrl(), std::chrono::seconds(every),
        [&orch](store::StateStore& state, const Deployment& d, const Resource& bucket) {
          return orch.measureBucket(state, d, bucket);
        }});
    sampler->start();
  }
  // Scheduled backups: due schedules claimed (one instance each) and their backups started.
  std::optional<orchestrator::BackupScheduler> scheduler;
  if (auto every = c.integer("orchestrator.backup_schedule_check"); every > 0) {
    scheduler.emplace(orch, orchestrator::BackupSchedulerConfig{dir.stateUrl(), std::chrono::seconds(every)});
    scheduler->start();
  }
  auto port = server.start();
  if (const auto& portFile = c.string("server.port_file"); !portFile.empty())
    files::writePrivateFile(portFile, std::to_string(port) + "\n").orThrow();
  spdlog::info("fedihost {} is serving the panel at http://{}:{}/ (API at /api/v1, data in {})", FEDIHOST_VERSION,
               so.address, port, fs::absolute(dir.root).string());
  if (!fs::exists(web / "index.html"))
    spdlog::warn("the panel is not built ({}/index.html missing); the API works", web.string());
  // Under systemd: ready once listening; the watchdog fed from an I/O thread, so a stuck
  // server stops feeding it and is restarted; stopping on the way out.
  notifyServiceManager("READY=1\nSTATUS=serving on " + so.address + ":" + std::to_string(port));
  if (auto every = systemd::watchdogInterval())
    server.heartbeat(*every / 2, [] { notifyServiceManager("WATCHDOG=1"); });
  server.waitForSignal();
  notifyServiceManager("STOPPING=1");
  spdlog::info("stopping");
  server.stop();
  closer.stop();
  if (sampler) sampler->stop();
  if (scheduler) scheduler->stop();
  orch.stop();
}

int runConfigCheck(const std::string& file) {
  auto c = loadConfig(file, nullptr);
  // What serve would refuse at start: the data directory's master key, if it exists already.
  auto dir = dataDirOf(c);
  std::error_code ec;
  std::optional<secrets::SecretBox> box;
  if (fs::exists(dir.secretKey(), ec)) {
    (void)secrets::SecretBox::readKeyFile(dir.secretKey());
    box = secrets::SecretBox::openOrCreate(dir.secretKey());
  }
  // The target files, as serve would load them (a kind left out, faults without the option).
  providers::registerBuiltinProviders();
  auto targets = orchestrator::loadTargetFiles(dir, box ? &*box : nullptr, c.boolean("orchestrator.fault_injection"));
  if (!targets) throw AbortError(targets.error());
  std::cout << "# " << file << ": valid. The effective configuration (secrets redacted):\n" << c.render();
  std::cout << "\n# targets: local (built-in)";
  for (auto& [name, _] : *targets) std::cout << ", " << name << " (" << (dir.targetConfigDir() / (name + ".json")).string() << ")";
  std::cout << "\n";
  return 0;
}

std::string readAllStdin() {
  std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

void addServerCommands(CLI::App& app) {
  auto init = std::make_shared<InitOptions>();
  auto* i = app.add_subcommand("init", "Create the data directory, its databases and the first operator account");
  i->add_option("--data", init->data, "data directory")->capture_default_str();
  i->add_option("--state", init->state,
                "the state database: sqlite:PATH or postgresql://USER@HOST:PORT/DATABASE (default: sqlite:DATA/state.db)")
      ->envname("FEDIHOST_STATE_URL");
  i->add_option("--accounting", init->accounting,
                "the accounting database: sqlite:PATH or postgresql://… (default: sqlite:DATA/accounting.db)")
      ->envname("FEDIHOST_ACCOUNTING_URL");
  i->add_option("--email", init->email, "the operator's e-mail address")->required();
  i->add_option("--password-file", init->passwordFile, "a file whose first line is the password")->required();
  i->callback([init] { runInit(*init); });

  struct ServeCommand {
    std::string configFile;
    std::unique_ptr<config::CommandLine> cli;
  };
  auto serve = std::make_shared<ServeCommand>();
  auto* s = app.add_subcommand("serve", "Serve the API and the panel, and run deployments");
  s->add_option("--config", serve->configFile,
                "the configuration file (TOML, see docs/configuration.md); the options below override it");
  serve->cli = std::make_unique<config::CommandLine>(*s, config::serveOptions());
  s->callback([serve] { runServe(loadConfig(serve->configFile, serve->cli.get())); });

  auto* cfg = app.add_subcommand("config", "The configuration file");
  cfg->require_subcommand(1);
  auto checkFile = std::make_shared<std::string>();
  auto* check = cfg->add_subcommand("check", "Validate a configuration file and print the effective configuration");
  check->add_option("file", *checkFile, "the configuration file")->required();
  check->callback([checkFile] { runConfigCheck(*checkFile); });
  auto* docs = cfg->add_subcommand("docs", "Print the table of options (Markdown, as in docs/configuration.md)");
  docs->callback([] { std::cout << config::markdownTable(config::serveOptions()); });

  struct KeyCommand {
    std::string configFile;
    std::string data;
    std::string masterKeyFile;
  };
  auto addKeyOptions = [](CLI::App* a, KeyCommand& k) {
    a->add_option("--config", k.configFile, "the configuration file (its data_dir and master_key_file)");
    a->add_option("--data", k.data, "data directory (overrides the file's)");
    a->add_option("--master-key-file", k.masterKeyFile, "the master key (overrides the file's)");
  };
  auto keyConfig = [](const KeyCommand& k) {
    auto c = loadConfig(k.configFile, nullptr);
    if (!k.data.empty()) c.set("data_dir", k.data, config::Origin::CommandLine);
    if (!k.masterKeyFile.empty()) c.set("master_key_file", k.masterKeyFile, config::Origin::CommandLine);
    return c;
  };

  auto* secret = app.add_subcommand("secret", "Secrets at rest");
  secret->require_subcommand(1);
  auto sealCmd = std::make_shared<KeyCommand>();
  auto* seal = secret->add_subcommand(
      "seal", "Seal a secret read from stdin under the master key; prints {\"sealed\": …} for a target file");
  addKeyOptions(seal, *sealCmd);
  seal->callback([sealCmd, keyConfig] {
    auto dir = dataDirOf(keyConfig(*sealCmd));
    auto clear = readAllStdin();
    if (clear.empty()) throw AbortError(Error::invalid("stdin", "nothing to seal: the secret comes on stdin"));
    auto box = secrets::SecretBox::openOrCreate(dir.secretKey());
    std::cout << box.seal(clear) << "\n";
  });

  auto* keys = app.add_subcommand("keys", "The master key");
  keys->require_subcommand(1);
  auto rotateCmd = std::make_shared<KeyCommand>();
  auto* rotate = keys->add_subcommand(
      "rotate", "Re-seal every sealed secret under a new master key (stop the server first; a rerun finishes an interrupted one)");
  addKeyOptions(rotate, *rotateCmd);
  rotate->callback([rotateCmd, keyConfig] {
    auto dir = dataDirOf(keyConfig(*rotateCmd));
    auto lock = orchestrator::DataDirLock::acquire(dir);
    if (!lock) throw AbortError(lock.error());
    orchestrator::prepareDataDir(dir);
    // Tests: FEDIHOST_TEST_ROTATE_KILL_AT=n kills this process after the n-th value re-sealed (-1: before the key switch).
    orchestrator::RotationHook hook;
    if (const char* at = std::getenv("FEDIHOST_TEST_ROTATE_KILL_AT"); at && *at) {
      int n = std::atoi(at);
      hook = [n](int count) {
        if (count == n) ::raise(SIGKILL);
      };
    }
    auto r = orchestrator::rotateMasterKey(dir, hook).orThrow();
    std::cout << (r.resumed ? "Finished an interrupted rotation" : "Rotated the master key") << " from " << r.oldKeyId
              << " to " << r.newKeyId << ": " << r.resealed << " values re-sealed now"
              << (r.alreadyNew ? ", " + std::to_string(r.alreadyNew) + " before the interruption" : "") << ".\n";
    for (auto& p : r.places) std::cout << "  " << p << "\n";
  });
}

}  // namespace fedihost::cli
