// The periodic month closer: every ended month of every organisation with a price
// plan is stored once, by closeNow() and by its thread; organisations without a
// plan are left alone; a corrupt creation time is an error.
#include "accounting/month_closer.hh"

#include <gtest/gtest.h>

#include <thread>

#include "accounting/usage.hh"
#include "core/clock.hh"
#include "store/billing_store.hh"
#include "store/migrations.hh"
#include "store/state_store.hh"
#include "databases.hh"

namespace fedihost::accounting {
namespace {

void setNow(const char* t) { clock::setNowForTesting(std::chrono::system_clock::from_time_t(parseTime(t).value())); }

class MonthCloserTest : public testing::StateAndAccounting {
 protected:
  void SetUp() override {
    StateAndAccounting::SetUp();
    store::StateStore state(*stateConn_);
    setNow("2027-02-10T09:00:00Z");
    withPlan_ = state.createOrganisation("riverside", "Riverside").value().id;
    withoutPlan_ = state.createOrganisation("harbour", "Harbour").value().id;
    store::BillingStore billing(*accConn_);
    store::PricePlan p;
    p.name = "Standard";
    p.currency = "EUR";
    p.baseFee = 1000;
    auto plan = billing.createPlan(p).value();
    billing.assignPlan(withPlan_, plan.id).orThrow();
  }
  std::string withPlan_, withoutPlan_;
};

TEST_F(MonthCloserTest, ClosesEveryEndedMonthOfOrganisationsWithAPlanOnce) {
  setNow("2027-05-03T00:00:00Z");
  MonthCloser closer({stateUrl(), accountingUrl(), std::chrono::hours(1)});
  EXPECT_EQ(closer.closeNow(), 3);  // February (from the 10th), March, April
  EXPECT_EQ(closer.closeNow(), 0);
  store::BillingStore billing(*accConn_);
  auto feb = billing.statement(withPlan_, "2027-02");
  ASSERT_TRUE(feb);
  EXPECT_TRUE(billing.statement(withPlan_, "2027-04"));
  EXPECT_FALSE(billing.statement(withPlan_, "2027-05"));  // still open
  EXPECT_FALSE(billing.statement(withoutPlan_, "2027-03"));
  EXPECT_FALSE(billing.statement(withPlan_, "2027-01"));  // before the organisation existed

  setNow("2027-06-01T00:00:05Z");
  EXPECT_EQ(closer.closeNow(), 1);  // May, once it has ended
}

TEST_F(MonthCloserTest, ItsThreadClosesDueMonthsAtStart) {
  setNow("2027-03-02T00:00:00Z");
  MonthCloser closer({stateUrl(), accountingUrl(), std::chrono::hours(1)});
  closer.start();
  for (int i = 0; i < 1000 && closer.closed() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  closer.stop();
  EXPECT_EQ(closer.closed(), 1);
  EXPECT_EQ(closer.failures(), 0);
  EXPECT_TRUE(store::BillingStore(*accConn_).statement(withPlan_, "2027-02"));
}

TEST_F(MonthCloserTest, ACorruptCreationTimeIsAnError) {
  stateConn_->execute("UPDATE organisations SET created_at = 'yesterday' WHERE id = ?1", {withPlan_});
  setNow("2027-05-03T00:00:00Z");
  MonthCloser closer({stateUrl(), accountingUrl(), std::chrono::hours(1)});
  EXPECT_THROW(closer.closeNow(), store::DatabaseError);
}

}  // namespace
}  // namespace fedihost::accounting
