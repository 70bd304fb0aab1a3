// A customer proves she controls her domain with a TXT record, looked up at a
// real PowerDNS (scripts/site/powerdns.sh) through fedihost's resolver setting.
#include <gtest/gtest.h>

#include "support/powerdns_api.hh"
#include "support/site.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace json = boost::json;

class DomainVerification : public testing::SharedSite<DomainVerification> {
 public:
  static void SetUpTestSuite() { startSite({"powerdns"}); }

 protected:
  json::object dns_ = site_->settings("powerdns", "dns-record-set");

  testing::TestServerSetup setup() {
    testing::TestServerSetup s;
    s.api.resolver = "127.0.0.1:" + std::to_string(dns_.at("dnsPort").as_int64());
    return s;
  }

  /// Publishes TXT records at PowerDNS through its HTTP API (creating the zone the first time).
  void publishTxt(const std::string& zone, const std::string& name, const std::vector<std::string>& values) {
    auto created = testing::powerDnsApi(
        dns_, "POST", "/zones",
        json::serialize(json::object{
            {"name", zone + "."}, {"kind", "Native"}, {"nameservers", json::array{"ns1.fedihost.test."}}}));
    ASSERT_TRUE(created.status == 201 || created.status == 409) << created.body;
    json::array records;
    for (auto& v : values) records.push_back(json::object{{"content", "\"" + v + "\""}, {"disabled", false}});
    auto patched = testing::powerDnsApi(
        dns_, "PATCH", "/zones/" + zone + ".",
        json::serialize(json::object{{"rrsets", json::array{json::object{{"name", name + "."},
                                                                         {"type", "TXT"},
                                                                         {"ttl", 60},
                                                                         {"changetype", "REPLACE"},
                                                                         {"records", std::move(records)}}}}}));
    ASSERT_EQ(patched.status, 204) << patched.body;
  }
};

TEST_F(DomainVerification, ATxtRecordWithTheChallengeProvesControl) {
  testing::TestServer server(setup());
  auto org = server.state().createOrganisation("school", "School").orThrow().id;
  auto admin = server.customerClient("admin@school.example", org, Role::OrgAdmin);
  auto base = "/api/v1/organisations/" + org + "/domains";

  auto claimed = admin->post(base, R"({"domain":"school.example"})");
  ASSERT_EQ(claimed.status, 201) << claimed.body;
  auto challenge = json::parse(claimed.body).at("challenge").as_object();
  EXPECT_EQ(challenge.at("name").as_string(), "_fedihost-challenge.school.example");
  std::string value(challenge.at("value").as_string());

  // The zone exists but has no challenge yet, then the wrong value: refused, saying what is expected.
  publishTxt("school.example", "school.example", {"v=spf1 -all"});
  auto r = admin->post(base + "/school.example/verify", "");
  EXPECT_EQ(r.status, 422) << r.body;
  publishTxt("school.example", "_fedihost-challenge.school.example", {"something else"});
  r = admin->post(base + "/school.example/verify", "");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find(value), std::string::npos) << r.body;

  // The right value among others: verified, and the domain can be deployed.
  publishTxt("school.example", "_fedihost-challenge.school.example", {"v=spf1 -all", value});
  r = admin->post(base + "/school.example/verify", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body).at("verified").as_bool());
  auto dep = admin->post("/api/v1/organisations/" + org + "/deployments",
                         R"({"name":"video","domain":"video.school.example","apps":[{"app":"peertube"}]})");
  EXPECT_EQ(dep.status, 201) << dep.body;
}

TEST_F(DomainVerification, AnUnreachableResolverIsAnErrorNotAVerdict) {
  testing::TestServerSetup s;
  s.api.resolver = "127.0.0.1:1";
  testing::TestServer server(s);
  auto org = server.state().createOrganisation("school", "School").orThrow().id;
  auto admin = server.customerClient("admin@school.example", org, Role::OrgAdmin);
  ASSERT_EQ(admin->post("/api/v1/organisations/" + org + "/domains", R"({"domain":"school.example"})").status, 201);
  auto r = admin->post("/api/v1/organisations/" + org + "/domains/school.example/verify", "");
  EXPECT_EQ(r.status, 503) << r.body;
}

}  // namespace
}  // namespace fedihost
