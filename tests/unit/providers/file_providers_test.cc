// The behaviour every file provider shares, run against each kind through a
// file target: create, idempotent create, read, update, remove with pruning, list.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "providers/file/file_providers.hh"
#include "test_support.hh"

namespace fedihost::providers::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Case {
  std::string label;
  ResourceKind kind;
  std::string name;
  json::object attrs;
  json::object updated;  ///< the same resource with changed attributes
  std::string file;      ///< where the resource lands, relative to the deployment directory
  std::string otherName;
  json::object otherAttrs;
  std::vector<std::string> clearSecrets;  ///< must never appear in a file
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

std::vector<Case> cases() {
  std::vector<Case> v;
  v.push_back({"ip", ResourceKind::IpAddress, "main", {{"family", "ipv4"}}, {{"family", "ipv4"}, {"label", "front"}},
               "ip/main.json", "spare", {{"family", "ipv4"}}, {}});
  v.push_back({"machine", ResourceKind::Machine, "main",
               {{"hostname", "main"}, {"cpu", 2}, {"memoryMiB", 4096}, {"diskGiB", 40}, {"address", "192.0.2.2"}},
               {{"hostname", "main"}, {"cpu", 4}, {"memoryMiB", 8192}, {"diskGiB", 80}, {"address", "192.0.2.2"}},
               "machines/main/machine.json", "worker",
               {{"hostname", "worker"}, {"cpu", 1}, {"memoryMiB", 1024}, {"diskGiB", 10}, {"address", "192.0.2.3"}},
               {}});
  v.push_back({"dns", ResourceKind::DnsRecordSet, "mastodon-a",
               {{"zone", "social.example.test"},
                {"name", "mastodon.social.example.test."},
                {"type", "A"},
                {"ttl", 300},
                {"records", json::array{"192.0.2.2"}}},
               {{"zone", "social.example.test"},
                {"name", "mastodon.social.example.test."},
                {"type", "A"},
                {"ttl", 600},
                {"records", json::array{"192.0.2.2", "192.0.2.3"}}},
               "dns/social.example.test.rrsets.json", "apex-a",
               {{"zone", "social.example.test"},
                {"name", "social.example.test."},
                {"type", "A"},
                {"ttl", 300},
                {"records", json::array{"192.0.2.2"}}},
               {}});
  v.push_back({"database", ResourceKind::Database, "mastodon",
               {{"engine", "postgresql"},
                {"name", "mastodon_x"},
                {"owner", "mastodon_x"},
                {"password", sealedSecret("mastodon-database-password", "clear-db-pass-1")}},
               {{"engine", "postgresql"},
                {"name", "mastodon_x"},
                {"owner", "mastodon_x"},
                {"password", sealedSecret("mastodon-database-password", "clear-db-pass-2")}},
               "databases/mastodon_x.json", "pixelfed",
               {{"engine", "postgresql"},
                {"name", "pixelfed_x"},
                {"owner", "pixelfed_x"},
                {"password", sealedSecret("pixelfed-database-password", "clear-db-pass-3")}},
               {"clear-db-pass-1", "clear-db-pass-2", "clear-db-pass-3"}});
  v.push_back({"bucket", ResourceKind::Bucket, "mastodon-media",
               {{"name", "x-mastodon-media"}, {"purpose", "media"}},
               {{"name", "x-mastodon-media"}, {"purpose", "media attachments"}}, "buckets/x-mastodon-media.json",
               "pixelfed-media", {{"name", "x-pixelfed-media"}, {"purpose", "media"}}, {}});
  v.push_back({"access-key", ResourceKind::AccessKey, "mastodon",
               {{"name", "mastodon"},
                {"buckets", json::array{"x-mastodon-media"}},
                {"secretKey", sealedSecret("mastodon-s3-secret", "clear-s3-secret-1")}},
               {{"name", "mastodon"},
                {"buckets", json::array{"x-mastodon-media", "x-mastodon-backup"}},
                {"secretKey", sealedSecret("mastodon-s3-secret", "clear-s3-secret-1")}},
               "access-keys/mastodon.json", "pixelfed",
               {{"name", "pixelfed"},
                {"buckets", json::array{"x-pixelfed-media"}},
                {"secretKey", sealedSecret("pixelfed-s3-secret", "clear-s3-secret-2")}},
               {"clear-s3-secret-1", "clear-s3-secret-2"}});
  v.push_back({"mail", ResourceKind::MailAccount, "mastodon",
               {{"address", "mastodon@social.example.test"},
                {"password", sealedSecret("mastodon-mail-password", "clear-mail-1")}},
               {{"address", "mastodon@social.example.test"},
                {"password", sealedSecret("mastodon-mail-password", "clear-mail-2")}},
               "mail/mastodon@social.example.test.json", "pixelfed",
               {{"address", "pixelfed@social.example.test"},
                {"password", sealedSecret("pixelfed-mail-password", "clear-mail-3")}},
               {"clear-mail-1", "clear-mail-2", "clear-mail-3"}});
  v.push_back({"nixos", ResourceKind::NixosConfig, "main",
               {{"machine", "main"},
                {"configuration", {{"networking", {{"hostName", "main"}}}, {"fedihost", {{"apps", json::array{"mastodon"}}}}}}},
               {{"machine", "main"},
                {"configuration",
                 {{"networking", {{"hostName", "main"}}}, {"fedihost", {{"apps", json::array{"mastodon", "pixelfed"}}}}}}},
               "machines/main/configuration.json", "worker",
               {{"machine", "worker"}, {"configuration", {{"networking", {{"hostName", "worker"}}}}}}, {}});
  return v;
}

class FileProviderTest : public TempRootTest, public ::testing::WithParamInterface<Case> {
 protected:
  void SetUp() override {
    TempRootTest::SetUp();
    target_ = std::make_unique<Target>(Target::fileTarget("local", root_));
  }
  ResourceProvider& provider() { return target_->provider(GetParam().kind); }
  Resource first(const std::string& dep = "dep_x") const {
    return makeResource(dep, GetParam().kind, GetParam().name, GetParam().attrs);
  }
  Resource second(const std::string& dep = "dep_x") const {
    return makeResource(dep, GetParam().kind, GetParam().otherName, GetParam().otherAttrs);
  }
  fs::path depDir(const std::string& dep = "dep_x") const { return root_ / dep; }

  /// The file holds the key, the kind and the attributes as given (for nixos, the configuration itself).
  void expectStored(const Resource& r, const json::object& attrs) {
    const auto path = depDir(r.deployment) / GetParam().file;
    ASSERT_TRUE(fs::is_regular_file(path)) << path;
    auto doc = readJsonFile(path);
    switch (r.kind) {
      case ResourceKind::NixosConfig: {
        EXPECT_EQ(slurp(path), jsonutil::canonical(attrs.at("configuration")));
        auto meta = readJsonFile(path.parent_path() / "configuration.meta.json");
        EXPECT_EQ(meta.at("key"), json::value(r.key));
        EXPECT_EQ(meta.at("kind"), json::value("nixos-config"));
        EXPECT_EQ(meta.at("attributes"), json::value({{"machine", attrs.at("machine")}}));
        break;
      }
      case ResourceKind::DnsRecordSet:
        EXPECT_EQ(doc.at("recordSets").at(r.key), json::value(attrs));
        EXPECT_TRUE(fs::is_regular_file(depDir(r.deployment) / "dns/social.example.test.zone"));
        break;
      default:
        EXPECT_EQ(doc.at("key"), json::value(r.key));
        EXPECT_EQ(doc.at("kind"), json::value(toString(r.kind)));
        EXPECT_EQ(doc.at("attributes"), json::value(attrs));
    }
  }

  /// Every JSON file is canonical, and no clear-text secret is anywhere.
  void expectCanonicalAndSealed(const fs::path& dir) {
    for (auto& f : filesUnder(dir)) {
      auto text = slurp(dir / f);
      if (f.ends_with(".json")) {
        EXPECT_EQ(text, jsonutil::canonical(jsonutil::parseTrusted(text))) << f;
      }
      for (auto& clear : GetParam().clearSecrets) EXPECT_EQ(text.find(clear), std::string::npos) << clear << " in " << f;
      EXPECT_EQ(f.find(".tmp."), std::string::npos) << "temporary file left behind: " << f;
    }
  }

  std::unique_ptr<Target> target_;
};

TEST_P(FileProviderTest, CreateWritesTheExpectedFile) {
  auto r = first();
  auto created = provider().create(resolved(r));
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->attributes, GetParam().attrs);
  expectStored(r, GetParam().attrs);
  expectCanonicalAndSealed(root_);
  if (!GetParam().clearSecrets.empty()) {
    EXPECT_NE(slurp(depDir() / GetParam().file).find("\"sb2:"), std::string::npos);
  }
}

TEST_P(FileProviderTest, CreateTwiceReturnsTheSameAndWritesOnce) {
  auto r = first();
  auto a = provider().create(resolved(r));
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto filesAfterFirst = filesUnder(root_);
  auto contentAfterFirst = slurp(depDir() / GetParam().file);

  auto b = provider().create(resolved(r));
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->attributes, a->attributes);
  EXPECT_EQ(b->outputs, a->outputs);
  EXPECT_EQ(filesUnder(root_), filesAfterFirst);
  EXPECT_EQ(slurp(depDir() / GetParam().file), contentAfterFirst);

  // A create of the same key with other attributes (a retry after a crash) leaves what is there.
  auto changed = r;
  changed.attributes = GetParam().updated;
  auto c = provider().create(resolved(changed));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->attributes, GetParam().attrs);
  EXPECT_EQ(slurp(depDir() / GetParam().file), contentAfterFirst);
}

TEST_P(FileProviderTest, ReadFindsByKey) {
  auto r = first();
  auto missing = provider().read(resolved(r));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);

  auto created = provider().create(resolved(r));
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto read = provider().read(resolved(r));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->attributes, GetParam().attrs);
  EXPECT_EQ(read->outputs, created->outputs);

  // Found by key alone: the attributes passed to read do not matter.
  auto bare = r;
  bare.attributes = {};
  auto byKey = provider().read(resolved(bare));
  ASSERT_TRUE(byKey.ok()) << byKey.error().message;
  EXPECT_EQ(byKey->attributes, GetParam().attrs);

  // Another deployment's resource of the same name is another resource.
  auto elsewhere = provider().read(resolved(first("dep_y")));
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.error().kind, ErrorKind::NotFound);
}

TEST_P(FileProviderTest, UpdateRewrites) {
  auto r = first();
  auto absent = provider().update(resolved(r));
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().kind, ErrorKind::NotFound);
  EXPECT_FALSE(fs::exists(depDir()));

  auto created = provider().create(resolved(r));
  ASSERT_TRUE(created.ok()) << created.error().message;
  r.attributes = GetParam().updated;
  auto updated = provider().update(resolved(r));
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->attributes, GetParam().updated);
  EXPECT_EQ(updated->outputs, created->outputs) << "outputs are kept across an update";
  expectStored(r, GetParam().updated);
  expectCanonicalAndSealed(root_);
  auto read = provider().read(resolved(r));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->attributes, GetParam().updated);
}

TEST_P(FileProviderTest, RemoveDeletesAndPrunes) {
  // dep_y holds the same resources and must be left alone.
  ASSERT_TRUE(provider().create(resolved(first("dep_y"))).ok());
  ASSERT_TRUE(provider().create(resolved(second("dep_y"))).ok());
  auto otherDeployment = filesUnder(depDir("dep_y"));
  std::map<std::string, std::string> otherContent;
  for (auto& f : otherDeployment) otherContent[f] = slurp(depDir("dep_y") / f);

  auto a = first();
  auto b = second();
  ASSERT_TRUE(provider().create(resolved(a)).ok());
  ASSERT_TRUE(provider().create(resolved(b)).ok());

  ASSERT_TRUE(provider().remove(resolved(a)).ok());
  auto gone = provider().read(resolved(a));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(provider().read(resolved(b)).ok()) << "removing one resource keeps the other";
  EXPECT_TRUE(fs::exists(depDir()));

  ASSERT_TRUE(provider().remove(resolved(b)).ok());
  EXPECT_FALSE(fs::exists(depDir())) << "nothing of dep_x may be left: " << ::testing::PrintToString(filesUnder(root_));
  EXPECT_TRUE(provider().remove(resolved(a)).ok()) << "removing an absent resource succeeds";
  EXPECT_FALSE(fs::exists(depDir()));

  EXPECT_EQ(filesUnder(depDir("dep_y")), otherDeployment);
  for (auto& [f, content] : otherContent) EXPECT_EQ(slurp(depDir("dep_y") / f), content) << f;
  EXPECT_TRUE(fs::exists(root_)) << "the root itself stays";
}

TEST_P(FileProviderTest, ListGivesTheKeysOfOneDeployment) {
  auto empty = provider().list("dep_x");
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_THAT(*empty, IsEmpty());

  ASSERT_TRUE(provider().create(resolved(first())).ok());
  ASSERT_TRUE(provider().create(resolved(second())).ok());
  ASSERT_TRUE(provider().create(resolved(first("dep_y"))).ok());
  auto keys = provider().list("dep_x");
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  std::vector<std::string> expected{first().key, second().key};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*keys, expected);

  auto other = provider().list("dep_y");
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(*other, ElementsAre(first("dep_y").key));

  // Only this kind: the other providers' files in the same deployment are not listed.
  for (auto kind : allResourceKinds()) {
    if (kind == GetParam().kind) continue;
    auto l = target_->provider(kind).list("dep_x");
    ASSERT_TRUE(l.ok()) << l.error().message;
    for (auto& k : *l) EXPECT_NE(k, first().key) << toString(kind);
  }
}

TEST_P(FileProviderTest, DeclaresItsCapabilities) {
  EXPECT_EQ(provider().implementation(), "file");
  EXPECT_EQ(provider().kind(), GetParam().kind);
  EXPECT_TRUE(provider().capabilities().canUpdateInPlace);
  EXPECT_TRUE(provider().capabilities().canList);
}

TEST_P(FileProviderTest, UnsafeDeploymentIdIsRefused) {
  for (std::string bad : {"", "..", ".hidden", "a/b", "../escape"}) {
    auto r = first();
    r.deployment = bad;
    auto res = provider().create(resolved(r));
    ASSERT_FALSE(res.ok()) << bad;
    EXPECT_EQ(res.error().kind, ErrorKind::Invalid) << bad;
  }
  // Nothing but the root's own lock files (".ip.lock"): no directory, inside or outside the root.
  for (auto& e : fs::directory_iterator(root_)) EXPECT_EQ(e.path().filename().string().front(), '.') << e.path();
  for (auto& e : fs::directory_iterator(root_.parent_path())) EXPECT_EQ(e.path(), root_);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, FileProviderTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string n = info.param.label;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// ------------------------------------------------------------------ kind-specific behaviour

class FileKindTest : public TempRootTest {};

TEST_F(FileKindTest, AccessKeyIdIsGeneratedOnceAndKept) {
  auto p = file::makeAccessKeyProvider(config());
  auto r = makeResource("dep_x", ResourceKind::AccessKey, "mastodon",
                        {{"name", "mastodon"},
                         {"buckets", json::array{"x-mastodon-media"}},
                         {"secretKey", sealedSecret("mastodon-s3-secret", "s")}});
  auto created = p->create(resolved(r));
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto id = std::string(created->outputs.at("accessKeyId").as_string());
  EXPECT_THAT(id, ::testing::MatchesRegex("GK[0-9a-f]{24}"));
  auto stored = readJsonFile(root_ / "dep_x/access-keys/mastodon.json");
  EXPECT_EQ(stored.at("outputs").at("accessKeyId"), json::value(id));
  EXPECT_EQ(p->read(resolved(r))->outputs.at("accessKeyId"), json::value(id));
  r.attributes["buckets"] = json::array{"x-mastodon-media", "x-mastodon-backup"};
  EXPECT_EQ(p->update(resolved(r))->outputs.at("accessKeyId"), json::value(id));

  auto other = makeResource("dep_x", ResourceKind::AccessKey, "pixelfed",
                            {{"name", "pixelfed"}, {"secretKey", sealedSecret("pixelfed-s3-secret", "t")}});
  auto otherCreated = p->create(resolved(other));
  ASSERT_TRUE(otherCreated.ok());
  EXPECT_NE(otherCreated->outputs.at("accessKeyId"), json::value(id));
}

TEST_F(FileKindTest, MachineOutputsItsHostname) {
  auto p = file::makeMachineProvider(config());
  auto r = makeResource("dep_x", ResourceKind::Machine, "main",
                        {{"hostname", "main"}, {"cpu", 2}, {"memoryMiB", 2048}, {"diskGiB", 20}, {"address", "192.0.2.2"}});
  auto created = p->create(resolved(r));
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->outputs, (json::object{{"hostname", "main"}}));
  auto bad = r;
  bad.attributes["cpu"] = 0;
  auto refused = p->update(resolved(bad));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "attributes.cpu");
}

TEST_F(FileKindTest, SecretsInClearAreRefused) {
  auto db = file::makeDatabaseProvider(config());
  auto r = makeResource("dep_x", ResourceKind::Database, "mastodon",
                        {{"engine", "postgresql"}, {"name", "mastodon_x"}, {"owner", "mastodon_x"}, {"password", "hunter2"}});
  auto res = db->create(resolved(r));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(res.error().field, "attributes.password");
  r.attributes["password"] = json::object{{"secret", "mastodon-database-password"}};  // unresolved reference
  EXPECT_FALSE(db->create(resolved(r)).ok());
  EXPECT_FALSE(fs::exists(root_ / "dep_x"));

  auto mail = file::makeMailProvider(config());
  auto m = makeResource("dep_x", ResourceKind::MailAccount, "mastodon",
                        {{"address", "mastodon@social.example.test"}, {"password", "clear"}});
  EXPECT_FALSE(mail->create(resolved(m)).ok());
}

TEST_F(FileKindTest, PathComponentsAreChecked) {
  auto db = file::makeDatabaseProvider(config());
  auto r = makeResource("dep_x", ResourceKind::Database, "mastodon",
                        {{"engine", "postgresql"},
                         {"name", "../../etc/passwd"},
                         {"owner", "x"},
                         {"password", sealedSecret("p", "p")}});
  auto res = db->create(resolved(r));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().field, "attributes.name");

  auto bucket = file::makeBlobProvider(config());
  auto b = makeResource("dep_x", ResourceKind::Bucket, "media", {{"name", "Not_A_Bucket"}});
  auto bres = bucket->create(resolved(b));
  ASSERT_FALSE(bres.ok());
  EXPECT_EQ(bres.error().field, "attributes.name");

  auto mail = file::makeMailProvider(config());
  auto m = makeResource("dep_x", ResourceKind::MailAccount, "x", {{"address", "no-at-sign"}, {"password", sealedSecret("p", "p")}});
  EXPECT_EQ(mail->create(resolved(m)).error().field, "attributes.address");
  EXPECT_THAT(filesUnder(root_), IsEmpty());
}

TEST_F(FileKindTest, TwoResourcesCannotShareAFile) {
  auto bucket = file::makeBlobProvider(config());
  auto a = makeResource("dep_x", ResourceKind::Bucket, "media", {{"name", "x-media"}});
  auto b = makeResource("dep_x", ResourceKind::Bucket, "other", {{"name", "x-media"}});
  ASSERT_TRUE(bucket->create(resolved(a)).ok());
  auto res = bucket->create(resolved(b));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(readJsonFile(root_ / "dep_x/buckets/x-media.json").at("key"), json::value(a.key));
}

TEST_F(FileKindTest, UpdateThatRenamesMovesTheFile) {
  auto db = file::makeDatabaseProvider(config());
  auto r = makeResource("dep_x", ResourceKind::Database, "mastodon",
                        {{"engine", "postgresql"}, {"name", "old_name"}, {"owner", "o"}, {"password", sealedSecret("p", "p")}});
  ASSERT_TRUE(db->create(resolved(r)).ok());
  r.attributes["name"] = "new_name";
  ASSERT_TRUE(db->update(resolved(r)).ok());
  EXPECT_THAT(filesUnder(root_ / "dep_x"), ElementsAre("databases/new_name.json"));
  EXPECT_EQ(db->read(resolved(r))->attributes.at("name"), json::value("new_name"));
}

TEST_F(FileKindTest, NixosConfigurationIsTheFileItself) {
  auto p = file::makeNixosProvider(config());
  json::object configuration{{"services", {{"mastodon", {{"enable", true}, {"localDomain", "social.example.test"}}}}},
                             {"networking", {{"hostName", "main"}}}};
  auto r = makeResource("dep_x", ResourceKind::NixosConfig, "main", {{"machine", "main"}, {"configuration", configuration}});
  ASSERT_TRUE(p->create(resolved(r)).ok());
  EXPECT_EQ(slurp(root_ / "dep_x/machines/main/configuration.json"), jsonutil::canonical(configuration));
  EXPECT_THAT(filesUnder(root_ / "dep_x"),
              ElementsAre("machines/main/configuration.json", "machines/main/configuration.meta.json"));

  // A machine and its configuration share the machine's directory; removing one keeps the other.
  auto m = file::makeMachineProvider(config());
  auto machine = makeResource("dep_x", ResourceKind::Machine, "main", {{"hostname", "main"}});
  ASSERT_TRUE(m->create(resolved(machine)).ok());
  ASSERT_TRUE(p->remove(resolved(r)).ok());
  EXPECT_THAT(filesUnder(root_ / "dep_x"), ElementsAre("machines/main/machine.json"));
  EXPECT_FALSE(p->list("dep_x")->size());
  ASSERT_TRUE(m->remove(resolved(machine)).ok());
  EXPECT_FALSE(fs::exists(root_ / "dep_x"));
}

TEST_F(FileKindTest, InterruptedWritesLeaveNoTemporaryFiles) {
  // A temporary file left by a crash is ignored by list and read.
  auto p = file::makeBlobProvider(config());
  fs::create_directories(root_ / "dep_x/buckets");
  std::ofstream(root_ / "dep_x/buckets/.x-media.json.tmp.0123") << "{\"half\":";
  auto r = makeResource("dep_x", ResourceKind::Bucket, "media", {{"name", "x-media"}});
  ASSERT_TRUE(p->create(resolved(r)).ok());
  auto keys = p->list("dep_x");
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_THAT(*keys, ElementsAre(r.key));
}

TEST_F(FileKindTest, ABucketsStoredSizeIsTheBytesOfTheFilesUnderItsDirectory) {
  auto bucket = file::makeBlobProvider(config());
  auto b = makeResource("dep_x", ResourceKind::Bucket, "media", {{"name", "x-media"}});
  auto missing = bucket->storedSize(resolved(b));  // not created: not held, not 0 bytes
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);

  ASSERT_TRUE(bucket->create(resolved(b)).ok());
  auto empty = bucket->storedSize(resolved(b));  // no objects directory yet
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ(empty->bytes, 0);
  EXPECT_EQ(empty->objects, 0);

  fs::create_directories(root_ / "dep_x/buckets/x-media/photos/2027");
  std::ofstream(root_ / "dep_x/buckets/x-media/a.txt") << std::string(1000, 'a');
  std::ofstream(root_ / "dep_x/buckets/x-media/photos/2027/b.jpg") << std::string(123457, 'b');
  std::ofstream(root_ / "dep_x/buckets/x-media/photos/empty") << "";
  auto size = bucket->storedSize(resolved(b));
  ASSERT_TRUE(size.ok()) << size.error().message;
  EXPECT_EQ(size->bytes, 124457);
  EXPECT_EQ(size->objects, 3);

  // Listing the bucket's manifests is not confused by its objects' directory.
  EXPECT_THAT(bucket->list("dep_x").value(), ElementsAre(b.key));

  // Objects that cannot be listed (here: a file where the directory should be) are an error, never 0 bytes.
  fs::remove_all(root_ / "dep_x/buckets/x-media");
  std::ofstream(root_ / "dep_x/buckets/x-media") << "not a directory";
  auto unreadable = bucket->storedSize(resolved(b));
  ASSERT_FALSE(unreadable.ok());
  EXPECT_EQ(unreadable.error().kind, ErrorKind::Internal);
}

}  // namespace
}  // namespace fedihost::providers::testing
