#pragma once
// Bucket storage sampling: a thread that, at start and then at intervals, asks the
// provider of every bucket that a deployment holds (its recorded resources) how many
// bytes the bucket holds, and records each answer in the accounting database
// (storage_samples): a good sample with its bytes, or a failed one with the error —
// never a size of 0 for a call that failed. Usage turns the good samples into
// bucket storage GiB-hours (accounting/usage.hh, docs/billing.md). It runs on a
// thread of its own, never on the API's I/O thread: provider calls wait on networks.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/domain.hh"
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
  ~StorageSampler();
  StorageSampler(const StorageSampler&) = delete;
  StorageSampler& operator=(const StorageSampler&) = delete;

  /// Starts the thread (it samples at once, then every interval).
  void start();
  void stop();
  /// Samples every bucket of every deployment now, on the calling thread.
  /// Throws if a database fails (the next round tries again).
  SampleRound sampleNow();
  /// Rounds done by the thread since start, and rounds that failed as a whole (a database).
  int rounds() const { return rounds_.load(); }
  int failures() const { return failures_.load(); }

 private:
  void loop();

  StorageSamplerConfig config_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<int> rounds_{0};
  std::atomic<int> failures_{0};
};

}  // namespace fedihost::accounting
