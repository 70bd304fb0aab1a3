#pragma once
// This process's place among the `fedihost serve` instances that share one state
// database (store/instance_store.hh): it registers at start, renews its lease by a
// heartbeat thread, reaps instances whose lease ran out (their runs go back to the
// pool and resume here or on another instance), and hands back what it holds when it
// stops. On SQLite only one process can use the database (the data directory's lock),
// so at start every other instance is known to have ended and is reaped at once.
//
// Who owns what: the heartbeat thread and its connection belong to this object;
// onReaped and onLost are called on that thread.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace fedihost::orchestrator {

struct LeaseOptions {
  std::chrono::milliseconds lease{30000};  ///< taken for dead after this long without a heartbeat
  /// The database is this process's alone (SQLite under the data directory's lock): other
  /// instances are reaped at start without waiting for their lease to run out.
  bool exclusive = false;
  std::function<void()> onReaped;  ///< runs were handed back to the pool (wake the executor)
  std::function<void()> onLost;    ///< this instance was taken for dead: stop working at once
};

class InstanceLease {
 public:
  InstanceLease(std::string stateUrl, LeaseOptions options);
  ~InstanceLease();
  InstanceLease(const InstanceLease&) = delete;
  InstanceLease& operator=(const InstanceLease&) = delete;

  /// This process's instance id ("inst_…"), known before start.
  const std::string& id() const { return id_; }
  /// Registers, reaps whom it may, and starts the heartbeat.
  void start();
  /// Stops the heartbeat and marks the instance stopped, handing back what it holds
  /// (call after the executor and the job workers have stopped).
  void stop();
  /// How often the heartbeat is written: a fifth of the lease.
  std::chrono::milliseconds interval() const;

 private:
  void loop();
  std::string stateUrl_;
  LeaseOptions options_;
  std::string id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  std::thread thread_;
};

}  // namespace fedihost::orchestrator
