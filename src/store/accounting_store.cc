#include "store/accounting_store.hh"

#include "core/clock.hh"

namespace fedihost::store {

void AccountingStore::audit(AuditEntry e) {
  if (e.at.empty()) e.at = clock::nowRfc3339();
  c_.execute(
      "INSERT INTO audit_log (at, user_id, organisation_id, method, path, status, remote, detail) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      {e.at, e.userId, e.organisationId, e.method, e.path, std::int64_t{e.status}, e.remote, e.detail});
}

std::vector<AuditEntry> AccountingStore::recentAudit(int limit) {
  std::vector<AuditEntry> out;
  for (auto& r : c_.query(
           "SELECT id, at, user_id, organisation_id, method, path, status, remote, detail FROM audit_log "
           "ORDER BY id DESC LIMIT ?1",
           {std::int64_t{limit}}))
    out.push_back({r.integer(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5),
                   static_cast<int>(r.integer(6)), r.text(7), r.text(8)});
  return out;
}

bool AccountingStore::resourceEvent(ResourceEvent e) {
  if (e.at.empty()) e.at = clock::nowRfc3339();
  Value id = e.eventId.empty() ? Value{} : Value{e.eventId};
  return c_.execute(
      "INSERT OR IGNORE INTO resource_events (at, organisation_id, deployment_id, resource_key, kind, event, "
      "event_id, quantities) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      {e.at, e.organisation, e.deployment, e.resourceKey, e.kind, e.event, id, e.quantities}) > 0;
}

int AccountingStore::resourceEventCount(const std::string& deployment) {
  return static_cast<int>(
      c_.queryOne("SELECT count(*) FROM resource_events WHERE deployment_id = ?1", {deployment})->integer(0));
}

}  // namespace fedihost::store
