#pragma once
// Usage and statements of an organisation from the accounting database: loads
// the events, computes (usage.hh, statement.hh), and closes months — a month's
// statement is stored the first time it is asked for after the month has ended
// (by the clock of core/clock.hh), and from then on served from storage unchanged.
#include <optional>
#include <string>
#include <vector>

#include "accounting/statement.hh"
#include "accounting/usage.hh"
#include "store/billing_store.hh"
#include "store/state_store.hh"

namespace fedihost::accounting {

/// The organisation's usage over [from, to) by step, measured up to now.
/// Throws AbortError (Invalid) for a corrupt event row.
Result<Usage> usageOf(store::BillingStore& store, const std::string& organisation, Seconds from, Seconds to, Step step);

/// The statement of "YYYY-MM" of `organisation`, created at `created`: Invalid (field "month") for
/// a malformed month or one that has not begun; NotFound (field "month") for a month that ended
/// before the organisation was created (it owes nothing for it, not even a base fee); Conflict
/// when the organisation has no price plan (and the month is not stored). A month that has ended
/// is stored on first request and served from storage afterwards.
Result<Statement> statementOf(store::BillingStore& store, const std::string& organisation, Seconds created,
                              const std::string& month);

/// When `org` was created; throws store::DatabaseError for a corrupt creation time.
Seconds createdAt(const Organisation& org);

/// The forecast of the open month (statement.hh computeForecast) under the organisation's price
/// plan, as of now; Conflict (field "plan") when the organisation has no price plan.
Result<Forecast> forecastOf(store::BillingStore& store, const std::string& organisation);

/// What `resources` (those a deployment will have) cost a month under the organisation's price
/// plan (statement.hh estimateMonthly); nullopt when the organisation has no price plan.
std::optional<MonthlyEstimate> estimateOf(store::BillingStore& store, const std::string& organisation,
                                          const std::vector<Resource>& resources);

/// One organisation's month as the operators' list of every organisation shows it.
struct MonthSummary {
  std::optional<Statement> statement;  ///< the month's statement (the open month's so far); none without a plan
  std::optional<Forecast> forecast;    ///< the open month's forecast
  std::string reason;                  ///< why there is no statement ("" when there is one)
  bool existed = true;                 ///< false: the month ended before the organisation was created
};

/// The summary of `month` (valid and begun: see statementOf) of `organisation`; `open` when the
/// month is the current one (its forecast, which holds the statement so far), else its statement
/// (closed and stored as statementOf does; also when the month has ended since the caller decided
/// it was open). Throws AbortError for any error but "no price plan" and "did not exist yet".
MonthSummary summaryOf(store::BillingStore& store, const Organisation& organisation, const std::string& month,
                       bool open);

/// One currency's sums of every organisation's month (minor units).
struct CurrencyTotal {
  std::string currency;
  int digits = 2;
  int organisations = 0;  ///< how many statements the sums hold
  std::int64_t subtotal = 0, vat = 0, total = 0;
  std::int64_t forecast = 0;  ///< the open month's forecasts summed (0 for an ended month)
};

/// The totals of a month over every live organisation.
struct MonthTotals {
  std::string month;
  bool open = false;       ///< as asked, unless the month has ended since (then summed as closed)
  Seconds asOf = 0;       ///< the second every forecast of the open month is made at
  int organisations = 0;  ///< live organisations counted (those created before the month ended)
  int withoutPlan = 0;    ///< of which without a price plan (no statement)
  std::vector<CurrencyTotal> currencies;  ///< by currency code
};

/// Sums `month` (valid and begun) over every live organisation of `state`, walked in pages of
/// `pageSize`: for an ended month the stored statements, read in one query (a month not stored
/// yet is closed and stored first, as statementOf does); for the open month each organisation's
/// forecast, computed with the price plans read once. Throws AbortError as summaryOf.
MonthTotals totalsOf(store::StateStore& state, store::BillingStore& billing, const std::string& month, bool open,
                     int pageSize = 500);

/// Closes every ended month before now of the organisation that is not stored yet, back to the
/// month it was `created` in; returns how many were stored. For a periodic closer.
int closeMonths(store::BillingStore& store, const std::string& organisation, Seconds created);

}  // namespace fedihost::accounting
