#include "store/instance_store.hh"

#include "core/clock.hh"

namespace fedihost::store {
namespace {

constexpr const char* kColumns =
    "id, host, pid, version, started_at, heartbeat_at, lease_ms, stopped_at, stop_reason, "
    "(SELECT count(*) FROM runs r WHERE r.instance_id = instances.id AND r.status IN ('queued','running') "
    "AND r.kind <> 'refresh'), "
    "(SELECT count(*) FROM jobs j WHERE j.instance_id = instances.id AND j.state IN ('queued','running'))";

Instance instanceFrom(const Row& r) {
  Instance i;
  i.id = r.text(0);
  i.host = r.text(1);
  i.pid = r.integer(2);
  i.version = r.text(3);
  i.startedAt = r.text(4);
  i.heartbeatAt = r.text(5);
  i.leaseMs = r.integer(6);
  i.stoppedAt = r.text(7);
  i.stopReason = r.text(8);
  i.runsHeld = r.integer(9);
  i.jobsHeld = r.integer(10);
  if (i.id.empty() || i.heartbeatAt.empty() || i.leaseMs <= 0)
    throw DatabaseError("instance row \"" + i.id + "\" is incomplete (heartbeat or lease missing)");
  return i;
}

}  // namespace

std::string InstanceStore::realNow() { return clock::rfc3339(std::chrono::system_clock::now()); }

std::string InstanceStore::realAgo(std::chrono::milliseconds d) {
  return clock::rfc3339(std::chrono::system_clock::now() - d);
}

void InstanceStore::add(const Instance& i) {
  Transaction tx(c_, true);
  auto now = realNow();
  c_.execute(
      "INSERT INTO instances (id, host, pid, version, started_at, heartbeat_at, lease_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6) "
      "ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, "
      "lease_ms = excluded.lease_ms, stopped_at = '', stop_reason = ''",
      {i.id, i.host, i.pid, i.version, now, i.leaseMs});
  tx.commit();
}

bool InstanceStore::heartbeat(const std::string& id) {
  Transaction tx(c_, true);
  auto n = c_.execute("UPDATE instances SET heartbeat_at = ?1 WHERE id = ?2 AND stopped_at = ''", {realNow(), id});
  tx.commit();
  return n == 1;
}

Reaped InstanceStore::reap(const std::vector<std::string>& ids, const std::string& reason) {
  Reaped r;
  auto now = realNow();
  for (auto& id : ids) {
    r.instances += static_cast<int>(c_.execute(
        "UPDATE instances SET stopped_at = ?1, stop_reason = ?2 WHERE id = ?3 AND stopped_at = ''",
        {now, reason, id}));
    r.runs += static_cast<int>(
        c_.execute("UPDATE runs SET instance_id = '' WHERE instance_id = ?1 AND status IN ('queued','running') "
                   "AND kind <> 'refresh'",
                   {id}));
    r.jobs += static_cast<int>(c_.execute(
        "UPDATE jobs SET state = 'failed', error = ?1, finished_at = ?2 "
        "WHERE instance_id = ?3 AND state IN ('queued','running')",
        {"the server that ran this job (" + id + ") stopped before it ended; ask again", clock::nowRfc3339(), id}));
    r.claims += static_cast<int>(c_.execute("DELETE FROM runs WHERE kind = 'refresh' AND instance_id = ?1", {id}));
  }
  return r;
}

Reaped InstanceStore::stop(const std::string& id, const std::string& reason) {
  Transaction tx(c_, true);
  auto r = reap({id}, reason);
  tx.commit();
  return r;
}

Reaped InstanceStore::reapExpired(const std::string& by) {
  // Cheap when nobody is late: a read first, the write transaction only when there is work.
  auto now = std::chrono::system_clock::now();
  auto late = [&](const Row& row) {
    auto cutoff = clock::rfc3339(now - std::chrono::milliseconds(row.integer(2)));
    return row.text(1) < cutoff;
  };
  bool any = false;
  for (auto& row : c_.query("SELECT id, heartbeat_at, lease_ms FROM instances WHERE stopped_at = '' AND id <> ?1",
                            {by}))
    any = any || late(row);
  if (!any) return {};
  Transaction tx(c_, true);
  std::vector<std::string> dead;
  for (auto& row : c_.query("SELECT id, heartbeat_at, lease_ms FROM instances WHERE stopped_at = '' AND id <> ?1",
                            {by}))
    if (late(row)) dead.push_back(row.text(0));
  auto r = reap(dead, "no heartbeat within its lease; taken over by " + by);
  tx.commit();
  return r;
}

Reaped InstanceStore::reapAllOthers(const std::string& by, const std::string& why) {
  Transaction tx(c_, true);
  std::vector<std::string> others;
  for (auto& row : c_.query("SELECT id FROM instances WHERE stopped_at = '' AND id <> ?1", {by}))
    others.push_back(row.text(0));
  auto r = reap(others, why);
  // Rows from before instances were recorded (or of instances forgotten since) belong to nobody alive.
  others.clear();
  for (auto& row : c_.query("SELECT DISTINCT instance_id FROM runs WHERE status IN ('queued','running') "
                            "AND instance_id <> ?1 AND instance_id NOT IN (SELECT id FROM instances)",
                            {by}))
    others.push_back(row.text(0));
  for (auto& row : c_.query("SELECT DISTINCT instance_id FROM jobs WHERE state IN ('queued','running') "
                            "AND instance_id <> ?1 AND instance_id NOT IN (SELECT id FROM instances)",
                            {by}))
    others.push_back(row.text(0));
  auto legacy = reap(others, why);
  tx.commit();
  r.runs += legacy.runs;
  r.jobs += legacy.jobs;
  r.claims += legacy.claims;
  return r;
}

int InstanceStore::othersAlive(const std::string& id) {
  auto now = std::chrono::system_clock::now();
  int n = 0;
  for (auto& row : c_.query("SELECT heartbeat_at, lease_ms FROM instances WHERE stopped_at = '' AND id <> ?1", {id}))
    n += row.text(0) >= clock::rfc3339(now - std::chrono::milliseconds(row.integer(1)));
  return n;
}

std::vector<Instance> InstanceStore::list() {
  std::vector<Instance> out;
  for (auto& row : c_.query(std::string("SELECT ") + kColumns +
                            " FROM instances ORDER BY stopped_at = '' DESC, stopped_at DESC, started_at DESC, id"))
    out.push_back(instanceFrom(row));
  return out;
}

int InstanceStore::forgetStopped(const std::string& before) {
  Transaction tx(c_, true);
  auto n = c_.execute("DELETE FROM instances WHERE stopped_at <> '' AND stopped_at < ?1", {before});
  tx.commit();
  return static_cast<int>(n);
}

bool InstanceStore::claimRound(const std::string& name, const std::string& instance,
                               std::chrono::milliseconds period) {
  const auto now = realNow();
  const auto next = period.count() > 0 ? realAgo(-period) : now;
  Transaction tx(c_, true);
  c_.execute("INSERT INTO shared_rounds (name, next_due_at) VALUES (?1, '') ON CONFLICT (name) DO NOTHING", {name});
  auto n = c_.execute(
      "UPDATE shared_rounds SET next_due_at = ?1, instance_id = ?2, claimed_at = ?3 WHERE name = ?4 AND next_due_at <= ?3",
      {next, instance, now, name});
  tx.commit();
  return n == 1;
}

}  // namespace fedihost::store
