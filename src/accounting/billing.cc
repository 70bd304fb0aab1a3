#include "accounting/billing.hh"

#include <algorithm>
#include <iterator>

#include "core/clock.hh"

namespace fedihost::accounting {

namespace {

/// The organisation's events that usage over [from, to) needs, in order, with its good storage
/// samples merged in (usage.hh computeUsage). Throws AbortError (Internal) for a corrupt row.
std::vector<MeterEvent> meterEvents(store::BillingStore& store, const std::string& organisation, Seconds from,
                                    Seconds to) {
  std::vector<MeterEvent> events;
  for (auto& e : store.eventsOf(organisation, formatTime(to))) {
    auto at = parseTime(e.at);
    if (!at) throw AbortError({ErrorKind::Internal, "resource event " + e.eventId + " has a bad time: " + e.at, {}});
    auto q = parseQuantities(e.quantities);
    if (!q) throw AbortError({ErrorKind::Internal, "resource event " + e.eventId + ": " + q.error().message, {}});
    events.push_back({*at, std::move(e.deployment), std::move(e.resourceKey), std::move(e.event), std::move(q.value())});
  }
  // Good storage samples as "sampled" events, after the lifecycle events of the same second
  // (a sort that keeps the recorded order of each list; failed samples change nothing).
  std::vector<MeterEvent> samples;
  for (auto& s : store.samplesOf(organisation, formatTime(from), formatTime(to))) {
    if (!s.bytes) continue;
    auto at = parseTime(s.at);
    if (!at) throw AbortError({ErrorKind::Internal, "storage sample of " + s.resourceKey + " has a bad time: " + s.at, {}});
    samples.push_back({*at, std::move(s.deployment), std::move(s.resourceKey), "sampled", storedQuantities(*s.bytes)});
  }
  if (!samples.empty()) {
    std::vector<MeterEvent> merged;
    merged.reserve(events.size() + samples.size());
    std::merge(std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()),
               std::make_move_iterator(samples.begin()), std::make_move_iterator(samples.end()),
               std::back_inserter(merged), [](const MeterEvent& a, const MeterEvent& b) { return a.at < b.at; });
    events = std::move(merged);
  }
  return events;
}

}  // namespace

Result<Usage> usageOf(store::BillingStore& store, const std::string& organisation, Seconds from, Seconds to, Step step) {
  return computeUsage(meterEvents(store, organisation, from, to), from, to, step, nowSeconds());
}

namespace {

/// The organisation's price plan, if it has one; a plan assigned but missing is an internal error.
std::optional<store::PricePlan> assignedPlan(store::BillingStore& store, const std::string& organisation) {
  auto planId = store.planOf(organisation);
  if (!planId) return std::nullopt;
  auto plan = store.getPlan(*planId);
  if (!plan) throw AbortError({ErrorKind::Internal, "the organisation's price plan " + *planId + " is missing", {}});
  return std::move(plan.value());
}

Error noPlan() { return Error::conflict("the organisation has no price plan: an operator assigns one first", "plan"); }

Result<Statement> compute(store::BillingStore& store, const std::string& organisation, Seconds start) {
  auto plan = assignedPlan(store, organisation);
  if (!plan) return noPlan();
  auto usage = usageOf(store, organisation, start, nextMonth(start), Step::Month);
  if (!usage) return usage.error();
  return computeStatement(organisation, start, *plan, usage->total, store.adjustments(organisation, formatMonth(start)));
}

Result<Statement> fromStored(const store::StoredStatement& s) {
  boost::system::error_code ec;
  auto v = boost::json::parse(s.body, ec);
  if (ec) throw AbortError({ErrorKind::Internal, "the stored statement " + s.organisation + " " + s.month + " is corrupt", {}});
  auto st = statementFromJson(v);
  if (!st) throw AbortError({ErrorKind::Internal, st.error().message, {}});
  return st;
}

}  // namespace

Result<Statement> statementOf(store::BillingStore& store, const std::string& organisation, const std::string& month) {
  auto start = parseMonth(month);
  if (!start) return Error::invalid("month", "\"" + month + "\" is not a month: write YYYY-MM, e.g. 2027-03");
  const Seconds now = nowSeconds();
  if (*start > now) return Error::invalid("month", month + " has not begun (months are UTC)");
  if (auto stored = store.statement(organisation, month)) return fromStored(*stored);
  auto s = compute(store, organisation, *start);
  if (!s) return s;
  if (s->to > now) return s;  // open: computed afresh each time
  s->closed = true;
  s->closedAt = clock::nowRfc3339();
  auto stored = store.storeStatement({organisation, month, boost::json::serialize(toJson(*s)), s->closedAt});
  return fromStored(stored);
}

Result<Forecast> forecastOf(store::BillingStore& store, const std::string& organisation) {
  auto plan = assignedPlan(store, organisation);
  if (!plan) return noPlan();
  const Seconds now = nowSeconds();
  // Events up to and including the current second: what runs now.
  auto events = meterEvents(store, organisation, monthStart(now), now + 1);
  return computeForecast(organisation, *plan, events, store.adjustments(organisation, formatMonth(now)), now);
}

std::optional<MonthlyEstimate> estimateOf(store::BillingStore& store, const std::string& organisation,
                                          const std::vector<Resource>& resources) {
  auto plan = assignedPlan(store, organisation);
  if (!plan) return std::nullopt;
  Quantities total;
  for (auto& r : resources)
    for (auto& [key, q] : quantitiesOf(r)) total[key] += q;
  return estimateMonthly(*plan, total);
}

int closeMonths(store::BillingStore& store, const std::string& organisation, Seconds since) {
  int n = 0;
  const Seconds now = nowSeconds();
  for (Seconds m = monthStart(since); nextMonth(m) <= now; m = nextMonth(m)) {
    auto month = formatMonth(m);
    if (store.statement(organisation, month)) continue;
    if (statementOf(store, organisation, month)) ++n;
  }
  return n;
}

}  // namespace fedihost::accounting
