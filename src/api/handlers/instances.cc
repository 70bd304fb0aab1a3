// The fedihost servers (instances) that share the state database.
#include <chrono>

#include "api/handlers/handlers.hh"
#include "api/json_mapping.hh"
#include "core/clock.hh"
#include "orchestrator/orchestrator.hh"
#include "store/instance_store.hh"

namespace fedihost::api::handlers {

using mapping::orNull;

Response listInstances(RequestContext& ctx) {
  const auto& self = ctx.app.orchestrator.instanceId();
  const auto now = std::chrono::system_clock::now();
  boost::json::array items;
  for (auto& i : store::InstanceStore(ctx.app.state.connection()).list()) {
    // "alive": heartbeat within its lease; "late": not, and nobody has taken it over yet.
    std::string state = "stopped";
    if (i.stoppedAt.empty())
      state = i.heartbeatAt >= clock::rfc3339(now - std::chrono::milliseconds(i.leaseMs)) ? "alive" : "late";
    items.push_back(boost::json::object{{"id", i.id},
                                        {"host", i.host},
                                        {"pid", i.pid},
                                        {"version", i.version},
                                        {"state", state},
                                        {"self", i.id == self},
                                        {"startedAt", i.startedAt},
                                        {"heartbeatAt", i.heartbeatAt},
                                        {"leaseSeconds", static_cast<double>(i.leaseMs) / 1000.0},
                                        {"stoppedAt", orNull(i.stoppedAt)},
                                        {"stopReason", orNull(i.stopReason)},
                                        {"runs", i.runsHeld},
                                        {"jobs", i.jobsHeld}});
  }
  return json(200, boost::json::object{{"items", std::move(items)}, {"next", nullptr}});
}

}  // namespace fedihost::api::handlers
