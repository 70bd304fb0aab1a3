// GET /metrics over HTTP: operators only, the Prometheus text format, and the
// counters move when requests, refused sign-ins, unauthenticated requests and
// an applied deployment (its steps and provider calls) happen.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace json = boost::json;

/// The value of one sample line (`name{labels} value`), or -1 if the line is not there.
double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  at += series.size() + 2;
  return std::stod(text.substr(at, text.find('\n', at) - at));
}

class MetricsTest : public ::testing::Test {
 protected:
  std::string scrape() {
    auto r = op_->get("/metrics");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    return "\n" + r.body;
  }
  testing::TestServer server_;
  std::unique_ptr<client::Client> op_ = server_.operatorClient();
};

TEST_F(MetricsTest, OnlyOperatorsMayReadThem) {
  auto anonymous = client::Client(server_.url()).get("/metrics");
  EXPECT_EQ(anonymous.status, 401);
  auto org = op_->post("/api/v1/organisations", R"({"name":"riverside","displayName":"Riverside"})");
  ASSERT_EQ(org.status, 201);
  auto admin = server_.customerClient("admin@riverside.test", std::string(json::parse(org.body).at("id").as_string()),
                                  Role::OrgAdmin);
  EXPECT_EQ(admin->get("/metrics").status, 403);
}

TEST_F(MetricsTest, RequestsRefusalsAndLatencyAreCounted) {
  const std::string health = R"(fedihost_http_requests_total{route="GET /api/v1/health",status="200"})";
  const std::string refused = "fedihost_http_refused_unauthenticated_total";
  const std::string logins = "fedihost_logins_refused_total";
  auto before = scrape();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(op_->get("/api/v1/health").status, 200);
  client::Client anonymous(server_.url());
  EXPECT_EQ(anonymous.get("/api/v1/deployments").status, 401);
  EXPECT_EQ(anonymous.post("/api/v1/auth/login", R"({"email":"operator@example.test","password":"wrong"})").status, 401);
  auto after = scrape();
  EXPECT_EQ(sample(after, health) - std::max(0.0, sample(before, health)), 3);
  EXPECT_GE(sample(after, refused) - std::max(0.0, sample(before, refused)), 1);
  EXPECT_EQ(sample(after, logins) - std::max(0.0, sample(before, logins)), 1);
  EXPECT_GE(sample(after, R"(fedihost_http_request_seconds_count{route="GET /api/v1/health"})"), 3);
  EXPECT_NE(after.find("# TYPE fedihost_http_request_seconds histogram"), std::string::npos);
  EXPECT_EQ(sample(after, R"(fedihost_build_info{version=")" FEDIHOST_VERSION R"("})"), 1);
  EXPECT_GE(sample(after, "fedihost_outbox_backlog"), 0);
}

TEST_F(MetricsTest, AnAppliedDeploymentCountsItsStepsRunsAndProviderCalls) {
  const std::string created = R"(fedihost_steps_total{kind="database",action="create",outcome="succeeded"})";
  const std::string calls =
      R"(fedihost_provider_call_seconds_count{kind="database",implementation="file",operation="create"})";
  const std::string runs = R"(fedihost_runs_finished_total{outcome="succeeded"})";
  auto before = scrape();
  auto org = op_->post("/api/v1/organisations", R"({"name":"harbour","displayName":"Harbour"})");
  ASSERT_EQ(org.status, 201);
  auto d = op_->post("/api/v1/organisations/" + std::string(json::parse(org.body).at("id").as_string()) +
                         "/deployments",
                     R"({"name":"social","domain":"social.example.test","apps":[{"app":"mastodon"}]})");
  ASSERT_EQ(d.status, 201) << d.body;
  auto run = op_->post("/api/v1/deployments/" + std::string(json::parse(d.body).at("id").as_string()) + "/apply", "");
  ASSERT_EQ(run.status, 202) << run.body;
  server_.orchestrator().waitIdle();
  auto after = scrape();
  EXPECT_EQ(sample(after, created) - std::max(0.0, sample(before, created)), 1);
  EXPECT_EQ(sample(after, calls) - std::max(0.0, sample(before, calls)), 1);
  EXPECT_EQ(sample(after, runs) - std::max(0.0, sample(before, runs)), 1);
}

}  // namespace
}  // namespace fedihost
