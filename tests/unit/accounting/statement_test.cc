#include "accounting/statement.hh"

#include <gtest/gtest.h>

#include "accounting/billing.hh"
#include "core/clock.hh"
#include "store/migrations.hh"
#include "databases.hh"

namespace fedihost::accounting {
namespace {

Seconds at(const char* t) { return parseTime(t).value(); }

void setNow(const char* t) { clock::setNowForTesting(std::chrono::system_clock::from_time_t(at(t))); }

store::PricePlan plan() {
  store::PricePlan p;
  p.id = "pp_test";
  p.name = "Standard";
  p.currency = "EUR";
  p.baseFee = 1000;        // 10.00 a month
  p.vatBasisPoints = 1900;  // 19 %
  p.prices = {{"vcpu", 500}, {"ram_gib", 200}, {"disk_gib", 10}, {"database", 100}, {"ip_address", 300}};
  p.included = {{"vcpu", 1}};
  return p;
}

TEST(Money, RoundingHalfUpAndFormatting) {
  EXPECT_EQ(mulDivRound(1, 1, 2), 1);
  EXPECT_EQ(mulDivRound(-1, 1, 2), -1);  // half away from zero
  EXPECT_EQ(mulDivRound(5, 1900, 10000), 1);
  EXPECT_EQ(mulDivRound(3, 1000, 10000), 0);
  EXPECT_EQ(mulDivRound(INT64_MAX / 2, 4, 4), INT64_MAX / 2);  // no overflow in between
  EXPECT_EQ(formatMoney(123456, 2), "1234.56");
  EXPECT_EQ(formatMoney(-5, 2), "-0.05");
  EXPECT_EQ(formatMoney(7, 0), "7");
  EXPECT_EQ(formatMoney(1234, 3), "1.234");
  EXPECT_EQ(currencyDigits("EUR"), 2);
  EXPECT_EQ(currencyDigits("JPY"), 0);
  EXPECT_EQ(currencyDigits("KWD"), 3);
  EXPECT_FALSE(currencyDigits("XYZ"));
  EXPECT_FALSE(currencyDigits("eur"));
  EXPECT_FALSE(currencyDigits("EU"));
}

/// A machine created in February, resized at the DST change (28 March 2027 01:00 UTC),
/// deleted on 2 April; a database created on 10 March and deleted mid-month; an IP address.
class Billing : public testing::AccountingDatabase {
 protected:
  void SetUp() override {
    AccountingDatabase::SetUp();
    auto ev = [&](const char* when, const char* key, const char* event, const char* q) {
      acc_->resourceEvent({std::string(key) + when, when, "org_a", key[4] == 'a' ? "dep_a" : "dep_b", key,
                           "kind", event, q});
    };
    ev("2027-02-27T12:00:00.000Z", "dep_a/machine/main", "created", R"({"machine":1,"vcpu":2,"ram_mib":4096,"disk_gib":40})");
    ev("2027-02-27T12:00:00.000Z", "dep_a/ip-address/main", "created", R"({"ip_address":1})");
    ev("2027-03-10T00:00:00.000Z", "dep_b/database/app", "created", R"({"database":1})");
    ev("2027-03-20T12:00:00.000Z", "dep_b/database/app", "deleted", "{}");
    ev("2027-03-28T01:00:00.000Z", "dep_a/machine/main", "updated", R"({"machine":1,"vcpu":4,"ram_mib":8192,"disk_gib":80})");
    ev("2027-04-02T00:00:00.000Z", "dep_a/machine/main", "deleted", "{}");
    planId_ = bill_->createPlan(plan()).value().id;
    bill_->assignPlan("org_a", planId_).orThrow();
  }
  std::string planId_;
};

TEST_F(Billing, KnownLifecyclesGiveKnownAmountsToTheCent) {
  setNow("2027-04-15T00:00:00Z");
  auto s = statementOf(*bill_, "org_a", "2027-03").value();
  EXPECT_TRUE(s.closed);
  std::vector<std::tuple<std::string, std::string, std::int64_t, std::int64_t>> lines;
  for (auto& l : s.lines) lines.emplace_back(l.unit, l.quantity, l.unitPrice, l.amount);
  using T = std::tuple<std::string, std::string, std::int64_t, std::int64_t>;
  EXPECT_EQ(lines, (std::vector<T>{
                       T{"", "1", 1000, 1000},                 // base fee
                       T{"machine", "1.0000", 0, 0},           // a machine all month, not priced
                       T{"vcpu", "1.2554", 500, 628},          // 1678 vCPU-hours − 744 included = 627.69
                       T{"ram_gib", "4.5108", 200, 902},       // 3356 GiB-hours: 902.15
                       T{"disk_gib", "45.1075", 10, 451},      // 33,560 GiB-hours: 451.08
                       T{"database", "0.3387", 100, 34},       // 252 hours of 744: 33.87
                       T{"ip_address", "1.0000", 300, 300},
                   }));
  EXPECT_EQ(s.lines[2].description, "vCPUs: 1678.000 vCPU-hours, 1 vCPU-months included");
  EXPECT_EQ(s.subtotal, 3315);
  EXPECT_EQ(s.vat, 630);  // 629.85
  EXPECT_EQ(s.total, 3945);

  // April: the machine for one day, the IP address all month (still open on 15 April: up to now).
  auto april = statementOf(*bill_, "org_a", "2027-04").value();
  EXPECT_FALSE(april.closed);
  EXPECT_EQ(april.lines[2].quantity, "0.0000");  // 24 vCPU-hours · 4 < the included vCPU-month
  EXPECT_EQ(april.lines[2].amount, 0);
  EXPECT_EQ(april.lines.back().unit, "ip_address");
  EXPECT_EQ(april.lines.back().amount, 140);  // 14 days of 30 of 3.00
}

TEST_F(Billing, AClosedMonthNeverChanges) {
  setNow("2027-04-01T00:00:01Z");
  auto first = statementOf(*bill_, "org_a", "2027-03").value();
  ASSERT_TRUE(first.closed);
  auto json = boost::json::serialize(toJson(first));

  // A late event inside March, a price change and an adjustment dated March: nothing changes.
  acc_->resourceEvent({"late", "2027-03-05T00:00:00.000Z", "org_a", "dep_c", "dep_c/database/x", "database", "created",
                       R"({"database":1})"});
  auto p = bill_->getPlan(planId_).value();
  p.prices["vcpu"] = 99999;
  p.baseFee = 1;
  bill_->updatePlan(p).orThrow();
  bill_->addAdjustment({"", "org_a", "2027-03", "sneaky", -5000, "", "usr_x"});
  setNow("2027-09-01T00:00:00Z");
  auto again = statementOf(*bill_, "org_a", "2027-03").value();
  EXPECT_EQ(boost::json::serialize(toJson(again)), json);
  EXPECT_EQ(again.total, 3945);

  // A correction goes on an open month as a line of its own.
  setNow("2027-04-10T00:00:00Z");
  bill_->addAdjustment({"", "org_a", "2027-04", "Credit for March's outage", -500, "", "usr_op"});
  auto april = statementOf(*bill_, "org_a", "2027-04").value();
  EXPECT_EQ(april.lines.back().kind, "adjustment");
  EXPECT_EQ(april.lines.back().amount, -500);
  EXPECT_EQ(april.lines.front().amount, 1);  // the new base fee applies to the open month
}

TEST_F(Billing, BadMonthsAndMissingPlans) {
  setNow("2027-04-15T00:00:00Z");
  EXPECT_EQ(statementOf(*bill_, "org_a", "2027-3").error().kind, ErrorKind::Invalid);
  EXPECT_EQ(statementOf(*bill_, "org_a", "2027-13").error().kind, ErrorKind::Invalid);
  EXPECT_EQ(statementOf(*bill_, "org_a", "2027-05").error().kind, ErrorKind::Invalid);  // has not begun
  EXPECT_EQ(statementOf(*bill_, "org_b", "2027-03").error().kind, ErrorKind::Conflict);
  EXPECT_EQ(bill_->assignPlan("org_b", "pp_none").error().kind, ErrorKind::Invalid);
}

TEST_F(Billing, PeriodicCloserStoresEveryEndedMonthOnce) {
  setNow("2027-05-03T00:00:00Z");
  EXPECT_EQ(closeMonths(*bill_, "org_a", at("2027-02-01T00:00:00Z")), 3);  // February, March, April
  EXPECT_EQ(closeMonths(*bill_, "org_a", at("2027-02-01T00:00:00Z")), 0);
  EXPECT_TRUE(bill_->statement("org_a", "2027-04"));
  EXPECT_FALSE(bill_->statement("org_a", "2027-05"));
}

TEST_F(Billing, CsvAndHtmlRenderings) {
  setNow("2027-04-15T00:00:00Z");
  bill_->addAdjustment({"", "org_a", "2027-04", "=HYPERLINK(\"x\"), <b>goodwill</b>", -250, "", "usr_op"});
  auto s = statementOf(*bill_, "org_a", "2027-04").value();
  auto csv = toCsv(s);
  EXPECT_TRUE(csv.starts_with(
      "organisation,month,line,kind,unit,description,quantity,quantity_unit,unit_price,amount,currency\r\n"
      "org_a,2027-04,1,base,,Base fee (Standard),1,month,10.00,10.00,EUR\r\n"));
  EXPECT_NE(csv.find(",adjustment,,\"'=HYPERLINK(\"\"x\"\"), <b>goodwill</b>\",1,adjustment,-2.50,-2.50,EUR\r\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find(",,total,,Total,,,," + formatMoney(s.total, 2) + ",EUR\r\n"), std::string::npos) << csv;
  auto html = toHtml(s, "Riverside <School>");
  EXPECT_NE(html.find("Riverside &lt;School&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;goodwill&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(statementFromJson(toJson(s)).value().total, s.total);
}

}  // namespace
}  // namespace fedihost::accounting
