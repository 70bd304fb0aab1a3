// The orchestrator engine under stress: parallel steps within limits, retries
// of retryable errors with the count in the journal, permanent errors, cancel,
// drift, saved plans, orphans, and convergence with 20 % of calls failing.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <fstream>
#include <thread>

#include "catalog/catalog.hh"
#include "core/clock.hh"
#include "orchestrator/orchestrator.hh"
#include "nixos/render.hh"
#include "providers/faults/fault_injecting.hh"
#include "providers/file/file_providers.hh"
#include "store/state_store.hh"
#include "support/targets.hh"
#include "support/temp_dir.hh"

namespace fedihost::orchestrator {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A DNS provider (the kind with the most resources per deployment) that
/// delegates to the file one and measures how many calls are in flight; it can
/// be slowed down, and told to fail its next calls.
struct Probe {
  std::atomic<int> inFlight{0}, maxInFlight{0}, calls{0}, finished{0};
  std::atomic<int> failNext{0};
  std::atomic<bool> failList{false};
  /// While set, read() blocks until it is cleared (a refresh held in flight).
  std::atomic<bool> holdReads{false};
  std::atomic<int> readsHeld{0};
  ErrorKind failKind = ErrorKind::Unavailable;
  std::chrono::milliseconds delay{0};
  /// When > 0, calls wait (up to 10 s) until this many are in flight at once, then the latch opens
  /// for good: parallelism shown without depending on how fast the machine starts threads.
  int rendezvous = 0;
  std::chrono::milliseconds rendezvousWait{10000};  ///< how long a call waits for the others
  std::atomic<bool> met{false};
  /// Reads are counted (calls, in flight) and wait at the rendezvous like changes.
  std::atomic<bool> countReads{false};
};
Probe& probe() {
  static Probe p;
  return p;
}

class ProbeDns final : public providers::DnsProvider {
 public:
  explicit ProbeDns(const providers::ProviderConfig& c) : inner_(providers::file::makeDnsProvider(c)) {}
  std::string implementation() const override { return "probe"; }
  Result<providers::Observed> create(const providers::ResolvedResource& r) override {
    return around([&] { return inner_->create(r); });
  }
  Result<providers::Observed> read(const providers::ResolvedResource& r) override {
    auto& p = probe();
    if (p.holdReads) {
      ++p.readsHeld;
      while (p.holdReads) std::this_thread::sleep_for(1ms);
    }
    if (p.countReads) return around([&] { return inner_->read(r); });
    return inner_->read(r);
  }
  Result<providers::Observed> update(const providers::ResolvedResource& r) override {
    return around([&] { return inner_->update(r); });
  }
  Result<void> remove(const providers::ResolvedResource& r) override { return inner_->remove(r); }
  Result<std::vector<std::string>> list(std::string_view d) override {
    if (probe().failList) return Error{ErrorKind::Unavailable, "503: the DNS API is down", {}};
    return inner_->list(d);
  }

 private:
  template <class F>
  auto around(F f) -> decltype(f()) {
    auto& p = probe();
    ++p.calls;
    int now = ++p.inFlight;
    int seen = p.maxInFlight.load();
    while (now > seen && !p.maxInFlight.compare_exchange_weak(seen, now)) {
    }
    if (p.rendezvous > 0) {
      if (now >= p.rendezvous) p.met = true;
      for (auto until = std::chrono::steady_clock::now() + p.rendezvousWait;
           !p.met && std::chrono::steady_clock::now() < until;)
        std::this_thread::sleep_for(1ms);
    }
    std::this_thread::sleep_for(p.delay);
    --p.inFlight;
    struct Finished {
      ~Finished() { ++probe().finished; }
    } finished;
    if (p.failNext.load() > 0 && p.failNext.fetch_sub(1) > 0)
      return Error{p.failKind, p.failKind == ErrorKind::Unavailable ? "503 busy" : "422 refused: bad record", {}};
    return f();
  }
  std::unique_ptr<providers::DnsProvider> inner_;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    providers::registerBuiltinProviders();
    providers::Registry<providers::DnsProvider>::instance().add(
        "probe", [](const providers::ProviderConfig& c) { return std::make_unique<ProbeDns>(c); });
    auto& p = probe();
    p.inFlight = 0;
    p.maxInFlight = 0;
    p.calls = 0;
    p.finished = 0;
    p.failNext = 0;
    p.failList = false;
    p.holdReads = false;
    p.readsHeld = 0;
    p.failKind = ErrorKind::Unavailable;
    p.delay = 0ms;
    p.rendezvous = 0;
    p.rendezvousWait = 10s;
    p.met = false;
    p.countReads = false;
    dir_.root = tmp_.path() / "var";
    prepareDataDir(dir_);
    conn_ = store::connect(dir_.stateUrl());
    state_ = std::make_unique<store::StateStore>(*conn_);
    org_ = state_->createOrganisation("Riverside", "").value().id;
  }

  /// Writes targets/<name>.json as given.
  void writeTargetFile(const std::string& name, const std::string& json) {
    fs::create_directories(dir_.targetConfigDir());
    std::ofstream(dir_.targetConfigDir() / (name + ".json")) << json;
  }
  /// Writes targets/<name>.json, naming "file" for every kind `json` leaves out.
  void writeTarget(const std::string& name, const std::string& json) {
    auto config = boost::json::parse(json).as_object();
    auto* named = config.if_contains("providers");
    config["providers"] = testing::withFileProviders(named ? named->as_object() : boost::json::object{});
    writeTargetFile(name, boost::json::serialize(config));
  }

  Deployment deployment(const std::string& name, const std::string& target = "local",
                        std::vector<std::string> apps = {"mastodon", "pixelfed"}) {
    Deployment d;
    d.organisation = org_;
    d.name = name;
    d.domain = name + ".example.test";
    d.target = target;
    for (auto& app : apps)
      d.apps.push_back({app, catalog::validateSettings(*catalog::find(app), boost::json::value(), "s").value(), {}, 0});
    return state_->createDeployment(d, nixos::publishedHosts(d)).value();
  }

  fedihost::Run run(const std::string& id) { return state_->getRun(id, true).value(); }
  Deployment fresh(const Deployment& d) { return state_->getDeployment(d.id).value(); }

  static OrchestratorOptions fast(int workers = 2, int steps = 8) {
    OrchestratorOptions o;
    o.workers = workers;
    o.maxParallelSteps = steps;
    o.retry.base = 1ms;
    o.retry.cap = 5ms;
    o.jitterSeed = 42;
    return o;
  }

  testing::TempDir tmp_;
  DataDir dir_;
  std::unique_ptr<store::Connection> conn_;
  std::unique_ptr<store::StateStore> state_;
  std::string org_;
};

TEST_F(EngineTest, StepsRunInParallelWithinTheProvidersLimit) {
  writeTarget("probe", R"({"name": "probe", "providers": {"dns-record-set": {"implementation": "probe", "parallelism": 3}}})");
  probe().delay = 30ms;
  probe().rendezvous = 3;  // the first calls wait for each other: three must be in flight together
  auto d = deployment("social", "probe", {"mastodon", "pixelfed", "peertube", "matrix", "owncast"});
  Orchestrator o(dir_, fast(1, 8));
  o.start();
  auto r = o.apply(*state_, d).value();
  o.waitIdle();
  EXPECT_EQ(run(r.id).status, RunStatus::Succeeded) << run(r.id).error;
  EXPECT_GE(probe().calls.load(), 6);
  EXPECT_EQ(probe().maxInFlight.load(), 3) << "independent DNS record sets run side by side, three at most";
}

// Refresh jobs read within the provider's limit, as the executor's steps do (ProviderSlots): with a
// limit of one and two job workers, two refreshes never read the DNS provider at once. Each read
// waits a moment for a second one to join it, so without the shared limit they overlap.
TEST_F(EngineTest, RefreshesReadWithinTheProvidersLimit) {
  writeTarget("probe", R"({"name": "probe", "providers": {"dns-record-set": {"implementation": "probe", "parallelism": 1}}})");
  auto a = deployment("social", "probe");
  auto b = deployment("video", "probe");
  Orchestrator o(dir_, fast(1, 8));
  o.start();
  for (auto* d : {&a, &b}) {
    auto r = o.apply(*state_, *d).value();
    o.waitIdle();
    ASSERT_EQ(run(r.id).status, RunStatus::Succeeded) << run(r.id).error;
  }
  probe().maxInFlight = 0;
  probe().calls = 0;
  probe().countReads = true;
  probe().rendezvous = 2;
  probe().rendezvousWait = 50ms;
  auto ja = o.startRefresh(*state_, a.id, "");
  auto jb = o.startRefresh(*state_, b.id, "");
  ASSERT_TRUE(ja) << ja.error().message;
  ASSERT_TRUE(jb) << jb.error().message;
  o.waitIdle();
  EXPECT_GE(probe().calls.load(), 2) << "both refreshes read their DNS record sets";
  EXPECT_EQ(probe().maxInFlight.load(), 1) << "a refresh read while another held the provider's only slot";
}

TEST_F(EngineTest, AProviderLimitOfOneSerialisesItsCalls) {
  writeTarget("probe", R"({"name": "probe", "providers": {"dns-record-set": {"implementation": "probe", "parallelism": 1}}})");
  probe().delay = 5ms;
  auto d = deployment("social", "probe");
  Orchestrator o(dir_, fast(1, 8));
  o.start();
  auto r = o.apply(*state_, d).value();
  o.waitIdle();
  EXPECT_EQ(run(r.id).status, RunStatus::Succeeded);
  EXPECT_EQ(probe().maxInFlight.load(), 1);
}

TEST_F(EngineTest, RetryableErrorsAreRetriedAndCountedInTheJournal) {
  writeTarget("probe", R"({"name": "probe", "providers": {"dns-record-set": {"implementation": "probe", "parallelism": 1}}})");
  probe().failNext = 2;  // the first two DNS calls answer "503 busy"
  auto d = deployment("social", "probe");
  Orchestrator o(dir_, fast(1, 1));
  o.start();
  auto r = o.apply(*state_, d).value();
  o.waitIdle();
  auto done = run(r.id);
  EXPECT_EQ(done.status, RunStatus::Succeeded) << done.error;
  int retried = 0;
  for (auto& s : done.steps) {
    EXPECT_EQ(s.status, StepStatus::Succeeded);
    if (s.attempts > 1) {
      ++retried;
      EXPECT_EQ(s.attempts, 3) << s.resourceKey;
      EXPECT_EQ(s.error, "");
    }
  }
  EXPECT_EQ(retried, 1);
}

TEST_F(EngineTest, RetriesStopAtTheLimitWithTheProvidersMessage) {
  writeTarget("probe", R"({"name": "probe", "providers": {"dns-record-set": {"implementation": "probe", "parallelism": 1}}})");
  probe().failNext = 1000;
  auto d = deployment("social", "probe", {"mastodon"});
  auto opts = fast(1, 1);
  opts.retry.maxAttempts = 4;
  Orchestrator o(dir_, opts);
  o.start();
  auto r = o.apply(*state_, d).value();
  o.waitIdle();
  auto done = run(r.id);
  EXPECT_EQ(done.status, RunStatus::Failed);
  bool sawDnsFailure = false, sawSkippedConfig = false, sawDatabase = false;
  for (auto& s : done.steps) {
    if (s.kind == ResourceKind::DnsRecordSet && s.status == StepStatus::Failed) {
      sawDnsFailure = true;
      EXPECT_EQ(s.attempts, 4);
      EXPECT_NE(s.error.find("503 busy"), std::string::npos) << s.error;
      EXPECT_NE(s.error.find("after 4 attempts"), std::string::npos) << s.error;
    }
    if (s.kind == ResourceKind::NixosConfig) sawSkippedConfig = s.status == StepStatus::Skipped;
    if (s.kind == ResourceKind::Database) sawDatabase = s.status == StepStatus::Succeeded;
  }
  EXPECT_TRUE(sawDnsFailure);
  EXPECT_TRUE(sawSkippedConfig) << "what depends on a failed step is skipped";
  EXPECT_TRUE(sawDatabase) << "what does not depend on it goes on";
}

TEST_F(EngineTest, APermanentErrorIsNotRetried) {
  writeTarget("probe", R"({"name": "probe", "providers": {"dns-record-set": {"implementation": "probe", "parallelism": 1}}})");
  probe().failNext = 1;
  probe().failKind = ErrorKind::Provider;
  auto d = deployment("social", "probe", {"mastodon"});
  Orchestrator o(dir_, fast(1, 1));
  o.start();
  auto r = o.apply(*state_, d).value();
  o.waitIdle();
  auto done = run(r.id);
  EXPECT_EQ(done.status, RunStatus::Failed);
  int failed = 0;
  for (auto& s : done.steps)
    if (s.status == StepStatus::Failed) {
      ++failed;
      EXPECT_EQ(s.attempts, 1);
      EXPECT_EQ(s.error, "422 refused: bad record");
    }
  EXPECT_EQ(failed, 1);
}

TEST_F(EngineTest, ACancelledRunStopsStartingStepsAndEndsCancelled) {
  writeTarget("probe", R"({"name": "probe", "providers": {"dns-record-set": {"implementation": "probe", "parallelism": 1}}})");
  probe().delay = 100ms;
  auto d = deployment("social", "probe", {"mastodon", "pixelfed", "peertube"});
  Orchestrator o(dir_, fast(1, 1));
  o.start();
  auto r = o.apply(*state_, d).value();
  while (probe().calls.load() == 0) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(o.cancel(*state_, r.id).ok());
  o.waitIdle();
  auto done = run(r.id);
  EXPECT_EQ(done.status, RunStatus::Cancelled);
  int skipped = 0;
  for (auto& s : done.steps)
    if (s.status == StepStatus::Skipped && s.error.find("cancelled") != std::string::npos) ++skipped;
  EXPECT_GT(skipped, 0);
  EXPECT_LT(probe().calls.load(), 6) << "no new DNS call after the cancel";
  // A cancelled run cannot be cancelled again, and the next apply finishes the job.
  auto again = o.cancel(*state_, r.id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::Conflict);
  probe().delay = 0ms;
  auto next = o.apply(*state_, fresh(d)).value();
  o.waitIdle();
  EXPECT_EQ(run(next.id).status, RunStatus::Succeeded);
  EXPECT_TRUE(o.planFor(*state_, fresh(d)).empty());
}

TEST_F(EngineTest, RefreshFindsChangedAndVanishedResourcesAndApplyRepairsThem) {
  auto d = deployment("social");
  Orchestrator o(dir_, fast());
  o.start();
  o.apply(*state_, d).value();
  o.waitIdle();
  auto clean = o.refresh(*state_, d.id).value();
  EXPECT_GT(clean.checked, 10);
  EXPECT_TRUE(clean.drift.empty()) << clean.drift.front().key << ": " << clean.drift.front().detail;

  // Out of band: a bucket manifest vanishes, and a database manifest is edited.
  auto path = o.deploymentPath(d.id);
  int removed = 0;
  for (auto& e : fs::directory_iterator(path / "buckets")) {
    fs::remove(e.path());
    ++removed;
    break;
  }
  ASSERT_EQ(removed, 1);
  fs::path dbFile;
  for (auto& e : fs::directory_iterator(path / "databases")) dbFile = e.path();
  std::ifstream in(dbFile);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  in.close();
  auto pos = text.find("\"engine\": \"postgresql\"");
  ASSERT_NE(pos, std::string::npos) << text;
  text.replace(pos, 22, "\"engine\": \"mysql\"     ");
  std::ofstream(dbFile) << text;

  auto report = o.refresh(*state_, d.id).value();
  ASSERT_EQ(report.drift.size(), 2u);
  int missing = 0, changed = 0;
  for (auto& dr : report.drift) {
    if (dr.status == DriftStatus::Missing) {
      ++missing;
      EXPECT_EQ(dr.key.find(d.id + "/bucket/"), 0u);
    }
    if (dr.status == DriftStatus::Changed) {
      ++changed;
      EXPECT_NE(dr.detail.find("engine"), std::string::npos);
    }
  }
  EXPECT_EQ(missing, 1);
  EXPECT_EQ(changed, 1);
  EXPECT_EQ(state_->drift(d.id).size(), 2u);
  EXPECT_FALSE(state_->refreshedAt(d.id).empty());

  auto p = o.planFor(*state_, fresh(d));
  std::vector<std::string> reasons;
  for (auto& a : p.actions)
    if (a.action != ActionKind::Noop) reasons.push_back(a.reason);
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "missing at provider"), reasons.end());
  EXPECT_NE(std::find_if(reasons.begin(), reasons.end(),
                         [](auto& r) { return r.starts_with("changed at provider: engine"); }),
            reasons.end());

  auto r = o.apply(*state_, fresh(d)).value();
  o.waitIdle();
  EXPECT_EQ(run(r.id).status, RunStatus::Succeeded) << run(r.id).error;
  EXPECT_TRUE(state_->drift(d.id).empty()) << "a successful step clears its drift";
  EXPECT_TRUE(o.refresh(*state_, d.id).value().drift.empty());
  EXPECT_TRUE(o.planFor(*state_, fresh(d)).empty());
}

TEST_F(EngineTest, TheSecretsOfTheNixosConfigurationAreNotComparedByTheirSealedForm) {
  auto d = deployment("social");
  Orchestrator o(dir_, fast());
  o.start();
  o.apply(*state_, d).value();
  o.waitIdle();
  // Sealed again (as a key rotation does): the same secrets, other ciphertexts.
  auto meta = o.deploymentPath(d.id) / "machines" / "main" / "configuration.meta.json";
  std::ifstream in(meta);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  in.close();
  auto doc = boost::json::parse(text).as_object();
  auto& secrets = doc["attributes"].as_object()["secrets"].as_object();
  ASSERT_FALSE(secrets.empty());
  for (auto& kv : secrets) {
    auto& sealed = kv.value().as_object()["sealed"];
    sealed = o.box().seal(o.box().open(std::string(sealed.as_string())).value());
  }
  std::ofstream(meta, std::ios::trunc) << boost::json::serialize(doc);
  auto report = o.refresh(*state_, d.id).value();
  EXPECT_TRUE(report.drift.empty()) << report.drift.front().key << ": " << report.drift.front().detail;
  // A secret no longer delivered is still seen: the object's members are compared by name.
  secrets.erase(secrets.begin());
  std::ofstream(meta, std::ios::trunc) << boost::json::serialize(doc);
  report = o.refresh(*state_, d.id).value();
  ASSERT_EQ(report.drift.size(), 1u);
  EXPECT_EQ(report.drift.front().detail, "secrets differ");
}

TEST_F(EngineTest, ACertificateDueForRenewalIsDriftAndTheNextApplyRenewsIt) {
  struct ClockBack {
    ~ClockBack() { clock::setNowForTesting(); }
  } clockBack;
  auto d = deployment("social");
  Orchestrator o(dir_, fast());
  o.start();
  o.apply(*state_, d).value();
  o.waitIdle();
  const auto key = resourceKey(d.id, ResourceKind::Certificate, "main");
  auto serialOf = [&] {
    for (auto& rec : state_->recordedResources(d.id))
      if (rec.resource.key == key) return std::string(rec.outputs.at("serial").as_string());
    return std::string();
  };
  const auto first = serialOf();
  ASSERT_FALSE(first.empty()) << "one certificate per deployment, with its outputs recorded";
  EXPECT_TRUE(o.refresh(*state_, d.id).value().drift.empty());

  // 61 of the file provider's 90 days later, less than a third of the lifetime is left.
  clock::setNowForTesting(std::chrono::system_clock::now() + std::chrono::hours(24 * 61));
  auto report = o.refresh(*state_, d.id).value();
  ASSERT_EQ(report.drift.size(), 1u);
  EXPECT_EQ(report.drift.front().key, key);
  EXPECT_EQ(report.drift.front().status, DriftStatus::Changed);
  EXPECT_NE(report.drift.front().detail.find("renewal due"), std::string::npos) << report.drift.front().detail;
  auto p = o.planFor(*state_, fresh(d));
  // The certificate is renewed, and the machine's configuration, which names its serial, follows.
  const auto config = resourceKey(d.id, ResourceKind::NixosConfig, "main");
  std::map<std::string, std::string> updates;
  for (auto& a : p.actions)
    if (a.action != ActionKind::Noop) {
      EXPECT_EQ(a.action, ActionKind::Update) << a.resource.key;
      updates[a.resource.key] = a.reason;
    }
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_TRUE(updates[key].starts_with("changed at provider: renewal due")) << updates[key];
  EXPECT_EQ(updates[config], "uses the outputs of " + key + ", which is being updated");

  auto r = o.apply(*state_, fresh(d)).value();
  o.waitIdle();
  EXPECT_EQ(run(r.id).status, RunStatus::Succeeded) << run(r.id).error;
  EXPECT_NE(serialOf(), first) << "renewed";
  EXPECT_TRUE(o.refresh(*state_, d.id).value().drift.empty());
}

TEST_F(EngineTest, ThePeriodicRefreshFindsDriftOnItsOwn) {
  auto d = deployment("social");
  auto opts = fast();
  opts.refreshInterval = std::chrono::seconds(1);
  Orchestrator o(dir_, opts);
  o.start();
  o.apply(*state_, d).value();
  o.waitIdle();
  fs::remove_all(o.deploymentPath(d.id) / "mail");
  for (int i = 0; i < 500 && state_->drift(d.id).empty(); ++i) std::this_thread::sleep_for(10ms);
  auto drift = state_->drift(d.id);
  ASSERT_EQ(drift.size(), 2u) << "both apps' mail accounts are missing";
  EXPECT_EQ(drift.front().status, DriftStatus::Missing);
}

TEST_F(EngineTest, ASavedPlanAppliesOnlyIfNothingChangedSince) {
  auto d = deployment("social");
  Orchestrator o(dir_, fast());
  o.start();
  auto saved = o.savePlan(*state_, d);
  EXPECT_FALSE(saved.actions.empty());
  EXPECT_EQ(state_->getSavedPlan(saved.id)->actions.size(), saved.actions.size());

  // The deployment is edited after the plan was made: refused, saying why.
  auto edited = d;
  edited.apps.pop_back();
  ASSERT_TRUE(state_->updateDeployment(edited, d.version, nixos::publishedHosts(edited)).ok());
  auto stale = o.applySaved(*state_, fresh(d), saved.id);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind, ErrorKind::Conflict);
  EXPECT_NE(stale.error().message.find("version 1 → 2"), std::string::npos) << stale.error().message;

  // A fresh plan applies exactly its actions, once.
  auto plan2 = o.savePlan(*state_, fresh(d));
  auto r = o.applySaved(*state_, fresh(d), plan2.id).value();
  EXPECT_EQ(r.planId, plan2.id);
  o.waitIdle();
  EXPECT_EQ(run(r.id).status, RunStatus::Succeeded);
  EXPECT_EQ(run(r.id).total, static_cast<int>(plan2.actions.size()));
  auto twice = o.applySaved(*state_, fresh(d), plan2.id);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("applied already"), std::string::npos);

  // A plan made before an apply changed the recorded state is stale too.
  auto plan3 = o.savePlan(*state_, fresh(d));
  auto more = fresh(d);
  more.apps.push_back({"peertube", catalog::validateSettings(*catalog::find("peertube"), boost::json::value(), "s").value(), {}, 0});
  ASSERT_TRUE(state_->updateDeployment(more, fresh(d).version, nixos::publishedHosts(more)).ok());
  o.apply(*state_, fresh(d)).value();
  o.waitIdle();
  auto stale3 = o.applySaved(*state_, fresh(d), plan3.id);
  ASSERT_FALSE(stale3.ok());
  EXPECT_NE(stale3.error().message.find("new recorded state"), std::string::npos) << stale3.error().message;
}

TEST_F(EngineTest, OrphansAreFoundByListingTheProviders) {
  auto d = deployment("social");
  Orchestrator o(dir_, fast());
  o.start();
  o.apply(*state_, d).value();
  o.waitIdle();
  EXPECT_TRUE(o.findOrphans(*state_).orphans.empty());
  EXPECT_TRUE(o.findOrphans(*state_).failures.empty());

  // A deployment the state database never heard of left files in the target.
  auto stray = dir_.targetRoot("local") / "dep_stray";
  fs::create_directories(stray);
  fs::copy(o.deploymentPath(d.id) / "buckets", stray / "buckets");
  // And a recorded resource is forgotten while it still exists at the provider.
  auto recorded = state_->recordedResources(d.id);
  auto forgotten = recorded.front().resource.key;
  state_->forgetResource(forgotten);

  auto orphans = o.findOrphans(*state_).orphans;
  bool sawForgotten = false, sawStray = false;
  for (auto& x : orphans) {
    if (x.key == forgotten) sawForgotten = x.reason == "not recorded";
    if (x.deployment == "dep_stray") sawStray = x.reason == "deployment unknown";
  }
  EXPECT_TRUE(sawForgotten);
  EXPECT_TRUE(sawStray);
}

TEST_F(EngineTest, AProviderThatFailsToListIsAFailureOfTheScanNotNoOrphans) {
  writeTarget("probe", R"({"name": "probe", "providers": {"dns-record-set": {"implementation": "probe"}}})");
  auto d = deployment("social", "probe");
  Orchestrator o(dir_, fast());
  o.start();
  o.apply(*state_, d).value();
  o.waitIdle();
  ASSERT_TRUE(o.findOrphans(*state_).failures.empty());
  probe().failList = true;
  auto scan = o.findOrphans(*state_);
  ASSERT_EQ(scan.failures.size(), 1u);
  EXPECT_EQ(scan.failures[0].target, "probe");
  EXPECT_EQ(scan.failures[0].deployment, d.id);
  EXPECT_EQ(scan.failures[0].kind, "dns-record-set");
  EXPECT_NE(scan.failures[0].error.find("DNS API is down"), std::string::npos);
  EXPECT_TRUE(scan.orphans.empty());
}

TEST_F(EngineTest, ARefreshAndARunExcludeEachOther) {
  writeTarget("probe", R"({"name": "probe", "providers": {"dns-record-set": {"implementation": "probe"}}})");
  auto d = deployment("social", "probe");
  {
    Orchestrator o(dir_, fast());  // not started: the run stays queued
    ASSERT_TRUE(o.apply(*state_, d).ok());
    auto refused = o.refresh(*state_, d.id);
    ASSERT_FALSE(refused.ok()) << "a refresh while a run is queued would overwrite the drift it clears";
    EXPECT_EQ(refused.error().kind, ErrorKind::Conflict);
    EXPECT_TRUE(state_->refreshedAt(d.id).empty()) << "nothing was read or recorded";
  }
  Orchestrator o(dir_, fast());
  o.start();  // resumes the queued run
  o.waitIdle();
  ASSERT_EQ(fresh(d).status, DeploymentStatus::Ready);
  // A refresh held in flight at the provider: an apply asked meanwhile is refused, not interleaved.
  probe().holdReads = true;
  std::thread refresher([&] {
    auto conn = store::connect(dir_.stateUrl());
    store::StateStore st(*conn);
    EXPECT_TRUE(o.refresh(st, d.id).ok());
  });
  while (probe().readsHeld.load() == 0) std::this_thread::sleep_for(1ms);
  auto during = o.apply(*state_, fresh(d));
  ASSERT_FALSE(during.ok());
  EXPECT_EQ(during.error().kind, ErrorKind::Conflict);
  EXPECT_NE(during.error().message.find("being refreshed"), std::string::npos) << during.error().message;
  EXPECT_FALSE(o.refresh(*state_, d.id).ok()) << "one refresh at a time too";
  probe().holdReads = false;
  refresher.join();
  EXPECT_TRUE(o.apply(*state_, fresh(d)).ok()) << "the refresh has let go";
  o.waitIdle();
}

TEST_F(EngineTest, AFailureOfTheSchedulingLoopWaitsForTheStepsInFlight) {
  writeTarget("probe", R"({"name": "probe", "providers": {"dns-record-set": {"implementation": "probe"}}})");
  probe().delay = 300ms;
  auto d = deployment("social", "probe");
  std::atomic<bool> thrown{false};
  auto opts = fast(1, 4);
  // Fails the loop (as a journal write that throws would) while a DNS step sleeps in its provider.
  opts.scheduleHook = [&](const std::string&, int inFlight) {
    if (inFlight > 0 && probe().inFlight.load() > 0 && !thrown.exchange(true))
      throw store::DatabaseError("injected failure of the scheduling loop");
  };
  Orchestrator o(dir_, opts);
  o.start();
  auto r = o.apply(*state_, d).value();
  o.waitIdle();
  ASSERT_TRUE(thrown.load());
  EXPECT_EQ(probe().finished.load(), probe().calls.load())
      << "the run ended while a step of it was still in flight (holding its context)";
  auto done = run(r.id);
  EXPECT_EQ(done.status, RunStatus::Failed);
  EXPECT_NE(done.error.find("injected failure"), std::string::npos) << done.error;
  for (auto& s : done.steps) EXPECT_NE(s.status, StepStatus::Running) << s.resourceKey << " left running";
  // Nothing is lost: the next apply finishes the job.
  probe().delay = 0ms;
  auto next = o.apply(*state_, fresh(d)).value();
  o.waitIdle();
  EXPECT_EQ(run(next.id).status, RunStatus::Succeeded) << run(next.id).error;
}

TEST_F(EngineTest, TwoHundredDeploymentsConvergeWithTwentyPercentOfCallsFailing) {
  writeTarget("chaos", R"({"name": "chaos", "faults": {"retryable": 0.2, "seed": 7}})");
  std::vector<Deployment> ds;
  for (int i = 0; i < 200; ++i) ds.push_back(deployment("d" + std::to_string(i), "chaos", {"mastodon"}));
  auto opts = fast(2, 8);
  opts.retry.maxAttempts = 12;
  opts.faultInjection = true;
  Orchestrator o(dir_, opts);
  o.start();
  for (auto& d : ds) o.apply(*state_, d).value();
  o.waitIdle();
  int steps = 0, retriedSteps = 0, attempts = 0, failedRuns = 0;
  for (auto& d : ds) {
    auto runs = state_->listRuns(d.id, 10, "").items;
    ASSERT_EQ(runs.size(), 1u);
    auto r = run(runs.front().id);
    failedRuns += r.status != RunStatus::Succeeded;
    for (auto& s : r.steps) {
      ++steps;
      attempts += s.attempts;
      retriedSteps += s.attempts > 1;
    }
  }
  EXPECT_EQ(failedRuns, 0);
  EXPECT_GT(retriedSteps, steps / 10) << "about a fifth of the calls failed and were retried";
  EXPECT_GT(attempts, steps);
  const auto* chaos = o.target("chaos");
  ASSERT_NE(chaos, nullptr);
  int injected = 0;
  for (auto kind : allResourceKinds())
    injected += dynamic_cast<providers::FaultInjectingProvider&>(chaos->provider(kind)).counts().retryable.load();
  EXPECT_GT(injected, 0);
  // Converged: nothing left to do, nothing drifted, nothing orphaned.
  for (auto& d : ds) {
    EXPECT_TRUE(o.planFor(*state_, fresh(d)).empty()) << d.name;
    EXPECT_EQ(fresh(d).status, DeploymentStatus::Ready);
  }
  EXPECT_TRUE(o.findOrphans(*state_).orphans.empty());
  std::cout << "[ engine   ] 200 deployments, " << steps << " steps, " << attempts << " provider calls, "
            << retriedSteps << " steps retried, " << injected << " injected faults\n";
}

TEST_F(EngineTest, AnUnknownTargetIsRefusedAndABadTargetFileNamesTheField) {
  auto d = deployment("social", "nowhere");
  Orchestrator o(dir_, fast());
  auto r = o.apply(*state_, d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "target");

  writeTarget("broken", R"({"name": "broken", "providers": {"dns-record-set": {"implementation": "nope"}}})");
  try {
    Orchestrator bad(dir_, fast());
    FAIL() << "a target with an unknown implementation must be refused";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "providers.dns-record-set.implementation");
    EXPECT_NE(e.error().message.find("unknown provider implementation \"nope\""), std::string::npos)
        << e.error().message;
  }
}

TEST_F(EngineTest, ATargetThatLeavesOutAKindEveryDeploymentNeedsIsRefusedNamingIt) {
  // No fallback to files: a target that forgot its machines would report "ready" after writing JSON.
  writeTargetFile("dc1", R"({"name": "dc1", "providers": {"dns-record-set": {"implementation": "file"},
                                                         "ip-address": {"implementation": "file"}}})");
  try {
    Orchestrator o(dir_, fast());
    FAIL() << "a target without machines must be refused";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "providers");
    EXPECT_NE(e.error().message.find("dc1.json"), std::string::npos) << e.error().message;
    EXPECT_NE(e.error().message.find("names no provider for machine, certificate, nixos-config"), std::string::npos)
        << e.error().message;
  }
  // Named explicitly, files are fine.
  writeTarget("dc1", R"({"name": "dc1"})");
  Orchestrator o(dir_, fast());
  EXPECT_EQ(o.target("dc1")->provider(ResourceKind::Machine).implementation(), "file");
}

TEST_F(EngineTest, ADeploymentNeedingAKindItsTargetDoesNotOfferIsRefusedWhenPlanned) {
  // Machines, DNS, certificates and NixOS are named; databases, buckets, keys and mail are not offered.
  writeTargetFile("small", R"({"name": "small", "providers": {
      "ip-address": {"implementation": "file"}, "machine": {"implementation": "file"},
      "dns-record-set": {"implementation": "file"}, "certificate": {"implementation": "file"},
      "nixos-config": {"implementation": "file"}}})");
  Orchestrator o(dir_, fast());
  o.start();
  auto mastodon = deployment("social", "small", {"mastodon"});
  try {
    (void)o.planFor(*state_, mastodon);
    FAIL() << "Mastodon needs a database, buckets and mail";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "target");
    EXPECT_NE(e.error().message.find("no provider for database, bucket, access-key, mail-account"), std::string::npos)
        << e.error().message;
  }
  EXPECT_THROW((void)o.apply(*state_, mastodon), AbortError);
  EXPECT_TRUE(state_->listRuns(mastodon.id, 10, "").items.empty());
  // Owncast needs none of them: planned and applied.
  auto owncast = deployment("stream", "small", {"owncast"});
  auto run1 = o.apply(*state_, owncast).value();
  o.waitIdle();
  EXPECT_EQ(run(run1.id).status, RunStatus::Succeeded) << run(run1.id).error;
}

TEST_F(EngineTest, FaultInjectionIsRefusedUnlessTheServerEnablesIt) {
  writeTarget("chaos", R"({"name": "chaos", "faults": {"retryable": 0.2, "seed": 7}})");
  try {
    Orchestrator o(dir_, fast());
    FAIL() << "faults without the option must be refused";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "faults");
    EXPECT_NE(e.error().message.find("orchestrator.fault_injection"), std::string::npos) << e.error().message;
  }
  auto opts = fast();
  opts.faultInjection = true;
  Orchestrator o(dir_, opts);
  EXPECT_EQ(o.target("chaos")->provider(ResourceKind::Machine).implementation(), "file+faults");
}

}  // namespace
}  // namespace fedihost::orchestrator
