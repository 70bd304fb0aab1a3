#include "api/authorization.hh"
#include "store/backup_store.hh"
#include "store/migration_store.hh"

#include "api/session_cookie.hh"
#include "store/job_store.hh"
#include "store/state_store.hh"

namespace fedihost::api {
namespace {

std::string bearerToken(const Request& req) {
  auto h = req.header("authorization");
  constexpr std::string_view prefix = "Bearer ";
  if (h.size() > prefix.size() && std::string_view(h).substr(0, prefix.size()) == prefix) return h.substr(prefix.size());
  return {};
}

/// The value of a cookie, or "".
std::string cookie(const Request& req, std::string_view name) {
  auto h = req.header("cookie");
  std::size_t i = 0;
  while (i < h.size()) {
    while (i < h.size() && (h[i] == ' ' || h[i] == ';')) ++i;
    auto end = h.find(';', i);
    if (end == std::string::npos) end = h.size();
    auto eq = h.find('=', i);
    if (eq != std::string::npos && eq < end && std::string_view(h).substr(i, eq - i) == name)
      return h.substr(eq + 1, end - eq - 1);
    i = end + 1;
  }
  return {};
}

std::string notFoundMessage(OrgFrom from, const std::string& id) {
  switch (from) {
    case OrgFrom::Organisation: return "no organisation " + id;
    case OrgFrom::Deployment: return "no deployment " + id;
    case OrgFrom::Run: return "no run " + id;
    case OrgFrom::Job: return "no job " + id;
    case OrgFrom::Backup: return "no backup " + id;
    case OrgFrom::Restore: return "no restore " + id;
    case OrgFrom::Migration: return "no migration " + id;
    case OrgFrom::None: break;
  }
  return "not found";
}

std::string_view needWords(Need n) {
  switch (n) {
    case Need::Viewer: return "a viewer";
    case Need::Member: return "a member";
    case Need::OrgAdmin: return "an org-admin";
    case Need::Operator: return "an operator";
    default: return "signed in";
  }
}

Role roleOf(Need n) {
  switch (n) {
    case Need::OrgAdmin: return Role::OrgAdmin;
    case Need::Member: return Role::Member;
    case Need::Operator: return Role::Operator;  // an organisation's route for operators only
    default: return Role::Viewer;
  }
}

Error forbidden(std::string message) { return {ErrorKind::Forbidden, std::move(message), {}}; }

Error lacksScope(Scope s) {
  return forbidden("this API token lacks the \"" + std::string(toString(s)) + "\" scope this needs");
}

Error secondFactorNeeded(std::string message) {
  Error e = forbidden(std::move(message));
  e.extra.emplace_back("totp", "setup-required");
  return e;
}

/// The organisation owning the path's object, if it exists.
std::optional<std::string> organisationOf(const Access& access, RequestContext& ctx) {
  const auto& id = ctx.param(access.param);
  switch (access.org) {
    case OrgFrom::Organisation: return id;
    case OrgFrom::Deployment: return ctx.app.state.organisationOfDeployment(id);
    case OrgFrom::Run: return ctx.app.state.organisationOfRun(id);
    case OrgFrom::Job: return store::JobStore(ctx.app.state.connection()).organisationOf(id);
    case OrgFrom::Backup: return store::BackupStore(ctx.app.state.connection()).organisationOfBackup(id);
    case OrgFrom::Restore: return store::BackupStore(ctx.app.state.connection()).organisationOfRestore(id);
    case OrgFrom::Migration: return store::MigrationStore(ctx.app.state.connection()).organisationOf(id);
    case OrgFrom::None: break;
  }
  return std::nullopt;
}

}  // namespace

std::string_view toString(Need n) {
  switch (n) {
    case Need::Anyone: return "anyone";
    case Need::SignedIn: return "signed-in";
    case Need::Viewer: return "viewer";
    case Need::Member: return "member";
    case Need::OrgAdmin: return "org-admin";
    case Need::Operator: return "operator";
  }
  return "operator";
}

Result<Caller> identify(const Request& req, ApiContext& app, const Access& access) {
  Caller caller;
  auto token = bearerToken(req);
  if (token.empty()) caller.cookieToken = token = cookie(req, kSessionCookie);
  const bool needed = access.need != Need::Anyone;
  if (token.empty()) {
    if (needed) return Error{ErrorKind::Unauthorized, "sign in first: this needs a session or an API token", {}};
    return caller;
  }
  auto who = app.authenticator.authenticate(app.accounts, token);
  if (!who) {
    if (needed) return who.error();
    caller.cookieToken.clear();
    return caller;
  }
  caller.principal = std::move(*who);
  return caller;
}

Result<void> authorize(const Route& route, RequestContext& ctx) {
  const auto& access = route.access;
  const auto* p = ctx.principal;
  if (p) {
    if (!ctx.sessionToken.empty() && isMutating(ctx.request.method) &&
        ctx.request.header("x-csrf-token") != aaa::csrfToken(ctx.sessionToken))
      return forbidden("this request lacks the X-CSRF-Token of the session; reload the page");
    if (p->user.isOperator && ctx.app.authenticator.options().requireOperatorTotp && !p->user.totpEnabled &&
        !ctx.request.path.starts_with("/api/v1/auth/"))
      return secondFactorNeeded("operators must set up a second factor first (Account page)");
  }
  if (access.need == Need::Anyone) return {};
  if (access.org == OrgFrom::None) {
    if (!p->session.hasScope(access.scope)) return lacksScope(access.scope);
    if (access.need == Need::Operator && !(p->user.isOperator && p->session.organisation.empty()))
      return forbidden("only the provider's operators may do this");
    return {};
  }
  // Another organisation's object is not found, exactly as one that does not exist, before
  // anything else is refused.
  const Error missing = Error::notFound(notFoundMessage(access.org, ctx.param(access.param)));
  auto org = organisationOf(access, ctx);
  if (!org) return missing;
  if (access.org == OrgFrom::Job && org->empty()) {
    // The provider's own object (an orphan scan job): its operators', and not found for anyone else.
    if (!(p->user.isOperator && p->session.organisation.empty())) return missing;
    if (!p->session.hasScope(access.scope)) return lacksScope(access.scope);
    return {};
  }
  auto role = p->roleIn(*org);
  if (!role) return missing;
  auto organisation = ctx.app.state.getOrganisation(*org);
  if (!organisation) return missing;
  ctx.organisation = *org;
  ctx.role = role;
  ctx.auditOrganisation = *org;
  if (!p->session.hasScope(access.scope)) return lacksScope(access.scope);
  if (!roleIncludes(*role, roleOf(access.need)))
    return forbidden("your role in this organisation (" + std::string(toString(*role)) +
                     ") may not do this: it needs " + std::string(needWords(access.need)));
  if (organisation->requireTotp && *role != Role::Operator && !p->user.totpEnabled)
    return secondFactorNeeded("this organisation requires a second factor: set one up first (Account page)");
  return {};
}

}  // namespace fedihost::api
