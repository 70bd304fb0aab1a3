// The executor's group commit (orchestrator/journal_writer.hh): changes queued while a group
// commits go together into the next transaction; a failing change is undone alone and its
// caller gets the exception; nothing is reported committed before it is.
#include "orchestrator/journal_writer.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/migrations.hh"
#include "support/temp_dir.hh"

namespace fedihost::orchestrator {
namespace {

class JournalWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = store::connect(url_);
    store::migrate(*conn_, store::DatabaseKind::State);
    conn_->execute("CREATE TABLE probe (n INTEGER PRIMARY KEY)");
  }
  std::int64_t count() { return conn_->queryOne("SELECT count(*) FROM probe")->integer(0); }
  static void insert(store::StateStore& st, int n) {
    st.connection().execute("INSERT INTO probe (n) VALUES (?1)", {std::int64_t{n}});
  }

  testing::TempDir dir_;
  std::string url_ = "sqlite:" + (dir_ / "state.db").string();
  std::unique_ptr<store::Connection> conn_;
};

TEST_F(JournalWriterTest, ChangesQueuedWhileAGroupCommitsShareTheNextTransaction) {
  JournalWriter writer(url_);
  std::atomic<bool> inside{false}, release{false};
  // The first change holds the writer inside its transaction until eight more are queued.
  std::thread first([&] {
    writer.commit([&](store::StateStore& st) {
      insert(st, 0);
      inside = true;
      while (!release) std::this_thread::yield();
    });
  });
  while (!inside) std::this_thread::yield();
  std::vector<std::thread> others;
  for (int i = 1; i <= 8; ++i) others.emplace_back([&, i] { writer.commit([i](store::StateStore& st) { insert(st, i); }); });
  while (writer.queued() < 8) std::this_thread::yield();
  EXPECT_EQ(count(), 0) << "nothing is visible before its group commits";
  release = true;
  first.join();
  for (auto& t : others) t.join();
  EXPECT_EQ(count(), 9);
  EXPECT_EQ(writer.changes(), 9u);
  EXPECT_EQ(writer.groups(), 2u) << "the eight waiting changes went into one transaction";
}

TEST_F(JournalWriterTest, AFailingChangeIsUndoneAloneAndItsCallerGetsTheError) {
  JournalWriter writer(url_);
  std::atomic<bool> inside{false}, release{false};
  std::thread first([&] {
    writer.commit([&](store::StateStore& st) {
      insert(st, 1);
      inside = true;
      while (!release) std::this_thread::yield();
    });
  });
  while (!inside) std::this_thread::yield();
  std::exception_ptr failed;
  std::thread bad([&] {
    try {
      writer.commit([](store::StateStore& st) {
        insert(st, 2);
        throw std::runtime_error("refused by the test");
      });
    } catch (...) {
      failed = std::current_exception();
    }
  });
  std::exception_ptr duplicate;
  std::thread dup([&] {
    try {
      writer.commit([](store::StateStore& st) { insert(st, 1); });  // the primary key of the first: a constraint error
    } catch (...) {
      duplicate = std::current_exception();
    }
  });
  std::thread good([&] { writer.commit([](store::StateStore& st) { insert(st, 3); }); });
  while (writer.queued() < 3) std::this_thread::yield();
  release = true;
  for (auto* t : {&first, &bad, &dup, &good}) t->join();

  ASSERT_TRUE(failed);
  EXPECT_THROW(std::rethrow_exception(failed), std::runtime_error);
  ASSERT_TRUE(duplicate);
  EXPECT_THROW(std::rethrow_exception(duplicate), store::ConstraintError);
  EXPECT_EQ(count(), 2) << "1 and 3 committed; 2 was undone";
  EXPECT_EQ(writer.groups(), 2u) << "the three waiting changes were one group";
  EXPECT_FALSE(conn_->queryOne("SELECT 1 FROM probe WHERE n = 2").has_value());
}

TEST_F(JournalWriterTest, ADatabaseThatCannotBeOpenedFailsEveryCommit) {
  JournalWriter writer("sqlite:" + (dir_ / "no-such-dir" / "state.db").string());
  EXPECT_THROW(writer.commit([](store::StateStore&) {}), store::DatabaseError);
}

}  // namespace
}  // namespace fedihost::orchestrator
