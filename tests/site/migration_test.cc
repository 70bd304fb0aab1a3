// A migration between two local sites (docs/backup-and-migration.md, "Migration"): "dc1"
// with its own PostgreSQL and S3 server, "dc2" with its own, one PowerDNS for both. A
// Mastodon with rows and objects moves from dc1 to dc2 while a writer keeps inserting rows
// into its database as the app's own role: every insert the server acknowledged is at dc2
// afterwards, dc1 refuses the app's role from the cut-over on, the objects (checksums,
// metadata) and secrets are the same, PowerDNS answers with dc2's address, and the
// measured downtime is reported. Removing the old side drops dc1's database.
// Both PostgreSQL servers run with wal_level=logical: the database is replicated (a publication
// at dc1, a subscription at dc2) and the cut-over waits only for its lag; its sequences are
// carried over; no publication, subscription or replication slot remains at either server after
// a move, a failed move rolled back, or a move abandoned (a killed server) and rolled back at the
// next start. "dc3" (a third PostgreSQL with wal_level=replica) falls back to the full copy.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "orchestrator/backups.hh"
#include "secrets/secret_box.hh"
#include "store/migration_store.hh"
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
      // No other thread runs yet: the script started next reads the variable.
      setenv("FEDIHOST_SITE_PG_WAL_LEVEL", "replica", 1);
      dc3_ = std::make_unique<testing::Site>(std::vector<std::string>{"postgresql"});
      unsetenv("FEDIHOST_SITE_PG_WAL_LEVEL");
      // dc1's replication role gets a password that needs quoting in a connection string (a quote, a
      // backslash, a space): the subscription at dc2 must still log in with it.
      const std::string tricky = "re'pl \\pass " + str(dc1_->settings("postgresql", "database"), "replicationPassword");
      auto pg = dc1_->settings("postgresql", "database");
      auto changed = psql(*dc1_, "postgres", str(pg, "superuser"), str(pg, "superuserPassword"),
                          "ALTER ROLE fedihost_repl PASSWORD '" + std::string("re''pl \\pass ") +
                              str(pg, "replicationPassword") + "'");
      if (changed.exitCode != 0) throw std::runtime_error("changing the replication password: " + changed.output);
      auto config = dc1_->providerConfig("postgresql");
      config["database"].as_object()["settings"].as_object()["replicationPassword"] = tricky;
      std::ofstream(dc1_->dir() / "postgresql" / "provider.json") << json::serialize(config);
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    dc3_.reset();
    dc2_.reset();
    dc1_.reset();
  }
  void SetUp() override { ASSERT_TRUE(dc1_ && dc2_ && dc3_) << error_; }

  static inline std::unique_ptr<testing::Site> dc1_, dc2_, dc3_;
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
    // dc3: its own PostgreSQL (wal_level=replica), dc1's S3 server.
    auto dc3 = providers(*dc3_, "192.0.2.0/24");
    for (auto* kind : {"bucket", "access-key"}) dc3[kind] = dc1_->providerConfig("s3").at(kind);
    std::ofstream(dir.targetConfigDir() / "dc3.json") << json::serialize(json::object{{"name", "dc3"}, {"providers", dc3}});
  }

  /// What a deployment made by deploy() holds: its id, secrets, resources and database.
  struct Deployed {
    std::string id;
    std::map<std::string, std::string> secrets;
    std::vector<RecordedResource> resources;
    std::string dbName, role, password;
  };
  /// A Mastodon named `name` applied at `target`, its database holding 200 statuses and a sequence used 200 times.
  static Deployed deploy(testing::TestServer& server, client::Client& c, const std::string& name,
                         const std::string& target) {
    Deployed out;
    auto org = c.post("/api/v1/organisations", R"({"name":")" + name + R"(","displayName":"Coop"})");
    EXPECT_EQ(org.status, 201) << org.body;
    auto created = c.post("/api/v1/organisations/" + str(json::parse(org.body).as_object(), "id") + "/deployments",
                          json::serialize(json::object{{"name", name},
                                                       {"domain", name + ".example.test"},
                                                       {"target", target},
                                                       {"apps", json::array{json::object{{"app", "mastodon"}}}}}));
    EXPECT_EQ(created.status, 201) << created.body;
    out.id = str(json::parse(created.body).as_object(), "id");
    EXPECT_EQ(c.post("/api/v1/deployments/" + out.id + "/apply", "").status, 202);
    server.orchestrator().waitIdle();
    EXPECT_EQ(json::parse(c.get("/api/v1/deployments/" + out.id).body).at("status"), "ready");
    auto box = secrets::SecretBox::openOrCreate(server.dataDir().secretKey());
    for (auto& [secret, sealed] : server.state().sealedSecrets(out.id)) out.secrets[secret] = box.open(sealed).value();
    out.resources = server.state().recordedResources(out.id);
    const auto& db = recorded(out.resources, ResourceKind::Database).resource.attributes;
    out.dbName = str(db, "name");
    out.role = str(db, "owner");
    out.password = out.secrets.at("mastodon-database-password");
    auto& site = target == "dc1" ? *dc1_ : *dc3_;
    auto made = psql(site, out.dbName, out.role, out.password,
                     "CREATE TABLE statuses (id int PRIMARY KEY, body text); "
                     "INSERT INTO statuses SELECT g, 'toot ' || g FROM generate_series(1, 200) g; "
                     "CREATE TABLE favourites (id bigserial PRIMARY KEY, note text); "
                     "INSERT INTO favourites (note) SELECT 'fav' FROM generate_series(1, 200);");
    EXPECT_EQ(made.exitCode, 0) << made.output;
    // FEDIHOST_MIGRATION_BULK_ROWS=n adds a table of n rows of 200 bytes: the downtime printed by
    // the replicated move (dc1) and the copied one (dc3) then shows what the data's size costs each.
    if (const char* bulk = std::getenv("FEDIHOST_MIGRATION_BULK_ROWS")) {
      auto filled = psql(site, out.dbName, out.role, out.password,
                         "CREATE TABLE bulk (id int PRIMARY KEY, body text); INSERT INTO bulk SELECT g, "
                         "repeat('x', 200) FROM generate_series(1, " + std::to_string(std::stoll(bulk)) + ") g;");
      EXPECT_EQ(filled.exitCode, 0) << filled.output;
    }
    return out;
  }

  /// One value as PostgreSQL's superuser at `site` sees it in `db`.
  static std::string asSuperuser(const testing::Site& site, const std::string& db, const std::string& sql) {
    auto pg = site.settings("postgresql", "database");
    auto r = psql(site, db, str(pg, "superuser"), str(pg, "superuserPassword"), sql);
    EXPECT_EQ(r.exitCode, 0) << r.output;
    return r.output.substr(0, r.output.find('\n'));
  }
  /// What replication left at `site`: subscriptions and replication slots (the server's), and
  /// publications in `db` (if it exists). "0 0 0" when nothing.
  static std::string replicationLeft(const testing::Site& site, const std::string& db) {
    auto left = asSuperuser(site, "postgres",
                            "SELECT (SELECT count(*) FROM pg_subscription) || ' ' || "
                            "(SELECT count(*) FROM pg_replication_slots)");
    const bool exists = asSuperuser(site, "postgres", "SELECT count(*) FROM pg_database WHERE datname = '" + db + "'") == "1";
    return left + " " + (exists ? asSuperuser(site, db, "SELECT count(*) FROM pg_publication") : "0");
  }
  /// The migration's record of how `part` moved.
  static json::object copyOf(const json::object& migration, const std::string& part) {
    for (auto& c : migration.at("copies").as_array())
      if (c.as_object().at("part").as_string() == part) return c.as_object();
    ADD_FAILURE() << "no copy of " << part << " in " << json::serialize(migration);
    return {};
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
  const auto deployed = deploy(server, *c, "social", "dc1");
  const auto& dep = deployed.id;
  ASSERT_NE(dig("social.example.test").find("198.51.100."), std::string::npos) << dig("social.example.test");
  auto box = secrets::SecretBox::openOrCreate(server.dataDir().secretKey());
  const auto& secrets = deployed.secrets;
  const auto& all = deployed.resources;
  const auto &dbName = deployed.dbName, &role = deployed.role, &password = deployed.password;
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
      auto r = psql(*dc1_, dbName, role, password,
                    "INSERT INTO statuses VALUES (" + std::to_string(id) + ", 'live'); "
                    "INSERT INTO favourites (note) VALUES ('live')");
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
  // Between the first copy and the cut-over, the writer must get rows in: only the replication carries them.
  std::size_t atFirstCopy = 0, atCutOver = 0;
  std::string subscribedAtCutOver;
  server.orchestrator().backups().setMigrationHook([&](const std::string&, const std::string& step) {
    if (step == "copied") {
      atFirstCopy = ackCount();
      for (int i = 0; i < 500 && ackCount() < atFirstCopy + 5; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (step == "writes-stopped") {
      atCutOver = ackCount();
      subscribedAtCutOver = asSuperuser(*dc2_, dbName, "SELECT count(*) FROM pg_subscription");
    }
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
  // The database was replicated (a subscription at dc2 until the cut-over), the bucket copied.
  EXPECT_EQ(subscribedAtCutOver, "1");
  auto dbCopy = copyOf(m, "parts/database/mastodon");
  EXPECT_EQ(dbCopy.at("method"), "replicated") << json::serialize(dbCopy);
  EXPECT_TRUE(dbCopy.at("reason").is_null());
  EXPECT_TRUE(dbCopy.at("lagBytes").is_int64()) << json::serialize(dbCopy);
  std::cout << "replication lag when writes stopped: " << dbCopy.at("lagBytes") << " bytes\n";
  auto bucketCopy = copyOf(m, "parts/bucket/" + recorded(all, ResourceKind::Bucket).resource.name);
  EXPECT_EQ(bucketCopy.at("method"), "copied");
  EXPECT_NE(std::string(bucketCopy.at("reason").as_string()).find("cannot replicate"), std::string::npos);
  // The source's replication password is in no log: not the migration's journal, not the new server's log.
  const auto fullPassword = str(dc1_->settings("postgresql", "database"), "replicationPassword");
  const auto replPassword = fullPassword.substr(fullPassword.rfind(' ') + 1);  // its random part, as any log would show it
  ASSERT_GE(replPassword.size(), 16u);
  EXPECT_EQ(json::serialize(m).find(replPassword), std::string::npos);
  std::ifstream pgLog(dc2_->dir() / "postgresql" / "pg.log");
  std::stringstream pgLogText;
  pgLogText << pgLog.rdbuf();
  EXPECT_NE(pgLogText.str().find("logical replication"), std::string::npos) << "the log read is dc2's server's";
  EXPECT_EQ(pgLogText.str().find(replPassword), std::string::npos);
  // Nothing of the replication remains at either server.
  EXPECT_EQ(replicationLeft(*dc1_, dbName), "0 0 0");
  EXPECT_EQ(replicationLeft(*dc2_, dbName), "0 0 0");
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
  // The app's role writes at dc2; the sequence goes on from dc1's last value (no collision).
  EXPECT_EQ(psql(*dc2_, dbName, role, password, "INSERT INTO statuses VALUES (999998, 'after')").exitCode, 0);
  const auto lastAtDc1 = asSuperuser(*dc1_, dbName, "SELECT last_value FROM favourites_id_seq");
  auto fav = psql(*dc2_, dbName, role, password, "INSERT INTO favourites (note) VALUES ('after') RETURNING id");
  ASSERT_EQ(fav.exitCode, 0) << fav.output;
  EXPECT_EQ(std::stoll(fav.output), std::stoll(lastAtDc1) + 1);
  EXPECT_EQ(asSuperuser(*dc2_, dbName, "SELECT count(*) FROM favourites"),
            std::to_string(200 + acknowledged.size() + 1));

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
  EXPECT_EQ(replicationLeft(*dc1_, dbName), "0 0 0");
  EXPECT_NE(dig("social.example.test").find("203.0.113."), std::string::npos);
}

TEST_F(MigrationSiteTest, AFailedAndAnAbandonedMigrationLeaveNoReplicationBehind) {
  testing::TestServer server(writeTargets);
  auto c = server.operatorClient();
  const auto d = deploy(server, *c, "failing", "dc1");
  auto migrate = [&] {
    auto started = c->post("/api/v1/deployments/" + d.id + "/migrations", R"({"target":"dc2"})");
    EXPECT_EQ(started.status, 202) << started.body;
    server.orchestrator().backups().waitIdle();
    return str(json::parse(started.body).as_object(), "id");
  };
  auto read = [&](const std::string& id) { return json::parse(c->get("/api/v1/migrations/" + id).body).as_object(); };

  // A health check that fails after the DNS switch (dc2's machine vanishes): rolled back in the same run.
  std::string subscribed;
  server.orchestrator().backups().setMigrationHook([&](const std::string&, const std::string& step) {
    if (step == "copied") subscribed = asSuperuser(*dc2_, d.dbName, "SELECT count(*) FROM pg_subscription");
    if (step == "switched") fs::remove_all(server.dataDir().targetRoot("dc2") / d.id / "machines");
    return true;
  });
  auto failed = read(migrate());
  ASSERT_EQ(failed.at("status"), "failed") << json::serialize(failed);
  EXPECT_NE(std::string(failed.at("error").as_string()).find("rolled back to dc1"), std::string::npos);
  EXPECT_EQ(subscribed, "1") << "dc2 followed dc1 before the cut-over";
  EXPECT_EQ(copyOf(failed, "parts/database/mastodon").at("method"), "replicated");
  EXPECT_EQ(replicationLeft(*dc1_, d.dbName), "0 0 0");
  EXPECT_EQ(replicationLeft(*dc2_, d.dbName), "0 0 0");
  EXPECT_EQ(psql(*dc1_, d.dbName, d.role, d.password, "INSERT INTO favourites (note) VALUES ('back')").exitCode, 0)
      << "dc1 takes writes again";

  // A server "killed" while dc2 follows dc1 and writes are stopped: rolled back at the next start.
  server.orchestrator().backups().setMigrationHook([&](const std::string&, const std::string& step) {
    return step != "writes-stopped";
  });
  const auto abandoned = migrate();
  EXPECT_EQ(asSuperuser(*dc2_, d.dbName, "SELECT count(*) FROM pg_subscription"), "1");
  EXPECT_EQ(asSuperuser(*dc1_, "postgres", "SELECT count(*) FROM pg_replication_slots"), "1");
  {
    orchestrator::Backups next(server.orchestrator(), server.dataDir().stateUrl(), server.dataDir().backupsDir(),
                               server.dataDir().bundleKey());
    next.start();
    next.waitIdle();
  }
  auto recovered = read(abandoned);
  EXPECT_EQ(recovered.at("status"), "failed") << json::serialize(recovered);
  EXPECT_NE(std::string(recovered.at("error").as_string()).find("interrupted"), std::string::npos);
  EXPECT_EQ(std::string(recovered.at("error").as_string()).find("left"), std::string::npos) << recovered.at("error");
  EXPECT_EQ(replicationLeft(*dc1_, d.dbName), "0 0 0");
  EXPECT_EQ(replicationLeft(*dc2_, d.dbName), "0 0 0");
  EXPECT_EQ(psql(*dc1_, d.dbName, d.role, d.password, "INSERT INTO favourites (note) VALUES ('again')").exitCode, 0);
  EXPECT_EQ(json::parse(c->get("/api/v1/deployments/" + d.id).body).at("target"), "dc1");
}

TEST_F(MigrationSiteTest, ASourceWithoutLogicalWalIsCopiedInFullAndSaysWhy) {
  testing::TestServer server(writeTargets);
  auto c = server.operatorClient();
  const auto d = deploy(server, *c, "replica", "dc3");
  auto started = c->post("/api/v1/deployments/" + d.id + "/migrations", R"({"target":"dc2"})");
  ASSERT_EQ(started.status, 202) << started.body;
  server.orchestrator().backups().waitIdle();
  auto m = json::parse(c->get("/api/v1/migrations/" + str(json::parse(started.body).as_object(), "id")).body).as_object();
  ASSERT_EQ(m.at("status"), "succeeded") << json::serialize(m);
  std::cout << "migration downtime with a full copy: " << m.at("downtimeMs").as_int64() << " ms\n";
  auto dbCopy = copyOf(m, "parts/database/mastodon");
  EXPECT_EQ(dbCopy.at("method"), "copied");
  EXPECT_NE(std::string(dbCopy.at("reason").as_string()).find("wal_level is replica"), std::string::npos)
      << json::serialize(dbCopy);
  EXPECT_TRUE(dbCopy.at("lagBytes").is_null());
  EXPECT_NE(json::serialize(m.at("journal")).find("not replicated"), std::string::npos);
  // The full copies carried the rows and the sequence (pg_dump's), and left no replication anywhere.
  EXPECT_EQ(asSuperuser(*dc2_, d.dbName, "SELECT count(*) FROM statuses"), "200");
  auto fav = psql(*dc2_, d.dbName, d.role, d.password, "INSERT INTO favourites (note) VALUES ('after') RETURNING id");
  ASSERT_EQ(fav.exitCode, 0) << fav.output;
  EXPECT_EQ(std::stoll(fav.output), 201);
  EXPECT_EQ(replicationLeft(*dc3_, d.dbName), "0 0 0");
  EXPECT_EQ(replicationLeft(*dc2_, d.dbName), "0 0 0");
}

}  // namespace
}  // namespace fedihost
