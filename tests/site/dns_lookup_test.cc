// lookupTxt against a real PowerDNS Authoritative 4.7 on loopback
// (scripts/site/powerdns.sh); the records are put there through its HTTP API.
#include "net/dns_lookup.hh"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net/http.hh"
#include "support/ports.hh"
#include "support/powerdns_api.hh"
#include "support/site.hh"

namespace fedihost::net {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
namespace json = boost::json;

constexpr const char* kZone = "lookup.test.";

class DnsLookupSiteTest : public fedihost::testing::SharedSite<DnsLookupSiteTest> {
 protected:
  static void SetUpTestSuite() { startSite({"powerdns"}); }

  void SetUp() override {
    SharedSite::SetUp();
    if (zoneMade_) return;
    auto made = api("POST", "/zones",
                    json::serialize(json::object{{"name", kZone}, {"kind", "Native"}, {"nameservers", {"ns1.lookup.test."}}}));
    ASSERT_EQ(made.status, 201) << made.body;
    zoneMade_ = true;
  }

  static json::object settings() { return site_->settings("powerdns", "dns-record-set"); }

  static Resolver resolver() {
    return {"127.0.0.1", static_cast<unsigned short>(settings().at("dnsPort").as_int64()), 3000};
  }

  static HttpResponse api(const std::string& method, const std::string& path, const std::string& body = {}) {
    return fedihost::testing::powerDnsApi(settings(), method, path, body);
  }

  /// Replaces the records of one name and type in the zone (contents in PowerDNS's zone-file form).
  static void put(const std::string& name, const std::string& type, const std::vector<std::string>& contents) {
    json::array records;
    for (auto& c : contents) records.push_back(json::object{{"content", c}, {"disabled", false}});
    json::object rrset{{"name", name}, {"type", type}, {"ttl", 60}, {"changetype", "REPLACE"}, {"records", records}};
    auto r = api("PATCH", std::string("/zones/") + kZone, json::serialize(json::object{{"rrsets", json::array{rrset}}}));
    ASSERT_EQ(r.status, 204) << r.body;
  }

  static inline bool zoneMade_ = false;
};

TEST_F(DnsLookupSiteTest, TxtRecordsAreJoinedStrings) {
  // 504 characters in three strings: the answer outgrows 512 octets, comes truncated, and is asked again (EDNS0).
  const std::string a(250, 'a'), b(250, 'b');
  put("verify.lookup.test.", "TXT",
      {"\"fedihost-verification=abc 123 with spaces\"", "\"" + a + "\" \"" + b + "\" \"tail\""});
  auto txt = lookupTxt("verify.lookup.test", resolver());
  ASSERT_TRUE(txt.ok()) << txt.error().message;
  EXPECT_THAT(*txt, UnorderedElementsAre("fedihost-verification=abc 123 with spaces", a + b + "tail"));
  // An absolute name is the same name.
  auto again = lookupTxt("verify.lookup.test.", resolver());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 2u);
}

TEST_F(DnsLookupSiteTest, MissingNameOrNoTxtIsEmpty) {
  auto nx = lookupTxt("absent.lookup.test", resolver());
  ASSERT_TRUE(nx.ok()) << nx.error().message;
  EXPECT_THAT(*nx, IsEmpty());

  put("www.lookup.test.", "A", {"192.0.2.1"});
  auto nodata = lookupTxt("www.lookup.test", resolver());
  ASSERT_TRUE(nodata.ok()) << nodata.error().message;
  EXPECT_THAT(*nodata, IsEmpty());
}

TEST_F(DnsLookupSiteTest, AZoneTheServerDoesNotServeIsUnavailableNamingTheRcode) {
  auto refused = lookupTxt("elsewhere.example", resolver());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Unavailable);
  EXPECT_THAT(refused.error().message, HasSubstr("REFUSED"));
}

TEST_F(DnsLookupSiteTest, ClosedPortIsUnavailable) {
  const auto port = static_cast<unsigned short>(fedihost::testing::closedPort(SOCK_DGRAM));
  auto r = lookupTxt("verify.lookup.test", {"127.0.0.1", port, 300});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unavailable);
  EXPECT_THAT(r.error().message, HasSubstr("did not answer"));
}

TEST_F(DnsLookupSiteTest, WhatCannotBeAskedIsInvalid) {
  auto badName = lookupTxt("a..b", resolver());
  ASSERT_FALSE(badName.ok());
  EXPECT_EQ(badName.error().field, "name");
  auto badAddress = lookupTxt("verify.lookup.test", {"not-an-address", 53, 300});
  ASSERT_FALSE(badAddress.ok());
  EXPECT_EQ(badAddress.error().field, "address");
}

}  // namespace
}  // namespace fedihost::net
