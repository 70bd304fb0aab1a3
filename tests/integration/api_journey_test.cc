// The walking skeleton's journey over plain HTTP against a real server on port 0:
// log in, read the catalog, create an organisation and a deployment, plan,
// apply with live progress, check the file target, change, delete; and every
// kind of bad input gets a clear problem+json with nothing written.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "store/accounting_store.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using client::HttpResponse;

json::value body(const HttpResponse& r) { return json::parse(r.body); }
std::string str(const json::value& v, std::string_view k) { return std::string(v.at(k).as_string()); }

class ApiJourneyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = server_.operatorClient();
    auto r = api_->post("/api/v1/organisations", R"({"name":"riverside","displayName":"Riverside School"})");
    ASSERT_EQ(r.status, 201) << r.body;
    org_ = str(body(r), "id");
  }

  HttpResponse createDeployment(const std::string& json) {
    return api_->post("/api/v1/organisations/" + org_ + "/deployments", json);
  }

  int deploymentCount() {
    return static_cast<int>(body(api_->get("/api/v1/deployments?organisation=" + org_)).at("items").as_array().size());
  }

  /// Expects a problem+json answer with this status (and field, when given).
  void expectProblem(const HttpResponse& r, long status, const std::string& field = {}) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.headers.at("content-type"), "application/problem+json");
    auto p = body(r);
    EXPECT_EQ(p.at("status").as_int64(), status);
    EXPECT_FALSE(str(p, "title").empty());
    EXPECT_FALSE(str(p, "detail").empty());
    if (!field.empty()) {
      ASSERT_TRUE(p.as_object().contains("field")) << r.body;
      EXPECT_EQ(str(p, "field"), field) << r.body;
    }
  }

  /// Follows a run's event stream to its end; returns the step events and the last run event.
  std::pair<int, json::value> follow(const std::string& runId) {
    int steps = 0;
    json::value last;
    auto status = api_->stream("/api/v1/runs/" + runId + "/events", [&](const std::string& ev, const std::string& d) {
      if (ev == "step") ++steps;
      if (ev == "run") last = json::parse(d);
      return true;
    });
    EXPECT_EQ(status, 200);
    return {steps, last};
  }

  testing::TestServer server_;
  std::unique_ptr<client::Client> api_;
  std::string org_;
};

constexpr const char* kSocial =
    R"({"name":"social","domain":"social.example.test","apps":[{"app":"mastodon"},{"app":"pixelfed"}]})";

TEST_F(ApiJourneyTest, PublicRoutesAndTheNeedForAToken) {
  client::Client anonymous(server_.url());
  auto health = anonymous.get("/api/v1/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(str(body(health), "status"), "ok");
  EXPECT_EQ(anonymous.get("/api/v1/openapi.json").status, 200);
  expectProblem(anonymous.get("/api/v1/catalog"), 401);
  expectProblem(anonymous.get("/api/v1/deployments"), 401);
  client::Client forged(server_.url(), "fh_not-a-real-token");
  expectProblem(forged.get("/api/v1/organisations"), 401);
  expectProblem(anonymous.post("/api/v1/auth/login", R"({"email":"operator@example.test","password":"wrong"})"),
                401, "password");
  expectProblem(api_->get("/api/v1/nothing-here"), 404);
  expectProblem(api_->request("PUT", "/api/v1/catalog", "{}"), 405);
}

TEST_F(ApiJourneyTest, CatalogListsTheFirstAppsWithDescriptions) {
  auto r = api_->get("/api/v1/catalog");
  ASSERT_EQ(r.status, 200);
  std::set<std::string> ids;
  auto catalog = body(r);
  for (auto& a : catalog.at("items").as_array()) {
    ids.insert(str(a, "id"));
    EXPECT_GT(str(a, "description").size(), 100u) << str(a, "id");
    EXPECT_TRUE(a.at("settingsSchema").as_object().contains("properties"));
  }
  for (auto id : {"mastodon", "pixelfed", "peertube"}) EXPECT_TRUE(ids.count(id)) << id;
  EXPECT_EQ(api_->get("/api/v1/catalog/mastodon").status, 200);
  expectProblem(api_->get("/api/v1/catalog/gitlab"), 404);
}

TEST_F(ApiJourneyTest, DeployApplyChangeAndDelete) {
  // Create.
  auto created = createDeployment(kSocial);
  ASSERT_EQ(created.status, 201) << created.body;
  auto d = body(created);
  auto id = str(d, "id");
  EXPECT_EQ(str(d, "status"), "changes pending");  // never applied: what is desired is not there yet
  EXPECT_TRUE(d.at("changesPending").as_bool());
  EXPECT_FALSE(d.at("apps").at(0).at("live").as_bool());  // its address is pending until an apply
  EXPECT_EQ(created.headers.at("etag"), "\"1\"");
  EXPECT_EQ(d.at("apps").at(0).at("settings").at("subdomain").as_string(), "mastodon");  // defaults filled

  // Plan: everything to create, in dependency order.
  auto plan = body(api_->post("/api/v1/deployments/" + id + "/plan"));
  auto& actions = plan.at("actions").as_array();
  ASSERT_GE(actions.size(), 10u);
  for (auto& a : actions) EXPECT_EQ(str(a, "action"), "create");
  EXPECT_EQ(plan.at("summary").at("create").as_int64(), static_cast<std::int64_t>(actions.size()));

  // Apply and watch it live.
  auto applied = api_->post("/api/v1/deployments/" + id + "/apply");
  ASSERT_EQ(applied.status, 202) << applied.body;
  auto runId = str(body(applied), "id");
  auto [stepEvents, lastRun] = follow(runId);
  EXPECT_EQ(str(lastRun, "status"), "succeeded") << json::serialize(lastRun);
  EXPECT_GE(stepEvents, static_cast<int>(actions.size()));  // every step reported at least once
  auto run = body(api_->get("/api/v1/runs/" + runId));
  EXPECT_EQ(run.at("progress").at("done").as_int64(), run.at("progress").at("total").as_int64());

  auto ready = body(api_->get("/api/v1/deployments/" + id));
  EXPECT_EQ(str(ready, "status"), "ready");
  EXPECT_EQ(str(ready.at("apps").at(0), "url"), "https://mastodon.social.example.test/");
  EXPECT_EQ(str(ready.at("lastRun"), "id"), runId);
  EXPECT_FALSE(ready.at("changesPending").as_bool());
  EXPECT_TRUE(ready.at("apps").at(0).at("live").as_bool());
  EXPECT_TRUE(ready.at("settingChanges").as_array().empty());

  // The file target holds the result; the zone passes BIND's checker.
  EXPECT_FALSE(ready.as_object().contains("targetPath"));  // no server path leaves the API
  fs::path dir = server_.orchestrator().deploymentPath(id);
  EXPECT_TRUE(fs::exists(dir / "machines" / "main" / "configuration.json"));
  auto zone = dir / "dns" / "social.example.test.zone";
  ASSERT_TRUE(fs::exists(zone));
  if (std::system("command -v named-checkzone >/dev/null") == 0) {
    EXPECT_EQ(std::system(("named-checkzone -q social.example.test " + zone.string()).c_str()), 0);
  }

  // Applying again: an empty plan, a run with nothing to do.
  EXPECT_TRUE(body(api_->post("/api/v1/deployments/" + id + "/plan")).at("empty").as_bool());
  auto again = api_->post("/api/v1/deployments/" + id + "/apply");
  ASSERT_EQ(again.status, 202);
  EXPECT_EQ(str(follow(str(body(again), "id")).second, "status"), "succeeded");

  // Change with optimistic locking.
  auto patchBody = R"({"apps":[{"app":"mastodon","settings":{"maxTootChars":1000}},{"app":"pixelfed"}]})";
  expectProblem(api_->request("PATCH", "/api/v1/deployments/" + id, patchBody), 428);
  expectProblem(api_->request("PATCH", "/api/v1/deployments/" + id, patchBody, {{"If-Match", "\"7\""}}), 412);
  expectProblem(api_->request("PATCH", "/api/v1/deployments/" + id, R"({"domain":"Bad!"})", {{"If-Match", "\"7\""}}),
                412);  // a stale version is reported first
  expectProblem(api_->request("PATCH", "/api/v1/deployments/" + id, patchBody, {{"If-Match", "W/x"}}), 400,
                "If-Match");
  auto patched = api_->request("PATCH", "/api/v1/deployments/" + id, patchBody, {{"If-Match", "\"1\""}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(body(patched).at("version").as_int64(), 2);
  EXPECT_EQ(patched.headers.at("etag"), "\"2\"");
  // Edited since the last apply: "changes pending" (not "ready"), naming the setting by its label.
  auto edited = body(patched);
  EXPECT_EQ(str(edited, "status"), "changes pending");
  EXPECT_TRUE(edited.at("changesPending").as_bool());
  EXPECT_TRUE(edited.at("apps").at(0).at("live").as_bool());  // still published as applied
  ASSERT_EQ(edited.at("settingChanges").as_array().size(), 1u) << patched.body;
  EXPECT_EQ(str(edited.at("settingChanges").at(0), "text"), "Mastodon: maximum post length 500 → 1000");
  EXPECT_EQ(str(body(api_->get("/api/v1/deployments/" + id)), "status"), "changes pending");
  auto changePlan = body(api_->post("/api/v1/deployments/" + id + "/plan"));
  EXPECT_EQ(changePlan.at("summary").at("update").as_int64(), 1);
  EXPECT_EQ(changePlan.at("summary").at("create").as_int64(), 0);
  EXPECT_EQ(str(changePlan.at("settingChanges").at(0), "label"), "maximum post length");
  for (auto& a : changePlan.at("actions").as_array())
    if (str(a, "action") == "update") { EXPECT_EQ(str(a, "reason"), "Mastodon: maximum post length 500 → 1000"); }

  auto runs = body(api_->get("/api/v1/deployments/" + id + "/runs"));
  EXPECT_EQ(runs.at("items").as_array().size(), 2u);

  // Delete: a run that removes exactly its files.
  auto del = api_->request("DELETE", "/api/v1/deployments/" + id);
  ASSERT_EQ(del.status, 202) << del.body;
  EXPECT_EQ(str(body(del), "kind"), "destroy");
  EXPECT_EQ(str(follow(str(body(del), "id")).second, "status"), "succeeded");
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(str(body(api_->get("/api/v1/deployments/" + id)), "status"), "deleted");
  EXPECT_EQ(deploymentCount(), 0);
  expectProblem(api_->post("/api/v1/deployments/" + id + "/apply"), 404);

  // Every mutating request is in the audit log.
  server_.orchestrator().shipOutbox();
  auto conn = store::connect(server_.dataDir().accountingUrl());
  store::AccountingStore accounting(*conn);
  auto audit = accounting.recentAudit(100);
  int deletes = 0;
  for (auto& a : audit)
    deletes += a.method == "DELETE" && a.status == 202 && a.organisationId == org_ && a.outcome == "ok" &&
               a.action == "DELETE /api/v1/deployments/{id}" && a.objectId == id;
  EXPECT_EQ(deletes, 1);
  EXPECT_GE(audit.size(), 7u);
}

TEST_F(ApiJourneyTest, EveryFieldErrorOfAFormAtOnce) {
  auto r = createDeployment(
      R"({"name":"Social Club","domain":"Social!","apps":[{"app":"mastodon","settings":{"maxTootChars":5,"defaultLocale":"x"}},{"app":"gitlab"}]})");
  expectProblem(r, 422, "name");
  auto errors = body(r).at("errors").as_array();
  std::vector<std::string> fields;
  for (auto& e : errors) {
    fields.push_back(str(e, "field"));
    EXPECT_FALSE(str(e, "detail").empty());
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"name", "domain", "apps[0].settings.maxTootChars",
                                              "apps[0].settings.defaultLocale", "apps[1].app"}))
      << r.body;
  EXPECT_EQ(deploymentCount(), 0);

  auto org = api_->post("/api/v1/organisations", R"({"name":"9lives","displayName":"  "})");
  expectProblem(org, 422, "name");
  EXPECT_EQ(body(org).at("errors").as_array().size(), 2u) << org.body;

  auto inv = api_->post("/api/v1/organisations/" + org_ + "/invitations", R"({"email":"nobody","role":"king"})");
  expectProblem(inv, 422, "email");
  EXPECT_EQ(body(inv).at("errors").as_array().size(), 2u) << inv.body;

  // A PATCH too: the domain and a setting at once.
  auto created = createDeployment(kSocial);
  ASSERT_EQ(created.status, 201) << created.body;
  auto patch = api_->request("PATCH", "/api/v1/deployments/" + str(body(created), "id"),
                             R"({"domain":"Bad!","apps":[{"app":"mastodon","settings":{"maxTootChars":5}}]})",
                             {{"If-Match", "\"1\""}});
  expectProblem(patch, 422, "domain");
  EXPECT_EQ(body(patch).at("errors").as_array().size(), 2u) << patch.body;
}

TEST_F(ApiJourneyTest, BadInputGetsAClearProblemAndWritesNothing) {
  auto post = [&](const std::string& b) { return createDeployment(b); };
  expectProblem(post(R"({"name":"social","domain":"social.example.test","apps":[{"app":"gitlab"}]})"), 422,
                "apps[0].app");
  expectProblem(post(R"({"name":"social","domain":"Social!","apps":[{"app":"mastodon"}]})"), 422, "domain");
  expectProblem(post(R"({"name":"social","domain":"localhost","apps":[{"app":"mastodon"}]})"), 422, "domain");
  expectProblem(post(R"({"name":"Social Site","domain":"a.example.test","apps":[{"app":"mastodon"}]})"), 422, "name");
  expectProblem(post(R"({"name":42,"domain":"a.example.test","apps":[{"app":"mastodon"}]})"), 400, "name");
  expectProblem(post(R"({"name":"social","domain":"a.example.test","apps":"mastodon"})"), 400, "apps");
  expectProblem(post(R"({"name":"social","domain":"a.example.test","apps":[]})"), 422, "apps");
  expectProblem(post(R"({"name":"social","domain":"a.example.test"})"), 400, "apps");
  expectProblem(
      post(R"({"name":"social","domain":"a.example.test","apps":[{"app":"mastodon","settings":{"maxTootChars":"x"}}]})"),
      400, "apps[0].settings.maxTootChars");
  expectProblem(
      post(R"({"name":"social","domain":"a.example.test","apps":[{"app":"mastodon","settings":{"maxTootChars":5}}]})"),
      422, "apps[0].settings.maxTootChars");
  expectProblem(post(R"({"name":"social","domain":"a.example.test","apps":[{"app":"mastodon"},{"app":"mastodon"}]})"),
                422, "apps[1].app");
  expectProblem(post(R"({"name":"social","domain":"a.example.test","apps":[{"app":"mastodon"}],"colour":"red"})"), 422,
                "colour");
  expectProblem(post(R"({"name":"social", "domain": )"), 400);
  expectProblem(post(R"(["not","an","object"])"), 400);
  expectProblem(api_->request("POST", "/api/v1/organisations/" + org_ + "/deployments", "name=social",
                              {{"Content-Type", "application/x-www-form-urlencoded"}}),
                415);
  std::string huge = R"({"name":"social","domain":"a.example.test","apps":[{"app":"mastodon"}],"pad":")" +
                     std::string(2 << 20, 'x') + "\"}";
  expectProblem(post(huge), 413);
  expectProblem(api_->post("/api/v1/organisations/org_missing/deployments", kSocial), 404);
  expectProblem(api_->get("/api/v1/deployments?limit=0"), 422, "limit");
  expectProblem(api_->post("/api/v1/organisations", R"({"name":""})"), 422, "name");
  EXPECT_EQ(deploymentCount(), 0);  // nothing was written

  ASSERT_EQ(post(kSocial).status, 201);
  expectProblem(post(kSocial), 409, "name");
  expectProblem(post(R"({"name":"other","domain":"social.example.test","apps":[{"app":"peertube"}]})"), 409,
                "domain");
  expectProblem(api_->post("/api/v1/organisations", R"({"name":"riverside","displayName":"Riverside School"})"), 409, "name");
  EXPECT_EQ(deploymentCount(), 1);
}

TEST_F(ApiJourneyTest, ListsArePaged) {
  for (auto name : {"one", "two", "three"})
    ASSERT_EQ(createDeployment(std::string(R"({"name":")") + name +
                               R"(","domain":")" + name + R"(.example.test","apps":[{"app":"peertube"}]})")
                  .status,
              201);
  std::set<std::string> seen;
  std::string next = "/api/v1/deployments?limit=2&organisation=" + org_;
  int pages = 0;
  while (true) {
    auto page = body(api_->get(next));
    ++pages;
    for (auto& d : page.at("items").as_array()) EXPECT_TRUE(seen.insert(str(d, "id")).second);
    if (page.at("next").is_null()) break;
    next = "/api/v1/deployments?limit=2&organisation=" + org_ + "&cursor=" + str(page, "next");
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(pages, 2);
}

TEST_F(ApiJourneyTest, AListRefusesACursorItNeverGaveInsteadOfStartingOver) {
  auto id = str(body(createDeployment(kSocial)), "id");
  // Not base64, base64 of something without the separator, and an empty cursor (the first page).
  for (const std::string& path : std::vector<std::string>{"/api/v1/deployments", "/api/v1/organisations", "/api/v1/users",
                           "/api/v1/deployments/" + id + "/runs"}) {
    SCOPED_TRACE(path);
    expectProblem(api_->get(path + "?cursor=not*a*cursor"), 400, "cursor");
    expectProblem(api_->get(path + "?cursor=bm9zZXBhcmF0b3I"), 400, "cursor");
    EXPECT_EQ(api_->get(path + "?cursor=").status, 200);
  }
  // The IP pools' allocations count by ordinal: anything else is refused too.
  expectProblem(api_->get("/api/v1/ip-pools/pool_none/allocations?cursor=-1"), 400, "cursor");
}

TEST_F(ApiJourneyTest, ASecondApplyWhileOneIsQueuedConflicts) {
  auto id = str(body(createDeployment(kSocial)), "id");
  server_.orchestrator().stop();  // keep the first run queued
  ASSERT_EQ(api_->post("/api/v1/deployments/" + id + "/apply").status, 202);
  expectProblem(api_->post("/api/v1/deployments/" + id + "/apply"), 409);
  expectProblem(api_->request("DELETE", "/api/v1/deployments/" + id), 409);
}

}  // namespace
}  // namespace fedihost
