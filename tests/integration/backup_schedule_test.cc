// Scheduled backups with a real `fedihost serve` (a process on a free port, killed by
// PID at the end) checking for due schedules every second: a schedule set and shown
// through the CLI (bad input refused naming the field), made due by moving its due time
// into the past in the state database (as time passing would), a scheduled backup made,
// a busy deployment skipped and tried again, and retention removing the older scheduled
// backup (row and bundle file) while the on-demand one stays.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "store/backup_store.hh"
#include "store/state_store.hh"
#include "support/cli_fixture.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

class BackupScheduleTest : public testing::CliFixture {
 protected:
  std::vector<std::string> serveArguments() const override { return {"--backup-schedule-check", "1"}; }

  /// The test's own connection to the server's state database.
  store::Connection& db() {
    if (!conn_)
      conn_ = store::connect(testing::usingPostgresql() ? dbs_.state.url() : "sqlite:" + data() + "/state.db");
    return *conn_;
  }

  json::value schedule(const std::string& dep) {
    auto r = cli("backup schedule show " + dep + " -o json");
    EXPECT_EQ(r.exitCode, 0) << r.output;
    return json::parse(r.output);
  }

  /// Waits (up to a minute, polling) until the schedule's last result is `result` for another
  /// backup than `notBackup`; returns the schedule.
  json::value waitForResult(const std::string& dep, const std::string& result, const std::string& notBackup = "") {
    json::value s;
    for (int i = 0; i < 600; ++i) {
      s = schedule(dep);
      auto& o = s.as_object();
      if (o.at("lastResult") == json::value(result) &&
          (result == "skipped" || (o.at("lastBackup").is_string() && o.at("lastBackup").as_string() != notBackup)))
        return s;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "the schedule's last result did not become " << result << ": " << json::serialize(s);
    return s;
  }

  void makeDue(const std::string& dep) {
    db().execute("UPDATE backup_schedules SET next_due_at = '2000-01-01T00:00:00.000Z' WHERE deployment_id = ?1", {dep});
  }

  std::unique_ptr<store::Connection> conn_;
};

TEST_F(BackupScheduleTest, AScheduledBackupRunsABusyDeploymentWaitsAndRetentionPrunesTheOlderOne) {
  auto org = cli("organisation create riverside --display-name 'Riverside School' -o json");
  ASSERT_EQ(org.exitCode, 0) << org.output;
  auto orgId = std::string(json::parse(org.output).at("id").as_string());
  auto created = cli("deployment create --organisation " + orgId +
                     " --name notes --domain notes.example.test --app hedgedoc -o json");
  ASSERT_EQ(created.exitCode, 0) << created.output;
  auto dep = std::string(json::parse(created.output).at("id").as_string());
  ASSERT_EQ(cli("deployment apply " + dep).exitCode, 0);

  // Bad input: refused, naming the field; nothing stored.
  auto bad = cli("backup schedule set " + dep + " --daily-at 25:00 --keep-daily 7");
  EXPECT_EQ(bad.exitCode, 1);
  EXPECT_NE(bad.output.find("dailyAt"), std::string::npos) << bad.output;
  auto none = cli("backup schedule set " + dep + " --every-hours 6");
  EXPECT_EQ(none.exitCode, 1);
  EXPECT_NE(none.output.find("keep at least one backup"), std::string::npos) << none.output;
  auto tooOften = cli("backup schedule set " + dep + " --every-hours 0 --keep-daily 1");
  EXPECT_EQ(tooOften.exitCode, 1) << "0 hours is no cadence: " << tooOften.output;
  EXPECT_EQ(schedule(dep).at("cadence"), json::value(nullptr));

  auto set = cli("backup schedule set " + dep + " --every-hours 1 --keep-hourly 1");
  ASSERT_EQ(set.exitCode, 0) << set.output;
  EXPECT_NE(set.output.find("Schedule:  every hour"), std::string::npos) << set.output;
  // "in 37 minutes", or "within a minute" when the test runs in the last minute before the hour.
  EXPECT_TRUE(set.output.find("Next:      in ") != std::string::npos ||
              set.output.find("Next:      within a minute") != std::string::npos)
      << "the next due time in words: " << set.output;
  EXPECT_EQ(schedule(dep).at("enabled"), json::value(true));

  // An on-demand backup: retention never removes it.
  auto onDemand = cli("backup create " + dep + " -o json");
  ASSERT_EQ(onDemand.exitCode, 0) << onDemand.output;
  auto onDemandId = std::string(json::parse(onDemand.output).at("id").as_string());

  // Due: the server's scheduler starts a backup through the same path as `backup create`.
  makeDue(dep);
  auto first = waitForResult(dep, "succeeded");
  const auto firstId = std::string(first.at("lastBackup").as_string());
  EXPECT_GT(std::string(first.at("nextDueAt").as_string()), "2000-01-01T00:00:00.000Z") << "advanced past now";
  store::BackupStore jobs(db());
  auto firstRow = jobs.getBackup(firstId).value();
  EXPECT_TRUE(firstRow.scheduled);
  EXPECT_TRUE(fs::exists(firstRow.path));

  // A scheduled backup that failed (as a full disk would leave it): listed until a later one completes.
  auto failedRow = jobs.createBackup(dep, orgId, "", true);
  jobs.failBackup(failedRow.id, "no space left on device (made to fail by the test)");

  // Busy (a refresh holds the deployment): skipped, left due, and tried again once free.
  store::StateStore state(db());
  auto claim = state.claimRefresh(dep, "inst_test").value();
  makeDue(dep);
  auto skipped = waitForResult(dep, "skipped");
  EXPECT_NE(std::string(skipped.at("lastMessage").as_string()).find("tried again"), std::string::npos)
      << json::serialize(skipped);
  // Left due: once the deployment is free, the next round backs it up without being asked again.
  state.releaseRefresh(claim);
  auto second = waitForResult(dep, "succeeded", firstId);
  const auto secondId = std::string(second.at("lastBackup").as_string());

  // Retention (keep 1 hourly): the older scheduled backup is gone, row and bundle; the new one
  // and the on-demand one stay.
  EXPECT_FALSE(jobs.getBackup(firstId)) << "pruned";
  EXPECT_FALSE(jobs.getBackup(failedRow.id)) << "a failure older than the newest complete backup is pruned";
  EXPECT_TRUE(jobs.journalOf(failedRow.id).empty());
  EXPECT_FALSE(fs::exists(firstRow.path)) << firstRow.path;
  auto secondRow = jobs.getBackup(secondId).value();
  EXPECT_TRUE(fs::exists(secondRow.path));
  EXPECT_TRUE(jobs.getBackup(onDemandId).value().status == store::JobStatus::Succeeded);
  bool journaled = false;
  for (auto& l : jobs.journalOf(secondId))
    journaled = journaled || (l.part == "retention" && l.message.find(firstId) != std::string::npos);
  EXPECT_TRUE(journaled) << "the new backup's journal names what retention removed";
  auto list = cli("backup list " + dep);
  EXPECT_NE(list.output.find("on demand"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("scheduled"), std::string::npos) << list.output;
  EXPECT_EQ(list.output.find(firstId), std::string::npos) << list.output;

  // Disabled: no more due time; the backups stay.
  auto off = cli("backup schedule disable " + dep);
  ASSERT_EQ(off.exitCode, 0) << off.output;
  auto after = schedule(dep);
  EXPECT_EQ(after.at("enabled"), json::value(false));
  EXPECT_EQ(after.at("nextDueAt"), json::value(nullptr));
  EXPECT_TRUE(jobs.getBackup(secondId));
}

}  // namespace
}  // namespace fedihost
