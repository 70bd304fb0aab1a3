// Planner benchmarks against a state database of N = 1,000 / 10,000 / 100,000
// deployments (Mastodon + PeerTube + Pixelfed each, every resource recorded as
// applied):
//   BM_FullNoopPlan   plans every live deployment (listDeployments pages, planFor
//                     each); every plan must be empty.
//   BM_FullNoopPlanFingerprinted
//                     the same, through the plan cache (orchestrator/fingerprint.hh):
//                     one query for a page's input generations, then each
//                     deployment's fingerprint; a plan whose inputs did not change
//                     since is not computed again. The cache is filled by one
//                     untimed pass first (its time is the counter cold_pass_s).
//   BM_PlanSurvey     the same as the server's plan survey after each periodic
//                     refresh (PlanCache::survey): pages of ids and generations
//                     (which move with the desired state too, migration 016); a
//                     deployment whose generation did not move is not read at
//                     all. Cold pass untimed first, as above.
//   BM_PlanOneChanged plans one deployment whose settings changed in memory
//                     (Mastodon maxTootChars 500 -> 1000); must not grow with N.
// The filled database is cached as build/bench-data/plan-<N>.db (with a .key
// file holding the schema/version string it was filled under) so reruns skip
// the fill; delete the files to refill. Fill/copy times go to stderr.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>

#include "catalog/catalog.hh"
#include "catalog/upgrade.hh"
#include "orchestrator/expand.hh"
#include "nixos/render.hh"
#include "orchestrator/orchestrator.hh"
#include "store/migrations.hh"
#include "store/state_store.hh"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace fedihost;

constexpr int kDeploymentsPerOrg = 100;
constexpr int kBatch = 1000;  // deployments whose resources are recorded in one write transaction
constexpr int kPageSize = 500;
const char* const kApps[] = {"mastodon", "peertube", "pixelfed"};

/// What the cached database depends on: bump kFillFormat when the fill changes.
std::string cacheKey(int n) {
  constexpr const char* kFillFormat = "plan-fill-v1";  // the state schema is part of the key below
  std::ostringstream k;
  k << kFillFormat << " n=" << n << " fedihost=" << FEDIHOST_VERSION
    << " state-schema=" << store::latestVersion(store::DatabaseKind::State)
    << " catalog=" << catalog::release().version;
  for (auto* app : kApps) {
    auto* a = catalog::find(app);
    k << ' ' << app << '=' << a->version << '/' << a->schemaVersion;
  }
  return k.str();
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Peak resident set size (VmHWM) of this process, in MiB.
double peakRssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  return 0;
}

/// Resets VmHWM to the current RSS (Linux >= 4.0), so each benchmark reports its own peak.
void resetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
}

Deployment newDeployment(const std::string& org, int i) {
  Deployment d;
  d.organisation = org;
  d.name = "site-" + std::to_string(i);
  d.domain = std::to_string(i);  // "d<i>.example.test", built so (GCC 12 warns on "d" + to_string)
  d.domain.insert(0, 1, 'd').append(".example.test");
  for (auto* app : kApps)
    d.apps.push_back({app, catalog::validateSettings(*catalog::find(app), json::value(), "apps").value(), {}, 0});
  catalog::stampCurrentVersions(d);
  return d;
}

json::object outputsFor(const Resource& r, std::uint64_t& counter) {
  ++counter;
  switch (r.kind) {
    case ResourceKind::IpAddress:
      return {{"address", "192.0.2." + std::to_string(counter % 254 + 1)}};
    case ResourceKind::AccessKey: {
      char id[32];
      std::snprintf(id, sizeof id, "GK%024llx", static_cast<unsigned long long>(counter));
      return {{"accessKeyId", id}};
    }
    default:
      return {};
  }
}

/// Fills the (migrated, empty) state database with n deployments, all applied.
void fill(store::Connection& conn, int n) {
  store::StateStore state(conn);
  std::string org;
  std::uint64_t counter = 0;
  std::size_t resources = 0;
  std::vector<Deployment> batch;
  batch.reserve(kBatch);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    if (i % kDeploymentsPerOrg == 0)
      org = state.createOrganisation("org-" + std::to_string(i / kDeploymentsPerOrg), "").value().id;
    // createDeployment runs its own write transaction (transactions do not nest).
    batch.push_back(state.createDeployment(newDeployment(org, i), {}).value());
    if (batch.size() == kBatch || i == n - 1) {
      store::Transaction tx(conn, true);
      for (auto& d : batch)
        for (auto& r : orchestrator::expand(d)) {
          state.recordResource(r, outputsFor(r, counter));
          ++resources;
        }
      tx.commit();
      batch.clear();
      if ((i + 1) % (n >= 10 * kBatch ? 10 * kBatch : kBatch) == 0)
        std::fprintf(stderr, "  filled %d/%d deployments (%.1f s)\n", i + 1, n, secondsSince(t0));
    }
  }
  std::fprintf(stderr, "fill N=%d: %zu resources (%.1f per deployment) in %.1f s\n", n, resources,
               double(resources) / n, secondsSince(t0));
}

/// One state database of N deployments and an orchestrator on it.
struct Env {
  fs::path tmp;
  orchestrator::DataDir dir;
  std::unique_ptr<store::Connection> conn;
  std::unique_ptr<store::StateStore> state;
  std::unique_ptr<orchestrator::Orchestrator> orch;

  explicit Env(int n) {
    fs::path cacheDir = FEDIHOST_BENCH_DATA_DIR;
    fs::create_directories(cacheDir);
    cacheDir = fs::canonical(cacheDir);
    auto cached = cacheDir / ("plan-" + std::to_string(n) + ".db");
    auto keyFile = cacheDir / ("plan-" + std::to_string(n) + ".key");
    tmp = fs::temp_directory_path() / ("fedihost-bench-plan-" + std::to_string(::getpid()) + "-" + std::to_string(n));
    fs::remove_all(tmp);
    dir.root = tmp / "var";
    fs::create_directories(dir.root);

    const auto key = cacheKey(n);
    std::string storedKey;
    if (std::ifstream in(keyFile); in) std::getline(in, storedKey);
    bool fromCache = fs::exists(cached) && storedKey == key;
    if (fromCache) {
      auto t0 = std::chrono::steady_clock::now();
      fs::copy_file(cached, dir.root / "state.db");
      std::fprintf(stderr, "N=%d: using cached %s (%.0f MiB, copied in %.1f s)\n", n, cached.c_str(),
                   double(fs::file_size(cached)) / (1 << 20), secondsSince(t0));
    }
    orchestrator::prepareDataDir(dir);
    conn = store::connect(dir.stateUrl());
    state = std::make_unique<store::StateStore>(*conn);
    if (!fromCache) {
      std::fprintf(stderr, "N=%d: filling %s (key: %s)\n", n, dir.stateUrl().c_str(), key.c_str());
      fill(*conn, n);
      auto t0 = std::chrono::steady_clock::now();
      conn->execScript("PRAGMA wal_checkpoint(TRUNCATE)");
      auto part = cached;
      part += ".part";
      fs::copy_file(dir.root / "state.db", part, fs::copy_options::overwrite_existing);
      fs::rename(part, cached);
      std::ofstream(keyFile) << key << '\n';
      std::fprintf(stderr, "N=%d: cached as %s in %.1f s\n", n, cached.c_str(), secondsSince(t0));
    }
    orch = std::make_unique<orchestrator::Orchestrator>(dir, 1);  // never started: planning only
  }
  ~Env() {
    orch.reset();
    state.reset();
    conn.reset();
    std::error_code ec;
    fs::remove_all(tmp, ec);
  }
};

Env& env(int n) {
  static std::map<int, std::unique_ptr<Env>> envs;
  auto& e = envs[n];
  if (!e) {
    // Keep one database open at a time (the 100k one is large).
    for (auto& [k, v] : envs)
      if (k != n) v.reset();
    e = std::make_unique<Env>(n);
  }
  return *e;
}

void BM_FullNoopPlan(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  Env& e = env(n);
  resetPeakRss();
  std::int64_t planned = 0, nonEmpty = 0, actions = 0;
  for (auto _ : st) {
    std::string cursor;
    do {
      auto page = e.state->listDeployments(std::nullopt, kPageSize, cursor);
      for (auto& d : page.items) {
        auto p = e.orch->planFor(*e.state, d);
        actions += static_cast<std::int64_t>(p.actions.size());
        nonEmpty += !p.empty();
        ++planned;
      }
      cursor = std::move(page.next);
    } while (!cursor.empty());
  }
  if (nonEmpty != 0 || planned != n * st.iterations())
    st.SkipWithError(("expected " + std::to_string(n * st.iterations()) + " empty plans, got " +
                      std::to_string(planned) + " plans of which " + std::to_string(nonEmpty) + " not empty")
                         .c_str());
  st.counters["deployments"] = n;
  st.counters["actions_per_dep"] = double(actions) / double(planned ? planned : 1);
  st.counters["per_deployment"] =
      benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  st.counters["peak_rss_MiB"] = peakRssMiB();
}

/// Every live deployment's plan outline through the plan cache; returns how many were not empty.
std::int64_t fingerprintedPass(Env& e, std::int64_t& planned, std::int64_t& skipped) {
  std::int64_t nonEmpty = 0;
  std::string cursor;
  do {
    auto page = e.state->listDeployments(std::nullopt, kPageSize, cursor);
    for (auto& o : e.orch->plans().outlines(*e.state, page.items, orchestrator::PlanVariant::WithDrift, &skipped)) {
      nonEmpty += !o.empty();
      ++planned;
    }
    cursor = std::move(page.next);
  } while (!cursor.empty());
  return nonEmpty;
}

void BM_FullNoopPlanFingerprinted(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  Env& e = env(n);
  e.orch->plans().clear();
  resetPeakRss();
  std::int64_t planned = 0, skipped = 0, nonEmpty = 0;
  auto t0 = std::chrono::steady_clock::now();
  nonEmpty += fingerprintedPass(e, planned, skipped);  // cold: every plan computed in full, and kept
  const double cold = secondsSince(t0);
  if (skipped != 0) st.SkipWithError("the cold pass skipped plans");
  planned = skipped = 0;
  for (auto _ : st) nonEmpty += fingerprintedPass(e, planned, skipped);
  if (nonEmpty != 0 || planned != n * st.iterations() || skipped != planned)
    st.SkipWithError(("expected " + std::to_string(n * st.iterations()) + " empty plans all skipped, got " +
                      std::to_string(planned) + " plans, " + std::to_string(skipped) + " skipped, " +
                      std::to_string(nonEmpty) + " not empty")
                         .c_str());
  st.counters["deployments"] = n;
  st.counters["cold_pass_s"] = cold;
  st.counters["skipped"] = double(skipped);
  st.counters["per_deployment"] =
      benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  st.counters["peak_rss_MiB"] = peakRssMiB();
}

void BM_PlanSurvey(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  Env& e = env(n);
  e.orch->plans().clear();
  resetPeakRss();
  auto t0 = std::chrono::steady_clock::now();
  auto cold = e.orch->plans().survey(*e.state, orchestrator::PlanVariant::WithDrift);
  const double coldSeconds = secondsSince(t0);
  if (cold.skipped != 0 || cold.deployments != n || cold.pending != 0)
    st.SkipWithError("the cold survey skipped plans, missed some or found changes");
  orchestrator::SurveyCount total;
  for (auto _ : st) {
    auto c = e.orch->plans().survey(*e.state, orchestrator::PlanVariant::WithDrift);
    total.deployments += c.deployments;
    total.pending += c.pending;
    total.skipped += c.skipped;
  }
  if (total.pending != 0 || total.deployments != n * st.iterations() || total.skipped != total.deployments)
    st.SkipWithError(("expected " + std::to_string(n * st.iterations()) + " empty plans all skipped, got " +
                      std::to_string(total.deployments) + " plans, " + std::to_string(total.skipped) + " skipped, " +
                      std::to_string(total.pending) + " not empty")
                         .c_str());
  st.counters["deployments"] = n;
  st.counters["cold_pass_s"] = coldSeconds;
  st.counters["per_deployment"] =
      benchmark::Counter(double(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  st.counters["peak_rss_MiB"] = peakRssMiB();
}

/// What GET /api/v1/deployments costs for a deployment's status ("changes pending": its plan with
/// drift aside), for one page of 50: computed in full (arg 0, as before) or through the plan
/// cache (arg 1). The rest of the answer (runs, drift, recorded resources) is not in it.
void BM_StatusPageChangesPending(benchmark::State& st) {
  Env& e = env(1000);
  const bool fingerprinted = st.range(0) == 1;
  auto page = e.state->listDeployments(std::nullopt, 50, "").items;
  e.orch->plans().clear();
  std::int64_t pending = 0;
  for (auto _ : st)
    for (auto& d : page)
      pending += fingerprinted
                     ? !e.orch->plans().outline(*e.state, d, orchestrator::PlanVariant::DriftAside).empty()
                     : !orchestrator::planDeployment(*e.state, d, orchestrator::PlanVariant::DriftAside).empty();
  if (pending != 0) st.SkipWithError("a deployment of the page has changes pending");
  st.SetLabel(fingerprinted ? "fingerprinted" : "full");
  st.counters["per_deployment"] =
      benchmark::Counter(50, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_PlanOneChanged(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  Env& e = env(n);
  // A deployment from the middle of the table.
  auto id = e.conn->queryOne("SELECT id FROM deployments ORDER BY created_at, id LIMIT 1 OFFSET ?1",
                             {std::int64_t{n / 2}})
                ->text(0);
  auto d = e.state->getDeployment(id).value();
  for (auto& a : d.apps)
    if (a.app == "mastodon") a.settings["maxTootChars"] = 1000;
  {
    auto p = e.orch->planFor(*e.state, d);
    int changes = 0;
    for (auto& a : p.actions) changes += a.action != ActionKind::Noop;
    if (p.empty() || changes == 0) {
      st.SkipWithError("the changed deployment gave an empty plan");
      return;
    }
    st.counters["changed_actions"] = changes;
  }
  resetPeakRss();
  for (auto _ : st) {
    auto p = e.orch->planFor(*e.state, d);
    benchmark::DoNotOptimize(p);
  }
  st.counters["deployments"] = n;
  st.counters["peak_rss_MiB"] = peakRssMiB();
}

}  // namespace

// Benchmarks run in registration order: both benchmarks at 1k, then 10k, then
// 100k, so each database is filled (or copied from the cache) once.
int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("BM_StatusPageChangesPending", BM_StatusPageChangesPending)
      ->Arg(0)
      ->Arg(1)
      ->Unit(benchmark::kMicrosecond);
  for (int n : {1000, 10000, 100000}) {
    auto* full = benchmark::RegisterBenchmark("BM_FullNoopPlan", BM_FullNoopPlan)->Arg(n)->Unit(benchmark::kMillisecond);
    if (n >= 100000)
      full->Iterations(1);
    else if (n >= 10000)
      full->Iterations(2);
    benchmark::RegisterBenchmark("BM_FullNoopPlanFingerprinted", BM_FullNoopPlanFingerprinted)
        ->Arg(n)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(n >= 100000 ? 3 : 5);
    benchmark::RegisterBenchmark("BM_PlanSurvey", BM_PlanSurvey)->Arg(n)->Unit(benchmark::kMillisecond)->Iterations(5);
    benchmark::RegisterBenchmark("BM_PlanOneChanged", BM_PlanOneChanged)
        ->Arg(n)
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(1.0);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
