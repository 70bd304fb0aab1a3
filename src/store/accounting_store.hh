#pragma once
// The accounting database: the audit log of every mutating request and
// orchestrator action (a hash chain, see audit_chain.hh), and the resource
// lifecycle events that usage and invoices are computed from. Both arrive
// through the outbox of the state database (outbox.hh).
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/sql.hh"

namespace fedihost::store {

/// One row of the audit log. Never holds a secret: who is an id, how is a
/// session or token id, what is a route pattern or an action name.
struct AuditEntry {
  std::int64_t seq = 0;        ///< place in the chain (1, 2, …), set when appended
  std::string eventId;         ///< unique; appending the same id twice appends it once
  std::string at;              ///< RFC 3339 UTC; set to now when empty
  std::string actorKind;       ///< user | token | system | anonymous
  std::string actorId;         ///< user id ("" for system and anonymous)
  std::string via;             ///< session or API token id (ses_…, tok_…), or ""
  std::string organisationId;  ///< on behalf of which organisation ("" if none)
  std::string action;          ///< route pattern ("POST /api/v1/deployments/{id}/apply") or "run.started", …
  std::string objectId;        ///< the object acted upon
  std::string method;
  std::string path;
  int status = 0;              ///< HTTP status; 0 for orchestrator actions and unanswered requests
  std::string outcome;         ///< ok | refused | failed | unanswered | started | succeeded | applied | …
  std::string remote;          ///< the client's address
  std::string requestId;
  std::string detail;
  std::string prevHash;        ///< hash of the row before (64 zeros for the first)
  std::string hash;            ///< over a canonical encoding of every field above
};

boost::json::object toJson(const AuditEntry& e);
/// Throws AbortError(Internal) on a malformed object (the outbox is ours).
AuditEntry auditFromJson(const boost::json::object& o);

/// One resource lifecycle event: a resource started existing ("created"), changed
/// ("updated", "replaced") or stopped existing ("deleted"). Usage is computed from these.
struct ResourceEvent {
  std::string eventId;       ///< unique; recording the same id twice records it once
  std::string at;            ///< RFC 3339 UTC; set to now when empty
  std::string organisation;
  std::string deployment;
  std::string resourceKey;
  std::string kind;          ///< resource kind (machine, database, bucket, ...)
  std::string event;         ///< created | updated | replaced | deleted
  std::string quantities = "{}";  ///< JSON object of metered quantities at that moment
};

boost::json::object toJson(const ResourceEvent& e);
ResourceEvent resourceEventFromJson(const boost::json::object& o);

/// Filters of the audit log; empty members match everything.
struct AuditQuery {
  std::string from, to;        ///< RFC 3339 bounds of `at` (from inclusive, to exclusive)
  std::string actor;           ///< user id, or session/token id
  std::string object;
  std::string action;          ///< exact, or a prefix ending in '*' ("run.*")
  std::vector<std::string> organisations;  ///< only these organisations' rows (org-admins); empty: all
  std::int64_t before = 0;     ///< cursor: rows with seq < before (0: from the newest)
  int limit = 50;
};

class AccountingStore {
 public:
  /// Uses `c` (not owned), migrated with DatabaseKind::Accounting.
  explicit AccountingStore(Connection& c) : c_(c) {}

  /// Appends one row to the chain: sets seq, prevHash and hash. Must run inside a
  /// write transaction of this connection (the shipper's), which serialises writers.
  /// Returns false (appending nothing) when its eventId is in the log already.
  bool appendAudit(AuditEntry& e);
  /// appendAudit in a write transaction of its own (tests, tools).
  bool audit(AuditEntry e);
  /// The newest entries first.
  std::vector<AuditEntry> recentAudit(int limit);
  /// Newest first, filtered and paged by seq.
  std::vector<AuditEntry> listAudit(const AuditQuery& q);
  /// The last row's (seq, hash), if any.
  std::optional<std::pair<std::int64_t, std::string>> auditHead();

  /// Records a lifecycle event; returns false when its eventId was already recorded.
  bool resourceEvent(ResourceEvent e);
  /// Number of lifecycle events recorded for a deployment.
  int resourceEventCount(const std::string& deployment);
  /// The accounting database's connection (billing_store.hh works on it too).
  Connection& connection() { return c_; }

 private:
  Connection& c_;
};

/// The columns of audit_log in the order auditRow() reads them.
extern const char* const kAuditColumns;
AuditEntry auditRow(const Row& r);

}  // namespace fedihost::store
