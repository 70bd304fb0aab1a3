#include "accounting/statement.hh"

#include <sodium.h>

#include <algorithm>
#include <map>

#include "core/clock.hh"

namespace fedihost::accounting {
namespace json = boost::json;
namespace {

// Active ISO 4217 currencies by their minor-unit digits (funds and precious metals without
// minor units are left out).
constexpr std::string_view kDigits0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
constexpr std::string_view kDigits3 = "BHD IQD JOD KWD LYD OMR TND";
constexpr std::string_view kDigits4 = "CLF UYW";
constexpr std::string_view kDigits2 =
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF "
    "CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ "
    "GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK "
    "MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB "
    "SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD "
    "USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL";

bool listed(std::string_view list, std::string_view code) {
  for (std::size_t i = 0; i + 3 <= list.size(); i += 4)
    if (list.substr(i, 3) == code) return true;
  return false;
}

std::string unitMonths(std::string_view hours) {
  // "vCPU-hours" -> "vCPU-months"
  std::string s(hours);
  if (s.ends_with("hours")) s.replace(s.size() - 5, 5, "months");
  return s;
}

/// a / c as a decimal with `decimals` places, rounded half up.
std::string decimal(__int128 a, __int128 c, int decimals) {
  __int128 scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  bool neg = a < 0;
  if (neg) a = -a;
  __int128 q = (a * scale * 2 + c) / (c * 2);
  auto whole = static_cast<long long>(q / scale);
  std::string f = std::to_string(static_cast<long long>(q % scale));
  std::string out = (neg && q != 0 ? "-" : "") + std::to_string(whole);
  if (decimals > 0) out += "." + std::string(decimals - f.size(), '0') + f;
  return out;
}

std::string htmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  return out;
}

std::string csvField(std::string_view s, bool text) {
  std::string v(s);
  // A text cell starting like a formula is defused for spreadsheets.
  if (text && !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r'))
    v.insert(v.begin(), '\'');
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

constexpr std::string_view kStyle =
    "\nbody{font-family:system-ui,sans-serif;margin:2em auto;max-width:50em;color:#111}\n"
    "table{border-collapse:collapse;width:100%}th,td{padding:.35em .5em;border-bottom:1px solid #ccc;text-align:left}\n"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tfoot td{font-weight:600;border:none}\n"
    ".muted{color:#555}@media print{body{margin:0}}\n";

}  // namespace

std::string htmlContentSecurityPolicy() {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(kStyle.data()), kStyle.size());
  char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, hash, sizeof hash, sodium_base64_VARIANT_ORIGINAL);
  return std::string("default-src 'none'; style-src 'sha256-") + b64 +
         "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

std::optional<int> currencyDigits(std::string_view code) {
  if (code.size() != 3) return std::nullopt;
  if (listed(kDigits2, code)) return 2;
  if (listed(kDigits0, code)) return 0;
  if (listed(kDigits3, code)) return 3;
  if (listed(kDigits4, code)) return 4;
  return std::nullopt;
}

std::int64_t mulDivRound(std::int64_t a, std::int64_t b, std::int64_t c) {
  __int128 n = static_cast<__int128>(a) * b;
  bool neg = n < 0;
  if (neg) n = -n;
  __int128 q = (n * 2 + c) / (static_cast<__int128>(c) * 2);
  return static_cast<std::int64_t>(neg ? -q : q);
}

std::string formatMoney(std::int64_t minor, int digits) {
  __int128 scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  return decimal(minor, scale, digits);
}

std::vector<StatementLine> usageLines(const store::PricePlan& plan, const Totals& usage, std::int64_t periodSeconds) {
  std::vector<StatementLine> lines;
  for (auto& u : units()) {
    auto it = usage.quantitySeconds.find(std::string(u.quantity));
    if (it == usage.quantitySeconds.end() || it->second == 0) continue;
    const std::int64_t used = it->second;  // quantity-seconds
    auto price = plan.prices.count(std::string(u.key)) ? plan.prices.at(std::string(u.key)) : 0;
    auto included = plan.included.count(std::string(u.key)) ? plan.included.at(std::string(u.key)) : 0;
    const __int128 perMonth = static_cast<__int128>(u.divisor) * periodSeconds;  // quantity-seconds of one unit-month
    const __int128 includedQs = included * perMonth;
    const __int128 billable = std::max<__int128>(0, used - includedQs);
    StatementLine l;
    l.kind = "usage";
    l.unit = u.key;
    l.description = std::string(u.description) + ": " + hoursText(used, u.divisor) + " " + std::string(u.hours);
    if (included > 0) l.description += ", " + std::to_string(included) + " " + unitMonths(u.hours) + " included";
    l.quantity = decimal(billable, perMonth, 4);
    l.quantityUnit = unitMonths(u.hours);
    l.unitPrice = price;
    // Exact: billable × price / perMonth, rounded half up once.
    __int128 n = billable * price;
    l.amount = static_cast<std::int64_t>((n * 2 + perMonth) / (perMonth * 2));
    lines.push_back(std::move(l));
  }
  return lines;
}

Statement computeStatement(const std::string& organisation, Seconds start, const store::PricePlan& plan,
                           const Totals& usage, const std::vector<store::Adjustment>& adjustments) {
  Statement s;
  s.organisation = organisation;
  s.from = start;
  s.to = nextMonth(start);
  s.month = formatMonth(start);
  s.computedAt = clock::nowRfc3339();
  s.planId = plan.id;
  s.planName = plan.name;
  s.currency = plan.currency;
  s.digits = currencyDigits(plan.currency).value_or(2);
  s.vatBasisPoints = plan.vatBasisPoints;
  const std::int64_t monthSeconds = s.to - s.from;

  if (plan.baseFee != 0)
    s.lines.push_back({"base", "", "Base fee (" + plan.name + ")", "1", "month", plan.baseFee, plan.baseFee});
  for (auto& l : usageLines(plan, usage, monthSeconds)) s.lines.push_back(std::move(l));
  for (auto& a : adjustments)
    s.lines.push_back({"adjustment", "", a.description, "1", "adjustment", a.amount, a.amount});
  for (auto& l : s.lines) s.subtotal += l.amount;
  s.vat = mulDivRound(s.subtotal, s.vatBasisPoints, 10000);
  s.total = s.subtotal + s.vat;
  return s;
}

MonthlyEstimate estimateMonthly(const store::PricePlan& plan, const Quantities& quantities) {
  MonthlyEstimate e;
  e.planName = plan.name;
  e.currency = plan.currency;
  e.digits = currencyDigits(plan.currency).value_or(2);
  // The quantities held for the whole period, priced as a statement prices a period of that length:
  // one unit-month per unit. Included quantities are the organisation's, shared by its deployments.
  store::PricePlan unitPrices = plan;
  unitPrices.included.clear();
  Totals held;
  for (auto& [key, q] : quantities) held.quantitySeconds[key] = q * kEstimateSeconds;
  e.lines = usageLines(unitPrices, held, kEstimateSeconds);
  for (auto& l : e.lines) e.subtotal += l.amount;
  e.vat = mulDivRound(e.subtotal, plan.vatBasisPoints, 10000);
  e.total = e.subtotal + e.vat;
  return e;
}

Result<Forecast> computeForecast(const std::string& organisation, const store::PricePlan& plan,
                                 const std::vector<MeterEvent>& events,
                                 const std::vector<store::Adjustment>& adjustments, Seconds now) {
  const Seconds start = monthStart(now), end = nextMonth(now);
  auto soFar = computeUsage(events, start, end, Step::Month, now);
  if (!soFar) return soFar.error();
  // What is live at `now` (events of that second included), held for the one second [now, now + 1).
  auto running = computeUsage(events, now, now + 1, Step::Month, now + 1);
  if (!running) return running.error();
  Forecast f;
  f.asOf = now;
  f.secondsLeft = end - now;
  f.runningNow = running->total;
  Totals projected = soFar->total;
  for (auto& [k, q] : f.runningNow.quantitySeconds) projected.quantitySeconds[k] += q * f.secondsLeft;
  for (auto& [k, q] : f.runningNow.machineSecondsBySize) projected.machineSecondsBySize[k] += q * f.secondsLeft;
  f.soFar = computeStatement(organisation, start, plan, soFar->total, adjustments);
  f.atMonthEnd = computeStatement(organisation, start, plan, projected, adjustments);
  return f;
}

json::object toJson(const Forecast& f) {
  const Statement& s = f.atMonthEnd;
  // Usage lines so far by unit; the base fee and the adjustments are the same in both.
  std::map<std::string, std::int64_t> soFarByUnit;
  for (auto& l : f.soFar.lines)
    if (l.kind == "usage") soFarByUnit[l.unit] = l.amount;
  json::object o = toJson(s);
  for (auto& lv : o.at("lines").as_array()) {
    auto& l = lv.as_object();
    std::int64_t soFar = l.at("amount").as_int64();
    if (l.at("kind") == "usage") {
      auto it = soFarByUnit.find(std::string(l.at("unit").as_string()));
      soFar = it == soFarByUnit.end() ? 0 : it->second;
    }
    l["soFar"] = soFar;
  }
  json::array running;
  for (auto& u : units()) {
    auto it = f.runningNow.quantitySeconds.find(std::string(u.quantity));
    if (it == f.runningNow.quantitySeconds.end() || it->second == 0) continue;
    // One second of the quantity, as units: hoursText of quantity × 3600 s.
    running.push_back(json::object{{"unit", u.key},
                                   {"description", u.description},
                                   {"quantity", hoursText(it->second * 3600, u.divisor)},
                                   {"hours", u.hours}});
  }
  o.erase("closed");
  o.erase("closedAt");
  o["asOf"] = formatTime(f.asOf);
  o["secondsLeft"] = f.secondsLeft;
  o["hoursLeft"] = hoursText(f.secondsLeft, 1);
  o["runningNow"] = std::move(running);
  o["soFar"] = json::object{{"subtotal", f.soFar.subtotal}, {"vat", f.soFar.vat}, {"total", f.soFar.total}};
  return o;
}

json::object toJson(const Statement& s) {
  json::array lines;
  for (auto& l : s.lines)
    lines.push_back(json::object{{"kind", l.kind},
                                 {"unit", l.unit.empty() ? json::value(nullptr) : json::value(l.unit)},
                                 {"description", l.description},
                                 {"quantity", l.quantity},
                                 {"quantityUnit", l.quantityUnit},
                                 {"unitPrice", l.unitPrice},
                                 {"amount", l.amount}});
  return {{"organisation", s.organisation},
          {"month", s.month},
          {"from", formatTime(s.from)},
          {"to", formatTime(s.to)},
          {"closed", s.closed},
          {"closedAt", s.closedAt.empty() ? json::value(nullptr) : json::value(s.closedAt)},
          {"computedAt", s.computedAt},
          {"plan", json::object{{"id", s.planId}, {"name", s.planName}}},
          {"currency", s.currency},
          {"currencyDigits", s.digits},
          {"lines", std::move(lines)},
          {"subtotal", s.subtotal},
          {"vatRate", s.vatBasisPoints},
          {"vat", s.vat},
          {"total", s.total}};
}

json::object toJson(const MonthlyEstimate& e) {
  json::array lines;
  for (auto& l : e.lines) {
    const Unit* u = findUnit(l.unit);
    lines.push_back(json::object{{"what", u ? std::string(u->description) : l.unit},
                                 {"quantity", l.quantity},
                                 {"unit", l.quantityUnit},
                                 {"amountMinor", l.amount}});
  }
  return {{"currency", e.currency},
          {"currencyDigits", e.digits},
          {"totalMinor", e.total},
          {"subtotalMinor", e.subtotal},
          {"vatMinor", e.vat},
          {"lines", std::move(lines)},
          {"plan", e.planName},
          {"basis", "730 hours of the resources this deployment will have once applied"}};
}

Result<Statement> statementFromJson(const json::value& v) {
  try {
    const auto& o = v.as_object();
    Statement s;
    s.organisation = o.at("organisation").as_string();
    s.month = o.at("month").as_string();
    auto from = parseTime(std::string(o.at("from").as_string()));
    auto to = parseTime(std::string(o.at("to").as_string()));
    if (!from || !to) return Error::invalid("statement", "a stored statement has bad times");
    s.from = *from;
    s.to = *to;
    s.closed = o.at("closed").as_bool();
    if (o.at("closedAt").is_string()) s.closedAt = o.at("closedAt").as_string();
    s.computedAt = o.at("computedAt").as_string();
    s.planId = o.at("plan").at("id").as_string();
    s.planName = o.at("plan").at("name").as_string();
    s.currency = o.at("currency").as_string();
    s.digits = static_cast<int>(o.at("currencyDigits").as_int64());
    for (auto& lv : o.at("lines").as_array()) {
      const auto& l = lv.as_object();
      StatementLine line;
      line.kind = l.at("kind").as_string();
      if (l.at("unit").is_string()) line.unit = l.at("unit").as_string();
      line.description = l.at("description").as_string();
      line.quantity = l.at("quantity").as_string();
      line.quantityUnit = l.at("quantityUnit").as_string();
      line.unitPrice = l.at("unitPrice").as_int64();
      line.amount = l.at("amount").as_int64();
      s.lines.push_back(std::move(line));
    }
    s.subtotal = o.at("subtotal").as_int64();
    s.vatBasisPoints = o.at("vatRate").as_int64();
    s.vat = o.at("vat").as_int64();
    s.total = o.at("total").as_int64();
    return s;
  } catch (const std::exception& e) {
    return Error::invalid("statement", std::string("a stored statement is corrupt: ") + e.what());
  }
}

std::string toCsv(const Statement& s) {
  std::string out = "organisation,month,line,kind,unit,description,quantity,quantity_unit,unit_price,amount,currency\r\n";
  auto row = [&](const std::string& line, const std::string& kind, const std::string& unit, const std::string& desc,
                 const std::string& qty, const std::string& qunit, const std::string& price, std::int64_t amount) {
    out += csvField(s.organisation, true) + "," + s.month + "," + line + "," + kind + "," + csvField(unit, true) + "," +
           csvField(desc, true) + "," + qty + "," + csvField(qunit, true) + "," + price + "," +
           formatMoney(amount, s.digits) + "," + s.currency + "\r\n";
  };
  int n = 0;
  for (auto& l : s.lines)
    row(std::to_string(++n), l.kind, l.unit, l.description, l.quantity, l.quantityUnit,
        formatMoney(l.unitPrice, s.digits), l.amount);
  row("", "subtotal", "", "Subtotal", "", "", "", s.subtotal);
  row("", "vat", "", "VAT " + decimal(s.vatBasisPoints, 100, 2) + " %", "", "", "", s.vat);
  row("", "total", "", "Total", "", "", "", s.total);
  return out;
}

std::string toHtml(const Statement& s, const std::string& organisationName) {
  auto money = [&](std::int64_t m) { return htmlEscape(formatMoney(m, s.digits) + " " + s.currency); };
  std::string h =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Statement " + htmlEscape(s.month) +
      " – " + htmlEscape(organisationName) +
      "</title>\n<style>" + std::string(kStyle) + "</style></head><body>\n";
  h += "<h1>Statement " + htmlEscape(s.month) + "</h1>\n";
  h += "<p><strong>" + htmlEscape(organisationName) + "</strong> <span class=\"muted\">(" + htmlEscape(s.organisation) +
       ")</span><br>Period " + htmlEscape(formatTime(s.from)) + " to " + htmlEscape(formatTime(s.to)) +
       " (UTC)<br>Price plan " + htmlEscape(s.planName) + "<br>" +
       (s.closed ? "Closed " + htmlEscape(s.closedAt) : "Open month: amounts so far, as of " + htmlEscape(s.computedAt)) +
       "</p>\n";
  h += "<table><thead><tr><th>Description</th><th class=\"n\">Quantity</th><th>Unit</th><th class=\"n\">Unit price</th>"
       "<th class=\"n\">Amount</th></tr></thead>\n<tbody>\n";
  for (auto& l : s.lines)
    h += "<tr><td>" + htmlEscape(l.description) + "</td><td class=\"n\">" + htmlEscape(l.quantity) + "</td><td>" +
         htmlEscape(l.quantityUnit) + "</td><td class=\"n\">" + money(l.unitPrice) + "</td><td class=\"n\">" +
         money(l.amount) + "</td></tr>\n";
  h += "</tbody>\n<tfoot>\n<tr><td colspan=\"4\">Subtotal</td><td class=\"n\">" + money(s.subtotal) + "</td></tr>\n";
  h += "<tr><td colspan=\"4\">VAT " + htmlEscape(decimal(s.vatBasisPoints, 100, 2)) + " %</td><td class=\"n\">" +
       money(s.vat) + "</td></tr>\n";
  h += "<tr><td colspan=\"4\">Total</td><td class=\"n\">" + money(s.total) + "</td></tr>\n</tfoot></table>\n";
  h += "<p class=\"muted\">Amounts in " + htmlEscape(s.currency) +
       ". Usage is measured in UTC and billed pro rata of the month's length; each line is rounded half up to a whole "
       "minor unit.</p>\n</body></html>\n";
  return h;
}

}  // namespace fedihost::accounting
