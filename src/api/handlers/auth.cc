// Signing in and out, one's own account, second factors, API tokens, password resets and sign-up.
#include "aaa/auth.hh"

#include "aaa/passwords.hh"
#include "api/handlers/handlers.hh"
#include "api/input.hh"
#include "api/json_mapping.hh"
#include "api/session_cookie.hh"
#include "core/clock.hh"
#include "core/ids.hh"
#include "net/mailer.hh"
#include "store/account_store.hh"
#include "store/state_store.hh"

namespace fedihost::api::handlers {
namespace {



const aaa::Principal& principal(RequestContext& ctx) { return *ctx.principal; }

Response noContent() {
  Response r;
  r.status = 204;
  return r;
}

}  // namespace

Response signedIn(RequestContext& ctx, const aaa::Issued& issued, int status, boost::json::object extra) {
  ctx.auditUser = issued.session.userId;
  auto user = ctx.app.accounts.getUser(issued.session.userId).orThrow();
  extra["token"] = issued.token;
  extra["csrfToken"] = aaa::csrfToken(issued.token);
  extra["expiresAt"] = issued.session.expiresAt;
  extra["user"] = mapping::toJson(user);
  auto r = json(status, extra);
  setSessionCookie(r, issued.token, ctx.app.authenticator.options().sessionLifetime.count(),
                   ctx.app.options.secureCookies);
  return r;
}

std::string publicLink(RequestContext& ctx, const std::string& page, const std::string& token) {
  auto base = ctx.app.options.publicUrl;
  if (base.empty()) base = "http://" + ctx.request.header("host");
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + page + "#token=" + token;
}

Response getAuthOptions(RequestContext& ctx) {
  return json(200, {{"signup", ctx.app.options.signup}, {"passwordReset", ctx.app.mailer != nullptr}});
}

Response postLogin(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"email", "password", "totp"}).orThrow();
  aaa::LoginRequest req;
  req.email = input::requiredString(body, "email").orThrow();
  req.password = input::requiredString(body, "password").orThrow();
  req.secondFactor = input::optionalString(body, "totp").orThrow().value_or("");
  req.remote = ctx.request.remote;
  req.userAgent = ctx.request.header("user-agent");
  auto issued = ctx.app.authenticator.login(ctx.app.accounts, req).orThrow();
  return signedIn(ctx, issued);
}

Response postSignup(RequestContext& ctx) {
  if (!ctx.app.options.signup)
    throw AbortError({ErrorKind::Forbidden, "sign-up is closed here: ask the provider for an invitation", {}});
  auto body = input::jsonObject(ctx.request, {"email", "password", "organisation"}).orThrow();
  auto email = input::requiredString(body, "email").orThrow();
  auto password = input::requiredString(body, "password").orThrow();
  aaa::checkCredentialsShape(email, password).orThrow();
  auto* orgValue = body.if_contains("organisation");
  if (!orgValue || !orgValue->is_object())
    throw AbortError(Error::malformed("organisation", "organisation is required: {\"name\", \"displayName\"}"));
  auto& orgBody = orgValue->get_object();
  input::knownMembers(orgBody, {"name", "displayName"}, "organisation").orThrow();
  auto name = input::requiredString(orgBody, "name").orThrow();
  input::checkOrganisationSlug(name, "organisation.name").orThrow();
  auto display = input::optionalString(orgBody, "displayName").orThrow().value_or(name);
  input::checkOrganisationName(display, "organisation.displayName").orThrow();
  auto hash = aaa::hashPassword(password);
  store::Transaction tx(ctx.app.state.connection(), true);
  auto user = ctx.app.accounts.createUser(email, hash, false).orThrow();
  auto org = ctx.app.state.createOrganisation(name, display);
  if (!org) {
    Error e = org.error();
    e.field = "organisation.name";
    throw AbortError(e);
  }
  ctx.app.accounts.setGrant(user.id, org->id, Role::OrgAdmin);
  tx.commit();
  ctx.auditOrganisation = org->id;
  return signedIn(ctx, ctx.app.authenticator.openSession(ctx.app.accounts, user, ctx.request.remote,
                                                          ctx.request.header("user-agent")),
                  201);
}

Response postLogout(RequestContext& ctx) {
  auto& p = principal(ctx);
  ctx.app.accounts.revokeSession(p.user.id, p.session.id, p.session.isToken);
  auto r = noContent();
  setSessionCookie(r, "", 0, ctx.app.options.secureCookies);
  return r;
}

Response postLogoutAll(RequestContext& ctx) {
  auto& p = principal(ctx);
  ctx.app.accounts.revokeSessions(p.user.id, "");
  auto r = noContent();
  setSessionCookie(r, "", 0, ctx.app.options.secureCookies);
  return r;
}

Response getMe(RequestContext& ctx) {
  auto& p = principal(ctx);
  boost::json::array orgs;
  if (auto visible = p.visibleOrganisations()) {
    for (auto& id : *visible) {
      auto org = ctx.app.state.getOrganisation(id);
      if (!org) continue;
      auto o = mapping::toJson(*org);
      o["role"] = toString(*p.roleIn(id));
      orgs.push_back(std::move(o));
    }
  } else {
    // An operator: every organisation, as operator.
    for (auto& org : ctx.app.state.listOrganisations(std::nullopt, 200, "").items) {
      auto o = mapping::toJson(org);
      o["role"] = "operator";
      orgs.push_back(std::move(o));
    }
  }
  boost::json::object out{{"user", mapping::toJson(p.user)},
                   {"organisations", std::move(orgs)},
                   {"session", mapping::toJson(p.session, true)},
                   {"recoveryCodesLeft", ctx.app.accounts.unusedRecoveryCodes(p.user.id)},
                   {"requireOperatorTotp", ctx.app.authenticator.options().requireOperatorTotp}};
  if (!ctx.sessionToken.empty()) out["csrfToken"] = aaa::csrfToken(ctx.sessionToken);
  return json(200, out);
}

Response listSessions(RequestContext& ctx) {
  auto& p = principal(ctx);
  boost::json::array items;
  for (auto& s : ctx.app.accounts.listSessions(p.user.id, false)) items.push_back(mapping::toJson(s, s.id == p.session.id));
  return json(200, {{"items", std::move(items)}});
}

Response deleteSession(RequestContext& ctx) {
  if (!ctx.app.accounts.revokeSession(principal(ctx).user.id, ctx.param("id"), false))
    throw AbortError(Error::notFound("no session " + ctx.param("id")));
  return noContent();
}

Response postPassword(RequestContext& ctx) {
  auto& p = principal(ctx);
  auto body = input::jsonObject(ctx.request, {"currentPassword", "newPassword"}).orThrow();
  auto current = input::requiredString(body, "currentPassword").orThrow();
  auto next = input::requiredString(body, "newPassword").orThrow();
  aaa::checkCredentialsShape(p.user.email, next, "newPassword").orThrow();
  if (!ctx.app.authenticator.checkPassword(ctx.app.accounts, p.user, current))
    throw AbortError({ErrorKind::Forbidden, "the current password is wrong", "currentPassword"});
  ctx.app.accounts.setPasswordHash(p.user.id, aaa::hashPassword(next));
  ctx.app.accounts.revokeSessions(p.user.id, p.session.id);  // every other session signs in again
  return noContent();
}

Response postEmail(RequestContext& ctx) {
  auto& p = principal(ctx);
  auto body = input::jsonObject(ctx.request, {"password", "email"}).orThrow();
  auto password = input::requiredString(body, "password").orThrow();
  auto email = input::requiredString(body, "email").orThrow();
  aaa::checkCredentialsShape(email, password).orThrow();
  if (!ctx.app.authenticator.checkPassword(ctx.app.accounts, p.user, password))
    throw AbortError({ErrorKind::Forbidden, "the password is wrong", "password"});
  ctx.app.accounts.setEmail(p.user.id, email).orThrow();
  return json(200, mapping::toJson(ctx.app.accounts.getUser(p.user.id).orThrow()));
}

Response postTotp(RequestContext& ctx) {
  input::optionalJsonObject(ctx.request, {}).orThrow();
  auto& p = principal(ctx);
  if (p.user.totpEnabled)
    throw AbortError(Error::conflict("a second factor is set up already; turn it off first to set up another"));
  auto setup = ctx.app.authenticator.beginTotp(ctx.app.accounts, p.user);
  return json(200, {{"secret", setup.secret}, {"uri", setup.uri}});
}

Response postTotpConfirm(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"code"}).orThrow();
  auto code = input::requiredString(body, "code").orThrow();
  auto codes = ctx.app.authenticator.confirmTotp(ctx.app.accounts, principal(ctx).user, code).orThrow();
  boost::json::array list;
  for (auto& c : codes) list.emplace_back(c);
  return json(200, {{"recoveryCodes", std::move(list)}});
}

Response deleteTotp(RequestContext& ctx) {
  auto& p = principal(ctx);
  auto body = input::jsonObject(ctx.request, {"password"}).orThrow();
  auto password = input::requiredString(body, "password").orThrow();
  if (!ctx.app.authenticator.checkPassword(ctx.app.accounts, p.user, password))
    throw AbortError({ErrorKind::Forbidden, "the password is wrong", "password"});
  ctx.app.accounts.disableTotp(p.user.id);
  return noContent();
}

Response postPasswordReset(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"email"}).orThrow();
  auto email = input::requiredString(body, "email").orThrow();
  if (!ctx.app.mailer)
    throw AbortError({ErrorKind::Unavailable, "password reset by e-mail is not configured here; ask your provider", {}});
  // The same answer whether or not the address has an account.
  if (auto found = ctx.app.accounts.findUserByEmail(email); found && !found->first.disabled) {
    auto token = "fhr_" + ids::randomToken(32);
    ctx.app.accounts.createPasswordReset(found->first.id, aaa::tokenHash(token),
                                         clock::fromNowRfc3339(ctx.app.options.resetLifetime));
    net::MailMessage mail;
    mail.to = found->first.email;
    mail.subject = "Reset your fedihost password";
    mail.textBody = "Someone asked to reset the password of this account.\n\nTo choose a new password, open this "
                    "link within an hour:\n\n" +
                    publicLink(ctx, "reset", token) + "\n\nIf it was not you, ignore this message: nothing changes.\n";
    auto sent = ctx.app.mailer->send(mail);
    if (!sent) throw AbortError(sent.error());
  }
  return json(202, {{"status", "if the address has an account, a link is on its way"}});
}

Response postPasswordResetConfirm(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"token", "password"}).orThrow();
  auto token = input::requiredString(body, "token").orThrow();
  auto password = input::requiredString(body, "password").orThrow();
  aaa::checkPasswordShape(password).orThrow();
  auto hash = aaa::hashPassword(password);
  auto user = ctx.app.accounts.consumePasswordReset(aaa::tokenHash(token), clock::nowRfc3339());
  if (!user) throw AbortError(Error::invalid("token", "this link is not valid any more (used, expired or unknown)"));
  ctx.app.accounts.setPasswordHash(*user, hash);
  ctx.app.accounts.revokeSessions(*user, "");
  ctx.auditUser = *user;
  return noContent();
}

Response postToken(RequestContext& ctx) {
  auto& p = principal(ctx);
  auto body = input::jsonObject(ctx.request, {"name", "scopes", "expiresAt", "organisation"}).orThrow();
  auto name = input::requiredString(body, "name").orThrow();
  std::vector<Scope> scopes;
  auto* list = body.if_contains("scopes");
  if (!list || !list->is_array()) throw AbortError(Error::malformed("scopes", "scopes must be an array of names"));
  for (std::size_t i = 0; i < list->as_array().size(); ++i) {
    auto& v = list->as_array()[i];
    auto s = v.is_string() ? scopeFromString(v.get_string()) : std::nullopt;
    if (!s)
      throw AbortError(Error::invalid("scopes[" + std::to_string(i) + "]",
                                      "unknown scope (known: read, write, deploy, admin)"));
    scopes.push_back(*s);
  }
  auto expires = input::optionalString(body, "expiresAt").orThrow().value_or("");
  if (!expires.empty() && !input::isRfc3339(expires))
    throw AbortError(Error::invalid("expiresAt", "expiresAt must be a UTC time like 2027-01-31T00:00:00Z"));
  auto organisation = input::optionalString(body, "organisation").orThrow().value_or("");
  if (!organisation.empty()) ctx.auditOrganisation = organisation;
  auto issued = ctx.app.authenticator.createToken(ctx.app.accounts, p, name, scopes, expires, organisation).orThrow();
  auto o = mapping::toJson(issued.session);
  o["token"] = issued.token;
  auto r = json(201, o);
  r.headers["location"] = "/api/v1/tokens/" + issued.session.id;
  return r;
}

Response listTokens(RequestContext& ctx) {
  boost::json::array items;
  for (auto& s : ctx.app.accounts.listSessions(principal(ctx).user.id, true)) items.push_back(mapping::toJson(s));
  return json(200, {{"items", std::move(items)}});
}

Response deleteToken(RequestContext& ctx) {
  if (!ctx.app.accounts.revokeSession(principal(ctx).user.id, ctx.param("id"), true))
    throw AbortError(Error::notFound("no token " + ctx.param("id")));
  return noContent();
}

}  // namespace fedihost::api::handlers
