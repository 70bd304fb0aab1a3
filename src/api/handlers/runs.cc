#include <map>
#include <memory>

#include "api/handlers/handlers.hh"
#include "api/json_mapping.hh"
#include "orchestrator/orchestrator.hh"
#include "store/state_store.hh"

namespace fedihost::api::handlers {

Response getRun(RequestContext& ctx) {
  return json(200, mapping::toJson(ctx.app.state.getRun(ctx.param("id"), true).orThrow()));
}

Response postRunCancel(RequestContext& ctx) {
  auto run = ctx.app.orchestrator.cancel(ctx.app.state, ctx.param("id")).orThrow();
  auto r = json(202, mapping::toJson(run));
  r.headers["location"] = "/api/v1/runs/" + run.id;
  return r;
}

Response getRunEvents(RequestContext& ctx) {
  auto id = ctx.param("id");
  ctx.app.state.getRun(id, false).orThrow();  // 404 before the stream starts

  // Each poll sends the steps and the run status that changed since the last one.
  auto current = ctx.app.current;  // polled later, maybe on another handler thread
  return eventStream([current, id, steps = std::map<int, std::string>(), last = std::string()]() mutable {
    auto run = current().state.getRun(id, true);
    if (!run) return StreamChunk{sseEvent("error", run.error().message), true};
    StreamChunk chunk;
    for (auto& s : run->steps) {
      auto text = boost::json::serialize(mapping::toJson(s));
      if (auto& seen = steps[s.seq]; seen != text) {
        chunk.data += sseEvent("step", text);
        seen = std::move(text);
      }
    }
    run->steps.clear();
    if (auto text = boost::json::serialize(mapping::toJson(*run)); text != last) {
      chunk.data += sseEvent("run", text);
      last = std::move(text);
    }
    chunk.done = run->status == RunStatus::Succeeded || run->status == RunStatus::Failed ||
                 run->status == RunStatus::Cancelled;
    return chunk;
  });
}

}  // namespace fedihost::api::handlers
