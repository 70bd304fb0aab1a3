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

/// When the organisations of these tests were created.
const Seconds kCreated = at("2027-02-01T00:00:00Z");

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
  auto s = statementOf(*bill_, "org_a", kCreated, "2027-03").value();
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
  auto april = statementOf(*bill_, "org_a", kCreated, "2027-04").value();
  EXPECT_FALSE(april.closed);
  EXPECT_EQ(april.lines[2].quantity, "0.0000");  // 24 vCPU-hours · 4 < the included vCPU-month
  EXPECT_EQ(april.lines[2].amount, 0);
  EXPECT_EQ(april.lines.back().unit, "ip_address");
  EXPECT_EQ(april.lines.back().amount, 140);  // 14 days of 30 of 3.00
}

TEST_F(Billing, AClosedMonthNeverChanges) {
  setNow("2027-04-01T00:00:01Z");
  auto first = statementOf(*bill_, "org_a", kCreated, "2027-03").value();
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
  auto again = statementOf(*bill_, "org_a", kCreated, "2027-03").value();
  EXPECT_EQ(boost::json::serialize(toJson(again)), json);
  EXPECT_EQ(again.total, 3945);

  // A correction goes on an open month as a line of its own.
  setNow("2027-04-10T00:00:00Z");
  bill_->addAdjustment({"", "org_a", "2027-04", "Credit for March's outage", -500, "", "usr_op"});
  auto april = statementOf(*bill_, "org_a", kCreated, "2027-04").value();
  EXPECT_EQ(april.lines.back().kind, "adjustment");
  EXPECT_EQ(april.lines.back().amount, -500);
  EXPECT_EQ(april.lines.front().amount, 1);  // the new base fee applies to the open month
}

TEST_F(Billing, AForecastIsTheMonthSoFarPlusWhatRunsNowUntilTheMonthsEnd) {
  // 21 March: 20 days of 31 gone (1,728,000 s), 11 left (950,400 s). The machine (2 vCPU, 4 GiB
  // RAM, 40 GiB disk) and the IP address run; the database ran 10.5 days and was deleted.
  setNow("2027-03-21T00:00:00Z");
  auto f = forecastOf(*bill_, "org_a").value();
  EXPECT_EQ(f.asOf, at("2027-03-21T00:00:00Z"));
  EXPECT_EQ(f.secondsLeft, 950400);
  EXPECT_EQ(f.runningNow.quantitySeconds,
            (std::map<std::string, std::int64_t>{{"machine", 1}, {"vcpu", 2}, {"ram_mib", 4096}, {"disk_gib", 40},
                                                 {"ip_address", 1}}));
  EXPECT_EQ(f.runningNow.machineSecondsBySize.at("2 vCPU, 4 GiB RAM, 40 GiB disk"), 1);

  // So far: the open statement up to now.
  auto open = statementOf(*bill_, "org_a", kCreated, "2027-03").value();
  EXPECT_EQ(boost::json::serialize(toJson(f.soFar).at("lines")), boost::json::serialize(toJson(open).at("lines")));
  EXPECT_EQ(f.soFar.total, open.total);
  std::map<std::string, std::int64_t> soFar, atEnd;
  for (auto& l : f.soFar.lines) soFar[l.unit] = l.amount;
  for (auto& l : f.atMonthEnd.lines) atEnd[l.unit] = l.amount;
  EXPECT_EQ(soFar, (std::map<std::string, std::int64_t>{{"", 1000},
                                                        {"machine", 0},
                                                        {"vcpu", 145},        // 2 × 480 h − 744 included: 145.16
                                                        {"ram_gib", 516},     // 4 × 480 GiB-hours: 516.13
                                                        {"disk_gib", 258},    // 40 × 480: 258.06
                                                        {"database", 34},     // 252 h of 744: 33.87
                                                        {"ip_address", 194}}));  // 480 h of 744: 193.55
  EXPECT_EQ(f.soFar.subtotal, 2147);
  EXPECT_EQ(f.soFar.total, 2555);  // VAT 407.93
  // At the month's end: the machine and the address all month, the database as it was.
  EXPECT_EQ(atEnd, (std::map<std::string, std::int64_t>{{"", 1000},
                                                        {"machine", 0},
                                                        {"vcpu", 500},
                                                        {"ram_gib", 800},
                                                        {"disk_gib", 400},
                                                        {"database", 34},
                                                        {"ip_address", 300}}));
  EXPECT_EQ(f.atMonthEnd.subtotal, 3034);
  EXPECT_EQ(f.atMonthEnd.vat, 576);  // 576.46
  EXPECT_EQ(f.atMonthEnd.total, 3610);
  EXPECT_EQ(f.atMonthEnd.currency, "EUR");
  EXPECT_FALSE(f.atMonthEnd.closed);

  auto j = toJson(f);
  EXPECT_EQ(j.at("hoursLeft"), "264.000");
  EXPECT_EQ(j.at("soFar").at("total").as_int64(), 2555);
  EXPECT_EQ(j.at("total").as_int64(), 3610);
  auto& lines = j.at("lines").as_array();
  EXPECT_EQ(lines[2].at("unit"), "vcpu");
  EXPECT_EQ(lines[2].at("amount").as_int64(), 500);
  EXPECT_EQ(lines[2].at("soFar").as_int64(), 145);
  EXPECT_EQ(lines[0].at("soFar").as_int64(), 1000);  // the base fee
  auto& running = j.at("runningNow").as_array();
  ASSERT_EQ(running.size(), 5u);
  EXPECT_EQ(running[2].at("unit"), "ram_gib");
  EXPECT_EQ(running[2].at("quantity"), "4.000");
}

TEST_F(Billing, AForecastMadeAtTheMonthsLastChangeIsItsStatement) {
  // The resize of 28 March 01:00 is the month's last change: a forecast made at that very second
  // counts the new size (an event of now runs now) and equals the statement March closed with.
  bill_->addAdjustment({"", "org_a", "2027-03", "Credit for an outage", -500, "", "usr_op"});
  setNow("2027-03-28T01:00:00Z");
  auto f = forecastOf(*bill_, "org_a").value();
  EXPECT_EQ(f.runningNow.quantitySeconds.at("vcpu"), 4);
  EXPECT_EQ(f.secondsLeft, 95 * 3600);
  EXPECT_EQ(f.atMonthEnd.lines.back().amount, -500);
  setNow("2027-04-01T00:00:00Z");
  auto closed = statementOf(*bill_, "org_a", kCreated, "2027-03").value();
  ASSERT_TRUE(closed.closed);
  EXPECT_EQ(boost::json::serialize(toJson(f.atMonthEnd).at("lines")), boost::json::serialize(toJson(closed).at("lines")));
  EXPECT_EQ(f.atMonthEnd.total, closed.total);
  EXPECT_EQ(closed.total, 3350);  // 3315 − 500 = 2815, + 535 VAT (534.85)

  // Without a price plan there is no forecast, not a forecast of zero.
  EXPECT_EQ(forecastOf(*bill_, "org_b").error().kind, ErrorKind::Conflict);
}

TEST_F(Billing, BadMonthsAndMissingPlans) {
  setNow("2027-04-15T00:00:00Z");
  EXPECT_EQ(statementOf(*bill_, "org_a", kCreated, "2027-3").error().kind, ErrorKind::Invalid);
  EXPECT_EQ(statementOf(*bill_, "org_a", kCreated, "2027-13").error().kind, ErrorKind::Invalid);
  EXPECT_EQ(statementOf(*bill_, "org_a", kCreated, "2027-05").error().kind, ErrorKind::Invalid);  // has not begun
  EXPECT_EQ(statementOf(*bill_, "org_b", kCreated, "2027-03").error().kind, ErrorKind::Conflict);
  EXPECT_EQ(bill_->assignPlan("org_b", "pp_none").error().kind, ErrorKind::Invalid);
}

TEST_F(Billing, PeriodicCloserStoresEveryEndedMonthOnce) {
  setNow("2027-05-03T00:00:00Z");
  EXPECT_EQ(closeMonths(*bill_, "org_a", kCreated), 3);  // February, March, April
  EXPECT_EQ(closeMonths(*bill_, "org_a", kCreated), 0);
  EXPECT_TRUE(bill_->statement("org_a", "2027-04"));
  EXPECT_FALSE(bill_->statement("org_a", "2027-05"));
  EXPECT_FALSE(bill_->statement("org_a", "2027-01"));
}

TEST_F(Billing, AMonthBeforeTheOrganisationExistedHasNoStatementNotEvenABaseFee) {
  setNow("2027-05-03T00:00:00Z");
  const Seconds midFebruary = at("2027-02-14T10:00:00Z");
  auto before = statementOf(*bill_, "org_a", midFebruary, "2027-01");
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(before.error().field, "month");
  EXPECT_EQ(before.error().message,
            "there is no statement for 2027-01: the organisation was created on 2027-02-14, so its first statement is "
            "for 2027-02");
  EXPECT_FALSE(bill_->statement("org_a", "2027-01"));  // nothing stored for it either
  // The month it was created in is its first statement, with the base fee.
  auto first = statementOf(*bill_, "org_a", midFebruary, "2027-02");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->lines.at(0).kind, "base");
  // The closer starts at that month: February, March, April.
  EXPECT_EQ(closeMonths(*bill_, "org_a", midFebruary), 2);  // February was stored above
  EXPECT_FALSE(bill_->statement("org_a", "2027-01"));
}

TEST_F(Billing, CsvAndHtmlRenderings) {
  setNow("2027-04-15T00:00:00Z");
  bill_->addAdjustment({"", "org_a", "2027-04", "=HYPERLINK(\"x\"), <b>goodwill</b>", -250, "", "usr_op"});
  auto s = statementOf(*bill_, "org_a", kCreated, "2027-04").value();
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
