// The "rfc2136" DNS provider against a real PowerDNS Authoritative 4.7
// (scripts/site/powerdns.sh, zone rfc2136.test taking TSIG-signed updates):
// what it writes is checked with dig, out-of-band changes are made with
// nsupdate. Each test works under its own label of the zone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/fd.hh"
#include "net/http.hh"
#include "providers/rfc2136/rfc2136.hh"
#include "support/site.hh"

namespace fedihost::providers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace json = boost::json;

class Rfc2136SiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { site_ = std::make_unique<fedihost::testing::Site>(std::vector<std::string>{"powerdns"}); }
  static void TearDownTestSuite() { site_.reset(); }

  void SetUp() override {
    std::ifstream in(site_->dir() / "powerdns" / "rfc2136.json");
    std::stringstream ss;
    ss << in.rdbuf();
    settings_ = json::parse(ss.str()).at("dns-record-set").at("settings").as_object();
    zone_ = std::string(settings_.at("zones").as_array().at(0).as_string());
    dns_ = make(settings_);
    tag_ = "t" + std::to_string(++tests_);
  }

  static std::unique_ptr<DnsProvider> make(const json::object& settings) {
    return rfc2136::makeDnsProvider(ProviderConfig{"rfc2136", {}, settings, "site", {}});
  }

  /// This test's names: "<host>.<tag>.<zone>." ("" is "<tag>.<zone>.").
  std::string fqdn(const std::string& host) const { return (host.empty() ? "" : host + ".") + tag_ + "." + zone_ + "."; }
  std::string dep(const std::string& d) const { return tag_ + "-" + d; }
  std::string key(const std::string& d, const std::string& name) const {
    return resourceKey(dep(d), ResourceKind::DnsRecordSet, name);
  }

  Resource rrset(const std::string& d, const std::string& name, const std::string& host, const std::string& type,
                 json::array records, int ttl = 300) const {
    Resource r;
    r.deployment = dep(d);
    r.kind = ResourceKind::DnsRecordSet;
    r.name = name;
    r.key = key(d, name);
    r.attributes = {{"zone", zone_}, {"name", fqdn(host)}, {"type", type}, {"ttl", ttl}, {"records", std::move(records)}};
    return r;
  }

  Observed create(const Resource& r) {
    auto res = dns_->create({r, nullptr});
    EXPECT_TRUE(res.ok()) << res.error().message;
    return res.ok() ? *res : Observed{};
  }

  std::string port() const { return std::to_string(settings_.at("port").as_int64()); }
  std::string secret() const { return std::string(settings_.at("tsigSecret").as_string()); }

  /// dig +short answers for a full name, sorted.
  std::vector<std::string> digName(const std::string& name, const std::string& type) const {
    auto r = fedihost::testing::run("dig +short +norecurse +time=2 +tries=1 @127.0.0.1 -p " + port() + " " + name + " " + type);
    EXPECT_EQ(r.exitCode, 0) << r.output;
    std::vector<std::string> lines;
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
  }
  std::vector<std::string> dig(const std::string& host, const std::string& type) const { return digName(fqdn(host), type); }

  /// Runs nsupdate with the site's key over the given update lines.
  void nsupdate(const std::string& lines) const {
    auto file = site_->dir() / ("nsupdate-" + tag_);
    std::ofstream(file) << "server 127.0.0.1 " << port() << "\nzone " << zone_ << "\n" << lines << "send\n";
    auto r = fedihost::testing::run("nsupdate -y hmac-sha256:" + std::string(settings_.at("tsigName").as_string()) + ":" +
                                    secret() + " " + file.string());
    ASSERT_EQ(r.exitCode, 0) << r.output;
  }

  static std::vector<std::string> records(const Observed& o) {
    std::vector<std::string> out;
    for (auto& v : o.attributes.at("records").as_array()) out.emplace_back(v.as_string());
    return out;
  }

  static inline std::unique_ptr<fedihost::testing::Site> site_;
  static inline int tests_ = 0;
  json::object settings_;
  std::string zone_;
  std::string tag_;
  std::unique_ptr<DnsProvider> dns_;
};

TEST_F(Rfc2136SiteTest, CreateServesTheRecordsWithTheirOwnerAndIsIdempotent) {
  auto r = rrset("dep_x", "A-www", "www", "A", {"192.0.2.8", "192.0.2.7"});
  auto o = create(r);
  EXPECT_THAT(dig("www", "A"), ElementsAre("192.0.2.7", "192.0.2.8"));
  EXPECT_THAT(digName(rfc2136::ownerName(fqdn("www"), "A"), "TXT"), ElementsAre("\"" + r.key + "\""));
  EXPECT_EQ(json::value(o.attributes),
            json::parse(R"({"zone":")" + zone_ + R"(","name":")" + fqdn("www") +
                        R"(","type":"A","ttl":300,"records":["192.0.2.7","192.0.2.8"]})"));
  auto again = dns_->create({r, nullptr});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->attributes, o.attributes);
  auto read = dns_->read({r, nullptr});
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->attributes, o.attributes);
}

TEST_F(Rfc2136SiteTest, UpdateReplacesRecordsAndTtl) {
  create(rrset("dep_x", "A-www", "www", "A", {"192.0.2.7", "192.0.2.8"}));
  auto changed = rrset("dep_x", "A-www", "www", "A", {"192.0.2.9"}, 600);
  auto o = dns_->update({changed, nullptr});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_THAT(dig("www", "A"), ElementsAre("192.0.2.9"));
  auto read = dns_->read({changed, nullptr});
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->attributes.at("ttl"), json::value(600));
  EXPECT_THAT(records(*read), ElementsAre("192.0.2.9"));
  EXPECT_THAT(digName(rfc2136::ownerName(fqdn("www"), "A"), "TXT"), ElementsAre("\"" + changed.key + "\""));

  auto absent = dns_->update({rrset("dep_x", "A-other", "other", "A", {"192.0.2.1"}), nullptr});
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().kind, ErrorKind::NotFound);
}

TEST_F(Rfc2136SiteTest, UpdateMovesTheSetWhenItsNameChanges) {
  create(rrset("dep_x", "A-app", "old", "A", {"192.0.2.7"}));
  auto moved = dns_->update({rrset("dep_x", "A-app", "new", "A", {"192.0.2.7"}), nullptr});
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_TRUE(dig("old", "A").empty());
  EXPECT_TRUE(digName(rfc2136::ownerName(fqdn("old"), "A"), "TXT").empty());
  EXPECT_THAT(dig("new", "A"), ElementsAre("192.0.2.7"));
  auto keys = dns_->list(dep("dep_x"));
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_THAT(*keys, ElementsAre(key("dep_x", "A-app")));
}

TEST_F(Rfc2136SiteTest, SetsOfOneZoneDoNotClobberEachOther) {
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
}

TEST_F(Rfc2136SiteTest, ASetHeldByAnotherKeyOrByNoneIsRefused) {
  create(rrset("dep_a", "A-www", "www", "A", {"192.0.2.7"}));
  auto theirs = dns_->create({rrset("dep_b", "A-www", "www", "A", {"192.0.2.66"}), nullptr});
  ASSERT_FALSE(theirs.ok());
  EXPECT_EQ(theirs.error().kind, ErrorKind::Conflict);
  EXPECT_THAT(theirs.error().message, HasSubstr("held by " + key("dep_a", "A-www")));
  // Nor can another key update or remove it.
  auto update = dns_->update({rrset("dep_b", "A-www", "www", "A", {"192.0.2.66"}), nullptr});
  EXPECT_EQ(update.error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(dns_->remove({rrset("dep_b", "A-www", "www", "A", {"192.0.2.66"}), nullptr}).ok());
  EXPECT_THAT(dig("www", "A"), ElementsAre("192.0.2.7"));

  nsupdate("update add " + fqdn("manual") + " 60 A 192.0.2.50\n");
  auto manual = dns_->create({rrset("dep_b", "A-manual", "manual", "A", {"192.0.2.66"}), nullptr});
  ASSERT_FALSE(manual.ok());
  EXPECT_EQ(manual.error().kind, ErrorKind::Conflict);
  EXPECT_THAT(manual.error().message, HasSubstr("not managed by fedihost"));
  EXPECT_TRUE(dns_->remove({rrset("dep_b", "A-manual", "manual", "A", {"192.0.2.66"}), nullptr}).ok());
  EXPECT_THAT(dig("manual", "A"), ElementsAre("192.0.2.50"));
}

TEST_F(Rfc2136SiteTest, ReadSeesChangesMadeOutOfBand) {
  auto r = rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"});
  create(r);
  nsupdate("update delete " + fqdn("www") + " A\nupdate add " + fqdn("www") + " 120 A 198.51.100.1\n");
  auto read = dns_->read({r, nullptr});
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_THAT(records(*read), ElementsAre("198.51.100.1"));
  EXPECT_EQ(read->attributes.at("ttl"), json::value(120));

  nsupdate("update delete " + fqdn("www") + " A\n");
  auto gone = dns_->read({r, nullptr});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
  // The owner record left behind lets create write the set again.
  auto again = dns_->create({r, nullptr});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_THAT(dig("www", "A"), ElementsAre("192.0.2.7"));
}

TEST_F(Rfc2136SiteTest, RemoveDeletesTheSetAndItsOwnerRecord) {
  auto r = rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"});
  create(r);
  ASSERT_TRUE(dns_->remove({r, nullptr}).ok());
  EXPECT_TRUE(dig("www", "A").empty());
  EXPECT_TRUE(digName(rfc2136::ownerName(fqdn("www"), "A"), "TXT").empty());
  auto read = dns_->read({r, nullptr});
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, ErrorKind::NotFound);
  auto again = dns_->remove({r, nullptr});
  EXPECT_TRUE(again.ok()) << again.error().message;
}

TEST_F(Rfc2136SiteTest, ListGivesExactlyTheDeploymentsKeysByZoneTransfer) {
  create(rrset("dep_l", "A-www", "www", "A", {"192.0.2.7"}));
  create(rrset("dep_l", "TXT-apex", "", "TXT", {"v=spf1 -all"}));
  create(rrset("dep_lx", "A-lx", "lx", "A", {"192.0.2.8"}));  // a longer id with the same prefix
  auto keys = dns_->list(dep("dep_l"));
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_THAT(*keys, ElementsAre(key("dep_l", "A-www"), key("dep_l", "TXT-apex")));
  EXPECT_TRUE(dns_->capabilities().canList);

  auto settings = settings_;
  settings.erase("zones");
  auto blind = make(settings);
  EXPECT_FALSE(blind->capabilities().canList);
  EXPECT_EQ(blind->list(dep("dep_l")).error().field, "settings.zones");
}

TEST_F(Rfc2136SiteTest, RecordDataIsCanonicalAndTxtIsQuoted) {
  std::string longText(300, 'x');
  auto txt = rrset("dep_x", "TXT", "", "TXT", {"v=spf1 a -all", "say \"hi\"; \\ back", longText});
  auto o = create(txt);
  auto read = dns_->read({txt, nullptr});
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_THAT(records(*read), ElementsAre("say \"hi\"; \\ back", "v=spf1 a -all", longText));
  EXPECT_EQ(read->attributes, o.attributes);
  auto dug = dig("", "TXT");
  EXPECT_THAT(dug, ::testing::Contains("\"say \\\"hi\\\"; \\\\ back\""));
  EXPECT_THAT(dug, ::testing::Contains("\"" + std::string(255, 'x') + "\" \"" + std::string(45, 'x') + "\""));

  auto mx = rrset("dep_x", "MX", "", "MX", {"10 Mail.Example.TEST", "20 backup.example.test."});
  EXPECT_THAT(records(create(mx)), ElementsAre("10 mail.example.test.", "20 backup.example.test."));
  EXPECT_THAT(dig("", "MX"), ElementsAre("10 mail.example.test.", "20 backup.example.test."));
  auto mxRead = dns_->read({mx, nullptr});
  ASSERT_TRUE(mxRead.ok()) << mxRead.error().message;
  EXPECT_THAT(records(*mxRead), ElementsAre("10 mail.example.test.", "20 backup.example.test."));
  auto caa = rrset("dep_x", "CAA", "", "CAA", {"0 issue \"letsencrypt.org\""});
  create(caa);
  EXPECT_THAT(dig("", "CAA"), ElementsAre("0 issue \"letsencrypt.org\""));
  auto caaRead = dns_->read({caa, nullptr});
  ASSERT_TRUE(caaRead.ok()) << caaRead.error().message;
  EXPECT_THAT(records(*caaRead), ElementsAre("0 issue \"letsencrypt.org\""));
  auto srv = rrset("dep_x", "SRV", "_xmpp._tcp", "SRV", {"5 0 5269 xmpp.example.test"});
  create(srv);
  EXPECT_THAT(dig("_xmpp._tcp", "SRV"), ElementsAre("5 0 5269 xmpp.example.test."));
}

TEST_F(Rfc2136SiteTest, AWrongTsigKeyIsUnauthorized) {
  auto settings = settings_;
  settings["tsigSecret"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  auto dns = make(settings);
  auto r = rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"});
  auto created = dns->create({r, nullptr});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::Unauthorized);
  EXPECT_THAT(created.error().message, HasSubstr("TSIG key"));
  EXPECT_TRUE(dig("www", "A").empty());

  settings = settings_;
  settings["tsigName"] = "no-such-key";
  auto unknown = make(settings)->create({r, nullptr});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::Unauthorized);
  EXPECT_TRUE(dig("www", "A").empty());
}

TEST_F(Rfc2136SiteTest, AZoneThatTakesNoUpdatesIsAProviderError) {
  // A zone the server holds but whose metadata allows no update.
  auto pdns = site_->settings("powerdns", "dns-record-set");
  net::HttpRequest req;
  req.method = "POST";
  req.url = std::string(pdns.at("url").as_string()) + "/api/v1/servers/localhost/zones";
  req.headers = {{"X-API-Key", std::string(pdns.at("apiKey").as_string())}, {"Content-Type", "application/json"}};
  req.body = R"({"name":"locked.test.","kind":"Native","nameservers":["ns1.fedihost.test."]})";
  auto resp = net::send(req);
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  ASSERT_EQ(resp->status, 201) << resp->body;
  auto r = rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"});
  r.attributes["zone"] = "locked.test";
  r.attributes["name"] = "www.locked.test.";
  auto refused = dns_->create({r, nullptr});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Provider);
  EXPECT_THAT(refused.error().message, HasSubstr("REFUSED"));

  // A zone the server does not serve at all.
  r.attributes["zone"] = "nowhere.test";
  r.attributes["name"] = "www.nowhere.test.";
  auto unknown = dns_->create({r, nullptr});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::Provider);
  EXPECT_THAT(unknown.error().message, HasSubstr("REFUSED"));
}

TEST_F(Rfc2136SiteTest, AnUnreachableOrSilentServerIsUnavailable) {
  // Nothing listens: connection refused.
  Fd probe(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  auto settings = settings_;
  settings["port"] = ntohs(addr.sin_port);
  settings["timeoutMs"] = 500;
  auto r = rrset("dep_x", "A-www", "www", "A", {"192.0.2.7"});
  auto refused = make(settings)->create({r, nullptr});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Unavailable);

  // Something accepts but never answers: the call times out.
  ASSERT_EQ(::listen(probe.get(), 4), 0);
  auto silent = make(settings)->read({r, nullptr});
  ASSERT_FALSE(silent.ok());
  EXPECT_EQ(silent.error().kind, ErrorKind::Unavailable);
  EXPECT_THAT(silent.error().message, HasSubstr("timed out"));
}

TEST_F(Rfc2136SiteTest, BadSettingsAreRefusedByTheFactory) {
  auto refuses = [&](const std::string& name, json::value v, const std::string& field) {
    auto settings = settings_;
    settings[name] = std::move(v);
    try {
      make(settings);
      ADD_FAILURE() << name << " was taken";
    } catch (const AbortError& e) {
      EXPECT_EQ(e.error().field, field);
    }
  };
  refuses("tsigSecret", "not base64!", "settings.tsigSecret");
  refuses("tsigAlgorithm", "hmac-md5", "settings.tsigAlgorithm");
  refuses("port", 70000, "settings.port");
  refuses("zones", json::array{"not a zone!"}, "settings.zones");
}

}  // namespace
}  // namespace fedihost::providers
