#pragma once
// IP pools of targets: the prefixes the "pool" ip-address provider allocates
// from (store/ip_pool_store.hh). Operators only: pools are the provider's
// infrastructure, and allocations show every organisation's deployments.
// Registered in routes.cc.
#include <boost/json.hpp>

#include "api/router.hh"
#include "store/ip_pool_store.hh"

namespace fedihost::api::handlers {

/// GET /api/v1/targets/{target}/ip-pools: the target's pools, oldest first; 404 for an unknown target.
Response listIpPools(RequestContext& ctx);
/// POST /api/v1/targets/{target}/ip-pools: creates a pool of a configured target (201, Location).
Response postIpPool(RequestContext& ctx);
/// GET /api/v1/ip-pools/{id}
Response getIpPool(RequestContext& ctx);
/// DELETE /api/v1/ip-pools/{id}: 200 with the deleted pool; 409 while addresses are allocated.
Response deleteIpPool(RequestContext& ctx);
/// GET /api/v1/ip-pools/{id}/allocations: a page of the pool's allocations, in address order.
Response listIpPoolAllocations(RequestContext& ctx);

}  // namespace fedihost::api::handlers

namespace fedihost::api::mapping {

/// {"id", "target", "name", "family": "ipv4"|"ipv6", "prefix", "prefixLength", "gateway" (or null),
///  "reserved": [{"first", "last"}], "allocated", "createdAt"}
boost::json::object toJson(const store::IpPool& p);
/// {"pool", "address", "identityKey", "deployment", "allocatedAt"}
boost::json::object toJson(const store::IpAllocation& a);

}  // namespace fedihost::api::mapping
