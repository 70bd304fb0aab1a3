#pragma once
// A whole fedihost server in the test process, on a free loopback port, with
// its data in a temporary directory; stopped and removed on destruction.
#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <string>

#include "aaa/auth.hh"
#include "aaa/passwords.hh"
#include "api/dispatcher.hh"
#include "api/server.hh"
#include "cli/client.hh"
#include "orchestrator/orchestrator.hh"
#include "store/account_store.hh"
#include "store/accounting_store.hh"
#include "store/state_store.hh"
#include "support/temp_dir.hh"
#include "support/test_databases.hh"

namespace fedihost::testing {

inline constexpr const char* kOperatorEmail = "operator@example.test";
inline constexpr const char* kOperatorPassword = "correct horse battery staple";

/// The server options of a TestServer: a free port, and two threads per handler pool
/// (each with its own database connections).
inline api::ServerOptions testServerOptions() {
  api::ServerOptions o;
  o.port = 0;
  o.handlerThreads = 2;
  o.credentialThreads = 1;
  return o;
}

/// How a test server is set up beyond the defaults.
struct TestServerSetup {
  std::function<void(const orchestrator::DataDir&)> prepare;  ///< runs on the data directory before the orchestrator starts
  orchestrator::OrchestratorOptions orchestrator;
  api::ApiOptions api;
  aaa::AuthOptions auth;
  api::ServerOptions server = testServerOptions();  ///< port is forced to 0
  std::shared_ptr<net::Mailer> mailer;
};

class TestServer {
 public:
  /// `prepare` runs on the data directory before the orchestrator starts (e.g. to add target files).
  explicit TestServer(const std::function<void(const orchestrator::DataDir&)>& prepare = {},
                      orchestrator::OrchestratorOptions options = {},
                      api::ServerOptions serverOptions = testServerOptions())
      : TestServer(TestServerSetup{prepare, options, {}, {}, std::move(serverOptions), nullptr}) {}

  explicit TestServer(TestServerSetup setup) {
    dir_.root = tmp_.path() / "var";
    if (usingPostgresql()) {  // label pg: fresh PostgreSQL databases instead of the files under var/
      dir_.state = dbs_.state.url();
      dir_.accounting = dbs_.accounting.url();
    }
    orchestrator::prepareDataDir(dir_);
    if (setup.prepare) setup.prepare(dir_);
    stateConn_ = store::connect(dir_.stateUrl());
    state_ = std::make_unique<store::StateStore>(*stateConn_);
    accounts_ = std::make_unique<store::AccountStore>(*stateConn_);
    aaa::createOperator(*accounts_, kOperatorEmail, kOperatorPassword).orThrow();
    orch_ = std::make_unique<orchestrator::Orchestrator>(dir_, setup.orchestrator);
    auth_ = std::make_unique<aaa::Authenticator>(setup.auth, secrets::SecretBox::openOrCreate(dir_.secretKey()));
    setup.api.secureCookies = false;
    dispatcher_ = std::make_unique<api::Dispatcher>(
        api::ApiServices{dir_.stateUrl(), dir_.accountingUrl(), *orch_, *auth_, setup.api, setup.mailer},
        tmp_.path() / "no-panel");
    setup.server.port = 0;
    server_ = std::make_unique<api::Server>(setup.server, *dispatcher_);
    orch_->start();
    port_ = server_->start();
  }
  ~TestServer() {
    server_->stop();
    orch_->stop();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  unsigned short port() const { return port_; }
  const orchestrator::DataDir& dataDir() const { return dir_; }
  /// The test's own connection to the state database (not the server's).
  store::StateStore& state() { return *state_; }
  store::AccountStore& accounts() { return *accounts_; }
  orchestrator::Orchestrator& orchestrator() { return *orch_; }
  /// The dispatcher the server serves (to serve it again from another Server, e.g. with wrapped handlers).
  api::Dispatcher& dispatcher() { return *dispatcher_; }
  aaa::Authenticator& authenticator() { return *auth_; }

  /// A client signed in with a password (and a second factor, if given).
  std::unique_ptr<client::Client> clientFor(const std::string& email, const std::string& password,
                                            const std::string& totp = {}) {
    auto c = std::make_unique<client::Client>(url());
    boost::json::object body{{"email", email}, {"password", password}};
    if (!totp.empty()) body["totp"] = totp;
    auto r = c->post("/api/v1/auth/login", boost::json::serialize(body));
    if (r.status != 200) throw std::runtime_error("login failed: " + r.body);
    c->setToken(std::string(boost::json::parse(r.body).at("token").as_string()));
    return c;
  }

  /// A client logged in as the operator.
  std::unique_ptr<client::Client> operatorClient() { return clientFor(kOperatorEmail, kOperatorPassword); }

  /// A customer account (no password hashing: tests make many), with a role in an organisation,
  /// and a client holding a fresh session of it.
  std::unique_ptr<client::Client> customerClient(const std::string& email, const std::string& organisation,
                                                 Role role) {
    static const std::string hash = aaa::hashPassword(kOperatorPassword);
    auto user = accounts_->findUserByEmail(email);
    std::string id = user ? user->first.id : accounts_->createUser(email, hash, false).orThrow().id;
    if (!organisation.empty()) accounts_->setGrant(id, organisation, role);
    auto issued = auth_->openSession(*accounts_, accounts_->getUser(id).orThrow(), "127.0.0.1", "test");
    auto c = std::make_unique<client::Client>(url());
    c->setToken(issued.token);
    return c;
  }

 private:
  TempDir tmp_{"fedihost-it"};
  TestDatabases dbs_{tmp_.path()};
  orchestrator::DataDir dir_;
  std::unique_ptr<store::Connection> stateConn_;
  std::unique_ptr<store::StateStore> state_;
  std::unique_ptr<store::AccountStore> accounts_;
  std::unique_ptr<aaa::Authenticator> auth_;
  std::unique_ptr<orchestrator::Orchestrator> orch_;
  std::unique_ptr<api::Dispatcher> dispatcher_;
  std::unique_ptr<api::Server> server_;
  unsigned short port_ = 0;
};

}  // namespace fedihost::testing
