#include "store/state_store.hh"

#include <sodium.h>

#include <cstring>

#include "core/clock.hh"
#include "core/ids.hh"
#include "core/json_util.hh"
#include "store/paging.hh"

namespace fedihost::store {
namespace {

std::string toText(const json::value& v) { return jsonutil::canonicalCompact(v); }

json::object objectFrom(const std::string& text) {
  auto v = jsonutil::parseTrusted(text);
  return v.is_object() ? v.get_object() : json::object{};
}

/// " AND column IN (?n, …)" for a list of values (appended to `params`), "" for no filter,
/// and a condition that is never true for an empty list.
std::string inList(const std::string& column, const std::optional<std::vector<std::string>>& values,
                   std::vector<Value>& params) {
  if (!values) return "";
  if (values->empty()) return " AND 0";
  std::string sql = " AND " + column + " IN (";
  for (std::size_t i = 0; i < values->size(); ++i) {
    params.push_back((*values)[i]);
    sql += (i ? ", ?" : "?") + std::to_string(params.size());
  }
  return sql + ")";
}

constexpr const char* kOrganisationColumns = "id, name, display_name, created_at, require_totp";

Organisation organisationFrom(const Row& r) {
  return {r.text(0), r.text(1), r.text(2), r.text(3), r.integer(4) != 0};
}

constexpr const char* kDeploymentColumns =
    "id, organisation_id, name, domain, target, status, version, created_at, updated_at, catalog_version, "
    "nixpkgs_revision";

/// A value of an enumeration read from the database; anything else is corruption, never a default.
template <class F>
auto known(F parse, const std::string& text, const char* what, const std::string& where) {
  auto v = parse(text);
  if (!v) throw DatabaseError(where + " has an unknown " + what + " \"" + text + "\"");
  return *v;
}

Run runFrom(const Row& r) {
  Run run;
  run.id = r.text(0);
  run.deployment = r.text(1);
  run.kind = known(runKindFromString, r.text(2), "run kind", "run " + run.id);
  run.status = known(runStatusFromString, r.text(3), "run status", "run " + run.id);
  run.error = r.text(4);
  run.total = static_cast<int>(r.integer(5));
  run.createdAt = r.text(6);
  run.startedAt = r.text(7);
  run.finishedAt = r.text(8);
  run.done = static_cast<int>(r.integer(9));
  run.cancelRequested = r.integer(10) != 0;
  run.planId = r.text(11);
  run.instance = r.text(12);
  return run;
}

constexpr const char* kRunColumns =
    "id, deployment_id, kind, status, error, total, created_at, started_at, finished_at, "
    "(SELECT count(*) FROM run_steps s WHERE s.run_id = runs.id AND s.status IN ('succeeded','failed','skipped')), "
    "cancel_requested, plan_id, instance_id";

}  // namespace

// ---- Organisations ----

Result<Organisation> StateStore::createOrganisation(const std::string& name, const std::string& displayName) {
  Organisation o{ids::newId("org"), name, displayName.empty() ? name : displayName, clock::nowRfc3339(), false};
  try {
    c_.execute("INSERT INTO organisations (id, name, display_name, created_at) VALUES (?1, ?2, ?3, ?4)",
               {o.id, o.name, o.displayName, o.createdAt});
  } catch (const ConstraintError&) {
    return Error::conflict("an organisation named \"" + name + "\" already exists", "name");
  }
  return o;
}

Result<Organisation> StateStore::getOrganisation(const std::string& id) {
  auto r = c_.queryOne(std::string("SELECT ") + kOrganisationColumns +
                           " FROM organisations WHERE id = ?1 AND deleted_at = ''",
                       {id});
  if (!r) return Error::notFound("no organisation " + id);
  return organisationFrom(*r);
}

Page<Organisation> StateStore::listOrganisations(const std::optional<std::vector<std::string>>& only, int limit,
                                                 const std::string& cursor) {
  auto [at, id] = splitCursor(cursor);
  std::vector<Value> params{at, id, std::int64_t{limit + 1}};
  auto rows = c_.query(std::string("SELECT ") + kOrganisationColumns + " FROM organisations WHERE deleted_at = '' " +
                           inList("id", only, params) +
                           " AND (?1 = '' OR created_at > ?1 OR (created_at = ?1 AND id > ?2)) "
                           "ORDER BY created_at, id LIMIT ?3",
                       params);
  std::vector<Organisation> items;
  for (auto& r : rows) items.push_back(organisationFrom(r));
  return paged<Organisation>(std::move(items), limit, [](auto& o) { return makeCursor(o.createdAt, o.id); });
}

Result<Organisation> StateStore::updateOrganisation(const std::string& id, const std::optional<std::string>& displayName,
                                                   std::optional<bool> requireTotp) {
  Transaction tx(c_, true);
  auto org = getOrganisation(id);
  if (!org) return org.error();
  if (displayName) c_.execute("UPDATE organisations SET display_name = ?1 WHERE id = ?2", {*displayName, id});
  if (requireTotp)
    c_.execute("UPDATE organisations SET require_totp = ?1 WHERE id = ?2", {std::int64_t{*requireTotp ? 1 : 0}, id});
  tx.commit();
  return getOrganisation(id);
}

Result<void> StateStore::deleteOrganisation(const std::string& id) {
  Transaction tx(c_, true);
  auto org = getOrganisation(id);
  if (!org) return org.error();
  auto live = c_.queryOne("SELECT count(*) FROM deployments WHERE organisation_id = ?1 AND status <> 'deleted'", {id});
  if (live->integer(0) > 0)
    return Error::conflict("the organisation still has " + std::to_string(live->integer(0)) +
                           " deployment(s); delete them first");
  // The name is freed for a new organisation; the row stays for the history of its deployments.
  c_.execute("UPDATE organisations SET deleted_at = ?1, name = name || '~' || id WHERE id = ?2",
             {clock::nowRfc3339(), id});
  c_.execute("DELETE FROM grants WHERE organisation_id = ?1", {id});
  c_.execute("UPDATE invitations SET revoked_at = ?1 WHERE organisation_id = ?2 AND revoked_at = '' AND accepted_at = ''",
             {clock::nowRfc3339(), id});
  c_.execute("UPDATE sessions SET revoked_at = ?1 WHERE organisation_id = ?2 AND revoked_at = ''",
             {clock::nowRfc3339(), id});
  tx.commit();
  return {};
}

std::optional<std::string> StateStore::organisationOfDeployment(const std::string& id) {
  auto r = c_.queryOne("SELECT organisation_id FROM deployments WHERE id = ?1", {id});
  if (!r) return std::nullopt;
  return r->text(0);
}

std::optional<std::string> StateStore::organisationOfRun(const std::string& id) {
  auto r = c_.queryOne("SELECT d.organisation_id FROM runs r JOIN deployments d ON d.id = r.deployment_id WHERE r.id = ?1",
                       {id});
  if (!r) return std::nullopt;
  return r->text(0);
}

// ---- Deployments ----

namespace {
Deployment deploymentFrom(Connection& c, const Row& r) {
  Deployment d;
  d.id = r.text(0);
  d.organisation = r.text(1);
  d.name = r.text(2);
  d.domain = r.text(3);
  d.target = r.text(4);
  d.status = known(deploymentStatusFromString, r.text(5), "status", "deployment " + d.id);
  d.version = r.integer(6);
  d.createdAt = r.text(7);
  d.updatedAt = r.text(8);
  d.catalogVersion = r.text(9);
  d.nixpkgsRevision = r.text(10);
  for (auto& a : c.query(
           "SELECT app, settings, version, schema_version FROM deployment_apps WHERE deployment_id = ?1 "
           "ORDER BY position",
           {d.id}))
    d.apps.push_back({a.text(0), objectFrom(a.text(1)), a.text(2), static_cast<int>(a.integer(3))});
  return d;
}

/// "social.example.test" -> "test.example.social".
std::string reversedLabels(const std::string& host) {
  std::string out;
  std::size_t end = host.size();
  while (true) {
    auto dot = host.rfind('.', end == 0 ? std::string::npos : end - 1);
    if (end == 0) break;
    auto start = dot == std::string::npos ? 0 : dot + 1;
    out += (out.empty() ? "" : ".") + host.substr(start, end - start);
    if (dot == std::string::npos) break;
    end = dot;
  }
  return out;
}

/// A Conflict on "domain" if another live deployment publishes a host name equal to
/// one of `hosts`, or (of another organisation) one inside or containing it. The
/// message names the host, never the organisation that holds it.
std::optional<Error> hostsTaken(Connection& c, const std::vector<std::string>& hosts, const std::string& self,
                                const std::string& organisation) {
  auto conflict = [](const std::string& mine, const std::string& theirs) {
    std::string how = mine == theirs ? "is already used by another deployment"
                      : mine.size() > theirs.size() ? "is inside " + theirs + ", which another deployment uses"
                                                    : "contains " + theirs + ", which another deployment uses";
    return Error::conflict("the host name " + mine + " " + how, "domain");
  };
  for (auto& host : hosts) {
    // Equal, or this host inside another's: the host and each parent of two labels or more.
    for (std::string suffix = host; suffix.find('.') != std::string::npos; suffix = suffix.substr(suffix.find('.') + 1)) {
      auto r = c.queryOne(
          "SELECT h.host FROM deployment_hosts h JOIN deployments d ON d.id = h.deployment_id "
          "WHERE h.host = ?1 AND h.deployment_id <> ?2 AND d.status <> 'deleted' "
          "AND (h.organisation_id <> ?3 OR h.host = ?4) LIMIT 1",
          {suffix, self, organisation, host});
      if (r) return conflict(host, r->text(0));
    }
    // Another organisation's host inside this one.
    auto rev = reversedLabels(host);
    auto r = c.queryOne(
        "SELECT h.host FROM deployment_hosts h JOIN deployments d ON d.id = h.deployment_id "
        "WHERE h.reversed > ?1 AND h.reversed < ?2 AND h.deployment_id <> ?3 AND d.status <> 'deleted' "
        "AND h.organisation_id <> ?4 LIMIT 1",
        {rev + ".", rev + "/", self, organisation});
    if (r) return conflict(host, r->text(0));
  }
  return std::nullopt;
}

void writeHosts(Connection& c, const std::string& deployment, const std::string& organisation,
                const std::vector<std::string>& hosts) {
  c.execute("DELETE FROM deployment_hosts WHERE deployment_id = ?1", {deployment});
  for (auto& h : hosts)
    c.execute("INSERT INTO deployment_hosts (host, reversed, deployment_id, organisation_id) VALUES (?1, ?2, ?3, ?4) "
              "ON CONFLICT DO NOTHING",
              {h, reversedLabels(h), deployment, organisation});
}

void writeApps(Connection& c, const Deployment& d) {
  c.execute("DELETE FROM deployment_apps WHERE deployment_id = ?1", {d.id});
  std::int64_t pos = 0;
  for (auto& a : d.apps)
    c.execute(
        "INSERT INTO deployment_apps (deployment_id, position, app, settings, version, schema_version) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        {d.id, pos++, a.app, toText(a.settings), a.version, std::int64_t{a.schemaVersion}});
}
}  // namespace

Result<Deployment> StateStore::createDeployment(Deployment d, const std::vector<std::string>& hosts) {
  d.id = ids::newId("dep");
  d.createdAt = d.updatedAt = clock::nowRfc3339();
  d.version = 1;
  d.status = DeploymentStatus::New;
  Transaction tx(c_, true);
  const auto nameTaken = Error::conflict("this organisation already has a deployment named \"" + d.name + "\"", "name");
  if (c_.queryOne("SELECT 1 FROM deployments WHERE organisation_id = ?1 AND name = ?2 AND status <> 'deleted'",
                  {d.organisation, d.name}))
    return nameTaken;
  if (auto taken = hostsTaken(c_, hosts, d.id, d.organisation)) return *taken;
  try {
    c_.execute(
        "INSERT INTO deployments (id, organisation_id, name, domain, target, status, version, created_at, "
        "updated_at, catalog_version, nixpkgs_revision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        {d.id, d.organisation, d.name, d.domain, d.target, std::string(toString(d.status)), d.version, d.createdAt,
         d.updatedAt, d.catalogVersion, d.nixpkgsRevision});
  } catch (const ConstraintError&) {
    return nameTaken;
  }
  writeApps(c_, d);
  writeHosts(c_, d.id, d.organisation, hosts);
  tx.commit();
  return d;
}

Result<Deployment> StateStore::getDeployment(const std::string& id) {
  auto r = c_.queryOne(std::string("SELECT ") + kDeploymentColumns + " FROM deployments WHERE id = ?1", {id});
  if (!r) return Error::notFound("no deployment " + id);
  return deploymentFrom(c_, *r);
}

namespace {
/// A page of deployments matching `where` (a condition on the deployments table), oldest first.
Page<Deployment> deploymentPage(Connection& c, const std::string& where,
                                const std::optional<std::vector<std::string>>& organisations, int limit,
                                const std::string& cursor) {
  auto [at, id] = splitCursor(cursor);
  std::vector<Value> params{at, id, std::int64_t{limit + 1}};
  auto rows = c.query(std::string("SELECT ") + kDeploymentColumns + " FROM deployments WHERE " + where + " " +
                          inList("organisation_id", organisations, params) +
                          " AND (?1 = '' OR created_at > ?1 OR (created_at = ?1 AND id > ?2)) "
                          "ORDER BY created_at, id LIMIT ?3",
                      params);
  std::vector<Deployment> items;
  for (auto& r : rows) items.push_back(deploymentFrom(c, r));
  return paged<Deployment>(std::move(items), limit, [](auto& d) { return makeCursor(d.createdAt, d.id); });
}
}  // namespace

Page<Deployment> StateStore::listDeployments(const std::optional<std::vector<std::string>>& organisations, int limit,
                                             const std::string& cursor) {
  return deploymentPage(c_, "status <> 'deleted'", organisations, limit, cursor);
}

Page<Deployment> StateStore::listDeletedWithBackups(const std::optional<std::vector<std::string>>& organisations,
                                                    int limit, const std::string& cursor) {
  return deploymentPage(c_,
                        "status = 'deleted' AND EXISTS (SELECT 1 FROM backups b WHERE b.deployment_id = deployments.id "
                        "AND b.status = 'succeeded')",
                        organisations, limit, cursor);
}

Result<Deployment> StateStore::updateDeployment(const Deployment& d, std::int64_t expectedVersion,
                                                const std::vector<std::string>& hosts) {
  Transaction tx(c_, true);
  if (auto taken = hostsTaken(c_, hosts, d.id, d.organisation)) return *taken;
  auto now = clock::nowRfc3339();
  auto changed = c_.execute(
      "UPDATE deployments SET domain = ?1, version = version + 1, updated_at = ?2, catalog_version = ?5, "
      "nixpkgs_revision = ?6 WHERE id = ?3 AND version = ?4",
      {d.domain, now, d.id, expectedVersion, d.catalogVersion, d.nixpkgsRevision});
  if (changed == 0) {
    auto current = getDeployment(d.id);
    if (!current) return current.error();
    return Error{ErrorKind::PreconditionFailed,
                 "the deployment changed since you read it (version " + std::to_string(current->version) +
                     ", you sent " + std::to_string(expectedVersion) + "); reload and try again",
                 {}};
  }
  writeApps(c_, d);
  writeHosts(c_, d.id, d.organisation, hosts);
  tx.commit();
  return getDeployment(d.id);
}

void StateStore::backfillHosts(const std::function<std::vector<std::string>(const Deployment&)>& hostsOf) {
  auto missing = c_.query(std::string("SELECT ") + kDeploymentColumns +
                          " FROM deployments d WHERE status <> 'deleted' AND NOT EXISTS "
                          "(SELECT 1 FROM deployment_hosts h WHERE h.deployment_id = d.id)");
  if (missing.empty()) return;
  Transaction tx(c_, true);
  for (auto& r : missing) {
    auto d = deploymentFrom(c_, r);
    writeHosts(c_, d.id, d.organisation, hostsOf(d));
  }
  tx.commit();
}

void StateStore::setDeploymentStatus(const std::string& id, DeploymentStatus status) {
  c_.execute("UPDATE deployments SET status = ?1, updated_at = ?2 WHERE id = ?3",
             {std::string(toString(status)), clock::nowRfc3339(), id});
}

void StateStore::setDeploymentTarget(const std::string& id, const std::string& target) {
  c_.execute("UPDATE deployments SET target = ?1, version = version + 1, updated_at = ?2 WHERE id = ?3",
             {target, clock::nowRfc3339(), id});
}

// ---- Secrets ----

std::string StateStore::sealedSecret(const std::string& deployment, const std::string& name,
                                     const std::function<std::string()>& makeSealed) {
  if (auto r = c_.queryOne("SELECT sealed FROM secrets WHERE deployment_id = ?1 AND name = ?2", {deployment, name}))
    return r->text(0);
  auto sealed = makeSealed();
  c_.execute(
      "INSERT INTO secrets (deployment_id, name, sealed, created_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (deployment_id, name) DO NOTHING",
      {deployment, name, sealed, clock::nowRfc3339()});
  return c_.queryOne("SELECT sealed FROM secrets WHERE deployment_id = ?1 AND name = ?2", {deployment, name})->text(0);
}

void StateStore::deleteSecrets(const std::string& deployment) {
  c_.execute("DELETE FROM secrets WHERE deployment_id = ?1", {deployment});
}

void StateStore::replaceSecrets(const std::string& deployment, const std::map<std::string, std::string>& sealed) {
  Transaction tx(c_, true);
  c_.execute("DELETE FROM secrets WHERE deployment_id = ?1", {deployment});
  const auto now = clock::nowRfc3339();
  for (auto& [name, value] : sealed)
    c_.execute("INSERT INTO secrets (deployment_id, name, sealed, created_at) VALUES (?1, ?2, ?3, ?4)",
               {deployment, name, value, now});
  tx.commit();
}

std::map<std::string, std::string> StateStore::sealedSecrets(const std::string& deployment) {
  std::map<std::string, std::string> out;
  for (auto& r : c_.query("SELECT name, sealed FROM secrets WHERE deployment_id = ?1", {deployment}))
    out[r.text(0)] = r.text(1);
  return out;
}

// ---- Recorded resources ----

namespace {
RecordedResource recordedFrom(const Row& r) {
  RecordedResource rec;
  rec.resource.key = r.text(0);
  rec.resource.deployment = r.text(1);
  rec.resource.kind = known(resourceKindFromString, r.text(2), "kind", "resource " + rec.resource.key);
  rec.resource.name = r.text(3);
  rec.resource.attributes = objectFrom(r.text(4));
  auto deps = jsonutil::parseTrusted(r.text(5));
  if (deps.is_array())
    for (auto& k : deps.get_array())
      if (k.is_string()) rec.resource.dependsOn.emplace_back(k.get_string());
  rec.outputs = objectFrom(r.text(6));
  rec.updatedAt = r.text(7);
  return rec;
}
constexpr const char* kResourceColumns = "key, deployment_id, kind, name, attributes, depends_on, outputs, updated_at";
}  // namespace

std::vector<RecordedResource> StateStore::recordedResources(const std::string& deployment) {
  std::vector<RecordedResource> out;
  for (auto& r : c_.query(std::string("SELECT ") + kResourceColumns +
                              " FROM resources WHERE deployment_id = ?1 ORDER BY key",
                          {deployment}))
    out.push_back(recordedFrom(r));
  return out;
}

std::optional<RecordedResource> StateStore::recordedResource(const std::string& key) {
  auto r = c_.queryOne(std::string("SELECT ") + kResourceColumns + " FROM resources WHERE key = ?1", {key});
  if (!r) return std::nullopt;
  return recordedFrom(*r);
}

void StateStore::recordResource(const Resource& r, const json::object& outputs) {
  json::array deps;
  for (auto& d : r.dependsOn) deps.emplace_back(d);
  c_.execute(
      "INSERT INTO resources (key, deployment_id, kind, name, attributes, depends_on, outputs, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (key) DO UPDATE SET attributes = excluded.attributes, "
      "depends_on = excluded.depends_on, outputs = excluded.outputs, updated_at = excluded.updated_at",
      {r.key, r.deployment, std::string(toString(r.kind)), r.name, toText(r.attributes), toText(deps),
       toText(outputs), clock::nowRfc3339()});
}

void StateStore::forgetResource(const std::string& key) { c_.execute("DELETE FROM resources WHERE key = ?1", {key}); }

// ---- Runs ----

namespace {
/// The Conflict of a deployment that already has a run (or a refresh) active.
Error activeRunConflict(StateStore& s, const std::string& deployment) {
  auto active = s.activeRun(deployment);
  if (active && active->kind == RunKind::Refresh)
    return Error::conflict("deployment " + deployment + " is being refreshed; try again once the refresh has ended");
  return Error::conflict("deployment " + deployment + " already has a run in progress" +
                         (active ? " (" + active->id + ")" : std::string()) + "; wait for it to finish or cancel it");
}
}  // namespace

Result<Run> StateStore::createRun(const std::string& deployment, RunKind kind, const std::vector<PlanAction>& actions,
                                  const std::string& planId) {
  Run run;
  run.id = ids::newId("run");
  run.deployment = deployment;
  run.kind = kind;
  run.status = RunStatus::Queued;
  run.createdAt = clock::nowRfc3339();
  run.total = static_cast<int>(actions.size());
  Transaction tx(c_, true);
  run.planId = planId;
  try {
    // runs_one_active_per_deployment (migration 006) refuses a second queued or running run.
    c_.execute(
        "INSERT INTO runs (id, deployment_id, kind, status, total, created_at, plan_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
        "?7)",
        {run.id, deployment, std::string(toString(kind)), std::string(toString(run.status)), std::int64_t{run.total},
         run.createdAt, planId});
  } catch (const ConstraintError&) {
    tx.rollback();
    return activeRunConflict(*this, deployment);
  }
  if (!planId.empty()) c_.execute("UPDATE saved_plans SET run_id = ?1 WHERE id = ?2", {run.id, planId});
  auto st = c_.prepare(
      "INSERT INTO run_steps (run_id, seq, action, resource_key, kind, status, resource) "
      "VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6)");
  int seq = 0;
  for (auto& a : actions) {
    auto res = resourceToJson(a.resource, a.reason);
    st->reset();
    st->bind(1, run.id);
    st->bind(2, std::int64_t{++seq});
    st->bind(3, std::string(toString(a.action)));
    st->bind(4, a.resource.key);
    st->bind(5, std::string(toString(a.resource.kind)));
    st->bind(6, toText(res));
    while (st->step()) {
    }
    RunStep step;
    step.seq = seq;
    step.action = a.action;
    step.resourceKey = a.resource.key;
    step.kind = a.resource.kind;
    step.resource = std::move(res);
    run.steps.push_back(std::move(step));
  }
  tx.commit();
  return run;
}

Result<std::string> StateStore::claimRefresh(const std::string& deployment, const std::string& instance) {
  auto id = ids::newId("run");
  auto now = clock::nowRfc3339();
  // ON CONFLICT DO NOTHING rather than catching the violation: on PostgreSQL a failed
  // statement aborts the whole transaction, and the caller goes on in it (the job's insert).
  auto inserted = c_.execute(
      "INSERT INTO runs (id, deployment_id, kind, status, total, created_at, started_at, instance_id) "
      "VALUES (?1, ?2, 'refresh', 'running', 0, ?3, ?3, ?4) ON CONFLICT DO NOTHING",
      {id, deployment, now, instance});
  if (inserted == 0) return activeRunConflict(*this, deployment);
  return id;
}

void StateStore::releaseRefresh(const std::string& claimId) {
  c_.execute("DELETE FROM runs WHERE id = ?1 AND kind = 'refresh'", {claimId});
}

void StateStore::dropRefreshClaims() { c_.execute("DELETE FROM runs WHERE kind = 'refresh'"); }

Result<Run> StateStore::getRun(const std::string& id, bool withSteps) {
  auto r = c_.queryOne(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?1", {id});
  if (!r) return Error::notFound("no run " + id);
  Run run = runFrom(*r);
  if (withSteps) {
    for (auto& s : c_.query(
             "SELECT seq, action, resource_key, kind, status, error, started_at, finished_at, resource, attempts, "
             "instance_id FROM run_steps WHERE run_id = ?1 ORDER BY seq",
             {id})) {
      RunStep step;
      step.seq = static_cast<int>(s.integer(0));
      const auto where = "step " + std::to_string(step.seq) + " of run " + id;
      step.action = known(actionKindFromString, s.text(1), "action", where);
      step.resourceKey = s.text(2);
      step.kind = known(resourceKindFromString, s.text(3), "kind", where);
      step.status = known(stepStatusFromString, s.text(4), "status", where);
      step.error = s.text(5);
      step.startedAt = s.text(6);
      step.finishedAt = s.text(7);
      step.resource = objectFrom(s.text(8));
      step.attempts = static_cast<int>(s.integer(9));
      step.instance = s.text(10);
      run.steps.push_back(std::move(step));
    }
  }
  return run;
}

Page<Run> StateStore::listRuns(const std::string& deployment, int limit, const std::string& cursor) {
  auto [at, id] = splitCursor(cursor);
  auto rows = c_.query(std::string("SELECT ") + kRunColumns +
                           " FROM runs WHERE deployment_id = ?1 AND kind <> 'refresh' AND (?2 = '' OR created_at < ?2 OR "
                           "(created_at = ?2 AND id < ?3)) ORDER BY created_at DESC, id DESC LIMIT ?4",
                       {deployment, at, id, std::int64_t{limit + 1}});
  std::vector<Run> items;
  for (auto& r : rows) items.push_back(runFrom(r));
  return paged<Run>(std::move(items), limit, [](auto& r) { return makeCursor(r.createdAt, r.id); });
}

std::optional<Run> StateStore::activeRun(const std::string& deployment) {
  auto r = c_.queryOne(std::string("SELECT ") + kRunColumns +
                           " FROM runs WHERE deployment_id = ?1 AND status IN ('queued','running') "
                           "ORDER BY created_at LIMIT 1",
                       {deployment});
  if (!r) return std::nullopt;
  return runFrom(*r);
}

std::vector<Run> StateStore::unfinishedRuns() {
  std::vector<Run> out;
  for (auto& r : c_.query(std::string("SELECT ") + kRunColumns +
                          " FROM runs WHERE status IN ('queued','running') AND kind <> 'refresh' ORDER BY created_at, id"))
    out.push_back(runFrom(r));
  return out;
}

std::optional<std::string> StateStore::claimRun(const std::string& instance) {
  // Free: held by no instance, or by one that is not running any more (stopped, taken for dead,
  // or forgotten) — stopping and reaping hand runs back, this covers rows written otherwise.
  static constexpr const char* kFree =
      "SELECT id, instance_id FROM runs WHERE status IN ('queued','running') AND kind <> 'refresh' "
      "AND (instance_id = '' OR instance_id NOT IN (SELECT id FROM instances WHERE stopped_at = '')) "
      "ORDER BY created_at, id LIMIT 1";
  // A read first: an idle poll costs no write transaction.
  if (!c_.queryOne(kFree)) return std::nullopt;
  Transaction tx(c_, true);
  const bool pg = c_.dialect() == "postgresql";
  auto row = c_.queryOne(pg ? std::string(kFree) + " FOR UPDATE OF runs SKIP LOCKED" : std::string(kFree));
  if (!row) return std::nullopt;
  auto id = row->text(0);
  // Conditional on the holder read: two claimants never both win.
  if (c_.execute("UPDATE runs SET instance_id = ?1 WHERE id = ?2 AND instance_id = ?3", {instance, id, row->text(1)}) != 1)
    return std::nullopt;
  tx.commit();
  return id;
}

void StateStore::releaseRun(const std::string& runId, const std::string& instance) {
  c_.execute("UPDATE runs SET instance_id = '' WHERE id = ?1 AND instance_id = ?2", {runId, instance});
}

void StateStore::startStep(const std::string& runId, int seq, const std::string& instance) {
  c_.execute(
      "UPDATE run_steps SET status = 'running', started_at = ?1, error = '', instance_id = ?2 "
      "WHERE run_id = ?3 AND seq = ?4",
      {clock::nowRfc3339(), instance, runId, std::int64_t{seq}});
}

void StateStore::setRunStatus(const std::string& id, RunStatus status, const std::string& error) {
  auto now = clock::nowRfc3339();
  if (status == RunStatus::Running)
    c_.execute("UPDATE runs SET status = ?1, started_at = CASE WHEN started_at = '' THEN ?2 ELSE started_at END "
               "WHERE id = ?3",
               {std::string(toString(status)), now, id});
  else if (status == RunStatus::Queued)
    c_.execute("UPDATE runs SET status = ?1 WHERE id = ?2", {std::string(toString(status)), id});
  else
    c_.execute("UPDATE runs SET status = ?1, error = ?2, finished_at = ?3 WHERE id = ?4",
               {std::string(toString(status)), error, now, id});
}

void StateStore::setStepStatus(const std::string& runId, int seq, StepStatus status, const std::string& error) {
  auto now = clock::nowRfc3339();
  if (status == StepStatus::Running)
    c_.execute("UPDATE run_steps SET status = ?1, started_at = ?2, error = '' WHERE run_id = ?3 AND seq = ?4",
               {std::string(toString(status)), now, runId, std::int64_t{seq}});
  else
    c_.execute("UPDATE run_steps SET status = ?1, error = ?2, finished_at = ?3 WHERE run_id = ?4 AND seq = ?5",
               {std::string(toString(status)), error, now, runId, std::int64_t{seq}});
}

void StateStore::setStepAttempts(const std::string& runId, int seq, int attempts, const std::string& lastError) {
  c_.execute("UPDATE run_steps SET attempts = ?1, error = ?2 WHERE run_id = ?3 AND seq = ?4",
             {std::int64_t{attempts}, lastError, runId, std::int64_t{seq}});
}

Result<Run> StateStore::requestCancel(const std::string& runId) {
  Transaction tx(c_, true);
  auto run = getRun(runId, false);
  if (!run) return run.error();
  if (run->status != RunStatus::Queued && run->status != RunStatus::Running)
    return Error::conflict("run " + runId + " has already ended (" + std::string(toString(run->status)) + ")");
  c_.execute("UPDATE runs SET cancel_requested = 1 WHERE id = ?1", {runId});
  tx.commit();
  run->cancelRequested = true;
  return run;
}

bool StateStore::cancelRequested(const std::string& runId) {
  auto r = c_.queryOne("SELECT cancel_requested FROM runs WHERE id = ?1", {runId});
  return r && r->integer(0) != 0;
}

std::vector<std::string> StateStore::deploymentIds(bool includeDeleted) {
  std::vector<std::string> out;
  for (auto& r : c_.query(includeDeleted ? "SELECT id FROM deployments ORDER BY created_at, id"
                                         : "SELECT id FROM deployments WHERE status <> 'deleted' ORDER BY created_at, id"))
    out.push_back(r.text(0));
  return out;
}

// ---- Drift ----

void StateStore::replaceDrift(const std::string& deployment, const std::vector<Drift>& found,
                              const std::string& checkedAt) {
  Transaction tx(c_, true);
  c_.execute("DELETE FROM resource_drift WHERE deployment_id = ?1", {deployment});
  auto st = c_.prepare(
      "INSERT INTO resource_drift (resource_key, deployment_id, status, detail, checked_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (resource_key) DO UPDATE SET deployment_id = excluded.deployment_id, "
      "status = excluded.status, detail = excluded.detail, checked_at = excluded.checked_at");
  for (auto& d : found) {
    st->reset();
    st->bind(1, d.key);
    st->bind(2, deployment);
    st->bind(3, std::string(toString(d.status)));
    st->bind(4, d.detail);
    st->bind(5, checkedAt);
    while (st->step()) {
    }
  }
  c_.execute("UPDATE deployments SET refreshed_at = ?1 WHERE id = ?2", {checkedAt, deployment});
  tx.commit();
}

std::vector<Drift> StateStore::drift(const std::string& deployment) {
  std::vector<Drift> out;
  for (auto& r : c_.query("SELECT resource_key, deployment_id, status, detail, checked_at FROM resource_drift "
                          "WHERE deployment_id = ?1 ORDER BY resource_key",
                          {deployment}))
    out.push_back({r.text(0), r.text(1), known(driftStatusFromString, r.text(2), "drift status", "drift of " + r.text(0)),
                   r.text(3), r.text(4)});
  return out;
}

void StateStore::clearDrift(const std::string& key) {
  c_.execute("DELETE FROM resource_drift WHERE resource_key = ?1", {key});
}

std::string StateStore::refreshedAt(const std::string& deployment) {
  auto r = c_.queryOne("SELECT refreshed_at FROM deployments WHERE id = ?1", {deployment});
  return r ? r->text(0) : std::string{};
}

// ---- Saved plans ----

SavedPlan StateStore::savePlan(const std::string& deployment, const json::object& basis,
                               const std::vector<PlanAction>& actions) {
  SavedPlan p{ids::newId("plan"), deployment, basis, actions, clock::nowRfc3339(), {}};
  json::array list;
  for (auto& a : actions) {
    auto res = resourceToJson(a.resource, a.reason);
    res["action"] = toString(a.action);
    list.push_back(std::move(res));
  }
  c_.execute("INSERT INTO saved_plans (id, deployment_id, basis, actions, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
             {p.id, deployment, toText(basis), toText(list), p.createdAt});
  return p;
}

Result<SavedPlan> StateStore::getSavedPlan(const std::string& id) {
  auto r = c_.queryOne("SELECT id, deployment_id, basis, actions, created_at, run_id FROM saved_plans WHERE id = ?1",
                       {id});
  if (!r) return Error::notFound("no saved plan " + id);
  SavedPlan p{r->text(0), r->text(1), objectFrom(r->text(2)), {}, r->text(4), r->text(5)};
  auto list = json::parse(r->text(3));
  for (auto& v : list.as_array()) {
    const auto& o = v.as_object();
    PlanAction a;
    auto* action = o.if_contains("action");
    a.action = known(actionKindFromString, action && action->is_string() ? std::string(action->get_string()) : "",
                     "action", "saved plan " + id);
    a.resource = resourceFromJson(o);
    if (auto* reason = o.if_contains("reason"); reason && reason->is_string()) a.reason = reason->get_string();
    p.actions.push_back(std::move(a));
  }
  return p;
}

json::object resourceToJson(const Resource& r, const std::string& reason) {
  json::object res{{"key", r.key},       {"kind", toString(r.kind)},   {"deployment", r.deployment},
                   {"name", r.name},     {"attributes", r.attributes}, {"reason", reason}};
  json::array deps;
  for (auto& d : r.dependsOn) deps.emplace_back(d);
  res["dependsOn"] = std::move(deps);
  return res;
}

Resource resourceFromJson(const json::object& o) {
  Resource r;
  if (auto* v = o.if_contains("key"); v && v->is_string()) r.key = v->get_string();
  auto* kind = o.if_contains("kind");
  r.kind = known(resourceKindFromString, kind && kind->is_string() ? std::string(kind->get_string()) : "", "kind",
                 "the journal's resource " + r.key);
  if (auto* v = o.if_contains("deployment"); v && v->is_string()) r.deployment = v->get_string();
  if (auto* v = o.if_contains("name"); v && v->is_string()) r.name = v->get_string();
  if (auto* v = o.if_contains("attributes"); v && v->is_object()) r.attributes = v->get_object();
  if (auto* v = o.if_contains("dependsOn"); v && v->is_array())
    for (auto& k : v->get_array())
      if (k.is_string()) r.dependsOn.emplace_back(k.get_string());
  return r;
}

}  // namespace fedihost::store
