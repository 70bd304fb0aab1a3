// Versions: a deployment keeps what it was configured with; a newer catalog
// shows as an upgrade with what changes; the upgrade migrates stored settings.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "catalog/catalog.hh"
#include "store/sql.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace json = boost::json;

class UpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = server_.operatorClient();
    auto org = json::parse(api_->post("/api/v1/organisations", R"({"name":"riverside","displayName":"Riverside"})").body);
    auto r = api_->post("/api/v1/organisations/" + std::string(org.at("id").as_string()) + "/deployments",
                        R"({"name":"social","domain":"social.example.test","apps":[{"app":"mastodon"},{"app":"pixelfed"}]})");
    ASSERT_EQ(r.status, 201) << r.body;
    dep_ = json::parse(r.body);
    id_ = std::string(dep_.at("id").as_string());
  }

  /// Rewrites the stored deployment as an older catalog would have left it:
  /// Mastodon 4.2.0 with schema-1 settings ("openRegistrations", no "registrations").
  void makeItOld() {
    auto conn = store::connect(server_.dataDir().stateUrl());
    conn->execute("UPDATE deployments SET catalog_version = '2026.10.1', nixpkgs_revision = 'nixos-24.05' WHERE id = ?1",
                  {id_});
    auto settings = dep_.at("apps").at(0).at("settings").as_object();
    settings.erase("registrations");
    settings["openRegistrations"] = true;
    conn->execute(
        "UPDATE deployment_apps SET version = '4.2.0', schema_version = 1, settings = ?2 "
        "WHERE deployment_id = ?1 AND app = 'mastodon'",
        {id_, json::serialize(settings)});
  }

  json::value get(const std::string& path) { return json::parse(api_->get(path).body); }

  testing::TestServer server_;
  std::unique_ptr<client::Client> api_;
  json::value dep_;
  std::string id_;
};

TEST_F(UpgradeTest, ANewDeploymentRecordsTheCurrentVersionsAndHasNoUpgrade) {
  EXPECT_EQ(dep_.at("catalogVersion").as_string(), catalog::release().version);
  EXPECT_EQ(dep_.at("nixpkgsRevision").as_string(), catalog::release().nixpkgsRevision);
  auto* mastodon = catalog::find("mastodon");
  EXPECT_EQ(dep_.at("apps").at(0).at("version").as_string(), mastodon->version);
  EXPECT_EQ(dep_.at("apps").at(0).at("schemaVersion").as_int64(), mastodon->schemaVersion);
  auto up = get("/api/v1/deployments/" + id_ + "/upgrade");
  EXPECT_FALSE(up.at("available").as_bool());
  auto r = api_->request("POST", "/api/v1/deployments/" + id_ + "/upgrade", "{}", {{"If-Match", "\"1\""}});
  EXPECT_EQ(r.status, 409) << r.body;
}

TEST_F(UpgradeTest, AnOlderDeploymentStaysAsItIsUntilUpgradedThenItsSettingsAreMigrated) {
  ASSERT_GE(catalog::find("mastodon")->schemaVersion, 2) << "the catalog's Mastodon has no settings migration";
  makeItOld();

  // Still served and applicable as it is: nothing is upgraded behind the owner's back.
  auto applied = api_->post("/api/v1/deployments/" + id_ + "/apply");
  ASSERT_EQ(applied.status, 202) << applied.body;
  server_.orchestrator().waitIdle();
  auto d = get("/api/v1/deployments/" + id_);
  EXPECT_EQ(d.at("status").as_string(), "ready");
  EXPECT_EQ(d.at("catalogVersion").as_string(), "2026.10.1");
  EXPECT_EQ(d.at("apps").at(0).at("version").as_string(), "4.2.0");
  EXPECT_TRUE(d.at("apps").at(0).at("settings").as_object().contains("openRegistrations"));

  // Editing apps on an old schema is refused until upgraded.
  auto patch = api_->request("PATCH", "/api/v1/deployments/" + id_, R"({"apps":[{"app":"mastodon"}]})",
                             {{"If-Match", "\"1\""}});
  EXPECT_EQ(patch.status, 409) << patch.body;

  // The upgrade says what changes.
  auto up = get("/api/v1/deployments/" + id_ + "/upgrade");
  ASSERT_TRUE(up.at("available").as_bool());
  EXPECT_EQ(up.at("from").at("catalogVersion").as_string(), "2026.10.1");
  EXPECT_EQ(up.at("to").at("catalogVersion").as_string(), catalog::release().version);
  ASSERT_EQ(up.at("apps").as_array().size(), 1u);  // Pixelfed is current
  auto& m = up.at("apps").at(0);
  EXPECT_EQ(m.at("app").as_string(), "mastodon");
  EXPECT_EQ(m.at("fromSchema").as_int64(), 1);
  std::string changes = json::serialize(m.at("changes"));
  EXPECT_NE(changes.find("4.2.0"), std::string::npos) << changes;
  EXPECT_NE(changes.find(catalog::find("mastodon")->migrations.at(0).description), std::string::npos) << changes;

  // A stale version is refused; the right one upgrades.
  EXPECT_EQ(api_->request("POST", "/api/v1/deployments/" + id_ + "/upgrade", "{}", {{"If-Match", "\"9\""}}).status,
            412);
  auto r = api_->request("POST", "/api/v1/deployments/" + id_ + "/upgrade", "{}", {{"If-Match", "\"1\""}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto upgraded = json::parse(r.body);
  auto& settings = upgraded.at("apps").at(0).at("settings").as_object();
  EXPECT_FALSE(settings.contains("openRegistrations"));
  EXPECT_EQ(settings.at("registrations").as_string(), "open");  // true -> "open"
  EXPECT_EQ(upgraded.at("apps").at(0).at("version").as_string(), catalog::find("mastodon")->version);
  EXPECT_EQ(upgraded.at("catalogVersion").as_string(), catalog::release().version);
  EXPECT_EQ(upgraded.at("version").as_int64(), 2);
  EXPECT_FALSE(get("/api/v1/deployments/" + id_ + "/upgrade").at("available").as_bool());

  // The machine's configuration changes with it: the next plan updates it.
  auto plan = json::parse(api_->post("/api/v1/deployments/" + id_ + "/plan").body);
  EXPECT_GE(plan.at("summary").at("update").as_int64(), 1) << json::serialize(plan.at("summary"));
  EXPECT_EQ(plan.at("summary").at("create").as_int64(), 0);
}

}  // namespace
}  // namespace fedihost
