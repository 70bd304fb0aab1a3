// An organisation's members and invitations. The dispatcher has checked the
// caller's role in the organisation of the path (ctx.organisation).
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



Role grantableRole(const boost::json::object& body) {
  auto text = input::requiredString(body, "role").orThrow();
  auto role = roleFromString(text);
  if (!role || *role == Role::Operator)
    throw AbortError(Error::invalid("role", "\"" + text + "\" is not a role here (org-admin, member or viewer)"));
  return *role;
}

/// The invitation a token stands for, if it can still be accepted.
store::Invitation pendingInvitation(RequestContext& ctx, const std::string& token) {
  auto inv = ctx.app.accounts.invitationByTokenHash(aaa::tokenHash(token));
  const Error gone = Error::invalid("token", "this invitation is not valid any more (used, revoked, expired or unknown)");
  if (!inv || inv->state(clock::nowRfc3339()) != "pending") throw AbortError(gone);
  if (!ctx.app.state.getOrganisation(inv->organisation)) throw AbortError(gone);
  return *inv;
}

}  // namespace

Response listMembers(RequestContext& ctx) {
  boost::json::array items;
  for (auto& m : ctx.app.accounts.members(ctx.organisation)) items.push_back(mapping::toJson(m));
  return json(200, {{"items", std::move(items)}});
}

Response patchMember(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"role"}).orThrow();
  auto role = grantableRole(body);
  ctx.app.accounts.changeRole(ctx.param("user"), ctx.organisation, role).orThrow();
  for (auto& m : ctx.app.accounts.members(ctx.organisation))
    if (m.user.id == ctx.param("user")) return json(200, mapping::toJson(m));
  throw AbortError(Error::notFound("no member " + ctx.param("user") + " in this organisation"));
}

Response deleteMember(RequestContext& ctx) {
  ctx.app.accounts.removeGrant(ctx.param("user"), ctx.organisation).orThrow();
  Response r;
  r.status = 204;
  return r;
}

Response postInvitation(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"email", "role"}).orThrow();
  input::FieldErrors errors;  // every field at fault, answered at once
  auto given = errors.take(input::requiredString(body, "email"));
  if (given) errors.check(aaa::checkEmailShape(*given));
  std::optional<Role> granted;
  try {
    granted = grantableRole(body);
  } catch (const AbortError& e) {
    errors.add(e.error());
  }
  errors.throwIfAny();
  auto email = *given;
  auto role = *granted;
  auto org = ctx.app.state.getOrganisation(ctx.organisation).orThrow();

  store::Invitation inv;
  inv.id = ids::newId("inv");
  inv.organisation = org.id;
  inv.email = email;
  inv.role = role;
  inv.invitedBy = ctx.user->id;
  inv.createdAt = clock::nowRfc3339();
  inv.expiresAt = clock::fromNowRfc3339(ctx.app.options.invitationLifetime);
  auto token = "fhi_" + ids::randomToken(32);
  ctx.app.accounts.createInvitation(inv, aaa::tokenHash(token));
  auto link = publicLink(ctx, "invite", token);

  // Mailed when a relay is configured; the inviter always gets the link to pass on.
  bool mailed = false;
  std::string mailError;
  if (ctx.app.mailer) {
    net::MailMessage mail;
    mail.to = email;
    mail.subject = "You are invited to " + org.displayName;
    mail.textBody = ctx.user->email + " invites you to " + org.displayName + " as " + std::string(toString(role)) +
                    ".\n\nTo accept, open this link (valid until " + inv.expiresAt.substr(0, 10) + "):\n\n" + link + "\n";
    auto sent = ctx.app.mailer->send(mail);
    mailed = sent.ok();
    if (!sent) mailError = sent.error().message;
  }
  auto o = mapping::toJson(inv, clock::nowRfc3339());
  o["token"] = token;
  o["url"] = link;
  o["mailed"] = mailed;
  if (!mailError.empty()) o["mailError"] = mailError;
  auto r = json(201, o);
  r.headers["location"] = "/api/v1/organisations/" + org.id + "/invitations/" + inv.id;
  return r;
}

Response listInvitations(RequestContext& ctx) {
  boost::json::array items;
  auto now = clock::nowRfc3339();
  for (auto& i : ctx.app.accounts.invitations(ctx.organisation)) items.push_back(mapping::toJson(i, now));
  return json(200, {{"items", std::move(items)}});
}

Response deleteInvitation(RequestContext& ctx) {
  if (!ctx.app.accounts.revokeInvitation(ctx.organisation, ctx.param("invitation")))
    throw AbortError(Error::notFound("no pending invitation " + ctx.param("invitation")));
  Response r;
  r.status = 204;
  return r;
}

Response postInvitationInspect(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"token"}).orThrow();
  auto inv = pendingInvitation(ctx, input::requiredString(body, "token").orThrow());
  auto org = ctx.app.state.getOrganisation(inv.organisation).orThrow();
  return json(200, boost::json::object{
                       {"organisation", boost::json::object{{"id", org.id}, {"displayName", org.displayName}}},
                       {"email", inv.email},
                       {"role", std::string(toString(inv.role))},
                    {"expiresAt", inv.expiresAt},
                    {"accountExists", ctx.app.accounts.findUserByEmail(inv.email).has_value()}});
}

Response postInvitationAccept(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"token", "password"}).orThrow();
  auto inv = pendingInvitation(ctx, input::requiredString(body, "token").orThrow());
  auto password = input::optionalString(body, "password").orThrow();
  ctx.auditOrganisation = inv.organisation;

  if (ctx.principal) {
    // Signed in: the grant goes to this account, whatever address the link was sent to.
    const auto& user = ctx.principal->user;
    store::Transaction tx(ctx.app.state.connection(), true);
    if (!ctx.app.accounts.acceptInvitation(inv.id, user.id, clock::nowRfc3339()))
      throw AbortError(Error::invalid("token", "this invitation is not valid any more"));
    ctx.app.accounts.setGrant(user.id, inv.organisation, inv.role);
    tx.commit();
    return json(200, boost::json::object{{"organisation", inv.organisation}, {"role", std::string(toString(inv.role))}});
  }
  if (ctx.app.accounts.findUserByEmail(inv.email))
    throw AbortError(Error::conflict("an account with the address " + inv.email +
                                     " exists already: sign in first, then open the link again"));
  if (!password) throw AbortError(Error::malformed("password", "choose a password for your new account"));
  aaa::checkCredentialsShape(inv.email, *password).orThrow();
  auto hash = aaa::hashPassword(*password);
  store::Transaction tx(ctx.app.state.connection(), true);
  auto user = ctx.app.accounts.createUser(inv.email, hash, false).orThrow();
  if (!ctx.app.accounts.acceptInvitation(inv.id, user.id, clock::nowRfc3339()))
    throw AbortError(Error::invalid("token", "this invitation is not valid any more"));
  ctx.app.accounts.setGrant(user.id, inv.organisation, inv.role);
  tx.commit();
  auto issued = ctx.app.authenticator.openSession(ctx.app.accounts, user, ctx.request.remote,
                                                  ctx.request.header("user-agent"));
  return signedIn(ctx, issued, 200, boost::json::object{{"organisation", inv.organisation}, {"role", std::string(toString(inv.role))}});
}

}  // namespace fedihost::api::handlers
