#include "orchestrator/housekeeping.hh"

#include <spdlog/spdlog.h>

#include "core/clock.hh"
#include "store/instance_store.hh"
#include "store/job_store.hh"

namespace fedihost::orchestrator {

Housekeeping::Housekeeping(HousekeepingConfig config)
    : config_(std::move(config)), thread_("housekeeping", config_.interval, [this] {
        auto conn = store::connect(config_.stateUrl);
        runOnce(*conn);
      }) {}

std::optional<Swept> Housekeeping::runOnce(store::Connection& conn) {
  store::InstanceStore instances(conn);
  // The next round is due a little before the next wake, so that this instance's own next wake finds it due.
  const auto period = std::chrono::duration_cast<std::chrono::milliseconds>(config_.interval) * 9 / 10;
  if (!instances.claimRound("housekeeping", config_.instance, period)) return std::nullopt;
  Swept swept;
  if (config_.jobRetention.count() > 0)
    swept.jobs = store::JobStore(conn).removeEndedBefore(clock::rfc3339(clock::now() - config_.jobRetention));
  swept.instances = instances.forgetStopped(store::InstanceStore::realAgo(config_.instanceRetention));
  if (swept.jobs > 0 || swept.instances > 0)
    spdlog::info("housekeeping: {} ended jobs and {} stopped instances forgotten", swept.jobs, swept.instances);
  return swept;
}

}  // namespace fedihost::orchestrator
