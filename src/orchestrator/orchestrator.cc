#include "orchestrator/orchestrator.hh"

#include "orchestrator/expand.hh"
#include "orchestrator/planner.hh"
#include "store/migrations.hh"

namespace fedihost::orchestrator {

void prepareDataDir(const DataDir& dir) {
  std::filesystem::create_directories(dir.root);
  std::filesystem::permissions(dir.root, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
  auto state = store::connect(dir.stateUrl());
  store::migrate(*state, store::DatabaseKind::State);
  auto accounting = store::connect(dir.accountingUrl());
  store::migrate(*accounting, store::DatabaseKind::Accounting);
}

Orchestrator::Orchestrator(DataDir dir, int workers)
    : dir_(std::move(dir)),
      box_(secrets::SecretBox::openOrCreate(dir_.secretKey())),
      target_(providers::Target::fileTarget("local", dir_.targetRoot("local"))) {
  executor_ = std::make_unique<Executor>(ExecutorConfig{dir_.stateUrl(), dir_.accountingUrl(), workers}, target_,
                                         box_);
}

Orchestrator::~Orchestrator() { stop(); }

Plan Orchestrator::planFor(store::StateStore& state, const Deployment& d) const {
  std::vector<Resource> desired;
  if (d.status != DeploymentStatus::Deleting && d.status != DeploymentStatus::Deleted) desired = expand(d);
  return plan(d.id, desired, state.recordedResources(d.id));
}

Result<Run> Orchestrator::queue(store::StateStore& state, const Deployment& d, RunKind kind) {
  if (auto active = state.activeRun(d.id))
    return Error::conflict("deployment " + d.name + " already has a run in progress (" + active->id +
                           "); wait for it to finish");
  Deployment target = d;
  if (kind == RunKind::Destroy) target.status = DeploymentStatus::Deleting;
  auto p = planFor(state, target);
  std::vector<PlanAction> actions;
  for (auto& a : p.actions)
    if (a.action != ActionKind::Noop) actions.push_back(std::move(a));
  auto run = state.createRun(d.id, kind, actions);
  state.setDeploymentStatus(d.id, kind == RunKind::Destroy ? DeploymentStatus::Deleting : DeploymentStatus::Applying);
  executor_->enqueue(run.id);
  return run;
}

Result<Run> Orchestrator::apply(store::StateStore& state, const Deployment& d) { return queue(state, d, RunKind::Apply); }

Result<Run> Orchestrator::destroy(store::StateStore& state, const Deployment& d) {
  return queue(state, d, RunKind::Destroy);
}

std::filesystem::path Orchestrator::deploymentPath(const std::string& deploymentId) const {
  return target_.deploymentPath(deploymentId);
}

void Orchestrator::start() { executor_->start(); }
void Orchestrator::stop() {
  if (executor_) executor_->stop();
}
void Orchestrator::waitIdle() { executor_->waitIdle(); }

}  // namespace fedihost::orchestrator
