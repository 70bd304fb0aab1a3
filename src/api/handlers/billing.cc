#include "api/handlers/billing.hh"

#include "accounting/billing.hh"
#include "api/handlers/handlers.hh"
#include "api/input.hh"
#include "core/json_util.hh"
#include "store/accounting_store.hh"
#include "store/paging.hh"
#include "store/state_store.hh"

namespace fedihost::api::handlers {
namespace {

namespace acct = accounting;

/// The largest price, fee or amount accepted (minor units): far from overflowing any sum.
constexpr std::int64_t kMaxMoney = 1'000'000'000'000;

store::BillingStore billingOf(RequestContext& ctx) { return store::BillingStore(ctx.app.accounting.connection()); }

/// On the operators' routes that name an organisation: it must exist (404 otherwise).
void findOrganisation(RequestContext& ctx) {
  auto org = ctx.app.state.getOrganisation(ctx.param("id")).orThrow();
  ctx.organisation = org.id;
  ctx.auditOrganisation = org.id;
}

std::int64_t integerMember(const json::object& o, const std::string& name, std::int64_t min, std::int64_t max,
                           const std::string& field) {
  const auto& v = o.at(name);
  if (!v.is_int64() && !v.is_uint64())
    throw AbortError(Error::malformed(field, field + " must be a whole number (money is in minor units, e.g. cents)"));
  if (v.is_uint64() || v.as_int64() < min || v.as_int64() > max)
    throw AbortError(Error::invalid(field, field + " must be between " + std::to_string(min) + " and " +
                                               std::to_string(max)));
  return v.as_int64();
}

/// {"unit": n, ...} of known units, each 0..max.
std::map<std::string, std::int64_t> unitMap(const json::object& body, const std::string& name, std::int64_t max) {
  std::map<std::string, std::int64_t> out;
  const auto& v = body.at(name);
  if (!v.is_object())
    throw AbortError(Error::malformed(name, name + " must be an object like {\"vcpu\": 500, \"ram_gib\": 200}"));
  for (auto& [k, x] : v.as_object()) {
    std::string unit(k);
    if (!acct::findUnit(unit)) {
      std::string known;
      for (auto& u : acct::units()) known += (known.empty() ? "" : ", ") + std::string(u.key);
      throw AbortError(Error::invalid(name + "." + unit, "unknown unit \"" + unit + "\"; the units are " + known));
    }
    json::object one{{unit, x}};
    auto n = integerMember(one, unit, 0, max, name + "." + unit);
    if (n != 0) out[unit] = n;
  }
  return out;
}

/// Applies the members present in `body` to `p` (every member for a new plan).
void applyPlanFields(const json::object& body, store::PricePlan& p, bool creating) {
  if (creating || body.contains("name")) {
    p.name = input::requiredString(body, "name").orThrow();
    if (p.name.empty() || p.name.size() > 100)
      throw AbortError(Error::invalid("name", "a plan's name has 1 to 100 characters"));
  }
  if (creating || body.contains("currency")) {
    p.currency = input::requiredString(body, "currency").orThrow();
    if (!acct::currencyDigits(p.currency))
      throw AbortError(Error::invalid("currency", "\"" + p.currency + "\" is not an ISO 4217 currency code (e.g. EUR, USD, CHF)"));
  }
  if (body.contains("baseFee")) p.baseFee = integerMember(body, "baseFee", 0, kMaxMoney, "baseFee");
  if (body.contains("vatRate")) p.vatBasisPoints = integerMember(body, "vatRate", 0, 10000, "vatRate");
  if (body.contains("prices")) p.prices = unitMap(body, "prices", kMaxMoney);
  if (body.contains("included")) p.included = unitMap(body, "included", 1'000'000);
}

json::object planJson(const store::PricePlan& p) {
  json::object prices, included;
  for (auto& [k, v] : p.prices) prices[k] = v;
  for (auto& [k, v] : p.included) included[k] = v;
  return {{"id", p.id},
          {"name", p.name},
          {"currency", p.currency},
          {"currencyDigits", acct::currencyDigits(p.currency).value_or(2)},
          {"baseFee", p.baseFee},
          {"vatRate", p.vatBasisPoints},
          {"prices", std::move(prices)},
          {"included", std::move(included)},
          {"createdAt", p.createdAt},
          {"updatedAt", p.updatedAt}};
}

json::object adjustmentJson(const store::Adjustment& a) {
  return {{"id", a.id},           {"organisation", a.organisation}, {"month", a.month},
          {"description", a.description}, {"amount", a.amount},   {"createdAt", a.createdAt},
          {"createdBy", a.createdBy}};
}

json::object totalsJson(const acct::Totals& t) {
  json::object o;
  for (auto& u : acct::units()) {
    auto it = t.quantitySeconds.find(std::string(u.quantity));
    if (it == t.quantitySeconds.end() || it->second == 0) continue;
    o[u.key] = json::object{{"hours", acct::hoursText(it->second, u.divisor)}, {"quantitySeconds", it->second}};
  }
  json::object sizes;
  for (auto& [size, s] : t.machineSecondsBySize) sizes[size] = acct::hoursText(s, 1);
  o["machineHoursBySize"] = std::move(sizes);
  return o;
}

json::object byDeploymentJson(const std::map<std::string, acct::Totals>& m) {
  json::object o;
  for (auto& [d, t] : m) o[d] = totalsJson(t);
  return o;
}

acct::Seconds timeParam(const Request& req, const std::string& name, acct::Seconds fallback) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return fallback;
  auto t = acct::parseTime(it->second);
  if (!t)
    throw AbortError(Error::invalid(name, name + " must be an RFC 3339 time such as 2027-03-01T00:00:00Z, not \"" +
                                              it->second + "\""));
  return *t;
}

/// The month of the operators' lists: ?month=YYYY-MM (default: the current one), begun.
struct MonthParam {
  std::string month;
  bool open = false;
};
MonthParam monthParam(const Request& req) {
  const auto now = acct::nowSeconds();
  auto month = req.query.count("month") ? req.query.at("month") : acct::formatMonth(now);
  auto start = acct::parseMonth(month);
  if (!start) throw AbortError(Error::invalid("month", "\"" + month + "\" is not a month: write YYYY-MM, e.g. 2027-03"));
  if (*start > now) throw AbortError(Error::invalid("month", month + " has not begun (months are UTC)"));
  return {month, acct::nextMonth(*start) > now};
}

}  // namespace

Response getUsage(RequestContext& ctx) {
  const auto now = acct::nowSeconds();
  const auto from = timeParam(ctx.request, "from", acct::monthStart(now));
  const auto to = timeParam(ctx.request, "to", acct::nextMonth(from));
  if (to <= from) throw AbortError(Error::invalid("to", "to must be after from"));
  auto stepText = ctx.request.query.count("step") ? ctx.request.query.at("step") : std::string("day");
  auto step = acct::stepFromString(stepText);
  if (!step) throw AbortError(Error::invalid("step", "step must be hour, day or month, not \"" + stepText + "\""));
  auto store = billingOf(ctx);
  auto usage = acct::usageOf(store, ctx.organisation, from, to, *step).orThrow();
  json::array periods;
  for (auto& p : usage.periods)
    periods.push_back(json::object{{"from", acct::formatTime(p.start)},
                                   {"to", acct::formatTime(p.end)},
                                   {"total", totalsJson(p.total)},
                                   {"deployments", byDeploymentJson(p.byDeployment)}});
  json::array units;
  for (auto& u : acct::units())
    units.push_back(json::object{{"unit", u.key}, {"description", u.description}, {"hours", u.hours}});
  return json(200, json::object{{"organisation", ctx.organisation},
                                {"from", acct::formatTime(usage.from)},
                                {"to", acct::formatTime(usage.to)},
                                {"step", acct::toString(usage.step)},
                                {"measuredUntil", acct::formatTime(usage.measuredUntil)},
                                {"timeZone", "UTC"},
                                {"units", std::move(units)},
                                {"total", totalsJson(usage.total)},
                                {"deployments", byDeploymentJson(usage.byDeployment)},
                                {"periods", std::move(periods)}});
}

Response getStatement(RequestContext& ctx) {
  std::string format = "json";
  if (auto it = ctx.request.query.find("format"); it != ctx.request.query.end()) {
    format = it->second;
    if (format != "json" && format != "csv" && format != "html")
      throw AbortError(Error::invalid("format", "format must be json, csv or html"));
  } else if (ctx.request.header("accept").find("text/html") != std::string::npos) {
    format = "html";
  }
  auto store = billingOf(ctx);
  auto org = ctx.app.state.getOrganisation(ctx.organisation).orThrow();
  auto s = acct::statementOf(store, org.id, acct::createdAt(org), ctx.param("month")).orThrow();
  Response r;
  if (format == "csv") {
    r.body = acct::toCsv(s);
    r.headers["content-type"] = "text/csv; charset=utf-8; header=present";
    r.headers["content-disposition"] = "attachment; filename=\"statement-" + s.organisation + "-" + s.month + ".csv\"";
  } else if (format == "html") {
    r.body = acct::toHtml(s, org.displayName);
    r.headers["content-type"] = "text/html; charset=utf-8";
    r.headers["content-security-policy"] = acct::htmlContentSecurityPolicy();
  } else {
    return json(200, acct::toJson(s));
  }
  if (!s.closed) r.headers["cache-control"] = "no-store";
  return r;
}

Response getForecast(RequestContext& ctx) {
  auto store = billingOf(ctx);
  auto f = acct::forecastOf(store, ctx.organisation).orThrow();
  auto r = json(200, acct::toJson(f));
  r.headers["cache-control"] = "no-store";
  return r;
}

Response listStatements(RequestContext& ctx) {
  auto m = monthParam(ctx.request);
  auto p = input::paging(ctx.request).orThrow();
  auto store = billingOf(ctx);
  auto page = ctx.app.state.listOrganisations(std::nullopt, p.limit, p.cursor);
  json::array items;
  for (auto& org : page.items) {
    json::object item{{"organisation", json::object{{"id", org.id}, {"name", org.name}, {"displayName", org.displayName}}}};
    auto summary = acct::summaryOf(store, org, m.month, m.open);
    item["plan"] = nullptr;
    item["statement"] = nullptr;
    item["forecast"] = nullptr;
    if (const auto& s = summary.statement) {
      item["plan"] = json::object{{"id", s->planId}, {"name", s->planName}};
      item["statement"] = json::object{{"closed", s->closed}, {"currency", s->currency}, {"currencyDigits", s->digits},
                                       {"subtotal", s->subtotal}, {"vat", s->vat}, {"total", s->total}};
      if (const auto& f = summary.forecast)
        item["forecast"] = json::object{{"total", f->atMonthEnd.total}, {"asOf", acct::formatTime(f->asOf)}};
    } else {  // no price plan, or created after the month: no statement, said so rather than a total of zero
      item["reason"] = summary.reason;
      if (!summary.existed) item["existed"] = false;
    }
    items.push_back(std::move(item));
  }
  auto r = json(200, json::object{{"month", m.month},
                                  {"open", m.open},
                                  {"items", std::move(items)},
                                  {"next", page.next.empty() ? json::value(nullptr) : json::value(page.next)}});
  if (m.open) r.headers["cache-control"] = "no-store";
  return r;
}

Response getStatementTotals(RequestContext& ctx) {
  auto m = monthParam(ctx.request);
  auto store = billingOf(ctx);
  auto t = acct::totalsOf(ctx.app.state, store, m.month, m.open);
  json::array totals;
  for (auto& c : t.currencies)
    totals.push_back(json::object{{"currency", c.currency},
                                  {"currencyDigits", c.digits},
                                  {"organisations", c.organisations},
                                  {"subtotal", c.subtotal},
                                  {"vat", c.vat},
                                  {"total", c.total},
                                  {"forecast", t.open ? json::value(c.forecast) : json::value(nullptr)}});
  json::object body{{"month", t.month},
                    {"open", t.open},
                    {"organisations", t.organisations},
                    {"withoutPlan", t.withoutPlan},
                    {"totals", std::move(totals)}};
  if (t.open) body["asOf"] = acct::formatTime(t.asOf);
  auto r = json(200, body);
  if (t.open) r.headers["cache-control"] = "no-store";
  return r;
}

Response postAdjustment(RequestContext& ctx) {
  findOrganisation(ctx);
  auto body = input::jsonObject(ctx.request, {"description", "amount", "month"}).orThrow();
  store::Adjustment a;
  a.organisation = ctx.organisation;
  a.description = input::requiredString(body, "description").orThrow();
  if (a.description.empty() || a.description.size() > 200)
    throw AbortError(Error::invalid("description", "a description has 1 to 200 characters"));
  if (!body.contains("amount")) throw AbortError(Error::malformed("amount", "amount is required (minor units; negative for a credit)"));
  a.amount = integerMember(body, "amount", -kMaxMoney, kMaxMoney, "amount");
  if (a.amount == 0) throw AbortError(Error::invalid("amount", "an adjustment of 0 changes nothing"));
  const auto now = acct::nowSeconds();
  a.month = input::optionalString(body, "month").orThrow().value_or(acct::formatMonth(now));
  auto start = acct::parseMonth(a.month);
  if (!start) throw AbortError(Error::invalid("month", "\"" + a.month + "\" is not a month: write YYYY-MM"));
  if (acct::nextMonth(*start) <= now)
    throw AbortError(Error::invalid("month", a.month + " is closed: its statement never changes; add the correction "
                                                        "to the current month"));
  if (*start > acct::nextMonth(now))
    throw AbortError(Error::invalid("month", "adjustments go on the current or the next month"));
  a.createdBy = ctx.user ? ctx.user->id : "";
  a = billingOf(ctx).addAdjustment(a);
  return json(201, adjustmentJson(a));
}

Response listAdjustments(RequestContext& ctx) {
  auto month = ctx.request.query.count("month") ? ctx.request.query.at("month") : acct::formatMonth(acct::nowSeconds());
  if (!acct::parseMonth(month)) throw AbortError(Error::invalid("month", "\"" + month + "\" is not a month: write YYYY-MM"));
  json::array items;
  for (auto& a : billingOf(ctx).adjustments(ctx.organisation, month)) items.push_back(adjustmentJson(a));
  return json(200, json::object{{"items", std::move(items)}, {"next", nullptr}});
}

Response getOrganisationPricePlan(RequestContext& ctx) {
  auto store = billingOf(ctx);
  auto id = store.planOf(ctx.organisation);
  if (!id) return json(200, json::object{{"organisation", ctx.organisation}, {"plan", nullptr}});
  auto plan = store.getPlan(*id);
  if (!plan) throw AbortError({ErrorKind::Internal, "the organisation's price plan " + *id + " is missing", {}});
  return json(200, json::object{{"organisation", ctx.organisation}, {"plan", planJson(*plan)}});
}

Response putOrganisationPricePlan(RequestContext& ctx) {
  findOrganisation(ctx);
  auto body = input::jsonObject(ctx.request, {"plan"}).orThrow();
  auto id = input::requiredString(body, "plan").orThrow();
  auto store = billingOf(ctx);
  store.assignPlan(ctx.organisation, id).orThrow();
  return json(200, json::object{{"organisation", ctx.organisation}, {"plan", planJson(store.getPlan(id).orThrow())}});
}

Response postPricePlan(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"name", "currency", "baseFee", "vatRate", "prices", "included"}).orThrow();
  store::PricePlan p;
  applyPlanFields(body, p, true);
  auto created = billingOf(ctx).createPlan(p).orThrow();
  auto r = json(201, planJson(created));
  r.headers["location"] = "/api/v1/price-plans/" + created.id;
  return r;
}

Response listPricePlans(RequestContext& ctx) {
  json::array items;
  for (auto& p : billingOf(ctx).listPlans()) items.push_back(planJson(p));
  return json(200, json::object{{"items", std::move(items)}, {"next", nullptr}});
}

Response getPricePlan(RequestContext& ctx) { return json(200, planJson(billingOf(ctx).getPlan(ctx.param("id")).orThrow())); }

Response patchPricePlan(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"name", "currency", "baseFee", "vatRate", "prices", "included"}).orThrow();
  auto store = billingOf(ctx);
  auto p = store.getPlan(ctx.param("id")).orThrow();
  applyPlanFields(body, p, false);
  return json(200, planJson(store.updatePlan(p).orThrow()));
}

}  // namespace fedihost::api::handlers
