#include "secrets/keys.hh"

#include "secrets/openssl_handles.hh"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <memory>
#include <optional>

namespace fedihost::secrets {
namespace {

using namespace ossl;

[[noreturn]] void fail(const std::string& message) { throw AbortError({ErrorKind::Internal, message, {}}); }

void ensureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) fail("libsodium failed to initialise");
}

std::string toBase64(const unsigned char* bytes, std::size_t size, int variant) {
  ensureSodium();
  std::string out(sodium_base64_ENCODED_LEN(size, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, size, variant);
  out.resize(out.find('\0'));
  return out;
}

std::optional<std::string> fromBase64(std::string_view text, int variant) {
  ensureSodium();
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, &end, variant) != 0 ||
      end != text.data() + text.size())
    return std::nullopt;
  out.resize(len);
  return out;
}

std::string bioText(BIO* b) {
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

std::string generateVapidPrivateKey() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("generating a P-256 key");
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) fail("reading a P-256 private key");
  SecretBn d(raw);
  unsigned char scalar[32];
  if (BN_bn2binpad(d.get(), scalar, sizeof scalar) != sizeof scalar) fail("a P-256 private key of more than 32 bytes");
  auto out = toBase64(scalar, sizeof scalar, sodium_base64_VARIANT_URLSAFE);
  sodium_memzero(scalar, sizeof scalar);
  return out;
}

Result<std::string> vapidPublicKey(std::string_view privateKey) {
  auto scalar = fromBase64(privateKey, sodium_base64_VARIANT_URLSAFE);
  if (!scalar) scalar = fromBase64(privateKey, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  if (!scalar || scalar->empty() || scalar->size() > 32)
    return Error::invalid("secret", "a VAPID private key is the url-safe base64 of a P-256 scalar of at most 32 bytes");
  SecretBn d(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(scalar->data()), static_cast<int>(scalar->size()), nullptr));
  sodium_memzero(scalar->data(), scalar->size());
  EcGroup group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  BnCtx ctx(BN_CTX_new());
  if (!d || !group || !ctx) fail("allocating P-256 arithmetic");
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0)
    return Error::invalid("secret", "a VAPID private key must be between 1 and the order of P-256");
  EcPoint q(EC_POINT_new(group.get()));
  if (!q || EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, ctx.get()) != 1)
    fail("computing a P-256 public key");
  unsigned char point[65];
  if (EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, ctx.get()) !=
      sizeof point)
    fail("encoding a P-256 public key");
  return toBase64(point, sizeof point, sodium_base64_VARIANT_URLSAFE);
}

std::string generateSynapseSigningKey() {
  ensureSodium();
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string version = "a_";
  for (int i = 0; i < 4; ++i) version += alphabet[randombytes_uniform(sizeof alphabet - 1)];
  unsigned char seed[crypto_sign_SEEDBYTES];
  randombytes_buf(seed, sizeof seed);
  auto out = "ed25519 " + version + " " + toBase64(seed, sizeof seed, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  sodium_memzero(seed, sizeof seed);
  return out;
}

std::string generateRsaPrivateKey() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(kRsaKeyBits)));
  if (!key) fail("generating an RSA key");
  Bio b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_PrivateKey(b.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    fail("writing an RSA key");
  return bioText(b.get());
}

Result<std::string> rsaPublicKey(std::string_view privatePem) {
  Bio in(BIO_new_mem_buf(privatePem.data(), static_cast<int>(privatePem.size())));
  if (!in) fail("allocating a BIO");
  Pkey key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
    return Error::invalid("secret", "not an RSA private key in PEM");
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PUBKEY(out.get(), key.get()) != 1) fail("writing an RSA public key");
  return bioText(out.get());
}

Result<std::string> deriveSecret(SecretFormat format, std::string_view from) {
  switch (format) {
    case SecretFormat::VapidPublicKey:
      return vapidPublicKey(from);
    case SecretFormat::RsaPublicKey:
      return rsaPublicKey(from);
    default:
      return Error::invalid("format", "this form of secret is generated at random, not derived from another");
  }
}

}  // namespace fedihost::secrets
