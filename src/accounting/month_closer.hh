#pragma once
// Closes ended months on its own: a thread that, at start and then at intervals,
// stores the statement of every ended month of every organisation with a price
// plan (back to the organisation's creation), so that a month is closed even if
// nobody asks for its statement. Storing is idempotent (the first stored
// statement wins), so several servers may run one each.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace fedihost::accounting {

struct MonthCloserConfig {
  std::string stateUrl;       ///< its own connections (the thread's)
  std::string accountingUrl;
  std::chrono::seconds interval{3600};
};

class MonthCloser {
 public:
  explicit MonthCloser(MonthCloserConfig config);
  ~MonthCloser();
  MonthCloser(const MonthCloser&) = delete;
  MonthCloser& operator=(const MonthCloser&) = delete;

  /// Starts the thread (it closes what is due at once, then every interval).
  void start();
  void stop();
  /// Closes every due month now, on the calling thread; returns the statements stored.
  /// Throws if a database fails (the next round tries again).
  int closeNow();
  /// Statements stored by the thread since start, and rounds that failed.
  int closed() const { return closed_.load(); }
  int failures() const { return failures_.load(); }

 private:
  void loop();

  MonthCloserConfig config_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<int> closed_{0};
  std::atomic<int> failures_{0};
};

}  // namespace fedihost::accounting
