// fedihost price-plan create|list|assign, usage, statement (--csv, --html),
// adjustment add and billing forecast|totals, as a user runs them against a real
// server (real clock: the current month, open).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "support/cli_fixture.hh"

namespace fedihost {
namespace {

namespace json = boost::json;

class CliBillingTest : public testing::CliFixture {};

TEST_F(CliBillingTest, PricePlansUsageAndStatements) {
  auto org = cli("organisation create riverside --display-name 'Riverside School' -o json");
  ASSERT_EQ(org.exitCode, 0) << org.output;
  auto orgId = std::string(json::parse(org.output).at("id").as_string());

  auto bad = cli("price-plan create --name Bad --currency EUX");
  EXPECT_NE(bad.exitCode, 0);
  EXPECT_NE(bad.output.find("ISO 4217"), std::string::npos) << bad.output;
  bad = cli("price-plan create --name Bad --currency EUR --price vcpu=five");
  EXPECT_NE(bad.exitCode, 0);
  EXPECT_NE(bad.output.find("whole number"), std::string::npos) << bad.output;

  auto created = cli("price-plan create --name Standard --currency EUR --base-fee 1000 --vat-rate 1900 "
                     "--price vcpu=500 --price ip_address=300 --included vcpu=1");
  ASSERT_EQ(created.exitCode, 0) << created.output;
  EXPECT_NE(created.output.find("Created price plan pp_"), std::string::npos) << created.output;
  auto list = cli("price-plan list");
  ASSERT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("Standard"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("10.00"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("19.00 %"), std::string::npos) << list.output;

  auto assign = cli("price-plan assign riverside Standard");
  ASSERT_EQ(assign.exitCode, 0) << assign.output;
  EXPECT_NE(assign.output.find("riverside now has the price plan Standard"), std::string::npos) << assign.output;

  auto usage = cli("usage riverside --step month");
  ASSERT_EQ(usage.exitCode, 0) << usage.output;
  EXPECT_NE(usage.output.find("PERIOD (UTC)"), std::string::npos) << usage.output;
  EXPECT_NE(cli("usage riverside --from yesterday").exitCode, 0);

  auto adj = cli("adjustment add riverside --description 'Welcome credit' --amount -250");
  ASSERT_EQ(adj.exitCode, 0) << adj.output;

  // The current month: open, base fee and the credit; VAT on 7.50 is 1.43 (1.425 rounded half up).
  auto me = cli("usage " + orgId + " -o json");
  ASSERT_EQ(me.exitCode, 0) << me.output;
  auto current = std::string(json::parse(me.output).at("from").as_string()).substr(0, 7);
  auto st = cli("statement riverside " + current + " -o json");
  ASSERT_EQ(st.exitCode, 0) << st.output;
  auto s = json::parse(st.output);
  EXPECT_EQ(s.at("closed"), false);
  EXPECT_EQ(s.at("subtotal").as_int64(), 750);
  EXPECT_EQ(s.at("vat").as_int64(), 143);
  EXPECT_EQ(s.at("total").as_int64(), 893);
  auto table = cli("statement riverside " + current);
  ASSERT_EQ(table.exitCode, 0) << table.output;
  EXPECT_NE(table.output.find("Welcome credit"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("8.93"), std::string::npos) << table.output;
  auto csv = cli("statement riverside " + current + " --csv");
  ASSERT_EQ(csv.exitCode, 0) << csv.output;
  EXPECT_EQ(csv.output.rfind("organisation,month,line,kind,unit,description,quantity,quantity_unit,unit_price,amount,currency", 0), 0u)
      << csv.output;
  EXPECT_NE(csv.output.find(",total,,Total,,,,8.93,EUR"), std::string::npos) << csv.output;
  auto html = cli("statement riverside " + current + " --html");
  ASSERT_EQ(html.exitCode, 0) << html.output;
  EXPECT_NE(html.output.find("<!doctype html>"), std::string::npos);

  auto future = cli("statement riverside 2999-01");
  EXPECT_NE(future.exitCode, 0);
  EXPECT_NE(future.output.find("has not begun"), std::string::npos) << future.output;
}

TEST_F(CliBillingTest, ForecastAndEveryOrganisationsTotals) {
  for (auto name : {"riverside", "hillside", "meadow"})
    ASSERT_EQ(cli(std::string("organisation create ") + name).exitCode, 0) << name;
  ASSERT_EQ(cli("price-plan create --name Standard --currency EUR --base-fee 1000 --vat-rate 1900 --price vcpu=500").exitCode, 0);
  ASSERT_EQ(cli("price-plan assign riverside Standard").exitCode, 0);
  ASSERT_EQ(cli("price-plan assign meadow Standard").exitCode, 0);
  ASSERT_EQ(cli("adjustment add riverside --description 'Welcome credit' --amount -250").exitCode, 0);

  // Nothing runs: the month's end is the month so far, 7.50 + 1.43 VAT.
  auto f = cli("billing forecast riverside -o json");
  ASSERT_EQ(f.exitCode, 0) << f.output;
  auto fj = json::parse(f.output);
  EXPECT_EQ(fj.at("total").as_int64(), 893) << fj;
  EXPECT_EQ(fj.at("soFar").at("total").as_int64(), 893) << fj;
  auto ft = cli("billing forecast riverside");
  ASSERT_EQ(ft.exitCode, 0) << ft.output;
  for (auto text : {"Forecast of ", "Running now: nothing", "AT MONTH END", "Welcome credit", "-2.50", "Total EUR", "8.93"})
    EXPECT_NE(ft.output.find(text), std::string::npos) << text << "\n" << ft.output;
  auto none = cli("billing forecast hillside");
  EXPECT_NE(none.exitCode, 0);
  EXPECT_NE(none.output.find("no price plan"), std::string::npos) << none.output;

  // One organisation a page: every page is followed; the totals are over all.
  auto t = cli("billing totals --page-size 1 -o json");
  ASSERT_EQ(t.exitCode, 0) << t.output;
  auto tj = json::parse(t.output);
  auto& items = tj.at("items").as_array();
  EXPECT_EQ(static_cast<std::int64_t>(items.size()), tj.at("organisations").as_int64()) << tj;
  std::set<std::string> names;
  for (auto& i : items) names.insert(std::string(i.at("organisation").at("name").as_string()));
  for (auto name : {"riverside", "hillside", "meadow"}) EXPECT_TRUE(names.count(name)) << name << " " << tj;
  EXPECT_EQ(names.size(), items.size()) << "an organisation listed twice: " << tj;
  ASSERT_EQ(tj.at("totals").as_array().size(), 1u) << tj;
  auto& eur = tj.at("totals").as_array()[0];
  EXPECT_EQ(eur.at("currency"), "EUR");
  EXPECT_EQ(eur.at("organisations").as_int64(), 2);
  EXPECT_EQ(eur.at("total").as_int64(), 893 + 1190);
  EXPECT_EQ(eur.at("forecast").as_int64(), 893 + 1190);

  auto table = cli("billing totals --page-size 2");
  ASSERT_EQ(table.exitCode, 0) << table.output;
  for (auto text : {"riverside", "meadow", "(no price plan)", "TOTAL SO FAR", "FORECAST", "20.83", "without a price plan"})
    EXPECT_NE(table.output.find(text), std::string::npos) << text << "\n" << table.output;

  auto future = cli("billing totals --month 2999-01");
  EXPECT_NE(future.exitCode, 0);
  EXPECT_NE(future.output.find("has not begun"), std::string::npos) << future.output;
  EXPECT_NE(cli("billing totals --page-size 0").exitCode, 0);
}

}  // namespace
}  // namespace fedihost
