// The catalog entries for chat, streaming, podcasts, code, webmail, notes and
// planning: each is admitted, carries its licence, its defaults validate, and
// a wrong value of each setting is refused with the setting's path and label.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "catalog/catalog.hh"

namespace fedihost::catalog {
namespace {

using ::testing::HasSubstr;

struct Expected {
  std::string id;
  std::string licence;
  std::string category;
  std::string subdomain;
  std::vector<int> ports;
  std::vector<std::string> databases;
  std::map<std::string, std::string> badValues;  ///< one refused value per setting, as JSON text
};

/// Failure messages name the app instead of dumping the parameter's bytes.
void PrintTo(const Expected& e, std::ostream* os) { *os << e.id; }

std::vector<Expected> expectations() {
  return {
      {"matrix",
       "AGPL-3.0-or-later",
       "chat",
       "matrix",
       {443, 8448},
       {"postgresql"},
       {{"subdomain", R"("Not a label!")"},
        {"enableRegistration", R"("yes")"},
        {"federation", R"("everyone")"},
        {"federationAllowlist", R"("matrix.org; evil")"},
        {"maxUploadSizeMiB", "0"},
        {"urlPreviews", "1"}}},
      {"owncast",
       "MIT",
       "streaming",
       "live",
       {443, 1935},
       {},
       {{"subdomain", R"("Not a label!")"},
        {"serverName", R"("")"},
        {"maxBitrateKbps", "100000"},
        {"chatEnabled", R"("on")"},
        {"federationEnabled", R"("true")"},
        {"federationUsername", R"("Live Stream")"}}},
      {"castopod",
       "AGPL-3.0-or-later",
       "podcasts",
       "podcast",
       {443},
       {"mysql"},
       {{"subdomain", R"("Not a label!")"},
        {"defaultLanguage", R"("English")"},
        {"maxUploadSizeMiB", "10"},
        {"adminPath", R"("/admin")"}}},
      {"forgejo",
       "GPL-3.0-or-later",
       "code",
       "git",
       {443, 2222},
       {"postgresql"},
       {{"subdomain", R"("Not a label!")"},
        {"enableRegistration", R"("false")"},
        {"requireSignInToView", "0"},
        {"defaultRepoVisibility", R"("limited")"},
        {"quotaPerAccountMiB", "1.5"}}},
      {"roundcube",
       "GPL-3.0-or-later",
       "mail",
       "mail",
       {443},
       {"postgresql"},
       {{"subdomain", R"("Not a label!")"},
        {"imapHost", R"("imap server")"},
        {"smtpHost", R"("localhost")"},
        {"productName", "\"" + std::string(61, 'x') + "\""},
        {"maxAttachmentMiB", "500"}}},
      {"hedgedoc",
       "AGPL-3.0-only",
       "office",
       "notes",
       {443},
       {"postgresql"},
       {{"subdomain", R"("Not a label!")"},
        {"allowEmailRegister", R"("no")"},
        {"allowAnonymous", "[]"},
        {"allowAnonymousEdits", "1"},
        {"defaultPermission", R"("public")"},
        {"documentMaxLength", "-1"}}},
      {"vikunja",
       "AGPL-3.0-or-later",
       "planning",
       "tasks",
       {443},
       {"postgresql"},
       {{"subdomain", R"("Not a label!")"},
        {"enableRegistration", R"("true")"},
        {"defaultTimezone", R"("Amsterdam")"},
        {"maxFileSizeMiB", "0"},
        {"emailReminders", R"("sometimes")"},
        {"linkSharing", "{}"}}},
  };
}

std::string str(const json::value& v) { return std::string(v.as_string().data(), v.as_string().size()); }

class AppEntry : public ::testing::TestWithParam<Expected> {};

TEST_P(AppEntry, IsAdmittedWithItsLicenceAndShape) {
  const auto& e = GetParam();
  const App* app = find(e.id);
  ASSERT_NE(app, nullptr) << e.id << " is not in the catalog (see the admission error on stderr)";
  EXPECT_TRUE(admit(*app).ok());
  EXPECT_EQ(app->licence, e.licence);
  EXPECT_FALSE(app->openCore);
  EXPECT_EQ(app->category, e.category);
  EXPECT_EQ(app->defaultSubdomain, e.subdomain);
  EXPECT_EQ(app->needs.ports, e.ports);
  EXPECT_EQ(app->needs.databases, e.databases);
  EXPECT_EQ(app->backup.databases, e.databases);
  EXPECT_EQ(app->summary.find('\n'), std::string::npos);
  EXPECT_GT(app->description.size(), 300u) << "description is a paragraph";
  EXPECT_THAT(app->description, HasSubstr(app->name));
  EXPECT_THAT(app->upstream, ::testing::StartsWith("https://"));
  EXPECT_FALSE(app->version.empty());
  EXPECT_FALSE(app->backup.paths.empty());
  EXPECT_FALSE(app->backup.notes.empty());
  std::set<std::string> buckets;
  for (auto& b : app->needs.buckets) buckets.insert(b.name);
  EXPECT_EQ(std::set<std::string>(app->backup.buckets.begin(), app->backup.buckets.end()), buckets)
      << "every bucket is backed up";
}

TEST_P(AppEntry, DefaultsValidate) {
  const auto& e = GetParam();
  const App* app = find(e.id);
  ASSERT_NE(app, nullptr);
  auto r = validateSettings(*app, json::value(), "s");
  ASSERT_TRUE(r.ok()) << r.error().field << ": " << r.error().message;
  const auto& props = app->settingsSchema.at("properties").as_object();
  EXPECT_EQ(r->size(), props.size());
  EXPECT_EQ(r->at("subdomain"), json::value(e.subdomain));
  EXPECT_GE(props.size(), 4u) << "subdomain and 3 to 5 settings";
  EXPECT_LE(props.size(), 6u) << "subdomain and 3 to 5 settings";
}

TEST_P(AppEntry, RefusesABadValueOfEachSettingNamingItsLabel) {
  const auto& e = GetParam();
  const App* app = find(e.id);
  ASSERT_NE(app, nullptr);
  const auto& props = app->settingsSchema.at("properties").as_object();
  std::set<std::string> names;
  for (auto& kv : props) names.insert(std::string(kv.key()));
  std::set<std::string> tested;
  for (auto& [name, text] : e.badValues) tested.insert(name);
  EXPECT_EQ(tested, names) << "one bad value per setting";

  for (auto& [name, text] : e.badValues) {
    SCOPED_TRACE(name + " = " + text);
    if (!props.contains(name)) continue;
    json::object settings;
    settings[name] = json::parse(text);
    auto r = validateSettings(*app, settings, "s");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().field, "s." + name);
    EXPECT_THAT(r.error().message, HasSubstr(str(props.at(name).as_object().at("title"))));
  }
}

TEST(AppsTest, AcceptsMeaningfulValues) {
  auto ok = [](std::string_view id, json::object settings) {
    const App* app = find(id);
    if (!app) return testing::AssertionFailure() << "no " << id;
    auto r = validateSettings(*app, settings, "s");
    if (!r) return testing::AssertionFailure() << r.error().field << ": " << r.error().message;
    return testing::AssertionSuccess();
  };
  EXPECT_TRUE(ok("matrix", {{"federation", "allowlist"}, {"federationAllowlist", "matrix.org, chat.example.net"}}));
  EXPECT_TRUE(ok("matrix", {{"subdomain", ""}, {"maxUploadSizeMiB", 1024}}));
  EXPECT_TRUE(ok("owncast", {{"federationUsername", "school_tv"}, {"maxBitrateKbps", 3000}}));
  EXPECT_TRUE(ok("castopod", {{"defaultLanguage", "pt-BR"}, {"adminPath", "studio"}}));
  EXPECT_TRUE(ok("castopod", {{"defaultLanguage", "zh-Hans"}}));
  EXPECT_TRUE(ok("forgejo", {{"defaultRepoVisibility", "public"}, {"quotaPerAccountMiB", 10240}}));
  EXPECT_TRUE(ok("roundcube", {{"imapHost", "imap.example.org"}, {"smtpHost", "smtp.mail.example.org"}}));
  EXPECT_TRUE(ok("roundcube", {{"imapHost", ""}, {"smtpHost", ""}}));
  EXPECT_TRUE(ok("hedgedoc", {{"defaultPermission", "private"}}));
  EXPECT_TRUE(ok("vikunja", {{"defaultTimezone", "America/Argentina/Buenos_Aires"}}));
  EXPECT_TRUE(ok("vikunja", {{"defaultTimezone", "UTC"}}));
  EXPECT_TRUE(ok("vikunja", {{"defaultTimezone", "Etc/GMT+2"}}));
}

TEST(AppsTest, SwotListsHaveTwoToFivePlainSentences) {
  for (auto& e : expectations()) {
    const App* app = find(e.id);
    ASSERT_NE(app, nullptr) << e.id;
    for (auto* list : {&app->swot.strengths, &app->swot.weaknesses, &app->swot.opportunities, &app->swot.threats}) {
      EXPECT_GE(list->size(), 2u) << e.id;
      EXPECT_LE(list->size(), 5u) << e.id;
      for (auto& point : *list) {
        EXPECT_FALSE(point.empty()) << e.id;
        EXPECT_EQ(point.back(), '.') << e.id << ": " << point;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AppsTest, AppEntry, ::testing::ValuesIn(expectations()),
                         [](const ::testing::TestParamInfo<Expected>& info) { return info.param.id; });

}  // namespace
}  // namespace fedihost::catalog
