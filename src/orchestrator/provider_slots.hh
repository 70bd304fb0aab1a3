#pragma once
// How many calls each provider has in flight, kept under its target's limit
// ("parallelism" in the target file) by everything that calls it: the executor's
// steps, refresh jobs and orphan scans share one ProviderSlots, which the
// Orchestrator owns. A caller waits for a slot of the provider it is about to call
// and holds it for the call only (never across a retry's backoff).
#include <condition_variable>
#include <map>
#include <mutex>

namespace fedihost::orchestrator {

class ProviderSlots {
 public:
  /// A slot held until destroyed (or released).
  class Held {
   public:
    Held(ProviderSlots& slots, const void* provider) : slots_(&slots), provider_(provider) {}
    Held(Held&& o) noexcept : slots_(o.slots_), provider_(o.provider_) { o.slots_ = nullptr; }
    Held& operator=(Held&&) = delete;
    Held(const Held&) = delete;
    ~Held() { release(); }
    void release() {
      if (slots_) slots_->release(provider_);
      slots_ = nullptr;
    }

   private:
    ProviderSlots* slots_;
    const void* provider_;
  };

  /// Waits until `provider` has fewer than `limit` calls in flight (at least 1), then takes a slot.
  Held hold(const void* provider, int limit);
  void acquire(const void* provider, int limit);
  void release(const void* provider);
  /// Calls in flight at `provider` now.
  int inFlight(const void* provider);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<const void*, int> inFlight_;
};

}  // namespace fedihost::orchestrator
