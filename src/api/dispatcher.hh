#pragma once
// From a request to a response: static panel files, or an API route with
// authentication, the route's access check, error mapping (via problem.hh) and
// the audit log. Called concurrently from the handler threads: each thread gets
// its own database connections.
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "api/router.hh"

namespace fedihost::api {

/// What the dispatcher shares between its handler threads.
struct ApiServices {
  std::string stateUrl;       ///< each handler thread opens its own connection
  std::string accountingUrl;
  orchestrator::Orchestrator& orchestrator;
  aaa::Authenticator& authenticator;
  ApiOptions options;
  std::shared_ptr<net::Mailer> mailer;  ///< may be null
};

class Dispatcher {
 public:
  /// `webRoot` holds the built panel (web/dist); it may not exist (the API still works).
  Dispatcher(ApiServices services, std::filesystem::path webRoot);
  ~Dispatcher();

  /// The pool a request must run on (decided from the route, on the I/O thread; cheap).
  Lane lane(const Request& req) const;

  /// Handles one request; never throws. Runs on a handler thread, never on the I/O thread.
  Response handle(const Request& req);
  const Router& router() const { return router_; }
  /// Requests refused for lack of (valid) credentials: counted, never written row by row.
  std::uint64_t refusedUnauthenticated() const { return refused_.load(); }

  /// The calling thread's context (its own connections), created on first use.
  ApiContext& threadContext();

 private:
  struct PerThread;
  /// `routeLabel` is set to the matched route ("GET /api/v1/deployments/{id}") or "unmatched", for metrics.
  Response handleApi(const Request& req, std::string& routeLabel);
  void countRefused();
  Response handleStatic(const Request& req) const;

  ApiServices services_;
  std::filesystem::path webRoot_;
  Router router_;
  std::mutex threadsMu_;
  std::unordered_map<std::thread::id, std::unique_ptr<PerThread>> threads_;
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace fedihost::api
