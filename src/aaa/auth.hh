#pragma once
// Authentication: passwords, login sessions and API tokens, second factors, and
// the principal a request acts as. Nothing here is cached: a revoked session or
// a disabled account is refused at once, on every thread.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "aaa/throttle.hh"
#include "core/domain.hh"
#include "core/result.hh"
#include "secrets/secret_box.hh"
#include "store/account_store.hh"

namespace fedihost::aaa {

/// The hash under which a token is stored (BLAKE2b-256, hex). Tokens are never stored in clear.
std::string tokenHash(std::string_view token);

/// The CSRF token of a cookie session: derived from the session's secret, so it is never stored
/// and cannot be computed by a page that cannot read the cookie.
std::string csrfToken(std::string_view sessionToken);

/// Checks an e-mail address and password for an account; Invalid errors name the field.
Result<void> checkCredentialsShape(const std::string& email, const std::string& password,
                                   const std::string& passwordField = "password");

/// Checks the shape of an e-mail address; Invalid names "email".
Result<void> checkEmailShape(const std::string& email);

/// Checks a new password's length (10 to 1024 characters); Invalid names `field`.
Result<void> checkPasswordShape(const std::string& password, const std::string& field = "password");

/// Creates an operator account; Conflict if the address exists. Hashes: not for the I/O thread.
Result<User> createOperator(store::AccountStore& accounts, const std::string& email, const std::string& password);

struct AuthOptions {
  std::chrono::seconds sessionIdle{8 * 3600};
  std::chrono::seconds sessionLifetime{7 * 24 * 3600};
  bool requireOperatorTotp = false;  ///< operators without a second factor may only set one up
  std::string issuer = "fedihost";   ///< shown by authenticator apps
  ThrottlePolicy throttle;
};

/// Who a request acts as: the user, through which session or token, with which grants.
struct Principal {
  User user;
  Session session;
  std::vector<Grant> grants;

  /// The principal's role in an organisation (Operator for operators), or none: then the
  /// organisation's objects do not exist for this principal. A token bound to another
  /// organisation has no role in this one.
  std::optional<Role> roleIn(const std::string& organisation) const;
  /// The organisations the principal may see; nullopt means every one (an operator's session).
  std::optional<std::vector<std::string>> visibleOrganisations() const;
};

/// A new login session or API token and its secret (shown once).
struct Issued {
  std::string token;
  Session session;
};

/// What a person typed to log in, and where from.
struct LoginRequest {
  std::string email;
  std::string password;
  std::string secondFactor;  ///< a TOTP code or a recovery code; "" when not given
  std::string remote;
  std::string userAgent;
};

/// A second factor being set up.
struct TotpSetup {
  std::string secret;  ///< base32
  std::string uri;     ///< otpauth://…
};

class Authenticator {
 public:
  Authenticator(AuthOptions options, secrets::SecretBox box);
  const AuthOptions& options() const { return options_; }

  /// The principal a session or token secret belongs to; Unauthorized when unknown,
  /// revoked, expired (idle or absolute) or its account is disabled.
  Result<Principal> authenticate(store::AccountStore& accounts, const std::string& token);

  /// Checks credentials (and the second factor) and opens a login session. Unauthorized with
  /// the same message for an unknown address and a wrong password (and the same cost);
  /// Unauthorized with {"totp": "required" | "invalid"} for the second factor;
  /// TooManyRequests with retryAfter when throttled. Hashes: never call it on the I/O thread.
  Result<Issued> login(store::AccountStore& accounts, const LoginRequest& req);

  /// Opens a login session for a user who has just proved who she is.
  Issued openSession(store::AccountStore& accounts, const User& user, const std::string& remote,
                     const std::string& userAgent);

  /// Creates an API token of `p`'s user; Invalid (naming the field) for bad scopes, expiry or organisation.
  Result<Issued> createToken(store::AccountStore& accounts, const Principal& p, const std::string& name,
                             const std::vector<Scope>& scopes, const std::string& expiresAt,
                             const std::string& organisation);

  /// Starts setting up a second factor (replacing a pending one).
  TotpSetup beginTotp(store::AccountStore& accounts, const User& user);
  /// Confirms the pending second factor with a code; returns the recovery codes (shown once).
  Result<std::vector<std::string>> confirmTotp(store::AccountStore& accounts, const User& user,
                                               const std::string& code);
  /// Checks a TOTP code (each time step once) or a recovery code (each once).
  bool checkSecondFactor(store::AccountStore& accounts, const User& user, const std::string& code);

  /// Checks a user's password (for re-authentication). Hashes: never on the I/O thread.
  bool checkPassword(store::AccountStore& accounts, const User& user, const std::string& password);

 private:
  AuthOptions options_;
  secrets::SecretBox box_;
  Throttle throttle_;
};

}  // namespace fedihost::aaa
