#pragma once
// From a request to a response: static panel files, or an API route with
// authentication, error mapping (via problem.hh) and the audit log.
#include <filesystem>

#include "api/router.hh"

namespace fedihost::api {

/// Which pool of handler threads runs a request: credential checks (password
/// hashing) have their own small pool, so a flood of logins cannot stall the rest.
enum class Lane { General, Credentials };

class Dispatcher {
 public:
  /// `webRoot` holds the built panel (web/dist); it may not exist (the API still works).
  Dispatcher(ApiContext& app, std::filesystem::path webRoot);

  /// The pool a request must run on (decided from the method and path alone, on the I/O thread).
  Lane lane(const Request& req) const;

  /// Handles one request; never throws. Runs on a handler thread, never on the I/O thread.
  Response handle(const Request& req);
  const Router& router() const { return router_; }

 private:
  Response handleApi(const Request& req);
  Response handleStatic(const Request& req) const;

  ApiContext& app_;
  std::filesystem::path webRoot_;
  Router router_;
};

}  // namespace fedihost::api
