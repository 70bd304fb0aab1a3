// Targets (where deployments live) and what their providers hold.
#include "api/handlers/handlers.hh"
#include "store/job_store.hh"
#include "orchestrator/orchestrator.hh"
#include "store/state_store.hh"

namespace fedihost::api::handlers {

Response listTargets(RequestContext& ctx) {
  boost::json::array items;
  for (auto& name : ctx.app.orchestrator.targetNames()) {
    const auto* t = ctx.app.orchestrator.target(name);
    boost::json::object providers;
    for (auto kind : allResourceKinds()) {
      if (!t->has(kind)) continue;  // not offered: a deployment needing it is refused when planned
      auto& p = t->provider(kind);
      auto caps = p.capabilities();
      providers[toString(kind)] = boost::json::object{{"implementation", p.implementation()},
                                                      {"parallelism", t->parallelism(kind)},
                                                      {"canUpdateInPlace", caps.canUpdateInPlace},
                                                      {"canList", caps.canList}};
    }
    items.push_back(boost::json::object{{"name", name}, {"providers", std::move(providers)}});
  }
  return json(200, boost::json::object{{"items", std::move(items)}, {"next", nullptr}});
}

Response postOrphanScan(RequestContext& ctx) {
  // About one provider call per target, deployment and kind: done by the orchestrator's workers.
  // While a scan is queued or running, asking again gets that one (still 202).
  bool created = false;
  auto job = ctx.app.orchestrator.startOrphanScan(ctx.app.state, ctx.user ? ctx.user->id : "", created);
  return jobAccepted(job);
}

}  // namespace fedihost::api::handlers
