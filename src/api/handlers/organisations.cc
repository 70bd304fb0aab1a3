#include "api/handlers/handlers.hh"
#include "api/input.hh"
#include "api/json_mapping.hh"
#include "store/state_store.hh"

namespace fedihost::api::handlers {

Response postOrganisation(RequestContext& ctx) {
  auto body = input::jsonBody(ctx.request).orThrow();
  auto name = input::requiredString(body, "name").orThrow();
  auto display = input::optionalString(body, "displayName").orThrow();
  input::checkOrganisationName(name, "name").orThrow();
  if (display) input::checkOrganisationName(*display, "displayName").orThrow();
  auto org = ctx.app.state.createOrganisation(name, display.value_or(name)).orThrow();
  ctx.auditOrganisation = org.id;
  auto r = json(201, mapping::toJson(org));
  r.headers["location"] = "/api/v1/organisations/" + org.id;
  return r;
}

Response listOrganisations(RequestContext& ctx) {
  auto p = input::paging(ctx.request).orThrow();
  auto page = ctx.app.state.listOrganisations(p.limit, p.cursor);
  return json(200, mapping::page(page, [](auto& o) { return mapping::toJson(o); }));
}

Response getOrganisation(RequestContext& ctx) {
  return json(200, mapping::toJson(ctx.app.state.getOrganisation(ctx.param("id")).orThrow()));
}

}  // namespace fedihost::api::handlers
