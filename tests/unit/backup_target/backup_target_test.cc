// The backup targets' pure parts: what a target URL means, the settings an S3 target
// needs (named by their options), object keys, and the directory target on a temporary
// directory. The S3 target against a real server: tests/site/backup_target_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "backup_target/backup_target.hh"
#include "providers/s3/s3_client.hh"
#include "support/temp_dir.hh"

namespace fedihost::backup_target {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(BackupTargetUrl, AnS3UrlIsABucketAndAPrefixWithoutSlashesAtItsEnds) {
  auto u = parseS3Url("s3://off-site.backups/fedihost/eu/", "f").value();
  EXPECT_EQ(u.bucket, "off-site.backups");
  EXPECT_EQ(u.prefix, "fedihost/eu");
  EXPECT_EQ(objectKey(u, "dep_a/bak_b.fhb"), "fedihost/eu/dep_a/bak_b.fhb");
  auto bare = parseS3Url("s3://backups", "f").value();
  EXPECT_EQ(bare.prefix, "");
  EXPECT_EQ(objectKey(bare, "dep_a/bak_b.fhb"), "dep_a/bak_b.fhb");
}

TEST(BackupTargetUrl, BadUrlsAreRefusedNamingTheOption) {
  for (const char* bad : {"https://backups", "s3://", "s3://ab", "s3://Backups", "s3://-backups", "s3://back_ups/x",
                          "s3://backups//x", "s3://backups/a//b"}) {
    auto r = parseS3Url(bad, "orchestrator.backup_target");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "orchestrator.backup_target") << bad;
    EXPECT_THAT(r.error().message, HasSubstr("orchestrator.backup_target")) << bad;
  }
}

TEST(BackupTargetUrl, TheSchemeNamesTheImplementationAndAnUnknownOneNamesTheKnown) {
  EXPECT_EQ(implementationOf("", "f").value(), "directory");
  EXPECT_EQ(implementationOf("s3://backups/x", "f").value(), "s3");
  auto r = implementationOf("gs://backups", "orchestrator.backup_target");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("s3://"));
  EXPECT_FALSE(implementationOf("/var/backups", "f"));  // a directory is orchestrator.backup_dir
}

TargetConfig s3Config() {
  TargetConfig c;
  c.url = "s3://backups/fh";
  c.endpoint = "http://127.0.0.1:1";
  c.accessKeyId = "AKIDEXAMPLE";
  c.secretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return c;
}

TEST(S3TargetConfig, EachMissingSettingIsNamedByItsOptionAndNoSecretIsShown) {
  ASSERT_TRUE(makeTarget(s3Config()));
  struct Case {
    void (*edit)(TargetConfig&);
    const char* option;
  };
  for (auto [edit, option] : {Case{[](TargetConfig& c) { c.endpoint.clear(); }, "orchestrator.backup_s3_endpoint"},
                              Case{[](TargetConfig& c) { c.endpoint = "s3.example.net"; }, "orchestrator.backup_s3_endpoint"},
                              Case{[](TargetConfig& c) { c.accessKeyId.clear(); }, "orchestrator.backup_s3_access_key_id"},
                              Case{[](TargetConfig& c) { c.secretAccessKey.clear(); },
                                   "orchestrator.backup_s3_secret_access_key"},
                              Case{[](TargetConfig& c) { c.partSize = (5 << 20) - 1; }, "orchestrator.backup_s3_part_size"},
                              Case{[](TargetConfig& c) { c.url = "s3://B"; }, "orchestrator.backup_target"}}) {
    auto c = s3Config();
    edit(c);
    auto t = makeTarget(c);
    ASSERT_FALSE(t) << option;
    EXPECT_EQ(t.error().field, option);
    EXPECT_THAT(t.error().message, Not(HasSubstr("wJalrXUtnFEMI")));
  }
}

TEST(S3TargetConfig, ItHoldsOnlyItsOwnBucketsLocationsAndDescribesItselfWithoutSecrets) {
  auto t = makeTarget(s3Config()).value();
  EXPECT_EQ(t->implementation(), "s3");
  EXPECT_TRUE(t->holds("s3://backups/fh/dep_a/bak_b.fhb"));
  EXPECT_FALSE(t->holds("s3://backups2/fh/dep_a/bak_b.fhb"));
  EXPECT_FALSE(t->holds("/var/lib/fedihost/backups/dep_a/bak_b.fhb"));
  EXPECT_EQ(t->describe(), "s3://backups/fh at http://127.0.0.1:1");
}

TEST(S3TargetConfig, AnUnreachableServerIsAnErrorNamingTheCallAndTheSpoolFileStays) {
  fedihost::testing::TempDir dir;
  auto c = s3Config();
  c.timeout = std::chrono::milliseconds(2000);
  auto t = makeTarget(c).value();
  const auto file = dir.path() / "bundle.fhb";
  std::ofstream(file) << "bytes";
  auto r = t->store(file, "dep_a/bak_b.fhb");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Unavailable);
  EXPECT_THAT(r.error().message, HasSubstr("CreateMultipartUpload of fh/dep_a/bak_b.fhb"));
  EXPECT_TRUE(std::filesystem::exists(file));
}

TEST(DirectoryTarget, KeepsTheBundleWhereItIsAndListsFetchesAndRemovesIt) {
  fedihost::testing::TempDir dir;
  auto t = makeTarget(TargetConfig{"", dir.path()}).value();
  EXPECT_EQ(t->implementation(), "directory");
  std::filesystem::create_directories(dir.path() / "dep_a");
  const auto file = dir.path() / "dep_a" / "bak_b.fhb";
  std::ofstream(file) << "twelve bytes";
  std::filesystem::create_directories(dir.path() / ".staging-bak_c");
  std::ofstream(dir.path() / ".staging-bak_c" / "x.fhb") << "no";
  auto stored = t->store(file, "dep_a/bak_b.fhb").value();
  EXPECT_EQ(stored.location, file.string());
  EXPECT_EQ(stored.size, 12);
  EXPECT_TRUE(t->holds(stored.location));
  auto all = t->list().value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].location, file.string());
  {
    auto local = t->fetch(stored.location, dir.path() / "spool.fhb").value();
    EXPECT_EQ(local.path(), file);
    EXPECT_FALSE(local.temporary());
  }
  EXPECT_TRUE(std::filesystem::exists(file));  // not a spool copy: kept
  ASSERT_TRUE(t->remove(stored.location));
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_TRUE(t->remove(stored.location));  // gone already: success
  auto missing = t->fetch(stored.location, dir.path() / "spool.fhb");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
}

TEST(S3Md5, IsWhatS3AnswersAsAPartsETag) {
  EXPECT_EQ(providers::s3::md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(providers::s3::md5Hex("The quick brown fox jumps over the lazy dog"), "9e107d9d372bb6826bd81d3542a419d6");
}

}  // namespace
}  // namespace fedihost::backup_target
