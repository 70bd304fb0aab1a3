#pragma once
// Plans skipped by fingerprint. A deployment's plan depends only on its planning
// inputs: its desired state (everything expand() reads), the code and catalog
// release that expand it, its recorded resources and its drift. The first two are
// hashed from the deployment itself; the last two are named by a generation the
// database bumps on every change of either (state migration 009). When the
// fingerprint of those inputs is the one a plan was computed from, the plan is
// not computed again: its outline (what it changes) is taken from the cache.
//
// A survey of every deployment's plan goes further: the database's generation
// also moves with the desired state (migration 016), so a deployment whose
// generation is the one its outline was surveyed at is not even read.
//
// The cache lives in the process (about 150 bytes a deployment when nothing is to
// be done); a restart computes each plan once more. Several processes on one
// database each keep their own, and stay right: the generation is the database's.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/domain.hh"
#include "store/state_store.hh"

namespace fedihost::orchestrator {

/// Which plan: the one an apply would run (recorded state and drift: Orchestrator::planFor), or
/// the desired state against the recorded one with drift aside (a deployment's "changes pending").
enum class PlanVariant { WithDrift, DriftAside };

/// What a plan changes: how many actions of each kind, and the actions that are not no-ops, in order.
struct PlanOutline {
  int create = 0, update = 0, replace = 0, remove = 0, noop = 0;
  std::vector<PlanAction> changes;
  bool empty() const { return changes.empty(); }
};
bool operator==(const PlanOutline& a, const PlanOutline& b);
PlanOutline outlineOf(const Plan& p);

/// The plan computed in full: expand (nothing for a deployment being deleted), read the recorded
/// resources (and, WithDrift, the drift) and compare.
Plan planDeployment(store::StateStore& state, const Deployment& d, PlanVariant variant);

/// The fingerprint of a deployment's planning inputs, given the generation of its recorded
/// resources and drift (store::PlanInputs).
std::string planFingerprint(const Deployment& d, std::int64_t generation, PlanVariant variant);

/// What a survey of every live deployment's plan found.
struct SurveyCount {
  std::int64_t deployments = 0;  ///< live deployments surveyed
  std::int64_t pending = 0;      ///< whose plan is not empty
  std::int64_t skipped = 0;      ///< whose outline was taken from the cache, the deployment not read
};

/// Outlines of plans by deployment, kept with the fingerprint of their inputs. Thread-safe.
class PlanCache {
 public:
  /// Every live deployment's plan outline, a page of ids and generations at a time (one query a
  /// page, store::PlanInputs::live). A deployment whose generation is the one its outline was
  /// surveyed at is not read at all; the others are read from the store and planned in full.
  /// `each` (if given) gets every deployment's id and outline, in id order, and returns false to
  /// end the survey there (a server stopping).
  SurveyCount survey(store::StateStore& state, PlanVariant variant,
                     const std::function<bool(const std::string&, const PlanOutline&)>& each = {},
                     int pageSize = 1000);
  /// The outline of the deployment's plan: the cached one if the fingerprint of its inputs is
  /// unchanged (`skipped` true), otherwise computed in full and kept.
  PlanOutline outline(store::StateStore& state, const Deployment& d, PlanVariant variant, bool* skipped = nullptr);
  /// The same for many deployments, with one query for their generations; `skipped` counts the
  /// plans taken from the cache.
  std::vector<PlanOutline> outlines(store::StateStore& state, const std::vector<Deployment>& ds,
                                    PlanVariant variant, std::int64_t* skipped = nullptr);
  /// Forgets every outline (benchmarks: the cold path).
  void clear();
  std::size_t size() const;

 private:
  struct Entry {
    std::string fingerprint;
    std::shared_ptr<const PlanOutline> outline;
    /// The database's generation of the deployment's inputs when a survey read it (the deployment
    /// read after it, so a change in between moves the generation on); -1 when the outline was
    /// computed from a deployment the caller gave, which may not be the stored one.
    std::int64_t surveyedAt = -1;
  };
  std::shared_ptr<const PlanOutline> lookup(const std::string& key, const std::string& fingerprint) const;
  std::shared_ptr<const PlanOutline> compute(store::StateStore& state, const Deployment& d, PlanVariant variant,
                                             const std::string& key, std::string fingerprint);
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  ///< by variant + deployment id
};

}  // namespace fedihost::orchestrator
