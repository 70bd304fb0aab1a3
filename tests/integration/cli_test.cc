// The fedihost command as a user runs it: init, serve (a real process on a
// free port, killed by PID at the end), login (and the credentials it saves),
// and the deployment commands.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/cli_fixture.hh"
#include "support/process.hh"
#include "support/targets.hh"
#include "support/temp_dir.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::run;

class CliTest : public testing::CliFixture {};

/// With a second file target, "dc2", to move deployments to.
class CliMigrationTest : public testing::CliFixture {
  void prepareData() override {
    auto providers = testing::withFileProviders();
    std::filesystem::create_directories(std::filesystem::path(data()) / "targets");
    std::ofstream(std::filesystem::path(data()) / "targets" / "dc2.json")
        << json::serialize(json::object{{"name", "dc2"}, {"providers", providers}});
  }
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
  auto org = cli("organisation create riverside --display-name 'Riverside School' -o json");
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
  // Without a terminal to confirm on, and without --yes, nothing is deleted.
  auto unconfirmed = cli("deployment delete " + id);
  EXPECT_NE(unconfirmed.exitCode, 0) << unconfirmed.output;
  EXPECT_NE(unconfirmed.output.find("without confirmation"), std::string::npos) << unconfirmed.output;
  EXPECT_TRUE(fs::exists(target));
  auto del = cli("deployment delete " + id + " --yes");
  ASSERT_EQ(del.exitCode, 0) << del.output;
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(CliTest, RestoreInPlaceShowsItsProgressAndNamesTheSafetyBackup) {
  auto org = cli("organisation create lakeside --display-name Lakeside -o json");
  ASSERT_EQ(org.exitCode, 0) << org.output;
  auto orgId = std::string(json::parse(org.output).at("id").as_string());
  auto created = cli("deployment create --organisation " + orgId + " --name notes --domain notes.example.test --app hedgedoc -o json");
  ASSERT_EQ(created.exitCode, 0) << created.output;
  auto id = std::string(json::parse(created.output).at("id").as_string());
  ASSERT_EQ(cli("deployment apply " + id).exitCode, 0);
  auto backup = cli("backup create " + id + " -o json");
  ASSERT_EQ(backup.exitCode, 0) << backup.output;
  auto backupId = std::string(json::parse(backup.output).at("id").as_string());

  auto mixed = cli("restore " + backupId + " --in-place --domain other.example.test");
  EXPECT_NE(mixed.exitCode, 0) << "--in-place keeps the deployment's domain: " << mixed.output;
  auto neither = cli("restore " + backupId);
  EXPECT_NE(neither.exitCode, 0);
  EXPECT_NE(neither.output.find("--in-place"), std::string::npos) << neither.output;

  auto restored = cli("restore " + backupId + " --in-place");
  ASSERT_EQ(restored.exitCode, 0) << restored.output;
  EXPECT_NE(restored.output.find("] "), std::string::npos) << "no progress bar: " << restored.output;
  EXPECT_NE(restored.output.find("Restored in place into deployment " + id), std::string::npos) << restored.output;
  EXPECT_NE(restored.output.find("safety backup bak_"), std::string::npos) << restored.output;
  auto list = cli("backup list " + id);
  EXPECT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("safety (rst_"), std::string::npos) << "the safety backup's kind names its restore: "
                                                                   << list.output;
}

TEST_F(CliMigrationTest, MigrateShowsItsProgressTheDowntimeAndRemovesTheOldSide) {
  auto org = cli("organisation create harbour --display-name Harbour -o json");
  ASSERT_EQ(org.exitCode, 0) << org.output;
  auto orgId = std::string(json::parse(org.output).at("id").as_string());
  auto created = cli("deployment create --organisation " + orgId + " --name notes --domain notes.example.test --app hedgedoc -o json");
  ASSERT_EQ(created.exitCode, 0) << created.output;
  auto id = std::string(json::parse(created.output).at("id").as_string());
  ASSERT_EQ(cli("deployment apply " + id).exitCode, 0);

  auto nowhere = cli("migrate " + id + " --to nowhere");
  EXPECT_NE(nowhere.exitCode, 0);
  EXPECT_NE(nowhere.output.find("no target named \"nowhere\""), std::string::npos) << nowhere.output;

  auto moved = cli("migrate " + id + " --to dc2");
  ASSERT_EQ(moved.exitCode, 0) << moved.output;
  EXPECT_NE(moved.output.find("] "), std::string::npos) << "no progress bar: " << moved.output;
  EXPECT_NE(moved.output.find("from local to dc2: succeeded, downtime "), std::string::npos) << moved.output;
  EXPECT_NE(moved.output.find("migration remove-old-side mig_"), std::string::npos) << moved.output;
  auto shown = cli("deployment show " + id + " -o json");
  ASSERT_EQ(shown.exitCode, 0) << shown.output;
  EXPECT_EQ(json::parse(shown.output).at("target"), "dc2");

  auto list = cli("migration list " + id);
  ASSERT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("local → dc2"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("kept"), std::string::npos) << list.output;
  auto migrationId = json::parse(cli("migration list " + id + " -o json").output).at("items").as_array().at(0).at("id");
  auto removed = cli("migration remove-old-side " + std::string(migrationId.as_string()));
  ASSERT_EQ(removed.exitCode, 0) << removed.output;
  EXPECT_NE(removed.output.find("old side removed"), std::string::npos) << removed.output;
  auto show = cli("migration show " + std::string(migrationId.as_string()));
  EXPECT_NE(show.output.find("DNS switched to dc2"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find(": copied (the file provider at the old side cannot replicate)"), std::string::npos)
      << show.output;
}

TEST_F(CliTest, ASecondServerOnTheSameDataDirectoryRefusesToStartNamingTheFirst) {
  auto lockFile = fs::path(data()) / "serve.lock";
  ASSERT_TRUE(fs::exists(lockFile));
  EXPECT_EQ(fs::status(lockFile).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  std::string pid;
  std::ifstream(lockFile) >> pid;
  EXPECT_EQ(pid, std::to_string(server_->pid()));
  // `timeout` ends it should it start serving after all.
  auto second = run("timeout 30 " + fh("serve --data " + data() + " --listen 127.0.0.1:0 --web " +
                                       (tmp_ / "no-panel").string()));
  EXPECT_EQ(second.exitCode, 1) << second.output;
  EXPECT_NE(second.output.find("in use by another fedihost serve (PID " + std::to_string(server_->pid()) + ")"),
            std::string::npos)
      << second.output;
  // Once the first has stopped, the directory is free again.
  server_->stop();
  testing::Process third({FEDIHOST_BIN, "serve", "--data", data(), "--listen", "127.0.0.1:0", "--port-file",
                 (tmp_ / "port3").string(), "--web", (tmp_ / "no-panel").string()},
                (tmp_ / "serve3.log").string());
  for (int i = 0; i < 500 && !fs::exists(tmp_ / "port3"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(fs::exists(tmp_ / "port3")) << "the server did not start after the first stopped";
  std::ifstream(lockFile) >> pid;
  EXPECT_EQ(pid, std::to_string(third.pid()));
}

TEST_F(CliTest, ServeRefusesADatabaseOfANewerFedihostNamingBothVersions) {
  // A data directory a newer fedihost has migrated (as after going back to an older package).
  const std::string other = (tmp_ / "newer").string();
  // This data directory's own SQLite databases, whichever backend the suite runs on.
  const std::string sqliteOnly = "env -u FEDIHOST_STATE_URL -u FEDIHOST_ACCOUNTING_URL ";
  auto r = run(sqliteOnly + fh("init --data " + other + " --email newer@example.test --password-file " + (tmp_ / "password").string()));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  r = run("sqlite3 " + other + "/state.db \"INSERT INTO schema_migrations (version, name, applied_at) "
          "VALUES (990, '990_future.sql', '2030-01-01T00:00:00Z')\"");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  auto serve = run(sqliteOnly + "timeout 30 " + fh("serve --data " + other + " --listen 127.0.0.1:0 --web " +
                                      (tmp_ / "no-panel").string()));
  EXPECT_EQ(serve.exitCode, 1) << serve.output;
  EXPECT_NE(serve.output.find("the state database is at schema version 990, newer than fedihost " FEDIHOST_VERSION),
            std::string::npos)
      << serve.output;
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
  auto org = cli("organisation create hill-farm --display-name 'Hill Farm' -o json");
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

namespace fedihost {
namespace {

std::string savedToken(const fs::path& credentials) {
  std::ifstream in(credentials);
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(json::parse(ss.str()).at("token").as_string());
}

mode_t modeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode;
}

TEST_F(CliTest, LoginSavesTheServerAndTheTokenInAPrivateFile) {
  auto file = credentialsFile();
  EXPECT_EQ(modeOf(file.parent_path()) & 0777, 0700u);
  EXPECT_EQ(modeOf(file) & 0777, 0600u);
  {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    auto saved = json::parse(ss.str());
    EXPECT_EQ(saved.at("server").as_string(), server());
    EXPECT_TRUE(saved.at("token").as_string().starts_with("fh_")) << ss.str();
  }
  EXPECT_FALSE(fs::exists(file.parent_path() / "token"));

  // However lax the umask, and never through a link planted in its place.
  std::ofstream(tmp_ / "victim") << "untouched\n";
  fs::remove(file);
  fs::create_symlink(tmp_ / "victim", file);
  auto again = run("umask 000; " + env_ +
                   fh("login --email admin@example.test --password-file " + (tmp_ / "password").string() + " -o json"));
  ASSERT_EQ(again.exitCode, 0) << again.output;
  EXPECT_TRUE(S_ISREG(modeOf(file))) << "the link was written through";
  EXPECT_EQ(modeOf(file) & 0777, 0600u);
  std::ifstream victim(tmp_ / "victim");
  std::string line;
  std::getline(victim, line);
  EXPECT_EQ(line, "untouched");
  EXPECT_EQ(again.output.find(savedToken(file)), std::string::npos) << "login printed the token: " << again.output;
  EXPECT_EQ(json::parse(again.output).at("server").as_string(), server()) << again.output;
}

TEST_F(CliTest, LaterCommandsUseTheServerLoggedInTo) {
  auto homeOnly = "HOME=" + home() + " ";
  auto login = run(homeOnly + fh("login --email admin@example.test --password-file " + (tmp_ / "password").string() +
                                 " --server " + server() + "/"));
  ASSERT_EQ(login.exitCode, 0) << login.output;
  EXPECT_NE(login.output.find("Logged in to " + server() + " "), std::string::npos) << login.output;

  auto created = run(homeOnly + fh("organisation create remembered"));
  EXPECT_EQ(created.exitCode, 0) << created.output;
  auto list = run(homeOnly + fh("organisation list"));
  EXPECT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("remembered"), std::string::npos) << list.output;

  // --server and FEDIHOST_SERVER still win over the remembered one.
  auto flag = run(homeOnly + fh("organisation list --server http://127.0.0.1:1"));
  EXPECT_EQ(flag.exitCode, 1);
  EXPECT_NE(flag.output.find("cannot reach http://127.0.0.1:1"), std::string::npos) << flag.output;
  auto env = run(homeOnly + "FEDIHOST_SERVER=http://127.0.0.1:1 " + fh("organisation list"));
  EXPECT_EQ(env.exitCode, 1);
  EXPECT_NE(env.output.find("cannot reach http://127.0.0.1:1"), std::string::npos) << env.output;

  // The saved token goes only to the server it came from: another address gets none.
  auto other = run(homeOnly + fh("organisation list --server http://localhost:" + port_));
  EXPECT_EQ(other.exitCode, 1) << other.output;
  EXPECT_EQ(other.output.find("remembered"), std::string::npos) << other.output;
  auto withToken = run(homeOnly + fh("organisation list --server http://localhost:" + port_ + " --token " +
                                     savedToken(credentialsFile())));
  EXPECT_EQ(withToken.exitCode, 0) << withToken.output;
}

TEST_F(CliTest, TheOldTokenFileStillWorksAndLoginMigratesIt) {
  auto token = savedToken(credentialsFile());
  fs::remove(credentialsFile());
  std::ofstream(credentialsFile().parent_path() / "token") << token << "\n";
  auto list = cli("organisation list");
  EXPECT_EQ(list.exitCode, 0) << list.output;

  auto login = cli("login --email admin@example.test --password-file " + (tmp_ / "password").string());
  ASSERT_EQ(login.exitCode, 0) << login.output;
  EXPECT_TRUE(fs::exists(credentialsFile()));
  EXPECT_FALSE(fs::exists(credentialsFile().parent_path() / "token"));
}

TEST_F(CliTest, LoginExplainsAPasswordFileItCannotRead) {
  auto r = cli("login --email admin@example.test --password-file " + (tmp_ / "missing").string());
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("cannot read a password from"), std::string::npos) << r.output;
}

TEST_F(CliTest, OrganisationDeleteWantsConfirmationOffATerminal) {
  ASSERT_EQ(cli("organisation create keepme").exitCode, 0);
  auto r = cli("organisation delete keepme </dev/null");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("--yes"), std::string::npos) << r.output;
  auto list = cli("organisation list");
  EXPECT_NE(list.output.find("keepme"), std::string::npos) << list.output;
}

}  // namespace
}  // namespace fedihost
