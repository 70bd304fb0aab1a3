#pragma once
// Jobs (state migration 007): a deployment's refresh and the orphan scan, done
// by the orchestrator's workers while the request that asked for them has long
// answered 202. A job is queued, then running (with progress), then done (with
// its result) or failed (with the reason).
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/result.hh"
#include "store/sql.hh"

namespace fedihost::store {

enum class JobKind { Refresh, OrphanScan, BundleVerify };
enum class JobState { Queued, Running, Done, Failed };
std::string_view toString(JobKind k);
std::string_view toString(JobState s);
std::optional<JobKind> jobKindFromString(std::string_view s);
std::optional<JobState> jobStateFromString(std::string_view s);

struct Job {
  std::string id;  ///< "job_…"
  JobKind kind = JobKind::Refresh;
  std::string deployment;    ///< of a refresh or of the backup a bundle-verify reads; "" for an orphan scan
  std::string subject;       ///< the backup a bundle-verify reads; "" otherwise
  std::string organisation;  ///< "" for the provider's own jobs (orphan scans)
  JobState state = JobState::Queued;
  std::int64_t done = 0;   ///< provider calls made so far
  std::int64_t total = 0;  ///< of about this many (0 until known)
  std::optional<boost::json::object> result;  ///< once done
  std::string error;                           ///< once failed
  std::string claim;  ///< a refresh's hold on its deployment (StateStore::claimRefresh)
  std::string requestedBy;
  std::string createdAt, startedAt, finishedAt;
  std::string instance;  ///< the fedihost instance whose workers do it
  bool ended() const { return state == JobState::Done || state == JobState::Failed; }
};

class JobStore {
 public:
  /// Uses `c` (not owned), migrated as a state database.
  explicit JobStore(Connection& c) : c_(c) {}

  /// Claims the deployment (as StateStore::claimRefresh: Conflict while a run or another refresh
  /// holds it) and queues its refresh job, in one transaction.
  /// `instance` does it (its workers; the job fails if that instance is taken for dead).
  Result<Job> createRefresh(const std::string& deployment, const std::string& organisation,
                            const std::string& requestedBy, const std::string& instance = {});
  /// Queues an orphan scan; if one is queued or running already, that one (`created` false).
  Job createOrphanScan(const std::string& requestedBy, bool& created, const std::string& instance = {});
  /// Queues the verification of a backup's bundle (of `deployment`, in `organisation`). Claims
  /// nothing: reading a bundle changes nothing, and a backup's bundle never changes once written.
  Job createBundleVerify(const std::string& backup, const std::string& deployment, const std::string& organisation,
                         const std::string& requestedBy, const std::string& instance = {});
  /// A job; NotFound for an unknown one. DatabaseError for a corrupt row.
  Result<Job> get(const std::string& id);
  /// The organisation a job belongs to ("" for the provider's own), if the job exists.
  std::optional<std::string> organisationOf(const std::string& id);
  /// Marks a queued job running; false if it is not queued (ended meanwhile).
  bool start(const std::string& id);
  void progress(const std::string& id, std::int64_t done, std::int64_t total);
  /// Ends a job as done with its result, or failed with the reason; releases a refresh's claim in
  /// the same transaction.
  void finish(const std::string& id, const boost::json::object& result);
  void fail(const std::string& id, const std::string& error);
  /// Jobs left queued or running by a process that ended: failed, saying so (their claims are
  /// dropped at start). Returns how many.
  int failUnfinished(const std::string& why);
  /// Forgets the jobs that ended (done or failed) before `before` (RFC 3339), their results with
  /// them: housekeeping. Never a queued or running job. Returns how many.
  int removeEndedBefore(const std::string& before);

 private:
  void end(const std::string& id, JobState state, const std::string& result, const std::string& error);
  Connection& c_;
};

}  // namespace fedihost::store
