#include "core/clock.hh"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <ctime>

namespace fedihost::clock {

namespace {
std::atomic<std::int64_t> fakeNowNs{0};  // 0: the system clock
}

std::chrono::system_clock::time_point now() {
  auto ns = fakeNowNs.load(std::memory_order_relaxed);
  if (ns == 0) return std::chrono::system_clock::now();
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns)));
}

void setNowForTesting(std::chrono::system_clock::time_point t) {
  fakeNowNs.store(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count(),
                  std::memory_order_relaxed);
}

std::string nowRfc3339() { return rfc3339(now()); }

std::string fromNowRfc3339(std::chrono::seconds d) { return rfc3339(now() + d); }

std::string rfc3339(std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

}  // namespace fedihost::clock
