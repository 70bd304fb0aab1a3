#pragma once
// The HTTP side of ACME (RFC 8555): the directory, replay nonces (a badNonce
// answer is retried with the fresh nonce it carries), signed POSTs and
// POST-as-GET, and problem documents turned into errors. Safe to share between
// threads (the directory and the spare nonces are guarded).
#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hh"
#include "net/http.hh"
#include "providers/acme/crypto.hh"

namespace fedihost::providers::acme {

struct Directory {
  std::string newNonce;
  std::string newAccount;
  std::string newOrder;
  std::string revokeCert;
};

/// An answer of the CA: status, headers, body, and the body as JSON when it is JSON.
struct AcmeResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
  json::object object;  ///< the body parsed, if it is a JSON object

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// The error an ACME problem document (or any non-2xx answer) means: 5xx and
/// serverInternal are Unavailable (retryable); rateLimited names its Retry-After;
/// unauthorized/accountDoesNotExist are Unauthorized; the rest Provider, with
/// the problem's type and detail (and its subproblems).
Error problemError(const std::string& what, const AcmeResponse& response);

class AcmeClient {
 public:
  AcmeClient(std::string directoryUrl, std::string caFile, std::chrono::milliseconds timeout)
      : directoryUrl_(std::move(directoryUrl)), caFile_(std::move(caFile)), timeout_(timeout) {}

  const std::string& directoryUrl() const { return directoryUrl_; }
  /// The directory (fetched once).
  Result<Directory> directory();
  /// A POST of `payload` (a JSON text; "" for POST-as-GET) signed with `key`, by
  /// `kid` or, when `kid` is empty, with the JWK. A non-2xx answer is an error
  /// (problemError) unless `acceptStatus` lists it.
  Result<AcmeResponse> post(const std::string& url, const std::string& payload, const Key& key, const std::string& kid,
                            const std::string& accept = "application/json", std::vector<long> acceptStatus = {});

 private:
  Result<std::string> nonce();
  void keepNonce(const net::HttpResponse& r);
  Result<net::HttpResponse> send(net::HttpRequest req) const;

  std::string directoryUrl_;
  std::string caFile_;
  std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::optional<Directory> directory_;
  std::vector<std::string> nonces_;
};

}  // namespace fedihost::providers::acme
