#pragma once
// Authentication: passwords, login and API tokens; the first operator account.
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/domain.hh"
#include "core/result.hh"
#include "store/state_store.hh"

namespace fedihost::aaa {

/// The hash under which a token is stored (BLAKE2b-256, hex). Tokens are never stored in clear.
std::string tokenHash(std::string_view token);

/// Checks an e-mail address and password for an account; Invalid errors name the field.
Result<void> checkCredentialsShape(const std::string& email, const std::string& password);

/// Creates the first operator account; Conflict if the address exists.
Result<User> createOperator(store::StateStore& state, const std::string& email, const std::string& password);

struct LoginResult {
  std::string token;  ///< "fh_…", shown once
  User user;
};

/// Verifies credentials and issues a new API token; Unauthorized on a wrong address or password
/// (the same message for both, so accounts cannot be probed).
Result<LoginResult> login(store::StateStore& state, const std::string& email, const std::string& password);

/// Resolves bearer tokens to users, with a small in-memory cache (tokens cannot
/// be revoked yet, so a cached answer stays true).
class Authenticator {
 public:
  /// The user a token belongs to; Unauthorized when unknown.
  Result<User> authenticate(store::StateStore& state, const std::string& token);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, User> cache_;
};

}  // namespace fedihost::aaa
