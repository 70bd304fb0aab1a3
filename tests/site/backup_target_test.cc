// The S3 backup target against a real OpenStack Swift with s3api (scripts/site/s3.sh):
// the target alone (a bundle-sized file stored in two parts, fetched back by ranged GETs,
// listed and removed; an interrupted upload swept; a wrong secret refused with S3's
// message and nothing left), then a whole server whose backups go to a bucket: a
// deployment backed up there (the object's size, no spool copy left), downloaded and
// verified, restored as a new deployment from the bucket, a bundle recorded in the
// backup directory before still restored, retention removing the older object; and a
// backup to a missing bucket or with a wrong secret failed with S3's message, with
// nothing left in the spool, the bucket or its uploads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "backup_target/backup_target.hh"
#include "bundle/bundle.hh"
#include "providers/s3/s3_client.hh"
#include "store/backup_store.hh"
#include "support/process.hh"
#include "support/site.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class BackupTargetSiteTest : public testing::SharedSite<BackupTargetSiteTest> {
 protected:
  static void SetUpTestSuite() { startSite({"s3"}); }

  void SetUp() override {
    SharedSite::SetUp();
    auto s = site_->settings("s3", "bucket");
    settings_ = providers::s3::S3Settings::fromSettings(s);
    admin_ = std::make_unique<providers::s3::S3Client>(settings_);
    static int n = 0;
    bucket_ = "fh-backups-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
    ASSERT_TRUE(admin_->createBucket(bucket_)) << "the test's bucket";
  }

  /// A target configuration for the test's bucket, as the admin, parts of 5 MiB.
  backup_target::TargetConfig config(const fs::path& dir) const {
    backup_target::TargetConfig c;
    c.url = "s3://" + bucket_ + "/fedihost/eu";
    c.directory = dir;
    c.endpoint = settings_.endpoint;
    c.region = settings_.region;
    c.pathStyle = true;
    c.accessKeyId = settings_.accessKeyId;
    c.secretAccessKey = settings_.secretAccessKey;
    c.partSize = 5 << 20;
    return c;
  }

  std::vector<providers::s3::PendingUpload> uploads() const {
    return admin_->listMultipartUploads(bucket_, "").value();
  }
  std::vector<providers::s3::ListedObject> objects() const { return admin_->listObjectsV2(bucket_, "").value(); }

  providers::s3::S3Settings settings_;
  std::unique_ptr<providers::s3::S3Client> admin_;
  std::string bucket_;
};

TEST_F(BackupTargetSiteTest, StoresABundleInPartsFetchesItByRangesListsAndRemovesIt) {
  testing::TempDir dir;
  auto target = backup_target::makeTarget(config(dir.path())).value();
  // 5 MiB + 1234 bytes of noise: two parts, the second short.
  std::string bytes((5 << 20) + 1234, '\0');
  std::mt19937 rng(42);
  for (auto& c : bytes) c = static_cast<char>(rng());
  const auto spool = dir.path() / "dep_a" / "bak_b.fhb";
  fs::create_directories(spool.parent_path());
  std::ofstream(spool, std::ios::binary) << bytes;

  auto stored = target->store(spool, "dep_a/bak_b.fhb");
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->location, "s3://" + bucket_ + "/fedihost/eu/dep_a/bak_b.fhb");
  EXPECT_EQ(stored->size, static_cast<std::int64_t>(bytes.size()));
  EXPECT_FALSE(fs::exists(spool)) << "the spool copy goes once the upload is confirmed";
  auto head = admin_->headObject(bucket_, "fedihost/eu/dep_a/bak_b.fhb").value();
  EXPECT_EQ(head.size, static_cast<std::int64_t>(bytes.size()));
  EXPECT_THAT(head.etag, HasSubstr("-2")) << "a multipart object of two parts";
  EXPECT_TRUE(uploads().empty());

  auto listed = target->list().value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].location, stored->location);
  EXPECT_EQ(listed[0].size, stored->size);

  {
    auto local = target->fetch(stored->location, dir.path() / ".staging-x.fhb").value();
    EXPECT_TRUE(local.temporary());
    EXPECT_TRUE(readFile(local.path()) == bytes) << "the same bytes back";
    auto headOnly = target->fetch(stored->location, dir.path() / ".staging-y.fhb", 100).value();
    EXPECT_TRUE(readFile(headOnly.path()) == bytes.substr(0, 100));
  }
  EXPECT_FALSE(fs::exists(dir.path() / ".staging-x.fhb")) << "a fetched copy goes with its holder";
  EXPECT_FALSE(fs::exists(dir.path() / ".staging-x.fhb.partial"));

  ASSERT_TRUE(target->remove(stored->location));
  EXPECT_EQ(admin_->headObject(bucket_, "fedihost/eu/dep_a/bak_b.fhb").error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(target->list().value().empty());
  auto gone = target->fetch(stored->location, dir.path() / ".staging-z.fhb");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
}

TEST_F(BackupTargetSiteTest, SweepAbortsTheUploadsAnInterruptedStoreLeftUnderItsPrefixOnly) {
  testing::TempDir dir;
  auto target = backup_target::makeTarget(config(dir.path())).value();
  auto ours = admin_->createMultipartUpload(bucket_, "fedihost/eu/dep_a/bak_killed.fhb").value();
  ASSERT_TRUE(admin_->uploadPart(bucket_, "fedihost/eu/dep_a/bak_killed.fhb", ours, 1, "half a bundle"));
  auto theirs = admin_->createMultipartUpload(bucket_, "someone-else/file").value();
  EXPECT_EQ(target->sweep().value(), 1);
  auto left = uploads();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].key, "someone-else/file");
  ASSERT_TRUE(admin_->abortMultipartUpload(bucket_, "someone-else/file", theirs));
}

TEST_F(BackupTargetSiteTest, AWrongSecretIsRefusedWithS3sMessageAndLeavesNothing) {
  testing::TempDir dir;
  auto c = config(dir.path());
  c.secretAccessKey = "not-the-secret";
  auto target = backup_target::makeTarget(c).value();
  const auto spool = dir.path() / "bundle.fhb";
  std::ofstream(spool) << "a small bundle";
  auto r = target->store(spool, "dep_a/bak_b.fhb");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("CreateMultipartUpload of fedihost/eu/dep_a/bak_b.fhb"));
  EXPECT_THAT(r.error().message, HasSubstr("SignatureDoesNotMatch"));
  EXPECT_THAT(r.error().message, ::testing::Not(HasSubstr("not-the-secret")));
  EXPECT_TRUE(objects().empty());
  EXPECT_TRUE(uploads().empty());
}

class BackupToS3ServerTest : public BackupTargetSiteTest {
 protected:
  orchestrator::OrchestratorOptions options(const backup_target::TargetConfig& c) const {
    orchestrator::OrchestratorOptions o;
    o.backupTarget = c;
    return o;
  }

  /// An organisation with a HedgeDoc deployment on the built-in file target, applied: its id and the org's.
  static std::pair<std::string, std::string> deployment(testing::TestServer& server, client::Client& c,
                                                        const std::string& name) {
    auto org = c.post("/api/v1/organisations", R"({"name":")" + name + R"(","displayName":"Off-site"})");
    EXPECT_EQ(org.status, 201) << org.body;
    const auto orgId = std::string(json::parse(org.body).at("id").as_string());
    auto created = c.post("/api/v1/organisations/" + orgId + "/deployments",
                          R"({"name":"notes","domain":")" + name +
                              R"(.example.test","target":"local","apps":[{"app":"hedgedoc"}]})");
    EXPECT_EQ(created.status, 201) << created.body;
    const auto depId = std::string(json::parse(created.body).at("id").as_string());
    EXPECT_EQ(c.post("/api/v1/deployments/" + depId + "/apply", "").status, 202);
    server.orchestrator().waitIdle();
    return {orgId, depId};
  }

  /// A backup of `dep` (scheduled ones are what retention removes), waited for: its row.
  static store::Backup backUp(testing::TestServer& server, const std::string& dep, bool scheduled) {
    auto d = server.state().getDeployment(dep).value();
    auto b = server.orchestrator().backups().backup(server.state(), d, scheduled).value();
    server.orchestrator().backups().waitIdle();
    return store::BackupStore(server.state().connection()).getBackup(b.id).value();
  }

  static std::vector<fs::path> filesUnder(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (it->is_regular_file()) out.push_back(it->path());
    return out;
  }

  static json::object restore(testing::TestServer& server, client::Client& c, const std::string& org,
                              const std::string& backup, const std::string& name) {
    auto r = c.post("/api/v1/organisations/" + org + "/restores",
                    R"({"backup":")" + backup + R"(","name":")" + name + R"(","domain":")" + name + R"(.example.test"})");
    EXPECT_EQ(r.status, 202) << r.body;
    if (r.status != 202) return {};
    server.orchestrator().backups().waitIdle();
    server.orchestrator().waitIdle();
    const auto id = std::string(json::parse(r.body).at("id").as_string());
    return json::parse(c.get("/api/v1/restores/" + id).body).as_object();
  }
};

TEST_F(BackupToS3ServerTest, BackedUpToTheBucketDownloadedVerifiedRestoredAndPruned) {
  testing::TempDir scratch;
  auto targetConfig = config({});
  testing::TestServer server({}, options(targetConfig));
  auto c = server.operatorClient();
  auto [org, dep] = deployment(server, *c, "offsite");
  auto sched = c->request("PUT", "/api/v1/deployments/" + dep + "/backup-schedule", R"({"everyHours":1,"keep":{"hourly":1}})");
  ASSERT_EQ(sched.status, 200) << sched.body;

  auto first = backUp(server, dep, true);
  ASSERT_EQ(first.status, store::JobStatus::Succeeded) << first.error;
  const auto key = "fedihost/eu/" + dep + "/" + first.id + ".fhb";
  EXPECT_EQ(first.path, "s3://" + bucket_ + "/" + key);
  auto head = admin_->headObject(bucket_, key);
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->size, first.size);
  const auto backupDir = server.dataDir().backupsDir();
  EXPECT_TRUE(filesUnder(backupDir).empty()) << "no spool copy once uploaded: " << filesUnder(backupDir).size();
  EXPECT_TRUE(uploads().empty());
  auto shown = json::parse(c->get("/api/v1/backups/" + first.id).body).as_object();
  EXPECT_EQ(shown.at("location"), json::value(first.path));

  // Downloaded through the API (streamed from a spool copy) and verified with the installation's key.
  auto got = c->get("/api/v1/backups/" + first.id + "/bundle");
  ASSERT_EQ(got.status, 200) << got.body.substr(0, 500);
  ASSERT_EQ(static_cast<std::int64_t>(got.body.size()), first.size);
  const auto downloaded = scratch.path() / "offsite.fhb";
  std::ofstream(downloaded, std::ios::binary) << got.body;
  EXPECT_EQ(bundle::fileChecksum(downloaded).value(), first.checksum);
  auto key2 = bundle::BundleKey::openOrCreate(server.dataDir().bundleKey());
  auto verified = bundle::readBundle(downloaded, key2);
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_TRUE(filesUnder(backupDir).empty()) << "the download's spool copy is gone";

  // The same through the CLI: listed with its location, downloaded, verified with the data directory's key.
  auto login = client::Client(server.url())
                   .post("/api/v1/auth/login", json::serialize(json::object{{"email", testing::kOperatorEmail},
                                                                            {"password", testing::kOperatorPassword}}));
  ASSERT_EQ(login.status, 200) << login.body;
  const auto token = std::string(json::parse(login.body).at("token").as_string());
  auto cli = [&](const std::string& args) {
    return testing::run(std::string(FEDIHOST_BIN) + " " + args + " --server " + server.url() + " --token " +
                        testing::shellQuote(token));
  };
  auto listed = cli("backup list " + dep);
  EXPECT_EQ(listed.exitCode, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr(first.path));
  const auto viaCli = scratch.path() / "via-cli.fhb";
  auto download = cli("backup download " + first.id + " -f " + testing::shellQuote(viaCli.string()));
  ASSERT_EQ(download.exitCode, 0) << download.output;
  auto verify = testing::run(std::string(FEDIHOST_BIN) + " backup verify " + testing::shellQuote(viaCli.string()) +
                             " --data " + testing::shellQuote(server.dataDir().root.string()));
  EXPECT_EQ(verify.exitCode, 0) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr("bundle intact"));
  EXPECT_EQ(bundle::fileChecksum(viaCli).value(), first.checksum);
  EXPECT_FALSE(fs::exists(viaCli.string() + ".partial"));
  // A second download never overwrites the first.
  auto again = cli("backup download " + first.id + " -f " + testing::shellQuote(viaCli.string()));
  EXPECT_NE(again.exitCode, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("exists"));
  // The stored backup verified by the server, where it is kept (the bucket), through the CLI.
  auto stored = cli("backup verify " + first.id);
  EXPECT_EQ(stored.exitCode, 0) << stored.output;
  EXPECT_THAT(stored.output, HasSubstr("backup " + first.id + " intact"));
  EXPECT_TRUE(filesUnder(backupDir).empty()) << "the verification's spool copy is gone";

  // Restored as a new deployment, from the bucket (nothing of it in the backup directory).
  auto restored = restore(server, *c, org, first.id, "offsite2");
  EXPECT_EQ(restored.at("status"), "succeeded") << json::serialize(restored);
  EXPECT_TRUE(filesUnder(backupDir).empty()) << "the restore's spool copy and staging are gone";

  // A bundle recorded in the backup directory (a backup made before S3 was configured) still restores.
  store::BackupStore jobs(server.state().connection());
  auto claim = server.state().claimRefresh(dep, "inst_test").value();
  auto old = jobs.createBackup(dep, org, claim);
  server.state().releaseRefresh(claim);
  const auto oldPath = backupDir / dep / (old.id + ".fhb");
  fs::create_directories(oldPath.parent_path());
  fs::copy_file(downloaded, oldPath);
  jobs.finishBackup(old.id, oldPath.string(), first.size, first.checksum);
  EXPECT_EQ(json::parse(c->get("/api/v1/backups/" + old.id).body).at("location"), "directory");
  auto fromDir = restore(server, *c, org, old.id, "offsite3");
  EXPECT_EQ(fromDir.at("status"), "succeeded") << json::serialize(fromDir);
  EXPECT_TRUE(fs::exists(oldPath)) << "a directory's bundle is read in place, not moved";

  // Retention (keep 1 hourly): the next scheduled backup removes the first one's object.
  auto second = backUp(server, dep, true);
  ASSERT_EQ(second.status, store::JobStatus::Succeeded) << second.error;
  EXPECT_FALSE(jobs.getBackup(first.id)) << "pruned";
  EXPECT_EQ(admin_->headObject(bucket_, key).error().kind, ErrorKind::NotFound) << "the object is removed";
  auto left = server.orchestrator().backups().target().list().value();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].location, second.path);
}

TEST_F(BackupToS3ServerTest, WhatABackupKilledMidUploadLeftGoesAtTheNextStart) {
  // As a process killed after its upload completed (before recording it) and another killed
  // during its upload leave things: two rows still running, an object, a multipart upload.
  std::string killedId, keptKey = "fedihost/eu/dep_other/unrelated.fhb";
  std::string deadKey, pendingKey;
  testing::TestServer server(
      [&](const orchestrator::DataDir& dir) {
        auto conn = store::connect(dir.stateUrl());
        store::BackupStore jobs(*conn);
        auto done = jobs.createBackup("dep_killed", "org_x", "run_x");
        jobs.startBackup(done.id, 3);
        auto uploading = jobs.createBackup("dep_killed", "org_x", "run_y");
        jobs.startBackup(uploading.id, 3);
        killedId = done.id;
        deadKey = "fedihost/eu/dep_killed/" + done.id + ".fhb";
        pendingKey = "fedihost/eu/dep_killed/" + uploading.id + ".fhb";
        ASSERT_TRUE(admin_->putObject(bucket_, deadKey, "a whole bundle, never recorded"));
        ASSERT_TRUE(admin_->putObject(bucket_, keptKey, "not a backup of this installation's rows"));
        auto id = admin_->createMultipartUpload(bucket_, pendingKey).value();
        ASSERT_TRUE(admin_->uploadPart(bucket_, pendingKey, id, 1, "half"));
      },
      options(config({})));
  auto row = store::BackupStore(server.state().connection()).getBackup(killedId).value();
  EXPECT_EQ(row.status, store::JobStatus::Failed);
  EXPECT_EQ(admin_->headObject(bucket_, deadKey).error().kind, ErrorKind::NotFound) << "the unrecorded object goes";
  EXPECT_TRUE(admin_->headObject(bucket_, keptKey)) << "what no interrupted backup names stays";
  EXPECT_TRUE(uploads().empty()) << "the interrupted upload is aborted";
}

TEST_F(BackupToS3ServerTest, AFailedUploadFailsTheBackupWithS3sMessageAndLeavesNothing) {
  struct Case {
    std::string what;
    std::function<void(backup_target::TargetConfig&)> edit;
    std::string message;
  };
  for (auto& [what, edit, message] :
       std::vector<Case>{{"a missing bucket", [](auto& c) { c.url = "s3://no-such-bucket-for-fh/x"; }, "NoSuchBucket"},
                         {"a wrong secret", [](auto& c) { c.secretAccessKey = "wrong"; }, "SignatureDoesNotMatch"}}) {
    SCOPED_TRACE(what);
    auto cfg = config({});
    edit(cfg);
    testing::TestServer server({}, options(cfg));
    auto c = server.operatorClient();
    auto [org, dep] = deployment(server, *c, "failing");
    auto b = backUp(server, dep, false);
    EXPECT_EQ(b.status, store::JobStatus::Failed);
    EXPECT_THAT(b.error, StartsWith("target: S3 backup target s3://"));
    EXPECT_THAT(b.error, HasSubstr(message));
    EXPECT_TRUE(b.path.empty());
    EXPECT_TRUE(filesUnder(server.dataDir().backupsDir()).empty()) << "no spool copy, partial or staging left";
    EXPECT_TRUE(objects().empty());
    EXPECT_TRUE(uploads().empty());
    auto shown = json::parse(c->get("/api/v1/backups/" + b.id).body).as_object();
    EXPECT_EQ(shown.at("status"), "failed");
    EXPECT_EQ(shown.at("location"), json::value(nullptr));
    // Nothing to download or restore.
    EXPECT_EQ(c->get("/api/v1/backups/" + b.id + "/bundle").status, 409);
  }
}

}  // namespace
}  // namespace fedihost
