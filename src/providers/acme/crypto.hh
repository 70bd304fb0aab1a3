#pragma once
// The cryptography of ACME (RFC 8555) and of certificates, on OpenSSL 3:
// account and certificate keys (ECDSA P-256 or RSA), their public JWK and its
// thumbprint (RFC 7638), JWS in the flattened JSON serialization (RFC 7515,
// ES256 signatures as r||s), DNS-01 key authorizations, CSRs with the names as
// subjectAltNames, reading a PEM chain, and self-signed or CA-signed
// certificates (the "file" certificate provider). Keys are RAII around EVP_PKEY.
#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hh"

#include <openssl/types.h>

namespace fedihost::providers::acme {

namespace json = boost::json;

/// Unpadded base64url (RFC 4648 §5), as JOSE wants it.
std::string base64url(std::string_view bytes);
/// The bytes of unpadded base64url; nullopt if malformed.
std::optional<std::string> base64urlDecode(std::string_view text);
/// SHA-256 of `bytes` (32 raw bytes).
std::string sha256(std::string_view bytes);

/// The RFC 7638 thumbprint of a public JWK: base64url(SHA-256) of its required
/// members ({"crv","kty","x","y"} for EC, {"e","kty","n"} for RSA) in that order, no whitespace.
std::string jwkThumbprint(const json::object& jwk);

enum class KeyType { Es256, Rs256 };
/// "es256" / "rs256" (settings), nullopt for anything else.
std::optional<KeyType> keyTypeFromString(std::string_view s);

/// A private key.
class Key {
 public:
  /// A new key: P-256 for Es256, 2048-bit RSA for Rs256.
  static Key generate(KeyType type);
  /// A key from PKCS#8 (or traditional) PEM; Invalid if it is none or of another algorithm.
  static Result<Key> fromPem(std::string_view pem);

  KeyType type() const { return type_; }
  /// "ES256" or "RS256".
  std::string alg() const;
  /// The private key as PKCS#8 PEM (to be sealed before it is stored).
  std::string pem() const;
  /// The public JWK, members in lexicographic order (RFC 7638): {"crv","kty","x","y"} or {"e","kty","n"}.
  json::object jwk() const;
  /// base64url(SHA-256(the JWK's canonical JSON)).
  std::string thumbprint() const;
  /// The JWS signature of `input` (ES256: r||s, 64 bytes; RS256: PKCS#1 v1.5).
  std::string sign(std::string_view input) const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  struct Free {
    void operator()(EVP_PKEY* k) const;
  };
  Key(std::shared_ptr<EVP_PKEY> k, KeyType t) : key_(std::move(k)), type_(t) {}
  std::shared_ptr<EVP_PKEY> key_;
  KeyType type_ = KeyType::Es256;
};

/// A request signed for `url`: the flattened JWS {"protected", "payload", "signature"}
/// whose protected header is {"alg", "jwk" (when `kid` is empty) or "kid", "nonce", "url"}.
/// `payload` empty means POST-as-GET (an empty payload, not "{}").
json::object signJws(const Key& key, std::string_view payload, const std::string& url, const std::string& nonce,
                     const std::string& kid);

/// The key authorization of a challenge token: token "." thumbprint (RFC 8555 §8.1).
std::string keyAuthorization(std::string_view token, const Key& accountKey);
/// The TXT value of a DNS-01 challenge: base64url(SHA-256(key authorization)) (§8.4).
std::string dns01Value(std::string_view token, const Key& accountKey);
/// The name a DNS-01 challenge is published at: "_acme-challenge.<name>." ("*." dropped).
std::string dns01Name(std::string_view identifier);

/// A CSR in DER for `names` (subjectAltName DNS entries, in that order; CN the
/// first that fits 64 bytes), signed with `key` (SHA-256). Invalid for no names.
Result<std::string> buildCsr(const Key& key, const std::vector<std::string>& names);

/// What a PEM chain's first (leaf) certificate says.
struct CertificateInfo {
  std::chrono::system_clock::time_point notBefore;
  std::chrono::system_clock::time_point notAfter;
  std::string serial;              ///< lower-case hex, no leading zeros
  std::vector<std::string> names;  ///< subjectAltName DNS entries, sorted
  std::string leafDer;             ///< the leaf in DER (for revocation)
  int certificates = 0;            ///< in the chain
};
/// Reads a PEM chain; Invalid if it holds no certificate.
Result<CertificateInfo> inspectChain(std::string_view pem);
/// True when less than a third of the lifetime is left at `now`.
bool renewalDue(const CertificateInfo& info, std::chrono::system_clock::time_point now);

/// A certificate for `names` with `key`, valid from `now` for `lifetime`: self-signed
/// when `caCertPem` is empty, else signed by that CA with `caKey`. PEM.
Result<std::string> issueLocally(const Key& key, const std::vector<std::string>& names,
                                 std::chrono::system_clock::time_point now, std::chrono::seconds lifetime,
                                 const std::string& caCertPem, const Key* caKey);

}  // namespace fedihost::providers::acme
