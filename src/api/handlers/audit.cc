// GET /api/v1/audit: the audit log, newest first. Operators see every row; an
// organisation's administrators see that organisation's rows; anyone else gets 403.
// ?format=jsonl (or Accept: application/jsonl) exports JSON lines.
#include <algorithm>
#include <map>
#include <charconv>
#include <set>

#include "aaa/auth.hh"
#include "api/handlers/handlers.hh"
#include "api/input.hh"
#include "core/clock.hh"
#include "orchestrator/orchestrator.hh"
#include "store/accounting_store.hh"
#include "store/audit_chain.hh"

namespace fedihost::api::handlers {
namespace {

std::string queryOf(const Request& req, const char* name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

}  // namespace

Response listAudit(RequestContext& ctx) {
  const auto& req = ctx.request;
  static const std::set<std::string> known{"from", "to", "actor", "object", "action", "organisation",
                                           "cursor", "limit", "format"};
  for (auto& [k, v] : req.query)
    if (!known.count(k)) throw AbortError(Error::invalid(k, "unknown query parameter \"" + k + "\""));
  const bool jsonl = queryOf(req, "format") == "jsonl" ||
                     req.header("accept").find("application/jsonl") != std::string::npos;
  if (auto f = queryOf(req, "format"); !f.empty() && f != "jsonl" && f != "json")
    throw AbortError(Error::invalid("format", "format must be json or jsonl"));

  store::AuditQuery q;
  q.from = queryOf(req, "from");
  q.to = queryOf(req, "to");
  for (auto [name, value] : {std::pair{"from", &q.from}, std::pair{"to", &q.to}})
    if (!value->empty() && !input::isRfc3339(*value))
      throw AbortError(Error::invalid(name, std::string(name) + " must be a UTC time like 2027-01-31T00:00:00Z"));
  q.actor = queryOf(req, "actor");
  q.object = queryOf(req, "object");
  q.action = queryOf(req, "action");

  // Whose rows: an operator's (unbound) session sees all; otherwise the organisations the caller administers.
  const auto& p = *ctx.principal;
  auto organisation = queryOf(req, "organisation");
  auto visible = p.visibleOrganisations();
  if (visible) {
    std::vector<std::string> administered;
    for (auto& o : *visible)
      if (auto role = p.roleIn(o); role && roleIncludes(*role, Role::OrgAdmin)) administered.push_back(o);
    if (administered.empty())
      throw AbortError({ErrorKind::Forbidden, "the audit log is for operators and organisation administrators", {}});
    if (!organisation.empty()) {
      if (std::find(administered.begin(), administered.end(), organisation) == administered.end())
        throw AbortError(Error::notFound("no organisation " + organisation));
      q.organisations = {organisation};
    } else {
      q.organisations = std::move(administered);
    }
  } else if (!organisation.empty()) {
    q.organisations = {organisation};
  }

  int limit = jsonl ? 1000 : 50;
  if (auto l = queryOf(req, "limit"); !l.empty()) {
    int n = 0;
    auto [ptr, ec] = std::from_chars(l.data(), l.data() + l.size(), n);
    int max = jsonl ? 10000 : 200;
    if (ec != std::errc() || ptr != l.data() + l.size() || n < 1 || n > max)
      throw AbortError(Error::invalid("limit", "limit must be a whole number from 1 to " + std::to_string(max)));
    limit = n;
  }
  if (auto c = queryOf(req, "cursor"); !c.empty()) {
    auto [ptr, ec] = std::from_chars(c.data(), c.data() + c.size(), q.before);
    if (ec != std::errc() || ptr != c.data() + c.size() || q.before < 1)
      throw AbortError(Error::invalid("cursor", "not a cursor of this list"));
  }
  q.limit = limit + 1;
  auto rows = ctx.app.accounting.listAudit(q);
  std::string next;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<std::size_t>(limit));
    next = std::to_string(rows.back().seq);
  }
  if (jsonl) {
    Response r;
    r.status = 200;
    for (auto& e : rows) r.body += boost::json::serialize(store::toJson(e)) + "\n";
    r.headers["content-type"] = "application/jsonl";
    if (!next.empty()) r.headers["x-next-cursor"] = next;
    return r;
  }
  // Who, in words: the actor's address and whether they are the provider's staff (the
  // rows keep only ids; a person's address may have changed since, this is today's).
  std::map<std::string, boost::json::value> actors;
  auto actorOf = [&](const store::AuditEntry& e) -> boost::json::value {
    if (e.actorId.empty() || (e.actorKind != "user" && e.actorKind != "token")) return nullptr;
    auto [it, fresh] = actors.try_emplace(e.actorId, nullptr);
    if (fresh)
      if (auto u = ctx.app.accounts.getUser(e.actorId))
        it->second = boost::json::object{{"email", u->email}, {"operator", u->isOperator}};
    return it->second;
  };
  boost::json::array items;
  for (auto& e : rows) {
    auto item = store::toJson(e);
    item["actor"] = actorOf(e);
    items.push_back(std::move(item));
  }
  boost::json::object out{{"items", std::move(items)}};
  out["next"] = next.empty() ? boost::json::value(nullptr) : boost::json::value(next);
  return json(200, out);
}

Response getAuditVerification(RequestContext& ctx) {
  // Who: operators see the first bad row; an organisation's administrators (auditors of
  // their organisation) learn whether the whole log is intact, not what other rows hold.
  const auto& p = *ctx.principal;
  bool full = true;
  if (auto visible = p.visibleOrganisations()) {
    full = false;
    bool admin = false;
    for (auto& o : *visible)
      if (auto role = p.roleIn(o); role && roleIncludes(*role, Role::OrgAdmin)) admin = true;
    if (!admin) throw AbortError({ErrorKind::Forbidden, "the audit log is for operators and organisation administrators", {}});
  }
  // The shipper may be appending: a row shipped while we walk is checked next time.
  const auto& dir = ctx.app.orchestrator.dataDir();
  auto report = store::verifyAuditChain(ctx.app.accounting.connection(), dir.auditHeadFile(), dir.auditKeyFile());
  boost::json::object o{{"intact", report.ok}, {"rows", report.rows}, {"checkedAt", clock::nowRfc3339()}};
  if (report.head)
    o["signedHead"] = boost::json::object{{"seq", report.head->seq}, {"at", report.head->at}};
  else
    o["signedHead"] = nullptr;
  if (!report.ok) {
    o["problem"] = full ? report.why : "the log does not verify; the provider's operators can see which row";
    if (full && report.badSeq > 0)
      o["firstBadRow"] = boost::json::object{{"seq", report.badSeq}, {"eventId", report.badEventId}};
  }
  return json(200, o);
}

}  // namespace fedihost::api::handlers
