// The "powerdns" DNS provider against a real PowerDNS Authoritative 4.7
// (scripts/site/powerdns.sh): what it writes is checked with dig, out-of-band
// changes are made through the API itself. Each test uses its own zone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "net/http.hh"
#include "providers/powerdns/powerdns.hh"
#include "support/powerdns_api.hh"
#include "support/site.hh"

namespace fedihost::providers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace json = boost::json;

class PowerDnsSiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { site_ = std::make_unique<fedihost::testing::Site>(std::vector<std::string>{"powerdns"}); }
  static void TearDownTestSuite() { site_.reset(); }

  void SetUp() override {
    settings_ = site_->settings("powerdns", "dns-record-set");
    dns_ = make(settings_);
    // One zone per test, named after it.
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    zone_ = name + ".test";
    tag_ = "t" + std::to_string(++tests_) + "-";
  }

  /// A deployment id of this test only (identity keys are global on the server).
  std::string dep(const std::string& d) const { return tag_ + d; }
  std::string key(const std::string& d, const std::string& name) const {
    return resourceKey(dep(d), ResourceKind::DnsRecordSet, name);
  }

  static std::unique_ptr<DnsProvider> make(const json::object& settings) {
    return powerdns::makeDnsProvider(ProviderConfig{"powerdns", {}, settings, "site", {}});
  }

  Resource rrset(const std::string& dep, const std::string& name, const std::string& host, const std::string& type,
                 json::array records, int ttl = 300) const {
    Resource r;
    r.deployment = this->dep(dep);
    r.kind = ResourceKind::DnsRecordSet;
    r.name = name;
    r.key = key(dep, name);
    r.attributes = {{"zone", zone_},
                    {"name", host.empty() ? zone_ + "." : host + "." + zone_ + "."},
                    {"type", type},
                    {"ttl", ttl},
                    {"records", std::move(records)}};
    return r;
  }

  Observed create(const Resource& r) {
    auto res = dns_->create({r, nullptr});
    EXPECT_TRUE(res.ok()) << res.error().message;
    return res.ok() ? *res : Observed{};
  }

  /// dig +short answers, sorted.
  std::vector<std::string> dig(const std::string& host, const std::string& type) const {
    auto name = host.empty() ? zone_ : host + "." + zone_;
    auto r = fedihost::testing::run("dig +short +norecurse +time=2 +tries=1 @127.0.0.1 -p " +
                                    std::to_string(settings_.at("dnsPort").as_int64()) + " " + name + " " + type);
    EXPECT_EQ(r.exitCode, 0) << r.output;
    std::vector<std::string> lines;
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  /// A call to the PowerDNS API, as an operator would make it by hand.
  net::HttpResponse api(const std::string& method, const std::string& path, const std::string& body = {}) const {
    return fedihost::testing::powerDnsApi(settings_, method, path, body);
  }

  static std::vector<std::string> records(const Observed& o) {
    std::vector<std::string> out;
    for (auto& v : o.attributes.at("records").as_array()) out.emplace_back(v.as_string());
    return out;
  }

  static inline std::unique_ptr<fedihost::testing::Site> site_;
  json::object settings_;
  std::unique_ptr<DnsProvider> dns_;
  std::string zone_;
  std::string tag_;
  static inline int tests_ = 0;
};

TEST_F(PowerDnsSiteTest, CreateMakesTheZoneAndServesTheRecords) {
  auto r = rrset("dep_x", "A-www", "www", "A", {"192.0.2.8", "192.0.2.7"});
  auto o = create(r);
  EXPECT_THAT(dig("www", "A"), ElementsAre("192.0.2.7", "192.0.2.8"));
  EXPECT_EQ(json::value(o.attributes), json::parse(R"({"zone":")" + zone_ + R"(","name":"www.)" + zone_ +
                                                   R"(.","type":"A","ttl":300,"records":["192.0.2.7","192.0.2.8"]})"));
  // The zone it made: Native, SOA and NS from the settings.
  EXPECT_THAT(dig("", "NS"), ElementsAre("ns1.fedihost.test.", "ns2.fedihost.test."));
  auto soa = dig("", "SOA");
  ASSERT_EQ(soa.size(), 1u);
  EXPECT_THAT(soa[0], ::testing::StartsWith("ns1.fedihost.test. hostmaster.fedihost.test. "));
  auto zone = json::parse(api("GET", "/zones/" + zone_ + ".").body).as_object();
  EXPECT_EQ(zone.at("kind"), json::value("Native"));
  EXPECT_EQ(zone.at("account"), json::value("fedihost:" + dep("dep_x")));

  // A second create of the same key changes nothing and answers the same.
  auto again = dns_->create({r, nullptr});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->attributes, o.attributes);
  auto read = dns_->read({r, nullptr});
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->attributes, o.attributes);
}

TEST_F(PowerDnsSiteTest, UpdateReplacesRecordsAndTtl) {
  create(rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"}));
  auto changed = rrset("dep_x", "A-www", "www", "A", {"192.0.2.9", "192.0.2.10"}, 600);
  auto o = dns_->update({changed, nullptr});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_THAT(dig("www", "A"), ElementsAre("192.0.2.10", "192.0.2.9"));
  auto read = dns_->read({changed, nullptr});
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->attributes.at("ttl"), json::value(600));
  EXPECT_THAT(records(*read), ElementsAre("192.0.2.10", "192.0.2.9"));

  // An update of a key that owns nothing is NotFound (the executor then creates).
  auto absent = dns_->update({rrset("dep_x", "A-other", "other", "A", {"192.0.2.1"}), nullptr});
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().kind, ErrorKind::NotFound);
}

TEST_F(PowerDnsSiteTest, UpdateMovesTheSetWhenItsNameChanges) {
  create(rrset("dep_x", "A-app", "old", "A", {"192.0.2.7"}));
  auto moved = dns_->update({rrset("dep_x", "A-app", "new", "A", {"192.0.2.7"}), nullptr});
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_TRUE(dig("old", "A").empty());
  EXPECT_THAT(dig("new", "A"), ElementsAre("192.0.2.7"));
  auto keys = dns_->list(dep("dep_x"));
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(*keys, ElementsAre(key("dep_x", "A-app")));
}

TEST_F(PowerDnsSiteTest, SetsOfOneZoneDoNotClobberEachOther) {
  create(rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"}));
  create(rrset("dep_x", "A-mail", "mail", "A", {"192.0.2.8"}));
  create(rrset("dep_x", "AAAA-www", "www", "AAAA", {"2001:DB8::7"}));
  create(rrset("dep_y", "A-apex", "", "A", {"192.0.2.9"}));
  EXPECT_THAT(dig("www", "A"), ElementsAre("192.0.2.7"));
  EXPECT_THAT(dig("www", "AAAA"), ElementsAre("2001:db8::7"));
  EXPECT_THAT(dig("mail", "A"), ElementsAre("192.0.2.8"));
  EXPECT_THAT(dig("", "A"), ElementsAre("192.0.2.9"));

  ASSERT_TRUE(dns_->update({rrset("dep_x", "A-www", "www", "A", {"192.0.2.70"}), nullptr}).ok());
  ASSERT_TRUE(dns_->remove({rrset("dep_x", "A-mail", "mail", "A", {"192.0.2.8"}), nullptr}).ok());
  EXPECT_THAT(dig("www", "A"), ElementsAre("192.0.2.70"));
  EXPECT_THAT(dig("www", "AAAA"), ElementsAre("2001:db8::7"));
  EXPECT_TRUE(dig("mail", "A").empty());
  EXPECT_THAT(dig("", "A"), ElementsAre("192.0.2.9"));
  EXPECT_THAT(dig("", "NS"), ElementsAre("ns1.fedihost.test.", "ns2.fedihost.test."));
}

TEST_F(PowerDnsSiteTest, ASetHeldByAnotherKeyOrByNoneIsRefused) {
  create(rrset("dep_a", "A-www", "www", "A", {"192.0.2.7"}));
  auto theirs = dns_->create({rrset("dep_b", "A-www", "www", "A", {"192.0.2.66"}), nullptr});
  ASSERT_FALSE(theirs.ok());
  EXPECT_EQ(theirs.error().kind, ErrorKind::Conflict);
  EXPECT_THAT(theirs.error().message, HasSubstr("held by " + key("dep_a", "A-www")));
  EXPECT_THAT(dig("www", "A"), ElementsAre("192.0.2.7"));

  // A set made by hand (no owner comment) is not taken either.
  auto resp = api("PATCH", "/zones/" + zone_ + ".",
                  R"({"rrsets":[{"name":"manual.)" + zone_ +
                      R"(.","type":"A","ttl":60,"changetype":"REPLACE","records":[{"content":"192.0.2.50","disabled":false}]}]})");
  ASSERT_EQ(resp.status, 204) << resp.body;
  auto manual = dns_->create({rrset("dep_b", "A-manual", "manual", "A", {"192.0.2.66"}), nullptr});
  ASSERT_FALSE(manual.ok());
  EXPECT_EQ(manual.error().kind, ErrorKind::Conflict);
  EXPECT_THAT(manual.error().message, HasSubstr("not managed by fedihost"));
  EXPECT_THAT(dig("manual", "A"), ElementsAre("192.0.2.50"));
  // Removing a key that owns nothing there leaves the hand-made set alone.
  ASSERT_TRUE(dns_->remove({rrset("dep_b", "A-manual", "manual", "A", {"192.0.2.66"}), nullptr}).ok());
  EXPECT_THAT(dig("manual", "A"), ElementsAre("192.0.2.50"));
}

TEST_F(PowerDnsSiteTest, ReadSeesChangesMadeOutOfBand) {
  auto r = rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"});
  create(r);
  // Someone replaces the records by hand (the comment stays).
  auto resp = api("PATCH", "/zones/" + zone_ + ".",
                  R"({"rrsets":[{"name":"www.)" + zone_ +
                      R"(.","type":"A","ttl":120,"changetype":"REPLACE","records":[{"content":"198.51.100.1","disabled":false}]}]})");
  ASSERT_EQ(resp.status, 204) << resp.body;
  auto read = dns_->read({r, nullptr});
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_THAT(records(*read), ElementsAre("198.51.100.1"));
  EXPECT_EQ(read->attributes.at("ttl"), json::value(120));

  // ... then deletes the set.
  resp = api("PATCH", "/zones/" + zone_ + ".",
             R"({"rrsets":[{"name":"www.)" + zone_ + R"(.","type":"A","changetype":"DELETE"}]})");
  ASSERT_EQ(resp.status, 204) << resp.body;
  auto gone = dns_->read({r, nullptr});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
}

TEST_F(PowerDnsSiteTest, RemoveDeletesTheSetAndKeepsTheZone) {
  auto r = rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"});
  create(r);
  ASSERT_TRUE(dns_->remove({r, nullptr}).ok());
  EXPECT_TRUE(dig("www", "A").empty());
  auto read = dns_->read({r, nullptr});
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, ErrorKind::NotFound);
  auto again = dns_->remove({r, nullptr});
  EXPECT_TRUE(again.ok()) << again.error().message;
  EXPECT_THAT(dig("", "NS"), ElementsAre("ns1.fedihost.test.", "ns2.fedihost.test."));
  // A key of a zone the server never had: remove succeeds, read is NotFound.
  auto elsewhere = r;
  elsewhere.key = key("dep_x", "never");
  elsewhere.attributes["zone"] = "never.test";
  elsewhere.attributes["name"] = "www.never.test.";
  EXPECT_TRUE(dns_->remove({elsewhere, nullptr}).ok());
  EXPECT_EQ(dns_->read({elsewhere, nullptr}).error().kind, ErrorKind::NotFound);
}

TEST_F(PowerDnsSiteTest, ListGivesExactlyTheDeploymentsKeys) {
  create(rrset("dep_l", "A-www", "www", "A", {"192.0.2.7"}));
  create(rrset("dep_l", "TXT-apex", "", "TXT", {"v=spf1 -all"}));
  create(rrset("dep_lx", "A-lx", "lx", "A", {"192.0.2.8"}));  // a longer id with the same prefix
  create(rrset("depZl", "A-z", "z", "A", {"192.0.2.9"}));      // "_" is a LIKE wildcard
  auto keys = dns_->list(dep("dep_l"));
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_THAT(*keys, ElementsAre(key("dep_l", "A-www"), key("dep_l", "TXT-apex")));
  auto none = dns_->list(dep("dep_none"));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(dns_->capabilities().canList);
}

TEST_F(PowerDnsSiteTest, RecordDataIsCanonicalAndTxtIsQuoted) {
  std::string longText(300, 'x');
  auto txt = rrset("dep_x", "TXT", "", "TXT", {"v=spf1 a -all", "say \"hi\"; \\ back", longText});
  auto o = create(txt);
  auto read = dns_->read({txt, nullptr});
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_THAT(records(*read), ElementsAre("say \"hi\"; \\ back", "v=spf1 a -all", longText));
  EXPECT_EQ(read->attributes, o.attributes);
  auto dug = dig("", "TXT");
  EXPECT_THAT(dug, ::testing::Contains("\"v=spf1 a -all\""));
  EXPECT_THAT(dug, ::testing::Contains("\"say \\\"hi\\\"; \\\\ back\""));
  EXPECT_THAT(dug, ::testing::Contains("\"" + std::string(255, 'x') + "\" \"" + std::string(45, 'x') + "\""));

  auto mx = rrset("dep_x", "MX", "", "MX", {"10 Mail.Example.TEST", "20 backup.example.test."});
  EXPECT_THAT(records(create(mx)), ElementsAre("10 mail.example.test.", "20 backup.example.test."));
  EXPECT_THAT(dig("", "MX"), ElementsAre("10 mail.example.test.", "20 backup.example.test."));
  auto srv = rrset("dep_x", "SRV", "_xmpp._tcp", "SRV", {"5 0 5269 xmpp.example.test"});
  create(srv);
  EXPECT_THAT(dig("_xmpp._tcp", "SRV"), ElementsAre("5 0 5269 xmpp.example.test."));
  auto caa = rrset("dep_x", "CAA", "", "CAA", {"0 issue \"letsencrypt.org\""});
  create(caa);
  EXPECT_THAT(dig("", "CAA"), ElementsAre("0 issue \"letsencrypt.org\""));
  auto caaRead = dns_->read({caa, nullptr});
  ASSERT_TRUE(caaRead.ok()) << caaRead.error().message;
  EXPECT_THAT(records(*caaRead), ElementsAre("0 issue \"letsencrypt.org\""));
  auto cname = rrset("dep_x", "CNAME", "blog", "CNAME", {"www.example.test"});
  create(cname);
  EXPECT_THAT(dig("blog", "CNAME"), ElementsAre("www.example.test."));
}

TEST_F(PowerDnsSiteTest, BadInputIsRefusedWithTheFieldOrTheServersWords) {
  auto soa = dns_->create({rrset("dep_x", "SOA", "", "SOA", {"x"}), nullptr});
  ASSERT_FALSE(soa.ok());
  EXPECT_EQ(soa.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(soa.error().field, "attributes.type");
  auto outside = rrset("dep_x", "A-out", "www", "A", {"192.0.2.1"});
  outside.attributes["name"] = "www.elsewhere.test.";
  EXPECT_EQ(dns_->create({outside, nullptr}).error().field, "attributes.name");
  auto badAddress = dns_->create({rrset("dep_x", "A-bad", "bad", "A", {"192.0.2.300"}), nullptr});
  EXPECT_EQ(badAddress.error().field, "attributes.records[0]");

  // PowerDNS itself refuses a CNAME beside other data: a Provider error with its words.
  create(rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"}));
  auto cname = dns_->create({rrset("dep_x", "CNAME-www", "www", "CNAME", {"elsewhere.test."}), nullptr});
  ASSERT_FALSE(cname.ok());
  EXPECT_EQ(cname.error().kind, ErrorKind::Provider);
  EXPECT_THAT(cname.error().message, HasSubstr("powerdns answered 422"));
  EXPECT_THAT(cname.error().message, HasSubstr("Conflicts with pre-existing RRset"));
  EXPECT_THAT(dig("www", "A"), ElementsAre("192.0.2.7"));
}

TEST_F(PowerDnsSiteTest, AWrongApiKeyIsUnauthorized) {
  auto settings = settings_;
  settings["apiKey"] = "not-the-key";
  auto dns = make(settings);
  auto r = dns->create({rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"}), nullptr});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unauthorized);
  EXPECT_THAT(r.error().message, HasSubstr("settings.apiKey"));
  EXPECT_EQ(dns->list("dep_x").error().kind, ErrorKind::Unauthorized);
  EXPECT_TRUE(dig("www", "A").empty());
}

TEST_F(PowerDnsSiteTest, AnUnreachableServerIsUnavailable) {
  auto settings = settings_;
  settings["url"] = "http://127.0.0.1:1";
  settings["timeoutMs"] = 2000;
  auto dns = make(settings);
  auto r = dns->create({rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"}), nullptr});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unavailable);
  EXPECT_EQ(dns->remove({rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"}), nullptr}).error().kind,
            ErrorKind::Unavailable);
}

TEST_F(PowerDnsSiteTest, BadSettingsAreRefusedByTheFactory) {
  auto settings = settings_;
  settings["url"] = "127.0.0.1:8081";
  try {
    make(settings);
    FAIL() << "a URL without a scheme was taken";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "settings.url");
  }
  settings = settings_;
  settings.erase("nameservers");
  try {
    make(settings);
    FAIL() << "settings without nameservers were taken";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "settings.nameservers");
  }
}

}  // namespace
}  // namespace fedihost::providers
