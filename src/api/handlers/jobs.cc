// Jobs: a deployment's refresh and the orphan scan, done by the orchestrator's
// workers. The request that asks for one answers 202 with the job at once; its
// progress and result are read here, or followed as server-sent events.
#include <memory>
#include <string>

#include "api/handlers/handlers.hh"
#include "api/json_mapping.hh"
#include "store/job_store.hh"
#include "store/state_store.hh"

namespace fedihost::api::handlers {
namespace {

using mapping::orNull;

boost::json::object jobJson(const store::Job& j) {
  const auto self = "/api/v1/jobs/" + j.id;
  return {{"id", j.id},
          {"kind", toString(j.kind)},
          {"state", toString(j.state)},
          {"deployment", orNull(j.deployment)},
          {"progress", boost::json::object{{"done", j.done}, {"total", j.total}}},
          {"result", j.result ? boost::json::value(*j.result) : boost::json::value(nullptr)},
          {"error", orNull(j.error)},
          {"createdAt", j.createdAt},
          {"startedAt", orNull(j.startedAt)},
          {"finishedAt", orNull(j.finishedAt)},
          {"instance", orNull(j.instance)},
          {"links", boost::json::object{{"self", self}, {"events", self + "/events"}}}};
}

}  // namespace

Response jobAccepted(const store::Job& job) {
  auto r = json(202, jobJson(job));
  r.headers["location"] = "/api/v1/jobs/" + job.id;
  return r;
}

Response getJob(RequestContext& ctx) {
  return json(200, jobJson(store::JobStore(ctx.app.state.connection()).get(ctx.param("id")).orThrow()));
}

Response getJobEvents(RequestContext& ctx) {
  auto id = ctx.param("id");
  store::JobStore(ctx.app.state.connection()).get(id).orThrow();  // 404 before the stream starts

  // Each poll sends the job when it changed (state, progress, then its result); the stream ends
  // with the job's last state, done or failed.
  auto current = ctx.app.current;  // polled later, maybe on another handler thread
  return eventStream([current, id, last = std::string()]() mutable {
    auto job = store::JobStore(current().state.connection()).get(id);
    if (!job) return StreamChunk{sseEvent("error", job.error().message), true};
    StreamChunk chunk;
    if (auto text = boost::json::serialize(jobJson(*job)); text != last) {
      chunk.data = sseEvent("job", text);
      last = std::move(text);
    }
    chunk.done = job->ended();
    return chunk;
  });
}

}  // namespace fedihost::api::handlers
