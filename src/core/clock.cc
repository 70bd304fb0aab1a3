#include "core/clock.hh"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace fedihost::clock {

std::string nowRfc3339() { return rfc3339(std::chrono::system_clock::now()); }

std::string fromNowRfc3339(std::chrono::seconds d) { return rfc3339(std::chrono::system_clock::now() + d); }

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
