// The "s3" bucket provider and the "swift-tempauth" access-key provider
// against a real OpenStack Swift 2.30 with s3api and tempauth
// (scripts/site/s3.sh). What they make is checked with awscli (Debian's
// /usr/bin/aws) using the generated keys; out-of-band changes are made with it
// as the admin. Every test has deployments of its own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "core/naming.hh"
#include "providers/s3/s3.hh"
#include "providers/s3/s3_client.hh"
#include "secrets/secret_box.hh"
#include "support/ports.hh"
#include "support/site.hh"

namespace fedihost::providers {
namespace {

using fedihost::testing::closedPort;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace json = boost::json;

const secrets::SecretBox& box() {
  static const secrets::SecretBox b([] {
    std::array<unsigned char, secrets::SecretBox::kKeySize> k{};
    k.fill(7);
    return k;
  }());
  return b;
}

class S3SiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { site_ = std::make_unique<fedihost::testing::Site>(std::vector<std::string>{"s3"}); }
  static void TearDownTestSuite() { site_.reset(); }

  void SetUp() override {
    bucketSettings_ = site_->settings("s3", "bucket");
    keySettings_ = site_->settings("s3", "access-key");
    buckets_ = s3::makeBlobProvider(config("s3", bucketSettings_));
    keys_ = s3::makeSwiftTempauthAccessKeyProvider(config("swift-tempauth", keySettings_));
    endpoint_ = std::string(bucketSettings_.at("endpoint").as_string());
    adminId_ = std::string(bucketSettings_.at("accessKeyId").as_string());
    adminSecret_ = std::string(bucketSettings_.at("secretAccessKey").as_string());
  }

  static ProviderConfig config(const std::string& impl, const json::object& settings) {
    return ProviderConfig{impl, {}, settings, "site", {}};
  }

  /// A fresh deployment id ("dep_" + 16 of [a-z0-9]), as ids::newId makes them.
  static std::string newDeployment() {
    static std::mt19937_64 rng{std::random_device{}()};
    static const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string id = "dep_";
    for (int i = 0; i < 16; ++i) id += alphabet[rng() % 36];
    return id;
  }

  static std::string bucketName(const std::string& dep, const std::string& app, const std::string& b) {
    return naming::bucketName(dep, app, b);
  }

  static ResolvedResource bucket(const std::string& dep, const std::string& app, const std::string& b,
                                 json::object extra = {}) {
    Resource r;
    r.deployment = dep;
    r.kind = ResourceKind::Bucket;
    r.name = app + "-" + b;
    r.key = resourceKey(dep, r.kind, r.name);
    r.attributes = {{"name", bucketName(dep, app, b)}, {"purpose", b}};
    for (auto& [k, v] : extra) r.attributes[k] = v;
    return {r, &box()};
  }

  static ResolvedResource accessKey(const std::string& dep, const std::string& app, json::array buckets,
                                    const std::string& secret) {
    Resource r;
    r.deployment = dep;
    r.kind = ResourceKind::AccessKey;
    r.name = app;
    r.key = resourceKey(dep, r.kind, app);
    r.attributes = {{"name", app},
                    {"buckets", std::move(buckets)},
                    {"secretKey", json::object{{"secret", app + "-s3-secret-key"}, {"sealed", box().seal(secret)}}}};
    return {r, &box()};
  }

  /// Runs Debian's awscli against the site as `id`/`secret`; stdout and stderr together.
  fedihost::testing::CommandResult aws(const std::string& args, const std::string& id, const std::string& secret) const {
    return fedihost::testing::run("env -i PATH=/usr/bin:/bin HOME=/nonexistent AWS_CONFIG_FILE=/dev/null "
                                  "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true "
                                  "AWS_MAX_ATTEMPTS=1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID='" + id +
                                  "' AWS_SECRET_ACCESS_KEY='" + secret + "' /usr/bin/aws --endpoint-url " + endpoint_ +
                                  " " + args);
  }
  fedihost::testing::CommandResult asAdmin(const std::string& args) const { return aws(args, adminId_, adminSecret_); }

  /// Our own S3 client as `id`/`secret`, for the checks beyond awscli's (each
  /// awscli run costs ~3 s here); refusals are checked by their S3 code, so a
  /// bad signature cannot pass for a denial.
  s3::S3Client as(const std::string& id, const std::string& secret) const {
    s3::S3Settings s;
    s.endpoint = endpoint_;
    s.accessKeyId = id;
    s.secretAccessKey = secret;
    return s3::S3Client(s);
  }
  static std::string code(const Result<net::HttpResponse>& r) {
    if (!r) return "unreachable: " + r.error().message;
    return net::ok(*r) ? "OK" : s3::errorCode(*r);
  }

  std::string writeFile(const std::string& name, const std::string& content) const {
    auto p = site_->dir() / name;
    std::ofstream(p) << content;
    return p.string();
  }

  static inline std::unique_ptr<fedihost::testing::Site> site_;
  json::object bucketSettings_, keySettings_;
  std::unique_ptr<BlobProvider> buckets_;
  std::unique_ptr<AccessKeyProvider> keys_;
  std::string endpoint_, adminId_, adminSecret_;
};

TEST_F(S3SiteTest, CreatesABucketOnceAndReadsItBack) {
  auto dep = newDeployment();
  auto b = bucket(dep, "mastodon", "media");
  auto first = buckets_->create(b);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->outputs.at("endpoint"), json::value(endpoint_));
  EXPECT_EQ(first->outputs.at("region"), json::value("us-east-1"));
  auto again = buckets_->create(b);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->attributes, first->attributes);

  auto read = buckets_->read(b);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->attributes.at("name"), json::value(bucketName(dep, "mastodon", "media")));
  EXPECT_EQ(read->attributes.at("versioning"), json::value(false));

  auto head = as(adminId_, adminSecret_).send("HEAD", bucketName(dep, "mastodon", "media"));
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->status, 200);
}

TEST_F(S3SiteTest, VersioningIsOnWhenAskedAndSuspendedWhenNot) {
  auto dep = newDeployment();
  auto b = bucket(dep, "peertube", "videos", {{"versioning", true}});
  auto made = buckets_->create(b);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made->attributes.at("versioning"), json::value(true));
  auto seen = asAdmin("s3api get-bucket-versioning --bucket " + bucketName(dep, "peertube", "videos"));
  EXPECT_EQ(seen.exitCode, 0) << seen.output;
  EXPECT_THAT(seen.output, HasSubstr("\"Enabled\""));
  auto again = buckets_->create(b);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->attributes.at("versioning"), json::value(true));

  b.resource.attributes["versioning"] = false;
  auto updated = buckets_->update(b);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->attributes.at("versioning"), json::value(false));
  auto status = as(adminId_, adminSecret_).bucketVersioning(bucketName(dep, "peertube", "videos"));
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(*status, "Suspended");
}

TEST_F(S3SiteTest, AnAppKeyReadsAndWritesItsBucketsAndNoOthers) {
  auto dep = newDeployment();
  const auto media = bucketName(dep, "mastodon", "media");
  const auto photos = bucketName(dep, "pixelfed", "photos");
  ASSERT_TRUE(buckets_->create(bucket(dep, "mastodon", "media")).ok());
  ASSERT_TRUE(buckets_->create(bucket(dep, "pixelfed", "photos")).ok());

  const std::string mastodonSecret = secrets::generatePassword(32);
  const std::string pixelfedSecret = secrets::generatePassword(32);
  auto mastodon = accessKey(dep, "mastodon", {media}, mastodonSecret);
  auto pixelfed = accessKey(dep, "pixelfed", {photos}, pixelfedSecret);
  auto made = keys_->create(mastodon);
  ASSERT_TRUE(made.ok()) << made.error().message;
  const auto mastodonId = std::string(made->outputs.at("accessKeyId").as_string());
  EXPECT_EQ(mastodonId, "fedihost:" + std::string(naming::idSuffix(dep)) + "-mastodon");
  EXPECT_EQ(made->outputs.at("endpoint"), json::value(endpoint_));
  EXPECT_EQ(made->attributes.at("buckets"), json::value(json::array{media}));
  auto other = keys_->create(pixelfed);
  ASSERT_TRUE(other.ok()) << other.error().message;
  const auto pixelfedId = std::string(other->outputs.at("accessKeyId").as_string());

  // Idempotent: the same user, nothing new.
  auto again = keys_->create(mastodon);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->outputs, made->outputs);

  // The app's key puts and gets with awscli.
  auto file = writeFile("toot.txt", "hello from mastodon\n");
  auto put = aws("s3 cp " + file + " s3://" + media + "/media/toot.txt", mastodonId, mastodonSecret);
  ASSERT_EQ(put.exitCode, 0) << put.output;
  auto get = aws("s3 cp s3://" + media + "/media/toot.txt -", mastodonId, mastodonSecret);
  ASSERT_EQ(get.exitCode, 0) << get.output;
  EXPECT_EQ(get.output, "hello from mastodon\n");

  // Another app's key can neither read nor list nor write that bucket...
  auto stolen = aws("s3 cp s3://" + media + "/media/toot.txt -", pixelfedId, pixelfedSecret);
  EXPECT_NE(stolen.exitCode, 0);
  EXPECT_THAT(stolen.output, AnyOf(HasSubstr("403"), HasSubstr("AccessDenied")));
  auto px = as(pixelfedId, pixelfedSecret);
  EXPECT_EQ(code(px.send("GET", media)), "AccessDenied");
  EXPECT_EQ(code(px.send("PUT", media, "intruder.txt", {}, "x")), "AccessDenied");
  // ...but its own.
  EXPECT_EQ(code(px.send("PUT", photos, "p.txt", {}, "pixels")), "OK");
  EXPECT_EQ(code(px.send("GET", photos)), "OK");

  auto list = keys_->list(dep);
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_THAT(*list, ElementsAre(mastodon.resource.key, pixelfed.resource.key));

  // Moving pixelfed's grant from its bucket to mastodon's: listing follows.
  pixelfed.resource.attributes["buckets"] = json::array{media};
  auto moved = keys_->update(pixelfed);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->attributes.at("buckets"), json::value(json::array{media}));
  EXPECT_EQ(code(px.send("GET", media)), "OK");
  EXPECT_EQ(code(px.send("GET", photos)), "AccessDenied");

  // Removed: the key no longer signs anything, and removing again succeeds.
  ASSERT_TRUE(keys_->remove(mastodon).ok());
  auto gone = aws("s3 ls s3://" + media + "/", mastodonId, mastodonSecret);
  EXPECT_NE(gone.exitCode, 0);
  EXPECT_THAT(gone.output, HasSubstr("SignatureDoesNotMatch"));
  EXPECT_EQ(code(as(pixelfedId, pixelfedSecret).send("GET", media)), "OK");  // the other key still works
  auto readGone = keys_->read(mastodon);
  ASSERT_FALSE(readGone.ok());
  EXPECT_EQ(readGone.error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(keys_->remove(mastodon).ok());
  list = keys_->list(dep);
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre(pixelfed.resource.key));
}

TEST_F(S3SiteTest, ABucketDeletedOutOfBandReadsAsNotFound) {
  auto dep = newDeployment();
  auto b = bucket(dep, "hedgedoc", "uploads");
  ASSERT_TRUE(buckets_->create(b).ok());
  auto rb = asAdmin("s3 rb s3://" + bucketName(dep, "hedgedoc", "uploads"));
  ASSERT_EQ(rb.exitCode, 0) << rb.output;
  auto read = buckets_->read(b);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, ErrorKind::NotFound);
  auto update = buckets_->update(b);
  ASSERT_FALSE(update.ok());
  EXPECT_EQ(update.error().kind, ErrorKind::NotFound);
}

TEST_F(S3SiteTest, RemoveDeletesTheBucketAndIsIdempotent) {
  auto dep = newDeployment();
  auto b = bucket(dep, "forgejo", "lfs");
  ASSERT_TRUE(buckets_->create(b).ok());
  ASSERT_TRUE(buckets_->remove(b).ok());
  auto head = as(adminId_, adminSecret_).send("HEAD", bucketName(dep, "forgejo", "lfs"));
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->status, 404);
  EXPECT_EQ(buckets_->read(b).error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(buckets_->remove(b).ok());
}

TEST_F(S3SiteTest, ListGivesTheDeploymentsBucketsOnly) {
  auto dep = newDeployment(), other = newDeployment();
  auto a = bucket(dep, "mastodon", "media"), b = bucket(dep, "mastodon", "backups"), c = bucket(other, "mastodon", "media");
  for (auto* r : {&a, &b, &c}) ASSERT_TRUE(buckets_->create(*r).ok());
  auto list = buckets_->list(dep);
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_THAT(*list, ElementsAre(b.resource.key, a.resource.key));  // sorted: "mastodon-backups" < "mastodon-media"
  auto theirs = buckets_->list(other);
  ASSERT_TRUE(theirs.ok());
  EXPECT_THAT(*theirs, ElementsAre(c.resource.key));
  EXPECT_THAT(*buckets_->list(newDeployment()), IsEmpty());
}

TEST_F(S3SiteTest, ABucketNameWithoutTheDeploymentIsRefused) {
  auto b = bucket(newDeployment(), "mastodon", "media");
  b.resource.attributes["name"] = "someone-elses-bucket";
  auto r = buckets_->create(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(r.error().field, "attributes.name");
}

TEST_F(S3SiteTest, AWrongAdminSecretIsUnauthorized) {
  auto settings = bucketSettings_;
  settings["secretAccessKey"] = "not-the-secret";
  auto p = s3::makeBlobProvider(config("s3", settings));
  auto r = p->create(bucket(newDeployment(), "mastodon", "media"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unauthorized) << r.error().message;
  auto l = p->list("dep_x");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().kind, ErrorKind::Unauthorized) << l.error().message;
  EXPECT_THAT(l.error().message, HasSubstr("SignatureDoesNotMatch"));
}

TEST_F(S3SiteTest, AnUnreachableServerIsUnavailable) {
  auto settings = bucketSettings_;
  settings["endpoint"] = "http://127.0.0.1:" + std::to_string(closedPort());
  settings["timeoutMs"] = 2000;
  auto p = s3::makeBlobProvider(config("s3", settings));
  auto r = p->read(bucket(newDeployment(), "mastodon", "media"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unavailable) << r.error().message;
}

// ListObjectsV2 page by page: seven objects of known sizes, three to a page (max-keys 3),
// summed to the byte; the same with one page of up to 1000.
TEST_F(S3SiteTest, StoredSizeSumsEveryPageOfTheListing) {
  auto dep = newDeployment();
  auto b = bucket(dep, "peertube", "videos");
  ASSERT_TRUE(buckets_->create(b).ok());
  const auto name = bucketName(dep, "peertube", "videos");
  auto admin = as(adminId_, adminSecret_);

  auto settings = bucketSettings_;
  settings["listMaxKeys"] = 3;
  auto paged = s3::makeBlobProvider(config("s3", settings));
  auto empty = paged->storedSize(b);
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ(empty->bytes, 0);
  EXPECT_EQ(empty->objects, 0);

  const std::vector<std::pair<std::string, std::size_t>> objects{
      {"a/1.mp4", 1}, {"a/2.mp4", 1000}, {"b/3.mp4", 1024}, {"b/4.mp4", 4097},
      {"c/5.mp4", 65536}, {"c/6 with space.mp4", 300001}, {"d/7.mp4", 0}};
  std::int64_t total = 0;
  for (auto& [key, bytes] : objects) {
    auto put = admin.putObject(name, key, std::string(bytes, 'x'));
    ASSERT_TRUE(put.ok()) << key << ": " << put.error().message;
    total += static_cast<std::int64_t>(bytes);
  }
  // The server really pages at three: a first ListObjectsV2 page is truncated with a continuation token.
  auto first = admin.send("GET", name, "", {{"list-type", "2"}, {"max-keys", "3"}});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_THAT(first->body, HasSubstr("<IsTruncated>true</IsTruncated>"));
  EXPECT_THAT(first->body, HasSubstr("<NextContinuationToken>"));

  auto size = paged->storedSize(b);
  ASSERT_TRUE(size.ok()) << size.error().message;
  EXPECT_EQ(size->bytes, total);
  EXPECT_EQ(size->bytes, 371659);
  EXPECT_EQ(size->objects, 7);
  auto onePage = buckets_->storedSize(b);
  ASSERT_TRUE(onePage.ok()) << onePage.error().message;
  EXPECT_EQ(onePage->bytes, total);
  EXPECT_EQ(onePage->objects, 7);

  for (auto& [key, _] : objects) ASSERT_TRUE(admin.deleteObject(name, key).ok());
  ASSERT_TRUE(buckets_->remove(b).ok());
  // A bucket that is not there, or a server that does not answer: errors, never 0 bytes.
  auto gone = paged->storedSize(b);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound) << gone.error().message;
  settings["endpoint"] = "http://127.0.0.1:" + std::to_string(closedPort());
  settings["timeoutMs"] = 2000;
  auto unreachable = s3::makeBlobProvider(config("s3", settings))->storedSize(b);
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().kind, ErrorKind::Unavailable);
}

TEST(S3Settings, BadSettingsAreRefusedByName) {
  try {
    s3::makeBlobProvider(ProviderConfig{"s3", {}, {{"endpoint", "127.0.0.1:9000"}}, "site", {}});
    FAIL() << "no error";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "settings.endpoint");
  }
  try {
    s3::makeBlobProvider(ProviderConfig{"s3", {}, {{"endpoint", "http://127.0.0.1:9000"}, {"accessKeyId", "a"}, {"secretAccessKey", "s"}, {"listMaxKeys", 0}}, "site", {}});
    FAIL() << "no error";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "settings.listMaxKeys");
  }
  try {
    s3::makeSwiftTempauthAccessKeyProvider(ProviderConfig{
        "swift-tempauth", {},
        {{"endpoint", "http://127.0.0.1:1"}, {"accessKeyId", "a:admin"}, {"secretAccessKey", "x"}, {"account", "b"},
         {"proxyConfigDir", "/nonexistent"}, {"proxyPidFile", "/nonexistent/pid"}},
        "site", {}});
    FAIL() << "no error";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "settings.account");
  }
}

TEST(S3Naming, BucketKeysComeBackFromTheirNames) {
  EXPECT_EQ(s3::bucketKeyFromName("dep_7k2m9x4q1c8v5b3n", naming::bucketName("dep_7k2m9x4q1c8v5b3n", "mastodon", "media")),
            resourceKey("dep_7k2m9x4q1c8v5b3n", ResourceKind::Bucket, "mastodon-media"));
  EXPECT_EQ(s3::bucketKeyFromName("dep_7k2m9x4q1c8v5b3n", "other-mastodon-media"), "");
}

}  // namespace
}  // namespace fedihost::providers
