// The catalog's entries, its admission rules for settings schemas and its JSON shape.
// (The rules on SWOT, category, backup and migrations are in admission_test.cc.)
#include "catalog/catalog.hh"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
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

const std::vector<std::string> kAllIds{"castopod", "cryptpad",  "edumeet",  "forgejo",  "hedgedoc",
                                       "mastodon", "matrix",    "nextcloud", "owncast", "peertube",
                                       "pixelfed", "roundcube", "vikunja"};

const std::set<std::string> kCategories{"social", "video",    "chat",     "files",    "office",   "code",
                                        "planning", "mail",   "meetings", "podcasts", "streaming"};

std::vector<std::string> bucketNames(const App& a) {
  std::vector<std::string> names;
  for (auto& b : a.needs.buckets) names.push_back(b.name);
  return names;
}

TEST(Catalog, ListsEveryAppSortedById) {
  std::vector<std::string> ids;
  for (auto& a : all()) ids.push_back(a.id);
  EXPECT_EQ(ids, kAllIds);
  for (auto& a : all()) EXPECT_TRUE(admit(a).ok()) << a.id << ": " << admit(a).error().message;
}

TEST(Catalog, FindsById) {
  ASSERT_NE(find("mastodon"), nullptr);
  EXPECT_EQ(find("mastodon")->name, "Mastodon");
  EXPECT_EQ(find("pixelfed")->name, "Pixelfed");
  EXPECT_EQ(find("peertube")->name, "PeerTube");
  ASSERT_NE(find("edumeet"), nullptr);
  EXPECT_EQ(find("edumeet")->name, "Edumeet");
  ASSERT_NE(find("nextcloud"), nullptr);
  EXPECT_EQ(find("nextcloud")->name, "Nextcloud");
  ASSERT_NE(find("cryptpad"), nullptr);
  EXPECT_EQ(find("cryptpad")->name, "CryptPad");
  EXPECT_EQ(find("gitlab"), nullptr);
  EXPECT_EQ(find(""), nullptr);
}

TEST(Catalog, EntriesDescribeFreeSoftwarePlainly) {
  for (auto& a : all()) {
    SCOPED_TRACE(a.id);
    EXPECT_FALSE(a.licence.empty());
    EXPECT_FALSE(a.openCore);
    EXPECT_FALSE(a.defaultSubdomain.empty());
    EXPECT_FALSE(a.summary.empty());
    EXPECT_EQ(a.summary.find('\n'), std::string::npos) << "summary is one line";
    EXPECT_GT(a.description.size(), 200u) << "description is a paragraph";
    EXPECT_THAT(a.description, HasSubstr(a.name));
    EXPECT_THAT(a.upstream, ::testing::StartsWith("https://"));
    EXPECT_FALSE(a.version.empty());
    EXPECT_TRUE(kCategories.count(a.category)) << a.category;
    EXPECT_GE(a.needs.cpu, 1);
    EXPECT_GE(a.needs.memoryMiB, 256);
    EXPECT_GE(a.needs.diskGiB, 1);
    EXPECT_THAT(a.needs.ports, ::testing::Contains(443));
    for (auto& b : a.needs.buckets) EXPECT_FALSE(b.purpose.empty()) << b.name;
    for (auto& p : a.backup.paths) EXPECT_THAT(p, ::testing::StartsWith("/var/lib/"));
    EXPECT_FALSE(a.backup.notes.empty());
  }
}

/// What a customer admin compares between apps, for the entries of this file's author.
struct Expected {
  const char* id;
  const char* licence;
  bool activityPub;
  const char* category;
  std::vector<std::string> databases;
  std::vector<std::string> buckets;
  bool mail;
  bool redis;
  bool stopForBackup;
};

/// Names the parameter in test listings (ctest shows it).
void PrintTo(const Expected& e, std::ostream* os) { *os << e.id; }

class EntryFacts : public ::testing::TestWithParam<Expected> {};

TEST_P(EntryFacts, MatchUpstream) {
  const Expected& e = GetParam();
  const App& a = app(e.id);
  EXPECT_EQ(a.licence, e.licence);
  EXPECT_EQ(a.activityPub, e.activityPub);
  EXPECT_EQ(a.category, e.category);
  EXPECT_EQ(a.needs.databases, e.databases);
  EXPECT_EQ(bucketNames(a), e.buckets);
  EXPECT_EQ(a.needs.mail, e.mail);
  EXPECT_EQ(a.needs.redis, e.redis);
  EXPECT_EQ(a.needs.ports, std::vector<int>{443});
  EXPECT_GE(a.needs.memoryMiB, 1024);
  EXPECT_GE(a.needs.diskGiB, 10);
  EXPECT_EQ(a.backup.databases, e.databases) << "every database is dumped";
  EXPECT_EQ(a.backup.buckets, e.buckets) << "every bucket is copied";
  EXPECT_EQ(a.backup.stopForConsistency, e.stopForBackup);
  EXPECT_EQ(a.defaultSubdomain, a.id);
  for (auto* list : {&a.swot.strengths, &a.swot.weaknesses, &a.swot.opportunities, &a.swot.threats})
    for (auto& point : *list) {
      EXPECT_EQ(point.back(), '.') << point;
      EXPECT_EQ(std::count(point.begin(), point.end(), '.'), 1) << "one sentence: " << point;
      EXPECT_LT(point.size(), 160u) << point;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Apps, EntryFacts,
    ::testing::Values(
        Expected{"mastodon", "AGPL-3.0-only", true, "social", {"postgresql"}, {"media"}, true, true, false},
        Expected{"pixelfed", "AGPL-3.0-only", true, "social", {"postgresql"}, {"media"}, true, true, false},
        Expected{"peertube", "AGPL-3.0-only", true, "video", {"postgresql"}, {"videos", "streaming-playlists"},
                 true, true, false},
        Expected{"edumeet", "MIT", false, "meetings", {}, {}, false, false, false},
        Expected{"nextcloud", "AGPL-3.0-or-later", false, "files", {"postgresql"}, {"files"}, true, true, true},
        Expected{"cryptpad", "AGPL-3.0-or-later", false, "office", {}, {}, false, false, true}),
    [](const auto& info) { return std::string(info.param.id); });

TEST(Catalog, NewEntriesDescribeThemselvesInOneParagraph) {
  for (const char* id : {"edumeet", "nextcloud", "cryptpad"}) {
    SCOPED_TRACE(id);
    const std::string& d = app(id).description;
    EXPECT_EQ(d.find('\n'), std::string::npos);
    auto sentences = std::count(d.begin(), d.end(), '.');
    EXPECT_GE(sentences, 4);
    EXPECT_LE(sentences, 6);
  }
}

TEST(Catalog, VersionsAreThePackagedOnes) {
  EXPECT_THAT(app("mastodon").version, ::testing::StartsWith("4.3."));
  EXPECT_THAT(app("pixelfed").version, ::testing::StartsWith("0.12."));
  EXPECT_THAT(app("peertube").version, ::testing::StartsWith("7."));
  EXPECT_THAT(app("nextcloud").version, ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
  EXPECT_THAT(app("cryptpad").version, ::testing::MatchesRegex("20[0-9][0-9]\\.[0-9]+\\.[0-9]+"));
  EXPECT_THAT(app("edumeet").version, ::testing::StartsWith("4."));
}

TEST(Catalog, BackupsKeepWhatARestoreNeeds) {
  // Mastodon's uploads live in its bucket, not on the machine.
  EXPECT_TRUE(app("mastodon").backup.paths.empty());
  // Nextcloud's generated secrets are in config.php; files are in the bucket,
  // and the copy happens in maintenance mode.
  EXPECT_THAT(app("nextcloud").backup.paths, ::testing::Contains("/var/lib/nextcloud/config"));
  EXPECT_THAT(app("nextcloud").backup.notes, HasSubstr("maintenance mode"));
  // CryptPad keeps everything, encrypted, on disk.
  EXPECT_EQ(app("cryptpad").backup.paths, std::vector<std::string>{"/var/lib/cryptpad"});
  // Edumeet stores nothing between meetings.
  EXPECT_TRUE(app("edumeet").backup.paths.empty());
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

class SettingKinds : public ::testing::TestWithParam<const char*> {};

TEST_P(SettingKinds, SchemaUsesEveryKindOfSetting) {
  bool integer = false, boolean = false, enumeration = false, text = false;
  for (auto& kv : app(GetParam()).settingsSchema.at("properties").as_object()) {
    const auto& p = kv.value().as_object();
    auto type = str(p.at("type"));
    if (type == "integer") integer = integer || (p.contains("minimum") && p.contains("maximum"));
    if (type == "boolean") boolean = true;
    if (type == "string" && p.contains("enum")) enumeration = true;
    if (type == "string" && !p.contains("enum") && kv.key() != "subdomain") text = text || p.contains("maxLength");
  }
  EXPECT_TRUE(integer);
  EXPECT_TRUE(boolean);
  EXPECT_TRUE(enumeration);
  EXPECT_TRUE(text);
}

INSTANTIATE_TEST_SUITE_P(Apps, SettingKinds,
                         ::testing::Values("mastodon", "pixelfed", "peertube", "edumeet", "nextcloud", "cryptpad"));

TEST(Catalog, SettingsAreTheMeaningfulOnes) {
  const auto& m = app("mastodon").settingsSchema.at("properties").as_object();
  EXPECT_EQ(m.at("maxTootChars").at("minimum"), 500);
  EXPECT_EQ(m.at("maxTootChars").at("maximum"), 10000);
  EXPECT_EQ(m.at("registrations").at("enum"), (json::array{"open", "approval", "closed"}));
  EXPECT_EQ(m.at("singleUserMode").at("type"), "boolean");
  EXPECT_FALSE(m.contains("openRegistrations")) << "replaced in schema 2";
  const auto& p = app("peertube").settingsSchema.at("properties").as_object();
  EXPECT_EQ(p.at("transcoding").at("default"), true);
  EXPECT_EQ(p.at("defaultVideoPrivacy").at("enum"), (json::array{"public", "unlisted", "private", "internal"}));
  EXPECT_TRUE(app("pixelfed").settingsSchema.at("properties").as_object().contains("maxPhotoSizeKiB"));

  const auto& n = app("nextcloud").settingsSchema.at("properties").as_object();
  EXPECT_EQ(n.at("defaultPhoneRegion").at("pattern"), "^[A-Z]{2}$");
  EXPECT_EQ(n.at("defaultPhoneRegion").at("maxLength"), 2);
  EXPECT_EQ(n.at("defaultQuotaGiB").at("type"), "integer");
  EXPECT_EQ(n.at("publicLinks").at("enum"), (json::array{"allowed", "password", "disabled"}));
  const auto& c = app("cryptpad").settingsSchema.at("properties").as_object();
  EXPECT_EQ(c.at("guestDocuments").at("default"), false);
  EXPECT_EQ(c.at("maxUploadSizeMiB").at("type"), "integer");
  const auto& e = app("edumeet").settingsSchema.at("properties").as_object();
  EXPECT_EQ(e.at("maxParticipantsPerRoom").at("minimum"), 2);
  EXPECT_EQ(e.at("privacyUrl").at("default"), "") << "no link unless the customer has a privacy notice";
}

TEST(Catalog, SettingsValidateThroughTheSchemas) {
  // Defaults fill an empty object, and out-of-rule values are refused with the field named.
  auto n = validateSettings(app("nextcloud"), json::object{}, "apps[0].settings");
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n->at("defaultPhoneRegion"), "NL");
  auto bad = validateSettings(app("nextcloud"), json::object{{"defaultPhoneRegion", "nl"}}, "apps[0].settings");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "apps[0].settings.defaultPhoneRegion");
  EXPECT_THAT(bad.error().message, HasSubstr("Country for phone numbers"));
  auto url = validateSettings(app("edumeet"), json::object{{"privacyUrl", "http://example.org/privacy"}}, "s");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().field, "s.privacyUrl");
  EXPECT_TRUE(validateSettings(app("edumeet"), json::object{{"privacyUrl", "https://example.org/privacy"}}, "s").ok());
  auto big = validateSettings(app("cryptpad"), json::object{{"maxUploadSizeMiB", 5000}}, "s");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().field, "s.maxUploadSizeMiB");
}

// A copy of a real entry, to break one rule at a time.
App sample() { return app("mastodon"); }

json::object& property(App& a, std::string_view name) {
  return a.settingsSchema.at("properties").as_object().at(name).as_object();
}

TEST(Admit, AdmitsTheSample) { EXPECT_TRUE(admit(sample()).ok()); }

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
                                         "activityPub", "version", "defaultSubdomain", "needs", "settingsSchema",
                                         "schemaVersion", "category", "swot", "backup", "adminLogin"}));
  EXPECT_EQ(j.at("id"), "peertube");
  EXPECT_EQ(j.at("adminLogin"), (json::object{{"username", "root"}, {"loginPath", "/login"}}));
  EXPECT_TRUE(toJson(app("mastodon")).at("adminLogin").is_null());
  EXPECT_EQ(j.at("name"), "PeerTube");
  EXPECT_EQ(j.at("licence"), "AGPL-3.0-only");
  EXPECT_EQ(j.at("openCore"), false);
  EXPECT_EQ(j.at("activityPub"), true);
  EXPECT_EQ(j.at("version"), json::value(a.version));
  EXPECT_EQ(j.at("defaultSubdomain"), "peertube");
  EXPECT_EQ(j.at("description"), json::value(a.description));
  EXPECT_EQ(j.at("schemaVersion"), 1);
  EXPECT_EQ(j.at("category"), "video");
  const auto& needs = j.at("needs").as_object();
  std::set<std::string> needKeys;
  for (auto& kv : needs) needKeys.insert(std::string(kv.key()));
  EXPECT_EQ(needKeys, (std::set<std::string>{"cpu", "memoryMiB", "diskGiB", "databases", "buckets", "mail", "redis",
                                             "ports", "udpPortRanges", "extraHosts"}));
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

  const auto& swot = j.at("swot").as_object();
  EXPECT_EQ(swot.size(), 4u);
  EXPECT_EQ(swot.at("strengths").as_array().size(), a.swot.strengths.size());
  EXPECT_EQ(swot.at("strengths").at(0), json::value(a.swot.strengths.front()));
  EXPECT_EQ(swot.at("threats").as_array().size(), a.swot.threats.size());
  const auto& backup = j.at("backup").as_object();
  EXPECT_EQ(backup.at("databases"), (json::array{"postgresql"}));
  EXPECT_EQ(backup.at("buckets"), (json::array{"videos", "streaming-playlists"}));
  EXPECT_EQ(backup.at("stopForConsistency"), false);
  EXPECT_EQ(backup.at("notes"), json::value(a.backup.notes));
  EXPECT_EQ(toJson(app("mastodon")).at("schemaVersion"), 2);
}

}  // namespace
}  // namespace fedihost::catalog
