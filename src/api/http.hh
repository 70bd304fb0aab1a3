#pragma once
// Our own request and response types: handlers never see Beast.
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace fedihost::api {

struct Request {
  std::string method;  ///< "GET", "POST", …
  std::string path;    ///< decoded path without the query, e.g. "/api/v1/deployments/dep_x"
  std::map<std::string, std::string> query;    ///< decoded query parameters
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
  std::string remote;  ///< peer address

  /// A header's value, or "" (name in lower case).
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// One poll of a server-sent event stream: what to send now, and whether the stream ends after it.
struct StreamChunk {
  std::string data;
  bool done = false;
};

/// True for the methods that change something (POST, PATCH, PUT, DELETE).
inline bool isMutating(const std::string& method) {
  return method == "POST" || method == "PATCH" || method == "PUT" || method == "DELETE";
}

struct Response {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;
  /// For text/event-stream: polled by the server every ~150 ms until it returns done.
  std::function<StreamChunk()> stream;
};

}  // namespace fedihost::api
