// fedihost init / serve
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "aaa/auth.hh"
#include "api/dispatcher.hh"
#include "api/server.hh"
#include "cli/commands.hh"
#include "core/ids.hh"
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

void writePrivateFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  out.close();
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
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
  orchestrator::DataDir dir{o.data, o.state, o.accounting};
  orchestrator::prepareDataDir(dir);
  auto conn = store::connect(dir.stateUrl());
  store::AccountStore accounts(*conn);
  auto user = aaa::createOperator(accounts, o.email, readPasswordFile(o.passwordFile));
  if (!user) throw AbortError(user.error());
  std::cout << "Created the data directory " << fs::absolute(dir.root).string() << " and the operator account "
            << user->email << ".\n";
}

struct ServeOptions {
  std::string data = "var";
  std::string state;
  std::string accounting;
  std::string listen = "127.0.0.1:8080";
  std::string web;
  std::string portFile;
  int workers = 2;
  int maxParallelSteps = 8;
  int retryAttempts = 6;
  int refreshInterval = 600;
  int handlerThreads = 0;  // 0: one per core
  bool signup = false;
  std::vector<std::string> customerDomains;
  std::string publicUrl;
  std::string resolver;
  std::string smtp;
  std::string mailFrom;
  std::string smtpUser;
  std::string smtpStartTls = "required";
  bool requireOperatorTotp = false;
  int freeFailuresPerAddress = 10;
  int sessionIdle = 8 * 3600;
  int sessionLifetime = 7 * 24 * 3600;
};

/// The host of a URL for a sender address: "http://panel.example:8080/" -> "panel.example" ("localhost" for an IP).
std::string mailHostOf(const std::string& url) {
  auto start = url.find("://");
  auto host = url.substr(start == std::string::npos ? 0 : start + 3);
  host = host.substr(0, host.find_first_of(":/"));
  bool ip = !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
  return host.empty() || ip ? "localhost" : host;
}

bool isLoopback(const std::string& address) {
  return address == "localhost" || address.starts_with("127.") || address == "::1" || address == "[::1]";
}

void runServe(const ServeOptions& o) {
  orchestrator::DataDir dir{o.data, o.state, o.accounting};
  // Held until this process ends: a second server on the same directory refuses to start.
  auto lock = orchestrator::DataDirLock::acquire(dir);
  if (!lock) throw AbortError(lock.error());
  orchestrator::prepareDataDir(dir);
  providers::registerBuiltinProviders();

  auto colon = o.listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8080");
  api::ServerOptions so;
  so.address = o.listen.substr(0, colon);
  so.port = static_cast<unsigned short>(std::stoi(o.listen.substr(colon + 1)));

  so.handlerThreads = o.handlerThreads > 0 ? o.handlerThreads : so.handlerThreads;

  auto stateConn = store::connect(dir.stateUrl());
  store::AccountStore accounts(*stateConn);

  // First start without `fedihost init`: create an operator and print how to log in, once.
  if (accounts.countUsers() == 0) {
    std::string email = "operator@localhost";
    std::string password = ids::randomToken(15);
    aaa::createOperator(accounts, email, password).orThrow();
    writePrivateFile(dir.root / "initial-password", email + "\n" + password + "\n");
    std::cout << "First start: an operator account was created.\n"
              << "  e-mail:   " << email << "\n"
              << "  password: " << password << "\n"
              << "(also saved in " << (dir.root / "initial-password").string()
              << ", readable by you only; delete it once noted)\n";
  }

  orchestrator::OrchestratorOptions oo;
  oo.workers = o.workers;
  oo.maxParallelSteps = o.maxParallelSteps;
  oo.retry.maxAttempts = o.retryAttempts;
  oo.refreshInterval = std::chrono::seconds(o.refreshInterval);
  orchestrator::Orchestrator orch(dir, oo);
  aaa::AuthOptions ao;
  ao.requireOperatorTotp = o.requireOperatorTotp;
  ao.sessionIdle = std::chrono::seconds(o.sessionIdle);
  ao.throttle.freeFailuresPerAddress = o.freeFailuresPerAddress;
  ao.sessionLifetime = std::chrono::seconds(o.sessionLifetime);
  aaa::Authenticator authenticator(ao, secrets::SecretBox::openOrCreate(dir.secretKey()));
  api::ApiServices services{dir.stateUrl(), dir.accountingUrl(), orch, authenticator, {}, nullptr};
  services.options.signup = o.signup;
  services.options.customerDomains = o.customerDomains;
  services.options.publicUrl = o.publicUrl.empty() ? "http://" + o.listen : o.publicUrl;
  services.options.resolver = o.resolver;
  services.options.secureCookies = !isLoopback(so.address);
  if (!o.smtp.empty()) {
    net::MailerConfig mc;
    mc.from = o.mailFrom.empty() ? "fedihost@" + mailHostOf(services.options.publicUrl) : o.mailFrom;
    mc.startTls = o.smtpStartTls == "none"       ? net::StartTls::None
                  : o.smtpStartTls == "optional" ? net::StartTls::Optional
                                                 : net::StartTls::Required;
    if (const char* pw = std::getenv("FEDIHOST_SMTP_PASSWORD")) mc.password = pw;
    mc.username = o.smtpUser;
    services.mailer = net::makeMailer(o.smtp, mc).orThrow();
  }
  fs::path web = o.web.empty() ? defaultWebRoot() : fs::path(o.web);
  api::Dispatcher dispatcher(std::move(services), web);
  api::Server server(so, dispatcher);
  orch.start();
  auto port = server.start();
  if (!o.portFile.empty()) {
    std::ofstream pf(o.portFile + ".tmp");
    pf << port << "\n";
    pf.close();
    fs::rename(o.portFile + ".tmp", o.portFile);
  }
  std::cout << "fedihost " << FEDIHOST_VERSION << " is serving the panel at http://" << so.address << ":" << port
            << "/  (API at /api/v1, data in " << fs::absolute(dir.root).string() << ")" << std::endl;
  if (!fs::exists(web / "index.html"))
    std::cout << "note: the panel is not built (" << web.string() << "/index.html missing); the API works."
              << std::endl;
  server.waitForSignal();
  std::cout << "stopping" << std::endl;
  server.stop();
  orch.stop();
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

  auto serve = std::make_shared<ServeOptions>();
  auto* s = app.add_subcommand("serve", "Serve the API and the panel, and run deployments");
  s->add_option("--data", serve->data, "data directory (created if missing)")->capture_default_str();
  s->add_option("--state", serve->state,
                "the state database: sqlite:PATH or postgresql://USER@HOST:PORT/DATABASE (default: sqlite:DATA/state.db)")
      ->envname("FEDIHOST_STATE_URL");
  s->add_option("--accounting", serve->accounting,
                "the accounting database: sqlite:PATH or postgresql://… (default: sqlite:DATA/accounting.db)")
      ->envname("FEDIHOST_ACCOUNTING_URL");
  s->add_option("--listen", serve->listen, "address and port (port 0 picks a free one)")->capture_default_str();
  s->add_option("--web", serve->web, "directory of the built panel (default: web/dist)");
  s->add_option("--port-file", serve->portFile, "write the bound port to this file once listening");
  s->add_option("--workers", serve->workers, "threads that apply runs")->capture_default_str()->check(
      CLI::Range(1, 64));
  s->add_option("--max-parallel-steps", serve->maxParallelSteps, "provider calls in flight at once, all runs together")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  s->add_option("--retry-attempts", serve->retryAttempts,
                "calls per step before a retryable error (timeout, 5xx, busy) fails it")
      ->capture_default_str()
      ->check(CLI::Range(1, 50));
  s->add_option("--refresh-interval", serve->refreshInterval,
                "seconds between reading every deployment's resources back to find drift (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0, 7 * 24 * 3600));
  s->add_option("--handler-threads", serve->handlerThreads, "threads that answer API requests (0: one per core)")
      ->check(CLI::Range(0, 256));
  s->add_flag("--signup", serve->signup, "let anyone create an account and an organisation");
  s->add_option("--customer-domain", serve->customerDomains,
                "a parent domain whose sub-domains customers may use (repeatable)");
  s->add_option("--public-url", serve->publicUrl, "the panel's address in links sent by mail (default: from --listen)");
  s->add_option("--resolver", serve->resolver, "IP:PORT of the DNS resolver that checks domain challenges");
  s->add_option("--smtp", serve->smtp, "mail relay for invitations and password resets: smtp://host:port or smtps://…");
  s->add_option("--smtp-user", serve->smtpUser, "login at the mail relay (its password in env FEDIHOST_SMTP_PASSWORD)");
  s->add_option("--smtp-starttls", serve->smtpStartTls, "STARTTLS on smtp://: required, optional or none")
      ->capture_default_str()
      ->check(CLI::IsMember({"required", "optional", "none"}));
  s->add_option("--mail-from", serve->mailFrom, "sender address of mails (default: fedihost@<host of --public-url>)");
  s->add_flag("--require-operator-totp", serve->requireOperatorTotp,
              "operators must set up a second factor before doing anything else");
  s->add_option("--login-failures-per-address", serve->freeFailuresPerAddress,
                "failed logins from one address before it must wait (raise it when many people share an address)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000000));
  s->add_option("--session-idle", serve->sessionIdle, "seconds without use after which a session ends")
      ->capture_default_str()
      ->check(CLI::Range(60, 30 * 24 * 3600));
  s->add_option("--session-lifetime", serve->sessionLifetime, "seconds after which a session ends")
      ->capture_default_str()
      ->check(CLI::Range(300, 365 * 24 * 3600));
  s->callback([serve] { runServe(*serve); });
}

}  // namespace fedihost::cli
