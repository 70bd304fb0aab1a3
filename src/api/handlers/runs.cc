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
  struct Seen {
    std::map<int, std::string> steps;  // seq -> serialised step
    std::string run;
    int quietPolls = 0;
  };
  auto seen = std::make_shared<Seen>();
  auto current = ctx.app.current;  // polled later, maybe on another handler thread
  Response r;
  r.headers["content-type"] = "text/event-stream";
  r.headers["cache-control"] = "no-cache";
  r.stream = [current, id, seen]() -> StreamChunk {
    StreamChunk chunk;
    auto run = current().state.getRun(id, true);
    if (!run) return {"event: error\ndata: " + run.error().message + "\n\n", true};
    for (auto& s : run->steps) {
      auto text = boost::json::serialize(mapping::toJson(s));
      auto& last = seen->steps[s.seq];
      if (last != text) {
        chunk.data += "event: step\ndata: " + text + "\n\n";
        last = std::move(text);
      }
    }
    run->steps.clear();
    auto runText = boost::json::serialize(mapping::toJson(*run));
    if (runText != seen->run) {
      chunk.data += "event: run\ndata: " + runText + "\n\n";
      seen->run = std::move(runText);
    }
    chunk.done = run->status == RunStatus::Succeeded || run->status == RunStatus::Failed ||
                 run->status == RunStatus::Cancelled;
    if (chunk.data.empty() && ++seen->quietPolls >= 100) {  // ~15 s: keep proxies from closing the stream
      chunk.data = ": keep-alive\n\n";
      seen->quietPolls = 0;
    }
    return chunk;
  };
  return r;
}

}  // namespace fedihost::api::handlers
