// A migration between two local sites (docs/backup-and-migration.md, "Migration"): "dc1"
// with its own PostgreSQL and S3 server, "dc2" with its own, one PowerDNS for both. A
// Mastodon with rows and objects moves from dc1 to dc2 while a writer keeps inserting rows
// into its database as the app's own role: every insert the server acknowledged is at dc2
// afterwards, dc1 refuses the app's role from the cut-over on, the objects (checksums,
// metadata) and secrets are the same, PowerDNS answers with dc2's address, and the
// measured downtime is reported. Removing the old side drops dc1's database.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "secrets/secret_box.hh"
#include "support/process.hh"
#include "support/site.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::run;
constexpr auto q = testing::shellQuote;

std::string str(const json::object& o, const char* k) { return testing::settingText(o, k); }

class MigrationSiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      dc1_ = std::make_unique<testing::Site>(std::vector<std::string>{"powerdns", "postgresql", "s3"});
      dc2_ = std::make_unique<testing::Site>(std::vector<std::string>{"postgresql", "s3"});
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    dc2_.reset();
    dc1_.reset();
  }
  void SetUp() override { ASSERT_TRUE(dc1_ && dc2_) << error_; }

  static inline std::unique_ptr<testing::Site> dc1_, dc2_;
  static inline std::string error_;

  static void writeTargets(const orchestrator::DataDir& dir) {
    auto providers = [](const testing::Site& site, const char* pool) {
      auto p = site.providers({"machine", "certificate", "nixos-config", "mail-account"});
      p["dns-record-set"] = dc1_->providerConfig("powerdns").at("dns-record-set");  // one DNS for both
      p["ip-address"] = json::object{{"implementation", "file"}, {"settings", json::object{{"ipv4Pool", pool}}}};
      return p;
    };
    fs::create_directories(dir.targetConfigDir());
    std::ofstream(dir.targetConfigDir() / "dc1.json")
        << json::serialize(json::object{{"name", "dc1"}, {"providers", providers(*dc1_, "198.51.100.0/24")}});
    std::ofstream(dir.targetConfigDir() / "dc2.json")
        << json::serialize(json::object{{"name", "dc2"}, {"providers", providers(*dc2_, "203.0.113.0/24")}});
  }

  static testing::CommandResult psql(const testing::Site& site, const std::string& db, const std::string& user,
                                     const std::string& password, const std::string& sql) {
    return testing::psqlAt(site, db, user, password, sql);
  }
  static testing::CommandResult aws(const testing::Site& site, const std::string& id, const std::string& secretKey,
                                    const std::string& args) {
    return testing::awsAt(site, id, secretKey, args);
  }
  static std::string dig(const std::string& host) {
    auto dns = dc1_->settings("powerdns", "dns-record-set");
    return run("dig +short +time=2 +tries=1 @127.0.0.1 -p " + str(dns, "dnsPort") + " " + q(host) + " A").output;
  }
  static const RecordedResource& recorded(const std::vector<RecordedResource>& all, ResourceKind kind) {
    for (auto& r : all)
      if (r.resource.kind == kind) return r;
    throw std::runtime_error("no recorded " + std::string(toString(kind)));
  }
  /// The bucket's objects at `site`: key -> "sha256 content-type metadata".
  static std::map<std::string, std::string> objectsAt(const testing::Site& site, const std::string& id,
                                                      const std::string& secret, const std::string& bucket,
                                                      const fs::path& scratch) {
    std::map<std::string, std::string> out;
    auto listed = aws(site, id, secret, "s3api list-objects --bucket " + q(bucket) + " --query 'Contents[].Key' --output text");
    EXPECT_EQ(listed.exitCode, 0) << listed.output;
    std::istringstream keys(listed.output);
    std::string k;
    while (keys >> k) {
      if (k == "None") continue;
      auto file = scratch / "object";
      auto got = aws(site, id, secret, "s3api get-object --bucket " + q(bucket) + " --key " + q(k) + " " + q(file.string()));
      EXPECT_EQ(got.exitCode, 0) << got.output;
      auto head = json::parse(got.output.substr(got.output.find('{'))).as_object();
      std::string meta;
      for (auto& [mk, mv] : head.at("Metadata").as_object()) meta += std::string(mk) + "=" + std::string(mv.as_string()) + ";";
      out[k] = run("sha256sum " + q(file.string())).output.substr(0, 64) + " " + str(head, "ContentType") + " " + meta;
    }
    return out;
  }
};

TEST_F(MigrationSiteTest, AMastodonMovesToAnotherSiteWhileItsDatabaseIsWrittenAndNoAcknowledgedWriteIsLost) {
  testing::TestServer server(writeTargets);
  auto c = server.operatorClient();
  auto org = c->post("/api/v1/organisations", R"({"name":"coop","displayName":"Coop"})");
  ASSERT_EQ(org.status, 201) << org.body;
  auto created = c->post("/api/v1/organisations/" + str(json::parse(org.body).as_object(), "id") + "/deployments",
                         R"({"name":"social","domain":"social.example.test","target":"dc1","apps":[{"app":"mastodon"}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto dep = str(json::parse(created.body).as_object(), "id");
  ASSERT_EQ(c->post("/api/v1/deployments/" + dep + "/apply", "").status, 202);
  server.orchestrator().waitIdle();
  ASSERT_EQ(json::parse(c->get("/api/v1/deployments/" + dep).body).at("status"), "ready");
  ASSERT_NE(dig("social.example.test").find("198.51.100."), std::string::npos) << dig("social.example.test");

  auto box = secrets::SecretBox::openOrCreate(server.dataDir().secretKey());
  std::map<std::string, std::string> secrets;
  for (auto& [name, sealed] : server.state().sealedSecrets(dep)) secrets[name] = box.open(sealed).value();
  const auto all = server.state().recordedResources(dep);
  const auto& db = recorded(all, ResourceKind::Database).resource.attributes;
  const auto dbName = str(db, "name"), role = str(db, "owner"), password = secrets.at("mastodon-database-password");
  ASSERT_EQ(psql(*dc1_, dbName, role, password, "CREATE TABLE statuses (id int PRIMARY KEY, body text); "
                                               "INSERT INTO statuses SELECT g, 'toot ' || g FROM generate_series(1, 200) g;")
                .exitCode,
            0);
  const auto& key = recorded(all, ResourceKind::AccessKey);
  const auto keyId = str(key.outputs, "accessKeyId");
  const auto bucket = std::string(key.resource.attributes.at("buckets").as_array().at(0).as_string());
  const auto scratch = server.dataDir().root / "scratch";
  fs::create_directories(scratch);
  for (int i = 1; i <= 2; ++i) {
    auto file = scratch / ("upload" + std::to_string(i));
    std::ofstream(file) << "media " << i << std::string(static_cast<std::size_t>(i) * 700, 'm');
    ASSERT_EQ(aws(*dc1_, keyId, secrets.at("mastodon-s3-secret-key"),
                  "s3api put-object --bucket " + q(bucket) + " --key " + q("media/" + std::to_string(i) + ".png") +
                      " --body " + q(file.string()) + " --content-type image/png --metadata owner=user" + std::to_string(i))
                  .exitCode,
              0);
  }
  const auto objectsBefore = objectsAt(*dc1_, keyId, secrets.at("mastodon-s3-secret-key"), bucket, scratch);
  ASSERT_EQ(objectsBefore.size(), 2u);

  // The app keeps writing at dc1 (one insert per connection, as the app's role) until the cut-over refuses it.
  std::mutex mu;
  std::set<int> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> refusals{0};
  std::thread writer([&] {
    for (int id = 1001; !stop; ++id) {
      auto r = psql(*dc1_, dbName, role, password, "INSERT INTO statuses VALUES (" + std::to_string(id) + ", 'live')");
      if (r.exitCode == 0) {
        std::lock_guard lock(mu);
        acknowledged.insert(id);
      } else {
        ++refusals;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
  auto ackCount = [&] {
    std::lock_guard lock(mu);
    return acknowledged.size();
  };
  // Between the first copy and the cut-over, the writer must get rows in: only the final copy carries them.
  std::size_t atFirstCopy = 0, atCutOver = 0;
  server.orchestrator().backups().setMigrationHook([&](const std::string&, const std::string& step) {
    if (step == "copied") {
      atFirstCopy = ackCount();
      for (int i = 0; i < 500 && ackCount() < atFirstCopy + 5; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (step == "writes-stopped") atCutOver = ackCount();
    return true;
  });
  while (ackCount() < 5) std::this_thread::sleep_for(std::chrono::milliseconds(20));

  auto started = c->post("/api/v1/deployments/" + dep + "/migrations", R"({"target":"dc2"})");
  ASSERT_EQ(started.status, 202) << started.body;
  const auto id = str(json::parse(started.body).as_object(), "id");
  server.orchestrator().backups().waitIdle();
  // Once the cut-over began, dc1 refuses the app: the writer sees refusals from then on.
  for (int i = 0; i < 250 && refusals == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  writer.join();

  auto m = json::parse(c->get("/api/v1/migrations/" + id).body).as_object();
  ASSERT_EQ(m.at("status"), "succeeded") << json::serialize(m);
  ASSERT_TRUE(m.at("downtimeMs").is_int64());
  std::cout << "migration downtime: " << m.at("downtimeMs").as_int64() << " ms (" << acknowledged.size()
            << " rows acknowledged while it ran)\n";
  EXPECT_GT(atCutOver, atFirstCopy) << "rows were written after the first copy";
  EXPECT_GT(refusals.load(), 0) << "dc1 refused the app's writes from the cut-over on";
  EXPECT_NE(psql(*dc1_, dbName, role, password, "INSERT INTO statuses VALUES (999999, 'late')").exitCode, 0);

  // At dc2: every acknowledged row, the 200 rows from before, the objects and the secrets.
  auto rows = psql(*dc2_, dbName, role, password, "SELECT id FROM statuses ORDER BY id");
  ASSERT_EQ(rows.exitCode, 0) << rows.output;
  std::set<int> atDc2;
  std::istringstream in(rows.output);
  for (int v; in >> v;) atDc2.insert(v);
  for (int i = 1; i <= 200; ++i) EXPECT_TRUE(atDc2.count(i)) << "row " << i;
  for (int a : acknowledged) EXPECT_TRUE(atDc2.count(a)) << "acknowledged row " << a << " was lost";
  EXPECT_EQ(objectsAt(*dc2_, str(server.state().recordedResource(key.resource.key)->outputs, "accessKeyId"),
                      secrets.at("mastodon-s3-secret-key"), bucket, scratch),
            objectsBefore);
  std::map<std::string, std::string> after;
  for (auto& [name, sealed] : server.state().sealedSecrets(dep)) after[name] = box.open(sealed).value();
  EXPECT_EQ(after, secrets);
  EXPECT_NE(dig("social.example.test").find("203.0.113."), std::string::npos) << dig("social.example.test");
  auto d = json::parse(c->get("/api/v1/deployments/" + dep).body).as_object();
  EXPECT_EQ(d.at("target"), "dc2");
  // The app's role writes at dc2.
  EXPECT_EQ(psql(*dc2_, dbName, role, password, "INSERT INTO statuses VALUES (999998, 'after')").exitCode, 0);

  // The old side goes on request: dc1's database is dropped; DNS stays dc2's.
  ASSERT_EQ(c->post("/api/v1/migrations/" + id + "/old-side-removal", "").status, 202);
  server.orchestrator().backups().waitIdle();
  auto removed = json::parse(c->get("/api/v1/migrations/" + id).body).as_object();
  EXPECT_EQ(removed.at("oldSide"), "removed") << json::serialize(removed);
  auto pg = dc1_->settings("postgresql", "database");
  auto exists = run("PGPASSWORD=" + q(str(pg, "adminPassword")) + " psql -X -q -t -A -h 127.0.0.1 -p " +
                    str(pg, "port") + " -U " + q(str(pg, "adminUser")) + " -d postgres -c " +
                    q("SELECT count(*) FROM pg_database WHERE datname = '" + dbName + "'"));
  EXPECT_EQ(exists.output.substr(0, 1), "0") << exists.output;
  EXPECT_NE(dig("social.example.test").find("203.0.113."), std::string::npos);
}

}  // namespace
}  // namespace fedihost
