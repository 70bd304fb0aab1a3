#pragma once
// Scheduled backups (docs/backup-and-migration.md): a thread of `fedihost serve` that, at
// start and then every interval, finds the schedules that are due, claims each one (a
// conditional update of its next due time: of several instances sharing the state
// database, one wins) and starts its backup through Backups::backup, as an on-demand
// backup starts. A deployment that is busy (a run, a refresh or a backup holds it) is
// skipped and its schedule left due, so the next round tries again.
#include <atomic>
#include <chrono>
#include <string>

#include "bundle/schedule.hh"
#include "core/periodic_thread.hh"
#include "store/backup_store.hh"
#include "store/state_store.hh"

namespace fedihost::orchestrator {

class Orchestrator;

/// A stored schedule's cadence; a DatabaseError when the row's "HH:MM" is corrupt.
bundle::Cadence cadenceOf(const store::BackupSchedule& s);

/// The next due time of a cadence after now (core/clock), as RFC 3339.
std::string nextDueAfterNow(const bundle::Cadence& c);

struct BackupSchedulerConfig {
  std::string stateUrl;  ///< the thread's own connection
  std::chrono::seconds interval{60};
};

class BackupScheduler {
 public:
  BackupScheduler(Orchestrator& orchestrator, BackupSchedulerConfig config);
  BackupScheduler(const BackupScheduler&) = delete;
  BackupScheduler& operator=(const BackupScheduler&) = delete;

  void start() { thread_.start(); }
  void stop() { thread_.stop(); }
  /// One round on the calling thread: claims every due schedule and starts its backup.
  /// Returns the backups started. Throws if the database fails (the next round tries again).
  int runDue(store::StateStore& state);
  /// Backups started by the thread since start.
  int started() const { return started_.load(); }

 private:
  Orchestrator& orch_;
  BackupSchedulerConfig config_;
  std::atomic<int> started_{0};
  PeriodicThread thread_;  // last: stopped (joined) before the members its rounds use go
};

}  // namespace fedihost::orchestrator
