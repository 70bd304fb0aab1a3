// The fedihost command as a user runs it: init, serve (a real process on a
// free port, killed by PID at the end), login, and the deployment commands.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/process.hh"
#include "support/temp_dir.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::run;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(tmp_ / "password") << "a long enough password\n";
    auto init = run(fh("init --data " + data() + " --email admin@example.test --password-file " +
                       (tmp_ / "password").string()));
    ASSERT_EQ(init.exitCode, 0) << init.output;
    server_ = std::make_unique<testing::Process>(
        std::vector<std::string>{FEDIHOST_BIN, "serve", "--data", data(), "--listen", "127.0.0.1:0", "--port-file",
                                 (tmp_ / "port").string(), "--web", (tmp_ / "no-panel").string()},
        (tmp_ / "serve.log").string());
    for (int i = 0; i < 500 && !fs::exists(tmp_ / "port"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(fs::exists(tmp_ / "port")) << "the server did not start";
    std::ifstream(tmp_ / "port") >> port_;
    // The client keeps its token under $HOME: point HOME at the temp dir.
    env_ = "HOME=" + tmp_.path().string() + " FEDIHOST_SERVER=http://127.0.0.1:" + port_ + " ";
    auto login = run(env_ + fh("login --email admin@example.test --password-file " + (tmp_ / "password").string()));
    ASSERT_EQ(login.exitCode, 0) << login.output;
  }
  void TearDown() override { server_.reset(); }

  std::string data() const { return (tmp_ / "var").string(); }
  static std::string fh(const std::string& args) { return std::string(FEDIHOST_BIN) + " " + args; }
  testing::CommandResult cli(const std::string& args) { return run(env_ + fh(args)); }

  testing::TempDir tmp_{"fedihost-cli"};
  std::unique_ptr<testing::Process> server_;
  std::string port_;
  std::string env_;
};

TEST_F(CliTest, InitRefusesABadAddressAndAShortPassword) {
  std::ofstream(tmp_ / "short") << "short\n";
  auto r = run(fh("init --data " + (tmp_ / "other").string() + " --email nobody --password-file " +
                  (tmp_ / "password").string()));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("not an e-mail address"), std::string::npos) << r.output;
  r = run(fh("init --data " + (tmp_ / "other").string() + " --email a@example.test --password-file " +
             (tmp_ / "short").string()));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.output.find("at least 10 characters"), std::string::npos) << r.output;
}

TEST_F(CliTest, CreatePlanApplyShowAndDeleteADeployment) {
  auto org = cli("organisation create 'Riverside School' -o json");
  ASSERT_EQ(org.exitCode, 0) << org.output;
  auto orgId = std::string(json::parse(org.output).at("id").as_string());

  auto bad = cli("deployment create --organisation " + orgId + " --name social --domain 'Bad Domain' --app mastodon");
  EXPECT_EQ(bad.exitCode, 1);
  EXPECT_NE(bad.output.find("domain: "), std::string::npos) << bad.output;

  auto created = cli("deployment create --organisation " + orgId +
                     " --name social --domain social.example.test --app mastodon --app pixelfed"
                     " --setting mastodon.maxTootChars=1000 -o json");
  ASSERT_EQ(created.exitCode, 0) << created.output;
  auto dep = json::parse(created.output);
  auto id = std::string(dep.at("id").as_string());
  EXPECT_EQ(dep.at("apps").at(0).at("settings").at("maxTootChars").as_int64(), 1000);

  auto plan = cli("deployment plan " + id);
  EXPECT_EQ(plan.exitCode, 0);
  EXPECT_NE(plan.output.find("create"), std::string::npos);
  EXPECT_NE(plan.output.find("not yet created"), std::string::npos) << plan.output;

  auto apply = cli("deployment apply " + id);
  ASSERT_EQ(apply.exitCode, 0) << apply.output;
  EXPECT_NE(apply.output.find("succeeded"), std::string::npos) << apply.output;
  EXPECT_NE(apply.output.find("] "), std::string::npos) << "no progress bar: " << apply.output;

  auto show = cli("deployment show " + id);
  EXPECT_NE(show.output.find("ready"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("https://mastodon.social.example.test/"), std::string::npos) << show.output;

  auto list = cli("deployment list --organisation " + orgId);
  EXPECT_NE(list.output.find("social.example.test"), std::string::npos) << list.output;

  auto again = cli("deployment plan " + id);
  EXPECT_NE(again.output.find("nothing to do"), std::string::npos) << again.output;

  fs::path target = tmp_ / "var" / "targets" / "local" / id;
  EXPECT_TRUE(fs::exists(target / "machines" / "main" / "configuration.json"));
  auto del = cli("deployment delete " + id);
  ASSERT_EQ(del.exitCode, 0) << del.output;
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(CliTest, ClientCommandsExplainAnUnreachableServer) {
  auto r = run("HOME=" + tmp_.path().string() + " " + fh("catalog --server http://127.0.0.1:1"));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("cannot reach"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace fedihost

namespace fedihost {
namespace {

TEST_F(CliTest, ASavedPlanIsAppliedExactlyAndRefreshShowsNoDrift) {
  auto org = cli("organisation create 'Hill Farm' -o json");
  ASSERT_EQ(org.exitCode, 0) << org.output;
  auto orgId = std::string(json::parse(org.output).at("id").as_string());
  auto created = cli("deployment create --organisation " + orgId +
                     " --name farm --domain farm.example.test --app hedgedoc -o json");
  ASSERT_EQ(created.exitCode, 0) << created.output;
  auto id = std::string(json::parse(created.output).at("id").as_string());

  auto plan = cli("deployment plan " + id + " --save");
  ASSERT_EQ(plan.exitCode, 0) << plan.output;
  auto at = plan.output.find("Saved as plan_");
  ASSERT_NE(at, std::string::npos) << plan.output;
  auto planId = plan.output.substr(at + 9, plan.output.find(':', at) - at - 9);

  auto applied = cli("deployment apply " + id + " --plan " + planId + " -o json");
  ASSERT_EQ(applied.exitCode, 0) << applied.output;
  EXPECT_NE(applied.output.find(planId), std::string::npos) << applied.output;
  auto again = cli("deployment apply " + id + " --plan " + planId);
  EXPECT_EQ(again.exitCode, 1);
  EXPECT_NE(again.output.find("applied already"), std::string::npos) << again.output;

  auto refresh = cli("deployment refresh " + id);
  EXPECT_EQ(refresh.exitCode, 0) << refresh.output;
  EXPECT_NE(refresh.output.find("No drift"), std::string::npos) << refresh.output;
}

}  // namespace
}  // namespace fedihost
