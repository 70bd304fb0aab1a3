// The operators' totals of a month (accounting::totalsOf, docs/billing.md "Every
// organisation's statements"): every live organisation whatever the page size, per
// currency; an ended month summed from the stored statements (served as stored, a
// missing one closed first, a corrupt one an error); the open month's forecasts.
#include <gtest/gtest.h>

#include "accounting/billing.hh"
#include "core/clock.hh"
#include "store/billing_store.hh"
#include "store/state_store.hh"
#include "databases.hh"

namespace fedihost::accounting {
namespace {

void setNow(const char* t) { clock::setNowForTesting(std::chrono::system_clock::from_time_t(parseTime(t).value())); }

class TotalsTest : public testing::StateAndAccounting {
 protected:
  void SetUp() override {
    StateAndAccounting::SetUp();
    setNow("2027-02-10T09:00:00Z");
    store::StateStore state(*stateConn_);
    store::BillingStore billing(*accConn_);
    auto plan = [&](const char* name, const char* currency, std::int64_t fee) {
      store::PricePlan p;
      p.name = name;
      p.currency = currency;
      p.baseFee = fee;
      p.vatBasisPoints = 1000;
      p.prices = {{"ip_address", 300}};
      return billing.createPlan(p).value().id;
    };
    auto eur = plan("Standard", "EUR", 1000), chf = plan("Swiss", "CHF", 2000);
    int i = 0;
    for (auto* p : {&eur, &eur, &chf, static_cast<std::string*>(nullptr)}) {
      orgs_.push_back(state.createOrganisation("org" + std::to_string(i++), "").value().id);
      if (p) billing.assignPlan(orgs_.back(), *p).orThrow();
    }
    // The first one holds an IP address from 1 March: 3.00 a month.
    store::AccountingStore(*accConn_).resourceEvent(
        {"e1", "2027-03-01T00:00:00.000Z", orgs_[0], "dep_a", "dep_a/ip-address/main", "k", "created", R"({"ip_address":1})"});
  }

  MonthTotals totals(const std::string& month, bool open, int pageSize) {
    store::StateStore state(*stateConn_);
    store::BillingStore billing(*accConn_);
    return totalsOf(state, billing, month, open, pageSize);
  }
  static const CurrencyTotal& in(const MonthTotals& t, const std::string& currency) {
    for (auto& c : t.currencies)
      if (c.currency == currency) return c;
    throw std::runtime_error("no " + currency);
  }

  std::vector<std::string> orgs_;
};

TEST_F(TotalsTest, TheOpenMonthSumsEveryOrganisationsForecastWhateverThePageSize) {
  setNow("2027-03-16T00:00:00Z");  // 15 days of 31 gone
  for (int pageSize : {1, 3, 500}) {
    auto t = totals("2027-03", true, pageSize);
    EXPECT_EQ(t.organisations, 4) << pageSize;
    EXPECT_EQ(t.withoutPlan, 1);
    EXPECT_EQ(t.asOf, parseTime("2027-03-16T00:00:00Z").value());
    ASSERT_EQ(t.currencies.size(), 2u);
    EXPECT_EQ(t.currencies[0].currency, "CHF");  // by code
    EXPECT_EQ(in(t, "CHF").organisations, 1);
    EXPECT_EQ(in(t, "CHF").total, 2200);
    EXPECT_EQ(in(t, "CHF").forecast, 2200);
    // EUR: two base fees, and so far 15/31 of 3.00 = 1.45; at the month's end 3.00; VAT 10 %.
    EXPECT_EQ(in(t, "EUR").organisations, 2);
    EXPECT_EQ(in(t, "EUR").subtotal, 2145);
    EXPECT_EQ(in(t, "EUR").total, 1100 + 1260);  // 1000 + 100 VAT; 1145 + 114.5 VAT rounded half up
    EXPECT_EQ(in(t, "EUR").forecast, 1100 + 1430);
  }
  // The same as each organisation's summary.
  store::BillingStore billing(*accConn_);
  store::StateStore state(*stateConn_);
  std::int64_t sum = 0;
  for (auto& org : orgs_) {
    auto m = summaryOf(billing, state.getOrganisation(org).value(), "2027-03", true);
    if (m.statement && m.statement->currency == "EUR") sum += m.forecast->atMonthEnd.total;
  }
  EXPECT_EQ(sum, 1100 + 1430);
}

TEST_F(TotalsTest, AnEndedMonthIsSummedFromTheStoredStatements) {
  setNow("2027-04-02T00:00:00Z");
  store::BillingStore billing(*accConn_);
  // One statement closed before the totals are asked for; the others are closed by them.
  ASSERT_TRUE(statementOf(billing, orgs_[0], parseTime("2027-02-10T09:00:00Z").value(), "2027-03"));
  auto t = totals("2027-03", false, 2);
  EXPECT_EQ(in(t, "EUR").total, 1100 + 1430);
  EXPECT_EQ(in(t, "EUR").forecast, 0);
  EXPECT_EQ(t.withoutPlan, 1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(billing.statement(orgs_[i], "2027-03")) << i;
  EXPECT_FALSE(billing.statement(orgs_[3], "2027-03"));  // no plan: nothing to store

  // Served as stored: a changed plan changes nothing, and what is stored is what is summed.
  accConn_->execute("UPDATE price_plans SET base_fee = 99999");
  accConn_->execute("UPDATE statements SET body = replace(body, '\"total\":2200', '\"total\":2201') WHERE organisation_id = ?1",
                    {orgs_[2]});
  auto again = totals("2027-03", false, 500);
  EXPECT_EQ(in(again, "EUR").total, 1100 + 1430);
  EXPECT_EQ(in(again, "CHF").total, 2201);

  // A corrupt stored statement is an error, not a total without it.
  accConn_->execute("UPDATE statements SET body = '{' WHERE organisation_id = ?1", {orgs_[1]});
  EXPECT_THROW(totals("2027-03", false, 500), AbortError);
}

TEST_F(TotalsTest, AMonthThatEndedSinceTheCallerLookedIsSummedClosed) {
  setNow("2027-04-01T00:00:00Z");  // the caller decided March was open a second ago
  auto t = totals("2027-03", true, 500);
  EXPECT_FALSE(t.open);
  EXPECT_EQ(in(t, "EUR").total, 1100 + 1430);
  EXPECT_EQ(in(t, "EUR").forecast, 0);
  store::BillingStore billing(*accConn_);
  EXPECT_TRUE(billing.statement(orgs_[0], "2027-03"));
  auto m = summaryOf(billing, store::StateStore(*stateConn_).getOrganisation(orgs_[0]).value(), "2027-03", true);
  ASSERT_TRUE(m.statement);
  EXPECT_TRUE(m.statement->closed);
  EXPECT_FALSE(m.forecast);
}

TEST_F(TotalsTest, ADeletedOrganisationIsNotCounted) {
  setNow("2027-03-16T00:00:00Z");
  store::StateStore(*stateConn_).deleteOrganisation(orgs_[2]).orThrow();
  auto t = totals("2027-03", true, 500);
  EXPECT_EQ(t.organisations, 3);
  ASSERT_EQ(t.currencies.size(), 1u);
  EXPECT_EQ(t.currencies[0].currency, "EUR");
}

TEST_F(TotalsTest, OrganisationsCreatedAfterAMonthAreNotInItsTotalsAndOweNothingForIt) {
  setNow("2027-04-02T00:00:00Z");
  auto t = totals("2027-01", false, 2);  // every organisation was created on 10 February
  EXPECT_EQ(t.organisations, 0);
  EXPECT_EQ(t.withoutPlan, 0);
  EXPECT_TRUE(t.currencies.empty());
  store::BillingStore billing(*accConn_);
  for (auto& org : orgs_) EXPECT_FALSE(billing.statement(org, "2027-01")) << org;
  auto m = summaryOf(billing, store::StateStore(*stateConn_).getOrganisation(orgs_[0]).value(), "2027-01", false);
  EXPECT_FALSE(m.existed);
  EXPECT_FALSE(m.statement);
  EXPECT_NE(m.reason.find("created on 2027-02-10"), std::string::npos) << m.reason;
  // February, the month they were created in, counts them all.
  EXPECT_EQ(totals("2027-02", false, 2).organisations, 4);
}

}  // namespace
}  // namespace fedihost::accounting
