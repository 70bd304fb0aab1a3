#include "orchestrator/orchestrator.hh"
#include "nixos/render.hh"

#include <fcntl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "core/clock.hh"
#include "core/fd.hh"
#include "core/json_util.hh"
#include "core/private_file.hh"
#include "orchestrator/expand.hh"
#include "orchestrator/planner.hh"
#include "store/backup_store.hh"
#include "store/instance_store.hh"
#include "store/migrations.hh"

namespace fedihost::orchestrator {
namespace {

std::string digest(const json::value& v) {
  auto text = jsonutil::canonicalCompact(v);
  unsigned char out[16];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  char hex[2 * sizeof out + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

/// Secrets are compared by name only: their sealed form differs at every sealing.
bool isSecret(const json::value& v) {
  const auto* o = v.if_object();
  return o && o->contains("secret");
}

/// The names of an object made of secrets only (those a NixOS configuration delivers), else nothing.
std::optional<std::set<std::string>> secretNames(const json::value& v) {
  const auto* o = v.if_object();
  if (!o || o->empty()) return std::nullopt;
  std::set<std::string> names;
  for (auto& kv : *o) {
    if (!isSecret(kv.value())) return std::nullopt;
    names.emplace(kv.key());
  }
  return names;
}

/// Canonical text of a value; an array counts as a set (providers need not keep our order).
std::string canonicalSet(const json::value& v) {
  if (!v.is_array()) return jsonutil::canonicalCompact(v);
  std::vector<std::string> items;
  for (auto& e : v.get_array()) items.push_back(jsonutil::canonicalCompact(e));
  std::sort(items.begin(), items.end());
  std::string out = "[";
  for (auto& i : items) out += i + ",";
  return out + "]";
}

/// Which of the attributes we asked for differ in what the provider holds.
std::vector<std::string> differences(const json::object& asked, const json::object& held) {
  std::vector<std::string> out;
  for (auto& kv : asked) {
    if (isSecret(kv.value())) continue;
    auto* h = held.if_contains(kv.key());
    if (!h) continue;  // a provider need not echo everything
    if (auto names = secretNames(kv.value())) {
      if (names != secretNames(*h)) out.emplace_back(kv.key());
      continue;
    }
    if (canonicalSet(*h) != canonicalSet(kv.value())) out.emplace_back(kv.key());
  }
  return out;
}

}  // namespace

void prepareDataDir(const DataDir& dir) {
  std::filesystem::create_directories(dir.root);
  std::filesystem::permissions(dir.root, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
  auto state = store::connect(dir.stateUrl());
  store::migrate(*state, store::DatabaseKind::State);
  // Deployments from before host names were recorded get theirs, so no one can take them.
  store::StateStore(*state).backfillHosts([](const Deployment& d) { return nixos::publishedHosts(d); });
  auto accounting = store::connect(dir.accountingUrl());
  store::migrate(*accounting, store::DatabaseKind::Accounting);
}

Result<DataDirLock> DataDirLock::acquire(const DataDir& dir) {
  files::makePrivateDirs(dir.root).orThrow();
  auto path = dir.root / "serve.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  Fd guard(fd);
  int rc;
  do rc = ::flock(fd, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno != EWOULDBLOCK) throw std::runtime_error("cannot lock " + path.string() + ": " + std::strerror(errno));
    char buf[32] = {};
    auto n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string pid(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Error::conflict("the data directory " + dir.root.string() + " is in use by another fedihost serve (PID " +
                           (pid.empty() ? std::string("unknown") : pid) + "); stop it first or use another --data");
  }
  auto text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  return DataDirLock(guard.release());
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

Result<std::map<std::string, std::unique_ptr<providers::Target>>> loadTargetFiles(const DataDir& dir,
                                                                                  const secrets::SecretBox* box,
                                                                                  bool faultInjection) {
  std::map<std::string, std::unique_ptr<providers::Target>> targets;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(dir.targetConfigDir(), ec))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());  // the first bad file reported is the same every time
  for (auto& path : files) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    json::value config;
    try {
      config = json::parse(ss.str());
    } catch (const std::exception& ex) {
      return Error::invalid(path.string(), std::string("not JSON: ") + ex.what());
    }
    if (!config.is_object()) return Error::invalid(path.string(), "must be a JSON object");
    auto name = path.stem().string();
    auto t = providers::Target::fromConfig(config.get_object(), dir.targetRoot(name), dir.stateUrl(), box,
                                           faultInjection);
    if (!t) {
      auto err = t.error();
      err.message = path.string() + ": " + err.message;
      return err;
    }
    if (t->name() != name)
      return Error::invalid(path.string(),
                            "the target's name \"" + t->name() + "\" must match its file name \"" + name + "\"");
    targets[name] = std::make_unique<providers::Target>(std::move(*t));
  }
  return targets;
}

Orchestrator::Orchestrator(DataDir dir, OrchestratorOptions options)
    : dir_(std::move(dir)), options_(options), box_(secrets::SecretBox::openOrCreate(dir_.secretKey())) {
  // The built-in file target "local" (tests, demos), unless a targets/local.json replaces it.
  targets_["local"] = std::make_unique<providers::Target>(providers::Target::fileTarget("local", dir_.targetRoot("local")));
  for (auto& [name, t] : loadTargetFiles(dir_, &box_, options_.faultInjection).orThrow()) targets_[name] = std::move(t);
  store::ShipperConfig sc{dir_.stateUrl(), dir_.accountingUrl(), dir_.auditHeadFile(), dir_.auditKeyFile()};
  sc.interval = options_.shipInterval;
  sc.headInterval = options_.headInterval;
  shipper_ = std::make_unique<store::Shipper>(sc);
  LeaseOptions lo;
  lo.lease = options_.lease;
  lo.exclusive = dir_.stateUrl().rfind("postgres", 0) != 0;  // SQLite: the data directory's lock makes it ours
  lo.onReaped = [this] { executor_->enqueue({}); };
  lo.onLost = [this] {
    executor_->abandon();
    std::lock_guard lock(jobsMu_);
    jobsStopping_ = true;  // a job in progress stops at its next provider call
    jobsCv_.notify_all();
  };
  lease_ = std::make_unique<InstanceLease>(dir_.stateUrl(), std::move(lo));
  ExecutorConfig ec2{dir_.stateUrl(), dir_.accountingUrl(), options_.workers, options_.maxParallelSteps,
                     options_.retry, options_.jitterSeed, [this] { shipper_->wake(); }, options_.scheduleHook,
                     lease_->id(), options_.pollInterval};
  executor_ = std::make_unique<Executor>(ec2, [this](const std::string& n) { return target(n); }, box_, slots_);
  auto targetConfig = options_.backupTarget;
  targetConfig.directory = options_.backupDir.empty() ? dir_.backupsDir() : options_.backupDir;
  backups_ = std::make_unique<Backups>(*this, dir_.stateUrl(), targetConfig.directory, dir_.bundleKey(),
                                       backup_target::makeTarget(targetConfig).orThrow());
  housekeeping_ = std::make_unique<Housekeeping>(HousekeepingConfig{
      dir_.stateUrl(), lease_->id(), options_.housekeepingInterval, options_.jobRetention, std::chrono::hours(24 * 7)});
}

Orchestrator::~Orchestrator() { stop(); }

accounting::Measurement Orchestrator::measureBucket(store::StateStore& state, const Deployment& d,
                                                    const Resource& bucket) const {
  accounting::Measurement m;
  const auto* t = target(d.target);
  if (!t) {
    m.error = "the deployment's target \"" + d.target + "\" is not configured";
    return m;
  }
  auto& provider = t->provider(ResourceKind::Bucket);
  m.provider = provider.implementation();
  auto* blob = providers::asBlobProvider(provider);
  if (!blob) {
    m.error = "the " + m.provider + " provider is not a blob provider";
    return m;
  }
  auto attrs = resolveAttributes(state, box_, d.id, bucket.attributes);
  if (!attrs) {
    m.error = attrs.error().message;
    return m;
  }
  providers::ResolvedResource rr{bucket, &box_};
  rr.resource.attributes = std::move(*attrs);
  auto size = blob->storedSize(rr);
  if (!size) {
    m.error = size.error().message;
    return m;
  }
  m.bytes = size->bytes;
  m.objects = size->objects;
  return m;
}

const providers::Target* Orchestrator::target(const std::string& name) const {
  auto it = targets_.find(name);
  return it == targets_.end() ? nullptr : it->second.get();
}

std::vector<std::string> Orchestrator::targetNames() const {
  std::vector<std::string> out;
  for (auto& [n, _] : targets_) out.push_back(n);
  return out;
}

Plan Orchestrator::planFor(store::StateStore& state, const Deployment& d) const {
  auto plan = planDeployment(state, d, PlanVariant::WithDrift);
  // A target leaves out the kinds it does not offer (a database, buckets, mail): a deployment whose
  // apps need one is refused here, by name, rather than failing in the middle of a run.
  if (const auto* t = target(d.target)) {
    std::vector<ResourceKind> needed;
    for (auto& a : plan.actions)
      if (a.action != ActionKind::Delete) needed.push_back(a.resource.kind);
    if (auto missing = t->missingKinds(needed); !missing.empty())
      throw AbortError(Error::invalid("target", "target \"" + t->name() + "\" has no provider for " +
                                                    providers::kindList(missing) + ", which deployment \"" + d.name +
                                                    "\" needs; name one in the target's file or choose another target"));
  }
  return plan;
}

Result<Run> Orchestrator::queue(store::StateStore& state, const Deployment& d, RunKind kind,
                                const std::set<std::string>& forceUpdate) {
  if (!target(d.target)) return Error::invalid("target", "no target named \"" + d.target + "\" is configured");
  Deployment target = d;
  if (kind == RunKind::Destroy) target.status = DeploymentStatus::Deleting;
  auto p = planFor(state, target);
  std::vector<PlanAction> actions;
  for (auto& a : p.actions) {
    if (a.action == ActionKind::Noop && forceUpdate.contains(a.resource.key)) {
      a.action = ActionKind::Update;
      a.reason = "its secrets were restored in place";
    }
    if (a.action != ActionKind::Noop) actions.push_back(std::move(a));
  }
  // Conflict if another run (or a refresh) holds the deployment: the database's constraint decides.
  auto run = state.createRun(d.id, kind, actions);
  if (!run) return run.error();
  state.setDeploymentStatus(d.id, kind == RunKind::Destroy ? DeploymentStatus::Deleting : DeploymentStatus::Applying);
  executor_->enqueue(run->id);
  return run;
}

Result<Run> Orchestrator::apply(store::StateStore& state, const Deployment& d) { return queue(state, d, RunKind::Apply); }

Result<Run> Orchestrator::applyUpdating(store::StateStore& state, const Deployment& d,
                                        const std::set<std::string>& forceUpdate) {
  return queue(state, d, RunKind::Apply, forceUpdate);
}

Result<Run> Orchestrator::destroy(store::StateStore& state, const Deployment& d) {
  return queue(state, d, RunKind::Destroy);
}

json::object Orchestrator::basisOf(store::StateStore& state, const Deployment& d) const {
  json::object resources;
  for (auto& r : state.recordedResources(d.id))
    resources[r.resource.key] = digest(json::object{{"resource", store::resourceToJson(r.resource, "")},
                                                    {"outputs", r.outputs}});
  json::object drift;
  for (auto& dr : state.drift(d.id)) drift[dr.key] = std::string(toString(dr.status)) + ":" + dr.detail;
  return {{"version", d.version}, {"status", toString(d.status)}, {"resources", std::move(resources)},
          {"drift", std::move(drift)}};
}

SavedPlan Orchestrator::savePlan(store::StateStore& state, const Deployment& d) {
  auto p = planFor(state, d);
  return state.savePlan(d.id, basisOf(state, d), p.actions);
}

Result<Run> Orchestrator::applySaved(store::StateStore& state, const Deployment& d, const std::string& planId) {
  auto saved = state.getSavedPlan(planId);
  if (!saved || saved->deployment != d.id)
    return Error::invalid("plan", "no saved plan " + planId + " for deployment " + d.name);
  if (!saved->runId.empty()) return Error::conflict("plan " + planId + " was applied already by " + saved->runId, "plan");
  auto now = basisOf(state, d);
  std::vector<std::string> changed;
  const auto& was = saved->basis;
  if (was.at("version") != now.at("version"))
    changed.push_back("the deployment was edited (version " + jsonutil::canonicalCompact(was.at("version")) +
                      " → " + jsonutil::canonicalCompact(now.at("version")) + ")");
  else if (was.at("status") != now.at("status"))
    changed.push_back("the deployment's status changed (" + std::string(was.at("status").as_string()) + " → " +
                      std::string(now.at("status").as_string()) + ")");
  auto compare = [&](const char* part, const char* what) {
    const auto& a = was.at(part).as_object();
    const auto& b = now.at(part).as_object();
    for (auto& kv : a) {
      auto* other = b.if_contains(kv.key());
      if (!other) changed.push_back(std::string(kv.key()) + ": " + what + " is gone");
      else if (*other != kv.value()) changed.push_back(std::string(kv.key()) + ": " + what + " changed");
    }
    for (auto& kv : b)
      if (!a.contains(kv.key())) changed.push_back(std::string(kv.key()) + ": new " + what);
  };
  compare("resources", "recorded state");
  compare("drift", "drift");
  if (!changed.empty()) {
    std::string msg = "the plan is stale; since it was made: ";
    for (std::size_t i = 0; i < changed.size() && i < 10; ++i) msg += (i ? "; " : "") + changed[i];
    if (changed.size() > 10) msg += "; and " + std::to_string(changed.size() - 10) + " more";
    return Error::conflict(msg + ". Make a new plan.", "plan");
  }
  std::vector<PlanAction> actions;
  for (auto& a : saved->actions)
    if (a.action != ActionKind::Noop) actions.push_back(a);
  auto run = state.createRun(d.id, RunKind::Apply, actions, planId);
  if (!run) return run.error();
  state.setDeploymentStatus(d.id, DeploymentStatus::Applying);
  executor_->enqueue(run->id);
  return run;
}

Result<Run> Orchestrator::cancel(store::StateStore& state, const std::string& runId) {
  auto run = state.requestCancel(runId);
  if (!run) return run.error();
  executor_->cancel(runId);
  return run;
}

Result<RefreshReport> Orchestrator::refresh(store::StateStore& state, const std::string& deploymentId) {
  auto d = state.getDeployment(deploymentId);
  if (!d) return d.error();
  const auto* t = target(d->target);
  if (!t) return Error::invalid("target", "no target named \"" + d->target + "\" is configured");
  // The same exclusion as a run: while an apply changes the deployment no refresh reads it (whose
  // result would overwrite the drift the apply clears), and no apply starts until the refresh ends.
  auto claim = state.claimRefresh(d->id, lease_->id());
  if (!claim) return claim.error();
  struct Release {
    store::StateStore& state;
    const std::string& id;
    ~Release() {
      try {
        state.releaseRefresh(id);
      } catch (const std::exception& e) {
        spdlog::error("refresh claim {} not released: {}", id, e.what());
      }
    }
  } release{state, *claim};
  return refreshHeld(state, *d, *t, {});
}

Result<RefreshReport> Orchestrator::refreshHeld(store::StateStore& state, const Deployment& d,
                                                const providers::Target& t, const Progress& progress) {
  RefreshReport report;
  auto recorded = state.recordedResources(d.id);
  const auto total = static_cast<std::int64_t>(recorded.size());
  std::int64_t done = 0;
  if (progress) progress(done, total);
  for (auto& rec : recorded) {
    if (progress) progress(done++, total);
    auto attrs = resolveAttributes(state, box_, d.id, rec.resource.attributes);
    if (!attrs) {
      report.errors.push_back(rec.resource.key + ": " + attrs.error().message);
      continue;
    }
    providers::ResolvedResource rr{rec.resource, &box_};
    rr.resource.attributes = std::move(*attrs);
    ++report.checked;
    // Within the provider's limit, like the executor's steps (a slot held for the call only).
    auto& provider = t.provider(rec.resource.kind);
    auto slot = slots_.hold(&provider, t.parallelism(rec.resource.kind));
    auto observed = provider.read(rr);
    slot.release();
    if (!observed) {
      if (observed.error().kind == ErrorKind::NotFound)
        report.drift.push_back({rec.resource.key, d.id, DriftStatus::Missing, "missing at provider", {}});
      else
        report.errors.push_back(rec.resource.key + ": " + observed.error().message);
      continue;
    }
    auto diff = differences(rr.resource.attributes, observed->attributes);
    std::string detail;
    for (auto& k : diff) detail += (detail.empty() ? "" : ", ") + k;
    if (!detail.empty()) detail += " differ";
    if (!observed->due.empty()) detail += (detail.empty() ? "" : "; ") + observed->due;  // e.g. "renewal due"
    if (!detail.empty()) report.drift.push_back({rec.resource.key, d.id, DriftStatus::Changed, detail, {}});
  }
  report.checkedAt = clock::nowRfc3339();
  for (auto& dr : report.drift) dr.checkedAt = report.checkedAt;
  state.replaceDrift(d.id, report.drift, report.checkedAt);
  if (progress) progress(total, total);
  return report;
}

OrphanScan Orchestrator::findOrphans(store::StateStore& state, const Progress& progress) {
  OrphanScan scan;
  auto& out = scan.orphans;
  std::map<std::string, std::vector<std::string>> byTarget;  // target -> deployments
  std::map<std::string, Deployment> known;
  for (auto& id : state.deploymentIds(true)) {
    auto d = state.getDeployment(id);
    if (!d) continue;
    byTarget[d->target].push_back(id);
    known[id] = *d;
  }
  std::map<std::string, std::vector<std::string>> toList;  // target -> deployments to list there
  std::int64_t total = 0, done = 0;
  for (auto& [name, t] : targets_) {
    std::vector<std::string> ids = byTarget[name];
    // A file target also shows deployments the state database never heard of.
    if (auto root = t->deploymentPath(""); !root.empty()) {
      std::error_code ec;
      for (std::filesystem::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_directory() && !known.count(it->path().filename().string()))
          ids.push_back(it->path().filename().string());
      if (ec && ec != std::errc::no_such_file_or_directory)
        scan.failures.push_back({name, "", "", "cannot list " + root.string() + ": " + ec.message()});
    }
    std::int64_t kinds = 0;
    for (auto kind : allResourceKinds()) kinds += t->has(kind) && t->provider(kind).capabilities().canList ? 1 : 0;
    total += kinds * static_cast<std::int64_t>(ids.size());
    toList[name] = std::move(ids);
  }
  if (progress) progress(done, total);
  for (auto& [name, t] : targets_) {
    for (auto& id : toList[name]) {
      std::set<std::string> recorded;
      for (auto& r : state.recordedResources(id)) recorded.insert(r.resource.key);
      auto k = known.find(id);
      std::string reason = k == known.end()                                   ? "deployment unknown"
                           : k->second.status == DeploymentStatus::Deleted ? "deployment deleted"
                                                                              : "not recorded";
      for (auto kind : allResourceKinds()) {
        if (!t->has(kind)) continue;  // a kind the target does not offer holds nothing
        auto& p = t->provider(kind);
        if (!p.capabilities().canList) continue;
        if (progress) progress(done++, total);
        auto keys = [&] {
          auto slot = slots_.hold(&p, t->parallelism(kind));  // within the provider's limit, as a step
          return p.list(id);
        }();
        if (!keys) {
          scan.failures.push_back({name, id, std::string(toString(kind)), keys.error().message});
          continue;
        }
        for (auto& key : *keys)
          if (!recorded.count(key)) out.push_back({name, key, id, reason});
      }
    }
  }
  if (progress) progress(total, total);
  return scan;
}

json::object driftDocument(const std::string& deployment, const std::string& refreshedAt,
                           const std::vector<Drift>& drift, const std::vector<std::string>& errors) {
  json::array items;
  for (auto& d : drift)
    items.push_back(json::object{
        {"resourceKey", d.key}, {"status", toString(d.status)}, {"detail", d.detail}, {"checkedAt", d.checkedAt}});
  json::array errs;
  for (auto& e : errors) errs.emplace_back(e);
  return {{"deployment", deployment},
          {"refreshedAt", refreshedAt.empty() ? json::value(nullptr) : json::value(refreshedAt)},
          {"drifted", !drift.empty()},
          {"resources", std::move(items)},
          {"errors", std::move(errs)}};
}

json::object orphanScanDocument(const OrphanScan& scan) {
  json::array items, failures;
  for (auto& o : scan.orphans)
    items.push_back(
        json::object{{"target", o.target}, {"resourceKey", o.key}, {"deployment", o.deployment}, {"reason", o.reason}});
  // Where a provider could not list, the scan does not know: said per target, deployment and kind.
  for (auto& f : scan.failures)
    failures.push_back(
        json::object{{"target", f.target}, {"deployment", f.deployment}, {"kind", f.kind}, {"error", f.error}});
  return {{"items", std::move(items)}, {"failures", std::move(failures)}, {"complete", scan.failures.empty()}};
}

// ---- Jobs: refreshes and orphan scans, done by the workers below ----

Result<store::Job> Orchestrator::startRefresh(store::StateStore& state, const std::string& deploymentId,
                                              const std::string& requestedBy) {
  auto d = state.getDeployment(deploymentId);
  if (!d) return d.error();
  if (!target(d->target)) return Error::invalid("target", "no target named \"" + d->target + "\" is configured");
  auto job = store::JobStore(state.connection()).createRefresh(d->id, d->organisation, requestedBy, lease_->id());
  if (!job) return job.error();
  enqueueJob(job->id);
  return job;
}

store::Job Orchestrator::startOrphanScan(store::StateStore& state, const std::string& requestedBy, bool& created) {
  auto job = store::JobStore(state.connection()).createOrphanScan(requestedBy, created, lease_->id());
  if (created) enqueueJob(job.id);
  return job;
}

store::Job Orchestrator::startBundleVerify(store::StateStore& state, const store::Backup& backup,
                                           const std::string& requestedBy) {
  auto job = store::JobStore(state.connection())
                 .createBundleVerify(backup.id, backup.deployment, backup.organisation, requestedBy, lease_->id());
  enqueueJob(job.id);
  return job;
}

namespace {
/// The result of a bundle-verify job: intact, or the part at fault and why.
json::object bundleVerifyDocument(const store::Backup& b, const Result<bundle::OpenedBundle>& opened) {
  json::object o{{"backup", b.id},
                 {"checkedAt", clock::nowRfc3339()},
                 {"size", b.size},
                 {"intact", bool(opened)},
                 {"parts", opened ? json::value(opened->manifest.parts.size()) : json::value(nullptr)},
                 {"secrets", opened ? json::value(opened->secrets.size()) : json::value(nullptr)},
                 {"part", nullptr},
                 {"problem", nullptr}};
  if (!opened) {
    o["part"] = opened.error().field.empty() ? json::value(nullptr) : json::value(opened.error().field);
    o["problem"] = opened.error().message;
  }
  return o;
}
}  // namespace

void Orchestrator::enqueueJob(const std::string& id) {
  {
    std::lock_guard lock(jobsMu_);
    jobQueue_.push_back(id);
  }
  jobsCv_.notify_one();
}

namespace {
/// Thrown out of a job's progress callback when the server stops: the job ends failed, saying so.
struct JobStopped : std::runtime_error {
  JobStopped() : std::runtime_error("the server stopped before this job ended; ask again") {}
};
}  // namespace

void Orchestrator::runJob(store::StateStore& state, store::JobStore& jobs, const std::string& id) {
  if (!jobs.start(id)) return;  // ended meanwhile (failed at start-up, say)
  auto job = jobs.get(id).orThrow();
  // Progress is written at most every 200 ms (and at the end), not for every provider call.
  auto last = std::chrono::steady_clock::now() - std::chrono::hours(1);
  Progress progress = [&](std::int64_t done, std::int64_t total) {
    {
      std::lock_guard lock(jobsMu_);
      if (jobsStopping_) throw JobStopped();
    }
    auto now = std::chrono::steady_clock::now();
    if (done < total && now - last < std::chrono::milliseconds(200)) return;
    last = now;
    jobs.progress(id, done, total);
  };
  try {
    if (job.kind == store::JobKind::OrphanScan) {
      auto scan = findOrphans(state, progress);
      jobs.finish(id, orphanScanDocument(scan));
      return;
    }
    if (job.kind == store::JobKind::BundleVerify) {
      auto b = store::BackupStore(state.connection()).getBackup(job.subject);
      if (!b) return jobs.fail(id, b.error().message);
      if (b->status != store::JobStatus::Succeeded) return jobs.fail(id, "backup " + b->id + " has no complete bundle");
      progress(0, 1);
      // The bundle where it is kept (fetched into the spool from S3): a missing bundle is a
      // result (not intact), an unreachable target a failed job.
      auto local = backups().openBundle(*b);
      if (!local && local.error().kind != ErrorKind::Internal) return jobs.fail(id, local.error().message);
      auto opened = local ? bundle::readBundle(local->path(), backups().key())
                          : Result<bundle::OpenedBundle>(Error{ErrorKind::Internal, local.error().message, {}});
      jobs.finish(id, bundleVerifyDocument(*b, opened));
      return;
    }
    auto d = state.getDeployment(job.deployment);
    if (!d) return jobs.fail(id, d.error().message);
    const auto* t = target(d->target);
    if (!t) return jobs.fail(id, "no target named \"" + d->target + "\" is configured");
    auto report = refreshHeld(state, *d, *t, progress);
    if (!report) return jobs.fail(id, report.error().message);
    jobs.finish(id, driftDocument(d->id, report->checkedAt, report->drift, report->errors));
  } catch (const std::exception& e) {
    spdlog::warn("job {} failed: {}", id, e.what());
    jobs.fail(id, e.what());  // releases a refresh's claim too
  }
}

void Orchestrator::jobLoop() {
  auto conn = store::connect(dir_.stateUrl());
  store::StateStore state(*conn);
  store::JobStore jobs(*conn);
  std::unique_lock lock(jobsMu_);
  for (;;) {
    jobsCv_.wait(lock, [&] { return jobsStopping_ || !jobQueue_.empty(); });
    if (jobsStopping_) return;
    auto id = std::move(jobQueue_.front());
    jobQueue_.pop_front();
    ++jobsBusy_;
    lock.unlock();
    try {
      runJob(state, jobs, id);
    } catch (const std::exception& e) {
      spdlog::error("job {} could not be ended: {}", id, e.what());
    }
    lock.lock();
    --jobsBusy_;
    if (jobsBusy_ == 0 && jobQueue_.empty()) jobsIdle_.notify_all();
  }
}

std::filesystem::path Orchestrator::deploymentPath(const std::string& deploymentId) const {
  return targets_.at("local")->deploymentPath(deploymentId);
}

void Orchestrator::refreshLoop() {
  auto conn = store::connect(dir_.stateUrl());
  store::StateStore state(*conn);
  std::unique_lock lock(refreshMu_);
  while (!refreshCv_.wait_for(lock, options_.refreshInterval, [&] { return stopping_; })) {
    lock.unlock();
    int n = 0, drifted = 0, skipped = 0;
    // Of several instances sharing the state database, one reads the providers each period; the
    // next round is due a little before this instance's next wake, so that it finds it due.
    bool mine = true;
    try {
      mine = store::InstanceStore(*conn).claimRound(
          "periodic-refresh", lease_->id(),
          std::chrono::duration_cast<std::chrono::milliseconds>(options_.refreshInterval) * 9 / 10);
    } catch (const std::exception& e) {
      spdlog::warn("periodic refresh: claiming the round failed: {}", e.what());
      mine = false;
    }
    if (!mine) spdlog::info("periodic refresh: another instance has this round");
    for (auto& id : mine ? state.deploymentIds(false) : std::vector<std::string>{}) {
      {
        std::lock_guard l(refreshMu_);
        if (stopping_) break;
      }
      try {
        auto r = refresh(state, id);
        if (!r && r.error().kind == ErrorKind::Conflict) {
          ++skipped;  // a run holds it: it is being changed, and the next round sees it
          continue;
        }
        ++n;
        if (r && !r->drift.empty()) ++drifted;
      } catch (const std::exception& e) {
        spdlog::warn("refresh of {} failed: {}", id, e.what());
      }
    }
    if (mine)
      spdlog::info("periodic refresh: {} deployments read back, {} with drift, {} skipped (a run in progress)", n,
                   drifted, skipped);
    // Then what an apply of each would change now; only deployments whose inputs moved are planned.
    try {
      auto started = std::chrono::steady_clock::now();
      bool stopped = false;
      PlanSurvey survey{plans_.survey(state, PlanVariant::WithDrift,
                                      [&](const std::string&, const PlanOutline&) {
                                        std::lock_guard l(refreshMu_);
                                        stopped = stopping_;
                                        return !stopped;
                                      }),
                        0, clock::nowRfc3339()};
      if (stopped) break;
      survey.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      spdlog::info("plan survey: {} live deployments, {} with changes pending, {} planned again, in {:.3f} s",
                   survey.count.deployments, survey.count.pending, survey.count.deployments - survey.count.skipped,
                   survey.seconds);
      std::lock_guard l(surveyMu_);
      lastSurvey_ = std::move(survey);
    } catch (const std::exception& e) {
      spdlog::warn("plan survey failed: {}", e.what());
    }
    lock.lock();
  }
}

Orchestrator::PlanSurvey Orchestrator::lastSurvey() const {
  std::lock_guard lock(surveyMu_);
  return lastSurvey_;
}

void Orchestrator::start() {
  shipper_->start();  // first: rows a killed process left waiting for their outcome are settled
  // Registers this instance; what instances that ended left (their runs, jobs and refresh claims) is
  // taken back: at once on SQLite, after their lease on PostgreSQL.
  lease_->start();
  executor_->start();
  if (jobThreads_.empty()) {
    {
      std::lock_guard lock(jobsMu_);
      jobsStopping_ = false;
    }
    for (int i = 0; i < std::max(1, options_.jobWorkers); ++i) jobThreads_.emplace_back([this] { jobLoop(); });
  }
  backups_->start();
  housekeeping_->start();
  if (options_.refreshInterval.count() > 0 && !refresher_.joinable()) {
    stopping_ = false;
    refresher_ = std::thread([this] { refreshLoop(); });
  }
}

void Orchestrator::stop() {
  {
    std::lock_guard lock(refreshMu_);
    stopping_ = true;
  }
  refreshCv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  {
    std::lock_guard lock(jobsMu_);
    jobsStopping_ = true;  // a job in progress stops at its next provider call and ends failed
  }
  jobsCv_.notify_all();
  for (auto& t : jobThreads_) t.join();
  jobThreads_.clear();
  if (housekeeping_) housekeeping_->stop();
  if (backups_) backups_->stop();  // first: a restore waits for the executor's runs
  if (executor_) executor_->stop();
  if (lease_) lease_->stop();  // after the executor: its interrupted runs go back to the pool
  if (shipper_) shipper_->stop();  // ships what is left and writes the signed head
}

void Orchestrator::waitIdle() {
  executor_->waitIdle();
  std::unique_lock lock(jobsMu_);
  jobsIdle_.wait(lock, [&] { return jobsStopping_ || (jobsBusy_ == 0 && jobQueue_.empty()); });
}

void Orchestrator::wakeShipper() { shipper_->wake(); }

std::int64_t Orchestrator::shipOutbox() {
  auto n = shipper_->shipNow();
  shipper_->writeHead();
  return n;
}

}  // namespace fedihost::orchestrator
