#include "orchestrator/provider_slots.hh"

#include <algorithm>

namespace fedihost::orchestrator {

ProviderSlots::Held ProviderSlots::hold(const void* provider, int limit) {
  acquire(provider, limit);
  return Held(*this, provider);
}

void ProviderSlots::acquire(const void* provider, int limit) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return inFlight_[provider] < std::max(limit, 1); });
  ++inFlight_[provider];
}

void ProviderSlots::release(const void* provider) {
  {
    std::lock_guard lock(mu_);
    if (--inFlight_[provider] == 0) inFlight_.erase(provider);
  }
  cv_.notify_all();
}

int ProviderSlots::inFlight(const void* provider) {
  std::lock_guard lock(mu_);
  auto it = inFlight_.find(provider);
  return it == inFlight_.end() ? 0 : it->second;
}

}  // namespace fedihost::orchestrator
