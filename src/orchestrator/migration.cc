// Migrations of deployments to another target, on the backups' worker (see backups.hh and
// docs/backup-and-migration.md, "Migration").
//
// The deployment keeps its identity: the new side is the same resources (same identity keys,
// same secrets) made by the new target's providers, resolved against the new side's own
// outputs (its address, its access keys) until the cut-over records them. DNS records are
// not made before the cut-over: writing them is the switch.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>

#include "core/clock.hh"
#include "orchestrator/backups.hh"
#include "orchestrator/bundle_parts.hh"
#include "orchestrator/executor.hh"
#include "orchestrator/orchestrator.hh"

namespace fedihost::orchestrator {
namespace {

namespace fs = std::filesystem;

/// `resources` in an order where each comes after those it depends on (a dependency outside
/// the list is taken as there). Throws on a cycle: recorded resources never hold one.
std::vector<const RecordedResource*> dependencyOrder(const std::vector<RecordedResource>& resources) {
  std::map<std::string, const RecordedResource*> byKey;
  for (auto& r : resources) byKey[r.resource.key] = &r;
  std::vector<const RecordedResource*> out;
  std::set<std::string> placed, visiting;
  std::function<void(const RecordedResource&)> visit = [&](const RecordedResource& r) {
    if (placed.count(r.resource.key)) return;
    if (!visiting.insert(r.resource.key).second)
      throw AbortError(Error{ErrorKind::Internal, "the recorded resources depend on each other in a cycle at " + r.resource.key, {}});
    for (auto& dep : r.resource.dependsOn)
      if (auto it = byKey.find(dep); it != byKey.end()) visit(*it->second);
    placed.insert(r.resource.key);
    out.push_back(&r);
  };
  for (auto& r : resources) visit(r);
  return out;
}

/// The old side a migration kept (resourcesJson), of `deployment`.
std::vector<RecordedResource> sideFromJson(const json::array& side, const std::string& migration,
                                           const std::string& deployment) {
  std::vector<RecordedResource> out;
  for (auto& v : side) {
    auto* o = v.if_object();
    auto bad = [&] { return AbortError(Error{ErrorKind::Internal, "migration " + migration + ": a corrupt old side", {}}); };
    if (!o) throw bad();
    RecordedResource rec;
    auto text = [&](const char* k) {
      auto* x = o->if_contains(k);
      if (!x || !x->is_string()) throw bad();
      return std::string(x->get_string());
    };
    rec.resource.key = text("key");
    auto kind = resourceKindFromString(text("kind"));
    if (!kind) throw bad();
    rec.resource.kind = *kind;
    rec.resource.deployment = deployment;
    rec.resource.name = text("name");
    auto* attrs = o->if_contains("attributes");
    auto* outs = o->if_contains("outputs");
    auto* deps = o->if_contains("dependsOn");
    if (!attrs || !attrs->is_object() || !outs || !outs->is_object() || !deps || !deps->is_array()) throw bad();
    rec.resource.attributes = attrs->get_object();
    rec.outputs = outs->get_object();
    for (auto& d : deps->get_array()) {
      if (!d.is_string()) throw bad();
      rec.resource.dependsOn.emplace_back(d.get_string());
    }
    out.push_back(std::move(rec));
  }
  return out;
}

/// The longest a cut-over waits for a replicated database to catch up before it fails (and rolls back).
constexpr std::chrono::milliseconds kCatchUpWait{120 * 1000};

/// Why `rec`'s data cannot be replicated from `from` to `to` ("" if both providers can).
std::string cannotReplicate(const providers::ResourceProvider& from, const providers::ResourceProvider& to) {
  if (!from.capabilities().canReplicate) return "the " + from.implementation() + " provider at the old side cannot replicate";
  if (!to.capabilities().canReplicate) return "the " + to.implementation() + " provider at the new side cannot replicate";
  return {};
}

std::int64_t millisSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
}

/// A step that failed: the part it concerns and why.
struct StepFailed {
  std::string part;
  std::string message;
};

/// The two sides of a migration: the old target's resources as recorded, the new target's as
/// made so far (its outputs by key), and how each side's resources resolve for a provider call.
class Sides {
 public:
  Sides(store::StateStore& state, const secrets::SecretBox& box, const Deployment& d,
        std::vector<RecordedResource> recorded, const providers::Target& from, const providers::Target& to,
        json::object newSide)
      : state_(state), box_(box), d_(d), recorded_(std::move(recorded)), from_(from), to_(to),
        newSide_(std::move(newSide)) {}

  const std::vector<RecordedResource>& recorded() const { return recorded_; }
  const json::object& newSide() const { return newSide_; }
  json::object& newSide() { return newSide_; }
  const providers::Target& from() const { return from_; }
  const providers::Target& to() const { return to_; }

  /// `rec` as the old side's providers hold it.
  providers::ResolvedResource oldSide(const RecordedResource& rec) const {
    return resolve(rec, [&](const std::string& key) -> std::optional<json::object> {
      for (auto& r : recorded_)
        if (r.resource.key == key) return r.outputs;
      return std::nullopt;
    });
  }
  /// `rec` as the new side's providers make it (references to what the new side has not made fail).
  providers::ResolvedResource newSideOf(const RecordedResource& rec) const {
    return resolve(rec, [&](const std::string& key) -> std::optional<json::object> {
      auto* o = newSide_.if_contains(key);
      if (!o || !o->is_object()) return std::nullopt;
      return o->get_object();
    });
  }

 private:
  providers::ResolvedResource resolve(const RecordedResource& rec, const OutputsLookup& outputsOf) const {
    const auto prefix = partPrefix(rec.resource.kind, rec.resource.name);
    auto attrs = resolveAttributes(state_, box_, d_.id, rec.resource.attributes, outputsOf);
    if (!attrs) throw StepFailed{rec.resource.key, attrs.error().message};
    providers::ResolvedResource rr{rec.resource, &box_};
    rr.resource.attributes = std::move(*attrs);
    if (auto ok = addDataAccess(state_, box_, d_.id, recorded_, outputsOf, rr); !ok)
      throw StepFailed{prefix, ok.error().message};
    return rr;
  }

  store::StateStore& state_;
  const secrets::SecretBox& box_;
  const Deployment& d_;
  std::vector<RecordedResource> recorded_;
  const providers::Target& from_;
  const providers::Target& to_;
  json::object newSide_;
};

template <class T>
T orFail(Result<T> r, const std::string& part, const std::string& what) {
  if (!r) throw StepFailed{part, what + ": " + r.error().message};
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

void check(Result<void> r, const std::string& part, const std::string& what) {
  if (!r) throw StepFailed{part, what + ": " + r.error().message};
}

/// Puts a DNS record set as `rr` says, whether the provider holds it already or not.
Result<providers::Observed> putDns(providers::ResourceProvider& dns, const providers::ResolvedResource& rr) {
  auto held = dns.read(rr);
  if (held) return dns.update(rr);
  if (held.error().kind != ErrorKind::NotFound) return held.error();
  return dns.create(rr);
}

/// Copies the data of `rec` from the old side to the new one through `dir` (emptied first);
/// the new side's current data is discarded first when `discard`. Returns the bytes copied.
std::uintmax_t copyData(const Sides& sides, const RecordedResource& rec, const fs::path& dir, bool discard) {
  const auto prefix = partPrefix(rec.resource.kind, rec.resource.name);
  removeAll(dir);
  fs::create_directories(dir);
  auto& from = sides.from().provider(rec.resource.kind);
  auto& to = sides.to().provider(rec.resource.kind);
  check(from.exportData(sides.oldSide(rec), dir), prefix, "export from " + sides.from().name());
  auto target = sides.newSideOf(rec);
  if (discard) check(to.discardData(target), prefix, "emptying at " + sides.to().name());
  check(to.importData(target, dir), prefix, "import at " + sides.to().name());
  std::uintmax_t bytes = 0;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) bytes += e.file_size();
  removeAll(dir);
  return bytes;
}


/// Removes `order`'s resources (in dependency order; DNS record sets left alone) at `target`, newest
/// first, through `resolve`: the data of each first (a bucket holding objects is refused otherwise),
/// while every access key still exists. Returns what could not be removed; `removed` is told each key.
std::vector<std::string> removeAt(const providers::Target& target, const std::vector<const RecordedResource*>& order,
                                  const std::function<providers::ResolvedResource(const RecordedResource&)>& resolve,
                                  const std::function<void(const std::string&)>& removed) {
  std::vector<std::string> left;
  std::set<std::string> failed;
  auto attempt = [&](const RecordedResource& rec, const std::function<Result<void>(providers::ResourceProvider&,
                                                                               const providers::ResolvedResource&)>& call) {
    try {
      auto r = call(target.provider(rec.resource.kind), resolve(rec));
      if (!r) {
        left.push_back(rec.resource.key + " at " + target.name() + ": " + r.error().message);
        failed.insert(rec.resource.key);
      }
    } catch (const StepFailed& f) {
      left.push_back(f.part + ": " + f.message);
      failed.insert(rec.resource.key);
    }
  };
  for (auto* rec : order)
    if (rec->resource.kind != ResourceKind::DnsRecordSet && target.provider(rec->resource.kind).capabilities().hasData)
      attempt(*rec, [](auto& p, auto& rr) { return p.discardData(rr); });
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const auto& rec = **it;
    if (rec.resource.kind == ResourceKind::DnsRecordSet || failed.count(rec.resource.key)) continue;
    attempt(rec, [](auto& p, auto& rr) { return p.remove(rr); });
    if (!failed.count(rec.resource.key)) removed(rec.resource.key);
  }
  return left;
}
}  // namespace

Result<store::Migration> Backups::migrate(store::StateStore& state, const Deployment& d, const std::string& to,
                                          const std::string& requestedBy) {
  if (d.status == DeploymentStatus::Deleted || d.status == DeploymentStatus::Deleting)
    return Error::conflict("deployment " + d.name + " is deleted or being deleted: there is nothing to migrate");
  const auto* target = orch_.target(to);
  if (!target) return Error::invalid("target", "no target named \"" + to + "\" is configured");
  if (to == d.target) return Error::conflict("deployment " + d.name + " is on target " + to + " already");
  if (!orch_.target(d.target))
    return Error::conflict("the deployment's target \"" + d.target + "\" is not configured: its data cannot be read");
  for (auto& rec : state.recordedResources(d.id)) {
    if (!target->has(rec.resource.kind))
      return Error::invalid("target", "target " + to + " has no provider for " + std::string(toString(rec.resource.kind)) +
                                          ", which " + rec.resource.key + " needs");
    auto& from = orch_.target(d.target)->provider(rec.resource.kind);
    if (from.capabilities().hasData && !target->provider(rec.resource.kind).capabilities().hasData)
      return Error::invalid("target", "the " + target->provider(rec.resource.kind).implementation() + " provider of target " +
                                          to + " cannot load the data of " + rec.resource.key);
  }
  auto claim = state.claimRefresh(d.id, orch_.instanceId());
  if (!claim) return claim.error();
  auto m = store::MigrationStore(state.connection()).create(d.id, d.organisation, d.target, to, *claim, requestedBy);
  auto id = m.id;
  submit([this, id](store::StateStore& st) { runMigration(st, id); });
  return m;
}

void Backups::runMigration(store::StateStore& state, const std::string& id) {
  store::MigrationStore migrations(state.connection());
  store::BackupStore journal(state.connection());
  auto m = migrations.get(id).value();
  auto say = [&](const std::string& part, const std::string& message) { journal.journal(id, part, message); };
  const fs::path staging = backupDir_ / (".staging-" + id);
  std::vector<std::string> created;          // new side keys, in the order made
  std::vector<const RecordedResource*> stopped;  // old side resources whose writes are stopped
  std::map<std::string, providers::ReplicationSource> replicating;  // new side keys following the old side
  json::object copies;  // part -> how its data moved (store::Migration::copies)
  bool switched = false;
  std::optional<std::chrono::steady_clock::time_point> writesStoppedAt;
  struct Abandoned {};  // the test hook's killed process
  auto hook = [&](const std::string& step) {
    if (migrationHook_ && !migrationHook_(id, step)) throw Abandoned{};
  };

  std::optional<Sides> sides;
  Deployment d;
  int done = 0;
  auto step = [&] { migrations.progress(id, ++done); };
  try {
    d = state.getDeployment(m.deployment).orThrow();
    const auto* from = orch_.target(m.from);
    const auto* to = orch_.target(m.to);
    if (!from || !to) throw StepFailed{"target", "target " + std::string(!from ? m.from : m.to) + " is not configured"};
    if (d.target != m.from) throw StepFailed{"target", "the deployment moved to " + d.target + " meanwhile"};
    sides.emplace(state, orch_.box(), d, state.recordedResources(d.id), *from, *to, json::object{});
    const auto order = dependencyOrder(sides->recorded());
    std::vector<const RecordedResource*> withData;
    for (auto* rec : order)
      if (from->provider(rec->resource.kind).capabilities().hasData) withData.push_back(rec);
    migrations.start(id, static_cast<int>(order.size() + 2 * withData.size()) + 2);
    say("", "migrating " + d.name + " (" + d.domain + ") from " + m.from + " to " + m.to + ": " +
                std::to_string(order.size()) + " resources, " + std::to_string(withData.size()) + " with data");

    // 1. The new side, from the recorded resources (DNS records wait for the switch).
    migrations.setPhase(id, store::MigrationPhase::Provisioning);
    for (auto* rec : order) {
      if (rec->resource.kind == ResourceKind::DnsRecordSet) continue;
      auto rr = sides->newSideOf(*rec);
      auto made = orFail(to->provider(rec->resource.kind).create(rr), rec->resource.key, "create at " + m.to);
      sides->newSide()[rec->resource.key] = std::move(made.outputs);
      created.push_back(rec->resource.key);
      migrations.setNewSide(id, sides->newSide());
      say(rec->resource.key, "made at " + m.to);
      step();
    }
    hook("provisioned");

    // 2. The data, while the app still runs on the old side: replicated where both providers can (the
    // new side then follows the old one), else copied (the final copy then moves it again).
    migrations.setPhase(id, store::MigrationPhase::Copying);
    for (auto* rec : withData) {
      const auto part = partPrefix(rec->resource.kind, rec->resource.name);
      const auto t0 = std::chrono::steady_clock::now();
      auto& fromP = from->provider(rec->resource.kind);
      auto& toP = to->provider(rec->resource.kind);
      auto why = cannotReplicate(fromP, toP);
      bool tried = false;
      if (why.empty()) {
        auto source = fromP.replicationSource(sides->oldSide(*rec));
        if (!source) {
          why = source.error().message;
        } else {
          tried = true;
          replicating.emplace(rec->resource.key, *source);
          if (auto started = toP.startReplication(sides->newSideOf(*rec), *source); started) {
            copies[part] = json::object{{"method", "replicated"}};
            migrations.setCopies(id, copies);
            say(part, "replicated from " + m.from + ": the initial copy took " + std::to_string(millisSince(t0)) +
                          " ms; " + m.to + " follows " + m.from + " until the cut-over");
            step();
            continue;
          } else {
            replicating.erase(rec->resource.key);
            why = started.error().message;
          }
        }
      }
      copies[part] = json::object{{"method", "copied"}, {"reason", why}};
      migrations.setCopies(id, copies);
      auto bytes = copyData(*sides, *rec, staging / "first", tried);
      say(part, "not replicated (" + why + "): first copy while the app runs: " + std::to_string(bytes) + " bytes in " +
                    std::to_string(millisSince(t0)) + " ms");
      step();
    }
    hook("copied");

    // 3. The cut-over: from here the app is down until the health check passes.
    migrations.setPhase(id, store::MigrationPhase::CuttingOver);
    writesStoppedAt = std::chrono::steady_clock::now();
    migrations.writesStopped(id, clock::nowRfc3339());
    for (auto* rec : order) {
      auto& p = from->provider(rec->resource.kind);
      if (!p.capabilities().canStopWrites) {
        if (p.capabilities().hasData)
          say(partPrefix(rec->resource.kind, rec->resource.name),
              "the " + p.implementation() + " provider cannot stop writes: what the app writes here during the "
              "cut-over is not copied");
        continue;
      }
      check(p.stopWrites(sides->oldSide(*rec)), rec->resource.key, "stopping writes at " + m.from);
      stopped.push_back(rec);
      say(rec->resource.key, "writes stopped at " + m.from);
    }
    step();
    hook("writes-stopped");
    for (auto* rec : withData) {
      const auto part = partPrefix(rec->resource.kind, rec->resource.name);
      const auto t0 = std::chrono::steady_clock::now();
      if (auto it = replicating.find(rec->resource.key); it != replicating.end()) {
        auto done = orFail(to->provider(rec->resource.kind).finishReplication(sides->newSideOf(*rec), it->second, kCatchUpWait),
                           part, "replication from " + m.from);
        replicating.erase(it);
        copies[part].as_object()["lagBytes"] = done.lagBytes;
        migrations.setCopies(id, copies);
        say(part, "replication caught up from " + std::to_string(done.lagBytes) + " bytes behind, " +
                      std::to_string(done.sequences) + " sequences set, ended in " + std::to_string(millisSince(t0)) +
                      " ms");
      } else {
        auto bytes = copyData(*sides, *rec, staging / "final", true);
        say(part, "final copy: " + std::to_string(bytes) + " bytes in " + std::to_string(millisSince(t0)) + " ms");
      }
      step();
    }
    hook("final-copied");
    for (auto* rec : order) {
      if (rec->resource.kind != ResourceKind::DnsRecordSet) continue;
      switched = true;  // from the first attempt on, a roll back puts the old records back
      auto put = orFail(putDns(to->provider(rec->resource.kind), sides->newSideOf(*rec)), rec->resource.key,
                        "switching DNS at " + m.to);
      sides->newSide()[rec->resource.key] = std::move(put.outputs);
      migrations.setNewSide(id, sides->newSide());
      say(rec->resource.key, "DNS switched to " + m.to);
    }
    hook("switched");
    // The health check: everything of the new side reads back from its provider as made.
    for (auto* rec : order) {
      if (!sides->newSide().contains(rec->resource.key)) continue;
      orFail(to->provider(rec->resource.kind).read(sides->newSideOf(*rec)), rec->resource.key,
             "health check at " + m.to);
    }
    const auto downtime = millisSince(*writesStoppedAt);
    say("health", "every resource at " + m.to + " answers");

    // 4. The deployment is the new side's, in one transaction.
    store::Transaction tx(state.connection(), true);
    for (auto& rec : sides->recorded()) {
      auto* outputs = sides->newSide().if_contains(rec.resource.key);
      state.recordResource(rec.resource, outputs && outputs->is_object() ? outputs->get_object() : json::object{});
    }
    state.setDeploymentTarget(d.id, m.to);
    migrations.succeed(id, resourcesJson(sides->recorded()), downtime);
    state.releaseRefresh(m.claimId);
    tx.commit();
    say("", "moved to " + m.to + " with " + std::to_string(downtime) + " ms of downtime; the old side at " + m.from +
                " is kept, its writes stopped, until it is removed");
    removeAll(staging);
    return;
  } catch (const Abandoned&) {
    return;
  } catch (const StepFailed& f) {
    m.failedPart = f.part;
    m.error = f.message;
  } catch (const AbortError& e) {
    m.error = e.error().message;
  } catch (const std::exception& e) {
    m.error = e.what();
  }

  // The roll back: the old side takes over again, the new side goes.
  removeAll(staging);
  say(m.failedPart, "failed: " + m.error);
  std::vector<std::string> left;
  try {
    migrations.setPhase(id, store::MigrationPhase::RollingBack);
    if (sides && switched)
      for (auto& rec : sides->recorded()) {
        if (rec.resource.kind != ResourceKind::DnsRecordSet) continue;
        if (auto put = putDns(sides->from().provider(rec.resource.kind), sides->oldSide(rec)); !put)
          left.push_back("DNS " + rec.resource.key + " at " + m.from + ": " + put.error().message);
        else
          say(rec.resource.key, "DNS back to " + m.from);
      }
    if (sides)
      for (auto* rec : stopped) {
        if (auto ok = sides->from().provider(rec->resource.kind).resumeWrites(sides->oldSide(*rec)); !ok)
          left.push_back("writes to " + rec->resource.key + " at " + m.from + ": " + ok.error().message);
        else
          say(rec->resource.key, "writes resumed at " + m.from);
      }
    if (sides)
      for (auto& [key, source] : replicating) {
        for (auto& rec : sides->recorded()) {
          if (rec.resource.key != key) continue;
          if (auto ok = sides->to().provider(rec.resource.kind).dropReplication(sides->newSideOf(rec), source); !ok)
            left.push_back("replication of " + key + ": " + ok.error().message);
          else
            say(key, "replication from " + m.from + " ended");
        }
      }
    if (sides && !created.empty()) {
      std::vector<const RecordedResource*> made;
      for (auto* rec : dependencyOrder(sides->recorded()))
        if (std::find(created.begin(), created.end(), rec->resource.key) != created.end()) made.push_back(rec);
      auto notRemoved = removeAt(sides->to(), made, [&](const RecordedResource& r) { return sides->newSideOf(r); },
                                 [](const std::string&) {});
      left.insert(left.end(), notRemoved.begin(), notRemoved.end());
      say("", "removed what was made at " + m.to);
    }
  } catch (const StepFailed& f) {
    left.push_back(f.part + ": " + f.message);
  } catch (const std::exception& e) {
    left.push_back(e.what());
  }
  std::string message = m.error + (writesStoppedAt ? "; rolled back to " + m.from : "; nothing was switched");
  if (!left.empty()) {
    message += "; the roll back left: ";
    for (std::size_t i = 0; i < left.size(); ++i) message += (i ? "; " : "") + left[i];
    say("", "the roll back left: " + message);
  }
  migrations.fail(id, message, m.failedPart, writesStoppedAt ? millisSince(*writesStoppedAt) : -1);
  state.releaseRefresh(m.claimId);
}

void Backups::recoverMigration(store::StateStore& state, const store::Migration& m) {
  store::MigrationStore migrations(state.connection());
  store::BackupStore journal(state.connection());
  if (m.status == store::JobStatus::Succeeded && m.oldSideStatus == store::OldSide::Removing) {
    journal.journal(m.id, "", "the old side's removal was interrupted by a restart: it goes on");
    return runOldSideRemoval(state, m.id);
  }
  spdlog::warn("migration {} of {} was interrupted by a restart: rolling back to {}", m.id, m.deployment, m.from);
  journal.journal(m.id, "", "interrupted by a restart in phase " + std::string(toString(m.phase)) + ": rolling back");
  std::vector<std::string> left;
  try {
    auto d = state.getDeployment(m.deployment).orThrow();
    const auto* from = orch_.target(m.from);
    const auto* to = orch_.target(m.to);
    if (!from || !to) throw StepFailed{"target", "target " + std::string(!from ? m.from : m.to) + " is not configured"};
    Sides sides(state, orch_.box(), d, state.recordedResources(d.id), *from, *to, m.newSide);
    const bool cutting = m.phase == store::MigrationPhase::CuttingOver || m.phase == store::MigrationPhase::RollingBack;
    for (auto& rec : sides.recorded()) {
      auto& p = from->provider(rec.resource.kind);
      if (cutting && rec.resource.kind == ResourceKind::DnsRecordSet)
        if (auto put = putDns(p, sides.oldSide(rec)); !put) left.push_back("DNS " + rec.resource.key + ": " + put.error().message);
      if (cutting && p.capabilities().canStopWrites)
        if (auto ok = p.resumeWrites(sides.oldSide(rec)); !ok)
          left.push_back("writes to " + rec.resource.key + ": " + ok.error().message);
    }
    // A replication the migration had begun ends at both sides before the new side goes (a subscription
    // keeps its database; a slot left at the old side would keep its WAL for ever).
    for (auto& rec : sides.recorded()) {
      if (!m.newSide.contains(rec.resource.key) || !from->provider(rec.resource.kind).capabilities().hasData) continue;
      auto& fromP = from->provider(rec.resource.kind);
      auto& toP = to->provider(rec.resource.kind);
      if (!cannotReplicate(fromP, toP).empty()) continue;
      auto source = fromP.replicationSource(sides.oldSide(rec));
      auto ok = source ? toP.dropReplication(sides.newSideOf(rec), *source) : Result<void>(source.error());
      if (!ok) left.push_back("replication of " + rec.resource.key + ": " + ok.error().message);
    }
    std::vector<const RecordedResource*> made;
    for (auto* rec : dependencyOrder(sides.recorded()))
      if (m.newSide.contains(rec->resource.key)) made.push_back(rec);
    auto notRemoved = removeAt(*to, made, [&](const RecordedResource& r) { return sides.newSideOf(r); },
                               [](const std::string&) {});
    left.insert(left.end(), notRemoved.begin(), notRemoved.end());
  } catch (const StepFailed& f) {
    left.push_back(f.part + ": " + f.message);
  } catch (const std::exception& e) {
    left.push_back(e.what());
  }
  std::string message = "interrupted: the server stopped before the migration ended; rolled back to " + m.from;
  for (std::size_t i = 0; i < left.size(); ++i) message += (i ? "; " : "; the roll back left: ") + left[i];
  journal.journal(m.id, "", message);
  migrations.fail(m.id, message, "", -1);
  if (!m.claimId.empty()) state.releaseRefresh(m.claimId);
}

Result<store::Migration> Backups::removeOldSide(store::StateStore& state, const std::string& migrationId) {
  store::MigrationStore migrations(state.connection());
  auto m = migrations.get(migrationId);
  if (!m) return m.error();
  if (m->status != store::JobStatus::Succeeded)
    return Error::conflict("migration " + m->id + " did not move the deployment: there is no old side to remove");
  if (m->oldSideStatus != store::OldSide::Kept && m->oldSideStatus != store::OldSide::Failed)
    return Error::conflict("the old side of migration " + m->id + " is " + std::string(toString(m->oldSideStatus)) +
                           " already");
  if (!orch_.target(m->from))
    return Error::conflict("target " + m->from + " is not configured any more: its resources cannot be removed from here");
  migrations.setOldSide(m->id, store::OldSide::Removing);
  store::BackupStore(state.connection()).journal(m->id, "", "removing the old side at " + m->from);
  auto id = m->id;
  submit([this, id](store::StateStore& st) { runOldSideRemoval(st, id); });
  return migrations.get(id);
}

void Backups::runOldSideRemoval(store::StateStore& state, const std::string& id) {
  store::MigrationStore migrations(state.connection());
  store::BackupStore journal(state.connection());
  auto m = migrations.get(id).value();
  std::vector<std::string> left;
  try {
    const auto* from = orch_.target(m.from);
    if (!from) throw StepFailed{"target", "target " + m.from + " is not configured"};
    auto old = sideFromJson(m.oldSide, m.id, m.deployment);
    auto d = state.getDeployment(m.deployment).orThrow();
    Sides sides(state, orch_.box(), d, old, *from, *from, json::object{});
    auto notRemoved = removeAt(*from, dependencyOrder(sides.recorded()),
                               [&](const RecordedResource& r) { return sides.oldSide(r); },
                               [&](const std::string& key) { journal.journal(id, key, "removed at " + m.from); });
    left.insert(left.end(), notRemoved.begin(), notRemoved.end());
  } catch (const StepFailed& f) {
    left.push_back(f.part + ": " + f.message);
  } catch (const std::exception& e) {
    left.push_back(e.what());
  }
  if (left.empty()) {
    migrations.setOldSide(id, store::OldSide::Removed);
    journal.journal(id, "", "the old side at " + m.from + " is removed");
    return;
  }
  std::string message = "removing the old side at " + m.from + " left: ";
  for (std::size_t i = 0; i < left.size(); ++i) message += (i ? "; " : "") + left[i];
  journal.journal(id, "", message);
  migrations.setOldSide(id, store::OldSide::Failed, message);
}

}  // namespace fedihost::orchestrator
