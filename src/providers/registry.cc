// The built-in provider implementations and targets made of them.
#include <algorithm>
#include <mutex>

#include "providers/acme/acme.hh"
#include "providers/faults/fault_injecting.hh"
#include "providers/file/file_providers.hh"
#include "providers/garage/garage.hh"
#include "providers/lxc/lxc.hh"
#include "providers/nixos_ssh/nixos_ssh.hh"
#include "providers/pool/pool.hh"
#include "providers/postfix/postfix.hh"
#include "providers/postgresql/postgresql.hh"
#include "providers/powerdns/powerdns.hh"
#include "providers/proxmox/proxmox.hh"
#include "providers/rfc2136/rfc2136.hh"
#include "providers/s3/s3.hh"
#include "providers/provider.hh"
#include "secrets/reference.hh"

namespace fedihost::providers {
namespace {

/// Builds the `implementation` of a kind from its registry.
Result<std::unique_ptr<ResourceProvider>> makeProvider(ResourceKind kind, const ProviderConfig& config) {
  auto from = [&](auto& registry) -> Result<std::unique_ptr<ResourceProvider>> {
    auto p = registry.make(config);
    if (!p) return p.error();
    return std::unique_ptr<ResourceProvider>(std::move(*p));
  };
  switch (kind) {
    case ResourceKind::IpAddress: return from(Registry<IpAddressProvider>::instance());
    case ResourceKind::Machine: return from(Registry<MachineProvider>::instance());
    case ResourceKind::DnsRecordSet: return from(Registry<DnsProvider>::instance());
    case ResourceKind::Database: return from(Registry<DatabaseProvider>::instance());
    case ResourceKind::Bucket: return from(Registry<BlobProvider>::instance());
    case ResourceKind::AccessKey: return from(Registry<AccessKeyProvider>::instance());
    case ResourceKind::MailAccount: return from(Registry<MailProvider>::instance());
    case ResourceKind::NixosConfig: return from(Registry<NixosProvider>::instance());
    case ResourceKind::Certificate: return from(Registry<CertificateProvider>::instance());
  }
  return Error{ErrorKind::Internal, "no registry for resource kind " + std::string(toString(kind)), {}};
}

}  // namespace

namespace {
Resource txtResource(const TxtRecordSet& set) {
  Resource r;
  r.key = set.owner;
  r.kind = ResourceKind::DnsRecordSet;
  r.deployment = set.deployment;
  r.name = set.owner.substr(set.owner.rfind('/') + 1);
  json::array records;
  for (auto& v : set.values) records.emplace_back(v);
  r.attributes = {{"zone", set.zone}, {"name", set.name}, {"type", "TXT"}, {"ttl", set.ttl}, {"records", records}};
  return r;
}
}  // namespace

Result<void> setTxtRecordSet(ResourceProvider& dns, const TxtRecordSet& set) {
  if (dns.kind() != ResourceKind::DnsRecordSet)
    return Error{ErrorKind::Internal, "TXT records need a DNS provider", {}};
  ResolvedResource rr{txtResource(set), nullptr};
  auto held = dns.read(rr);
  if (!held && held.error().kind != ErrorKind::NotFound) return held.error();
  auto done = held ? dns.update(rr) : dns.create(rr);
  if (!done) return done.error();
  return {};
}

Result<void> removeTxtRecordSet(ResourceProvider& dns, const TxtRecordSet& set) {
  if (dns.kind() != ResourceKind::DnsRecordSet)
    return Error{ErrorKind::Internal, "TXT records need a DNS provider", {}};
  return dns.remove(ResolvedResource{txtResource(set), nullptr});
}

void registerBuiltinProviders() {
  static std::once_flag once;
  std::call_once(once, [] {
    Registry<IpAddressProvider>::instance().add("file", file::makeIpProvider);
    Registry<MachineProvider>::instance().add("file", file::makeMachineProvider);
    Registry<MachineProvider>::instance().add("lxc", lxc::makeMachineProvider);
    Registry<MachineProvider>::instance().add("proxmox", proxmox::makeMachineProvider);
    Registry<DnsProvider>::instance().add("file", file::makeDnsProvider);
    Registry<DatabaseProvider>::instance().add("file", file::makeDatabaseProvider);
    Registry<BlobProvider>::instance().add("file", file::makeBlobProvider);
    Registry<AccessKeyProvider>::instance().add("file", file::makeAccessKeyProvider);
    Registry<MailProvider>::instance().add("file", file::makeMailProvider);
    Registry<NixosProvider>::instance().add("file", file::makeNixosProvider);
    Registry<NixosProvider>::instance().add("ssh", nixos_ssh::makeNixosProvider);
    Registry<CertificateProvider>::instance().add("file", file::makeCertificateProvider);
    Registry<CertificateProvider>::instance().add("acme", acme::makeCertificateProvider);
    Registry<IpAddressProvider>::instance().add("pool", pool::makeIpProvider);
    Registry<DnsProvider>::instance().add("powerdns", powerdns::makeDnsProvider);
    Registry<DnsProvider>::instance().add("rfc2136", rfc2136::makeDnsProvider);
    Registry<DatabaseProvider>::instance().add("postgresql", postgresql::makeDatabaseProvider);
    Registry<MailProvider>::instance().add("postfix", postfix::makeMailProvider);
    Registry<BlobProvider>::instance().add("s3", s3::makeBlobProvider);
    Registry<AccessKeyProvider>::instance().add("swift-tempauth", s3::makeSwiftTempauthAccessKeyProvider);
    Registry<BlobProvider>::instance().add("garage", garage::makeBlobProvider);
    Registry<AccessKeyProvider>::instance().add("garage", garage::makeAccessKeyProvider);
  });
}

Target Target::fileTarget(std::string name, const std::filesystem::path& root) {
  registerBuiltinProviders();
  Target t;
  t.name_ = std::move(name);
  t.root_ = root;
  ProviderConfig config{"file", root, {}};
  for (auto kind : allResourceKinds()) t.setProvider(kind, std::move(makeProvider(kind, config)).orThrow());
  t.connectProviders();
  return t;
}

void Target::connectProviders() {
  auto cert = providers_.find(ResourceKind::Certificate);
  auto dns = providers_.find(ResourceKind::DnsRecordSet);
  if (cert == providers_.end() || dns == providers_.end() || !cert->second) return;
  if (auto* c = dynamic_cast<CertificateProvider*>(cert->second.get())) c->useDns(dns->second.get());
}

ResourceProvider& Target::provider(ResourceKind kind) const {
  auto it = providers_.find(kind);
  if (it == providers_.end() || !it->second)
    throw AbortError({ErrorKind::Internal,
                      "target \"" + name_ + "\" has no provider for " + std::string(toString(kind)) + " resources", {}});
  return *it->second;
}

bool Target::has(ResourceKind kind) const {
  auto it = providers_.find(kind);
  return it != providers_.end() && it->second;
}

std::vector<ResourceKind> Target::missingKinds(const std::vector<ResourceKind>& needed) const {
  std::vector<ResourceKind> missing;
  for (auto kind : allResourceKinds())
    if (!has(kind) && std::find(needed.begin(), needed.end(), kind) != needed.end()) missing.push_back(kind);
  return missing;
}

const std::vector<ResourceKind>& kindsEveryDeploymentNeeds() {
  static const std::vector<ResourceKind> kinds{ResourceKind::IpAddress, ResourceKind::Machine,
                                               ResourceKind::DnsRecordSet, ResourceKind::Certificate,
                                               ResourceKind::NixosConfig};
  return kinds;
}

std::string kindList(const std::vector<ResourceKind>& kinds) {
  std::string out;
  for (auto kind : kinds) out += (out.empty() ? "" : ", ") + std::string(toString(kind));
  return out;
}

std::filesystem::path Target::deploymentPath(std::string_view deployment) const {
  if (root_.empty()) return {};
  return root_ / std::string(deployment);
}

void Target::setProvider(ResourceKind kind, std::unique_ptr<ResourceProvider> p) {
  if (p && p->kind() != kind)
    throw AbortError({ErrorKind::Internal,
                      "a " + std::string(toString(p->kind())) + " provider cannot serve " + std::string(toString(kind)) +
                          " resources",
                      {}});
  providers_[kind] = std::move(p);
}

int Target::parallelism(ResourceKind kind) const {
  auto it = parallelism_.find(kind);
  return it == parallelism_.end() ? 4 : std::max(it->second, 1);
}

void Target::injectFaults(const FaultPlan& plan) {
  std::uint64_t seed = plan.seed;
  for (auto& [kind, p] : providers_) {
    FaultPlan each = plan;
    each.seed = seed++;  // each provider its own sequence, all reproducible
    p = std::make_unique<FaultInjectingProvider>(std::move(p), each);
  }
}

BlobProvider* asBlobProvider(ResourceProvider& p) {
  if (auto* faulty = dynamic_cast<FaultInjectingProvider*>(&p)) return asBlobProvider(faulty->inner());
  return dynamic_cast<BlobProvider*>(&p);
}

Result<Target> Target::fromConfig(const json::object& config, const std::filesystem::path& fileRoot,
                                  const std::string& stateUrl, const secrets::SecretBox* box, bool allowFaults) {
  registerBuiltinProviders();
  auto* name = config.if_contains("name");
  if (!name || !name->is_string() || name->get_string().empty())
    return Error::invalid("name", "a target needs a name");
  Target t;
  t.name_ = std::string(name->get_string());
  t.root_ = fileRoot;
  for (auto& kv : config)
    if (kv.key() != "name" && kv.key() != "providers" && kv.key() != "faults" && kv.key() != "description")
      return Error::invalid(std::string(kv.key()), "unknown target setting (known: name, description, providers, faults)");
  const json::object empty;
  const json::object* providers = &empty;
  if (auto* p = config.if_contains("providers")) {
    if (!p->is_object()) return Error::invalid("providers", "must be an object of resource kind to provider");
    providers = &p->get_object();
  }
  for (auto& kv : *providers) {
    auto kind = resourceKindFromString(kv.key());
    if (!kind) return Error::invalid("providers." + std::string(kv.key()), "unknown resource kind");
  }
  // No kind falls back to files: a production target that forgot its machines must not
  // report "ready" after writing JSON under the data directory.
  std::vector<ResourceKind> missing;
  for (auto kind : kindsEveryDeploymentNeeds())
    if (!providers->contains(toString(kind))) missing.push_back(kind);
  if (!missing.empty())
    return Error::invalid("providers", "target \"" + t.name_ + "\" names no provider for " + kindList(missing) +
                                           " (every deployment needs one of each kind: " +
                                           kindList(kindsEveryDeploymentNeeds()) +
                                           "; name {\"implementation\": \"file\"} to keep a kind in files)");
  if (config.contains("faults") && !allowFaults)
    return Error::invalid("faults", "target \"" + t.name_ +
                                        "\" injects faults, which the server refuses unless fault injection is "
                                        "enabled (option orchestrator.fault_injection, for tests and drills)");
  for (auto kind : allResourceKinds()) {
    const std::string field = "providers." + std::string(toString(kind));
    auto* entry = providers->if_contains(toString(kind));
    if (!entry) continue;  // a kind only some apps need; planning a deployment that needs it is refused
    ProviderConfig pc{"", fileRoot, {}, t.name_, stateUrl};
    if (!entry->is_object()) return Error::invalid(field, "must be an object");
    const auto& e = entry->get_object();
    auto* impl = e.if_contains("implementation");
    if (!impl || !impl->is_string()) return Error::invalid(field + ".implementation", "is required");
    pc.implementation = std::string(impl->get_string());
    if (auto* st = e.if_contains("settings")) {
      if (!st->is_object()) return Error::invalid(field + ".settings", "must be an object");
      auto resolved = secrets::resolveReferences(st->get_object(), box, field + ".settings");
      if (!resolved) {
        auto e = resolved.error();
        e.message = e.field + ": " + e.message;
        return e;
      }
      pc.settings = std::move(*resolved);
    }
    if (auto* par = e.if_contains("parallelism")) {
      if (!par->is_int64() || par->get_int64() < 1 || par->get_int64() > 256)
        return Error::invalid(field + ".parallelism", "must be a whole number from 1 to 256");
      t.parallelism_[kind] = static_cast<int>(par->get_int64());
    }
    auto p = makeProvider(kind, pc);
    if (!p) {
      auto e = p.error();
      e.field = field + (e.field.empty() ? "" : "." + e.field);
      e.message = e.field + " (" + pc.implementation + "): " + e.message;
      return e;
    }
    t.setProvider(kind, std::move(*p));
  }
  t.connectProviders();
  if (auto* f = config.if_contains("faults")) {
    if (!f->is_object()) return Error::invalid("faults", "must be an object");
    auto plan = FaultPlan::fromJson(f->get_object());
    if (!plan) return plan.error();
    t.injectFaults(*plan);
  }
  return t;
}

}  // namespace fedihost::providers
