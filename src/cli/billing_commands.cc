// fedihost usage / statement / billing forecast|totals / price-plan … / adjustment add:
// metered usage, monthly statements, this month's forecast, every organisation's
// totals and price plans (docs/billing.md), as clients of the API.
#include <boost/json.hpp>
#include <iostream>
#include <map>

#include "cli/client.hh"
#include "cli/client_support.hh"
#include "cli/commands.hh"
#include "core/result.hh"

namespace fedihost::cli {
namespace {

namespace json = boost::json;

/// An organisation's id from its id (org_…) or its short name.
std::string organisationId(client::Client& c, const std::string& org) {
  if (org.starts_with("org_")) return org;
  for (auto& o : listAll(c, "/api/v1/organisations?limit=200"))
    if (str(o, "name") == org) return str(o, "id");
  throw AbortError(Error::notFound("no organisation " + org + " among yours"));
}

/// A price plan's id from its id (pp_…) or its name.
std::string planId(client::Client& c, const std::string& plan) {
  if (plan.starts_with("pp_")) return plan;
  for (auto& p : listAll(c, "/api/v1/price-plans"))
    if (str(p, "name") == plan) return str(p, "id");
  throw AbortError(Error::notFound("no price plan " + plan));
}

/// "unit=amount" options as a JSON object of integers.
json::object unitAmounts(const std::vector<std::string>& items, const std::string& option) {
  json::object o;
  for (auto& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw AbortError(Error::malformed(option, option + " takes UNIT=AMOUNT (e.g. vcpu=500), not \"" + item + "\""));
    try {
      std::size_t used = 0;
      long long v = std::stoll(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1) throw std::invalid_argument("trailing");
      o[item.substr(0, eq)] = v;
    } catch (const std::exception&) {
      throw AbortError(Error::malformed(option, option + " " + item + ": the amount must be a whole number (minor units)"));
    }
  }
  return o;
}

/// Minor units as a decimal ("12.34") with the currency's digits.
std::string money(const json::value& amount, const json::value& digitsOf) {
  auto minor = amount.as_int64();
  int digits = digitsOf.is_int64() ? static_cast<int>(digitsOf.as_int64()) : 2;
  bool neg = minor < 0;
  unsigned long long m = neg ? 0ULL - static_cast<unsigned long long>(minor) : static_cast<unsigned long long>(minor);
  unsigned long long scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string frac = std::to_string(m % scale);
  std::string out = (neg ? "-" : "") + std::to_string(m / scale);
  if (digits > 0) out += "." + std::string(digits - frac.size(), '0') + frac;
  return out;
}

void printPlans(const json::array& plans) {
  std::vector<std::vector<std::string>> rows;
  for (auto& p : plans) {
    std::string prices;
    for (auto& [k, v] : p.at("prices").as_object())
      prices += (prices.empty() ? "" : " ") + std::string(k) + "=" + money(v, p.at("currencyDigits"));
    rows.push_back({str(p, "id"), str(p, "name"), str(p, "currency"), money(p.at("baseFee"), p.at("currencyDigits")),
                    money(p.at("vatRate"), json::value(2)) + " %", prices});
  }
  printTable({"ID", "NAME", "CURRENCY", "BASE FEE", "VAT", "PRICES PER UNIT-MONTH"}, rows);
}

}  // namespace

void addBillingCommands(CLI::App& app) {
  // fedihost usage ORG
  struct UsageOpts {
    Common common;
    std::string organisation, from, to, step = "day";
  };
  auto u = std::make_shared<UsageOpts>();
  auto* usage = app.add_subcommand("usage", "An organisation's metered usage by period (UTC)");
  addCommonOptions(usage, u->common);
  usage->add_option("organisation", u->organisation, "organisation id or name")->required();
  usage->add_option("--from", u->from, "start, RFC 3339 (default: the start of this month, UTC)");
  usage->add_option("--to", u->to, "end, RFC 3339 (default: a month after --from)");
  usage->add_option("--step", u->step, "hour, day or month")->check(CLI::IsMember(std::vector<std::string>{"hour", "day", "month"}));
  usage->callback([u] {
    auto c = connect(u->common);
    std::string q = "?step=" + pathSegment(u->step);
    if (!u->from.empty()) q += "&from=" + pathSegment(u->from);
    if (!u->to.empty()) q += "&to=" + pathSegment(u->to);
    auto v = expectOk(c->get("/api/v1/organisations/" + pathSegment(organisationId(*c, u->organisation)) + "/usage" + q));
    if (u->common.output == "json") return printJson(v);
    // One column per unit used in the range.
    std::vector<std::string> units, header{"PERIOD (UTC)"};
    for (auto& unit : v.at("units").as_array())
      if (v.at("total").as_object().contains(str(unit, "unit"))) {
        units.push_back(str(unit, "unit"));
        header.push_back(str(unit, "hours"));
      }
    std::vector<std::vector<std::string>> rows;
    auto row = [&](const std::string& label, const json::value& totals) {
      std::vector<std::string> r{label};
      for (auto& k : units) r.push_back(totals.as_object().contains(k) ? str(totals.at(k), "hours") : "0.000");
      rows.push_back(std::move(r));
    };
    for (auto& p : v.at("periods").as_array()) row(str(p, "from"), p.at("total"));
    row("total", v.at("total"));
    printTable(header, rows);
  });

  // fedihost statement ORG YYYY-MM [--csv|--html]
  struct StatementOpts {
    Common common;
    std::string organisation, month;
    bool csv = false, html = false;
  };
  auto s = std::make_shared<StatementOpts>();
  auto* statement = app.add_subcommand("statement", "A month's statement of an organisation (UTC month)");
  addCommonOptions(statement, s->common);
  statement->add_option("organisation", s->organisation, "organisation id or name")->required();
  statement->add_option("month", s->month, "YYYY-MM")->required();
  auto* csvFlag = statement->add_flag("--csv", s->csv, "print the CSV lines for an invoicing system");
  statement->add_flag("--html", s->html, "print the printable HTML page")->excludes(csvFlag);
  statement->callback([s] {
    auto c = connect(s->common);
    auto path = "/api/v1/organisations/" + pathSegment(organisationId(*c, s->organisation)) + "/statements/" +
                pathSegment(s->month);
    if (s->csv || s->html) {
      auto r = c->get(path + (s->csv ? "?format=csv" : "?format=html"));
      if (r.status / 100 != 2) expectOk(r);
      std::cout << r.body;
      return;
    }
    auto v = expectOk(c->get(path));
    if (s->common.output == "json") return printJson(v);
    auto& digits = v.at("currencyDigits");
    std::cout << "Statement " << str(v, "month") << " of " << str(v, "organisation") << " (plan "
              << str(v.at("plan"), "name") << ", " << (v.at("closed").as_bool() ? "closed " + str(v, "closedAt") : "open: so far")
              << ")\n\n";
    std::vector<std::vector<std::string>> rows;
    for (auto& l : v.at("lines").as_array())
      rows.push_back({str(l, "description"), str(l, "quantity") + " " + str(l, "quantityUnit"),
                      money(l.at("unitPrice"), digits), money(l.at("amount"), digits)});
    rows.push_back({"Subtotal", "", "", money(v.at("subtotal"), digits)});
    rows.push_back({"VAT " + money(v.at("vatRate"), json::value(2)) + " %", "", "", money(v.at("vat"), digits)});
    rows.push_back({"Total " + str(v, "currency"), "", "", money(v.at("total"), digits)});
    printTable({"DESCRIPTION", "QUANTITY", "UNIT PRICE", "AMOUNT"}, rows);
  });

  // fedihost billing forecast ORG | billing totals [--month YYYY-MM]
  auto* billing = app.add_subcommand("billing", "This month's forecast; every organisation's totals (operators)");
  billing->require_subcommand(1);
  struct ForecastOpts {
    Common common;
    std::string organisation;
  };
  auto fo = std::make_shared<ForecastOpts>();
  auto* forecast = billing->add_subcommand("forecast", "The open month's statement at its end if what runs now keeps running");
  addCommonOptions(forecast, fo->common);
  forecast->add_option("organisation", fo->organisation, "organisation id or name")->required();
  forecast->callback([fo] {
    auto c = connect(fo->common);
    auto v = expectOk(c->get("/api/v1/organisations/" + pathSegment(organisationId(*c, fo->organisation)) + "/forecast"));
    if (fo->common.output == "json") return printJson(v);
    auto& digits = v.at("currencyDigits");
    std::cout << "Forecast of " << str(v, "month") << " for " << str(v, "organisation") << " (plan "
              << str(v.at("plan"), "name") << "), as of " << str(v, "asOf") << ", " << str(v, "hoursLeft")
              << " hours left\n";
    std::string running;
    for (auto& r : v.at("runningNow").as_array())
      running += (running.empty() ? "" : ", ") + str(r, "quantity") + " " + str(r, "description");
    std::cout << "Running now: " << (running.empty() ? "nothing" : running) << "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (auto& l : v.at("lines").as_array())
      rows.push_back({str(l, "description"), str(l, "quantity") + " " + str(l, "quantityUnit"),
                      money(l.at("unitPrice"), digits), money(l.at("soFar"), digits), money(l.at("amount"), digits)});
    auto& soFar = v.at("soFar");
    rows.push_back({"Subtotal", "", "", money(soFar.at("subtotal"), digits), money(v.at("subtotal"), digits)});
    rows.push_back({"VAT " + money(v.at("vatRate"), json::value(2)) + " %", "", "", money(soFar.at("vat"), digits),
                    money(v.at("vat"), digits)});
    rows.push_back({"Total " + str(v, "currency"), "", "", money(soFar.at("total"), digits), money(v.at("total"), digits)});
    printTable({"DESCRIPTION", "QUANTITY AT MONTH END", "UNIT PRICE", "SO FAR", "AT MONTH END"}, rows);
  });

  struct TotalsOpts {
    Common common;
    std::string month;
    int pageSize = 200;
  };
  auto to = std::make_shared<TotalsOpts>();
  auto* totals = billing->add_subcommand("totals", "Every organisation's statement total of a month and the totals per currency (operators)");
  addCommonOptions(totals, to->common);
  totals->add_option("--month", to->month, "YYYY-MM (default: the current month, UTC)");
  totals->add_option("--page-size", to->pageSize, "organisations asked for per request")->check(CLI::Range(1, 200));
  totals->callback([to] {
    auto c = connect(to->common);
    std::string month = to->month.empty() ? "" : "month=" + pathSegment(to->month);
    // The totals first: a wrong month is refused before any page is read.
    auto sums = expectOk(c->get("/api/v1/statements/totals" + (month.empty() ? "" : "?" + month)));
    auto items = listAll(*c, "/api/v1/statements?" + (month.empty() ? "" : month + "&") +
                                 "limit=" + std::to_string(to->pageSize));
    if (to->common.output == "json") {
      auto o = sums.as_object();
      o["items"] = std::move(items);
      return printJson(o);
    }
    const bool open = sums.at("open").as_bool();
    std::cout << "Statements of " << str(sums, "month") << (open ? " (open: so far, and the forecast of its end)" : "")
              << ": " << sums.at("organisations").as_int64() << " organisations, "
              << sums.at("withoutPlan").as_int64() << " without a price plan\n\n";
    std::vector<std::vector<std::string>> rows;
    for (auto& i : items) {
      auto& org = i.at("organisation");
      auto& st = i.at("statement");
      if (st.is_null()) {
        rows.push_back({str(org, "name"), "(no price plan)", "", "", ""});
        continue;
      }
      auto& digits = st.at("currencyDigits");
      rows.push_back({str(org, "name"), str(i.at("plan"), "name"), str(st, "currency"), money(st.at("total"), digits),
                      i.at("forecast").is_null() ? "" : money(i.at("forecast").at("total"), digits)});
    }
    // An ended month has no forecast: its column is left out.
    auto print = [open](std::vector<std::string> header, std::vector<std::vector<std::string>> rows) {
      if (!open) {
        header.pop_back();
        for (auto& r : rows) r.pop_back();
      }
      printTable(header, rows);
    };
    print({"ORGANISATION", "PLAN", "CURRENCY", open ? "TOTAL SO FAR" : "TOTAL", "FORECAST"}, rows);
    std::cout << "\n";
    rows.clear();
    for (auto& t : sums.at("totals").as_array()) {
      auto& digits = t.at("currencyDigits");
      rows.push_back({str(t, "currency"), std::to_string(t.at("organisations").as_int64()), money(t.at("subtotal"), digits),
                      money(t.at("vat"), digits), money(t.at("total"), digits),
                      t.at("forecast").is_null() ? "" : money(t.at("forecast"), digits)});
    }
    print({"CURRENCY", "ORGANISATIONS", "SUBTOTAL", "VAT", open ? "TOTAL SO FAR" : "TOTAL", "FORECAST"}, rows);
  });

  // fedihost price-plan create|list|assign
  auto* pp = app.add_subcommand("price-plan", "Price plans (operators)");
  pp->require_subcommand(1);
  struct CreateOpts {
    Common common;
    std::string name, currency;
    long long baseFee = 0, vatRate = 0;
    std::vector<std::string> prices, included;
  };
  auto co = std::make_shared<CreateOpts>();
  auto* create = pp->add_subcommand("create", "Define a price plan (money in minor units, e.g. cents)");
  addCommonOptions(create, co->common);
  create->add_option("--name", co->name, "the plan's name")->required();
  create->add_option("--currency", co->currency, "ISO 4217 code, e.g. EUR")->required();
  create->add_option("--base-fee", co->baseFee, "minor units per month");
  create->add_option("--vat-rate", co->vatRate, "basis points: 1900 is 19 %");
  create->add_option("--price", co->prices, "UNIT=MINOR per unit-month, e.g. vcpu=500 (repeatable)");
  create->add_option("--included", co->included, "UNIT=N unit-months included in the base fee (repeatable)");
  create->callback([co] {
    auto c = connect(co->common);
    json::object body{{"name", co->name},
                      {"currency", co->currency},
                      {"baseFee", co->baseFee},
                      {"vatRate", co->vatRate},
                      {"prices", unitAmounts(co->prices, "--price")},
                      {"included", unitAmounts(co->included, "--included")}};
    auto v = expectOk(c->post("/api/v1/price-plans", json::serialize(body)));
    if (co->common.output == "json") return printJson(v);
    std::cout << "Created price plan " << str(v, "id") << " (" << str(v, "name") << ").\n";
  });

  auto lo = std::make_shared<Common>();
  auto* list = pp->add_subcommand("list", "List the price plans");
  addCommonOptions(list, *lo);
  list->callback([lo] {
    auto c = connect(*lo);
    auto items = listAll(*c, "/api/v1/price-plans");
    if (lo->output == "json") return printJson(json::object{{"items", items}});
    printPlans(items);
  });

  struct AssignOpts {
    Common common;
    std::string organisation, plan;
  };
  auto ao = std::make_shared<AssignOpts>();
  auto* assign = pp->add_subcommand("assign", "Give an organisation a price plan");
  addCommonOptions(assign, ao->common);
  assign->add_option("organisation", ao->organisation, "organisation id or name")->required();
  assign->add_option("plan", ao->plan, "price plan id or name")->required();
  assign->callback([ao] {
    auto c = connect(ao->common);
    auto org = organisationId(*c, ao->organisation);
    auto v = expectOk(c->request("PUT", "/api/v1/organisations/" + pathSegment(org) + "/price-plan",
                                 json::serialize(json::object{{"plan", planId(*c, ao->plan)}})));
    if (ao->common.output == "json") return printJson(v);
    std::cout << ao->organisation << " now has the price plan " << str(v.at("plan"), "name") << ".\n";
  });

  // fedihost adjustment add ORG --description --amount [--month]
  auto* adj = app.add_subcommand("adjustment", "Correction lines on open months' statements (operators)");
  adj->require_subcommand(1);
  struct AdjOpts {
    Common common;
    std::string organisation, description, month;
    long long amount = 0;
  };
  auto jo = std::make_shared<AdjOpts>();
  auto* add = adj->add_subcommand("add", "Add a line to an open month (a credit is negative)");
  addCommonOptions(add, jo->common);
  add->add_option("organisation", jo->organisation, "organisation id or name")->required();
  add->add_option("--description", jo->description, "what it is for")->required();
  add->add_option("--amount", jo->amount, "minor units; negative for a credit")->required();
  add->add_option("--month", jo->month, "YYYY-MM, an open month (default: the current one)");
  add->callback([jo] {
    auto c = connect(jo->common);
    json::object body{{"description", jo->description}, {"amount", jo->amount}};
    if (!jo->month.empty()) body["month"] = jo->month;
    auto v = expectOk(c->post("/api/v1/organisations/" + pathSegment(organisationId(*c, jo->organisation)) +
                                  "/adjustments",
                              json::serialize(body)));
    if (jo->common.output == "json") return printJson(v);
    std::cout << "Added " << str(v, "id") << " to " << str(v, "month") << ".\n";
  });
}

}  // namespace fedihost::cli
