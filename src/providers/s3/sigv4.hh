#pragma once
// AWS Signature Version 4, our own (libcurl 7.88's built-in signer gets parts of
// the canonical form wrong): the canonical request, the string to sign, the
// signing key and the Authorization header, with libsodium's SHA-256 and
// HMAC-SHA-256. Checked against AWS's published test suite and the S3
// documentation's examples (tests/unit/providers/sigv4_test.cc).
//
// Paths and query parameters are given decoded; the signer encodes them the one
// way the signature and the wire must agree on (sigv4::canonicalUri and
// sigv4::canonicalQuery), so a client builds its URL from the same functions.
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fedihost::providers::s3::sigv4 {

/// "UNSIGNED-PAYLOAD": the payload hash for a body that is not signed.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

struct Credentials {
  std::string accessKeyId;
  std::string secretAccessKey;
};

/// A request to sign.
struct Request {
  std::string method;  ///< "GET", "PUT", ...
  /// The decoded path ("/bucket/my key"); each segment is URI-encoded once.
  std::string path = "/";
  /// Decoded query parameters, in any order ("?lifecycle" is {"lifecycle", ""}).
  std::vector<std::pair<std::string, std::string>> query;
  /// Every header to sign, as sent (any case; a name may repeat). Must hold
  /// "host" and "x-amz-date" (and for S3 "x-amz-content-sha256").
  std::vector<std::pair<std::string, std::string>> headers;
  /// Hex SHA-256 of the body, or kUnsignedPayload.
  std::string payloadHash;
};

/// Where and when a signature applies.
struct Scope {
  std::string amzDate;  ///< "20150830T123600Z", the request's x-amz-date
  std::string region;   ///< "us-east-1"
  std::string service;  ///< "s3"
  /// Remove "." and ".." segments and empty segments from the path, as every
  /// service but S3 does before signing. S3 signs the path as it is.
  bool normalizePath = false;
};

/// The intermediate and final values of one signature.
struct Signature {
  std::string canonicalRequest;
  std::string stringToSign;
  std::string signedHeaders;  ///< "host;x-amz-date"
  std::string signature;      ///< 64 hex digits
  std::string authorization;  ///< the Authorization header's value
};

/// Signs a request.
Signature sign(const Request& request, const Credentials& credentials, const Scope& scope);

/// The canonical URI of a decoded path: each segment URI-encoded (RFC 3986
/// unreserved characters kept), "/" kept; with `normalize`, dot segments and
/// empty segments removed (a trailing "/" kept).
std::string canonicalUri(std::string_view path, bool normalize);
/// The canonical query string: names and values URI-encoded ("/" too), sorted
/// by name then value, joined "a=1&b=".
std::string canonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);
/// The canonical headers block ("host:x\nx-amz-date:y\n") and the signed
/// header list ("host;x-amz-date"): names lower case and sorted, values trimmed
/// with inner runs of spaces collapsed, repeated names joined with ",".
std::pair<std::string, std::string> canonicalHeaders(const std::vector<std::pair<std::string, std::string>>& headers);

/// The derived key: HMAC chain "AWS4"+secret → date → region → service → "aws4_request" (raw bytes).
std::string signingKey(std::string_view secretAccessKey, std::string_view date, std::string_view region,
                       std::string_view service);

/// Lower-case hex SHA-256.
std::string sha256Hex(std::string_view data);
/// Raw HMAC-SHA-256 (any key length).
std::string hmacSha256(std::string_view key, std::string_view data);
/// Lower-case hex of raw bytes.
std::string hex(std::string_view bytes);

/// "YYYYMMDDTHHMMSSZ" (UTC) of a time.
std::string amzDate(std::chrono::system_clock::time_point t);

}  // namespace fedihost::providers::s3::sigv4
