#include "api/handlers/handlers.hh"
#include "core/embedded.hh"
#include "core/metrics.hh"
#include "core/result.hh"
#include "store/outbox.hh"
#include "store/state_store.hh"

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

Response getMetrics(RequestContext& ctx) {
  auto body = metrics::registry().render();
  // Read when scraped: what the database holds now.
  metrics::appendHeader(body, "fedihost_outbox_backlog", "Audit rows and resource events not shipped to the accounting database yet", "gauge");
  metrics::appendSample(body, "fedihost_outbox_backlog", {}, {},
                        std::to_string(store::outboxBacklog(ctx.app.state.connection())));
  metrics::appendHeader(body, "fedihost_build_info", "The running version", "gauge");
  metrics::appendSample(body, "fedihost_build_info", {"version"}, {FEDIHOST_VERSION}, "1");
  Response r;
  r.body = std::move(body);
  r.headers["content-type"] = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

}  // namespace fedihost::api::handlers
