// The settings changed since the last apply, named by the catalog's labels.
#include "api/setting_changes.hh"

#include <gtest/gtest.h>

#include "catalog/catalog.hh"

namespace fedihost::api {
namespace {

namespace json = boost::json;

AppInstance mastodon(json::object settings) {
  auto* app = catalog::find("mastodon");
  return {"mastodon", catalog::validateSettings(*app, json::value(std::move(settings)), "s").orThrow(), app->version,
          app->schemaVersion};
}

/// The recorded machine configuration of an apply of `apps`.
RecordedResource appliedWith(const std::vector<AppInstance>& apps) {
  json::object configured;
  for (auto& a : apps) configured[a.app] = json::object{{"settings", a.settings}};
  RecordedResource r;
  r.resource.key = "dep_1/nixos-config/main";
  r.resource.kind = ResourceKind::NixosConfig;
  r.resource.attributes = {{"configuration", json::object{{"apps", std::move(configured)}}}};
  return r;
}

TEST(SettingChangesTest, NamesTheSettingByItsLabelWithBothValues) {
  Deployment d;
  d.apps = {mastodon({{"maxTootChars", 1000}, {"singleUserMode", true}})};
  auto changes = settingChanges(d, {appliedWith({mastodon({})})});
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].setting, "singleUserMode");
  EXPECT_EQ(changes[0].text, "Mastodon: single-user mode no → yes");
  EXPECT_EQ(changes[1].setting, "maxTootChars");
  EXPECT_EQ(changes[1].label, "maximum post length");
  EXPECT_EQ(changes[1].text, "Mastodon: maximum post length 500 → 1000");
  EXPECT_EQ(changes[1].from, json::value(500));
  EXPECT_EQ(changes[1].to, json::value(1000));
}

TEST(SettingChangesTest, NothingWhenUnchangedOrNeverApplied) {
  Deployment d;
  d.apps = {mastodon({{"maxTootChars", 1000}})};
  EXPECT_TRUE(settingChanges(d, {appliedWith(d.apps)}).empty());
  EXPECT_TRUE(settingChanges(d, {}).empty());
}

TEST(SettingChangesTest, AppsAddedAndRemoved) {
  auto* peertube = catalog::find("peertube");
  AppInstance pt{"peertube", catalog::validateSettings(*peertube, json::value(), "s").orThrow(), peertube->version,
                 peertube->schemaVersion};
  Deployment d;
  d.apps = {pt};
  auto changes = settingChanges(d, {appliedWith({mastodon({})})});
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].text, "PeerTube: added");
  EXPECT_EQ(changes[1].text, "Mastodon: removed");
}

}  // namespace
}  // namespace fedihost::api
