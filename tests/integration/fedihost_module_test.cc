// nix/fedihost-module.nix (services.fedihost) and nix/fedihost-package.nix, evaluated
// with nix/tests/eval.nix like the app modules (tests/integration/nix_modules_test.cc):
// the service, its settings, its credentials, PostgreSQL when asked, and the same
// hardening as the Debian package's unit (dist/fedihost.service).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "support/process.hh"
#include "support/temp_dir.hh"

namespace fedihost {
namespace {

namespace json = boost::json;
using fedihost::testing::shellQuote;
using ::testing::HasSubstr;

const std::string kSource = FEDIHOST_SOURCE_DIR;

std::string nixInstantiate() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && ::access((dir + "/nix-instantiate").c_str(), X_OK) == 0) return dir + "/nix-instantiate";
  return {};
}

#define SKIP_WITHOUT_NIX() \
  if (nixInstantiate().empty()) GTEST_SKIP() << "nix-instantiate is not installed"

struct Evaluation {
  int exitCode = -1;
  json::value config;
  std::string err;
};

/// The merged config of the module with `extra` (the body of a module taking pkgs) added.
Evaluation evaluate(const std::string& extra) {
  testing::TempDir tmp("fedihost-nix-module");
  const std::string expr = "import (/. + \"" + kSource + "/nix/tests/eval.nix\") { module = (/. + \"" + kSource +
                           "/nix/fedihost-module.nix\"); configurationFile = \"/nonexistent.json\"; "
                           "extraConfig = { pkgs, ... }: { " + extra + " }; }";
  // stderr to its own file: the output is JSON.
  auto r = fedihost::testing::run("{ " + shellQuote(nixInstantiate()) + " --store dummy:// --eval --strict --json -E " +
                                  shellQuote(expr) + " 2>" + shellQuote((tmp / "err").string()) + "; }");
  Evaluation e;
  e.exitCode = r.exitCode;
  std::ifstream in(tmp / "err");
  std::stringstream ss;
  ss << in.rdbuf();
  e.err = ss.str();
  if (r.exitCode == 0) e.config = json::parse(r.output);
  return e;
}

const json::value* at(const json::value& v, std::initializer_list<std::string> path) {
  const json::value* cur = &v;
  for (auto& k : path) {
    if (!cur->is_object() || !cur->as_object().contains(k)) return nullptr;
    cur = &cur->as_object().at(k);
  }
  return cur;
}

const std::string kEnabled =
    "services.fedihost.enable = true; services.postgresql.package = pkgs.postgresql; ";

TEST(FedihostModule, DoesNothingUnlessEnabled) {
  SKIP_WITHOUT_NIX();
  auto e = evaluate("");
  ASSERT_EQ(e.exitCode, 0) << e.err;
  EXPECT_FALSE(at(e.config, {"systemd", "services", "fedihost"}));
  EXPECT_FALSE(at(e.config, {"users", "users", "fedihost"}));
  EXPECT_FALSE(at(e.config, {"services", "postgresql", "enable"}));
}

TEST(FedihostModule, RunsTheServerWithItsSettingsRenderedToToml) {
  SKIP_WITHOUT_NIX();
  auto e = evaluate(kEnabled +
                    "services.fedihost.settings.server.listen = \"127.0.0.1:9000\";"
                    "services.fedihost.settings.server.public_url = \"https://panel.example.org\";"
                    "services.fedihost.settings.mail.smtp_password.credential = \"smtp-password\";"
                    "services.fedihost.credentials.smtp-password = \"/run/keys/fedihost-smtp\";");
  ASSERT_EQ(e.exitCode, 0) << e.err;
  const auto& c = e.config;
  // The operator's settings win over the module's defaults; the defaults fill the rest.
  auto* settings = at(c, {"services", "fedihost", "settings"});
  ASSERT_TRUE(settings);
  EXPECT_EQ(*at(*settings, {"server", "listen"}), "127.0.0.1:9000");
  EXPECT_EQ(*at(*settings, {"server", "public_url"}), "https://panel.example.org");
  EXPECT_EQ(*at(*settings, {"data_dir"}), "/var/lib/fedihost");
  const std::string package = "/nix/store/00000000000000000000000000000000-fedihost-" FEDIHOST_VERSION;
  EXPECT_EQ(*at(*settings, {"server", "web"}), json::value(package + "/share/fedihost/web"));
  // A secret is a reference, never a value.
  EXPECT_EQ(*at(*settings, {"mail", "smtp_password"}), (json::object{{"credential", "smtp-password"}}));

  auto* service = at(c, {"systemd", "services", "fedihost", "serviceConfig"});
  ASSERT_TRUE(service);
  EXPECT_EQ(service->at("ExecStart"),
            json::value(package + "/bin/fedihost serve --config /nix/store/00000000000000000000000000000000-fedihost.toml"));
  EXPECT_EQ(service->at("Type"), "notify");
  EXPECT_EQ(service->at("User"), "fedihost");
  EXPECT_EQ(service->at("StateDirectory"), "fedihost");
  EXPECT_EQ(service->at("LoadCredential"), (json::array{"smtp-password:/run/keys/fedihost-smtp"}));
  EXPECT_EQ(*at(c, {"environment", "etc", "fedihost/fedihost.toml", "source"}),
            "/nix/store/00000000000000000000000000000000-fedihost.toml");
  EXPECT_EQ(*at(c, {"users", "users", "fedihost", "isSystemUser"}), true);
  EXPECT_EQ(*at(c, {"services", "fedihost", "package"}), json::value(package));
  // SQLite in the state directory unless PostgreSQL is asked for.
  EXPECT_FALSE(at(c, {"services", "postgresql", "enable"}));
  EXPECT_FALSE(at(c, {"systemd", "services", "fedihost", "environment"}));
}

TEST(FedihostModule, KeepsItsDatabasesInALocalPostgresqlWhenAsked) {
  SKIP_WITHOUT_NIX();
  auto e = evaluate(kEnabled + "services.fedihost.database.createLocally = true;");
  ASSERT_EQ(e.exitCode, 0) << e.err;
  const auto& c = e.config;
  EXPECT_EQ(*at(c, {"services", "postgresql", "enable"}), true);
  EXPECT_EQ(*at(c, {"services", "postgresql", "ensureDatabases"}), (json::array{"fedihost", "fedihost_accounting"}));
  EXPECT_EQ(*at(c, {"services", "postgresql", "ensureUsers"}),
            (json::array{{{"name", "fedihost"}, {"ensureDBOwnership", true}}}));
  auto* service = at(c, {"systemd", "services", "fedihost"});
  ASSERT_TRUE(service);
  EXPECT_THAT(json::serialize(service->at("requires")), HasSubstr("postgresql.service"));
  EXPECT_THAT(json::serialize(service->at("after")), HasSubstr("postgresql.service"));
  EXPECT_EQ(service->at("environment").at("FEDIHOST_STATE_URL"), "postgresql://fedihost@%2Frun%2Fpostgresql/fedihost");
  EXPECT_EQ(service->at("environment").at("FEDIHOST_ACCOUNTING_URL"),
            "postgresql://fedihost@%2Frun%2Fpostgresql/fedihost_accounting");
  auto* setup = at(c, {"systemd", "services", "fedihost-postgresql-setup"});
  ASSERT_TRUE(setup);
  EXPECT_THAT(std::string(setup->at("script").as_string()), HasSubstr("ALTER DATABASE fedihost_accounting OWNER TO fedihost"));
  EXPECT_EQ(setup->at("requiredBy"), (json::array{"fedihost.service"}));
}

/// The [Service] assignments of a unit file: key -> values (a key may repeat).
std::multimap<std::string, std::string> serviceSection(const std::string& file) {
  std::ifstream in(file);
  std::multimap<std::string, std::string> out;
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line;
      continue;
    }
    auto eq = line.find('=');
    if (section == "[Service]" && eq != std::string::npos) out.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

/// A NixOS serviceConfig value as the unit file writes it.
std::string unitText(const json::value& v) {
  if (v.is_bool()) return v.as_bool() ? "yes" : "no";
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_string()) return std::string(v.as_string());
  std::string out;
  for (auto& x : v.as_array()) out += (out.empty() ? "" : " ") + unitText(x);
  return out;
}

TEST(FedihostModule, HasTheHardeningOfTheDebianUnit) {
  SKIP_WITHOUT_NIX();
  auto e = evaluate(kEnabled);
  ASSERT_EQ(e.exitCode, 0) << e.err;
  const auto& nixos = e.config.at("systemd").at("services").at("fedihost").at("serviceConfig").as_object();
  auto unit = serviceSection(kSource + "/dist/fedihost.service");
  ASSERT_GT(unit.size(), 20u);
  for (auto it = unit.begin(); it != unit.end(); it = unit.upper_bound(it->first)) {
    const std::string& key = it->first;
    // Where the two differ by nature: the binary's path, where credentials come from.
    if (key == "ExecStart" || key == "LoadCredential") continue;
    ASSERT_TRUE(nixos.contains(key)) << key << " of dist/fedihost.service is missing from the NixOS module";
    std::string expected;
    auto [from, to] = unit.equal_range(key);
    for (auto v = from; v != to; ++v) expected += (expected.empty() ? "" : " ") + v->second;
    EXPECT_EQ(unitText(nixos.at(key)), expected) << key;
  }
}

TEST(FedihostModule, ThePackageHasTheVersionOfCMakeAndThePanel) {
  SKIP_WITHOUT_NIX();
  testing::TempDir tmp("fedihost-nix-package");
  auto r = fedihost::testing::run(
      "{ " + shellQuote(nixInstantiate()) + " --store dummy:// --eval --strict --json -E " +
      shellQuote("let p = (import (/. + \"" + kSource + "/nix/tests/eval.nix\") { module = { pkgs, ... }: { x = "
                 "let d = pkgs.callPackage (/. + \"" + kSource + "/nix/fedihost-package.nix\") { }; in "
                 "{ inherit (d) version pname cmakeFlags; panel = d.passthru.panel.pname; }; }; "
                 "configurationFile = \"/nonexistent.json\"; }); in p.x") +
      " 2>" + shellQuote((tmp / "err").string()) + "; }");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  auto v = json::parse(r.output);
  EXPECT_EQ(v.at("version"), FEDIHOST_VERSION);
  EXPECT_EQ(v.at("pname"), "fedihost");
  EXPECT_EQ(v.at("panel"), "fedihost-panel");
  EXPECT_THAT(json::serialize(v.at("cmakeFlags")), HasSubstr("-DFEDIHOST_SYSTEM_FILES=OFF"));
}

TEST(FedihostModule, EveryNixFileParses) {
  SKIP_WITHOUT_NIX();
  for (const char* f : {"fedihost-module.nix", "fedihost-package.nix"}) {
    auto r = fedihost::testing::run(shellQuote(nixInstantiate()) + " --parse " + shellQuote(kSource + "/nix/" + f) +
                                    " >/dev/null");
    EXPECT_EQ(r.exitCode, 0) << f << ": " << r.output;
  }
}

}  // namespace
}  // namespace fedihost
