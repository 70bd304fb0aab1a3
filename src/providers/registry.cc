// The built-in provider implementations and targets made of them.
#include <mutex>

#include "providers/file/file_providers.hh"
#include "providers/provider.hh"

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
  }
  return Error{ErrorKind::Internal, "no registry for resource kind " + std::string(toString(kind)), {}};
}

}  // namespace

void registerBuiltinProviders() {
  static std::once_flag once;
  std::call_once(once, [] {
    Registry<IpAddressProvider>::instance().add("file", file::makeIpProvider);
    Registry<MachineProvider>::instance().add("file", file::makeMachineProvider);
    Registry<DnsProvider>::instance().add("file", file::makeDnsProvider);
    Registry<DatabaseProvider>::instance().add("file", file::makeDatabaseProvider);
    Registry<BlobProvider>::instance().add("file", file::makeBlobProvider);
    Registry<AccessKeyProvider>::instance().add("file", file::makeAccessKeyProvider);
    Registry<MailProvider>::instance().add("file", file::makeMailProvider);
    Registry<NixosProvider>::instance().add("file", file::makeNixosProvider);
  });
}

Target Target::fileTarget(std::string name, const std::filesystem::path& root) {
  registerBuiltinProviders();
  Target t;
  t.name_ = std::move(name);
  t.root_ = root;
  ProviderConfig config{"file", root, {}};
  for (auto kind : allResourceKinds()) t.setProvider(kind, std::move(makeProvider(kind, config)).orThrow());
  return t;
}

ResourceProvider& Target::provider(ResourceKind kind) const {
  auto it = providers_.find(kind);
  if (it == providers_.end() || !it->second)
    throw AbortError({ErrorKind::Internal,
                      "target \"" + name_ + "\" has no provider for " + std::string(toString(kind)) + " resources", {}});
  return *it->second;
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

}  // namespace fedihost::providers
