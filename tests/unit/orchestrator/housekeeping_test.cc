// Housekeeping (orchestrator/housekeeping.hh): ended jobs older than the retention are
// forgotten, and of two instances on one state database only one does a round.
#include "orchestrator/housekeeping.hh"

#include <gtest/gtest.h>

#include "core/clock.hh"
#include "store/instance_store.hh"
#include "store/job_store.hh"
#include "store/migrations.hh"
#include "support/temp_dir.hh"

namespace fedihost::orchestrator {
namespace {

class HousekeepingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = store::connect(url_);
    store::migrate(*conn_, store::DatabaseKind::State);
  }
  void TearDown() override { clock::setNowForTesting(); }

  void job(const std::string& id, const std::string& state, const std::string& finishedAt) {
    conn_->execute("INSERT INTO jobs (id, kind, state, result, created_at, finished_at) "
                   "VALUES (?1, 'refresh', ?2, '{}', '2026-01-01T00:00:00.000Z', ?3)",
                   {id, state, finishedAt});
  }
  bool exists(const std::string& id) { return conn_->queryOne("SELECT 1 FROM jobs WHERE id = ?1", {id}).has_value(); }
  HousekeepingConfig config(const std::string& instance, int retentionDays) {
    return {url_, instance, std::chrono::hours(1), std::chrono::hours(24 * retentionDays), std::chrono::hours(24 * 7)};
  }

  testing::TempDir dir_;
  std::string url_ = "sqlite:" + (dir_ / "state.db").string();
  std::unique_ptr<store::Connection> conn_;
};

TEST_F(HousekeepingTest, EndedJobsPastTheRetentionGoAndOneInstanceDoesEachRound) {
  clock::setNowForTesting(std::chrono::sys_days(std::chrono::year(2026) / 3 / 1));
  job("job_march", "done", "2026-02-27T00:00:00.000Z");  // 2 days old
  job("job_january", "failed", "2026-01-20T00:00:00.000Z");  // 40 days old
  job("job_running", "running", "");

  Housekeeping a(config("inst_a", 7)), b(config("inst_b", 7));
  auto swept = a.runOnce(*conn_);
  ASSERT_TRUE(swept.has_value()) << "the first round is due";
  EXPECT_EQ(swept->jobs, 1);
  EXPECT_FALSE(exists("job_january"));
  EXPECT_TRUE(exists("job_march")) << "within the retention";
  EXPECT_TRUE(exists("job_running"));
  EXPECT_FALSE(b.runOnce(*conn_).has_value()) << "inst_a has this hour's round";

  // An hour later (the round due again) the other instance may do it; nothing more is old enough.
  conn_->execute("UPDATE shared_rounds SET next_due_at = ?1", {store::InstanceStore::realAgo(std::chrono::seconds(1))});
  auto next = b.runOnce(*conn_);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->jobs, 0);
}

TEST_F(HousekeepingTest, ARetentionOfZeroKeepsEveryJob) {
  clock::setNowForTesting(std::chrono::sys_days(std::chrono::year(2026) / 3 / 1));
  job("job_ancient", "done", "2020-01-01T00:00:00.000Z");
  Housekeeping keep(config("inst_a", 0));
  auto swept = keep.runOnce(*conn_);
  ASSERT_TRUE(swept.has_value());
  EXPECT_EQ(swept->jobs, 0);
  EXPECT_TRUE(exists("job_ancient"));
}

TEST_F(HousekeepingTest, TheThreadDoesARoundAtStart) {
  clock::setNowForTesting(std::chrono::sys_days(std::chrono::year(2026) / 3 / 1));
  job("job_january", "done", "2026-01-20T00:00:00.000Z");
  Housekeeping h(config("inst_a", 7));
  h.start();
  for (int i = 0; i < 500 && h.rounds() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  h.stop();
  EXPECT_EQ(h.rounds(), 1);
  EXPECT_FALSE(exists("job_january"));
}

}  // namespace
}  // namespace fedihost::orchestrator
