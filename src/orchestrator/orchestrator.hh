#pragma once
// The orchestrator: the one part that turns desired deployments into
// resources at providers. The API writes desired state and asks it for plans,
// runs, refreshes and orphan scans; only the orchestrator talks to providers.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "accounting/storage_sampler.hh"
#include "orchestrator/backups.hh"
#include "orchestrator/executor.hh"
#include "orchestrator/fingerprint.hh"
#include "orchestrator/housekeeping.hh"
#include "orchestrator/instances.hh"
#include "providers/provider.hh"
#include "secrets/secret_box.hh"
#include "store/job_store.hh"
#include "store/outbox.hh"
#include "store/state_store.hh"

namespace fedihost::orchestrator {

/// Where a data directory keeps things.
struct DataDir {
  std::filesystem::path root;
  std::filesystem::path masterKey = {};  ///< the master key file when not DATA/secret.key (a systemd credential)
  /// The databases' URLs when not the SQLite files under root (`--state`, `--accounting`):
  /// "sqlite:PATH" or "postgresql://…" (store::connect).
  std::string state = {};
  std::string accounting = {};
  std::string stateUrl() const { return state.empty() ? "sqlite:" + (root / "state.db").string() : state; }
  std::string accountingUrl() const {
    return accounting.empty() ? "sqlite:" + (root / "accounting.db").string() : accounting;
  }
  std::filesystem::path secretKey() const { return masterKey.empty() ? root / "secret.key" : masterKey; }
  /// The signed head of the audit chain, and the installation's Ed25519 key that signs it.
  std::filesystem::path auditHeadFile() const { return root / "audit-head.json"; }
  std::filesystem::path auditKeyFile() const { return root / "audit-signing.key"; }
  /// Where the file provider of a target writes.
  std::filesystem::path targetRoot(const std::string& target) const { return root / "targets" / target; }
  /// Target configurations: targets/<name>.json (the built-in "local" file target needs none).
  std::filesystem::path targetConfigDir() const { return root / "targets"; }
  /// The key that seals the secrets of bundles (mode 0600; `fedihost bundle key export`).
  std::filesystem::path bundleKey() const { return root / "bundle.key"; }
  /// Where backups are written unless the server is given another directory.
  std::filesystem::path backupsDir() const { return root / "backups"; }
};

/// Creates the data directory if needed and applies pending schema migrations to both databases.
void prepareDataDir(const DataDir& dir);

/// The exclusive lock of a data directory by the server using it: an flock on
/// DATA/serve.lock (mode 0600, the holder's PID written into it), held while the
/// object lives; the kernel drops it when the process ends, however it ends.
class DataDirLock {
 public:
  /// Creates the directory if needed and locks it; Conflict naming the holder's PID
  /// if another process holds the lock.
  static Result<DataDirLock> acquire(const DataDir& dir);
  DataDirLock(DataDirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

struct OrchestratorOptions {
  int workers = 2;                            ///< runs at once
  int jobWorkers = 2;                         ///< refresh and orphan-scan jobs at once
  int maxParallelSteps = 8;                   ///< provider calls in flight overall
  RetryPolicy retry;
  std::chrono::seconds refreshInterval{0};    ///< periodic drift refresh of every deployment (0: off)
  std::uint64_t jitterSeed = 0;
  std::chrono::milliseconds shipInterval{1000};   ///< the outbox is shipped at least this often
  std::chrono::milliseconds headInterval{10000};  ///< the audit chain's signed head is written at most this often
  std::function<void(const std::string&, int)> scheduleHook;  ///< tests only: ExecutorConfig::scheduleHook
  std::filesystem::path backupDir;  ///< the backup directory ("": DATA/backups): the target, or the S3 target's spool
  /// Where bundles go: `url` "" for the backup directory, "s3://…" for a bucket (its `directory` is backupDir's).
  backup_target::TargetConfig backupTarget;
  /// How long this instance's claims last without a heartbeat (instances sharing a PostgreSQL state database).
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds pollInterval{1000};  ///< idle workers look for runs queued by other instances
  bool faultInjection = false;      ///< targets may inject faults ("faults" in a target file): tests, drills
  std::chrono::hours jobRetention{24 * 7};  ///< ended refresh and orphan-scan jobs are forgotten after this (0: never)
  std::chrono::seconds housekeepingInterval{3600};  ///< how often housekeeping looks (housekeeping.hh)
};

/// Every targets/<name>.json under `dir`, built as the server builds them (the built-in "local"
/// is not among them). The first bad file (by name) is an Invalid error whose message starts
/// with its path: not JSON, a name other than the file's, a kind every deployment needs left
/// out, "faults" without `faultInjection`, a provider's bad settings.
Result<std::map<std::string, std::unique_ptr<providers::Target>>> loadTargetFiles(const DataDir& dir,
                                                                                  const secrets::SecretBox* box,
                                                                                  bool faultInjection);

/// A resource a provider holds that no recorded resource accounts for.
struct Orphan {
  std::string target;
  std::string key;
  std::string deployment;
  std::string reason;  ///< "deployment deleted", "deployment unknown", "not recorded"
};

/// A provider (of a target, for a kind and deployment) that could not list what it holds:
/// the scan does not know whether it holds orphans.
struct ScanFailure {
  std::string target;
  std::string deployment;  ///< "" when the target's own listing failed
  std::string kind;        ///< the resource kind, "" for the target's directory
  std::string error;
};

/// What an orphan scan found, and where it could not look.
struct OrphanScan {
  std::vector<Orphan> orphans;
  std::vector<ScanFailure> failures;
};

/// What a refresh did.
struct RefreshReport {
  std::string checkedAt;
  int checked = 0;
  std::vector<Drift> drift;
  std::vector<std::string> errors;  ///< resources that could not be read (kept out of the drift)
};

/// Told how far a refresh or a scan has got: provider calls made, of about `total`.
using Progress = std::function<void(std::int64_t done, std::int64_t total)>;

/// What the last refresh found, as the API shows it (GET …/drift, a refresh job's result):
/// {deployment, refreshedAt, drifted, resources: [{resourceKey, status, detail, checkedAt}], errors}.
json::object driftDocument(const std::string& deployment, const std::string& refreshedAt,
                           const std::vector<Drift>& drift, const std::vector<std::string>& errors);
/// An orphan scan as the API shows it (an orphan-scan job's result): {items, failures, complete}.
json::object orphanScanDocument(const OrphanScan& scan);

class Orchestrator {
  static OrchestratorOptions withWorkers(int workers) {
    OrchestratorOptions o;
    o.workers = workers;
    return o;
  }

 public:
  /// The built-in "local" file target plus every targets/<name>.json under `dir`.
  Orchestrator(DataDir dir, OrchestratorOptions options);
  Orchestrator(DataDir dir, int workers) : Orchestrator(std::move(dir), withWorkers(workers)) {}
  ~Orchestrator();

  /// The plan that brings the deployment's recorded resources to its desired
  /// ones (to none, for a deployment being deleted), given the drift last seen.
  Plan planFor(store::StateStore& state, const Deployment& d) const;
  /// Outlines of plans kept by the fingerprint of their inputs: cheap when nothing changed.
  PlanCache& plans() const { return plans_; }
  /// The survey of every live deployment's plan (with drift) that follows each periodic refresh.
  struct PlanSurvey {
    SurveyCount count;
    double seconds = 0;  ///< how long it took
    std::string at;      ///< when it ended (RFC 3339); "" before the first
  };
  /// The last survey (GET /metrics: fedihost_deployments_changes_pending).
  PlanSurvey lastSurvey() const;
  /// Plans and queues an apply run; Conflict if the deployment has a run queued or running, or is being refreshed.
  Result<Run> apply(store::StateStore& state, const Deployment& d);
  /// As apply, with an update of each resource of `forceUpdate` (keys) that the plan leaves
  /// unchanged: a restore in place that changed secrets these resources deliver (a role's
  /// password, a machine's secret files), which the plan cannot see (it compares references).
  Result<Run> applyUpdating(store::StateStore& state, const Deployment& d, const std::set<std::string>& forceUpdate);
  /// Plans and queues the run that deletes every resource of the deployment; Conflict as for apply.
  Result<Run> destroy(store::StateStore& state, const Deployment& d);

  /// Computes and keeps the current plan, to be applied later by applySaved.
  SavedPlan savePlan(store::StateStore& state, const Deployment& d);
  /// Applies a saved plan as it was computed; Conflict (naming what changed) if the
  /// deployment, its recorded resources or their drift changed since, or if it was applied already.
  Result<Run> applySaved(store::StateStore& state, const Deployment& d, const std::string& planId);

  /// Asks a queued or running run to stop; Conflict if it has ended.
  Result<Run> cancel(store::StateStore& state, const std::string& runId);

  /// Reads every recorded resource of a deployment back from its provider and records what differs.
  /// Holds the deployment as a run does (StateStore::claimRefresh): Conflict if a run is queued or
  /// running, or another refresh is in progress; an apply asked meanwhile gets Conflict.
  Result<RefreshReport> refresh(store::StateStore& state, const std::string& deploymentId);
  /// Lists each target's providers for resources no recorded resource accounts for; a provider
  /// that fails to list is reported in `failures` (never taken for "no orphans").
  OrphanScan findOrphans(store::StateStore& state, const Progress& progress = {});

  /// Queues the refresh of a deployment as a job for the workers, holding the deployment from
  /// now on as refresh() does: Conflict if a run is queued or running, or a refresh is in progress.
  /// The job's result is driftDocument().
  Result<store::Job> startRefresh(store::StateStore& state, const std::string& deploymentId,
                                  const std::string& requestedBy);
  /// Queues an orphan scan as a job (its result is orphanScanDocument()); if one is queued or
  /// running already, returns that one with `created` false.
  store::Job startOrphanScan(store::StateStore& state, const std::string& requestedBy, bool& created);
  /// Queues the verification of a complete backup's bundle as a job: every part's size and
  /// checksum, none missing or unknown, the secrets open with the bundle key (bundle::readBundle,
  /// as `fedihost bundle verify`). Its result is bundleVerifyDocument(); a damaged bundle is a
  /// result (intact false, naming the part), not a failed job.
  store::Job startBundleVerify(store::StateStore& state, const store::Backup& backup, const std::string& requestedBy);

  /// This process's instance id (InstanceStore), written on the runs, steps and jobs it does.
  const std::string& instanceId() const { return lease_->id(); }

  /// How many bytes a recorded bucket of `d` holds, asked of its target's blob provider
  /// (storage sampling, accounting/storage_sampler.hh); a failed call comes back as a failed
  /// measurement with its error, never as 0 bytes.
  accounting::Measurement measureBucket(store::StateStore& state, const Deployment& d, const Resource& bucket) const;

  /// A configured target, or nullptr.
  const providers::Target* target(const std::string& name) const;
  std::vector<std::string> targetNames() const;
  /// Backups and restores of deployments (bundles).
  Backups& backups() { return *backups_; }
  /// The installation's secret box (secret.key).
  const secrets::SecretBox& box() const { return box_; }

  /// The directory of a deployment in the local file target.
  std::filesystem::path deploymentPath(const std::string& deploymentId) const;

  /// Starts executing (and resumes unfinished runs), and the periodic refresh if configured.
  void start();
  /// Stops after the steps in progress.
  void stop();
  /// Waits until no run and no job is queued or running.
  void waitIdle();
  const DataDir& dataDir() const { return dir_; }
  /// Asks the outbox shipper to ship soon (after a commit that queued events).
  void wakeShipper();
  /// Ships the outbox now and writes the signed head (tests, tools); returns the events moved.
  std::int64_t shipOutbox();

 private:
  Result<Run> queue(store::StateStore& state, const Deployment& d, RunKind kind,
                    const std::set<std::string>& forceUpdate = {});
  json::object basisOf(store::StateStore& state, const Deployment& d) const;
  void refreshLoop();
  Result<RefreshReport> refreshHeld(store::StateStore& state, const Deployment& d, const providers::Target& t,
                                    const Progress& progress);
  void enqueueJob(const std::string& id);
  void jobLoop();
  void runJob(store::StateStore& state, store::JobStore& jobs, const std::string& id);

  DataDir dir_;
  OrchestratorOptions options_;
  secrets::SecretBox box_;
  std::map<std::string, std::unique_ptr<providers::Target>> targets_;
  std::unique_ptr<store::Shipper> shipper_;
  std::unique_ptr<InstanceLease> lease_;
  ProviderSlots slots_;  ///< each provider's calls in flight: the executor's steps, refreshes, orphan scans
  std::unique_ptr<Executor> executor_;
  mutable PlanCache plans_;

  std::mutex jobsMu_;
  std::condition_variable jobsCv_;
  std::condition_variable jobsIdle_;
  std::deque<std::string> jobQueue_;
  int jobsBusy_ = 0;
  bool jobsStopping_ = false;
  std::vector<std::thread> jobThreads_;
  std::unique_ptr<Backups> backups_;
  std::unique_ptr<Housekeeping> housekeeping_;

  mutable std::mutex surveyMu_;
  PlanSurvey lastSurvey_;  ///< under surveyMu_: written by the refresher thread, read by handlers

  std::thread refresher_;
  std::mutex refreshMu_;
  std::condition_variable refreshCv_;
  bool stopping_ = false;
};

}  // namespace fedihost::orchestrator
