// The bundle writer, reader and verify: a round trip, and each kind of damage
// (a flipped byte in each kind of part, a truncated file, a missing part, an
// unlisted part, a wrong key) refused with the part at fault named.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "bundle/bundle.hh"
#include "support/temp_dir.hh"

namespace fedihost::bundle {
namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void spit(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

/// Rewrites a bundle entry by entry: `edit` may change an entry's bytes or drop it (returns false).
void rewrite(const fs::path& in, const fs::path& out,
             const std::function<bool(std::string& name, std::string& bytes)>& edit) {
  archive* r = archive_read_new();
  archive_read_support_filter_zstd(r);
  archive_read_support_format_tar(r);
  ASSERT_EQ(archive_read_open_filename(r, in.c_str(), 1 << 16), ARCHIVE_OK);
  archive* w = archive_write_new();
  archive_write_add_filter_zstd(w);
  archive_write_set_format_pax_restricted(w);
  ASSERT_EQ(archive_write_open_filename(w, out.c_str()), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(e), bytes;
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(r, buf, sizeof buf)) > 0) bytes.append(buf, static_cast<std::size_t>(n));
    if (!edit(name, bytes)) continue;
    archive_entry* o = archive_entry_new();
    archive_entry_set_pathname(o, name.c_str());
    archive_entry_set_size(o, static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_filetype(o, AE_IFREG);
    archive_entry_set_perm(o, 0600);
    archive_write_header(w, o);
    archive_write_data(w, bytes.data(), bytes.size());
    archive_entry_free(o);
  }
  archive_write_close(w);
  archive_write_free(w);
  archive_read_free(r);
}

class BundleTest : public ::testing::Test {
 protected:
  testing::TempDir dir_{"bundle"};
  BundleKey key_ = BundleKey::openOrCreate(dir_ / "bundle.key");
  fs::path file_ = dir_ / "out" / "b.fhb";
  std::map<std::string, std::string> secrets_{{"mastodon-database-password", "pw-1"},
                                              {"mastodon-s3-secret-key", "0123abcd"}};

  void SetUp() override {
    spit(dir_ / "stage/dump.pgc", std::string("PGDMP") + std::string(100000, 'x') + "end");
    spit(dir_ / "stage/index.json", R"([{"key":"a/b.txt","file":"000001","contentType":"text/plain"}])");
    spit(dir_ / "stage/000001", "hello object");
    spit(dir_ / "stage/manifest.json", R"({"key":"dep_x/machine/main"})");
    Manifest m;
    m.createdAt = "2026-12-07T00:00:00Z";
    m.deployment = {{"id", "dep_x"}, {"name", "social"}, {"domain", "social.example.test"}};
    m.resources = json::array{json::object{{"key", "dep_x/database/mastodon"}}};
    auto w = writeBundle(file_, m, secrets_, key_,
                         {{{"parts/database/mastodon/dump.pgc", "database", "mastodon"}, dir_ / "stage/dump.pgc"},
                          {{"parts/bucket/mastodon-media/index.json", "bucket", "mastodon-media"}, dir_ / "stage/index.json"},
                          {{"parts/bucket/mastodon-media/000001", "bucket", "mastodon-media"}, dir_ / "stage/000001"},
                          {{"parts/machine/main/manifest.json", "machine", "main"}, dir_ / "stage/manifest.json"}});
    ASSERT_TRUE(w) << w.error().message;
    EXPECT_EQ(w->size, fs::file_size(file_));
    EXPECT_FALSE(fs::exists(file_.string() + ".partial"));
  }

  /// The part named by the refusal of `file` (fails the test if it is accepted).
  std::string refusedPart(const fs::path& file, const BundleKey& key) {
    auto r = readBundle(file, key);
    EXPECT_FALSE(r) << file << " was accepted";
    if (r) return "";
    EXPECT_EQ(r.error().kind, ErrorKind::Invalid) << r.error().message;
    EXPECT_NE(r.error().message.find(r.error().field), std::string::npos) << "the message names the part";
    return r.error().field;
  }
};

TEST_F(BundleTest, RoundTripKeepsEveryPartAndTheSecrets) {
  auto r = readBundle(file_, key_, dir_ / "extract");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->secrets, secrets_);
  EXPECT_EQ(r->manifest.deployment.at("domain"), "social.example.test");
  EXPECT_EQ(r->manifest.keyId, key_.id());
  ASSERT_EQ(r->manifest.parts.size(), 5u);
  EXPECT_EQ(r->manifest.parts[0].name, kSecretsName);
  EXPECT_EQ(slurp(dir_ / "extract/parts/database/mastodon/dump.pgc"), slurp(dir_ / "stage/dump.pgc"));
  EXPECT_EQ(slurp(dir_ / "extract/parts/bucket/mastodon-media/000001"), "hello object");
  EXPECT_EQ(r->manifest.partsOf("bucket", "mastodon-media").size(), 2u);
  auto m = readManifest(file_);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->parts.size(), 5u);
}

TEST_F(BundleTest, AFlippedByteInEachKindOfPartIsRefusedNamingThePart) {
  for (std::string part : {"manifest.json", "secrets.sealed", "parts/database/mastodon/dump.pgc",
                           "parts/bucket/mastodon-media/index.json", "parts/bucket/mastodon-media/000001",
                           "parts/machine/main/manifest.json"}) {
    auto bad = dir_ / ("flipped-" + std::to_string(std::hash<std::string>{}(part)));
    rewrite(file_, bad, [&](std::string& name, std::string& bytes) {
      if (name == part) {
        // In the manifest, a byte of the domain (the JSON stays valid); elsewhere, the middle byte.
        auto at = name == "manifest.json" ? bytes.find("social.example") : bytes.size() / 2;
        bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
      }
      return true;
    });
    EXPECT_EQ(refusedPart(bad, key_), part);
  }
}

TEST_F(BundleTest, AManifestThatIsNotJsonIsRefusedNamingIt) {
  auto bad = dir_ / "nojson";
  rewrite(file_, bad, [](std::string& name, std::string& bytes) {
    if (name == "manifest.json") bytes[0] = '[';
    return true;
  });
  EXPECT_EQ(refusedPart(bad, key_), "manifest.json");
}

TEST_F(BundleTest, AMissingPartIsRefusedNamingIt) {
  for (std::string part : {"secrets.sealed", "parts/database/mastodon/dump.pgc", "parts/machine/main/manifest.json"}) {
    auto bad = dir_ / ("missing-" + std::to_string(std::hash<std::string>{}(part)));
    rewrite(file_, bad, [&](std::string& name, std::string&) { return name != part; });
    EXPECT_EQ(refusedPart(bad, key_), part);
  }
}

TEST_F(BundleTest, APartTheManifestDoesNotListIsRefusedNamingIt) {
  auto same = dir_ / "same";
  rewrite(file_, same, [](std::string&, std::string&) { return true; });
  EXPECT_TRUE(readBundle(same, key_)) << "a faithful rewrite still verifies";
  auto bad = dir_ / "renamed";
  rewrite(file_, bad, [](std::string& name, std::string&) {
    if (name == "parts/machine/main/manifest.json") name = "parts/machine/main/other.json";
    return true;
  });
  EXPECT_EQ(refusedPart(bad, key_), "parts/machine/main/other.json");
}

TEST_F(BundleTest, ATruncatedFileIsRefusedAtEveryLength) {
  const auto whole = slurp(file_);
  for (std::size_t len : {std::size_t{0}, std::size_t{10}, whole.size() / 4, whole.size() / 2, whole.size() - 200,
                          whole.size() - 1}) {
    auto bad = dir_ / ("cut-" + std::to_string(len));
    spit(bad, whole.substr(0, len));
    auto part = refusedPart(bad, key_);
    EXPECT_FALSE(part.empty()) << "cut at " << len << " bytes: the refusal names a part";
  }
}

TEST_F(BundleTest, AFlippedByteOfTheCompressedFileIsRefused) {
  const auto whole = slurp(file_);
  for (std::size_t at : {whole.size() / 3, whole.size() / 2, whole.size() * 3 / 4}) {
    auto copy = whole;
    copy[at] = static_cast<char>(copy[at] ^ 0x40);
    auto bad = dir_ / ("zflip-" + std::to_string(at));
    spit(bad, copy);
    auto part = refusedPart(bad, key_);
    EXPECT_FALSE(part.empty()) << "flipped at byte " << at << ": the refusal names a part";
  }
}

TEST_F(BundleTest, AWrongKeyIsRefusedNamingTheSecretsPart) {
  auto other = BundleKey::openOrCreate(dir_ / "other.key");
  EXPECT_EQ(refusedPart(file_, other), "secrets.sealed");
}

TEST_F(BundleTest, TheKeyExportsAndImports) {
  auto text = key_.exportText();
  EXPECT_TRUE(text.starts_with("fhbk1:"));
  auto back = BundleKey::fromExport(text + "\n");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->id(), key_.id());
  EXPECT_TRUE(readBundle(file_, *back));
  ASSERT_TRUE(back->save(dir_ / "imported.key"));
  EXPECT_EQ(fs::status(dir_ / "imported.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(BundleKey::openOrCreate(dir_ / "imported.key").id(), key_.id());
  EXPECT_FALSE(back->save(dir_ / "imported.key")) << "an existing key file is never overwritten";
  EXPECT_FALSE(BundleKey::fromExport("fhbk1:AAAA"));
  EXPECT_FALSE(BundleKey::fromExport("nonsense"));
}

TEST_F(BundleTest, AnUnsafePartNameIsRefusedByTheWriter) {
  auto w = writeBundle(dir_ / "unsafe.fhb", Manifest{}, {}, key_, {{{"parts/../../etc/x", "file", "x"}, dir_ / "stage/000001"}});
  EXPECT_FALSE(w);
  EXPECT_FALSE(fs::exists(dir_ / "unsafe.fhb"));
}

}  // namespace
}  // namespace fedihost::bundle
