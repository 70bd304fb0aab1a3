// bench_apply: N deployments (Mastodon + PeerTube + Pixelfed, ~20 resources
// each) planned, queued and applied by the orchestrator, start to finish.
//   bench_apply [N=10000] [workers=2] [parallel-steps=8]
// Two targets:
//   file  the file providers (every resource written to disk, fsync'd), with
//         addresses from an IP pool in the state database (the file IP provider
//         scans every deployment's files per allocation: fine for a few hundred,
//         not for 10,000): deployments per second as a user would see them;
//   null  providers that do nothing (named "null", registered here only): what is
//         left is the orchestrator's own work (planning, journaling each step in
//         SQLite, scheduling), reported as CPU time per action.
// Prints one line per target and writes build/bench-apply-results.json.
//
// Scale-out (bench/apply/run-postgresql.sh starts the server and makes the databases):
//   FEDIHOST_BENCH_STATE=postgresql://…  FEDIHOST_BENCH_ACCOUNTING=postgresql://…
//   FEDIHOST_BENCH_INSTANCES=2
// puts the state and accounting databases on PostgreSQL and runs that many orchestrators
// (instances, each with its own data directory and lease) on them in this process. The
// runs are queued through the first; the others claim queued runs from the database as
// separate servers would. The line then says how many steps each instance did.
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.hh"
#include "catalog/upgrade.hh"
#include "core/metrics.hh"
#include "orchestrator/orchestrator.hh"
#include "nixos/render.hh"
#include "store/ip_pool_store.hh"
#include "store/state_store.hh"

#include <spdlog/spdlog.h>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace fedihost;

double cpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double peakRssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

/// A provider that holds nothing and answers at once.
template <class I>
class NullProvider : public I {
 public:
  std::string implementation() const override { return "null"; }
  Result<providers::Observed> create(const providers::ResolvedResource&) override { return observed(); }
  Result<providers::Observed> read(const providers::ResolvedResource&) override { return observed(); }
  Result<providers::Observed> update(const providers::ResolvedResource&) override { return observed(); }
  Result<void> remove(const providers::ResolvedResource&) override { return {}; }
  Result<std::vector<std::string>> list(std::string_view) override { return std::vector<std::string>{}; }

 private:
  /// Every output the NixOS configuration refers to (whatever the kind: the provider holds nothing).
  static providers::Observed observed() {
    return {{},
            {{"address", "192.0.2.10"},
             {"accessKeyId", "GKnull"},
             {"endpoint", "http://192.0.2.11:3900"},
             {"region", "null"},
             {"host", "192.0.2.12"},
             {"port", 5432},
             {"name", "null"},
             {"role", "null"},
             {"username", "null@example.test"},
             {"serial", "00"}}};
  }
};

/// Its buckets hold nothing.
class NullBlobProvider final : public NullProvider<providers::BlobProvider> {
 public:
  Result<providers::StoredSize> storedSize(const providers::ResolvedResource&) override { return providers::StoredSize{}; }
};

template <class I, class P = NullProvider<I>>
void registerNull() {
  providers::Registry<I>::instance().add("null", [](const providers::ProviderConfig&) {
    return std::unique_ptr<I>(new P());
  });
}

struct Result_ {
  std::string target;
  int deployments = 0;
  long actions = 0;
  double queueSeconds = 0, applySeconds = 0, cpuSeconds = 0, peakMiB = 0;
  int failed = 0;
  std::vector<std::int64_t> stepsByInstance;  ///< steps each instance did (the journal's instance_id)
};

std::string envOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

Result_ runOnce(const std::string& targetName, int n, int workers, int steps) {
  auto root = fs::temp_directory_path() / ("fedihost-bench-apply-" + targetName + "-" + std::to_string(::getpid()));
  fs::remove_all(root);
  const int instances = std::max(1, std::atoi(envOr("FEDIHOST_BENCH_INSTANCES", "1").c_str()));
  std::vector<orchestrator::DataDir> dirs;
  for (int i = 0; i < instances; ++i)
    dirs.push_back({root / ("instance-" + std::to_string(i)), {}, envOr("FEDIHOST_BENCH_STATE", ""),
                    envOr("FEDIHOST_BENCH_ACCOUNTING", "")});
  if (instances > 1 && dirs[0].state.empty())
    throw std::runtime_error("FEDIHOST_BENCH_INSTANCES > 1 needs FEDIHOST_BENCH_STATE (a shared PostgreSQL)");
  for (auto& d : dirs) {
    fs::create_directories(d.root);
    // Every instance's own SQLite files are shared only through the URLs: one instance alone may use SQLite.
    if (instances > 1 && d.accounting.empty()) d.accounting = dirs[0].accountingUrl();
  }
  const auto& dir = dirs[0];
  orchestrator::prepareDataDir(dir);
  json::object providers;
  if (targetName == "null") {
    for (auto kind : allResourceKinds())
      providers[toString(kind)] = json::object{{"implementation", "null"}, {"parallelism", 64}};
  } else {
    for (auto kind : allResourceKinds()) providers[toString(kind)] = json::object{{"implementation", "file"}};
    providers["ip-address"] = json::object{{"implementation", "pool"}, {"parallelism", 8}};
  }
  for (auto& d : dirs) {
    fs::create_directories(d.targetConfigDir());
    std::ofstream(d.targetConfigDir() / (targetName + ".json"))
        << json::serialize(json::object{{"name", targetName}, {"providers", providers}});
  }
  auto conn = store::connect(dir.stateUrl());
  store::StateStore state(*conn);
  if (targetName != "null") {
    store::IpPoolStore pools(*conn);
    store::IpPoolSpec spec;
    spec.target = targetName;
    spec.name = "bench";
    spec.prefix = "10.0.0.0/16";
    pools.createPool(spec).orThrow();
  }
  auto org = state.createOrganisation("bench", "").value();
  std::vector<Deployment> ds;
  for (int i = 0; i < n; ++i) {
    Deployment d;
    d.organisation = org.id;
    d.name = "site-" + std::to_string(i);
    d.domain = "d" + std::to_string(i) + ".example.test";
    d.target = targetName;
    for (const char* app : {"mastodon", "peertube", "pixelfed"})
      d.apps.push_back({app, catalog::validateSettings(*catalog::find(app), json::value(), "s").value(), {}, 0});
    catalog::stampCurrentVersions(d);
    ds.push_back(state.createDeployment(d, nixos::publishedHosts(d)).value());
  }

  orchestrator::OrchestratorOptions o;
  o.workers = workers;
  o.maxParallelSteps = steps;
  o.pollInterval = std::chrono::milliseconds(100);  // idle instances look for queued runs this often
  Result_ r;
  r.target = targetName;
  r.deployments = n;
  {
    std::vector<std::unique_ptr<orchestrator::Orchestrator>> orchs;
    for (auto& d : dirs) orchs.push_back(std::make_unique<orchestrator::Orchestrator>(d, o));
    auto cpu0 = cpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    for (auto& orch : orchs) orch->start();
    for (auto& d : ds) r.actions += orchs[0]->apply(state, d).value().total;
    auto t1 = std::chrono::steady_clock::now();
    // Idle everywhere and nothing left queued or running (an instance may claim a run after
    // another went idle).
    for (;;) {
      for (auto& orch : orchs) orch->waitIdle();
      auto open = conn->queryOne("SELECT COUNT(*) FROM runs WHERE status IN ('queued', 'running')");
      if (open->integer(0) == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto t2 = std::chrono::steady_clock::now();
    r.cpuSeconds = cpuSeconds() - cpu0;
    r.queueSeconds = std::chrono::duration<double>(t1 - t0).count();
    r.applySeconds = std::chrono::duration<double>(t2 - t0).count();
    for (auto& orch : orchs) {
      auto done = conn->queryOne("SELECT COUNT(*) FROM run_steps WHERE instance_id = ? AND status = 'succeeded'",
                                 {orch->instanceId()});
      r.stepsByInstance.push_back(done->integer(0));
    }
    for (auto& orch : orchs) orch->stop();
  }
  r.peakMiB = peakRssMiB();
  for (auto& d : ds) r.failed += state.getDeployment(d.id)->status != DeploymentStatus::Ready;
  fs::remove_all(root);
  return r;
}

}  // namespace

/// The executor's journal writer's counters so far (metrics registry), over every pass of this process.
std::uint64_t journalCommits() {
  return metrics::registry().counter("fedihost_journal_commits_total", "").value({});
}
std::uint64_t journalChanges() {
  return metrics::registry().counter("fedihost_journal_changes_total", "").value({});
}

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  int workers = argc > 2 ? std::atoi(argv[2]) : 2;
  int steps = argc > 3 ? std::atoi(argv[3]) : 8;
  providers::registerBuiltinProviders();
  registerNull<providers::IpAddressProvider>();
  registerNull<providers::MachineProvider>();
  registerNull<providers::DnsProvider>();
  registerNull<providers::DatabaseProvider>();
  registerNull<providers::BlobProvider, NullBlobProvider>();
  registerNull<providers::AccessKeyProvider>();
  registerNull<providers::MailProvider>();
  registerNull<providers::NixosProvider>();
  registerNull<providers::CertificateProvider>();

  json::array results;
  spdlog::set_level(spdlog::level::err);
  std::vector<std::string> targets{"file", "null"};
  if (const char* only = std::getenv("FEDIHOST_BENCH_TARGET")) targets = {only};
  for (const auto& target : targets) {
    auto r = runOnce(target, n, workers, steps);
    double perAction = r.cpuSeconds / static_cast<double>(std::max(1L, r.actions)) * 1e6;
    std::cout << r.target << " target: " << r.deployments << " deployments, " << r.actions << " actions in "
              << r.applySeconds << " s (queued in " << r.queueSeconds << " s): "
              << static_cast<double>(r.deployments) / r.applySeconds << " deployments/s, "
              << static_cast<double>(r.actions) / r.applySeconds << " actions/s; CPU " << r.cpuSeconds << " s = "
              << perAction << " µs per action; peak RSS " << r.peakMiB << " MiB; " << r.failed << " not ready"
              << "; journal: " << journalChanges() << " entries in " << journalCommits() << " transactions";
    json::array shares;
    for (std::size_t i = 0; i < r.stepsByInstance.size(); ++i) {
      std::cout << (i == 0 ? "; steps by instance: " : " + ") << r.stepsByInstance[i];
      shares.push_back(r.stepsByInstance[i]);
    }
    std::cout << std::endl;
    results.push_back(json::object{{"target", r.target},
                                   {"deployments", r.deployments},
                                   {"actions", r.actions},
                                   {"seconds", r.applySeconds},
                                   {"queueSeconds", r.queueSeconds},
                                   {"deploymentsPerSecond", static_cast<double>(r.deployments) / r.applySeconds},
                                   {"cpuSeconds", r.cpuSeconds},
                                   {"cpuMicrosecondsPerAction", perAction},
                                   {"peakRssMiB", r.peakMiB},
                                   {"notReady", r.failed},
                                   {"stepsByInstance", shares},
                                   {"state", envOr("FEDIHOST_BENCH_STATE", "").empty() ? "sqlite" : "postgresql"}});
  }
  std::ofstream(fs::path(FEDIHOST_BENCH_RESULTS)) << json::serialize(json::object{
      {"workers", workers}, {"maxParallelSteps", steps}, {"results", results}});
  return 0;
}
