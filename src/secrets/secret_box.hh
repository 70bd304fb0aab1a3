#pragma once
// Secrets at rest: libsodium secretbox (XSalsa20-Poly1305) under the master key kept
// in a file of mode 0600 (the data directory's secret.key, or a systemd credential).
// Clear text exists only in memory, on its way to the provider that needs it; never in logs.
//
// A sealed value names the key it is sealed under: "sb2:<key id>:<base64>" (the key id:
// 8 hex digits of a keyed BLAKE2b of the key). Values of older versions ("sb1:<base64>")
// carry no key id: every key of the box is tried. During `fedihost keys rotate` the next
// key waits in <key file>.next; a box loaded then opens values under either key.
#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hh"
#include "secrets/format.hh"

namespace fedihost::secrets {

class SecretBox {
 public:
  static constexpr std::size_t kKeySize = 32;

  using Key = std::array<unsigned char, kKeySize>;

  /// Loads the key from `path`, creating it (random, mode 0600, parent directory
  /// created 0700) if absent, plus `path`.next if a rotation left one (to open with).
  /// Throws AbortError if a file exists with another size or with permissions wider than 0600.
  static SecretBox openOrCreate(const std::filesystem::path& path);
  /// Loads an existing key file (a systemd credential: never created); AbortError if missing.
  static SecretBox load(const std::filesystem::path& path);
  /// Creates a new random key file (0600, O_EXCL, whole or not at all); false if it exists.
  static bool createKeyFile(const std::filesystem::path& path);
  /// The key of a key file, checked as openOrCreate() checks it.
  static Key readKeyFile(const std::filesystem::path& path);

  /// A box with a given key (tests).
  explicit SecretBox(const Key& key);
  ~SecretBox();
  SecretBox(const SecretBox&);
  SecretBox& operator=(const SecretBox&);

  /// Adds a key that opens values but never seals.
  void addOpeningKey(const Key& key);

  /// The id of the key that seals (8 hex digits).
  const std::string& keyId() const { return keys_.front().id; }
  /// The key id a sealed value names ("" for an "sb1:" value, or not a sealed value).
  static std::string keyIdOf(std::string_view sealed);
  /// "sb1:…" or "sb2:…".
  static bool looksSealed(std::string_view s);

  /// Encrypts with a fresh random nonce under the current key: "sb2:<key id>:" + base64(nonce || ciphertext).
  std::string seal(std::string_view plaintext) const;

  /// Decrypts what seal() produced, under whichever of the box's keys it names;
  /// Invalid error if tampered with or sealed under a key the box does not hold.
  Result<std::string> open(std::string_view sealed) const;

 private:
  struct Slot {
    std::string id;
    Key key;
  };
  std::vector<Slot> keys_;  ///< the first seals
};

/// The id of a key (8 hex digits).
std::string keyIdOf(const SecretBox::Key& key);

/// A random password of `length` characters from [A-Za-z0-9] (uniform).
std::string generatePassword(std::size_t length = 32);
/// `bytes` random bytes as lower-case hex (S3 secret keys: Garage imports only 64 hex digits).
std::string generateHexSecret(std::size_t bytes = 32);
/// A Laravel APP_KEY: "base64:" and the standard base64 of 32 random bytes (Pixelfed).
std::string generateLaravelKey();
/// 32 random bytes in url-safe base64 without padding (Forgejo's JWT secrets).
std::string generateBase64UrlSecret();
/// A Nextcloud instance id: "oc" and 10 random characters of [a-z0-9].
std::string generateNextcloudInstanceId();
/// A new random secret of that form (key pairs: secrets/keys.hh). A form derived from another
/// secret (derivedFrom(format), a public key) is a logic error here: see deriveSecret.
std::string generateSecret(SecretFormat format);

}  // namespace fedihost::secrets
