// The Prometheus text format of the metrics registry: counters with labels,
// cumulative histogram buckets, escaping, and counting from many threads.
#include "core/metrics.hh"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace fedihost::metrics {
namespace {

TEST(Metrics, CountersRenderOneLinePerSeriesWithEscapedLabels) {
  Registry r;
  auto& c = r.counter("t_requests_total", "Requests, by route", {"route", "status"});
  c.inc({"GET /a", "200"});
  c.inc({"GET /a", "200"}, 2);
  c.inc({"say \"hi\"\\\n", "500"});
  EXPECT_EQ(c.value({"GET /a", "200"}), 3u);
  EXPECT_EQ(c.value({"GET /b", "200"}), 0u);
  EXPECT_EQ(r.render(),
            "# HELP t_requests_total Requests, by route\n"
            "# TYPE t_requests_total counter\n"
            "t_requests_total{route=\"GET /a\",status=\"200\"} 3\n"
            "t_requests_total{route=\"say \\\"hi\\\"\\\\\\n\",status=\"500\"} 1\n");
}

TEST(Metrics, AWrongNumberOfLabelValuesIsABug) {
  Registry r;
  auto& c = r.counter("t_total", "x", {"a"});
  EXPECT_THROW(c.inc({"1", "2"}), std::logic_error);
  EXPECT_THROW(r.histogram("t_seconds", "x", {"a"}, {1}).observe({}, 0.5), std::logic_error);
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry r;
  auto& h = r.histogram("t_seconds", "Latency", {"op"}, {0.01, 0.1, 1});
  for (double v : {0.005, 0.01, 0.05, 0.5, 3.0}) h.observe({"create"}, v);
  EXPECT_EQ(h.count({"create"}), 5u);
  EXPECT_EQ(r.render(),
            "# HELP t_seconds Latency\n"
            "# TYPE t_seconds histogram\n"
            "t_seconds_bucket{op=\"create\",le=\"0.01\"} 2\n"
            "t_seconds_bucket{op=\"create\",le=\"0.1\"} 3\n"
            "t_seconds_bucket{op=\"create\",le=\"1\"} 4\n"
            "t_seconds_bucket{op=\"create\",le=\"+Inf\"} 5\n"
            "t_seconds_sum{op=\"create\"} 3.565\n"
            "t_seconds_count{op=\"create\"} 5\n");
}

TEST(Metrics, FamiliesAreSortedByNameAcrossKinds) {
  Registry r;
  r.counter("b_total", "b").inc({});
  r.histogram("a_seconds", "a", {}, {1}).observe({}, 2);
  r.counter("c_total", "c").inc({});
  auto text = r.render();
  EXPECT_LT(text.find("a_seconds"), text.find("b_total"));
  EXPECT_LT(text.find("b_total"), text.find("c_total"));
  EXPECT_EQ(&r.counter("b_total", "b"), &r.counter("b_total", "b"));  // looked up, not made twice
}

TEST(Metrics, ManyThreadsCountingLoseNothing) {
  Registry r;
  auto& c = r.counter("t_total", "x", {"thread"});
  auto& h = r.histogram("t_seconds", "x", {"kind"}, {0.5});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        c.inc({std::to_string(i % 3)});  // new series appear while others count
        h.observe({t % 2 ? "odd" : "even"}, i % 2 ? 0.1 : 1.0);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value({"0"}) + c.value({"1"}) + c.value({"2"}), 8000u);
  EXPECT_EQ(h.count({"odd"}) + h.count({"even"}), 8000u);
  EXPECT_NE(r.render().find("t_seconds_bucket{kind=\"odd\",le=\"0.5\"} 2000\n"), std::string::npos);
}

TEST(Metrics, NumbersAreWrittenAsPrometheusReadsThem) {
  EXPECT_EQ(formatNumber(3), "3");
  EXPECT_EQ(formatNumber(0.25), "0.25");
  EXPECT_EQ(formatNumber(1.0 / 0.0), "+Inf");
}

}  // namespace
}  // namespace fedihost::metrics
