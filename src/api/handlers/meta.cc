#include "api/handlers/handlers.hh"
#include "core/embedded.hh"
#include "core/metrics.hh"
#include "core/result.hh"
#include "orchestrator/orchestrator.hh"
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

Response eventStream(std::function<StreamChunk()> poll) {
  Response r;
  r.headers["content-type"] = "text/event-stream";
  r.headers["cache-control"] = "no-cache";
  r.stream = [poll = std::move(poll), quietPolls = 0]() mutable -> StreamChunk {
    auto chunk = poll();
    if (!chunk.data.empty()) {
      quietPolls = 0;
    } else if (++quietPolls >= 100) {  // ~15 s
      chunk.data = ": keep-alive\n\n";
      quietPolls = 0;
    }
    return chunk;
  };
  return r;
}

std::string sseEvent(const std::string& name, const std::string& data) {
  return "event: " + name + "\ndata: " + data + "\n\n";
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
  if (auto survey = ctx.app.orchestrator.lastSurvey(); !survey.at.empty()) {
    // The survey after the last periodic refresh (none before the first, or with refresh off).
    metrics::appendHeader(body, "fedihost_deployments_changes_pending",
                          "Live deployments an apply would change (desired state or drift), at the last plan survey", "gauge");
    metrics::appendSample(body, "fedihost_deployments_changes_pending", {}, {}, std::to_string(survey.count.pending));
    metrics::appendHeader(body, "fedihost_deployments_live", "Live deployments, at the last plan survey", "gauge");
    metrics::appendSample(body, "fedihost_deployments_live", {}, {}, std::to_string(survey.count.deployments));
    metrics::appendHeader(body, "fedihost_plan_survey_seconds", "How long the last plan survey took", "gauge");
    metrics::appendSample(body, "fedihost_plan_survey_seconds", {}, {}, metrics::formatNumber(survey.seconds));
  }
  metrics::appendHeader(body, "fedihost_build_info", "The running version", "gauge");
  metrics::appendSample(body, "fedihost_build_info", {"version"}, {FEDIHOST_VERSION}, "1");
  Response r;
  r.body = std::move(body);
  r.headers["content-type"] = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

}  // namespace fedihost::api::handlers
