#pragma once
// A whole fedihost server in the test process, on a free loopback port, with
// its data in a temporary directory; stopped and removed on destruction.
#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <string>

#include "aaa/auth.hh"
#include "api/dispatcher.hh"
#include "api/server.hh"
#include "cli/client.hh"
#include "orchestrator/orchestrator.hh"
#include "store/accounting_store.hh"
#include "store/state_store.hh"
#include "support/temp_dir.hh"

namespace fedihost::testing {

inline constexpr const char* kOperatorEmail = "operator@example.test";
inline constexpr const char* kOperatorPassword = "correct horse battery staple";

/// The server options of a TestServer: a free port, and one thread per handler pool
/// (the handlers share one state connection).
inline api::ServerOptions testServerOptions() {
  api::ServerOptions o;
  o.port = 0;
  o.handlerThreads = 1;
  o.credentialThreads = 1;
  return o;
}

class TestServer {
 public:
  /// `prepare` runs on the data directory before the orchestrator starts (e.g. to add target files).
  explicit TestServer(const std::function<void(const orchestrator::DataDir&)>& prepare = {},
                      orchestrator::OrchestratorOptions options = {},
                      api::ServerOptions serverOptions = testServerOptions()) {
    dir_.root = tmp_.path() / "var";
    orchestrator::prepareDataDir(dir_);
    if (prepare) prepare(dir_);
    stateConn_ = store::connect(dir_.stateUrl());
    accountingConn_ = store::connect(dir_.accountingUrl());
    state_ = std::make_unique<store::StateStore>(*stateConn_);
    accounting_ = std::make_unique<store::AccountingStore>(*accountingConn_);
    aaa::createOperator(*state_, kOperatorEmail, kOperatorPassword).orThrow();
    orch_ = std::make_unique<orchestrator::Orchestrator>(dir_, options);
    ctx_ = std::make_unique<api::ApiContext>(api::ApiContext{*state_, *accounting_, *orch_, auth_});
    dispatcher_ = std::make_unique<api::Dispatcher>(*ctx_, tmp_.path() / "no-panel");
    server_ = std::make_unique<api::Server>(std::move(serverOptions), *dispatcher_);
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
  store::StateStore& state() { return *state_; }
  orchestrator::Orchestrator& orchestrator() { return *orch_; }
  /// The dispatcher the server serves (to serve it again from another Server, e.g. with wrapped handlers).
  api::Dispatcher& dispatcher() { return *dispatcher_; }

  /// A client logged in as the operator.
  std::unique_ptr<client::Client> operatorClient() {
    auto c = std::make_unique<client::Client>(url());
    auto r = c->post("/api/v1/auth/login", boost::json::serialize(boost::json::object{
                                               {"email", kOperatorEmail}, {"password", kOperatorPassword}}));
    if (r.status != 200) throw std::runtime_error("login failed: " + r.body);
    c->setToken(std::string(boost::json::parse(r.body).at("token").as_string()));
    return c;
  }

 private:
  TempDir tmp_{"fedihost-it"};
  orchestrator::DataDir dir_;
  std::unique_ptr<store::Connection> stateConn_, accountingConn_;
  std::unique_ptr<store::StateStore> state_;
  std::unique_ptr<store::AccountingStore> accounting_;
  aaa::Authenticator auth_;
  std::unique_ptr<orchestrator::Orchestrator> orch_;
  std::unique_ptr<api::ApiContext> ctx_;
  std::unique_ptr<api::Dispatcher> dispatcher_;
  std::unique_ptr<api::Server> server_;
  unsigned short port_ = 0;
};

}  // namespace fedihost::testing
