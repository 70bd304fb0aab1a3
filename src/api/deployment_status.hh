#pragma once
// The status a deployment presents in the API and the panel, from the facts that
// decide it: the stored lifecycle state (DeploymentStatus), its runs, the last
// refresh's drift and whether its desired state differs from what was applied.
#include <string_view>
#include <vector>

#include "core/domain.hh"

namespace fedihost::api {

/// What decides a deployment's presented status.
struct StatusFacts {
  DeploymentStatus stored = DeploymentStatus::New;
  bool runActive = false;       ///< a run is queued or running
  bool lastRunFailed = false;   ///< its latest run failed or was cancelled
  bool drifted = false;         ///< the last refresh found resources that differ at their provider
  bool changesPending = false;  ///< the desired state differs from what the last applies applied
};

/// One of "ready", "changes pending", "applying", "drifted", "failed", "deleting",
/// "deleted", the first that holds in this order: deleted, deleting, applying (a run
/// is queued or running), failed (the last run failed or was cancelled), drifted,
/// changes pending (also: never applied), ready.
std::string_view presentedStatus(const StatusFacts& f);

/// Every presented status, in the order above.
const std::vector<std::string_view>& presentedStatuses();

}  // namespace fedihost::api
