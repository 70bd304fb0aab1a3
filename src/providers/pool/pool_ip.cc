// The "pool" IP address provider: allocations from the target's IP pools in the
// state database. The store does the allocating (one write transaction each);
// this file maps resources to requests and allocations to outputs.
#include <algorithm>
#include <mutex>
#include <vector>

#include "providers/attributes.hh"
#include "providers/pool/pool.hh"
#include "store/ip_pool_store.hh"

namespace fedihost::providers::pool {
namespace {

/// Connections to the state database, reused across calls; each call holds one alone.
class ConnectionPool {
 public:
  explicit ConnectionPool(std::string url) : url_(std::move(url)) {}

  /// Runs `f(store)` on a connection of its own; a database failure is an Unavailable
  /// error (retryable) and the connection is dropped.
  template <class T, class F>
  Result<T> with(F&& f) {
    std::unique_ptr<store::Connection> c;
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        c = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    try {
      if (!c) c = store::connect(url_);
      store::IpPoolStore pools(*c);
      Result<T> r = f(pools);
      std::lock_guard lock(mu_);
      if (idle_.size() < kMaxIdle) idle_.push_back(std::move(c));
      return r;
    } catch (const store::DatabaseError& e) {
      return Error{ErrorKind::Unavailable, std::string("the state database failed: ") + e.what(), {}};
    }
  }

 private:
  static constexpr std::size_t kMaxIdle = 8;
  std::string url_;
  std::mutex mu_;
  std::vector<std::unique_ptr<store::Connection>> idle_;
};

class PoolIpProvider final : public IpAddressProvider {
 public:
  explicit PoolIpProvider(const ProviderConfig& config)
      : target_(config.target),
        defaultPool_(Settings(config.settings).string("pool", "")),
        connections_(config.stateUrl) {
    if (config.stateUrl.empty())
      throw AbortError(Error::invalid("stateUrl", "the pool IP provider needs the state database (no stateUrl given)"));
    if (config.target.empty())
      throw AbortError(Error::invalid("target", "the pool IP provider needs the name of its target"));
  }

  std::string implementation() const override { return "pool"; }

  /// Allocates (or finds) the address of the resource's identity key.
  Result<Observed> create(const ResolvedResource& r) override { return allocate(r, false); }

  /// The resource's allocation; NotFound if it holds none in this target's pools.
  Result<Observed> read(const ResolvedResource& r) override {
    return connections_.with<Observed>([&](store::IpPoolStore& pools) -> Result<Observed> {
      auto a = pools.assignment(r.resource.key);
      if (!a) return a.error();
      if (a->pool.target != target_)
        return Error::notFound(r.resource.key + " holds no address in the pools of target " + target_);
      return observed(*a);
    });
  }

  /// Keeps the address if its pool still fits the attributes, else moves it to a fitting
  /// pool in one transaction; NotFound if the resource holds no address.
  Result<Observed> update(const ResolvedResource& r) override {
    auto current = read(r);
    if (!current) return current.error();
    return allocate(r, true);
  }

  /// Releases the address; an absent one is not an error.
  Result<void> remove(const ResolvedResource& r) override {
    return connections_.with<void>([&](store::IpPoolStore& pools) -> Result<void> {
      pools.release(r.resource.key);
      return {};
    });
  }

  /// Identity keys holding an address of this target's pools for the deployment.
  Result<std::vector<std::string>> list(std::string_view deployment) override {
    using Keys = std::vector<std::string>;
    return connections_.with<Keys>([&](store::IpPoolStore& pools) -> Result<Keys> {
      std::vector<std::string> ours;
      for (auto& p : pools.listPools(target_)) ours.push_back(p.id);
      Keys keys;
      for (auto& a : pools.allocationsFor(std::string(deployment)))
        if (std::find(ours.begin(), ours.end(), a.pool) != ours.end()) keys.push_back(a.identityKey);
      return keys;
    });
  }

 private:
  Result<Observed> allocate(const ResolvedResource& r, bool move) {
    auto req = request(r.resource);
    if (!req) return req.error();
    req->move = move;
    return connections_.with<Observed>([&](store::IpPoolStore& pools) -> Result<Observed> {
      auto a = pools.allocate(*req);
      if (!a) {
        Error e = a.error();
        if (e.field == "family" || e.field == "pool") e.field = "attributes." + e.field;
        return e;
      }
      return observed(*a);
    });
  }

  Result<store::IpRequest> request(const Resource& r) const {
    store::IpRequest req;
    req.target = target_;
    req.identityKey = r.key;
    req.deployment = r.deployment;
    if (auto* f = r.attributes.if_contains("family")) {
      if (f->is_string() && f->get_string() == "ipv4")
        req.family = 4;
      else if (f->is_string() && f->get_string() == "ipv6")
        req.family = 6;
      else
        return Error::invalid("attributes.family", "must be \"ipv4\" or \"ipv6\"");
    }
    req.pool = defaultPool_;
    if (r.attributes.contains("pool")) {
      auto name = stringAttribute(r.attributes, "pool");
      if (!name) return name.error();
      req.pool = *name;
    }
    return req;
  }

  static Observed observed(const store::IpAssignment& a) {
    Observed o;
    o.attributes = {{"family", a.pool.family == 4 ? "ipv4" : "ipv6"}, {"pool", a.pool.name}};
    o.outputs = {{"address", a.allocation.address}, {"prefixLength", a.pool.prefixLength}};
    if (!a.pool.gateway.empty()) o.outputs["gateway"] = a.pool.gateway;
    return o;
  }

  std::string target_;
  std::string defaultPool_;
  ConnectionPool connections_;
};

}  // namespace

std::unique_ptr<IpAddressProvider> makeIpProvider(const ProviderConfig& config) {
  return std::make_unique<PoolIpProvider>(config);
}

}  // namespace fedihost::providers::pool
