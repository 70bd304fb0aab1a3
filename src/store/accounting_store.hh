#pragma once
// The accounting database: the audit log of every mutating request and the
// resource lifecycle events that usage and invoices are computed from.
#include <string>
#include <vector>

#include "store/sql.hh"

namespace fedihost::store {

struct AuditEntry {
  std::int64_t id = 0;
  std::string at;
  std::string userId;
  std::string organisationId;
  std::string method;
  std::string path;
  int status = 0;
  std::string remote;
  std::string detail;
};

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

class AccountingStore {
 public:
  /// Uses `c` (not owned), migrated with DatabaseKind::Accounting.
  explicit AccountingStore(Connection& c) : c_(c) {}

  /// Appends one line to the audit log (its `id` and, if empty, `at` are set here).
  void audit(AuditEntry e);
  /// The newest entries first.
  std::vector<AuditEntry> recentAudit(int limit);
  /// Records a lifecycle event; returns false when its eventId was already recorded.
  bool resourceEvent(ResourceEvent e);
  /// Number of lifecycle events recorded for a deployment.
  int resourceEventCount(const std::string& deployment);
  /// The accounting database's connection (billing_store.hh works on it too).
  Connection& connection() { return c_; }

 private:
  Connection& c_;
};

}  // namespace fedihost::store
