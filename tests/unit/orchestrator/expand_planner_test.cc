#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>

#include "catalog/catalog.hh"
#include "orchestrator/expand.hh"
#include "orchestrator/planner.hh"
#include "providers/provider.hh"

namespace fedihost::orchestrator {
namespace {

Deployment social() {
  Deployment d;
  d.id = "dep_0000000000000001";
  d.organisation = "org_1";
  d.name = "social";
  d.domain = "social.example.test";
  for (std::string app : {"mastodon", "pixelfed"}) {
    auto settings = catalog::validateSettings(*catalog::find(app), boost::json::value(), "s").value();
    d.apps.push_back({app, settings, {}, 0});
  }
  return d;
}

std::vector<RecordedResource> recordAll(const std::vector<Resource>& rs) {
  std::vector<RecordedResource> out;
  for (auto& r : rs) out.push_back({r, {}, ""});
  return out;
}

std::map<std::string, std::size_t> positions(const Plan& p) {
  std::map<std::string, std::size_t> pos;
  for (std::size_t i = 0; i < p.actions.size(); ++i) pos[p.actions[i].resource.key] = i;
  return pos;
}

TEST(ExpandTest, ADeploymentNeedsEveryKindWithStableUniqueKeys) {
  auto rs = expand(social());
  std::set<std::string> keys;
  std::set<ResourceKind> kinds;
  for (auto& r : rs) {
    EXPECT_TRUE(keys.insert(r.key).second) << r.key << " twice";
    EXPECT_EQ(r.key, resourceKey(r.deployment, r.kind, r.name));
    kinds.insert(r.kind);
  }
  EXPECT_EQ(kinds.size(), allResourceKinds().size());
  EXPECT_TRUE(keys.count("dep_0000000000000001/database/mastodon"));
  EXPECT_TRUE(keys.count("dep_0000000000000001/dns-record-set/A-pixelfed.social.example.test"));
  EXPECT_TRUE(keys.count("dep_0000000000000001/dns-record-set/A-social.example.test"));
  // Same input, same resources.
  auto again = expand(social());
  ASSERT_EQ(again.size(), rs.size());
  for (std::size_t i = 0; i < rs.size(); ++i) EXPECT_EQ(again[i].attributes, rs[i].attributes);
}

TEST(ExpandTest, ADeploymentWithoutAppsNeedsTheKindsEveryTargetMustName) {
  auto d = social();
  d.apps.clear();
  std::set<ResourceKind> kinds;
  for (auto& r : expand(d)) kinds.insert(r.kind);
  const auto& every = providers::kindsEveryDeploymentNeeds();
  EXPECT_EQ(kinds, std::set<ResourceKind>(every.begin(), every.end()));
}

TEST(ExpandTest, SecretsAreReferencesNeverValues) {
  for (auto& r : expand(social())) {
    if (r.kind == ResourceKind::Database) {
      auto& pw = r.attributes.at("password").as_object();
      EXPECT_EQ(pw.size(), 1u);
      EXPECT_EQ(pw.at("secret").as_string(), "mastodon-database-password") << r.key;
      break;
    }
  }
}

TEST(ExpandTest, TheNixosConfigurationCarriesTheAddressAndEverySecretTheFilesNameForDelivery) {
  auto rs = expand(social());
  std::set<std::string> referenced;  // every secret another resource refers to
  const Resource* config = nullptr;
  for (auto& r : rs) {
    if (r.kind == ResourceKind::NixosConfig) config = &r;
    for (auto& kv : r.attributes)
      if (auto* o = kv.value().if_object(); o && o->contains("secret") && r.kind != ResourceKind::NixosConfig)
        referenced.insert(std::string(o->at("secret").as_string()));
  }
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->attributes.at("address"),
            boost::json::value(boost::json::object{{"ref", "dep_0000000000000001/ip-address/main"}, {"output", "address"}}));
  // The machine's host key where its provider made one (lxc), else null (trust on first use).
  EXPECT_EQ(config->attributes.at("hostKeyFingerprint"),
            boost::json::value(boost::json::object{
                {"ref", "dep_0000000000000001/machine/main"}, {"output", "hostKeyFingerprint"}, {"default", nullptr}}));
  std::set<std::string> delivered;
  for (auto& kv : config->attributes.at("secrets").as_object()) {
    EXPECT_EQ(kv.value(), boost::json::value(boost::json::object{{"secret", kv.key()}})) << kv.key();
    delivered.insert(std::string(kv.key()));
  }
  // Besides those, the apps' own secrets (Pixelfed's APP_KEY), which only the machine reads.
  for (auto& app : {"mastodon", "pixelfed"})
    for (auto& need : catalog::find(app)->needs.secrets) referenced.insert(std::string(app) + "-" + need.purpose);
  EXPECT_EQ(delivered, referenced);
  EXPECT_TRUE(delivered.count("mastodon-mail-password"));
  EXPECT_TRUE(delivered.count("pixelfed-app-key"));
  // The files the configuration names are the ones delivered.
  auto text = boost::json::serialize(config->attributes.at("configuration"));
  for (auto& name : delivered) EXPECT_NE(text.find("/run/fedihost/secrets/" + name), std::string::npos) << name;
}

/// The secret files each NixOS module of nix/apps reads as `a.secretFiles.<purpose>`.
std::map<std::string, std::set<std::string>> secretFilesTheModulesRead() {
  std::map<std::string, std::set<std::string>> out;
  const std::filesystem::path apps = std::filesystem::path(FEDIHOST_TEST_DATA) / ".." / ".." / "nix" / "apps";
  const std::regex use(R"(a\.secretFiles\.([a-z0-9-]+))");
  for (auto& e : std::filesystem::directory_iterator(apps)) {
    std::ifstream in(e.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::sregex_iterator m(text.begin(), text.end(), use), end; m != end; ++m)
      out[e.path().stem().string()].insert((*m)[1].str());
  }
  return out;
}

TEST(ExpandTest, EveryAppSecretAModuleReadsIsMadeByTheControlPlaneAndDelivered) {
  const auto modules = secretFilesTheModulesRead();
  // The modules that once generated secrets on the machine read them from fedihost now.
  const std::map<std::string, std::set<std::string>> expected{
      {"edumeet", {"media-node-secret"}},
      {"forgejo", {"secret-key", "internal-token", "jwt-secret", "lfs-jwt-secret", "admin-password"}},
      {"hedgedoc", {"session-secret"}},
      {"mastodon",
       {"secret-key-base", "otp-secret", "vapid-private-key", "vapid-public-key", "active-record-primary-key",
        "active-record-deterministic-key", "active-record-derivation-salt"}},
      {"matrix", {"signing-key"}},
      {"nextcloud", {"admin-password", "config-secret", "password-salt", "instance-id"}},
      {"owncast", {"admin-password"}},
      {"peertube", {"server-secret", "admin-password"}},
      {"pixelfed", {"app-key", "passport-private-key", "passport-public-key"}},
      {"vikunja", {"jwt-secret"}}};
  EXPECT_EQ(modules, expected);
  for (auto& app : catalog::all()) {
    Deployment d;
    d.id = "dep_0000000000000002";
    d.organisation = "org_1";
    d.name = "one";
    d.domain = "one.example.test";
    d.apps.push_back({app.id, catalog::validateSettings(app, boost::json::value(), "s").value(), {}, 0});
    const Resource* config = nullptr;
    auto rs = expand(d);
    for (auto& r : rs)
      if (r.kind == ResourceKind::NixosConfig) config = &r;
    ASSERT_NE(config, nullptr) << app.id;
    const auto& delivered = config->attributes.at("secrets").as_object();
    const auto& rendered = config->attributes.at("configuration").at("apps").at(app.id).as_object();
    std::set<std::string> needed;
    for (auto& need : app.needs.secrets) needed.insert(need.purpose);
    auto it = modules.find(app.id);
    EXPECT_EQ(needed, it == modules.end() ? std::set<std::string>{} : it->second) << app.id;
    for (auto& purpose : needed) {
      const std::string name = app.id + "-" + purpose;
      // Delivered as a secret the control plane generates and seals ({"secret": name}) ...
      EXPECT_EQ(delivered.if_contains(name) ? *delivered.if_contains(name) : boost::json::value(),
                boost::json::value(boost::json::object{{"secret", name}}))
          << name;
      // ... at the path the module reads.
      EXPECT_EQ(rendered.at("secretFiles").at(purpose), boost::json::value("/run/fedihost/secrets/" + name)) << name;
    }
    if (needed.empty()) { EXPECT_FALSE(rendered.contains("secretFiles")) << app.id; }
  }
}

TEST(ExpandTest, EachAppSecretIsGeneratedInTheFormItsAppReads) {
  using secrets::SecretFormat;
  EXPECT_EQ(catalog::secretFormat("pixelfed-app-key"), SecretFormat::Laravel);
  for (auto name : {"peertube-server-secret", "hedgedoc-session-secret", "vikunja-jwt-secret", "edumeet-media-node-secret",
                    "owncast-admin-password", "nextcloud-admin-password", "mastodon-s3-secret-key",
                    "forgejo-secret-key", "forgejo-internal-token", "peertube-admin-password"})
    EXPECT_EQ(catalog::secretFormat(name), SecretFormat::Hex) << name;
  // Mastodon: `rails secret`'s 128 hex digits, `db:encryption:init`'s 32 alphanumerics, a P-256 pair.
  EXPECT_EQ(catalog::secretFormat("mastodon-secret-key-base"), SecretFormat::LongHex);
  EXPECT_EQ(catalog::secretFormat("mastodon-otp-secret"), SecretFormat::LongHex);
  for (auto name : {"mastodon-active-record-primary-key", "mastodon-active-record-deterministic-key",
                    "mastodon-active-record-derivation-salt", "nextcloud-config-secret", "nextcloud-password-salt"})
    EXPECT_EQ(catalog::secretFormat(name), SecretFormat::Password) << name;
  EXPECT_EQ(catalog::secretFormat("mastodon-vapid-private-key"), SecretFormat::VapidPrivateKey);
  EXPECT_EQ(catalog::secretSpec("mastodon-vapid-public-key").format, SecretFormat::VapidPublicKey);
  EXPECT_EQ(catalog::secretSpec("mastodon-vapid-public-key").derivedFrom, "mastodon-vapid-private-key");
  EXPECT_EQ(catalog::secretSpec("mastodon-vapid-private-key").derivedFrom, "");
  EXPECT_EQ(catalog::secretFormat("forgejo-jwt-secret"), SecretFormat::Base64Url);
  EXPECT_EQ(catalog::secretFormat("forgejo-lfs-jwt-secret"), SecretFormat::Base64Url);
  EXPECT_EQ(catalog::secretFormat("nextcloud-instance-id"), SecretFormat::NextcloudInstanceId);
  EXPECT_EQ(catalog::secretFormat("matrix-signing-key"), SecretFormat::SynapseSigningKey);
  EXPECT_EQ(catalog::secretFormat("pixelfed-passport-private-key"), SecretFormat::RsaPrivateKey);
  EXPECT_EQ(catalog::secretSpec("pixelfed-passport-public-key").format, SecretFormat::RsaPublicKey);
  EXPECT_EQ(catalog::secretSpec("pixelfed-passport-public-key").derivedFrom, "pixelfed-passport-private-key");
  for (auto name : {"pixelfed-database-password", "pixelfed-mail-password", "owncast-database-password"})
    EXPECT_EQ(catalog::secretFormat(name), SecretFormat::Password) << name;
}

TEST(PlannerTest, FirstPlanCreatesEverythingAfterItsDependencies) {
  auto desired = expand(social());
  auto p = plan("dep", desired, {});
  ASSERT_EQ(p.actions.size(), desired.size());
  auto pos = positions(p);
  for (auto& a : p.actions) {
    EXPECT_EQ(a.action, ActionKind::Create);
    EXPECT_EQ(a.reason, "not yet created");
    for (auto& dep : a.resource.dependsOn) EXPECT_LT(pos.at(dep), pos.at(a.resource.key)) << a.resource.key;
  }
  EXPECT_EQ(p.actions.back().resource.kind, ResourceKind::NixosConfig);
}

TEST(PlannerTest, NothingChangedMeansAnEmptyPlan) {
  auto desired = expand(social());
  auto p = plan("dep", desired, recordAll(desired));
  EXPECT_TRUE(p.empty());
  for (auto& a : p.actions) EXPECT_EQ(a.action, ActionKind::Noop);
}

TEST(PlannerTest, ChangedSettingsUpdateInPlaceWithTheAttributeNamed) {
  auto d = social();
  auto recorded = recordAll(expand(d));
  d.apps[0].settings["maxTootChars"] = 1000;
  auto p = plan("dep", expand(d), recorded);
  int updates = 0;
  for (auto& a : p.actions)
    if (a.action == ActionKind::Update) {
      ++updates;
      EXPECT_EQ(a.resource.kind, ResourceKind::NixosConfig);
      EXPECT_EQ(a.reason, "configuration changed");
    } else {
      EXPECT_EQ(a.action, ActionKind::Noop) << a.resource.key;
    }
  EXPECT_EQ(updates, 1);
}

TEST(PlannerTest, WhatUsesTheOutputsOfAnUpdatedResourceIsUpdatedAfterIt) {
  // A changed mail account (say, its password rotated) may put out another relay: the machine's
  // configuration, which names its outputs, follows; the machine, which does not, stays.
  auto desired = expand(social());
  auto recorded = recordAll(desired);
  const std::string mail = "dep_0000000000000001/mail-account/mastodon";
  for (auto& r : recorded)
    if (r.resource.key == mail) r.resource.attributes["password"] = boost::json::object{{"secret", "old"}};
  auto p = plan("dep", desired, recorded);
  std::map<std::string, PlanAction> byKey;
  for (auto& a : p.actions) byKey[a.resource.key] = a;
  EXPECT_EQ(byKey.at(mail).action, ActionKind::Update);
  auto& config = byKey.at("dep_0000000000000001/nixos-config/main");
  EXPECT_EQ(config.action, ActionKind::Update);
  EXPECT_EQ(config.reason, "uses the outputs of " + mail + ", which is being updated");
  EXPECT_LT(positions(p).at(mail), positions(p).at(config.resource.key));
  EXPECT_EQ(byKey.at("dep_0000000000000001/machine/main").action, ActionKind::Noop);
  EXPECT_EQ(byKey.at("dep_0000000000000001/mail-account/pixelfed").action, ActionKind::Noop);
}

TEST(PlannerTest, AnIdentityChangeReplacesAndItsDependentsFollow) {
  auto desired = expand(social());
  auto recorded = recordAll(desired);
  for (auto& r : recorded)
    if (r.resource.key.ends_with("/bucket/mastodon-media")) r.resource.attributes["name"] = "old-bucket-name";
  auto p = plan("dep", desired, recorded);
  std::map<std::string, PlanAction> byKey;
  for (auto& a : p.actions) byKey[a.resource.key] = a;
  auto& bucket = byKey.at("dep_0000000000000001/bucket/mastodon-media");
  EXPECT_EQ(bucket.action, ActionKind::Replace);
  EXPECT_EQ(bucket.reason, "name changed, which needs a new one");
  auto& key = byKey.at("dep_0000000000000001/access-key/mastodon");
  EXPECT_EQ(key.action, ActionKind::Update);
  EXPECT_NE(key.reason.find("being created anew"), std::string::npos);
}

TEST(PlannerTest, MissingResourcesAreCreatedAndStaleOnesDeletedDependentsFirst) {
  auto desired = expand(social());
  auto recorded = recordAll(desired);
  // Drop Pixelfed from the desired state: its resources must go, dependents first.
  auto d = social();
  d.apps.pop_back();
  auto p = plan("dep", expand(d), recorded);
  auto pos = positions(p);
  std::set<std::string> deleted;
  for (auto& a : p.actions)
    if (a.action == ActionKind::Delete) {
      deleted.insert(a.resource.key);
      EXPECT_EQ(a.reason, "no longer needed");
    }
  EXPECT_TRUE(deleted.count("dep_0000000000000001/access-key/pixelfed"));
  EXPECT_TRUE(deleted.count("dep_0000000000000001/bucket/pixelfed-media"));
  EXPECT_TRUE(deleted.count("dep_0000000000000001/database/pixelfed"));
  EXPECT_LT(pos.at("dep_0000000000000001/access-key/pixelfed"), pos.at("dep_0000000000000001/bucket/pixelfed-media"));
}

TEST(PlannerTest, DestroyDeletesInReverseDependencyOrder) {
  auto desired = expand(social());
  auto p = plan("dep", {}, recordAll(desired));
  ASSERT_EQ(p.actions.size(), desired.size());
  auto pos = positions(p);
  for (auto& a : p.actions) {
    EXPECT_EQ(a.action, ActionKind::Delete);
    for (auto& dep : a.resource.dependsOn) EXPECT_GT(pos.at(dep), pos.at(a.resource.key)) << a.resource.key;
  }
  EXPECT_EQ(p.actions.front().resource.kind, ResourceKind::NixosConfig);
}

TEST(PlannerTest, CyclesAndUnknownDependenciesAreRefused) {
  Resource a{"d/machine/a", ResourceKind::Machine, "d", "a", {}, {"d/machine/b"}};
  Resource b{"d/machine/b", ResourceKind::Machine, "d", "b", {}, {"d/machine/a"}};
  EXPECT_THROW(plan("d", {a, b}, {}), AbortError);
  Resource c{"d/machine/c", ResourceKind::Machine, "d", "c", {}, {"d/machine/zzz"}};
  EXPECT_THROW(plan("d", {c}, {}), AbortError);
}

TEST(PlannerTest, DependencyOrderHandlesLongChainsWithoutRecursion) {
  std::vector<Resource> chain;
  for (int i = 0; i < 20000; ++i) {
    Resource r{"d/machine/" + std::to_string(i), ResourceKind::Machine, "d", std::to_string(i), {}, {}};
    if (i > 0) r.dependsOn.push_back("d/machine/" + std::to_string(i - 1));
    chain.push_back(std::move(r));
  }
  auto order = dependencyOrder(chain);
  ASSERT_EQ(order.size(), chain.size());
  EXPECT_EQ(order.front().name, "0");
  EXPECT_EQ(order.back().name, "19999");
}

}  // namespace
}  // namespace fedihost::orchestrator

namespace fedihost::orchestrator {
namespace {

TEST(ExpandTest, ExtraHostsOfAnAppGetTheirOwnDnsRecords) {
  Deployment d;
  d.id = "dep_0000000000000002";
  d.name = "docs";
  d.domain = "docs.example.test";
  d.apps.push_back({"cryptpad", catalog::validateSettings(*catalog::find("cryptpad"), boost::json::value(), "s").value(), {}, 0});
  std::set<std::string> names;
  for (auto& r : expand(d))
    if (r.kind == ResourceKind::DnsRecordSet) names.insert(std::string(r.attributes.at("name").as_string()));
  EXPECT_TRUE(names.count("cryptpad.docs.example.test.")) << names.size();
  EXPECT_TRUE(names.count("sandbox.cryptpad.docs.example.test."));
}

}  // namespace
}  // namespace fedihost::orchestrator

namespace fedihost::orchestrator {
namespace {

TEST(PlannerTest, AResourceGoingAwayIsDeletedBeforeWhatItUsesIsReplaced) {
  Resource bucket{"d/bucket/r0", ResourceKind::Bucket, "d", "r0", {{"name", "a"}}, {}};
  Resource oldBucket = bucket;
  oldBucket.attributes["name"] = "old-name";
  Resource key{"d/access-key/x0", ResourceKind::AccessKey, "d", "x0", {}, {"d/bucket/r0"}};
  auto p = plan("d", {bucket}, {{oldBucket, {}, ""}, {key, {}, ""}});
  ASSERT_EQ(p.actions.size(), 2u);
  EXPECT_EQ(p.actions[0].action, ActionKind::Delete);
  EXPECT_EQ(p.actions[0].resource.key, "d/access-key/x0");
  EXPECT_EQ(p.actions[1].action, ActionKind::Replace);
}

TEST(PlannerTest, AResourceStopsUsingAnotherBeforeThatOneIsDeleted) {
  Resource gone{"d/bucket/old", ResourceKind::Bucket, "d", "old", {{"name", "old"}}, {}};
  Resource user{"d/access-key/k", ResourceKind::AccessKey, "d", "k", {{"name", "k"}}, {}};
  Resource oldUser = user;
  oldUser.dependsOn = {"d/bucket/old"};
  auto p = plan("d", {user}, {{gone, {}, ""}, {oldUser, {}, ""}});
  ASSERT_EQ(p.actions.size(), 2u);
  EXPECT_EQ(p.actions[0].action, ActionKind::Update);
  EXPECT_EQ(p.actions[0].reason, "its dependencies changed");
  EXPECT_EQ(p.actions[1].action, ActionKind::Delete);
}

}  // namespace
}  // namespace fedihost::orchestrator
