#pragma once
// Statements: a month's usage priced by a price plan, with exact integer
// arithmetic in minor units. Rounding: each usage line is rounded half up
// (half away from zero) to a whole minor unit; VAT is computed on the subtotal
// of the rounded lines and rounded the same way. Rendered as JSON, CSV and a
// printable HTML page.
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounting/usage.hh"
#include "core/result.hh"
#include "store/billing_store.hh"

namespace fedihost::accounting {

/// The digits after the decimal point of an ISO 4217 currency (EUR 2, JPY 0, KWD 3);
/// nullopt for a code that is not an active ISO 4217 currency.
std::optional<int> currencyDigits(std::string_view code);

/// a × b / c rounded half up (half away from zero), exactly (128-bit intermediate); c > 0.
std::int64_t mulDivRound(std::int64_t a, std::int64_t b, std::int64_t c);
/// Minor units as a decimal in major units: formatMoney(-1234, 2) = "-12.34".
std::string formatMoney(std::int64_t minor, int digits);

struct StatementLine {
  std::string kind;         ///< base | usage | adjustment
  std::string unit;         ///< the metered unit of a usage line ("" otherwise)
  std::string description;
  std::string quantity;     ///< decimal text: unit-months billed (4 places) for usage, "1" otherwise
  std::string quantityUnit; ///< "vCPU-months", "month", ...
  std::int64_t unitPrice = 0;  ///< minor units per quantity unit
  std::int64_t amount = 0;     ///< minor units
};

struct Statement {
  std::string organisation;
  std::string month;  ///< YYYY-MM
  Seconds from = 0, to = 0;
  bool closed = false;
  std::string closedAt;     ///< when stored ("" while open)
  std::string computedAt;
  std::string planId, planName;
  std::string currency;
  int digits = 2;
  std::vector<StatementLine> lines;
  std::int64_t subtotal = 0;
  std::int64_t vatBasisPoints = 0;
  std::int64_t vat = 0;
  std::int64_t total = 0;
};

/// Prices the month starting at `monthStart` for the organisation: the base fee, one line per
/// metered unit used (the usage beyond the plan's included quantity, pro rata of the month's
/// length in seconds), then the month's adjustments; subtotal, VAT and total.
Statement computeStatement(const std::string& organisation, Seconds monthStart, const store::PricePlan& plan,
                           const Totals& usage, const std::vector<store::Adjustment>& adjustments);

/// The usage lines of `usage` priced by `plan` for a period of `periodSeconds`: one line per metered
/// unit used, the usage beyond the plan's included quantity pro rata of one unit-month per period.
/// Statements and estimates price with this one function.
std::vector<StatementLine> usageLines(const store::PricePlan& plan, const Totals& usage, std::int64_t periodSeconds);

/// The period of a monthly estimate: 730 hours (a year's 8,760 hours over 12).
inline constexpr std::int64_t kEstimateSeconds = 730 * 3600;

/// What resources cost a month: their quantities held for kEstimateSeconds, priced by usageLines.
struct MonthlyEstimate {
  std::string planName;
  std::string currency;
  int digits = 2;
  std::vector<StatementLine> lines;
  std::int64_t subtotal = 0, vat = 0, total = 0;
};

/// The monthly estimate of `quantities` (summed over the resources that will exist) under `plan`,
/// at its unit prices and VAT: not its base fee, nor its included quantities (both are the
/// organisation's, whatever its deployments).
MonthlyEstimate estimateMonthly(const store::PricePlan& plan, const Quantities& quantities);
/// {currency, currencyDigits, totalMinor, subtotalMinor, vatMinor, lines: [{what, quantity, unit,
/// amountMinor}], plan, basis}.
boost::json::object toJson(const MonthlyEstimate& e);

/// What the open month's statement will be at the month's end if what runs now keeps running:
/// the month so far plus the quantities running now held until the month ends, priced by
/// computeStatement (the statement's own arithmetic, line by line, then VAT on the subtotal).
struct Forecast {
  Statement soFar;       ///< the open month's statement up to now
  Statement atMonthEnd;  ///< the forecast: the month so far plus runningNow × secondsLeft
  Seconds asOf = 0;      ///< now
  Seconds secondsLeft = 0;  ///< from now to the month's end
  Totals runningNow;     ///< what runs now: each quantity (and machines by size) held for one second
};

/// The forecast of the UTC month that contains `now` for `plan`, from `events` (every event of
/// the organisation up to now, storage samples merged as for usage: usage.hh computeUsage) and
/// the month's adjustments. Invalid only when computeUsage is.
Result<Forecast> computeForecast(const std::string& organisation, const store::PricePlan& plan,
                                 const std::vector<MeterEvent>& events,
                                 const std::vector<store::Adjustment>& adjustments, Seconds now);
/// {organisation, month, asOf, to, secondsLeft, hoursLeft, plan, currency, currencyDigits, vatRate,
///  runningNow: [{unit, description, quantity, hours}], lines: [statement line + soFar], subtotal, vat,
///  total, soFar: {subtotal, vat, total}}.
boost::json::object toJson(const Forecast& f);

boost::json::object toJson(const Statement& s);
/// The inverse of toJson (for a stored statement); Invalid when `v` is not one.
Result<Statement> statementFromJson(const boost::json::value& v);
/// CSV (RFC 4180, CRLF): a header, one row per line, then subtotal, VAT and total rows.
std::string toCsv(const Statement& s);
/// A self-contained printable HTML page (no script, inline style, every text escaped).
std::string toHtml(const Statement& s, const std::string& organisationName);
/// The Content-Security-Policy of that page: nothing but its own style block (by hash).
std::string htmlContentSecurityPolicy();

}  // namespace fedihost::accounting
