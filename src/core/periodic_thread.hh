#pragma once
// A thread that does one round of some work at start and then at intervals until
// stopped (the month closer, the storage sampler). A round that throws is counted
// and logged, and the next round tries again.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace fedihost {

class PeriodicThread {
 public:
  /// `what` names the work in the log ("closing months"); `round` runs on the thread.
  PeriodicThread(std::string what, std::chrono::seconds interval, std::function<void()> round);
  ~PeriodicThread();
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  /// Starts the thread (a round at once, then every interval); a second start does nothing.
  void start();
  /// Wakes the thread and waits for it to end (after the round in progress).
  void stop();
  /// Rounds done since start, and rounds that threw.
  int rounds() const { return rounds_.load(); }
  int failures() const { return failures_.load(); }

 private:
  void loop();

  std::string what_;
  std::chrono::seconds interval_;
  std::function<void()> round_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<int> rounds_{0};
  std::atomic<int> failures_{0};
};

}  // namespace fedihost
