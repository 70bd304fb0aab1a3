// Instances sharing a state database (migration 012): runs are claimed by one
// instance only, even by threads racing on their own connections; an instance whose
// heartbeat is older than its lease is reaped (its runs back in the pool, its jobs
// failed, its refresh claims dropped) and learns it at its next heartbeat; a clean
// stop hands back what it holds. On both backends (label pg runs it on PostgreSQL).
#include "store/instance_store.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "store/job_store.hh"
#include "store/migrations.hh"
#include "store/state_store.hh"
#include "support/temp_dir.hh"
#include "support/test_databases.hh"

namespace fedihost::store {
namespace {

class InstanceStoreTest : public ::testing::Test {
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

  void add(const std::string& id, std::int64_t leaseMs = 30000) {
    Instance i;
    i.id = id;
    i.host = "test";
    i.pid = 1;
    i.version = "test";
    i.leaseMs = leaseMs;
    InstanceStore(*conn_).add(i);
  }

  /// Makes an instance's last heartbeat `ago` old (as if it stopped beating then).
  void silence(const std::string& id, std::chrono::milliseconds ago) {
    conn_->execute("UPDATE instances SET heartbeat_at = ?1 WHERE id = ?2", {InstanceStore::realAgo(ago), id});
  }

  testing::TempDir dir_;
  testing::TestDatabase db_{dir_.path(), "state.db"};
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<StateStore> state_;
  std::string org_;
};

TEST_F(InstanceStoreTest, ARunIsClaimedByOneInstanceOnlyAndTheJournalNamesIt) {
  add("inst_a");
  add("inst_b");
  auto run = state_->createRun(deployment("one"), RunKind::Apply, {}).value();
  EXPECT_EQ(state_->claimRun("inst_a"), run.id);
  EXPECT_EQ(state_->claimRun("inst_b"), std::nullopt) << "held by inst_a";
  EXPECT_EQ(state_->getRun(run.id, false).value().instance, "inst_a");
  state_->releaseRun(run.id, "inst_b");
  EXPECT_EQ(state_->claimRun("inst_b"), std::nullopt) << "only its holder hands a run back";
  state_->releaseRun(run.id, "inst_a");
  EXPECT_EQ(state_->claimRun("inst_b"), run.id);
}

TEST_F(InstanceStoreTest, StepsRecordTheInstanceThatStartedThem) {
  PlanAction a;
  a.action = ActionKind::Create;
  a.resource.key = "dep/machine/main";
  a.resource.kind = ResourceKind::Machine;
  auto run = state_->createRun(deployment("steps"), RunKind::Apply, {a}).value();
  state_->startStep(run.id, 1, "inst_a");
  auto step = state_->getRun(run.id, true).value().steps.at(0);
  EXPECT_EQ(step.status, StepStatus::Running);
  EXPECT_EQ(step.instance, "inst_a");
}

TEST_F(InstanceStoreTest, RacingClaimsOnTheirOwnConnectionsNeverShareARun) {
  for (int t = 0; t < 4; ++t) add("inst_" + std::to_string(t));
  add("inst_last");
  std::vector<std::string> runs;
  for (int i = 0; i < 24; ++i) runs.push_back(state_->createRun(deployment("d" + std::to_string(i)), RunKind::Apply, {}).value().id);
  std::mutex mu;
  std::map<std::string, int> claimedBy;  // run -> times claimed
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      try {
        auto c = connect(db_.url());
        StateStore s(*c);
        while (auto id = s.claimRun("inst_" + std::to_string(t))) {
          std::lock_guard lock(mu);
          ++claimedBy[*id];
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  // A claim may find nothing free for a moment while another holds the lock; what is left is claimed after.
  while (auto id = state_->claimRun("inst_last")) ++claimedBy[*id];
  EXPECT_EQ(claimedBy.size(), runs.size());
  for (auto& [id, n] : claimedBy) EXPECT_EQ(n, 1) << id << " claimed twice";
}

TEST_F(InstanceStoreTest, AnInstanceSilentLongerThanItsLeaseIsReapedAndWhatItHeldGoesBack) {
  add("inst_a", 2000);
  add("inst_b", 2000);
  auto dep1 = deployment("one"), dep2 = deployment("two"), dep3 = deployment("three");
  auto run = state_->createRun(dep1, RunKind::Apply, {}).value();
  ASSERT_EQ(state_->claimRun("inst_a"), run.id);
  auto job = JobStore(*conn_).createRefresh(dep2, org_, "usr_x", "inst_a").value();
  auto claim = state_->claimRefresh(dep3, "inst_a").value();

  InstanceStore instances(*conn_);
  EXPECT_EQ(instances.reapExpired("inst_b").instances, 0) << "inst_a's lease runs";
  EXPECT_EQ(instances.othersAlive("inst_b"), 1);
  auto listed = instances.list();
  ASSERT_EQ(listed.size(), 2u);
  for (auto& i : listed)
    if (i.id == "inst_a") {
      EXPECT_EQ(i.runsHeld, 1);
      EXPECT_EQ(i.jobsHeld, 1);
    }

  silence("inst_a", std::chrono::milliseconds(2500));
  EXPECT_EQ(instances.othersAlive("inst_b"), 0);
  auto reaped = instances.reapExpired("inst_b");
  EXPECT_EQ(reaped.instances, 1);
  EXPECT_EQ(reaped.runs, 1);
  EXPECT_EQ(reaped.jobs, 1);
  EXPECT_EQ(reaped.claims, 2) << "the refresh job's claim and the bare claim";
  EXPECT_FALSE(instances.heartbeat("inst_a")) << "a reaped instance learns it has lost its lease";
  EXPECT_TRUE(instances.heartbeat("inst_b"));

  EXPECT_EQ(state_->claimRun("inst_b"), run.id) << "the run is back in the pool, resumed by another";
  auto failed = JobStore(*conn_).get(job.id).value();
  EXPECT_EQ(failed.state, JobState::Failed);
  EXPECT_NE(failed.error.find("inst_a"), std::string::npos) << failed.error;
  EXPECT_TRUE(state_->claimRefresh(dep3, "inst_b").ok()) << "the dead instance's claim is gone";
  for (auto& i : instances.list())
    if (i.id == "inst_a") {
      EXPECT_FALSE(i.stoppedAt.empty());
      EXPECT_NE(i.stopReason.find("inst_b"), std::string::npos) << i.stopReason;
    }
  EXPECT_EQ(instances.reapExpired("inst_b").instances, 0) << "reaped once";
}

TEST_F(InstanceStoreTest, ACleanStopHandsBackItsRunsAndAnExclusiveStartReapsEveryOther) {
  add("inst_a");
  auto run = state_->createRun(deployment("one"), RunKind::Apply, {}).value();
  ASSERT_EQ(state_->claimRun("inst_a"), run.id);
  InstanceStore instances(*conn_);
  EXPECT_EQ(instances.stop("inst_a", "stopped").runs, 1);
  add("inst_b");
  EXPECT_EQ(state_->claimRun("inst_b"), run.id);
  EXPECT_EQ(state_->claimRun("inst_c"), std::nullopt) << "inst_b runs";

  // A run held by an instance nobody knows (a row from before instances were recorded, or
  // forgotten since) and a live-looking instance: an exclusive start takes both back.
  add("inst_c");
  conn_->execute("UPDATE runs SET instance_id = 'inst_gone' WHERE id = ?1", {run.id});
  auto r = instances.reapAllOthers("inst_d", "ended: the data directory is locked by inst_d");
  EXPECT_EQ(r.instances, 2) << "inst_b and inst_c";
  EXPECT_EQ(r.runs, 1);
  EXPECT_EQ(state_->claimRun("inst_d"), run.id);
  EXPECT_EQ(instances.forgetStopped(InstanceStore::realAgo(std::chrono::milliseconds(-1000))), 3)
      << "inst_a, inst_b and inst_c are stopped";

  // A run left "running" by an instance that stopped (a row written behind the store's back) is free.
  conn_->execute("UPDATE runs SET instance_id = 'inst_a' WHERE id = ?1", {run.id});
  add("inst_a");
  instances.stop("inst_a", "stopped");
  conn_->execute("UPDATE runs SET instance_id = 'inst_a' WHERE id = ?1", {run.id});
  EXPECT_EQ(state_->claimRun("inst_e"), run.id);
}

TEST_F(InstanceStoreTest, OneInstanceOnlyClaimsEachRoundOfSharedWorkEvenRacing) {
  InstanceStore instances(*conn_);
  EXPECT_TRUE(instances.claimRound("periodic-refresh", "inst_a", std::chrono::hours(1))) << "never claimed: due";
  EXPECT_FALSE(instances.claimRound("periodic-refresh", "inst_b", std::chrono::hours(1))) << "not due for an hour";
  EXPECT_FALSE(instances.claimRound("periodic-refresh", "inst_a", std::chrono::hours(1))) << "nor for its claimer";
  EXPECT_TRUE(instances.claimRound("housekeeping", "inst_b", std::chrono::hours(1))) << "rounds are by name";
  auto row = conn_->queryOne("SELECT instance_id FROM shared_rounds WHERE name = 'periodic-refresh'");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->text(0), "inst_a");
  // Once due (as if an hour had passed), the next claimer gets it.
  conn_->execute("UPDATE shared_rounds SET next_due_at = ?1 WHERE name = 'periodic-refresh'",
                 {InstanceStore::realAgo(std::chrono::seconds(1))});
  EXPECT_TRUE(instances.claimRound("periodic-refresh", "inst_b", std::chrono::hours(1)));

  // Four instances on their own connections ask for a due round at once: one gets it.
  conn_->execute("UPDATE shared_rounds SET next_due_at = '' WHERE name = 'periodic-refresh'");
  std::atomic<int> won{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      try {
        auto c = connect(db_.url());
        if (InstanceStore(*c).claimRound("periodic-refresh", "inst_" + std::to_string(t), std::chrono::hours(1)))
          ++won;
      } catch (const std::exception&) {
        ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(won.load(), 1);
}

// Housekeeping's part of the job store (orchestrator/housekeeping.hh), here for both backends.
TEST_F(InstanceStoreTest, EndedJobsOlderThanTheCutOffAreForgottenAndNothingElse) {
  JobStore jobs(*conn_);
  auto make = [&](const std::string& id, const std::string& state, const std::string& finishedAt) {
    // Refresh jobs: one orphan scan only may be queued or running.
    conn_->execute("INSERT INTO jobs (id, kind, state, result, created_at, finished_at) VALUES (?1, 'refresh', ?2, ?3, "
                   "'2026-01-01T00:00:00.000Z', ?4)",
                   {id, state, state == "done" ? "{}" : "", finishedAt});
  };
  make("job_old_done", "done", "2026-01-02T00:00:00.000Z");
  make("job_old_failed", "failed", "2026-01-03T00:00:00.000Z");
  make("job_new_done", "done", "2026-03-01T00:00:00.000Z");
  make("job_running", "running", "");
  make("job_queued", "queued", "");
  EXPECT_EQ(jobs.removeEndedBefore("2026-02-01T00:00:00.000Z"), 2);
  for (auto id : {"job_old_done", "job_old_failed"}) EXPECT_EQ(jobs.get(id).error().kind, ErrorKind::NotFound) << id;
  for (auto id : {"job_new_done", "job_running", "job_queued"}) EXPECT_TRUE(jobs.get(id).ok()) << id;
  EXPECT_EQ(jobs.removeEndedBefore("2027-01-01T00:00:00.000Z"), 1) << "never a queued or running job";
}

TEST_F(InstanceStoreTest, AnIncompleteInstanceRowIsAnError) {
  conn_->execute(
      "INSERT INTO instances (id, host, pid, version, started_at, heartbeat_at, lease_ms) "
      "VALUES ('inst_bad', 'h', 1, 'v', 'x', '', 0)");
  EXPECT_THROW(InstanceStore(*conn_).list(), DatabaseError);
}

}  // namespace
}  // namespace fedihost::store
