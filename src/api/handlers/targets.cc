// Targets (where deployments live) and what their providers hold.
#include "api/handlers/handlers.hh"
#include "orchestrator/orchestrator.hh"
#include "store/state_store.hh"

namespace fedihost::api::handlers {

Response listTargets(RequestContext& ctx) {
  boost::json::array items;
  for (auto& name : ctx.app.orchestrator.targetNames()) {
    const auto* t = ctx.app.orchestrator.target(name);
    boost::json::object providers;
    for (auto kind : allResourceKinds()) {
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

Response getOrphans(RequestContext& ctx) {
  boost::json::array items;
  for (auto& o : ctx.app.orchestrator.findOrphans(ctx.app.state))
    items.push_back(boost::json::object{
        {"target", o.target}, {"resourceKey", o.key}, {"deployment", o.deployment}, {"reason", o.reason}});
  return json(200, boost::json::object{{"items", std::move(items)}});
}

}  // namespace fedihost::api::handlers
