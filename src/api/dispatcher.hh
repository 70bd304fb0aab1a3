#pragma once
// From a request to a response: static panel files, or an API route with
// authentication, error mapping (via problem.hh) and the audit log.
#include <filesystem>

#include "api/router.hh"

namespace fedihost::api {

class Dispatcher {
 public:
  /// `webRoot` holds the built panel (web/dist); it may not exist (the API still works).
  Dispatcher(ApiContext& app, std::filesystem::path webRoot);

  /// Handles one request; never throws.
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
