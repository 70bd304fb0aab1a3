#include "orchestrator/executor.hh"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>

#include "accounting/metering.hh"
#include "catalog/catalog.hh"
#include "core/json_util.hh"
#include "core/metrics.hh"
#include "orchestrator/references.hh"
#include "providers/call_metrics.hh"
#include "secrets/keys.hh"
#include "store/outbox.hh"

namespace fedihost::orchestrator {
namespace {

/// fedihost_runs_finished_total{outcome} on /metrics.
void countRunEnded(RunStatus status) {
  static auto& runs = metrics::registry().counter("fedihost_runs_finished_total", "Runs that ended, by outcome",
                                                  {"outcome"});
  runs.inc({std::string(toString(status))});
}

Resource resourceFromStep(const RunStep& step) {
  Resource r = store::resourceFromJson(step.resource);
  r.key = step.resourceKey;
  r.kind = step.kind;
  return r;
}

/// One audit row of an orchestrator action, queued in the outbox (use inside the change's transaction).
/// Its event id is derived from the run, so an action repeated after a restart is recorded once.
void queueRunAudit(store::StateStore& state, const std::string& runId, const std::string& organisation,
                   const std::string& what, const std::string& object, const std::string& outcome,
                   const std::string& detail) {
  store::AuditEntry e;
  e.eventId = "run/" + runId + "/" + what;
  e.actorKind = "system";
  e.organisationId = organisation;
  e.action = what.starts_with("step/") ? "step.applied" : "run." + what;
  e.objectId = object;
  e.outcome = outcome;
  e.detail = detail;
  store::enqueueAudit(state.connection(), e);
}

Result<json::value> resolveValue(store::StateStore& state, const secrets::SecretBox& box,
                                 const std::string& deployment, const json::value& v, const OutputsLookup& outputsOf) {
  if (v.is_array()) {
    json::array out;
    for (auto& e : v.get_array()) {
      auto r = resolveValue(state, box, deployment, e, outputsOf);
      if (!r) return r.error();
      out.push_back(std::move(*r));
    }
    return json::value(std::move(out));
  }
  if (!v.is_object()) return v;
  const auto& o = v.get_object();
  if (isOutputReference(o)) {
    std::string key(o.at("ref").get_string());
    std::string output(o.at("output").get_string());
    auto outputs = outputsOf(key);
    if (!outputs) return Error{ErrorKind::Provider, "needs " + key + ", which does not exist yet", {}};
    auto* out = outputs->if_contains(output);
    if (!out && o.contains("default")) return o.at("default");
    if (!out) return Error{ErrorKind::Provider, key + " has no output \"" + output + "\"", {}};
    return *out;
  }
  if (o.size() == 1 && o.contains("secret") && o.at("secret").is_string()) {
    std::string name(o.at("secret").get_string());
    // Generated once, in the form the catalog names (an app's own secret, an S3 key, a password);
    // the public half of a key pair is computed from its private key (made first if need be), so
    // the two always match, and kept like the others, so a bundle carries both.
    const auto spec = catalog::secretSpec(name);
    auto sealed = state.sealedSecret(deployment, name, [&] {
      if (spec.derivedFrom.empty()) return box.seal(secrets::generateSecret(spec.format));
      auto source = state.sealedSecret(deployment, spec.derivedFrom, [&] {
        return box.seal(secrets::generateSecret(catalog::secretFormat(spec.derivedFrom)));
      });
      auto derived = secrets::deriveSecret(spec.format, box.open(source).value());
      if (!derived) throw AbortError({ErrorKind::Internal, spec.derivedFrom + ": " + derived.error().message, {}});
      return box.seal(*derived);
    });
    return json::value(json::object{{"secret", name}, {"sealed", sealed}});
  }
  json::object out;
  for (auto& kv : o) {
    auto r = resolveValue(state, box, deployment, kv.value(), outputsOf);
    if (!r) return r.error();
    out[kv.key()] = std::move(*r);
  }
  return json::value(std::move(out));
}

}  // namespace

Result<json::object> resolveAttributes(store::StateStore& state, const secrets::SecretBox& box,
                                       const std::string& deployment, const json::object& attributes) {
  return resolveAttributes(state, box, deployment, attributes, [&](const std::string& key) -> std::optional<json::object> {
    auto rec = state.recordedResource(key);
    if (!rec) return std::nullopt;
    return std::move(rec->outputs);
  });
}

Result<json::object> resolveAttributes(store::StateStore& state, const secrets::SecretBox& box,
                                       const std::string& deployment, const json::object& attributes,
                                       const OutputsLookup& outputsOf) {
  auto r = resolveValue(state, box, deployment, attributes, outputsOf);
  if (!r) return r.error();
  return std::move(r->get_object());
}

// ---------------------------------------------------------------- the step pool

/// Threads that make provider calls, each with its own database connections.
class Executor::StepPool {
 public:
  using Job = std::function<void(store::StateStore&)>;
  StepPool(int threads, const ExecutorConfig& config) {
    for (int i = 0; i < std::max(threads, 1); ++i)
      threads_.emplace_back([this, config] {
        auto stateConn = store::connect(config.stateUrl);
        store::StateStore state(*stateConn);
        for (;;) {
          Job job;
          {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return done_ || !jobs_.empty(); });
            if (jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
          }
          job(state);
        }
      });
  }
  ~StepPool() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void submit(Job job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool done_ = false;
  std::vector<std::thread> threads_;
};

/// One run in progress: its steps, what each waits for, and where each stands.
struct Executor::RunContext {
  std::string runId;
  Deployment deployment;
  const providers::Target* target = nullptr;
  std::vector<RunStep> steps;
  std::vector<std::vector<std::size_t>> preds;  ///< steps that must end before step i starts
  std::vector<StepStatus> status;               ///< guarded by mu
  std::vector<bool> submitted;
  std::vector<bool> interrupted;  ///< left unfinished because the executor stops
  int inFlight = 0;
  std::mutex mu;
  std::condition_variable cv;
};

// ---------------------------------------------------------------- the executor

Executor::Executor(ExecutorConfig config, TargetLookup targets, const secrets::SecretBox& box, ProviderSlots& slots)
    : config_(std::move(config)), targets_(std::move(targets)), box_(box), slots_(slots) {
  rng_ = config_.jitterSeed ? config_.jitterSeed
                            : static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

Executor::~Executor() { stop(); }

void Executor::start() {
  std::lock_guard lock(mu_);
  stopping_ = false;
  if (!journal_) journal_ = std::make_unique<JournalWriter>(config_.stateUrl);
  if (!pool_) pool_ = std::make_unique<StepPool>(config_.maxParallelSteps, config_);
  // Every worker looks at once for runs left by a previous process (waitIdle waits for them).
  for (int i = 0; i < config_.workers; ++i) queue_.emplace_back();
  for (int i = 0; i < config_.workers; ++i) threads_.emplace_back([this] { workerLoop(); });
}

void Executor::abandon() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void Executor::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  pool_.reset();
  journal_.reset();
}

void Executor::enqueue(const std::string& runId) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(runId);
  }
  cv_.notify_one();
}

void Executor::cancel(const std::string& runId) {
  std::lock_guard lock(mu_);
  cancelled_.insert(runId);
}

bool Executor::cancelled(const std::string& runId) {
  std::lock_guard lock(mu_);
  return cancelled_.count(runId) > 0;
}

void Executor::waitIdle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && busy_ == 0; });
}

void Executor::workerLoop() {
  auto stateConn = store::connect(config_.stateUrl);
  store::StateStore state(*stateConn);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // Woken by enqueue (a run created here), or at the poll interval (a run queued by another
      // instance, or handed back by one that stopped or died).
      cv_.wait_for(lock, config_.pollInterval, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      if (!queue_.empty()) queue_.pop_front();
      ++busy_;
    }
    // Claims until nothing is free: a hint names no run in particular, the database decides who gets which.
    while (!stopping_) {
      std::optional<std::string> runId;
      try {
        runId = state.claimRun(config_.instance);
      } catch (const std::exception& e) {
        spdlog::error("claiming a run failed: {}", e.what());
      }
      if (!runId) break;
      try {
        execute(state, *runId);
      } catch (const std::exception& e) {
        spdlog::error("run {} aborted: {}", *runId, e.what());
        try {
          runStatus(state, *runId, "", RunStatus::Failed, std::string("internal error: ") + e.what());
        } catch (...) {
        }
      }
      {
        std::lock_guard lock(mu_);
        cancelled_.erase(*runId);
      }
    }
    {
      std::lock_guard lock(mu_);
      --busy_;
    }
    idle_.notify_all();
  }
}

std::chrono::milliseconds Executor::backoffFor(int attemptsMade) {
  auto exp = config_.retry.base.count() << std::min(attemptsMade - 1, 20);
  exp = std::min<std::int64_t>(exp, config_.retry.cap.count());
  std::uint64_t r;
  {
    std::lock_guard lock(rngMu_);
    rng_ ^= rng_ << 13;  // xorshift64
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    r = rng_;
  }
  // Half fixed, half random ("equal jitter"): spreads retries of many steps apart.
  auto half = exp / 2;
  return std::chrono::milliseconds(half + static_cast<std::int64_t>(r % static_cast<std::uint64_t>(half + 1)));
}

bool Executor::backoff(std::chrono::milliseconds d, const std::string& runId) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (stopping_ || cancelled(runId)) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));
  }
  return !stopping_ && !cancelled(runId);
}

void Executor::execute(store::StateStore& state, const std::string& runId) {
  auto run = state.getRun(runId, true);
  if (!run || (run->status != RunStatus::Queued && run->status != RunStatus::Running)) return;
  if (run->kind == RunKind::Refresh) return;  // a refresh's claim, not steps to execute
  auto d = state.getDeployment(run->deployment);
  if (!d) {
    runStatus(state, runId, "", RunStatus::Failed, d.error().message);
    return;
  }
  const bool destroy = run->kind == RunKind::Destroy;
  const auto* target = targets_(d->target);
  if (!target) {
    runStatus(state, runId, d->organisation, RunStatus::Failed,
              "no target named \"" + d->target + "\" is configured", std::pair{d->id, DeploymentStatus::Failed});
    return;
  }
  if (run->cancelRequested) cancel(runId);
  runStatus(state, runId, d->organisation, RunStatus::Running, {},
            std::pair{d->id, destroy ? DeploymentStatus::Deleting : DeploymentStatus::Applying});

  // Shared with the step jobs: a job never outlives what it uses, however this function ends.
  auto shared = std::make_shared<RunContext>();
  auto& ctx = *shared;
  ctx.runId = runId;
  ctx.deployment = *d;
  ctx.target = target;
  ctx.steps = std::move(run->steps);
  const auto n = ctx.steps.size();
  ctx.preds.resize(n);
  ctx.submitted.assign(n, false);
  ctx.interrupted.assign(n, false);
  for (auto& s : ctx.steps)
    ctx.status.push_back(s.status == StepStatus::Succeeded || s.status == StepStatus::Skipped ||
                                 s.status == StepStatus::Failed
                             ? s.status
                             : StepStatus::Pending);

  // Two steps are ordered when one's resource depends on the other's, now or as
  // recorded (a delete must wait for its users to move off): the plan put them in
  // a safe order, which is kept; steps with no such link run in parallel.
  std::map<std::string, std::vector<std::size_t>> byKey;
  for (std::size_t i = 0; i < n; ++i) byKey[ctx.steps[i].resourceKey].push_back(i);
  std::map<std::string, std::vector<std::string>> recordedDeps;
  for (auto& rec : state.recordedResources(d->id)) recordedDeps[rec.resource.key] = rec.resource.dependsOn;
  for (std::size_t i = 0; i < n; ++i) {
    auto deps = resourceFromStep(ctx.steps[i]).dependsOn;
    if (auto it = recordedDeps.find(ctx.steps[i].resourceKey); it != recordedDeps.end())
      deps.insert(deps.end(), it->second.begin(), it->second.end());
    for (auto& dep : deps) {
      auto it = byKey.find(dep);
      if (it == byKey.end()) continue;
      for (auto j : it->second) {
        if (j < i) ctx.preds[i].push_back(j);
        if (j > i) ctx.preds[j].push_back(i);
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i)  // the same resource twice keeps its order too
    for (auto j : byKey[ctx.steps[i].resourceKey])
      if (j < i) ctx.preds[i].push_back(j);
  for (auto& p : ctx.preds) {
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
  }

  bool interrupted = false;
  auto nextCancelCheck = std::chrono::steady_clock::now();
  try {
    std::unique_lock lock(ctx.mu);
    for (;;) {
      // A cancel asked on another instance is in the database only: look there about once a second.
      if (std::chrono::steady_clock::now() >= nextCancelCheck) {
        nextCancelCheck = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        if (!cancelled(runId) && state.cancelRequested(runId)) cancel(runId);
      }
      const bool cancel = cancelled(runId);
      bool pending = false;
      for (std::size_t i = 0; i < n; ++i) {
        if (ctx.status[i] != StepStatus::Pending || ctx.submitted[i]) {
          pending = pending || ctx.status[i] == StepStatus::Pending || ctx.status[i] == StepStatus::Running;
          continue;
        }
        pending = true;
        std::string blocker;
        bool waiting = false;
        for (auto j : ctx.preds[i]) {
          if (ctx.status[j] == StepStatus::Pending || ctx.status[j] == StepStatus::Running) waiting = true;
          else if (ctx.status[j] != StepStatus::Succeeded && blocker.empty())
            blocker = "skipped: " + ctx.steps[j].resourceKey +
                      (ctx.status[j] == StepStatus::Failed ? " failed" : " was skipped");
        }
        if (waiting) continue;
        if (blocker.empty() && cancel) blocker = "skipped: the run was cancelled";
        if (!blocker.empty()) {
          ctx.status[i] = StepStatus::Skipped;
          state.setStepStatus(runId, ctx.steps[i].seq, StepStatus::Skipped, blocker);
          continue;
        }
        if (stopping_) continue;  // left pending: resumed at the next start
        if (ctx.steps[i].action == ActionKind::Noop) {
          ctx.status[i] = StepStatus::Succeeded;
          state.setStepStatus(runId, ctx.steps[i].seq, StepStatus::Succeeded);
          continue;
        }
        ctx.submitted[i] = true;
        ctx.status[i] = StepStatus::Running;
        ++ctx.inFlight;
        pool_->submit([this, shared, i](store::StateStore& st) { runStep(shared, i, st); });
      }
      if (config_.scheduleHook) config_.scheduleHook(runId, ctx.inFlight);
      if (ctx.inFlight == 0) {
        bool unfinished = false;
        for (std::size_t i = 0; i < n; ++i)
          unfinished = unfinished || ctx.status[i] == StepStatus::Pending || ctx.status[i] == StepStatus::Running;
        if (!unfinished) break;
        if (stopping_) {
          interrupted = true;
          break;
        }
        if (!pending) break;
      }
      ctx.cv.wait_for(lock, std::chrono::milliseconds(50));
    }
  } catch (...) {
    // The loop failed (e.g. the journal could not be written): start nothing more, and let the
    // steps in flight end before the run is marked failed, so nothing of it runs after that.
    std::unique_lock lock(ctx.mu);
    ctx.cv.wait(lock, [&] { return ctx.inFlight == 0; });
    throw;
  }
  if (interrupted) {  // the run stays "running", back in the pool: resumed at the next claim
    state.releaseRun(runId, config_.instance);
    return;
  }

  int failures = 0, done = 0;
  for (auto s : ctx.status) {
    failures += s == StepStatus::Failed;
    done += s == StepStatus::Succeeded;
  }
  if (cancelled(runId)) {
    runStatus(state, runId, d->organisation, RunStatus::Cancelled,
              "cancelled after " + std::to_string(done) + " of " + std::to_string(n) + " steps",
              std::pair{d->id, DeploymentStatus::Failed});
    return;
  }
  if (failures > 0) {
    runStatus(state, runId, d->organisation, RunStatus::Failed,
              std::to_string(failures) + (failures == 1 ? " step" : " steps") + " failed",
              std::pair{d->id, DeploymentStatus::Failed});
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
  queueRunAudit(state, runId, d->organisation, "finished", runId, "succeeded", std::to_string(n) + " steps");
  tx.commit();
  if (config_.onOutbox) config_.onOutbox();
  countRunEnded(RunStatus::Succeeded);
}

void Executor::runStatus(store::StateStore& state, const std::string& runId, const std::string& organisation,
                         RunStatus status, const std::string& error,
                         std::optional<std::pair<std::string, DeploymentStatus>> deployment) {
  store::Transaction tx(state.connection(), true);
  state.setRunStatus(runId, status, error);
  if (deployment) state.setDeploymentStatus(deployment->first, deployment->second);
  if (status == RunStatus::Running)
    queueRunAudit(state, runId, organisation, "started", runId, "started", deployment ? deployment->first : "");
  else
    queueRunAudit(state, runId, organisation, "finished", runId, std::string(toString(status)), error);
  tx.commit();
  if (config_.onOutbox) config_.onOutbox();
  if (status != RunStatus::Running) countRunEnded(status);
}

void Executor::runStep(const std::shared_ptr<RunContext>& shared, std::size_t index, store::StateStore& state) {
  auto& ctx = *shared;
  auto& step = ctx.steps[index];
  const auto& provider = ctx.target->provider(step.kind);
  const void* slot = &provider;
  slots_.acquire(slot, ctx.target->parallelism(step.kind));
  Result<void> r;
  bool interrupted = false;
  try {
    journal_->commit([&](store::StateStore& st) { st.startStep(ctx.runId, step.seq, config_.instance); });
    for (;;) {
      ++step.attempts;
      try {
        r = attempt(state, ctx, step);
      } catch (const AbortError& e) {
        r = e.error();
      } catch (const store::DatabaseError& e) {
        r = Error{ErrorKind::Unavailable, std::string("state database: ") + e.what(), {}};
      } catch (const std::exception& e) {
        r = Error{ErrorKind::Internal, e.what(), {}};
      }
      if (r || r.error().kind != ErrorKind::Unavailable || step.attempts >= config_.retry.maxAttempts) break;
      state.setStepAttempts(ctx.runId, step.seq, step.attempts, "retrying: " + r.error().message);
      slots_.release(slot);
      bool goOn = backoff(backoffFor(step.attempts), ctx.runId);
      slots_.acquire(slot, ctx.target->parallelism(step.kind));
      if (!goOn) {
        if (stopping_) interrupted = true;
        else r = Error{ErrorKind::Unavailable, "cancelled while retrying: " + r.error().message, {}};
        break;
      }
    }
    if (!r && !interrupted) {
      std::string msg = r.error().message;
      if (step.attempts > 1) msg += " (after " + std::to_string(step.attempts) + " attempts)";
      journal_->commit([&](store::StateStore& st) {
        st.setStepAttempts(ctx.runId, step.seq, step.attempts, msg);
        st.setStepStatus(ctx.runId, step.seq, StepStatus::Failed, msg);
      });
      spdlog::warn("run {} step {} ({} {}) failed: {}", ctx.runId, step.seq, toString(step.action), step.resourceKey,
                   msg);
    }
  } catch (const std::exception& e) {  // the journal itself could not be written
    spdlog::error("run {} step {}: {}", ctx.runId, step.seq, e.what());
    interrupted = true;
  }
  slots_.release(slot);
  {
    static auto& steps = metrics::registry().counter(
        "fedihost_steps_total", "Steps ended, by resource kind, action and outcome", {"kind", "action", "outcome"});
    steps.inc({std::string(toString(step.kind)), std::string(toString(step.action)),
               interrupted ? "interrupted" : r ? "succeeded" : "failed"});
  }
  {
    std::lock_guard lock(ctx.mu);
    if (interrupted) {
      ctx.status[index] = StepStatus::Pending;  // left "running" in the journal: resumed later
      ctx.interrupted[index] = true;
    } else {
      ctx.status[index] = r ? StepStatus::Succeeded : StepStatus::Failed;
    }
    --ctx.inFlight;
    // Notified under the lock (ThreadSanitizer found a notify after unlocking racing the context's
    // destructor); the job's share of the context keeps it alive until the job is gone.
    ctx.cv.notify_all();
  }
}

Result<void> Executor::attempt(store::StateStore& state, const RunContext& ctx, const RunStep& step) {
  const auto& d = ctx.deployment;
  auto& provider = ctx.target->provider(step.kind);
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
    return providers::timedCall(provider, "remove", [&] { return provider.remove(*old); });
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
      observed = providers::timedCall(provider, "create", [&] { return provider.create(*rr); });
      if (!observed) return observed.error();
      break;
    }
    case ActionKind::Update: {
      auto rr = resolve(desired);
      if (!rr) return rr.error();
      observed = providers::timedCall(provider, "update", [&] { return provider.update(*rr); });
      if (!observed && observed.error().kind == ErrorKind::NotFound)
        observed = providers::timedCall(provider, "create", [&] { return provider.create(*rr); });
      if (!observed) return observed.error();
      break;
    }
  }

  // The resource's recorded state, the journal entry, the lifecycle event and the audit row,
  // together (in the journal writer's next group): the events are shipped from the outbox later.
  const char* event = step.action == ActionKind::Delete    ? "deleted"
                      : step.action == ActionKind::Create  ? "created"
                      : step.action == ActionKind::Replace ? "replaced"
                                                           : "updated";
  journal_->commit([&](store::StateStore& st) {
    if (step.action == ActionKind::Delete)
      st.forgetResource(step.resourceKey);
    else
      st.recordResource(desired, observed->outputs);
    st.clearDrift(step.resourceKey);
    st.setStepAttempts(ctx.runId, step.seq, step.attempts, "");
    st.setStepStatus(ctx.runId, step.seq, StepStatus::Succeeded);
    store::enqueueResourceEvent(st.connection(),
                                {ctx.runId + "/" + std::to_string(step.seq), {}, d.organisation, d.id,
                                 step.resourceKey, std::string(toString(step.kind)), event,
                                 step.action == ActionKind::Delete ? "{}" : accounting::quantitiesJson(desired)});
    queueRunAudit(st, ctx.runId, d.organisation, "step/" + std::to_string(step.seq), step.resourceKey, event,
                  std::string(toString(step.action)) + " " + step.resourceKey);
  });
  if (config_.onOutbox) config_.onOutbox();
  return {};
}

}  // namespace fedihost::orchestrator
