// The shared file logic: atomic writes, pruning, names, locks.
#include "providers/file/file_store.hh"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_support.hh"

namespace fedihost::providers::file {
namespace {

using providers::testing::slurp;

class FileStoreTest : public providers::testing::TempRootTest {};

TEST_F(FileStoreTest, WriteReplacesAtomicallyAndCreatesDirectories) {
  FileStore store(config());
  auto path = root_ / "dep_x/a/b/file.json";
  auto w = store.write(path, "one\n");
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_TRUE(*w);
  EXPECT_EQ(slurp(path), "one\n");
  ASSERT_TRUE(store.write(path, "two\n").ok());
  EXPECT_EQ(slurp(path), "two\n");
  EXPECT_EQ(filesUnder(root_), std::vector<std::string>{"dep_x/a/b/file.json"}) << "no temporary file left";
}

TEST_F(FileStoreTest, WriteIfAbsentNeverReplaces) {
  FileStore store(config());
  auto path = root_ / "dep_x/file.json";
  EXPECT_TRUE(*store.write(path, "first", WriteMode::IfAbsent));
  auto again = store.write(path, "second", WriteMode::IfAbsent);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(slurp(path), "first");
  EXPECT_EQ(filesUnder(root_).size(), 1u);
}

TEST_F(FileStoreTest, PruneStopsAtTheDeploymentDirectoryAndAtNonEmptyOnes) {
  FileStore store(config());
  fs::create_directories(root_ / "dep_x/a/b/c");
  fs::create_directories(root_ / "dep_x/keep");
  store.prune(root_ / "dep_x/a/b/c", root_ / "dep_x");
  EXPECT_FALSE(fs::exists(root_ / "dep_x/a"));
  EXPECT_TRUE(fs::exists(root_ / "dep_x/keep"));
  fs::remove(root_ / "dep_x/keep");
  store.prune(root_ / "dep_x", root_ / "dep_x");
  EXPECT_FALSE(fs::exists(root_ / "dep_x"));
  EXPECT_TRUE(fs::exists(root_));
  fs::create_directories(root_ / "outside");
  store.prune(root_ / "outside", root_ / "dep_x");
  EXPECT_TRUE(fs::exists(root_ / "outside")) << "never above or beside the deployment directory";
}

TEST_F(FileStoreTest, PruningEverythingEmptyUnderADeploymentKeepsWhatHoldsFiles) {
  // What a remove killed after deleting its file but before pruning leaves: empty directories.
  FileStore store(config());
  fs::create_directories(root_ / "dep_x/buckets/media");
  fs::create_directories(root_ / "dep_x/databases");
  ASSERT_TRUE(store.write(root_ / "dep_x/keep/file", "x").ok());
  store.pruneEmptyUnder(root_ / "dep_x");
  EXPECT_FALSE(fs::exists(root_ / "dep_x/buckets"));
  EXPECT_FALSE(fs::exists(root_ / "dep_x/databases"));
  EXPECT_EQ(slurp(root_ / "dep_x/keep/file"), "x");
  ASSERT_TRUE(store.removeFile(root_ / "dep_x/keep/file").ok());
  store.pruneEmptyUnder(root_ / "dep_x");
  EXPECT_FALSE(fs::exists(root_ / "dep_x"));
  EXPECT_TRUE(fs::exists(root_));
}

TEST_F(FileStoreTest, ConcurrentWritesAndPrunesNeverLoseAWrite) {
  // One thread keeps removing its file and pruning; the other keeps writing in a sibling directory.
  FileStore store(config());
  std::atomic<bool> stop{false};
  std::thread pruner([&] {
    while (!stop) {
      (void)store.write(root_ / "dep_x/p/file", "x");
      (void)store.removeFile(root_ / "dep_x/p/file");
      store.prune(root_ / "dep_x/p", root_ / "dep_x");
    }
  });
  int failures = 0;
  for (int i = 0; i < 300 && failures == 0; ++i) {
    auto path = root_ / "dep_x/w/file";
    auto w = store.write(path, std::to_string(i));
    if (!w.ok()) ADD_FAILURE() << w.error().message;
    if (!w.ok() || slurp(path) != std::to_string(i)) ++failures;
    if (!store.removeFile(path).ok()) ++failures;
    store.prune(path.parent_path(), root_ / "dep_x");
  }
  stop = true;
  pruner.join();
  EXPECT_EQ(failures, 0);
}

TEST_F(FileStoreTest, ComponentsAreChecked) {
  EXPECT_TRUE(FileStore::checkComponent("f", "mastodon@social.example.test").ok());
  EXPECT_TRUE(FileStore::checkComponent("f", "dep_7k2m9x4q1c8v5b3n").ok());
  for (std::string bad : std::vector<std::string>{"", ".", "..", ".hidden", "a/b", "a\\b", "a\nb", std::string(201, 'x')}) {
    auto r = FileStore::checkComponent("field", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
    EXPECT_EQ(r.error().field, "field");
  }
}

TEST_F(FileStoreTest, CorruptJsonIsAnInternalError) {
  FileStore store(config());
  ASSERT_TRUE(store.write(root_ / "x.json", "{not json").ok());
  auto r = store.readJson(root_ / "x.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Internal);
  auto absent = store.readJson(root_ / "absent.json");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
}

TEST_F(FileStoreTest, LockExcludesOtherHolders) {
  FileStore store(config());
  int inside = 0, maxInside = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto lock = store.lock("test");
        maxInside = std::max(maxInside, ++inside);
        std::this_thread::yield();
        --inside;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(maxInside, 1);
  EXPECT_TRUE(fs::exists(root_ / ".test.lock"));
}

}  // namespace
}  // namespace fedihost::providers::file
