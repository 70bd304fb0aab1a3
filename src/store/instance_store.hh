#pragma once
// Instances (state migration 012): the `fedihost serve` processes sharing one state
// database. An instance registers at start with a lease, renews it by its heartbeat,
// and marks itself stopped when it stops cleanly. Another instance that finds its
// heartbeat older than the lease reaps it: marks it stopped (naming who saw it), hands
// its runs back to the pool (they resume from their journal on whichever instance
// claims them), fails its unfinished jobs and drops its refresh claims — all in one
// transaction, so nothing is half taken over.
//
// Time here is the machines' real clock (std::chrono::system_clock), never the
// testable clock of core/clock.hh: a lease is about processes, not about billing.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/sql.hh"

namespace fedihost::store {

struct Instance {
  std::string id;  ///< "inst_…", new at each start
  std::string host;
  std::int64_t pid = 0;
  std::string version;
  std::string startedAt;
  std::string heartbeatAt;
  std::int64_t leaseMs = 0;
  std::string stoppedAt;  ///< "" while it runs
  std::string stopReason;
  std::int64_t runsHeld = 0;  ///< runs it is executing now
  std::int64_t jobsHeld = 0;  ///< jobs queued or running on it
};

/// What a reap did.
struct Reaped {
  int instances = 0;  ///< instances found dead
  int runs = 0;       ///< runs handed back to the pool
  int jobs = 0;       ///< jobs failed
  int claims = 0;     ///< refresh claims dropped
};

class InstanceStore {
 public:
  /// Uses `c` (not owned), migrated as a state database.
  explicit InstanceStore(Connection& c) : c_(c) {}

  /// Writes a new instance with its first heartbeat (or starts a stopped one again: same process, started anew).
  void add(const Instance& instance);
  /// Renews the heartbeat; false if the instance was taken for dead meanwhile (its lease is lost:
  /// it must stop working on what it held, which may already be someone else's).
  bool heartbeat(const std::string& id);
  /// A clean stop: marks the instance stopped and hands back what it held (runs interrupted by the
  /// stop resume elsewhere at once; its unfinished jobs fail, saying so).
  Reaped stop(const std::string& id, const std::string& reason);
  /// Reaps every other instance whose heartbeat is older than its lease.
  Reaped reapExpired(const std::string& by);
  /// Reaps every other instance not stopped yet, whatever its heartbeat: for a database only one
  /// process can use at a time (SQLite under the data directory's lock, which proves the others ended).
  Reaped reapAllOthers(const std::string& by, const std::string& why);
  /// Other instances whose lease runs.
  int othersAlive(const std::string& id);
  /// Every instance, the running ones first, then the stopped ones by stop time (newest first).
  std::vector<Instance> list();
  /// Forgets instances stopped before `before` (RFC 3339); returns how many.
  int forgetStopped(const std::string& before);

  /// Claims this period's round of the shared work `name` (migration 015: the periodic refresh,
  /// housekeeping) for `instance` if the round is due (a name never claimed is), moving its next
  /// due time `period` ahead of now: a conditional update, so of several instances asking at once
  /// exactly one gets true. A period of 0 leaves the round due (tests).
  bool claimRound(const std::string& name, const std::string& instance, std::chrono::milliseconds period);

  /// The time of the machine's real clock as RFC 3339 (leases and heartbeats).
  static std::string realNow();
  static std::string realAgo(std::chrono::milliseconds d);

 private:
  /// Marks `ids` stopped with `reason` and hands back what they held, in the caller's transaction.
  Reaped reap(const std::vector<std::string>& ids, const std::string& reason);
  Connection& c_;
};

}  // namespace fedihost::store
