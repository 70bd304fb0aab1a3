#include "aaa/auth.hh"

#include <sodium.h>

#include <algorithm>
#include <cctype>

#include "aaa/passwords.hh"
#include "aaa/totp.hh"
#include "core/clock.hh"
#include "core/ids.hh"

namespace fedihost::aaa {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Error unauthorized(std::string message) { return {ErrorKind::Unauthorized, std::move(message), {}}; }

Error secondFactor(const std::string& state) {
  Error e = unauthorized(state == "required" ? "this account has a second factor: enter the code from your app"
                                             : "that code is not valid (or was used already)");
  e.field = "totp";
  e.extra.emplace_back("totp", state);
  return e;
}

std::uint64_t unixNow() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

bool allDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::string tokenHash(std::string_view token) {
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

std::string csrfToken(std::string_view sessionToken) {
  static constexpr std::string_view kContext = "fedihost csrf v1";
  unsigned char out[24];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(sessionToken.data()), sessionToken.size(),
                     reinterpret_cast<const unsigned char*>(kContext.data()), kContext.size());
  char hex[49];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

Result<void> checkCredentialsShape(const std::string& email, const std::string& password,
                                   const std::string& passwordField) {
  if (auto ok = checkEmailShape(email); !ok) return ok;
  return checkPasswordShape(password, passwordField);
}

Result<void> checkEmailShape(const std::string& email) {
  auto at = email.find('@');
  if (email.empty() || at == std::string::npos || at == 0 || at + 1 >= email.size() || email.size() > 254 ||
      email.find_first_of(" \t\r\n,;<>\"") != std::string::npos || email.find('@', at + 1) != std::string::npos)
    return Error::invalid("email", "\"" + email + "\" is not an e-mail address");
  return {};
}

Result<void> checkPasswordShape(const std::string& password, const std::string& field) {
  if (password.size() < 10) return Error::invalid(field, "the password must have at least 10 characters");
  if (password.size() > 1024) return Error::invalid(field, "the password must have at most 1024 characters");
  return {};
}

Result<User> createOperator(store::AccountStore& accounts, const std::string& email, const std::string& password) {
  if (auto ok = checkCredentialsShape(email, password); !ok) return ok.error();
  return accounts.createUser(email, hashPassword(password), true);
}

// ---- Principal ----

std::optional<Role> Principal::roleIn(const std::string& organisation) const {
  if (!session.organisation.empty() && session.organisation != organisation) return std::nullopt;
  if (user.isOperator) return Role::Operator;
  for (auto& g : grants)
    if (g.organisation == organisation) return g.role;
  return std::nullopt;
}

std::optional<std::vector<std::string>> Principal::visibleOrganisations() const {
  if (!session.organisation.empty()) {
    if (roleIn(session.organisation)) return std::vector<std::string>{session.organisation};
    return std::vector<std::string>{};
  }
  if (user.isOperator) return std::nullopt;
  std::vector<std::string> out;
  for (auto& g : grants) out.push_back(g.organisation);
  return out;
}

// ---- Authenticator ----

Authenticator::Authenticator(AuthOptions options, secrets::SecretBox box)
    : options_(std::move(options)), box_(std::move(box)), throttle_(options_.throttle) {}

Result<Principal> Authenticator::authenticate(store::AccountStore& accounts, const std::string& token) {
  if (token.empty()) return unauthorized("sign in first: this needs a session or an API token");
  auto found = accounts.sessionByTokenHash(tokenHash(token));
  if (!found) return unauthorized("this session or token is not valid (signed out, revoked or unknown); sign in again");
  auto& [session, user] = *found;
  if (user.disabled) return unauthorized("this account is disabled");
  auto now = clock::nowRfc3339();
  if (!session.expiresAt.empty() && session.expiresAt <= now)
    return unauthorized(std::string(session.isToken ? "this API token" : "this session") + " has expired");
  if (session.idleSeconds > 0 &&
      session.lastUsedAt <= clock::fromNowRfc3339(std::chrono::seconds(-session.idleSeconds)))
    return unauthorized("this session has expired after a time without use; sign in again");
  // One write a minute is enough for the idle expiry and "last used".
  if (session.lastUsedAt <= clock::fromNowRfc3339(std::chrono::seconds(-60))) accounts.touchSession(session.id, now);
  return Principal{user, session, accounts.grantsOf(user.id)};
}

Result<Issued> Authenticator::login(store::AccountStore& accounts, const LoginRequest& req) {
  auto account = lower(req.email);
  if (int wait = throttle_.waitSeconds(req.remote, account); wait > 0) {
    Error e{ErrorKind::TooManyRequests,
            "too many failed attempts; try again in " + std::to_string(wait) + " second" + (wait == 1 ? "" : "s"),
            {}};
    e.retryAfter = wait;
    return e;
  }
  auto wrong = unauthorized("wrong e-mail address or password");
  wrong.field = "password";
  auto found = accounts.findUserByEmail(account);
  if (!found) {
    burnPasswordCheck(req.password);  // as long as a real check: no probing of addresses by timing
    throttle_.failed(req.remote, account);
    return wrong;
  }
  auto& [user, hash] = *found;
  if (!verifyPassword(hash, req.password)) {
    throttle_.failed(req.remote, account);
    return wrong;
  }
  if (user.disabled) return unauthorized("this account is disabled; ask your provider");
  if (user.totpEnabled) {
    if (req.secondFactor.empty()) return secondFactor("required");
    if (!checkSecondFactor(accounts, user, req.secondFactor)) {
      throttle_.failed(req.remote, account);
      return secondFactor("invalid");
    }
  }
  if (needsRehash(hash)) accounts.setPasswordHash(user.id, hashPassword(req.password));
  throttle_.succeeded(req.remote, account);
  return openSession(accounts, user, req.remote, req.userAgent);
}

Issued Authenticator::openSession(store::AccountStore& accounts, const User& user, const std::string& remote,
                                  const std::string& userAgent) {
  Issued out;
  out.token = "fh_" + ids::randomToken(32);
  auto& s = out.session;
  s.id = ids::newId("ses");
  s.userId = user.id;
  s.name = "sign-in";
  s.scopes = {Scope::Read, Scope::Write, Scope::Deploy, Scope::Admin};
  s.createdAt = s.lastUsedAt = clock::nowRfc3339();
  s.expiresAt = clock::fromNowRfc3339(options_.sessionLifetime);
  s.idleSeconds = options_.sessionIdle.count();
  s.remote = remote;
  s.userAgent = userAgent.substr(0, 200);
  accounts.createSession(s, tokenHash(out.token));
  return out;
}

Result<Issued> Authenticator::createToken(store::AccountStore& accounts, const Principal& p, const std::string& name,
                                          const std::vector<Scope>& scopes, const std::string& expiresAt,
                                          const std::string& organisation) {
  if (name.empty() || name.size() > 100) return Error::invalid("name", "a token needs a name of 1 to 100 characters");
  if (scopes.empty()) return Error::invalid("scopes", "a token needs at least one scope (read, write, deploy, admin)");
  auto now = clock::nowRfc3339();
  if (!expiresAt.empty() && expiresAt <= now) return Error::invalid("expiresAt", "the expiry is in the past");
  if (!organisation.empty() && !p.roleIn(organisation))
    return Error::invalid("organisation", "you are not a member of the organisation " + organisation);
  // A token never reaches further than the session that creates it.
  if (!p.session.organisation.empty() && organisation != p.session.organisation)
    return Error::invalid("organisation", "a token bound to an organisation can only create tokens bound to it");
  for (auto s : scopes)
    if (!p.session.hasScope(s))
      return Error::invalid("scopes", "this token lacks the \"" + std::string(toString(s)) + "\" scope it would give");
  Issued out;
  out.token = "fh_" + ids::randomToken(32);
  auto& s = out.session;
  s.id = ids::newId("tok");
  s.userId = p.user.id;
  s.isToken = true;
  s.name = name;
  s.scopes = scopes;
  s.organisation = organisation;
  s.createdAt = now;
  s.lastUsedAt = "";
  s.expiresAt = expiresAt;
  accounts.createSession(s, tokenHash(out.token));
  return out;
}

TotpSetup Authenticator::beginTotp(store::AccountStore& accounts, const User& user) {
  auto secret = totp::newSecret();
  accounts.setTotpPending(user.id, box_.seal(secret));
  return {secret, totp::provisioningUri(options_.issuer, user.email, secret)};
}

Result<std::vector<std::string>> Authenticator::confirmTotp(store::AccountStore& accounts, const User& user,
                                                             const std::string& code) {
  auto state = accounts.totp(user.id);
  if (state.sealedPending.empty())
    return Error::conflict("start setting up the second factor first (POST /api/v1/auth/totp)");
  auto secret = box_.open(state.sealedPending).orThrow();
  auto step = totp::verify(secret, code, unixNow(), 0);
  if (!step) return Error::invalid("code", "that code is not valid; check the time of your device and try again");
  auto codes = totp::newRecoveryCodes(10);
  std::vector<std::string> hashes;
  for (auto& c : codes) hashes.push_back(tokenHash(totp::normaliseRecoveryCode(c)));
  accounts.enableTotp(user.id, state.sealedPending, *step, hashes);
  return codes;
}

bool Authenticator::checkSecondFactor(store::AccountStore& accounts, const User& user, const std::string& code) {
  auto state = accounts.totp(user.id);
  if (state.sealedSecret.empty()) return false;
  if (allDigits(code)) {
    auto secret = box_.open(state.sealedSecret).orThrow();
    auto step = totp::verify(secret, code, unixNow(), state.lastStep);
    return step && accounts.useTotpStep(user.id, *step);
  }
  return accounts.useRecoveryCode(user.id, tokenHash(totp::normaliseRecoveryCode(code)));
}

bool Authenticator::checkPassword(store::AccountStore& accounts, const User& user, const std::string& password) {
  return verifyPassword(accounts.passwordHash(user.id), password);
}

}  // namespace fedihost::aaa
