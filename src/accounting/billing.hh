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

namespace fedihost::accounting {

/// The organisation's usage over [from, to) by step, measured up to now.
/// Throws AbortError (Invalid) for a corrupt event row.
Result<Usage> usageOf(store::BillingStore& store, const std::string& organisation, Seconds from, Seconds to, Step step);

/// The statement of "YYYY-MM": Invalid (field "month") for a malformed month or one that has not
/// begun; Conflict when the organisation has no price plan (and the month is not stored).
/// A month that has ended is stored on first request and served from storage afterwards.
Result<Statement> statementOf(store::BillingStore& store, const std::string& organisation, const std::string& month);

/// The forecast of the open month (statement.hh computeForecast) under the organisation's price
/// plan, as of now; Conflict (field "plan") when the organisation has no price plan.
Result<Forecast> forecastOf(store::BillingStore& store, const std::string& organisation);

/// What `resources` (those a deployment will have) cost a month under the organisation's price
/// plan (statement.hh estimateMonthly); nullopt when the organisation has no price plan.
std::optional<MonthlyEstimate> estimateOf(store::BillingStore& store, const std::string& organisation,
                                          const std::vector<Resource>& resources);

/// Closes every ended month before now of the organisation that is not stored yet, back to
/// `since` (a month); returns how many were stored. For a periodic closer.
int closeMonths(store::BillingStore& store, const std::string& organisation, Seconds since);

}  // namespace fedihost::accounting
