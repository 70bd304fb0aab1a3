// The cryptography of the ACME client: base64url, JWK thumbprints (RFC 7638),
// JWS (RFC 7515/8555), DNS-01 values, CSRs, chains and local issuing. Every
// signature is checked with OpenSSL through the public key rebuilt from the
// JWK, so a JWK or signature encoding that a CA would refuse fails here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>

#include "core/clock.hh"
#include "providers/acme/acme.hh"
#include "providers/acme/crypto.hh"
#include "test_support.hh"

namespace fedihost::providers::acme {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string b64dec(std::string_view s) {
  auto d = base64urlDecode(s);
  EXPECT_TRUE(d.has_value()) << s;
  return d.value_or("");
}

BIGNUM* bn(std::string_view b64) {
  auto bytes = b64dec(b64);
  return BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr);
}

/// The public key a JWK describes, built by OpenSSL from its members alone.
EVP_PKEY* publicKeyFromJwk(const json::object& jwk) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  EVP_PKEY_CTX* ctx = nullptr;
  std::string point;
  BIGNUM *n = nullptr, *e = nullptr;
  if (jwk.at("kty").as_string() == "EC") {
    point = std::string(1, '\x04') + b64dec(jwk.at("x").as_string()) + b64dec(jwk.at("y").as_string());
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  } else {
    n = bn(jwk.at("n").as_string());
    e = bn(jwk.at("e").as_string());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
    ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY* key = nullptr;
  EVP_PKEY_fromdata_init(ctx);
  EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  EVP_PKEY_CTX_free(ctx);
  BN_free(n);
  BN_free(e);
  return key;
}

/// Verifies a JWS signature (ES256 as r||s, RS256) over `input` with a public key.
bool verify(EVP_PKEY* pub, const std::string& alg, const std::string& input, std::string sig) {
  if (alg == "ES256") {
    if (sig.size() != 64) return false;
    ECDSA_SIG* s = ECDSA_SIG_new();
    ECDSA_SIG_set0(s, BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 32, nullptr),
                   BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr));
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(s, &der);
    sig.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub);
  int rc = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  return rc == 1;
}

TEST(AcmeBase64url, KnownValuesAndRoundTrip) {
  EXPECT_EQ(base64url(""), "");
  EXPECT_EQ(base64url("f"), "Zg");
  EXPECT_EQ(base64url("fo"), "Zm8");
  EXPECT_EQ(base64url("foo"), "Zm9v");
  EXPECT_EQ(base64url("foob"), "Zm9vYg");
  EXPECT_EQ(base64url(std::string("\xfb\xff\xbf", 3)), "-_-_");  // the URL-safe letters, no padding
  for (std::string s : {"", "a", "ab", "abc", "\x00\x01\xfe\xff"}) EXPECT_EQ(base64urlDecode(base64url(s)), s);
  EXPECT_FALSE(base64urlDecode("Zg==").has_value());  // padding is not base64url here
  EXPECT_FALSE(base64urlDecode("Z").has_value());
  EXPECT_FALSE(base64urlDecode("Zm+v").has_value());
  EXPECT_FALSE(base64urlDecode("Zh").has_value());  // non-zero trailing bits
}

TEST(AcmeJwk, ThumbprintOfTheRfc7638Example) {
  // RFC 7638 §3.1; members in any order and extra members do not change it.
  json::object jwk{{"kty", "RSA"},
                   {"n",
                    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXj"
                    "BZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqz"
                    "s8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-"
                    "G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
                   {"e", "AQAB"},
                   {"alg", "RS256"},
                   {"kid", "2011-04-29"}};
  EXPECT_EQ(jwkThumbprint(jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(AcmeJwk, KeysGiveTheirPublicJwkInCanonicalOrder) {
  auto ec = Key::generate(KeyType::Es256);
  auto jwk = ec.jwk();
  std::vector<std::string> members;
  for (auto& kv : jwk) members.emplace_back(kv.key());
  EXPECT_THAT(members, ElementsAre("crv", "kty", "x", "y"));
  EXPECT_EQ(jwk.at("crv"), "P-256");
  EXPECT_EQ(b64dec(jwk.at("x").as_string()).size(), 32u);  // fixed width, leading zeros kept
  EXPECT_EQ(b64dec(jwk.at("y").as_string()).size(), 32u);
  EXPECT_EQ(ec.thumbprint(), base64url(sha256(json::serialize(jwk))));

  auto rsa = Key::generate(KeyType::Rs256);
  members.clear();
  for (auto& kv : rsa.jwk()) members.emplace_back(kv.key());
  EXPECT_THAT(members, ElementsAre("e", "kty", "n"));
  EXPECT_EQ(rsa.jwk().at("e"), "AQAB");
  EXPECT_EQ(b64dec(rsa.jwk().at("n").as_string()).size(), 256u);
}

TEST(AcmeJwk, KeysSurviveTheirPem) {
  for (auto type : {KeyType::Es256, KeyType::Rs256}) {
    auto k = Key::generate(type);
    auto again = Key::fromPem(k.pem());
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->type(), type);
    EXPECT_EQ(again->jwk(), k.jwk());
  }
  EXPECT_FALSE(Key::fromPem("not a key").ok());
}

class AcmeJws : public ::testing::TestWithParam<KeyType> {};

TEST_P(AcmeJws, SignedRequestsVerifyWithTheJwkAndCarryTheProtectedHeader) {
  auto key = Key::generate(GetParam());
  auto jws = signJws(key, R"({"identifiers":[]})", "https://ca.test/new-order", "nonce-1", "");
  auto header = json::parse(b64dec(jws.at("protected").as_string())).as_object();
  EXPECT_EQ(std::string(header.at("alg").as_string()), key.alg());
  EXPECT_EQ(header.at("nonce"), "nonce-1");
  EXPECT_EQ(header.at("url"), "https://ca.test/new-order");
  EXPECT_EQ(header.at("jwk").as_object(), key.jwk());
  EXPECT_FALSE(header.contains("kid"));  // jwk and kid never both (RFC 8555 §6.2)
  EXPECT_EQ(b64dec(jws.at("payload").as_string()), R"({"identifiers":[]})");

  EVP_PKEY* pub = publicKeyFromJwk(key.jwk());
  ASSERT_NE(pub, nullptr);
  const std::string input = std::string(jws.at("protected").as_string()) + "." + std::string(jws.at("payload").as_string());
  EXPECT_TRUE(verify(pub, key.alg(), input, b64dec(jws.at("signature").as_string())));
  EXPECT_FALSE(verify(pub, key.alg(), input + "x", b64dec(jws.at("signature").as_string())));

  // By account URL, and POST-as-GET: an empty payload, not "{}".
  auto byKid = signJws(key, "", "https://ca.test/order/1", "nonce-2", "https://ca.test/acct/7");
  auto h2 = json::parse(b64dec(byKid.at("protected").as_string())).as_object();
  EXPECT_EQ(h2.at("kid"), "https://ca.test/acct/7");
  EXPECT_FALSE(h2.contains("jwk"));
  EXPECT_EQ(byKid.at("payload"), "");
  EXPECT_TRUE(verify(pub, key.alg(), std::string(byKid.at("protected").as_string()) + ".",
                     b64dec(byKid.at("signature").as_string())));
  EVP_PKEY_free(pub);
}

INSTANTIATE_TEST_SUITE_P(Both, AcmeJws, ::testing::Values(KeyType::Es256, KeyType::Rs256));

TEST(AcmeDns01, ValueIsTheHashOfTheKeyAuthorization) {
  auto key = Key::generate(KeyType::Es256);
  const std::string token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
  EXPECT_EQ(keyAuthorization(token, key), token + "." + key.thumbprint());
  auto v = dns01Value(token, key);
  EXPECT_EQ(v.size(), 43u);
  EXPECT_EQ(v, base64url(sha256(token + "." + key.thumbprint())));
  EXPECT_EQ(dns01Name("www.example.org"), "_acme-challenge.www.example.org.");
  EXPECT_EQ(dns01Name("*.example.org"), "_acme-challenge.example.org.");
}

TEST(AcmeCsr, CarriesEveryNameAsSanAndVerifiesWithItsKey) {
  for (auto type : {KeyType::Es256, KeyType::Rs256}) {
    auto key = Key::generate(type);
    auto der = buildCsr(key, {"example.org", "social.example.org", "*.example.org"});
    ASSERT_TRUE(der.ok()) << der.error().message;
    auto p = reinterpret_cast<const unsigned char*>(der->data());
    X509_REQ* req = d2i_X509_REQ(nullptr, &p, static_cast<long>(der->size()));
    ASSERT_NE(req, nullptr);
    EVP_PKEY* pub = X509_REQ_get_pubkey(req);
    EXPECT_EQ(X509_REQ_verify(req, pub), 1);
    EVP_PKEY* jwkPub = publicKeyFromJwk(key.jwk());
    EXPECT_EQ(EVP_PKEY_eq(pub, jwkPub), 1);  // the CSR carries the certificate key
    STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(req);
    ASSERT_NE(exts, nullptr);
    std::vector<std::string> names;
    for (int i = 0; i < sk_X509_EXTENSION_num(exts); ++i) {
      auto* ext = sk_X509_EXTENSION_value(exts, i);
      if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
      auto* gens = static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext));
      for (int j = 0; j < sk_GENERAL_NAME_num(gens); ++j) {
        auto* g = sk_GENERAL_NAME_value(gens, j);
        ASSERT_EQ(g->type, GEN_DNS);
        names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                           ASN1_STRING_length(g->d.dNSName));
      }
      GENERAL_NAMES_free(gens);
    }
    EXPECT_THAT(names, ElementsAre("example.org", "social.example.org", "*.example.org"));
    char cn[128] = {};
    X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName, cn, sizeof cn);
    EXPECT_STREQ(cn, "example.org");
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    EVP_PKEY_free(jwkPub);
    EVP_PKEY_free(pub);
    X509_REQ_free(req);
  }
  EXPECT_FALSE(buildCsr(Key::generate(KeyType::Es256), {}).ok());
}

TEST(AcmeChain, LocalIssueIsReadBackWithItsDatesAndRenewalIsDueInTheLastThird) {
  auto key = Key::generate(KeyType::Es256);
  const auto start = std::chrono::system_clock::from_time_t(1'800'000'000);
  auto pem = issueLocally(key, {"b.example.org", "a.example.org"}, start, std::chrono::hours(24 * 90), "", nullptr);
  ASSERT_TRUE(pem.ok()) << pem.error().message;
  auto info = inspectChain(*pem);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->certificates, 1);
  EXPECT_THAT(info->names, ElementsAre("a.example.org", "b.example.org"));
  EXPECT_EQ(info->notBefore, start);
  EXPECT_EQ(info->notAfter, start + std::chrono::hours(24 * 90));
  EXPECT_FALSE(info->serial.empty());
  EXPECT_FALSE(info->leafDer.empty());
  EXPECT_FALSE(renewalDue(*info, start + std::chrono::hours(24 * 59)));
  EXPECT_TRUE(renewalDue(*info, start + std::chrono::hours(24 * 60)));  // 30 of 90 days left
  EXPECT_FALSE(inspectChain("no certificate").ok());

  // Signed by a local CA: the chain is leaf then CA, and the leaf verifies against the CA.
  auto caKey = Key::generate(KeyType::Es256);
  auto ca = issueLocally(caKey, {"test-ca.invalid"}, start, std::chrono::hours(24 * 365), "", nullptr);
  ASSERT_TRUE(ca.ok());
  auto leaf = issueLocally(key, {"a.example.org"}, start, std::chrono::hours(24), *ca, &caKey);
  ASSERT_TRUE(leaf.ok()) << leaf.error().message;
  auto leafInfo = inspectChain(*leaf);
  ASSERT_TRUE(leafInfo.ok());
  EXPECT_EQ(leafInfo->certificates, 2);
  BIO* b = BIO_new_mem_buf(leaf->data(), static_cast<int>(leaf->size()));
  X509* cert = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  EXPECT_EQ(X509_verify(cert, caKey.get()), 1);
  X509_free(cert);
}

TEST(AcmeCertificateSpec, NamesAreCheckedAgainstTheZoneAndSorted) {
  auto spec = parseCertificate({{"zone", "Example.org."}, {"names", json::array{"social.example.org", "EXAMPLE.org"}}});
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->zone, "example.org");
  EXPECT_THAT(spec->names, ElementsAre("example.org", "social.example.org"));
  auto outside = parseCertificate({{"zone", "example.org"}, {"names", json::array{"example.net"}}});
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().field, "attributes.names[0]");
  EXPECT_FALSE(parseCertificate({{"zone", "example.org"}, {"names", json::array{}}}).ok());
  EXPECT_FALSE(parseCertificate({{"names", json::array{"example.org"}}}).ok());
}

}  // namespace
}  // namespace fedihost::providers::acme
