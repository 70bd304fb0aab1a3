#pragma once
// Throttling of failed logins, per client address first and per account with a
// short cap, so that guessing is slow but nobody can lock a real user out for long.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace fedihost::aaa {

struct ThrottlePolicy {
  int freeFailuresPerAddress = 10;  ///< failures from one address before waiting starts
  std::chrono::seconds maxAddressWait{15 * 60};
  int freeFailuresPerAccount = 5;   ///< failures on one account (from anywhere) before waiting starts
  std::chrono::seconds maxAccountWait{60};  ///< short: an attacker cannot lock the owner out for long
  std::chrono::seconds forgetAfter{60 * 60};  ///< a key with no failure for this long starts afresh
  std::size_t maxKeys = 100000;     ///< memory bound: the oldest keys are dropped beyond it
};

/// Counts failures by key and says how long a key must wait. Thread-safe.
/// The wait doubles with each failure past the free ones: 1 s, 2 s, 4 s… up to the cap.
class Throttle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Throttle(ThrottlePolicy policy = {}) : policy_(policy) {}

  /// Seconds the address or the account must still wait (0: go ahead). Cheap: call before hashing.
  int waitSeconds(const std::string& address, const std::string& account, Clock::time_point now = Clock::now());
  /// Records a failed attempt for both keys.
  void failed(const std::string& address, const std::string& account, Clock::time_point now = Clock::now());
  /// Forgets the account's failures (and the address's) after a successful login.
  void succeeded(const std::string& address, const std::string& account);

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last;
    Clock::time_point until;  ///< no attempt before this
  };
  int waitOf(const std::string& key, Clock::time_point now);
  void fail(const std::string& key, int freeFailures, std::chrono::seconds cap, Clock::time_point now);
  void prune(Clock::time_point now);

  ThrottlePolicy policy_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace fedihost::aaa
