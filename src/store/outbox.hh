#pragma once
// The outbox: events bound for the accounting database (audit rows, resource
// lifecycle events) are written into the state database inside the transaction
// of the change they record; the Shipper moves them to the accounting database
// exactly once (idempotent there by event id) and then deletes them here.
// A crash anywhere loses nothing (the event commits with the change) and doubles
// nothing (an event shipped twice is recorded once).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/accounting_store.hh"
#include "store/sql.hh"

namespace fedihost::store {

/// Queues an audit row. `ready` false: its outcome is filled in later by completeAudit
/// (a request whose change commits before it has answered). Use inside the change's transaction.
void enqueueAudit(Connection& state, const AuditEntry& e, bool ready = true);
/// Sets the outcome of a row queued with ready = false (or queues it if it is not there) and makes it shippable.
void completeAudit(Connection& state, const AuditEntry& e);
/// Queues a resource event; an event id already queued is queued once.
void enqueueResourceEvent(Connection& state, const ResourceEvent& e);
/// Rows not shipped yet.
std::int64_t outboxBacklog(Connection& state);
/// Rows left waiting for an outcome by a process that stopped before answering:
/// made shippable with outcome "unanswered" (status 0). Call before serving requests.
int recoverUnanswered(Connection& state);

struct ShipperConfig {
  std::string stateUrl;
  std::string accountingUrl;
  std::filesystem::path headFile;  ///< DATA/audit-head.json
  std::filesystem::path keyFile;   ///< DATA/audit-signing.key
  std::chrono::milliseconds interval{1000};      ///< ships at least this often
  std::chrono::milliseconds headInterval{10000}; ///< writes the signed head at most this often (and at stop)
  /// After a wake, waits this long for more events before shipping, so that a burst of steps
  /// is shipped in one batch (two transactions) rather than one batch per step.
  std::chrono::milliseconds coalesce{20};
};

/// Moves outbox rows to the accounting database: a thread woken after commits
/// (wake()) and at intervals, started and stopped with the orchestrator.
class Shipper {
 public:
  explicit Shipper(ShipperConfig config);
  ~Shipper();
  Shipper(const Shipper&) = delete;
  Shipper& operator=(const Shipper&) = delete;

  /// Recovers unanswered rows, ships what is queued, writes the head, starts the thread.
  void start();
  /// Stops the thread, ships what is left (best effort) and writes the head.
  void stop();
  /// Asks the thread to ship soon.
  void wake();
  /// Ships every ready row now, on the calling thread; returns how many were moved.
  /// Throws if the accounting database fails (the rows stay queued).
  std::int64_t shipNow();
  /// Writes the signed head of the chain now (if the log has rows).
  void writeHead();
  /// Events shipped since start, and failed shipping attempts.
  std::int64_t shipped() const { return shipped_.load(); }
  std::int64_t failures() const { return failures_.load(); }

 private:
  void loop();
  std::int64_t shipBatch();

  ShipperConfig config_;
  std::mutex shipMu_;  ///< one batch at a time; guards the connections
  std::unique_ptr<Connection> state_;
  std::unique_ptr<Connection> accounting_;
  std::string lastHeadHash_;
  std::chrono::steady_clock::time_point lastHeadWrite_{};

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<std::int64_t> shipped_{0}, failures_{0};
};

}  // namespace fedihost::store
