// Every account: the provider's operators only (the routes table says so).
#include "api/handlers/handlers.hh"
#include "api/input.hh"
#include "api/json_mapping.hh"
#include "store/account_store.hh"

namespace fedihost::api::handlers {
namespace {

Response setDisabled(RequestContext& ctx, bool disabled) {
  input::optionalJsonObject(ctx.request, {}).orThrow();
  auto user = ctx.app.accounts.getUser(ctx.param("id")).orThrow();
  if (disabled && user.id == ctx.user->id)
    throw AbortError(Error::conflict("you cannot disable your own account"));
  ctx.app.accounts.setDisabled(user.id, disabled);
  return json(200, mapping::toJson(ctx.app.accounts.getUser(user.id).orThrow()));
}

}  // namespace

Response listUsers(RequestContext& ctx) {
  auto p = input::paging(ctx.request).orThrow();
  auto page = ctx.app.accounts.listUsers(p.limit, p.cursor);
  return json(200, mapping::page(page, [&](auto& u) {
    auto j = mapping::toJson(u);
    boost::json::array grants;
    for (auto& g : ctx.app.accounts.grantsOf(u.id))
      grants.push_back(boost::json::object{{"organisation", g.organisation}, {"role", std::string(toString(g.role))}});
    j["grants"] = std::move(grants);
    return j;
  }));
}

Response postUserDisable(RequestContext& ctx) { return setDisabled(ctx, true); }
Response postUserEnable(RequestContext& ctx) { return setDisabled(ctx, false); }

}  // namespace fedihost::api::handlers
