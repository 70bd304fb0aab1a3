// Story 3 over the API (STORIES.md, "Restore after a mistake"): a Pixelfed deployment
// on the file target is backed up and deleted; the deleted deployment is still listed
// (GET /api/v1/deployments?deleted=true, with deletedAt); its backup is verified by a
// job (POST /api/v1/backups/{id}/verify); restored with nothing but the backup named,
// it comes back under the same name and domain with the same secrets. A bundle with a
// byte changed verifies as not intact, naming what is wrong. Runs on SQLite and, in
// label pg, on PostgreSQL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "bundle/bundle.hh"
#include "secrets/keys.hh"
#include "secrets/secret_box.hh"
#include "store/backup_store.hh"
#include "store/state_store.hh"
#include "support/bundles.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

/// Every secret of a deployment, in clear.
std::map<std::string, std::string> secretsOf(testing::TestServer& server, const std::string& deployment) {
  auto box = secrets::SecretBox::openOrCreate(server.dataDir().secretKey());
  std::map<std::string, std::string> out;
  for (auto& [name, sealed] : server.state().sealedSecrets(deployment)) out[name] = box.open(sealed).value();
  return out;
}

json::object getObject(client::Client& c, const std::string& path) {
  auto r = c.get(path);
  EXPECT_EQ(r.status, 200) << path << ": " << r.body;
  return json::parse(r.body).as_object();
}

std::vector<std::string> idsOf(const json::object& page) {
  std::vector<std::string> ids;
  for (auto& d : page.at("items").as_array()) ids.emplace_back(d.as_object().at("id").as_string());
  return ids;
}

/// Verifies a backup through the API; returns the job once ended.
json::object verify(testing::TestServer& server, client::Client& c, const std::string& backup) {
  auto started = c.post("/api/v1/backups/" + backup + "/verify", "");
  EXPECT_EQ(started.status, 202) << started.body;
  auto job = json::parse(started.body).as_object();
  EXPECT_EQ(job.at("kind"), "bundle-verify");
  server.orchestrator().waitIdle();
  return getObject(c, "/api/v1/jobs/" + std::string(job.at("id").as_string()));
}

TEST(RestoreApiTest, ADeletedPixelfedIsFoundVerifiedAndRestoredAtItsDomainWithItsSecrets) {
  testing::TestServer server;
  auto c = server.operatorClient();
  auto org = json::parse(c->post("/api/v1/organisations", R"({"name":"lakeside","displayName":"Lakeside"})").body);
  const auto orgId = std::string(org.at("id").as_string());
  auto created = c->post("/api/v1/organisations/" + orgId + "/deployments",
                         R"({"name":"photos","domain":"photos.lakeside.example.test","apps":[{"app":"pixelfed"}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto depId = std::string(json::parse(created.body).at("id").as_string());
  ASSERT_EQ(c->post("/api/v1/deployments/" + depId + "/apply", "").status, 202);
  server.orchestrator().waitIdle();
  ASSERT_EQ(getObject(*c, "/api/v1/deployments/" + depId).at("status"), "ready");
  EXPECT_TRUE(getObject(*c, "/api/v1/deployments/" + depId).at("deletedAt").is_null());
  const auto before = secretsOf(server, depId);
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE(before.contains("pixelfed-database-password"));
  // Pixelfed's APP_KEY (it encrypts sessions and two-factor secrets) is the control plane's, in
  // Laravel's form, so the bundle carries it and the restore below must bring back the same one.
  ASSERT_TRUE(before.contains("pixelfed-app-key"));
  EXPECT_TRUE(before.at("pixelfed-app-key").starts_with("base64:")) << "not a Laravel APP_KEY";
  // So are Passport's OAuth keys (signed-in phone apps depend on them): the pair, matching.
  ASSERT_TRUE(before.contains("pixelfed-passport-private-key"));
  ASSERT_TRUE(before.contains("pixelfed-passport-public-key"));
  EXPECT_EQ(secrets::rsaPublicKey(before.at("pixelfed-passport-private-key")).value(),
            before.at("pixelfed-passport-public-key"));

  const auto deletedList = "/api/v1/deployments?organisation=" + orgId + "&deleted=true";
  EXPECT_TRUE(idsOf(getObject(*c, deletedList)).empty());
  auto bad = c->get("/api/v1/deployments?organisation=" + orgId + "&deleted=yes");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(json::parse(bad.body).at("field"), "deleted");

  // Last night's backup, then the mistake.
  auto started = c->post("/api/v1/deployments/" + depId + "/backups", "");
  ASSERT_EQ(started.status, 202) << started.body;
  const auto backupId = std::string(json::parse(started.body).at("id").as_string());
  server.orchestrator().backups().waitIdle();
  auto backup = getObject(*c, "/api/v1/backups/" + backupId);
  ASSERT_EQ(backup.at("status"), "succeeded") << json::serialize(backup);
  ASSERT_EQ(c->request("DELETE", "/api/v1/deployments/" + depId).status, 202);
  server.orchestrator().waitIdle();
  auto gone = getObject(*c, "/api/v1/deployments/" + depId);
  ASSERT_EQ(gone.at("status"), "deleted");
  ASSERT_TRUE(gone.at("deletedAt").is_string());
  EXPECT_GE(std::string(gone.at("deletedAt").as_string()), std::string(backup.at("finishedAt").as_string()));

  // The deployment's history: gone from the live list, in the list of deleted ones with a backup.
  auto live = idsOf(getObject(*c, "/api/v1/deployments?organisation=" + orgId));
  EXPECT_EQ(std::count(live.begin(), live.end(), depId), 0);
  auto deleted = getObject(*c, deletedList);
  ASSERT_EQ(idsOf(deleted), std::vector<std::string>{depId});
  EXPECT_EQ(deleted.at("items").as_array().at(0).at("deletedAt"), gone.at("deletedAt"));
  auto backups = getObject(*c, "/api/v1/deployments/" + depId + "/backups");
  ASSERT_EQ(backups.at("items").as_array().size(), 1u);

  // Verified: every part, and the secrets open.
  auto job = verify(server, *c, backupId);
  ASSERT_EQ(job.at("state"), "done") << json::serialize(job);
  EXPECT_EQ(job.at("deployment"), json::value(depId));
  auto& result = job.at("result").as_object();
  EXPECT_EQ(result.at("backup"), json::value(backupId));
  EXPECT_EQ(result.at("intact"), true) << json::serialize(result);
  EXPECT_GT(result.at("parts").as_int64(), 0);
  EXPECT_EQ(result.at("secrets").as_int64(), static_cast<std::int64_t>(before.size()));
  EXPECT_TRUE(result.at("part").is_null());

  // Restored with nothing but the backup named: the same name, domain and target, the same secrets.
  auto restoreStarted = c->post("/api/v1/organisations/" + orgId + "/restores",
                                json::serialize(json::object{{"backup", backupId}}));
  ASSERT_EQ(restoreStarted.status, 202) << restoreStarted.body;
  const auto restoreId = std::string(json::parse(restoreStarted.body).at("id").as_string());
  server.orchestrator().backups().waitIdle();
  server.orchestrator().waitIdle();
  auto restored = getObject(*c, "/api/v1/restores/" + restoreId);
  ASSERT_EQ(restored.at("status"), "succeeded") << json::serialize(restored);
  const auto newId = std::string(restored.at("deployment").as_string());
  EXPECT_NE(newId, depId);
  auto back = getObject(*c, "/api/v1/deployments/" + newId);
  EXPECT_EQ(back.at("name"), "photos");
  EXPECT_EQ(back.at("domain"), "photos.lakeside.example.test");
  EXPECT_EQ(back.at("target"), "local");
  EXPECT_EQ(back.at("status"), "ready");
  EXPECT_EQ(secretsOf(server, newId), before);
  EXPECT_EQ(secretsOf(server, newId).at("pixelfed-app-key"), before.at("pixelfed-app-key"));
  EXPECT_EQ(secretsOf(server, newId).at("pixelfed-passport-private-key"), before.at("pixelfed-passport-private-key"));

  // A changed byte in the middle of the bundle: not intact, and the job says why.
  auto row = store::BackupStore(server.state().connection()).getBackup(backupId).value();
  {
    std::fstream f(row.path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f) << row.path;
    const auto at = static_cast<std::streamoff>(fs::file_size(row.path) / 2);
    f.seekg(at);
    char byte = 0;
    f.get(byte);
    f.seekp(at);
    f.put(static_cast<char>(byte ^ 0x5a));
  }
  auto damaged = verify(server, *c, backupId);
  ASSERT_EQ(damaged.at("state"), "done") << json::serialize(damaged);
  auto& verdict = damaged.at("result").as_object();
  EXPECT_EQ(verdict.at("intact"), false) << json::serialize(verdict);
  EXPECT_FALSE(std::string(verdict.at("problem").as_string()).empty());
  EXPECT_TRUE(verdict.at("parts").is_null());

  // A bundle gone from the target: not intact either, and said to be missing.
  fs::remove(row.path);
  auto missing = verify(server, *c, backupId);
  ASSERT_EQ(missing.at("state"), "done") << json::serialize(missing);
  EXPECT_EQ(missing.at("result").at("intact"), false) << json::serialize(missing);
  EXPECT_THAT(std::string(missing.at("result").at("problem").as_string()), ::testing::HasSubstr("missing"));

  // A backup that is not complete has nothing to verify.
  auto failed = store::BackupStore(server.state().connection()).createBackup(newId, orgId, "");
  store::BackupStore(server.state().connection()).failBackup(failed.id, "made to fail by the test");
  EXPECT_EQ(c->post("/api/v1/backups/" + failed.id + "/verify", "").status, 409);
}


// A bundle made before a first administrator's password was the control plane's lacks it. PeerTube
// reads that password only at its first start (its data holds the account since), so the restore
// makes a new one and says so; a bundle lacking any other secret (PeerTube's server secret) is refused.
TEST(RestoreApiTest, ABundleWithoutTheFirstAdministratorsPasswordRestoresOneWithoutAnyOtherSecretIsRefused) {
  testing::TestServer server;
  auto c = server.operatorClient();
  auto org = json::parse(c->post("/api/v1/organisations", R"({"name":"riverside","displayName":"Riverside"})").body);
  const auto orgId = std::string(org.at("id").as_string());
  auto created = c->post("/api/v1/organisations/" + orgId + "/deployments",
                         R"({"name":"video","domain":"video.riverside.example.test","apps":[{"app":"peertube"}]})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto depId = std::string(json::parse(created.body).at("id").as_string());
  ASSERT_EQ(c->post("/api/v1/deployments/" + depId + "/apply", "").status, 202);
  server.orchestrator().waitIdle();
  auto started = c->post("/api/v1/deployments/" + depId + "/backups", "");
  ASSERT_EQ(started.status, 202) << started.body;
  const auto backupId = std::string(json::parse(started.body).at("id").as_string());
  server.orchestrator().backups().waitIdle();
  store::BackupStore jobs(server.state().connection());
  auto good = jobs.getBackup(backupId).value();
  ASSERT_EQ(good.status, store::JobStatus::Succeeded) << good.error;
  const auto extracted = server.dataDir().root / "extracted";
  auto key = bundle::BundleKey::openOrCreate(server.dataDir().bundleKey());
  auto opened = bundle::readBundle(good.path, key, extracted);
  ASSERT_TRUE(opened) << opened.error().message;
  const auto before = secretsOf(server, depId);

  // A backup whose bundle is the good one's with `missing` left out of its secrets.
  auto without = [&](const std::string& missing) {
    auto secrets = opened->secrets;
    EXPECT_EQ(secrets.erase(missing), 1u) << missing;
    return testing::forgedBackup(jobs, depId, orgId, *opened, extracted, key, secrets,
                                 server.dataDir().root / ("without-" + missing + ".fhb"));
  };
  auto restore = [&](const std::string& backup, const std::string& name) {
    auto r = c->post("/api/v1/organisations/" + orgId + "/restores",
                     json::serialize(json::object{{"backup", backup}, {"name", name},
                                                  {"domain", name + ".riverside.example.test"}}));
    EXPECT_EQ(r.status, 202) << r.body;
    server.orchestrator().backups().waitIdle();
    server.orchestrator().waitIdle();
    return getObject(*c, "/api/v1/restores/" + std::string(json::parse(r.body).at("id").as_string()));
  };

  auto made = restore(without("peertube-admin-password"), "older");
  ASSERT_EQ(made.at("status"), "succeeded") << json::serialize(made);
  const auto newId = std::string(made.at("deployment").as_string());
  auto after = secretsOf(server, newId);
  ASSERT_TRUE(after.contains("peertube-admin-password"));
  EXPECT_NE(after.at("peertube-admin-password"), before.at("peertube-admin-password"));
  EXPECT_EQ(after.at("peertube-server-secret"), before.at("peertube-server-secret"));
  EXPECT_THAT(json::serialize(made.at("journal")),
              ::testing::HasSubstr("the bundle has no peertube-admin-password (made before it was the control plane's)"));

  auto refused = restore(without("peertube-server-secret"), "refused");
  EXPECT_EQ(refused.at("status"), "failed");
  EXPECT_EQ(refused.at("failedPart"), "secrets.sealed");
  EXPECT_THAT(std::string(refused.at("error").as_string()), ::testing::HasSubstr("peertube-server-secret"));
}

}  // namespace
}  // namespace fedihost
