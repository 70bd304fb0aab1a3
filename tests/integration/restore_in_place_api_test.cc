// Restore in place over the API (docs/backup-and-migration.md, "Restore in place"): a
// Pixelfed on the file target is backed up, its APP_KEY then changed; restored in place,
// the backup's key is back (the machine's configuration updated by an apply), a safety
// backup holding the changed key is kept and listed. Who may ask (a viewer 403, another
// organisation 404), and what is refused: a backup of another deployment or organisation,
// a busy or deleted deployment, a backup that is not complete. Runs on SQLite and, in label
// pg, on PostgreSQL. A restore interrupted after its safety backup (its rows as a killed
// server leaves them) is rolled back at the next start.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <map>

#include "bundle/bundle.hh"
#include "orchestrator/backups.hh"
#include "orchestrator/orchestrator.hh"
#include "secrets/secret_box.hh"
#include "store/backup_store.hh"
#include "store/state_store.hh"
#include "support/bundles.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace json = boost::json;

class RestoreInPlaceApiTest : public ::testing::Test {
 protected:
  testing::TestServer server_;
  std::unique_ptr<client::Client> op_ = server_.operatorClient();
  secrets::SecretBox box_ = secrets::SecretBox::openOrCreate(server_.dataDir().secretKey());

  /// The deployment's secrets in clear.
  std::map<std::string, std::string> secretsOf(const std::string& dep) {
    std::map<std::string, std::string> out;
    for (auto& [name, sealed] : server_.state().sealedSecrets(dep)) out[name] = box_.open(sealed).value();
    return out;
  }
  /// GET as the operator, expecting 200.
  json::object read(const std::string& path) {
    auto r = op_->get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body).as_object();
  }
  /// Gives the deployment another Pixelfed APP_KEY, as if it had changed since a backup; returns its secrets.
  std::map<std::string, std::string> changeAppKey(const std::string& dep) {
    auto sealed = server_.state().sealedSecrets(dep);
    sealed["pixelfed-app-key"] = box_.seal("base64:Y2hhbmdlZCBzaW5jZSB0aGUgYmFja3VwLCAzMiBieXRlcw==");
    server_.state().replaceSecrets(dep, sealed);
    return secretsOf(dep);
  }

  std::string organisation(const std::string& name) {
    auto r = op_->post("/api/v1/organisations", json::serialize(json::object{{"name", name}, {"displayName", name}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::parse(r.body).at("id").as_string());
  }
  std::string deployment(const std::string& org, const std::string& name) {
    auto r = op_->post("/api/v1/organisations/" + org + "/deployments",
                       json::serialize(json::object{{"name", name},
                                                    {"domain", name + ".example.test"},
                                                    {"apps", json::array{json::object{{"app", "pixelfed"}}}}}));
    EXPECT_EQ(r.status, 201) << r.body;
    auto id = std::string(json::parse(r.body).at("id").as_string());
    EXPECT_EQ(op_->post("/api/v1/deployments/" + id + "/apply", "").status, 202);
    server_.orchestrator().waitIdle();
    return id;
  }
  std::string backup(const std::string& dep) {
    auto r = op_->post("/api/v1/deployments/" + dep + "/backups", "");
    EXPECT_EQ(r.status, 202) << r.body;
    server_.orchestrator().backups().waitIdle();
    return std::string(json::parse(r.body).at("id").as_string());
  }
  json::object waitRestore(const std::string& id) {
    server_.orchestrator().backups().waitIdle();
    server_.orchestrator().waitIdle();
    return read("/api/v1/restores/" + id);
  }
  static std::string body(const std::string& backup) { return json::serialize(json::object{{"backup", backup}}); }
};

TEST_F(RestoreInPlaceApiTest, TheBackupsSecretsComeBackAndASafetyBackupKeepsTheReplacedOnes) {
  const auto org = organisation("lakeside");
  const auto dep = deployment(org, "photos");
  const auto atBackup = secretsOf(dep);
  const auto backupId = backup(dep);

  // Since the backup, the APP_KEY changed (as if the deployment had been given another one).
  const auto changed = changeAppKey(dep);
  ASSERT_NE(changed, atBackup);

  auto member = server_.customerClient("member@lakeside.example.test", org, Role::Member);
  auto started = member->post("/api/v1/deployments/" + dep + "/restores", body(backupId));
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_EQ(started.headers["location"], "/api/v1/restores/" + std::string(json::parse(started.body).at("id").as_string()));
  auto done = waitRestore(std::string(json::parse(started.body).at("id").as_string()));
  ASSERT_EQ(done.at("status"), "succeeded") << json::serialize(done);
  EXPECT_EQ(done.at("inPlace"), true);
  EXPECT_EQ(done.at("deployment"), json::value(dep));
  EXPECT_EQ(secretsOf(dep), atBackup);
  EXPECT_EQ(read("/api/v1/deployments/" + dep).at("status"), "ready");
  // The changed secret is delivered again: an apply ran, and its journal lines are the restore's.
  std::string parts;
  for (auto& l : done.at("journal").as_array()) parts += std::string(l.at("part").as_string()) + " ";
  EXPECT_NE(parts.find("apply"), std::string::npos) << json::serialize(done);
  EXPECT_NE(parts.find("safety-backup"), std::string::npos);

  // The safety backup holds the deployment as it was: the changed key.
  const auto safetyId = std::string(done.at("safetyBackup").as_string());
  auto safety = read("/api/v1/backups/" + safetyId);
  EXPECT_EQ(safety.at("status"), "succeeded");
  EXPECT_EQ(safety.at("safetyFor"), done.at("id"));
  EXPECT_EQ(safety.at("scheduled"), false) << "retention never removes it";
  auto row = store::BackupStore(server_.state().connection()).getBackup(safetyId).value();
  auto opened = bundle::readBundle(row.path, bundle::BundleKey::openOrCreate(server_.dataDir().bundleKey()));
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->secrets, changed);

  // Going back to it: the changed key again.
  auto back = op_->post("/api/v1/deployments/" + dep + "/restores", body(safetyId));
  ASSERT_EQ(back.status, 202) << back.body;
  ASSERT_EQ(waitRestore(std::string(json::parse(back.body).at("id").as_string())).at("status"), "succeeded");
  EXPECT_EQ(secretsOf(dep), changed);
}

// A bundle made before PeerTube's first administrator's password was the control plane's lacks it:
// restored in place, the deployment keeps its current one (PeerTube reads it only at its first
// start); a bundle lacking PeerTube's server secret is refused before anything is touched.
TEST_F(RestoreInPlaceApiTest, ABundleWithoutTheFirstAdministratorsPasswordKeepsTheCurrentOne) {
  const auto org = organisation("riverside");
  auto r = op_->post("/api/v1/organisations/" + org + "/deployments",
                     R"({"name":"video","domain":"video.riverside.example.test","apps":[{"app":"peertube"}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto dep = std::string(json::parse(r.body).at("id").as_string());
  ASSERT_EQ(op_->post("/api/v1/deployments/" + dep + "/apply", "").status, 202);
  server_.orchestrator().waitIdle();
  const auto before = secretsOf(dep);
  store::BackupStore jobs(server_.state().connection());
  auto good = jobs.getBackup(backup(dep)).value();
  const auto extracted = server_.dataDir().root / "extracted";
  auto key = bundle::BundleKey::openOrCreate(server_.dataDir().bundleKey());
  auto opened = bundle::readBundle(good.path, key, extracted);
  ASSERT_TRUE(opened) << opened.error().message;
  auto without = [&](const std::string& missing) {
    auto secrets = opened->secrets;
    EXPECT_EQ(secrets.erase(missing), 1u) << missing;
    return testing::forgedBackup(jobs, dep, org, *opened, extracted, key, secrets,
                                 server_.dataDir().root / ("without-" + missing + ".fhb"));
  };

  auto kept = op_->post("/api/v1/deployments/" + dep + "/restores", body(without("peertube-admin-password")));
  ASSERT_EQ(kept.status, 202) << kept.body;
  auto done = waitRestore(std::string(json::parse(kept.body).at("id").as_string()));
  ASSERT_EQ(done.at("status"), "succeeded") << json::serialize(done);
  EXPECT_EQ(secretsOf(dep), before);
  EXPECT_THAT(json::serialize(done.at("journal")),
              ::testing::HasSubstr("the bundle has no peertube-admin-password: the deployment keeps its current one"));

  auto refused = op_->post("/api/v1/deployments/" + dep + "/restores", body(without("peertube-server-secret")));
  ASSERT_EQ(refused.status, 202) << refused.body;
  auto failed = waitRestore(std::string(json::parse(refused.body).at("id").as_string()));
  EXPECT_EQ(failed.at("status"), "failed");
  EXPECT_EQ(failed.at("failedPart"), "secrets.sealed");
  EXPECT_TRUE(failed.at("safetyBackup").is_null()) << "refused before its safety backup";
  EXPECT_EQ(secretsOf(dep), before);
}

TEST_F(RestoreInPlaceApiTest, WhoMayAskAndWhatIsRefused) {
  const auto org = organisation("lakeside");
  const auto dep = deployment(org, "photos");
  const auto other = deployment(org, "notes");
  const auto backupId = backup(dep);
  const auto otherBackup = backup(other);
  const auto elsewhere = organisation("elsewhere");
  const auto foreign = deployment(elsewhere, "foreign");
  const auto foreignBackup = backup(foreign);
  const auto path = "/api/v1/deployments/" + dep + "/restores";

  auto viewer = server_.customerClient("viewer@lakeside.example.test", org, Role::Viewer);
  EXPECT_EQ(viewer->post(path, body(backupId)).status, 403);
  auto stranger = server_.customerClient("admin@elsewhere.example.test", elsewhere, Role::OrgAdmin);
  EXPECT_EQ(stranger->post(path, body(backupId)).status, 404) << "another organisation's deployment";
  EXPECT_EQ(stranger->post("/api/v1/deployments/" + foreign + "/restores", body(backupId)).status, 404)
      << "another organisation's backup";
  auto member = server_.customerClient("member@lakeside.example.test", org, Role::Member);
  EXPECT_EQ(member->post(path, body(foreignBackup)).status, 404) << "another organisation's backup";
  auto missing = member->post(path, "{}");
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_EQ(json::parse(missing.body).at("field"), "backup");

  // A backup of another deployment of the organisation: a restore as a new deployment is for that.
  auto wrong = member->post(path, body(otherBackup));
  EXPECT_EQ(wrong.status, 409) << wrong.body;
  EXPECT_NE(wrong.body.find("another deployment"), std::string::npos) << wrong.body;
  EXPECT_EQ(json::parse(wrong.body).at("field"), "backup");

  // A backup that is not complete.
  store::BackupStore jobs(server_.state().connection());
  auto failed = jobs.createBackup(dep, org, "");
  jobs.failBackup(failed.id, "made to fail by the test");
  EXPECT_EQ(member->post(path, body(failed.id)).status, 409);

  // The deployment held (a run, a refresh or a backup): 409, and nothing queued.
  auto claim = server_.state().claimRefresh(dep).value();
  auto busy = member->post(path, body(backupId));
  EXPECT_EQ(busy.status, 409) << busy.body;
  server_.state().releaseRefresh(claim);

  // A deleted deployment is restored as a new one, not in place.
  ASSERT_EQ(op_->request("DELETE", "/api/v1/deployments/" + other).status, 202);
  server_.orchestrator().waitIdle();
  auto deleted = member->post("/api/v1/deployments/" + other + "/restores", body(otherBackup));
  EXPECT_EQ(deleted.status, 409) << deleted.body;
}

TEST_F(RestoreInPlaceApiTest, ARestoreInterruptedAfterItsSafetyBackupIsRolledBackAtTheNextStart) {
  const auto org = organisation("lakeside");
  const auto dep = deployment(org, "photos");
  const auto atBackup = secretsOf(dep);
  const auto backupId = backup(dep);
  const auto changed = changeAppKey(dep);
  const auto safetyId = backup(dep);  // the deployment as it was when the restore began

  // What a server killed in the middle of the restore leaves: the restore running, its safety
  // backup complete, the backup's secrets already in place.
  store::BackupStore jobs(server_.state().connection());
  auto r = jobs.createInPlaceRestore(backupId, org, dep, "");
  server_.state().connection().execute("UPDATE restores SET status = 'running', safety_backup_id = ?2 WHERE id = ?1",
                                       {r.id, safetyId});
  server_.state().connection().execute("UPDATE backups SET safety_for = ?2 WHERE id = ?1", {safetyId, r.id});
  std::map<std::string, std::string> half;
  for (auto& [name, clear] : atBackup) half[name] = box_.seal(clear);
  server_.state().replaceSecrets(dep, half);
  ASSERT_EQ(secretsOf(dep), atBackup);

  // The next start of the installation's backups.
  {
    orchestrator::Backups next(server_.orchestrator(), server_.dataDir().stateUrl(), server_.dataDir().backupsDir(),
                               server_.dataDir().bundleKey());
    next.start();
    next.waitIdle();
    server_.orchestrator().waitIdle();
  }
  auto ended = read("/api/v1/restores/" + r.id);
  EXPECT_EQ(ended.at("status"), "failed") << json::serialize(ended);
  EXPECT_NE(std::string(ended.at("error").as_string()).find("rolled back to safety backup " + safetyId),
            std::string::npos)
      << json::serialize(ended);
  EXPECT_EQ(secretsOf(dep), changed) << "the safety backup's secrets are back";
  EXPECT_EQ(read("/api/v1/deployments/" + dep).at("status"), "ready");
  // The deployment is free again.
  auto again = op_->post("/api/v1/deployments/" + dep + "/backups", "");
  EXPECT_EQ(again.status, 202) << again.body;
  server_.orchestrator().backups().waitIdle();
}

}  // namespace
}  // namespace fedihost
