#pragma once
// Usage: the metered quantities of resource lifecycle events integrated over
// time, per organisation, per deployment and per period. Periods are UTC hours,
// days or months (a day is always 86,400 s: daylight saving does not exist in UTC).
// Exact: integer seconds × integer quantities, never floating point.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounting/metering.hh"
#include "core/result.hh"

namespace fedihost::accounting {

/// Seconds since the Unix epoch (UTC).
using Seconds = std::int64_t;

/// Parses RFC 3339 ("2027-03-28T01:30:00Z", "…T03:30:00+02:00", fractions allowed) to seconds
/// (fractions dropped, i.e. rounded down); nullopt when malformed or out of range.
std::optional<Seconds> parseTime(std::string_view text);
/// "2027-03-28T01:30:00Z".
std::string formatTime(Seconds t);
/// The start of the UTC month of "YYYY-MM"; nullopt when malformed (month 01–12, year 1970–9999).
std::optional<Seconds> parseMonth(std::string_view text);
/// The start of the UTC month after the one that contains `t`.
Seconds nextMonth(Seconds t);
/// The start of the UTC month that contains `t`.
Seconds monthStart(Seconds t);
/// "YYYY-MM" of the month that contains `t`.
std::string formatMonth(Seconds t);
/// Now by core/clock (which tests may set).
Seconds nowSeconds();

enum class Step { Hour, Day, Month };
std::optional<Step> stepFromString(std::string_view s);
std::string_view toString(Step s);

/// One lifecycle event as usage needs it.
struct MeterEvent {
  Seconds at = 0;
  std::string deployment;
  std::string resourceKey;
  std::string event;  ///< created | updated | replaced | deleted, or sampled (a bucket's stored size)
  Quantities quantities;
};

/// Integrals of quantities over time: quantity × seconds, by quantity key ("ram_mib" in MiB-seconds),
/// and machine-seconds by machine size.
struct Totals {
  std::map<std::string, std::int64_t> quantitySeconds;
  std::map<std::string, std::int64_t> machineSecondsBySize;
  void add(const Totals& o);
  bool empty() const { return quantitySeconds.empty() && machineSecondsBySize.empty(); }
};

struct Period {
  Seconds start = 0, end = 0;
  Totals total;
  std::map<std::string, Totals> byDeployment;
};

struct Usage {
  Seconds from = 0, to = 0;  ///< as asked
  Seconds measuredUntil = 0; ///< min(to, now): nothing after now is counted
  Step step = Step::Day;
  std::vector<Period> periods;
  Totals total;
  std::map<std::string, Totals> byDeployment;
};

/// The most periods one request may ask for.
inline constexpr std::size_t kMaxPeriods = 10000;

/// The periods of [from, to) by step: UTC boundaries, the first and last cut to from and to.
/// Invalid (field "step") when there would be more than kMaxPeriods.
Result<std::vector<Period>> periodsOf(Seconds from, Seconds to, Step step);

/// Integrates `events` (every event of the organisation before `to`, in the order they were
/// recorded) over [from, min(to, now)). A resource counts from its created event until its
/// deleted event; an updated or replaced event changes its quantities from then on.
/// A sampled event (a good storage sample of a bucket, quantities from storedQuantities) holds
/// its quantities from its time until the bucket's next sampled event, its deleted event or
/// the end of the range, whichever comes first; one of a resource that is not live then
/// (before its created or after its deleted event) counts nothing.
Result<Usage> computeUsage(const std::vector<MeterEvent>& events, Seconds from, Seconds to, Step step, Seconds now);

/// quantity-seconds as hours of the unit with `divisor` (1024 for GiB from MiB), exactly rounded
/// half up to `decimals` places: "12.500".
std::string hoursText(std::int64_t quantitySeconds, std::int64_t divisor, int decimals = 3);

}  // namespace fedihost::accounting
