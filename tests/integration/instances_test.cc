// Several instances on one PostgreSQL: two `fedihost serve` processes share the state
// and accounting databases (and a file target's directory, as real instances share the
// providers). 100 deployments are applied and edited through both while one of them is
// SIGKILLed at seeded random moments (FEDIHOST_INSTANCES_SEED replays a sequence) and
// restarted each time; the other keeps answering. At the end every deployment has
// converged, no run is stuck, nothing was created twice, every applied step has one
// lifecycle event, and the journal names the instance that did each step.
// PostgreSQL only (label pg): SQLite is one process's alone, under the data directory's lock.
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
#include "store/instance_store.hh"
#include "store/outbox.hh"
#include "store/state_store.hh"
#include "support/process.hh"
#include "support/temp_dir.hh"
#include "support/test_databases.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

/// One `fedihost serve` of the pair, on its own data directory.
struct Instance {
  std::string name;
  fs::path data;
  std::unique_ptr<testing::Process> process;
  std::unique_ptr<client::Client> client;
  int starts = 0;
};

class InstancesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::usingPostgresql()) GTEST_SKIP() << "several instances need PostgreSQL (ctest -L pg)";
    dbs_ = std::make_unique<testing::TestDatabases>(tmp_.path());
    std::ofstream(tmp_ / "password") << "a long enough password\n";
    a_.name = "a";
    b_.name = "b";
    a_.data = tmp_ / "a";
    b_.data = tmp_ / "b";
    auto init = testing::run(std::string(FEDIHOST_BIN) + " init --data " + a_.data.string() + " --state '" +
                             dbs_->state.url() + "' --accounting '" + dbs_->accounting.url() +
                             "' --email admin@example.test --password-file " + (tmp_ / "password").string());
    ASSERT_EQ(init.exitCode, 0) << init.output;
    // The second instance: its own data directory, the same master key (one file here, created by the
    // first start) and the same file target directory.
    fs::create_directories(b_.data);
    fs::permissions(b_.data, fs::perms::owner_all);
    fs::create_directories(tmp_ / "shared" / "local");
    for (auto* i : {&a_, &b_}) {
      fs::create_directories(i->data / "targets");
      fs::create_directory_symlink(tmp_ / "shared" / "local", i->data / "targets" / "local");
    }
  }

  void start(Instance& i) {
    auto portFile = tmp_ / ("port-" + i.name);
    fs::remove(portFile);
    i.process = std::make_unique<testing::Process>(
        std::vector<std::string>{FEDIHOST_BIN, "serve", "--data", i.data.string(), "--state", dbs_->state.url(),
                                 "--accounting", dbs_->accounting.url(), "--listen", "127.0.0.1:0", "--port-file",
                                 portFile.string(), "--web", (tmp_ / "no-panel").string(), "--workers", "2",
                                 "--lease", "2", "--refresh-interval", "0", "--master-key-file", masterKey().string()},
        (tmp_ / ("serve-" + i.name + "-" + std::to_string(i.starts++) + ".log")).string());
    for (int k = 0; k < 1500 && !fs::exists(portFile); ++k) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(fs::exists(portFile)) << "instance " << i.name << " did not start";
    std::string port;
    std::ifstream(portFile) >> port;
    i.client = std::make_unique<client::Client>("http://127.0.0.1:" + port, token_);
    if (token_.empty()) {
      auto r = i.client->post("/api/v1/auth/login",
                              R"({"email": "admin@example.test", "password": "a long enough password"})");
      ASSERT_EQ(r.status, 200) << r.body;
      token_ = std::string(json::parse(r.body).at("token").as_string());
      i.client->setToken(token_);
    }
  }

  fs::path masterKey() const { return tmp_ / "master.key"; }

  void kill9(Instance& i) {
    ::kill(i.process->pid(), SIGKILL);
    i.process->stop();  // reaps it
    i.process.reset();
    ++kills_;
  }

  /// A request that may meet a dying instance: 0 when it got no answer.
  long call(Instance& i, const std::string& method, const std::string& path, const std::string& body = {},
            std::map<std::string, std::string> headers = {}) {
    try {
      return i.client->request(method, path, body, headers).status;
    } catch (const client::TransportError&) {
      return 0;
    }
  }

  json::value get(Instance& i, const std::string& path) {
    auto r = i.client->get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body);
  }

  testing::TempDir tmp_{"fedihost-instances"};
  std::unique_ptr<testing::TestDatabases> dbs_;
  Instance a_, b_;
  std::string token_;
  int kills_ = 0;
};

TEST_F(InstancesTest, TwoInstancesShareTheWorkAndOneSurvivesTwentySigkillsOfTheOther) {
  std::uint64_t seed = 20261207;
  if (const char* s = std::getenv("FEDIHOST_INSTANCES_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("FEDIHOST_INSTANCES_SEED=" + std::to_string(seed));
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };

  start(a_);
  start(b_);
  auto org = a_.client->post("/api/v1/organisations", R"({"name": "riverside", "displayName": "Riverside"})");
  ASSERT_EQ(org.status, 201) << org.body;
  auto orgId = std::string(json::parse(org.body).at("id").as_string());
  const std::vector<std::vector<std::string>> appSets{{"mastodon"}, {"peertube"}, {"nextcloud", "hedgedoc"}};
  auto appsJson = [&](int k) {
    json::array apps;
    for (auto& app : appSets[static_cast<std::size_t>(k)]) apps.push_back(json::object{{"app", app}});
    return apps;
  };
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    json::object body{{"name", "d" + std::to_string(i)},
                      {"domain", "d" + std::to_string(i) + ".example.test"},
                      {"apps", appsJson(pick(static_cast<int>(appSets.size())))}};
    auto& via = i % 2 ? a_ : b_;
    auto r = via.client->post("/api/v1/organisations/" + orgId + "/deployments", json::serialize(body));
    ASSERT_EQ(r.status, 201) << r.body;
    ids.push_back(std::string(json::parse(r.body).at("id").as_string()));
  }
  // Every deployment applied, half through each instance.
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto& via = i % 2 ? a_ : b_;
    ASSERT_EQ(call(via, "POST", "/api/v1/deployments/" + ids[i] + "/apply"), 202);
  }

  int answeredBySurvivor = 0, askedOfSurvivor = 0;
  while (kills_ < 20) {
    if (!b_.process) start(b_);
    // A burst of edits and applies through either instance, then B dies at a random moment.
    int requests = 2 + pick(6);
    for (int k = 0; k < requests; ++k) {
      const auto& id = ids[static_cast<std::size_t>(pick(static_cast<int>(ids.size())))];
      auto& via = pick(2) ? a_ : b_;
      auto r = via.client->get("/api/v1/deployments/" + id);
      if (r.status != 200) continue;
      auto etag = r.headers["etag"];
      json::object body{{"apps", appsJson(pick(static_cast<int>(appSets.size())))}};
      call(via, "PATCH", "/api/v1/deployments/" + id, json::serialize(body), {{"If-Match", etag}});
      auto status = call(via, "POST", "/api/v1/deployments/" + id + "/apply");
      if (&via == &a_) {
        ++askedOfSurvivor;
        answeredBySurvivor += status != 0;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + pick(400)));
    kill9(b_);
    // The survivor keeps answering while the other is down.
    ++askedOfSurvivor;
    answeredBySurvivor += call(a_, "GET", "/api/v1/instances") == 200;
  }
  EXPECT_EQ(answeredBySurvivor, askedOfSurvivor) << "the surviving instance stopped answering";

  // B comes back; the runs of its killed predecessors go back to the pool once their lease has run
  // out, and are resumed by A or B. Then every deployment is applied until nothing is left to do.
  start(b_);
  auto settled = [&] {
    for (auto& id : ids) {
      auto status = std::string(get(a_, "/api/v1/deployments/" + id).at("status").as_string());
      if (status == "applying") return false;
    }
    return true;
  };
  for (int round = 0; round < 6; ++round) {
    for (int k = 0; k < 600 && !settled(); ++k) std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(settled()) << "runs did not finish after the last restart";
    bool pending = false;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto& via = i % 2 ? a_ : b_;
      auto status = std::string(get(via, "/api/v1/deployments/" + ids[i]).at("status").as_string());
      auto plan = get(via, "/api/v1/deployments/" + ids[i] + "/plan");
      if (!plan.at("empty").as_bool() || status != "ready") {
        pending = true;
        call(via, "POST", "/api/v1/deployments/" + ids[i] + "/apply");
      }
    }
    if (!pending) break;
  }

  // The instances as operators see them: A and the last B alive, every killed B stopped, taken over.
  json::array listed;
  for (int k = 0; k < 100; ++k) {  // the last one killed is taken for dead once its lease has run out
    listed = get(a_, "/api/v1/instances").at("items").as_array();
    bool late = false;
    for (auto& v : listed) late = late || v.at("state") == "late";
    if (!late) break;
    std::this_thread::sleep_for(100ms);
  }
  int alive = 0, reaped = 0;
  std::set<std::string> instanceIds;
  for (auto& v : listed) {
    auto& i = v.as_object();
    instanceIds.insert(std::string(i.at("id").as_string()));
    auto state = std::string(i.at("state").as_string());
    alive += state == "alive";
    if (state == "stopped" && i.at("stopReason").is_string() &&
        std::string(i.at("stopReason").as_string()).find("taken over by") != std::string::npos)
      ++reaped;
  }
  EXPECT_EQ(alive, 2);
  EXPECT_EQ(reaped, 20) << "each killed instance was taken for dead once its lease ran out";

  b_.process.reset();  // SIGTERM: clean stops before looking at the databases
  a_.process.reset();

  orchestrator::DataDir dir{a_.data, masterKey()};
  dir.state = dbs_->state.url();
  dir.accounting = dbs_->accounting.url();
  auto conn = store::connect(dir.stateUrl());
  store::StateStore state(*conn);
  orchestrator::Orchestrator o(dir, 1);
  std::set<std::string> addresses, stepInstances;
  int appliedSteps = 0, runs = 0;
  auto accConn = store::connect(dir.accountingUrl());
  for (auto& id : ids) {
    auto d = state.getDeployment(id).value();
    EXPECT_EQ(d.status, DeploymentStatus::Ready) << id;
    EXPECT_TRUE(o.planFor(state, d).empty()) << id << ": desired and recorded differ";
    auto report = o.refresh(state, id).value();
    EXPECT_TRUE(report.drift.empty()) << id;
    EXPECT_TRUE(report.errors.empty()) << id;
    // One IP address per deployment, never shared: nothing was allocated twice.
    int ipFiles = 0;
    for (auto& e : fs::directory_iterator(o.deploymentPath(id) / "ip")) ipFiles += e.path().extension() == ".json";
    EXPECT_EQ(ipFiles, 1) << id;
    auto ip = state.recordedResource(id + "/ip-address/main");
    ASSERT_TRUE(ip.has_value()) << id;
    EXPECT_TRUE(addresses.insert(std::string(ip->outputs.at("address").as_string())).second) << id;
    for (auto& run : state.listRuns(id, 200, "").items) {
      ++runs;
      auto full = state.getRun(run.id, true).value();
      EXPECT_TRUE(full.status != RunStatus::Queued && full.status != RunStatus::Running) << run.id << " is stuck";
      for (auto& step : full.steps) {
        if (step.status != StepStatus::Succeeded || step.action == ActionKind::Noop) continue;
        ++appliedSteps;
        EXPECT_TRUE(instanceIds.count(step.instance)) << run.id << "/" << step.seq << " names no known instance";
        stepInstances.insert(step.instance);
        auto eventId = run.id + "/" + std::to_string(step.seq);
        EXPECT_EQ(accConn->queryOne("SELECT count(*) FROM resource_events WHERE event_id = ?1", {eventId})->integer(0), 1)
            << "lifecycle event of " << eventId;
      }
    }
  }
  {
    store::ShipperConfig sc{dir.stateUrl(), dir.accountingUrl(), dir.auditHeadFile(), dir.auditKeyFile()};
    store::Shipper shipper(sc);
    shipper.shipNow();
    EXPECT_EQ(store::outboxBacklog(*conn), 0);
  }
  EXPECT_EQ(accConn->queryOne("SELECT count(*) FROM resource_events")->integer(0), appliedSteps)
      << "a lifecycle event without an applied step";
  EXPECT_GE(stepInstances.size(), 3u) << "the work was shared: A and several lives of B did steps";
  auto scan = o.findOrphans(state);
  EXPECT_TRUE(scan.failures.empty());
  EXPECT_TRUE(scan.orphans.empty()) << scan.orphans.size() << " orphans";
  std::cout << "[ instances ] seed " << seed << ": " << kills_ << " SIGKILLs of one of two instances; " << ids.size()
            << " deployments converged; " << runs << " runs, " << appliedSteps << " applied steps done by "
            << stepInstances.size() << " instance lives, each once\n";
}

}  // namespace
}  // namespace fedihost
