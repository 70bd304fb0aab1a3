#pragma once
// Bucket storage sampling: a thread that, at start and then at intervals, asks the
// provider of every bucket that a deployment holds (its recorded resources) how many
// bytes the bucket holds, and records each answer in the accounting database
// (storage_samples): a good sample with its bytes, or a failed one with the error —
// never a size of 0 for a call that failed. Usage turns the good samples into
// bucket storage GiB-hours (accounting/usage.hh, docs/billing.md). It runs on a
// thread of its own, never on the API's I/O thread: provider calls wait on networks.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/domain.hh"
#include "core/periodic_thread.hh"
#include "store/state_store.hh"

namespace fedihost::accounting {

/// What a bucket's provider answered.
struct Measurement {
  std::string provider;                 ///< the implementation asked (s3, garage, file)
  std::optional<std::int64_t> bytes;    ///< nullopt: the call failed
  std::optional<std::int64_t> objects;
  std::string error;                    ///< why it failed ("" when measured)
};

/// Asks the provider of deployment `d`'s target how much `bucket` (a recorded bucket
/// resource, attributes unresolved) holds. Runs on the sampler's thread with its own
/// state connection (`state`).
using MeasureBucket = std::function<Measurement(store::StateStore& state, const Deployment& d, const Resource& bucket)>;

struct StorageSamplerConfig {
  std::string stateUrl;       ///< its own connections (the thread's)
  std::string accountingUrl;
  std::chrono::seconds interval{3600};
  MeasureBucket measure;
};

/// The outcome of one round.
struct SampleRound {
  int measured = 0;  ///< good samples recorded
  int failed = 0;    ///< failed samples recorded
};

class StorageSampler {
 public:
  explicit StorageSampler(StorageSamplerConfig config);

  /// Starts the thread (it samples at once, then every interval).
  void start() { thread_.start(); }
  void stop() { thread_.stop(); }
  /// Samples every bucket of every deployment now, on the calling thread.
  /// Throws if a database fails (the next round tries again).
  SampleRound sampleNow();
  /// Rounds done by the thread since start, and rounds that failed as a whole (a database).
  int rounds() const { return thread_.rounds(); }
  int failures() const { return thread_.failures(); }

 private:
  StorageSamplerConfig config_;
  PeriodicThread thread_;  // last: stopped (joined) before the members its rounds use go
};

}  // namespace fedihost::accounting
