// Names one organisation cannot take from another: every host name a deployment
// publishes is checked against every live deployment, and customers may only use
// the provider's sub-domains or domains they have verified.
#include <gtest/gtest.h>

#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace json = boost::json;
using testing::TestServer;

testing::TestServerSetup withParentDomain() {
  testing::TestServerSetup s;
  s.api.customerDomains = {"hosting.example"};
  return s;
}

class Names : public ::testing::Test {
 protected:
  TestServer server_{withParentDomain()};
  std::string a_ = server_.state().createOrganisation("alpha", "Alpha").orThrow().id;
  std::string b_ = server_.state().createOrganisation("beta", "Beta").orThrow().id;
  std::unique_ptr<client::Client> op_ = server_.operatorClient();

  client::HttpResponse create(client::Client& c, const std::string& org, const std::string& name,
                              const std::string& domain, const std::string& app = "mastodon",
                              const std::string& subdomain = "") {
    json::object inst{{"app", app}};
    if (!subdomain.empty()) inst["settings"] = json::object{{"subdomain", subdomain}};
    return c.post("/api/v1/organisations/" + org + "/deployments",
                  json::serialize(json::object{{"name", name}, {"domain", domain}, {"apps", json::array{inst}}}));
  }
};

TEST_F(Names, AnotherOrganisationsNamesEqualInsideOrContainingAreRefused) {
  ASSERT_EQ(create(*op_, a_, "social", "social.example.test").status, 201);

  struct Case {
    std::string domain, subdomain, why;
  };
  for (auto& c : std::vector<Case>{{"social.example.test", "", "equal"},
                                   {"mastodon.social.example.test", "", "inside (the app's host is A's)"},
                                   {"deep.inside.social.example.test", "", "inside"},
                                   {"example.test", "", "containing"},
                                   {"other.example.test", "", "a sibling is fine"},
                                   {"example.test", "social", "an app host equal to A's domain"}}) {
    auto r = create(*op_, b_, "x", c.domain, "mastodon", c.subdomain);
    if (c.why == "a sibling is fine") {
      EXPECT_EQ(r.status, 201) << c.why << ": " << r.body;
      auto id = json::parse(r.body).at("id").as_string();
      server_.state().setDeploymentStatus(std::string(id), DeploymentStatus::Deleted);
      continue;
    }
    EXPECT_EQ(r.status, 409) << c.why << " (" << c.domain << "): " << r.body;
    EXPECT_EQ(r.body.find(a_), std::string::npos) << "names the owner: " << r.body;
    EXPECT_EQ(r.body.find("Alpha"), std::string::npos) << "names the owner: " << r.body;
    EXPECT_NE(r.body.find("example.test"), std::string::npos) << "names the host: " << r.body;
  }
}

TEST_F(Names, AnOrganisationMayNestItsOwnNamesAndAFreedNameCanBeTaken) {
  auto first = create(*op_, a_, "social", "social.example.test");
  ASSERT_EQ(first.status, 201);
  EXPECT_EQ(create(*op_, a_, "blog", "blog.social.example.test", "hedgedoc").status, 201);
  EXPECT_EQ(create(*op_, a_, "again", "social.example.test").status, 409);  // equal, even in one organisation

  // Editing a deployment into another organisation's name is refused too.
  auto other = create(*op_, b_, "elsewhere", "elsewhere.example.test");
  ASSERT_EQ(other.status, 201);
  auto id = std::string(json::parse(other.body).at("id").as_string());
  auto patched = op_->request("PATCH", "/api/v1/deployments/" + id, R"({"domain":"x.social.example.test"})",
                              {{"if-match", "1"}});
  EXPECT_EQ(patched.status, 409) << patched.body;

  // Once A's deployment is deleted, its names are free.
  auto aId = std::string(json::parse(first.body).at("id").as_string());
  server_.state().setDeploymentStatus(aId, DeploymentStatus::Deleted);
  server_.state().connection().execute("UPDATE deployments SET status = 'deleted' WHERE organisation_id = ?1", {a_});
  EXPECT_EQ(create(*op_, b_, "social", "social.example.test").status, 201);
}

TEST_F(Names, CustomersUseTheProvidersSubDomainsOrDomainsTheyVerified) {
  auto member = server_.customerClient("member@example.test", a_, Role::Member);
  auto r = create(*member, a_, "school", "school.example.org");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("hosting.example"), std::string::npos) << r.body;
  EXPECT_EQ(create(*member, a_, "parent", "hosting.example").status, 422);  // the parent itself is the provider's
  EXPECT_EQ(create(*member, a_, "school", "riverside.hosting.example").status, 201);

  // Another organisation cannot take a name inside hers.
  auto outsider = server_.customerClient("outsider@example.test", b_, Role::Member);
  EXPECT_EQ(create(*outsider, b_, "grab", "x.riverside.hosting.example").status, 409);

  // A verified domain (checked with a real DNS server in tests/site/domain_verification_test.cc).
  server_.accounts().claimDomain(a_, "school.example.org", "challenge");
  EXPECT_EQ(create(*member, a_, "school2", "video.school.example.org").status, 422);  // claimed, not verified
  server_.accounts().markDomainVerified(a_, "school.example.org");
  EXPECT_EQ(create(*member, a_, "school2", "video.school.example.org").status, 201);
  EXPECT_EQ(create(*outsider, b_, "school", "school.example.org").status, 422);  // verified by A, not by B
}

TEST_F(Names, OrganisationShortNamesAreValidatedAndDeletionWaitsForDeployments) {
  for (auto bad : {"Riverside School!", "a/b", "", "-lead", "9lives", "waytoolongaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    auto r = op_->post("/api/v1/organisations", json::serialize(json::object{{"name", bad}}));
    EXPECT_EQ(r.status, 422) << bad << ": " << r.body;
  }
  EXPECT_EQ(op_->post("/api/v1/organisations", R"({"name":"riverside-2","displayName":"Riverside School!"})").status,
            201);
  ASSERT_EQ(create(*op_, a_, "social", "social.example.test").status, 201);
  EXPECT_EQ(op_->request("DELETE", "/api/v1/organisations/" + a_).status, 409);
  server_.state().connection().execute("UPDATE deployments SET status = 'deleted' WHERE organisation_id = ?1", {a_});
  EXPECT_EQ(op_->request("DELETE", "/api/v1/organisations/" + a_).status, 204);
  EXPECT_EQ(op_->get("/api/v1/organisations/" + a_).status, 404);
  EXPECT_EQ(op_->post("/api/v1/organisations", R"({"name":"alpha"})").status, 201);  // the name is free again
}

}  // namespace
}  // namespace fedihost
