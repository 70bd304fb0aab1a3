#include "api/deployment_status.hh"

namespace fedihost::api {

std::string_view presentedStatus(const StatusFacts& f) {
  if (f.stored == DeploymentStatus::Deleted) return "deleted";
  if (f.stored == DeploymentStatus::Deleting) return "deleting";
  if (f.stored == DeploymentStatus::Applying || f.runActive) return "applying";
  if (f.stored == DeploymentStatus::Failed || f.lastRunFailed) return "failed";
  if (f.drifted) return "drifted";
  if (f.stored == DeploymentStatus::New || f.changesPending) return "changes pending";
  return "ready";
}

const std::vector<std::string_view>& presentedStatuses() {
  static const std::vector<std::string_view> all{"deleted", "deleting", "applying", "failed",
                                                 "drifted", "changes pending", "ready"};
  return all;
}

}  // namespace fedihost::api
