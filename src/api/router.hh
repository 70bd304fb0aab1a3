#pragma once
// Routes: one function per route and method, registered in routes.cc.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/http.hh"
#include "core/domain.hh"
#include "api/lane.hh"

namespace fedihost::orchestrator {
class Orchestrator;
}
namespace fedihost::store {
class StateStore;
class AccountStore;
class AccountingStore;
}
namespace fedihost::aaa {
class Authenticator;
struct Principal;
}
namespace fedihost::net {
class Mailer;
}

namespace fedihost::api {

/// Settings of the API that handlers read (server options).
struct ApiOptions {
  bool signup = false;                       ///< self-service sign-up
  std::vector<std::string> customerDomains;  ///< parent domains whose sub-domains customers may use
  std::string publicUrl;                     ///< the panel's address, for links in mails ("http://127.0.0.1:8080")
  std::string resolver;                      ///< "IP:PORT" of the DNS resolver for domain checks ("": the system's)
  std::chrono::seconds invitationLifetime{7 * 24 * 3600};
  std::chrono::seconds resetLifetime{3600};
  bool secureCookies = true;  ///< false only when serving plain HTTP on loopback
};

/// What every handler can reach. There is one per handler thread: `state`,
/// `accounts` and `accounting` are that thread's own database connections; the
/// rest is shared and thread-safe.
struct ApiContext {
  store::StateStore& state;
  store::AccountStore& accounts;
  store::AccountingStore& accounting;
  orchestrator::Orchestrator& orchestrator;
  aaa::Authenticator& authenticator;
  const ApiOptions& options;
  net::Mailer* mailer;  ///< nullptr when no SMTP relay is configured
  /// The context of the calling thread (an event stream is polled later, maybe on another thread).
  std::function<ApiContext&()> current;
};

/// One request as a handler sees it.
struct RequestContext {
  const Request& request;
  std::map<std::string, std::string> params;  ///< path parameters, e.g. {"id": "dep_x"}
  const aaa::Principal* principal = nullptr;  ///< who is asking (nullptr on routes open to anyone, unless signed in)
  std::optional<User> user;                   ///< the principal's user, for short
  ApiContext& app;
  std::string organisation;       ///< the organisation the route's access check found ("" if none)
  std::optional<Role> role;       ///< the principal's role in it
  std::string auditOrganisation;  ///< set by handlers so the audit line names the organisation
  std::string auditUser;          ///< set by handlers that sign someone in (login, accept, sign-up)
  std::string sessionToken;       ///< the cookie session's secret, when the request came with one

  const std::string& param(const std::string& name) const { return params.at(name); }
};

using Handler = std::function<Response(RequestContext&)>;

/// Who may use a route.
enum class Need {
  Anyone,    ///< no sign-in (health, login, accepting an invitation)
  SignedIn,  ///< any signed-in user; the handler shows only what is the user's (lists, own account)
  Viewer,    ///< that role or a stronger one in the route's organisation
  Member,
  OrgAdmin,
  Operator,  ///< the provider's staff only
};
std::string_view toString(Need n);

/// How the route's organisation is found from its path.
/// Job: a refresh job belongs to its deployment's organisation; the provider's own jobs
/// (orphan scans) to none, and only operators see them (others get 404).
enum class OrgFrom { None, Organisation, Deployment, Run, Job, Backup, Restore, Migration };

/// A route's declaration of who may use it: checked by the dispatcher before the handler runs.
struct Access {
  Need need = Need::Operator;
  Scope scope = Scope::Admin;  ///< what an API token must have been given
  OrgFrom org = OrgFrom::None;
  std::string param = "id";    ///< the path parameter naming the organisation, deployment, run or job
};

struct Route {
  std::string method;
  std::string pattern;  ///< "/api/v1/deployments/{id}"
  Handler handler;
  Access access;        ///< required: who may use it
  std::string summary;  ///< one line, for logs and the route listing
  Lane lane = Lane::General;  ///< Credentials for routes that hash passwords
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
  std::vector<std::vector<std::string>> patterns_;  ///< routes_[i].pattern split once, at add()
};

/// Every route of the API (routes.cc).
Router makeRouter();

}  // namespace fedihost::api
