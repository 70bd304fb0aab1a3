#pragma once
// Secrets at rest: libsodium secretbox (XSalsa20-Poly1305) under one key kept in
// a file of mode 0600 in the data directory. Clear text exists only in memory,
// on its way to the provider that needs it; never in logs.
#include <array>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hh"

namespace fedihost::secrets {

class SecretBox {
 public:
  static constexpr std::size_t kKeySize = 32;

  /// Loads the key from `path`, creating it (random, mode 0600, parent directory
  /// created) if absent. Throws AbortError if the file exists with another size
  /// or with permissions wider than 0600.
  static SecretBox openOrCreate(const std::filesystem::path& path);

  /// A box with a given key (tests).
  explicit SecretBox(const std::array<unsigned char, kKeySize>& key);
  ~SecretBox();
  SecretBox(const SecretBox&);
  SecretBox& operator=(const SecretBox&);

  /// Encrypts with a fresh random nonce; returns "sb1:" + base64(nonce || ciphertext).
  std::string seal(std::string_view plaintext) const;

  /// Decrypts what seal() produced; Invalid error if tampered with or not ours.
  Result<std::string> open(std::string_view sealed) const;

 private:
  std::array<unsigned char, kKeySize> key_;
};

/// A random password of `length` characters from [A-Za-z0-9] (uniform).
std::string generatePassword(std::size_t length = 32);
/// `bytes` random bytes as lower-case hex (S3 secret keys: Garage imports only 64 hex digits).
std::string generateHexSecret(std::size_t bytes = 32);

}  // namespace fedihost::secrets
