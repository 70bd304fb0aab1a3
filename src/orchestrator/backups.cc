// Backups and restores as jobs on one worker thread (see backups.hh).
#include "orchestrator/backups.hh"
#include "orchestrator/bundle_parts.hh"

#include "store/instance_store.hh"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "accounting/usage.hh"
#include "bundle/schedule.hh"
#include "catalog/catalog.hh"
#include "core/clock.hh"
#include "core/ids.hh"
#include "orchestrator/executor.hh"
#include "orchestrator/expand.hh"
#include "nixos/render.hh"
#include "orchestrator/orchestrator.hh"
#include "store/instance_store.hh"

namespace fedihost::orchestrator {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// Every {"secret": name} reference in a value.
void secretNames(const json::value& v, std::set<std::string>& out) {
  if (auto* a = v.if_array())
    for (auto& e : *a) secretNames(e, out);
  if (auto* o = v.if_object()) {
    if (o->size() == 1 && o->contains("secret") && o->at("secret").is_string())
      out.insert(std::string(o->at("secret").get_string()));
    for (auto& kv : *o) secretNames(kv.value(), out);
  }
}

/// Retention removed backups' rows but the target kept some of their bundles (named in the message).
struct BundlesLeft : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

std::string partPrefix(ResourceKind kind, const std::string& name) {
  return "parts/" + std::string(toString(kind)) + "/" + name;
}

Result<void> addDataAccess(store::StateStore& state, const secrets::SecretBox& box, const std::string& deployment,
                           const std::vector<RecordedResource>& resources, const OutputsLookup& outputsOf,
                           providers::ResolvedResource& rr) {
  if (rr.resource.kind != ResourceKind::Bucket) return {};
  auto* name = rr.resource.attributes.if_contains("name");
  if (!name || !name->is_string()) return {};
  for (auto& rec : resources) {
    if (rec.resource.kind != ResourceKind::AccessKey) continue;
    auto* buckets = rec.resource.attributes.if_contains("buckets");
    auto outputs = outputsOf(rec.resource.key);
    auto* id = outputs ? outputs->if_contains("accessKeyId") : nullptr;
    if (!buckets || !buckets->is_array() || !id) continue;
    bool reaches = false;
    for (auto& b : buckets->get_array()) reaches = reaches || b == *name;
    if (!reaches) continue;
    auto attrs = resolveAttributes(state, box, deployment, rec.resource.attributes, outputsOf);
    if (!attrs) return attrs.error();
    auto* secret = attrs->if_contains("secretKey");
    if (!secret) continue;
    rr.resource.attributes["dataAccess"] = json::object{{"accessKeyId", *id}, {"secretAccessKey", *secret}};
    return {};
  }
  return {};
}

Result<void> addDataAccess(store::StateStore& state, const secrets::SecretBox& box, const std::string& deployment,
                           providers::ResolvedResource& rr) {
  if (rr.resource.kind != ResourceKind::Bucket) return {};
  auto recorded = state.recordedResources(deployment);
  return addDataAccess(state, box, deployment, recorded, [&](const std::string& key) -> std::optional<json::object> {
    for (auto& rec : recorded)
      if (rec.resource.key == key) return rec.outputs;
    return std::nullopt;
  }, rr);
}

json::array resourcesJson(const std::vector<RecordedResource>& resources) {
  json::array out;
  for (auto& rec : resources) {
    json::array deps;
    for (auto& k : rec.resource.dependsOn) deps.emplace_back(k);
    out.push_back(json::object{{"key", rec.resource.key},
                               {"kind", toString(rec.resource.kind)},
                               {"name", rec.resource.name},
                               {"attributes", rec.resource.attributes},
                               {"dependsOn", std::move(deps)},
                               {"outputs", rec.outputs}});
  }
  return out;
}

void removeAll(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}


json::object deploymentToManifest(const Deployment& d) {
  json::array apps;
  for (auto& a : d.apps)
    apps.push_back(json::object{
        {"app", a.app}, {"settings", a.settings}, {"version", a.version}, {"schemaVersion", a.schemaVersion}});
  return {{"id", d.id},
          {"organisation", d.organisation},
          {"name", d.name},
          {"domain", d.domain},
          {"target", d.target},
          {"catalogVersion", d.catalogVersion},
          {"nixpkgsRevision", d.nixpkgsRevision},
          {"apps", std::move(apps)}};
}

Result<Deployment> deploymentFromManifest(const json::object& o) {
  auto bad = [](const std::string& what) {
    return Error::invalid(bundle::kManifestName, "manifest.json: the deployment's " + what);
  };
  Deployment d;
  for (auto [k, out] : {std::pair{"id", &d.id}, std::pair{"organisation", &d.organisation}, std::pair{"name", &d.name},
                        std::pair{"domain", &d.domain}, std::pair{"target", &d.target},
                        std::pair{"catalogVersion", &d.catalogVersion},
                        std::pair{"nixpkgsRevision", &d.nixpkgsRevision}}) {
    auto* v = o.if_contains(k);
    if (!v || !v->is_string()) return bad(std::string("\"") + k + "\" is not a string");
    *out = std::string(v->get_string());
  }
  auto* apps = o.if_contains("apps");
  if (!apps || !apps->is_array()) return bad("\"apps\" is not an array");
  for (auto& a : apps->get_array()) {
    auto* ao = a.if_object();
    if (!ao || !ao->contains("app") || !ao->at("app").is_string() || !ao->contains("settings") ||
        !ao->at("settings").is_object())
      return bad("apps are not {app, settings}");
    AppInstance inst;
    inst.app = std::string(ao->at("app").get_string());
    inst.settings = ao->at("settings").get_object();
    if (auto* v = ao->if_contains("version"); v && v->is_string()) inst.version = std::string(v->get_string());
    if (auto* v = ao->if_contains("schemaVersion"); v && v->is_int64()) inst.schemaVersion = static_cast<int>(v->get_int64());
    d.apps.push_back(std::move(inst));
  }
  return d;
}

Backups::Backups(Orchestrator& orchestrator, std::string stateUrl, fs::path backupDir, fs::path keyFile,
                 std::unique_ptr<backup_target::BackupTarget> target)
    : orch_(orchestrator),
      stateUrl_(std::move(stateUrl)),
      backupDir_(std::move(backupDir)),
      key_(bundle::BundleKey::openOrCreate(keyFile)),
      target_(target ? std::move(target) : backup_target::makeDirectoryTarget(backupDir_)),
      directory_(backup_target::makeDirectoryTarget(backupDir_)) {}

Result<backup_target::BackupTarget*> Backups::targetFor(const std::string& location) {
  if (target_->holds(location)) return target_.get();
  if (directory_->holds(location)) return directory_.get();
  return Error::conflict("the bundle is at " + location + ", which the configured backup target (" +
                         target_->describe() + ") does not reach");
}

Result<backup_target::LocalBundle> Backups::openBundle(const store::Backup& backup, std::int64_t maxBytes) {
  if (backup.status != store::JobStatus::Succeeded || backup.path.empty())
    return Error::conflict("backup " + backup.id + " has no complete bundle (it is " +
                           std::string(toString(backup.status)) + ")");
  auto target = targetFor(backup.path);
  if (!target) return target.error();
  // A spool name of its own for each reader: several may read one backup at once.
  const auto spool = backupDir_ / (".staging-" + backup.id + "-" + ids::randomToken(6) + ".fhb");
  auto local = (*target)->fetch(backup.path, spool, maxBytes);
  if (!local && local.error().kind == ErrorKind::NotFound)
    return Error{ErrorKind::Internal, "the bundle of backup " + backup.id + " is missing: " + local.error().message, {}};
  return local;
}

Result<bundle::Manifest> Backups::manifestOf(const store::Backup& backup) {
  // The manifest is the bundle's first entry: its first MiBs are enough, unless it is a large one.
  constexpr std::int64_t kHead = 4 << 20;
  auto head = openBundle(backup, kHead);
  if (!head) return head.error();
  auto m = bundle::readManifest(head->path());
  if (m || !head->temporary() || backup.size <= kHead) return m;
  auto whole = openBundle(backup);
  if (!whole) return whole.error();
  return bundle::readManifest(whole->path());
}

Backups::~Backups() { stop(); }

void Backups::start() {
  if (worker_.joinable()) return;
  std::vector<store::Restore> interrupted;
  std::vector<store::Migration> migrations;
  bool alone = true;
  {
    auto conn = store::connect(stateUrl_);
    store::BackupStore jobs(*conn);
    // Backups and restores are not claimed per instance yet: while another instance lives, what is
    // unfinished may be its work in progress, so only an instance alone sweeps them.
    if (auto others = store::InstanceStore(*conn).othersAlive(orch_.instanceId()); others > 0) {
      spdlog::info("{} other instances are alive: unfinished backups and restores are left to them", others);
      alone = false;
    } else {
      for (auto& b : jobs.failInterruptedBackups()) {
        spdlog::warn("backup {} of {} was interrupted by a restart: failed, no bundle kept", b.id, b.deployment);
        // Killed between storing its bundle and recording it: what was stored goes.
        const auto stored = target_->locationOf(b.deployment + "/" + b.id + ".fhb");
        if (auto gone = target_->remove(stored); !gone)
          spdlog::error("backup {}: cannot remove what it may have stored at {}: {}", b.id, stored, gone.error().message);
      }
      interrupted = jobs.failInterruptedRestores();
      migrations = store::MigrationStore(*conn).unfinished();
    }
  }
  // What a killed upload left at the target (S3: multipart uploads, aborted). A failure is logged
  // as one: the server still starts, and each backup's own upload reports the target's error.
  if (alone) {
    auto swept = target_->sweep();
    if (!swept) spdlog::error("cannot clean up interrupted uploads: {}", swept.error().message);
    else if (*swept > 0)
      spdlog::warn("backup target {}: aborted {} interrupted uploads", target_->describe(), *swept);
  }
  // What a killed backup left: partial bundles and staging directories (not while another
  // instance may be writing its own there).
  if (alone) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(backupDir_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto name = it->path().filename().string();
      if (name.ends_with(".partial") || name.starts_with(".staging-")) {
        auto p = it->path();
        it.disable_recursion_pending();
        removeAll(p);
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  worker_ = std::thread([this] {
    auto conn = store::connect(stateUrl_);
    store::StateStore state(*conn);
    for (;;) {
      std::function<void(store::StateStore&)> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        busy_ = true;
      }
      try {
        job(state);
      } catch (const std::exception& e) {
        spdlog::error("backup job failed: {}", e.what());
      }
      {
        std::lock_guard lock(mu_);
        busy_ = false;
      }
      idleCv_.notify_all();
    }
  });
  for (auto& m : migrations) submit([this, m](store::StateStore& state) { recoverMigration(state, m); });
  // A restore a previous process left half done: its deployment is rolled back.
  for (auto& r : interrupted) {
    if (r.inPlace) {
      submit([this, r](store::StateStore& state) { recoverInPlace(state, r); });
      continue;
    }
    submit([this, r](store::StateStore& state) {
      spdlog::warn("restore {} was interrupted by a restart: rolling back {}", r.id, r.deployment);
      std::vector<std::string> keys;
      for (auto& rec : state.recordedResources(r.deployment)) keys.push_back(rec.resource.key);
      rollBack(state, r.id, r.deployment, keys);
    });
  }
}

void Backups::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  idleCv_.notify_all();
}

void Backups::waitIdle() {
  std::unique_lock lock(mu_);
  idleCv_.wait(lock, [&] { return (jobs_.empty() && !busy_) || stopping_; });
}

void Backups::submit(std::function<void(store::StateStore&)> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_all();
}

Result<store::Backup> Backups::backup(store::StateStore& state, const Deployment& d, bool scheduled) {
  if (d.status == DeploymentStatus::Deleted || d.status == DeploymentStatus::Deleting)
    return Error::conflict("deployment " + d.name + " is deleted or being deleted: there is nothing to back up");
  auto claim = state.claimRefresh(d.id, orch_.instanceId());
  if (!claim) return claim.error();
  auto b = store::BackupStore(state.connection()).createBackup(d.id, d.organisation, *claim, scheduled);
  auto id = b.id;
  submit([this, id](store::StateStore& st) { runBackup(st, id); });
  return b;
}

void Backups::runBackup(store::StateStore& state, const std::string& id) {
  store::BackupStore jobs(state.connection());
  auto b = jobs.getBackup(id).value();
  const fs::path staging = backupDir_ / (".staging-" + id);
  const fs::path out = backupDir_ / b.deployment / (id + ".fhb");
  std::string storedAt;  // the bundle's location at the target, once stored
  auto fail = [&](const std::string& part, const std::string& message) {
    jobs.journal(id, part, "failed: " + message);
    jobs.failBackup(id, part.empty() ? message : part + ": " + message);
    state.releaseRefresh(b.claimId);
    if (b.scheduled)
      jobs.recordScheduleResult(b.deployment, "failed", part.empty() ? message : part + ": " + message, id);
    removeAll(staging);
    std::error_code ec;
    fs::remove(out.string() + ".partial", ec);
    fs::remove(out, ec);  // a failed backup holds no bundle, neither in the spool nor at the target
    if (!storedAt.empty() && storedAt != out.string())
      if (auto gone = target_->remove(storedAt); !gone)
        jobs.journal(id, "target", "the uploaded bundle is left at " + storedAt + ": " + gone.error().message);
  };
  try {
    auto d = state.getDeployment(b.deployment).orThrow();
    auto* target = orch_.target(d.target);
    if (!target) return fail("", "the deployment's target \"" + d.target + "\" is not configured");
    auto recorded = state.recordedResources(d.id);
    std::vector<const RecordedResource*> withData;
    for (auto& rec : recorded) {
      auto& provider = target->provider(rec.resource.kind);
      if (provider.capabilities().hasData) withData.push_back(&rec);
      // A database or a bucket whose provider cannot export it would make a bundle that lacks
      // the data: refused, never skipped.
      else if (rec.resource.kind == ResourceKind::Database || rec.resource.kind == ResourceKind::Bucket)
        return fail(partPrefix(rec.resource.kind, rec.resource.name),
                    "the " + provider.implementation() + " provider of target " + d.target +
                        " cannot export its data, so no complete backup can be made");
    }
    jobs.startBackup(id, static_cast<int>(withData.size()) + 2);
    jobs.journal(id, "", "backing up " + d.name + " (" + d.domain + "): " + std::to_string(recorded.size()) +
                             " resources, " + std::to_string(withData.size()) + " with data");

    // The secrets, in clear only in memory, sealed again to the bundle key by the writer.
    std::map<std::string, std::string> secrets;
    for (auto& [name, sealed] : state.sealedSecrets(d.id)) {
      auto clear = orch_.box().open(sealed);
      if (!clear) return fail(bundle::kSecretsName, "secret " + name + " does not open with this installation's key");
      secrets[name] = std::move(*clear);
    }
    jobs.journal(id, bundle::kSecretsName, std::to_string(secrets.size()) + " secrets");
    int done = 1;
    jobs.backupProgress(id, done);

    removeAll(staging);
    fs::create_directories(staging);
    std::vector<bundle::PartSource> parts;
    json::array resources = resourcesJson(recorded);
    for (auto* rec : withData) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;  // failed as interrupted at the next start
      }
      const auto prefix = partPrefix(rec->resource.kind, rec->resource.name);
      const auto dir = staging / prefix;
      fs::create_directories(dir);
      auto attrs = resolveAttributes(state, orch_.box(), d.id, rec->resource.attributes);
      if (!attrs) return fail(prefix, attrs.error().message);
      providers::ResolvedResource rr{rec->resource, &orch_.box()};
      rr.resource.attributes = std::move(*attrs);
      if (auto ok = addDataAccess(state, orch_.box(), d.id, rr); !ok) return fail(prefix, ok.error().message);
      auto exported = target->provider(rec->resource.kind).exportData(rr, dir);
      if (!exported) return fail(prefix, exported.error().message);
      std::vector<fs::path> files;
      for (auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      std::uintmax_t bytes = 0;
      for (auto& f : files) {
        bytes += fs::file_size(f);
        parts.push_back({{prefix + "/" + fs::relative(f, dir).generic_string(), std::string(toString(rec->resource.kind)),
                          rec->resource.name},
                         f});
      }
      jobs.journal(id, prefix, "exported " + std::to_string(files.size()) + " files, " + std::to_string(bytes) + " bytes");
      jobs.backupProgress(id, ++done);
    }

    bundle::Manifest m;
    m.createdAt = clock::nowRfc3339();
    m.deployment = deploymentToManifest(d);
    m.resources = std::move(resources);
    auto written = bundle::writeBundle(out, std::move(m), secrets, key_, parts);
    if (!written) return fail(written.error().field.empty() ? "bundle" : written.error().field, written.error().message);
    removeAll(staging);
    jobs.journal(id, "bundle", "wrote " + out.string() + ": " + std::to_string(written->size) + " bytes, " +
                                   std::to_string(written->manifest.parts.size()) + " parts");
    // The whole file read back before it leaves: what the target gets is a bundle that verifies.
    if (auto checked = bundle::readBundle(out, key_); !checked)
      return fail(checked.error().field.empty() ? "bundle" : checked.error().field,
                  "the bundle written does not verify: " + checked.error().message);
    auto stored = target_->store(out, b.deployment + "/" + id + ".fhb");
    if (!stored) return fail("target", stored.error().message);
    storedAt = stored->location;
    if (stored->size != static_cast<std::int64_t>(written->size))
      return fail("target", "the target holds " + std::to_string(stored->size) + " bytes, not " +
                                std::to_string(written->size));
    if (stored->location != out.string()) jobs.journal(id, "target", "stored at " + stored->location);
    store::Transaction tx(state.connection(), true);
    jobs.finishBackup(id, stored->location, static_cast<std::int64_t>(written->size), written->blake2b);
    state.releaseRefresh(b.claimId);
    tx.commit();
  } catch (const AbortError& e) {
    return fail("", e.error().message);
  } catch (const std::exception& e) {
    return fail("", e.what());
  }
  // Retention, once the new bundle is whole; a failure here leaves the backup complete. The
  // schedule records the outcome after it.
  if (!b.scheduled) return;
  std::string outcome;
  try {
    auto removed = prune(state, b.deployment);
    if (!removed.empty()) {
      std::string list;
      for (auto& r : removed) list += (list.empty() ? "" : ", ") + r;
      outcome = "retention removed " + std::to_string(removed.size()) + " older scheduled backups";
      jobs.journal(id, "retention", "removed " + std::to_string(removed.size()) + " older scheduled backups: " + list);
    }
  } catch (const BundlesLeft& e) {
    outcome = std::string("retention: ") + e.what() + " (remove them by hand)";
    jobs.journal(id, "retention", outcome);
  } catch (const std::exception& e) {
    outcome = std::string("retention failed (tried again after the next scheduled backup): ") + e.what();
    jobs.journal(id, "retention", outcome);
  }
  jobs.recordScheduleResult(b.deployment, "succeeded", outcome, id);
}

std::vector<std::string> Backups::prune(store::StateStore& state, const std::string& deployment) {
  store::BackupStore jobs(state.connection());
  auto schedule = jobs.getSchedule(deployment);
  if (!schedule) return {};
  std::vector<bundle::RetentionCandidate> candidates;
  std::map<std::string, std::string> paths;
  std::vector<store::Backup> failed;  // scheduled backups that failed: no bundle, a row and its journal
  std::string newestComplete;         // RFC 3339 times sort as text
  for (auto& b : jobs.listBackups(deployment)) {
    if (b.scheduled && b.status == store::JobStatus::Failed) failed.push_back(b);
    if (!b.scheduled || b.status != store::JobStatus::Succeeded) continue;
    newestComplete = std::max(newestComplete, b.createdAt);
    auto at = accounting::parseTime(b.createdAt);
    if (!at) throw store::DatabaseError("backup " + b.id + " has a corrupt creation time: " + b.createdAt);
    candidates.push_back({b.id, *at});
    paths[b.id] = b.path;
  }
  const bundle::RetentionPolicy policy{schedule->keepHourly, schedule->keepDaily, schedule->keepWeekly,
                                       schedule->keepMonthly};
  std::vector<std::string> removed;
  std::string failures;
  for (auto& id : bundle::selectRetention(std::move(candidates), policy).remove) {
    if (!jobs.deleteBackupUnlessRestoring(id)) continue;  // a restore reads it: kept until the next prune
    removed.push_back(id);
    auto target = targetFor(paths[id]);
    auto gone = target ? (*target)->remove(paths[id]) : Result<void>(target.error());
    if (!gone) {
      spdlog::error("retention removed backup {} but not its bundle {}: {}", id, paths[id], gone.error().message);
      failures += (failures.empty() ? "" : "; ") + paths[id] + " (" + gone.error().message + ")";
    }
  }
  // A failed scheduled backup older than the newest complete one is history the schedule's last
  // result has moved past: its row and journal go (it has no bundle). Failures since stay listed.
  for (auto& b : failed)
    if (b.createdAt < newestComplete && jobs.deleteBackupUnlessRestoring(b.id)) removed.push_back(b.id);
  if (!removed.empty()) spdlog::info("retention removed {} scheduled backups of {}", removed.size(), deployment);
  if (!failures.empty())
    throw BundlesLeft("removed " + std::to_string(removed.size()) +
                             " older scheduled backups, but their bundles are left at: " + failures);
  return removed;
}

Result<store::Restore> Backups::restore(store::StateStore& state, const store::Backup& backup, Deployment d) {
  if (backup.status != store::JobStatus::Succeeded || backup.path.empty())
    return Error::conflict("backup " + backup.id + " has no complete bundle (it is " +
                           std::string(toString(backup.status)) + ")", "backup");
  auto hosts = nixos::publishedHosts(d);
  auto created = state.createDeployment(std::move(d), hosts);
  if (!created) return created.error();
  auto r = store::BackupStore(state.connection()).createRestore(backup.id, created->organisation, created->id);
  auto id = r.id;
  submit([this, id](store::StateStore& st) { runRestore(st, id); });
  return r;
}

bool Backups::waitRun(store::StateStore& state, const std::string& runId, Run& out) {
  for (;;) {
    out = state.getRun(runId, false).orThrow();
    if (out.status != RunStatus::Queued && out.status != RunStatus::Running) return true;
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, 50ms, [&] { return stopping_; })) return false;
  }
}

void Backups::runRestore(store::StateStore& state, const std::string& id) {
  store::BackupStore jobs(state.connection());
  auto r = jobs.getRestore(id).value();
  const fs::path staging = backupDir_ / (".staging-" + id);
  std::vector<std::string> loaded;
  bool applied = false;
  auto fail = [&](const std::string& part, const std::string& message) {
    jobs.journal(id, part, "failed: " + message);
    removeAll(staging);
    if (applied) {
      rollBack(state, id, r.deployment, loaded);
    } else {
      state.deleteSecrets(r.deployment);
      state.setDeploymentStatus(r.deployment, DeploymentStatus::Deleted);
      jobs.journal(id, "", "rolled back: the new deployment was never applied, it is removed");
    }
    jobs.failRestore(id, part.empty() ? message : part + ": " + message, part);
  };
  try {
    auto backup = jobs.getBackup(r.backup).orThrow();
    auto d = state.getDeployment(r.deployment).orThrow();
    auto* target = orch_.target(d.target);
    if (!target) return fail("target", "the target \"" + d.target + "\" is not configured");

    // 1. The whole bundle checked (every checksum, the secrets open) and its parts extracted.
    removeAll(staging);
    fs::create_directories(staging);
    auto local = openBundle(backup);
    if (!local) return fail("bundle", local.error().message);
    jobs.journal(id, "bundle", "verifying " + backup.path);
    auto opened = bundle::readBundle(local->path(), key_, staging);
    if (!opened) return fail(opened.error().field.empty() ? "bundle" : opened.error().field, opened.error().message);
    const std::string oldDomain = [&] {
      auto* v = opened->manifest.deployment.if_contains("domain");
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    }();
    std::set<std::pair<std::string, std::string>> groups;  // (kind, resource) with data
    for (auto& p : opened->manifest.parts)
      if (p.kind != "secrets") groups.insert({p.kind, p.resource});
    jobs.startRestore(id, static_cast<int>(groups.size()) + 3);
    int done = 1;
    jobs.restoreProgress(id, done);
    jobs.journal(id, "bundle", "verified: " + std::to_string(opened->manifest.parts.size()) + " parts");

    // 2. The secrets in place before anything is applied; one the bundle lacks would be generated:
    // refused, unless the app reads it only at its first setup (a first administrator's password,
    // catalog::SecretNeed::firstSetupOnly), which the apply then makes anew.
    std::set<std::string> needed;
    for (auto& res : expand(d)) secretNames(json::value(res.attributes), needed);
    for (auto& name : needed) {
      if (opened->secrets.contains(name)) continue;
      if (!catalog::secretSpec(name).firstSetupOnly)
        return fail(bundle::kSecretsName, "the bundle has no secret \"" + name +
                                              "\": restoring would generate a new one, so the restore is refused");
      jobs.journal(id, bundle::kSecretsName,
                   "the bundle has no " + name + " (made before it was the control plane's): a new one is made, "
                   "which the app does not read again; its administrator keeps the password in the restored data");
    }
    for (auto& [name, clear] : opened->secrets)
      state.sealedSecret(d.id, name, [&] { return orch_.box().seal(clear); });
    jobs.journal(id, bundle::kSecretsName, std::to_string(opened->secrets.size()) + " secrets restored unchanged");
    jobs.restoreProgress(id, ++done);

    // 3. The deployment applied.
    auto run = orch_.apply(state, d);
    if (!run) return fail("apply", run.error().message);
    applied = true;
    jobs.journal(id, "apply", "applying " + d.name + " (" + d.domain + ") in run " + run->id);
    Run ended;
    if (!waitRun(state, run->id, ended)) return;  // stopping: rolled back at the next start
    if (ended.status != RunStatus::Succeeded)
      return fail("apply", "run " + run->id + " " + std::string(toString(ended.status)) + ": " + ended.error);
    jobs.restoreProgress(id, ++done);

    // 4. Each resource's data.
    for (auto& [kind, name] : groups) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
      }
      const auto prefix = "parts/" + kind + "/" + name;
      auto k = resourceKindFromString(kind);
      if (!k) return fail(prefix, "unknown resource kind \"" + kind + "\"");
      // A resource named after the domain (a DNS record set) has the new domain in its name.
      std::string newName = name;
      if (!oldDomain.empty() && oldDomain != d.domain)
        if (auto at = newName.find(oldDomain); at != std::string::npos) newName.replace(at, oldDomain.size(), d.domain);
      auto rec = state.recordedResource(resourceKey(d.id, *k, newName));
      if (!rec) return fail(prefix, "the restored deployment has no " + kind + " \"" + newName + "\"");
      auto& provider = target->provider(*k);
      if (!provider.capabilities().hasData)
        return fail(prefix, "the " + provider.implementation() + " provider of target " + d.target +
                                " cannot load data");
      auto attrs = resolveAttributes(state, orch_.box(), d.id, rec->resource.attributes);
      if (!attrs) return fail(prefix, attrs.error().message);
      providers::ResolvedResource rr{rec->resource, &orch_.box()};
      rr.resource.attributes = std::move(*attrs);
      if (auto ok = addDataAccess(state, orch_.box(), d.id, rr); !ok) return fail(prefix, ok.error().message);
      loaded.push_back(rec->resource.key);
      auto ok = provider.importData(rr, staging / prefix);
      if (!ok) return fail(prefix, ok.error().message);
      jobs.journal(id, prefix, "loaded");
      jobs.restoreProgress(id, ++done);
    }
    removeAll(staging);
    jobs.finishRestore(id);
    jobs.journal(id, "", "restored as " + d.name + " (" + d.domain + ")");
  } catch (const AbortError& e) {
    fail("", e.error().message);
  } catch (const std::exception& e) {
    fail("", e.what());
  }
}

void Backups::rollBack(store::StateStore& state, const std::string& jobId, const std::string& deploymentId,
                       const std::vector<std::string>& loaded) {
  store::BackupStore jobs(state.connection());
  auto d = state.getDeployment(deploymentId);
  if (!d) return;
  auto* target = orch_.target(d->target);
  for (auto& key : loaded) {
    auto rec = state.recordedResource(key);
    if (!rec || !target) continue;
    auto attrs = resolveAttributes(state, orch_.box(), d->id, rec->resource.attributes);
    if (!attrs) {
      jobs.journal(jobId, key, "roll back: " + attrs.error().message);
      continue;
    }
    providers::ResolvedResource rr{rec->resource, &orch_.box()};
    rr.resource.attributes = std::move(*attrs);
    if (auto ok = addDataAccess(state, orch_.box(), d->id, rr); !ok) {
      jobs.journal(jobId, key, "roll back: " + ok.error().message);
      continue;
    }
    if (auto ok = target->provider(rec->resource.kind).discardData(rr); !ok)
      jobs.journal(jobId, key, "roll back: could not remove the loaded data: " + ok.error().message);
  }
  auto run = orch_.destroy(state, *d);
  if (!run) {
    jobs.journal(jobId, "", "roll back: cannot delete the new deployment: " + run.error().message);
    return;
  }
  Run ended;
  if (!waitRun(state, run->id, ended)) return;
  jobs.journal(jobId, "", ended.status == RunStatus::Succeeded
                              ? "rolled back: the new deployment and its resources are deleted"
                              : "roll back: deleting the new deployment " + std::string(toString(ended.status)) +
                                    " (run " + run->id + "): " + ended.error);
}

}  // namespace fedihost::orchestrator

// ---- Restore in place ----

namespace fedihost::orchestrator {
namespace {

/// The part prefixes ("parts/<kind>/<resource>") of the resources a bundle holds data of, in order.
std::vector<std::string> dataGroups(const bundle::Manifest& m) {
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<std::string> out;
  for (auto& p : m.parts)
    if (p.kind != "secrets" && seen.insert({p.kind, p.resource}).second) out.push_back("parts/" + p.kind + "/" + p.resource);
  return out;
}

/// The recorded resource of `d` a part prefix names; the error names the prefix.
Result<RecordedResource> resourceOfGroup(store::StateStore& state, const Deployment& d, const std::string& prefix) {
  const auto rest = prefix.substr(std::string("parts/").size());
  const auto slash = rest.find('/');
  auto kind = resourceKindFromString(rest.substr(0, slash));
  if (slash == std::string::npos || !kind) return Error::invalid(prefix, "unknown resource kind in " + prefix);
  auto rec = state.recordedResource(resourceKey(d.id, *kind, rest.substr(slash + 1)));
  if (!rec)
    return Error::conflict("deployment " + d.name + " has no " + rest.substr(0, slash) + " \"" + rest.substr(slash + 1) +
                               "\" (the bundle holds its data): it was removed since the backup",
                           prefix);
  return *rec;
}

}  // namespace

Result<store::Restore> Backups::restoreInPlace(store::StateStore& state, const store::Backup& backup,
                                               const Deployment& d) {
  if (backup.status != store::JobStatus::Succeeded || backup.path.empty())
    return Error::conflict("backup " + backup.id + " has no complete bundle (it is " +
                               std::string(toString(backup.status)) + ")",
                           "backup");
  if (backup.deployment != d.id)
    return Error::conflict("backup " + backup.id + " is of another deployment (" + backup.deployment +
                               "): a restore in place takes a backup of the same deployment; restore it as a new "
                               "deployment instead",
                           "backup");
  if (d.status == DeploymentStatus::Deleted || d.status == DeploymentStatus::Deleting)
    return Error::conflict("deployment " + d.name + " is deleted or being deleted: restore the backup as a new deployment");
  auto claim = state.claimRefresh(d.id, orch_.instanceId());
  if (!claim) return claim.error();
  store::Restore r;
  try {
    r = store::BackupStore(state.connection()).createInPlaceRestore(backup.id, d.organisation, d.id, *claim);
  } catch (...) {
    state.releaseRefresh(*claim);
    throw;
  }
  auto id = r.id;
  submit([this, id](store::StateStore& st) { runRestoreInPlace(st, id); });
  return r;
}

Result<void> Backups::loadInPlace(store::StateStore& state, const std::string& jobId, std::string& claim,
                                  const Deployment& d, const bundle::OpenedBundle& opened, const fs::path& dir,
                                  const std::vector<std::string>& groups, bool secretsFirst, Loaded& loaded,
                                  const std::string& source, const std::function<void()>& stepDone) {
  store::BackupStore jobs(state.connection());
  auto* target = orch_.target(d.target);
  if (!target) return Error::invalid("target", "the target \"" + d.target + "\" is not configured");

  auto data = [&]() -> Result<void> {
    for (auto& prefix : groups) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) {
          loaded.stopped = true;
          return {};
        }
      }
      auto rec = resourceOfGroup(state, d, prefix);
      if (!rec) return rec.error();
      auto& provider = target->provider(rec->resource.kind);
      auto attrs = resolveAttributes(state, orch_.box(), d.id, rec->resource.attributes);
      if (!attrs) return Error::invalid(prefix, attrs.error().message);
      providers::ResolvedResource rr{rec->resource, &orch_.box()};
      rr.resource.attributes = std::move(*attrs);
      if (auto ok = addDataAccess(state, orch_.box(), d.id, rr); !ok) return Error::invalid(prefix, ok.error().message);
      loaded.groups.push_back(prefix);
      if (auto ok = provider.discardData(rr); !ok)
        return Error::invalid(prefix, "discarding the current data: " + ok.error().message);
      if (auto ok = provider.importData(rr, dir / prefix); !ok) return Error::invalid(prefix, ok.error().message);
      jobs.journal(jobId, prefix, "current data discarded, " + source + "'s loaded");
      stepDone();
    }
    return {};
  };

  auto secretsAndApply = [&]() -> Result<void> {
    std::set<std::string> changed;
    auto sealed = state.sealedSecrets(d.id);
    for (auto& [name, clear] : opened.secrets) {
      auto it = sealed.find(name);
      auto current = it == sealed.end() ? Result<std::string>(Error::notFound(name)) : orch_.box().open(it->second);
      if (current && *current == clear) continue;
      changed.insert(name);
      sealed[name] = orch_.box().seal(clear);
    }
    if (!changed.empty()) state.replaceSecrets(d.id, sealed);
    std::string names;
    for (auto& n : changed) names += (names.empty() ? "" : ", ") + n;
    jobs.journal(jobId, bundle::kSecretsName,
                 changed.empty() ? std::to_string(opened.secrets.size()) + " secrets, all as the deployment has them"
                                 : std::to_string(changed.size()) + " of " + std::to_string(opened.secrets.size()) +
                                       " secrets replaced by " + source + "'s: " + names);
    stepDone();
    if (changed.empty()) return {};
    // The resources that deliver a changed secret are updated: the plan compares references, not values.
    std::set<std::string> keys;
    for (auto& res : expand(d)) {
      std::set<std::string> refs;
      secretNames(json::value(res.attributes), refs);
      for (auto& n : refs)
        if (changed.contains(n)) keys.insert(res.key);
    }
    state.releaseRefresh(claim);
    claim.clear();
    jobs.setRestoreClaim(jobId, "");
    auto run = orch_.applyUpdating(state, d, keys);
    if (!run) return Error::invalid("apply", run.error().message);
    jobs.journal(jobId, "apply", "applying " + d.name + " in run " + run->id + " (" + std::to_string(keys.size()) +
                                     " resources deliver the replaced secrets)");
    Run ended;
    if (!waitRun(state, run->id, ended)) {
      loaded.stopped = true;
      return {};
    }
    auto again = state.claimRefresh(d.id, orch_.instanceId());
    if (again) {
      claim = *again;
      jobs.setRestoreClaim(jobId, claim);
    }
    if (ended.status != RunStatus::Succeeded)
      return Error::invalid("apply", "run " + run->id + " " + std::string(toString(ended.status)) + ": " + ended.error);
    if (!again) return Error::invalid("apply", "the deployment could not be held again after the apply: " +
                                                   again.error().message);
    stepDone();
    return {};
  };

  if (secretsFirst) {
    if (auto ok = secretsAndApply(); !ok || loaded.stopped) return ok;
    return data();
  }
  if (auto ok = data(); !ok || loaded.stopped) return ok;
  return secretsAndApply();
}

std::string Backups::rollBackInPlace(store::StateStore& state, const std::string& jobId, std::string& claim,
                                     const Deployment& d, const std::string& safetyId,
                                     const std::vector<std::string>* groups) {
  store::BackupStore jobs(state.connection());
  auto safety = jobs.getBackup(safetyId);
  if (!safety) return "the safety backup " + safetyId + " is gone";
  const fs::path dir = backupDir_ / (".staging-" + jobId + "-safety");
  removeAll(dir);
  fs::create_directories(dir);
  auto local = openBundle(*safety);
  if (!local) return "the safety backup's bundle cannot be read: " + local.error().message;
  auto opened = bundle::readBundle(local->path(), key_, dir);
  if (!opened) {
    removeAll(dir);
    return "the safety backup's bundle does not verify: " + opened.error().message;
  }
  std::vector<std::string> all = dataGroups(opened->manifest);
  std::vector<std::string> toLoadBack;
  for (auto& g : all)
    if (!groups || std::find(groups->begin(), groups->end(), g) != groups->end()) toLoadBack.push_back(g);
  Loaded loaded;
  auto ok = loadInPlace(state, jobId, claim, d, *opened, dir, toLoadBack, true, loaded, "safety backup " + safetyId,
                        [] {});
  removeAll(dir);
  if (loaded.stopped) return "the server stopped during the roll back";
  if (!ok) return ok.error().field + ": " + ok.error().message;
  jobs.journal(jobId, "", "rolled back: the data and secrets of safety backup " + safetyId + " are back (" +
                              std::to_string(toLoadBack.size()) + " resources with data)");
  return "";
}

void Backups::recoverInPlace(store::StateStore& state, const store::Restore& r) {
  store::BackupStore jobs(state.connection());
  // The previous process's claim is gone with it (or is given up here): the deployment is held anew.
  if (!r.claimId.empty()) state.releaseRefresh(r.claimId);
  auto safety = r.safetyBackup.empty() ? Result<store::Backup>(Error::notFound("none"))
                                       : jobs.getBackup(r.safetyBackup);
  if (!safety || safety->status != store::JobStatus::Succeeded) {
    spdlog::warn("restore {} of {} was interrupted before its safety backup was complete: nothing was replaced",
                 r.id, r.deployment);
    jobs.journal(r.id, "", "interrupted before the safety backup was complete: nothing of the deployment was replaced");
    jobs.setRestoreClaim(r.id, "");
    return;
  }
  spdlog::warn("restore {} was interrupted by a restart: loading its safety backup {} back into {}", r.id,
               safety->id, r.deployment);
  auto d = state.getDeployment(r.deployment);
  if (!d) return jobs.failRestore(r.id, "interrupted, and its deployment is gone: " + d.error().message, "");
  // A run the previous process left (the restore's apply) is resumed by the executor: waited for.
  auto claim = state.claimRefresh(d->id, orch_.instanceId());
  while (!claim && claim.error().kind == ErrorKind::Conflict) {
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, 200ms, [&] { return stopping_; })) return;  // still running: found again at the next start
    lock.unlock();
    claim = state.claimRefresh(d->id, orch_.instanceId());
  }
  std::string undone;
  std::string held;
  if (!claim) {
    undone = "the deployment cannot be held: " + claim.error().message;
  } else {
    held = *claim;
    jobs.setRestoreClaim(r.id, held);
    undone = rollBackInPlace(state, r.id, held, *d, safety->id, nullptr);
    if (!held.empty()) state.releaseRefresh(held);
    jobs.setRestoreClaim(r.id, "");
  }
  if (undone.empty()) {
    jobs.failRestore(r.id, "interrupted: the server stopped before the restore ended; rolled back to safety backup " +
                               safety->id, "");
    return;
  }
  jobs.journal(r.id, "", "ROLL BACK INCOMPLETE: " + undone);
  spdlog::error("restore {} of {} was interrupted and could not be rolled back ({}): its safety backup {} holds it "
                "as it was; restore that in place",
                r.id, r.deployment, undone, safety->id);
  jobs.failRestore(r.id, "interrupted: the server stopped before the restore ended, and the roll back did not "
                         "complete (" + undone + "): the deployment may be partly restored; its safety backup " +
                         safety->id + " holds it as it was, restore that in place", "");
}

void Backups::runRestoreInPlace(store::StateStore& state, const std::string& id) {
  store::BackupStore jobs(state.connection());
  auto r = jobs.getRestore(id).value();
  std::string claim = r.claimId;
  const fs::path staging = backupDir_ / (".staging-" + id);
  auto release = [&] {
    if (!claim.empty()) state.releaseRefresh(claim);
    jobs.setRestoreClaim(id, "");
    removeAll(staging);
  };
  // Before anything of the deployment is replaced.
  auto failUntouched = [&](const std::string& part, const std::string& message) {
    jobs.journal(id, part, "failed: " + message);
    jobs.journal(id, "", "nothing of the deployment was replaced");
    release();
    jobs.failRestore(id, part.empty() ? message : part + ": " + message, part);
  };
  // Once data may have been replaced: the safety backup is loaded back.
  std::string safetyId;
  Loaded loaded;
  auto failTouched = [&](const Deployment& d, const std::string& part, const std::string& message) {
    jobs.journal(id, part, "failed: " + message);
    removeAll(staging);
    if (claim.empty())
      if (auto again = state.claimRefresh(d.id, orch_.instanceId())) claim = *again;
    auto undone = rollBackInPlace(state, id, claim, d, safetyId, &loaded.groups);
    std::string error = (part.empty() ? "" : part + ": ") + message;
    if (!undone.empty()) {
      jobs.journal(id, "", "ROLL BACK INCOMPLETE: " + undone);
      spdlog::error("restore {} of {} failed and could not be rolled back ({}): its safety backup {} holds it as it "
                    "was; restore that in place",
                    id, d.name, undone, safetyId);
      error += "; the roll back did not complete (" + undone + "): the deployment may be partly restored; its safety "
               "backup " + safetyId + " holds it as it was, restore that in place";
    } else {
      error += "; rolled back to safety backup " + safetyId;
    }
    release();
    jobs.failRestore(id, error, part);
  };
  auto failAny = [&](const std::string& message) {
    auto d = state.getDeployment(r.deployment);
    if (safetyId.empty() || !d) return failUntouched("", message);
    // What was touched so far (loaded.groups) and the secrets, whatever they are now.
    failTouched(*d, "", message);
  };
  try {
    auto backup = jobs.getBackup(r.backup).orThrow();
    auto d = state.getDeployment(r.deployment).orThrow();
    if (!orch_.target(d.target)) return failUntouched("target", "the target \"" + d.target + "\" is not configured");

    // 1. The whole bundle checked and extracted, and what it holds matched against the deployment.
    removeAll(staging);
    fs::create_directories(staging);
    auto local = openBundle(backup);
    if (!local) return failUntouched("bundle", local.error().message);
    jobs.journal(id, "bundle", "verifying " + backup.path);
    auto opened = bundle::readBundle(local->path(), key_, staging);
    if (!opened) return failUntouched(opened.error().field.empty() ? "bundle" : opened.error().field, opened.error().message);
    const auto groups = dataGroups(opened->manifest);
    for (auto& g : groups) {
      auto rec = resourceOfGroup(state, d, g);
      if (!rec) return failUntouched(g, rec.error().message);
      auto& provider = orch_.target(d.target)->provider(rec->resource.kind);
      if (!provider.capabilities().hasData)
        return failUntouched(g, "the " + provider.implementation() + " provider of target " + d.target +
                                    " cannot load data");
    }
    std::set<std::string> needed;
    for (auto& res : expand(d)) secretNames(json::value(res.attributes), needed);
    for (auto& name : needed) {
      if (opened->secrets.contains(name)) continue;
      // A first administrator's password read only at the first setup: the current one stays.
      if (catalog::secretSpec(name).firstSetupOnly) {
        jobs.journal(id, bundle::kSecretsName, "the bundle has no " + name + ": the deployment keeps its current one");
        continue;
      }
      return failUntouched(bundle::kSecretsName, "the bundle has no secret \"" + name +
                                                     "\": restoring would leave the deployment's current one with "
                                                     "the bundle's data, so the restore is refused");
    }
    jobs.startRestore(id, static_cast<int>(groups.size()) + 4);
    int done = 1;
    jobs.restoreProgress(id, done);
    jobs.journal(id, "bundle", "verified: " + std::to_string(opened->manifest.parts.size()) + " parts");

    // 2. The safety backup: the deployment as it is, kept whatever happens next.
    auto safety = jobs.createSafetyBackup(d.id, d.organisation, id);
    jobs.journal(id, "safety-backup", "backing up " + d.name + " as it is now: backup " + safety.id);
    runBackup(state, safety.id);
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;  // failed at the next start: nothing was replaced yet
    }
    safety = jobs.getBackup(safety.id).orThrow();
    if (safety.status != store::JobStatus::Succeeded)
      return failUntouched("safety-backup", "the safety backup " + safety.id + " failed: " + safety.error);
    jobs.journal(id, "safety-backup", "backup " + safety.id + " complete (" + std::to_string(safety.size) + " bytes)");
    jobs.restoreProgress(id, ++done);

    // 3. Each resource's data, then the secrets (and an apply if they changed).
    safetyId = safety.id;
    auto ok = loadInPlace(state, id, claim, d, *opened, staging, groups, false, loaded, "backup " + backup.id,
                          [&] { jobs.restoreProgress(id, ++done); });
    if (loaded.stopped) return;  // rolled back at the next start
    if (!ok) return failTouched(d, ok.error().field, ok.error().message);
    release();
    jobs.finishRestore(id);
    jobs.journal(id, "", "restored in place from " + backup.id + "; the state before is safety backup " + safety.id);
  } catch (const AbortError& e) {
    failAny(e.error().message);
  } catch (const std::exception& e) {
    failAny(e.what());
  }
}

}  // namespace fedihost::orchestrator
