// The orchestrator engine over HTTP: the plan with reasons (GET), saved plans
// applied exactly or refused when stale, drift after an out-of-band change and
// its repair, cancel, targets and orphans.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include <fstream>

#include "store/job_store.hh"
#include "store/state_store.hh"
#include "support/targets.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

json::value body(const client::HttpResponse& r) { return json::parse(r.body); }
std::string str(const json::value& v, std::string_view k) { return std::string(v.at(k).as_string()); }

class EngineApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = server_.operatorClient();
    auto org = api_->post("/api/v1/organisations", R"({"name":"riverside","displayName":"Riverside"})");
    ASSERT_EQ(org.status, 201) << org.body;
    auto d = api_->post("/api/v1/organisations/" + str(body(org), "id") + "/deployments",
                        R"({"name":"social","domain":"social.example.test","apps":[{"app":"mastodon"}]})");
    ASSERT_EQ(d.status, 201) << d.body;
    id_ = str(body(d), "id");
  }
  std::string path(const std::string& rest = "") { return "/api/v1/deployments/" + id_ + rest; }
  json::value waitRun(const client::HttpResponse& started) {
    EXPECT_EQ(started.status, 202) << started.body;
    server_.orchestrator().waitIdle();
    return body(api_->get("/api/v1/runs/" + str(body(started), "id")));
  }
  /// The job a 202 answered with, once the workers have ended it.
  json::value waitJob(const client::HttpResponse& started) {
    EXPECT_EQ(started.status, 202) << started.body;
    if (started.status != 202) return json::object{};
    auto job = body(started);
    EXPECT_EQ(started.headers.at("location"), "/api/v1/jobs/" + str(job, "id"));
    EXPECT_EQ(str(job.at("links"), "self"), "/api/v1/jobs/" + str(job, "id"));
    server_.orchestrator().waitIdle();
    return body(api_->get(str(job.at("links"), "self")));
  }

  testing::TestServer server_;
  std::unique_ptr<client::Client> api_;
  std::string id_;
};

TEST_F(EngineApiTest, ASavedPlanIsAppliedExactlyOnceAndRefusedWhenStale) {
  auto plan = body(api_->get(path("/plan")));
  EXPECT_EQ(plan.at("empty"), false);
  EXPECT_EQ(str(plan.at("actions").at(0), "reason"), "not yet created");

  auto saved = api_->post(path("/plan"), R"({"save": true})");
  ASSERT_EQ(saved.status, 201) << saved.body;
  auto planId = str(body(saved), "id");
  EXPECT_EQ(saved.headers["location"], path("/plans/" + planId));

  // Someone edits the deployment: the saved plan is stale, and the answer says why.
  auto current = api_->get(path());
  auto patched = api_->request("PATCH", path(), R"({"apps":[{"app":"mastodon"},{"app":"pixelfed"}]})",
                               {{"If-Match", current.headers["etag"]}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  auto stale = api_->post(path("/apply"), json::serialize(json::object{{"plan", planId}}));
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_NE(str(body(stale), "detail").find("the deployment was edited"), std::string::npos) << stale.body;
  EXPECT_EQ(str(body(stale), "field"), "plan");

  auto fresh = api_->post(path("/plan"), R"({"save": true})");
  auto freshId = str(body(fresh), "id");
  auto run = waitRun(api_->post(path("/apply"), json::serialize(json::object{{"plan", freshId}})));
  EXPECT_EQ(str(run, "status"), "succeeded");
  EXPECT_EQ(str(run, "plan"), freshId);
  EXPECT_EQ(str(body(api_->get(path("/plans/" + freshId))), "appliedBy"), str(run, "id"));
  EXPECT_EQ(api_->post(path("/apply"), json::serialize(json::object{{"plan", freshId}})).status, 409);
  EXPECT_EQ(api_->post(path("/apply"), R"({"plan": 7})").status, 400);
  EXPECT_EQ(api_->post(path("/apply"), R"({"plans": "x"})").status, 422);
  EXPECT_EQ(body(api_->get(path("/plan"))).at("empty"), true);
}

TEST_F(EngineApiTest, DriftIsShownAndRepairedByTheNextApply) {
  auto first = waitRun(api_->post(path("/apply"), ""));
  ASSERT_EQ(str(first, "status"), "succeeded");
  auto drift = body(api_->get(path("/drift")));
  EXPECT_TRUE(drift.at("refreshedAt").is_null());

  auto dir = server_.orchestrator().deploymentPath(id_);
  fs::remove_all(dir / "mail");  // the mail account vanishes out of band
  auto job = waitJob(api_->post(path("/refresh"), ""));
  ASSERT_EQ(str(job, "state"), "done") << job;
  auto found = job.at("result");
  EXPECT_EQ(found.at("drifted"), true);
  ASSERT_EQ(found.at("resources").as_array().size(), 1u) << job;
  EXPECT_EQ(str(found.at("resources").at(0), "status"), "missing");
  auto dep = body(api_->get(path()));
  EXPECT_EQ(dep.at("drift").at("drifted"), true);
  EXPECT_EQ(dep.at("drift").at("count"), 1);
  EXPECT_EQ(dep.at("status"), "drifted");  // the status says so too, not "ready"

  auto plan = body(api_->get(path("/plan")));
  EXPECT_EQ(plan.at("summary").at("create"), 1) << plan;
  auto repair = waitRun(api_->post(path("/apply"), ""));
  EXPECT_EQ(str(repair, "status"), "succeeded");
  EXPECT_TRUE(fs::exists(dir / "mail"));
  EXPECT_EQ(body(api_->get(path("/drift"))).at("drifted"), false);
  EXPECT_EQ(waitJob(api_->post(path("/refresh"), "")).at("result").at("drifted"), false);
  EXPECT_EQ(body(api_->get(path())).at("status"), "ready");
}

TEST_F(EngineApiTest, AnEndedRunCannotBeCancelledAndTargetsAndOrphansAreListed) {
  auto run = waitRun(api_->post(path("/apply"), ""));
  auto cancel = api_->post("/api/v1/runs/" + str(run, "id") + "/cancel", "");
  EXPECT_EQ(cancel.status, 409) << cancel.body;
  EXPECT_EQ(api_->post("/api/v1/runs/run_nope/cancel", "").status, 404);

  auto targets = body(api_->get("/api/v1/targets"));
  ASSERT_EQ(targets.at("items").as_array().size(), 1u);
  EXPECT_EQ(str(targets.at("items").at(0), "name"), "local");
  EXPECT_EQ(str(targets.at("items").at(0).at("providers").at("database"), "implementation"), "file");

  auto none = waitJob(api_->post("/api/v1/orphans/scan", "")).at("result");
  EXPECT_TRUE(none.at("items").as_array().empty());
  EXPECT_TRUE(none.at("failures").as_array().empty());
  EXPECT_EQ(none.at("complete"), true);
  // A stray directory in the file target shows up as an orphan.
  auto stray = server_.dataDir().targetRoot("local") / "dep_stray";
  fs::create_directories(stray);
  fs::copy(server_.orchestrator().deploymentPath(id_) / "mail", stray / "mail");
  auto orphans = waitJob(api_->post("/api/v1/orphans/scan", "")).at("result").at("items").as_array();
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(str(orphans.at(0), "reason"), "deployment unknown");
  EXPECT_EQ(str(orphans.at(0), "deployment"), "dep_stray");

  auto unknown = api_->post("/api/v1/organisations/" + str(body(api_->get(path())), "organisation") + "/deployments",
                            R"({"name":"x","domain":"x.example.test","target":"nowhere","apps":[]})");
  EXPECT_EQ(unknown.status, 422) << unknown.body;
  EXPECT_EQ(str(body(unknown), "field"), "target");
}

TEST_F(EngineApiTest, ConcurrentAppliesCreateExactlyOneRun) {
  constexpr int kClients = 8;
  std::vector<std::unique_ptr<client::Client>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(server_.operatorClient());
  std::atomic<int> ready{0};
  std::vector<int> statuses(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i)
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kClients) std::this_thread::yield();
      statuses[i] = clients[i]->post(path("/apply"), "").status;
    });
  for (auto& t : threads) t.join();
  server_.orchestrator().waitIdle();
  int accepted = 0, conflicts = 0;
  for (int s : statuses) {
    accepted += s == 202;
    conflicts += s == 409;
  }
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(conflicts, kClients - 1);
  EXPECT_EQ(body(api_->get(path("/runs"))).at("items").as_array().size(), 1u);
}

TEST_F(EngineApiTest, ARefreshIsRefusedWhileARunHoldsTheDeploymentAndAnApplyWhileARefreshDoes) {
  auto first = waitRun(api_->post(path("/apply"), ""));
  ASSERT_EQ(str(first, "status"), "succeeded");
  // A run queued by another thread or process, never picked up here: it holds the deployment.
  auto conn = store::connect(server_.dataDir().stateUrl());
  conn->execute("INSERT INTO runs (id, deployment_id, kind, status, total, created_at) "
                "VALUES ('run_held', ?1, 'apply', 'queued', 0, '2026-01-01T00:00:00.000Z')",
                {id_});
  auto refused = api_->post(path("/refresh"), "");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(str(body(refused), "detail").find("run_held"), std::string::npos) << refused.body;
  EXPECT_TRUE(body(api_->get(path("/drift"))).at("refreshedAt").is_null()) << "nothing was refreshed";
  conn->execute("UPDATE runs SET status = 'failed' WHERE id = 'run_held'");
  // Now a refresh holds it (as if in flight): an apply waits for it to end.
  store::StateStore state(*conn);
  auto claim = state.claimRefresh(id_).value();
  auto apply = api_->post(path("/apply"), "");
  EXPECT_EQ(apply.status, 409) << apply.body;
  EXPECT_NE(str(body(apply), "detail").find("being refreshed"), std::string::npos) << apply.body;
  EXPECT_EQ(api_->post(path("/refresh"), "").status, 409);
  state.releaseRefresh(claim);
  EXPECT_EQ(str(waitJob(api_->post(path("/refresh"), "")), "state"), "done");
  EXPECT_EQ(body(api_->get(path("/runs"))).at("items").as_array().size(), 2u) << "refreshes are not listed as runs";
}

TEST_F(EngineApiTest, ARefreshIsAJobWhoseResultIsTheDriftItRecordedAndItsStreamEndsWithIt) {
  ASSERT_EQ(str(waitRun(api_->post(path("/apply"), "")), "status"), "succeeded");
  fs::remove_all(server_.orchestrator().deploymentPath(id_) / "mail");
  auto started = api_->post(path("/refresh"), "");
  ASSERT_EQ(started.status, 202) << started.body;
  auto queued = body(started);
  EXPECT_EQ(str(queued, "kind"), "refresh");
  EXPECT_EQ(str(queued, "deployment"), id_);
  EXPECT_TRUE(str(queued, "state") == "queued" || str(queued, "state") == "running" || str(queued, "state") == "done")
      << queued;
  auto events = str(queued.at("links"), "events");
  EXPECT_EQ(events, "/api/v1/jobs/" + str(queued, "id") + "/events");
  // The stream follows the job to its end: its last event is the job, done, with its result.
  auto stream = api_->get(events);
  ASSERT_EQ(stream.status, 200) << stream.body;
  auto last = stream.body.rfind("event: job\ndata: ");
  ASSERT_NE(last, std::string::npos) << stream.body;
  auto streamed = json::parse(stream.body.substr(last + 17, stream.body.find('\n', last + 17) - last - 17));
  EXPECT_EQ(str(streamed, "state"), "done") << stream.body;
  server_.orchestrator().waitIdle();
  auto job = body(api_->get("/api/v1/jobs/" + str(queued, "id")));
  EXPECT_EQ(streamed, job);
  EXPECT_EQ(job.at("progress").at("done"), job.at("progress").at("total"));
  EXPECT_GT(job.at("progress").at("total").as_int64(), 0);
  // The same result as the drift the refresh recorded (what the synchronous refresh answered).
  EXPECT_EQ(job.at("result"), body(api_->get(path("/drift"))));
  EXPECT_EQ(job.at("result").at("resources").as_array().size(), 1u) << job;
  EXPECT_EQ(api_->get("/api/v1/jobs/job_nope").status, 404);
  EXPECT_EQ(api_->get("/api/v1/jobs/job_nope/events").status, 404);
}

TEST_F(EngineApiTest, AnOrphanScanJobHasTheResultOfTheScanAndOneScanRunsAtATime) {
  ASSERT_EQ(str(waitRun(api_->post(path("/apply"), "")), "status"), "succeeded");
  auto stray = server_.dataDir().targetRoot("local") / "dep_stray";
  fs::create_directories(stray);
  fs::copy(server_.orchestrator().deploymentPath(id_) / "mail", stray / "mail");
  auto job = waitJob(api_->post("/api/v1/orphans/scan", ""));
  EXPECT_EQ(str(job, "kind"), "orphan-scan");
  EXPECT_TRUE(job.at("deployment").is_null());
  ASSERT_EQ(str(job, "state"), "done") << job;
  // The same result as the scan computed in full here, in today's shape.
  auto direct = server_.orchestrator().findOrphans(server_.state());
  EXPECT_EQ(job.at("result"), json::value(orchestrator::orphanScanDocument(direct)));
  EXPECT_EQ(job.at("result").at("items").as_array().size(), 1u) << job;
  EXPECT_EQ(job.at("result").at("complete"), true);

  // A scan queued or running is the one asked for again (a scan that nothing picks up, here).
  bool created = false;
  auto held = store::JobStore(server_.state().connection()).createOrphanScan("usr_x", created);
  ASSERT_TRUE(created);
  auto again = api_->post("/api/v1/orphans/scan", "");
  EXPECT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(str(body(again), "id"), held.id);
}

/// A server that accepts targets with "faults" (option orchestrator.fault_injection).
orchestrator::OrchestratorOptions faultInjection() {
  orchestrator::OrchestratorOptions o;
  o.faultInjection = true;
  return o;
}

// A provider that fails: the job ends (done), and its result names what failed — never "no drift"
// or "no orphans".
TEST(EngineApiFailures, AFailingProviderShowsAsFailedInTheJobResult) {
  testing::TestServer server([](const orchestrator::DataDir& dir) {
    fs::create_directories(dir.targetConfigDir());
    std::ofstream(dir.targetConfigDir() / "broken.json") << boost::json::serialize(boost::json::object{
        {"name", "broken"}, {"providers", testing::withFileProviders()}, {"faults", {{"permanent", 1}}}});
  }, faultInjection());
  auto api = server.operatorClient();
  auto org = body(api->post("/api/v1/organisations", R"({"name":"riverside","displayName":"Riverside"})"));
  auto created = api->post("/api/v1/organisations/" + str(org, "id") + "/deployments",
                           R"({"name":"social","domain":"social.example.test","target":"broken","apps":[{"app":"mastodon"}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  auto id = str(body(created), "id");
  // A resource recorded as if applied: reading it back fails at the provider.
  Resource r;
  r.name = "social.example.test/A";
  r.key = resourceKey(id, ResourceKind::DnsRecordSet, r.name);
  r.kind = ResourceKind::DnsRecordSet;
  r.deployment = id;
  r.attributes = json::object{{"name", "social.example.test"}, {"type", "A"}, {"records", json::array{"192.0.2.1"}}};
  server.state().recordResource(r, {});

  auto started = api->post("/api/v1/deployments/" + id + "/refresh", "");
  ASSERT_EQ(started.status, 202) << started.body;
  server.orchestrator().waitIdle();
  auto refresh = body(api->get("/api/v1/jobs/" + str(body(started), "id")));
  ASSERT_EQ(str(refresh, "state"), "done") << refresh;
  ASSERT_EQ(refresh.at("result").at("errors").as_array().size(), 1u) << refresh;
  EXPECT_NE(std::string(refresh.at("result").at("errors").at(0).as_string()).find(r.key), std::string::npos) << refresh;

  auto scanStarted = api->post("/api/v1/orphans/scan", "");
  ASSERT_EQ(scanStarted.status, 202) << scanStarted.body;
  server.orchestrator().waitIdle();
  auto scan = body(api->get("/api/v1/jobs/" + str(body(scanStarted), "id")));
  ASSERT_EQ(str(scan, "state"), "done") << scan;
  EXPECT_EQ(scan.at("result").at("complete"), false) << scan;
  auto failures = scan.at("result").at("failures").as_array();
  ASSERT_FALSE(failures.empty()) << scan;
  for (auto& f : failures) {
    EXPECT_EQ(str(f, "target"), "broken") << f;
    EXPECT_NE(str(f, "error").find("injected"), std::string::npos) << f;
  }
}

}  // namespace
}  // namespace fedihost
