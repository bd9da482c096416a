// ParseToSink, the metadata table, MetricFamilyOf, and real exporter output.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "textparse/textparse.h"

namespace vigil::textparse {
namespace {

struct Row {
  std::vector<std::pair<std::string, std::string>> labels;
  int64_t timestamp_ms;
  double value;
};

class CollectingSink : public RowSink {
 public:
  void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) override {
    ASSERT_EQ(samples.size(), 1u);
    Row row{{}, samples[0].timestamp_ms, samples[0].value};
    for (const LabelPair& l : labels) row.labels.emplace_back(l.name, l.value);
    rows.push_back(std::move(row));
  }
  std::vector<Row> rows;
};

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(VIGIL_TESTDATA_DIR) + "/textparse/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ParseToSink, EmitsNameFirstThenLabelsWithOwnOrDefaultTimestamp) {
  CollectingSink sink;
  ParseStats stats;
  Status s = ParseToSink("# HELP m help\n# TYPE m gauge\n# note\nm{b=\"2\",a=\"1\"} 3.5\nn 4 1000\n", Format::kPrometheus,
                         777, sink, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(sink.rows.size(), 2u);
  using Labels = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(sink.rows[0].labels, (Labels{{"__name__", "m"}, {"b", "2"}, {"a", "1"}}));
  EXPECT_EQ(sink.rows[0].timestamp_ms, 777);
  EXPECT_EQ(sink.rows[0].value, 3.5);
  EXPECT_EQ(sink.rows[1].labels, (Labels{{"__name__", "n"}}));
  EXPECT_EQ(sink.rows[1].timestamp_ms, 1000);
  EXPECT_EQ(stats.samples, 2u);
  EXPECT_EQ(stats.metadata, 2u);
  EXPECT_EQ(stats.comments, 1u);
  EXPECT_EQ(stats.errors, 0u);
  EXPECT_TRUE(stats.first_error.ok());
}

TEST(ParseToSink, StopAtFirstErrorReturnsItAfterEarlierSamples) {
  CollectingSink sink;
  ParseStats stats;
  Status s = ParseToSink("a 1\nb{ 2\nc 3\n", Format::kPrometheus, 0, sink, &stats);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "line 2: expected label name, got \"2\"");
  EXPECT_EQ(sink.rows.size(), 1u);
  EXPECT_EQ(stats.errors, 1u);
  EXPECT_EQ(stats.first_error.message(), s.message());
}

TEST(ParseToSink, SkipModeCountsBadLinesAndKeepsTheRest) {
  CollectingSink sink;
  ParseStats stats;
  ParseOptions options;
  options.stop_at_first_error = false;
  Status s = ParseToSink("a 1\nb{ 2\nc 3\nd x\ne 5\n", Format::kPrometheus, 0, sink, &stats, options);
  EXPECT_TRUE(s.ok());
  ASSERT_EQ(sink.rows.size(), 3u);
  EXPECT_EQ(sink.rows[2].labels[0].second, "e");
  EXPECT_EQ(stats.errors, 2u);
  EXPECT_EQ(stats.first_error.message(), "line 2: expected label name, got \"2\"");
}

TEST(ParseToSink, NullStatsIsAllowed) {
  CollectingSink sink;
  EXPECT_TRUE(ParseToSink("a 1\n", Format::kPrometheus, 0, sink, nullptr).ok());
  EXPECT_EQ(sink.rows.size(), 1u);
}

TEST(ParseToSink, OpenMetricsWithoutEofFailsAfterDeliveringSamples) {
  CollectingSink sink;
  Status s = ParseToSink("a 1 1.5\n", Format::kOpenMetrics, 0, sink, nullptr);
  EXPECT_EQ(s.message(), "line 2: data does not end with # EOF");
  ASSERT_EQ(sink.rows.size(), 1u);
  EXPECT_EQ(sink.rows[0].timestamp_ms, 1500);
}

TEST(ParseToSink, FillsMetadataTableAndUnitIsACommentInPrometheusFormat) {
  CollectingSink sink;
  ParseStats stats;
  MetadataTable metadata;
  ParseOptions options;
  options.metadata = &metadata;
  Status s = ParseToSink(
      "# HELP http_request_duration_seconds Latency.\n# TYPE http_request_duration_seconds histogram\n"
      "# UNIT http_request_duration_seconds seconds\nhttp_request_duration_seconds_bucket{le=\"+Inf\"} 3\n",
      Format::kPrometheus, 0, sink, &stats, options);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(stats.metadata, 2u);
  EXPECT_EQ(stats.comments, 1u);
  const MetadataTable::Metadata* md = metadata.FindForSeries("http_request_duration_seconds_bucket");
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(md->type, MetricType::kHistogram);
  EXPECT_TRUE(md->has_type);
  EXPECT_TRUE(md->has_help);
  EXPECT_EQ(md->help, "Latency.");
  EXPECT_EQ(md->unit, "");
}

TEST(MetadataTable, FindAndFindForSeries) {
  MetadataTable table;
  TextParser parser(
      "# HELP http_request_duration_seconds Latency.\n"
      "# TYPE http_request_duration_seconds histogram\n"
      "# HELP x_total Things.\n"
      "# TYPE x_total counter\n"
      "# TYPE x_total gauge\n"
      "# TYPE rpc summary\n"
      "# TYPE build info\n"
      "# TYPE requests counter\n"
      "# UNIT rpc_seconds seconds\n"
      "# EOF\n",
      Format::kOpenMetrics);
  for (const Entry* e = &parser.Next(); e->kind != EntryKind::kEOF; e = &parser.Next()) {
    ASSERT_NE(e->kind, EntryKind::kError) << parser.status().ToString();
    table.Observe(*e);
  }
  EXPECT_EQ(table.size(), 6u);
  const MetadataTable::Metadata* md = table.Find("x_total");
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(md->type, MetricType::kGauge);  // the later TYPE wins
  EXPECT_EQ(md->help, "Things.");

  std::string_view family;
  md = table.FindForSeries("http_request_duration_seconds_bucket", &family);
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(family, "http_request_duration_seconds");
  EXPECT_EQ(md->help, "Latency.");
  EXPECT_NE(table.FindForSeries("http_request_duration_seconds_created"), nullptr);
  EXPECT_NE(table.FindForSeries("rpc_count"), nullptr);
  EXPECT_EQ(table.FindForSeries("rpc_bucket"), nullptr);  // summaries have no buckets
  EXPECT_NE(table.FindForSeries("build_info"), nullptr);
  EXPECT_NE(table.FindForSeries("requests_total"), nullptr);
  EXPECT_NE(table.FindForSeries("requests_created"), nullptr);
  EXPECT_EQ(table.FindForSeries("x_total_total"), nullptr);  // x_total is a gauge now
  EXPECT_EQ(table.FindForSeries("unknown_metric"), nullptr);
  ASSERT_NE(table.Find("rpc_seconds"), nullptr);
  EXPECT_EQ(table.Find("rpc_seconds")->unit, "seconds");
}

TEST(MetricFamilyOf, StripsTheSuffixesOfEachType) {
  EXPECT_EQ(MetricFamilyOf("x_total", MetricType::kCounter), "x");
  EXPECT_EQ(MetricFamilyOf("x_created", MetricType::kCounter), "x");
  EXPECT_EQ(MetricFamilyOf("x", MetricType::kCounter), "x");
  EXPECT_EQ(MetricFamilyOf("h_bucket", MetricType::kHistogram), "h");
  EXPECT_EQ(MetricFamilyOf("h_count", MetricType::kHistogram), "h");
  EXPECT_EQ(MetricFamilyOf("h_sum", MetricType::kHistogram), "h");
  EXPECT_EQ(MetricFamilyOf("h_created", MetricType::kHistogram), "h");
  EXPECT_EQ(MetricFamilyOf("g_gcount", MetricType::kGaugeHistogram), "g");
  EXPECT_EQ(MetricFamilyOf("g_gsum", MetricType::kGaugeHistogram), "g");
  EXPECT_EQ(MetricFamilyOf("g_bucket", MetricType::kGaugeHistogram), "g");
  EXPECT_EQ(MetricFamilyOf("s_count", MetricType::kSummary), "s");
  EXPECT_EQ(MetricFamilyOf("s_bucket", MetricType::kSummary), "s_bucket");
  EXPECT_EQ(MetricFamilyOf("b_info", MetricType::kInfo), "b");
  EXPECT_EQ(MetricFamilyOf("x_total", MetricType::kGauge), "x_total");
  EXPECT_EQ(MetricFamilyOf("x_total", MetricType::kUnknown), "x_total");
  EXPECT_EQ(MetricFamilyOf("_total", MetricType::kCounter), "_total");  // never strips to ""
}

TEST(MetricTypeName, OpenMetricsNames) {
  EXPECT_EQ(MetricTypeName(MetricType::kUnknown), "unknown");
  EXPECT_EQ(MetricTypeName(MetricType::kGaugeHistogram), "gaugehistogram");
  EXPECT_EQ(MetricTypeName(MetricType::kStateset), "stateset");
}

// tests/data/textparse/node_exporter.txt: real output of Debian's
// prometheus-node-exporter 1.5.0 (see the README there).
TEST(RealExporterOutput, NodeExporterEverySampleRead) {
  std::string body = ReadFixture("node_exporter.txt");
  size_t sample_lines = 0, type_lines = 0, help_lines = 0;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# TYPE ")) {
      ++type_lines;
    } else if (line.starts_with("# HELP ")) {
      ++help_lines;
    } else if (!line.empty() && line[0] != '#') {
      ++sample_lines;
    }
  }
  ASSERT_GT(sample_lines, 400u);
  CollectingSink sink;
  ParseStats stats;
  MetadataTable metadata;
  ParseOptions options;
  options.metadata = &metadata;
  Status s = ParseToSink(body, Format::kPrometheus, 42, sink, &stats, options);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(stats.samples, sample_lines);
  EXPECT_EQ(stats.metadata, type_lines + help_lines);
  EXPECT_EQ(metadata.size(), type_lines);
  for (const Row& row : sink.rows) {
    EXPECT_EQ(row.timestamp_ms, 42);
    EXPECT_NE(metadata.FindForSeries(row.labels[0].second), nullptr) << row.labels[0].second;
  }
}

TEST(RealExporterOutput, PrometheusSelfMetricsEverySampleRead) {
  std::string body = ReadFixture("prometheus.txt");
  CollectingSink sink;
  ParseStats stats;
  Status s = ParseToSink(body, Format::kPrometheus, 0, sink, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GT(stats.samples, 200u);
}

TEST(RealExporterOutput, OpenMetricsFixtureEverySampleRead) {
  std::string body = ReadFixture("openmetrics.txt");
  CollectingSink sink;
  ParseStats stats;
  Status s = ParseToSink(body, Format::kOpenMetrics, 0, sink, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(stats.samples, 17u);
}

}  // namespace
}  // namespace vigil::textparse
