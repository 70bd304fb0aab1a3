// Rendering of a machine's NixOS configuration.
//
// Golden files: tests/data/nixos/<case>.json hold the expected bytes of
// jsonutil::canonical(renderMachineConfiguration(...)). After an intended change,
// rewrite them with
//   FEDIHOST_UPDATE_GOLDEN=1 build/<dir>/tests/unit_nixos
// and review the diff before committing.
#include "nixos/render.hh"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "catalog/catalog.hh"
#include "core/json_util.hh"
#include "core/naming.hh"

namespace fedihost::nixos {
namespace {

using ::testing::HasSubstr;

const std::string kSecretDir = "/run/fedihost/secrets/";

AppInstance instance(const std::string& id, json::object given = {}) {
  auto* entry = catalog::find(id);
  if (!entry) throw std::runtime_error("no app " + id);
  // Deployments hold validated settings, as the API stores them.
  return {id, catalog::validateSettings(*entry, given, "apps[0].settings").orThrow()};
}

Deployment deployment(std::vector<AppInstance> apps) {
  Deployment d;
  d.id = "dep_0000000000000000";
  d.organisation = "org_0000000000000000";
  d.name = "social";
  d.domain = "social.example.test";
  d.apps = std::move(apps);
  d.version = 3;
  d.createdAt = "2025-01-01T00:00:00Z";
  d.updatedAt = "2025-01-02T00:00:00Z";
  return d;
}

MachineInputs inputs() {
  return {"main", json::object{{"ref", resourceKey("dep_0000000000000000", ResourceKind::IpAddress, "main")},
                               {"output", "address"}}};
}

std::string render(const Deployment& d) { return jsonutil::canonical(renderMachineConfiguration(d, inputs())); }

struct GoldenCase {
  std::string name;
  std::vector<AppInstance> apps;
};

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

std::vector<GoldenCase> goldenCases() {
  return {
      {"mastodon", {instance("mastodon", {{"registrations", "open"}, {"maxTootChars", 1000}})}},
      {"pixelfed", {instance("pixelfed")}},
      {"peertube", {instance("peertube", {{"subdomain", "video"}, {"transcoding", false}})}},
      // Listed out of order on purpose: the rendering orders apps itself.
      {"mastodon_pixelfed", {instance("pixelfed", {{"siteName", "Our photos"}}), instance("mastodon", {{"subdomain", ""}})}},
  };
}

class Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, MatchesTheFileByteForByte) {
  const auto& c = GetParam();
  const std::string path = std::string(FEDIHOST_TEST_DATA) + "/nixos/" + c.name + ".json";
  const std::string actual = render(deployment(c.apps));
  const char* update = std::getenv("FEDIHOST_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path << " is missing; create it with FEDIHOST_UPDATE_GOLDEN=1";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "rendering changed; if intended, rewrite with FEDIHOST_UPDATE_GOLDEN=1";
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, ::testing::ValuesIn(goldenCases()),
                         [](const auto& info) { return info.param.name; });

/// Every member whose name ends in "File", with its path in the tree.
void collectFiles(const json::value& v, const std::string& path, std::map<std::string, std::string>& files,
                  std::vector<std::string>& suspicious) {
  if (v.is_object()) {
    for (auto& kv : v.get_object()) {
      std::string key(kv.key());
      std::string lower = key;
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      bool isFile = key.size() > 4 && key.ends_with("File");
      if (isFile) {
        ASSERT_TRUE(kv.value().is_string()) << path << "." << key;
        files[path + "." + key] = std::string(kv.value().get_string());
      } else if (lower.find("password") != std::string::npos || lower.find("secret") != std::string::npos ||
                 lower.find("token") != std::string::npos) {
        suspicious.push_back(path + "." + key);
      }
      collectFiles(kv.value(), path + "." + key, files, suspicious);
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.get_array().size(); ++i)
      collectFiles(v.get_array()[i], path + "[" + std::to_string(i) + "]", files, suspicious);
  }
}

TEST(Render, SecretsAppearOnlyAsFilePaths) {
  for (auto& c : goldenCases()) {
    SCOPED_TRACE(c.name);
    json::object config = renderMachineConfiguration(deployment(c.apps), inputs());
    std::map<std::string, std::string> files;
    std::vector<std::string> suspicious;
    collectFiles(config, "", files, suspicious);
    EXPECT_THAT(suspicious, ::testing::IsEmpty()) << "secret-like members that are not file paths";
    std::set<std::string> paths;
    for (auto& [where, file] : files) {
      EXPECT_THAT(file, ::testing::StartsWith(kSecretDir)) << where;
      paths.insert(file);
    }
    std::set<std::string> expected;
    for (auto& app : c.apps)
      for (const char* purpose : {"database-password", "s3-secret-key", "mail-password"})
        expected.insert(naming::secretPath(naming::secretName(app.app, purpose)));
    EXPECT_EQ(paths, expected);
  }
}

TEST(Render, SameInputSameBytes) {
  for (auto& c : goldenCases()) {
    auto d = deployment(c.apps);
    EXPECT_EQ(render(d), render(d)) << c.name;
    auto reversed = d;
    std::reverse(reversed.apps.begin(), reversed.apps.end());
    EXPECT_EQ(render(d), render(reversed)) << c.name;
  }
}

TEST(Render, OneAppGetsItsDatabaseBucketsMailAndRedis) {
  json::object c = renderMachineConfiguration(deployment({instance("peertube")}), inputs());
  EXPECT_EQ(c.at("fedihost").at("deployment"), "dep_0000000000000000");
  EXPECT_EQ(c.at("fedihost").at("organisation"), "org_0000000000000000");
  EXPECT_EQ(c.at("networking").at("hostName"), "social");
  EXPECT_EQ(c.at("networking").at("domain"), "social.example.test");
  EXPECT_EQ(c.at("networking").at("address"), inputs().address);
  EXPECT_EQ(c.at("networking").at("firewall").at("allowedTCPPorts"), (json::array{80, 443}));
  const auto& app = c.at("apps").at("peertube");
  EXPECT_EQ(app.at("enable"), true);
  EXPECT_EQ(app.at("version"), json::value(catalog::find("peertube")->version));
  EXPECT_EQ(app.at("host"), "peertube.social.example.test");
  EXPECT_EQ(app.at("settings").at("transcoding"), true);
  EXPECT_EQ(app.at("database"), (json::object{{"engine", "postgresql"},
                                              {"host", "localhost"},
                                              {"name", "peertube_0000000000000000"},
                                              {"user", "peertube_0000000000000000"},
                                              {"passwordFile", kSecretDir + "peertube-database-password"}}));
  EXPECT_EQ(app.at("s3").at("buckets"), (json::object{{"videos", "0000000000000000-peertube-videos"},
                                                      {"streaming-playlists",
                                                       "0000000000000000-peertube-streaming-playlists"}}));
  EXPECT_EQ(app.at("s3").at("accessKey"),
            (json::object{{"ref", "dep_0000000000000000/access-key/peertube"}, {"output", "accessKeyId"}}));
  EXPECT_EQ(app.at("s3").at("secretAccessKeyFile"), json::value(kSecretDir + "peertube-s3-secret-key"));
  EXPECT_EQ(app.at("smtp"), (json::object{{"from", "peertube@social.example.test"},
                                          {"user", "peertube@social.example.test"},
                                          {"passwordFile", kSecretDir + "peertube-mail-password"}}));
  EXPECT_EQ(app.at("redis").at("unixSocket"), "/run/redis-peertube/redis.sock");
}

TEST(Render, AppsOnOneMachineShareTheServices) {
  json::object c = renderMachineConfiguration(
      deployment({instance("pixelfed"), instance("mastodon", {{"subdomain", ""}})}), inputs());
  const auto& s = c.at("services");
  EXPECT_EQ(c.at("apps").as_object().size(), 2u);
  EXPECT_EQ(s.at("postgresql").at("enable"), true);
  EXPECT_EQ(s.at("postgresql").at("databases"), (json::array{"mastodon_0000000000000000", "pixelfed_0000000000000000"}));
  EXPECT_EQ(s.at("postgresql").at("users").as_array().size(), 2u);
  EXPECT_EQ(s.at("postgresql").at("users").at(0).at("name"), "mastodon_0000000000000000");
  EXPECT_EQ(s.at("redis").at("enable"), true);
  EXPECT_EQ(s.at("redis").at("servers").as_object().size(), 2u);
  EXPECT_EQ(s.at("nginx").at("enable"), true);
  EXPECT_EQ(s.at("nginx").at("virtualHosts"),
            (json::object{{"social.example.test", {{"app", "mastodon"}, {"forceSSL", true}, {"enableACME", true}}},
                          {"pixelfed.social.example.test", {{"app", "pixelfed"}, {"forceSSL", true}, {"enableACME", true}}}}));
}

TEST(Render, NoAppsNoServices) {
  json::object c = renderMachineConfiguration(deployment({}), inputs());
  EXPECT_EQ(c.at("apps"), json::object{});
  EXPECT_EQ(c.at("services").at("postgresql").at("enable"), false);
  EXPECT_EQ(c.at("services").at("redis").at("enable"), false);
  EXPECT_EQ(c.at("services").at("nginx").at("enable"), false);
  EXPECT_EQ(c.at("networking").at("firewall").at("allowedTCPPorts"), json::array{});
}

TEST(Render, FillsDefaultsOfStoredSettings) {
  auto d = deployment({{"mastodon", json::object{{"registrations", "closed"}}}});
  json::object c = renderMachineConfiguration(d, inputs());
  EXPECT_EQ(c.at("apps").at("mastodon").at("settings").at("registrations"), "closed");
  EXPECT_EQ(c.at("apps").at("mastodon").at("settings").at("maxTootChars"), 500);
  EXPECT_EQ(c.at("apps").at("mastodon").at("host"), "mastodon.social.example.test");
}

Error renderError(const Deployment& d) {
  try {
    (void)renderMachineConfiguration(d, inputs());
  } catch (const AbortError& e) {
    return e.error();
  }
  ADD_FAILURE() << "no error";
  return {};
}

TEST(Render, RefusesWhatItCannotRender) {
  auto e = renderError(deployment({instance("mastodon"), {"gitlab", {}}}));
  EXPECT_EQ(e.kind, ErrorKind::Invalid);
  EXPECT_EQ(e.field, "apps[1].app");
  e = renderError(deployment({instance("mastodon"), instance("pixelfed"), instance("mastodon")}));
  EXPECT_EQ(e.kind, ErrorKind::Conflict);
  EXPECT_EQ(e.field, "apps[2].app");
  e = renderError(deployment({instance("mastodon", {{"subdomain", "www"}}), instance("pixelfed", {{"subdomain", "www"}})}));
  EXPECT_EQ(e.kind, ErrorKind::Conflict);
  EXPECT_THAT(e.message, HasSubstr("www.social.example.test"));
  e = renderError(deployment({{"mastodon", json::object{{"maxTootChars", 5}}}}));
  EXPECT_EQ(e.kind, ErrorKind::Invalid);
  EXPECT_EQ(e.field, "apps[0].settings.maxTootChars");
}

TEST(AppHost, UsesTheSubdomainSettingOrTheCatalogDefault) {
  auto d = deployment({});
  EXPECT_EQ(appHost(d, {"mastodon", {}}), "mastodon.social.example.test");
  EXPECT_EQ(appHost(d, {"mastodon", {{"subdomain", "toot"}}}), "toot.social.example.test");
  EXPECT_EQ(appHost(d, {"mastodon", {{"subdomain", ""}}}), "social.example.test");
  EXPECT_EQ(appHost(d, instance("peertube")), "peertube.social.example.test");
}

}  // namespace
}  // namespace fedihost::nixos
