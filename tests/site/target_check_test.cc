// `fedihost target check`: a target whose servers answer and whose credentials
// are right passes; a wrong API key or an unreachable server is named.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "support/process.hh"
#include "support/site.hh"

namespace fedihost {
namespace {

namespace json = boost::json;

class TargetCheckTest : public testing::SharedSite<TargetCheckTest> {
 protected:
  static void SetUpTestSuite() { startSite({"powerdns", "postgresql"}); }

  std::string writeTarget(const json::object& providers) {
    auto path = (tmp_ / "target.json").string();
    std::ofstream(path) << json::serialize(json::object{{"name", "site"}, {"providers", providers}});
    return path;
  }
  testing::CommandResult check(const std::string& file) {
    return testing::run(std::string(FEDIHOST_BIN) + " target check " + file + " --data " + (tmp_ / "var").string());
  }

  /// The site's providers; the kinds it does not serve named as files.
  static json::object siteProviders() {
    return site_->providers({"ip-address", "machine", "certificate", "nixos-config", "bucket", "access-key",
                             "mail-account"});
  }

  testing::TempDir tmp_{"fedihost-check"};
};

TEST_F(TargetCheckTest, ATargetThatLeavesOutAKindEveryDeploymentNeedsIsRefusedNamingIt) {
  auto r = check(writeTarget(site_->providers()));  // DNS and databases only
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("names no provider for ip-address, machine, certificate, nixos-config"), std::string::npos)
      << r.output;
  // A kind only some apps need may be left out: shown as not offered.
  auto providers = siteProviders();
  providers.erase("mail-account");
  r = check(writeTarget(providers));
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("mail-account   not offered"), std::string::npos) << r.output;
}

TEST_F(TargetCheckTest, AWorkingTargetPassesAndShowsItsProviders) {
  auto r = check(writeTarget(siteProviders()));
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("dns-record-set "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("powerdns"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("postgresql"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("FAILED"), std::string::npos) << r.output;
}

TEST_F(TargetCheckTest, AWrongApiKeyAndAnUnreachableServerAreNamed) {
  auto providers = siteProviders();
  providers["dns-record-set"].as_object()["settings"].as_object()["apiKey"] = "wrong";
  providers["database"].as_object()["settings"].as_object()["port"] = 1;
  auto r = check(writeTarget(providers));
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("settings.apiKey"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Connection refused"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 providers failed the check"), std::string::npos) << r.output;
}

TEST_F(TargetCheckTest, ABadSettingIsRefusedNamingTheField) {
  auto providers = siteProviders();
  providers["dns-record-set"].as_object()["settings"].as_object().erase("url");
  auto r = check(writeTarget(providers));
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("providers.dns-record-set"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("providers.dns-record-set.settings.url"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace fedihost
