#include "api/handlers/handlers.hh"
#include "core/embedded.hh"
#include "core/result.hh"

namespace fedihost::api::handlers {

Response json(int status, const boost::json::value& body) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(body);
  r.headers["content-type"] = "application/json";
  return r;
}

Response getHealth(RequestContext&) { return json(200, {{"status", "ok"}, {"version", FEDIHOST_VERSION}}); }

Response getOpenApi(RequestContext&) {
  auto doc = embedded::find("api/openapi.json");
  if (!doc) throw AbortError({ErrorKind::Internal, "the OpenAPI document is missing from this build", {}});
  Response r;
  r.body = std::string(*doc);
  r.headers["content-type"] = "application/json";
  return r;
}

}  // namespace fedihost::api::handlers
