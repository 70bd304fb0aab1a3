#pragma once
// Times a provider call and counts its failures, by kind, implementation and
// operation (fedihost_provider_call_seconds, fedihost_provider_errors_total on /metrics).
#include <chrono>
#include <string>
#include <string_view>

#include "core/metrics.hh"
#include "providers/provider.hh"

namespace fedihost::providers {

/// The metric families of provider calls (created on first use).
metrics::HistogramFamily& providerCallSeconds();
metrics::CounterFamily& providerErrors();
/// An error kind as a label value ("unavailable", "provider", "not-found", …).
std::string_view errorLabel(ErrorKind kind);

/// Calls `f` (returning a Result) and records its duration, and its error kind if it failed.
template <class F>
auto timedCall(const ResourceProvider& p, std::string_view operation, F&& f) -> decltype(f()) {
  auto start = std::chrono::steady_clock::now();
  auto result = f();
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  metrics::LabelValues labels{std::string(toString(p.kind())), p.implementation(), std::string(operation)};
  providerCallSeconds().observe(labels, took.count());
  if (!result) {
    labels.push_back(std::string(errorLabel(result.error().kind)));
    providerErrors().inc(labels);
  }
  return result;
}

}  // namespace fedihost::providers
