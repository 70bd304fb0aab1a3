#include "store/job_store.hh"

#include "core/clock.hh"
#include "core/ids.hh"
#include "core/json_util.hh"
#include "store/state_store.hh"

namespace fedihost::store {
namespace {

constexpr const char* kJobColumns =
    "id, kind, deployment_id, organisation_id, state, done, total, result, error, claim_id, requested_by, "
    "created_at, started_at, finished_at, instance_id, subject";

Job jobFrom(const Row& r) {
  Job j;
  j.id = r.text(0);
  auto kind = jobKindFromString(r.text(1));
  if (!kind) throw DatabaseError("job " + j.id + " has an unknown kind \"" + r.text(1) + "\"");
  j.kind = *kind;
  j.deployment = r.text(2);
  j.organisation = r.text(3);
  auto state = jobStateFromString(r.text(4));
  if (!state) throw DatabaseError("job " + j.id + " has an unknown state \"" + r.text(4) + "\"");
  j.state = *state;
  j.done = r.integer(5);
  j.total = r.integer(6);
  if (auto text = r.text(7); !text.empty()) {
    boost::json::value v;
    try {
      v = boost::json::parse(text);
    } catch (const std::exception& e) {
      throw DatabaseError("job " + j.id + " has a result that is not JSON: " + e.what());
    }
    if (!v.is_object()) throw DatabaseError("job " + j.id + " has a result that is not a JSON object");
    j.result = std::move(v.get_object());
  }
  if (j.state == JobState::Done && !j.result) throw DatabaseError("job " + j.id + " is done without a result");
  j.error = r.text(8);
  j.claim = r.text(9);
  j.requestedBy = r.text(10);
  j.createdAt = r.text(11);
  j.startedAt = r.text(12);
  j.finishedAt = r.text(13);
  j.instance = r.text(14);
  j.subject = r.text(15);
  if (j.kind == JobKind::BundleVerify && j.subject.empty())
    throw DatabaseError("job " + j.id + " verifies a bundle but names no backup");
  return j;
}

}  // namespace

std::string_view toString(JobKind k) {
  switch (k) {
    case JobKind::Refresh: return "refresh";
    case JobKind::OrphanScan: return "orphan-scan";
    case JobKind::BundleVerify: return "bundle-verify";
  }
  return "refresh";
}

std::string_view toString(JobState s) {
  switch (s) {
    case JobState::Queued: return "queued";
    case JobState::Running: return "running";
    case JobState::Done: return "done";
    case JobState::Failed: return "failed";
  }
  return "failed";
}

std::optional<JobKind> jobKindFromString(std::string_view s) {
  if (s == "refresh") return JobKind::Refresh;
  if (s == "orphan-scan") return JobKind::OrphanScan;
  if (s == "bundle-verify") return JobKind::BundleVerify;
  return std::nullopt;
}

std::optional<JobState> jobStateFromString(std::string_view s) {
  for (auto st : {JobState::Queued, JobState::Running, JobState::Done, JobState::Failed})
    if (toString(st) == s) return st;
  return std::nullopt;
}

Result<Job> JobStore::createRefresh(const std::string& deployment, const std::string& organisation,
                                    const std::string& requestedBy, const std::string& instance) {
  Transaction tx(c_, true);
  auto claim = StateStore(c_).claimRefresh(deployment, instance);
  if (!claim) return claim.error();
  auto id = ids::newId("job");
  c_.execute(
      "INSERT INTO jobs (id, kind, deployment_id, organisation_id, state, claim_id, requested_by, created_at, "
      "instance_id) VALUES (?1, 'refresh', ?2, ?3, 'queued', ?4, ?5, ?6, ?7)",
      {id, deployment, organisation, *claim, requestedBy, clock::nowRfc3339(), instance});
  tx.commit();
  return get(id);
}

Job JobStore::createOrphanScan(const std::string& requestedBy, bool& created, const std::string& instance) {
  Transaction tx(c_, true);
  if (auto r = c_.queryOne(std::string("SELECT ") + kJobColumns +
                           " FROM jobs WHERE kind = 'orphan-scan' AND state IN ('queued', 'running')")) {
    created = false;
    return jobFrom(*r);
  }
  auto id = ids::newId("job");
  c_.execute(
      "INSERT INTO jobs (id, kind, state, requested_by, created_at, instance_id) "
      "VALUES (?1, 'orphan-scan', 'queued', ?2, ?3, ?4)",
      {id, requestedBy, clock::nowRfc3339(), instance});
  tx.commit();
  created = true;
  return get(id).orThrow();
}

Job JobStore::createBundleVerify(const std::string& backup, const std::string& deployment,
                                 const std::string& organisation, const std::string& requestedBy,
                                 const std::string& instance) {
  auto id = ids::newId("job");
  c_.execute(
      "INSERT INTO jobs (id, kind, deployment_id, organisation_id, state, requested_by, created_at, instance_id, "
      "subject) VALUES (?1, 'bundle-verify', ?2, ?3, 'queued', ?4, ?5, ?6, ?7)",
      {id, deployment, organisation, requestedBy, clock::nowRfc3339(), instance, backup});
  return get(id).orThrow();
}

Result<Job> JobStore::get(const std::string& id) {
  auto r = c_.queryOne(std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?1", {id});
  if (!r) return Error::notFound("no job " + id);
  return jobFrom(*r);
}

std::optional<std::string> JobStore::organisationOf(const std::string& id) {
  auto r = c_.queryOne("SELECT organisation_id FROM jobs WHERE id = ?1", {id});
  if (!r) return std::nullopt;
  return r->text(0);
}

bool JobStore::start(const std::string& id) {
  return c_.execute("UPDATE jobs SET state = 'running', started_at = ?2 WHERE id = ?1 AND state = 'queued'",
                    {id, clock::nowRfc3339()}) == 1;
}

void JobStore::progress(const std::string& id, std::int64_t done, std::int64_t total) {
  c_.execute("UPDATE jobs SET done = ?2, total = ?3 WHERE id = ?1 AND state = 'running'", {id, done, total});
}

void JobStore::end(const std::string& id, JobState state, const std::string& result, const std::string& error) {
  Transaction tx(c_, true);
  auto r = c_.queryOne("SELECT claim_id FROM jobs WHERE id = ?1", {id});
  if (r && !r->text(0).empty()) StateStore(c_).releaseRefresh(r->text(0));
  c_.execute(
      "UPDATE jobs SET state = ?2, result = ?3, error = ?4, finished_at = ?5, "
      "done = CASE WHEN ?2 = 'done' THEN (CASE WHEN done > total THEN done ELSE total END) ELSE done END WHERE id = ?1",
      {id, std::string(toString(state)), result, error, clock::nowRfc3339()});
  tx.commit();
}

void JobStore::finish(const std::string& id, const boost::json::object& result) {
  end(id, JobState::Done, jsonutil::canonicalCompact(result), "");
}

void JobStore::fail(const std::string& id, const std::string& error) { end(id, JobState::Failed, "", error); }

int JobStore::failUnfinished(const std::string& why) {
  return static_cast<int>(c_.execute(
      "UPDATE jobs SET state = 'failed', error = ?1, finished_at = ?2 WHERE state IN ('queued', 'running')",
      {why, clock::nowRfc3339()}));
}

int JobStore::removeEndedBefore(const std::string& before) {
  return static_cast<int>(c_.execute(
      "DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at <> '' AND finished_at < ?1", {before}));
}

}  // namespace fedihost::store
