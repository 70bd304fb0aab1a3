#pragma once
// The executor: applies runs step by step against a target's providers,
// journaling every step. Runs of different deployments proceed in parallel on
// worker threads; a deployment has at most one run at a time (the API refuses
// a second). Unfinished runs are resumed at start: providers' creates are
// idempotent by identity key, so nothing is created twice.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "providers/provider.hh"
#include "secrets/secret_box.hh"
#include "store/accounting_store.hh"
#include "store/state_store.hh"

namespace fedihost::orchestrator {

struct ExecutorConfig {
  std::string stateUrl;       ///< each worker opens its own connection
  std::string accountingUrl;
  int workers = 2;
};

class Executor {
 public:
  Executor(ExecutorConfig config, const providers::Target& target, const secrets::SecretBox& box);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Starts the workers and queues every run left unfinished by a previous process.
  void start();
  /// Lets running steps finish, then stops the workers; queued runs stay queued in the database.
  void stop();
  /// Queues a run created by StateStore::createRun.
  void enqueue(const std::string& runId);
  /// Blocks until the queue is empty and no run is in progress (tests, CLI one-shots).
  void waitIdle();

  /// Runs one run to its end on the calling thread with the given stores.
  void execute(store::StateStore& state, store::AccountingStore& accounting, const std::string& runId);

 private:
  void workerLoop();
  Result<void> executeStep(store::StateStore& state, store::AccountingStore& accounting, const std::string& runId,
                           const Deployment& d, const RunStep& step);

  ExecutorConfig config_;
  const providers::Target& target_;
  const secrets::SecretBox& box_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_;
  std::deque<std::string> queue_;
  int busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

/// Replaces references in attributes: {"ref","output"} by the output of the
/// recorded resource, {"secret"} by {"secret","sealed"} (creating the secret on
/// first use). Provider error if a referenced resource is not recorded yet.
Result<json::object> resolveAttributes(store::StateStore& state, const secrets::SecretBox& box,
                                       const std::string& deployment, const json::object& attributes);

}  // namespace fedihost::orchestrator
