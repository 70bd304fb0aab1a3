// The key pairs and other app secrets the control plane generates (secrets/keys.hh,
// secrets/secret_box.hh): each parsed back the way its app reads it, the public half checked
// against its private half with OpenSSL or libsodium.
#include "secrets/keys.hh"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>

#include "secrets/openssl_handles.hh"
#include "secrets/secret_box.hh"

namespace fedihost::secrets {
namespace {

using namespace ossl;

std::optional<std::string> decode(const std::string& text, int variant) {
  if (sodium_init() < 0) return std::nullopt;
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

/// A P-256 key from its raw private scalar and uncompressed public point, as a VAPID library
/// (Mastodon's web-push gem) builds it; null if OpenSSL refuses the two.
Pkey p256(const std::string& scalar, const std::string& point) {
  Bn d(BN_bin2bn(reinterpret_cast<const unsigned char*>(scalar.data()), static_cast<int>(scalar.size()), nullptr));
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!d || !bld) return nullptr;
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get());
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1)
    return nullptr;
  return Pkey(raw);
}

/// Whether the public point of `key` is the one of its private scalar (OpenSSL's pairwise check).
bool pairwiseConsistent(const Pkey& key) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  return ctx && EVP_PKEY_pairwise_check(ctx.get()) == 1;
}

TEST(VapidKeys, ThePrivateKeyIsAP256ScalarAndThePublicKeyItsUncompressedPoint) {
  const std::regex urlsafePadded("^[A-Za-z0-9_-]+=*$");
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    const auto priv = generateSecret(SecretFormat::VapidPrivateKey);
    EXPECT_EQ(priv.size(), 44u) << priv;
    EXPECT_TRUE(std::regex_match(priv, urlsafePadded)) << priv;
    auto pub = deriveSecret(SecretFormat::VapidPublicKey, priv);
    ASSERT_TRUE(pub) << pub.error().message;
    EXPECT_EQ(pub->size(), 88u) << *pub;
    EXPECT_TRUE(std::regex_match(*pub, urlsafePadded)) << *pub;
    auto scalar = decode(priv, sodium_base64_VARIANT_URLSAFE);
    auto point = decode(*pub, sodium_base64_VARIANT_URLSAFE);
    ASSERT_TRUE(scalar && point);
    EXPECT_EQ(scalar->size(), 32u);
    ASSERT_EQ(point->size(), 65u);
    EXPECT_EQ(static_cast<unsigned char>((*point)[0]), 0x04) << "not an uncompressed point";
    auto key = p256(*scalar, *point);
    ASSERT_TRUE(key) << "OpenSSL refuses the pair";
    EXPECT_TRUE(pairwiseConsistent(key)) << "the public key is not the private key's";
    seen.insert(priv);
  }
  EXPECT_EQ(seen.size(), 20u);

  // Another key's public point with this private scalar: the check above would see it.
  const auto a = generateVapidPrivateKey(), b = generateVapidPrivateKey();
  auto mismatched = p256(*decode(a, sodium_base64_VARIANT_URLSAFE),
                         *decode(vapidPublicKey(b).value(), sodium_base64_VARIANT_URLSAFE));
  EXPECT_FALSE(mismatched && pairwiseConsistent(mismatched));
}

TEST(VapidKeys, KnownScalarsGiveKnownPoints) {
  // d = 1: the generator of P-256 (SEC 2).
  EXPECT_EQ(vapidPublicKey("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=").value(),
            "BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU=");
  // The P-256 key of RFC 6979 A.2.5; unpadded input is read too.
  EXPECT_EQ(vapidPublicKey("ya-p2EW6dRZrXCFXZ7HWk05Qw9s26JsSe4piKxIPZyE").value(),
            "BGD-1LolWp0xyWHrdMY1bWjASbiSO2H6bOZpYi5g8p-2eQP-EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk=");
}

TEST(VapidKeys, WhatIsNoP256ScalarIsRefused) {
  EXPECT_FALSE(vapidPublicKey(""));
  EXPECT_FALSE(vapidPublicKey("not base64!"));
  EXPECT_FALSE(vapidPublicKey("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));  // zero
  // The order of P-256 itself, and anything longer than 32 bytes.
  EXPECT_FALSE(vapidPublicKey("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE="));
  EXPECT_FALSE(vapidPublicKey("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"));
}

TEST(SynapseSigningKey, IsSynapsesLineWithAKeyIdAndAnEd25519Seed) {
  const std::regex line("^ed25519 (a_[A-Za-z0-9]{4}) ([A-Za-z0-9+/]{43})$");
  std::set<std::string> seeds;
  for (int i = 0; i < 20; ++i) {
    const auto key = generateSecret(SecretFormat::SynapseSigningKey);
    std::smatch m;
    ASSERT_TRUE(std::regex_match(key, m, line)) << key;
    auto seed = decode(m[2].str(), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    ASSERT_TRUE(seed) << key;
    ASSERT_EQ(seed->size(), crypto_sign_SEEDBYTES);
    // The seed is a usable Ed25519 key: what it signs, its public key verifies.
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
    ASSERT_EQ(crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed->data())), 0);
    const unsigned char message[] = "an event";
    ASSERT_EQ(crypto_sign_detached(sig, nullptr, message, sizeof message, sk), 0);
    EXPECT_EQ(crypto_sign_verify_detached(sig, message, sizeof message, pk), 0);
    seeds.insert(*seed);
  }
  EXPECT_EQ(seeds.size(), 20u);
}

TEST(PassportKeys, ThePrivateKeyIsA2048BitRsaKeyAndThePublicKeyIsItsOwn) {
  const auto priv = generateSecret(SecretFormat::RsaPrivateKey);
  EXPECT_TRUE(priv.starts_with("-----BEGIN PRIVATE KEY-----\n")) << "not PKCS#8 PEM";
  Bio in(BIO_new_mem_buf(priv.data(), static_cast<int>(priv.size())));
  Pkey key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(key);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
  PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  EXPECT_EQ(EVP_PKEY_private_check(check.get()), 1);

  auto pub = deriveSecret(SecretFormat::RsaPublicKey, priv);
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_TRUE(pub->starts_with("-----BEGIN PUBLIC KEY-----\n")) << *pub;
  Bio pin(BIO_new_mem_buf(pub->data(), static_cast<int>(pub->size())));
  Pkey pubKey(PEM_read_bio_PUBKEY(pin.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(pubKey);
  EXPECT_EQ(EVP_PKEY_eq(key.get(), pubKey.get()), 1) << "the public key is not the private key's";

  EXPECT_FALSE(rsaPublicKey("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"));
  // A P-256 key in PEM is no RSA key.
  Pkey ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  Bio ecPem(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PrivateKey(ecPem.get(), ec.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(ecPem.get(), &data);
  EXPECT_FALSE(rsaPublicKey(std::string(data, static_cast<std::size_t>(n))));
}

TEST(GenerateSecret, TheOtherFormsAreWhatTheirAppsRead) {
  // Rails' `rails secret` (Mastodon's SECRET_KEY_BASE and OTP_SECRET): 128 hex digits.
  const auto longHex = generateSecret(SecretFormat::LongHex);
  EXPECT_EQ(longHex.size(), 128u);
  EXPECT_EQ(longHex.find_first_not_of("0123456789abcdef"), std::string::npos) << longHex;
  // Forgejo's JWT secrets: url-safe base64 of exactly 32 bytes, no padding (Forgejo refuses others).
  const auto jwt = generateSecret(SecretFormat::Base64Url);
  EXPECT_EQ(jwt.size(), 43u);
  auto raw = decode(jwt, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  ASSERT_TRUE(raw) << jwt;
  EXPECT_EQ(raw->size(), 32u);
  // Nextcloud's instance id: "oc" and 10 characters of [a-z0-9].
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    const auto id = generateSecret(SecretFormat::NextcloudInstanceId);
    EXPECT_TRUE(std::regex_match(id, std::regex("^oc[a-z0-9]{10}$"))) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 20u);
}

TEST(GenerateSecret, APublicKeyIsDerivedNeverGeneratedAndOnlyAPublicKeyIsDerived) {
  EXPECT_EQ(derivedFrom(SecretFormat::VapidPublicKey), SecretFormat::VapidPrivateKey);
  EXPECT_EQ(derivedFrom(SecretFormat::RsaPublicKey), SecretFormat::RsaPrivateKey);
  EXPECT_EQ(derivedFrom(SecretFormat::Hex), std::nullopt);
  EXPECT_THROW(generateSecret(SecretFormat::VapidPublicKey), std::logic_error);
  EXPECT_THROW(generateSecret(SecretFormat::RsaPublicKey), std::logic_error);
  EXPECT_FALSE(deriveSecret(SecretFormat::Hex, "00"));
}

}  // namespace
}  // namespace fedihost::secrets
