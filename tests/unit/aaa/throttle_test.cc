#include "aaa/throttle.hh"

#include <gtest/gtest.h>

namespace fedihost::aaa {
namespace {

using namespace std::chrono_literals;
using Clock = Throttle::Clock;

TEST(Throttle, WaitsDoubleAfterTheFreeFailuresPerAccountUpToAShortCap) {
  Throttle t({10, 900s, 5, 60s, 3600s, 1000});
  auto now = Clock::now();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(t.waitSeconds("198.51.100.1", "her", now), 0);
    t.failed("198.51.100.1", "her", now);
  }
  EXPECT_EQ(t.waitSeconds("198.51.100.2", "her", now), 0);  // the 5th failure is still free
  t.failed("198.51.100.2", "her", now);
  EXPECT_EQ(t.waitSeconds("198.51.100.3", "her", now), 1);  // then 1 s, from any address
  for (int i = 0; i < 20; ++i) t.failed("198.51.100.4", "her", now);
  EXPECT_EQ(t.waitSeconds("198.51.100.9", "her", now), 60);  // never more than the cap: no lock-out
  EXPECT_EQ(t.waitSeconds("198.51.100.9", "her", now + 61s), 0);
  EXPECT_EQ(t.waitSeconds("198.51.100.9", "someone else", now), 0);
}

TEST(Throttle, AnAddressIsThrottledOnItsOwnAndOthersAreNot) {
  Throttle t({10, 900s, 5, 60s, 3600s, 1000});
  auto now = Clock::now();
  for (int i = 0; i < 14; ++i) t.failed("203.0.113.7", "user" + std::to_string(i), now);  // one failure per account
  EXPECT_EQ(t.waitSeconds("203.0.113.7", "fresh", now), 8);  // 4 failures over the free 10: 1, 2, 4, 8 s
  EXPECT_EQ(t.waitSeconds("203.0.113.8", "fresh", now), 0);
  t.succeeded("203.0.113.7", "fresh");
  EXPECT_EQ(t.waitSeconds("203.0.113.7", "fresh", now), 0);
}

TEST(Throttle, FailuresAreForgottenAfterAQuietHourAndMemoryIsBounded) {
  Throttle t({10, 900s, 5, 60s, 3600s, 100});
  auto now = Clock::now();
  for (int i = 0; i < 7; ++i) t.failed("192.0.2.1", "her", now);
  EXPECT_GT(t.waitSeconds("192.0.2.1", "her", now), 0);
  t.failed("192.0.2.1", "her", now + 2h);  // a failure after a quiet hour counts from one again
  EXPECT_EQ(t.waitSeconds("192.0.2.1", "her", now + 2h), 0);
  for (int i = 0; i < 1000; ++i) t.failed("192.0.2." + std::to_string(i), "u" + std::to_string(i), now + 3h);
  EXPECT_EQ(t.waitSeconds("192.0.2.1", "her", now + 2h), 0);  // still answers; old keys were dropped
}

}  // namespace
}  // namespace fedihost::aaa
