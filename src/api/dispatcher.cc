#include "api/dispatcher.hh"

#include <spdlog/spdlog.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "aaa/auth.hh"
#include "api/authorization.hh"
#include "api/problem.hh"
#include "core/clock.hh"
#include "core/ids.hh"
#include "core/log.hh"
#include "core/metrics.hh"
#include "orchestrator/orchestrator.hh"
#include "store/accounting_store.hh"
#include "store/outbox.hh"
#include "store/sql.hh"
#include "store/state_store.hh"
#include "store/account_store.hh"
#include "api/session_cookie.hh"

namespace fedihost::api {
namespace {


/// Headers every answer carries (the panel's pages get a strict policy: no inline script).
void securityHeaders(Response& r, bool page) {
  r.headers["x-content-type-options"] = "nosniff";
  r.headers["referrer-policy"] = "no-referrer";
  r.headers["x-frame-options"] = "DENY";
  if (!r.headers.count("content-security-policy"))  // a page rendered by a handler brings its own
    r.headers["content-security-policy"] =
      page ? "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
             "frame-ancestors 'none'"
           : "default-src 'none'; frame-ancestors 'none'";
}

std::string contentTypeOf(const std::filesystem::path& p) {
  static const std::map<std::string, std::string> types{
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".json", "application/json"},
      {".svg", "image/svg+xml"},             {".png", "image/png"},
      {".ico", "image/x-icon"},              {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"}};
  auto it = types.find(p.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

/// The client's X-Request-Id if it is a plain token, else a new one.
std::string requestIdOf(const Request& req) {
  auto id = req.header("x-request-id");
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  return ok ? id : ids::newId("req");
}

/// Clears a connection's commit hook when the request ends, however it ends.
struct HookGuard {
  store::Connection& c;
  ~HookGuard() { c.beforeWriteCommit = nullptr; }
};

}  // namespace

/// One handler thread's connections and context.
struct Dispatcher::PerThread {
  std::unique_ptr<store::Connection> stateConn;
  std::unique_ptr<store::Connection> accountingConn;
  store::StateStore state;
  store::AccountStore accounts;
  store::AccountingStore accounting;
  ApiContext ctx;

  PerThread(Dispatcher& d, std::unique_ptr<store::Connection> s, std::unique_ptr<store::Connection> a)
      : stateConn(std::move(s)),
        accountingConn(std::move(a)),
        state(*stateConn),
        accounts(*stateConn),
        accounting(*accountingConn),
        ctx{state,
            accounts,
            accounting,
            d.services_.orchestrator,
            d.services_.authenticator,
            d.services_.options,
            d.services_.mailer.get(),
            [&d]() -> ApiContext& { return d.threadContext(); }} {}
};


Dispatcher::Dispatcher(ApiServices services, std::filesystem::path webRoot)
    : services_(std::move(services)), webRoot_(std::move(webRoot)), router_(makeRouter()) {}

Dispatcher::~Dispatcher() = default;

ApiContext& Dispatcher::threadContext() {
  auto id = std::this_thread::get_id();
  {
    std::lock_guard lock(threadsMu_);
    if (auto it = threads_.find(id); it != threads_.end()) return it->second->ctx;
  }
  // Opened outside the lock: opening a database may wait.
  auto per = std::make_unique<PerThread>(*this, store::connect(services_.stateUrl), store::connect(services_.accountingUrl));
  std::lock_guard lock(threadsMu_);
  auto& slot = threads_[id];
  if (!slot) slot = std::move(per);
  return slot->ctx;
}

void Dispatcher::countRefused() {
  static auto& refused = metrics::registry().counter(
      "fedihost_http_refused_unauthenticated_total", "Requests refused for lack of valid credentials (not audited row by row)");
  refused_.fetch_add(1, std::memory_order_relaxed);
  refused.inc({});
}

Lane Dispatcher::lane(const Request& req) const {
  if (!req.path.starts_with("/api/")) return Lane::General;
  bool mismatch = false;
  auto m = router_.match(req.method, req.path, mismatch);
  return m ? m->first->lane : Lane::General;
}

Response Dispatcher::handle(const Request& req) {
  // Every line logged while serving this request carries its id.
  log::RequestScope scope(requestIdOf(req));
  auto start = std::chrono::steady_clock::now();
  std::string route = "static";
  Response r;
  if (req.path == "/api" || req.path.starts_with("/api/") || req.path == "/metrics")
    r = handleApi(req, route);
  else if (req.method != "GET" && req.method != "HEAD")
    r = problem({ErrorKind::NotFound, "no such route: " + req.method + " " + req.path, {}});
  else
    r = handleStatic(req);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  static auto& requests = metrics::registry().counter("fedihost_http_requests_total",
                                                      "HTTP requests answered, by route and status", {"route", "status"});
  static auto& latency = metrics::registry().histogram("fedihost_http_request_seconds",
                                                       "Time to answer an HTTP request on a handler thread, by route",
                                                       {"route"});
  requests.inc({route, std::to_string(r.status)});
  latency.observe({std::move(route)}, took.count());
  spdlog::debug("{} {} {}", req.method, req.path, r.status);
  return r;
}

Response Dispatcher::handleApi(const Request& req, std::string& routeLabel) {
  bool methodMismatch = false;
  auto match = router_.match(req.method, req.path, methodMismatch);
  routeLabel = "unmatched";
  if (!match) {
    auto r = problem(methodMismatch ? Error{ErrorKind::MethodNotAllowed, req.method + " is not allowed on " + req.path, {}}
                                    : Error{ErrorKind::NotFound, "no such route: " + req.method + " " + req.path, {}});
    securityHeaders(r, false);
    return r;
  }
  auto& [route, params] = *match;
  routeLabel = route->method + " " + route->pattern;
  auto& app = threadContext();
  RequestContext ctx{req, params, nullptr, std::nullopt, app, {}, std::nullopt, {}, {}, {}};
  std::optional<aaa::Principal> principal;
  bool unauthenticated = false;
  const bool mutating = isMutating(req.method);

  // The audit row of a mutating request. It is queued in the outbox by the first write
  // transaction the handler commits (the same transaction as the change), waiting for
  // the outcome; the outcome is filled in once the handler has answered.
  store::AuditEntry audit;
  bool auditQueued = false;
  auto fillActor = [&] {
    if (principal) {
      audit.actorKind = principal->session.isToken ? "token" : "user";
      audit.actorId = principal->user.id;
      audit.via = principal->session.id;
    } else if (!ctx.auditUser.empty()) {
      audit.actorKind = "user";
      audit.actorId = ctx.auditUser;
    } else {
      audit.actorKind = "anonymous";
    }
    audit.organisationId = !ctx.auditOrganisation.empty() ? ctx.auditOrganisation
                           : !ctx.organisation.empty()    ? ctx.organisation
                           : principal                    ? principal->session.organisation
                                                          : std::string();
  };
  if (mutating) {
    audit.eventId = ids::newId("evt");
    audit.requestId = log::currentRequestId();
    audit.action = route->method + " " + route->pattern;
    audit.method = req.method;
    audit.path = req.path;
    audit.remote = req.remote;
    if (!params.empty()) {  // the object: the most specific path parameter
      std::size_t best = std::string::npos;
      for (auto& [name, value] : params)
        if (auto at = route->pattern.rfind("{" + name + "}"); at != std::string::npos && (best == std::string::npos || at > best)) {
          best = at;
          audit.objectId = value;
        }
    }
  }
  auto& stateConn = app.state.connection();
  HookGuard guard{stateConn};
  Response resp;
  try {
    resp = [&]() -> Response {
      auto caller = identify(req, app, route->access);
      if (!caller) {
        unauthenticated = true;
        return problem(caller.error());
      }
      principal = std::move(caller->principal);
      if (principal) {
        ctx.principal = &*principal;
        ctx.user = principal->user;
        ctx.sessionToken = caller->cookieToken;
      }
      if (auto allowed = authorize(*route, ctx); !allowed) return problem(allowed.error());
      // A read-only request sees one snapshot of the state and takes the read lock once.
      std::optional<store::Transaction> snapshot;
      if (req.method == "GET") snapshot.emplace(stateConn, false);
      if (mutating)
        stateConn.beforeWriteCommit = [&](store::Connection& c) {
          if (auditQueued) return;
          fillActor();
          audit.at = clock::nowRfc3339();
          store::enqueueAudit(c, audit, false);
          auditQueued = true;
        };
      auto r = route->handler(ctx);
      stateConn.beforeWriteCommit = nullptr;
      if (snapshot) snapshot->commit();
      return r;
    }();
  } catch (const AbortError& e) {
    resp = problem(e.error());
  } catch (const store::DatabaseError& e) {
    spdlog::error("{} {}: database error: {}", req.method, req.path, e.what());
    resp = problem({ErrorKind::Internal, "the database failed; the request was not carried out", {}});
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", req.method, req.path, e.what());
    resp = problem({ErrorKind::Internal, "internal error; the request was not carried out", {}});
  }
  stateConn.beforeWriteCommit = nullptr;
  if (!resp.headers.count("content-type")) resp.headers["content-type"] = "application/json";
  securityHeaders(resp, false);
  if (unauthenticated) {
    countRefused();  // counted, never stored row by row
    return resp;
  }
  if (route->pattern == "/api/v1/auth/login" && resp.status >= 400 && resp.status < 500) {
    static auto& logins = metrics::registry().counter("fedihost_logins_refused_total",
                                                      "Sign-ins refused (wrong password, unknown address, missing second factor)");
    logins.inc({});
  }
  if (mutating) {
    resp.headers["x-request-id"] = audit.requestId;
    fillActor();
    if (audit.objectId.empty() && resp.status == 201) {  // a created object: its id from the answer
      boost::system::error_code ec;
      auto v = boost::json::parse(resp.body, ec);
      if (!ec && v.is_object())
        if (auto* id = v.get_object().if_contains("id"); id && id->is_string()) audit.objectId = id->get_string();
    }
    audit.status = resp.status;
    audit.outcome = resp.status < 300 ? "ok" : resp.status < 500 ? "refused" : "failed";
    // A refused request that changed nothing in the state database and has no known
    // actor (a failed sign-in) leaves no row: it is counted, as refused requests are.
    if (!(auditQueued || audit.actorKind != "anonymous" || resp.status < 300)) {
      countRefused();
    } else {
      try {
        if (!auditQueued) audit.at = clock::nowRfc3339();
        store::completeAudit(stateConn, audit);
        app.orchestrator.wakeShipper();
      } catch (const std::exception& e) {
        // If the change committed, its row is queued (outcome pending) and ships as "unanswered" after a restart.
        spdlog::error("audit row {} of {} {} could not be completed: {}", audit.eventId, req.method, req.path, e.what());
      }
    }
  }
  return resp;
}

Response Dispatcher::handleStatic(const Request& req) const {
  Response r;
  std::filesystem::path rel = req.path.empty() ? "/" : req.path;
  bool safe = true;
  for (auto& part : rel)
    if (part == "..") safe = false;
  std::error_code ec;
  auto file = webRoot_ / rel.relative_path();
  if (!safe || !std::filesystem::is_regular_file(file, ec)) file = webRoot_ / "index.html";  // client-side routes
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    r.status = 404;
    r.headers["content-type"] = "text/plain; charset=utf-8";
    r.body = "The panel is not built: run `npm run build` in web/, or pass --web DIR.\n"
             "The API is at /api/v1 (see /api/v1/openapi.json).\n";
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  r.body = ss.str();
  r.headers["content-type"] = contentTypeOf(file);
  securityHeaders(r, true);
  r.headers["cache-control"] = file.filename() == "index.html" ? "no-cache" : "public, max-age=3600";
  return r;
}

}  // namespace fedihost::api
