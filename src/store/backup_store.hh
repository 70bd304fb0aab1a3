#pragma once
// Backups and restores as jobs (migration 010): status, progress, a journal; backup
// schedules and what retention removes (migration 014).
// Expected outcomes (not found) are Result errors; database failures throw; a
// row with an unknown status is a DatabaseError, never a default.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hh"
#include "store/sql.hh"

namespace fedihost::store {

enum class JobStatus { Queued, Running, Succeeded, Failed };
std::string_view toString(JobStatus s);
/// The status stored as `s` in row `id`; DatabaseError for an unknown one.
JobStatus jobStatusFrom(const std::string& s, const std::string& id);

struct Backup {
  std::string id;  ///< "bak_…"
  std::string deployment;
  std::string organisation;
  JobStatus status = JobStatus::Queued;
  std::string error;
  std::string path;  ///< where the bundle is, once succeeded: an absolute path (a directory) or "s3://BUCKET/KEY"
  std::int64_t size = 0;
  std::string checksum;  ///< BLAKE2b-256 of the bundle file
  int done = 0, total = 0;
  std::string claimId;
  std::string createdAt, startedAt, finishedAt;
  bool scheduled = false;  ///< made by the deployment's schedule (retention may remove it)
  std::string safetyFor;   ///< the in-place restore this backup was taken before ('' for others)
};

/// A deployment's backup schedule (bundle/schedule.hh for the cadence and the policy).
struct BackupSchedule {
  std::string deployment;
  std::string organisation;
  bool enabled = true;
  int everyHours = 0;      ///< the cadence: every N hours, or
  std::string dailyAt;     ///< daily at "HH:MM" UTC ('' when every N hours)
  int keepHourly = 0, keepDaily = 0, keepWeekly = 0, keepMonthly = 0;
  std::string nextDueAt;   ///< RFC 3339; '' while disabled
  std::string lastRunAt;
  std::string lastResult;  ///< '', started, skipped, failed, succeeded
  std::string lastMessage;
  std::string lastBackup;
  std::string updatedAt;
};

struct Restore {
  std::string id;  ///< "rst_…"
  std::string backup;
  std::string organisation;
  std::string deployment;  ///< the deployment it creates (in place: the one it restores into)
  JobStatus status = JobStatus::Queued;
  std::string error;
  std::string failedPart;  ///< the part (or step) that failed
  int done = 0, total = 0;
  std::string createdAt, finishedAt;
  bool inPlace = false;        ///< into the backup's own deployment, after a safety backup (migration 019)
  std::string safetyBackup;    ///< in place: the backup of the deployment as it was ('' until taken)
  std::string claimId;         ///< in place: the deployment's claim while the restore runs
};

struct JournalLine {
  int seq = 0;
  std::string at;
  std::string part;
  std::string message;
};

class BackupStore {
 public:
  explicit BackupStore(Connection& c) : c_(c) {}

  Backup createBackup(const std::string& deployment, const std::string& organisation, const std::string& claimId,
                      bool scheduled = false);
  /// The safety backup of in-place restore `restoreId` (queued, unscheduled, never pruned), recorded in the restore.
  Backup createSafetyBackup(const std::string& deployment, const std::string& organisation,
                            const std::string& restoreId);
  Result<Backup> getBackup(const std::string& id);
  /// Backups of a deployment, newest first.
  std::vector<Backup> listBackups(const std::string& deployment);
  void startBackup(const std::string& id, int total);
  void backupProgress(const std::string& id, int done);
  void finishBackup(const std::string& id, const std::string& path, std::int64_t size, const std::string& checksum);
  void failBackup(const std::string& id, const std::string& error);

  Restore createRestore(const std::string& backup, const std::string& organisation, const std::string& deployment);
  /// A restore of `backup` into `deployment` itself, holding it through `claimId`.
  Restore createInPlaceRestore(const std::string& backup, const std::string& organisation,
                               const std::string& deployment, const std::string& claimId);
  /// Records the in-place restore's current claim of its deployment (after an apply held it).
  void setRestoreClaim(const std::string& id, const std::string& claimId);
  Result<Restore> getRestore(const std::string& id);
  void startRestore(const std::string& id, int total);
  void restoreProgress(const std::string& id, int done);
  void finishRestore(const std::string& id);
  void failRestore(const std::string& id, const std::string& error, const std::string& part);

  /// Appends a line to a backup's or restore's journal.
  void journal(const std::string& jobId, const std::string& part, const std::string& message);
  std::vector<JournalLine> journalOf(const std::string& jobId);

  /// Jobs a previous process left queued or running: marked failed ("interrupted"), and returned
  /// (a scheduled backup's schedule records the failure).
  std::vector<Backup> failInterruptedBackups();
  /// In-place restores whose safety backup is complete are returned but left running: the caller
  /// loads the safety backup back, then fails them.
  std::vector<Restore> failInterruptedRestores();

  /// Removes a backup's row and journal unless a queued or running restore reads it (false then,
  /// and when it is gone already). The bundle file is the caller's to remove.
  bool deleteBackupUnlessRestoring(const std::string& id);

  /// The deployment's schedule; NotFound when it has none.
  Result<BackupSchedule> getSchedule(const std::string& deployment);
  /// Creates or replaces the deployment's schedule (cadence, retention, enabled, next due);
  /// the last run's record is kept.
  BackupSchedule putSchedule(const BackupSchedule& s);
  /// Enabled schedules due at `now` (next_due_at not after it), oldest due first.
  std::vector<BackupSchedule> dueSchedules(const std::string& now, int limit);
  /// Claims a due schedule: advances next_due_at from `seen` to `next` only if it still holds
  /// `seen` and the schedule is enabled. True for exactly one of several claimants.
  bool claimSchedule(const std::string& deployment, const std::string& seen, const std::string& next);
  /// Puts `seen` back as next due after a claim whose backup could not start (so it is tried again
  /// at the next round), if the schedule still holds `claimed`.
  void unclaimSchedule(const std::string& deployment, const std::string& claimed, const std::string& seen);
  /// Records the last scheduled attempt: its result, message and backup.
  void recordScheduleResult(const std::string& deployment, const std::string& result, const std::string& message,
                            const std::string& backupId);

  std::optional<std::string> organisationOfBackup(const std::string& id);
  std::optional<std::string> organisationOfRestore(const std::string& id);

 private:
  Connection& c_;
};

}  // namespace fedihost::store
