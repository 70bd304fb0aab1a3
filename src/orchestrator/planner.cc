#include "orchestrator/planner.hh"

#include <algorithm>
#include <map>
#include <set>

#include "core/json_util.hh"
#include "core/result.hh"

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
  };
  return table.at(kind);
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) s += i + 1 == names.size() ? " and " : ", ";
    s += names[i];
  }
  return s;
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
          const std::vector<RecordedResource>& recorded) {
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
      } else {
        a.action = ActionKind::Noop;
        a.reason = "up to date";
      }
    }
    if (a.action == ActionKind::Create || a.action == ActionKind::Replace) decided[r.key] = a.action;
    p.actions.push_back(std::move(a));
  }

  std::vector<Resource> gone;
  for (auto& r : recorded)
    if (!desiredKeys.count(r.resource.key)) gone.push_back(r.resource);
  auto order = dependencyOrder(std::move(gone));
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    p.actions.push_back({ActionKind::Delete, *it, "no longer needed"});
  return p;
}

}  // namespace fedihost::orchestrator
