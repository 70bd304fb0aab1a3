#pragma once
// The orchestrator: the one part that turns desired deployments into
// resources at providers. The API writes desired state and asks it for plans
// and runs; only the orchestrator talks to providers.
#include <filesystem>
#include <memory>
#include <string>

#include "orchestrator/executor.hh"
#include "providers/provider.hh"
#include "secrets/secret_box.hh"
#include "store/state_store.hh"

namespace fedihost::orchestrator {

/// Where a data directory keeps things.
struct DataDir {
  std::filesystem::path root;
  std::string stateUrl() const { return "sqlite:" + (root / "state.db").string(); }
  std::string accountingUrl() const { return "sqlite:" + (root / "accounting.db").string(); }
  std::filesystem::path secretKey() const { return root / "secret.key"; }
  std::filesystem::path targetRoot(const std::string& target) const { return root / "targets" / target; }
};

/// Creates the data directory if needed and applies pending schema migrations to both databases.
void prepareDataDir(const DataDir& dir);

class Orchestrator {
 public:
  /// The local file target under `dir`, executed by `workers` threads.
  Orchestrator(DataDir dir, int workers);
  ~Orchestrator();

  /// The plan that brings the deployment's recorded resources to its desired
  /// ones (to none, for a deployment being deleted).
  Plan planFor(store::StateStore& state, const Deployment& d) const;
  /// Plans and queues an apply run; Conflict if the deployment has a run queued or running.
  Result<Run> apply(store::StateStore& state, const Deployment& d);
  /// Plans and queues the run that deletes every resource of the deployment; Conflict as for apply.
  Result<Run> destroy(store::StateStore& state, const Deployment& d);
  /// The directory of a deployment in the file target.
  std::filesystem::path deploymentPath(const std::string& deploymentId) const;

  /// Starts executing (and resumes unfinished runs).
  void start();
  /// Stops after the steps in progress.
  void stop();
  /// Waits until no run is queued or running.
  void waitIdle();

 private:
  Result<Run> queue(store::StateStore& state, const Deployment& d, RunKind kind);

  DataDir dir_;
  secrets::SecretBox box_;
  providers::Target target_;
  std::unique_ptr<Executor> executor_;
};

}  // namespace fedihost::orchestrator
