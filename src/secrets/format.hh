#pragma once
// The forms of the secrets the control plane generates (no dependency: the catalog names them).
#include <optional>

namespace fedihost::secrets {

/// The form of a secret the control plane generates.
enum class SecretFormat {
  Password,             ///< 32 characters of [A-Za-z0-9]
  Hex,                  ///< 32 random bytes as 64 lower-case hex digits
  LongHex,              ///< 64 random bytes as 128 lower-case hex digits, as `rails secret` makes
  Laravel,              ///< a Laravel APP_KEY, "base64:" + standard base64 of 32 random bytes
  Base64Url,            ///< 32 random bytes in url-safe base64 without padding (43 characters)
  NextcloudInstanceId,  ///< "oc" and 10 characters of [a-z0-9], as Nextcloud's installer makes
  VapidPrivateKey,      ///< a P-256 private key: url-safe base64 (padded) of its 32-byte scalar
  VapidPublicKey,       ///< derived: the uncompressed point (65 bytes) of a VapidPrivateKey, same encoding
  SynapseSigningKey,    ///< "ed25519 a_XXXX <unpadded standard base64 of a 32-byte Ed25519 seed>"
  RsaPrivateKey,        ///< a 2048-bit RSA private key, PKCS#8 PEM (secrets/keys.hh: kRsaKeyBits)
  RsaPublicKey,         ///< derived: the SubjectPublicKeyInfo PEM of an RsaPrivateKey
};

/// For the public half of a key pair, the form of the private key it is derived from (it is
/// computed from that key, never random); nullopt for every secret generated on its own.
constexpr std::optional<SecretFormat> derivedFrom(SecretFormat format) {
  switch (format) {
    case SecretFormat::VapidPublicKey:
      return SecretFormat::VapidPrivateKey;
    case SecretFormat::RsaPublicKey:
      return SecretFormat::RsaPrivateKey;
    default:
      return std::nullopt;
  }
}

}  // namespace fedihost::secrets
