// The audit log end to end: every mutating route writes exactly one row (over the
// whole routes table), no row holds a secret, who may read the log, the JSON lines
// export, and `fedihost audit verify` on a real data directory.
#include <gtest/gtest.h>

#include <mutex>
#include <regex>

#include "api/router.hh"
#include "core/clock.hh"
#include "net/mailer.hh"
#include "store/audit_chain.hh"
#include "store/ip_pool_store.hh"
#include "support/process.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace json = boost::json;
using testing::TestServer;

/// Keeps every message "sent" (the reset links carry secrets the test looks for).
class CapturingMailer : public net::Mailer {
 public:
  Result<void> send(const net::MailMessage& m) override {
    std::lock_guard lock(mu);
    bodies.push_back(m.textBody);
    return {};
  }
  std::mutex mu;
  std::vector<std::string> bodies;
};

struct World {
  std::string org, deployment, run, plan, invitation, domain, admin, member, viewer;
};

class AuditTest : public ::testing::Test {
 protected:
  static testing::TestServerSetup setup(std::shared_ptr<net::Mailer> mailer) {
    testing::TestServerSetup s;
    s.api.resolver = "127.0.0.1:1";
    s.mailer = std::move(mailer);
    return s;
  }
  std::shared_ptr<CapturingMailer> mailer_ = std::make_shared<CapturingMailer>();
  TestServer server_{setup(mailer_)};
  int counter_ = 0;
  std::string fresh(const std::string& what) { return what + std::to_string(++counter_); }

  World makeWorld() {
    auto& st = server_.state();
    auto& acc = server_.accounts();
    World w;
    w.org = st.createOrganisation(fresh("org-"), "Org").orThrow().id;
    Deployment d;
    d.organisation = w.org;
    d.name = "social";
    d.domain = fresh("d") + ".example.test";
    d.apps = {{"hedgedoc", {}, "", 0}};
    auto dep = st.createDeployment(d, {d.domain}).orThrow();
    w.deployment = dep.id;
    w.run = st.createRun(dep.id, RunKind::Apply, {}).value().id;
    st.setRunStatus(w.run, RunStatus::Succeeded);
    w.plan = server_.orchestrator().savePlan(st, dep).id;
    store::Invitation inv;
    inv.id = fresh("inv_");
    inv.organisation = w.org;
    inv.email = fresh("invitee") + "@example.test";
    inv.role = Role::Viewer;
    inv.invitedBy = "usr_x";
    inv.createdAt = clock::nowRfc3339();
    inv.expiresAt = clock::fromNowRfc3339(std::chrono::hours(1));
    acc.createInvitation(inv, fresh("hash"));
    w.invitation = inv.id;
    w.domain = fresh("claimed") + ".example.org";
    acc.claimDomain(w.org, w.domain, "challenge");
    for (auto [id, role] : std::vector<std::pair<std::string*, Role>>{
             {&w.admin, Role::OrgAdmin}, {&w.member, Role::Member}, {&w.viewer, Role::Viewer}}) {
      *id = acc.createUser(fresh("u") + "@example.test", "x", false).orThrow().id;
      acc.setGrant(*id, w.org, role);
    }
    return w;
  }

  std::vector<store::AuditEntry> rows() {
    server_.orchestrator().shipOutbox();
    auto conn = store::connect(server_.dataDir().accountingUrl());
    store::AccountingStore acc(*conn);
    auto all = acc.recentAudit(100000);
    std::reverse(all.begin(), all.end());
    return all;
  }
  /// Rows written for requests (not the orchestrator's own).
  std::vector<store::AuditEntry> requestRows() {
    std::vector<store::AuditEntry> out;
    for (auto& r : rows())
      if (r.actorKind != "system") out.push_back(r);
    return out;
  }
};

std::string substitute(std::string path, const std::map<std::string, std::string>& values) {
  for (auto& [k, v] : values) {
    auto at = path.find("{" + k + "}");
    if (at != std::string::npos) path.replace(at, k.size() + 2, v);
  }
  return path;
}

TEST_F(AuditTest, EveryMutatingRouteWritesExactlyOneRow) {
  auto router = api::makeRouter();
  auto op = server_.accounts().findUserByEmail(testing::kOperatorEmail)->first;
  int checked = 0;
  for (auto& route : router.routes()) {
    if (!api::isMutating(route.method)) continue;
    auto key = route.method + " " + route.pattern;
    auto w = makeWorld();
    auto issued = server_.authenticator().openSession(server_.accounts(), op, "127.0.0.1", "test");
    std::string pool;
    if (route.pattern.starts_with("/api/v1/ip-pools"))
      pool = store::IpPoolStore(server_.state().connection())
                 .createPool({"local", fresh("pool"), "10.9." + std::to_string(counter_ % 250) + ".0/24", "", {}, 4})
                 .orThrow()
                 .id;
    auto path = substitute(route.pattern,
                           {{"id", route.access.org == api::OrgFrom::Organisation ? w.org
                                   : route.access.org == api::OrgFrom::Run        ? w.run
                                   : route.access.org == api::OrgFrom::Deployment ? w.deployment
                                   : route.pattern.starts_with("/api/v1/ip-pools") ? pool
                                   : route.pattern.starts_with("/api/v1/users")    ? w.viewer
                                                                                   : issued.session.id},
                            {"user", w.member},
                            {"plan", w.plan},
                            {"invitation", w.invitation},
                            {"domain", w.domain},
                            {"target", "local"}});
    auto before = requestRows().size();
    client::Client c(server_.url());
    c.setToken(issued.token);
    auto requestId = fresh("route-test-");
    std::map<std::string, std::string> headers{{"x-request-id", requestId}};
    if (route.method == "PATCH" && route.pattern.starts_with("/api/v1/deployments")) headers["if-match"] = "1";
    auto r = c.request(route.method, path, "{}", headers);
    auto after = requestRows();
    ASSERT_EQ(after.size(), before + 1) << key << " → " << r.status << " " << r.body;
    auto& row = after.back();
    EXPECT_EQ(row.action, key);
    EXPECT_EQ(row.status, r.status) << key;
    EXPECT_EQ(row.requestId, requestId) << key;
    EXPECT_EQ(row.path, path) << key;
    EXPECT_EQ(row.actorId, op.id) << key;
    EXPECT_EQ(row.via, issued.session.id) << key;
    EXPECT_EQ(row.remote, "127.0.0.1") << key;
    if (route.access.org == api::OrgFrom::Organisation) {
      EXPECT_EQ(row.organisationId, w.org) << key;
    }
    ++checked;
  }
  EXPECT_GE(checked, 35);
  // The orchestrator's actions have rows too: the applies above started runs.
  server_.orchestrator().waitIdle();
  int runRows = 0;
  for (auto& r : rows()) runRows += r.actorKind == "system" && r.action == "run.started";
  EXPECT_GE(runRows, 1);
}

TEST_F(AuditTest, NoRowHoldsASecret) {
  std::vector<std::string> secrets{testing::kOperatorPassword};
  auto admin = server_.operatorClient();
  auto org = json::parse(admin->post("/api/v1/organisations", R"({"name":"acme","displayName":"Acme"})").body);
  auto orgId = std::string(org.at("id").as_string());
  // A token.
  auto tok = admin->post("/api/v1/tokens", R"({"name":"ci","scopes":["read"]})");
  ASSERT_EQ(tok.status, 201) << tok.body;
  secrets.push_back(std::string(json::parse(tok.body).at("token").as_string()));
  // An invitation, accepted with a password.
  auto inv = admin->post("/api/v1/organisations/" + orgId + "/invitations",
                         R"({"email":"ann@example.test","role":"org-admin"})");
  ASSERT_EQ(inv.status, 201) << inv.body;
  auto invToken = std::string(json::parse(inv.body).at("token").as_string());
  secrets.push_back(invToken);
  client::Client anonymous(server_.url());
  const std::string annPassword = "ann's secret password 123";
  secrets.push_back(annPassword);
  auto acc = anonymous.post("/api/v1/invitations/accept",
                            json::serialize(json::object{{"token", invToken}, {"password", annPassword}}));
  ASSERT_LT(acc.status, 300) << acc.body;
  // A password reset by mail, then a new password.
  ASSERT_EQ(anonymous.post("/api/v1/auth/password-reset", R"({"email":"ann@example.test"})").status, 202);
  std::string resetToken;
  {
    std::lock_guard lock(mailer_->mu);
    std::smatch m;
    for (auto& b : mailer_->bodies)
      if (std::regex_search(b, m, std::regex("#token=([A-Za-z0-9_-]+)")) && m[1].str().starts_with("fhr_"))
        resetToken = m[1];
  }
  ASSERT_FALSE(resetToken.empty());
  secrets.push_back(resetToken);
  const std::string newPassword = "ann's new password 456";
  secrets.push_back(newPassword);
  auto reset = anonymous.post("/api/v1/auth/password-reset/confirm",
                              json::serialize(json::object{{"token", resetToken}, {"password", newPassword}}));
  ASSERT_LT(reset.status, 300) << reset.body;
  // Signing in (the session token is a secret too), and a failed sign-in.
  auto login = anonymous.post("/api/v1/auth/login",
                              json::serialize(json::object{{"email", "ann@example.test"}, {"password", newPassword}}));
  ASSERT_EQ(login.status, 200) << login.body;
  secrets.push_back(std::string(json::parse(login.body).at("token").as_string()));
  anonymous.post("/api/v1/auth/login", R"({"email":"ann@example.test","password":"a wrong guess of hers"})");
  secrets.push_back("a wrong guess of hers");

  auto all = rows();
  ASSERT_GE(all.size(), 7u);
  for (auto& r : all) {
    auto text = json::serialize(store::toJson(r));
    for (auto& s : secrets) EXPECT_EQ(text.find(s), std::string::npos) << "a secret in row " << r.seq << ": " << text;
    // Nor the hash of one, nor a sealed value: nothing looks like a token.
    EXPECT_FALSE(std::regex_search(text, std::regex("fh[a-z]_[A-Za-z0-9_-]{20,}"))) << text;
  }
  // The sign-ins are there, with who did them.
  int logins = 0;
  for (auto& r : all) logins += r.action == "POST /api/v1/auth/login" && r.status == 200 && !r.actorId.empty();
  EXPECT_EQ(logins, 2);  // the operator's and Ann's; the failed guess is counted, not stored
}

TEST_F(AuditTest, OperatorsSeeAllOrgAdminsTheirOwnOthersNothing) {
  auto a = makeWorld();
  auto b = makeWorld();
  auto op = server_.operatorClient();
  auto adminA = server_.customerClient("admin-a@example.test", a.org, Role::OrgAdmin);
  auto adminB = server_.customerClient("admin-b@example.test", b.org, Role::OrgAdmin);
  auto memberA = server_.customerClient("member-a@example.test", a.org, Role::Member);
  ASSERT_EQ(adminA->request("PATCH", "/api/v1/organisations/" + a.org, R"({"displayName":"A"})").status, 200);
  ASSERT_EQ(adminB->request("PATCH", "/api/v1/organisations/" + b.org, R"({"displayName":"B"})").status, 200);
  server_.orchestrator().shipOutbox();

  auto orgsOf = [](const client::HttpResponse& r) {
    std::set<std::string> orgs;
    auto v = json::parse(r.body);
    for (auto& i : v.at("items").as_array()) orgs.insert(std::string(i.at("organisationId").as_string()));
    return orgs;
  };
  auto all = op->get("/api/v1/audit?limit=200");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_TRUE(orgsOf(all).count(a.org) && orgsOf(all).count(b.org));
  auto mine = adminA->get("/api/v1/audit?limit=200");
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(orgsOf(mine), std::set<std::string>{a.org});
  EXPECT_EQ(adminA->get("/api/v1/audit?organisation=" + b.org).status, 404);
  EXPECT_EQ(memberA->get("/api/v1/audit").status, 403);
  EXPECT_EQ(client::Client(server_.url()).get("/api/v1/audit").status, 401);

  // Filters and paging: one row per page, following the cursor, newest first.
  auto byAction = op->get("/api/v1/audit?action=PATCH%20/api/v1/organisations/%7Bid%7D&limit=1");
  ASSERT_EQ(byAction.status, 200) << byAction.body;
  auto page1 = json::parse(byAction.body);
  ASSERT_EQ(page1.at("items").as_array().size(), 1u);
  EXPECT_EQ(page1.at("items").as_array()[0].at("objectId").as_string(), b.org);
  ASSERT_TRUE(page1.at("next").is_string());
  auto page2 = json::parse(op->get("/api/v1/audit?action=PATCH%20/api/v1/organisations/%7Bid%7D&limit=1&cursor=" +
                                   std::string(page1.at("next").as_string()))
                               .body);
  ASSERT_EQ(page2.at("items").as_array().size(), 1u);
  EXPECT_EQ(page2.at("items").as_array()[0].at("objectId").as_string(), a.org);
  EXPECT_TRUE(page2.at("next").is_null());
  auto adminAId = server_.accounts().findUserByEmail("admin-a@example.test")->first.id;
  auto byActor = json::parse(op->get("/api/v1/audit?actor=" + adminAId).body);
  ASSERT_EQ(byActor.at("items").as_array().size(), 1u);
  EXPECT_EQ(op->get("/api/v1/audit?from=yesterday").status, 422);

  // JSON lines.
  auto lines = op->get("/api/v1/audit?format=jsonl");
  ASSERT_EQ(lines.status, 200);
  EXPECT_EQ(lines.headers["content-type"], "application/jsonl");
  int n = 0;
  std::istringstream in(lines.body);
  for (std::string line; std::getline(in, line); ++n) EXPECT_TRUE(json::parse(line).as_object().contains("hash"));
  EXPECT_EQ(n, static_cast<int>(json::parse(all.body).at("items").as_array().size()));
}

TEST(AuditVerifyCli, IntactThenEditedThenTruncated) {
  testing::TempDir tmp{"fedihost-audit"};
  orchestrator::DataDir dir{tmp.path() / "var"};
  {
    TestServer server;  // its own data directory; copy the rows into ours through the API's data dir
    auto op = server.operatorClient();
    for (int i = 0; i < 5; ++i)
      ASSERT_EQ(op->post("/api/v1/organisations", json::serialize(json::object{{"name", "o" + std::to_string(i)}})).status,
                201);
    server.orchestrator().shipOutbox();
    std::filesystem::copy(server.dataDir().root, dir.root, std::filesystem::copy_options::recursive);
  }
  auto verify = [&] {
    return testing::run(std::string(FEDIHOST_BIN) + " audit verify --data " + dir.root.string());
  };
  auto ok = verify();
  EXPECT_EQ(ok.exitCode, 0) << ok.output;
  EXPECT_NE(ok.output.find("intact"), std::string::npos) << ok.output;

  auto conn = store::connect(dir.accountingUrl());
  conn->execScript("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET remote = '10.0.0.1' WHERE seq = 3;");
  auto edited = verify();
  EXPECT_NE(edited.exitCode, 0) << edited.output;
  EXPECT_NE(edited.output.find("seq 3"), std::string::npos) << edited.output;
  EXPECT_NE(edited.output.find("edited"), std::string::npos) << edited.output;

  conn->execScript("UPDATE audit_log SET remote = '127.0.0.1' WHERE seq = 3;");
  EXPECT_EQ(verify().exitCode, 0);
  auto last = conn->queryOne("SELECT max(seq) FROM audit_log")->integer(0);
  conn->execScript("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = " + std::to_string(last));
  auto truncated = verify();
  EXPECT_NE(truncated.exitCode, 0) << truncated.output;
  EXPECT_NE(truncated.output.find("truncated"), std::string::npos) << truncated.output;
}

}  // namespace
}  // namespace fedihost

namespace fedihost {
namespace {

TEST_F(AuditTest, TheApiSaysWhetherTheLogIsIntactAndOnlyOperatorsSeeWhichRowIsNot) {
  auto w = makeWorld();
  auto op = server_.operatorClient();
  auto admin = server_.customerClient("auditor@example.test", w.org, Role::OrgAdmin);
  auto member = server_.customerClient("member-v@example.test", w.org, Role::Member);
  ASSERT_EQ(admin->request("PATCH", "/api/v1/organisations/" + w.org, R"({"displayName":"Audited"})").status, 200);
  server_.orchestrator().shipOutbox();

  auto intact = op->get("/api/v1/audit/verification");
  ASSERT_EQ(intact.status, 200) << intact.body;
  auto v = json::parse(intact.body);
  EXPECT_EQ(v.at("intact"), true);
  EXPECT_GE(v.at("rows").as_int64(), 2);
  EXPECT_FALSE(v.as_object().contains("problem"));
  EXPECT_EQ(json::parse(admin->get("/api/v1/audit/verification").body).at("intact"), true);
  EXPECT_EQ(member->get("/api/v1/audit/verification").status, 403);
  EXPECT_EQ(client::Client(server_.url()).get("/api/v1/audit/verification").status, 401);

  auto conn = store::connect(server_.dataDir().accountingUrl());
  // Tampering behind fedihost's back: the append-only trigger dropped first (its form is the dialect's).
  conn->execScript(conn->dialect() == "postgresql"
                       ? "ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET remote = '10.9.9.9' WHERE seq = 2;"
                       : "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET remote = '10.9.9.9' WHERE seq = 2;");
  auto edited = json::parse(op->get("/api/v1/audit/verification").body);
  EXPECT_EQ(edited.at("intact"), false);
  EXPECT_EQ(edited.at("firstBadRow").at("seq"), 2);
  EXPECT_NE(std::string(edited.at("problem").as_string()).find("edited"), std::string::npos) << edited;
  auto told = json::parse(admin->get("/api/v1/audit/verification").body);
  EXPECT_EQ(told.at("intact"), false);
  EXPECT_FALSE(told.as_object().contains("firstBadRow"));  // which row is the operators' to see
}

}  // namespace
}  // namespace fedihost
