#include "api/handlers/handlers.hh"
#include "aaa/auth.hh"
#include "api/input.hh"
#include "api/json_mapping.hh"
#include "store/state_store.hh"

namespace fedihost::api::handlers {

Response postOrganisation(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"name", "displayName"}).orThrow();
  input::FieldErrors errors;  // every field at fault, answered at once
  auto name = errors.take(input::requiredString(body, "name"));
  if (name) errors.check(input::checkOrganisationSlug(*name, "name"));
  auto display = errors.take(input::optionalString(body, "displayName"));
  if (display && *display) errors.check(input::checkOrganisationName(**display, "displayName"));
  errors.throwIfAny();
  auto org = ctx.app.state.createOrganisation(*name, display->value_or(*name)).orThrow();
  ctx.auditOrganisation = org.id;
  auto r = json(201, mapping::toJson(org));
  r.headers["location"] = "/api/v1/organisations/" + org.id;
  return r;
}

Response listOrganisations(RequestContext& ctx) {
  auto p = input::paging(ctx.request).orThrow();
  auto page = ctx.app.state.listOrganisations(ctx.principal->visibleOrganisations(), p.limit, p.cursor);
  return json(200, mapping::page(page, [&](auto& o) {
    auto j = mapping::toJson(o);
    j["role"] = toString(*ctx.principal->roleIn(o.id));
    return j;
  }));
}

Response getOrganisation(RequestContext& ctx) {
  auto j = mapping::toJson(ctx.app.state.getOrganisation(ctx.organisation).orThrow());
  j["role"] = toString(*ctx.role);
  return json(200, j);
}

Response patchOrganisation(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"displayName", "requireTotp"}).orThrow();
  auto display = input::optionalString(body, "displayName").orThrow();
  if (display) input::checkOrganisationName(*display, "displayName").orThrow();
  std::optional<bool> requireTotp;
  if (auto* v = body.if_contains("requireTotp")) {
    if (!v->is_bool()) throw AbortError(Error::malformed("requireTotp", "requireTotp must be true or false"));
    requireTotp = v->get_bool();
    if (*requireTotp && !ctx.user->totpEnabled && !ctx.user->isOperator)
      throw AbortError(Error::invalid("requireTotp", "set up your own second factor first, or you would lock yourself out"));
  }
  auto org = ctx.app.state.updateOrganisation(ctx.organisation, display, requireTotp).orThrow();
  return json(200, mapping::toJson(org));
}

Response deleteOrganisation(RequestContext& ctx) {
  ctx.app.state.deleteOrganisation(ctx.organisation).orThrow();
  Response r;
  r.status = 204;
  return r;
}

}  // namespace fedihost::api::handlers
