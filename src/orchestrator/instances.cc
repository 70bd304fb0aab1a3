#include "orchestrator/instances.hh"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "core/ids.hh"
#include "store/instance_store.hh"

namespace fedihost::orchestrator {
namespace {

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

void logReaped(const store::Reaped& r, const std::string& how) {
  if (r.instances == 0 && r.runs == 0 && r.jobs == 0 && r.claims == 0) return;
  spdlog::warn("{}: {} instances taken for stopped; {} runs back in the pool, {} jobs failed, {} refresh claims dropped",
               how, r.instances, r.runs, r.jobs, r.claims);
}

}  // namespace

InstanceLease::InstanceLease(std::string stateUrl, LeaseOptions options)
    : stateUrl_(std::move(stateUrl)), options_(std::move(options)), id_(ids::newId("inst")) {}

InstanceLease::~InstanceLease() {
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::error("instance {} could not be marked stopped: {}", id_, e.what());
  }
}

std::chrono::milliseconds InstanceLease::interval() const {
  return std::max(std::chrono::milliseconds(50), options_.lease / 5);
}

void InstanceLease::start() {
  if (started_) return;
  auto conn = store::connect(stateUrl_);
  store::InstanceStore instances(*conn);
  store::Instance me;
  me.id = id_;
  me.host = hostName();
  me.pid = ::getpid();
  me.version = FEDIHOST_VERSION;
  me.leaseMs = options_.lease.count();
  instances.add(me);
  if (options_.exclusive)
    logReaped(instances.reapAllOthers(id_, "ended: the data directory is locked by " + id_), "at start");
  else
    logReaped(instances.reapExpired(id_), "at start");
  spdlog::info("instance {} on {} (pid {}), lease {} ms", id_, me.host, me.pid, me.leaseMs);
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
    started_ = true;
  }
  thread_ = std::thread([this] { loop(); });
}

void InstanceLease::loop() {
  std::unique_ptr<store::Connection> conn;
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval(), [&] { return stopping_; })) {
    lock.unlock();
    try {
      if (!conn) conn = store::connect(stateUrl_);
      store::InstanceStore instances(*conn);
      if (!instances.heartbeat(id_)) {
        spdlog::critical("instance {} was taken for dead by another instance (no heartbeat within {} ms): "
                         "it stops applying runs; restart it",
                         id_, options_.lease.count());
        if (options_.onLost) options_.onLost();
        return;
      }
      auto reaped = instances.reapExpired(id_);
      logReaped(reaped, "heartbeat");
      if (reaped.runs > 0 && options_.onReaped) options_.onReaped();
    } catch (const std::exception& e) {
      // The database is away: the lease runs out unless it comes back in time; try again.
      spdlog::error("heartbeat of instance {} failed: {}", id_, e.what());
      conn.reset();
    }
    lock.lock();
  }
}

void InstanceLease::stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_) return;
    stopping_ = true;
    started_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  auto conn = store::connect(stateUrl_);
  auto r = store::InstanceStore(*conn).stop(id_, "stopped");
  if (r.runs > 0) spdlog::info("instance {} stopped; {} unfinished runs back in the pool", id_, r.runs);
}

}  // namespace fedihost::orchestrator
