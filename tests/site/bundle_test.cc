// Backup and restore on a local site (PostgreSQL, Swift S3): a Mastodon deployment with
// rows in its database, objects in its bucket and its secrets → backup → the deployment
// deleted → restored as a new deployment under another domain → the same rows, objects
// (checksums, content types, metadata) and secrets. Then restores that must fail: a bundle
// with a flipped byte in a part, and a bundle lacking a secret; each names the part and
// leaves nothing behind. Restores in place: rows and objects changed after a backup are
// brought back to the backup's, after a safety backup holding the changed ones; a restore
// failing in the middle (a dump that does not load) leaves the deployment as it was.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "bundle/bundle.hh"
#include "secrets/secret_box.hh"
#include "store/backup_store.hh"
#include "support/process.hh"
#include "support/bundles.hh"
#include "support/site.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::run;
constexpr auto q = testing::shellQuote;

class BundleSiteTest : public testing::SharedSite<BundleSiteTest> {
 protected:
  static void SetUpTestSuite() { startSite({"postgresql", "s3"}); }

  static std::string str(const json::object& o, const char* k) {
    const auto& v = o.at(k);
    return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
  }
  static json::object setting(const char* service, const char* kind) { return site_->settings(service, kind); }

  static void writeTarget(const orchestrator::DataDir& dir) {
    json::object target{
        {"name", "site"},
        {"providers", site_->providers({"ip-address", "machine", "dns-record-set", "certificate", "nixos-config",
                                        "mail-account"})}};
    fs::create_directories(dir.targetConfigDir());
    std::ofstream(dir.targetConfigDir() / "site.json") << json::serialize(target);
  }

  /// Every secret of a deployment, in clear.
  static std::map<std::string, std::string> secretsOf(testing::TestServer& server, const std::string& deployment) {
    auto box = secrets::SecretBox::openOrCreate(server.dataDir().secretKey());
    std::map<std::string, std::string> out;
    for (auto& [name, sealed] : server.state().sealedSecrets(deployment)) out[name] = box.open(sealed).value();
    return out;
  }

  static const RecordedResource& recorded(const std::vector<RecordedResource>& all, ResourceKind kind) {
    for (auto& r : all)
      if (r.resource.kind == kind) return r;
    throw std::runtime_error("no recorded " + std::string(toString(kind)));
  }

  static testing::CommandResult psql(const std::string& db, const std::string& user, const std::string& password,
                                     const std::string& sql) {
    return testing::psqlAt(*site_, db, user, password, sql);
  }
  static testing::CommandResult aws(const std::string& id, const std::string& secretKey, const std::string& args) {
    return testing::awsAt(*site_, id, secretKey, args);
  }

  /// What a deployment holds: its database's rows, its bucket's objects, its secrets.
  struct Data {
    std::string rows;                              ///< the table, ordered, as text
    std::map<std::string, std::string> objects;    ///< key -> "sha256 content-type metadata"
    std::map<std::string, std::string> secrets;
  };
  static Data dataOf(testing::TestServer& server, const std::string& deployment, const fs::path& scratch) {
    Data d;
    d.secrets = secretsOf(server, deployment);
    auto all = server.state().recordedResources(deployment);
    auto& db = recorded(all, ResourceKind::Database).resource.attributes;
    auto rows = psql(str(db, "name"), str(db, "owner"), d.secrets.at("mastodon-database-password"),
                     "SELECT id, body FROM statuses ORDER BY id");
    EXPECT_EQ(rows.exitCode, 0) << rows.output;
    d.rows = rows.output;
    auto& key = recorded(all, ResourceKind::AccessKey);
    auto id = str(key.outputs, "accessKeyId");
    auto secret = d.secrets.at("mastodon-s3-secret-key");
    auto bucket = std::string(key.resource.attributes.at("buckets").as_array().at(0).as_string());
    auto listed = aws(id, secret, "s3api list-objects --bucket " + q(bucket) + " --query 'Contents[].Key' --output text");
    EXPECT_EQ(listed.exitCode, 0) << listed.output;
    std::istringstream keys(listed.output);
    std::string k;
    while (keys >> k) {
      if (k == "None") continue;
      auto file = scratch / "object";
      auto got = aws(id, secret, "s3api get-object --bucket " + q(bucket) + " --key " + q(k) + " " + q(file.string()));
      EXPECT_EQ(got.exitCode, 0) << got.output;
      auto head = json::parse(got.output.substr(got.output.find('{'))).as_object();
      auto sum = run("sha256sum " + q(file.string())).output.substr(0, 64);
      std::map<std::string, std::string> meta;  // in key order: the server answers in any order
      for (auto& [mk, mv] : head.at("Metadata").as_object()) meta[std::string(mk)] = std::string(mv.as_string());
      std::string metaText;
      for (auto& [mk, mv] : meta) metaText += mk + "=" + mv + ";";
      d.objects[k] = sum + " " + str(head, "ContentType") + " " + metaText;
    }
    return d;
  }

  /// An organisation `name` with a Mastodon at `domain` on the site, applied and ready: {organisation, deployment}.
  static std::pair<std::string, std::string> mastodonOnSite(testing::TestServer& server, client::Client& c,
                                                            const std::string& name, const std::string& domain) {
    auto org = c.post("/api/v1/organisations", json::serialize(json::object{{"name", name}, {"displayName", name}}));
    if (org.status != 201) throw std::runtime_error("organisation: " + org.body);
    const auto orgId = std::string(json::parse(org.body).at("id").as_string());
    auto created = c.post("/api/v1/organisations/" + orgId + "/deployments",
                          json::serialize(json::object{{"name", "social"},
                                                       {"domain", domain},
                                                       {"target", "site"},
                                                       {"apps", json::array{json::object{{"app", "mastodon"}}}}}));
    if (created.status != 201) throw std::runtime_error("deployment: " + created.body);
    const auto depId = std::string(json::parse(created.body).at("id").as_string());
    if (auto r = c.post("/api/v1/deployments/" + depId + "/apply", ""); r.status != 202)
      throw std::runtime_error("apply: " + r.body);
    server.orchestrator().waitIdle();
    auto dep = json::parse(c.get("/api/v1/deployments/" + depId).body);
    if (dep.at("status") != "ready") throw std::runtime_error("not ready: " + json::serialize(dep));
    return {orgId, depId};
  }

  static json::object waitFor(testing::TestServer& server, client::Client& c, const std::string& path) {
    server.orchestrator().backups().waitIdle();
    server.orchestrator().waitIdle();
    return json::parse(c.get(path).body).as_object();
  }
};

TEST_F(BundleSiteTest, BackupDeleteRestoreUnderAnotherDomainKeepsRowsObjectsAndSecrets) {
  testing::TestServer server([](const orchestrator::DataDir& dir) { writeTarget(dir); });
  auto c = server.operatorClient();
  const auto site = mastodonOnSite(server, *c, "bundles", "social.example.test");
  const auto orgId = site.first, depId = site.second;

  // Data: rows in the database (as the app's own role), objects with metadata in the bucket.
  auto secrets = secretsOf(server, depId);
  auto all = server.state().recordedResources(depId);
  auto& db = recorded(all, ResourceKind::Database).resource.attributes;
  auto made = psql(str(db, "name"), str(db, "owner"), secrets.at("mastodon-database-password"),
                   "CREATE TABLE statuses (id int PRIMARY KEY, body text); "
                   "INSERT INTO statuses SELECT g, 'toot number ' || g || repeat('x', g % 50) FROM generate_series(1, 500) g;");
  ASSERT_EQ(made.exitCode, 0) << made.output;
  auto& key = recorded(all, ResourceKind::AccessKey);
  auto keyId = str(key.outputs, "accessKeyId");
  auto bucket = std::string(key.resource.attributes.at("buckets").as_array().at(0).as_string());
  const auto scratch = server.dataDir().root / "scratch";
  fs::create_directories(scratch);
  for (int i = 1; i <= 3; ++i) {
    auto file = scratch / ("upload" + std::to_string(i));
    std::ofstream(file) << "media file " << i << std::string(static_cast<std::size_t>(i) * 1000, 'm');
    auto put = aws(keyId, secrets.at("mastodon-s3-secret-key"),
                   "s3api put-object --bucket " + q(bucket) + " --key " + q("media/avatars/" + std::to_string(i) + ".png") +
                       " --body " + q(file.string()) + " --content-type image/png --metadata owner=user" +
                       std::to_string(i) + ",kind=avatar");
    ASSERT_EQ(put.exitCode, 0) << put.output;
  }
  const auto before = dataOf(server, depId, scratch);
  ASSERT_EQ(before.objects.size(), 3u);
  ASSERT_NE(before.rows.find("toot number 500"), std::string::npos);

  // Backup.
  auto started = c->post("/api/v1/deployments/" + depId + "/backups", "");
  ASSERT_EQ(started.status, 202) << started.body;
  const auto backupId = std::string(json::parse(started.body).at("id").as_string());
  auto backup = waitFor(server, *c, "/api/v1/backups/" + backupId);
  ASSERT_EQ(backup.at("status"), "succeeded") << json::serialize(backup);
  auto row = store::BackupStore(server.state().connection()).getBackup(backupId).value();
  auto key2 = bundle::BundleKey::openOrCreate(server.dataDir().bundleKey());
  auto opened = bundle::readBundle(row.path, key2);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->secrets, before.secrets);
  EXPECT_FALSE(opened->manifest.partsOf("database", "mastodon").empty());
  EXPECT_EQ(opened->manifest.partsOf("bucket", "mastodon-media").size(), 4u);  // index + 3 objects
  auto download = c->get("/api/v1/backups/" + backupId + "/bundle");
  EXPECT_EQ(download.status, 200);
  EXPECT_EQ(download.body.size(), static_cast<std::size_t>(row.size));

  // Delete the deployment (the bucket emptied first: S3 refuses to delete a bucket that holds objects).
  ASSERT_EQ(aws(keyId, secrets.at("mastodon-s3-secret-key"), "s3 rm --recursive s3://" + bucket).exitCode, 0);
  ASSERT_EQ(c->request("DELETE", "/api/v1/deployments/" + depId).status, 202);
  server.orchestrator().waitIdle();
  ASSERT_EQ(json::parse(c->get("/api/v1/deployments/" + depId).body).at("status"), "deleted");

  // Restore as a new deployment under another domain.
  auto restoreStarted = c->post("/api/v1/organisations/" + orgId + "/restores",
                                json::serialize(json::object{{"backup", backupId}, {"domain", "restored.example.test"}}));
  ASSERT_EQ(restoreStarted.status, 202) << restoreStarted.body;
  auto restoreId = std::string(json::parse(restoreStarted.body).at("id").as_string());
  auto restored = waitFor(server, *c, "/api/v1/restores/" + restoreId);
  ASSERT_EQ(restored.at("status"), "succeeded") << json::serialize(restored);
  auto newId = std::string(restored.at("deployment").as_string());
  EXPECT_NE(newId, depId);
  auto dep = json::parse(c->get("/api/v1/deployments/" + newId).body);
  EXPECT_EQ(dep.at("domain"), "restored.example.test");
  EXPECT_EQ(dep.at("status"), "ready");

  const auto after = dataOf(server, newId, scratch);
  EXPECT_EQ(after.rows, before.rows);
  EXPECT_EQ(after.objects, before.objects);
  EXPECT_EQ(after.secrets, before.secrets);
  // Mastodon's own secrets among them, which its nixpkgs module once generated on the machine.
  ASSERT_TRUE(before.secrets.contains("mastodon-secret-key-base"));
  EXPECT_EQ(after.secrets.at("mastodon-secret-key-base"), before.secrets.at("mastodon-secret-key-base"));
  EXPECT_EQ(after.secrets.at("mastodon-vapid-public-key"), before.secrets.at("mastodon-vapid-public-key"));
}

TEST_F(BundleSiteTest, ARestoreThatFailsNamesThePartAndLeavesNothingBehind) {
  testing::TestServer server([](const orchestrator::DataDir& dir) { writeTarget(dir); });
  auto c = server.operatorClient();
  auto org = json::parse(c->post("/api/v1/organisations", R"({"name":"broken","displayName":"Broken"})").body);
  const auto orgId = std::string(org.at("id").as_string());
  auto created = c->post("/api/v1/organisations/" + orgId + "/deployments",
                         R"({"name":"social","domain":"broken.example.test","target":"site","apps":[{"app":"mastodon"}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto depId = std::string(json::parse(created.body).at("id").as_string());
  ASSERT_EQ(c->post("/api/v1/deployments/" + depId + "/apply", "").status, 202);
  server.orchestrator().waitIdle();
  auto started = c->post("/api/v1/deployments/" + depId + "/backups", "");
  ASSERT_EQ(started.status, 202) << started.body;
  const auto backupId = std::string(json::parse(started.body).at("id").as_string());
  ASSERT_EQ(waitFor(server, *c, "/api/v1/backups/" + backupId).at("status"), "succeeded");
  store::BackupStore jobs(server.state().connection());
  auto good = jobs.getBackup(backupId).value();
  auto key = bundle::BundleKey::openOrCreate(server.dataDir().bundleKey());
  auto opened = bundle::readBundle(good.path, key, server.dataDir().root / "extracted");
  ASSERT_TRUE(opened) << opened.error().message;

  /// A backup row whose bundle is written from the good one's parts with `change` applied.
  auto forged = [&](const std::string& name, const std::map<std::string, std::string>& secrets,
                    const std::function<void(const fs::path&)>& change) {
    return testing::forgedBackup(jobs, depId, orgId, *opened, server.dataDir().root / "extracted", key, secrets,
                                 server.dataDir().root / (name + ".fhb"), change);
  };
  int restores = 0;
  auto restoreOf = [&](const std::string& backup, const std::string& domain) {
    // The original still lives: the restored deployment takes another name too.
    auto name = "restored-" + std::to_string(++restores);
    auto r = c->post("/api/v1/organisations/" + orgId + "/restores",
                     json::serialize(json::object{{"backup", backup}, {"domain", domain}, {"name", name}}));
    EXPECT_EQ(r.status, 202) << r.body;
    return waitFor(server, *c, "/api/v1/restores/" + std::string(json::parse(r.body).at("id").as_string()));
  };
  auto leftBehind = [&](const json::object& restore) {
    auto id = std::string(restore.at("deployment").as_string());
    EXPECT_EQ(json::parse(c->get("/api/v1/deployments/" + id).body).at("status"), "deleted");
    EXPECT_TRUE(server.state().recordedResources(id).empty());
    EXPECT_TRUE(server.state().sealedSecrets(id).empty());
  };

  // A secret missing from the bundle: restoring would generate a new one, so it is refused before anything is made.
  auto lacking = opened->secrets;
  lacking.erase("mastodon-database-password");
  auto r1 = restoreOf(forged("lacking", lacking, {}), "lacking.example.test");
  EXPECT_EQ(r1.at("status"), "failed");
  EXPECT_EQ(r1.at("failedPart"), "secrets.sealed");
  EXPECT_NE(std::string(r1.at("error").as_string()).find("mastodon-database-password"), std::string::npos);
  leftBehind(r1);
  // The same for an app's own secret (Mastodon's SECRET_KEY_BASE, which its nixpkgs module once made on the machine).
  auto noKeyBase = opened->secrets;
  noKeyBase.erase("mastodon-secret-key-base");
  auto r1b = restoreOf(forged("nokeybase", noKeyBase, {}), "nokeybase.example.test");
  EXPECT_EQ(r1b.at("status"), "failed");
  EXPECT_EQ(r1b.at("failedPart"), "secrets.sealed");
  EXPECT_NE(std::string(r1b.at("error").as_string()).find("mastodon-secret-key-base"), std::string::npos);
  leftBehind(r1b);

  // A database dump that does not load: the restore applies, fails at the database's part, and rolls back.
  for (auto& p : opened->manifest.parts)
    if (p.kind == "database") {
      std::ofstream(server.dataDir().root / "extracted" / p.name, std::ios::trunc) << "not a dump";
    }
  auto r2 = restoreOf(forged("baddump", opened->secrets, {}), "baddump.example.test");
  EXPECT_EQ(r2.at("status"), "failed");
  EXPECT_EQ(r2.at("failedPart"), "parts/database/mastodon") << json::serialize(r2);
  leftBehind(r2);

  // A truncated bundle: refused before anything is made (at the request when even its manifest
  // cannot be read, else by the restore's verification), naming the bundle or the part.
  auto cut = forged("cut", opened->secrets, [](const fs::path& p) { fs::resize_file(p, fs::file_size(p) / 2); });
  auto live = [&] { return server.state().listDeployments(std::vector<std::string>{orgId}, 100, "").items.size(); };
  const auto liveBefore = live();
  auto r3 = c->post("/api/v1/organisations/" + orgId + "/restores",
                    json::serialize(json::object{{"backup", cut}, {"domain", "cut.example.test"}, {"name", "restored-cut"}}));
  if (r3.status == 409) {
    EXPECT_NE(r3.body.find("cannot be read"), std::string::npos) << r3.body;
    EXPECT_EQ(live(), liveBefore) << "a refused restore creates no deployment";
  } else {
    ASSERT_EQ(r3.status, 202) << r3.body;
    auto ended = waitFor(server, *c, "/api/v1/restores/" + std::string(json::parse(r3.body).at("id").as_string()));
    EXPECT_EQ(ended.at("status"), "failed");
    EXPECT_FALSE(std::string(ended.at("failedPart").as_string()).empty());
    leftBehind(ended);
  }
}

TEST_F(BundleSiteTest, ARestoreInPlaceBringsBackTheBackupAndASafetyBackupKeepsWhatItReplaced) {
  testing::TestServer server([](const orchestrator::DataDir& dir) { writeTarget(dir); });
  auto c = server.operatorClient();
  const auto site = mastodonOnSite(server, *c, "inplace", "inplace.example.test");
  const auto orgId = site.first, depId = site.second;

  auto secrets = secretsOf(server, depId);
  auto all = server.state().recordedResources(depId);
  auto& db = recorded(all, ResourceKind::Database).resource.attributes;
  auto sql = [&](const std::string& q) {
    auto r = psql(str(db, "name"), str(db, "owner"), secrets.at("mastodon-database-password"), q);
    EXPECT_EQ(r.exitCode, 0) << q << ": " << r.output;
  };
  auto& key = recorded(all, ResourceKind::AccessKey);
  auto keyId = str(key.outputs, "accessKeyId");
  auto bucket = std::string(key.resource.attributes.at("buckets").as_array().at(0).as_string());
  const auto scratch = server.dataDir().root / "scratch";
  fs::create_directories(scratch);
  auto put = [&](const std::string& objectKey, const std::string& body, const std::string& meta) {
    auto file = scratch / "upload";
    std::ofstream(file, std::ios::trunc) << body;
    auto r = aws(keyId, secrets.at("mastodon-s3-secret-key"),
                 "s3api put-object --bucket " + q(bucket) + " --key " + q(objectKey) + " --body " + q(file.string()) +
                     " --content-type image/png --metadata " + meta);
    EXPECT_EQ(r.exitCode, 0) << r.output;
  };
  auto rm = [&](const std::string& objectKey) {
    auto r = aws(keyId, secrets.at("mastodon-s3-secret-key"),
                 "s3api delete-object --bucket " + q(bucket) + " --key " + q(objectKey));
    EXPECT_EQ(r.exitCode, 0) << r.output;
  };
  auto backupNow = [&] {
    auto started = c->post("/api/v1/deployments/" + depId + "/backups", "");
    EXPECT_EQ(started.status, 202) << started.body;
    auto id = std::string(json::parse(started.body).at("id").as_string());
    EXPECT_EQ(waitFor(server, *c, "/api/v1/backups/" + id).at("status"), "succeeded");
    return id;
  };
  auto restoreInPlace = [&](const std::string& backup) {
    auto r = c->post("/api/v1/deployments/" + depId + "/restores", json::serialize(json::object{{"backup", backup}}));
    EXPECT_EQ(r.status, 202) << r.body;
    auto started = json::parse(r.body).as_object();
    EXPECT_EQ(started.at("inPlace"), true);
    EXPECT_EQ(started.at("deployment"), json::value(depId));
    return waitFor(server, *c, "/api/v1/restores/" + std::string(started.at("id").as_string()));
  };

  // The backup: 300 rows, 3 objects.
  sql("CREATE TABLE statuses (id int PRIMARY KEY, body text); "
      "INSERT INTO statuses SELECT g, 'toot ' || g FROM generate_series(1, 300) g;");
  for (int i = 1; i <= 3; ++i)
    put("media/" + std::to_string(i) + ".png", "picture " + std::to_string(i) + std::string(500u * i, 'p'),
        "owner=user" + std::to_string(i));
  const auto atBackup = dataOf(server, depId, scratch);
  const auto backupId = backupNow();

  // Changed since: rows edited, deleted and added, a table added; an object replaced, one removed, one added.
  sql("UPDATE statuses SET body = 'edited' WHERE id <= 10; DELETE FROM statuses WHERE id > 250; "
      "INSERT INTO statuses VALUES (1000, 'new'); CREATE TABLE follows (a int, b int); INSERT INTO follows VALUES (1, 2);");
  put("media/1.png", "another picture", "owner=someone-else");
  rm("media/2.png");
  put("media/4.png", "a new picture", "owner=user4");
  const auto changed = dataOf(server, depId, scratch);
  ASSERT_NE(changed.rows, atBackup.rows);
  ASSERT_NE(changed.objects, atBackup.objects);

  // Restored in place: exactly the backup's rows and objects, the same secrets.
  auto done = restoreInPlace(backupId);
  ASSERT_EQ(done.at("status"), "succeeded") << json::serialize(done);
  EXPECT_TRUE(done.at("failedPart").is_null());
  auto after = dataOf(server, depId, scratch);
  EXPECT_EQ(after.rows, atBackup.rows);
  EXPECT_EQ(after.objects, atBackup.objects);
  EXPECT_EQ(after.secrets, atBackup.secrets);
  auto tables = psql(str(db, "name"), str(db, "owner"), secrets.at("mastodon-database-password"),
                     "SELECT count(*) FROM pg_tables WHERE tablename = 'follows'");
  EXPECT_EQ(tables.output, "0\n") << "a table made after the backup is gone";
  EXPECT_EQ(json::parse(c->get("/api/v1/deployments/" + depId).body).at("status"), "ready");

  // The safety backup: complete, listed, marked, and holding the data the restore replaced.
  ASSERT_TRUE(done.at("safetyBackup").is_string());
  const auto safetyId = std::string(done.at("safetyBackup").as_string());
  auto safety = json::parse(c->get("/api/v1/backups/" + safetyId).body).as_object();
  EXPECT_EQ(safety.at("status"), "succeeded");
  EXPECT_EQ(safety.at("safetyFor"), done.at("id"));
  auto listed = json::parse(c->get("/api/v1/deployments/" + depId + "/backups").body).at("items").as_array();
  EXPECT_EQ(std::count_if(listed.begin(), listed.end(), [&](auto& b) { return b.at("id") == json::value(safetyId); }), 1);
  // ... so the customer can go back to it: restored in place in turn, the changed data is back.
  auto back = restoreInPlace(safetyId);
  ASSERT_EQ(back.at("status"), "succeeded") << json::serialize(back);
  auto again = dataOf(server, depId, scratch);
  EXPECT_EQ(again.rows, changed.rows);
  EXPECT_EQ(again.objects, changed.objects);

  // A dump that does not load, in a backup of this deployment: the bucket may be loaded first, the
  // database fails, and both are loaded back from the safety backup. The deployment is as it was.
  store::BackupStore jobs(server.state().connection());
  auto good = jobs.getBackup(backupId).value();
  auto bundleKey = bundle::BundleKey::openOrCreate(server.dataDir().bundleKey());
  const auto extracted = server.dataDir().root / "extracted";
  auto opened = bundle::readBundle(good.path, bundleKey, extracted);
  ASSERT_TRUE(opened) << opened.error().message;
  std::vector<bundle::PartSource> parts;
  for (auto& p : opened->manifest.parts) {
    if (p.name == bundle::kSecretsName) continue;
    if (p.kind == "database") std::ofstream(extracted / p.name, std::ios::trunc) << "not a dump";
    parts.push_back({p, extracted / p.name});
  }
  const auto forgedPath = server.dataDir().root / "baddump.fhb";
  ASSERT_TRUE(bundle::writeBundle(forgedPath, opened->manifest, opened->secrets, bundleKey, parts));
  auto forged = jobs.createBackup(depId, orgId, "");
  jobs.finishBackup(forged.id, forgedPath.string(), static_cast<std::int64_t>(fs::file_size(forgedPath)), "");
  auto failed = restoreInPlace(forged.id);
  EXPECT_EQ(failed.at("status"), "failed");
  EXPECT_EQ(failed.at("failedPart"), "parts/database/mastodon") << json::serialize(failed);
  EXPECT_NE(std::string(failed.at("error").as_string()).find("rolled back to safety backup"), std::string::npos)
      << json::serialize(failed);
  EXPECT_TRUE(failed.at("safetyBackup").is_string());
  std::string journal;
  for (auto& l : failed.at("journal").as_array())
    journal += std::string(l.at("part").as_string()) + ": " + std::string(l.at("message").as_string()) + "\n";
  EXPECT_NE(journal.find("rolled back: the data and secrets of safety backup"), std::string::npos) << journal;
  EXPECT_NE(journal.find("parts/database/mastodon: current data discarded, safety backup"), std::string::npos) << journal;
  auto unchanged = dataOf(server, depId, scratch);
  EXPECT_EQ(unchanged.rows, changed.rows);
  EXPECT_EQ(unchanged.objects, changed.objects);
  EXPECT_EQ(unchanged.secrets, changed.secrets);

  // A damaged bundle (a changed byte): refused at verification, before any safety backup or change.
  const auto flippedPath = server.dataDir().root / "flipped.fhb";
  fs::copy_file(good.path, flippedPath);
  {
    std::fstream f(flippedPath, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(fs::file_size(flippedPath) * 3 / 4);
    f.seekg(at);
    char byte = 0;
    f.get(byte);
    f.seekp(at);
    f.put(static_cast<char>(byte ^ 0x5a));
  }
  auto flipped = jobs.createBackup(depId, orgId, "");
  jobs.finishBackup(flipped.id, flippedPath.string(), static_cast<std::int64_t>(fs::file_size(flippedPath)), "");
  const auto backupsBefore = jobs.listBackups(depId).size();
  auto refused = restoreInPlace(flipped.id);
  EXPECT_EQ(refused.at("status"), "failed");
  EXPECT_FALSE(std::string(refused.at("failedPart").as_string()).empty()) << json::serialize(refused);
  EXPECT_TRUE(refused.at("safetyBackup").is_null()) << "nothing was touched, no safety backup was needed";
  EXPECT_EQ(jobs.listBackups(depId).size(), backupsBefore);
  auto still = dataOf(server, depId, scratch);
  EXPECT_EQ(still.rows, changed.rows);
  EXPECT_EQ(still.objects, changed.objects);
}

}  // namespace
}  // namespace fedihost
