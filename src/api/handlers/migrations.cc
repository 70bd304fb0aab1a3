// Migrations of deployments to another target (docs/backup-and-migration.md, "Migration"):
// thin handlers over Orchestrator::backups().
#include "aaa/auth.hh"
#include "api/handlers/handlers.hh"
#include "api/input.hh"
#include "api/json_mapping.hh"
#include "orchestrator/orchestrator.hh"
#include "store/migration_store.hh"
#include "store/state_store.hh"

namespace fedihost::api::handlers {
namespace {

using mapping::orNull;

/// How each data part moved, in part order: replicated (with the lag when writes stopped) or copied (and why).
boost::json::array copiesJson(const store::Migration& m) {
  boost::json::array out;
  for (auto& [part, v] : m.copies) {
    auto* o = v.if_object();
    if (!o) throw AbortError(Error{ErrorKind::Internal, "migration " + m.id + ": a corrupt data copy of " + std::string(part), {}});
    auto field = [&](const char* k) { return o->contains(k) ? o->at(k) : boost::json::value(nullptr); };
    out.push_back(boost::json::object{{"part", part}, {"method", field("method")}, {"reason", field("reason")},
                                      {"lagBytes", field("lagBytes")}});
  }
  return out;
}

boost::json::object migrationJson(const store::Migration& m) {
  return {{"id", m.id},
          {"deployment", m.deployment},
          {"organisation", m.organisation},
          {"from", m.from},
          {"to", m.to},
          {"status", toString(m.status)},
          {"phase", toString(m.phase)},
          {"error", orNull(m.error)},
          {"failedPart", orNull(m.failedPart)},
          {"done", m.done},
          {"total", m.total},
          {"writesStoppedAt", orNull(m.writesStoppedAt)},
          {"copies", copiesJson(m)},
          {"downtimeMs", m.downtimeMs < 0 ? boost::json::value(nullptr) : boost::json::value(m.downtimeMs)},
          {"oldSide", m.oldSideStatus == store::OldSide::None ? boost::json::value(nullptr)
                                                                : boost::json::value(toString(m.oldSideStatus))},
          {"requestedBy", orNull(m.requestedBy)},
          {"createdAt", m.createdAt},
          {"startedAt", orNull(m.startedAt)},
          {"finishedAt", orNull(m.finishedAt)}};
}

Response accepted(const store::Migration& m) {
  auto resp = json(202, migrationJson(m));
  resp.headers["location"] = "/api/v1/migrations/" + m.id;
  return resp;
}

}  // namespace

Response postMigration(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  auto body = input::jsonObject(ctx.request, {"target"}).orThrow();
  auto to = input::requiredString(body, "target").orThrow();
  return accepted(ctx.app.orchestrator.backups()
                      .migrate(ctx.app.state, d, to, ctx.principal ? ctx.principal->user.id : std::string())
                      .orThrow());
}

Response listMigrations(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  boost::json::array items;
  for (auto& m : store::MigrationStore(ctx.app.state.connection()).list(d.id)) items.push_back(migrationJson(m));
  return json(200, boost::json::object{{"items", std::move(items)}});
}

Response getMigration(RequestContext& ctx) {
  auto m = store::MigrationStore(ctx.app.state.connection()).get(ctx.param("id")).orThrow();
  auto o = migrationJson(m);
  store::BackupStore jobs(ctx.app.state.connection());
  o["journal"] = mapping::journalJson(jobs, m.id).at("journal");
  return json(200, o);
}

Response postOldSideRemoval(RequestContext& ctx) {
  return accepted(ctx.app.orchestrator.backups().removeOldSide(ctx.app.state, ctx.param("id")).orThrow());
}

}  // namespace fedihost::api::handlers
