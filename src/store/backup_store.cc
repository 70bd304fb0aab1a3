#include "store/backup_store.hh"

#include "core/clock.hh"
#include "core/ids.hh"

namespace fedihost::store {
namespace {

constexpr const char* kBackupColumns =
    "id, deployment_id, organisation_id, status, error, path, size, checksum, done, total, claim_id, created_at, "
    "started_at, finished_at, scheduled, safety_for";
constexpr const char* kScheduleColumns =
    "deployment_id, organisation_id, enabled, every_hours, daily_at, keep_hourly, keep_daily, keep_weekly, "
    "keep_monthly, next_due_at, last_run_at, last_result, last_message, last_backup_id, updated_at";
constexpr const char* kRestoreColumns =
    "id, backup_id, organisation_id, deployment_id, status, error, failed_part, done, total, created_at, finished_at, "
    "in_place, safety_backup_id, claim_id";

Backup backupFrom(const Row& r) {
  Backup b;
  b.id = r.text(0);
  b.deployment = r.text(1);
  b.organisation = r.text(2);
  b.status = jobStatusFrom(r.text(3), b.id);
  b.error = r.text(4);
  b.path = r.text(5);
  b.size = r.integer(6);
  b.checksum = r.text(7);
  b.done = static_cast<int>(r.integer(8));
  b.total = static_cast<int>(r.integer(9));
  b.claimId = r.text(10);
  b.createdAt = r.text(11);
  b.startedAt = r.text(12);
  b.finishedAt = r.text(13);
  b.scheduled = r.integer(14) != 0;
  b.safetyFor = r.text(15);
  return b;
}

BackupSchedule scheduleFrom(const Row& r) {
  BackupSchedule s;
  s.deployment = r.text(0);
  s.organisation = r.text(1);
  auto enabled = r.integer(2);
  s.everyHours = static_cast<int>(r.integer(3));
  s.dailyAt = r.text(4);
  s.keepHourly = static_cast<int>(r.integer(5));
  s.keepDaily = static_cast<int>(r.integer(6));
  s.keepWeekly = static_cast<int>(r.integer(7));
  s.keepMonthly = static_cast<int>(r.integer(8));
  s.nextDueAt = r.text(9);
  s.lastRunAt = r.text(10);
  s.lastResult = r.text(11);
  s.lastMessage = r.text(12);
  s.lastBackup = r.text(13);
  s.updatedAt = r.text(14);
  s.enabled = enabled == 1;
  const bool oneCadence = (s.everyHours > 0) != !s.dailyAt.empty();
  if ((enabled != 0 && enabled != 1) || !oneCadence || s.everyHours < 0 || s.keepHourly < 0 || s.keepDaily < 0 ||
      s.keepWeekly < 0 || s.keepMonthly < 0 || (s.enabled && s.nextDueAt.empty()))
    throw DatabaseError("the backup schedule of deployment " + s.deployment + " is corrupt");
  return s;
}

Restore restoreFrom(const Row& r) {
  Restore x;
  x.id = r.text(0);
  x.backup = r.text(1);
  x.organisation = r.text(2);
  x.deployment = r.text(3);
  x.status = jobStatusFrom(r.text(4), x.id);
  x.error = r.text(5);
  x.failedPart = r.text(6);
  x.done = static_cast<int>(r.integer(7));
  x.total = static_cast<int>(r.integer(8));
  x.createdAt = r.text(9);
  x.finishedAt = r.text(10);
  const auto inPlace = r.integer(11);
  if (inPlace != 0 && inPlace != 1) throw DatabaseError("restore " + x.id + " has a corrupt in_place value");
  x.inPlace = inPlace == 1;
  x.safetyBackup = r.text(12);
  x.claimId = r.text(13);
  return x;
}

}  // namespace

JobStatus jobStatusFrom(const std::string& s, const std::string& id) {
  if (s == "queued") return JobStatus::Queued;
  if (s == "running") return JobStatus::Running;
  if (s == "succeeded") return JobStatus::Succeeded;
  if (s == "failed") return JobStatus::Failed;
  throw DatabaseError("job " + id + " has an unknown status \"" + s + "\"");
}

std::string_view toString(JobStatus s) {
  switch (s) {
    case JobStatus::Queued: return "queued";
    case JobStatus::Running: return "running";
    case JobStatus::Succeeded: return "succeeded";
    case JobStatus::Failed: return "failed";
  }
  return "failed";
}

Backup BackupStore::createBackup(const std::string& deployment, const std::string& organisation,
                                 const std::string& claimId, bool scheduled) {
  auto id = ids::newId("bak");
  c_.execute("INSERT INTO backups (id, deployment_id, organisation_id, status, claim_id, created_at, scheduled) "
             "VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6)",
             {id, deployment, organisation, claimId, clock::nowRfc3339(), std::int64_t{scheduled ? 1 : 0}});
  return getBackup(id).value();
}

Backup BackupStore::createSafetyBackup(const std::string& deployment, const std::string& organisation,
                                       const std::string& restoreId) {
  auto id = ids::newId("bak");
  Transaction tx(c_, true);
  c_.execute("INSERT INTO backups (id, deployment_id, organisation_id, status, created_at, safety_for) "
             "VALUES (?1, ?2, ?3, 'queued', ?4, ?5)",
             {id, deployment, organisation, clock::nowRfc3339(), restoreId});
  c_.execute("UPDATE restores SET safety_backup_id = ?2 WHERE id = ?1", {restoreId, id});
  tx.commit();
  return getBackup(id).value();
}

Result<Backup> BackupStore::getBackup(const std::string& id) {
  auto r = c_.queryOne(std::string("SELECT ") + kBackupColumns + " FROM backups WHERE id = ?1", {id});
  if (!r) return Error::notFound("no backup " + id);
  return backupFrom(*r);
}

std::vector<Backup> BackupStore::listBackups(const std::string& deployment) {
  std::vector<Backup> out;
  for (auto& r : c_.query(std::string("SELECT ") + kBackupColumns +
                              " FROM backups WHERE deployment_id = ?1 ORDER BY created_at DESC, id DESC",
                          {deployment}))
    out.push_back(backupFrom(r));
  return out;
}

void BackupStore::startBackup(const std::string& id, int total) {
  c_.execute("UPDATE backups SET status = 'running', total = ?2, started_at = ?3 WHERE id = ?1",
             {id, std::int64_t{total}, clock::nowRfc3339()});
}

void BackupStore::backupProgress(const std::string& id, int done) {
  c_.execute("UPDATE backups SET done = ?2 WHERE id = ?1", {id, std::int64_t{done}});
}

void BackupStore::finishBackup(const std::string& id, const std::string& path, std::int64_t size,
                               const std::string& checksum) {
  c_.execute("UPDATE backups SET status = 'succeeded', path = ?2, size = ?3, checksum = ?4, done = total, "
             "claim_id = '', finished_at = ?5 WHERE id = ?1",
             {id, path, size, checksum, clock::nowRfc3339()});
}

void BackupStore::failBackup(const std::string& id, const std::string& error) {
  c_.execute("UPDATE backups SET status = 'failed', error = ?2, claim_id = '', finished_at = ?3 WHERE id = ?1",
             {id, error, clock::nowRfc3339()});
}

Restore BackupStore::createRestore(const std::string& backup, const std::string& organisation,
                                   const std::string& deployment) {
  auto id = ids::newId("rst");
  c_.execute("INSERT INTO restores (id, backup_id, organisation_id, deployment_id, status, created_at) "
             "VALUES (?1, ?2, ?3, ?4, 'queued', ?5)",
             {id, backup, organisation, deployment, clock::nowRfc3339()});
  return getRestore(id).value();
}

Restore BackupStore::createInPlaceRestore(const std::string& backup, const std::string& organisation,
                                          const std::string& deployment, const std::string& claimId) {
  auto id = ids::newId("rst");
  c_.execute("INSERT INTO restores (id, backup_id, organisation_id, deployment_id, status, created_at, in_place, "
             "claim_id) VALUES (?1, ?2, ?3, ?4, 'queued', ?5, 1, ?6)",
             {id, backup, organisation, deployment, clock::nowRfc3339(), claimId});
  return getRestore(id).value();
}

void BackupStore::setRestoreClaim(const std::string& id, const std::string& claimId) {
  c_.execute("UPDATE restores SET claim_id = ?2 WHERE id = ?1", {id, claimId});
}

Result<Restore> BackupStore::getRestore(const std::string& id) {
  auto r = c_.queryOne(std::string("SELECT ") + kRestoreColumns + " FROM restores WHERE id = ?1", {id});
  if (!r) return Error::notFound("no restore " + id);
  return restoreFrom(*r);
}

void BackupStore::startRestore(const std::string& id, int total) {
  c_.execute("UPDATE restores SET status = 'running', total = ?2 WHERE id = ?1", {id, std::int64_t{total}});
}

void BackupStore::restoreProgress(const std::string& id, int done) {
  c_.execute("UPDATE restores SET done = ?2 WHERE id = ?1", {id, std::int64_t{done}});
}

void BackupStore::finishRestore(const std::string& id) {
  c_.execute("UPDATE restores SET status = 'succeeded', done = total, finished_at = ?2 WHERE id = ?1",
             {id, clock::nowRfc3339()});
}

void BackupStore::failRestore(const std::string& id, const std::string& error, const std::string& part) {
  c_.execute("UPDATE restores SET status = 'failed', error = ?2, failed_part = ?3, finished_at = ?4 WHERE id = ?1",
             {id, error, part, clock::nowRfc3339()});
}

void BackupStore::journal(const std::string& jobId, const std::string& part, const std::string& message) {
  c_.execute("INSERT INTO bundle_journal (job_id, seq, at, part, message) "
             "SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4 FROM bundle_journal WHERE job_id = ?1",
             {jobId, clock::nowRfc3339(), part, message});
}

std::vector<JournalLine> BackupStore::journalOf(const std::string& jobId) {
  std::vector<JournalLine> out;
  for (auto& r : c_.query("SELECT seq, at, part, message FROM bundle_journal WHERE job_id = ?1 ORDER BY seq", {jobId}))
    out.push_back({static_cast<int>(r.integer(0)), r.text(1), r.text(2), r.text(3)});
  return out;
}

std::vector<Backup> BackupStore::failInterruptedBackups() {
  std::vector<Backup> out;
  for (auto& r : c_.query(std::string("SELECT ") + kBackupColumns +
                          " FROM backups WHERE status IN ('queued', 'running')"))
    out.push_back(backupFrom(r));
  for (auto& b : out) {
    failBackup(b.id, "interrupted: the server stopped before the backup ended (no bundle was kept)");
    journal(b.id, "", "interrupted by a restart");
    if (b.scheduled)
      recordScheduleResult(b.deployment, "failed", "interrupted: the server stopped before the backup ended", b.id);
  }
  return out;
}

std::vector<Restore> BackupStore::failInterruptedRestores() {
  std::vector<Restore> out;
  for (auto& r : c_.query(std::string("SELECT ") + kRestoreColumns +
                          " FROM restores WHERE status IN ('queued', 'running')"))
    out.push_back(restoreFrom(r));
  for (auto& x : out) {
    // An in-place restore past its safety backup may have replaced data: it stays running until
    // the caller has loaded the safety backup back (and is found again if that is interrupted too).
    if (x.inPlace && !x.safetyBackup.empty())
      if (auto safety = getBackup(x.safetyBackup); safety && safety->status == JobStatus::Succeeded) {
        journal(x.id, "", "interrupted by a restart: safety backup " + x.safetyBackup + " is loaded back");
        continue;
      }
    failRestore(x.id, "interrupted: the server stopped before the restore ended", "");
    journal(x.id, "", "interrupted by a restart");
  }
  return out;
}

bool BackupStore::deleteBackupUnlessRestoring(const std::string& id) {
  Transaction tx(c_, true);
  auto n = c_.execute("DELETE FROM backups WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM restores WHERE backup_id = ?1 "
                      "AND status IN ('queued', 'running'))",
                      {id});
  if (n == 1) c_.execute("DELETE FROM bundle_journal WHERE job_id = ?1", {id});
  tx.commit();
  return n == 1;
}

Result<BackupSchedule> BackupStore::getSchedule(const std::string& deployment) {
  auto r = c_.queryOne(std::string("SELECT ") + kScheduleColumns + " FROM backup_schedules WHERE deployment_id = ?1",
                       {deployment});
  if (!r) return Error::notFound("deployment " + deployment + " has no backup schedule");
  return scheduleFrom(*r);
}

BackupSchedule BackupStore::putSchedule(const BackupSchedule& s) {
  c_.execute(
      "INSERT INTO backup_schedules (deployment_id, organisation_id, enabled, every_hours, daily_at, keep_hourly, "
      "keep_daily, keep_weekly, keep_monthly, next_due_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
      "ON CONFLICT (deployment_id) DO UPDATE SET enabled = excluded.enabled, every_hours = excluded.every_hours, "
      "daily_at = excluded.daily_at, keep_hourly = excluded.keep_hourly, keep_daily = excluded.keep_daily, "
      "keep_weekly = excluded.keep_weekly, keep_monthly = excluded.keep_monthly, next_due_at = excluded.next_due_at, "
      "updated_at = excluded.updated_at",
      {s.deployment, s.organisation, std::int64_t{s.enabled ? 1 : 0}, std::int64_t{s.everyHours}, s.dailyAt,
       std::int64_t{s.keepHourly}, std::int64_t{s.keepDaily}, std::int64_t{s.keepWeekly}, std::int64_t{s.keepMonthly},
       s.nextDueAt, clock::nowRfc3339()});
  return getSchedule(s.deployment).value();
}

std::vector<BackupSchedule> BackupStore::dueSchedules(const std::string& now, int limit) {
  std::vector<BackupSchedule> out;
  for (auto& r : c_.query(std::string("SELECT ") + kScheduleColumns +
                              " FROM backup_schedules WHERE enabled = 1 AND next_due_at <> '' AND next_due_at <= ?1 "
                              "ORDER BY next_due_at, deployment_id LIMIT ?2",
                          {now, std::int64_t{limit}}))
    out.push_back(scheduleFrom(r));
  return out;
}

bool BackupStore::claimSchedule(const std::string& deployment, const std::string& seen, const std::string& next) {
  return c_.execute("UPDATE backup_schedules SET next_due_at = ?3 WHERE deployment_id = ?1 AND next_due_at = ?2 "
                    "AND enabled = 1",
                    {deployment, seen, next}) == 1;
}

void BackupStore::unclaimSchedule(const std::string& deployment, const std::string& claimed, const std::string& seen) {
  c_.execute("UPDATE backup_schedules SET next_due_at = ?3 WHERE deployment_id = ?1 AND next_due_at = ?2",
             {deployment, claimed, seen});
}

void BackupStore::recordScheduleResult(const std::string& deployment, const std::string& result,
                                       const std::string& message, const std::string& backupId) {
  c_.execute("UPDATE backup_schedules SET last_run_at = ?2, last_result = ?3, last_message = ?4, last_backup_id = ?5 "
             "WHERE deployment_id = ?1",
             {deployment, clock::nowRfc3339(), result, message, backupId});
}

std::optional<std::string> BackupStore::organisationOfBackup(const std::string& id) {
  if (auto r = c_.queryOne("SELECT organisation_id FROM backups WHERE id = ?1", {id})) return r->text(0);
  return std::nullopt;
}

std::optional<std::string> BackupStore::organisationOfRestore(const std::string& id) {
  if (auto r = c_.queryOne("SELECT organisation_id FROM restores WHERE id = ?1", {id})) return r->text(0);
  return std::nullopt;
}

}  // namespace fedihost::store
