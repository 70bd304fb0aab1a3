// The whole way: an organisation's Mastodon + PeerTube deployed over the API onto
// a local site (PowerDNS, PostgreSQL, Swift S3, Postfix), checked with the real
// clients (dig, psql, aws, curl's SMTP), then deleted and checked gone. Then the
// same through the fault-injecting wrapper with 20 % of provider calls failing.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "secrets/secret_box.hh"
#include "support/process.hh"
#include "support/site.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::run;
constexpr auto q = testing::shellQuote;


double cpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

class DeployToSiteTest : public testing::SharedSite<DeployToSiteTest> {
 protected:
  static void SetUpTestSuite() { startSite({"powerdns", "pebble", "postgresql", "s3", "postfix"}); }

  static json::object setting(const char* service, const char* kind) { return site_->settings(service, kind); }
  static std::string str(const json::object& o, const char* k) {
    const auto& v = o.at(k);
    return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
  }

  /// Writes targets/<name>.json: the site's providers (machine, NixOS and IP named as files), with `extra` members.
  static void writeTarget(const orchestrator::DataDir& dir, const std::string& name, json::object extra = {}) {
    json::object target{{"name", name}, {"providers", site_->providers({"ip-address", "machine", "nixos-config"})}};
    for (auto& kv : extra) target[kv.key()] = kv.value();
    fs::create_directories(dir.targetConfigDir());
    std::ofstream(dir.targetConfigDir() / (name + ".json")) << json::serialize(target);
  }

  struct Deployed {
    json::object deployment;
    json::object run;
    double wallSeconds = 0, cpuSeconds = 0;
  };

  /// "social.example.test" -> "social-example-test" (an organisation's short name).
  static std::string slug(std::string s) {
    for (auto& c : s)
      if (c == '.') c = '-';
    return s.substr(0, 28);
  }

  /// Creates and applies a deployment; applies again (up to `rounds` times) until its plan is empty.
  static Deployed deploy(testing::TestServer& server, client::Client& c, const std::string& target,
                         const std::string& domain, int rounds = 1) {
    Deployed out;
    auto org = c.post("/api/v1/organisations", json::serialize(json::object{{"name", "org-" + slug(domain)}, {"displayName", "Org " + domain}}));
    EXPECT_EQ(org.status, 201) << org.body;
    auto orgId = std::string(json::parse(org.body).at("id").as_string());
    json::object body{{"name", "social"},
                      {"domain", domain},
                      {"target", target},
                      {"apps", json::array{json::object{{"app", "mastodon"}}, json::object{{"app", "peertube"}}}}};
    auto created = c.post("/api/v1/organisations/" + orgId + "/deployments", json::serialize(body));
    EXPECT_EQ(created.status, 201) << created.body;
    auto id = std::string(json::parse(created.body).at("id").as_string());
    auto wall0 = std::chrono::steady_clock::now();
    auto cpu0 = cpuSeconds();
    for (int i = 0; i < rounds; ++i) {
      auto applied = c.post("/api/v1/deployments/" + id + "/apply", "");
      EXPECT_EQ(applied.status, 202) << applied.body;
      auto runId = std::string(json::parse(applied.body).at("id").as_string());
      server.orchestrator().waitIdle();
      out.run = json::parse(c.get("/api/v1/runs/" + runId).body).as_object();
      if (out.run.at("status") == "succeeded") break;
    }
    out.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    out.cpuSeconds = cpuSeconds() - cpu0;
    out.deployment = json::parse(c.get("/api/v1/deployments/" + id).body).as_object();
    return out;
  }

  static std::string failedSteps(const json::object& run) {
    std::string s;
    for (auto& st : run.at("steps").as_array())
      if (st.at("status") != "succeeded") s += json::serialize(st) + "\n";
    return s;
  }

  /// The clear text of a deployment's generated secret.
  static std::string secret(testing::TestServer& server, const std::string& deployment, const std::string& name) {
    auto box = secrets::SecretBox::openOrCreate(server.dataDir().secretKey());
    auto sealed = server.state().sealedSecret(deployment, name, [] { return std::string("absent"); });
    return box.open(sealed).value();
  }

  static std::string dig(const std::string& host) {
    auto dns = setting("powerdns", "dns-record-set");
    return run("dig +short +time=2 +tries=1 @127.0.0.1 -p " + str(dns, "dnsPort") + " " + q(host) + " A").output;
  }
  static testing::CommandResult psql(const std::string& user, const std::string& db, const std::string& password) {
    auto pg = setting("postgresql", "database");
    return run("PGPASSWORD=" + q(password) + " PGCONNECT_TIMEOUT=5 psql -X -q -t -h 127.0.0.1 -p " + str(pg, "port") +
               " -U " + q(user) + " -d " + q(db) + " -c 'SELECT 41 + 1'");
  }
  static testing::CommandResult aws(const std::string& id, const std::string& secretKey, const std::string& args) {
    auto s3 = setting("s3", "bucket");
    return run("env -i PATH=/usr/bin:/bin HOME=/nonexistent AWS_CONFIG_FILE=/dev/null "
               "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 "
               "AWS_DEFAULT_REGION=" + str(s3, "region") + " AWS_ACCESS_KEY_ID=" + q(id) +
               " AWS_SECRET_ACCESS_KEY=" + q(secretKey) + " /usr/bin/aws --endpoint-url " + str(s3, "endpoint") +
               " " + args);
  }
  static testing::CommandResult smtp(const std::string& address, const std::string& password, const std::string& token,
                                     const fs::path& scratch) {
    auto mail = setting("postfix", "mail-account");
    auto file = scratch / ("mail-" + token);
    std::ofstream(file) << "From: " << address << "\r\nTo: alice@local.test\r\nSubject: " << token
                        << "\r\n\r\nHello from fedihost\r\n";
    return run("curl -sS --max-time 20 --url smtp://127.0.0.1:" + str(mail, "port") + " --user " +
               q(address + ":" + password) + " --mail-from " + q(address) +
               " --mail-rcpt alice@local.test --upload-file " + q(file.string()));
  }
  static bool delivered(const std::string& token) {
    auto dir = fs::path(str(setting("postfix", "mail-account"), "mailboxes")) / "alice" / "new";
    for (int i = 0; i < 400; ++i) {
      std::error_code ec;
      for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::ifstream in(it->path());
        std::string text((std::istreambuf_iterator<char>(in)), {});
        if (text.find("Subject: " + token) != std::string::npos) return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  /// What the deployment's resources are, with their generated secrets in clear (read while they exist).
  struct Credentials {
    std::vector<RecordedResource> recorded;
    std::map<std::string, std::string> secrets;  ///< secret name -> clear text
  };
  static Credentials credentials(testing::TestServer& server, const json::object& deployment) {
    const auto id = std::string(deployment.at("id").as_string());
    Credentials c{server.state().recordedResources(id), {}};
    for (auto& rec : c.recorded)
      for (auto& kv : rec.resource.attributes)
        if (auto* o = kv.value().if_object(); o && o->contains("secret")) {
          auto name = std::string(o->at("secret").as_string());
          c.secrets[name] = secret(server, id, name);
        }
    return c;
  }

  /// Every resource of the deployment answers to its real client (or, with `present` false, none does).
  static void checkWithClients(const Credentials& creds, bool present, const fs::path& scratch) {
    auto secret = [&](const std::string&, const std::string& name) { return creds.secrets.at(name); };
    const std::string id;
    int dns = 0, dbs = 0, keys = 0, mails = 0, certs = 0;
    for (auto& rec : creds.recorded) {
      const auto& a = rec.resource.attributes;
      switch (rec.resource.kind) {
        case ResourceKind::DnsRecordSet: {
          auto host = std::string(a.at("name").as_string());
          auto answer = dig(host);
          if (present) EXPECT_NE(answer.find('.'), std::string::npos) << host << " does not resolve: " << answer;
          else EXPECT_EQ(answer, "") << host << " still resolves";
          ++dns;
          break;
        }
        case ResourceKind::Database: {
          auto pw = secret(id, std::string(a.at("password").at("secret").as_string()));
          auto r = psql(std::string(a.at("owner").as_string()), std::string(a.at("name").as_string()), pw);
          if (present) EXPECT_NE(r.output.find("42"), std::string::npos) << r.output;
          else EXPECT_NE(r.exitCode, 0) << "the role can still log in: " << r.output;
          ++dbs;
          break;
        }
        case ResourceKind::AccessKey: {
          auto keyId = std::string(rec.outputs.at("accessKeyId").as_string());
          auto secretKey = secret(id, std::string(a.at("secretKey").at("secret").as_string()));
          for (auto& b : a.at("buckets").as_array()) {
            auto bucket = std::string(b.as_string());
            auto object = "s3://" + bucket + "/hello.txt";
            auto file = scratch / ("put-" + bucket);
            std::ofstream(file) << "hello " << bucket;
            auto put = aws(keyId, secretKey, "s3 cp " + q(file.string()) + " " + q(object));
            if (present) {
              EXPECT_EQ(put.exitCode, 0) << put.output;
              auto got = aws(keyId, secretKey, "s3 cp " + q(object) + " -");
              EXPECT_EQ(got.output, "hello " + bucket) << got.output;
              // Leave the bucket empty, as an app's data would be backed up and removed first.
              auto rm = aws(keyId, secretKey, "s3 rm " + q(object));
              EXPECT_EQ(rm.exitCode, 0) << rm.output;
            } else {
              EXPECT_NE(put.exitCode, 0) << "the key can still write " << bucket;
            }
          }
          ++keys;
          break;
        }
        case ResourceKind::MailAccount: {
          auto address = std::string(a.at("address").as_string());
          auto pw = secret(id, std::string(a.at("password").at("secret").as_string()));
          auto token = "t" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
          auto r = smtp(address, pw, token, scratch);
          if (present) {
            EXPECT_EQ(r.exitCode, 0) << address << ": " << r.output;
            EXPECT_TRUE(delivered(token)) << "no message from " << address;
          } else {
            EXPECT_NE(r.exitCode, 0) << address << " can still send";
          }
          ++mails;
          break;
        }
        case ResourceKind::Certificate: {
          // From pebble for every host name; `openssl verify` accepts it against pebble's root,
          // and deleting the deployment revoked it.
          auto acme = setting("pebble", "certificate");
          auto curl = "curl -sf --cacert " + q(str(acme, "caFile")) + " " + q(str(acme, "managementUrl"));
          auto serial = std::string(rec.outputs.at("serial").as_string());
          auto status = run(curl + "/cert-status-by-serial/" + q(serial));
          EXPECT_NE(status.output.find(present ? "\"Valid\"" : "\"Revoked\""), std::string::npos) << status.output;
          if (present) {
            std::ofstream(scratch / "pebble-root.pem") << run(curl + "/roots/0").output;
            auto chain = std::string(rec.outputs.at("chain").as_string());
            std::ofstream(scratch / "chain.pem") << chain;
            std::ofstream(scratch / "leaf.pem") << chain.substr(0, chain.find("-----END CERTIFICATE-----") + 25) << "\n";
            auto v = run("openssl verify -CAfile " + q((scratch / "pebble-root.pem").string()) + " -untrusted " +
                         q((scratch / "chain.pem").string()) + " " + q((scratch / "leaf.pem").string()));
            EXPECT_EQ(v.exitCode, 0) << v.output;
            EXPECT_EQ(rec.outputs.at("sans").as_array(), rec.resource.attributes.at("names").as_array());
          }
          ++certs;
          break;
        }
        default:
          break;
      }
    }
    EXPECT_EQ(certs, 1);  // one SAN certificate for the whole deployment
    EXPECT_GE(dns, 3);   // apex, Mastodon's and PeerTube's hosts
    EXPECT_EQ(dbs, 2);   // both apps use PostgreSQL
    EXPECT_GE(keys, 1);  // both keep media in buckets
    EXPECT_EQ(mails, 2);
  }

};

TEST_F(DeployToSiteTest, MastodonAndPeerTubeRunOnTheSiteAndDeletingRemovesEverything) {
  testing::TestServer server([](const orchestrator::DataDir& dir) { writeTarget(dir, "site"); });
  auto c = server.operatorClient();
  auto done = deploy(server, *c, "site", "riverside.test");
  ASSERT_EQ(done.run.at("status"), "succeeded") << failedSteps(done.run);
  const auto id = std::string(done.deployment.at("id").as_string());
  auto creds = credentials(server, done.deployment);
  std::cout << "[ site     ] one deployment (Mastodon + PeerTube, " << done.run.at("progress").at("total")
            << " steps) onto the local site: " << done.wallSeconds << " s wall, " << done.cpuSeconds
            << " s CPU in this process (fedihost, ASan build); the rest is waiting for the servers\n";

  checkWithClients(creds, true, server.dataDir().root);

  // The machine's configuration (NixOS kept in files here) names the site's servers, from their
  // providers' outputs: the apps would talk to this PostgreSQL, this S3 endpoint, this relay.
  {
    std::ifstream in(server.dataDir().targetRoot("site") / id / "machines" / "main" / "configuration.json");
    auto config = json::parse(std::string((std::istreambuf_iterator<char>(in)), {})).as_object();
    const auto pg = setting("postgresql", "database");
    const auto s3 = setting("s3", "bucket");
    const auto mail = setting("postfix", "mail-account");
    for (const char* app : {"mastodon", "peertube"}) {
      SCOPED_TRACE(app);
      const auto& a = config.at("apps").at(app);
      EXPECT_EQ(a.at("database").at("host"), pg.at("host"));
      EXPECT_EQ(a.at("database").at("port"), pg.at("port"));
      EXPECT_EQ(a.at("database").at("name"), json::value(std::string(app) + "_" + id.substr(4)));
      EXPECT_EQ(a.at("database").at("user"), a.at("database").at("name"));
      EXPECT_EQ(a.at("s3").at("endpoint"), s3.at("endpoint"));
      EXPECT_EQ(a.at("s3").at("region"), s3.at("region"));
      auto key = server.state().recordedResource(id + "/access-key/" + app);
      ASSERT_TRUE(key);
      EXPECT_EQ(a.at("s3").at("accessKey"), key->outputs.at("accessKeyId"));
      EXPECT_EQ(a.at("smtp").at("host"), mail.at("host"));
      EXPECT_EQ(a.at("smtp").at("port"), mail.at("port"));
      EXPECT_EQ(a.at("smtp").at("user"), json::value(std::string(app) + "@riverside.test"));
    }
    auto cert = server.state().recordedResource(id + "/certificate/main");
    ASSERT_TRUE(cert);
    EXPECT_EQ(config.at("services").at("nginx").at("certificate").at("serial"), cert->outputs.at("serial"));
    // Secrets are paths of delivered files: no password and no sealed value in the file.
    const auto text = json::serialize(config);
    EXPECT_EQ(text.find("sb2:"), std::string::npos);
    for (auto& [name, clear] : creds.secrets) EXPECT_EQ(text.find(clear), std::string::npos) << name;
  }

  // Nothing drifted, and the next plan is empty.
  // A refresh is a job (202); its result is the drift report.
  auto started = c->post("/api/v1/deployments/" + id + "/refresh", "");
  ASSERT_EQ(started.status, 202) << started.body;
  server.orchestrator().waitIdle();
  auto job = json::parse(c->get(std::string(json::parse(started.body).at("links").at("self").as_string())).body);
  ASSERT_EQ(job.at("state"), "done") << job;
  EXPECT_EQ(job.at("result").at("drifted"), false) << job;
  EXPECT_EQ(json::parse(c->get("/api/v1/deployments/" + id + "/plan").body).at("empty"), true);

  auto deleted = c->request("DELETE", "/api/v1/deployments/" + id);
  ASSERT_EQ(deleted.status, 202) << deleted.body;
  server.orchestrator().waitIdle();
  auto run = json::parse(c->get(std::string(deleted.headers["location"])).body).as_object();
  ASSERT_EQ(run.at("status"), "succeeded") << failedSteps(run);
  checkWithClients(creds, false, server.dataDir().root);
}

TEST_F(DeployToSiteTest, TheSameConvergesWithTwentyPercentOfProviderCallsFailing) {
  orchestrator::OrchestratorOptions options;
  options.retry.maxAttempts = 10;
  options.retry.base = 20ms;
  options.retry.cap = 200ms;
  options.faultInjection = true;
  testing::TestServer server(
      [](const orchestrator::DataDir& dir) {
        writeTarget(dir, "chaos", {{"faults", json::object{{"retryable", 0.2}, {"seed", 11}}}});
      },
      options);
  auto c = server.operatorClient();
  auto done = deploy(server, *c, "chaos", "chaos.test", 3);
  ASSERT_EQ(done.run.at("status"), "succeeded") << failedSteps(done.run);
  int retried = 0;
  for (auto& st : done.run.at("steps").as_array()) retried += st.at("attempts").as_int64() > 1;
  std::cout << "[ site     ] with 20 % faults: " << done.wallSeconds << " s wall, " << retried << " steps retried\n";
  const auto id = std::string(done.deployment.at("id").as_string());
  auto creds = credentials(server, done.deployment);
  checkWithClients(creds, true, server.dataDir().root);

  for (int i = 0; i < 3; ++i) {
    auto deleted = c->request("DELETE", "/api/v1/deployments/" + id);
    if (deleted.status != 202) break;  // 404 once deleted
    server.orchestrator().waitIdle();
  }
  EXPECT_EQ(json::parse(c->get("/api/v1/deployments/" + id).body).at("status"), "deleted");
  checkWithClients(creds, false, server.dataDir().root);
}

}  // namespace
}  // namespace fedihost
