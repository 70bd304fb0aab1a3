// The catalog's admission rules beyond settings schemas (SWOT, category, backup
// strategy, databases, open core, settings migrations), and Mastodon's real
// settings migration from schema 1 to 2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

#include "catalog/catalog.hh"
#include "catalog/settings_schema.hh"
#include "core/naming.hh"

namespace fedihost::catalog {
namespace {

using ::testing::HasSubstr;

const App& app(std::string_view id) {
  auto* a = find(id);
  if (!a) throw std::runtime_error("no app " + std::string(id));
  return *a;
}

// Copies of real entries, to break one rule at a time: Mastodon (a database, a
// bucket, schema 2) and CryptPad (no database, no bucket).
App mastodon() { return app("mastodon"); }
App cryptpad() { return app("cryptpad"); }

// --- SWOT -----------------------------------------------------------------

using SwotList = std::vector<std::string> Swot::*;

struct SwotCase {
  const char* field;
  SwotList list;
};

class AdmitSwot : public ::testing::TestWithParam<SwotCase> {};

TEST_P(AdmitSwot, NeedsTwoToFivePoints) {
  const auto& [field, list] = GetParam();
  for (std::size_t n : {0u, 1u, 6u, 9u}) {
    SCOPED_TRACE(n);
    App a = mastodon();
    (a.swot.*list).assign(n, "A point.");
    auto r = admit(a);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
    EXPECT_EQ(r.error().field, field);
    EXPECT_THAT(r.error().message, HasSubstr("Mastodon"));
    EXPECT_THAT(r.error().message, HasSubstr("2 to 5 points"));
  }
  for (std::size_t n : {2u, 3u, 5u}) {
    SCOPED_TRACE(n);
    App a = mastodon();
    (a.swot.*list).assign(n, "A point.");
    EXPECT_TRUE(admit(a).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Lists, AdmitSwot,
                         ::testing::Values(SwotCase{"swot.strengths", &Swot::strengths},
                                           SwotCase{"swot.weaknesses", &Swot::weaknesses},
                                           SwotCase{"swot.opportunities", &Swot::opportunities},
                                           SwotCase{"swot.threats", &Swot::threats}),
                         [](const auto& info) { return std::string(info.param.field).substr(5); });

TEST(AdmitSwotWhole, RefusesAnEntryWithNoAnalysisAtAll) {
  App a = mastodon();
  a.swot = {};
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "swot.strengths");
}

// --- Category -------------------------------------------------------------

TEST(AdmitCategory, IsRequired) {
  App a = mastodon();
  a.category.clear();
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "category");
  EXPECT_THAT(r.error().message, HasSubstr("Mastodon has no category"));
}

// An app's own secret named "secret" would render as {"secret": path}, the form of a secret
// reference, and be resolved as one (site.deploy found it): refused, as the resources' names are.
TEST(AdmitSecrets, RefusesTheNamesOfReferencesAndOfResourcesSecrets) {
  for (const char* name : {"secret", "database-password", "mail-password"}) {
    App a = mastodon();
    a.needs.secrets = {{name, secrets::SecretFormat::Hex, "a key"}};
    auto r = admit(a);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().field, "needs.secrets") << name;
  }
  App a = mastodon();
  a.needs.secrets = {{"server-secret", secrets::SecretFormat::Hex, "a key"}};
  EXPECT_TRUE(admit(a).ok());
}

// --- First administrator ---------------------------------------------------

TEST(AdmitAdminLogin, ThePasswordIsOneOfTheAppsSecretsAndTheLoginAPath) {
  App ok = app("peertube");
  ASSERT_TRUE(ok.adminLogin);
  EXPECT_TRUE(admit(ok).ok());
  struct Case {
    AdminLogin login;
    const char* field;
  };
  for (auto& [login, field] : std::vector<Case>{
           {{"", "admin-password", "/login"}, "adminLogin.username"},
           {{"root", "database-password", "/login"}, "adminLogin.passwordSecret"},  // a resource's, not the app's
           {{"root", "admin-password", "login"}, "adminLogin.loginPath"},
       }) {
    App a = ok;
    a.adminLogin = login;
    auto r = admit(a);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.error().field, field);
    EXPECT_THAT(r.error().message, HasSubstr("PeerTube"));
  }
}

// A restore may make anew only a password the app reads at its first setup (docs/backup-and-migration.md):
// PeerTube's, Nextcloud's and Forgejo's first administrators'. Not Owncast's: its settings unit signs
// in with it at every start.
TEST(AdmitSecrets, OnlyAFirstAdministratorsPasswordIsFirstSetupOnly) {
  std::set<std::string> firstSetupOnly;
  for (auto& a : all())
    for (auto& s : a.needs.secrets)
      if (s.firstSetupOnly) firstSetupOnly.insert(naming::secretName(a.id, s.purpose));
  EXPECT_EQ(firstSetupOnly,
            (std::set<std::string>{"forgejo-admin-password", "nextcloud-admin-password", "peertube-admin-password"}));
  EXPECT_TRUE(secretSpec("peertube-admin-password").firstSetupOnly);
  EXPECT_FALSE(secretSpec("owncast-admin-password").firstSetupOnly);
  EXPECT_FALSE(secretSpec("peertube-server-secret").firstSetupOnly);

  App wrong = app("peertube");
  for (auto& s : wrong.needs.secrets) s.firstSetupOnly = s.purpose == "server-secret";
  auto refused = admit(wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("server-secret"), std::string::npos) << refused.error().message;
}

TEST(AdmitAdminLogin, TheAppsThatMakeTheirFirstAdministrator) {
  std::map<std::string, std::string> made;
  for (auto& a : all())
    if (a.adminLogin) made[a.id] = a.adminLogin->username + " " + a.adminLogin->passwordSecret + " " + a.adminLogin->loginPath;
  const std::map<std::string, std::string> expected{{"forgejo", "administrator admin-password /user/login"},
                                                    {"nextcloud", "admin admin-password /login"},
                                                    {"owncast", "admin admin-password /admin"},
                                                    {"peertube", "root admin-password /login"}};
  EXPECT_EQ(made, expected);
}

// A public key is derived from a private key of the same app, of the form it is derived from;
// a secret made at random names none.
TEST(AdmitSecrets, APublicKeyNeedsItsPrivateKeyAndOnlyAPublicKeyIsDerived) {
  using F = secrets::SecretFormat;
  auto with = [](std::vector<SecretNeed> needs) {
    App a = mastodon();
    a.needs.secrets = std::move(needs);
    return admit(a);
  };
  EXPECT_TRUE(with({{"vapid-private-key", F::VapidPrivateKey, "k"},
                    {"vapid-public-key", F::VapidPublicKey, "k", "vapid-private-key"}})
                  .ok());
  EXPECT_TRUE(with({{"pub", F::RsaPublicKey, "k", "priv"}, {"priv", F::RsaPrivateKey, "k"}}).ok());
  const std::vector<std::vector<SecretNeed>> refused{
      {{"vapid-public-key", F::VapidPublicKey, "k"}},                           // derived from nothing
      {{"vapid-public-key", F::VapidPublicKey, "k", "vapid-private-key"}},      // from a secret not listed
      {{"priv", F::RsaPrivateKey, "k"}, {"pub", F::VapidPublicKey, "k", "priv"}},  // from a key of another form
      {{"pub", F::VapidPublicKey, "k", "pub"}},                                 // from itself
      {{"key", F::Hex, "k"}, {"other", F::Hex, "k", "key"}},                    // random, yet derived
  };
  for (auto& needs : refused) {
    auto r = with(needs);
    ASSERT_FALSE(r.ok()) << needs.back().purpose;
    EXPECT_EQ(r.error().field, "needs.secrets");
  }
  // The catalog's own pairs are admitted, and each public key names its private key.
  for (auto& app : all())
    for (auto& need : app.needs.secrets)
      if (secrets::derivedFrom(need.format)) {
        EXPECT_FALSE(need.derivedFrom.empty()) << app.id << " " << need.purpose;
        EXPECT_EQ(secretSpec(app.id + "-" + need.purpose).derivedFrom, app.id + "-" + need.derivedFrom);
      }
}

// --- Databases and backup strategy ----------------------------------------

TEST(AdmitDatabases, OnlyPostgresqlAndMysql) {
  for (const char* engine : {"postgresql", "mysql"}) {
    App a = cryptpad();
    a.needs.databases = {engine};
    a.backup.databases = {engine};
    EXPECT_TRUE(admit(a).ok()) << engine;
  }
  App a = cryptpad();
  a.needs.databases = {"mongodb"};
  a.backup.databases = {"mongodb"};
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "needs.databases");
  EXPECT_THAT(r.error().message, HasSubstr("unsupported database engine \"mongodb\""));
}

TEST(AdmitBackup, EveryDatabaseMustBeDumped) {
  App a = mastodon();
  a.backup.databases.clear();
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "backup.databases");
  EXPECT_THAT(r.error().message, HasSubstr("postgresql database is missing from the backup strategy"));
}

TEST(AdmitBackup, DumpsOnlyDatabasesTheAppHas) {
  App a = mastodon();
  a.backup.databases.push_back("mysql");
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "backup.databases");
  EXPECT_THAT(r.error().message, HasSubstr("dumps a mysql database the app does not have"));

  App b = cryptpad();  // no database at all
  b.backup.databases = {"postgresql"};
  r = admit(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "backup.databases");
  EXPECT_THAT(r.error().message, HasSubstr("CryptPad"));
}

TEST(AdmitBackup, AnAppWithoutDatabaseDumpsNone) {
  App a = cryptpad();
  EXPECT_TRUE(a.needs.databases.empty());
  EXPECT_TRUE(a.backup.databases.empty());
  EXPECT_TRUE(admit(a).ok());
}

TEST(AdmitBackup, RefusesAnUnknownBucket) {
  App a = mastodon();
  a.backup.buckets.push_back("uploads");
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "backup.buckets");
  EXPECT_THAT(r.error().message, HasSubstr("bucket \"uploads\", which the app does not have"));

  App b = cryptpad();
  b.backup.buckets = {"media"};
  r = admit(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "backup.buckets");
}

TEST(AdmitBackup, MayLeaveABucketOut) {
  // Copying a bucket is a choice (e.g. a cache that is rebuilt); dumping a database is not.
  App a = app("peertube");
  a.backup.buckets = {"videos"};
  EXPECT_TRUE(admit(a).ok());
}

// --- Settings migrations --------------------------------------------------

TEST(AdmitMigrations, SchemaTwoNeedsAMigrationFromOne) {
  App a = mastodon();
  ASSERT_EQ(a.schemaVersion, 2);
  a.migrations.clear();
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "migrations");
  EXPECT_THAT(r.error().message, HasSubstr("no settings migration from schema 1"));
}

TEST(AdmitMigrations, AMigrationNeedsAFunction) {
  App a = mastodon();
  a.migrations.front().apply = nullptr;
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "migrations");
}

TEST(AdmitMigrations, EveryStepIsNeeded) {
  App a = mastodon();
  a.schemaVersion = 3;  // only 1 -> 2 exists
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("no settings migration from schema 2"));
  a.migrations.push_back({2, "a second change", [](json::object s) { return s; }});
  EXPECT_TRUE(admit(a).ok());
}

TEST(AdmitMigrations, SchemaVersionStartsAtOne) {
  App a = cryptpad();
  a.schemaVersion = 0;
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "schemaVersion");
}

// --- Open core --------------------------------------------------------------

/// A complete, otherwise admissible entry for GitLab: only its open-core flag keeps it out.
App gitlab() {
  App a;
  a.id = "gitlab";
  a.name = "GitLab";
  a.summary = "Code hosting, issues, merge requests and pipelines.";
  a.description =
      "GitLab hosts your code with its history, issues and reviews, and runs tests on every change. Its "
      "Community Edition is free software; many features are reserved to the paid Enterprise Edition.";
  a.upstream = "https://about.gitlab.com";
  a.licence = "MIT";
  a.openCore = true;
  a.openCoreReason = "GitLab's features are split between a free core and a paid Enterprise Edition";
  a.version = "17.6.1";
  a.defaultSubdomain = "gitlab";
  a.needs = {.cpu = 4,
             .memoryMiB = 8192,
             .diskGiB = 50,
             .databases = {"postgresql"},
             .buckets = {{"artifacts", "build results, uploads and packages"}},
             .mail = true,
             .redis = true,
             .ports = {443, 22}};
  a.settingsSchema = schema::objectSchema({{"subdomain", schema::subdomainProperty(a.name, a.defaultSubdomain)}});
  a.category = "code";
  a.swot = {.strengths = {"Everything for code in one place.", "Widely known."},
            .weaknesses = {"Very heavy.", "Many features are only in the paid edition."},
            .opportunities = {"Teams can leave hosted code platforms.", "Pipelines run on your own machines."},
            .threats = {"Features can move to the paid edition.", "Upgrades are frequent and large."}};
  a.backup = {.databases = {"postgresql"},
              .paths = {"/var/lib/gitlab/state"},
              .buckets = {"artifacts"},
              .stopForConsistency = false,
              .notes = "GitLab's own backup task is used."};
  return a;
}

TEST(AdmitOpenCore, RefusesGitLabWithItsReason) {
  auto r = admit(gitlab());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "openCore");
  EXPECT_THAT(r.error().message, HasSubstr("GitLab is open core"));
  EXPECT_THAT(r.error().message, HasSubstr("free software only"));
  EXPECT_THAT(r.error().message,
              HasSubstr("GitLab's features are split between a free core and a paid Enterprise Edition"));
}

TEST(AdmitOpenCore, TheFlagAloneIsTheReason) {
  App a = gitlab();
  a.openCore = false;
  EXPECT_TRUE(admit(a).ok()) << admit(a).error().message;
  a.openCore = true;
  a.openCoreReason.clear();  // refused even without a stated reason
  auto r = admit(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "openCore");
  EXPECT_THAT(r.error().message, ::testing::Not(HasSubstr("(")));
}

TEST(AdmitOpenCore, NoEntryOfTheCatalogIsOpenCore) {
  EXPECT_EQ(find("gitlab"), nullptr);
  for (auto& a : all()) {
    EXPECT_FALSE(a.openCore) << a.id;
    EXPECT_TRUE(a.openCoreReason.empty()) << a.id;
  }
}

// --- Mastodon: "openRegistrations" (schema 1) -> "registrations" (schema 2) --

const char* const kMastodonChange =
    "“Open registrations” (yes/no) became “Who can sign up” (open, approval or closed)";

TEST(MastodonMigration, IsDeclared) {
  const App& a = app("mastodon");
  EXPECT_EQ(a.schemaVersion, 2);
  ASSERT_EQ(a.migrations.size(), 1u);
  EXPECT_EQ(a.migrations[0].fromSchema, 1);
  EXPECT_EQ(a.migrations[0].description, kMastodonChange);
}

TEST(MastodonMigration, OpenBecomesOpen) {
  json::object v1{{"subdomain", "social"}, {"openRegistrations", true}, {"maxTootChars", 1000}};
  auto r = migrateSettings(app("mastodon"), 1, v1);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto& [settings, changes] = *r;
  EXPECT_EQ(settings, (json::object{{"subdomain", "social"}, {"maxTootChars", 1000}, {"registrations", "open"}}));
  EXPECT_EQ(changes, std::vector<std::string>{kMastodonChange});
}

TEST(MastodonMigration, ClosedBecomesApproval) {
  auto r = migrateSettings(app("mastodon"), 1, json::object{{"openRegistrations", false}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->first, (json::object{{"registrations", "approval"}}));
}

TEST(MastodonMigration, AbsentStaysAbsentAndTheDefaultFillsIt) {
  json::object v1{{"singleUserMode", true}};
  auto r = migrateSettings(app("mastodon"), 1, v1);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->first, v1);
  EXPECT_EQ(r->second.size(), 1u) << "the change is still reported";
  auto valid = validateSettings(app("mastodon"), r->first, "settings");
  ASSERT_TRUE(valid.ok()) << valid.error().message;
  EXPECT_EQ(valid->at("registrations"), "approval");
  EXPECT_EQ(valid->at("singleUserMode"), true);

  // null means "the default" in stored settings: dropped the same way.
  r = migrateSettings(app("mastodon"), 1, json::object{{"openRegistrations", nullptr}});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->first.empty());
}

TEST(MastodonMigration, ResultIsValidUnderTheNewSchema) {
  for (bool open : {true, false}) {
    auto r = migrateSettings(app("mastodon"), 1, json::object{{"openRegistrations", open}, {"defaultLocale", "de"}});
    ASSERT_TRUE(r.ok());
    auto valid = validateSettings(app("mastodon"), r->first, "settings");
    ASSERT_TRUE(valid.ok()) << valid.error().message;
    EXPECT_EQ(valid->at("registrations"), open ? "open" : "approval");
    EXPECT_FALSE(valid->contains("openRegistrations"));
  }
  // The old setting is unknown to the new schema: not migrating would be refused.
  auto stale = validateSettings(app("mastodon"), json::object{{"openRegistrations", true}}, "settings");
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().field, "settings.openRegistrations");
}

TEST(MastodonMigration, KeepsAValueItCannotUnderstand) {
  // Not a yes/no: kept, so validation names it rather than the migration silently dropping it.
  auto r = migrateSettings(app("mastodon"), 1, json::object{{"openRegistrations", "yes"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, (json::object{{"openRegistrations", "yes"}}));
  auto valid = validateSettings(app("mastodon"), r->first, "settings");
  ASSERT_FALSE(valid.ok());
  EXPECT_EQ(valid.error().field, "settings.openRegistrations");
}

TEST(MastodonMigration, FromTheCurrentSchemaIsANoOp) {
  json::object v2{{"registrations", "closed"}, {"maxTootChars", 700}};
  auto r = migrateSettings(app("mastodon"), 2, v2);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->first, v2);
  EXPECT_TRUE(r->second.empty());
}

TEST(MastodonMigration, FromANewerSchemaIsInvalid) {
  auto r = migrateSettings(app("mastodon"), 3, json::object{{"registrations", "open"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "schemaVersion");
  EXPECT_THAT(r.error().message, HasSubstr("Mastodon"));
  EXPECT_THAT(r.error().message, HasSubstr("schema 3"));
}

}  // namespace
}  // namespace fedihost::catalog
