// The "garage" bucket and access-key providers against a FAKE Garage admin API
// v1 (tests/fakes/garage_admin_fake.mjs, started by scripts/site/garage-fake.sh):
// Garage cannot run here. What the providers did is read back from the fake's
// own API, as an operator would from Garage's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/naming.hh"
#include "net/http.hh"
#include "providers/garage/garage.hh"
#include "secrets/secret_box.hh"
#include "support/site.hh"

namespace fedihost::providers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace json = boost::json;

const secrets::SecretBox& box() {
  static const secrets::SecretBox b([] {
    std::array<unsigned char, secrets::SecretBox::kKeySize> k{};
    k.fill(9);
    return k;
  }());
  return b;
}

/// 64 hex digits, as Garage takes a secret key.
std::string hexSecret() {
  std::string s = secrets::generatePassword(64);
  for (auto& c : s) c = "0123456789abcdef"[static_cast<unsigned char>(c) % 16];
  return s;
}

class GarageSiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    site_ = std::make_unique<fedihost::testing::Site>(std::vector<std::string>{"garage-fake"});
  }
  static void TearDownTestSuite() { site_.reset(); }

  void SetUp() override {
    settings_ = site_->settings("garage-fake", "bucket");
    buckets_ = garage::makeBlobProvider(config(settings_));
    keys_ = garage::makeAccessKeyProvider(config(site_->settings("garage-fake", "access-key")));
    dep_ = "dep_" + std::string(1, static_cast<char>('a' + tests_ % 26)) + "garagetest" + std::to_string(100000 + tests_);
    ++tests_;
  }

  static ProviderConfig config(const json::object& settings) { return ProviderConfig{"garage", {}, settings, "site", {}}; }

  ResolvedResource bucket(const std::string& app, const std::string& b, json::object extra = {},
                          const std::string& dep = {}) const {
    Resource r;
    r.deployment = dep.empty() ? dep_ : dep;
    r.kind = ResourceKind::Bucket;
    r.name = app + "-" + b;
    r.key = resourceKey(r.deployment, r.kind, r.name);
    r.attributes = {{"name", naming::bucketName(r.deployment, app, b)}, {"purpose", b}};
    for (auto& [k, v] : extra) r.attributes[k] = v;
    return {r, &box()};
  }

  ResolvedResource accessKey(const std::string& app, json::array buckets, const std::string& secret) const {
    Resource r;
    r.deployment = dep_;
    r.kind = ResourceKind::AccessKey;
    r.name = app;
    r.key = resourceKey(dep_, r.kind, app);
    r.attributes = {{"name", app},
                    {"buckets", std::move(buckets)},
                    {"secretKey", json::object{{"secret", app + "-s3-secret-key"}, {"sealed", box().seal(secret)}}}};
    return {r, &box()};
  }

  std::string name(const std::string& app, const std::string& b) const { return naming::bucketName(dep_, app, b); }

  /// The fake's admin API, as an operator would query Garage: status and JSON.
  std::pair<long, json::value> admin(const std::string& method, const std::string& path, const json::object* body = nullptr) {
    net::HttpRequest req;
    req.method = method;
    req.url = std::string(settings_.at("adminUrl").as_string()) + path;
    req.headers = {{"Authorization", "Bearer " + std::string(settings_.at("adminToken").as_string())}};
    if (body) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = json::serialize(*body);
    }
    auto r = net::send(req);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r) return {0, nullptr};
    return {r->status, r->body.empty() ? json::value() : json::parse(r->body)};
  }

  static inline std::unique_ptr<fedihost::testing::Site> site_;
  static inline int tests_ = 0;
  json::object settings_;
  std::unique_ptr<BlobProvider> buckets_;
  std::unique_ptr<AccessKeyProvider> keys_;
  std::string dep_;
};

TEST_F(GarageSiteTest, BucketKeyAndGrantAreWhatGarageHolds) {
  auto media = bucket("mastodon", "media");
  auto b = buckets_->create(media);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->outputs, (json::object{{"endpoint", "http://127.0.0.1:3900"}, {"region", "garage"}}));

  const auto secret = hexSecret();
  auto key = accessKey("mastodon", {name("mastodon", "media")}, secret);
  auto k = keys_->create(key);
  ASSERT_TRUE(k.ok()) << k.error().message;
  const std::string id(k->outputs.at("accessKeyId").as_string());
  EXPECT_EQ(id.size(), 26u);
  EXPECT_TRUE(id.starts_with("GK"));
  EXPECT_EQ(k->outputs.at("endpoint"), json::value("http://127.0.0.1:3900"));
  EXPECT_EQ(k->attributes.at("buckets"), json::value(json::array{name("mastodon", "media")}));

  // The bucket: its alias, and the key with read and write but not owner.
  auto [status, info] = admin("GET", "/v1/bucket?globalAlias=" + name("mastodon", "media"));
  ASSERT_EQ(status, 200);
  EXPECT_EQ(info.at("globalAliases"), json::value(json::array{name("mastodon", "media")}));
  const auto& bucketKeys = info.at("keys").as_array();
  ASSERT_EQ(bucketKeys.size(), 1u);
  EXPECT_EQ(bucketKeys[0].at("accessKeyId"), json::value(id));
  EXPECT_EQ(bucketKeys[0].at("name"), json::value(key.resource.key));
  EXPECT_EQ(bucketKeys[0].at("permissions"), json::value(json::object{{"read", true}, {"write", true}, {"owner", false}}));

  // The key: named by the identity key, with our secret (imported, not generated).
  auto [kstatus, kinfo] = admin("GET", "/v1/key?id=" + id + "&showSecretKey=true");
  ASSERT_EQ(kstatus, 200);
  EXPECT_EQ(kinfo.at("name"), json::value(key.resource.key));
  EXPECT_EQ(kinfo.at("secretAccessKey"), json::value(secret));

  // Idempotent: nothing new on a second create.
  auto b2 = buckets_->create(media);
  ASSERT_TRUE(b2.ok()) << b2.error().message;
  auto k2 = keys_->create(key);
  ASSERT_TRUE(k2.ok()) << k2.error().message;
  EXPECT_EQ(k2->outputs, k->outputs);
  int named = 0;
  auto allKeys = admin("GET", "/v1/key").second;
  for (auto& e : allKeys.as_array())
    if (e.at("name") == json::value(key.resource.key)) ++named;
  EXPECT_EQ(named, 1);
  int aliased = 0;
  auto allBuckets = admin("GET", "/v1/bucket").second;
  for (auto& e : allBuckets.as_array())
    for (auto& a : e.at("globalAliases").as_array())
      if (a == json::value(name("mastodon", "media"))) ++aliased;
  EXPECT_EQ(aliased, 1);

  auto read = keys_->read(key);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->outputs.at("accessKeyId"), json::value(id));
}

TEST_F(GarageSiteTest, QuotasAndWebsiteAccessAreApplied) {
  auto site = bucket("hedgedoc", "uploads",
                     {{"quotas", json::object{{"maxSize", 1000000}}},
                      {"websiteAccess", json::object{{"enabled", true}, {"indexDocument", "index.html"}}}});
  auto made = buckets_->create(site);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made->attributes.at("quotas"), json::value(json::object{{"maxSize", 1000000}}));
  auto [status, info] = admin("GET", "/v1/bucket?globalAlias=" + name("hedgedoc", "uploads"));
  ASSERT_EQ(status, 200);
  EXPECT_EQ(info.at("quotas"), json::value(json::object{{"maxSize", 1000000}, {"maxObjects", nullptr}}));
  EXPECT_EQ(info.at("websiteAccess"), json::value(true));
  EXPECT_EQ(info.at("websiteConfig").at("indexDocument"), json::value("index.html"));

  site.resource.attributes["quotas"] = json::object{{"maxObjects", 10}};
  site.resource.attributes["websiteAccess"] = json::object{{"enabled", false}};
  auto updated = buckets_->update(site);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  info = admin("GET", "/v1/bucket?globalAlias=" + name("hedgedoc", "uploads")).second;
  EXPECT_EQ(info.at("quotas"), json::value(json::object{{"maxSize", nullptr}, {"maxObjects", 10}}));
  EXPECT_EQ(info.at("websiteAccess"), json::value(false));
}

TEST_F(GarageSiteTest, UpdateMovesTheGrants) {
  ASSERT_TRUE(buckets_->create(bucket("pixelfed", "photos")).ok());
  ASSERT_TRUE(buckets_->create(bucket("pixelfed", "backups")).ok());
  const auto secret = hexSecret();
  auto key = accessKey("pixelfed", {name("pixelfed", "photos")}, secret);
  auto made = keys_->create(key);
  ASSERT_TRUE(made.ok()) << made.error().message;
  key.resource.attributes["buckets"] = json::array{name("pixelfed", "backups")};
  auto moved = keys_->update(key);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->attributes.at("buckets"), json::value(json::array{name("pixelfed", "backups")}));
  EXPECT_THAT(admin("GET", "/v1/bucket?globalAlias=" + name("pixelfed", "photos")).second.at("keys").as_array(), IsEmpty());
  EXPECT_EQ(admin("GET", "/v1/bucket?globalAlias=" + name("pixelfed", "backups")).second.at("keys").as_array().size(), 1u);

  // Garage cannot change a key's secret.
  auto other = accessKey("pixelfed", {name("pixelfed", "backups")}, hexSecret());
  auto changed = keys_->update(other);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().kind, ErrorKind::Conflict);
}

TEST_F(GarageSiteTest, RemoveDeletesAndIsIdempotent) {
  auto media = bucket("peertube", "videos");
  ASSERT_TRUE(buckets_->create(media).ok());
  auto key = accessKey("peertube", {name("peertube", "videos")}, hexSecret());
  auto made = keys_->create(key);
  ASSERT_TRUE(made.ok()) << made.error().message;
  const std::string id(made->outputs.at("accessKeyId").as_string());

  ASSERT_TRUE(keys_->remove(key).ok());
  EXPECT_EQ(admin("GET", "/v1/key?id=" + id).first, 404);
  EXPECT_EQ(keys_->read(key).error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(keys_->remove(key).ok());

  ASSERT_TRUE(buckets_->remove(media).ok());
  EXPECT_EQ(admin("GET", "/v1/bucket?globalAlias=" + name("peertube", "videos")).first, 404);
  EXPECT_EQ(buckets_->read(media).error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(buckets_->remove(media).ok());
}

TEST_F(GarageSiteTest, ABucketDeletedOutOfBandReadsAsNotFound) {
  auto media = bucket("forgejo", "lfs");
  auto made = buckets_->create(media);
  ASSERT_TRUE(made.ok());
  auto id = std::string(admin("GET", "/v1/bucket?globalAlias=" + name("forgejo", "lfs")).second.at("id").as_string());
  EXPECT_EQ(admin("DELETE", "/v1/bucket?id=" + id).first, 204);
  auto read = buckets_->read(media);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, ErrorKind::NotFound);
}

TEST_F(GarageSiteTest, ListGivesTheDeploymentsOwn) {
  auto a = bucket("mastodon", "media"), b = bucket("mastodon", "backups");
  auto c = bucket("mastodon", "media", {}, "dep_someoneelse00001");
  for (auto* r : {&a, &b, &c}) ASSERT_TRUE(buckets_->create(*r).ok());
  auto key = accessKey("mastodon", {name("mastodon", "media")}, hexSecret());
  ASSERT_TRUE(keys_->create(key).ok());

  auto list = buckets_->list(dep_);
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_THAT(*list, ElementsAre(b.resource.key, a.resource.key));
  auto theirs = buckets_->list("dep_someoneelse00001");
  ASSERT_TRUE(theirs.ok());
  EXPECT_THAT(*theirs, ElementsAre(c.resource.key));
  auto keys = keys_->list(dep_);
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_THAT(*keys, ElementsAre(key.resource.key));
  EXPECT_THAT(*keys_->list("dep_someoneelse00001"), IsEmpty());
}

TEST_F(GarageSiteTest, ABadTokenIsUnauthorized) {
  auto settings = settings_;
  settings["adminToken"] = "wrong";
  auto p = garage::makeBlobProvider(config(settings));
  auto r = p->create(bucket("mastodon", "media"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unauthorized);
  EXPECT_THAT(r.error().message, HasSubstr("Invalid authorization token"));
  auto k = garage::makeAccessKeyProvider(config(settings))->list(dep_);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().kind, ErrorKind::Unauthorized);
}

TEST_F(GarageSiteTest, RefusesWhatGarageCannotDo) {
  auto versioned = buckets_->create(bucket("peertube", "videos", {{"versioning", true}}));
  ASSERT_FALSE(versioned.ok());
  EXPECT_EQ(versioned.error().field, "attributes.versioning");
  ASSERT_TRUE(buckets_->create(bucket("peertube", "videos")).ok());
  // The deployment's generated secrets are 32 letters and digits; Garage takes 64 hex digits.
  auto shortSecret = keys_->create(accessKey("peertube", {name("peertube", "videos")}, secrets::generatePassword(32)));
  ASSERT_FALSE(shortSecret.ok());
  EXPECT_EQ(shortSecret.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(shortSecret.error().field, "attributes.secretKey");
  auto noBucket = keys_->create(accessKey("peertube", {name("peertube", "missing")}, hexSecret()));
  ASSERT_FALSE(noBucket.ok());
  EXPECT_EQ(noBucket.error().kind, ErrorKind::Provider);
  EXPECT_THAT(noBucket.error().message, HasSubstr(name("peertube", "missing")));
}

// Garage counts what a bucket holds (GetBucketInfo's "bytes" and "objects"); the fake is told
// through its own control route, then the provider reads it back by the bucket's id.
TEST_F(GarageSiteTest, StoredSizeIsGaragesBucketInfo) {
  auto media = bucket("peertube", "videos");
  ASSERT_TRUE(buckets_->create(media).ok());
  auto empty = buckets_->storedSize(media);
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ(empty->bytes, 0);
  EXPECT_EQ(empty->objects, 0);

  auto id = std::string(admin("GET", "/v1/bucket?globalAlias=" + name("peertube", "videos")).second.at("id").as_string());
  json::object usage{{"objects", 14827}, {"bytes", 13189855625}};
  ASSERT_EQ(admin("PUT", "/_fake/bucket-usage?id=" + id, &usage).first, 200);
  auto size = buckets_->storedSize(media);
  ASSERT_TRUE(size.ok()) << size.error().message;
  EXPECT_EQ(size->bytes, 13189855625);
  EXPECT_EQ(size->objects, 14827);

  // Garage refuses to delete a bucket that holds objects; the provider keeps it and says why.
  auto removed = buckets_->remove(media);
  ASSERT_FALSE(removed.ok());
  EXPECT_THAT(removed.error().message, HasSubstr("BucketNotEmpty"));
  json::object none{{"objects", 0}, {"bytes", 0}};
  ASSERT_EQ(admin("PUT", "/_fake/bucket-usage?id=" + id, &none).first, 200);
  ASSERT_TRUE(buckets_->remove(media).ok());

  // Not there, a bad token, no server: errors, never 0 bytes.
  auto gone = buckets_->storedSize(media);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
  auto settings = settings_;
  settings["adminToken"] = "wrong";
  auto denied = garage::makeBlobProvider(config(settings))->storedSize(bucket("peertube", "videos"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, ErrorKind::Unauthorized);
  settings = settings_;
  settings["adminUrl"] = "http://127.0.0.1:1";
  auto unreachable = garage::makeBlobProvider(config(settings))->storedSize(bucket("peertube", "videos"));
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().kind, ErrorKind::Unavailable);
}

TEST_F(GarageSiteTest, AnUnreachableServerIsUnavailable) {
  auto settings = settings_;
  settings["adminUrl"] = "http://127.0.0.1:1";
  auto r = garage::makeBlobProvider(config(settings))->read(bucket("mastodon", "media"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unavailable);
}

TEST(GarageSettings, BadSettingsAreRefusedByName) {
  try {
    garage::makeBlobProvider(ProviderConfig{"garage", {}, {{"adminUrl", "http://x"}}, "site", {}});
    FAIL() << "no error";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "settings.adminToken");
  }
}

}  // namespace
}  // namespace fedihost::providers
