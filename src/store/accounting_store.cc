#include "store/accounting_store.hh"

#include "core/clock.hh"
#include "core/result.hh"
#include "store/audit_chain.hh"

namespace fedihost::store {
namespace json = boost::json;

namespace {

std::string str(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  if (!v) return {};
  if (!v->is_string()) throw AbortError({ErrorKind::Internal, std::string("outbox event: ") + k + " is not a string", {}});
  return std::string(v->get_string());
}

}  // namespace

const char* const kAuditColumns =
    "seq, event_id, at, actor_kind, actor_id, via, organisation_id, action, object_id, method, path, status, "
    "outcome, remote, request_id, detail, prev_hash, hash";

AuditEntry auditRow(const Row& r) {
  AuditEntry e;
  e.seq = r.integer(0);
  e.eventId = r.text(1);
  e.at = r.text(2);
  e.actorKind = r.text(3);
  e.actorId = r.text(4);
  e.via = r.text(5);
  e.organisationId = r.text(6);
  e.action = r.text(7);
  e.objectId = r.text(8);
  e.method = r.text(9);
  e.path = r.text(10);
  e.status = static_cast<int>(r.integer(11));
  e.outcome = r.text(12);
  e.remote = r.text(13);
  e.requestId = r.text(14);
  e.detail = r.text(15);
  e.prevHash = r.text(16);
  e.hash = r.text(17);
  return e;
}

json::object toJson(const AuditEntry& e) {
  json::object o{{"eventId", e.eventId},   {"at", e.at},         {"actorKind", e.actorKind},
                 {"actorId", e.actorId},   {"via", e.via},       {"organisationId", e.organisationId},
                 {"action", e.action},     {"objectId", e.objectId}, {"method", e.method},
                 {"path", e.path},         {"status", e.status}, {"outcome", e.outcome},
                 {"remote", e.remote},     {"requestId", e.requestId}, {"detail", e.detail}};
  if (e.seq) {
    o["seq"] = e.seq;
    o["prevHash"] = e.prevHash;
    o["hash"] = e.hash;
  }
  return o;
}

AuditEntry auditFromJson(const json::object& o) {
  AuditEntry e;
  e.eventId = str(o, "eventId");
  e.at = str(o, "at");
  e.actorKind = str(o, "actorKind");
  e.actorId = str(o, "actorId");
  e.via = str(o, "via");
  e.organisationId = str(o, "organisationId");
  e.action = str(o, "action");
  e.objectId = str(o, "objectId");
  e.method = str(o, "method");
  e.path = str(o, "path");
  if (auto* s = o.if_contains("status"); s && s->is_int64()) e.status = static_cast<int>(s->get_int64());
  e.outcome = str(o, "outcome");
  e.remote = str(o, "remote");
  e.requestId = str(o, "requestId");
  e.detail = str(o, "detail");
  return e;
}

json::object toJson(const ResourceEvent& e) {
  return {{"eventId", e.eventId},       {"at", e.at},     {"organisation", e.organisation},
          {"deployment", e.deployment}, {"resourceKey", e.resourceKey}, {"kind", e.kind},
          {"event", e.event},           {"quantities", e.quantities}};
}

ResourceEvent resourceEventFromJson(const json::object& o) {
  return {str(o, "eventId"), str(o, "at"),    str(o, "organisation"), str(o, "deployment"),
          str(o, "resourceKey"), str(o, "kind"), str(o, "event"),     str(o, "quantities")};
}

bool AccountingStore::appendAudit(AuditEntry& e) {
  if (e.eventId.empty()) throw AbortError({ErrorKind::Internal, "an audit row needs an event id", {}});
  if (c_.queryOne("SELECT 1 FROM audit_log WHERE event_id = ?1", {e.eventId})) return false;
  if (e.at.empty()) e.at = clock::nowRfc3339();
  auto head = auditHead();
  e.seq = head ? head->first + 1 : 1;
  e.prevHash = head ? head->second : kGenesisHash;
  e.hash = auditHash(e);
  c_.execute(std::string("INSERT INTO audit_log (") + kAuditColumns +
                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
             {e.seq, e.eventId, e.at, e.actorKind, e.actorId, e.via, e.organisationId, e.action, e.objectId, e.method,
              e.path, std::int64_t{e.status}, e.outcome, e.remote, e.requestId, e.detail, e.prevHash, e.hash});
  return true;
}

bool AccountingStore::audit(AuditEntry e) {
  Transaction tx(c_, true);
  bool added = appendAudit(e);
  tx.commit();
  return added;
}

std::optional<std::pair<std::int64_t, std::string>> AccountingStore::auditHead() {
  auto r = c_.queryOne("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
  if (!r) return std::nullopt;
  return std::make_pair(r->integer(0), r->text(1));
}

std::vector<AuditEntry> AccountingStore::recentAudit(int limit) {
  AuditQuery q;
  q.limit = limit;
  return listAudit(q);
}

std::vector<AuditEntry> AccountingStore::listAudit(const AuditQuery& q) {
  std::string sql = std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE 1 = 1";
  std::vector<Value> params;
  auto param = [&](Value v) {
    params.push_back(std::move(v));
    return "?" + std::to_string(params.size());
  };
  if (q.before > 0) sql += " AND seq < " + param(q.before);
  if (!q.from.empty()) sql += " AND at >= " + param(q.from);
  if (!q.to.empty()) sql += " AND at < " + param(q.to);
  if (!q.actor.empty()) {
    auto p = param(q.actor);
    sql += " AND (actor_id = " + p + " OR via = " + p + ")";
  }
  if (!q.object.empty()) sql += " AND object_id = " + param(q.object);
  if (!q.action.empty()) {
    if (q.action.ends_with('*'))
      sql += " AND substr(action, 1, " + std::to_string(q.action.size() - 1) + ") = " +
             param(q.action.substr(0, q.action.size() - 1));
    else
      sql += " AND action = " + param(q.action);
  }
  if (!q.organisations.empty()) {
    sql += " AND organisation_id IN (";
    for (std::size_t i = 0; i < q.organisations.size(); ++i) sql += (i ? ", " : "") + param(q.organisations[i]);
    sql += ")";
  }
  sql += " ORDER BY seq DESC LIMIT " + param(std::int64_t{std::max(q.limit, 1)});
  std::vector<AuditEntry> out;
  for (auto& r : c_.query(sql, params)) out.push_back(auditRow(r));
  return out;
}

bool AccountingStore::resourceEvent(ResourceEvent e) {
  if (e.at.empty()) e.at = clock::nowRfc3339();
  Value id = e.eventId.empty() ? Value{} : Value{e.eventId};
  return c_.execute(
      "INSERT INTO resource_events (at, organisation_id, deployment_id, resource_key, kind, event, "
      "event_id, quantities) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
      {e.at, e.organisation, e.deployment, e.resourceKey, e.kind, e.event, id, e.quantities}) > 0;
}

int AccountingStore::resourceEventCount(const std::string& deployment) {
  return static_cast<int>(
      c_.queryOne("SELECT count(*) FROM resource_events WHERE deployment_id = ?1", {deployment})->integer(0));
}

}  // namespace fedihost::store
