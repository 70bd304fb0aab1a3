#include "orchestrator/fingerprint.hh"

#include <sodium.h>

#include "catalog/catalog.hh"
#include "core/json_util.hh"
#include "orchestrator/expand.hh"
#include "orchestrator/planner.hh"
#include "store/plan_inputs.hh"

namespace fedihost::orchestrator {
namespace {

/// Bump when expand() or plan() start to read anything not hashed below, or compute differently
/// from the same inputs within one FEDIHOST_VERSION and catalog release.
constexpr std::string_view kPlannerFormat = "planner-1";

bool beingDeleted(const Deployment& d) {
  return d.status == DeploymentStatus::Deleting || d.status == DeploymentStatus::Deleted;
}

void addField(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

std::string_view variantName(PlanVariant v) { return v == PlanVariant::WithDrift ? "with-drift" : "drift-aside"; }

std::string keyOf(const std::string& deployment, PlanVariant v) {
  return std::string(v == PlanVariant::WithDrift ? "w:" : "a:") + deployment;
}

}  // namespace

bool operator==(const PlanOutline& a, const PlanOutline& b) {
  if (a.create != b.create || a.update != b.update || a.replace != b.replace || a.remove != b.remove ||
      a.noop != b.noop || a.changes.size() != b.changes.size())
    return false;
  for (std::size_t i = 0; i < a.changes.size(); ++i) {
    const auto& x = a.changes[i];
    const auto& y = b.changes[i];
    if (x.action != y.action || x.reason != y.reason || x.resource.key != y.resource.key ||
        x.resource.kind != y.resource.kind || x.resource.deployment != y.resource.deployment ||
        x.resource.name != y.resource.name || x.resource.dependsOn != y.resource.dependsOn ||
        x.resource.attributes != y.resource.attributes)
      return false;
  }
  return true;
}

PlanOutline outlineOf(const Plan& p) {
  PlanOutline o;
  for (auto& a : p.actions) {
    switch (a.action) {
      case ActionKind::Create: ++o.create; break;
      case ActionKind::Update: ++o.update; break;
      case ActionKind::Replace: ++o.replace; break;
      case ActionKind::Delete: ++o.remove; break;
      case ActionKind::Noop: ++o.noop; continue;
    }
    o.changes.push_back(a);
  }
  return o;
}

Plan planDeployment(store::StateStore& state, const Deployment& d, PlanVariant variant) {
  std::vector<Resource> desired;
  if (!beingDeleted(d)) desired = expand(d);
  return plan(d.id, desired, state.recordedResources(d.id),
              variant == PlanVariant::WithDrift ? state.drift(d.id) : std::vector<Drift>{});
}

std::string planFingerprint(const Deployment& d, std::int64_t generation, PlanVariant variant) {
  std::string text;
  text.reserve(512);
  addField(text, kPlannerFormat);
  addField(text, FEDIHOST_VERSION);
  addField(text, catalog::release().version);
  addField(text, variantName(variant));
  addField(text, std::to_string(generation));
  // The desired state: everything of the deployment that expand() reads.
  addField(text, d.id);
  addField(text, d.name);
  addField(text, d.domain);
  addField(text, d.target);
  addField(text, beingDeleted(d) ? "deleted" : "live");
  addField(text, d.catalogVersion);
  addField(text, d.nixpkgsRevision);
  for (auto& a : d.apps) {
    addField(text, a.app);
    addField(text, a.version);
    addField(text, std::to_string(a.schemaVersion));
    addField(text, jsonutil::canonicalCompact(a.settings));
  }
  unsigned char out[16];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  char hex[2 * sizeof out + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

std::shared_ptr<const PlanOutline> PlanCache::lookup(const std::string& key, const std::string& fingerprint) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.fingerprint != fingerprint) return nullptr;
  return it->second.outline;
}

std::shared_ptr<const PlanOutline> PlanCache::compute(store::StateStore& state, const Deployment& d,
                                                      PlanVariant variant, const std::string& key,
                                                      std::string fingerprint) {
  // The generation in `fingerprint` was read before the inputs below: if they change meanwhile, the
  // generation moves on and this entry is never taken (computed again next time), never stale.
  auto outline = std::make_shared<const PlanOutline>(outlineOf(planDeployment(state, d, variant)));
  std::lock_guard lock(mu_);
  entries_[key] = Entry{std::move(fingerprint), outline};
  return outline;
}

PlanOutline PlanCache::outline(store::StateStore& state, const Deployment& d, PlanVariant variant, bool* skipped) {
  auto fingerprint = planFingerprint(d, store::PlanInputs(state.connection()).generation(d.id), variant);
  auto key = keyOf(d.id, variant);
  auto cached = lookup(key, fingerprint);
  if (skipped) *skipped = cached != nullptr;
  if (!cached) cached = compute(state, d, variant, key, std::move(fingerprint));
  return *cached;
}

std::vector<PlanOutline> PlanCache::outlines(store::StateStore& state, const std::vector<Deployment>& ds,
                                             PlanVariant variant, std::int64_t* skipped) {
  std::vector<std::string> ids;
  ids.reserve(ds.size());
  for (auto& d : ds) ids.push_back(d.id);
  auto generations = store::PlanInputs(state.connection()).generations(ids);
  std::vector<PlanOutline> out;
  out.reserve(ds.size());
  for (auto& d : ds) {
    auto fingerprint = planFingerprint(d, generations[d.id], variant);
    auto key = keyOf(d.id, variant);
    auto cached = lookup(key, fingerprint);
    if (cached && skipped) ++*skipped;
    if (!cached) cached = compute(state, d, variant, key, std::move(fingerprint));
    out.push_back(*cached);
  }
  return out;
}

SurveyCount PlanCache::survey(store::StateStore& state, PlanVariant variant,
                              const std::function<bool(const std::string&, const PlanOutline&)>& each,
                              int pageSize) {
  SurveyCount n;
  store::PlanInputs inputs(state.connection());
  std::string after;
  for (auto page = inputs.live(after, pageSize); !page.empty(); page = inputs.live(after, pageSize)) {
    after = page.back().deployment;
    for (auto& live : page) {
      auto key = keyOf(live.deployment, variant);
      std::shared_ptr<const PlanOutline> outline;
      {
        std::lock_guard lock(mu_);
        if (auto it = entries_.find(key); it != entries_.end() && it->second.surveyedAt == live.generation)
          outline = it->second.outline;
      }
      if (outline) {
        ++n.skipped;
      } else {
        auto d = state.getDeployment(live.deployment);
        if (!d && d.error().kind == ErrorKind::NotFound) continue;  // deleted since the page was read
        if (!d) throw AbortError(d.error());
        if (d->status == DeploymentStatus::Deleted) continue;
        auto fingerprint = planFingerprint(*d, live.generation, variant);
        outline = std::make_shared<const PlanOutline>(outlineOf(planDeployment(state, *d, variant)));
        std::lock_guard lock(mu_);
        entries_[key] = Entry{std::move(fingerprint), outline, live.generation};
      }
      ++n.deployments;
      n.pending += !outline->empty();
      if (each && !each(live.deployment, *outline)) return n;
    }
  }
  return n;
}

void PlanCache::clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

std::size_t PlanCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace fedihost::orchestrator
