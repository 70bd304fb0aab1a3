// Backup schedules and retention (bundle/schedule.hh): "HH:MM" parsing, next due
// times, ISO weeks, and the grandfather-father-son selection on known timestamps,
// across an hour, a day, a month and an ISO week boundary (2026 has a week 53).
#include "bundle/schedule.hh"

#include <gtest/gtest.h>

#include <chrono>

namespace fedihost::bundle {
namespace {

/// Seconds since the epoch of a UTC date and time.
Seconds t(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  using namespace std::chrono;
  return sys_days(year(y) / month(mo) / day(d)).time_since_epoch().count() * 86400 + h * 3600 + mi * 60;
}

std::vector<std::string> ids(std::initializer_list<const char*> l) { return {l.begin(), l.end()}; }

TEST(ScheduleTest, DailyAtIsHHMMInUtc) {
  EXPECT_EQ(parseDailyAt("00:00", "dailyAt").value(), 0);
  EXPECT_EQ(parseDailyAt("03:30", "dailyAt").value(), 210);
  EXPECT_EQ(parseDailyAt("23:59", "dailyAt").value(), 23 * 60 + 59);
  for (const char* bad : {"24:00", "3:30", "03:60", "0330", "", "03:30Z", "ab:cd", "-1:00"}) {
    auto r = parseDailyAt(bad, "dailyAt");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "dailyAt");
    EXPECT_NE(r.error().message.find("HH:MM"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(formatDailyAt(210), "03:30");
  EXPECT_EQ(formatDailyAt(0), "00:00");
}

TEST(ScheduleTest, EveryNHoursIsAlignedToMultiplesOfNHoursAndStrictlyAfter) {
  Cadence six{6, -1};
  EXPECT_EQ(nextDue(six, t(2027, 3, 10, 5, 59)), t(2027, 3, 10, 6));
  EXPECT_EQ(nextDue(six, t(2027, 3, 10, 6)), t(2027, 3, 10, 12)) << "a due time is strictly after";
  EXPECT_EQ(nextDue(six, t(2027, 3, 10, 23, 1)), t(2027, 3, 11, 0));
  Cadence one{1, -1};
  EXPECT_EQ(nextDue(one, t(2026, 12, 31, 23, 30)), t(2027, 1, 1, 0));
  Cadence week{168, -1};
  // 168-hour steps since 1970-01-01 (a Thursday) fall on Thursdays at 00:00.
  EXPECT_EQ(nextDue(week, t(2027, 1, 4, 12)), t(2027, 1, 7, 0));
  EXPECT_EQ(describe(six), "every 6 hours");
  EXPECT_EQ(describe(one), "every hour");
}

TEST(ScheduleTest, DailyAtIsTheNextSuchMinuteStrictlyAfter) {
  Cadence c{0, 3 * 60 + 30};
  EXPECT_EQ(nextDue(c, t(2027, 3, 10, 3, 29)), t(2027, 3, 10, 3, 30));
  EXPECT_EQ(nextDue(c, t(2027, 3, 10, 3, 30)), t(2027, 3, 11, 3, 30));
  EXPECT_EQ(nextDue(c, t(2027, 2, 28, 4)), t(2027, 3, 1, 3, 30)) << "across the end of February";
  EXPECT_EQ(nextDue(Cadence{0, 10}, t(2026, 12, 31, 23, 30)), t(2027, 1, 1, 0, 10)) << "across the year";
  EXPECT_EQ(describe(c), "daily at 03:30 UTC");
}

TEST(ScheduleTest, IsoWeeksAroundTheTurnOfTheYear) {
  EXPECT_EQ(isoWeek(t(2026, 12, 28)), 202653);        // Monday of 2026-W53
  EXPECT_EQ(isoWeek(t(2026, 12, 31, 23, 30)), 202653);
  EXPECT_EQ(isoWeek(t(2027, 1, 3, 12)), 202653);       // a Sunday: still 2026's last week
  EXPECT_EQ(isoWeek(t(2027, 1, 4)), 202701);           // Monday of 2027-W01
  EXPECT_EQ(isoWeek(t(2020, 12, 31, 12)), 202053);
  EXPECT_EQ(isoWeek(t(2021, 1, 4, 12)), 202101);
  EXPECT_EQ(isoWeek(t(2024, 12, 30)), 202501);         // a Monday in December, in 2025's first week
}

TEST(RetentionTest, HourlyKeepsTheNewestOfEachOfTheNewestHours) {
  auto d = selectRetention({{"a", t(2027, 5, 1, 10, 5)},
                            {"b", t(2027, 5, 1, 10, 40)},
                            {"c", t(2027, 5, 1, 11, 10)},
                            {"d", t(2027, 5, 1, 12, 0)},
                            {"e", t(2027, 5, 1, 12, 30)}},
                           {2, 0, 0, 0});
  EXPECT_EQ(d.keep, ids({"e", "c"}));
  EXPECT_EQ(d.remove, ids({"d", "b", "a"}));
}

TEST(RetentionTest, MonthlyAcrossAMonthBoundary) {
  // Two minutes apart, but in two months: each is its month's newest.
  auto d = selectRetention({{"jan30", t(2027, 1, 30, 12)},
                            {"jan31", t(2027, 1, 31, 23, 59)},
                            {"feb1", t(2027, 2, 1, 0, 1)}},
                           {0, 0, 0, 2});
  EXPECT_EQ(d.keep, ids({"feb1", "jan31"}));
  EXPECT_EQ(d.remove, ids({"jan30"}));
}

TEST(RetentionTest, WeeklyFollowsIsoWeeksNotMonthsOrYears) {
  std::vector<RetentionCandidate> cs{{"dec31", t(2026, 12, 31, 23, 30)},   // 2026-W53, December
                                     {"jan3", t(2027, 1, 3, 12)},          // 2026-W53, January
                                     {"jan4", t(2027, 1, 4, 0)}};          // 2027-W01
  auto weekly = selectRetention(cs, {0, 0, 2, 0});
  EXPECT_EQ(weekly.keep, ids({"jan4", "jan3"})) << "Dec 31 and Jan 3 share week 53: the newer one is kept";
  EXPECT_EQ(weekly.remove, ids({"dec31"}));
  auto monthly = selectRetention(cs, {0, 0, 0, 2});
  EXPECT_EQ(monthly.keep, ids({"jan4", "dec31"}));
  EXPECT_EQ(monthly.remove, ids({"jan3"}));
}

TEST(RetentionTest, KindsTogetherKeepTheUnionAndOlderPeriodsReachBack) {
  // Daily backups at 02:00 from 2027-03-01 to 2027-03-20 (Monday 2027-03-15 starts W11).
  std::vector<RetentionCandidate> cs;
  for (unsigned day = 1; day <= 20; ++day) cs.push_back({"d" + std::to_string(day), t(2027, 3, day, 2)});
  auto d = selectRetention(cs, {0, 3, 2, 1});
  // Daily: 20, 19, 18. Weekly: W11 → 20, W10 → 14 (Sunday). Monthly: March → 20.
  EXPECT_EQ(d.keep, ids({"d20", "d19", "d18", "d14"}));
  EXPECT_EQ(d.remove.size(), 16u);
}

TEST(RetentionTest, FewerPeriodsThanTheCountKeepsThemAllAndTheNewestIsAlwaysKept) {
  auto few = selectRetention({{"x", t(2027, 1, 1, 1)}, {"y", t(2027, 1, 2, 1)}}, {0, 7, 0, 0});
  EXPECT_EQ(few.keep, ids({"y", "x"}));
  EXPECT_TRUE(few.remove.empty());
  auto none = selectRetention({{"x", t(2027, 1, 1, 1)}, {"y", t(2027, 1, 2, 1)}}, {0, 0, 0, 0});
  EXPECT_EQ(none.keep, ids({"y"}));
  EXPECT_TRUE(selectRetention({}, {1, 1, 1, 1}).keep.empty());
}

TEST(RetentionTest, OrderOfInputDoesNotMatterAndEqualTimesAreOrderedById) {
  auto a = selectRetention({{"p", t(2027, 1, 1, 1)}, {"q", t(2027, 1, 1, 1)}, {"r", t(2026, 12, 31, 1)}}, {0, 1, 0, 0});
  auto b = selectRetention({{"r", t(2026, 12, 31, 1)}, {"q", t(2027, 1, 1, 1)}, {"p", t(2027, 1, 1, 1)}}, {0, 1, 0, 0});
  EXPECT_EQ(a.keep, b.keep);
  EXPECT_EQ(a.remove, b.remove);
  EXPECT_EQ(a.keep, ids({"q"}));
  EXPECT_EQ(a.remove, ids({"p", "r"}));
}

}  // namespace
}  // namespace fedihost::bundle
