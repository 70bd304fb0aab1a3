#pragma once
// The "pool" implementations: resources allocated from pools kept in the state
// database (store/ip_pool_store.hh), managed through the API
// (/api/v1/targets/{target}/ip-pools).
#include <memory>

#include "providers/provider.hh"

namespace fedihost::providers::pool {

/// IP addresses from the IP pools of ProviderConfig::target, in the state database at
/// ProviderConfig::stateUrl (each call on its own pooled connection, so threads may share
/// one instance). Attributes: "family" ("ipv4", the default, or "ipv6") and optionally
/// "pool" (a pool name; settings "pool" gives a default); without one, the target's pools
/// of the family are used oldest first. Outputs: "address", "prefixLength" and, when the
/// pool has one, "gateway". An update to another pool moves the address in one transaction.
/// The factory refuses an empty stateUrl or target (AbortError, Invalid).
std::unique_ptr<IpAddressProvider> makeIpProvider(const ProviderConfig& config);

}  // namespace fedihost::providers::pool
