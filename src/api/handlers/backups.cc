// Backups and restores (docs/backup-and-migration.md): thin handlers over
// Orchestrator::backups().
#include <fstream>
#include <sstream>

#include "api/handlers/domains.hh"
#include "api/handlers/handlers.hh"
#include "api/json_mapping.hh"
#include "api/input.hh"
#include "bundle/bundle.hh"
#include "catalog/upgrade.hh"
#include "orchestrator/backup_scheduler.hh"
#include "orchestrator/orchestrator.hh"
#include "store/backup_store.hh"
#include "store/state_store.hh"

namespace fedihost::api::handlers {
namespace {

using mapping::journalJson;
using mapping::orNull;

boost::json::object backupJson(const store::Backup& b) {
  return {{"id", b.id},
          {"deployment", b.deployment},
          {"organisation", b.organisation},
          {"status", toString(b.status)},
          {"error", orNull(b.error)},
          {"size", b.size},
          {"checksum", orNull(b.checksum)},
          // Where the bundle is kept: an S3 object's URL, or "directory" (the server's own paths stay unsaid).
          {"location", b.path.empty() ? boost::json::value(nullptr)
                       : b.path.starts_with("/") ? boost::json::value("directory") : boost::json::value(b.path)},
          {"done", b.done},
          {"total", b.total},
          {"complete", b.status == store::JobStatus::Succeeded},
          {"scheduled", b.scheduled},
          {"safetyFor", orNull(b.safetyFor)},
          {"createdAt", b.createdAt},
          {"startedAt", orNull(b.startedAt)},
          {"finishedAt", orNull(b.finishedAt)}};
}

boost::json::object restoreJson(const store::Restore& r) {
  return {{"id", r.id},
          {"backup", r.backup},
          {"organisation", r.organisation},
          {"deployment", r.deployment},
          {"status", toString(r.status)},
          {"error", orNull(r.error)},
          {"failedPart", orNull(r.failedPart)},
          {"inPlace", r.inPlace},
          {"safetyBackup", orNull(r.safetyBackup)},
          {"done", r.done},
          {"total", r.total},
          {"createdAt", r.createdAt},
          {"finishedAt", orNull(r.finishedAt)}};
}

/// A deployment's schedule as the API shows it; a deployment without one has a disabled, empty one.
boost::json::object scheduleJson(const std::string& deployment, const std::optional<store::BackupSchedule>& s) {
  boost::json::object keep{{"hourly", s ? s->keepHourly : 0},
                           {"daily", s ? s->keepDaily : 0},
                           {"weekly", s ? s->keepWeekly : 0},
                           {"monthly", s ? s->keepMonthly : 0}};
  const bool configured = s && (s->everyHours > 0 || !s->dailyAt.empty());
  return {{"deployment", deployment},
          {"enabled", s && s->enabled},
          {"everyHours", configured && s->everyHours > 0 ? boost::json::value(s->everyHours) : nullptr},
          {"dailyAt", configured && !s->dailyAt.empty() ? boost::json::value(s->dailyAt) : nullptr},
          {"cadence", configured ? boost::json::value(bundle::describe(orchestrator::cadenceOf(*s))) : nullptr},
          {"keep", std::move(keep)},
          {"nextDueAt", s ? orNull(s->nextDueAt) : nullptr},
          {"lastRunAt", s ? orNull(s->lastRunAt) : nullptr},
          {"lastResult", s ? orNull(s->lastResult) : nullptr},
          {"lastMessage", s ? orNull(s->lastMessage) : nullptr},
          {"lastBackup", s ? orNull(s->lastBackup) : nullptr},
          {"updatedAt", s ? orNull(s->updatedAt) : nullptr}};
}

/// A whole number member in [min, max], recorded as an error of `field` otherwise.
std::optional<int> boundedInt(const boost::json::value& v, int min, int max, const std::string& field,
                              input::FieldErrors& errors) {
  if ((v.is_int64() && v.as_int64() >= min && v.as_int64() <= max) || (v.is_uint64() && v.as_uint64() <= std::uint64_t(max)))
    return static_cast<int>(v.to_number<std::int64_t>());
  errors.add(Error::invalid(field, field + " must be a whole number from " + std::to_string(min) + " to " +
                                       std::to_string(max)));
  return std::nullopt;
}

}  // namespace

Response getBackupSchedule(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  auto s = store::BackupStore(ctx.app.state.connection()).getSchedule(d.id);
  return json(200, scheduleJson(d.id, s ? std::optional(*s) : std::nullopt));
}

Response putBackupSchedule(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  ctx.auditOrganisation = d.organisation;
  auto body = input::jsonObject(ctx.request, {"enabled", "everyHours", "dailyAt", "keep"}).orThrow();
  input::FieldErrors errors;
  store::BackupSchedule s;
  s.deployment = d.id;
  s.organisation = d.organisation;
  if (auto* v = body.if_contains("enabled")) {
    if (v->is_bool()) s.enabled = v->as_bool();
    else errors.add(Error::invalid("enabled", "enabled must be true or false"));
  }
  const auto* every = body.if_contains("everyHours");
  const auto* daily = body.if_contains("dailyAt");
  if (every && every->is_null()) every = nullptr;
  if (daily && daily->is_null()) daily = nullptr;
  bundle::Cadence cadence;
  if (every && daily) {
    errors.add(Error::invalid("everyHours", "give everyHours or dailyAt, not both"));
  } else if (!every && !daily) {
    errors.add(Error::invalid("everyHours", "give everyHours (1 to " + std::to_string(bundle::kMaxEveryHours) +
                                                ") or dailyAt (\"HH:MM\", UTC)"));
  } else if (every) {
    if (auto n = boundedInt(*every, 1, bundle::kMaxEveryHours, "everyHours", errors)) {
      s.everyHours = *n;
      cadence.everyHours = *n;
    }
  } else if (!daily->is_string()) {
    errors.add(Error::invalid("dailyAt", "dailyAt must be a time of day as \"HH:MM\" (UTC)"));
  } else if (auto m = errors.take(bundle::parseDailyAt(daily->as_string(), "dailyAt"))) {
    s.dailyAt = bundle::formatDailyAt(*m);
    cadence.dailyAtMinute = *m;
  }
  const auto* keep = body.if_contains("keep");
  if (!keep || !keep->is_object()) {
    errors.add(Error::invalid("keep", "keep must be an object like {\"hourly\": 24, \"daily\": 7, \"weekly\": 4, "
                                      "\"monthly\": 12}"));
  } else if (errors.check(input::knownMembers(keep->as_object(), {"hourly", "daily", "weekly", "monthly"}, "keep"))) {
    int total = 0;
    for (auto [name, out] : {std::pair{"hourly", &s.keepHourly}, std::pair{"daily", &s.keepDaily},
                             std::pair{"weekly", &s.keepWeekly}, std::pair{"monthly", &s.keepMonthly}})
      if (auto* v = keep->as_object().if_contains(name))
        if (auto n = boundedInt(*v, 0, bundle::kMaxKeep, std::string("keep.") + name, errors)) {
          *out = *n;
          total += *n;
        }
    if (!errors.has("keep") && total == 0)
      errors.add(Error::invalid("keep", "keep at least one backup: give hourly, daily, weekly or monthly a count above 0"));
  }
  errors.throwIfAny();
  if (d.status == DeploymentStatus::Deleted || d.status == DeploymentStatus::Deleting)
    throw AbortError(Error::conflict("deployment " + d.name + " is deleted or being deleted: it cannot be backed up"));
  s.nextDueAt = s.enabled ? orchestrator::nextDueAfterNow(cadence) : "";
  auto saved = store::BackupStore(ctx.app.state.connection()).putSchedule(s);
  return json(200, scheduleJson(d.id, saved));
}

Response deleteBackupSchedule(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  ctx.auditOrganisation = d.organisation;
  store::BackupStore jobs(ctx.app.state.connection());
  auto s = jobs.getSchedule(d.id);
  if (!s) return json(200, scheduleJson(d.id, std::nullopt));
  s->enabled = false;
  s->nextDueAt.clear();
  return json(200, scheduleJson(d.id, jobs.putSchedule(*s)));
}

Response postBackup(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  auto b = ctx.app.orchestrator.backups().backup(ctx.app.state, d).orThrow();
  ctx.auditOrganisation = d.organisation;
  auto r = json(202, backupJson(b));
  r.headers["location"] = "/api/v1/backups/" + b.id;
  return r;
}

Response listBackups(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  boost::json::array items;
  for (auto& b : store::BackupStore(ctx.app.state.connection()).listBackups(d.id)) items.push_back(backupJson(b));
  return json(200, boost::json::object{{"items", std::move(items)}, {"next", nullptr}});
}

Response getBackup(RequestContext& ctx) {
  store::BackupStore jobs(ctx.app.state.connection());
  auto b = jobs.getBackup(ctx.param("id")).orThrow();
  auto o = backupJson(b);
  o["journal"] = journalJson(jobs, b.id).at("journal");
  return json(200, o);
}

Response getBackupBundle(RequestContext& ctx) {
  auto b = store::BackupStore(ctx.app.state.connection()).getBackup(ctx.param("id")).orThrow();
  if (b.status != store::JobStatus::Succeeded)
    throw AbortError(Error::conflict("backup " + b.id + " has no complete bundle (it is " +
                                     std::string(toString(b.status)) + ")"));
  // A local file (the bundle itself, or its copy fetched from S3 into the spool, removed once sent),
  // sent a chunk at a time: never the whole bundle in memory.
  auto local = std::make_shared<backup_target::LocalBundle>(ctx.app.orchestrator.backups().openBundle(b).orThrow());
  auto in = std::make_shared<std::ifstream>(local->path(), std::ios::binary);
  if (!*in) throw AbortError({ErrorKind::Internal, "the bundle of backup " + b.id + " cannot be read", {}});
  Response r;
  r.stream = [local, in]() -> StreamChunk {
    constexpr std::size_t kChunk = 1 << 20;
    StreamChunk c;
    c.data.resize(kChunk);
    in->read(c.data.data(), kChunk);
    c.data.resize(static_cast<std::size_t>(in->gcount()));
    if (in->bad()) throw std::runtime_error("reading the bundle failed");
    c.done = in->eof();
    return c;
  };
  r.headers["content-type"] = "application/vnd.fedihost.bundle";
  r.headers["content-disposition"] = "attachment; filename=\"" + b.id + ".fhb\"";
  r.headers["x-bundle-blake2b"] = b.checksum;
  r.headers["cache-control"] = "no-store";
  return r;
}

Response postBackupVerify(RequestContext& ctx) {
  auto b = store::BackupStore(ctx.app.state.connection()).getBackup(ctx.param("id")).orThrow();
  if (b.status != store::JobStatus::Succeeded)
    throw AbortError(Error::conflict("backup " + b.id + " has no complete bundle to verify (it is " +
                                     std::string(toString(b.status)) + ")"));
  ctx.auditOrganisation = b.organisation;
  // The bundle is read by the orchestrator's job workers: the answer is the job, at once.
  return jobAccepted(ctx.app.orchestrator.startBundleVerify(ctx.app.state, b, ctx.user ? ctx.user->id : ""));
}

Response postRestore(RequestContext& ctx) {
  auto org = ctx.app.state.getOrganisation(ctx.organisation).orThrow();
  auto body = input::jsonObject(ctx.request, {"backup", "domain", "target", "name"}).orThrow();
  auto backupId = input::requiredString(body, "backup").orThrow();
  store::BackupStore jobs(ctx.app.state.connection());
  auto b = jobs.getBackup(backupId);
  // Another organisation's backup does not exist for the caller.
  if (!b || b->organisation != org.id)
    throw AbortError(Error::invalid("backup", "no backup " + backupId + " in organisation " + org.name));
  if (b->status != store::JobStatus::Succeeded)
    throw AbortError(Error::conflict("backup " + b->id + " has no complete bundle (it is " +
                                         std::string(toString(b->status)) + ")",
                                     "backup"));
  auto manifest = ctx.app.orchestrator.backups().manifestOf(*b);
  if (!manifest)
    throw AbortError(Error::conflict("the bundle of backup " + b->id + " cannot be read: " + manifest.error().message,
                                     "backup"));
  auto d = orchestrator::deploymentFromManifest(manifest->deployment).orThrow();
  d.id.clear();
  d.organisation = org.id;
  d.status = DeploymentStatus::New;

  input::FieldErrors errors;
  if (auto name = errors.take(input::optionalString(body, "name")); name && *name &&
                                                                    errors.check(input::checkDeploymentName(**name, "name")))
    d.name = **name;
  if (auto domain = errors.take(input::optionalString(body, "domain")); domain && *domain &&
                                                                        errors.check(input::checkDomain(**domain, "domain"))) {
    try {
      checkDomainAllowed(ctx, org.id, **domain);
      d.domain = **domain;
    } catch (const AbortError& e) {
      errors.add(e.error());
    }
  }
  if (auto target = errors.take(input::optionalString(body, "target")); target && *target) d.target = **target;
  if (!ctx.app.orchestrator.target(d.target)) {
    std::string known;
    for (auto& n : ctx.app.orchestrator.targetNames()) known += (known.empty() ? "" : ", ") + n;
    errors.add(Error::invalid("target", "no target named \"" + d.target + "\" (configured: " + known + ")"));
  }
  errors.throwIfAny();
  // The apps as the bundle has them, checked again under the (perhaps new) domain.
  boost::json::array apps;
  for (auto& a : d.apps) apps.push_back(boost::json::object{{"app", a.app}, {"settings", a.settings}});
  boost::json::value appsValue(std::move(apps));
  auto checked = input::apps(&appsValue, d.domain).orThrow();
  for (std::size_t i = 0; i < checked.size() && i < d.apps.size(); ++i) {
    checked[i].version = d.apps[i].version;
    checked[i].schemaVersion = d.apps[i].schemaVersion;
  }
  d.apps = std::move(checked);
  if (d.catalogVersion.empty()) catalog::stampCurrentVersions(d);

  auto r = ctx.app.orchestrator.backups().restore(ctx.app.state, *b, std::move(d)).orThrow();
  auto resp = json(202, restoreJson(r));
  resp.headers["location"] = "/api/v1/restores/" + r.id;
  return resp;
}

Response postRestoreInPlace(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  ctx.auditOrganisation = d.organisation;
  auto body = input::jsonObject(ctx.request, {"backup"}).orThrow();
  auto backupId = input::requiredString(body, "backup").orThrow();
  auto b = store::BackupStore(ctx.app.state.connection()).getBackup(backupId);
  // Another organisation's backup does not exist for the caller.
  if (!b || b->organisation != d.organisation) throw AbortError(Error::notFound("no backup " + backupId));
  auto r = ctx.app.orchestrator.backups().restoreInPlace(ctx.app.state, *b, d).orThrow();
  auto resp = json(202, restoreJson(r));
  resp.headers["location"] = "/api/v1/restores/" + r.id;
  return resp;
}

Response getRestore(RequestContext& ctx) {
  store::BackupStore jobs(ctx.app.state.connection());
  auto r = jobs.getRestore(ctx.param("id")).orThrow();
  auto o = restoreJson(r);
  o["journal"] = journalJson(jobs, r.id).at("journal");
  return json(200, o);
}

}  // namespace fedihost::api::handlers
