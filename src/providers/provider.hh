#pragma once
// Providers: one interface per resource kind, implementations registered by
// name in a factory (like Nix's stores or PowerDNS's backends). Every call is
// keyed by the resource's identity key, so a create that already happened
// (say, before a crash) is found and not repeated.
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/domain.hh"
#include "core/result.hh"
#include "secrets/secret_box.hh"

namespace fedihost::providers {

namespace json = boost::json;

/// What a provider holds for a resource.
struct Observed {
  json::object attributes;  ///< as the provider holds them (secrets stay sealed)
  json::object outputs;     ///< values other resources may refer to (e.g. "address")
  /// What the provider finds due that the attributes do not show (e.g. "renewal due"):
  /// a refresh reports it as drift, so that the next apply updates the resource.
  std::string due;
};

/// A resource ready for a provider call: references to other resources'
/// outputs are replaced by their values. Secret references {"secret": name}
/// are replaced by {"secret": name, "sealed": "sb2:…"}; a provider that needs
/// the clear text opens it with `box`.
struct ResolvedResource {
  Resource resource;
  const secrets::SecretBox* box = nullptr;
};

/// What an implementation can do, declared (never silently skipped).
struct Capabilities {
  bool canUpdateInPlace = true;  ///< false: every change is a replace
  bool canList = true;           ///< can list what it holds (for orphan detection)
  bool hasData = false;          ///< exportData/importData copy what the resource holds (backups, restores)
  bool canStopWrites = false;    ///< stopWrites/resumeWrites keep clients from changing its data (a migration's cut-over)
  bool canReplicate = false;     ///< replicationSource/startReplication/…: a migration replicates the data instead of copying it twice
};

/// How another provider of the same implementation reaches a resource's data to replicate it
/// (replicationSource). Its connection holds credentials: it stays in memory, never in a log,
/// the state database or an error message.
struct ReplicationSource {
  std::string implementation;  ///< the provider's implementation() that made it
  json::object connection;     ///< the implementation's own (a PostgreSQL server's address, role, database)
};

/// What finishReplication did.
struct ReplicationFinished {
  std::int64_t lagBytes = 0;   ///< how far the copy was behind when the wait began (writes stopped)
  std::int64_t sequences = 0;  ///< sequence values carried over (logical replication does not carry them)
};

/// The interface every provider implements, whatever its kind.
class ResourceProvider {
 public:
  virtual ~ResourceProvider() = default;

  /// The kind of resource this provider manages.
  virtual ResourceKind kind() const = 0;
  /// Registered implementation name, e.g. "file", "powerdns".
  virtual std::string implementation() const = 0;
  /// What this implementation can do.
  virtual Capabilities capabilities() const { return {}; }

  /// Creates the resource. If one with the same identity key exists already,
  /// returns it unchanged (a create is idempotent).
  virtual Result<Observed> create(const ResolvedResource& r) = 0;
  /// Reads the resource back by identity key; NotFound if the provider does not hold it.
  virtual Result<Observed> read(const ResolvedResource& r) = 0;
  /// Brings an existing resource to the given attributes; NotFound if absent.
  virtual Result<Observed> update(const ResolvedResource& r) = 0;
  /// Deletes the resource; deleting an absent resource succeeds.
  virtual Result<void> remove(const ResolvedResource& r) = 0;
  /// Identity keys of every resource this provider holds for a deployment.
  virtual Result<std::vector<std::string>> list(std::string_view deployment) = 0;

  // The data a resource holds beyond its attributes (a database's rows, a bucket's
  // objects, a file provider's file), for bundles (docs/backup-and-migration.md).
  // Only implementations that declare capabilities().hasData implement them.

  /// Writes the resource's data as files into `dir` (an empty directory); the files'
  /// names are the implementation's own (safe relative paths: [A-Za-z0-9._-]).
  virtual Result<void> exportData(const ResolvedResource& r, const std::filesystem::path& dir) {
    (void)dir;
    return noData(r);
  }
  /// Loads what exportData wrote (into `dir`, from another resource of the same kind,
  /// perhaps of another deployment and provider instance) into this resource, which was
  /// just created and is empty.
  virtual Result<void> importData(const ResolvedResource& r, const std::filesystem::path& dir) {
    (void)dir;
    return noData(r);
  }
  /// Removes the resource's data, leaving it empty as create() left it: before a restore in place
  /// loads a bundle's data into it, and so that a failed restore's resource can be deleted.
  virtual Result<void> discardData(const ResolvedResource& r) { return noData(r); }

  // A migration's cut-over (docs/backup-and-migration.md, "Migration"): the old side's data must
  // not change between its last copy and the switch. Only implementations that declare
  // capabilities().canStopWrites implement them.

  /// Ends the sessions of the resource's clients and refuses new ones until resumeWrites (the
  /// provider itself still reads it: exportData works). Stopping what is stopped succeeds.
  virtual Result<void> stopWrites(const ResolvedResource& r) { return cannotStop(r); }
  /// Lets the resource's clients in again. Resuming what runs succeeds.
  virtual Result<void> resumeWrites(const ResolvedResource& r) { return cannotStop(r); }

  // A migration's replication (docs/backup-and-migration.md, "Migration"): instead of a copy while
  // the app runs and a second full copy at the cut-over, the new side follows the old one and the
  // cut-over waits only for what the new side has not applied yet. Only implementations that declare
  // capabilities().canReplicate implement them; an error of startReplication means "copy instead"
  // (its message says why). The new side's provider does the work on both servers.

  /// How the new side's provider reaches `r` (the old side) to replicate it. Makes nothing.
  virtual Result<ReplicationSource> replicationSource(const ResolvedResource& r) { return cannotReplicate(r); }
  /// Makes `r` (the new side, just created and empty) follow `from` and returns once it holds what
  /// `from` held when it began (the initial copy done); on failure it leaves nothing behind at either side.
  virtual Result<void> startReplication(const ResolvedResource& r, const ReplicationSource& from) {
    (void)from;
    return cannotReplicate(r);
  }
  /// How many bytes of changes `from` has that `r` has not confirmed yet.
  virtual Result<std::int64_t> replicationLag(const ResolvedResource& r, const ReplicationSource& from) {
    (void)from;
    return cannotReplicate(r);
  }
  /// Once writes to `from` stopped: waits at most `maxWait` for `r` to catch up (Unavailable if it does
  /// not), carries what replication does not, and ends the replication at both sides.
  virtual Result<ReplicationFinished> finishReplication(const ResolvedResource& r, const ReplicationSource& from,
                                                        std::chrono::milliseconds maxWait) {
    (void)from;
    (void)maxWait;
    return cannotReplicate(r);
  }
  /// Ends whatever replication of `r` from `from` exists, at both sides, without waiting (a roll back,
  /// a recovery after a crash). Ending what does not exist succeeds.
  virtual Result<void> dropReplication(const ResolvedResource& r, const ReplicationSource& from) {
    (void)from;
    return cannotReplicate(r);
  }

 protected:
  Error noData(const ResolvedResource& r) const {
    return {ErrorKind::Internal, "the " + implementation() + " provider holds no data of " + r.resource.key, {}};
  }
  Error cannotReplicate(const ResolvedResource& r) const {
    return {ErrorKind::Internal, "the " + implementation() + " provider cannot replicate " + r.resource.key, {}};
  }
  Error cannotStop(const ResolvedResource& r) const {
    return {ErrorKind::Internal, "the " + implementation() + " provider cannot stop writes to " + r.resource.key, {}};
  }
};

// One interface per kind, so that a target is typed and each kind can grow
// kind-specific operations without touching the others.
class IpAddressProvider : public ResourceProvider {
 public:
  ResourceKind kind() const final { return ResourceKind::IpAddress; }
};
class MachineProvider : public ResourceProvider {
 public:
  ResourceKind kind() const final { return ResourceKind::Machine; }
};
class DnsProvider : public ResourceProvider {
 public:
  ResourceKind kind() const final { return ResourceKind::DnsRecordSet; }
};
class DatabaseProvider : public ResourceProvider {
 public:
  ResourceKind kind() const final { return ResourceKind::Database; }
};
/// What a bucket holds at one moment, as its provider counts it.
struct StoredSize {
  std::int64_t bytes = 0;    ///< the sum of its objects' sizes
  std::int64_t objects = 0;  ///< how many objects
};
class BlobProvider : public ResourceProvider {
 public:
  ResourceKind kind() const final { return ResourceKind::Bucket; }
  /// How many bytes the bucket holds now, measured at the provider (usage sampling,
  /// docs/billing.md). NotFound if the provider does not hold the bucket; a call that
  /// fails is an error, never a size of 0.
  virtual Result<StoredSize> storedSize(const ResolvedResource& r) = 0;
};
/// The blob provider behind `p` (unwrapping a fault injector), or nullptr if `p` is not one.
BlobProvider* asBlobProvider(ResourceProvider& p);
class AccessKeyProvider : public ResourceProvider {
 public:
  ResourceKind kind() const final { return ResourceKind::AccessKey; }
};
class MailProvider : public ResourceProvider {
 public:
  ResourceKind kind() const final { return ResourceKind::MailAccount; }
};
class NixosProvider : public ResourceProvider {
 public:
  ResourceKind kind() const final { return ResourceKind::NixosConfig; }
};
/// TLS certificates: one per deployment for all its host names. A provider that
/// proves control of the names through DNS (ACME DNS-01) is given the target's
/// DNS provider once the target is built.
class CertificateProvider : public ResourceProvider {
 public:
  ResourceKind kind() const final { return ResourceKind::Certificate; }
  /// The target's DNS provider (owned by the target, outliving this one); ignored by default.
  virtual void useDns(ResourceProvider* /*dns*/) {}
};

/// A TXT record set published for a while (an ACME DNS-01 challenge), through any
/// DNS provider's create/update/remove as a dns-record-set resource keyed `owner`
/// ("<deployment>/dns-record-set/<name>"), so that the provider's ownership checks
/// hold and a set left behind by a crash is found by the orphan scan.
struct TxtRecordSet {
  std::string owner;       ///< identity key the set is held by
  std::string deployment;  ///< deployment id
  std::string zone;        ///< "example.org"
  std::string name;        ///< absolute: "_acme-challenge.www.example.org."
  std::vector<std::string> values;
  int ttl = 60;
};
/// Publishes (creates, or replaces the values of) the set.
Result<void> setTxtRecordSet(ResourceProvider& dns, const TxtRecordSet& set);
/// Removes the set; an absent one is success.
Result<void> removeTxtRecordSet(ResourceProvider& dns, const TxtRecordSet& set);

/// The configuration of one provider instance: its implementation's name and
/// settings (from the target configuration), and for file providers the root directory.
struct ProviderConfig {
  std::string implementation;
  std::filesystem::path root;
  json::object settings;
  std::string target;    ///< the target's name
  std::string stateUrl;  ///< the state database, for providers that keep their own tables (IP pools)
};

/// Factories of one kind's implementations, by name.
template <class P>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<P>(const ProviderConfig&)>;

  static Registry& instance() {
    static Registry r;
    return r;
  }
  /// Registers an implementation; a factory refuses bad settings by throwing
  /// AbortError(Error::invalid("settings.<name>", ...)). A second registration of the same name replaces the first.
  void add(const std::string& name, Factory f) {
    std::lock_guard lock(mu_);
    factories_[name] = std::move(f);
  }
  /// Builds an instance; an unknown name is an Invalid error that names the known ones.
  Result<std::unique_ptr<P>> make(const ProviderConfig& config) const {
    std::lock_guard lock(mu_);
    auto it = factories_.find(config.implementation);
    if (it == factories_.end()) {
      std::string known;
      for (auto& [n, _] : factories_) known += (known.empty() ? "" : ", ") + n;
      return Error::invalid("implementation", "unknown provider implementation \"" + config.implementation +
                                                  "\" (known: " + known + ")");
    }
    try {
      return it->second(config);
    } catch (const AbortError& e) {  // a factory refuses bad settings by throwing
      return e.error();
    }
  }
  std::vector<std::string> names() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> v;
    for (auto& [n, _] : factories_) v.push_back(n);
    return v;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, Factory> factories_;
};

/// Registers the built-in implementations of every kind (idempotent).
void registerBuiltinProviders();

struct FaultPlan;

/// The kinds every deployment has resources of, whatever its apps: its IP address, machine,
/// DNS records, certificate and NixOS configuration. A target must name a provider for each.
const std::vector<ResourceKind>& kindsEveryDeploymentNeeds();
/// "machine, nixos-config": kinds as a target file names them, for messages.
std::string kindList(const std::vector<ResourceKind>& kinds);

/// Where a deployment lives: one provider instance per resource kind.
class Target {
 public:
  /// A target whose every provider is the "file" implementation writing under `root`
  /// (one sub-directory per deployment).
  static Target fileTarget(std::string name, const std::filesystem::path& root);

  const std::string& name() const { return name_; }
  /// The provider for a kind; throws AbortError (Internal) if the target has none (see missingKinds).
  ResourceProvider& provider(ResourceKind kind) const;
  /// Whether the target has a provider for `kind`.
  bool has(ResourceKind kind) const;
  /// The kinds of `needed` the target has no provider for, each once, in the order of allResourceKinds().
  std::vector<ResourceKind> missingKinds(const std::vector<ResourceKind>& needed) const;
  /// The directory a file target writes a deployment into (empty for other targets).
  std::filesystem::path deploymentPath(std::string_view deployment) const;

  void setProvider(ResourceKind kind, std::unique_ptr<ResourceProvider> p);
  /// Gives providers that need another kind's provider theirs (the certificate
  /// provider the DNS provider); called after the providers are set.
  void connectProviders();
  /// Provider calls of a kind in flight at once (default 4; at least 1).
  int parallelism(ResourceKind kind) const;
  void setParallelism(ResourceKind kind, int n) { parallelism_[kind] = n; }
  /// Wraps every provider in a FaultInjectingProvider (tests, chaos drills).
  void injectFaults(const FaultPlan& plan);

  /// Builds a target from its configuration (see docs/providers.md):
  ///   {"name": "...", "providers": {"<kind>": {"implementation": "...", "settings": {...},
  ///    "parallelism": n}, ...}, "faults": {...}}
  /// There is no default implementation: every kind of kindsEveryDeploymentNeeds() must be named
  /// (else Invalid naming the missing ones); the kinds only some apps need (database, bucket,
  /// access key, mail account) may be left out, and a deployment that needs one is then refused
  /// when it is planned. "file" implementations write under `fileRoot`. Invalid errors name the field.
  /// A setting may name a credential instead of holding it: {"file": path}, {"credential": name}
  /// or {"sealed": "sb2:…"} (opened with `box`; see secrets/reference.hh).
  /// "faults" (fault injection) is refused unless `allowFaults` (the server's option fault_injection).
  static Result<Target> fromConfig(const json::object& config, const std::filesystem::path& fileRoot,
                                   const std::string& stateUrl, const secrets::SecretBox* box = nullptr,
                                   bool allowFaults = false);

 private:
  std::string name_;
  std::filesystem::path root_;
  std::map<ResourceKind, std::unique_ptr<ResourceProvider>> providers_;
  std::map<ResourceKind, int> parallelism_;
};

}  // namespace fedihost::providers
