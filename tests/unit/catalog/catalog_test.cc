// The catalog's entries, its admission rules and its JSON shape.
#include "catalog/catalog.hh"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "catalog/settings_schema.hh"

namespace fedihost::catalog {
namespace {

using ::testing::HasSubstr;

std::string str(const json::value& v) { return std::string(v.as_string().data(), v.as_string().size()); }

const App& app(std::string_view id) {
  auto* a = find(id);
  if (!a) throw std::runtime_error("no app " + std::string(id));
  return *a;
}

TEST(Catalog, ListsTheFediverseAppsSortedById) {
  std::vector<std::string> ids;
  for (auto& a : all()) ids.push_back(a.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"mastodon", "peertube", "pixelfed"}));
  for (auto& a : all()) EXPECT_TRUE(admit(a).ok()) << a.id << ": " << admit(a).error().message;
}

TEST(Catalog, FindsById) {
  ASSERT_NE(find("mastodon"), nullptr);
  EXPECT_EQ(find("mastodon")->name, "Mastodon");
  EXPECT_EQ(find("pixelfed")->name, "Pixelfed");
  EXPECT_EQ(find("peertube")->name, "PeerTube");
  EXPECT_EQ(find("gitlab"), nullptr);
  EXPECT_EQ(find(""), nullptr);
}

TEST(Catalog, EntriesDescribeFreeFediverseSoftware) {
  for (auto& a : all()) {
    SCOPED_TRACE(a.id);
    EXPECT_EQ(a.licence, "AGPL-3.0-only");
    EXPECT_FALSE(a.openCore);
    EXPECT_TRUE(a.activityPub);
    EXPECT_EQ(a.defaultSubdomain, a.id);
    EXPECT_FALSE(a.summary.empty());
    EXPECT_EQ(a.summary.find('\n'), std::string::npos) << "summary is one line";
    EXPECT_GT(a.description.size(), 200u) << "description is a paragraph";
    EXPECT_THAT(a.description, HasSubstr(a.name));
    EXPECT_THAT(a.upstream, ::testing::StartsWith("https://"));
    EXPECT_FALSE(a.version.empty());
    EXPECT_GE(a.needs.cpu, 1);
    EXPECT_GE(a.needs.memoryMiB, 1024);
    EXPECT_GE(a.needs.diskGiB, 10);
    EXPECT_EQ(a.needs.databases, std::vector<std::string>{"postgresql"});
    EXPECT_TRUE(a.needs.mail);
    EXPECT_TRUE(a.needs.redis);
    EXPECT_EQ(a.needs.ports, std::vector<int>{443});
    for (auto& b : a.needs.buckets) EXPECT_FALSE(b.purpose.empty()) << b.name;
  }
  EXPECT_THAT(app("mastodon").version, ::testing::StartsWith("4.3."));
  EXPECT_THAT(app("pixelfed").version, ::testing::StartsWith("0.12."));
  auto bucketNames = [](const App& a) {
    std::vector<std::string> names;
    for (auto& b : a.needs.buckets) names.push_back(b.name);
    return names;
  };
  EXPECT_EQ(bucketNames(app("mastodon")), std::vector<std::string>{"media"});
  EXPECT_EQ(bucketNames(app("pixelfed")), std::vector<std::string>{"media"});
  EXPECT_EQ(bucketNames(app("peertube")), (std::vector<std::string>{"videos", "streaming-playlists"}));
}

TEST(Catalog, EverySettingHasTitleDescriptionAndDefault) {
  for (auto& a : all()) {
    SCOPED_TRACE(a.id);
    EXPECT_EQ(a.settingsSchema.at("type"), "object");
    EXPECT_EQ(a.settingsSchema.at("additionalProperties"), false);
    const auto& props = a.settingsSchema.at("properties").as_object();
    EXPECT_GE(props.size(), 4u) << "subdomain and 3-5 settings";
    EXPECT_LE(props.size(), 6u);
    for (auto& kv : props) {
      SCOPED_TRACE(std::string(kv.key()));
      const auto& p = kv.value().as_object();
      ASSERT_TRUE(p.contains("title"));
      ASSERT_TRUE(p.contains("description"));
      ASSERT_TRUE(p.contains("default"));
      EXPECT_FALSE(p.at("title").as_string().empty());
      EXPECT_FALSE(p.at("description").as_string().empty());
      auto type = str(p.at("type"));
      EXPECT_TRUE(type == "string" || type == "integer" || type == "boolean") << type;
    }
    const auto& sub = props.at("subdomain").as_object();
    EXPECT_EQ(sub.at("title"), "Web address prefix");
    EXPECT_EQ(sub.at("type"), "string");
    EXPECT_EQ(sub.at("default"), json::value(a.defaultSubdomain));
    EXPECT_EQ(sub.at("pattern"), "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?$");
    EXPECT_EQ(sub.at("maxLength"), 63);
  }
}

TEST(Catalog, SchemasUseEveryKindOfSetting) {
  for (auto& a : all()) {
    SCOPED_TRACE(a.id);
    bool integer = false, boolean = false, enumeration = false, text = false;
    for (auto& kv : a.settingsSchema.at("properties").as_object()) {
      const auto& p = kv.value().as_object();
      auto type = str(p.at("type"));
      if (type == "integer") integer = p.contains("minimum") && p.contains("maximum");
      if (type == "boolean") boolean = true;
      if (type == "string" && p.contains("enum")) enumeration = true;
      if (type == "string" && !p.contains("enum") && kv.key() != "subdomain") text = p.contains("maxLength");
    }
    EXPECT_TRUE(integer && boolean && enumeration && text);
  }
  const auto& m = app("mastodon").settingsSchema.at("properties").as_object();
  EXPECT_EQ(m.at("maxTootChars").at("minimum"), 500);
  EXPECT_EQ(m.at("maxTootChars").at("maximum"), 10000);
  EXPECT_EQ(m.at("registrations").at("enum"), (json::array{"open", "approval", "closed"}));
  EXPECT_EQ(m.at("singleUserMode").at("type"), "boolean");
  const auto& p = app("peertube").settingsSchema.at("properties").as_object();
  EXPECT_EQ(p.at("transcoding").at("default"), true);
  EXPECT_EQ(p.at("defaultVideoPrivacy").at("enum"), (json::array{"public", "unlisted", "private", "internal"}));
  EXPECT_TRUE(app("pixelfed").settingsSchema.at("properties").as_object().contains("maxPhotoSizeKiB"));
}

// A copy of a real entry, to break one rule at a time.
App sample() { return app("mastodon"); }

json::object& property(App& a, std::string_view name) {
  return a.settingsSchema.at("properties").as_object().at(name).as_object();
}

TEST(Admit, RefusesOpenCore) {
  App a = sample();
  a.id = "gitlab";
  a.name = "GitLab";
  a.openCore = true;
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "openCore");
  EXPECT_THAT(r.error().message, HasSubstr("GitLab is open core"));
  EXPECT_THAT(r.error().message, HasSubstr("free software only"));
}

class AdmitMissingKey : public ::testing::TestWithParam<const char*> {};

TEST_P(AdmitMissingKey, RefusesSettingWithout) {
  App a = sample();
  property(a, "maxTootChars").erase(GetParam());
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "settingsSchema.properties.maxTootChars");
  EXPECT_THAT(r.error().message, HasSubstr("maxTootChars"));
  EXPECT_THAT(r.error().message, HasSubstr(std::string("no ") + GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Keys, AdmitMissingKey, ::testing::Values("title", "description", "default"));

TEST(Admit, RefusesEmptyTitle) {
  App a = sample();
  property(a, "registrations")["title"] = "";
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "settingsSchema.properties.registrations");
}

TEST(Admit, RefusesDefaultThatBreaksItsOwnRules) {
  App a = sample();
  property(a, "maxTootChars")["default"] = 20000;
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("default"));
  a = sample();
  property(a, "registrations")["default"] = "everyone";
  EXPECT_FALSE(admit(a).ok());
}

TEST(Admit, RefusesUnsupportedSchemaFeatures) {
  App a = sample();
  property(a, "maxTootChars")["type"] = "number";
  EXPECT_FALSE(admit(a).ok());
  a = sample();
  property(a, "defaultLocale").erase("maxLength");  // a pattern needs a bounded length
  EXPECT_FALSE(admit(a).ok());
  a = sample();
  property(a, "defaultLocale")["pattern"] = "^([a-z$";
  EXPECT_FALSE(admit(a).ok());
  a = sample();
  property(a, "singleUserMode")["format"] = "email";
  EXPECT_FALSE(admit(a).ok());
  a = sample();
  a.settingsSchema["additionalProperties"] = true;
  EXPECT_FALSE(admit(a).ok());
}

TEST(Admit, RequiresTheSubdomainSetting) {
  App a = sample();
  a.settingsSchema.at("properties").as_object().erase("subdomain");
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "settingsSchema.properties.subdomain");
}

TEST(Admit, RefusesDuplicateBuckets) {
  App a = sample();
  a.needs.buckets.push_back(a.needs.buckets.front());
  EXPECT_FALSE(admit(a).ok());
}

TEST(ToJson, HasTheApiShape) {
  const App& a = app("peertube");
  json::object j = toJson(a);
  std::set<std::string> keys;
  for (auto& kv : j) keys.insert(std::string(kv.key()));
  EXPECT_EQ(keys, (std::set<std::string>{"id", "name", "summary", "description", "upstream", "licence", "openCore",
                                         "activityPub", "version", "defaultSubdomain", "needs", "settingsSchema"}));
  EXPECT_EQ(j.at("id"), "peertube");
  EXPECT_EQ(j.at("name"), "PeerTube");
  EXPECT_EQ(j.at("licence"), "AGPL-3.0-only");
  EXPECT_EQ(j.at("openCore"), false);
  EXPECT_EQ(j.at("activityPub"), true);
  EXPECT_EQ(j.at("version"), json::value(a.version));
  EXPECT_EQ(j.at("defaultSubdomain"), "peertube");
  EXPECT_EQ(j.at("description"), json::value(a.description));
  const auto& needs = j.at("needs").as_object();
  std::set<std::string> needKeys;
  for (auto& kv : needs) needKeys.insert(std::string(kv.key()));
  EXPECT_EQ(needKeys, (std::set<std::string>{"cpu", "memoryMiB", "diskGiB", "databases", "buckets", "mail", "redis",
                                             "ports"}));
  EXPECT_EQ(needs.at("cpu"), a.needs.cpu);
  EXPECT_EQ(needs.at("memoryMiB"), a.needs.memoryMiB);
  EXPECT_EQ(needs.at("diskGiB"), a.needs.diskGiB);
  EXPECT_EQ(needs.at("databases"), (json::array{"postgresql"}));
  EXPECT_EQ(needs.at("buckets").as_array().size(), 2u);
  EXPECT_EQ(needs.at("buckets").at(0).at("name"), "videos");
  EXPECT_EQ(needs.at("buckets").at(1).at("name"), "streaming-playlists");
  EXPECT_TRUE(needs.at("buckets").at(0).as_object().contains("purpose"));
  EXPECT_EQ(needs.at("mail"), true);
  EXPECT_EQ(needs.at("redis"), true);
  EXPECT_EQ(needs.at("ports"), (json::array{443}));
  EXPECT_EQ(j.at("settingsSchema"), json::value(a.settingsSchema));
}

}  // namespace
}  // namespace fedihost::catalog
