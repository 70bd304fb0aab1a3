// Crash safety: a real `fedihost serve` process applies, edits and deletes
// deployments on the file target while it is killed with SIGKILL at random
// moments (50 kills, seeded: FEDIHOST_CRASH_SEED reproduces a sequence). After
// the last restart everything must converge to desired = recorded = on disk,
// with no resource created twice and none orphaned.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "cli/client.hh"
#include "orchestrator/orchestrator.hh"
#include "store/accounting_store.hh"
#include "store/outbox.hh"
#include "store/state_store.hh"
#include "support/process.hh"
#include "support/temp_dir.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(tmp_ / "password") << "a long enough password\n";
    auto init = testing::run(std::string(FEDIHOST_BIN) + " init --data " + data() +
                             " --email admin@example.test --password-file " + (tmp_ / "password").string());
    ASSERT_EQ(init.exitCode, 0) << init.output;
  }

  std::string data() const { return (tmp_ / "var").string(); }

  void startServer() {
    fs::remove(tmp_ / "port");
    server_ = std::make_unique<testing::Process>(
        std::vector<std::string>{FEDIHOST_BIN, "serve", "--data", data(), "--listen", "127.0.0.1:0", "--port-file",
                                 (tmp_ / "port").string(), "--web", (tmp_ / "no-panel").string(), "--workers", "2"},
        (tmp_ / ("serve-" + std::to_string(starts_++) + ".log")).string());
    for (int i = 0; i < 1000 && !fs::exists(tmp_ / "port"); ++i) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(fs::exists(tmp_ / "port")) << "the server did not start";
    std::string port;
    std::ifstream(tmp_ / "port") >> port;
    client_ = std::make_unique<client::Client>("http://127.0.0.1:" + port, token_);
    if (token_.empty()) {
      auto r = client_->post("/api/v1/auth/login",
                             R"({"email": "admin@example.test", "password": "a long enough password"})");
      ASSERT_EQ(r.status, 200) << r.body;
      token_ = std::string(json::parse(r.body).at("token").as_string());
      client_->setToken(token_);
    }
  }

  void kill9() {
    ::kill(server_->pid(), SIGKILL);
    server_->stop();  // reaps it
    server_.reset();
    ++kills_;
  }

  /// A request that may meet a dying server: transport errors count as "no answer".
  /// Each carries its own X-Request-Id; what it got is kept to check the audit log after.
  long call(const std::string& method, const std::string& path, const std::string& body = {},
            std::map<std::string, std::string> headers = {}) {
    auto id = "crash-" + std::to_string(requests_.size() + 1);
    headers["x-request-id"] = id;
    long status = 0;
    try {
      status = client_->request(method, path, body, headers).status;
    } catch (const client::TransportError&) {
    }
    requests_[id] = status;
    return status;
  }
  std::map<std::string, long> requests_;  ///< request id -> status answered (0: no answer)

  json::value get(const std::string& path) {
    auto r = client_->get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body);
  }

  testing::TempDir tmp_{"fedihost-crash"};
  std::unique_ptr<testing::Process> server_;
  std::unique_ptr<client::Client> client_;
  std::string token_;
  int starts_ = 0, kills_ = 0;
};

TEST_F(CrashTest, FiftySigkillsDuringRunsThenEverythingConverges) {
  std::uint64_t seed = 20261125;
  if (const char* s = std::getenv("FEDIHOST_CRASH_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("FEDIHOST_CRASH_SEED=" + std::to_string(seed));
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };

  startServer();
  auto org = client_->request("POST", "/api/v1/organisations", R"({"name": "riverside", "displayName": "Riverside"})",
                              {{"x-request-id", "crash-org"}});
  ASSERT_EQ(org.status, 201) << org.body;
  requests_["crash-org"] = 201;
  auto orgId = std::string(json::parse(org.body).at("id").as_string());
  const std::vector<std::vector<std::string>> appSets{
      {"mastodon"}, {"mastodon", "pixelfed"}, {"peertube"}, {"nextcloud", "hedgedoc"}, {"forgejo", "matrix"}};
  auto appsJson = [&](int k) {
    json::array apps;
    for (auto& a : appSets[static_cast<std::size_t>(k)]) apps.push_back(json::object{{"app", a}});
    return apps;
  };
  std::vector<std::string> ids;
  for (int i = 0; i < 24; ++i) {
    json::object body{{"name", "d" + std::to_string(i)},
                      {"domain", "d" + std::to_string(i) + ".example.test"},
                      {"apps", appsJson(pick(static_cast<int>(appSets.size())))}};
    auto rid = "crash-dep-" + std::to_string(i);
    auto r = client_->request("POST", "/api/v1/organisations/" + orgId + "/deployments", json::serialize(body),
                              {{"x-request-id", rid}});
    ASSERT_EQ(r.status, 201) << r.body;
    requests_[rid] = 201;
    ids.push_back(std::string(json::parse(r.body).at("id").as_string()));
  }

  std::set<std::string> deleted;
  while (kills_ < 50) {
    if (!server_) startServer();
    // A burst of requests: applies, edits then applies, and a few deletes.
    int requests = 1 + pick(6);
    for (int i = 0; i < requests; ++i) {
      const auto& id = ids[static_cast<std::size_t>(pick(static_cast<int>(ids.size())))];
      if (deleted.count(id)) continue;
      int what = pick(20);
      if (what == 0) {
        if (call("DELETE", "/api/v1/deployments/" + id) == 202) deleted.insert(id);
      } else if (what < 4) {
        auto r = client_->get("/api/v1/deployments/" + id);
        if (r.status != 200) continue;
        auto etag = r.headers["etag"];
        json::object body{{"apps", appsJson(pick(static_cast<int>(appSets.size())))}};
        call("PATCH", "/api/v1/deployments/" + id, json::serialize(body), {{"If-Match", etag}});
        call("POST", "/api/v1/deployments/" + id + "/apply");
      } else {
        call("POST", "/api/v1/deployments/" + id + "/apply");
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(pick(250)));
    kill9();
  }

  // The last start: resumed runs finish; then every live deployment is applied until nothing is left to do.
  startServer();
  auto settled = [&] {
    for (auto& id : ids) {
      auto d = get("/api/v1/deployments/" + id);
      auto status = std::string(d.at("status").as_string());
      if (status == "applying" || status == "deleting") return false;
    }
    return true;
  };
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 3000 && !settled(); ++i) std::this_thread::sleep_for(20ms);
    ASSERT_TRUE(settled()) << "runs did not finish after the last restart";
    bool pending = false;
    for (auto& id : ids) {
      auto d = get("/api/v1/deployments/" + id);
      auto status = std::string(d.at("status").as_string());
      if (status == "deleted") continue;
      if (deleted.count(id)) {  // a delete that was refused or failed: ask again
        pending = true;
        call("DELETE", "/api/v1/deployments/" + id);
        continue;
      }
      auto plan = get("/api/v1/deployments/" + id + "/plan");
      if (!plan.at("empty").as_bool() || status != "ready") {
        pending = true;
        call("POST", "/api/v1/deployments/" + id + "/apply");
      }
    }
    if (!pending) break;
  }
  server_.reset();  // SIGTERM: a clean stop before looking at the data directory

  // desired = recorded = on disk; no duplicate, no orphan.
  orchestrator::DataDir dir{data()};
  auto conn = store::connect(dir.stateUrl());
  store::StateStore state(*conn);
  orchestrator::Orchestrator o(dir, 1);
  std::set<std::string> addresses;
  int live = 0;
  for (auto& id : ids) {
    auto d = state.getDeployment(id).value();
    if (deleted.count(id)) {
      EXPECT_EQ(d.status, DeploymentStatus::Deleted) << id;
      EXPECT_TRUE(state.recordedResources(id).empty()) << id;
      if (fs::exists(o.deploymentPath(id))) {
        std::string left;
        for (auto& e : fs::recursive_directory_iterator(o.deploymentPath(id))) left += " " + e.path().string();
        ADD_FAILURE() << id << " was deleted but its directory holds:" << left;
      }
      continue;
    }
    ++live;
    EXPECT_EQ(d.status, DeploymentStatus::Ready) << id;
    EXPECT_TRUE(o.planFor(state, d).empty()) << id << ": desired and recorded differ";
    auto report = o.refresh(state, id).value();
    EXPECT_TRUE(report.drift.empty()) << id << ": " << report.drift.front().key << " " << report.drift.front().detail;
    EXPECT_TRUE(report.errors.empty()) << id << ": " << report.errors.front();
    EXPECT_EQ(report.checked, static_cast<int>(state.recordedResources(id).size()));
    // One IP address per deployment, never shared: nothing was allocated twice.
    int ipFiles = 0;
    for (auto& e : fs::directory_iterator(o.deploymentPath(id) / "ip")) ipFiles += e.path().extension() == ".json";
    EXPECT_EQ(ipFiles, 1) << id;
    auto ip = state.recordedResource(id + "/ip-address/main");
    ASSERT_TRUE(ip.has_value()) << id;
    EXPECT_TRUE(addresses.insert(std::string(ip->outputs.at("address").as_string())).second)
        << id << " got an address already given to another deployment";
  }
  // The outbox: after the final shipping nothing is left in it, every applied step has
  // exactly one lifecycle event, every orchestrator action and accepted request one audit row.
  {
    store::ShipperConfig sc{dir.stateUrl(), dir.accountingUrl(), dir.auditHeadFile(), dir.auditKeyFile()};
    store::Shipper shipper(sc);
    shipper.shipNow();
    EXPECT_EQ(store::outboxBacklog(*conn), 0);
  }
  auto accConn = store::connect(dir.accountingUrl());
  int appliedSteps = 0, runs = 0;
  for (auto& id : ids) {
    for (auto& run : state.listRuns(id, 200, "").items) {
      ++runs;
      auto full = state.getRun(run.id, true).value();
      for (auto& step : full.steps) {
        if (step.status != StepStatus::Succeeded || step.action == ActionKind::Noop) continue;
        ++appliedSteps;
        auto eventId = run.id + "/" + std::to_string(step.seq);
        EXPECT_EQ(accConn->queryOne("SELECT count(*) FROM resource_events WHERE event_id = ?1", {eventId})->integer(0), 1)
            << "lifecycle event of " << eventId;
        EXPECT_EQ(accConn->queryOne("SELECT count(*) FROM audit_log WHERE event_id = ?1", {"run/" + run.id + "/step/" + std::to_string(step.seq)})->integer(0),
                  1)
            << "audit row of step " << eventId;
      }
      if (full.status == RunStatus::Succeeded || full.status == RunStatus::Failed || full.status == RunStatus::Cancelled) {
        EXPECT_EQ(accConn->queryOne("SELECT count(*) FROM audit_log WHERE event_id = ?1",
                                    {"run/" + run.id + "/finished"})->integer(0), 1) << run.id;
      }
    }
  }
  EXPECT_EQ(accConn->queryOne("SELECT count(*) FROM resource_events")->integer(0), appliedSteps)
      << "a lifecycle event without an applied step";
  int accepted = 0, unanswered = 0;
  for (auto& [rid, status] : requests_) {
    auto rows = accConn->query("SELECT status FROM audit_log WHERE request_id = ?1", {rid});
    if (status >= 200 && status < 300) {
      ++accepted;
      EXPECT_EQ(rows.size(), 1u) << "request " << rid << " answered " << status;
      if (rows.size() == 1) {
        EXPECT_EQ(rows[0].integer(0), status) << rid;
      }
    } else {
      EXPECT_LE(rows.size(), 1u) << "request " << rid;
      unanswered += status == 0;
    }
  }
  auto verify = testing::run(std::string(FEDIHOST_BIN) + " audit verify --data " + data());
  EXPECT_EQ(verify.exitCode, 0) << verify.output;

  auto scan = o.findOrphans(state);
  EXPECT_TRUE(scan.failures.empty()) << scan.failures.size() << " providers could not list";
  auto& orphans = scan.orphans;
  EXPECT_TRUE(orphans.empty()) << orphans.size() << " orphans, e.g. " << orphans.front().key << " ("
                               << orphans.front().reason << ")";
  EXPECT_GE(kills_, 50);
  std::cout << "[ crash    ] seed " << seed << ": " << kills_ << " SIGKILLs, " << starts_ << " starts, " << live
            << " live and " << deleted.size() << " deleted deployments converged; " << runs << " runs, "
            << appliedSteps << " applied steps, " << accepted << " accepted and " << unanswered
            << " unanswered requests, each recorded once\n";
}

}  // namespace
}  // namespace fedihost
