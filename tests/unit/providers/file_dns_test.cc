// The file DNS provider: record sets kept per zone, the zone re-rendered from
// all of them after every change, a growing serial, and input checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <regex>

#include "providers/file/file_providers.hh"
#include "test_support.hh"

namespace fedihost::providers::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class FileDnsTest : public TempRootTest {
 protected:
  void SetUp() override {
    TempRootTest::SetUp();
    dns_ = file::makeDnsProvider(config());
  }
  static Resource rrset(const std::string& name, const std::string& fqdn, const std::string& type, json::array records,
                        const std::string& dep = "dep_x", const std::string& zone = "social.example.test") {
    return makeResource(dep, ResourceKind::DnsRecordSet, name,
                        {{"zone", zone}, {"name", fqdn}, {"type", type}, {"ttl", 300}, {"records", std::move(records)}});
  }
  fs::path zoneFile(const std::string& dep = "dep_x") const { return root_ / dep / "dns/social.example.test.zone"; }
  fs::path stateFile(const std::string& dep = "dep_x") const {
    return root_ / dep / "dns/social.example.test.rrsets.json";
  }
  std::uint64_t serial(const std::string& dep = "dep_x") const {
    std::smatch m;
    auto text = slurp(zoneFile(dep));
    EXPECT_TRUE(std::regex_search(text, m, std::regex("IN\tSOA\t\\S+ \\S+ (\\d+) ")));
    auto fromZone = std::stoull(m[1]);
    EXPECT_EQ(readJsonFile(stateFile(dep)).at("serial").to_number<std::uint64_t>(), fromZone);
    return fromZone;
  }
  void create(const Resource& r) {
    auto res = dns_->create(resolved(r));
    ASSERT_TRUE(res.ok()) << res.error().message;
  }

  std::unique_ptr<DnsProvider> dns_;
};

TEST_F(FileDnsTest, ZoneIsRenderedFromAllRecordSets) {
  create(rrset("apex-a", "social.example.test.", "A", {"192.0.2.2"}));
  create(rrset("mastodon-a", "mastodon.social.example.test.", "A", {"192.0.2.2"}));
  create(rrset("pixelfed-a", "pixelfed.social.example.test", "a", {"192.0.2.3"}));
  create(rrset("mastodon-aaaa", "mastodon.social.example.test.", "AAAA", {"2001:db8::2"}));
  create(rrset("spf", "social.example.test.", "TXT", {"v=spf1 a -all", "quoted \"words\" and spaces"}));
  auto text = slurp(zoneFile());
  EXPECT_THAT(text, HasSubstr("$ORIGIN social.example.test.\n"));
  EXPECT_THAT(text, HasSubstr("@\t300\tIN\tA\t192.0.2.2\n"));
  EXPECT_THAT(text, HasSubstr("mastodon\t300\tIN\tA\t192.0.2.2\nmastodon\t300\tIN\tAAAA\t2001:db8::2\n"));
  EXPECT_THAT(text, HasSubstr("pixelfed\t300\tIN\tA\t192.0.2.3\n"));
  EXPECT_THAT(text, HasSubstr("@\t300\tIN\tTXT\t\"quoted \\\"words\\\" and spaces\"\n"));

  auto state = readJsonFile(stateFile());
  EXPECT_EQ(state.at("zone"), json::value("social.example.test"));
  EXPECT_EQ(state.at("recordSets").as_object().size(), 5u);
  EXPECT_EQ(state.at("recordSets").at("dep_x/dns-record-set/pixelfed-a").at("type"), json::value("a"))
      << "attributes are stored as given";

  if (std::system("command -v named-checkzone >/dev/null 2>&1") != 0) GTEST_SKIP() << "named-checkzone not installed";
  std::string cmd = "named-checkzone social.example.test '" + zoneFile().string() + "' >/dev/null 2>&1";
  int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
}

TEST_F(FileDnsTest, SerialIncreasesOnEveryChangeOnly) {
  auto a = rrset("mastodon-a", "mastodon.social.example.test.", "A", {"192.0.2.2"});
  create(a);
  auto s1 = serial();
  EXPECT_GE(s1, 2000000000u) << "YYYYMMDDnn";
  create(rrset("pixelfed-a", "pixelfed.social.example.test.", "A", {"192.0.2.3"}));
  auto s2 = serial();
  EXPECT_GT(s2, s1);
  create(a);  // no change
  EXPECT_EQ(serial(), s2);
  ASSERT_TRUE(dns_->update(resolved(a)).ok());  // same attributes: no change
  EXPECT_EQ(serial(), s2);
  a.attributes["records"] = json::array{"192.0.2.7"};
  ASSERT_TRUE(dns_->update(resolved(a)).ok());
  auto s3 = serial();
  EXPECT_GT(s3, s2);
  EXPECT_THAT(slurp(zoneFile()), HasSubstr("mastodon\t300\tIN\tA\t192.0.2.7\n"));
  ASSERT_TRUE(dns_->remove(resolved(rrset("pixelfed-a", "", "A", {}))).ok());
  EXPECT_GT(serial(), s3);
  EXPECT_THAT(slurp(zoneFile()), Not(HasSubstr("pixelfed")));
}

TEST_F(FileDnsTest, RemovingTheLastRecordSetRemovesTheZone) {
  auto a = rrset("mastodon-a", "mastodon.social.example.test.", "A", {"192.0.2.2"});
  auto b = rrset("pixelfed-a", "pixelfed.social.example.test.", "A", {"192.0.2.3"});
  create(a);
  create(b);
  create(rrset("mastodon-a", "mastodon.social.example.test.", "A", {"192.0.2.2"}, "dep_y"));
  ASSERT_TRUE(dns_->remove(resolved(a)).ok());
  EXPECT_TRUE(fs::exists(zoneFile()));
  ASSERT_TRUE(dns_->remove(resolved(b)).ok());
  EXPECT_FALSE(fs::exists(zoneFile()));
  EXPECT_FALSE(fs::exists(stateFile()));
  EXPECT_FALSE(fs::exists(root_ / "dep_x"));
  EXPECT_TRUE(fs::exists(zoneFile("dep_y")));
  EXPECT_TRUE(dns_->read(resolved(rrset("mastodon-a", "", "A", {}, "dep_y"))).ok());
}

TEST_F(FileDnsTest, RecordOutsideTheZoneIsRefused) {
  auto r = dns_->create(resolved(rrset("evil", "mastodon.other.test.", "A", {"192.0.2.2"})));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "attributes.name");
  auto suffix = dns_->create(resolved(rrset("evil", "evilsocial.example.test.", "A", {"192.0.2.2"})));
  ASSERT_FALSE(suffix.ok());
  EXPECT_EQ(suffix.error().field, "attributes.name");
  auto badA = dns_->create(resolved(rrset("bad", "x.social.example.test.", "A", {"not-an-ip"})));
  ASSERT_FALSE(badA.ok());
  EXPECT_EQ(badA.error().field, "attributes.records[0]");
  EXPECT_FALSE(fs::exists(root_ / "dep_x"));
}

TEST_F(FileDnsTest, OneRecordSetPerNameAndType) {
  create(rrset("one", "www.social.example.test.", "A", {"192.0.2.2"}));
  auto dup = dns_->create(resolved(rrset("two", "WWW.social.example.test", "A", {"192.0.2.3"})));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::Conflict);
  auto cname = dns_->create(resolved(rrset("three", "www.social.example.test.", "CNAME", {"x.example.net."})));
  ASSERT_FALSE(cname.ok());
  EXPECT_EQ(cname.error().kind, ErrorKind::Invalid);
  auto keys = dns_->list("dep_x");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 1u);
}

TEST_F(FileDnsTest, UpdateCanMoveARecordSetToAnotherZone) {
  auto r = rrset("mastodon-a", "mastodon.social.example.test.", "A", {"192.0.2.2"});
  create(r);
  create(rrset("apex", "social.example.test.", "A", {"192.0.2.2"}));
  r.attributes["zone"] = "other.example.test";
  r.attributes["name"] = "mastodon.other.example.test.";
  ASSERT_TRUE(dns_->update(resolved(r)).ok());
  EXPECT_THAT(slurp(zoneFile()), Not(HasSubstr("mastodon")));
  auto other = slurp(root_ / "dep_x/dns/other.example.test.zone");
  EXPECT_THAT(other, HasSubstr("mastodon\t300\tIN\tA\t192.0.2.2\n"));
  auto read = dns_->read(resolved(r));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->attributes.at("zone"), json::value("other.example.test"));
  auto keys = dns_->list("dep_x");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 2u);
}

TEST_F(FileDnsTest, SettingsGiveTheSoa) {
  auto dns = file::makeDnsProvider(
      config({{"nameservers", json::array{"ns.example.net."}}, {"hostmaster", "dns@example.net"}}));
  ASSERT_TRUE(dns->create(resolved(rrset("a", "a.social.example.test.", "A", {"192.0.2.2"}))).ok());
  auto text = slurp(zoneFile());
  EXPECT_THAT(text, HasSubstr("IN\tSOA\tns.example.net. dns.example.net. "));
  EXPECT_THAT(text, HasSubstr("@\t300\tIN\tNS\tns.example.net.\n"));
  EXPECT_THAT(text, Not(HasSubstr("fedihost.invalid")));
}

TEST_F(FileDnsTest, AnInterruptedRenderingIsFinishedByTheRetriedCreate) {
  auto r = rrset("mastodon-a", "mastodon.social.example.test.", "A", {"192.0.2.2"});
  create(r);
  auto good = slurp(zoneFile());
  fs::remove(zoneFile());  // as if the process died between the two writes
  create(r);
  EXPECT_EQ(slurp(zoneFile()), good);
}

}  // namespace
}  // namespace fedihost::providers::testing
