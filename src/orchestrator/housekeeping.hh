#pragma once
// Housekeeping of `fedihost serve` (docs/orchestrator.md, "Housekeeping"): a thread that,
// at start and then every interval, forgets what only grows — jobs (refreshes, orphan
// scans) that ended longer ago than the retention, and instances stopped more than a week
// ago. Of several instances sharing the state database, one does each round: the round
// "housekeeping" is claimed in the database (store::InstanceStore::claimRound).
//
// Who owns what: the thread and its connection (opened per round) belong to this object.
#include <chrono>
#include <optional>
#include <string>

#include "core/periodic_thread.hh"
#include "store/sql.hh"

namespace fedihost::orchestrator {

struct HousekeepingConfig {
  std::string stateUrl;
  std::string instance;                      ///< this instance's id (who claims the round)
  std::chrono::seconds interval{3600};
  std::chrono::hours jobRetention{24 * 7};   ///< ended jobs are forgotten after this long (0: never)
  std::chrono::hours instanceRetention{24 * 7};  ///< stopped instances are forgotten after this long
};

/// What one round removed.
struct Swept {
  int jobs = 0;
  int instances = 0;
};

class Housekeeping {
 public:
  explicit Housekeeping(HousekeepingConfig config);
  Housekeeping(const Housekeeping&) = delete;
  Housekeeping& operator=(const Housekeeping&) = delete;

  void start() { thread_.start(); }
  void stop() { thread_.stop(); }
  /// One round on the calling thread, if this instance claims it (nullopt: another instance
  /// has this period's round). Throws if the database fails (the next round tries again).
  std::optional<Swept> runOnce(store::Connection& conn);
  int rounds() const { return thread_.rounds(); }

 private:
  HousekeepingConfig config_;
  PeriodicThread thread_;  // last: stopped (joined) before the members its rounds use go
};

}  // namespace fedihost::orchestrator
