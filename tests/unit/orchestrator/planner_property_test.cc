// Property tests of the planner (rapidcheck): random acyclic desired sets against
// random recorded states derived from them.
//
// Each property runs rapidcheck's default 100 cases. To replay a failure (or pin
// the seed), set RC_PARAMS, e.g.:
//   RC_PARAMS="seed=12345" ./unit_orchestrator --gtest_filter='*Propert*'
// (RC_PARAMS="max_success=1000" runs more cases; "verbose_progress=1" shows them.)
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "orchestrator/planner.hh"

namespace fedihost::orchestrator {
namespace {

/// One planner input: what a deployment wants and what the state database holds.
struct Scenario {
  std::vector<Resource> desired;
  std::vector<RecordedResource> recorded;
};

void showResource(const Resource& r, std::ostream& os) {
  os << "  " << r.key << " " << boost::json::serialize(r.attributes);
  if (!r.dependsOn.empty()) {
    os << " dependsOn [";
    for (std::size_t i = 0; i < r.dependsOn.size(); ++i) os << (i ? ", " : "") << r.dependsOn[i];
    os << "]";
  }
  os << "\n";
}

// Found by rapidcheck's show() through argument-dependent lookup: prints a
// counterexample readably.
void showValue(const Scenario& s, std::ostream& os) {
  os << "desired (" << s.desired.size() << "):\n";
  for (auto& r : s.desired) showResource(r, os);
  os << "recorded (" << s.recorded.size() << "):\n";
  for (auto& r : s.recorded) showResource(r.resource, os);
}

constexpr const char* kDeployment = "d";

/// A small attribute object: a few of a fixed set of names (including identity
/// ones such as "name"), small values.
boost::json::object genAttributes() {
  static const std::vector<std::string> names{"name", "size", "region", "engine", "owner", "note"};
  boost::json::object o;
  auto count = *rc::gen::inRange<std::size_t>(0, 4);
  for (std::size_t i = 0; i < count; ++i) {
    auto name = *rc::gen::elementOf(names);
    if (*rc::gen::arbitrary<bool>())
      o[name] = *rc::gen::inRange(0, 4);
    else
      o[name] = std::string(1, static_cast<char>('a' + *rc::gen::inRange(0, 3)));
  }
  return o;
}

Resource genResource(ResourceKind kind, const std::string& name, const std::vector<std::string>& earlier) {
  Resource r;
  r.kind = kind;
  r.deployment = kDeployment;
  r.name = name;
  r.key = resourceKey(kDeployment, kind, name);
  r.attributes = genAttributes();
  if (!earlier.empty()) {
    // Only on earlier resources: acyclic by construction.
    auto n = *rc::gen::inRange<std::size_t>(0, std::min<std::size_t>(earlier.size(), 3) + 1);
    std::set<std::string> deps;
    for (std::size_t i = 0; i < n; ++i) deps.insert(*rc::gen::elementOf(earlier));
    r.dependsOn.assign(deps.begin(), deps.end());
  }
  return r;
}

rc::Gen<Scenario> genScenario() {
  return rc::gen::exec([] {
    Scenario s;
    std::vector<std::string> keys;
    auto n = *rc::gen::inRange(0, 41);  // 0–40 desired resources
    for (int i = 0; i < n; ++i) {
      auto kind = *rc::gen::elementOf(allResourceKinds());
      auto r = genResource(kind, "r" + std::to_string(i), keys);
      keys.push_back(r.key);
      s.desired.push_back(std::move(r));
    }

    // A random subset of the desired ones is recorded, some of them changed.
    std::vector<std::string> recordedKeys;
    for (auto& r : s.desired) {
      if (!*rc::gen::arbitrary<bool>()) continue;
      RecordedResource rec{r, {}, ""};
      switch (*rc::gen::inRange(0, 4)) {
        case 0:  // an identity attribute (a database's or a bucket's name; plain elsewhere)
          rec.resource.attributes["name"] = "old-name";
          break;
        case 1:  // a plain attribute
          rec.resource.attributes["size"] = 99;
          break;
        default:  // as desired
          break;
      }
      recordedKeys.push_back(r.key);
      s.recorded.push_back(std::move(rec));
    }

    // Some recorded resources no longer desired, depending only on recorded ones.
    auto extras = *rc::gen::inRange(0, 8);
    for (int i = 0; i < extras; ++i) {
      auto kind = *rc::gen::elementOf(allResourceKinds());
      auto r = genResource(kind, "x" + std::to_string(i), recordedKeys);
      recordedKeys.push_back(r.key);
      s.recorded.push_back({std::move(r), {}, ""});
    }
    return s;
  });
}

/// Performs each action of `p` on `recorded`: create/update/replace record the
/// desired resource, delete removes it, no-op leaves it.
std::vector<RecordedResource> applyPlan(const Plan& p, std::vector<RecordedResource> recorded) {
  for (auto& a : p.actions) {
    auto it = std::find_if(recorded.begin(), recorded.end(),
                           [&](auto& r) { return r.resource.key == a.resource.key; });
    switch (a.action) {
      case ActionKind::Create:
      case ActionKind::Update:
      case ActionKind::Replace:
        if (it == recorded.end())
          recorded.push_back({a.resource, {}, ""});
        else
          it->resource = a.resource;
        break;
      case ActionKind::Delete:
        if (it != recorded.end()) recorded.erase(it);
        break;
      case ActionKind::Noop:
        break;
    }
  }
  return recorded;
}

bool changes(ActionKind a) {
  return a == ActionKind::Create || a == ActionKind::Update || a == ActionKind::Replace;
}

std::map<std::string, std::size_t> positions(const Plan& p) {
  std::map<std::string, std::size_t> pos;
  for (std::size_t i = 0; i < p.actions.size(); ++i) pos[p.actions[i].resource.key] = i;
  return pos;
}

// 1. Applying the plan reaches the desired state: planning again changes nothing.
RC_GTEST_PROP(PlannerPropertyTest, ApplyThenPlanIsEmpty, ()) {
  auto s = *genScenario();
  auto first = plan(kDeployment, s.desired, s.recorded);
  auto after = applyPlan(first, s.recorded);
  auto second = plan(kDeployment, s.desired, after);
  RC_ASSERT(second.actions.size() == s.desired.size());
  for (auto& a : second.actions)
    if (a.action != ActionKind::Noop)
      RC_FAIL(a.resource.key + " planned again as " + std::string(toString(a.action)) + ": " + a.reason);
  RC_ASSERT(second.empty());
}

// 2. A resource is deleted only after every deleted resource that depends on it,
// and never while a resource that stays depends on it.
RC_GTEST_PROP(PlannerPropertyTest, NeverDeletesWhatIsStillDependedOn, ()) {
  auto s = *genScenario();
  auto p = plan(kDeployment, s.desired, s.recorded);
  auto pos = positions(p);
  std::set<std::string> deleted;
  for (auto& a : p.actions)
    if (a.action == ActionKind::Delete) deleted.insert(a.resource.key);
  for (auto& x : deleted) {
    for (auto& r : s.recorded) {
      auto& deps = r.resource.dependsOn;
      if (std::find(deps.begin(), deps.end(), x) == deps.end()) continue;
      if (deleted.count(r.resource.key) && pos.at(r.resource.key) > pos.at(x))
        RC_FAIL(x + " is deleted before " + r.resource.key + ", which depends on it");
    }
    for (auto& r : s.desired)
      if (std::find(r.dependsOn.begin(), r.dependsOn.end(), x) != r.dependsOn.end())
        RC_FAIL(x + " is deleted while " + r.key + " stays and depends on it");
  }
}

// 3. What a created/updated/replaced resource depends on is changed before it.
RC_GTEST_PROP(PlannerPropertyTest, DependenciesFirst, ()) {
  auto s = *genScenario();
  auto p = plan(kDeployment, s.desired, s.recorded);
  auto pos = positions(p);
  for (std::size_t i = 0; i < p.actions.size(); ++i) {
    auto& a = p.actions[i];
    if (!changes(a.action)) continue;
    for (auto& d : a.resource.dependsOn) {
      auto it = pos.find(d);
      if (it == pos.end() || !changes(p.actions[it->second].action)) continue;
      if (it->second > i) RC_FAIL(a.resource.key + " is changed before its dependency " + d);
    }
  }
}

// 4. Every desired resource appears exactly once (never as a delete), every
// recorded-but-not-desired one is deleted exactly once, nothing else appears.
RC_GTEST_PROP(PlannerPropertyTest, EachResourceExactlyOnce, ()) {
  auto s = *genScenario();
  auto p = plan(kDeployment, s.desired, s.recorded);
  std::map<std::string, int> seen;
  std::map<std::string, ActionKind> action;
  for (auto& a : p.actions) {
    ++seen[a.resource.key];
    action[a.resource.key] = a.action;
  }
  std::set<std::string> desiredKeys;
  for (auto& r : s.desired) {
    desiredKeys.insert(r.key);
    RC_ASSERT(seen[r.key] == 1);
    RC_ASSERT(action[r.key] != ActionKind::Delete);
  }
  std::set<std::string> goneKeys;
  for (auto& r : s.recorded) {
    if (desiredKeys.count(r.resource.key)) continue;
    goneKeys.insert(r.resource.key);
    RC_ASSERT(seen[r.resource.key] == 1);
    RC_ASSERT(action[r.resource.key] == ActionKind::Delete);
  }
  RC_ASSERT(p.actions.size() == desiredKeys.size() + goneKeys.size());
}

// 2b. A replace removes the old resource first (executor.cc: removeOld, then
// create), so it is a delete too: a replaced resource must not still be used by a
// recorded resource that is going away, i.e. such a dependent's delete must come
// before the replace.
//
// Found by this property (plan() used to put every delete after every replace);
// the smallest case is also a unit test in expand_planner_test.cc.
RC_GTEST_PROP(PlannerPropertyTest, ReplaceNeverRemovesWhatAGoneResourceStillUses, ()) {
  auto s = *genScenario();
  auto p = plan(kDeployment, s.desired, s.recorded);
  auto pos = positions(p);
  for (auto& r : s.recorded) {
    auto it = pos.find(r.resource.key);
    if (it == pos.end() || p.actions[it->second].action != ActionKind::Delete) continue;
    for (auto& d : r.resource.dependsOn) {
      auto dit = pos.find(d);
      if (dit == pos.end() || p.actions[dit->second].action != ActionKind::Replace) continue;
      if (dit->second < it->second)
        RC_FAIL(d + " is replaced (its old one removed) before " + r.resource.key +
                ", which depends on it, is deleted");
    }
  }
}

// 5. The same inputs give the same plan, also when given in another order.
RC_GTEST_PROP(PlannerPropertyTest, Deterministic, ()) {
  auto s = *genScenario();
  auto a = plan(kDeployment, s.desired, s.recorded);
  auto b = plan(kDeployment, s.desired, s.recorded);
  auto shuffledDesired = s.desired;
  auto shuffledRecorded = s.recorded;
  std::reverse(shuffledDesired.begin(), shuffledDesired.end());
  std::reverse(shuffledRecorded.begin(), shuffledRecorded.end());
  auto c = plan(kDeployment, shuffledDesired, shuffledRecorded);
  RC_ASSERT(a.actions.size() == b.actions.size());
  RC_ASSERT(a.actions.size() == c.actions.size());
  for (std::size_t i = 0; i < a.actions.size(); ++i) {
    RC_ASSERT(a.actions[i].resource.key == b.actions[i].resource.key);
    RC_ASSERT(a.actions[i].action == b.actions[i].action);
    RC_ASSERT(a.actions[i].reason == b.actions[i].reason);
    RC_ASSERT(a.actions[i].resource.key == c.actions[i].resource.key);
    RC_ASSERT(a.actions[i].action == c.actions[i].action);
    RC_ASSERT(a.actions[i].reason == c.actions[i].reason);
  }
}

}  // namespace
}  // namespace fedihost::orchestrator
