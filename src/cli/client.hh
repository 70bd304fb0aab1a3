#pragma once
// A small HTTP client (libcurl) for the API: the CLI's and the tests'.
#include <curl/curl.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace fedihost::client {

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< names in lower case
};

/// Failure to reach the server at all (refused, timed out); API errors are responses.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Client {
 public:
  /// `base` like "http://127.0.0.1:8080"; `token` may be empty.
  Client(std::string base, std::string token = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void setToken(std::string token) { token_ = std::move(token); }
  const std::string& token() const { return token_; }
  const std::string& base() const { return base_; }

  /// One request; `body` is sent as JSON when non-empty (or when `contentType` is set).
  HttpResponse request(const std::string& method, const std::string& path, const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {});
  HttpResponse get(const std::string& path) { return request("GET", path); }
  HttpResponse post(const std::string& path, const std::string& body = "{}") { return request("POST", path, body); }

  /// GET `path` into `file`, a chunk at a time (never the whole body in memory): written to
  /// "<file>.partial" (created mode 0600, never over an existing file) and renamed to `file` once
  /// whole. A response that is not 2xx is returned with its body and nothing is written; a broken
  /// transfer or a full disk throws TransportError, leaving no file.
  HttpResponse download(const std::string& path, const std::filesystem::path& file);

  /// Reads a text/event-stream; calls `onEvent(event, data)` for each event until
  /// the server closes the stream or `onEvent` returns false. Returns the HTTP status.
  long stream(const std::string& path, const std::function<bool(const std::string&, const std::string&)>& onEvent);

 private:
  struct CurlCleanup {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  std::string base_;
  std::string token_;
  std::unique_ptr<CURL, CurlCleanup> curl_;
};

}  // namespace fedihost::client
