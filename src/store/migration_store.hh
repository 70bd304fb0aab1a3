#pragma once
// Migrations of deployments to another target as jobs (migration 020): status, phase,
// progress, a journal (the bundle journal, BackupStore::journal), what the migration created
// at the new target (for a roll back), and the old side kept after a cut-over until removed.
// Expected outcomes (not found) are Result errors; database failures throw; a row with an
// unknown status or phase, or a corrupt side, is a DatabaseError, never a default.
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hh"
#include "store/backup_store.hh"
#include "store/sql.hh"

namespace fedihost::store {

namespace json = boost::json;

/// Where a migration is (docs/backup-and-migration.md, "Migration").
enum class MigrationPhase {
  Queued,
  Provisioning,  ///< the new target's resources are made from the desired state
  Copying,       ///< the data is copied while the app runs (writes still go to the old side)
  CuttingOver,   ///< writes stopped; the final copy, the DNS switch, the health check
  RollingBack,   ///< the cut-over failed: the old side takes over again, the new side goes
  Done           ///< ended (status says how)
};
std::string_view toString(MigrationPhase p);

/// What is left of the old target's resources after a cut-over.
enum class OldSide { None, Kept, Removing, Removed, Failed };
std::string_view toString(OldSide s);

struct Migration {
  std::string id;  ///< "mig_…"
  std::string deployment;
  std::string organisation;
  std::string from, to;  ///< the targets
  JobStatus status = JobStatus::Queued;
  MigrationPhase phase = MigrationPhase::Queued;
  std::string error;
  std::string failedPart;
  int done = 0, total = 0;
  std::string claimId;
  json::object newSide;  ///< identity key -> outputs, of what it created at the new target
  json::array oldSide;   ///< the recorded resources at the old target when the cut-over committed
  OldSide oldSideStatus = OldSide::None;
  std::string writesStoppedAt;
  std::int64_t downtimeMs = -1;  ///< -1 until the cut-over ended
  /// How each data part moved: part -> {"method": "replicated"|"copied", "reason" (why it was not
  /// replicated), "lagBytes" (a replicated one's lag when writes stopped)} (migration 021).
  json::object copies;
  std::string requestedBy;
  std::string createdAt, startedAt, finishedAt;
};

class MigrationStore {
 public:
  explicit MigrationStore(Connection& c) : c_(c) {}

  Migration create(const std::string& deployment, const std::string& organisation, const std::string& from,
                   const std::string& to, const std::string& claimId, const std::string& requestedBy);
  Result<Migration> get(const std::string& id);
  /// Migrations of a deployment, newest first.
  std::vector<Migration> list(const std::string& deployment);
  void start(const std::string& id, int total);
  void setPhase(const std::string& id, MigrationPhase phase);
  void progress(const std::string& id, int done);
  /// Records what it has created at the new target so far.
  void setNewSide(const std::string& id, const json::object& newSide);
  void writesStopped(const std::string& id, const std::string& at);
  void setCopies(const std::string& id, const json::object& copies);
  /// The cut-over committed: the old side kept, the downtime measured.
  void succeed(const std::string& id, const json::array& oldSide, std::int64_t downtimeMs);
  /// `downtimeMs` -1 when writes never stopped.
  void fail(const std::string& id, const std::string& error, const std::string& part, std::int64_t downtimeMs);
  void setOldSide(const std::string& id, OldSide s, const std::string& error = {});
  /// Migrations a previous process left queued or running, returned (the caller rolls them back and fails them).
  std::vector<Migration> unfinished();
  std::optional<std::string> organisationOf(const std::string& id);

 private:
  Connection& c_;
};

}  // namespace fedihost::store
