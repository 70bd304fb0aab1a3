// The pure parts of the DNS providers: the reading and canonical form of a
// dns-record-set's attributes, TXT quoting, owner comments, the PATCH entry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "providers/file/zone_file.hh"
#include "providers/powerdns/powerdns.hh"
#include "providers/rfc2136/rfc2136.hh"

namespace fedihost::providers {
namespace {

using ::testing::ElementsAre;
namespace json = boost::json;

json::object attrs(std::string type, json::array records, std::string name = "www.Example.ORG.") {
  return {{"zone", "Example.org."}, {"name", name}, {"type", type}, {"ttl", 300}, {"records", std::move(records)}};
}

TEST(PowerDnsRecordSet, NamesAreCanonicalAndRecordsSorted) {
  auto spec = powerdns::parseRecordSet(attrs("a", {"192.0.2.9", "192.0.2.10"}));
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->zone, "example.org");
  EXPECT_EQ(spec->name, "www.example.org.");
  EXPECT_EQ(spec->type, "A");
  EXPECT_EQ(spec->ttl, 300u);
  EXPECT_THAT(spec->records, ElementsAre("192.0.2.10", "192.0.2.9"));
  EXPECT_EQ(json::value(powerdns::recordSetAttributes(*spec)),
            json::parse(R"({"zone":"example.org","name":"www.example.org.","type":"A","ttl":300,)"
                        R"("records":["192.0.2.10","192.0.2.9"]})"));
  // A relative name is taken as absolute.
  auto rel = powerdns::parseRecordSet(attrs("A", {"192.0.2.1"}, "WWW.example.org"));
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->name, "www.example.org.");
}

TEST(PowerDnsRecordSet, RecordDataIsCanonicalPerType) {
  auto one = [](std::string type, std::string rec) {
    auto r = powerdns::canonicalRecord(type, rec, "f");
    return r.ok() ? *r : "error: " + r.error().message;
  };
  EXPECT_EQ(one("AAAA", "2001:DB8:0:0::7"), "2001:db8::7");
  EXPECT_EQ(one("CNAME", "Target.Example.net"), "target.example.net.");
  EXPECT_EQ(one("NS", "ns1.example.net."), "ns1.example.net.");
  EXPECT_EQ(one("MX", "10   Mail.example.org"), "10 mail.example.org.");
  EXPECT_EQ(one("SRV", "0 5 5269 xmpp.example.org."), "0 5 5269 xmpp.example.org.");
  EXPECT_EQ(one("SRV", "0 0 0 ."), "0 0 0 .");
  EXPECT_EQ(one("CAA", "0 ISSUE \"letsencrypt.org\""), "0 issue \"letsencrypt.org\"");
  EXPECT_EQ(one("CAA", "128 iodef mailto:x@example.org"), "128 iodef \"mailto:x@example.org\"");
  EXPECT_EQ(one("TXT", "as \"it\" is"), "as \"it\" is");
}

TEST(PowerDnsRecordSet, BadInputNamesTheAttribute) {
  auto field = [](json::object a) {
    auto r = powerdns::parseRecordSet(a);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().field;
  };
  EXPECT_EQ(field(attrs("PTR", {"x.example.org."})), "attributes.type");
  EXPECT_EQ(field(attrs("SOA", {"x"})), "attributes.type");
  EXPECT_EQ(field(attrs("A", {"192.0.2.1"}, "www.example.net.")), "attributes.name");
  EXPECT_EQ(field(attrs("A", {"192.0.2.1", "192.0.2.400"})), "attributes.records[1]");
  EXPECT_EQ(field(attrs("A", {})), "attributes.records");
  EXPECT_EQ(field(attrs("A", {"192.0.2.1", "192.0.2.1"})), "attributes.records");
  EXPECT_EQ(field(attrs("MX", {"mail.example.org."})), "attributes.records[0]");
  EXPECT_EQ(field(attrs("MX", {"70000 mail.example.org."})), "attributes.records[0]");
  EXPECT_EQ(field(attrs("SRV", {"1 2 mail.example.org."})), "attributes.records[0]");
  EXPECT_EQ(field(attrs("CAA", {"0 issue \"a\" \"b\""})), "attributes.records[0]");
  EXPECT_EQ(field(attrs("CNAME", {"a.example.org.", "b.example.org."})), "attributes.records");
  EXPECT_EQ(field(attrs("CNAME", {"a.example.org."}, "example.org.")), "attributes.type");
  EXPECT_EQ(field(attrs("NS", {"ns.example.net."}, "example.org.")), "attributes.type");
  auto noTtl = attrs("A", {"192.0.2.1"});
  noTtl["ttl"] = -1;
  EXPECT_EQ(field(noTtl), "attributes.ttl");
  auto noZone = attrs("A", {"192.0.2.1"});
  noZone.erase("zone");
  EXPECT_EQ(field(noZone), "attributes.zone");
}

TEST(PowerDnsTxt, QuotingRoundTrips) {
  for (std::string text : {std::string("v=spf1 a -all"), std::string("say \"hi\"; \\ back"), std::string(600, 'y'),
                           std::string("tab\there\x01"), std::string()}) {
    auto content = powerdns::apiContent("TXT", text);
    auto back = powerdns::unquoteTxt(content);
    ASSERT_TRUE(back.has_value()) << content;
    EXPECT_EQ(*back, text) << content;
  }
  EXPECT_EQ(powerdns::apiContent("TXT", "a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(powerdns::apiContent("A", "192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(powerdns::unquoteTxt("\"ab\" \"cd\""), "abcd");
  EXPECT_EQ(powerdns::unquoteTxt("\"\\065\\066\""), "AB");
  EXPECT_EQ(powerdns::unquoteTxt("bare"), "bare");
  EXPECT_FALSE(powerdns::unquoteTxt("\"open").has_value());
  EXPECT_FALSE(powerdns::unquoteTxt("\"x\\").has_value());
  EXPECT_FALSE(powerdns::unquoteTxt("\"\\99\"").has_value());
  EXPECT_FALSE(powerdns::unquoteTxt("").has_value());
}

TEST(PowerDnsOwner, CommentCarriesTheKey) {
  EXPECT_EQ(powerdns::ownerComment("dep_x/dns-record-set/A-www"), "fedihost:dep_x/dns-record-set/A-www");
  EXPECT_EQ(powerdns::ownerFromComment("fedihost:dep_x/dns-record-set/A-www"), "dep_x/dns-record-set/A-www");
  EXPECT_FALSE(powerdns::ownerFromComment("set by hand").has_value());
  EXPECT_FALSE(powerdns::ownerFromComment("fedihost:").has_value());
  EXPECT_EQ(rfc2136::ownerName("WWW.example.org.", "AAAA"), "_fedihost-owner-aaaa.www.example.org.");
}

TEST(PowerDnsPatch, ReplaceEntryHoldsRecordsAndOwner) {
  auto spec = powerdns::parseRecordSet(attrs("TXT", {"b \"q\"", "a"}, "example.org."));
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  auto entry = powerdns::replaceRrset(*spec, "dep_x/dns-record-set/TXT");
  EXPECT_EQ(json::value(entry), json::parse(R"({
    "name": "example.org.", "type": "TXT", "ttl": 300, "changetype": "REPLACE",
    "records": [{"content": "\"a\"", "disabled": false}, {"content": "\"b \\\"q\\\"\"", "disabled": false}],
    "comments": [{"content": "fedihost:dep_x/dns-record-set/TXT", "account": "fedihost"}]})"));
}

TEST(PowerDnsFactory, RefusesBadSettings) {
  auto field = [](json::object settings) {
    try {
      powerdns::makeDnsProvider(ProviderConfig{"powerdns", {}, std::move(settings), "t", {}});
    } catch (const AbortError& e) {
      return e.error().field;
    }
    return std::string("accepted");
  };
  json::object good{{"url", "http://127.0.0.1:8081"}, {"apiKey", "k"}, {"nameservers", json::array{"ns1.example.net."}}};
  EXPECT_EQ(field(good), "accepted");
  auto s = good;
  s.erase("apiKey");
  EXPECT_EQ(field(s), "settings.apiKey");
  s = good;
  s["nameservers"] = json::array{"not a name"};
  EXPECT_EQ(field(s), "settings.nameservers");
  s = good;
  s["timeoutMs"] = 0;
  EXPECT_EQ(field(s), "settings.timeoutMs");
}

}  // namespace
}  // namespace fedihost::providers
