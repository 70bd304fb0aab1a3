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
  boost::json::array items, failures;
  auto scan = ctx.app.orchestrator.findOrphans(ctx.app.state);
  for (auto& o : scan.orphans)
    items.push_back(boost::json::object{
        {"target", o.target}, {"resourceKey", o.key}, {"deployment", o.deployment}, {"reason", o.reason}});
  // Where a provider could not list, the scan does not know: said per target, deployment and kind.
  for (auto& f : scan.failures)
    failures.push_back(boost::json::object{
        {"target", f.target}, {"deployment", f.deployment}, {"kind", f.kind}, {"error", f.error}});
  return json(200, boost::json::object{{"items", std::move(items)}, {"failures", std::move(failures)},
                                       {"complete", scan.failures.empty()}});
}

}  // namespace fedihost::api::handlers
