#pragma once
// Backups and restores of deployments as bundles (docs/backup-and-migration.md).
//
// A backup holds its deployment as a refresh does (no run can start meanwhile),
// reads the deployment's desired state, recorded resources and secrets, asks each
// provider that declares data (Capabilities::hasData) to export it into a staging
// directory, and writes the bundle under the backup directory: to a ".partial" name
// first, renamed once whole, so a killed backup leaves no bundle that verifies.
//
// A restore creates a new deployment from a bundle (another domain or target if
// asked), puts the bundle's secrets in place before anything is applied (a secret
// the bundle lacks fails the restore: it would be generated anew), applies it, then
// loads each resource's data. A failure names the part or step at fault and rolls
// back what the restore created (the data it loaded, then the deployment's resources).
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "backup_target/backup_target.hh"
#include "bundle/bundle.hh"
#include "core/domain.hh"
#include "store/backup_store.hh"
#include "store/migration_store.hh"
#include "store/state_store.hh"

namespace fedihost::orchestrator {

class Orchestrator;

/// The desired state of a deployment as a manifest holds it, and back.
json::object deploymentToManifest(const Deployment& d);
/// Invalid (field "manifest.json") when the manifest's deployment is not one.
Result<Deployment> deploymentFromManifest(const json::object& o);

class Backups {
 public:
  /// `backupDir` is the directory target, or the spool of another `target` (null: the directory).
  Backups(Orchestrator& orchestrator, std::string stateUrl, std::filesystem::path backupDir,
          std::filesystem::path keyFile, std::unique_ptr<backup_target::BackupTarget> target = nullptr);
  ~Backups();

  /// Fails the jobs a previous process left unfinished (and rolls back their restores'
  /// deployments), removes partial bundles and staging directories, starts the worker.
  void start();
  /// Stops after the job in progress reaches a step boundary; an unfinished job is failed at the next start.
  void stop();
  /// Waits until no job is queued or running.
  void waitIdle();

  /// Claims the deployment (Conflict if a run, a refresh or another backup holds it) and queues
  /// its backup. A scheduled backup records its end in the schedule and, once complete, prunes
  /// the deployment's scheduled backups beyond the schedule's retention (prune()).
  Result<store::Backup> backup(store::StateStore& state, const Deployment& d, bool scheduled = false);
  /// Removes the deployment's complete scheduled backups that its schedule's retention does not
  /// keep (bundle/schedule.hh: selectRetention): each row, its journal, then its bundle at the
  /// target (the file, or the S3 object). Never on-demand backups, never the newest, never one a
  /// queued or running restore reads. Returns the ids removed; nothing without a schedule. Not
  /// inside a transaction. A bundle the target fails to remove throws once the others are done,
  /// naming each (its row is gone: the bundle is left at the target, named in the message).
  /// Failed scheduled backups older than the newest complete one go too (rows and journals only:
  /// a failed backup leaves no bundle); failures since it stay listed.
  std::vector<std::string> prune(store::StateStore& state, const std::string& deployment);
  /// Creates `d` (a new deployment of the backup's organisation: name, domain, target and
  /// apps decided by the caller) and queues the restore of `backup` into it. Conflicts of
  /// createDeployment (name, domain) are returned as they are.
  Result<store::Restore> restore(store::StateStore& state, const store::Backup& backup, Deployment d);
  /// Queues the restore of `backup` into its own deployment `d`, in place: claims `d` as a backup
  /// does (Conflict if a run, a refresh or a backup holds it). The job verifies the whole bundle,
  /// takes a safety backup of `d` (kept, marked safetyFor), loads each resource's data (its current
  /// data discarded first), puts the bundle's secrets in place and applies what they change; a
  /// failure loads the safety backup back the same way. Conflict if the backup is of another
  /// deployment or not complete, or `d` is deleted.
  Result<store::Restore> restoreInPlace(store::StateStore& state, const store::Backup& backup, const Deployment& d);

  /// Claims `d` as a backup does and queues its migration to target `to` (docs/backup-and-migration.md,
  /// "Migration"): the new side provisioned from the recorded resources, the data copied while the
  /// app runs, then the cut-over (writes stopped, the final copy, DNS switched, a health check) and
  /// the deployment moved in one transaction; any failure rolls back to the old side, which is kept
  /// (writes stopped) after a cut-over until removeOldSide. Invalid (field "target") if `to` is not
  /// configured or lacks a provider the deployment needs; Conflict if `d` is there already, deleted,
  /// or held by a run, a refresh, a backup or another migration.
  Result<store::Migration> migrate(store::StateStore& state, const Deployment& d, const std::string& to,
                                   const std::string& requestedBy);
  /// Queues the removal of a succeeded migration's old side (not its DNS records: the switch gave
  /// them to the new side). Conflict unless it is kept, or failed (a retry).
  Result<store::Migration> removeOldSide(store::StateStore& state, const std::string& migrationId);
  /// Tests only: called with (migration id, step) after each step of a migration: "provisioned",
  /// "copied", "writes-stopped", "final-copied", "switched". It may throw to fail the migration there,
  /// or return false to leave it there as a killed process would (no roll back, the rows as they are).
  /// Set before the migration is queued (the queue's lock orders it before the worker's read).
  void setMigrationHook(std::function<bool(const std::string&, const std::string&)> hook) {
    migrationHook_ = std::move(hook);
  }

  const bundle::BundleKey& key() const { return key_; }
  const std::filesystem::path& backupDir() const { return backupDir_; }
  /// Where new backups' bundles go.
  backup_target::BackupTarget& target() { return *target_; }
  /// The target that holds a bundle at `location` (a backup's recorded location): the configured
  /// one, or the backup directory for a path (backups made before another target was configured).
  /// Conflict when none does (an S3 location outside the configured bucket).
  Result<backup_target::BackupTarget*> targetFor(const std::string& location);
  /// A complete backup's bundle as a local file (fetched into the spool from S3, removed when the
  /// returned object goes). With `maxBytes`, only the head (for the manifest). Conflict if the
  /// backup is not complete; Internal, naming it missing, if the bundle is gone; the target's error otherwise.
  Result<backup_target::LocalBundle> openBundle(const store::Backup& backup, std::int64_t maxBytes = -1);
  /// The manifest of a complete backup's bundle (from its first bytes only, where the target allows).
  Result<bundle::Manifest> manifestOf(const store::Backup& backup);

 private:
  void submit(std::function<void(store::StateStore&)> job);
  void runBackup(store::StateStore& state, const std::string& id);
  void runRestore(store::StateStore& state, const std::string& id);
  void runRestoreInPlace(store::StateStore& state, const std::string& id);
  /// An in-place restore a previous process left unfinished (failed already): its safety backup
  /// loaded back, if it was complete (else nothing had been replaced).
  void recoverInPlace(store::StateStore& state, const store::Restore& r);
  /// What loading a bundle in place touched (the resources' part prefixes) and how far it got.
  struct Loaded {
    std::vector<std::string> groups;  ///< "parts/<kind>/<name>" whose data was discarded (and perhaps reloaded)
    bool stopped = false;             ///< the worker is stopping: left for the next start
  };
  /// Loads an extracted, verified bundle (`dir`) into deployment `d` in place: the data of each of
  /// `groups` (discarded first), the bundle's secrets over the deployment's, and, if that changed
  /// any, an apply updating the resources that deliver them (the claim `claim` is given up for the
  /// run and taken again). `secretsFirst`: secrets and apply before the data (a roll back: the
  /// providers must hold the old secrets before the old data is loaded through them). `source` names
  /// the bundle in the journal ("backup bak_…"). The error's field is the part or step at fault.
  Result<void> loadInPlace(store::StateStore& state, const std::string& jobId, std::string& claim, const Deployment& d,
                           const bundle::OpenedBundle& opened, const std::filesystem::path& dir,
                           const std::vector<std::string>& groups, bool secretsFirst, Loaded& loaded,
                           const std::string& source, const std::function<void()>& stepDone);
  /// Loads the safety backup `safetyId` back into `d` (an in-place restore that failed, or was
  /// interrupted: every part of the safety bundle when `groups` is null). Returns "" or what failed.
  std::string rollBackInPlace(store::StateStore& state, const std::string& jobId, std::string& claim,
                              const Deployment& d, const std::string& safetyId,
                              const std::vector<std::string>* groups);
  /// Undoes what a restore created: the data it loaded (`loaded` keys), then the deployment's resources.
  void rollBack(store::StateStore& state, const std::string& jobId, const std::string& deploymentId,
                const std::vector<std::string>& loaded);
  void runMigration(store::StateStore& state, const std::string& id);
  void runOldSideRemoval(store::StateStore& state, const std::string& id);
  /// A migration a previous process left unfinished: its new side removed, the old side given
  /// back its writes and DNS records, failed; an old side's removal is queued again.
  void recoverMigration(store::StateStore& state, const store::Migration& m);
  /// Waits for a run to end; false if the worker is stopping first.
  bool waitRun(store::StateStore& state, const std::string& runId, Run& out);

  Orchestrator& orch_;
  std::string stateUrl_;
  std::filesystem::path backupDir_;
  bundle::BundleKey key_;
  std::unique_ptr<backup_target::BackupTarget> target_;     ///< where new bundles go
  std::unique_ptr<backup_target::BackupTarget> directory_;  ///< backupDir_, for bundles recorded as paths

  std::mutex mu_;
  std::condition_variable cv_, idleCv_;
  std::deque<std::function<void(store::StateStore&)>> jobs_;
  bool stopping_ = false;
  bool busy_ = false;
  std::thread worker_;
  std::function<bool(const std::string&, const std::string&)> migrationHook_;
};

}  // namespace fedihost::orchestrator
