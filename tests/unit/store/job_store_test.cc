// Jobs (state migration 007): a refresh job holds its deployment as a run does
// until it ends; one orphan scan at a time; jobs a process left unfinished are
// failed at the next start; corrupt rows are errors.
#include "store/job_store.hh"

#include <gtest/gtest.h>

#include "store/migrations.hh"
#include "store/state_store.hh"
#include "support/temp_dir.hh"

namespace fedihost::store {
namespace {

class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = connect("sqlite:" + (dir_ / "state.db").string());
    migrate(*conn_, DatabaseKind::State);
    state_ = std::make_unique<StateStore>(*conn_);
    org_ = state_->createOrganisation("Riverside School", "").value().id;
    Deployment d;
    d.organisation = org_;
    d.name = "social";
    d.domain = "social.example.test";
    dep_ = state_->createDeployment(d, {}).value().id;
  }

  testing::TempDir dir_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<StateStore> state_;
  std::string org_, dep_;
};

TEST_F(JobStoreTest, ARefreshJobHoldsItsDeploymentUntilItEnds) {
  JobStore jobs(*conn_);
  auto job = jobs.createRefresh(dep_, org_, "usr_x").value();
  EXPECT_EQ(job.state, JobState::Queued);
  EXPECT_EQ(job.kind, JobKind::Refresh);
  EXPECT_EQ(jobs.organisationOf(job.id), org_);
  EXPECT_FALSE(jobs.createRefresh(dep_, org_, "usr_x").ok()) << "one refresh at a time";
  auto run = state_->createRun(dep_, RunKind::Apply, {});
  ASSERT_FALSE(run.ok()) << "an apply waits for the refresh job";
  EXPECT_EQ(run.error().kind, ErrorKind::Conflict);
  EXPECT_TRUE(jobs.start(job.id));
  EXPECT_FALSE(jobs.start(job.id)) << "started once";
  jobs.progress(job.id, 3, 10);
  EXPECT_EQ(jobs.get(job.id).value().done, 3);
  jobs.finish(job.id, {{"drifted", false}});
  auto done = jobs.get(job.id).value();
  EXPECT_EQ(done.state, JobState::Done);
  EXPECT_EQ(done.done, 10) << "a job done has made all its calls";
  ASSERT_TRUE(done.result.has_value());
  EXPECT_EQ(done.result->at("drifted"), false);
  EXPECT_TRUE(state_->createRun(dep_, RunKind::Apply, {}).ok()) << "the claim went with the job's end";
}

TEST_F(JobStoreTest, ARefreshJobIsRefusedWhileARunHoldsTheDeployment) {
  state_->createRun(dep_, RunKind::Apply, {}).value();
  auto job = JobStore(*conn_).createRefresh(dep_, org_, "usr_x");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().kind, ErrorKind::Conflict);
  EXPECT_FALSE(conn_->queryOne("SELECT 1 FROM jobs")) << "no job without its claim";
}

TEST_F(JobStoreTest, OneOrphanScanAtATimeAndUnfinishedJobsFailAtStart) {
  JobStore jobs(*conn_);
  bool created = false;
  auto scan = jobs.createOrphanScan("usr_x", created);
  EXPECT_TRUE(created);
  EXPECT_EQ(jobs.organisationOf(scan.id), "") << "the provider's own";
  auto again = jobs.createOrphanScan("usr_y", created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.id, scan.id);
  auto refresh = jobs.createRefresh(dep_, org_, "usr_x").value();
  jobs.start(refresh.id);
  EXPECT_EQ(jobs.failUnfinished("the server stopped"), 2);
  EXPECT_EQ(jobs.get(scan.id).value().state, JobState::Failed);
  EXPECT_EQ(jobs.get(refresh.id).value().error, "the server stopped");
  jobs.createOrphanScan("usr_x", created);
  EXPECT_TRUE(created) << "a failed scan does not stop the next";
}

TEST_F(JobStoreTest, ABundleVerificationNamesItsBackupAndHoldsNothing) {
  JobStore jobs(*conn_);
  auto job = jobs.createBundleVerify("bak_1", dep_, org_, "usr_x");
  EXPECT_EQ(job.kind, JobKind::BundleVerify);
  EXPECT_EQ(job.subject, "bak_1");
  EXPECT_EQ(job.deployment, dep_);
  EXPECT_EQ(jobs.organisationOf(job.id), org_);
  EXPECT_TRUE(state_->createRun(dep_, RunKind::Apply, {}).ok()) << "reading a bundle does not hold the deployment";
  EXPECT_TRUE(jobs.start(job.id));
  jobs.finish(job.id, {{"intact", true}});
  auto done = jobs.get(job.id).value();
  EXPECT_EQ(done.state, JobState::Done);
  EXPECT_EQ(toString(done.kind), "bundle-verify");
  EXPECT_EQ(done.result->at("intact"), true);
}

TEST_F(JobStoreTest, CorruptRowsAreErrorsNotDefaults) {
  JobStore jobs(*conn_);
  auto insert = [&](const std::string& id, const std::string& kind, const std::string& state,
                    const std::string& result) {
    conn_->execute("INSERT INTO jobs (id, kind, state, result, created_at) VALUES (?1, ?2, ?3, ?4, 'x')",
                   {id, kind, state, result});
  };
  insert("job_kind", "reboot", "queued", "");
  insert("job_state", "refresh", "paused", "");
  insert("job_json", "refresh", "done", "{not json");
  insert("job_array", "refresh", "done", "[1]");
  insert("job_none", "refresh", "done", "");
  insert("job_no_backup", "bundle-verify", "queued", "");  // a verification that names no backup
  for (auto id : {"job_kind", "job_state", "job_json", "job_array", "job_none", "job_no_backup"})
    EXPECT_THROW(jobs.get(id), DatabaseError) << id;
  EXPECT_EQ(jobs.get("job_missing").error().kind, ErrorKind::NotFound);
}

}  // namespace
}  // namespace fedihost::store
