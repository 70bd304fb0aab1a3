#pragma once
// The server's metrics, in the Prometheus text format (GET /metrics).
//
// One registry per process (like every Prometheus client's default registry):
// the API counts requests, the executor counts steps and runs, provider calls
// are timed where they are made. A family is looked up once (by name) and kept;
// a labelled series is found under a shared lock and updated with atomics, so
// handler threads counting at once do not wait for each other.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace fedihost::metrics {

using LabelValues = std::vector<std::string>;

/// A counter with labels: fedihost_x_total{a="…",b="…"} N.
class CounterFamily {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> labels);
  /// Adds `n` to the series of these label values (one per label name, in order).
  void inc(const LabelValues& values, std::uint64_t n = 1);
  /// The series' value (0 if it was never counted).
  std::uint64_t value(const LabelValues& values) const;
  void render(std::string& out) const;

 private:
  std::string name_, help_;
  std::vector<std::string> labels_;
  mutable std::shared_mutex mu_;
  std::map<LabelValues, std::unique_ptr<std::atomic<std::uint64_t>>> series_;
};

/// A histogram with labels, in seconds: _bucket{le=…}, _sum and _count.
class HistogramFamily {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> labels, std::vector<double> bounds);
  void observe(const LabelValues& values, double seconds);
  /// Observations of a series so far.
  std::uint64_t count(const LabelValues& values) const;
  void render(std::string& out) const;

 private:
  struct Series {
    explicit Series(std::size_t buckets) : counts(buckets) {}
    std::vector<std::atomic<std::uint64_t>> counts;  ///< per upper bound, not cumulative (summed when rendered)
    std::atomic<std::uint64_t> count{0};
    std::atomic<double> sum{0};
  };
  Series& series(const LabelValues& values);

  std::string name_, help_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  mutable std::shared_mutex mu_;
  std::map<LabelValues, std::unique_ptr<Series>> series_;
};

/// Latency bounds for HTTP requests and provider calls (seconds).
std::vector<double> latencyBounds();

class Registry {
 public:
  /// The family of this name, created on first use (later calls must pass the same labels).
  CounterFamily& counter(const std::string& name, const std::string& help, std::vector<std::string> labels = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help, std::vector<std::string> labels,
                             std::vector<double> bounds = latencyBounds());
  /// Every family, in the Prometheus text exposition format (version 0.0.4), sorted by name.
  std::string render() const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<CounterFamily>> counters_;
  std::map<std::string, std::unique_ptr<HistogramFamily>> histograms_;
};

/// The process's registry.
Registry& registry();

/// A sample line: `name{labels} value\n`, with label values escaped as the format wants.
void appendSample(std::string& out, std::string_view name, const std::vector<std::string>& labels,
                  const LabelValues& values, std::string_view value);
/// `# HELP` and `# TYPE` lines.
void appendHeader(std::string& out, std::string_view name, std::string_view help, std::string_view type);
/// A number as Prometheus writes it (integers without a fraction, +Inf).
std::string formatNumber(double v);

}  // namespace fedihost::metrics
