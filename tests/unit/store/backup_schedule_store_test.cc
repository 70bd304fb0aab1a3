// Backup schedules in the state database (migration 014), on both backends (label pg
// runs it on PostgreSQL): a due schedule is claimed by one claimant only, also by four
// threads racing on their own connections; a claim given back makes it due again; a
// backup a restore reads is not deleted; an interrupted scheduled backup is its schedule's
// failure; a corrupt schedule row is an error.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "store/backup_store.hh"
#include "store/migrations.hh"
#include "store/state_store.hh"
#include "support/temp_dir.hh"
#include "support/test_databases.hh"

namespace fedihost::store {
namespace {

class BackupScheduleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = connect(db_.url());
    migrate(*conn_, DatabaseKind::State);
    state_ = std::make_unique<StateStore>(*conn_);
    org_ = state_->createOrganisation("Riverside School", "").value().id;
  }

  std::string deployment(const std::string& name) {
    Deployment d;
    d.organisation = org_;
    d.name = name;
    d.domain = name + ".example.test";
    return state_->createDeployment(d, {}).value().id;
  }

  BackupSchedule schedule(const std::string& dep, const std::string& due) {
    BackupSchedule s;
    s.deployment = dep;
    s.organisation = org_;
    s.everyHours = 6;
    s.keepDaily = 7;
    s.nextDueAt = due;
    return BackupStore(*conn_).putSchedule(s);
  }

  testing::TempDir dir_;
  testing::TestDatabase db_{dir_.path(), "state.db"};
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<StateStore> state_;
  std::string org_;
};

TEST_F(BackupScheduleStoreTest, ASchedulePutReadAndReplaced) {
  auto dep = deployment("one");
  BackupStore jobs(*conn_);
  EXPECT_FALSE(jobs.getSchedule(dep)) << "none yet";
  auto s = schedule(dep, "2027-01-01T06:00:00.000Z");
  EXPECT_EQ(s.everyHours, 6);
  EXPECT_EQ(s.keepDaily, 7);
  EXPECT_TRUE(s.enabled);
  jobs.recordScheduleResult(dep, "succeeded", "", "bak_1");
  s.everyHours = 0;
  s.dailyAt = "03:30";
  s.keepDaily = 0;
  s.keepMonthly = 12;
  auto replaced = jobs.putSchedule(s);
  EXPECT_EQ(replaced.dailyAt, "03:30");
  EXPECT_EQ(replaced.everyHours, 0);
  EXPECT_EQ(replaced.keepMonthly, 12);
  EXPECT_EQ(replaced.lastResult, "succeeded") << "the last run's record is kept";
  EXPECT_EQ(replaced.lastBackup, "bak_1");
}

TEST_F(BackupScheduleStoreTest, OnlyDueEnabledSchedulesAreListedOldestFirst) {
  auto a = deployment("a"), b = deployment("b"), c = deployment("c"), off = deployment("off");
  schedule(a, "2027-01-01T06:00:00.000Z");
  schedule(b, "2027-01-01T05:00:00.000Z");
  schedule(c, "2027-01-01T07:00:00.000Z");
  auto s = schedule(off, "2027-01-01T04:00:00.000Z");
  s.enabled = false;
  s.nextDueAt.clear();
  BackupStore(*conn_).putSchedule(s);
  auto due = BackupStore(*conn_).dueSchedules("2027-01-01T06:00:00.000Z", 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].deployment, b);
  EXPECT_EQ(due[1].deployment, a);
}

TEST_F(BackupScheduleStoreTest, AClaimWinsOnlyWhileTheDueTimeIsTheOneRead) {
  auto dep = deployment("one");
  schedule(dep, "2027-01-01T06:00:00.000Z");
  BackupStore jobs(*conn_);
  EXPECT_TRUE(jobs.claimSchedule(dep, "2027-01-01T06:00:00.000Z", "2027-01-01T12:00:00.000Z"));
  EXPECT_FALSE(jobs.claimSchedule(dep, "2027-01-01T06:00:00.000Z", "2027-01-01T12:00:00.000Z"))
      << "a second claimant that read the same due time loses";
  EXPECT_TRUE(jobs.dueSchedules("2027-01-01T06:00:00.000Z", 10).empty());
  // A backup that could not start: the claim given back, due again.
  jobs.unclaimSchedule(dep, "2027-01-01T12:00:00.000Z", "2027-01-01T06:00:00.000Z");
  EXPECT_EQ(jobs.dueSchedules("2027-01-01T06:00:00.000Z", 10).size(), 1u);
  // Given back only by the claim that holds it.
  EXPECT_TRUE(jobs.claimSchedule(dep, "2027-01-01T06:00:00.000Z", "2027-01-01T18:00:00.000Z"));
  jobs.unclaimSchedule(dep, "2027-01-01T12:00:00.000Z", "2027-01-01T06:00:00.000Z");
  EXPECT_EQ(jobs.getSchedule(dep).value().nextDueAt, "2027-01-01T18:00:00.000Z");
}

TEST_F(BackupScheduleStoreTest, FourConnectionsRacingClaimEachDueScheduleOnce) {
  std::vector<std::string> deps;
  for (int i = 0; i < 12; ++i) {
    deps.push_back(deployment("d" + std::to_string(i)));
    schedule(deps.back(), "2027-01-01T06:00:00.000Z");
  }
  std::atomic<int> wins{0}, failures{0};
  std::vector<std::atomic<int>> winsOf(deps.size());
  std::barrier start(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      try {
        auto c = connect(db_.url());
        BackupStore jobs(*c);
        start.arrive_and_wait();
        // Each thread reads what is due and claims it, as each instance's scheduler does.
        for (auto& s : jobs.dueSchedules("2027-01-01T06:00:00.000Z", 100))
          if (jobs.claimSchedule(s.deployment, s.nextDueAt, "2027-01-01T12:00:00.000Z")) {
            ++wins;
            for (std::size_t i = 0; i < deps.size(); ++i)
              if (deps[i] == s.deployment) ++winsOf[i];
          }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(wins.load(), static_cast<int>(deps.size()));
  for (std::size_t i = 0; i < deps.size(); ++i) EXPECT_EQ(winsOf[i].load(), 1) << deps[i];
}

TEST_F(BackupScheduleStoreTest, ABackupARestoreReadsIsNotDeleted) {
  auto dep = deployment("one");
  BackupStore jobs(*conn_);
  auto read = jobs.createBackup(dep, org_, "", true);
  jobs.finishBackup(read.id, "/nonexistent/a.fhb", 1, "");
  auto free = jobs.createBackup(dep, org_, "", true);
  jobs.finishBackup(free.id, "/nonexistent/b.fhb", 1, "");
  jobs.journal(free.id, "", "a line");
  auto r = jobs.createRestore(read.id, org_, deployment("restored"));
  EXPECT_FALSE(jobs.deleteBackupUnlessRestoring(read.id)) << "a queued restore reads it";
  EXPECT_TRUE(jobs.getBackup(read.id));
  EXPECT_TRUE(jobs.deleteBackupUnlessRestoring(free.id));
  EXPECT_FALSE(jobs.getBackup(free.id));
  EXPECT_TRUE(jobs.journalOf(free.id).empty()) << "its journal goes with it";
  EXPECT_FALSE(jobs.deleteBackupUnlessRestoring(free.id)) << "gone already";
  jobs.finishRestore(r.id);
  EXPECT_TRUE(jobs.deleteBackupUnlessRestoring(read.id)) << "once the restore has ended";
  EXPECT_TRUE(jobs.getBackup(free.id).error().kind == ErrorKind::NotFound);
}

TEST_F(BackupScheduleStoreTest, ScheduledIsRecordedOnTheBackup) {
  auto dep = deployment("one");
  BackupStore jobs(*conn_);
  EXPECT_TRUE(jobs.getBackup(jobs.createBackup(dep, org_, "", true).id).value().scheduled);
  EXPECT_FALSE(jobs.getBackup(jobs.createBackup(dep, org_, "").id).value().scheduled);
}

TEST_F(BackupScheduleStoreTest, AScheduledBackupInterruptedByARestartIsAFailureOfItsSchedule) {
  auto dep = deployment("one");
  schedule(dep, "2027-01-01T06:00:00.000Z");
  BackupStore jobs(*conn_);
  auto b = jobs.createBackup(dep, org_, "", true);
  jobs.recordScheduleResult(dep, "started", "", b.id);
  ASSERT_EQ(jobs.failInterruptedBackups().size(), 1u);
  auto s = jobs.getSchedule(dep).value();
  EXPECT_EQ(s.lastResult, "failed");
  EXPECT_EQ(s.lastBackup, b.id);
  EXPECT_NE(s.lastMessage.find("interrupted"), std::string::npos) << s.lastMessage;
}

TEST_F(BackupScheduleStoreTest, ACorruptScheduleRowIsAnError) {
  auto dep = deployment("one");
  schedule(dep, "2027-01-01T06:00:00.000Z");
  BackupStore jobs(*conn_);
  conn_->execute("UPDATE backup_schedules SET daily_at = '03:30' WHERE deployment_id = ?1", {dep});  // two cadences
  EXPECT_THROW(jobs.getSchedule(dep), DatabaseError);
  conn_->execute("UPDATE backup_schedules SET daily_at = '', every_hours = 0 WHERE deployment_id = ?1", {dep});
  EXPECT_THROW(jobs.getSchedule(dep), DatabaseError) << "no cadence";
  conn_->execute("UPDATE backup_schedules SET every_hours = 6, enabled = 7 WHERE deployment_id = ?1", {dep});
  EXPECT_THROW(jobs.getSchedule(dep), DatabaseError) << "enabled neither 0 nor 1";
  conn_->execute("UPDATE backup_schedules SET enabled = 1, next_due_at = '' WHERE deployment_id = ?1", {dep});
  EXPECT_THROW(jobs.getSchedule(dep), DatabaseError) << "enabled without a due time";
  conn_->execute("UPDATE backup_schedules SET next_due_at = '2027-01-01T06:00:00.000Z', keep_daily = -1 WHERE deployment_id = ?1", {dep});
  EXPECT_THROW(jobs.getSchedule(dep), DatabaseError);
}

}  // namespace
}  // namespace fedihost::store
