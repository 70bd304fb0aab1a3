// Validation of app settings against the catalog's schemas.
#include "catalog/settings_schema.hh"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "catalog/catalog.hh"

namespace fedihost::catalog {
namespace {

using ::testing::HasSubstr;

const std::string kPrefix = "apps[0].settings";

json::value text(const std::string& s) { return json::string(s); }

std::string str(const json::value& v) { return std::string(v.as_string().data(), v.as_string().size()); }

const App& app(std::string_view id) {
  auto* a = find(id);
  if (!a) throw std::runtime_error("no app " + std::string(id));
  return *a;
}

const json::object& props(const App& a) { return a.settingsSchema.at("properties").as_object(); }

std::string title(const App& a, std::string_view name) { return str(props(a).at(name).at("title")); }

Result<json::object> check(std::string_view id, const json::value& settings) {
  return validateSettings(app(id), settings, kPrefix);
}

/// Expects an error of `kind` on `apps[0].settings.<name>` whose message names the setting's label.
void expectError(std::string_view id, std::string_view name, const json::value& value, ErrorKind kind) {
  SCOPED_TRACE(std::string(id) + "." + std::string(name) + " = " + json::serialize(value));
  auto r = check(id, json::object{{name, value}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, kind);
  EXPECT_EQ(r.error().field, kPrefix + "." + std::string(name));
  EXPECT_THAT(r.error().message, HasSubstr("\"" + title(app(id), name) + "\""));
}

json::object defaults(const App& a) {
  json::object d;
  for (auto& kv : props(a)) d[kv.key()] = kv.value().at("default");
  return d;
}

TEST(ValidateSettings, NullOrEmptyGivesAllDefaults) {
  for (auto& a : all()) {
    SCOPED_TRACE(a.id);
    auto fromNull = validateSettings(a, nullptr, kPrefix);
    ASSERT_TRUE(fromNull.ok()) << fromNull.error().message;
    EXPECT_EQ(*fromNull, defaults(a));
    auto fromEmpty = validateSettings(a, json::object{}, kPrefix);
    ASSERT_TRUE(fromEmpty.ok());
    EXPECT_EQ(*fromEmpty, defaults(a));
    EXPECT_EQ(fromEmpty->at("subdomain"), json::value(a.defaultSubdomain));
  }
}

TEST(ValidateSettings, KeepsGivenValuesAndFillsTheRest) {
  auto r = check("mastodon", json::object{{"registrations", "open"}, {"maxTootChars", 1000}, {"subdomain", ""}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->at("registrations"), "open");
  EXPECT_EQ(r->at("maxTootChars"), 1000);
  EXPECT_EQ(r->at("subdomain"), "");
  EXPECT_EQ(r->at("singleUserMode"), false);
  EXPECT_EQ(r->at("defaultLocale"), "en");
  EXPECT_EQ(r->size(), props(app("mastodon")).size());
}

TEST(ValidateSettings, NullPropertyTakesItsDefault) {
  auto r = check("peertube", json::object{{"transcoding", nullptr}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("transcoding"), true);
}

TEST(ValidateSettings, SettingsMustBeAnObject) {
  for (json::value v : {json::value(json::array{1}), json::value("open"), json::value(3), json::value(true)}) {
    auto r = check("mastodon", v);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
    EXPECT_EQ(r.error().field, kPrefix);
  }
}

TEST(ValidateSettings, RefusesUnknownSettingAndListsTheKnownOnes) {
  auto r = check("mastodon", json::object{{"registrations", "open"}, {"foo", 1}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, kPrefix + ".foo");
  EXPECT_THAT(r.error().message, HasSubstr("unknown setting \"foo\""));
  EXPECT_THAT(r.error().message, HasSubstr("\"Maximum post length\""));
  EXPECT_THAT(r.error().message, HasSubstr("\"Web address prefix\""));
}

// A value of the wrong JSON type for every setting of every app: Malformed.
TEST(ValidateSettings, WrongTypeIsMalformedForEverySetting) {
  for (auto& a : all())
    for (auto& kv : props(a)) {
      auto type = str(kv.value().at("type"));
      std::vector<json::value> wrong;
      if (type == "string") wrong = {42, true, json::array{"x"}, json::object{{"x", 1}}};
      if (type == "integer") wrong = {"600", true, 1.5, json::array{600}};
      if (type == "boolean") wrong = {"true", 1, 0, json::object{}};
      ASSERT_FALSE(wrong.empty()) << type;
      for (auto& v : wrong) expectError(a.id, kv.key(), v, ErrorKind::Malformed);
    }
}

TEST(ValidateSettings, WrongTypeNamesTheExpectedType) {
  auto r = check("mastodon", json::object{{"maxTootChars", "600"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "\"Maximum post length\" must be a whole number, not a string");
  r = check("mastodon", json::object{{"singleUserMode", "yes"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "\"Single-user mode\" must be true or false, not a string");
  r = check("mastodon", json::object{{"subdomain", 7}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "\"Web address prefix\" must be a string (text), not a number");
}

TEST(ValidateSettings, IntegersOutsideTheRangeAreInvalid) {
  for (auto& a : all())
    for (auto& kv : props(a)) {
      if (kv.value().at("type") != "integer") continue;
      auto min = kv.value().at("minimum").as_int64(), max = kv.value().at("maximum").as_int64();
      expectError(a.id, kv.key(), min - 1, ErrorKind::Invalid);
      expectError(a.id, kv.key(), max + 1, ErrorKind::Invalid);
      EXPECT_TRUE(check(a.id, json::object{{kv.key(), min}}).ok());
      EXPECT_TRUE(check(a.id, json::object{{kv.key(), max}}).ok());
    }
  auto r = check("mastodon", json::object{{"maxTootChars", 10001}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("between 500 and 10000"));
}

TEST(ValidateSettings, IntegersAcceptEveryJsonIntegerEncoding) {
  auto r = check("mastodon", json::parse(R"({"maxTootChars": 600.0})"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->at("maxTootChars").is_int64());
  EXPECT_EQ(r->at("maxTootChars"), 600);
  r = check("mastodon", json::object{{"maxTootChars", std::uint64_t{700}}});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->at("maxTootChars").is_int64());
  // Integral but far out of range: a value problem, not a type problem.
  expectError("mastodon", "maxTootChars", json::parse("18446744073709551615"), ErrorKind::Invalid);
  expectError("mastodon", "maxTootChars", json::parse("1e30"), ErrorKind::Invalid);
  expectError("mastodon", "maxTootChars", -9223372036854775807LL - 1, ErrorKind::Invalid);
  // Fractions are not integers.
  expectError("mastodon", "maxTootChars", 600.5, ErrorKind::Malformed);
  expectError("mastodon", "maxTootChars", json::parse("1.5"), ErrorKind::Malformed);
}

TEST(ValidateSettings, EnumOutsideTheChoicesIsInvalid) {
  for (auto& a : all())
    for (auto& kv : props(a))
      if (kv.value().as_object().contains("enum")) {
        expectError(a.id, kv.key(), "not-a-choice", ErrorKind::Invalid);
        expectError(a.id, kv.key(), "", ErrorKind::Invalid);
        for (auto& choice : kv.value().at("enum").as_array())
          EXPECT_TRUE(check(a.id, json::object{{kv.key(), choice}}).ok());
      }
  auto r = check("mastodon", json::object{{"registrations", "Open"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "\"Who can sign up\" must be one of \"open\", \"approval\" or \"closed\"");
}

TEST(ValidateSettings, StringsLongerThanAllowedAreInvalid) {
  for (auto& a : all())
    for (auto& kv : props(a)) {
      auto* max = kv.value().as_object().if_contains("maxLength");
      if (!max) continue;
      expectError(a.id, kv.key(), text(std::string(max->as_int64() + 1, 'a')), ErrorKind::Invalid);
    }
  auto r = check("pixelfed", json::object{{"siteName", std::string(51, 'x')}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "\"Site name\" must be at most 50 characters long, not 51");
}

TEST(ValidateSettings, LengthsCountCharactersNotBytes) {
  std::string fifty;
  for (int i = 0; i < 50; ++i) fifty += "\xC3\xA9";  // é, two bytes
  EXPECT_TRUE(check("pixelfed", json::object{{"siteName", fifty}}).ok());
  expectError("pixelfed", "siteName", text(fifty + "e"), ErrorKind::Invalid);
}

TEST(ValidateSettings, StringsShorterThanAllowedAreInvalid) {
  expectError("pixelfed", "siteName", "", ErrorKind::Invalid);
  expectError("peertube", "instanceName", "", ErrorKind::Invalid);
}

TEST(ValidateSettings, PatternMismatchIsInvalidForEverySetting) {
  for (auto& a : all())
    for (auto& kv : props(a))
      if (kv.value().as_object().contains("pattern")) expectError(a.id, kv.key(), "Not OK!", ErrorKind::Invalid);
}

TEST(ValidateSettings, SubdomainIsOneDnsLabelOrEmpty) {
  for (const char* bad : {"-video", "video-", "Video", "vid.eo", "vid_eo", "vidéo", " video"})
    expectError("peertube", "subdomain", bad, ErrorKind::Invalid);
  auto r = check("peertube", json::object{{"subdomain", "vid.eo"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "\"Web address prefix\" is not valid: use only lowercase letters, digits and hyphens, not starting or "
            "ending with a hyphen");
  for (std::string good : std::vector<std::string>{"", "v", "video", "tube-2", "0x", std::string(63, 'a')})
    EXPECT_TRUE(check("peertube", json::object{{"subdomain", good}}).ok()) << good;
  expectError("peertube", "subdomain", text(std::string(64, 'a')), ErrorKind::Invalid);
}

TEST(ValidateSettings, LanguageCodePattern) {
  for (const char* good : {"en", "de", "pt-BR", "zh-CN", "ast"})
    EXPECT_TRUE(check("mastodon", json::object{{"defaultLocale", good}}).ok()) << good;
  for (const char* bad : {"english", "EN", "pt_BR", "pt-br", ""})
    expectError("mastodon", "defaultLocale", bad, ErrorKind::Invalid);
}

TEST(ValidateSettings, FirstUnknownNameIsReportedDeterministically) {
  auto r = check("pixelfed", json::object{{"zzz", 1}, {"aaa", 2}, {"registrations", 3}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, kPrefix + ".aaa");
}

TEST(SettingsSchema, BuildersProduceAdmissibleSchemas) {
  auto s = schema::objectSchema({
      {"subdomain", schema::subdomainProperty("Test", "test")},
      {"name", schema::textProperty("Name", "A name.", "x", 1, 10)},
      {"code", schema::patternProperty("Code", "A code.", "ab", 4, "^[a-z]+$", "lowercase letters")},
      {"size", schema::integerProperty("Size", "A size.", 5, 1, 9)},
      {"on", schema::booleanProperty("On", "On or off.", false)},
      {"mode", schema::enumProperty("Mode", "A mode.", "a", {"a", "b"})},
  });
  EXPECT_TRUE(schema::checkSchema(s, "settingsSchema").ok());
  auto r = schema::validate(s, json::object{{"code", "abc1"}}, "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "\"Code\" is not valid: lowercase letters");
  auto bad = schema::objectSchema({{"size", schema::integerProperty("Size", "A size.", 50, 1, 9)}});
  auto checked = schema::checkSchema(bad, "settingsSchema");
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().field, "settingsSchema.properties.size");
}

}  // namespace
}  // namespace fedihost::catalog
