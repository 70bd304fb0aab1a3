#include "orchestrator/executor.hh"

#include <spdlog/spdlog.h>

#include <set>

#include "core/json_util.hh"

namespace fedihost::orchestrator {
namespace {

Resource resourceFromStep(const RunStep& step) {
  Resource r;
  const auto& o = step.resource;
  r.key = step.resourceKey;
  r.kind = step.kind;
  if (auto* v = o.if_contains("deployment"); v && v->is_string()) r.deployment = v->get_string();
  if (auto* v = o.if_contains("name"); v && v->is_string()) r.name = v->get_string();
  if (auto* v = o.if_contains("attributes"); v && v->is_object()) r.attributes = v->get_object();
  if (auto* v = o.if_contains("dependsOn"); v && v->is_array())
    for (auto& k : v->get_array())
      if (k.is_string()) r.dependsOn.emplace_back(k.get_string());
  return r;
}

Result<json::value> resolveValue(store::StateStore& state, const secrets::SecretBox& box,
                                 const std::string& deployment, const json::value& v) {
  if (v.is_array()) {
    json::array out;
    for (auto& e : v.get_array()) {
      auto r = resolveValue(state, box, deployment, e);
      if (!r) return r.error();
      out.push_back(std::move(*r));
    }
    return json::value(std::move(out));
  }
  if (!v.is_object()) return v;
  const auto& o = v.get_object();
  if (o.size() == 2 && o.contains("ref") && o.contains("output") && o.at("ref").is_string()) {
    std::string key(o.at("ref").get_string());
    std::string output(o.at("output").as_string());
    auto rec = state.recordedResource(key);
    if (!rec) return Error{ErrorKind::Provider, "needs " + key + ", which does not exist yet", {}};
    auto* out = rec->outputs.if_contains(output);
    if (!out) return Error{ErrorKind::Provider, key + " has no output \"" + output + "\"", {}};
    return *out;
  }
  if (o.size() == 1 && o.contains("secret") && o.at("secret").is_string()) {
    std::string name(o.at("secret").get_string());
    auto sealed = state.sealedSecret(deployment, name, [&] { return box.seal(secrets::generatePassword(32)); });
    return json::value(json::object{{"secret", name}, {"sealed", sealed}});
  }
  json::object out;
  for (auto& kv : o) {
    auto r = resolveValue(state, box, deployment, kv.value());
    if (!r) return r.error();
    out[kv.key()] = std::move(*r);
  }
  return json::value(std::move(out));
}

}  // namespace

Result<json::object> resolveAttributes(store::StateStore& state, const secrets::SecretBox& box,
                                       const std::string& deployment, const json::object& attributes) {
  auto r = resolveValue(state, box, deployment, attributes);
  if (!r) return r.error();
  return std::move(r->get_object());
}

Executor::Executor(ExecutorConfig config, const providers::Target& target, const secrets::SecretBox& box)
    : config_(std::move(config)), target_(target), box_(box) {}

Executor::~Executor() { stop(); }

void Executor::start() {
  {
    auto conn = store::connect(config_.stateUrl);
    store::StateStore state(*conn);
    for (auto& run : state.unfinishedRuns()) {
      spdlog::info("resuming run {} of deployment {}", run.id, run.deployment);
      enqueue(run.id);
    }
  }
  std::lock_guard lock(mu_);
  stopping_ = false;
  for (int i = 0; i < config_.workers; ++i) threads_.emplace_back([this] { workerLoop(); });
}

void Executor::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Executor::enqueue(const std::string& runId) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(runId);
  }
  cv_.notify_one();
}

void Executor::waitIdle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && busy_ == 0; });
}

void Executor::workerLoop() {
  auto stateConn = store::connect(config_.stateUrl);
  auto accountingConn = store::connect(config_.accountingUrl);
  store::StateStore state(*stateConn);
  store::AccountingStore accounting(*accountingConn);
  for (;;) {
    std::string runId;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      runId = queue_.front();
      queue_.pop_front();
      ++busy_;
    }
    try {
      execute(state, accounting, runId);
    } catch (const std::exception& e) {
      spdlog::error("run {} aborted: {}", runId, e.what());
      try {
        state.setRunStatus(runId, RunStatus::Failed, std::string("internal error: ") + e.what());
      } catch (...) {
      }
    }
    {
      std::lock_guard lock(mu_);
      --busy_;
    }
    idle_.notify_all();
  }
}

void Executor::execute(store::StateStore& state, store::AccountingStore& accounting, const std::string& runId) {
  auto run = state.getRun(runId, true);
  if (!run || run->status == RunStatus::Succeeded || run->status == RunStatus::Failed) return;
  auto d = state.getDeployment(run->deployment);
  if (!d) {
    state.setRunStatus(runId, RunStatus::Failed, d.error().message);
    return;
  }
  const bool destroy = run->kind == RunKind::Destroy;
  state.setRunStatus(runId, RunStatus::Running);
  state.setDeploymentStatus(d->id, destroy ? DeploymentStatus::Deleting : DeploymentStatus::Applying);

  std::set<std::string> failedKeys;
  int failures = 0;
  for (auto& step : run->steps) {
    if (step.status == StepStatus::Succeeded || step.status == StepStatus::Skipped) continue;
    auto resource = resourceFromStep(step);
    std::string blocked;
    for (auto& dep : resource.dependsOn)
      if (failedKeys.count(dep)) blocked = dep;
    if (!blocked.empty()) {
      failedKeys.insert(step.resourceKey);
      state.setStepStatus(runId, step.seq, StepStatus::Skipped, "skipped: " + blocked + " failed");
      continue;
    }
    state.setStepStatus(runId, step.seq, StepStatus::Running);
    Result<void> r = Error{ErrorKind::Internal, "not run", {}};
    try {
      r = executeStep(state, accounting, runId, *d, step);
    } catch (const AbortError& e) {
      r = e.error();
    } catch (const std::exception& e) {
      r = Error{ErrorKind::Internal, e.what(), {}};
    }
    if (!r) {
      ++failures;
      failedKeys.insert(step.resourceKey);
      state.setStepStatus(runId, step.seq, StepStatus::Failed, r.error().message);
      spdlog::warn("run {} step {} ({} {}) failed: {}", runId, step.seq, toString(step.action), step.resourceKey,
                   r.error().message);
    }
  }

  if (failures > 0) {
    state.setRunStatus(runId, RunStatus::Failed,
                       std::to_string(failures) + (failures == 1 ? " step" : " steps") + " failed");
    state.setDeploymentStatus(d->id, DeploymentStatus::Failed);
    return;
  }
  store::Transaction tx(state.connection(), true);
  state.setRunStatus(runId, RunStatus::Succeeded);
  if (destroy) {
    state.deleteSecrets(d->id);
    state.setDeploymentStatus(d->id, DeploymentStatus::Deleted);
  } else {
    state.setDeploymentStatus(d->id, DeploymentStatus::Ready);
  }
  tx.commit();
}

Result<void> Executor::executeStep(store::StateStore& state, store::AccountingStore& accounting,
                                   const std::string& runId, const Deployment& d, const RunStep& step) {
  auto& provider = target_.provider(step.kind);
  auto desired = resourceFromStep(step);

  // What exists now (for delete and replace, the provider needs the old attributes).
  auto recorded = state.recordedResource(step.resourceKey);
  auto resolve = [&](const Resource& r) -> Result<providers::ResolvedResource> {
    auto attrs = resolveAttributes(state, box_, d.id, r.attributes);
    if (!attrs) return attrs.error();
    providers::ResolvedResource rr{r, &box_};
    rr.resource.attributes = std::move(*attrs);
    return rr;
  };
  auto removeOld = [&]() -> Result<void> {
    if (!recorded) return {};
    auto old = resolve(recorded->resource);
    if (!old) return old.error();
    return provider.remove(*old);
  };

  Result<providers::Observed> observed = Error{ErrorKind::Internal, "no action", {}};
  switch (step.action) {
    case ActionKind::Noop:
      return {};
    case ActionKind::Delete: {
      if (auto r = removeOld(); !r) return r;
      break;
    }
    case ActionKind::Replace: {
      if (auto r = removeOld(); !r) return r;
      [[fallthrough]];
    }
    case ActionKind::Create: {
      auto rr = resolve(desired);
      if (!rr) return rr.error();
      observed = provider.create(*rr);
      if (!observed) return observed.error();
      break;
    }
    case ActionKind::Update: {
      auto rr = resolve(desired);
      if (!rr) return rr.error();
      observed = provider.update(*rr);
      if (!observed && observed.error().kind == ErrorKind::NotFound) observed = provider.create(*rr);
      if (!observed) return observed.error();
      break;
    }
  }

  // The resource's recorded state and the journal entry, in one transaction.
  {
    store::Transaction tx(state.connection(), true);
    if (step.action == ActionKind::Delete)
      state.forgetResource(step.resourceKey);
    else
      state.recordResource(desired, observed->outputs);
    state.setStepStatus(runId, step.seq, StepStatus::Succeeded);
    tx.commit();
  }
  const char* event = step.action == ActionKind::Delete    ? "deleted"
                      : step.action == ActionKind::Create  ? "created"
                      : step.action == ActionKind::Replace ? "replaced"
                                                           : "updated";
  accounting.resourceEvent(d.organisation, d.id, step.resourceKey, std::string(toString(step.kind)), event);
  return {};
}

}  // namespace fedihost::orchestrator
