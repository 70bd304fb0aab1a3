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

json::object ref(const std::string& key, const char* output) { return {{"ref", key}, {"output", output}}; }

/// An app instance as stored, with settings taken as given (not validated).
AppInstance stored(const std::string& id, json::object settings, std::string version = "", int schemaVersion = 0) {
  AppInstance a;
  a.app = id;
  a.settings = std::move(settings);
  a.version = std::move(version);
  a.schemaVersion = schemaVersion;
  return a;
}

AppInstance instance(const std::string& id, json::object given = {}) {
  auto* entry = catalog::find(id);
  if (!entry) throw std::runtime_error("no app " + id);
  // Deployments hold validated settings, as the API stores them.
  return stored(id, catalog::validateSettings(*entry, given, "apps[0].settings").orThrow());
}

Deployment deployment(std::vector<AppInstance> apps) {
  Deployment d;
  d.id = "dep_0000000000000000";
  d.organisation = "org_0000000000000000";
  d.name = "social";
  d.domain = "social.example.test";
  d.apps = std::move(apps);
  d.version = 3;
  d.catalogVersion = "2026.11.1";
  d.nixpkgsRevision = "nixos-24.11";
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
      {"matrix", {instance("matrix", {{"federation", "allowlist"}, {"federationAllowlist", "matrix.org, example.net"}})}},
      {"owncast", {instance("owncast", {{"serverName", "Town hall live"}})}},
      {"castopod", {instance("castopod", {{"maxUploadSizeMiB", 1024}})}},
      {"edumeet", {instance("edumeet", {{"videoResolution", "high"}})}},
      {"nextcloud", {instance("nextcloud", {{"defaultQuotaGiB", 20}})}},
      {"cryptpad", {instance("cryptpad", {{"registrations", "invitation"}})}},
      {"forgejo", {instance("forgejo", {{"defaultRepoVisibility", "public"}})}},
      {"roundcube", {instance("roundcube", {{"imapHost", "imap.example.org"}})}},
      {"hedgedoc", {instance("hedgedoc", {{"allowAnonymous", true}})}},
      {"vikunja", {instance("vikunja", {{"defaultTimezone", "Europe/Berlin"}})}},
      // PostgreSQL and MariaDB on one machine.
      {"castopod_mastodon_pixelfed", {instance("castopod"), instance("mastodon"), instance("pixelfed")}},
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

/// Every member whose name ends in "File", and every member of an app's "secretFiles" (purpose ->
/// path), with its path in the tree.
void collectFiles(const json::value& v, const std::string& path, std::map<std::string, std::string>& files,
                  std::vector<std::string>& suspicious) {
  if (v.is_object()) {
    const bool fileMap = path.ends_with(".secretFiles");
    for (auto& kv : v.get_object()) {
      std::string key(kv.key());
      std::string lower = key;
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      bool isFile = fileMap || (key.size() > 4 && key.ends_with("File"));
      if (key == "secretFiles") {
        ASSERT_TRUE(kv.value().is_object()) << path << "." << key;
      } else if (isFile) {
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
    for (auto& app : c.apps) {
      const auto& needs = catalog::find(app.app)->needs;
      auto expect = [&](bool needed, const char* purpose) {
        if (needed) expected.insert(naming::secretPath(naming::secretName(app.app, purpose)));
      };
      expect(!needs.databases.empty(), "database-password");
      expect(!needs.buckets.empty(), "s3-secret-key");
      expect(needs.mail, "mail-password");
      for (auto& need : needs.secrets) expect(true, need.purpose.c_str());
    }
    // Every case has a host name: the certificate's chain and key.
    expected.insert(naming::secretPath("certificate-chain"));
    expected.insert(naming::secretPath("certificate-key"));
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
  EXPECT_EQ(app.at("schemaVersion"), catalog::find("peertube")->schemaVersion);
  EXPECT_EQ(app.at("ports"), json::array{443});
  // Where the database, the object storage and the relay are: their resources' outputs.
  const std::string db = "dep_0000000000000000/database/peertube";
  EXPECT_EQ(app.at("database"), (json::object{{"engine", "postgresql"},
                                              {"host", ref(db, "host")},
                                              {"port", ref(db, "port")},
                                              {"name", ref(db, "name")},
                                              {"user", ref(db, "role")},
                                              {"passwordFile", kSecretDir + "peertube-database-password"}}));
  EXPECT_EQ(app.at("s3").at("buckets"), (json::object{{"videos", "0000000000000000-peertube-videos"},
                                                      {"streaming-playlists",
                                                       "0000000000000000-peertube-streaming-playlists"}}));
  const std::string key = "dep_0000000000000000/access-key/peertube";
  EXPECT_EQ(app.at("s3").at("accessKey"), ref(key, "accessKeyId"));
  EXPECT_EQ(app.at("s3").at("endpoint"), ref(key, "endpoint"));
  EXPECT_EQ(app.at("s3").at("region"), ref(key, "region"));
  EXPECT_EQ(app.at("s3").at("secretAccessKeyFile"), json::value(kSecretDir + "peertube-s3-secret-key"));
  const std::string mail = "dep_0000000000000000/mail-account/peertube";
  EXPECT_EQ(app.at("smtp"), (json::object{{"from", "peertube@social.example.test"},
                                          {"host", ref(mail, "host")},
                                          {"port", ref(mail, "port")},
                                          {"user", ref(mail, "username")},
                                          {"passwordFile", kSecretDir + "peertube-mail-password"}}));
  // The deployment's certificate: files delivered beside the secrets, and the serial they hold.
  EXPECT_EQ(c.at("services").at("nginx").at("certificate"),
            (json::object{{"chainFile", kSecretDir + "certificate-chain"},
                          {"keyFile", kSecretDir + "certificate-key"},
                          {"serial", ref("dep_0000000000000000/certificate/main", "serial")}}));
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
            (json::object{{"social.example.test", {{"app", "mastodon"}, {"forceSSL", true}}},
                          {"pixelfed.social.example.test", {{"app", "pixelfed"}, {"forceSSL", true}}}}));
}

TEST(Render, EachDatabaseOnTheServerOfItsEngine) {
  json::object c = renderMachineConfiguration(
      deployment({instance("castopod"), instance("mastodon"), instance("pixelfed")}), inputs());
  const auto& s = c.at("services");
  EXPECT_EQ(s.at("postgresql").at("enable"), true);
  EXPECT_EQ(s.at("postgresql").at("port"), 5432);
  EXPECT_EQ(s.at("postgresql").at("databases"), (json::array{"mastodon_0000000000000000", "pixelfed_0000000000000000"}));
  EXPECT_EQ(s.at("mysql").at("enable"), true);
  EXPECT_EQ(s.at("mysql").at("port"), 3306);
  EXPECT_EQ(s.at("mysql").at("databases"), json::array{"castopod_0000000000000000"});
  EXPECT_EQ(s.at("mysql").at("users"),
            (json::array{{{"name", "castopod_0000000000000000"},
                          {"database", "castopod_0000000000000000"},
                          {"host", ref("dep_0000000000000000/database/castopod", "host")},
                          {"passwordFile", kSecretDir + "castopod-database-password"}}}));
  EXPECT_EQ(c.at("apps").at("castopod").at("database").at("engine"), "mysql");
  EXPECT_EQ(c.at("apps").at("castopod").at("database").at("port"), ref("dep_0000000000000000/database/castopod", "port"));
}

TEST(Render, EveryAppsPortsAreOpen) {
  json::object c = renderMachineConfiguration(
      deployment({instance("forgejo"), instance("matrix"), instance("owncast")}), inputs());
  EXPECT_EQ(c.at("networking").at("firewall").at("allowedTCPPorts"), (json::array{80, 443, 1935, 2222, 8448}));
  EXPECT_EQ(c.at("apps").at("forgejo").at("ports"), (json::array{443, 2222}));
  EXPECT_EQ(c.at("apps").at("matrix").at("ports"), (json::array{443, 8448}));
}

TEST(Render, ExtraHostNamesAndUdpPortRanges) {
  json::object c = renderMachineConfiguration(deployment({instance("cryptpad"), instance("edumeet")}), inputs());
  // CryptPad's sandbox origin: a label under its host, served by the same virtual host.
  EXPECT_EQ(c.at("apps").at("cryptpad").at("extraHosts"), json::array{"sandbox.cryptpad.social.example.test"});
  EXPECT_EQ(c.at("services").at("nginx").at("virtualHosts").at("cryptpad.social.example.test").at("serverAliases"),
            json::array{"sandbox.cryptpad.social.example.test"});
  EXPECT_FALSE(c.at("apps").at("edumeet").as_object().contains("extraHosts"));
  // Edumeet's WebRTC media.
  const json::array range{json::object{{"from", 40000}, {"to", 49999}}};
  EXPECT_EQ(c.at("apps").at("edumeet").at("udpPortRanges"), range);
  EXPECT_EQ(c.at("networking").at("firewall").at("allowedUDPPortRanges"), range);
  EXPECT_FALSE(c.at("apps").at("cryptpad").as_object().contains("udpPortRanges"));
}

TEST(Render, RecordsTheCatalogReleaseAndTheAppVersions) {
  auto d = deployment({stored("mastodon", {}, "4.2.0"), instance("pixelfed")});
  d.catalogVersion = d.nixpkgsRevision = "";  // allowed: a deployment recorded before releases were
  json::object c = renderMachineConfiguration(d, inputs());
  EXPECT_EQ(c.at("fedihost").at("catalogVersion"), "");
  EXPECT_EQ(c.at("fedihost").at("nixpkgsRevision"), "");
  EXPECT_EQ(c.at("apps").at("mastodon").at("version"), "4.2.0");  // the instance's
  EXPECT_EQ(c.at("apps").at("pixelfed").at("version"), json::value(catalog::find("pixelfed")->version));
  d.catalogVersion = "2026.11.1";
  d.nixpkgsRevision = "nixos-24.11";
  c = renderMachineConfiguration(d, inputs());
  EXPECT_EQ(c.at("fedihost").at("catalogVersion"), "2026.11.1");
  EXPECT_EQ(c.at("fedihost").at("nixpkgsRevision"), "nixos-24.11");
}

TEST(Render, SettingsOfAnOlderSchemaAreRenderedAsStored) {
  const auto* mastodon = catalog::find("mastodon");
  ASSERT_GE(mastodon->schemaVersion, 2);
  // Schema 1 had "openRegistrations", which the current schema refuses; no defaults are filled in.
  json::object old{{"openRegistrations", true}};
  json::object c = renderMachineConfiguration(deployment({stored("mastodon", old, "4.2.0", 1)}), inputs());
  EXPECT_EQ(c.at("apps").at("mastodon").at("settings"), old);
  EXPECT_EQ(c.at("apps").at("mastodon").at("schemaVersion"), 1);
  EXPECT_EQ(c.at("apps").at("mastodon").at("host"), "mastodon.social.example.test");
  // On the current schema, given explicitly or as 0, they are validated and completed.
  for (int schema : {0, mastodon->schemaVersion}) {
    c = renderMachineConfiguration(deployment({stored("mastodon", {{"registrations", "open"}}, "", schema)}),
                                   inputs());
    EXPECT_EQ(c.at("apps").at("mastodon").at("settings").at("maxTootChars"), 500) << schema;
    EXPECT_EQ(c.at("apps").at("mastodon").at("schemaVersion"), mastodon->schemaVersion) << schema;
    EXPECT_THROW(renderMachineConfiguration(deployment({stored("mastodon", old, "", schema)}), inputs()), AbortError);
  }
}

TEST(Render, NoAppsNoServices) {
  json::object c = renderMachineConfiguration(deployment({}), inputs());
  EXPECT_EQ(c.at("apps"), json::object{});
  EXPECT_EQ(c.at("services").at("postgresql").at("enable"), false);
  EXPECT_EQ(c.at("services").at("mysql").at("enable"), false);
  EXPECT_EQ(c.at("services").at("redis").at("enable"), false);
  EXPECT_EQ(c.at("services").at("nginx").at("enable"), false);
  EXPECT_EQ(c.at("networking").at("firewall").at("allowedTCPPorts"), json::array{});
  EXPECT_EQ(c.at("networking").at("firewall").at("allowedUDPPortRanges"), json::array{});
}

TEST(Render, FillsDefaultsOfStoredSettings) {
  auto d = deployment({stored("mastodon", {{"registrations", "closed"}})});
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
  auto e = renderError(deployment({instance("mastodon"), stored("gitlab", {})}));
  EXPECT_EQ(e.kind, ErrorKind::Invalid);
  EXPECT_EQ(e.field, "apps[1].app");
  e = renderError(deployment({instance("mastodon"), instance("pixelfed"), instance("mastodon")}));
  EXPECT_EQ(e.kind, ErrorKind::Conflict);
  EXPECT_EQ(e.field, "apps[2].app");
  e = renderError(deployment({instance("mastodon", {{"subdomain", "www"}}), instance("pixelfed", {{"subdomain", "www"}})}));
  EXPECT_EQ(e.kind, ErrorKind::Conflict);
  EXPECT_THAT(e.message, HasSubstr("www.social.example.test"));
  e = renderError(deployment({stored("mastodon", {{"maxTootChars", 5}})}));
  EXPECT_EQ(e.kind, ErrorKind::Invalid);
  EXPECT_EQ(e.field, "apps[0].settings.maxTootChars");
}

TEST(AppHost, UsesTheSubdomainSettingOrTheCatalogDefault) {
  auto d = deployment({});
  EXPECT_EQ(appHost(d, stored("mastodon", {})), "mastodon.social.example.test");
  EXPECT_EQ(appHost(d, stored("mastodon", {{"subdomain", "toot"}})), "toot.social.example.test");
  EXPECT_EQ(appHost(d, stored("mastodon", {{"subdomain", ""}})), "social.example.test");
  EXPECT_EQ(appHost(d, instance("peertube")), "peertube.social.example.test");
}

}  // namespace
}  // namespace fedihost::nixos
