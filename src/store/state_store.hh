#pragma once
// The state database: organisations, users, tokens, deployments, secrets,
// recorded resources, runs and their journal. Expected outcomes (not found,
// duplicate name, stale version) are Result errors; database failures throw.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/domain.hh"
#include "core/result.hh"
#include "store/sql.hh"

namespace fedihost::store {

/// One page of a list and the cursor of the next (empty when there is none).
template <class T>
struct Page {
  std::vector<T> items;
  std::string next;
};

class StateStore {
 public:
  /// Uses `c` (not owned), which must be migrated (store::migrate, DatabaseKind::State).
  explicit StateStore(Connection& c) : c_(c) {}
  Connection& connection() { return c_; }

  // Organisations
  /// Creates an organisation; Conflict (field "name") if the name is taken.
  Result<Organisation> createOrganisation(const std::string& name, const std::string& displayName);
  /// A live organisation; NotFound for an unknown or deleted one.
  Result<Organisation> getOrganisation(const std::string& id);
  /// Live organisations, all or only those in `only`, oldest first.
  Page<Organisation> listOrganisations(const std::optional<std::vector<std::string>>& only, int limit,
                                       const std::string& cursor);
  /// Changes what is given; NotFound for an unknown organisation.
  Result<Organisation> updateOrganisation(const std::string& id, const std::optional<std::string>& displayName,
                                          std::optional<bool> requireTotp);
  /// Deletes an organisation with no live deployment (Conflict otherwise): its members,
  /// pending invitations and bound tokens go with it; its name becomes free.
  Result<void> deleteOrganisation(const std::string& id);
  /// The organisation owning a deployment (deleted ones too), if the deployment exists.
  std::optional<std::string> organisationOfDeployment(const std::string& id);
  /// The organisation owning a run's deployment, if the run exists.
  std::optional<std::string> organisationOfRun(const std::string& id);

  // Deployments
  /// Creates a deployment (id, timestamps and version set here) publishing `hosts`;
  /// Conflict (field "name") on a taken name, Conflict (field "domain") when another
  /// live deployment publishes one of the hosts, or (of another organisation) a name
  /// inside or containing one of them.
  Result<Deployment> createDeployment(Deployment d, const std::vector<std::string>& hosts);
  /// A deployment by id; NotFound for an unknown one. Deleted deployments are found too.
  Result<Deployment> getDeployment(const std::string& id);
  /// Live (not deleted) deployments, all or of the given organisations only, oldest first.
  Page<Deployment> listDeployments(const std::optional<std::vector<std::string>>& organisations, int limit,
                                   const std::string& cursor);
  /// Deleted deployments that still have a complete backup (what a restore can bring back), all or
  /// of the given organisations only, oldest first (by creation, as listDeployments).
  Page<Deployment> listDeletedWithBackups(const std::optional<std::vector<std::string>>& organisations, int limit,
                                          const std::string& cursor);
  /// Replaces domain, apps, recorded versions and published hosts if the stored version is
  /// `expectedVersion` (PreconditionFailed otherwise); bumps the version. Conflicts as createDeployment.
  Result<Deployment> updateDeployment(const Deployment& d, std::int64_t expectedVersion,
                                      const std::vector<std::string>& hosts);
  /// Records the published hosts of live deployments that have none recorded (data from before hosts were kept).
  void backfillHosts(const std::function<std::vector<std::string>(const Deployment&)>& hostsOf);
  void setDeploymentStatus(const std::string& id, DeploymentStatus status);
  /// Moves the deployment to another target (a migration's cut-over); bumps the version, so plans
  /// saved for the old target are stale.
  void setDeploymentTarget(const std::string& id, const std::string& target);

  // Secrets
  /// The sealed secret `name` of a deployment, created with `makeSealed()` if absent.
  std::string sealedSecret(const std::string& deployment, const std::string& name,
                           const std::function<std::string()>& makeSealed);
  void deleteSecrets(const std::string& deployment);
  /// Replaces every secret of a deployment by `sealed` (name -> sealed value), in one transaction.
  void replaceSecrets(const std::string& deployment, const std::map<std::string, std::string>& sealed);
  /// Every sealed secret of a deployment, by name.
  std::map<std::string, std::string> sealedSecrets(const std::string& deployment);

  // Recorded resources
  std::vector<RecordedResource> recordedResources(const std::string& deployment);
  std::optional<RecordedResource> recordedResource(const std::string& key);
  void recordResource(const Resource& r, const json::object& outputs);
  void forgetResource(const std::string& key);

  // Runs and their journal
  /// Creates a queued run with one pending step per action (applying saved plan `planId`, if given);
  /// Conflict (naming the active one) if the deployment has a run queued or running or is being
  /// refreshed: a unique index of the database, not a check before the insert.
  Result<Run> createRun(const std::string& deployment, RunKind kind, const std::vector<PlanAction>& actions,
                        const std::string& planId = {});
  /// Claims a deployment for a refresh under the same constraint as a run (a row of kind
  /// "refresh", never listed or resumed); Conflict as createRun. Returns the claim's id.
  /// `instance` holds it (InstanceStore: dropped when that instance is taken for dead).
  Result<std::string> claimRefresh(const std::string& deployment, const std::string& instance = {});
  /// Ends a refresh's claim.
  void releaseRefresh(const std::string& claimId);
  /// Forgets the refresh claims a previous process left behind (at start).
  void dropRefreshClaims();
  /// A run; its steps when `withSteps`.
  Result<Run> getRun(const std::string& id, bool withSteps);
  /// Runs of a deployment (not refresh claims), newest first.
  Page<Run> listRuns(const std::string& deployment, int limit, const std::string& cursor);
  /// The queued or running run (or refresh claim) of a deployment, if any.
  std::optional<Run> activeRun(const std::string& deployment);
  /// Every run (not refresh claim) left queued or running (to resume after a restart), oldest first.
  std::vector<Run> unfinishedRuns();
  /// Claims the oldest queued or running run that no running instance holds (InstanceStore), for
  /// `instance` (which must be registered, or its claims count as free): on PostgreSQL `SELECT …
  /// FOR UPDATE SKIP LOCKED`, on SQLite under its write lock; the update is conditional on the
  /// holder read, so two instances never claim one run. nullopt if none is free.
  std::optional<std::string> claimRun(const std::string& instance);
  /// Hands a run back to the pool (an executor that stops or lost its lease).
  void releaseRun(const std::string& runId, const std::string& instance);
  /// Marks a step running, done by `instance` (the journal says which instance did each step).
  void startStep(const std::string& runId, int seq, const std::string& instance);
  void setRunStatus(const std::string& id, RunStatus status, const std::string& error = {});
  void setStepStatus(const std::string& runId, int seq, StepStatus status, const std::string& error = {});
  /// Records how many provider calls a step has made so far and the last retryable error.
  void setStepAttempts(const std::string& runId, int seq, int attempts, const std::string& lastError);
  /// Asks a queued or running run to stop; Conflict if it has ended.
  Result<Run> requestCancel(const std::string& runId);
  bool cancelRequested(const std::string& runId);

  /// Ids of every deployment (also deleted ones when asked), oldest first.
  std::vector<std::string> deploymentIds(bool includeDeleted);

  // Drift
  /// Replaces what the last refresh of a deployment found, and records when it ran.
  void replaceDrift(const std::string& deployment, const std::vector<Drift>& found, const std::string& checkedAt);
  std::vector<Drift> drift(const std::string& deployment);
  /// Forgets the drift of a resource (an apply has repaired it).
  void clearDrift(const std::string& key);
  /// When the deployment was last refreshed ("" if never).
  std::string refreshedAt(const std::string& deployment);

  // Saved plans
  SavedPlan savePlan(const std::string& deployment, const json::object& basis, const std::vector<PlanAction>& actions);
  Result<SavedPlan> getSavedPlan(const std::string& id);

 private:
  Connection& c_;
};

/// A resource as JSON (the journal's and saved plans' form), with the reason of its action.
json::object resourceToJson(const Resource& r, const std::string& reason);
/// The resource back from resourceToJson's form; DatabaseError for an unknown or missing kind.
Resource resourceFromJson(const json::object& o);

}  // namespace fedihost::store
