#pragma once
// Key pairs the control plane generates for apps, in the forms the apps read (secrets/format.hh):
// Mastodon's VAPID key pair (P-256), Synapse's signing key (Ed25519), Laravel Passport's OAuth
// key pair (RSA). The private key is the generated secret; its public key is derived from it
// wherever it is needed, so the two always match. OpenSSL handles are RAII.
#include <string>
#include <string_view>

#include "core/result.hh"
#include "secrets/format.hh"

namespace fedihost::secrets {

/// A new P-256 private key as Mastodon's VAPID_PRIVATE_KEY: url-safe base64 (with padding, as
/// Mastodon's own `webpush:generate_keys` writes it) of the 32-byte private scalar.
std::string generateVapidPrivateKey();
/// The VAPID_PUBLIC_KEY of `privateKey`: url-safe base64 (padded) of the 65-byte uncompressed
/// point (0x04 || X || Y). Invalid if `privateKey` is not a P-256 scalar in that form.
Result<std::string> vapidPublicKey(std::string_view privateKey);

/// A new Synapse signing key, as Synapse writes its signing_key_path:
/// "ed25519 a_XXXX <Ed25519 seed, 32 bytes, standard base64 without padding>", the key id's
/// version "a_" and 4 random characters of [A-Za-z0-9].
std::string generateSynapseSigningKey();

/// The length of the RSA keys generated: 2048 bits, as the ACME account keys here. Laravel
/// Passport's `passport:keys` makes 4096 by default and reads either; 4096 takes 1 to 5 s to
/// generate on a loaded 2-core machine, and every test that applies a Pixelfed makes one.
inline constexpr int kRsaKeyBits = 2048;
/// A new RSA private key of kRsaKeyBits as PKCS#8 PEM (Laravel Passport's oauth-private.key).
std::string generateRsaPrivateKey();
/// The public key of a PEM RSA private key, as SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY").
/// Invalid if `privatePem` is no RSA private key.
Result<std::string> rsaPublicKey(std::string_view privatePem);

/// The secret of form `format` derived from `from`, a secret of form `*derivedFrom(format)`
/// (the public key of a private key). Invalid if `format` is not derived or `from` malformed.
Result<std::string> deriveSecret(SecretFormat format, std::string_view from);

}  // namespace fedihost::secrets
