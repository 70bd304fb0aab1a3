#include "accounting/usage.hh"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "core/clock.hh"

namespace fedihost::accounting {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};
Civil civilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

bool isLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned daysIn(std::int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : days[m - 1];
}

Seconds floorDiv(Seconds a, Seconds b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/// Reads exactly `n` digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

Seconds nextBoundary(Seconds t, Step step) {
  switch (step) {
    case Step::Hour: return (floorDiv(t, 3600) + 1) * 3600;
    case Step::Day: return (floorDiv(t, 86400) + 1) * 86400;
    case Step::Month: return nextMonth(t);
  }
  return t;
}

}  // namespace

std::optional<Seconds> parseTime(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|±HH:MM)
  auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2), h = digits(s, 11, 2), mi = digits(s, 14, 2),
       se = digits(s, 17, 2);
  if (!y || !mo || !d || !h || !mi || !se || s.size() < 20) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') return std::nullopt;
  if (*y < 1970 || *mo < 1 || *mo > 12 || *d < 1 || *d > static_cast<int>(daysIn(*y, *mo)) || *h > 23 || *mi > 59 ||
      *se > 59)
    return std::nullopt;
  std::size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  Seconds offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    auto oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (!oh || !om || pos + 6 != s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset = (s[pos] == '+' ? 1 : -1) * (*oh * 3600 + *om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return daysFromCivil(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60 + *se - offset;
}

std::string formatTime(Seconds t) {
  auto days = floorDiv(t, 86400);
  auto rem = t - days * 86400;
  auto c = civilFromDays(days);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(c.y), c.m, c.d,
                static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
  return buf;
}

std::optional<Seconds> parseMonth(std::string_view s) {
  if (s.size() != 7 || s[4] != '-') return std::nullopt;
  auto y = digits(s, 0, 4), m = digits(s, 5, 2);
  if (!y || !m || *y < 1970 || *m < 1 || *m > 12) return std::nullopt;
  return daysFromCivil(*y, *m, 1) * 86400;
}

Seconds monthStart(Seconds t) {
  auto c = civilFromDays(floorDiv(t, 86400));
  return daysFromCivil(c.y, c.m, 1) * 86400;
}

Seconds nextMonth(Seconds t) {
  auto c = civilFromDays(floorDiv(t, 86400));
  return c.m == 12 ? daysFromCivil(c.y + 1, 1, 1) * 86400 : daysFromCivil(c.y, c.m + 1, 1) * 86400;
}

std::string formatMonth(Seconds t) { return formatTime(monthStart(t)).substr(0, 7); }

Seconds nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(clock::now().time_since_epoch()).count();
}

std::optional<Step> stepFromString(std::string_view s) {
  if (s == "hour") return Step::Hour;
  if (s == "day") return Step::Day;
  if (s == "month") return Step::Month;
  return std::nullopt;
}

std::string_view toString(Step s) {
  switch (s) {
    case Step::Hour: return "hour";
    case Step::Day: return "day";
    case Step::Month: return "month";
  }
  return "day";
}

void Totals::add(const Totals& o) {
  for (auto& [k, v] : o.quantitySeconds) quantitySeconds[k] += v;
  for (auto& [k, v] : o.machineSecondsBySize) machineSecondsBySize[k] += v;
}

Result<std::vector<Period>> periodsOf(Seconds from, Seconds to, Step step) {
  std::vector<Period> out;
  for (Seconds a = from; a < to;) {
    if (out.size() >= kMaxPeriods)
      return Error::invalid("step", "more than " + std::to_string(kMaxPeriods) +
                                        " periods: ask for a shorter range or a longer step");
    Seconds b = std::min(nextBoundary(a, step), to);
    out.push_back({a, b, {}, {}});
    a = b;
  }
  return out;
}

Result<Usage> computeUsage(const std::vector<MeterEvent>& events, Seconds from, Seconds to, Step step, Seconds now) {
  auto periods = periodsOf(from, to, step);
  if (!periods) return periods.error();
  Usage u;
  u.from = from;
  u.to = to;
  u.step = step;
  u.measuredUntil = std::max(from, std::min(to, now));
  u.periods = std::move(periods.value());

  struct Live {
    Seconds since;
    const MeterEvent* state;
  };
  std::unordered_map<std::string_view, Live> live;
  std::unordered_map<std::string_view, Live> stored;  // the sample each live bucket holds

  // Adds the quantities of `e` over [a, b) (cut to the measured range) to the periods it overlaps.
  auto accumulate = [&](const MeterEvent& e, Seconds a, Seconds b) {
    a = std::max(a, from);
    b = std::min(b, u.measuredUntil);
    if (a >= b || e.quantities.empty()) return;
    auto size = machineSize(e.quantities);
    auto it = std::upper_bound(u.periods.begin(), u.periods.end(), a,
                               [](Seconds t, const Period& p) { return t < p.end; });
    for (; it != u.periods.end() && it->start < b; ++it) {
      Seconds s = std::min(b, it->end) - std::max(a, it->start);
      if (s <= 0) continue;
      auto& dep = it->byDeployment[e.deployment];
      for (auto& [k, q] : e.quantities) {
        if (q == 0) continue;
        it->total.quantitySeconds[k] += q * s;
        dep.quantitySeconds[k] += q * s;
      }
      if (!size.empty()) {
        it->total.machineSecondsBySize[size] += s;
        dep.machineSecondsBySize[size] += s;
      }
    }
  };

  // Ends the sample a resource holds at `at` (a new sample or its deletion).
  auto endSample = [&](std::string_view key, Seconds at) {
    auto held = stored.find(key);
    if (held == stored.end()) return;
    accumulate(*held->second.state, held->second.since, at);
    stored.erase(held);
  };
  for (auto& e : events) {
    if (e.at >= u.measuredUntil) break;
    auto found = live.find(e.resourceKey);
    if (e.event == "sampled") {
      if (found == live.end()) continue;  // not live: nothing is stored
      endSample(e.resourceKey, e.at);
      stored.emplace(e.resourceKey, Live{e.at, &e});
      continue;
    }
    if (found != live.end()) {
      accumulate(*found->second.state, found->second.since, e.at);
      if (e.event == "deleted") {
        live.erase(found);
        endSample(e.resourceKey, e.at);
      } else {
        found->second = {e.at, &e};
      }
    } else if (e.event != "deleted") {
      live.emplace(e.resourceKey, Live{e.at, &e});
    }
  }
  for (auto& [_, l] : live) accumulate(*l.state, l.since, u.measuredUntil);
  for (auto& [_, l] : stored) accumulate(*l.state, l.since, u.measuredUntil);

  for (auto& p : u.periods) {
    u.total.add(p.total);
    for (auto& [d, t] : p.byDeployment) u.byDeployment[d].add(t);
  }
  return u;
}

std::string hoursText(std::int64_t quantitySeconds, std::int64_t divisor, int decimals) {
  __int128 scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  __int128 den = static_cast<__int128>(3600) * divisor;
  __int128 num = static_cast<__int128>(quantitySeconds) * scale;
  bool neg = num < 0;
  if (neg) num = -num;
  __int128 q = (num * 2 + den) / (den * 2);  // half up (away from zero)
  auto whole = static_cast<long long>(q / scale);
  auto frac = static_cast<long long>(q % scale);
  std::string out = (neg ? "-" : "") + std::to_string(whole);
  if (decimals > 0) {
    std::string f = std::to_string(frac);
    out += "." + std::string(decimals - f.size(), '0') + f;
  }
  return out;
}

}  // namespace fedihost::accounting
