#pragma once
// Routes: one function per route and method, registered in routes.cc.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/http.hh"
#include "core/domain.hh"

namespace fedihost::orchestrator {
class Orchestrator;
}
namespace fedihost::store {
class StateStore;
class AccountingStore;
}
namespace fedihost::aaa {
class Authenticator;
}

namespace fedihost::api {

/// What every handler can reach.
struct ApiContext {
  store::StateStore& state;
  store::AccountingStore& accounting;
  orchestrator::Orchestrator& orchestrator;
  aaa::Authenticator& authenticator;
};

/// One request as a handler sees it.
struct RequestContext {
  const Request& request;
  std::map<std::string, std::string> params;  ///< path parameters, e.g. {"id": "dep_x"}
  std::optional<User> user;                   ///< set for authenticated routes
  ApiContext& app;
  std::string auditOrganisation;  ///< set by handlers so the audit line names the organisation

  const std::string& param(const std::string& name) const { return params.at(name); }
};

using Handler = std::function<Response(RequestContext&)>;

struct Route {
  std::string method;
  std::string pattern;  ///< "/api/v1/deployments/{id}"
  Handler handler;
  bool authenticated = true;
  std::string summary;  ///< one line, for logs and the route listing
};

class Router {
 public:
  void add(Route r);
  /// The route and path parameters for a request; nullopt if no pattern matches the path.
  /// When the path matches but not the method, `methodMismatch` is set.
  std::optional<std::pair<const Route*, std::map<std::string, std::string>>> match(
      const std::string& method, const std::string& path, bool& methodMismatch) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

/// Every route of the API (routes.cc).
Router makeRouter();

}  // namespace fedihost::api
