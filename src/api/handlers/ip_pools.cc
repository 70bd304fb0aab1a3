#include "api/handlers/ip_pools.hh"

#include "api/handlers/handlers.hh"
#include "api/input.hh"
#include "api/json_mapping.hh"
#include "core/json_util.hh"
#include "orchestrator/orchestrator.hh"
#include "store/state_store.hh"

namespace fedihost::api {
namespace mapping {

json::object toJson(const store::IpPool& p) {
  json::array reserved;
  for (auto& r : p.reserved) reserved.push_back(json::object{{"first", r.first}, {"last", r.last}});
  return {{"id", p.id},
          {"target", p.target},
          {"name", p.name},
          {"family", p.family == 4 ? "ipv4" : "ipv6"},
          {"prefix", p.prefix},
          {"prefixLength", p.prefixLength},
          {"gateway", p.gateway.empty() ? json::value(nullptr) : json::value(p.gateway)},
          {"reserved", std::move(reserved)},
          {"allocated", p.allocated},
          {"createdAt", p.createdAt}};
}

json::object toJson(const store::IpAllocation& a) {
  return {{"pool", a.pool},
          {"address", a.address},
          {"identityKey", a.identityKey},
          {"deployment", a.deployment},
          {"allocatedAt", a.allocatedAt}};
}

}  // namespace mapping

namespace handlers {
namespace {

void requireOperator(const RequestContext& ctx) {
  if (!ctx.user || !ctx.user->isOperator)
    throw AbortError({ErrorKind::Forbidden, "only operators manage IP pools", {}});
}

store::IpPoolStore poolsOf(RequestContext& ctx) { return store::IpPoolStore(ctx.app.state.connection()); }

/// The path's target, which must be configured.
std::string knownTarget(RequestContext& ctx) {
  const auto& name = ctx.param("target");
  if (!ctx.app.orchestrator.target(name)) throw AbortError(Error::notFound("no target " + name));
  return name;
}

/// "reserved": an array of {"first", "last"} (a single address may give "first" only).
std::vector<store::IpRange> reservedRanges(const json::object& body) {
  std::vector<store::IpRange> out;
  auto* v = body.if_contains("reserved");
  if (!v || v->is_null()) return out;
  if (!v->is_array())
    throw AbortError(Error::malformed("reserved", std::string("reserved must be an array, not ") + jsonutil::kindName(*v)));
  const auto& arr = v->get_array();
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const std::string at = "reserved[" + std::to_string(i) + "]";
    if (!arr[i].is_object())
      throw AbortError(Error::malformed(at, at + " must be an object like {\"first\": \"192.0.2.2\", \"last\": \"192.0.2.9\"}"));
    const auto& o = arr[i].get_object();
    input::knownMembers(o, {"first", "last"}, at).orThrow();
    auto first = input::requiredString(o, "first");
    if (!first) throw AbortError(Error::malformed(at + ".first", at + ".first must be an address"));
    auto last = input::optionalString(o, "last");
    if (!last) throw AbortError(Error::malformed(at + ".last", at + ".last must be an address"));
    out.push_back({*first, last->value_or(*first)});
  }
  return out;
}

}  // namespace

Response listIpPools(RequestContext& ctx) {
  requireOperator(ctx);
  json::array items;
  for (auto& p : poolsOf(ctx).listPools(knownTarget(ctx))) items.push_back(mapping::toJson(p));
  return json(200, json::object{{"items", std::move(items)}, {"next", nullptr}});
}

Response postIpPool(RequestContext& ctx) {
  requireOperator(ctx);
  auto target = knownTarget(ctx);
  auto body = input::jsonObject(ctx.request, {"name", "prefix", "gateway", "reserved", "family"}).orThrow();
  store::IpPoolSpec spec;
  spec.target = target;
  spec.name = input::requiredString(body, "name").orThrow();
  spec.prefix = input::requiredString(body, "prefix").orThrow();
  spec.gateway = input::optionalString(body, "gateway").orThrow().value_or("");
  if (auto family = input::optionalString(body, "family").orThrow()) {
    if (*family == "ipv4")
      spec.family = 4;
    else if (*family == "ipv6")
      spec.family = 6;
    else
      throw AbortError(Error::invalid("family", "must be \"ipv4\" or \"ipv6\""));
  }
  spec.reserved = reservedRanges(body);
  auto pool = poolsOf(ctx).createPool(spec).orThrow();
  auto r = json(201, mapping::toJson(pool));
  r.headers["location"] = "/api/v1/ip-pools/" + pool.id;
  return r;
}

Response getIpPool(RequestContext& ctx) {
  requireOperator(ctx);
  return json(200, mapping::toJson(poolsOf(ctx).getPool(ctx.param("id")).orThrow()));
}

Response deleteIpPool(RequestContext& ctx) {
  requireOperator(ctx);
  auto pools = poolsOf(ctx);
  auto pool = pools.getPool(ctx.param("id")).orThrow();
  pools.deletePool(pool.id).orThrow();
  pool.allocated = 0;
  return json(200, mapping::toJson(pool));
}

Response listIpPoolAllocations(RequestContext& ctx) {
  requireOperator(ctx);
  auto p = input::paging(ctx.request, store::IpPoolStore::isCursor).orThrow();
  auto pools = poolsOf(ctx);
  auto pool = pools.getPool(ctx.param("id")).orThrow();
  auto page = pools.allocations(pool.id, p.limit, p.cursor);
  return json(200, mapping::page(page, [](auto& a) { return mapping::toJson(a); }));
}

}  // namespace handlers
}  // namespace fedihost::api
