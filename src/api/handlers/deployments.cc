#include <algorithm>
#include <set>
#include "accounting/billing.hh"
#include "aaa/auth.hh"
#include "api/handlers/domains.hh"
#include "api/handlers/handlers.hh"
#include "nixos/render.hh"
#include "api/deployment_status.hh"
#include "api/input.hh"
#include "api/json_mapping.hh"
#include "api/setting_changes.hh"
#include "catalog/catalog.hh"
#include "catalog/upgrade.hh"
#include "core/naming.hh"
#include "secrets/secret_box.hh"
#include "orchestrator/expand.hh"
#include "orchestrator/orchestrator.hh"
#include "orchestrator/planner.hh"
#include "store/billing_store.hh"
#include "store/job_store.hh"
#include "store/state_store.hh"

namespace fedihost::api::handlers {
namespace {

/// A live deployment by the path's id (deleted ones are gone for every route but GET).
Deployment liveDeployment(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  if (d.status == DeploymentStatus::Deleted) throw AbortError(Error::notFound("deployment " + d.id + " was deleted"));
  return d;
}

/// True when the deployment's desired resources differ from those its applies recorded
/// (drift aside): it was edited, upgraded or never applied since. The plan is computed only
/// when its inputs changed since it was last computed (orchestrator/fingerprint.hh).
bool changesPending(RequestContext& ctx, const Deployment& d) {
  if (d.status == DeploymentStatus::Deleting || d.status == DeploymentStatus::Deleted) return false;
  return !ctx.app.orchestrator.plans().outline(ctx.app.state, d, orchestrator::PlanVariant::DriftAside).empty();
}

boost::json::object deploymentJson(RequestContext& ctx, const Deployment& d) {
  auto runs = ctx.app.state.listRuns(d.id, 1, "");
  std::optional<Run> last;
  if (!runs.items.empty()) last = runs.items.front();
  auto o = mapping::toJson(d, last);
  auto drift = ctx.app.state.drift(d.id);
  auto refreshed = ctx.app.state.refreshedAt(d.id);
  auto recorded = ctx.app.state.recordedResources(d.id);
  StatusFacts facts;
  facts.stored = d.status;
  facts.runActive = last && (last->status == RunStatus::Queued || last->status == RunStatus::Running);
  facts.lastRunFailed = last && (last->status == RunStatus::Failed || last->status == RunStatus::Cancelled);
  facts.drifted = !drift.empty() && d.status != DeploymentStatus::Deleted;
  facts.changesPending = changesPending(ctx, d);
  o["status"] = presentedStatus(facts);
  // Deleting a deployment is the last change of its row: when it ended.
  o["deletedAt"] = d.status == DeploymentStatus::Deleted ? boost::json::value(d.updatedAt) : nullptr;
  o["changesPending"] = facts.changesPending;
  auto changes = settingChanges(d, recorded);
  o["settingChanges"] = toJson(changes);
  // An app's address is live once an apply published it: its DNS record is recorded.
  std::set<std::string> published;
  for (auto& r : recorded)
    if (r.resource.kind == ResourceKind::DnsRecordSet)
      if (auto* n = r.resource.attributes.if_contains("name"); n && n->is_string()) {
        std::string host(n->get_string());
        if (!host.empty() && host.back() == '.') host.pop_back();
        published.insert(host);
      }
  for (auto& a : o["apps"].as_array()) {
    auto& app = a.as_object();
    bool live = d.status != DeploymentStatus::Deleted && d.status != DeploymentStatus::Deleting &&
                published.count(std::string(app["host"].as_string())) > 0;
    app["live"] = live;
  }
  // The TLS certificate as recorded (the panel lists one expiring soon under "needs attention").
  boost::json::value certificate = nullptr;
  for (auto& r : recorded)
    if (r.resource.kind == ResourceKind::Certificate)
      if (auto* until = r.outputs.if_contains("notAfter"); until && until->is_string()) {
        boost::json::array names;
        if (auto* sans = r.outputs.if_contains("sans"); sans && sans->is_array()) names = sans->get_array();
        certificate = boost::json::object{{"notAfter", *until}, {"names", std::move(names)}};
      }
  o["certificate"] = std::move(certificate);
  o["drift"] = boost::json::object{{"refreshedAt", refreshed.empty() ? boost::json::value(nullptr) : boost::json::value(refreshed)},
                                   {"drifted", !drift.empty()},
                                   {"count", drift.size()}};
  return o;
}

/// A plan's JSON naming the settings that change: the machine configuration's update
/// says which ("Mastodon: maximum post length 500 → 1000"), and "settingChanges" lists them.
/// What the resources that will exist once the actions are applied cost a month under the
/// organisation's price plan (docs/billing.md); null when it has none.
boost::json::value monthlyEstimate(RequestContext& ctx, const Deployment& d, const std::vector<PlanAction>& actions) {
  std::vector<Resource> after;
  for (auto& a : actions)
    if (a.action != ActionKind::Delete) after.push_back(a.resource);
  store::BillingStore billing(ctx.app.accounting.connection());
  auto e = accounting::estimateOf(billing, d.organisation, after);
  if (!e) return nullptr;
  return accounting::toJson(*e);
}

boost::json::object planJson(RequestContext& ctx, const Deployment& d, const std::vector<PlanAction>& actions,
                             boost::json::object planned) {
  planned["monthlyEstimate"] = monthlyEstimate(ctx, d, actions);
  auto changes = settingChanges(d, ctx.app.state.recordedResources(d.id));
  if (!changes.empty()) {
    std::string text;
    for (auto& c : changes) text += (text.empty() ? "" : "; ") + c.text;
    for (auto& a : planned["actions"].as_array()) {
      auto& action = a.as_object();
      if (action["action"] == "update" &&
          action["resource"].as_object()["kind"] == boost::json::string_view(toString(ResourceKind::NixosConfig)))
        action["reason"] = text;
    }
  }
  planned["settingChanges"] = toJson(changes);
  return planned;
}

Response withEtag(Response r, const Deployment& d) {
  r.headers["etag"] = "\"" + std::to_string(d.version) + "\"";
  return r;
}

Response runAccepted(const Run& run) {
  auto r = json(202, mapping::toJson(run));
  r.headers["location"] = "/api/v1/runs/" + run.id;
  return r;
}

}  // namespace

Response postDeployment(RequestContext& ctx) {
  auto org = ctx.app.state.getOrganisation(ctx.organisation).orThrow();
  auto body = input::jsonObject(ctx.request, {"name", "domain", "apps", "target"}).orThrow();
  Deployment d;
  d.organisation = org.id;
  input::FieldErrors errors;  // every field at fault, answered at once
  if (auto target = errors.take(input::optionalString(body, "target")); target && *target) {
    if (!ctx.app.orchestrator.target(**target)) {
      std::string known;
      for (auto& n : ctx.app.orchestrator.targetNames()) known += (known.empty() ? "" : ", ") + n;
      errors.add(Error::invalid("target", "no target named \"" + **target + "\" (configured: " + known + ")"));
    }
    d.target = **target;
  }
  if (auto name = errors.take(input::requiredString(body, "name")); name && errors.check(input::checkDeploymentName(*name, "name")))
    d.name = *name;
  bool domainOk = false;
  if (auto domain = errors.take(input::requiredString(body, "domain")); domain && errors.check(input::checkDomain(*domain, "domain"))) {
    d.domain = *domain;
    try {
      checkDomainAllowed(ctx, org.id, d.domain);
      domainOk = true;
    } catch (const AbortError& e) {
      errors.add(e.error());
    }
  }
  // Apps are checked under the domain given (or a stand-in while it is at fault, for their own errors).
  auto apps = input::apps(body.if_contains("apps"), domainOk ? d.domain : "example.org", errors);
  errors.throwIfAny();
  d.apps = std::move(*apps);
  catalog::stampCurrentVersions(d);
  auto hosts = nixos::publishedHosts(d);
  d = ctx.app.state.createDeployment(std::move(d), hosts).orThrow();
  auto r = withEtag(json(201, deploymentJson(ctx, d)), d);
  r.headers["location"] = "/api/v1/deployments/" + d.id;
  return r;
}

Response listDeployments(RequestContext& ctx) {
  auto p = input::paging(ctx.request).orThrow();
  // Only the organisations the caller may see; asking for another one finds nothing.
  auto orgs = ctx.principal->visibleOrganisations();
  if (auto it = ctx.request.query.find("organisation"); it != ctx.request.query.end()) {
    if (!ctx.principal->roleIn(it->second) || !ctx.app.state.getOrganisation(it->second))
      throw AbortError(Error::notFound("no organisation " + it->second));
    orgs = std::vector<std::string>{it->second};
  }
  // ?deleted=true: the deployments deleted that a restore can bring back (a complete backup is left).
  bool deleted = false;
  if (auto it = ctx.request.query.find("deleted"); it != ctx.request.query.end()) {
    if (it->second != "true" && it->second != "false")
      throw AbortError(Error::invalid("deleted", "deleted must be true or false"));
    deleted = it->second == "true";
  }
  auto page = deleted ? ctx.app.state.listDeletedWithBackups(orgs, p.limit, p.cursor)
                      : ctx.app.state.listDeployments(orgs, p.limit, p.cursor);
  return json(200, mapping::page(page, [&](auto& d) { return deploymentJson(ctx, d); }));
}

Response getDeployment(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  return withEtag(json(200, deploymentJson(ctx, d)), d);
}

Response patchDeployment(RequestContext& ctx) {
  auto d = liveDeployment(ctx);
  if (d.status == DeploymentStatus::Deleting)
    throw AbortError(Error::conflict("deployment " + d.name + " is being deleted"));
  auto expected = input::ifMatchVersion(ctx.request).orThrow();
  if (expected != d.version)
    throw AbortError({ErrorKind::PreconditionFailed,
                      "the deployment changed since you read it (version " + std::to_string(d.version) +
                          ", you sent " + std::to_string(expected) + "); reload and try again",
                      {}});
  auto body = input::jsonObject(ctx.request, {"domain", "apps", "name"}).orThrow();
  input::FieldErrors errors;  // every field at fault, answered at once
  if (body.contains("name")) errors.add(Error::invalid("name", "a deployment's name cannot change"));
  if (auto domain = errors.take(input::optionalString(body, "domain")); domain && *domain) {
    if (errors.check(input::checkDomain(**domain, "domain"))) {
      try {
        if (**domain != d.domain) checkDomainAllowed(ctx, d.organisation, **domain);
        d.domain = **domain;
      } catch (const AbortError& e) {
        errors.add(e.error());
      }
    }
  }
  if (body.contains("apps")) {
    auto checked = input::apps(body.if_contains("apps"), d.domain, errors);
    errors.throwIfAny();
    auto apps = std::move(*checked);
    for (auto& inst : apps) {
      auto current = std::find_if(d.apps.begin(), d.apps.end(), [&](auto& a) { return a.app == inst.app; });
      if (current == d.apps.end()) {
        auto* app = catalog::find(inst.app);
        inst.version = app->version;
        inst.schemaVersion = app->schemaVersion;
        continue;
      }
      if (!catalog::onCurrentSchema(*current))
        throw AbortError(Error::conflict(
            "the settings of " + inst.app + " are of an older version: upgrade the deployment first", "apps"));
      inst.version = current->version;
      inst.schemaVersion = current->schemaVersion;
    }
    d.apps = std::move(apps);
  } else {
    errors.throwIfAny();
    // Re-check hosts under a new domain.
    boost::json::array current;
    for (auto& a : d.apps) current.push_back(boost::json::object{{"app", a.app}, {"settings", a.settings}});
    boost::json::value v(std::move(current));
    d.apps = input::apps(&v, d.domain).orThrow();
  }
  d = ctx.app.state.updateDeployment(d, expected, nixos::publishedHosts(d)).orThrow();
  return withEtag(json(200, deploymentJson(ctx, d)), d);
}

Response deleteDeployment(RequestContext& ctx) {
  auto d = liveDeployment(ctx);
  return runAccepted(ctx.app.orchestrator.destroy(ctx.app.state, d).orThrow());
}

Response getPlan(RequestContext& ctx) {
  auto d = liveDeployment(ctx);
  auto plan = ctx.app.orchestrator.planFor(ctx.app.state, d);
  return json(200, planJson(ctx, d, plan.actions, mapping::toJson(plan)));
}

Response postPlan(RequestContext& ctx) {
  auto d = liveDeployment(ctx);
  auto body = input::optionalJsonObject(ctx.request, {"save"}).orThrow();
  bool save = false;
  if (auto* v = body.if_contains("save")) {
    if (!v->is_bool()) throw AbortError(Error::malformed("save", "save must be true or false"));
    save = v->get_bool();
  }
  if (!save) {
    auto plan = ctx.app.orchestrator.planFor(ctx.app.state, d);
    return json(200, planJson(ctx, d, plan.actions, mapping::toJson(plan)));
  }
  auto saved = ctx.app.orchestrator.savePlan(ctx.app.state, d);
  Plan p{d.id, saved.actions};
  auto r = json(201, planJson(ctx, d, saved.actions, mapping::toJson(saved, p)));
  r.headers["location"] = "/api/v1/deployments/" + d.id + "/plans/" + saved.id;
  return r;
}

Response getSavedPlan(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  auto saved = ctx.app.state.getSavedPlan(ctx.param("plan")).orThrow();
  if (saved.deployment != d.id) throw AbortError(Error::notFound("no saved plan " + saved.id + " for " + d.id));
  auto o = mapping::toJson(saved, Plan{d.id, saved.actions});
  o["monthlyEstimate"] = monthlyEstimate(ctx, d, saved.actions);
  return json(200, o);
}

Response postApply(RequestContext& ctx) {
  auto d = liveDeployment(ctx);
  if (d.status == DeploymentStatus::Deleting)
    throw AbortError(Error::conflict("deployment " + d.name + " is being deleted"));
  auto body = input::optionalJsonObject(ctx.request, {"plan"}).orThrow();
  if (auto plan = input::optionalString(body, "plan").orThrow())
    return runAccepted(ctx.app.orchestrator.applySaved(ctx.app.state, d, *plan).orThrow());
  return runAccepted(ctx.app.orchestrator.apply(ctx.app.state, d).orThrow());
}

Response getDrift(RequestContext& ctx) {
  auto d = liveDeployment(ctx);
  return json(200, mapping::driftJson(d.id, ctx.app.state.refreshedAt(d.id), ctx.app.state.drift(d.id)));
}

Response postAdminLoginsReveal(RequestContext& ctx) {
  // The dispatcher audits this request as it does every POST: one row naming the deployment and
  // who saw its passwords (never the passwords). Handlers run on the handler threads, not the I/O thread.
  auto d = liveDeployment(ctx);
  auto sealed = ctx.app.state.sealedSecrets(d.id);
  // (app, secret) pairs that an applied NixOS configuration delivered: the configuration names the
  // app and carries the secret (recorded resources are the last applied attributes, unresolved).
  std::set<std::pair<std::string, std::string>> delivered;
  for (auto& rec : ctx.app.state.recordedResources(d.id)) {
    if (rec.resource.kind != ResourceKind::NixosConfig) continue;
    const auto* secrets = rec.resource.attributes.if_contains("secrets");
    const auto* configuration = rec.resource.attributes.if_contains("configuration");
    const auto* apps = configuration && configuration->is_object() ? configuration->get_object().if_contains("apps") : nullptr;
    if (!secrets || !secrets->is_object() || !apps || !apps->is_object())
      throw AbortError({ErrorKind::Internal, "the recorded configuration " + rec.resource.key + " is malformed", {}});
    for (auto& app : apps->get_object())
      for (auto& secret : secrets->get_object()) delivered.insert({std::string(app.key()), std::string(secret.key())});
  }
  boost::json::array items;
  for (auto& inst : d.apps) {
    const auto* app = catalog::find(inst.app);
    if (!app || !app->adminLogin) continue;
    const auto& login = *app->adminLogin;
    const std::string name = naming::secretName(app->id, login.passwordSecret);
    const bool applied = delivered.count({app->id, name}) > 0;
    boost::json::value password = nullptr;
    if (auto it = sealed.find(name); applied && it != sealed.end()) {
      auto clear = ctx.app.orchestrator.box().open(it->second);
      if (!clear)
        throw AbortError({ErrorKind::Internal, "the sealed secret " + name + " of " + d.id + " cannot be opened", {}});
      password = boost::json::string(*clear);
    } else if (applied) {
      throw AbortError({ErrorKind::Internal, "the secret " + name + " was delivered but is not stored", {}});
    }
    items.push_back(boost::json::object{{"app", app->id},
                                        {"name", app->name},
                                        {"username", login.username},
                                        {"password", std::move(password)},
                                        {"loginUrl", "https://" + nixos::appHost(d, inst) + login.loginPath},
                                        {"applied", applied}});
  }
  return json(200, boost::json::object{{"deployment", d.id}, {"items", std::move(items)}});
}

Response postRefresh(RequestContext& ctx) {
  auto d = liveDeployment(ctx);
  // Conflict (409) while a run holds the deployment, or another refresh does. The providers are
  // read by the orchestrator's workers: the answer is the job, at once.
  auto job = ctx.app.orchestrator.startRefresh(ctx.app.state, d.id, ctx.user ? ctx.user->id : "").orThrow();
  return jobAccepted(job);
}

Response getUpgrade(RequestContext& ctx) {
  auto d = liveDeployment(ctx);
  return json(200, mapping::toJson(catalog::upgradeFor(d)));
}

Response postUpgrade(RequestContext& ctx) {
  auto d = liveDeployment(ctx);
  auto expected = input::ifMatchVersion(ctx.request).orThrow();
  if (expected != d.version)
    throw AbortError({ErrorKind::PreconditionFailed,
                      "the deployment changed since you read it (version " + std::to_string(d.version) +
                          ", you sent " + std::to_string(expected) + "); reload and try again",
                      {}});
  if (!catalog::upgradeFor(d).available)
    throw AbortError(Error::conflict("deployment " + d.name + " is already on the current catalog"));
  auto upgraded = catalog::upgrade(d).orThrow();
  upgraded = ctx.app.state.updateDeployment(upgraded, expected, nixos::publishedHosts(upgraded)).orThrow();
  return withEtag(json(200, deploymentJson(ctx, upgraded)), upgraded);
}

Response listDeploymentRuns(RequestContext& ctx) {
  auto d = ctx.app.state.getDeployment(ctx.param("id")).orThrow();
  auto p = input::paging(ctx.request).orThrow();
  auto page = ctx.app.state.listRuns(d.id, p.limit, p.cursor);
  return json(200, mapping::page(page, [](auto& r) { return mapping::toJson(r); }));
}

}  // namespace fedihost::api::handlers
