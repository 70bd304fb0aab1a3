#pragma once
// Group commit of the executor's journal.
//  - One thread with its own state connection owns every transaction it opens; the step
//    threads hand it their changes (`commit`) and wait.
//  - Everything queued while the previous group committed goes into the next group: one
//    write transaction (one BEGIN IMMEDIATE / one advisory lock, one WAL append) for
//    many steps, instead of one each.
//  - A change that throws makes the group roll back; each of its changes is then committed
//    again in a transaction of its own, so only the failing one is refused (its exception
//    rethrown to its caller) and the others still commit. A change must therefore be a pure
//    function of the database (it may run twice, the first time rolled back).
//  - `commit` returns only once the group's transaction has committed, so a step is
//    reported succeeded only when its journal entry is durable, exactly as when the step
//    committed its own transaction: a crash before that loses the whole group, none of
//    whose steps had been reported, and they run again from the journal.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/sql.hh"
#include "store/state_store.hh"

namespace fedihost::orchestrator {

class JournalWriter {
 public:
  using Change = std::function<void(store::StateStore&)>;

  /// Opens its connection to `stateUrl` on its own thread; at most `maxGroup` changes per transaction.
  explicit JournalWriter(std::string stateUrl, std::size_t maxGroup = 64);
  /// Commits what is queued, then joins the thread.
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  /// Runs `change` inside the next group's transaction and blocks until that transaction
  /// committed. Rethrows what `change` threw, or the DatabaseError of its commit; then nothing
  /// of it was committed.
  void commit(Change change);

  /// Groups committed so far, and changes in them (tests and benchmarks).
  std::size_t groups() const;
  std::size_t changes() const;
  /// Changes waiting for the next group (tests).
  std::size_t queued() const;

 private:
  struct Pending;
  void loop();
  void commitGroup(store::Connection& c, store::StateStore& state, std::deque<std::shared_ptr<Pending>>& group);

  const std::string stateUrl_;
  const std::size_t maxGroup_;
  mutable std::mutex mu_;
  std::condition_variable cv_;    ///< the writer waits for work
  std::condition_variable done_;  ///< callers wait for their group
  std::deque<std::shared_ptr<Pending>> queue_;
  std::exception_ptr openFailed_;  ///< the connection could not be opened: every commit rethrows it
  bool stopping_ = false;
  std::size_t groups_ = 0, changes_ = 0;
  std::thread thread_;
};

}  // namespace fedihost::orchestrator
