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

Seconds createdAt(const Organisation& org) {
  auto t = parseTime(org.createdAt);
  if (!t) throw store::DatabaseError("organisation " + org.id + " has a corrupt creation time: " + org.createdAt);
  return *t;
}

Result<Statement> statementOf(store::BillingStore& store, const std::string& organisation, Seconds created,
                              const std::string& month) {
  auto start = parseMonth(month);
  if (!start) return Error::invalid("month", "\"" + month + "\" is not a month: write YYYY-MM, e.g. 2027-03");
  const Seconds now = nowSeconds();
  if (*start > now) return Error::invalid("month", month + " has not begun (months are UTC)");
  if (nextMonth(*start) <= created)
    return Error{ErrorKind::NotFound,
                 "there is no statement for " + month + ": the organisation was created on " +
                     formatTime(created).substr(0, 10) + ", so its first statement is for " + formatMonth(created),
                 "month"};
  if (auto stored = store.statement(organisation, month)) return fromStored(*stored);
  auto s = compute(store, organisation, *start);
  if (!s) return s;
  if (s->to > now) return s;  // open: computed afresh each time
  s->closed = true;
  s->closedAt = clock::nowRfc3339();
  auto stored = store.storeStatement({organisation, month, boost::json::serialize(toJson(*s)), s->closedAt});
  return fromStored(stored);
}

namespace {

/// The forecast of the open month as of `now` under `plan`.
Result<Forecast> forecastUnder(store::BillingStore& store, const std::string& organisation,
                               const store::PricePlan& plan, Seconds now) {
  // Events up to and including the current second: what runs now.
  auto events = meterEvents(store, organisation, monthStart(now), now + 1);
  return computeForecast(organisation, plan, events, store.adjustments(organisation, formatMonth(now)), now);
}

}  // namespace

Result<Forecast> forecastOf(store::BillingStore& store, const std::string& organisation) {
  auto plan = assignedPlan(store, organisation);
  if (!plan) return noPlan();
  return forecastUnder(store, organisation, *plan, nowSeconds());
}

namespace {

/// A summary from the statement (or forecast) of the month, or the reason there is none.
MonthSummary summaryFrom(Result<Statement> s, std::optional<Forecast> forecast) {
  if (!s && s.error().kind == ErrorKind::NotFound) return {std::nullopt, std::nullopt, s.error().message, false};
  if (!s && s.error().kind != ErrorKind::Conflict) throw AbortError(s.error());
  if (!s) return {std::nullopt, std::nullopt, s.error().message};
  return {std::move(s.value()), std::move(forecast), ""};
}

MonthSummary summaryFrom(Result<Forecast> f) {
  if (!f) return summaryFrom(Result<Statement>(f.error()), std::nullopt);
  auto soFar = f->soFar;
  return summaryFrom(std::move(soFar), std::move(f.value()));
}

/// Adds one organisation's month to the sums by currency.
void addTo(MonthTotals& totals, std::map<std::string, CurrencyTotal>& sums, const MonthSummary& m) {
  if (!m.existed) return;
  ++totals.organisations;
  if (!m.statement) {
    ++totals.withoutPlan;
    return;
  }
  const auto& s = *m.statement;
  auto& sum = sums[s.currency];
  sum.currency = s.currency;
  sum.digits = s.digits;
  ++sum.organisations;
  sum.subtotal += s.subtotal;
  sum.vat += s.vat;
  sum.total += s.total;
  if (m.forecast) sum.forecast += m.forecast->atMonthEnd.total;
}

}  // namespace

MonthSummary summaryOf(store::BillingStore& store, const Organisation& organisation, const std::string& month,
                       bool open) {
  // A month that ended since the caller looked (a request at its last second) is closed, not forecast.
  if (open && formatMonth(nowSeconds()) == month) return summaryFrom(forecastOf(store, organisation.id));
  return summaryFrom(statementOf(store, organisation.id, createdAt(organisation), month), std::nullopt);
}

MonthTotals totalsOf(store::StateStore& state, store::BillingStore& billing, const std::string& month, bool open,
                     int pageSize) {
  const Seconds now = nowSeconds();
  open = open && formatMonth(now) == month;  // as summaryOf: a month ended since is closed
  MonthTotals totals{month, open, now, 0, 0, {}};
  std::map<std::string, CurrencyTotal> sums;
  // An ended month: its stored statements at once. The open month: the plans of all at once, each
  // plan read once; every organisation's events are still read and integrated one by one.
  std::map<std::string, store::StoredStatement> stored;
  std::map<std::string, std::string> assigned;
  std::map<std::string, store::PricePlan> plans;
  if (open) {
    assigned = billing.planAssignments();
  } else {
    for (auto& s : billing.statementsOf(month)) {
      auto organisation = s.organisation;
      stored.emplace(std::move(organisation), std::move(s));
    }
  }
  std::string cursor;
  do {
    auto page = state.listOrganisations(std::nullopt, pageSize, cursor);
    for (auto& org : page.items) {
      if (!open) {
        auto it = stored.find(org.id);
        addTo(totals, sums, it != stored.end() ? summaryFrom(fromStored(it->second), std::nullopt)
                                               : summaryOf(billing, org, month, false));
        continue;
      }
      auto planId = assigned.find(org.id);
      if (planId == assigned.end()) {
        addTo(totals, sums, summaryFrom(Result<Forecast>(noPlan())));
        continue;
      }
      auto plan = plans.find(planId->second);
      if (plan == plans.end()) {
        auto p = billing.getPlan(planId->second);
        if (!p)
          throw AbortError({ErrorKind::Internal, "the organisation's price plan " + planId->second + " is missing", {}});
        plan = plans.emplace(planId->second, std::move(p.value())).first;
      }
      addTo(totals, sums, summaryFrom(forecastUnder(billing, org.id, plan->second, now)));
    }
    cursor = page.next;
  } while (!cursor.empty());
  for (auto& [currency, sum] : sums) totals.currencies.push_back(std::move(sum));
  return totals;
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

int closeMonths(store::BillingStore& store, const std::string& organisation, Seconds created) {
  int n = 0;
  const Seconds now = nowSeconds();
  for (Seconds m = monthStart(created); nextMonth(m) <= now; m = nextMonth(m)) {
    auto month = formatMonth(m);
    if (store.statement(organisation, month)) continue;
    if (statementOf(store, organisation, created, month)) ++n;
  }
  return n;
}

}  // namespace fedihost::accounting
