#include "accounting/usage.hh"

#include <gtest/gtest.h>

namespace fedihost::accounting {
namespace {

Seconds at(const char* t) { return parseTime(t).value(); }

const Quantities kSmall{{"machine", 1}, {"vcpu", 2}, {"ram_mib", 4096}, {"disk_gib", 40}};
const Quantities kLarge{{"machine", 1}, {"vcpu", 4}, {"ram_mib", 8192}, {"disk_gib", 80}};

TEST(Time, ParsesAndFormatsRfc3339InUtc) {
  EXPECT_EQ(at("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(at("2027-03-28T01:00:00Z"), 1806195600);
  EXPECT_EQ(at("2027-03-28T03:00:00+02:00"), at("2027-03-28T01:00:00Z"));
  EXPECT_EQ(at("2027-03-28T00:30:00-00:30"), at("2027-03-28T01:00:00Z"));
  EXPECT_EQ(at("2027-03-28T01:00:00.999Z"), at("2027-03-28T01:00:00Z"));  // fractions are dropped
  EXPECT_EQ(formatTime(at("2028-02-29T23:59:59Z")), "2028-02-29T23:59:59Z");
  for (auto bad : {"2027-02-29T00:00:00Z", "2027-03-28 01:00:00Z", "2027-03-28T01:00:00", "2027-13-01T00:00:00Z",
                   "2027-03-28T24:00:00Z", "2027-03-28T01:00:00+2:00", "yesterday", "", "2027-03-28T01:00:00Zjunk"})
    EXPECT_FALSE(parseTime(bad)) << bad;
  EXPECT_EQ(parseMonth("2027-03"), at("2027-03-01T00:00:00Z"));
  EXPECT_FALSE(parseMonth("2027-3"));
  EXPECT_FALSE(parseMonth("2027-00"));
  EXPECT_FALSE(parseMonth("2027-03-01"));
  EXPECT_EQ(nextMonth(at("2027-12-15T10:00:00Z")), at("2028-01-01T00:00:00Z"));
  EXPECT_EQ(monthStart(at("2028-02-29T10:00:00Z")), at("2028-02-01T00:00:00Z"));
  EXPECT_EQ(formatMonth(at("2027-10-31T23:59:59Z")), "2027-10");
}

TEST(Periods, AreUtcBoundariesCutToTheRange) {
  auto p = periodsOf(at("2027-01-31T12:00:00Z"), at("2027-03-02T00:00:00Z"), Step::Month).value();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(formatTime(p[0].start), "2027-01-31T12:00:00Z");
  EXPECT_EQ(formatTime(p[1].start), "2027-02-01T00:00:00Z");
  EXPECT_EQ(formatTime(p[2].start), "2027-03-01T00:00:00Z");
  EXPECT_EQ(formatTime(p[2].end), "2027-03-02T00:00:00Z");
  EXPECT_EQ(periodsOf(at("2027-01-01T00:00:00Z"), at("2027-01-02T00:00:00Z"), Step::Hour).value().size(), 24u);
  EXPECT_FALSE(periodsOf(at("2020-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), Step::Hour));  // too many
}

// Europe's daylight-saving changes in 2027 fall on 28 March and 31 October at 01:00 UTC:
// in UTC every one of those days is 24 hours long.
TEST(Usage, DaysAroundDaylightSavingChangesAreTwentyFourHours) {
  std::vector<MeterEvent> events{
      {at("2027-03-01T00:00:00Z"), "dep_a", "dep_a/machine/main", "created", kSmall},
      {at("2027-03-28T01:00:00Z"), "dep_a", "dep_a/machine/main", "updated", kLarge},
      {at("2027-10-31T01:00:00Z"), "dep_a", "dep_a/machine/main", "updated", kSmall},
  };
  const Seconds now = at("2028-01-01T00:00:00Z");
  auto march = computeUsage(events, at("2027-03-27T00:00:00Z"), at("2027-03-30T00:00:00Z"), Step::Day, now).value();
  ASSERT_EQ(march.periods.size(), 3u);
  for (auto& p : march.periods) {
    EXPECT_EQ(p.end - p.start, 86400);
    EXPECT_EQ(p.total.quantitySeconds.at("machine"), 86400) << formatTime(p.start);
  }
  EXPECT_EQ(march.periods[0].total.quantitySeconds.at("vcpu"), 2 * 86400);
  EXPECT_EQ(march.periods[1].total.quantitySeconds.at("vcpu"), 2 * 3600 + 4 * 23 * 3600);
  EXPECT_EQ(march.periods[2].total.quantitySeconds.at("vcpu"), 4 * 86400);
  EXPECT_EQ(march.periods[1].total.machineSecondsBySize.at("2 vCPU, 4 GiB RAM, 40 GiB disk"), 3600);
  EXPECT_EQ(march.periods[1].total.machineSecondsBySize.at("4 vCPU, 8 GiB RAM, 80 GiB disk"), 23 * 3600);

  auto october = computeUsage(events, at("2027-10-30T00:00:00Z"), at("2027-11-02T00:00:00Z"), Step::Day, now).value();
  ASSERT_EQ(october.periods.size(), 3u);
  for (auto& p : october.periods) EXPECT_EQ(p.total.quantitySeconds.at("machine"), 86400) << formatTime(p.start);
  EXPECT_EQ(october.periods[1].total.quantitySeconds.at("vcpu"), 4 * 3600 + 2 * 23 * 3600);
  // 8 GiB all of 30 October, 8 then 4 GiB on the 31st, 4 GiB on 1 November: 192 + 100 + 96 GiB-hours
  EXPECT_EQ(hoursText(october.total.quantitySeconds.at("ram_mib"), 1024), "388.000");
}

TEST(Usage, LifecyclesPerDeploymentAcrossAMonthBoundary) {
  std::vector<MeterEvent> events{
      {at("2027-02-27T12:00:00Z"), "dep_a", "dep_a/machine/main", "created", kSmall},
      {at("2027-02-27T12:00:00Z"), "dep_a", "dep_a/ip-address/main", "created", {{"ip_address", 1}}},
      {at("2027-03-10T00:00:00Z"), "dep_b", "dep_b/database/app", "created", {{"database", 1}}},
      {at("2027-03-20T12:00:00Z"), "dep_b", "dep_b/database/app", "deleted", {}},
      {at("2027-03-28T01:00:00Z"), "dep_a", "dep_a/machine/main", "replaced", kLarge},
      {at("2027-04-02T00:00:00Z"), "dep_a", "dep_a/machine/main", "deleted", {}},
  };
  auto u = computeUsage(events, at("2027-02-01T00:00:00Z"), at("2027-05-01T00:00:00Z"), Step::Month,
                        at("2027-06-01T00:00:00Z"))
               .value();
  ASSERT_EQ(u.periods.size(), 3u);
  auto& feb = u.periods[0].total.quantitySeconds;
  auto& mar = u.periods[1].total.quantitySeconds;
  auto& apr = u.periods[2].total.quantitySeconds;
  EXPECT_EQ(feb.at("machine"), 36 * 3600);
  EXPECT_EQ(mar.at("vcpu"), 6040800);  // 2 vCPU until 28 March 01:00, then 4: 1678 vCPU-hours
  EXPECT_EQ(hoursText(mar.at("vcpu"), 1), "1678.000");
  EXPECT_EQ(hoursText(mar.at("ram_mib"), 1024), "3356.000");
  EXPECT_EQ(mar.at("database"), 907200);  // 10.5 days
  EXPECT_EQ(mar.at("ip_address"), 31 * 86400);
  EXPECT_EQ(apr.at("machine"), 24 * 3600);  // deleted on 2 April
  EXPECT_EQ(apr.at("ip_address"), 30 * 86400);  // never deleted
  EXPECT_EQ(u.byDeployment.at("dep_b").quantitySeconds.at("database"), 907200);
  EXPECT_EQ(u.byDeployment.at("dep_a").quantitySeconds.count("database"), 0u);
  EXPECT_EQ(u.periods[1].byDeployment.at("dep_b").quantitySeconds.at("database"), 907200);
}

TEST(Usage, NothingIsCountedAfterNow) {
  std::vector<MeterEvent> events{{at("2027-03-01T00:00:00Z"), "dep_a", "k", "created", {{"database", 1}}}};
  auto u = computeUsage(events, at("2027-03-01T00:00:00Z"), at("2027-04-01T00:00:00Z"), Step::Day,
                        at("2027-03-02T06:00:00Z"))
               .value();
  EXPECT_EQ(u.total.quantitySeconds.at("database"), 30 * 3600);
  EXPECT_EQ(u.periods.size(), 31u);
  EXPECT_TRUE(u.periods[5].total.empty());
}

TEST(Usage, HoursAreRoundedHalfUpExactly) {
  EXPECT_EQ(hoursText(1, 1), "0.000");
  EXPECT_EQ(hoursText(2, 1), "0.001");  // 0.000555… → 0.001
  EXPECT_EQ(hoursText(9, 5), "0.001");  // 0.0005 exactly → up
  EXPECT_EQ(hoursText(1800, 1, 0), "1");
  EXPECT_EQ(hoursText(1024 * 5400, 1024), "1.500");
}

}  // namespace
}  // namespace fedihost::accounting
