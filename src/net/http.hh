#pragma once
// HTTP for providers: one request at a time per thread (libcurl), a timeout on
// every call, and failures as values: an unreachable server or a timeout is
// Unavailable (retryable), a response is returned whatever its status and
// classified by `statusError`.
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hh"

namespace fedihost::net {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  ///< sent as given (no Content-Type added)
  std::string body;
  std::chrono::milliseconds timeout{15000};         ///< whole call
  std::chrono::milliseconds connectTimeout{3000};
  std::string caFile;  ///< PEM file of the CAs an https server is verified against ("": the system's)
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< names in lower case
};

/// Sends one request on this thread's connection (reused, keep-alive).
/// Unavailable when the server cannot be reached or the call times out.
Result<HttpResponse> send(const HttpRequest& request);

/// The error a non-2xx response means, naming `service` and keeping the server's
/// message: 5xx, 429 and 503 are Unavailable (retryable); 401/403 are
/// Unauthorized ("credentials refused"); 404 NotFound; other 4xx Provider.
Error statusError(std::string_view service, const HttpResponse& response);

/// True for 2xx.
inline bool ok(const HttpResponse& r) { return r.status >= 200 && r.status < 300; }

/// Percent-encodes everything but RFC 3986 unreserved characters (and '/' when `keepSlash`).
std::string uriEncode(std::string_view s, bool keepSlash = false);

// libcurl callbacks shared with the CLI's client.
size_t curlAppendBody(char* data, size_t size, size_t n, void* out);    ///< out: std::string*
size_t curlCollectHeader(char* data, size_t size, size_t n, void* out);  ///< out: std::map<std::string,std::string>*

}  // namespace fedihost::net
