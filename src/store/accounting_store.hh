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

class AccountingStore {
 public:
  /// Uses `c` (not owned), migrated with DatabaseKind::Accounting.
  explicit AccountingStore(Connection& c) : c_(c) {}

  /// Appends one line to the audit log (its `id` and, if empty, `at` are set here).
  void audit(AuditEntry e);
  /// The newest entries first.
  std::vector<AuditEntry> recentAudit(int limit);
  /// Records that a resource started ("created") or stopped ("deleted") existing.
  void resourceEvent(const std::string& organisation, const std::string& deployment, const std::string& key,
                     const std::string& kind, const std::string& event);
  /// Number of lifecycle events recorded for a deployment.
  int resourceEventCount(const std::string& deployment);

 private:
  Connection& c_;
};

}  // namespace fedihost::store
