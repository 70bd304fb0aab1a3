#pragma once
// A fixture for tests of the fedihost command as a user runs it: `init`, then
// `serve` as a real process on a free port (killed by PID at the end), then
// `login` as the operator, with HOME pointed at a temporary directory.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hh"
#include "support/temp_dir.hh"
#include "support/test_databases.hh"

namespace fedihost::testing {

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (usingPostgresql()) {
      // Label pg: `init` and `serve` (and every fedihost run from here) take the databases'
      // URLs from the environment, as --state and --accounting.
      ::setenv("FEDIHOST_STATE_URL", dbs_.state.url().c_str(), 1);
      ::setenv("FEDIHOST_ACCOUNTING_URL", dbs_.accounting.url().c_str(), 1);
    }
    std::ofstream(tmp_ / "password") << "a long enough password\n";
    auto init = run(fh("init --data " + data() + " --email admin@example.test --password-file " +
                       (tmp_ / "password").string()));
    ASSERT_EQ(init.exitCode, 0) << init.output;
    prepareData();
    std::vector<std::string> serve{FEDIHOST_BIN, "serve", "--data", data(), "--listen", "127.0.0.1:0", "--port-file",
                                   (tmp_ / "port").string(), "--web", (tmp_ / "no-panel").string()};
    for (auto& a : serveArguments()) serve.push_back(a);
    server_ = std::make_unique<Process>(serve, (tmp_ / "serve.log").string());
    for (int i = 0; i < 500 && !std::filesystem::exists(tmp_ / "port"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(std::filesystem::exists(tmp_ / "port")) << "the server did not start";
    std::ifstream(tmp_ / "port") >> port_;
    // The client keeps its credentials under $HOME: point HOME at the temp dir.
    env_ = "HOME=" + home() + " FEDIHOST_SERVER=" + server() + " ";
    auto login = run(env_ + fh("login --email admin@example.test --password-file " + (tmp_ / "password").string()));
    ASSERT_EQ(login.exitCode, 0) << login.output;
  }
  void TearDown() override { server_.reset(); }
  /// Runs after `init`, before `serve` (e.g. to add target files under data()/targets).
  virtual void prepareData() {}
  /// More arguments of `serve` (options of a test's own).
  virtual std::vector<std::string> serveArguments() const { return {}; }

  std::string data() const { return (tmp_ / "var").string(); }
  std::string home() const { return tmp_.path().string(); }
  std::string server() const { return "http://127.0.0.1:" + port_; }
  std::filesystem::path credentialsFile() const { return tmp_ / ".config/fedihost/credentials.json"; }
  static std::string fh(const std::string& args) { return std::string(FEDIHOST_BIN) + " " + args; }
  /// Runs `fedihost ARGS` as the operator logged in by SetUp (HOME and FEDIHOST_SERVER set).
  CommandResult cli(const std::string& args) { return run(env_ + fh(args)); }

  TempDir tmp_{"fedihost-cli"};
  TestDatabases dbs_{tmp_.path()};
  std::unique_ptr<Process> server_;
  std::string port_;
  std::string env_;
};

}  // namespace fedihost::testing
