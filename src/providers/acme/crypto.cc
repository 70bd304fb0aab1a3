#include "providers/acme/crypto.hh"

#include "secrets/openssl_handles.hh"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>

namespace fedihost::providers::acme {
namespace {

using namespace secrets::ossl;
struct ExtStackFree {
  void operator()(STACK_OF(X509_EXTENSION) * s) const { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); }
};

/// The pending OpenSSL errors as text (and cleared).
std::string sslError(std::string_view what) {
  std::string s(what);
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    s += ": ";
    s += buf;
  }
  return s;
}

[[noreturn]] void fail(std::string_view what) { throw AbortError({ErrorKind::Internal, sslError(what), {}}); }

std::string bioText(BIO* b) {
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string bnBytes(const BIGNUM* bn, int width) {
  int n = width > 0 ? width : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(n), '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), n) != n) fail("a number does not fit");
  return out;
}

Bn bnParam(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) fail(std::string("reading key parameter ") + name);
  return Bn(bn);
}

std::chrono::system_clock::time_point fromAsn1(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

/// The subjectAltName extension holding DNS names.
X509Ext sanExtension(const std::vector<std::string>& names) {
  GeneralNames gens(sk_GENERAL_NAME_new_null());
  for (auto& n : names) {
    GENERAL_NAME* g = GENERAL_NAME_new();
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    ASN1_STRING_set(s, n.data(), static_cast<int>(n.size()));
    GENERAL_NAME_set0_value(g, GEN_DNS, s);
    sk_GENERAL_NAME_push(gens.get(), g);
  }
  X509Ext ext(X509V3_EXT_i2d(NID_subject_alt_name, 0, gens.get()));
  if (!ext) fail("building subjectAltName");
  return ext;
}

std::string commonName(const std::vector<std::string>& names) {
  for (auto& n : names)
    if (n.size() <= 64) return n;
  return {};
}

Result<void> checkNames(const std::vector<std::string>& names) {
  if (names.empty()) return Error::invalid("names", "a certificate needs at least one name");
  for (auto& n : names)
    if (n.empty() || n.size() > 253 || n.find_first_of(" ,/\\\"") != std::string::npos)
      return Error::invalid("names", "\"" + n + "\" is not a host name");
  return {};
}

}  // namespace

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto byte = [&](std::size_t j) { return static_cast<unsigned char>(bytes[j]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (bytes.size() - i == 1) {
    unsigned v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64urlDecode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-canonical trailing bits
  return out;
}

std::string sha256(std::string_view bytes) {
  std::string out(32, '\0');
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(out.data()), &n, EVP_sha256(), nullptr) !=
      1)
    fail("SHA-256");
  return out;
}

std::optional<KeyType> keyTypeFromString(std::string_view s) {
  if (s == "es256" || s == "ES256") return KeyType::Es256;
  if (s == "rs256" || s == "RS256") return KeyType::Rs256;
  return std::nullopt;
}

void Key::Free::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

Key Key::generate(KeyType type) {
  EVP_PKEY* k = type == KeyType::Es256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  if (!k) fail("generating a key");
  return Key(std::shared_ptr<EVP_PKEY>(k, Free{}), type);
}

Result<Key> Key::fromPem(std::string_view pem) {
  Bio b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr);
  if (!k) {
    ERR_clear_error();
    return Error::invalid("key", "not a PEM private key");
  }
  std::shared_ptr<EVP_PKEY> owned(k, Free{});
  KeyType type;
  if (EVP_PKEY_is_a(k, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1 ||
        std::string_view(group) != "prime256v1")
      return Error::invalid("key", "an EC key must be on P-256");
    type = KeyType::Es256;
  } else if (EVP_PKEY_is_a(k, "RSA")) {
    if (EVP_PKEY_get_bits(k) < 2048) return Error::invalid("key", "an RSA key must have at least 2048 bits");
    type = KeyType::Rs256;
  } else {
    return Error::invalid("key", "only P-256 and RSA keys are supported");
  }
  return Key(std::move(owned), type);
}

std::string Key::alg() const { return type_ == KeyType::Es256 ? "ES256" : "RS256"; }

std::string Key::pem() const {
  Bio b(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(b.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) fail("writing a key");
  return bioText(b.get());
}

json::object Key::jwk() const {
  if (type_ == KeyType::Es256) {
    auto x = bnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X);
    auto y = bnParam(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
    return {{"crv", "P-256"}, {"kty", "EC"}, {"x", base64url(bnBytes(x.get(), 32))}, {"y", base64url(bnBytes(y.get(), 32))}};
  }
  auto n = bnParam(key_.get(), OSSL_PKEY_PARAM_RSA_N);
  auto e = bnParam(key_.get(), OSSL_PKEY_PARAM_RSA_E);
  return {{"e", base64url(bnBytes(e.get(), 0))}, {"kty", "RSA"}, {"n", base64url(bnBytes(n.get(), 0))}};
}

std::string Key::thumbprint() const { return jwkThumbprint(jwk()); }

std::string jwkThumbprint(const json::object& jwk) {
  auto member = [&](std::string_view name) -> json::value {
    auto* v = jwk.if_contains(name);
    return v ? *v : json::value(nullptr);
  };
  json::object canonical;
  auto kty = member("kty");
  if (kty.is_string() && kty.get_string() == "EC")
    canonical = {{"crv", member("crv")}, {"kty", kty}, {"x", member("x")}, {"y", member("y")}};
  else
    canonical = {{"e", member("e")}, {"kty", kty}, {"n", member("n")}};
  return base64url(sha256(json::serialize(canonical)));
}

std::string Key::sign(std::string_view input) const {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) fail("signing");
  size_t len = 0;
  auto data = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) != 1) fail("signing");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data, input.size()) != 1)
    fail("signing");
  sig.resize(len);
  if (type_ == KeyType::Rs256) return sig;
  // ECDSA: DER SEQUENCE{r, s} -> r||s, each 32 bytes (RFC 7518 §3.4).
  auto p = reinterpret_cast<const unsigned char*>(sig.data());
  EcdsaSig der(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!der) fail("reading an ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(der.get(), &r, &s);
  return bnBytes(r, 32) + bnBytes(s, 32);
}

json::object signJws(const Key& key, std::string_view payload, const std::string& url, const std::string& nonce,
                     const std::string& kid) {
  json::object header{{"alg", key.alg()}};
  if (kid.empty())
    header["jwk"] = key.jwk();
  else
    header["kid"] = kid;
  header["nonce"] = nonce;
  header["url"] = url;
  auto protectedB64 = base64url(json::serialize(header));
  auto payloadB64 = base64url(payload);
  auto signature = key.sign(protectedB64 + "." + payloadB64);
  return {{"protected", protectedB64}, {"payload", payloadB64}, {"signature", base64url(signature)}};
}

std::string keyAuthorization(std::string_view token, const Key& accountKey) {
  return std::string(token) + "." + accountKey.thumbprint();
}

std::string dns01Value(std::string_view token, const Key& accountKey) {
  return base64url(sha256(keyAuthorization(token, accountKey)));
}

std::string dns01Name(std::string_view identifier) {
  if (identifier.starts_with("*.")) identifier.remove_prefix(2);
  std::string name = "_acme-challenge." + std::string(identifier);
  if (name.back() != '.') name += '.';
  return name;
}

Result<std::string> buildCsr(const Key& key, const std::vector<std::string>& names) {
  if (auto ok = checkNames(names); !ok) return ok.error();
  X509Req req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), 0) != 1) fail("making a CSR");
  if (auto cn = commonName(names); !cn.empty()) {
    X509_NAME* subject = X509_REQ_get_subject_name(req.get());
    if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.data()),
                                   static_cast<int>(cn.size()), -1, 0) != 1)
      fail("setting the CSR's subject");
  }
  std::unique_ptr<STACK_OF(X509_EXTENSION), ExtStackFree> exts(sk_X509_EXTENSION_new_null());
  sk_X509_EXTENSION_push(exts.get(), sanExtension(names).release());
  if (X509_REQ_add_extensions(req.get(), exts.get()) != 1) fail("adding subjectAltName to the CSR");
  if (X509_REQ_set_pubkey(req.get(), key.get()) != 1) fail("setting the CSR's key");
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) fail("signing the CSR");
  int len = i2d_X509_REQ(req.get(), nullptr);
  if (len <= 0) fail("encoding the CSR");
  std::string der(static_cast<std::size_t>(len), '\0');
  auto p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509_REQ(req.get(), &p);
  return der;
}

Result<CertificateInfo> inspectChain(std::string_view pem) {
  Bio b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  CertificateInfo info;
  X509Ptr leaf;
  for (;;) {
    X509Ptr c(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
    if (!c) break;
    if (!leaf) leaf = std::move(c);
    ++info.certificates;
  }
  ERR_clear_error();
  if (!leaf) return Error::invalid("chain", "the PEM holds no certificate");
  info.notBefore = fromAsn1(X509_get0_notBefore(leaf.get()));
  info.notAfter = fromAsn1(X509_get0_notAfter(leaf.get()));
  Bn serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf.get()), nullptr));
  if (serial) {
    char* hex = BN_bn2hex(serial.get());
    info.serial = hex ? hex : "";
    OPENSSL_free(hex);
    std::transform(info.serial.begin(), info.serial.end(), info.serial.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto nz = info.serial.find_first_not_of('0');
    info.serial = nz == std::string::npos ? "0" : info.serial.substr(nz);
  }
  GeneralNames sans(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (sans)
    for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i) {
      auto* g = sk_GENERAL_NAME_value(sans.get(), i);
      if (g->type != GEN_DNS) continue;
      auto* s = g->d.dNSName;
      info.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                              static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
  std::sort(info.names.begin(), info.names.end());
  int len = i2d_X509(leaf.get(), nullptr);
  if (len > 0) {
    info.leafDer.resize(static_cast<std::size_t>(len));
    auto p = reinterpret_cast<unsigned char*>(info.leafDer.data());
    i2d_X509(leaf.get(), &p);
  }
  return info;
}

bool renewalDue(const CertificateInfo& info, std::chrono::system_clock::time_point now) {
  auto lifetime = info.notAfter - info.notBefore;
  return now >= info.notAfter - lifetime / 3;
}

Result<std::string> issueLocally(const Key& key, const std::vector<std::string>& names,
                                 std::chrono::system_clock::time_point now, std::chrono::seconds lifetime,
                                 const std::string& caCertPem, const Key* caKey) {
  if (auto ok = checkNames(names); !ok) return ok.error();
  X509Ptr ca;
  if (!caCertPem.empty()) {
    Bio b(BIO_new_mem_buf(caCertPem.data(), static_cast<int>(caCertPem.size())));
    ca.reset(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
    if (!ca || !caKey) {
      ERR_clear_error();
      return Error::invalid("caCert", "the CA certificate is not PEM (or has no key)");
    }
  }
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) fail("making a certificate");
  std::array<unsigned char, 16> serial{};
  if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1) fail("a random serial");
  serial[0] &= 0x7f;
  Bn sn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  BN_to_ASN1_INTEGER(sn.get(), X509_get_serialNumber(cert.get()));
  const std::time_t start = std::chrono::system_clock::to_time_t(now);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), start);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), start + static_cast<std::time_t>(lifetime.count()));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  auto cn = commonName(names);
  if (cn.empty()) cn = "fedihost";
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.data()),
                             static_cast<int>(cn.size()), -1, 0);
  X509_set_issuer_name(cert.get(), ca ? X509_get_subject_name(ca.get()) : subject);
  X509_set_pubkey(cert.get(), key.get());
  auto san = sanExtension(names);
  X509_add_ext(cert.get(), san.get(), -1);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca ? ca.get() : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                            std::pair{NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                            std::pair{NID_ext_key_usage, "serverAuth"}}) {
    X509Ext e(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!e || X509_add_ext(cert.get(), e.get(), -1) != 1) fail("adding an extension");
  }
  const Key& signer = ca ? *caKey : key;
  if (X509_sign(cert.get(), signer.get(), EVP_sha256()) <= 0) fail("signing the certificate");
  Bio out(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(out.get(), cert.get());
  if (ca) PEM_write_bio_X509(out.get(), ca.get());
  return bioText(out.get());
}

}  // namespace fedihost::providers::acme
