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

namespace fedihost::api {
namespace {

bool isMutating(const std::string& method) { return method == "POST" || method == "PATCH" || method == "PUT" || method == "DELETE"; }

std::string bearerToken(const Request& req) {
  auto h = req.header("authorization");
  constexpr std::string_view prefix = "Bearer ";
  if (h.size() > prefix.size() && std::string_view(h).substr(0, prefix.size()) == prefix) return h.substr(prefix.size());
  return {};
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

Dispatcher::Dispatcher(ApiContext& app, std::filesystem::path webRoot)
    : app_(app), webRoot_(std::move(webRoot)), router_(makeRouter()) {}

Lane Dispatcher::lane(const Request& req) const {
  if (req.method == "POST" && (req.path.starts_with("/api/v1/auth/") || req.path == "/api/v1/invitations/accept"))
    return Lane::Credentials;
  return Lane::General;
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
    if (methodMismatch) return problem({ErrorKind::MethodNotAllowed, req.method + " is not allowed on " + req.path, {}});
    return problem({ErrorKind::NotFound, "no such route: " + req.method + " " + req.path, {}});
  }
  auto& [route, params] = *match;
  RequestContext ctx{req, params, std::nullopt, app_, {}};
  Response resp;
  try {
    // A read-only request sees one snapshot of the state and takes the read lock once.
    std::optional<store::Transaction> snapshot;
    if (req.method == "GET") snapshot.emplace(app_.state.connection(), false);
    if (route->authenticated) {
      auto user = app_.authenticator.authenticate(app_.state, bearerToken(req));
      if (!user) {
        resp = problem(user.error());
      } else {
        ctx.user = *user;
      }
    }
    if (!route->authenticated || ctx.user) resp = route->handler(ctx);
    if (snapshot) snapshot->commit();
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
  if (isMutating(req.method)) {
    try {
      app_.accounting.audit({0, {}, ctx.user ? ctx.user->id : "anonymous", ctx.auditOrganisation, req.method,
                             req.path, resp.status, req.remote, {}});
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
  r.headers["cache-control"] = file.filename() == "index.html" ? "no-cache" : "public, max-age=3600";
  return r;
}

}  // namespace fedihost::api
