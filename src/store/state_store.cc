#include "store/state_store.hh"

#include <sodium.h>

#include <cstring>

#include "core/clock.hh"
#include "core/ids.hh"
#include "core/json_util.hh"

namespace fedihost::store {
namespace {

std::string toText(const json::value& v) { return jsonutil::canonicalCompact(v); }

json::object objectFrom(const std::string& text) {
  auto v = jsonutil::parseTrusted(text);
  return v.is_object() ? v.get_object() : json::object{};
}

// Cursors are opaque to clients: base64url of "<created_at>|<id>" of the last item of a page.
std::string makeCursor(const std::string& createdAt, const std::string& id) {
  std::string raw = createdAt + "|" + id;
  std::string out(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

/// The position a cursor stands for; an unreadable cursor starts from the beginning.
std::pair<std::string, std::string> splitCursor(const std::string& cursor) {
  std::string raw(cursor.size(), '\0');
  std::size_t len = 0;
  if (cursor.empty() ||
      sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), cursor.data(), cursor.size(),
                        nullptr, &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return {"", ""};
  raw.resize(len);
  auto bar = raw.find('|');
  if (bar == std::string::npos) return {"", ""};
  return {raw.substr(0, bar), raw.substr(bar + 1)};
}

template <class T>
Page<T> paged(std::vector<T> items, int limit, const std::function<std::string(const T&)>& cursorOf) {
  Page<T> page;
  if (static_cast<int>(items.size()) > limit) {
    items.resize(static_cast<std::size_t>(limit));
    page.next = cursorOf(items.back());
  }
  page.items = std::move(items);
  return page;
}

Organisation organisationFrom(const Row& r) { return {r.text(0), r.text(1), r.text(2), r.text(3)}; }

User userFrom(const Row& r) {
  return {r.text(0), r.text(1), roleFromString(r.text(2)).value_or(Role::Viewer), r.text(3)};
}

constexpr const char* kDeploymentColumns =
    "id, organisation_id, name, domain, target, status, version, created_at, updated_at, catalog_version, "
    "nixpkgs_revision";

Run runFrom(const Row& r) {
  Run run;
  run.id = r.text(0);
  run.deployment = r.text(1);
  run.kind = runKindFromString(r.text(2)).value_or(RunKind::Apply);
  run.status = runStatusFromString(r.text(3)).value_or(RunStatus::Failed);
  run.error = r.text(4);
  run.total = static_cast<int>(r.integer(5));
  run.createdAt = r.text(6);
  run.startedAt = r.text(7);
  run.finishedAt = r.text(8);
  run.done = static_cast<int>(r.integer(9));
  run.cancelRequested = r.integer(10) != 0;
  run.planId = r.text(11);
  return run;
}

constexpr const char* kRunColumns =
    "id, deployment_id, kind, status, error, total, created_at, started_at, finished_at, "
    "(SELECT count(*) FROM run_steps s WHERE s.run_id = runs.id AND s.status IN ('succeeded','failed','skipped')), "
    "cancel_requested, plan_id";

}  // namespace

// ---- Organisations ----

Result<Organisation> StateStore::createOrganisation(const std::string& name, const std::string& displayName) {
  Organisation o{ids::newId("org"), name, displayName.empty() ? name : displayName, clock::nowRfc3339()};
  try {
    c_.execute("INSERT INTO organisations (id, name, display_name, created_at) VALUES (?1, ?2, ?3, ?4)",
               {o.id, o.name, o.displayName, o.createdAt});
  } catch (const ConstraintError&) {
    return Error::conflict("an organisation named \"" + name + "\" already exists", "name");
  }
  return o;
}

Result<Organisation> StateStore::getOrganisation(const std::string& id) {
  auto r = c_.queryOne("SELECT id, name, display_name, created_at FROM organisations WHERE id = ?1", {id});
  if (!r) return Error::notFound("no organisation " + id);
  return organisationFrom(*r);
}

Page<Organisation> StateStore::listOrganisations(int limit, const std::string& cursor) {
  auto [at, id] = splitCursor(cursor);
  auto rows = c_.query(
      "SELECT id, name, display_name, created_at FROM organisations "
      "WHERE (?1 = '' OR created_at > ?1 OR (created_at = ?1 AND id > ?2)) ORDER BY created_at, id LIMIT ?3",
      {at, id, std::int64_t{limit + 1}});
  std::vector<Organisation> items;
  for (auto& r : rows) items.push_back(organisationFrom(r));
  return paged<Organisation>(std::move(items), limit, [](auto& o) { return makeCursor(o.createdAt, o.id); });
}

// ---- Users and tokens ----

Result<User> StateStore::createUser(const std::string& email, const std::string& passwordHash, Role role) {
  User u{ids::newId("usr"), email, role, clock::nowRfc3339()};
  try {
    c_.execute("INSERT INTO users (id, email, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
               {u.id, u.email, passwordHash, std::string(toString(role)), u.createdAt});
  } catch (const ConstraintError&) {
    return Error::conflict("a user with the address " + email + " already exists", "email");
  }
  return u;
}

std::optional<std::pair<User, std::string>> StateStore::findUserByEmail(const std::string& email) {
  auto r = c_.queryOne("SELECT id, email, role, created_at, password_hash FROM users WHERE email = ?1", {email});
  if (!r) return std::nullopt;
  return std::make_pair(userFrom(*r), r->text(4));
}

Result<User> StateStore::getUser(const std::string& id) {
  auto r = c_.queryOne("SELECT id, email, role, created_at FROM users WHERE id = ?1", {id});
  if (!r) return Error::notFound("no user " + id);
  return userFrom(*r);
}

int StateStore::countUsers() { return static_cast<int>(c_.queryOne("SELECT count(*) FROM users")->integer(0)); }

void StateStore::createToken(const std::string& tokenHash, const std::string& userId, const std::string& name) {
  c_.execute("INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
             {tokenHash, userId, name, clock::nowRfc3339()});
}

std::optional<User> StateStore::userForToken(const std::string& tokenHash) {
  auto r = c_.queryOne(
      "SELECT u.id, u.email, u.role, u.created_at FROM api_tokens t JOIN users u ON u.id = t.user_id "
      "WHERE t.token_hash = ?1",
      {tokenHash});
  if (!r) return std::nullopt;
  return userFrom(*r);
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
  d.status = deploymentStatusFromString(r.text(5)).value_or(DeploymentStatus::Failed);
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

/// A Conflict on "domain" if another live deployment serves it.
std::optional<Error> domainTaken(Connection& c, const std::string& domain, const std::string& self) {
  if (c.queryOne("SELECT 1 FROM deployments WHERE domain = ?1 AND id <> ?2 AND status <> 'deleted'", {domain, self}))
    return Error::conflict("the domain " + domain + " is already used by another deployment", "domain");
  return std::nullopt;
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

Result<Deployment> StateStore::createDeployment(Deployment d) {
  d.id = ids::newId("dep");
  d.createdAt = d.updatedAt = clock::nowRfc3339();
  d.version = 1;
  d.status = DeploymentStatus::New;
  Transaction tx(c_, true);
  const auto nameTaken = Error::conflict("this organisation already has a deployment named \"" + d.name + "\"", "name");
  if (c_.queryOne("SELECT 1 FROM deployments WHERE organisation_id = ?1 AND name = ?2 AND status <> 'deleted'",
                  {d.organisation, d.name}))
    return nameTaken;
  if (auto taken = domainTaken(c_, d.domain, d.id)) return *taken;
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
  tx.commit();
  return d;
}

Result<Deployment> StateStore::getDeployment(const std::string& id) {
  auto r = c_.queryOne(std::string("SELECT ") + kDeploymentColumns + " FROM deployments WHERE id = ?1", {id});
  if (!r) return Error::notFound("no deployment " + id);
  return deploymentFrom(c_, *r);
}

Page<Deployment> StateStore::listDeployments(const std::string& organisation, int limit, const std::string& cursor) {
  auto [at, id] = splitCursor(cursor);
  auto rows = c_.query(std::string("SELECT ") + kDeploymentColumns +
                           " FROM deployments WHERE status <> 'deleted' AND (?1 = '' OR organisation_id = ?1) "
                           "AND (?2 = '' OR created_at > ?2 OR (created_at = ?2 AND id > ?3)) "
                           "ORDER BY created_at, id LIMIT ?4",
                       {organisation, at, id, std::int64_t{limit + 1}});
  std::vector<Deployment> items;
  for (auto& r : rows) items.push_back(deploymentFrom(c_, r));
  return paged<Deployment>(std::move(items), limit, [](auto& d) { return makeCursor(d.createdAt, d.id); });
}

Result<Deployment> StateStore::updateDeployment(const Deployment& d, std::int64_t expectedVersion) {
  Transaction tx(c_, true);
  if (auto taken = domainTaken(c_, d.domain, d.id)) return *taken;
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
  tx.commit();
  return getDeployment(d.id);
}

void StateStore::setDeploymentStatus(const std::string& id, DeploymentStatus status) {
  c_.execute("UPDATE deployments SET status = ?1, updated_at = ?2 WHERE id = ?3",
             {std::string(toString(status)), clock::nowRfc3339(), id});
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

// ---- Recorded resources ----

namespace {
RecordedResource recordedFrom(const Row& r) {
  RecordedResource rec;
  rec.resource.key = r.text(0);
  rec.resource.deployment = r.text(1);
  rec.resource.kind = resourceKindFromString(r.text(2)).value_or(ResourceKind::Machine);
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

Run StateStore::createRun(const std::string& deployment, RunKind kind, const std::vector<PlanAction>& actions,
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
  c_.execute(
      "INSERT INTO runs (id, deployment_id, kind, status, total, created_at, plan_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      {run.id, deployment, std::string(toString(kind)), std::string(toString(run.status)), std::int64_t{run.total},
       run.createdAt, planId});
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

Result<Run> StateStore::getRun(const std::string& id, bool withSteps) {
  auto r = c_.queryOne(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?1", {id});
  if (!r) return Error::notFound("no run " + id);
  Run run = runFrom(*r);
  if (withSteps) {
    for (auto& s : c_.query(
             "SELECT seq, action, resource_key, kind, status, error, started_at, finished_at, resource, attempts "
             "FROM run_steps WHERE run_id = ?1 ORDER BY seq",
             {id})) {
      RunStep step;
      step.seq = static_cast<int>(s.integer(0));
      step.action = actionKindFromString(s.text(1)).value_or(ActionKind::Noop);
      step.resourceKey = s.text(2);
      step.kind = resourceKindFromString(s.text(3)).value_or(ResourceKind::Machine);
      step.status = stepStatusFromString(s.text(4)).value_or(StepStatus::Failed);
      step.error = s.text(5);
      step.startedAt = s.text(6);
      step.finishedAt = s.text(7);
      step.resource = objectFrom(s.text(8));
      step.attempts = static_cast<int>(s.integer(9));
      run.steps.push_back(std::move(step));
    }
  }
  return run;
}

Page<Run> StateStore::listRuns(const std::string& deployment, int limit, const std::string& cursor) {
  auto [at, id] = splitCursor(cursor);
  auto rows = c_.query(std::string("SELECT ") + kRunColumns +
                           " FROM runs WHERE deployment_id = ?1 AND (?2 = '' OR created_at < ?2 OR "
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
                          " FROM runs WHERE status IN ('queued','running') ORDER BY created_at, id"))
    out.push_back(runFrom(r));
  return out;
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
      "INSERT OR REPLACE INTO resource_drift (resource_key, deployment_id, status, detail, checked_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
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
    out.push_back({r.text(0), r.text(1), driftStatusFromString(r.text(2)).value_or(DriftStatus::Changed),
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
    a.action = actionKindFromString(o.at("action").as_string()).value_or(ActionKind::Noop);
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
  if (auto* v = o.if_contains("kind"); v && v->is_string())
    r.kind = resourceKindFromString(v->get_string()).value_or(ResourceKind::Machine);
  if (auto* v = o.if_contains("deployment"); v && v->is_string()) r.deployment = v->get_string();
  if (auto* v = o.if_contains("name"); v && v->is_string()) r.name = v->get_string();
  if (auto* v = o.if_contains("attributes"); v && v->is_object()) r.attributes = v->get_object();
  if (auto* v = o.if_contains("dependsOn"); v && v->is_array())
    for (auto& k : v->get_array())
      if (k.is_string()) r.dependsOn.emplace_back(k.get_string());
  return r;
}

}  // namespace fedihost::store
