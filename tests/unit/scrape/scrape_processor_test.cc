#include "scrape/scrape_processor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <map>

namespace vigil::scrape {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The rows of a batch as "labels -> value" (stale markers as "stale").
std::map<std::string, std::string> Rows(const tsdb::WriteBatch& batch) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < batch.num_rows(); ++i) {
    auto row = batch.row(i);
    double v = row.samples[0].value;
    std::string text = std::bit_cast<uint64_t>(v) == std::bit_cast<uint64_t>(StaleNaN()) ? "stale"
                                                                                            : std::to_string(v);
    out[row.labels.ToString()] = text;
  }
  return out;
}

tsdb::Labels TargetLabels() { return tsdb::Labels::FromPairs({{"job", "node"}, {"instance", "h:1"}}); }

ScrapeAttempt Body(std::string_view body, int64_t ts = 1000) {
  ScrapeAttempt a;
  a.timestamp_ms = ts;
  a.body = body;
  a.duration_seconds = 0.5;
  return a;
}

TEST(ScrapeProcessorTest, AttachesTargetLabelsAndReportSeries) {
  ScrapeProcessor p({}, TargetLabels());
  tsdb::WriteBatch batch;
  ScrapeOutcome o = p.Process(Body("a 1\nb{x=\"y\"} 2\n"), &batch);
  ASSERT_TRUE(o.error.ok());
  EXPECT_EQ(o.samples_scraped, 2u);
  EXPECT_EQ(o.samples_post_relabel, 2u);
  EXPECT_EQ(o.series_added, 2u);
  auto rows = Rows(batch);
  EXPECT_EQ(rows["a{instance=\"h:1\", job=\"node\"}"], "1.000000");
  EXPECT_EQ(rows["b{instance=\"h:1\", job=\"node\", x=\"y\"}"], "2.000000");
  EXPECT_EQ(rows["up{instance=\"h:1\", job=\"node\"}"], "1.000000");
  EXPECT_EQ(rows["scrape_duration_seconds{instance=\"h:1\", job=\"node\"}"], "0.500000");
  EXPECT_EQ(rows["scrape_samples_scraped{instance=\"h:1\", job=\"node\"}"], "2.000000");
  EXPECT_EQ(rows["scrape_samples_post_metric_relabeling{instance=\"h:1\", job=\"node\"}"], "2.000000");
  EXPECT_EQ(rows["scrape_series_added{instance=\"h:1\", job=\"node\"}"], "2.000000");
  EXPECT_EQ(batch.num_rows(), 7u);
  for (size_t i = 0; i < batch.num_rows(); ++i) EXPECT_EQ(batch.row(i).samples[0].timestamp_ms, 1000);
}

TEST(ScrapeProcessorTest, ClashingScrapedLabelsBecomeExported) {
  ScrapeProcessor p({}, TargetLabels());
  tsdb::WriteBatch batch;
  p.Process(Body("a{job=\"app\",exported_job=\"z\"} 1\n"), &batch);
  EXPECT_EQ(Rows(batch).count("a{exported_exported_job=\"app\", exported_job=\"z\", instance=\"h:1\", job=\"node\"}"),
            1u);
}

TEST(ScrapeProcessorTest, HonorLabelsKeepsScrapedValues) {
  ProcessorOptions o;
  o.honor_labels = true;
  ScrapeProcessor p(std::move(o), TargetLabels());
  tsdb::WriteBatch batch;
  p.Process(Body("a{job=\"app\"} 1\n"), &batch);
  EXPECT_EQ(Rows(batch).count("a{instance=\"h:1\", job=\"app\"}"), 1u);
}

TEST(ScrapeProcessorTest, MetricRelabelingDropsBeforeCounting) {
  ProcessorOptions o;
  o.metric_relabel = *relabel::Relabeler::Compile(
      {relabel::RelabelConfig{.source_labels = {"__name__"}, .separator = ";", .regex = "go_.*", .modulus = 0,
                              .target_label = "", .replacement = "$1", .action = relabel::Action::kDrop}});
  ScrapeProcessor p(std::move(o), TargetLabels());
  tsdb::WriteBatch batch;
  ScrapeOutcome out = p.Process(Body("go_x 1\nkeep 2\n"), &batch);
  EXPECT_EQ(out.samples_scraped, 2u);
  EXPECT_EQ(out.samples_post_relabel, 1u);
  EXPECT_EQ(Rows(batch).count("go_x{instance=\"h:1\", job=\"node\"}"), 0u);
}

TEST(ScrapeProcessorTest, DisappearedSeriesGetStaleMarkers) {
  ScrapeProcessor p({}, TargetLabels());
  tsdb::WriteBatch first;
  p.Process(Body("a 1\nb 2\n", 1000), &first);
  tsdb::WriteBatch second;
  ScrapeOutcome o = p.Process(Body("a 1\nc 3\n", 2000), &second);
  auto rows = Rows(second);
  EXPECT_EQ(rows["b{instance=\"h:1\", job=\"node\"}"], "stale");
  EXPECT_EQ(rows["a{instance=\"h:1\", job=\"node\"}"], "1.000000");
  EXPECT_EQ(o.series_added, 1u);  // only c is new
}

TEST(ScrapeProcessorTest, ExplicitTimestampsAreHonoredAndNotTrackedForStaleness) {
  ScrapeProcessor p({}, TargetLabels());
  tsdb::WriteBatch first;
  p.Process(Body("a 1 500\n", 1000), &first);
  EXPECT_EQ(first.row(0).samples[0].timestamp_ms, 500);
  EXPECT_EQ(p.tracked_series(), 0u);
  tsdb::WriteBatch second;
  p.Process(Body("", 2000), &second);
  EXPECT_EQ(Rows(second).count("a{instance=\"h:1\", job=\"node\"}"), 0u);

  ProcessorOptions o;
  o.honor_timestamps = false;
  ScrapeProcessor ignoring(std::move(o), TargetLabels());
  tsdb::WriteBatch third;
  ignoring.Process(Body("a 1 500\n", 1000), &third);
  EXPECT_EQ(third.row(0).samples[0].timestamp_ms, 1000);
  EXPECT_EQ(ignoring.tracked_series(), 1u);
}

TEST(ScrapeProcessorTest, SampleLimitFailsTheWholeScrape) {
  ProcessorOptions o;
  o.sample_limit = 1;
  ScrapeProcessor p(std::move(o), TargetLabels());
  tsdb::WriteBatch batch;
  ScrapeOutcome out = p.Process(Body("a 1\nb 2\n"), &batch);
  EXPECT_EQ(out.error.message(), "sample limit exceeded");
  auto rows = Rows(batch);
  EXPECT_EQ(rows.count("a{instance=\"h:1\", job=\"node\"}"), 0u);
  EXPECT_EQ(rows["up{instance=\"h:1\", job=\"node\"}"], "0.000000");
}

TEST(ScrapeProcessorTest, LabelLimitsNameTheMetric) {
  ProcessorOptions o;
  o.label_value_length_limit = 3;
  ScrapeProcessor p(std::move(o), TargetLabels());
  tsdb::WriteBatch batch;
  ScrapeOutcome out = p.Process(Body("m{path=\"/long\"} 1\n"), &batch);
  EXPECT_THAT(out.error.message(), HasSubstr("label_value_length_limit exceeded (metric: m, label name: job, value: \"node\""));
  ProcessorOptions n;
  n.label_limit = 2;
  ScrapeProcessor q(std::move(n), TargetLabels());
  tsdb::WriteBatch b2;
  EXPECT_EQ(q.Process(Body("m 1\n"), &b2).error.message(),
            "label_limit exceeded (metric: m, number of labels: 3, limit: 2)");
}

TEST(ScrapeProcessorTest, FailedScrapeMarksPreviousSeriesStale) {
  ScrapeProcessor p({}, TargetLabels());
  tsdb::WriteBatch first;
  p.Process(Body("a 1\n", 1000), &first);
  ScrapeAttempt failed = Body("", 2000);
  failed.fetch_error = Status::Unavailable("server returned HTTP status 500 Internal Server Error");
  tsdb::WriteBatch second;
  ScrapeOutcome out = p.Process(failed, &second);
  EXPECT_FALSE(out.error.ok());
  auto rows = Rows(second);
  EXPECT_EQ(rows["a{instance=\"h:1\", job=\"node\"}"], "stale");
  EXPECT_EQ(rows["up{instance=\"h:1\", job=\"node\"}"], "0.000000");
}

TEST(ScrapeProcessorTest, GarbageBodyIsAParseError) {
  ScrapeProcessor p({}, TargetLabels());
  tsdb::WriteBatch batch;
  ScrapeOutcome out = p.Process(Body("a 1\n{{{ garbage\n"), &batch);
  EXPECT_FALSE(out.error.ok());
  EXPECT_EQ(Rows(batch)["up{instance=\"h:1\", job=\"node\"}"], "0.000000");
  EXPECT_EQ(Rows(batch).count("a{instance=\"h:1\", job=\"node\"}"), 0u);
}

TEST(ScrapeProcessorTest, OpenMetricsContentTypeSelectsTheOpenMetricsParser) {
  ScrapeProcessor p({}, TargetLabels());
  tsdb::WriteBatch batch;
  ScrapeAttempt a = Body("# TYPE c counter\nc_total 3\n# EOF\n");
  a.content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
  ASSERT_TRUE(p.Process(a, &batch).error.ok());
  EXPECT_EQ(Rows(batch)["c_total{instance=\"h:1\", job=\"node\"}"], "3.000000");
  ScrapeProcessor text({}, TargetLabels());
  tsdb::WriteBatch b2;
  EXPECT_FALSE(text.Process(Body("c_total 3\n# EOF\nx 1\n"), &b2).error.ok() &&
               Rows(b2).count("x{instance=\"h:1\", job=\"node\"}") == 0);
}

TEST(ScrapeProcessorTest, EndOfRunStalesSeriesAndReport) {
  ProcessorOptions o;
  o.external_labels = {{"dc", "a"}};
  ScrapeProcessor p(std::move(o), TargetLabels());
  tsdb::WriteBatch first;
  p.Process(Body("a 1\n"), &first);
  EXPECT_EQ(Rows(first)["a{dc=\"a\", instance=\"h:1\", job=\"node\"}"], "1.000000");
  tsdb::WriteBatch end;
  p.AppendEndOfRun(5000, &end);
  auto rows = Rows(end);
  EXPECT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows["up{dc=\"a\", instance=\"h:1\", job=\"node\"}"], "stale");
  EXPECT_EQ(rows["a{dc=\"a\", instance=\"h:1\", job=\"node\"}"], "stale");
}

}  // namespace
}  // namespace vigil::scrape

namespace vigil::scrape {
namespace {

TEST(ScrapeProcessorTest, LearnedRefsAreHintsInLaterBatches) {
  ScrapeProcessor p({}, TargetLabels());
  tsdb::WriteBatch first;
  p.Process(Body("a 1\nb 2\n", 1000), &first);
  std::vector<tsdb::SeriesRefHint> refs(first.num_rows());
  for (size_t i = 0; i < refs.size(); ++i) refs[i] = {100 + i, 7};
  p.LearnRefs(refs);
  tsdb::WriteBatch second;
  p.Process(Body("a 1\nb 2\n", 2000), &second);
  ASSERT_GE(second.num_rows(), 2u);
  EXPECT_EQ(second.row(0).hint.generation, 7u);
  EXPECT_EQ(second.row(0).hint.ref, 100u);
  EXPECT_EQ(second.row(1).hint.ref, 101u);
  EXPECT_EQ(second.row(0).labels.ToString(), "a{instance=\"h:1\", job=\"node\"}");
}

}  // namespace
}  // namespace vigil::scrape
