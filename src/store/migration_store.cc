#include "store/migration_store.hh"

#include "core/clock.hh"
#include "core/ids.hh"

namespace fedihost::store {
namespace {

constexpr const char* kColumns =
    "id, deployment_id, organisation_id, from_target, to_target, status, phase, error, failed_part, done, total, "
    "claim_id, new_side, old_side, old_side_status, writes_stopped_at, downtime_ms, requested_by, created_at, "
    "started_at, finished_at, data_copies";

constexpr std::pair<MigrationPhase, std::string_view> kPhases[] = {
    {MigrationPhase::Queued, "queued"},           {MigrationPhase::Provisioning, "provisioning"},
    {MigrationPhase::Copying, "copying"},         {MigrationPhase::CuttingOver, "cutting-over"},
    {MigrationPhase::RollingBack, "rolling-back"}, {MigrationPhase::Done, "done"}};
constexpr std::pair<OldSide, std::string_view> kOldSides[] = {{OldSide::None, ""},
                                                              {OldSide::Kept, "kept"},
                                                              {OldSide::Removing, "removing"},
                                                              {OldSide::Removed, "removed"},
                                                              {OldSide::Failed, "failed"}};

template <class E, std::size_t N>
E fromText(const std::pair<E, std::string_view> (&table)[N], const std::string& s, const std::string& what) {
  for (auto& [e, name] : table)
    if (name == s) return e;
  throw DatabaseError(what + " \"" + s + "\" is unknown");
}

Migration migrationFrom(const Row& r) {
  Migration m;
  m.id = r.text(0);
  m.deployment = r.text(1);
  m.organisation = r.text(2);
  m.from = r.text(3);
  m.to = r.text(4);
  m.status = jobStatusFrom(r.text(5), m.id);
  m.phase = fromText(kPhases, r.text(6), "migration " + m.id + ": phase");
  m.error = r.text(7);
  m.failedPart = r.text(8);
  m.done = static_cast<int>(r.integer(9));
  m.total = static_cast<int>(r.integer(10));
  m.claimId = r.text(11);
  auto side = [&](int col) {
    boost::system::error_code ec;
    auto v = json::parse(r.text(col), ec);
    if (ec) throw DatabaseError("migration " + m.id + ": a side that is not JSON: " + ec.message());
    return v;
  };
  auto n = side(12);
  auto o = side(13);
  if (!n.is_object() || !o.is_array()) throw DatabaseError("migration " + m.id + ": a side of the wrong shape");
  m.newSide = std::move(n.get_object());
  m.oldSide = std::move(o.get_array());
  m.oldSideStatus = fromText(kOldSides, r.text(14), "migration " + m.id + ": old side status");
  m.writesStoppedAt = r.text(15);
  m.downtimeMs = r.integer(16);
  m.requestedBy = r.text(17);
  m.createdAt = r.text(18);
  m.startedAt = r.text(19);
  m.finishedAt = r.text(20);
  auto copies = side(21);
  if (!copies.is_object()) throw DatabaseError("migration " + m.id + ": its data copies are not an object");
  m.copies = std::move(copies.get_object());
  return m;
}

}  // namespace

std::string_view toString(MigrationPhase p) {
  for (auto& [e, name] : kPhases)
    if (e == p) return name;
  return "?";
}

std::string_view toString(OldSide s) {
  for (auto& [e, name] : kOldSides)
    if (e == s) return name;
  return "?";
}

Migration MigrationStore::create(const std::string& deployment, const std::string& organisation,
                                 const std::string& from, const std::string& to, const std::string& claimId,
                                 const std::string& requestedBy) {
  auto id = ids::newId("mig");
  c_.execute("INSERT INTO migrations (id, deployment_id, organisation_id, from_target, to_target, status, claim_id, "
             "requested_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?8)",
             {id, deployment, organisation, from, to, claimId, requestedBy, clock::nowRfc3339()});
  return get(id).value();
}

Result<Migration> MigrationStore::get(const std::string& id) {
  auto r = c_.queryOne(std::string("SELECT ") + kColumns + " FROM migrations WHERE id = ?1", {id});
  if (!r) return Error::notFound("no migration " + id);
  return migrationFrom(*r);
}

std::vector<Migration> MigrationStore::list(const std::string& deployment) {
  std::vector<Migration> out;
  for (auto& r : c_.query(std::string("SELECT ") + kColumns +
                              " FROM migrations WHERE deployment_id = ?1 ORDER BY created_at DESC, id DESC",
                          {deployment}))
    out.push_back(migrationFrom(r));
  return out;
}

void MigrationStore::start(const std::string& id, int total) {
  c_.execute("UPDATE migrations SET status = 'running', total = ?2, started_at = ?3 WHERE id = ?1",
             {id, std::int64_t{total}, clock::nowRfc3339()});
}

void MigrationStore::setPhase(const std::string& id, MigrationPhase phase) {
  c_.execute("UPDATE migrations SET phase = ?2 WHERE id = ?1", {id, std::string(toString(phase))});
}

void MigrationStore::progress(const std::string& id, int done) {
  c_.execute("UPDATE migrations SET done = ?2 WHERE id = ?1", {id, std::int64_t{done}});
}

void MigrationStore::setNewSide(const std::string& id, const json::object& newSide) {
  c_.execute("UPDATE migrations SET new_side = ?2 WHERE id = ?1", {id, json::serialize(newSide)});
}

void MigrationStore::writesStopped(const std::string& id, const std::string& at) {
  c_.execute("UPDATE migrations SET writes_stopped_at = ?2 WHERE id = ?1", {id, at});
}

void MigrationStore::setCopies(const std::string& id, const json::object& copies) {
  c_.execute("UPDATE migrations SET data_copies = ?2 WHERE id = ?1", {id, json::serialize(copies)});
}

void MigrationStore::succeed(const std::string& id, const json::array& oldSide, std::int64_t downtimeMs) {
  c_.execute("UPDATE migrations SET status = 'succeeded', phase = 'done', done = total, old_side = ?2, "
             "old_side_status = 'kept', downtime_ms = ?3, finished_at = ?4 WHERE id = ?1",
             {id, json::serialize(oldSide), downtimeMs, clock::nowRfc3339()});
}

void MigrationStore::fail(const std::string& id, const std::string& error, const std::string& part,
                          std::int64_t downtimeMs) {
  c_.execute("UPDATE migrations SET status = 'failed', phase = 'done', error = ?2, failed_part = ?3, downtime_ms = ?4, "
             "finished_at = ?5 WHERE id = ?1",
             {id, error, part, downtimeMs, clock::nowRfc3339()});
}

void MigrationStore::setOldSide(const std::string& id, OldSide s, const std::string& error) {
  if (error.empty())
    c_.execute("UPDATE migrations SET old_side_status = ?2 WHERE id = ?1", {id, std::string(toString(s))});
  else
    c_.execute("UPDATE migrations SET old_side_status = ?2, error = ?3 WHERE id = ?1",
               {id, std::string(toString(s)), error});
}

std::vector<Migration> MigrationStore::unfinished() {
  std::vector<Migration> out;
  for (auto& r : c_.query(std::string("SELECT ") + kColumns +
                          " FROM migrations WHERE status IN ('queued', 'running') OR old_side_status = 'removing' "
                          "ORDER BY created_at, id"))
    out.push_back(migrationFrom(r));
  return out;
}

std::optional<std::string> MigrationStore::organisationOf(const std::string& id) {
  if (auto r = c_.queryOne("SELECT organisation_id FROM migrations WHERE id = ?1", {id})) return r->text(0);
  return std::nullopt;
}

}  // namespace fedihost::store
