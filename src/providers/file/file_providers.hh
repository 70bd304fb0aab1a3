#pragma once
// The "file" implementation of every provider kind (principle 2: deploying to a
// file is a deployment). Each writes under ProviderConfig::root, one directory
// per deployment; see file_store.hh for the manifest format.
#include <memory>

#include "providers/provider.hh"

namespace fedihost::providers::file {

/// ip/<name>.json; allocates from settings "ipv4Pool" (default 192.0.2.0/24) or "ipv6Pool" (default 2001:db8::/64).
std::unique_ptr<IpAddressProvider> makeIpProvider(const ProviderConfig& config);
/// machines/<name>/machine.json.
std::unique_ptr<MachineProvider> makeMachineProvider(const ProviderConfig& config);
/// dns/<zone>.rrsets.json plus the rendered dns/<zone>.zone.
std::unique_ptr<DnsProvider> makeDnsProvider(const ProviderConfig& config);
/// databases/<name>.json.
std::unique_ptr<DatabaseProvider> makeDatabaseProvider(const ProviderConfig& config);
/// buckets/<name>.json.
std::unique_ptr<BlobProvider> makeBlobProvider(const ProviderConfig& config);
/// access-keys/<name>.json; generates a Garage-style access key id.
std::unique_ptr<AccessKeyProvider> makeAccessKeyProvider(const ProviderConfig& config);
/// mail/<address>.json.
std::unique_ptr<MailProvider> makeMailProvider(const ProviderConfig& config);
/// machines/<machine>/configuration.json (the configuration itself) plus configuration.meta.json.
std::unique_ptr<NixosProvider> makeNixosProvider(const ProviderConfig& config);
/// certificates/<name>.json: a key (sealed) and a certificate for the names, self-signed, or
/// signed by a local CA (settings "caCert", "caKey": PEM files); "lifetimeDays" (default 90).
std::unique_ptr<CertificateProvider> makeCertificateProvider(const ProviderConfig& config);

}  // namespace fedihost::providers::file
