#pragma once
// A provider wrapper that makes a given fraction of calls fail or wait, to test
// that the orchestrator converges anyway (retries, idempotent creates, resume).
// Not a provider of its own: it wraps a real one and is only used by tests and
// by targets whose configuration asks for "faults".
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>

#include "providers/provider.hh"

namespace fedihost::providers {

/// Fractions of calls (0..1) that fail or wait. Retryable faults are Unavailable
/// errors: half are returned before the call reaches the provider ("timeout"),
/// half after it was made ("503 after the call": the provider did it, the answer
/// was lost — so a retry must find the result, not repeat it).
struct FaultPlan {
  double retryable = 0;  ///< fraction of calls failing with a retryable error
  double permanent = 0;  ///< fraction failing with a permanent refusal (Provider, "400")
  double delayed = 0;    ///< fraction delayed by `delay`
  std::chrono::milliseconds delay{20};
  std::uint64_t seed = 1;

  /// From {"retryable": 0.2, "permanent": 0, "delayed": 0, "delayMs": 20, "seed": 1}; Invalid errors name "faults.<x>".
  static Result<FaultPlan> fromJson(const json::object& o);
};

/// Counts of what a FaultInjectingProvider did.
struct FaultCounts {
  std::atomic<int> calls{0}, retryable{0}, permanent{0}, delayed{0};
};

class FaultInjectingProvider final : public ResourceProvider {
 public:
  FaultInjectingProvider(std::unique_ptr<ResourceProvider> inner, FaultPlan plan,
                         std::shared_ptr<FaultCounts> counts = std::make_shared<FaultCounts>());

  ResourceKind kind() const override { return inner_->kind(); }
  std::string implementation() const override { return inner_->implementation() + "+faults"; }
  Capabilities capabilities() const override { return inner_->capabilities(); }
  Result<Observed> create(const ResolvedResource& r) override;
  Result<Observed> read(const ResolvedResource& r) override;
  Result<Observed> update(const ResolvedResource& r) override;
  Result<void> remove(const ResolvedResource& r) override;
  Result<std::vector<std::string>> list(std::string_view deployment) override;
  // Data calls are passed through without faults (the bundle code has no retries to exercise).
  Result<void> exportData(const ResolvedResource& r, const std::filesystem::path& dir) override {
    return inner_->exportData(r, dir);
  }
  Result<void> importData(const ResolvedResource& r, const std::filesystem::path& dir) override {
    return inner_->importData(r, dir);
  }
  Result<void> discardData(const ResolvedResource& r) override { return inner_->discardData(r); }
  Result<void> stopWrites(const ResolvedResource& r) override { return inner_->stopWrites(r); }
  Result<void> resumeWrites(const ResolvedResource& r) override { return inner_->resumeWrites(r); }
  Result<ReplicationSource> replicationSource(const ResolvedResource& r) override {
    return inner_->replicationSource(r);
  }
  Result<void> startReplication(const ResolvedResource& r, const ReplicationSource& from) override {
    return inner_->startReplication(r, from);
  }
  Result<std::int64_t> replicationLag(const ResolvedResource& r, const ReplicationSource& from) override {
    return inner_->replicationLag(r, from);
  }
  Result<ReplicationFinished> finishReplication(const ResolvedResource& r, const ReplicationSource& from,
                                                std::chrono::milliseconds maxWait) override {
    return inner_->finishReplication(r, from, maxWait);
  }
  Result<void> dropReplication(const ResolvedResource& r, const ReplicationSource& from) override {
    return inner_->dropReplication(r, from);
  }

  const FaultCounts& counts() const { return *counts_; }
  ResourceProvider& inner() { return *inner_; }

 private:
  enum class Fault { None, Before, After, Permanent };
  Fault roll(std::string_view call);
  template <class F>
  auto call(std::string_view name, F&& f) -> decltype(f());

  std::unique_ptr<ResourceProvider> inner_;
  FaultPlan plan_;
  std::shared_ptr<FaultCounts> counts_;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

}  // namespace fedihost::providers
