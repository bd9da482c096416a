#include "base/metrics_registry.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vigil {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(PrometheusFloatTest, FormatsLikePrometheus) {
  struct Case {
    double in;
    const char* want;
  };
  const Case cases[] = {
      {0, "0"},
      {-0.0, "0"},
      {1, "1"},
      {-1, "-1"},
      {42, "42"},
      {1e6, "1000000"},
      {123456789012, "123456789012"},
      {9007199254740992.0, "9007199254740992"},  // 2^53: largest integer written plainly
      {1e20, "1e+20"},
      {0.5, "0.5"},
      {0.005, "0.005"},
      {0.1, "0.1"},
      {2.5, "2.5"},
      {1e-7, "1e-07"},
      {123.456, "123.456"},
      {1.0 / 3, "0.3333333333333333"},
      {kNaN, "NaN"},
      {kInf, "+Inf"},
      {-kInf, "-Inf"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatPrometheusFloat(c.in), c.want) << c.want;
}

TEST(PrometheusFloatTest, ShortestReprRoundTrips) {
  for (double v : {0.1 + 0.2, 1e-300, 5e-324, 1.7976931348623157e308, 3.14159265358979}) {
    std::string text = FormatPrometheusFloat(v);
    double parsed = 0;
    std::from_chars(text.data(), text.data() + text.size(), parsed);  // strtod rejects subnormals
    EXPECT_EQ(parsed, v) << text;
  }
}

TEST(EscapingTest, LabelValueEscapesBackslashQuoteNewline) {
  std::string out;
  AppendEscapedLabelValue(&out, "a\\b\"c\nd\te");
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd\te");
}

TEST(EscapingTest, HelpEscapesBackslashNewlineButNotQuote) {
  std::string out;
  AppendEscapedHelp(&out, "say \"hi\"\\\nbye");
  EXPECT_EQ(out, "say \"hi\"\\\\\\nbye");
}

TEST(NameValidationTest, MetricAndLabelNames) {
  EXPECT_TRUE(IsValidMetricName("http_requests_total"));
  EXPECT_TRUE(IsValidMetricName("job:rate5m:sum"));
  EXPECT_TRUE(IsValidMetricName("_x9"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9lives"));
  EXPECT_FALSE(IsValidMetricName("has-dash"));
  EXPECT_FALSE(IsValidMetricName("has space"));
  EXPECT_TRUE(IsValidLabelName("code"));
  EXPECT_TRUE(IsValidLabelName("_private1"));
  EXPECT_FALSE(IsValidLabelName("with:colon"));
  EXPECT_FALSE(IsValidLabelName("1st"));
  EXPECT_FALSE(IsValidLabelName(""));
}

TEST(CounterTest, NegativeAndNaNIncrementsAreIgnored) {
  Counter c;
  c.Inc();
  c.Inc(2.5);
  c.Inc(-10);
  c.Inc(kNaN);
  c.Inc(0);
  EXPECT_EQ(c.Value(), 3.5);
}

TEST(GaugeTest, SetAddIncDec) {
  Gauge g;
  g.Set(10);
  g.Add(-2.5);
  g.Inc();
  g.Dec(3);
  EXPECT_EQ(g.Value(), 5.5);
  g.Set(-1);
  EXPECT_EQ(g.Value(), -1);
}

TEST(HistogramTest, BucketBoundsAreInclusiveAndCumulative) {
  Histogram h({1, 2, 5});
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.0, 5.0, 6.0, -3.0}) h.Observe(v);
  HistogramSnapshot s = h.Snapshot();
  ASSERT_EQ(s.upper_bounds, (std::vector<double>{1, 2, 5}));
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{3, 5, 7}));  // {0.5,1,-3} {1.5,2} {4,5}
  EXPECT_EQ(s.count, 8u);
  EXPECT_EQ(s.sum, 17.0);
}

TEST(HistogramTest, UnsortedDuplicateAndInfBoundsAreNormalized) {
  Histogram h({5, 1, kInf, 2, 1});
  EXPECT_EQ(h.upper_bounds(), (std::vector<double>{1, 2, 5}));
}

TEST(HistogramTest, NaNObservationCountsOnlyInInfBucket) {
  Histogram h({1});
  h.Observe(kNaN);
  HistogramSnapshot s = h.Snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{0}));
  EXPECT_EQ(s.count, 1u);
  EXPECT_TRUE(std::isnan(s.sum));
}

TEST(HistogramTest, NoFiniteBoundsHasOnlyInfBucket) {
  MetricsRegistry r;
  r.AddHistogram("h_seconds", "H.", {}).Observe(3);
  EXPECT_EQ(r.Render(),
            "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"+Inf\"} 1\nh_seconds_sum 3\nh_seconds_count 1\n");
}

TEST(BucketsTest, DefaultExponentialLinear) {
  EXPECT_EQ(MetricsRegistry::DefaultBuckets(),
            (std::vector<double>{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}));
  EXPECT_EQ(MetricsRegistry::ExponentialBuckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(MetricsRegistry::LinearBuckets(0, 5, 3), (std::vector<double>{0, 5, 10}));
}

TEST(MetricsRegistryTest, GoldenRenderSortedWithConstLabels) {
  MetricsRegistry r({{"component", "test"}});
  r.AddGauge("vigil_queue_length", "Items waiting.").Set(3);
  r.AddCounter("vigil_bytes_total", "Bytes written.").Inc(1024);
  auto& requests = r.AddCounterFamily("vigil_requests_total", "Requests by code.", {"method", "code"});
  requests.WithLabels({"GET", "500"}).Inc();
  requests.WithLabels({"GET", "200"}).Inc(2);
  r.AddHistogram("vigil_latency_seconds", "Latency.", {0.005, 0.1, 1}).Observe(0.05);
  r.AddGaugeFunc("vigil_answer", "The answer.", [] { return 42.0; });

  EXPECT_EQ(r.Render(),
            "# HELP vigil_answer The answer.\n"
            "# TYPE vigil_answer gauge\n"
            "vigil_answer{component=\"test\"} 42\n"
            "# HELP vigil_bytes_total Bytes written.\n"
            "# TYPE vigil_bytes_total counter\n"
            "vigil_bytes_total{component=\"test\"} 1024\n"
            "# HELP vigil_latency_seconds Latency.\n"
            "# TYPE vigil_latency_seconds histogram\n"
            "vigil_latency_seconds_bucket{component=\"test\",le=\"0.005\"} 0\n"
            "vigil_latency_seconds_bucket{component=\"test\",le=\"0.1\"} 1\n"
            "vigil_latency_seconds_bucket{component=\"test\",le=\"1\"} 1\n"
            "vigil_latency_seconds_bucket{component=\"test\",le=\"+Inf\"} 1\n"
            "vigil_latency_seconds_sum{component=\"test\"} 0.05\n"
            "vigil_latency_seconds_count{component=\"test\"} 1\n"
            "# HELP vigil_queue_length Items waiting.\n"
            "# TYPE vigil_queue_length gauge\n"
            "vigil_queue_length{component=\"test\"} 3\n"
            "# HELP vigil_requests_total Requests by code.\n"
            "# TYPE vigil_requests_total counter\n"
            "vigil_requests_total{component=\"test\",method=\"GET\",code=\"200\"} 2\n"
            "vigil_requests_total{component=\"test\",method=\"GET\",code=\"500\"} 1\n");
}

TEST(MetricsRegistryTest, NoLabelsRendersWithoutBraces) {
  MetricsRegistry r;
  r.AddCounter("up_total", "Up.").Inc();
  EXPECT_EQ(r.Render(), "# HELP up_total Up.\n# TYPE up_total counter\nup_total 1\n");
}

TEST(MetricsRegistryTest, RenderAppendsToExistingBuffer) {
  MetricsRegistry r;
  r.AddGauge("g", "G.").Set(1);
  std::string out = "prefix\n";
  r.Render(&out);
  EXPECT_EQ(out, "prefix\n# HELP g G.\n# TYPE g gauge\ng 1\n");
}

TEST(MetricsRegistryTest, LabelValuesConstLabelsAndHelpAreEscaped) {
  MetricsRegistry r({{"path", "C:\\dir"}});
  r.AddGaugeFamily("g", "Line one\nline \\two \"q\"", {"v"}).WithLabels({"a\"b\nc\\d"}).Set(1);
  EXPECT_EQ(r.Render(),
            "# HELP g Line one\\nline \\\\two \"q\"\n"
            "# TYPE g gauge\n"
            "g{path=\"C:\\\\dir\",v=\"a\\\"b\\nc\\\\d\"} 1\n");
}

TEST(MetricsRegistryTest, FamilyWithoutChildrenIsOmitted) {
  MetricsRegistry r;
  r.AddCounterFamily("empty_total", "Nothing yet.", {"code"});
  EXPECT_EQ(r.Render(), "");
}

TEST(MetricsRegistryTest, EmptyLabelValueIsRendered) {
  MetricsRegistry r;
  r.AddCounterFamily("c_total", "C.", {"code"}).WithLabels({""}).Inc();
  EXPECT_EQ(r.Render(), "# HELP c_total C.\n# TYPE c_total counter\nc_total{code=\"\"} 1\n");
}

TEST(MetricsRegistryTest, SameNameAndKindReturnsSameObject) {
  MetricsRegistry r;
  Counter& a = r.AddCounter("c_total", "C.");
  Counter& b = r.AddCounter("c_total", "Other help is ignored.");
  EXPECT_EQ(&a, &b);
  Counter& c = r.AddCounterFamily("c_total", "C.", {}).WithLabels({});
  EXPECT_EQ(&a, &c);

  auto& f1 = r.AddGaugeFamily("g", "G.", {"x"});
  auto& f2 = r.AddGaugeFamily("g", "G.", {"x"});
  EXPECT_EQ(&f1, &f2);
  EXPECT_EQ(&f1.WithLabels({"1"}), &f2.WithLabels(std::vector<std::string>{"1"}));
  EXPECT_NE(&f1.WithLabels({"1"}), &f1.WithLabels({"2"}));

  Histogram& h1 = r.AddHistogram("h", "H.", {1, 2});
  Histogram& h2 = r.AddHistogram("h", "H.", {2, 1});  // same buckets after normalizing
  EXPECT_EQ(&h1, &h2);
}

TEST(MetricsRegistryTest, FuncReRegistrationReplacesFunction) {
  MetricsRegistry r;
  r.AddCounterFunc("f_total", "F.", [] { return 1.0; });
  r.AddCounterFunc("f_total", "F.", [] { return 2.0; });
  EXPECT_EQ(r.Render(), "# HELP f_total F.\n# TYPE f_total counter\nf_total 2\n");
}

TEST(MetricsRegistryTest, FuncIsEvaluatedAtEachRender) {
  MetricsRegistry r;
  double value = 1;
  r.AddGaugeFunc("f", "F.", [&value] { return value; });
  EXPECT_NE(r.Render().find("f 1\n"), std::string::npos);
  value = kNaN;
  EXPECT_NE(r.Render().find("f NaN\n"), std::string::npos);
}

TEST(MetricsRegistryTest, HistogramFamilyPutsLeLast) {
  MetricsRegistry r({{"component", "x"}});
  r.AddHistogramFamily("d_seconds", "D.", {"op"}, {0.25}).WithLabels({"read"}).Observe(1);
  EXPECT_EQ(r.Render(),
            "# HELP d_seconds D.\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{component=\"x\",op=\"read\",le=\"0.25\"} 0\n"
            "d_seconds_bucket{component=\"x\",op=\"read\",le=\"+Inf\"} 1\n"
            "d_seconds_sum{component=\"x\",op=\"read\"} 1\n"
            "d_seconds_count{component=\"x\",op=\"read\"} 1\n");
}

TEST(MetricsRegistryTest, ConcurrentIncFromManyThreadsGivesExactTotal) {
  MetricsRegistry r;
  Counter& plain = r.AddCounter("plain_total", "P.");
  auto& family = r.AddCounterFamily("fam_total", "F.", {"shard"});
  Histogram& hist = r.AddHistogram("obs", "O.", {0.5});
  constexpr int kThreads = 8;
  constexpr int kIncrements = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIncrements; ++i) {
        plain.Inc();
        family.WithLabels({std::to_string(i % 4)}).Inc(0.5);
        hist.Observe(t % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  // Render and register concurrently with the updates.
  for (int i = 0; i < 20; ++i) {
    r.AddGauge("late_" + std::to_string(i), "L.").Set(i);
    EXPECT_FALSE(r.Render().empty());
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(plain.Value(), kThreads * kIncrements);
  double family_total = 0;
  family.ForEachChild([&](const std::vector<std::string>&, const Counter& c) { family_total += c.Value(); });
  EXPECT_EQ(family_total, kThreads * kIncrements * 0.5);
  HistogramSnapshot s = hist.Snapshot();
  EXPECT_EQ(s.count, static_cast<uint64_t>(kThreads * kIncrements));
  EXPECT_EQ(s.cumulative[0], static_cast<uint64_t>(kThreads / 2 * kIncrements));
}

// ---- programming errors abort with a message naming the metric ---------------

class MetricsRegistryDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(MetricsRegistryDeathTest, KindMismatchAborts) {
  MetricsRegistry r;
  r.AddCounter("x_total", "X.");
  EXPECT_DEATH(r.AddGauge("x_total", "X."), "x_total: already registered as a counter");
  EXPECT_DEATH(r.AddCounterFunc("x_total", "X.", [] { return 1.0; }), "x_total: already registered");
}

TEST_F(MetricsRegistryDeathTest, LabelNamesMismatchAborts) {
  MetricsRegistry r;
  r.AddCounterFamily("x_total", "X.", {"a"});
  EXPECT_DEATH(r.AddCounterFamily("x_total", "X.", {"b"}), "x_total: already registered with different label");
  EXPECT_DEATH(r.AddCounter("x_total", "X."), "different label names");
}

TEST_F(MetricsRegistryDeathTest, BucketsMismatchAborts) {
  MetricsRegistry r;
  r.AddHistogram("h", "H.", {1, 2});
  EXPECT_DEATH(r.AddHistogram("h", "H.", {1, 3}), "h: already registered with different histogram buckets");
}

TEST_F(MetricsRegistryDeathTest, InvalidNamesAbort) {
  MetricsRegistry r;
  EXPECT_DEATH(r.AddCounter("bad-name", "B."), "invalid metric name \"bad-name\"");
  EXPECT_DEATH(r.AddCounterFamily("ok_total", "O.", {"bad:label"}), "invalid label name \"bad:label\"");
  EXPECT_DEATH(r.AddCounterFamily("ok_total", "O.", {"__reserved"}), "invalid label name");
  EXPECT_DEATH(r.AddCounterFamily("ok_total", "O.", {"a", "a"}), "duplicate label name \"a\"");
  EXPECT_DEATH(r.AddHistogramFamily("ok", "O.", {"le"}, {1}), "\"le\" is reserved");
  EXPECT_DEATH(r.AddHistogram("ok", "O.", {1, kNaN}), "bucket bound is NaN");
  EXPECT_DEATH(MetricsRegistry({{"bad-const", "v"}}), "invalid const label name");
}

TEST_F(MetricsRegistryDeathTest, LabelRepeatingConstLabelAborts) {
  MetricsRegistry r({{"component", "x"}});
  EXPECT_DEATH(r.AddGaugeFamily("g", "G.", {"component"}), "g: duplicate label name \"component\"");
}

TEST_F(MetricsRegistryDeathTest, WrongNumberOfLabelValuesAborts) {
  MetricsRegistry r;
  auto& f = r.AddCounterFamily("x_total", "X.", {"a", "b"});
  EXPECT_DEATH(f.WithLabels({"only-one"}), "x_total: WithLabels got 1 label values, the family has 2");
}

TEST_F(MetricsRegistryDeathTest, InvalidBucketGeneratorArgumentsAbort) {
  EXPECT_DEATH(MetricsRegistry::ExponentialBuckets(0, 2, 3), "ExponentialBuckets");
  EXPECT_DEATH(MetricsRegistry::ExponentialBuckets(1, 1, 3), "ExponentialBuckets");
  EXPECT_DEATH(MetricsRegistry::LinearBuckets(0, 1, 0), "LinearBuckets");
}

// ---- promtool -------------------------------------------------------------------

// Runs `promtool check metrics` on text; returns its exit code and output.
int RunPromtoolCheck(const std::string& text, std::string* output) {
  char path[] = "/tmp/vigil_metrics_test_XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return -1;
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    ::close(fd);
    return -1;
  }
  ::close(fd);
  std::string cmd = std::string("/usr/bin/promtool check metrics < ") + path + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) output->append(buf, n);
  int status = ::pclose(pipe);
  ::unlink(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(PromtoolTest, RenderedRegistryPassesPromtoolCheckMetrics) {
  if (::access("/usr/bin/promtool", X_OK) != 0) GTEST_SKIP() << "promtool not installed";
  MetricsRegistry r({{"component", "metrics"}});
  r.AddCounter("vigil_samples_ingested_total", "Samples ingested.").Inc(12345);
  r.AddGauge("vigil_active_series", "Series in the head block.").Set(-0.5);
  auto& requests = r.AddCounterFamily("vigil_http_requests_total", "HTTP requests by handler and code.",
                                      {"handler", "code"});
  requests.WithLabels({"/api/v1/query", "200"}).Inc();
  requests.WithLabels({"/weird\"path\\\n", "500"}).Inc(3);
  r.AddGaugeFamily("vigil_queue_items", "Items per queue.\nSecond line with \\ backslash.", {"queue"})
      .WithLabels({"wal"})
      .Set(7);
  Histogram& latency = r.AddHistogram("vigil_request_duration_seconds", "Request latency.",
                                      MetricsRegistry::DefaultBuckets());
  for (double v : {0.001, 0.02, 0.3, 4.0, 100.0}) latency.Observe(v);
  auto& sizes = r.AddHistogramFamily("vigil_response_size_bytes", "Response sizes.", {"handler"},
                                     MetricsRegistry::ExponentialBuckets(100, 10, 6));
  sizes.WithLabels({"query"}).Observe(5000);
  sizes.WithLabels({"export"}).Observe(1e9);
  r.AddGaugeFunc("vigil_temperature_celsius", "A func gauge.", [] { return 21.5; });
  r.AddCounterFunc("vigil_func_events_total", "A func counter.", [] { return 1e20; });
  r.AddGaugeFunc("vigil_unknown_ratio", "A NaN gauge.", [] { return kNaN; });

  const std::string text = r.Render();
  std::string output;
  int rc = RunPromtoolCheck(text, &output);
  EXPECT_EQ(rc, 0) << output << "\n--- input ---\n" << text;
  EXPECT_EQ(output, "") << text;
}

}  // namespace
}  // namespace vigil
