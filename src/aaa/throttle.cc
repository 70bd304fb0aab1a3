#include "aaa/throttle.hh"

#include <algorithm>
#include <vector>

namespace fedihost::aaa {

int Throttle::waitOf(const std::string& key, Clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.until <= now) return 0;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.until - now).count();
  return static_cast<int>((left + 999) / 1000);
}

int Throttle::waitSeconds(const std::string& address, const std::string& account, Clock::time_point now) {
  std::lock_guard lock(mu_);
  return std::max(waitOf("a:" + address, now), waitOf("u:" + account, now));
}

void Throttle::fail(const std::string& key, int freeFailures, std::chrono::seconds cap, Clock::time_point now) {
  auto& e = entries_[key];
  if (e.failures > 0 && now - e.last > policy_.forgetAfter) e = {};
  ++e.failures;
  e.last = now;
  int over = e.failures - freeFailures;
  if (over > 0) {
    auto wait = std::chrono::seconds(1LL << std::min(over - 1, 30));
    e.until = now + std::min<std::chrono::seconds>(wait, cap);
  }
}

void Throttle::failed(const std::string& address, const std::string& account, Clock::time_point now) {
  std::lock_guard lock(mu_);
  fail("a:" + address, policy_.freeFailuresPerAddress, policy_.maxAddressWait, now);
  fail("u:" + account, policy_.freeFailuresPerAccount, policy_.maxAccountWait, now);
  if (entries_.size() > policy_.maxKeys) prune(now);
}

void Throttle::succeeded(const std::string& address, const std::string& account) {
  std::lock_guard lock(mu_);
  entries_.erase("u:" + account);
  entries_.erase("a:" + address);
}

void Throttle::prune(Clock::time_point now) {
  // First what is forgotten anyway; then the least recently failed, down to 90 % of the bound.
  std::erase_if(entries_, [&](auto& kv) { return now - kv.second.last > policy_.forgetAfter && kv.second.until <= now; });
  if (entries_.size() <= policy_.maxKeys) return;
  std::vector<std::pair<Clock::time_point, std::string>> byAge;
  byAge.reserve(entries_.size());
  for (auto& [k, e] : entries_) byAge.emplace_back(e.last, k);
  auto drop = entries_.size() - policy_.maxKeys * 9 / 10;
  std::nth_element(byAge.begin(), byAge.begin() + static_cast<std::ptrdiff_t>(drop), byAge.end());
  for (std::size_t i = 0; i < drop; ++i) entries_.erase(byAge[i].second);
}

}  // namespace fedihost::aaa
