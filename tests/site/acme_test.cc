// The "acme" certificate provider against Debian's pebble (scripts/site/pebble.sh),
// which validates DNS-01 against the site's PowerDNS (scripts/site/powerdns.sh):
// one SAN certificate for a deployment's host names that `openssl verify`
// accepts against pebble's root (its management API's /roots/0), renewal when a
// third of the lifetime is left, revocation on remove (pebble's
// /cert-status-by-serial), and a create killed in the middle (SIGKILL, in a child
// process) that is resumed without a second order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "catalog/catalog.hh"
#include "core/clock.hh"
#include "nixos/render.hh"
#include "orchestrator/expand.hh"
#include "providers/acme/acme.hh"
#include "providers/acme/crypto.hh"
#include "store/acme_store.hh"
#include "store/migrations.hh"
#include "support/process.hh"
#include "support/site.hh"
#include "support/temp_dir.hh"

namespace fedihost::providers {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using fedihost::testing::run;
using fedihost::testing::shellQuote;

const secrets::SecretBox& box() {
  static const secrets::SecretBox b([] {
    std::array<unsigned char, secrets::SecretBox::kKeySize> k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<unsigned char>(i * 7 + 3);
    return k;
  }());
  return b;
}

std::string str(const json::object& o, const char* name) {
  auto& v = o.at(name);
  return v.is_string() ? std::string(v.get_string()) : json::serialize(v);
}

/// A DNS provider that is SIGKILLed (the whole process) when asked to publish an ACME challenge.
class KilledOnChallenge final : public DnsProvider {
 public:
  std::string implementation() const override { return "killed-on-challenge"; }
  Result<Observed> create(const ResolvedResource&) override {
    ::raise(SIGKILL);
    return Error{ErrorKind::Internal, "unreachable", {}};
  }
  Result<Observed> read(const ResolvedResource& r) override { return Error::notFound(r.resource.key); }
  Result<Observed> update(const ResolvedResource& r) override { return create(r); }
  Result<void> remove(const ResolvedResource&) override { return {}; }
  Result<std::vector<std::string>> list(std::string_view) override { return std::vector<std::string>{}; }
};

class AcmeSiteTest : public fedihost::testing::SharedSite<AcmeSiteTest> {
 protected:
  static void SetUpTestSuite() {
    startSite({"powerdns", "pebble"});
    if (!site_) return;
    stateUrl_ = "sqlite:" + (site_->dir() / "state.db").string();
    auto c = store::connect(stateUrl_);
    store::migrate(*c, store::DatabaseKind::State);
  }
  static void TearDownTestSuite() {
    clock::setNowForTesting();
    SharedSite::TearDownTestSuite();
  }
  void TearDown() override { clock::setNowForTesting(); }

  static json::object acmeSettings() { return site_->settings("pebble", "certificate"); }
  /// The site's providers, the kinds it does not serve named as files.
  static json::object siteProviders() { return site_->providers({"ip-address", "machine", "nixos-config"}); }

  /// The site's target: powerdns for DNS, acme (pebble) for certificates, files for the rest.
  Target target() const {
    auto t = Target::fromConfig({{"name", "site"}, {"providers", siteProviders()}}, root_.path(), stateUrl_);
    if (!t) throw std::runtime_error(t.error().message);
    return std::move(*t);
  }

  /// A deployment of Mastodon and Pixelfed under `domain`, expanded: its DNS record sets
  /// (addresses filled in) and its certificate.
  struct Expanded {
    Deployment deployment;
    std::vector<Resource> dns;
    Resource certificate;
  };
  static Expanded expand(const std::string& id, const std::string& domain) {
    Expanded e;
    auto& d = e.deployment;
    d.id = id;
    d.name = id;
    d.domain = domain;
    for (auto app : {"mastodon", "pixelfed"})
      d.apps.push_back({app, catalog::validateSettings(*catalog::find(app), json::value(), "s").value(), {}, 0});
    for (auto& r : orchestrator::expand(d)) {
      if (r.kind == ResourceKind::DnsRecordSet) {
        r.attributes["records"] = json::array{"192.0.2.10"};
        e.dns.push_back(r);
      }
      if (r.kind == ResourceKind::Certificate) e.certificate = r;
    }
    return e;
  }

  /// Creates a deployment's DNS record sets (so that its zone exists) through the target.
  static void createDns(const Target& t, const Expanded& e) {
    for (auto& r : e.dns) {
      auto made = t.provider(ResourceKind::DnsRecordSet).create({r, &box()});
      ASSERT_TRUE(made) << made.error().message;
    }
  }

  /// Pebble's root for issued certificates, from its management API.
  static std::string pebbleRoot() {
    auto s = acmeSettings();
    auto r = run("curl -sf --cacert " + shellQuote(str(s, "caFile")) + " " + shellQuote(str(s, "managementUrl") + "/roots/0"));
    EXPECT_EQ(r.exitCode, 0) << r.output;
    return r.output;
  }

  /// Pebble's status of a certificate ("Valid", "Revoked").
  static std::string pebbleStatus(const std::string& serial) {
    auto s = acmeSettings();
    auto r = run("curl -sf --cacert " + shellQuote(str(s, "caFile")) + " " +
                 shellQuote(str(s, "managementUrl") + "/cert-status-by-serial/" + serial));
    EXPECT_EQ(r.exitCode, 0) << r.output;
    boost::system::error_code ec;
    auto v = json::parse(r.output, ec);
    if (ec || !v.is_object() || !v.as_object().contains("Status")) return "unreadable: " + r.output;
    return std::string(v.as_object().at("Status").as_string());
  }

  /// How many orders pebble was asked for so far (its log names every request).
  static int ordersPlaced() {
    std::ifstream in(site_->dir() / "pebble" / "pebble.log");
    int n = 0;
    for (std::string line; std::getline(in, line);)
      if (line.find("POST /order-plz") != std::string::npos) ++n;
    return n;
  }

  /// `openssl verify` of a chain (leaf first) against pebble's root; its output.
  fedihost::testing::CommandResult verify(const std::string& chain) const {
    auto dir = root_.path() / ("verify-" + std::to_string(++verifies_));
    fs::create_directories(dir);
    std::ofstream(dir / "root.pem") << pebbleRoot();
    std::ofstream(dir / "chain.pem") << chain;
    auto end = chain.find("-----END CERTIFICATE-----");
    std::ofstream(dir / "leaf.pem") << chain.substr(0, end + 25) << "\n";
    return run("openssl verify -CAfile " + shellQuote((dir / "root.pem").string()) + " -untrusted " +
               shellQuote((dir / "chain.pem").string()) + " " + shellQuote((dir / "leaf.pem").string()));
  }

  static std::string dig(const std::string& name, const std::string& type) {
    auto dns = site_->settings("powerdns", "dns-record-set");
    return run("dig +short +norecurse +time=2 +tries=1 @127.0.0.1 -p " + std::to_string(dns.at("dnsPort").as_int64()) +
               " " + shellQuote(name) + " " + type)
        .output;
  }

  static inline std::string stateUrl_;
  fedihost::testing::TempDir root_{"acme-site"};
  mutable int verifies_ = 0;
};

TEST_F(AcmeSiteTest, OneCertificateForEveryHostNameOfADeploymentThroughDns01) {
  auto t = target();
  EXPECT_EQ(t.provider(ResourceKind::Certificate).implementation(), "acme");
  auto e = expand("dep_acme1", "acme1.test");
  auto hosts = nixos::publishedHosts(e.deployment);
  ASSERT_GE(hosts.size(), 3u);
  // The expansion: one certificate, for every host name, after every DNS record set.
  EXPECT_THAT(e.certificate.attributes.at("names").as_array(), ElementsAreArray(json::value_from(hosts).as_array()));
  std::vector<std::string> dnsKeys;
  for (auto& r : e.dns) dnsKeys.push_back(r.key);
  std::sort(dnsKeys.begin(), dnsKeys.end());
  EXPECT_EQ(e.certificate.dependsOn, dnsKeys);
  createDns(t, e);

  auto& certs = t.provider(ResourceKind::Certificate);
  const int before = ordersPlaced();
  auto made = certs.create({e.certificate, &box()});
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(ordersPlaced(), before + 1);
  const auto chain = str(made->outputs, "chain");
  auto v = verify(chain);
  EXPECT_EQ(v.exitCode, 0) << v.output;
  EXPECT_THAT(v.output, HasSubstr("leaf.pem: OK"));
  auto info = acme::inspectChain(chain);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->names, hosts) << "one SAN certificate for every host name";
  EXPECT_GE(info->certificates, 2);

  // The key is sealed, and is the certificate's.
  const auto sealed = str(made->outputs, "key");
  EXPECT_TRUE(secrets::SecretBox::looksSealed(sealed));
  auto key = acme::Key::fromPem(box().open(sealed).value());
  ASSERT_TRUE(key) << key.error().message;
  auto dir = root_.path() / "keycheck";
  fs::create_directories(dir);
  std::ofstream(dir / "key.pem") << key->pem();
  std::ofstream(dir / "chain.pem") << chain;
  auto fromKey = run("openssl pkey -in " + shellQuote((dir / "key.pem").string()) + " -pubout");
  auto fromCert = run("openssl x509 -in " + shellQuote((dir / "chain.pem").string()) + " -noout -pubkey");
  EXPECT_EQ(fromKey.output, fromCert.output);

  // No challenge is left in DNS, nor held by the deployment at the DNS provider.
  for (auto& h : hosts) EXPECT_EQ(dig("_acme-challenge." + h, "TXT"), "") << h;
  auto held = t.provider(ResourceKind::DnsRecordSet).list("dep_acme1");
  ASSERT_TRUE(held);
  EXPECT_EQ(*held, dnsKeys);

  // Created again (a replayed step): the same certificate, no new order.
  auto again = certs.create({e.certificate, &box()});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(str(again->outputs, "serial"), str(made->outputs, "serial"));
  EXPECT_EQ(ordersPlaced(), before + 1);
  auto read = certs.read({e.certificate, &box()});
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->due, "");
  EXPECT_EQ(read->attributes.at("names"), e.certificate.attributes.at("names"));
  EXPECT_THAT(*certs.list("dep_acme1"), ::testing::ElementsAre(e.certificate.key));
  EXPECT_EQ(pebbleStatus(info->serial), "Valid");
}

TEST_F(AcmeSiteTest, RenewalIsDueWhenAThirdOfTheLifetimeIsLeftAndUpdateRenews) {
  auto t = target();
  auto e = expand("dep_acme2", "acme2.test");
  createDns(t, e);
  auto& certs = t.provider(ResourceKind::Certificate);
  auto made = certs.create({e.certificate, &box()});
  ASSERT_TRUE(made) << made.error().message;
  auto info = acme::inspectChain(str(made->outputs, "chain")).value();

  // Nothing to do while more than a third is left: update keeps the certificate.
  auto kept = certs.update({e.certificate, &box()});
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(str(kept->outputs, "serial"), info.serial);

  const auto lifetime = info.notAfter - info.notBefore;
  clock::setNowForTesting(info.notAfter - lifetime / 3 - std::chrono::hours(1));
  EXPECT_EQ(certs.read({e.certificate, &box()})->due, "");
  clock::setNowForTesting(info.notAfter - lifetime / 3 + std::chrono::hours(1));
  auto due = certs.read({e.certificate, &box()});
  ASSERT_TRUE(due);
  EXPECT_THAT(due->due, HasSubstr("renewal due"));

  const int before = ordersPlaced();
  auto renewed = certs.update({e.certificate, &box()});
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_EQ(ordersPlaced(), before + 1);
  EXPECT_NE(str(renewed->outputs, "serial"), info.serial);
  auto v = verify(str(renewed->outputs, "chain"));
  EXPECT_EQ(v.exitCode, 0) << v.output;
  EXPECT_EQ(pebbleStatus(info.serial), "Valid") << "renewing does not revoke the certificate it replaces";
}

TEST_F(AcmeSiteTest, RemoveRevokesTheCertificateAndForgetsIt) {
  auto t = target();
  auto e = expand("dep_acme3", "acme3.test");
  createDns(t, e);
  auto& certs = t.provider(ResourceKind::Certificate);
  auto made = certs.create({e.certificate, &box()});
  ASSERT_TRUE(made) << made.error().message;
  const auto serial = str(made->outputs, "serial");
  EXPECT_EQ(pebbleStatus(serial), "Valid");

  ASSERT_TRUE(certs.remove({e.certificate, &box()}));
  EXPECT_EQ(pebbleStatus(serial), "Revoked");
  EXPECT_EQ(certs.read({e.certificate, &box()}).error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(certs.list("dep_acme3")->empty());
  EXPECT_TRUE(certs.remove({e.certificate, &box()})) << "removing what is gone succeeds";
}

TEST_F(AcmeSiteTest, ACreateKilledWhilePublishingItsChallengeIsResumedWithoutASecondOrder) {
  auto e = expand("dep_acme4", "acme4.test");
  {
    auto t = target();
    createDns(t, e);
  }
  const int before = ordersPlaced();
  // A child process places the order and is SIGKILLed when it publishes the challenge.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto t = Target::fromConfig({{"name", "site"}, {"providers", siteProviders()}}, root_.path(), stateUrl_);
    if (!t) _exit(3);
    KilledOnChallenge dns;
    auto* certs = dynamic_cast<CertificateProvider*>(&t->provider(ResourceKind::Certificate));
    if (!certs) _exit(4);
    certs->useDns(&dns);
    auto r = certs->create({e.certificate, &box()});
    _exit(r ? 0 : 5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "exit status " << status;
  EXPECT_EQ(ordersPlaced(), before + 1);
  std::string pending;
  {
    auto c = store::connect(stateUrl_);
    auto row = store::AcmeStore(*c).certificate(e.certificate.key);
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->chain, "");
    pending = row->pendingOrder;
  }
  ASSERT_FALSE(pending.empty()) << "the order is recorded before its challenges are answered";

  // The next run (a new process: a new target) continues that order.
  auto t = target();
  auto& certs = t.provider(ResourceKind::Certificate);
  EXPECT_EQ(certs.read({e.certificate, &box()}).error().kind, ErrorKind::NotFound);
  auto made = certs.create({e.certificate, &box()});
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(ordersPlaced(), before + 1) << "no second order";
  auto c = store::connect(stateUrl_);
  auto row = store::AcmeStore(*c).certificate(e.certificate.key);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->orderUrl, pending);
  EXPECT_EQ(row->pendingOrder, "");
  auto v = verify(str(made->outputs, "chain"));
  EXPECT_EQ(v.exitCode, 0) << v.output;
}

TEST_F(AcmeSiteTest, BadSettingsAreRefusedNamingTheSetting) {
  registerBuiltinProviders();
  auto bad = acmeSettings();
  bad["keyType"] = "ed25519";
  auto made = Registry<CertificateProvider>::instance().make({"acme", {}, bad, "site", stateUrl_});
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().field, "settings.keyType");
  bad = acmeSettings();
  bad["directoryUrI"] = "typo";
  made = Registry<CertificateProvider>::instance().make({"acme", {}, bad, "site", stateUrl_});
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().field, "settings.directoryUrI");
  made = Registry<CertificateProvider>::instance().make({"acme", {}, acmeSettings(), "site", ""});
  ASSERT_FALSE(made);
}

}  // namespace
}  // namespace fedihost::providers
