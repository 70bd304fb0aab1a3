#include "core/metrics.hh"

#include <cmath>
#include <cstdio>
#include <mutex>
#include <stdexcept>

namespace fedihost::metrics {
namespace {

void appendEscaped(std::string& out, std::string_view v, bool help) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && !help) out += "\\\"";
    else out += c;
  }
}

void checkArity(const std::string& name, const std::vector<std::string>& labels, const LabelValues& values) {
  if (labels.size() != values.size())
    throw std::logic_error("metric " + name + " has " + std::to_string(labels.size()) + " labels, given " +
                           std::to_string(values.size()));
}

}  // namespace

std::string formatNumber(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void appendHeader(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  appendEscaped(out, help, true);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void appendSample(std::string& out, std::string_view name, const std::vector<std::string>& labels,
                  const LabelValues& values, std::string_view value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i) out += ',';
      out += labels[i];
      out += "=\"";
      appendEscaped(out, values.at(i), false);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

std::vector<double> latencyBounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

CounterFamily::CounterFamily(std::string name, std::string help, std::vector<std::string> labels)
    : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {}

void CounterFamily::inc(const LabelValues& values, std::uint64_t n) {
  {
    std::shared_lock lock(mu_);
    if (auto it = series_.find(values); it != series_.end()) {
      it->second->fetch_add(n, std::memory_order_relaxed);
      return;
    }
  }
  checkArity(name_, labels_, values);
  std::unique_lock lock(mu_);
  auto& slot = series_[values];
  if (!slot) slot = std::make_unique<std::atomic<std::uint64_t>>(0);
  slot->fetch_add(n, std::memory_order_relaxed);
}

std::uint64_t CounterFamily::value(const LabelValues& values) const {
  std::shared_lock lock(mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second->load(std::memory_order_relaxed);
}

void CounterFamily::render(std::string& out) const {
  appendHeader(out, name_, help_, "counter");
  std::shared_lock lock(mu_);
  for (auto& [values, v] : series_)
    appendSample(out, name_, labels_, values, std::to_string(v->load(std::memory_order_relaxed)));
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> labels,
                                 std::vector<double> bounds)
    : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)), bounds_(std::move(bounds)) {}

HistogramFamily::Series& HistogramFamily::series(const LabelValues& values) {
  {
    std::shared_lock lock(mu_);
    if (auto it = series_.find(values); it != series_.end()) return *it->second;
  }
  checkArity(name_, labels_, values);
  std::unique_lock lock(mu_);
  auto& slot = series_[values];
  if (!slot) slot = std::make_unique<Series>(bounds_.size());
  return *slot;  // a series is never removed: the reference stays valid
}

void HistogramFamily::observe(const LabelValues& values, double seconds) {
  auto& s = series(values);
  std::size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  if (i < bounds_.size()) s.counts[i].fetch_add(1, std::memory_order_relaxed);
  s.sum.fetch_add(seconds, std::memory_order_relaxed);
  s.count.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t HistogramFamily::count(const LabelValues& values) const {
  std::shared_lock lock(mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second->count.load(std::memory_order_relaxed);
}

void HistogramFamily::render(std::string& out) const {
  appendHeader(out, name_, help_, "histogram");
  auto bucketLabels = labels_;
  bucketLabels.push_back("le");
  std::shared_lock lock(mu_);
  for (auto& [values, s] : series_) {
    // Read the total first: buckets counted after it only make +Inf's line lag, never exceed _count's.
    auto total = s->count.load(std::memory_order_relaxed);
    auto sum = s->sum.load(std::memory_order_relaxed);
    std::uint64_t cumulative = 0;
    auto withLe = values;
    withLe.emplace_back();
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += s->counts[i].load(std::memory_order_relaxed);
      withLe.back() = formatNumber(bounds_[i]);
      appendSample(out, name_ + "_bucket", bucketLabels, withLe, std::to_string(std::min(cumulative, total)));
    }
    withLe.back() = "+Inf";
    appendSample(out, name_ + "_bucket", bucketLabels, withLe, std::to_string(total));
    appendSample(out, name_ + "_sum", labels_, values, formatNumber(sum));
    appendSample(out, name_ + "_count", labels_, values, std::to_string(total));
  }
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help, std::vector<std::string> labels) {
  std::unique_lock lock(mu_);
  auto& slot = counters_[name];
  if (!slot) slot = std::make_unique<CounterFamily>(name, help, std::move(labels));
  return *slot;
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help,
                                     std::vector<std::string> labels, std::vector<double> bounds) {
  std::unique_lock lock(mu_);
  auto& slot = histograms_[name];
  if (!slot) slot = std::make_unique<HistogramFamily>(name, help, std::move(labels), std::move(bounds));
  return *slot;
}

std::string Registry::render() const {
  std::string out;
  std::shared_lock lock(mu_);
  // Sorted by name across both kinds, so that the output is stable.
  auto c = counters_.begin();
  auto h = histograms_.begin();
  while (c != counters_.end() || h != histograms_.end()) {
    if (h == histograms_.end() || (c != counters_.end() && c->first < h->first)) {
      c->second->render(out);
      ++c;
    } else {
      h->second->render(out);
      ++h;
    }
  }
  return out;
}

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace fedihost::metrics
