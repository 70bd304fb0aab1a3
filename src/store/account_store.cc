#include "store/account_store.hh"

#include <algorithm>
#include <cctype>

#include "core/clock.hh"
#include "core/ids.hh"
#include "store/paging.hh"

namespace fedihost::store {
namespace {

constexpr const char* kUserColumns = "u.id, u.email, u.role, u.disabled_at, u.totp_secret, u.created_at";

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// A user from kUserColumns starting at column `at`; a role other than the two known ones is corruption.
User userFrom(const Row& r, int at = 0) {
  User u;
  u.id = r.text(at);
  u.email = r.text(at + 1);
  auto role = r.text(at + 2);
  if (role != "operator" && role != "customer")
    throw DatabaseError("user " + u.id + " has an unknown role \"" + role + "\"");
  u.isOperator = role == "operator";
  u.disabled = !r.text(at + 3).empty();
  u.totpEnabled = !r.text(at + 4).empty();
  u.createdAt = r.text(at + 5);
  return u;
}

Role roleFrom(const std::string& text, const std::string& what) {
  auto role = roleFromString(text);
  if (!role || *role == Role::Operator) throw DatabaseError(what + " has an unknown role \"" + text + "\"");
  return *role;
}

std::string scopesText(const std::vector<Scope>& scopes) {
  std::string out;
  for (auto s : scopes) out += (out.empty() ? "" : " ") + std::string(toString(s));
  return out;
}

std::vector<Scope> scopesFrom(const std::string& text, const std::string& id) {
  std::vector<Scope> out;
  std::size_t i = 0;
  while (i < text.size()) {
    auto j = text.find(' ', i);
    auto word = text.substr(i, j == std::string::npos ? std::string::npos : j - i);
    auto s = scopeFromString(word);
    if (!s) throw DatabaseError("session " + id + " has an unknown scope \"" + word + "\"");
    out.push_back(*s);
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return out;
}

constexpr const char* kSessionColumns =
    "s.id, s.user_id, s.kind, s.name, s.scopes, s.organisation_id, s.created_at, s.last_used_at, s.expires_at, "
    "s.idle_seconds, s.remote, s.user_agent";

Session sessionFrom(const Row& r) {
  Session s;
  s.id = r.text(0);
  s.userId = r.text(1);
  auto kind = r.text(2);
  if (kind != "session" && kind != "token") throw DatabaseError("session " + s.id + " has an unknown kind");
  s.isToken = kind == "token";
  s.name = r.text(3);
  s.scopes = scopesFrom(r.text(4), s.id);
  s.organisation = r.text(5);
  s.createdAt = r.text(6);
  s.lastUsedAt = r.text(7);
  s.expiresAt = r.text(8);
  s.idleSeconds = r.integer(9);
  s.remote = r.text(10);
  s.userAgent = r.text(11);
  return s;
}

constexpr const char* kInvitationColumns =
    "id, organisation_id, email, role, invited_by, created_at, expires_at, accepted_at, accepted_by, revoked_at";

Invitation invitationFrom(const Row& r) {
  Invitation i;
  i.id = r.text(0);
  i.organisation = r.text(1);
  i.email = r.text(2);
  i.role = roleFrom(r.text(3), "invitation " + i.id);
  i.invitedBy = r.text(4);
  i.createdAt = r.text(5);
  i.expiresAt = r.text(6);
  i.acceptedAt = r.text(7);
  i.acceptedBy = r.text(8);
  i.revokedAt = r.text(9);
  return i;
}

OrganisationDomain domainFrom(const Row& r) {
  return {r.text(0), r.text(1), r.text(2), r.text(3), r.text(4)};
}

int countAdmins(Connection& c, const std::string& organisation) {
  return static_cast<int>(
      c.queryOne("SELECT count(*) FROM grants WHERE organisation_id = ?1 AND role = 'org-admin'", {organisation})
          ->integer(0));
}

}  // namespace

std::string Invitation::state(const std::string& now) const {
  if (!acceptedAt.empty()) return "accepted";
  if (!revokedAt.empty()) return "revoked";
  if (expiresAt <= now) return "expired";
  return "pending";
}

// ---- Users ----

Result<User> AccountStore::createUser(const std::string& email, const std::string& passwordHash, bool isOperator) {
  User u;
  u.id = ids::newId("usr");
  u.email = lower(email);
  u.isOperator = isOperator;
  u.createdAt = clock::nowRfc3339();
  // Addresses are stored in lower case, so the column's UNIQUE constraint is case-blind
  // (and no transaction is opened here: callers may group this with other writes).
  try {
    c_.execute("INSERT INTO users (id, email, password_hash, role, created_at, password_changed_at) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
               {u.id, u.email, passwordHash, std::string(isOperator ? "operator" : "customer"), u.createdAt});
  } catch (const ConstraintError&) {
    return Error::conflict("an account with the address " + u.email + " exists already", "email");
  }
  return u;
}

std::optional<std::pair<User, std::string>> AccountStore::findUserByEmail(const std::string& email) {
  auto r = c_.queryOne(std::string("SELECT ") + kUserColumns + ", u.password_hash FROM users u WHERE u.email = ?1",
                       {lower(email)});
  if (!r) return std::nullopt;
  return std::make_pair(userFrom(*r), r->text(6));
}

Result<User> AccountStore::getUser(const std::string& id) {
  auto r = c_.queryOne(std::string("SELECT ") + kUserColumns + " FROM users u WHERE u.id = ?1", {id});
  if (!r) return Error::notFound("no user " + id);
  return userFrom(*r);
}

std::string AccountStore::passwordHash(const std::string& userId) {
  auto r = c_.queryOne("SELECT password_hash FROM users WHERE id = ?1", {userId});
  if (!r) throw DatabaseError("no user " + userId);
  return r->text(0);
}

Page<User> AccountStore::listUsers(int limit, const std::string& cursor) {
  auto [at, id] = splitCursor(cursor);
  auto rows = c_.query(std::string("SELECT ") + kUserColumns +
                           " FROM users u WHERE (?1 = '' OR u.created_at > ?1 OR (u.created_at = ?1 AND u.id > ?2)) "
                           "ORDER BY u.created_at, u.id LIMIT ?3",
                       {at, id, std::int64_t{limit + 1}});
  std::vector<User> items;
  for (auto& r : rows) items.push_back(userFrom(r));
  return paged<User>(std::move(items), limit, [](auto& u) { return makeCursor(u.createdAt, u.id); });
}

int AccountStore::countUsers() { return static_cast<int>(c_.queryOne("SELECT count(*) FROM users")->integer(0)); }

void AccountStore::setPasswordHash(const std::string& userId, const std::string& hash) {
  c_.execute("UPDATE users SET password_hash = ?1, password_changed_at = ?2 WHERE id = ?3",
             {hash, clock::nowRfc3339(), userId});
}

Result<void> AccountStore::setEmail(const std::string& userId, const std::string& email) {
  try {
    c_.execute("UPDATE users SET email = ?1 WHERE id = ?2", {lower(email), userId});
  } catch (const ConstraintError&) {
    return Error::conflict("an account with the address " + lower(email) + " exists already", "email");
  }
  return {};
}

void AccountStore::setDisabled(const std::string& userId, bool disabled) {
  Transaction tx(c_, true);
  auto now = clock::nowRfc3339();
  c_.execute("UPDATE users SET disabled_at = ?1 WHERE id = ?2", {disabled ? now : std::string(), userId});
  if (disabled) c_.execute("UPDATE sessions SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at = ''", {now, userId});
  tx.commit();
}

// ---- Second factor ----

TotpState AccountStore::totp(const std::string& userId) {
  auto r = c_.queryOne("SELECT totp_secret, totp_pending, totp_last_step FROM users WHERE id = ?1", {userId});
  if (!r) throw DatabaseError("no user " + userId);
  return {r->text(0), r->text(1), r->integer(2)};
}

void AccountStore::setTotpPending(const std::string& userId, const std::string& sealedPending) {
  c_.execute("UPDATE users SET totp_pending = ?1 WHERE id = ?2", {sealedPending, userId});
}

void AccountStore::enableTotp(const std::string& userId, const std::string& sealedSecret, std::int64_t step,
                              const std::vector<std::string>& recoveryCodeHashes) {
  Transaction tx(c_, true);
  c_.execute("UPDATE users SET totp_secret = ?1, totp_pending = '', totp_last_step = ?2 WHERE id = ?3",
             {sealedSecret, step, userId});
  c_.execute("DELETE FROM recovery_codes WHERE user_id = ?1", {userId});
  for (auto& h : recoveryCodeHashes)
    c_.execute("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)", {userId, h});
  tx.commit();
}

void AccountStore::disableTotp(const std::string& userId) {
  Transaction tx(c_, true);
  c_.execute("UPDATE users SET totp_secret = '', totp_pending = '', totp_last_step = 0 WHERE id = ?1", {userId});
  c_.execute("DELETE FROM recovery_codes WHERE user_id = ?1", {userId});
  tx.commit();
}

bool AccountStore::useTotpStep(const std::string& userId, std::int64_t step) {
  return c_.execute("UPDATE users SET totp_last_step = ?1 WHERE id = ?2 AND totp_last_step < ?1", {step, userId}) == 1;
}

bool AccountStore::useRecoveryCode(const std::string& userId, const std::string& codeHash) {
  return c_.execute("UPDATE recovery_codes SET used_at = ?1 WHERE user_id = ?2 AND code_hash = ?3 AND used_at = ''",
                    {clock::nowRfc3339(), userId, codeHash}) == 1;
}

int AccountStore::unusedRecoveryCodes(const std::string& userId) {
  return static_cast<int>(
      c_.queryOne("SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_at = ''", {userId})->integer(0));
}

// ---- Grants ----

std::vector<Grant> AccountStore::grantsOf(const std::string& userId) {
  std::vector<Grant> out;
  for (auto& r : c_.query("SELECT g.organisation_id, g.role FROM grants g JOIN organisations o ON o.id = g.organisation_id "
                          "WHERE g.user_id = ?1 AND o.deleted_at = '' ORDER BY o.created_at, o.id",
                          {userId}))
    out.push_back({r.text(0), roleFrom(r.text(1), "a grant of " + userId)});
  return out;
}

std::vector<Member> AccountStore::members(const std::string& organisation) {
  std::vector<Member> out;
  for (auto& r : c_.query(std::string("SELECT ") + kUserColumns +
                              ", g.role FROM grants g JOIN users u ON u.id = g.user_id "
                              "WHERE g.organisation_id = ?1 ORDER BY u.email",
                          {organisation})) {
    auto u = userFrom(r);
    out.push_back({u, roleFrom(r.text(6), "the grant of " + u.id)});
  }
  return out;
}

void AccountStore::setGrant(const std::string& userId, const std::string& organisation, Role role) {
  c_.execute("INSERT INTO grants (user_id, organisation_id, role) VALUES (?1, ?2, ?3) "
             "ON CONFLICT (user_id, organisation_id) DO UPDATE SET role = excluded.role",
             {userId, organisation, std::string(toString(role))});
}

Result<void> AccountStore::changeRole(const std::string& userId, const std::string& organisation, Role role) {
  Transaction tx(c_, true);
  auto r = c_.queryOne("SELECT role FROM grants WHERE user_id = ?1 AND organisation_id = ?2", {userId, organisation});
  if (!r) return Error::notFound("no member " + userId + " in this organisation");
  if (r->text(0) == "org-admin" && role != Role::OrgAdmin && countAdmins(c_, organisation) <= 1)
    return Error::conflict("this is the organisation's last org-admin; make someone else org-admin first", "role");
  setGrant(userId, organisation, role);
  tx.commit();
  return {};
}

Result<void> AccountStore::removeGrant(const std::string& userId, const std::string& organisation) {
  Transaction tx(c_, true);
  auto r = c_.queryOne("SELECT role FROM grants WHERE user_id = ?1 AND organisation_id = ?2", {userId, organisation});
  if (!r) return Error::notFound("no member " + userId + " in this organisation");
  if (r->text(0) == "org-admin" && countAdmins(c_, organisation) <= 1)
    return Error::conflict("this is the organisation's last org-admin; make someone else org-admin first");
  c_.execute("DELETE FROM grants WHERE user_id = ?1 AND organisation_id = ?2", {userId, organisation});
  tx.commit();
  return {};
}

// ---- Sessions and API tokens ----

void AccountStore::createSession(const Session& s, const std::string& tokenHash) {
  c_.execute(
      "INSERT INTO sessions (id, token_hash, user_id, kind, name, scopes, organisation_id, created_at, last_used_at, "
      "expires_at, idle_seconds, remote, user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
      {s.id, tokenHash, s.userId, std::string(s.isToken ? "token" : "session"), s.name, scopesText(s.scopes),
       s.organisation, s.createdAt, s.lastUsedAt, s.expiresAt, s.idleSeconds, s.remote, s.userAgent});
}

std::optional<std::pair<Session, User>> AccountStore::sessionByTokenHash(const std::string& tokenHash) {
  auto r = c_.queryOne(std::string("SELECT ") + kSessionColumns + ", " + kUserColumns +
                           " FROM sessions s JOIN users u ON u.id = s.user_id "
                           "WHERE s.token_hash = ?1 AND s.revoked_at = ''",
                       {tokenHash});
  if (!r) return std::nullopt;
  return std::make_pair(sessionFrom(*r), userFrom(*r, 12));
}

void AccountStore::touchSession(const std::string& id, const std::string& now) {
  c_.execute("UPDATE sessions SET last_used_at = ?1 WHERE id = ?2 AND last_used_at < ?1", {now, id});
}

bool AccountStore::revokeSession(const std::string& userId, const std::string& id, bool isToken) {
  return c_.execute("UPDATE sessions SET revoked_at = ?1 WHERE id = ?2 AND user_id = ?3 AND kind = ?4 AND "
                    "revoked_at = ''",
                    {clock::nowRfc3339(), id, userId, std::string(isToken ? "token" : "session")}) == 1;
}

int AccountStore::revokeSessions(const std::string& userId, const std::string& except) {
  return static_cast<int>(c_.execute(
      "UPDATE sessions SET revoked_at = ?1 WHERE user_id = ?2 AND kind = 'session' AND revoked_at = '' AND id <> ?3",
      {clock::nowRfc3339(), userId, except}));
}

std::vector<Session> AccountStore::listSessions(const std::string& userId, bool tokens) {
  std::vector<Session> out;
  auto now = clock::nowRfc3339();
  for (auto& r : c_.query(std::string("SELECT ") + kSessionColumns +
                              " FROM sessions s WHERE s.user_id = ?1 AND s.kind = ?2 AND s.revoked_at = '' "
                              "AND (s.expires_at = '' OR s.expires_at > ?3) ORDER BY s.created_at DESC, s.id",
                          {userId, std::string(tokens ? "token" : "session"), now}))
    out.push_back(sessionFrom(r));
  return out;
}

// ---- Invitations ----

void AccountStore::createInvitation(const Invitation& inv, const std::string& tokenHash) {
  c_.execute("INSERT INTO invitations (id, organisation_id, email, role, token_hash, invited_by, created_at, expires_at) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
             {inv.id, inv.organisation, lower(inv.email), std::string(toString(inv.role)), tokenHash, inv.invitedBy,
              inv.createdAt, inv.expiresAt});
}

std::vector<Invitation> AccountStore::invitations(const std::string& organisation) {
  std::vector<Invitation> out;
  for (auto& r : c_.query(std::string("SELECT ") + kInvitationColumns +
                              " FROM invitations WHERE organisation_id = ?1 ORDER BY created_at DESC, id",
                          {organisation}))
    out.push_back(invitationFrom(r));
  return out;
}

std::optional<Invitation> AccountStore::invitationByTokenHash(const std::string& tokenHash) {
  auto r = c_.queryOne(std::string("SELECT ") + kInvitationColumns + " FROM invitations WHERE token_hash = ?1",
                       {tokenHash});
  if (!r) return std::nullopt;
  return invitationFrom(*r);
}

bool AccountStore::revokeInvitation(const std::string& organisation, const std::string& id) {
  return c_.execute("UPDATE invitations SET revoked_at = ?1 WHERE id = ?2 AND organisation_id = ?3 AND "
                    "accepted_at = '' AND revoked_at = ''",
                    {clock::nowRfc3339(), id, organisation}) == 1;
}

bool AccountStore::acceptInvitation(const std::string& id, const std::string& userId, const std::string& now) {
  return c_.execute("UPDATE invitations SET accepted_at = ?1, accepted_by = ?2 WHERE id = ?3 AND accepted_at = '' "
                    "AND revoked_at = '' AND expires_at > ?1",
                    {now, userId, id}) == 1;
}

// ---- Password resets ----

void AccountStore::createPasswordReset(const std::string& userId, const std::string& tokenHash,
                                       const std::string& expiresAt) {
  c_.execute("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
             {tokenHash, userId, clock::nowRfc3339(), expiresAt});
}

std::optional<std::string> AccountStore::consumePasswordReset(const std::string& tokenHash, const std::string& now) {
  Transaction tx(c_, true);
  auto r = c_.queryOne("SELECT user_id FROM password_resets WHERE token_hash = ?1 AND used_at = '' AND expires_at > ?2",
                       {tokenHash, now});
  if (!r) return std::nullopt;
  c_.execute("UPDATE password_resets SET used_at = ?1 WHERE token_hash = ?2", {now, tokenHash});
  tx.commit();
  return r->text(0);
}

// ---- Domains ----

OrganisationDomain AccountStore::claimDomain(const std::string& organisation, const std::string& domain,
                                             const std::string& challenge) {
  c_.execute("INSERT INTO organisation_domains (organisation_id, domain, challenge, created_at) VALUES (?1, ?2, ?3, ?4) "
             "ON CONFLICT (organisation_id, domain) DO NOTHING",
             {organisation, domain, challenge, clock::nowRfc3339()});
  return *this->domain(organisation, domain);
}

std::vector<OrganisationDomain> AccountStore::domains(const std::string& organisation) {
  std::vector<OrganisationDomain> out;
  for (auto& r : c_.query("SELECT organisation_id, domain, challenge, created_at, verified_at FROM organisation_domains "
                          "WHERE organisation_id = ?1 ORDER BY domain",
                          {organisation}))
    out.push_back(domainFrom(r));
  return out;
}

std::optional<OrganisationDomain> AccountStore::domain(const std::string& organisation, const std::string& domain) {
  auto r = c_.queryOne("SELECT organisation_id, domain, challenge, created_at, verified_at FROM organisation_domains "
                       "WHERE organisation_id = ?1 AND domain = ?2",
                       {organisation, domain});
  if (!r) return std::nullopt;
  return domainFrom(*r);
}

void AccountStore::markDomainVerified(const std::string& organisation, const std::string& domain) {
  c_.execute("UPDATE organisation_domains SET verified_at = ?1 WHERE organisation_id = ?2 AND domain = ?3",
             {clock::nowRfc3339(), organisation, domain});
}

bool AccountStore::removeDomain(const std::string& organisation, const std::string& domain) {
  return c_.execute("DELETE FROM organisation_domains WHERE organisation_id = ?1 AND domain = ?2",
                    {organisation, domain}) == 1;
}

}  // namespace fedihost::store
