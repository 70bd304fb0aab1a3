#pragma once
// Closes ended months on its own: a thread that, at start and then at intervals,
// stores the statement of every ended month of every organisation with a price
// plan (back to the organisation's creation), so that a month is closed even if
// nobody asks for its statement. Storing is idempotent (the first stored
// statement wins), so several servers may run one each.
#include <atomic>
#include <chrono>
#include <string>

#include "core/periodic_thread.hh"

namespace fedihost::accounting {

struct MonthCloserConfig {
  std::string stateUrl;       ///< its own connections (the thread's)
  std::string accountingUrl;
  std::chrono::seconds interval{3600};
};

class MonthCloser {
 public:
  explicit MonthCloser(MonthCloserConfig config);
  MonthCloser(const MonthCloser&) = delete;
  MonthCloser& operator=(const MonthCloser&) = delete;

  /// Starts the thread (it closes what is due at once, then every interval).
  void start() { thread_.start(); }
  void stop() { thread_.stop(); }
  /// Closes every due month now, on the calling thread; returns the statements stored.
  /// Throws if a database fails (the next round tries again).
  int closeNow();
  /// Statements stored by the thread since start, and rounds that failed.
  int closed() const { return closed_.load(); }
  int failures() const { return thread_.failures(); }

 private:
  MonthCloserConfig config_;
  std::atomic<int> closed_{0};
  PeriodicThread thread_;  // last: stopped (joined) before the members its rounds use go
};

}  // namespace fedihost::accounting
