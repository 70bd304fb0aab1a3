#include "aaa/auth.hh"

#include <sodium.h>

#include "aaa/passwords.hh"
#include "core/ids.hh"

namespace fedihost::aaa {

std::string tokenHash(std::string_view token) {
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

Result<void> checkCredentialsShape(const std::string& email, const std::string& password) {
  auto at = email.find('@');
  if (email.empty() || at == std::string::npos || at == 0 || at + 1 >= email.size() || email.size() > 254 ||
      email.find_first_of(" \t\r\n") != std::string::npos)
    return Error::invalid("email", "\"" + email + "\" is not an e-mail address");
  if (password.size() < 10) return Error::invalid("password", "the password must have at least 10 characters");
  if (password.size() > 1024) return Error::invalid("password", "the password must have at most 1024 characters");
  return {};
}

Result<User> createOperator(store::StateStore& state, const std::string& email, const std::string& password) {
  if (auto ok = checkCredentialsShape(email, password); !ok) return ok.error();
  return state.createUser(email, hashPassword(password), Role::Operator);
}

Result<LoginResult> login(store::StateStore& state, const std::string& email, const std::string& password) {
  auto found = state.findUserByEmail(email);
  if (!found || !verifyPassword(found->second, password))
    return Error{ErrorKind::Unauthorized, "wrong e-mail address or password", "password"};
  LoginResult r{"fh_" + ids::randomToken(32), found->first};
  state.createToken(tokenHash(r.token), r.user.id, "login");
  return r;
}

Result<User> Authenticator::authenticate(store::StateStore& state, const std::string& token) {
  if (token.empty()) return Error{ErrorKind::Unauthorized, "log in first: this needs an API token", {}};
  auto h = tokenHash(token);
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(h); it != cache_.end()) return it->second;
  }
  auto user = state.userForToken(h);
  if (!user) return Error{ErrorKind::Unauthorized, "this API token is not valid; log in again", {}};
  std::lock_guard lock(mu_);
  cache_.emplace(h, *user);
  return *user;
}

}  // namespace fedihost::aaa
