#pragma once
// The executor: applies runs against their targets' providers, journaling every
// step.
//  - Runs of different deployments proceed in parallel (`workers` runs at once);
//    a deployment has at most one run at a time (the orchestrator refuses a second).
//  - Within a run, steps walk the dependency graph: a step starts once every
//    step it is ordered after (a dependency, or a dependent being removed first)
//    has ended. Provider calls in flight are bounded overall (`maxParallelSteps`)
//    and per provider instance (the target's `parallelism` for that kind).
//  - Retryable errors (Unavailable: timeouts, 5xx, "busy") are retried with
//    exponential backoff and full jitter up to `retry.maxAttempts` calls; the
//    journal keeps the number of calls. Other errors fail the step with the
//    provider's message and skip only what is ordered after it.
//  - A run can be cancelled: no new step starts, steps in flight end, the rest
//    is skipped and the run ends "cancelled".
//  - Runs are claimed from the database (StateStore::claimRun), not taken from a
//    queue of this process: any instance sharing the state database may execute a
//    queued run, and a run whose instance stopped or was taken for dead goes back
//    to the pool and is resumed from its journal by whichever instance claims it
//    next. Creates are idempotent by identity key, so nothing is created twice.
//    `enqueue` only wakes a worker; each worker also polls every `pollInterval`.
//  - A step's journal entries (started; succeeded with its recorded resource, events and audit
//    row; failed) are committed by one JournalWriter in groups with the other steps' that end
//    at the same time; a step counts as ended only once its group committed.
//  - A run's context is shared by the step jobs that use it, and a failure of the
//    scheduling loop (a database error) first waits for the steps in flight to end:
//    the run is marked failed only once nothing of it runs any more.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "orchestrator/journal_writer.hh"
#include "orchestrator/provider_slots.hh"
#include "providers/provider.hh"
#include "secrets/secret_box.hh"
#include "store/accounting_store.hh"
#include "store/state_store.hh"

namespace fedihost::orchestrator {

struct RetryPolicy {
  int maxAttempts = 6;                   ///< provider calls per step, the first included
  std::chrono::milliseconds base{100};   ///< backoff before the 2nd call; doubles each time
  std::chrono::milliseconds cap{5000};   ///< longest single backoff
};

struct ExecutorConfig {
  std::string stateUrl;  ///< each thread opens its own connection
  std::string accountingUrl;
  int workers = 2;            ///< runs executed at once
  int maxParallelSteps = 8;   ///< provider calls in flight overall
  RetryPolicy retry;
  std::uint64_t jitterSeed = 0;  ///< 0: from the clock
  std::function<void()> onOutbox;  ///< called after a transaction that queued outbox events (wakes the shipper)
  /// Tests only: called in a run's scheduling loop after it started what could start, with the
  /// number of steps in flight; it may throw, to fail the loop while steps are in flight.
  std::function<void(const std::string& runId, int inFlight)> scheduleHook;
  std::string instance;  ///< the instance that claims runs (InstanceStore); "" in tools and tests
  std::chrono::milliseconds pollInterval{1000};  ///< how often idle workers look for runs queued elsewhere
};

/// Finds a deployment's target by name; nullptr if there is none.
using TargetLookup = std::function<const providers::Target*(const std::string&)>;

class Executor {
 public:
  /// `slots` counts each provider's calls in flight, shared with the refreshes and orphan scans
  /// of the same Orchestrator (which owns it and outlives the executor).
  Executor(ExecutorConfig config, TargetLookup targets, const secrets::SecretBox& box, ProviderSlots& slots);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Starts the workers; they claim every run no instance holds (left by a previous process too).
  void start();
  /// Lets steps in flight finish, then stops; unfinished runs stay in the database, handed back to
  /// the pool, and resume at the next claim.
  void stop();
  /// Stops starting steps and claiming runs at once, without waiting (the instance lost its lease:
  /// what it held may be another's now); stop() still joins the threads.
  void abandon();
  /// Wakes a worker to claim a run created by StateStore::createRun.
  void enqueue(const std::string& runId);
  /// Asks a run to stop (StateStore::requestCancel records it durably).
  void cancel(const std::string& runId);
  /// Blocks until the queue is empty and no run is in progress (tests, CLI one-shots).
  void waitIdle();

 private:
  class StepPool;
  struct RunContext;
  void workerLoop();
  void execute(store::StateStore& state, const std::string& runId);
  void runStep(const std::shared_ptr<RunContext>& ctx, std::size_t index, store::StateStore& state);
  Result<void> attempt(store::StateStore& state, const RunContext& ctx, const RunStep& step);
  /// Sets a run's status with its audit row ("started", "finished") in one transaction.
  void runStatus(store::StateStore& state, const std::string& runId, const std::string& organisation,
                 RunStatus status, const std::string& error = {},
                 std::optional<std::pair<std::string, DeploymentStatus>> deployment = std::nullopt);
  bool cancelled(const std::string& runId);
  /// Sleeps up to `d`; false if stopping or the run was cancelled meanwhile.
  bool backoff(std::chrono::milliseconds d, const std::string& runId);
  std::chrono::milliseconds backoffFor(int attemptsMade);

  ExecutorConfig config_;
  TargetLookup targets_;
  const secrets::SecretBox& box_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_;
  std::deque<std::string> queue_;
  std::set<std::string> cancelled_;
  int busy_ = 0;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
  std::unique_ptr<JournalWriter> journal_;  ///< commits the step threads' journal entries in groups
  std::unique_ptr<StepPool> pool_;          ///< destroyed before journal_: its threads use it

  ProviderSlots& slots_;

  std::mutex rngMu_;
  std::uint64_t rng_;
};

/// Replaces references in attributes: {"ref","output"} by the output of the
/// recorded resource, {"secret"} by {"secret","sealed"} (creating the secret on
/// first use). Provider error if a referenced resource is not recorded yet.
Result<json::object> resolveAttributes(store::StateStore& state, const secrets::SecretBox& box,
                                       const std::string& deployment, const json::object& attributes);
/// The outputs of the resource with identity key `key`; nullopt if it does not exist (yet).
using OutputsLookup = std::function<std::optional<json::object>(const std::string& key)>;
/// As above, the outputs found by `outputsOf` (a migration's new side, not yet recorded).
Result<json::object> resolveAttributes(store::StateStore& state, const secrets::SecretBox& box,
                                       const std::string& deployment, const json::object& attributes,
                                       const OutputsLookup& outputsOf);

}  // namespace fedihost::orchestrator
