#include "aaa/auth.hh"
#include "api/handlers/handlers.hh"
#include "api/input.hh"
#include "api/json_mapping.hh"

namespace fedihost::api::handlers {

Response postLogin(RequestContext& ctx) {
  auto body = input::jsonBody(ctx.request).orThrow();
  auto email = input::requiredString(body, "email").orThrow();
  auto password = input::requiredString(body, "password").orThrow();
  auto r = aaa::login(ctx.app.state, email, password).orThrow();
  ctx.user = r.user;
  return json(200, {{"token", r.token}, {"user", mapping::toJson(r.user)}});
}

Response getMe(RequestContext& ctx) { return json(200, mapping::toJson(*ctx.user)); }

}  // namespace fedihost::api::handlers
