// Plans skipped by fingerprint (orchestrator/fingerprint.hh) against plans computed
// in full: after random changes of a deployment's planning inputs — its settings and
// apps, its status, its recorded resources (also written with raw SQL, past the
// store), its drift — the outline taken from the cache equals the plan's outline
// computed from scratch, for both variants; and when nothing changed the plan is
// indeed skipped.
//
// RC_PARAMS="seed=12345" ./unit_orchestrator --gtest_filter='PlanFingerprint*' replays a case.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.hh"
#include "catalog/upgrade.hh"
#include "orchestrator/expand.hh"
#include "orchestrator/fingerprint.hh"
#include "store/migrations.hh"
#include "store/plan_inputs.hh"
#include "store/state_store.hh"
#include "support/temp_dir.hh"

namespace fedihost::orchestrator {
namespace {

namespace json = boost::json;

/// A state database with one applied deployment of Mastodon and Pixelfed.
struct World {
  testing::TempDir tmp{"fedihost-fingerprint"};
  std::unique_ptr<store::Connection> conn;
  std::unique_ptr<store::StateStore> state;
  Deployment d;

  World() {
    conn = store::connect("sqlite:" + (tmp.path() / "state.db").string());
    store::migrate(*conn, store::DatabaseKind::State);
    state = std::make_unique<store::StateStore>(*conn);
    auto org = state->createOrganisation("org", "").value().id;
    d.organisation = org;
    d.name = "social";
    d.domain = "social.example.test";
    for (auto* app : {"mastodon", "pixelfed"})
      d.apps.push_back({app, catalog::validateSettings(*catalog::find(app), json::value(), "apps").value(), {}, 0});
    catalog::stampCurrentVersions(d);
    d = state->createDeployment(d, {}).value();
    for (auto& r : expand(d)) state->recordResource(r, {});
    d.status = DeploymentStatus::Ready;
  }
};

enum Change {
  Nothing,
  EditSetting,       // a Mastodon setting, in the deployment as the caller holds it
  ToggleApp,         // Pixelfed removed or added back
  ToggleDeleting,    // the deployment is being deleted, or not
  ForgetResource,    // a recorded resource is forgotten
  RecordChanged,     // a recorded resource's attributes differ from the desired ones
  RecordDesired,     // a recorded resource is written back as desired
  RawSqlEdit,        // a recorded resource changed by SQL past the store (the triggers see it)
  ReplaceDrift,      // a refresh found some resources missing or changed
  ClearDrift,        // an apply repaired one
  kChanges
};

/// Applies one change; returns a description for the counterexample.
std::string apply(World& w, int change) {
  auto& st = *w.state;
  auto recorded = st.recordedResources(w.d.id);
  auto desired = expand(w.d);
  auto pick = [](auto& v) -> decltype(v[0])& { return v[*rc::gen::inRange<std::size_t>(0, v.size())]; };
  switch (change) {
    case Nothing: return "nothing";
    case EditSetting: {
      auto value = *rc::gen::element(500, 1000, 1500);
      for (auto& a : w.d.apps)
        if (a.app == "mastodon") a.settings["maxTootChars"] = value;
      return "maxTootChars = " + std::to_string(value);
    }
    case ToggleApp: {
      if (w.d.apps.size() > 1) {
        w.d.apps.pop_back();
        return "pixelfed removed";
      }
      w.d.apps.push_back(
          {"pixelfed", catalog::validateSettings(*catalog::find("pixelfed"), json::value(), "apps").value(), {}, 0});
      catalog::stampCurrentVersions(w.d);
      return "pixelfed added";
    }
    case ToggleDeleting:
      w.d.status = w.d.status == DeploymentStatus::Deleting ? DeploymentStatus::Ready : DeploymentStatus::Deleting;
      return std::string("status ") + std::string(toString(w.d.status));
    case ForgetResource:
      if (recorded.empty()) return "forget: none recorded";
      {
        auto key = pick(recorded).resource.key;
        st.forgetResource(key);
        return "forgot " + key;
      }
    case RecordChanged: {
      auto r = pick(desired);
      r.attributes["note"] = *rc::gen::inRange(0, 3);
      st.recordResource(r, {});
      return "recorded changed " + r.key;
    }
    case RecordDesired: {
      auto r = pick(desired);
      st.recordResource(r, {});
      return "recorded as desired " + r.key;
    }
    case RawSqlEdit:
      if (recorded.empty()) return "raw SQL: none recorded";
      {
        auto key = pick(recorded).resource.key;
        w.conn->execute("UPDATE resources SET attributes = '{\"edited\":true}' WHERE key = ?1", {key});
        return "raw SQL edit of " + key;
      }
    case ReplaceDrift: {
      std::vector<Drift> found;
      auto n = *rc::gen::inRange<std::size_t>(0, 3);
      for (std::size_t i = 0; i < n && !recorded.empty(); ++i) {
        auto& r = pick(recorded);
        bool missing = *rc::gen::arbitrary<bool>();
        found.push_back({r.resource.key, w.d.id, missing ? DriftStatus::Missing : DriftStatus::Changed,
                         missing ? "missing at provider" : "records differ", "2026-01-01T00:00:00Z"});
      }
      // A key found twice is kept once (the table's key): as the store does.
      st.replaceDrift(w.d.id, found, "2026-01-01T00:00:00Z");
      return "drift of " + std::to_string(found.size()) + " resources";
    }
    case ClearDrift: {
      auto drift = st.drift(w.d.id);
      if (drift.empty()) return "clear drift: none";
      auto key = pick(drift).key;
      st.clearDrift(key);
      return "cleared drift of " + key;
    }
  }
  return "?";
}

RC_GTEST_PROP(PlanFingerprintProperty, APlanSkippedByFingerprintEqualsThePlanComputedInFull, ()) {
  World w;
  PlanCache cache;
  // Up to 10 changes a case (planning under the sanitizers is slow: keep the test fast).
  auto count = *rc::gen::inRange<std::size_t>(1, 11);
  auto changes = *rc::gen::container<std::vector<int>>(count, rc::gen::inRange(0, static_cast<int>(kChanges)));
  std::string history;
  for (std::size_t i = 0; i <= changes.size(); ++i) {
    int change = i == 0 ? Nothing : changes[i - 1];
    history += std::string(i ? "; " : "") + apply(w, change);
    PlanOutline withDrift;
    for (auto variant : {PlanVariant::WithDrift, PlanVariant::DriftAside}) {
      bool skipped = false;
      auto cached = cache.outline(*w.state, w.d, variant, &skipped);
      auto full = outlineOf(planDeployment(*w.state, w.d, variant));
      if (variant == PlanVariant::WithDrift) withDrift = full;
      RC_LOG() << history << (variant == PlanVariant::WithDrift ? " (with drift)" : " (drift aside)")
               << (skipped ? ": skipped" : ": computed") << "\n";
      RC_ASSERT(cached == full);
      // Asked again with nothing changed, the plan is not computed again, and is still the same.
      bool again = false;
      RC_ASSERT(cache.outline(*w.state, w.d, variant, &again) == full);
      RC_ASSERT(again);
      if (i > 0 && change == Nothing) RC_ASSERT(skipped);
    }
    // The bulk path agrees.
    std::int64_t skippedInBulk = 0;
    auto bulk = cache.outlines(*w.state, {w.d}, PlanVariant::WithDrift, &skippedInBulk);
    RC_ASSERT(bulk.size() == 1u);
    RC_ASSERT(bulk[0] == withDrift);
    RC_ASSERT(skippedInBulk == 1);
  }
}

/// Writes the deployment's desired state as the caller holds it to the store (its row, apps and
/// status), as an edit through the API would.
void persist(World& w) {
  auto status = w.d.status;
  w.d = w.state->updateDeployment(w.d, w.d.version, {}).value();
  w.state->setDeploymentStatus(w.d.id, status);
  w.d.status = status;
}

RC_GTEST_PROP(PlanFingerprintProperty, ASurveyedPlanEqualsThePlanOfTheStoredDeploymentComputedInFull, ()) {
  World w;
  PlanCache cache;
  auto count = *rc::gen::inRange<std::size_t>(1, 11);
  auto changes = *rc::gen::container<std::vector<int>>(count, rc::gen::inRange(0, static_cast<int>(kChanges) + 1));
  std::string history;
  for (std::size_t i = 0; i <= changes.size(); ++i) {
    int change = i == 0 ? Nothing : changes[i - 1];
    if (change == kChanges) {
      // Past the store: an app's settings edited by SQL (the triggers of migration 016 see it).
      w.conn->execute("UPDATE deployment_apps SET settings = '{\"maxTootChars\":777}' WHERE deployment_id = ?1 "
                      "AND app = 'mastodon'",
                      {w.d.id});
      w.d = w.state->getDeployment(w.d.id).value();
      history += "; raw SQL edit of mastodon's settings";
    } else {
      history += std::string(i ? "; " : "") + apply(w, change);
      persist(w);  // the desired state as the store holds it: what a survey reads
    }
    auto stored = w.state->getDeployment(w.d.id).value();
    auto full = outlineOf(planDeployment(*w.state, stored, PlanVariant::WithDrift));
    std::vector<PlanOutline> seen;
    auto first = cache.survey(*w.state, PlanVariant::WithDrift, [&](const std::string& id, const PlanOutline& o) {
      RC_ASSERT(id == w.d.id);
      seen.push_back(o);
      return true;
    });
    RC_LOG() << history << (first.skipped ? ": skipped" : ": planned") << "\n";
    RC_ASSERT(first.deployments == 1);
    RC_ASSERT(seen.size() == 1u);
    RC_ASSERT(seen[0] == full);
    RC_ASSERT(first.pending == (full.empty() ? 0 : 1));
    // Surveyed again with nothing changed: not read, and still the same.
    seen.clear();
    auto again = cache.survey(*w.state, PlanVariant::WithDrift, [&](const std::string&, const PlanOutline& o) {
      seen.push_back(o);
      return true;
    });
    RC_ASSERT(again.skipped == 1);
    RC_ASSERT(seen.size() == 1u);
    RC_ASSERT(seen[0] == full);
  }
}

TEST(PlanFingerprint, EveryWriteOfTheDesiredStateMovesTheGeneration) {
  World w;
  store::PlanInputs inputs(*w.conn);
  auto g = [&] { return inputs.generation(w.d.id); };
  auto before = g();
  for (auto& a : w.d.apps)
    if (a.app == "mastodon") a.settings["maxTootChars"] = 900;
  w.d = w.state->updateDeployment(w.d, w.d.version, {}).value();
  EXPECT_GT(g(), before) << "an edit of the settings";
  before = g();
  w.state->setDeploymentStatus(w.d.id, DeploymentStatus::Deleting);
  EXPECT_GT(g(), before) << "a deletion";
  before = g();
  w.conn->execute("DELETE FROM deployment_apps WHERE deployment_id = ?1 AND app = 'pixelfed'", {w.d.id});
  EXPECT_GT(g(), before) << "an app removed past the store";
  before = g();
  w.conn->execute("UPDATE deployments SET refreshed_at = 'x' WHERE id = ?1", {w.d.id});
  EXPECT_EQ(g(), before) << "what a plan does not read moves nothing";
  // The survey's pages: live deployments only, in id order, with their generation.
  auto live = inputs.live("", 10);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].deployment, w.d.id);
  EXPECT_EQ(live[0].generation, g());
  EXPECT_TRUE(inputs.live(w.d.id, 10).empty());
  w.state->setDeploymentStatus(w.d.id, DeploymentStatus::Deleted);
  EXPECT_TRUE(inputs.live("", 10).empty());
}

TEST(PlanFingerprint, ASurveyStopsWhenAskedAndCountsWhatItSaw) {
  World w;
  PlanCache cache;
  int calls = 0;
  auto n = cache.survey(*w.state, PlanVariant::WithDrift, [&](const std::string&, const PlanOutline&) {
    ++calls;
    return false;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(n.deployments, 1);
  EXPECT_EQ(n.pending, 0) << "every resource is recorded as desired";
}

TEST(PlanFingerprint, EveryWriteOfRecordedResourcesOrDriftMovesTheGeneration) {
  World w;
  store::PlanInputs inputs(*w.conn);
  auto g = [&] { return inputs.generation(w.d.id); };
  auto key = w.state->recordedResources(w.d.id).front().resource.key;
  auto before = g();
  EXPECT_GT(before, 0) << "recording the resources moved it";
  w.conn->execute("UPDATE resources SET outputs = '{}' WHERE key = ?1", {key});
  EXPECT_GT(g(), before);
  before = g();
  w.state->replaceDrift(w.d.id, {{key, w.d.id, DriftStatus::Missing, "gone", "2026-01-01T00:00:00Z"}},
                        "2026-01-01T00:00:00Z");
  EXPECT_GT(g(), before);
  before = g();
  w.state->clearDrift(key);
  EXPECT_GT(g(), before);
  before = g();
  w.state->forgetResource(key);
  EXPECT_GT(g(), before);
  before = g();
  w.state->replaceDrift(w.d.id, {}, "2026-01-02T00:00:00Z");  // a refresh that found nothing, again
  EXPECT_EQ(g(), before) << "nothing changed: the plans stay skipped";
  EXPECT_EQ(inputs.generations({w.d.id, "dep_none"}).at("dep_none"), 0);
  EXPECT_EQ(inputs.generations({w.d.id, "dep_none"}).at(w.d.id), before);
}

TEST(PlanFingerprint, TheFingerprintNamesEveryInputOfTheDesiredState) {
  World w;
  auto base = planFingerprint(w.d, 7, PlanVariant::WithDrift);
  EXPECT_EQ(planFingerprint(w.d, 7, PlanVariant::WithDrift), base);
  EXPECT_NE(planFingerprint(w.d, 8, PlanVariant::WithDrift), base);
  EXPECT_NE(planFingerprint(w.d, 7, PlanVariant::DriftAside), base);
  auto changed = [&](auto edit) {
    Deployment d = w.d;
    edit(d);
    return planFingerprint(d, 7, PlanVariant::WithDrift) != base;
  };
  EXPECT_TRUE(changed([](Deployment& d) { d.name = "other"; }));
  EXPECT_TRUE(changed([](Deployment& d) { d.domain = "other.example.test"; }));
  EXPECT_TRUE(changed([](Deployment& d) { d.target = "elsewhere"; }));
  EXPECT_TRUE(changed([](Deployment& d) { d.status = DeploymentStatus::Deleting; }));
  EXPECT_TRUE(changed([](Deployment& d) { d.catalogVersion = "1999.01"; }));
  EXPECT_TRUE(changed([](Deployment& d) { d.apps[0].settings["maxTootChars"] = 12345; }));
  EXPECT_TRUE(changed([](Deployment& d) { d.apps[0].version = "0.0.1"; }));
  EXPECT_TRUE(changed([](Deployment& d) { d.apps.pop_back(); }));
  // What a plan does not read does not matter: an apply's status changes skip nothing.
  EXPECT_FALSE(changed([](Deployment& d) { d.status = DeploymentStatus::Applying; }));
  EXPECT_FALSE(changed([](Deployment& d) { d.version += 1; }));
}

}  // namespace
}  // namespace fedihost::orchestrator
