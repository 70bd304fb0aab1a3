// Usage, price plans and statements over HTTP, on a clock the test sets: the
// executor's events carry metered quantities; a known month gives known amounts
// to the cent in JSON, CSV and HTML; a closed month never changes; bad input
// gets 422s naming the field; who may see what.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <map>
#include <set>

#include "core/clock.hh"
#include "store/accounting_store.hh"
#include "store/billing_store.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace json = boost::json;

json::value body(const client::HttpResponse& r) { return json::parse(r.body); }
std::string str(const json::value& v, std::string_view k) { return std::string(v.at(k).as_string()); }

void setNow(const char* rfc3339) {
  std::tm tm{};
  strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ", &tm);
  clock::setNowForTesting(std::chrono::system_clock::from_time_t(timegm(&tm)));
}

/// The server starts on 15 April 2027 (UTC).
struct ClockAt {
  ClockAt() { setNow("2027-04-15T00:00:00Z"); }
  ~ClockAt() { clock::setNowForTesting(); }
};

class BillingApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    op_ = server_.operatorClient();
    // The organisations exist from February (a month before them has no statement).
    setNow("2027-02-01T08:00:00Z");
    org_ = server_.state().createOrganisation("riverside", "Riverside <School>").value().id;
    other_ = server_.state().createOrganisation("hillside", "Hillside").value().id;
    setNow("2027-04-15T00:00:00Z");
    admin_ = server_.customerClient("admin@example.test", org_, Role::OrgAdmin);
    viewer_ = server_.customerClient("viewer@example.test", org_, Role::Viewer);
    outsider_ = server_.customerClient("outsider@example.test", other_, Role::OrgAdmin);
    conn_ = store::connect(server_.dataDir().accountingUrl());
    store::AccountingStore acc(*conn_);
    auto ev = [&](const char* at, const char* dep, const char* key, const char* event, const char* q) {
      acc.resourceEvent({std::string(key) + at, at, org_, dep, key, "k", event, q});
    };
    // A machine from February, resized at Europe's DST change (28 March 01:00 UTC), deleted on
    // 2 April; an IP address; a database from 10 March to mid-month.
    ev("2027-02-27T12:00:00.000Z", "dep_a", "dep_a/machine/main", "created",
       R"({"machine":1,"vcpu":2,"ram_mib":4096,"disk_gib":40})");
    ev("2027-02-27T12:00:00.000Z", "dep_a", "dep_a/ip-address/main", "created", R"({"ip_address":1})");
    ev("2027-03-10T00:00:00.000Z", "dep_b", "dep_b/database/app", "created", R"({"database":1})");
    ev("2027-03-20T12:00:00.000Z", "dep_b", "dep_b/database/app", "deleted", "{}");
    ev("2027-03-28T01:00:00.000Z", "dep_a", "dep_a/machine/main", "updated",
       R"({"machine":1,"vcpu":4,"ram_mib":8192,"disk_gib":80})");
    ev("2027-04-02T00:00:00.000Z", "dep_a", "dep_a/machine/main", "deleted", "{}");
  }

  std::string createPlan() {
    auto r = op_->post("/api/v1/price-plans", R"({"name":"Standard","currency":"EUR","baseFee":1000,"vatRate":1900,
      "prices":{"vcpu":500,"ram_gib":200,"disk_gib":10,"database":100,"ip_address":300},"included":{"vcpu":1}})");
    EXPECT_EQ(r.status, 201) << r.body;
    auto id = str(body(r), "id");
    auto a = op_->request("PUT", "/api/v1/organisations/" + org_ + "/price-plan", R"({"plan":")" + id + "\"}");
    EXPECT_EQ(a.status, 200) << a.body;
    return id;
  }
  std::string orgPath(const std::string& rest) { return "/api/v1/organisations/" + org_ + rest; }

  ClockAt clock_;
  testing::TestServer server_;
  std::unique_ptr<client::Client> op_, admin_, viewer_, outsider_;
  std::unique_ptr<store::Connection> conn_;
  std::string org_, other_;
};

TEST_F(BillingApiTest, UsageByDayIsUtcAcrossTheDaylightSavingChange) {
  auto r = viewer_->get(orgPath("/usage?from=2027-03-27T00:00:00Z&to=2027-03-30T00:00:00Z&step=day"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto u = body(r);
  EXPECT_EQ(str(u, "timeZone"), "UTC");
  auto& periods = u.at("periods").as_array();
  ASSERT_EQ(periods.size(), 3u);
  EXPECT_EQ(str(periods[1], "from"), "2027-03-28T00:00:00Z");
  EXPECT_EQ(str(periods[1], "to"), "2027-03-29T00:00:00Z");
  for (auto& p : periods) EXPECT_EQ(str(p.at("total").at("machine"), "hours"), "24.000") << p;
  EXPECT_EQ(str(periods[1].at("total").at("vcpu"), "hours"), "94.000");  // 2 × 1 h + 4 × 23 h
  EXPECT_EQ(str(periods[1].at("total").at("ram_gib"), "hours"), "188.000");
  EXPECT_EQ(str(periods[1].at("deployments").at("dep_a").at("machineHoursBySize"), "4 vCPU, 8 GiB RAM, 80 GiB disk"),
            "23.000");

  auto month = body(admin_->get(orgPath("/usage?from=2027-03-01T00:00:00%2B00:00&to=2027-04-01T00:00:00Z&step=month")));
  EXPECT_EQ(str(month.at("total").at("vcpu"), "hours"), "1678.000");
  EXPECT_EQ(str(month.at("total").at("database"), "hours"), "252.000");
  EXPECT_EQ(str(month.at("deployments").at("dep_b").at("database"), "hours"), "252.000");
  EXPECT_EQ(month.at("total").at("database").at("quantitySeconds").as_int64(), 907200);

  // Bad parameters: 422 naming the parameter.
  for (auto [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"?from=yesterday", "from"},
           {"?from=2027-03-01T00:00:00Z&to=2027-02-01T00:00:00Z", "to"},
           {"?to=2027-03-01", "to"},
           {"?step=week", "step"},
           {"?from=2000-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&step=hour", "step"}}) {
    auto bad = admin_->get(orgPath("/usage" + query));
    EXPECT_EQ(bad.status, 422) << query << " " << bad.body;
    EXPECT_EQ(str(body(bad), "field"), field) << query;
  }
  EXPECT_EQ(outsider_->get(orgPath("/usage")).status, 404);
}

TEST_F(BillingApiTest, StatementsToTheCentInJsonCsvAndHtml) {
  EXPECT_EQ(admin_->get(orgPath("/statements/2027-03")).status, 409);  // no plan yet
  createPlan();
  auto r = admin_->get(orgPath("/statements/2027-03"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto s = body(r);
  EXPECT_EQ(s.at("closed"), true);
  EXPECT_EQ(s.at("subtotal").as_int64(), 3315);
  EXPECT_EQ(s.at("vat").as_int64(), 630);
  EXPECT_EQ(s.at("total").as_int64(), 3945);
  EXPECT_EQ(str(s, "currency"), "EUR");
  auto& lines = s.at("lines").as_array();
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(str(lines[2], "unit"), "vcpu");
  EXPECT_EQ(str(lines[2], "quantity"), "1.2554");
  EXPECT_EQ(lines[2].at("amount").as_int64(), 628);

  auto csv = admin_->get(orgPath("/statements/2027-03?format=csv"));
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_TRUE(csv.headers["content-type"].starts_with("text/csv")) << csv.headers["content-type"];
  EXPECT_NE(csv.body.find(org_ + ",2027-03,3,usage,vcpu,\"vCPUs: 1678.000 vCPU-hours, 1 vCPU-months included\","
                                 "1.2554,vCPU-months,5.00,6.28,EUR\r\n"),
            std::string::npos)
      << csv.body;
  EXPECT_NE(csv.body.find(",total,,Total,,,,39.45,EUR\r\n"), std::string::npos) << csv.body;

  auto html = admin_->request("GET", orgPath("/statements/2027-03"), "", {{"Accept", "text/html,*/*"}});
  ASSERT_EQ(html.status, 200) << html.body;
  EXPECT_EQ(html.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_TRUE(html.headers["content-security-policy"].starts_with("default-src 'none'; style-src 'sha256-"))
      << html.headers["content-security-policy"];
  EXPECT_NE(html.body.find("Riverside &lt;School&gt;"), std::string::npos);
  EXPECT_NE(html.body.find("39.45 EUR"), std::string::npos);

  // Who: a viewer may see usage but not statements; another organisation's admin sees nothing.
  EXPECT_EQ(viewer_->get(orgPath("/statements/2027-03")).status, 403);
  EXPECT_EQ(outsider_->get(orgPath("/statements/2027-03")).status, 404);

  // Bad months.
  for (auto month : {"2027-3", "2027-13", "march", "2027-05"}) {
    auto bad = admin_->get(orgPath(std::string("/statements/") + month));
    EXPECT_EQ(bad.status, 422) << month << " " << bad.body;
    EXPECT_EQ(str(body(bad), "field"), "month") << month;
  }
  // A month before the organisation existed: no statement, not a base fee.
  auto before = admin_->get(orgPath("/statements/2027-01"));
  EXPECT_EQ(before.status, 404) << before.body;
  EXPECT_EQ(str(body(before), "field"), "month");
  EXPECT_NE(before.body.find("created on 2027-02-01"), std::string::npos) << before.body;
  EXPECT_EQ(admin_->get(orgPath("/statements/2027-03?format=pdf")).status, 422);
}

TEST_F(BillingApiTest, AClosedMonthNeverChangesAndCorrectionsGoOnAnOpenOne) {
  auto plan = createPlan();
  auto first = admin_->get(orgPath("/statements/2027-03"));
  ASSERT_EQ(first.status, 200) << first.body;

  // A late event, a price change and a new plan: March stays as it was.
  store::AccountingStore(*conn_).resourceEvent(
      {"late", "2027-03-05T00:00:00.000Z", org_, "dep_c", "dep_c/database/x", "database", "created", R"({"database":1})"});
  auto patched = op_->request("PATCH", "/api/v1/price-plans/" + plan, R"({"baseFee":5000,"prices":{"vcpu":1}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(body(patched).at("baseFee").as_int64(), 5000);
  EXPECT_EQ(admin_->get(orgPath("/statements/2027-03")).body, first.body);

  // A correction for March goes on April (still open), never on March.
  auto closed = op_->post(orgPath("/adjustments"), R"({"description":"Outage credit","amount":-500,"month":"2027-03"})");
  EXPECT_EQ(closed.status, 422) << closed.body;
  EXPECT_EQ(str(body(closed), "field"), "month");
  auto added = op_->post(orgPath("/adjustments"), R"({"description":"Credit for the March outage","amount":-500})");
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(str(body(added), "month"), "2027-04");
  EXPECT_EQ(op_->post(orgPath("/adjustments"), R"({"description":"nothing","amount":0})").status, 422);
  EXPECT_EQ(admin_->post(orgPath("/adjustments"), R"({"description":"x","amount":-1})").status, 403);

  auto april = body(admin_->get(orgPath("/statements/2027-04")));
  EXPECT_EQ(april.at("closed"), false);
  auto& lines = april.at("lines").as_array();
  EXPECT_EQ(str(lines.back(), "kind"), "adjustment");
  EXPECT_EQ(lines.back().at("amount").as_int64(), -500);
  EXPECT_EQ(lines.front().at("amount").as_int64(), 5000);  // the new base fee applies to the open month
  EXPECT_EQ(body(admin_->get(orgPath("/adjustments?month=2027-04"))).at("items").as_array().size(), 1u);

  // When April ends, it closes with the adjustment in it, and stays so.
  setNow("2027-05-01T00:00:05Z");
  admin_ = server_.customerClient("admin@example.test", org_, Role::OrgAdmin);  // the old session has expired
  op_ = server_.operatorClient();
  auto closedApril = admin_->get(orgPath("/statements/2027-04"));
  ASSERT_EQ(closedApril.status, 200);
  EXPECT_EQ(body(closedApril).at("closed"), true);
  op_->request("PATCH", "/api/v1/price-plans/" + plan, R"({"baseFee":1})");
  EXPECT_EQ(admin_->get(orgPath("/statements/2027-04")).body, closedApril.body);
}

TEST_F(BillingApiTest, PricePlansRefuseBadInputNamingTheField) {
  for (auto [input, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"name":"a","currency":"EUX"})", "currency"},
           {R"({"name":"a","currency":"eur"})", "currency"},
           {R"({"name":"a","currency":"EUR","baseFee":-1})", "baseFee"},
           {R"({"name":"a","currency":"EUR","prices":{"vcpu":-5}})", "prices.vcpu"},
           {R"({"name":"a","currency":"EUR","prices":{"gpu":5}})", "prices.gpu"},
           {R"({"name":"a","currency":"EUR","vatRate":10001})", "vatRate"},
           {R"({"name":"","currency":"EUR"})", "name"},
           {R"({"name":"a","currency":"EUR","colour":"red"})", "colour"}}) {
    auto r = op_->post("/api/v1/price-plans", input);
    EXPECT_EQ(r.status, 422) << input << " " << r.body;
    EXPECT_EQ(str(body(r), "field"), field) << input;
  }
  EXPECT_EQ(op_->post("/api/v1/price-plans", R"({"name":"a","currency":"EUR","baseFee":1.5})").status, 400);
  auto jpy = op_->post("/api/v1/price-plans", R"({"name":"Tokyo","currency":"JPY","baseFee":1000})");
  ASSERT_EQ(jpy.status, 201) << jpy.body;
  EXPECT_EQ(body(jpy).at("currencyDigits").as_int64(), 0);
  EXPECT_EQ(op_->post("/api/v1/price-plans", R"({"name":"Tokyo","currency":"JPY"})").status, 409);
  EXPECT_EQ(body(op_->get("/api/v1/price-plans")).at("items").as_array().size(), 1u);
  EXPECT_EQ(op_->request("PUT", orgPath("/price-plan"), R"({"plan":"pp_none"})").status, 422);
  EXPECT_EQ(admin_->get("/api/v1/price-plans").status, 403);
  EXPECT_EQ(body(admin_->get(orgPath("/price-plan"))).at("plan"), nullptr);
}

TEST_F(BillingApiTest, ThePlanOfADeploymentSaysWhatItWillCostAMonth) {
  // The operator creates it (a customer may only use a verified domain); the customer admin reviews it.
  auto d = op_->post(orgPath("/deployments"),
                     R"({"name":"social","domain":"social.example.test","apps":[{"app":"mastodon"}]})");
  ASSERT_EQ(d.status, 201) << d.body;
  const std::string plan = "/api/v1/deployments/" + str(body(d), "id") + "/plan";
  // No price plan: no estimate (the panel says to ask the provider).
  auto none = admin_->get(plan);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(body(none).at("monthlyEstimate"), nullptr);

  createPlan();  // EUR, VAT 19 %, base fee 10.00 and 1 vCPU included (neither in an estimate)
  auto expectEstimate = [&](const json::value& planned) {
    auto& e = planned.at("monthlyEstimate");
    ASSERT_TRUE(e.is_object()) << planned;
    EXPECT_EQ(str(e, "currency"), "EUR");
    EXPECT_EQ(str(e, "plan"), "Standard");
    EXPECT_EQ(str(e, "basis"), "730 hours of the resources this deployment will have once applied");
    // Mastodon's machine (2 vCPU, 4 GiB RAM, 20 GiB disk), its bucket, database, mail account, IP
    // address and two published names, a month: units the plan does not price are there at 0.
    // 2 × 5.00 + 4 × 2.00 + 20 × 0.10 + 1.00 + 3.00 = 24.00; VAT 19 % = 4.56; total 28.56.
    auto line = [](const char* what, const char* q, const char* unit, std::int64_t amount) {
      return json::object{{"what", what}, {"quantity", q}, {"unit", unit}, {"amountMinor", amount}};
    };
    json::array lines{
        line("Machines", "1.0000", "machine-months", 0),
        line("vCPUs", "2.0000", "vCPU-months", 1000),
        line("RAM (GiB)", "4.0000", "GiB-RAM-months", 800),
        line("Disk (GiB)", "20.0000", "disk GiB-months", 200),
        line("Buckets", "1.0000", "bucket-months", 0),
        line("Databases", "1.0000", "database-months", 100),
        line("Mail accounts", "1.0000", "mail-account-months", 0),
        line("IP addresses", "1.0000", "IP-months", 300),
        line("Certificates", "2.0000", "certificate-months", 0),
    };
    EXPECT_EQ(e.at("lines"), lines) << e;
    EXPECT_EQ(e.at("subtotalMinor"), 2400) << e;
    EXPECT_EQ(e.at("vatMinor"), 456) << e;
    EXPECT_EQ(e.at("totalMinor"), 2856) << e;
  };
  expectEstimate(body(admin_->get(plan)));
  auto saved = admin_->post(plan, R"({"save":true})");
  ASSERT_EQ(saved.status, 201) << saved.body;
  expectEstimate(body(saved));
  expectEstimate(body(admin_->get(saved.headers.at("location"))));
  // Applied, nothing changes any more: the estimate is of what exists, not of what changes.
  ASSERT_EQ(admin_->post("/api/v1/deployments/" + str(body(d), "id") + "/apply").status, 202);
  server_.orchestrator().waitIdle();
  auto after = body(admin_->get(plan));
  EXPECT_EQ(after.at("empty"), true) << after;
  expectEstimate(after);
  // Another organisation's deployment: 404, estimate or not.
  EXPECT_EQ(outsider_->get(plan).status, 404);
  EXPECT_EQ(outsider_->post(plan).status, 404);
}

TEST_F(BillingApiTest, TheForecastOfThisMonthAndTheOperatorsTotalsOfEveryOrganisation) {
  // No price plan: a clear answer, not a forecast of zero; the operator's list says so too.
  auto none = admin_->get(orgPath("/forecast"));
  EXPECT_EQ(none.status, 409) << none.body;
  EXPECT_EQ(str(body(none), "field"), "plan");
  auto noneListed = body(op_->get("/api/v1/statements?month=2027-04"));
  ASSERT_EQ(noneListed.at("items").as_array().size(), 2u) << noneListed;
  for (auto& item : noneListed.at("items").as_array()) EXPECT_EQ(item.at("statement"), nullptr) << item;
  auto noneTotals = body(op_->get("/api/v1/statements/totals?month=2027-04"));
  EXPECT_EQ(noneTotals.at("totals").as_array().size(), 0u) << noneTotals;
  EXPECT_EQ(noneTotals.at("organisations").as_int64(), 2);
  EXPECT_EQ(noneTotals.at("withoutPlan").as_int64(), 2);

  createPlan();
  // 15 April 00:00, 14 days of 30 gone: the machine ran on 1 April (24 h of 4 vCPU, 8 GiB RAM, 80 GiB
  // disk) and is gone; the IP address runs. So far 10.00 + 0.53 RAM + 0.27 disk + 1.40 IP = 12.20,
  // + 2.32 VAT = 14.52; at the month's end the IP address all month: 13.80 + 2.62 = 16.42.
  auto r = admin_->get(orgPath("/forecast"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto f = body(r);
  EXPECT_EQ(str(f, "month"), "2027-04");
  EXPECT_EQ(str(f, "asOf"), "2027-04-15T00:00:00Z");
  EXPECT_EQ(str(f, "hoursLeft"), "384.000");
  EXPECT_EQ(str(f, "currency"), "EUR");
  EXPECT_EQ(f.at("soFar").at("total").as_int64(), 1452);
  EXPECT_EQ(f.at("subtotal").as_int64(), 1380);
  EXPECT_EQ(f.at("vat").as_int64(), 262);
  EXPECT_EQ(f.at("total").as_int64(), 1642);
  std::int64_t sum = 0;
  for (auto& l : f.at("lines").as_array()) sum += l.at("amount").as_int64();
  EXPECT_EQ(sum, 1380);
  auto& ip = f.at("lines").as_array().back();
  EXPECT_EQ(str(ip, "unit"), "ip_address");
  EXPECT_EQ(ip.at("soFar").as_int64(), 140);
  EXPECT_EQ(ip.at("amount").as_int64(), 300);
  ASSERT_EQ(f.at("runningNow").as_array().size(), 1u) << f;
  EXPECT_EQ(str(f.at("runningNow").as_array()[0], "unit"), "ip_address");
  // The month so far is the open statement.
  EXPECT_EQ(body(admin_->get(orgPath("/statements/2027-04"))).at("total").as_int64(), 1452);
  // Who: as the statements.
  EXPECT_EQ(op_->get(orgPath("/forecast")).status, 200);
  EXPECT_EQ(viewer_->get(orgPath("/forecast")).status, 403);
  EXPECT_EQ(outsider_->get(orgPath("/forecast")).status, 404);

  // The operator's totals: every organisation, this one with its statement and forecast.
  auto listed = op_->get("/api/v1/statements");  // the current month by default
  ASSERT_EQ(listed.status, 200) << listed.body;
  auto all = body(listed);
  EXPECT_EQ(str(all, "month"), "2027-04");
  EXPECT_EQ(all.at("open"), true);
  // Both organisations were made at the same (test) instant: found by id.
  auto listedOrg = [](const json::value& list, const std::string& id) {
    for (auto& i : list.at("items").as_array())
      if (str(i.at("organisation"), "id") == id) return i;
    ADD_FAILURE() << id << " is not listed: " << list;
    return json::value();
  };
  ASSERT_EQ(all.at("items").as_array().size(), 2u);
  auto mine = listedOrg(all, org_), theirs = listedOrg(all, other_);
  EXPECT_EQ(mine.at("statement").at("total").as_int64(), 1452);
  EXPECT_EQ(mine.at("forecast").at("total").as_int64(), 1642);
  EXPECT_EQ(theirs.at("statement"), nullptr);
  EXPECT_EQ(theirs.at("forecast"), nullptr);
  EXPECT_EQ(str(theirs, "reason"), "the organisation has no price plan: an operator assigns one first");
  EXPECT_EQ(all.at("next"), nullptr);
  auto allTotals = body(op_->get("/api/v1/statements/totals"));
  EXPECT_EQ(str(allTotals, "month"), "2027-04");
  EXPECT_EQ(str(allTotals, "asOf"), "2027-04-15T00:00:00Z");
  EXPECT_EQ(allTotals.at("organisations").as_int64(), 2);
  EXPECT_EQ(allTotals.at("withoutPlan").as_int64(), 1);
  auto& totals = allTotals.at("totals").as_array();
  ASSERT_EQ(totals.size(), 1u);
  EXPECT_EQ(totals[0], (json::value{{"currency", "EUR"}, {"currencyDigits", 2}, {"organisations", 1},
                                    {"subtotal", 1220}, {"vat", 232}, {"total", 1452}, {"forecast", 1642}}));
  // An ended month: its closed statements, no forecast.
  auto march = body(op_->get("/api/v1/statements?month=2027-03"));
  EXPECT_EQ(march.at("open"), false);
  auto marchMine = listedOrg(march, org_);
  EXPECT_EQ(marchMine.at("statement").at("total").as_int64(), 3945);
  EXPECT_EQ(marchMine.at("statement").at("closed"), true);
  EXPECT_EQ(marchMine.at("forecast"), nullptr);
  auto marchTotals = body(op_->get("/api/v1/statements/totals?month=2027-03"));
  EXPECT_EQ(marchTotals.at("open"), false);
  EXPECT_FALSE(marchTotals.as_object().contains("asOf"));
  ASSERT_EQ(marchTotals.at("totals").as_array().size(), 1u) << marchTotals;
  EXPECT_EQ(marchTotals.at("totals").as_array()[0].at("total").as_int64(), 3945);
  EXPECT_EQ(marchTotals.at("totals").as_array()[0].at("forecast"), nullptr);
  for (auto path : {"/api/v1/statements", "/api/v1/statements/totals"})
    for (auto month : {"2027-4", "2027-05"}) {
      auto bad = op_->get(std::string(path) + "?month=" + month);
      EXPECT_EQ(bad.status, 422) << path << " " << month << " " << bad.body;
      EXPECT_EQ(str(body(bad), "field"), "month");
    }
  // Operators only.
  for (auto path : {"/api/v1/statements", "/api/v1/statements/totals"}) {
    EXPECT_EQ(admin_->get(path).status, 403);
    EXPECT_EQ(viewer_->get(path).status, 403);
  }
}

TEST_F(BillingApiTest, TheOperatorsListIsPagedAndItsTotalsCoverEveryOrganisation) {
  // Five organisations: riverside (the machine's events, in EUR), hillside without a plan, and
  // three more made later, two in CHF with a base fee alone, one in EUR.
  createPlan();
  auto chf = op_->post("/api/v1/price-plans", R"({"name":"Swiss","currency":"CHF","baseFee":2000,"vatRate":810,"prices":{}})");
  ASSERT_EQ(chf.status, 201) << chf.body;
  auto eur = op_->post("/api/v1/price-plans", R"({"name":"Small","currency":"EUR","baseFee":500,"vatRate":0,"prices":{}})");
  ASSERT_EQ(eur.status, 201) << eur.body;
  auto assign = [&](const std::string& org, const client::HttpResponse& plan) {
    auto a = op_->request("PUT", "/api/v1/organisations/" + org + "/price-plan", R"({"plan":")" + str(body(plan), "id") + "\"}");
    ASSERT_EQ(a.status, 200) << a.body;
  };
  std::vector<std::string> later;
  int second = 0;
  for (auto [name, plan] : {std::pair{"alpine", &chf}, std::pair{"glacier", &chf}, std::pair{"meadow", &eur}}) {
    setNow(("2027-04-15T00:00:0" + std::to_string(++second) + "Z").c_str());  // each later than the last
    later.push_back(server_.state().createOrganisation(name, name).value().id);
    assign(later.back(), *plan);
  }
  setNow("2027-04-15T00:00:00Z");

  // Pages of two: every organisation once, oldest first, each page with its own statements.
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto r = op_->get("/api/v1/statements?month=2027-04&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    auto page = body(r);
    EXPECT_FALSE(page.as_object().contains("totals")) << "totals are a route of their own";
    EXPECT_LE(page.at("items").as_array().size(), 2u);
    for (auto& i : page.at("items").as_array()) {
      seen.push_back(str(i.at("organisation"), "id"));
      if (seen.back() == later[0]) { EXPECT_EQ(i.at("statement").at("total").as_int64(), 2162) << i; }  // 20.00 + 8.1 %
      if (seen.back() == other_) { EXPECT_EQ(i.at("statement"), nullptr) << i; }
    }
    cursor = page.at("next").is_null() ? "" : str(page, "next");
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(seen.begin() + 2, seen.end()), later);
  std::set<std::string> distinct(seen.begin(), seen.end());
  EXPECT_EQ(distinct.size(), 5u);
  EXPECT_TRUE(distinct.count(org_) && distinct.count(other_));

  // The totals: every organisation, whatever the page size, per currency.
  auto totals = body(op_->get("/api/v1/statements/totals?month=2027-04"));
  EXPECT_EQ(totals.at("organisations").as_int64(), 5);
  EXPECT_EQ(totals.at("withoutPlan").as_int64(), 1);
  ASSERT_EQ(totals.at("totals").as_array().size(), 2u) << totals;
  EXPECT_EQ(totals.at("totals").as_array()[0], (json::value{{"currency", "CHF"}, {"currencyDigits", 2}, {"organisations", 2},
                                                            {"subtotal", 4000}, {"vat", 324}, {"total", 4324}, {"forecast", 4324}}));
  EXPECT_EQ(totals.at("totals").as_array()[1], (json::value{{"currency", "EUR"}, {"currencyDigits", 2}, {"organisations", 2},
                                                            {"subtotal", 1720}, {"vat", 232}, {"total", 1952}, {"forecast", 2142}}));

  // An ended month: the totals (which close and store the statements not stored yet, then sum
  // the stored ones) are the sums of the list's closed statements, and do not change.
  auto march = body(op_->get("/api/v1/statements/totals?month=2027-03"));
  EXPECT_EQ(march.at("open"), false);
  EXPECT_EQ(body(op_->get("/api/v1/statements/totals?month=2027-03")), march);
  std::map<std::string, std::int64_t> listedTotals;
  int listed = 0;
  cursor.clear();
  do {
    auto page = body(op_->get("/api/v1/statements?month=2027-03&limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor)));
    for (auto& i : page.at("items").as_array()) {
      ++listed;
      // The three created in April owe nothing for March: listed, without a statement, saying why.
      if (std::find(later.begin(), later.end(), str(i.at("organisation"), "id")) != later.end()) {
        EXPECT_TRUE(i.at("statement").is_null()) << i;
        EXPECT_NE(str(i, "reason").find("created on 2027-04-15"), std::string::npos) << i;
        EXPECT_EQ(i.at("existed"), false) << i;
      }
      if (i.at("statement").is_null()) continue;
      EXPECT_EQ(i.at("statement").at("closed"), true) << i;
      listedTotals[str(i.at("statement"), "currency")] += i.at("statement").at("total").as_int64();
    }
    cursor = page.at("next").is_null() ? "" : str(page, "next");
  } while (!cursor.empty() && listed < 10);
  EXPECT_EQ(listed, 5);
  EXPECT_EQ(march.at("organisations").as_int64(), 2);  // those that existed in March
  ASSERT_EQ(march.at("totals").as_array().size(), listedTotals.size()) << march;
  for (auto& t : march.at("totals").as_array()) {
    EXPECT_EQ(t.at("total").as_int64(), listedTotals[str(t, "currency")]) << t;
    EXPECT_EQ(t.at("forecast"), nullptr);
  }

  // A cursor that is not one of this list: 400 naming it, not the first page again.
  for (auto bad : {"nonsense!", "bm9iYXI"}) {
    auto r = op_->get(std::string("/api/v1/statements?cursor=") + bad);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    EXPECT_EQ(str(body(r), "field"), "cursor");
  }
  for (auto limit : {"0", "201", "ten"}) {
    auto r = op_->get(std::string("/api/v1/statements?limit=") + limit);
    EXPECT_EQ(r.status, 422) << limit << " " << r.body;
    EXPECT_EQ(str(body(r), "field"), "limit");
  }
}

TEST_F(BillingApiTest, AppliedResourcesAreMeteredByTheExecutor) {
  auto d = op_->post(orgPath("/deployments"),
                        R"({"name":"social","domain":"social.example.test","apps":[{"app":"mastodon"}]})");
  ASSERT_EQ(d.status, 201) << d.body;
  auto run = op_->post("/api/v1/deployments/" + str(body(d), "id") + "/apply");
  ASSERT_EQ(run.status, 202) << run.body;
  server_.orchestrator().waitIdle();
  setNow("2027-04-15T01:00:00Z");
  auto u = body(admin_->get(orgPath("/usage?from=2027-04-15T00:00:00Z&to=2027-04-16T00:00:00Z&step=day")));
  auto dep = u.at("deployments").at(str(body(d), "id"));
  EXPECT_EQ(str(dep.at("machine"), "hours"), "1.000") << dep;
  EXPECT_EQ(str(dep.at("ip_address"), "hours"), "1.000") << dep;
  EXPECT_EQ(str(dep.at("database"), "hours"), "1.000") << dep;
  EXPECT_GE(std::stod(str(dep.at("vcpu"), "hours")), 1.0) << dep;
  EXPECT_GE(std::stod(str(dep.at("certificate"), "hours")), 1.0) << dep;
  EXPECT_EQ(dep.at("machineHoursBySize").as_object().size(), 1u) << dep;
}

}  // namespace
}  // namespace fedihost
