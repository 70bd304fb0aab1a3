#include "api/handlers/handlers.hh"
#include "catalog/catalog.hh"

namespace fedihost::api::handlers {

Response getCatalog(RequestContext&) {
  boost::json::array items;
  for (auto& app : catalog::all()) items.push_back(catalog::toJson(app));
  return json(200, {{"items", std::move(items)}});
}

Response getCatalogApp(RequestContext& ctx) {
  auto* app = catalog::find(ctx.param("app"));
  if (!app) throw AbortError(Error::notFound("no app \"" + ctx.param("app") + "\" in the catalog"));
  return json(200, catalog::toJson(*app));
}

}  // namespace fedihost::api::handlers
