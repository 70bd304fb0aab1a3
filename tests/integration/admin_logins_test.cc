// The apps' first administrators (story 1: the teacher ends with her PeerTube's admin login):
// POST /api/v1/deployments/{id}/admin-logins/reveal on a deployment applied onto the file
// target. The password shown is the secret the control plane sealed and delivered; it is shown
// only once the app is applied, only to the organisation's administrators (and operators), and
// each reveal leaves an audit row that does not hold it. Runs on SQLite and, in label pg, on
// PostgreSQL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "secrets/secret_box.hh"
#include "store/accounting_store.hh"
#include "store/state_store.hh"
#include "support/process.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace json = boost::json;

/// One secret of a deployment, in clear, opened with the data directory's key.
std::string secretOf(testing::TestServer& server, const std::string& deployment, const std::string& name) {
  auto box = secrets::SecretBox::openOrCreate(server.dataDir().secretKey());
  return box.open(server.state().sealedSecrets(deployment).at(name)).value();
}

/// The answer's items by app.
std::map<std::string, json::object> byApp(const client::HttpResponse& r) {
  std::map<std::string, json::object> out;
  const auto body = json::parse(r.body);
  for (auto& item : body.at("items").as_array())
    out[std::string(item.at("app").as_string())] = item.as_object();
  return out;
}

class AdminLoginsTest : public ::testing::Test {
 protected:
  testing::TestServer server_;
  std::unique_ptr<client::Client> operator_ = server_.operatorClient();

  std::string organisation(const std::string& name) {
    auto r = operator_->post("/api/v1/organisations", json::serialize(json::object{{"name", name}, {"displayName", name}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::parse(r.body).at("id").as_string());
  }
  std::string deployment(const std::string& org, const std::string& domain) {
    auto r = operator_->post("/api/v1/organisations/" + org + "/deployments",
                             json::serialize(json::object{
                                 {"name", "school"},
                                 {"domain", domain},
                                 {"apps", json::array{json::object{{"app", "peertube"}}, json::object{{"app", "owncast"}},
                                                      json::object{{"app", "hedgedoc"}}}}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::parse(r.body).at("id").as_string());
  }
  static std::string reveal(const std::string& deployment) {
    return "/api/v1/deployments/" + deployment + "/admin-logins/reveal";
  }
  /// The audit rows of requests, oldest first.
  std::vector<store::AuditEntry> requestRows() {
    server_.orchestrator().shipOutbox();
    auto conn = store::connect(server_.dataDir().accountingUrl());
    store::AccountingStore acc(*conn);
    std::vector<store::AuditEntry> out;
    for (auto& r : acc.recentAudit(100000))
      if (r.actorKind != "system") out.insert(out.begin(), r);
    return out;
  }
};

TEST_F(AdminLoginsTest, TheOrganisationsAdministratorSeesEachAppsFirstAdministratorOnceApplied) {
  const auto org = organisation("school");
  const auto dep = deployment(org, "video.school.example.test");
  auto admin = server_.customerClient("mariam@school.example.test", org, Role::OrgAdmin);

  // Before the apply: the apps that make a first administrator are listed, without a password.
  auto before = admin->post(reveal(dep), "");
  ASSERT_EQ(before.status, 200) << before.body;
  auto pending = byApp(before);
  ASSERT_EQ(pending.size(), 2u) << before.body;  // HedgeDoc makes none
  EXPECT_EQ(pending.at("peertube").at("applied"), false);
  EXPECT_TRUE(pending.at("peertube").at("password").is_null());
  EXPECT_EQ(pending.at("peertube").at("username"), "root");
  EXPECT_EQ(pending.at("peertube").at("loginUrl"), "https://peertube.video.school.example.test/login");

  ASSERT_EQ(operator_->post("/api/v1/deployments/" + dep + "/apply", "").status, 202);
  server_.orchestrator().waitIdle();
  ASSERT_EQ(json::parse(operator_->get("/api/v1/deployments/" + dep).body).at("status"), "ready");

  auto after = admin->post(reveal(dep), "");
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(json::parse(after.body).at("deployment"), json::value(dep));
  auto logins = byApp(after);
  ASSERT_EQ(logins.size(), 2u);
  const auto& peertube = logins.at("peertube");
  EXPECT_EQ(peertube.at("applied"), true);
  EXPECT_EQ(peertube.at("name"), "PeerTube");
  EXPECT_EQ(peertube.at("username"), "root");
  EXPECT_EQ(peertube.at("loginUrl"), "https://peertube.video.school.example.test/login");
  const auto password = secretOf(server_, dep, "peertube-admin-password");
  EXPECT_EQ(password.size(), 64u);
  EXPECT_EQ(peertube.at("password"), json::value(password));
  const auto& owncast = logins.at("owncast");
  EXPECT_EQ(owncast.at("applied"), true);
  EXPECT_EQ(owncast.at("username"), "admin");
  EXPECT_EQ(owncast.at("loginUrl"), "https://live.video.school.example.test/admin");
  EXPECT_EQ(owncast.at("password"), json::value(secretOf(server_, dep, "owncast-admin-password")));
  // Operators too.
  EXPECT_EQ(byApp(operator_->post(reveal(dep), "")).at("peertube").at("password"), json::value(password));
  // And from the command line, for her: each app's line with its user, password and address.
  auto cli = testing::run(std::string(FEDIHOST_BIN) + " deployment admin-logins " + dep + " --server " + server_.url() +
                          " --token " + testing::shellQuote(admin->token()));
  ASSERT_EQ(cli.exitCode, 0) << cli.output;
  EXPECT_THAT(cli.output, ::testing::ContainsRegex("PeerTube +root +" + password +
                                                   " +https://peertube\\.video\\.school\\.example\\.test/login"));
  EXPECT_THAT(cli.output, ::testing::HasSubstr("https://live.video.school.example.test/admin"));

  // Each reveal is an audit row naming who and which deployment, never the password.
  const auto mariam = server_.accounts().findUserByEmail("mariam@school.example.test")->first.id;
  int reveals = 0;
  for (auto& row : requestRows()) {
    EXPECT_EQ(json::serialize(store::toJson(row)).find(password), std::string::npos) << row.eventId;
    if (row.action != "POST /api/v1/deployments/{id}/admin-logins/reveal" || row.actorId != mariam) continue;
    ++reveals;
    EXPECT_EQ(row.objectId, dep);
    EXPECT_EQ(row.organisationId, org);
    EXPECT_EQ(row.status, 200);
    EXPECT_EQ(row.outcome, "ok");
  }
  EXPECT_EQ(reveals, 3);  // two through the API, one through the CLI
}

TEST_F(AdminLoginsTest, MembersAndViewersAreRefusedAndAnotherOrganisationsDeploymentIsNotFound) {
  const auto org = organisation("school");
  const auto other = organisation("elsewhere");
  const auto dep = deployment(org, "video.school.example.test");
  ASSERT_EQ(operator_->post("/api/v1/deployments/" + dep + "/apply", "").status, 202);
  server_.orchestrator().waitIdle();
  const auto password = secretOf(server_, dep, "peertube-admin-password");
  for (auto [email, role] : {std::pair{"member@school.example.test", Role::Member},
                             std::pair{"viewer@school.example.test", Role::Viewer}}) {
    auto r = server_.customerClient(email, org, role)->post(reveal(dep), "");
    EXPECT_EQ(r.status, 403) << email << ": " << r.body;
    EXPECT_EQ(r.body.find(password), std::string::npos);
  }
  auto stranger = server_.customerClient("admin@elsewhere.example.test", other, Role::OrgAdmin)->post(reveal(dep), "");
  EXPECT_EQ(stranger.status, 404) << stranger.body;
  EXPECT_EQ(stranger.body.find(password), std::string::npos);
  // A deleted deployment has no logins to show.
  ASSERT_EQ(operator_->request("DELETE", "/api/v1/deployments/" + dep).status, 202);
  server_.orchestrator().waitIdle();
  EXPECT_EQ(operator_->post(reveal(dep), "").status, 404);
}

TEST_F(AdminLoginsTest, AnAppAddedToAnAppliedDeploymentHasNoLoginUntilItIsApplied) {
  const auto org = organisation("school");
  auto created = operator_->post("/api/v1/organisations/" + org + "/deployments",
                                 R"({"name":"notes","domain":"notes.school.example.test","apps":[{"app":"hedgedoc"}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto dep = std::string(json::parse(created.body).at("id").as_string());
  ASSERT_EQ(operator_->post("/api/v1/deployments/" + dep + "/apply", "").status, 202);
  server_.orchestrator().waitIdle();
  EXPECT_TRUE(byApp(operator_->post(reveal(dep), "")).empty());
  // PeerTube added: the applied configuration does not carry it yet.
  auto patched = operator_->request("PATCH", "/api/v1/deployments/" + dep,
                                    R"({"apps":[{"app":"hedgedoc"},{"app":"peertube"}]})", {{"if-match", "\"1\""}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  auto pending = byApp(operator_->post(reveal(dep), ""));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending.at("peertube").at("applied"), false);
  EXPECT_TRUE(pending.at("peertube").at("password").is_null());
  ASSERT_EQ(operator_->post("/api/v1/deployments/" + dep + "/apply", "").status, 202);
  server_.orchestrator().waitIdle();
  auto applied = byApp(operator_->post(reveal(dep), ""));
  EXPECT_EQ(applied.at("peertube").at("applied"), true);
  EXPECT_EQ(applied.at("peertube").at("password"), json::value(secretOf(server_, dep, "peertube-admin-password")));
}

}  // namespace
}  // namespace fedihost
