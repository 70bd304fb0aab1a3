#pragma once
// The forms of the secrets the control plane generates (no dependency: the catalog names them).

namespace fedihost::secrets {

/// The form of a secret the control plane generates.
enum class SecretFormat {
  Password,  ///< 32 characters of [A-Za-z0-9]
  Hex,       ///< 32 random bytes as 64 lower-case hex digits
  Laravel,   ///< a Laravel APP_KEY, "base64:" + standard base64 of 32 random bytes
};

}  // namespace fedihost::secrets
