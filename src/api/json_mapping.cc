#include "api/json_mapping.hh"

#include "orchestrator/orchestrator.hh"

#include "nixos/render.hh"

namespace fedihost::api::mapping {
json::value orNull(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

json::object toJson(const Organisation& o) {
  return {{"id", o.id},
          {"name", o.name},
          {"displayName", o.displayName},
          {"requireTotp", o.requireTotp},
          {"createdAt", o.createdAt}};
}

json::object toJson(const User& u) {
  return {{"id", u.id},          {"email", u.email},         {"operator", u.isOperator},
          {"disabled", u.disabled}, {"totpEnabled", u.totpEnabled}, {"createdAt", u.createdAt}};
}

json::object toJson(const Session& s, bool current) {
  json::array scopes;
  for (auto sc : s.scopes) scopes.emplace_back(toString(sc));
  json::object o{{"id", s.id},
                 {"name", s.name},
                 {"scopes", std::move(scopes)},
                 {"organisation", orNull(s.organisation)},
                 {"createdAt", s.createdAt},
                 {"lastUsedAt", orNull(s.lastUsedAt)},
                 {"expiresAt", orNull(s.expiresAt)}};
  if (!s.isToken) {
    o["remote"] = s.remote;
    o["userAgent"] = s.userAgent;
    o["current"] = current;
  }
  return o;
}

json::object toJson(const store::Invitation& i, const std::string& now) {
  return {{"id", i.id},
          {"organisation", i.organisation},
          {"email", i.email},
          {"role", toString(i.role)},
          {"state", i.state(now)},
          {"invitedBy", i.invitedBy},
          {"createdAt", i.createdAt},
          {"expiresAt", i.expiresAt},
          {"acceptedAt", orNull(i.acceptedAt)}};
}

json::object toJson(const store::OrganisationDomain& d) {
  return {{"domain", d.domain},
          {"challenge", {{"name", "_fedihost-challenge." + d.domain}, {"type", "TXT"}, {"value", d.challenge}}},
          {"verified", !d.verifiedAt.empty()},
          {"verifiedAt", orNull(d.verifiedAt)},
          {"createdAt", d.createdAt}};
}

json::object toJson(const store::Member& m) {
  return {{"user", toJson(m.user)}, {"role", toString(m.role)}};
}

json::object toJson(const Resource& r) {
  json::array deps;
  for (auto& d : r.dependsOn) deps.emplace_back(d);
  return {{"key", r.key},
          {"kind", toString(r.kind)},
          {"name", r.name},
          {"attributes", r.attributes},
          {"dependsOn", std::move(deps)}};
}

json::object toJson(const PlanAction& a) {
  return {{"action", toString(a.action)}, {"resource", toJson(a.resource)}, {"reason", a.reason}};
}

json::object toJson(const Plan& p) {
  json::array actions;
  json::object summary{{"create", 0}, {"update", 0}, {"replace", 0}, {"delete", 0}, {"noop", 0}};
  for (auto& a : p.actions) {
    actions.push_back(toJson(a));
    auto& n = summary[toString(a.action)];
    n = n.as_int64() + 1;
  }
  return {{"deployment", p.deployment}, {"actions", std::move(actions)}, {"summary", std::move(summary)},
          {"empty", p.empty()}};
}

json::object toJson(const RunStep& s) {
  std::string reason;
  if (auto* r = s.resource.if_contains("reason"); r && r->is_string()) reason = r->get_string();
  return {{"seq", s.seq},
          {"action", toString(s.action)},
          {"resourceKey", s.resourceKey},
          {"kind", toString(s.kind)},
          {"reason", reason},
          {"status", toString(s.status)},
          {"error", orNull(s.error)},
          {"startedAt", orNull(s.startedAt)},
          {"finishedAt", orNull(s.finishedAt)},
          {"attempts", s.attempts},
          {"instance", orNull(s.instance)}};
}

json::object toJson(const Run& r) {
  json::object o{{"id", r.id},
                 {"deployment", r.deployment},
                 {"kind", toString(r.kind)},
                 {"status", toString(r.status)},
                 {"error", orNull(r.error)},
                 {"createdAt", r.createdAt},
                 {"startedAt", orNull(r.startedAt)},
                 {"finishedAt", orNull(r.finishedAt)},
                 {"progress", {{"done", r.done}, {"total", r.total}}},
                 {"cancelRequested", r.cancelRequested},
                 {"plan", orNull(r.planId)},
                 {"instance", orNull(r.instance)}};
  if (!r.steps.empty() || r.total == 0) {
    json::array steps;
    for (auto& s : r.steps) steps.push_back(toJson(s));
    o["steps"] = std::move(steps);
  }
  return o;
}

json::object toJson(const Deployment& d, const std::optional<Run>& lastRun) {
  json::array apps;
  for (auto& a : d.apps)
    apps.push_back(json::object{{"app", a.app},
                                {"settings", a.settings},
                                {"version", a.version},
                                {"schemaVersion", a.schemaVersion},
                                {"host", nixos::appHost(d, a)},
                                {"url", "https://" + nixos::appHost(d, a) + "/"}});
  json::object o{{"id", d.id},
                 {"organisation", d.organisation},
                 {"name", d.name},
                 {"domain", d.domain},
                 {"apps", std::move(apps)},
                 {"status", toString(d.status)},
                 {"version", d.version},
                 {"target", d.target},
                 {"catalogVersion", d.catalogVersion},
                 {"nixpkgsRevision", d.nixpkgsRevision},
                 {"createdAt", d.createdAt},
                 {"updatedAt", d.updatedAt}};
  if (lastRun)
    o["lastRun"] = toJson(*lastRun);
  else
    o["lastRun"] = nullptr;
  return o;
}

json::object toJson(const catalog::UpgradeInfo& u) {
  json::array apps;
  for (auto& a : u.apps) {
    json::array changes;
    for (auto& c : a.changes) changes.emplace_back(c);
    apps.push_back(json::object{{"app", a.app},
                                {"fromVersion", a.fromVersion},
                                {"toVersion", a.toVersion},
                                {"fromSchema", a.fromSchema},
                                {"toSchema", a.toSchema},
                                {"changes", std::move(changes)}});
  }
  return {{"available", u.available},
          {"from", {{"catalogVersion", u.fromCatalog}, {"nixpkgsRevision", u.fromNixpkgs}}},
          {"to", {{"catalogVersion", u.toCatalog}, {"nixpkgsRevision", u.toNixpkgs}}},
          {"apps", std::move(apps)}};
}

json::object toJson(const SavedPlan& p, const Plan& plan) {
  auto o = toJson(plan);
  o["id"] = p.id;
  o["createdAt"] = p.createdAt;
  o["appliedBy"] = orNull(p.runId);
  return o;
}

json::object toJson(const Drift& d) {
  return {{"resourceKey", d.key}, {"status", toString(d.status)}, {"detail", d.detail}, {"checkedAt", d.checkedAt}};
}

json::object driftJson(const std::string& deployment, const std::string& refreshedAt, const std::vector<Drift>& drift,
                       const std::vector<std::string>& errors) {
  // One shape for GET …/drift and a refresh job's result: the orchestrator writes the latter.
  return orchestrator::driftDocument(deployment, refreshedAt, drift, errors);
}

json::object journalJson(store::BackupStore& jobs, const std::string& id) {
  json::array lines;
  for (auto& l : jobs.journalOf(id))
    lines.push_back(json::object{{"seq", l.seq}, {"at", l.at}, {"part", l.part}, {"message", l.message}});
  return {{"journal", std::move(lines)}};
}

}  // namespace fedihost::api::mapping
