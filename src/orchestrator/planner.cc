#include "orchestrator/planner.hh"

#include <algorithm>
#include <map>
#include <set>

#include "core/json_util.hh"
#include "core/result.hh"
#include "orchestrator/references.hh"

namespace fedihost::orchestrator {
namespace {

/// Attributes that name the thing at its provider: changing one needs a new resource.
const std::set<std::string>& identityAttributes(ResourceKind kind) {
  static const std::map<ResourceKind, std::set<std::string>> table{
      {ResourceKind::IpAddress, {"family"}},
      {ResourceKind::Machine, {}},
      {ResourceKind::DnsRecordSet, {"zone", "name", "type"}},
      {ResourceKind::Database, {"engine", "name", "owner"}},
      {ResourceKind::Bucket, {"name"}},
      {ResourceKind::AccessKey, {"name"}},
      {ResourceKind::MailAccount, {"address"}},
      {ResourceKind::NixosConfig, {"machine"}},
      // A change of names is an update: the provider orders a new certificate for the same key.
      {ResourceKind::Certificate, {}},
  };
  return table.at(kind);
}

/// The keys of the resources whose outputs `v` refers to ({"ref": key, "output": name[, "default"]}, at any depth).
void referencedKeys(const json::value& v, std::set<std::string>& out) {
  if (const auto* a = v.if_array()) {
    for (auto& e : *a) referencedKeys(e, out);
    return;
  }
  const auto* o = v.if_object();
  if (!o) return;
  if (isOutputReference(*o)) {
    out.insert(std::string(o->at("ref").get_string()));
    return;
  }
  for (auto& kv : *o) referencedKeys(kv.value(), out);
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) s += i + 1 == names.size() ? " and " : ", ";
    s += names[i];
  }
  return s;
}

/// Orders actions so that nothing is removed while something else still uses it.
/// `actions` come as: desired ones in dependency order, then deletes, dependents
/// first; that order is kept wherever these constraints allow:
///  - a delete of X comes after the update or replace of every desired resource
///    whose recorded dependencies include X (it stops using X first);
///  - a replace of R (which removes the old R) comes after the delete of every
///    resource no longer desired that depends on R.
/// Should the constraints contradict each other, the rest keeps the given order.
std::vector<PlanAction> executionOrder(std::vector<PlanAction> actions,
                                       const std::map<std::string, const RecordedResource*>& recorded) {
  const std::size_t n = actions.size();
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < n; ++i) index[actions[i].resource.key] = i;
  std::vector<std::vector<std::size_t>> after(n);  // after[i]: actions that must wait for i
  std::vector<std::size_t> waiting(n, 0);
  auto edge = [&](std::size_t first, std::size_t then) {
    after[first].push_back(then);
    ++waiting[then];
  };
  for (std::size_t i = 0; i < n; ++i) {
    const auto& a = actions[i];
    if (a.action == ActionKind::Delete) {
      // Deletes among themselves: dependents first (as given), and the desired dependencies are untouched.
      for (auto& dep : a.resource.dependsOn)
        if (auto it = index.find(dep); it != index.end() && actions[it->second].action == ActionKind::Delete)
          edge(i, it->second);
      continue;
    }
    for (auto& dep : a.resource.dependsOn)
      if (auto it = index.find(dep); it != index.end()) edge(it->second, i);
    auto old = recorded.find(a.resource.key);
    if (old == recorded.end()) continue;
    if (a.action == ActionKind::Update || a.action == ActionKind::Replace)
      for (auto& dep : old->second->resource.dependsOn)
        if (auto it = index.find(dep); it != index.end() && actions[it->second].action == ActionKind::Delete)
          edge(i, it->second);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (actions[i].action != ActionKind::Replace) continue;
    for (std::size_t j = 0; j < n; ++j)
      if (actions[j].action == ActionKind::Delete)
        for (auto& dep : actions[j].resource.dependsOn)
          if (dep == actions[i].resource.key) edge(j, i);
  }
  // Kahn's algorithm, always taking the earliest ready action in the given order.
  std::set<std::size_t> ready;
  for (std::size_t i = 0; i < n; ++i)
    if (waiting[i] == 0) ready.insert(i);
  std::vector<bool> done(n, false);
  std::vector<PlanAction> out;
  out.reserve(n);
  while (out.size() < n) {
    std::size_t next;
    if (!ready.empty()) {
      next = *ready.begin();
      ready.erase(ready.begin());
    } else {  // contradictory constraints: continue in the given order
      next = 0;
      while (done[next]) ++next;
    }
    done[next] = true;
    out.push_back(std::move(actions[next]));
    for (auto then : after[next])
      if (!done[then] && --waiting[then] == 0) ready.insert(then);
  }
  return out;
}

}  // namespace

std::vector<Resource> dependencyOrder(std::vector<Resource> resources) {
  std::sort(resources.begin(), resources.end(), [](auto& a, auto& b) { return a.key < b.key; });
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < resources.size(); ++i) index[resources[i].key] = i;
  std::vector<int> state(resources.size(), 0);  // 0 new, 1 visiting, 2 done
  std::vector<Resource> out;
  out.reserve(resources.size());
  // Iterative depth-first search (no recursion limit on long chains).
  for (std::size_t start = 0; start < resources.size(); ++start) {
    if (state[start]) continue;
    std::vector<std::pair<std::size_t, std::size_t>> stack{{start, 0}};
    state[start] = 1;
    while (!stack.empty()) {
      auto& [i, next] = stack.back();
      const auto& deps = resources[i].dependsOn;
      if (next < deps.size()) {
        auto it = index.find(deps[next++]);
        if (it == index.end()) continue;
        if (state[it->second] == 1)
          throw AbortError(Error::invalid("dependsOn", "dependency cycle through " + resources[it->second].key));
        if (state[it->second] == 0) {
          state[it->second] = 1;
          stack.emplace_back(it->second, 0);
        }
        continue;
      }
      state[i] = 2;
      out.push_back(resources[i]);
      stack.pop_back();
    }
  }
  return out;
}

Plan plan(const std::string& deployment, const std::vector<Resource>& desired,
          const std::vector<RecordedResource>& recorded, const std::vector<Drift>& drift) {
  std::map<std::string, const Drift*> drifted;
  for (auto& d : drift) drifted[d.key] = &d;
  std::map<std::string, const RecordedResource*> rec;
  for (auto& r : recorded) rec[r.resource.key] = &r;
  std::set<std::string> desiredKeys;
  for (auto& r : desired) desiredKeys.insert(r.key);
  for (auto& r : desired)
    for (auto& d : r.dependsOn)
      if (!desiredKeys.count(d))
        throw AbortError(Error::invalid("dependsOn", r.key + " depends on unknown resource " + d));

  Plan p;
  p.deployment = deployment;
  std::map<std::string, ActionKind> decided;  // key -> create/replace, for propagation
  std::set<std::string> updated;              // keys updated in place: their outputs may change
  for (auto& r : dependencyOrder(desired)) {
    PlanAction a;
    a.resource = r;
    auto it = rec.find(r.key);
    if (it == rec.end()) {
      a.action = ActionKind::Create;
      a.reason = "not yet created";
    } else {
      const auto& old = it->second->resource;
      auto changed = jsonutil::changedMembers(old.attributes, r.attributes);
      std::vector<std::string> identity;
      for (auto& c : changed)
        if (identityAttributes(r.kind).count(c)) identity.push_back(c);
      std::vector<std::string> replacedDeps;
      for (auto& d : r.dependsOn)
        if (auto dit = decided.find(d); dit != decided.end()) replacedDeps.push_back(d);
      // A dependency updated in place may put out other values (a renewed certificate's serial):
      // what refers to its outputs is updated after it.
      std::set<std::string> refs;
      referencedKeys(json::value(r.attributes), refs);
      std::vector<std::string> updatedRefs;
      for (auto& k : refs)
        if (updated.count(k)) updatedRefs.push_back(k);
      if (old.kind != r.kind || !identity.empty()) {
        a.action = ActionKind::Replace;
        a.reason = joined(identity) + " changed, which needs a new one";
      } else if (!changed.empty()) {
        a.action = ActionKind::Update;
        a.reason = joined(changed) + " changed";
      } else if (old.dependsOn != r.dependsOn) {
        a.action = ActionKind::Update;
        a.reason = "its dependencies changed";
      } else if (!replacedDeps.empty()) {
        a.action = ActionKind::Update;
        a.reason = "uses " + joined(replacedDeps) + ", which " + (replacedDeps.size() > 1 ? "are" : "is") +
                   " being created anew";
      } else if (!updatedRefs.empty()) {
        a.action = ActionKind::Update;
        a.reason = "uses the outputs of " + joined(updatedRefs) + ", which " +
                   (updatedRefs.size() > 1 ? "are" : "is") + " being updated";
      } else {
        a.action = ActionKind::Noop;
        a.reason = "up to date";
      }
      // What the provider holds overrides what we recorded, short of a replace.
      if (auto dr = drifted.find(r.key); dr != drifted.end() && a.action != ActionKind::Replace) {
        if (dr->second->status == DriftStatus::Missing) {
          a.action = ActionKind::Create;
          a.reason = "missing at provider";
        } else if (a.action == ActionKind::Noop) {
          a.action = ActionKind::Update;
          a.reason = "changed at provider" + (dr->second->detail.empty() ? "" : ": " + dr->second->detail);
        }
      }
    }
    if (a.action == ActionKind::Create || a.action == ActionKind::Replace) decided[r.key] = a.action;
    if (a.action == ActionKind::Update) updated.insert(r.key);
    p.actions.push_back(std::move(a));
  }

  std::vector<Resource> gone;
  for (auto& r : recorded)
    if (!desiredKeys.count(r.resource.key)) gone.push_back(r.resource);
  auto order = dependencyOrder(std::move(gone));
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    p.actions.push_back({ActionKind::Delete, *it, "no longer needed"});
  p.actions = executionOrder(std::move(p.actions), rec);
  return p;
}

}  // namespace fedihost::orchestrator
