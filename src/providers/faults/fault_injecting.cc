#include "providers/faults/fault_injecting.hh"

#include <thread>

namespace fedihost::providers {

Result<FaultPlan> FaultPlan::fromJson(const json::object& o) {
  FaultPlan p;
  auto fraction = [&](const char* name, double& out) -> Result<void> {
    auto* v = o.if_contains(name);
    if (!v) return {};
    if (!v->is_number()) return Error::invalid(std::string("faults.") + name, "must be a number between 0 and 1");
    out = v->to_number<double>();
    if (out < 0 || out > 1) return Error::invalid(std::string("faults.") + name, "must be between 0 and 1");
    return {};
  };
  for (auto [name, field] : {std::pair{"retryable", &p.retryable}, std::pair{"permanent", &p.permanent},
                             std::pair{"delayed", &p.delayed}})
    if (auto r = fraction(name, *field); !r) return r.error();
  if (p.retryable + p.permanent > 1) return Error::invalid("faults", "retryable + permanent must not exceed 1");
  if (auto* v = o.if_contains("delayMs")) {
    if (!v->is_int64() || v->get_int64() < 0) return Error::invalid("faults.delayMs", "must be a whole number ≥ 0");
    p.delay = std::chrono::milliseconds(v->get_int64());
  }
  if (auto* v = o.if_contains("seed")) {
    if (!v->is_int64() && !v->is_uint64()) return Error::invalid("faults.seed", "must be a whole number");
    p.seed = v->is_int64() ? static_cast<std::uint64_t>(v->get_int64()) : v->get_uint64();
  }
  for (auto& kv : o)
    if (kv.key() != "retryable" && kv.key() != "permanent" && kv.key() != "delayed" && kv.key() != "delayMs" &&
        kv.key() != "seed")
      return Error::invalid("faults." + std::string(kv.key()), "unknown setting");
  return p;
}

FaultInjectingProvider::FaultInjectingProvider(std::unique_ptr<ResourceProvider> inner, FaultPlan plan,
                                               std::shared_ptr<FaultCounts> counts)
    : inner_(std::move(inner)), plan_(plan), counts_(std::move(counts)), rng_(plan.seed) {}

FaultInjectingProvider::Fault FaultInjectingProvider::roll(std::string_view) {
  double r, d, side;
  {
    std::lock_guard lock(mu_);
    std::uniform_real_distribution<double> u(0, 1);
    r = u(rng_);
    d = u(rng_);
    side = u(rng_);
  }
  ++counts_->calls;
  if (d < plan_.delayed) {
    ++counts_->delayed;
    std::this_thread::sleep_for(plan_.delay);
  }
  if (r < plan_.retryable) {
    ++counts_->retryable;
    return side < 0.5 ? Fault::Before : Fault::After;
  }
  if (r < plan_.retryable + plan_.permanent) {
    ++counts_->permanent;
    return Fault::Permanent;
  }
  return Fault::None;
}

template <class F>
auto FaultInjectingProvider::call(std::string_view name, F&& f) -> decltype(f()) {
  const std::string what = std::string(name) + " (" + inner_->implementation() + ")";
  switch (roll(name)) {
    case Fault::None: return f();
    case Fault::Before:
      return Error{ErrorKind::Unavailable, "injected fault: " + what + " timed out before reaching the provider", {}};
    case Fault::After: {
      (void)f();  // the provider did it; the answer is lost
      return Error{ErrorKind::Unavailable, "injected fault: " + what + " answered 503 after doing the call", {}};
    }
    case Fault::Permanent:
      return Error{ErrorKind::Provider, "injected fault: " + what + " answered 400 (refused)", {}};
  }
  return f();
}

Result<Observed> FaultInjectingProvider::create(const ResolvedResource& r) {
  return call("create", [&] { return inner_->create(r); });
}
Result<Observed> FaultInjectingProvider::read(const ResolvedResource& r) {
  return call("read", [&] { return inner_->read(r); });
}
Result<Observed> FaultInjectingProvider::update(const ResolvedResource& r) {
  return call("update", [&] { return inner_->update(r); });
}
Result<void> FaultInjectingProvider::remove(const ResolvedResource& r) {
  return call("remove", [&] { return inner_->remove(r); });
}
Result<std::vector<std::string>> FaultInjectingProvider::list(std::string_view deployment) {
  return call("list", [&] { return inner_->list(deployment); });
}

}  // namespace fedihost::providers
