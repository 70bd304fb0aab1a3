#include "api/dispatcher.hh"

#include <spdlog/spdlog.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "aaa/auth.hh"
#include "api/problem.hh"
#include "store/accounting_store.hh"
#include "store/sql.hh"
#include "store/state_store.hh"
#include "store/account_store.hh"
#include "api/session_cookie.hh"

namespace fedihost::api {
namespace {

bool isMutating(const std::string& method) { return method == "POST" || method == "PATCH" || method == "PUT" || method == "DELETE"; }

std::string bearerToken(const Request& req) {
  auto h = req.header("authorization");
  constexpr std::string_view prefix = "Bearer ";
  if (h.size() > prefix.size() && std::string_view(h).substr(0, prefix.size()) == prefix) return h.substr(prefix.size());
  return {};
}

/// The value of a cookie, or "".
std::string cookie(const Request& req, std::string_view name) {
  auto h = req.header("cookie");
  std::size_t i = 0;
  while (i < h.size()) {
    while (i < h.size() && (h[i] == ' ' || h[i] == ';')) ++i;
    auto end = h.find(';', i);
    if (end == std::string::npos) end = h.size();
    auto eq = h.find('=', i);
    if (eq != std::string::npos && eq < end && std::string_view(h).substr(i, eq - i) == name)
      return h.substr(eq + 1, end - eq - 1);
    i = end + 1;
  }
  return {};
}

/// Headers every answer carries (the panel's pages get a strict policy: no inline script).
void securityHeaders(Response& r, bool page) {
  r.headers["x-content-type-options"] = "nosniff";
  r.headers["referrer-policy"] = "no-referrer";
  r.headers["x-frame-options"] = "DENY";
  r.headers["content-security-policy"] =
      page ? "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
             "frame-ancestors 'none'"
           : "default-src 'none'; frame-ancestors 'none'";
}

std::string notFoundMessage(OrgFrom from, const std::string& id) {
  switch (from) {
    case OrgFrom::Organisation: return "no organisation " + id;
    case OrgFrom::Deployment: return "no deployment " + id;
    case OrgFrom::Run: return "no run " + id;
    case OrgFrom::None: break;
  }
  return "not found";
}

std::string_view needWords(Need n) {
  switch (n) {
    case Need::Viewer: return "a viewer";
    case Need::Member: return "a member";
    case Need::OrgAdmin: return "an org-admin";
    case Need::Operator: return "an operator";
    default: return "signed in";
  }
}

Role roleOf(Need n) {
  switch (n) {
    case Need::OrgAdmin: return Role::OrgAdmin;
    case Need::Member: return Role::Member;
    default: return Role::Viewer;
  }
}

Error forbidden(std::string message) { return {ErrorKind::Forbidden, std::move(message), {}}; }

Error lacksScope(Scope s) {
  return forbidden("this API token lacks the \"" + std::string(toString(s)) + "\" scope this needs");
}

Error secondFactorNeeded(std::string message) {
  Error e = forbidden(std::move(message));
  e.extra.emplace_back("totp", "setup-required");
  return e;
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

}  // namespace

std::string_view toString(Need n) {
  switch (n) {
    case Need::Anyone: return "anyone";
    case Need::SignedIn: return "signed-in";
    case Need::Viewer: return "viewer";
    case Need::Member: return "member";
    case Need::OrgAdmin: return "org-admin";
    case Need::Operator: return "operator";
  }
  return "operator";
}

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

Lane Dispatcher::lane(const Request& req) const {
  if (!req.path.starts_with("/api/")) return Lane::General;
  bool mismatch = false;
  auto m = router_.match(req.method, req.path, mismatch);
  return m ? m->first->lane : Lane::General;
}

Response Dispatcher::handle(const Request& req) {
  if (req.path == "/api" || req.path.starts_with("/api/")) return handleApi(req);
  if (req.method != "GET" && req.method != "HEAD")
    return problem({ErrorKind::NotFound, "no such route: " + req.method + " " + req.path, {}});
  return handleStatic(req);
}

Response Dispatcher::handleApi(const Request& req) {
  bool methodMismatch = false;
  auto match = router_.match(req.method, req.path, methodMismatch);
  if (!match) {
    auto r = problem(methodMismatch ? Error{ErrorKind::MethodNotAllowed, req.method + " is not allowed on " + req.path, {}}
                                    : Error{ErrorKind::NotFound, "no such route: " + req.method + " " + req.path, {}});
    securityHeaders(r, false);
    return r;
  }
  auto& [route, params] = *match;
  auto& app = threadContext();
  RequestContext ctx{req, params, nullptr, std::nullopt, app, {}, std::nullopt, {}, {}, {}};
  std::optional<aaa::Principal> principal;
  bool unauthenticated = false;
  Response resp;
  try {
    resp = [&]() -> Response {
      // Who is asking: a bearer token, or the panel's session cookie (then mutating requests need the CSRF token).
      auto token = bearerToken(req);
      bool viaCookie = false;
      if (token.empty()) {
        token = cookie(req, kSessionCookie);
        viaCookie = !token.empty();
      }
      const auto& access = route->access;
      if (!token.empty()) {
        auto who = app.authenticator.authenticate(app.accounts, token);
        if (who) {
          principal = std::move(*who);
        } else if (access.need != Need::Anyone) {
          unauthenticated = true;
          return problem(who.error());
        }
      } else if (access.need != Need::Anyone) {
        unauthenticated = true;
        return problem({ErrorKind::Unauthorized, "sign in first: this needs a session or an API token", {}});
      }
      if (principal) {
        ctx.principal = &*principal;
        ctx.user = principal->user;
        if (viaCookie) ctx.sessionToken = token;
        if (viaCookie && isMutating(req.method) && req.header("x-csrf-token") != aaa::csrfToken(token))
          return problem(forbidden("this request lacks the X-CSRF-Token of the session; reload the page"));
        if (principal->user.isOperator && app.authenticator.options().requireOperatorTotp &&
            !principal->user.totpEnabled && !req.path.starts_with("/api/v1/auth/"))
          return problem(secondFactorNeeded("operators must set up a second factor first (Account page)"));
      }
      // Another organisation's object is not found (404) before anything else is refused (403).
      if (access.org == OrgFrom::None && principal && access.need != Need::Anyone &&
          !principal->session.hasScope(access.scope))
        return problem(lacksScope(access.scope));
      if (access.need == Need::Operator && !(principal && principal->user.isOperator && principal->session.organisation.empty()))
        return problem(forbidden("only the provider's operators may do this"));
      if (access.org != OrgFrom::None) {
        const auto& id = ctx.param(access.param);
        std::optional<std::string> org;
        switch (access.org) {
          case OrgFrom::Organisation: org = id; break;
          case OrgFrom::Deployment: org = app.state.organisationOfDeployment(id); break;
          case OrgFrom::Run: org = app.state.organisationOfRun(id); break;
          case OrgFrom::None: break;
        }
        // Another organisation's object answers exactly as one that does not exist.
        const Error missing = Error::notFound(notFoundMessage(access.org, id));
        if (!org) return problem(missing);
        auto role = principal->roleIn(*org);
        if (!role) return problem(missing);
        auto organisation = app.state.getOrganisation(*org);
        if (!organisation) return problem(missing);
        ctx.organisation = *org;
        ctx.role = role;
        ctx.auditOrganisation = *org;
        if (!principal->session.hasScope(access.scope)) return problem(lacksScope(access.scope));
        if (!roleIncludes(*role, roleOf(access.need)))
          return problem(forbidden("your role in this organisation (" + std::string(toString(*role)) +
                                   ") may not do this: it needs " + std::string(needWords(access.need))));
        if (organisation->requireTotp && *role != Role::Operator && !principal->user.totpEnabled)
          return problem(secondFactorNeeded("this organisation requires a second factor: set one up first (Account page)"));
      }
      // A read-only request sees one snapshot of the state and takes the read lock once.
      std::optional<store::Transaction> snapshot;
      if (req.method == "GET") snapshot.emplace(app.state.connection(), false);
      auto r = route->handler(ctx);
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
  if (!resp.headers.count("content-type")) resp.headers["content-type"] = "application/json";
  securityHeaders(resp, false);
  if (unauthenticated) {
    refused_.fetch_add(1, std::memory_order_relaxed);  // counted, never stored row by row
    return resp;
  }
  auto actor = ctx.auditUser.empty() && principal ? principal->user.id : ctx.auditUser;
  if (isMutating(req.method) && !actor.empty()) {
    try {
      app.accounting.audit({0, {}, actor, ctx.auditOrganisation, req.method, req.path, resp.status, req.remote, {}});
    } catch (const std::exception& e) {
      spdlog::error("audit log write failed: {}", e.what());
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
