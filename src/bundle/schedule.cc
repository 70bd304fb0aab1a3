#include "bundle/schedule.hh"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

namespace fedihost::bundle {
namespace {

using namespace std::chrono;

constexpr Seconds kHour = 3600, kDay = 86400;

Seconds floorDiv(Seconds a, Seconds b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

sys_days dayOf(Seconds t) { return sys_days(days(floorDiv(t, kDay))); }

Seconds monthKey(Seconds t) {
  year_month_day ymd(dayOf(t));
  return static_cast<Seconds>(static_cast<int>(ymd.year())) * 12 + static_cast<unsigned>(ymd.month());
}

}  // namespace

Result<int> parseDailyAt(std::string_view s, const std::string& field) {
  auto bad = [&] {
    return Error::invalid(field, "\"" + std::string(s) + "\" is not a time of day as HH:MM (00:00 to 23:59, UTC)");
  };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.size() != 5 || s[2] != ':' || !digit(s[0]) || !digit(s[1]) || !digit(s[3]) || !digit(s[4])) return bad();
  int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) return bad();
  return h * 60 + m;
}

std::string formatDailyAt(int minute) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minute / 60) % 100, minute % 60);
  return buf;
}

Seconds nextDue(const Cadence& c, Seconds after) {
  if (c.everyHours > 0) {
    const Seconds step = c.everyHours * kHour;
    return (floorDiv(after, step) + 1) * step;
  }
  const Seconds at = static_cast<Seconds>(c.dailyAtMinute) * 60;
  Seconds t = floorDiv(after, kDay) * kDay + at;
  return t > after ? t : t + kDay;
}

std::string describe(const Cadence& c) {
  if (c.everyHours == 1) return "every hour";
  if (c.everyHours > 0) return "every " + std::to_string(c.everyHours) + " hours";
  return "daily at " + formatDailyAt(c.dailyAtMinute) + " UTC";
}

int isoWeek(Seconds t) {
  const sys_days d = dayOf(t);
  // The ISO week's Thursday decides its year.
  const unsigned iso = weekday(d).iso_encoding();  // Monday 1 … Sunday 7
  const sys_days thursday = d + days(4 - static_cast<int>(iso));
  const year y = year_month_day(thursday).year();
  const sys_days jan1 = sys_days(y / January / 1);
  return static_cast<int>(y) * 100 + static_cast<int>((thursday - jan1).count() / 7 + 1);
}

RetentionDecision selectRetention(std::vector<RetentionCandidate> cs, const RetentionPolicy& p) {
  std::sort(cs.begin(), cs.end(), [](const RetentionCandidate& a, const RetentionCandidate& b) {
    return a.at != b.at ? a.at > b.at : a.id > b.id;
  });
  std::set<std::size_t> kept;
  if (!cs.empty()) kept.insert(0);
  auto keepBy = [&](int count, auto bucketOf) {
    std::optional<Seconds> last;
    int n = 0;
    for (std::size_t i = 0; i < cs.size() && n < count; ++i) {
      const Seconds b = bucketOf(cs[i].at);
      if (last && *last == b) continue;  // an older backup of a period already kept
      last = b;
      kept.insert(i);
      ++n;
    }
  };
  keepBy(p.hourly, [](Seconds t) { return floorDiv(t, kHour); });
  keepBy(p.daily, [](Seconds t) { return floorDiv(t, kDay); });
  keepBy(p.weekly, [](Seconds t) { return Seconds{isoWeek(t)}; });
  keepBy(p.monthly, monthKey);
  RetentionDecision out;
  for (std::size_t i = 0; i < cs.size(); ++i) (kept.contains(i) ? out.keep : out.remove).push_back(cs[i].id);
  return out;
}

}  // namespace fedihost::bundle
