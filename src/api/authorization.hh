#pragma once
// Authorization in one place: who a request is from, and whether the route's
// declaration (routes.cc) lets them. The dispatcher calls these before any handler.
#include <optional>
#include <string>

#include "aaa/auth.hh"
#include "api/router.hh"
#include "core/result.hh"

namespace fedihost::api {

/// Who a request is from.
struct Caller {
  std::optional<aaa::Principal> principal;  ///< none: no credentials (or bad ones, on an open route)
  std::string cookieToken;                  ///< the session cookie's secret, when that is how it came
};

/// Finds the caller from `Authorization: Bearer` or the panel's session cookie.
/// Unauthorized when a route that needs a caller gets no or bad credentials;
/// on a route open to anyone, bad credentials are ignored.
Result<Caller> identify(const Request& req, ApiContext& app, const Access& access);

/// Checks the route's declaration for the request's principal (ctx.principal): the CSRF
/// token of a cookie session, the second factor an operator or organisation requires,
/// the organisation of the path's object (NotFound when it is another organisation's,
/// exactly as when it does not exist), the token's scope and the role (Forbidden).
/// Sets ctx.organisation, ctx.role and ctx.auditOrganisation.
Result<void> authorize(const Route& route, RequestContext& ctx);

}  // namespace fedihost::api
