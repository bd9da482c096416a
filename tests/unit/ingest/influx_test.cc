#include "ingest/influx.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace vigil::ingest {
namespace {

using ::testing::HasSubstr;
using Labels = std::vector<std::pair<std::string, std::string>>;

struct Row {
  Labels labels;
  int64_t t;
  double v;
};

class CollectingSink : public RowSink {
 public:
  void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) override {
    EXPECT_EQ(samples.size(), 1u) << "influx emits one sample per series";
    Labels owned;
    for (const LabelPair& l : labels) owned.emplace_back(std::string(l.name), std::string(l.value));
    for (const Sample& s : samples) rows.push_back(Row{owned, s.timestamp_ms, s.value});
  }
  std::vector<Row> rows;
};

constexpr int64_t kNow = 1700000000123;

struct Parsed {
  Status status;
  std::vector<Row> rows;
  IngestStats stats;
};

Parsed Parse(std::string_view body, InfluxOptions options = {}) {
  if (options.now_ms == 0) options.now_ms = kNow;
  Parsed p;
  CollectingSink sink;
  p.status = ParseInfluxLines(body, options, &sink, &p.stats);
  p.rows = std::move(sink.rows);
  return p;
}

// Parses one line that must be invalid and returns its message.
std::string ErrorOf(std::string_view line) {
  InfluxOptions options;
  options.on_error = LineErrorPolicy::kRejectRequest;
  Parsed p = Parse(line, options);
  EXPECT_EQ(p.status.code(), Status::Code::kInvalidArgument) << line;
  EXPECT_TRUE(p.rows.empty());
  return p.status.message();
}

TEST(Influx, GoldenLineWithEveryFieldType) {
  const Parsed p = Parse("cpu,host=a,region=eu usage=1.5,count=10i,big=18446744073709551615u,up=true,down=F,"
                         "note=\"hello world, x=1\",num=\"42.5\" 1700000000000000000\n");
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.rows.size(), 6u);
  const std::vector<std::pair<std::string, double>> want = {
      {"cpu_usage", 1.5}, {"cpu_count", 10}, {"cpu_big", 18446744073709551615.0},
      {"cpu_up", 1},      {"cpu_down", 0},   {"cpu_num", 42.5}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(p.rows[i].labels, (Labels{{"__name__", want[i].first}, {"host", "a"}, {"region", "eu"}}));
    EXPECT_EQ(p.rows[i].v, want[i].second) << want[i].first;
    EXPECT_EQ(p.rows[i].t, 1700000000000);
  }
  EXPECT_EQ(p.stats.string_fields_skipped, 1u);
  EXPECT_EQ(p.stats.series_emitted, 6u);
  EXPECT_EQ(p.stats.samples_emitted, 6u);
  EXPECT_EQ(p.stats.invalid_lines, 0u);
}

TEST(Influx, FieldNamedValueStillGetsMeasurementPrefix) {
  const Parsed p = Parse("temp value=21.5");
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].labels, (Labels{{"__name__", "temp_value"}}));
}

TEST(Influx, EmptyMeasurementUsesFieldNameAlone) {
  const Parsed p = Parse(",host=a load=0.5");
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].labels, (Labels{{"__name__", "load"}, {"host", "a"}}));
}

TEST(Influx, MissingTimestampUsesNow) {
  const Parsed p = Parse("m f=1\nm f=2 \n");
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].t, kNow);
  EXPECT_EQ(p.rows[1].t, kNow) << "trailing space, no timestamp";
}

TEST(Influx, PrecisionConvertsToMilliseconds) {
  auto ts = [](InfluxPrecision precision, std::string_view line) {
    InfluxOptions o;
    o.precision = precision;
    const Parsed p = Parse(line, o);
    EXPECT_TRUE(p.status.ok());
    return p.rows.empty() ? -1 : p.rows[0].t;
  };
  EXPECT_EQ(ts(InfluxPrecision::kNanoseconds, "m f=1 1700000000123456789"), 1700000000123);
  EXPECT_EQ(ts(InfluxPrecision::kMicroseconds, "m f=1 1700000000123456"), 1700000000123);
  EXPECT_EQ(ts(InfluxPrecision::kMilliseconds, "m f=1 1700000000123"), 1700000000123);
  EXPECT_EQ(ts(InfluxPrecision::kSeconds, "m f=1 1700000000"), 1700000000000);
  EXPECT_EQ(ts(InfluxPrecision::kMinutes, "m f=1 2"), 120000);
  EXPECT_EQ(ts(InfluxPrecision::kHours, "m f=1 2"), 7200000);
  EXPECT_EQ(ts(InfluxPrecision::kNanoseconds, "m f=1 -1500000"), -1) << "truncated toward zero";
}

TEST(Influx, PrecisionArgument) {
  EXPECT_EQ(*ParseInfluxPrecision(""), InfluxPrecision::kNanoseconds);
  EXPECT_EQ(*ParseInfluxPrecision("ns"), InfluxPrecision::kNanoseconds);
  EXPECT_EQ(*ParseInfluxPrecision("u"), InfluxPrecision::kMicroseconds);
  EXPECT_EQ(*ParseInfluxPrecision("us"), InfluxPrecision::kMicroseconds);
  EXPECT_EQ(*ParseInfluxPrecision("\xc2\xb5"), InfluxPrecision::kMicroseconds);
  EXPECT_EQ(*ParseInfluxPrecision("ms"), InfluxPrecision::kMilliseconds);
  EXPECT_EQ(*ParseInfluxPrecision("s"), InfluxPrecision::kSeconds);
  EXPECT_EQ(*ParseInfluxPrecision("m"), InfluxPrecision::kMinutes);
  EXPECT_EQ(*ParseInfluxPrecision("h"), InfluxPrecision::kHours);
  const auto bad = ParseInfluxPrecision("d");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unsupported influx precision \"d\"; want one of ns, us, ms, s, m, h");
}

TEST(Influx, TimestampOverflowForPrecisionIsAnError) {
  InfluxOptions o;
  o.precision = InfluxPrecision::kHours;
  o.on_error = LineErrorPolicy::kRejectRequest;
  const Parsed p = Parse("m f=1 9223372036854775", o);
  EXPECT_THAT(p.status.message(), HasSubstr("timestamp 9223372036854775 is out of range for its precision"));
}

TEST(Influx, DbArgumentBecomesLabelUnlessLineHasDbTag) {
  InfluxOptions o;
  o.db = "telegraf";
  const Parsed p = Parse("m,host=a f=1\nm,db=own f=2", o);
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].labels, (Labels{{"__name__", "m_f"}, {"host", "a"}, {"db", "telegraf"}}));
  EXPECT_EQ(p.rows[1].labels, (Labels{{"__name__", "m_f"}, {"db", "own"}}));
}

TEST(Influx, EscapesInMeasurementTagsAndFieldKeys) {
  const Parsed p = Parse(R"(my\ meas\,x,t\=k=v\ 1\,2\=3,path=C:\dir f\ 1\=\,=1)");
  ASSERT_TRUE(p.status.ok()) << p.stats.first_error;
  ASSERT_EQ(p.rows.size(), 1u) << p.stats.first_error;
  EXPECT_EQ(p.rows[0].labels,
            (Labels{{"__name__", "my meas,x_f 1=,"}, {"t=k", "v 1,2=3"}, {"path", R"(C:\dir)"}}));
}

TEST(Influx, DoubleBackslashBeforeSeparatorDoesNotEscapeIt) {
  const Parsed p = Parse(R"(m,t=a\\ f=1)");
  ASSERT_EQ(p.rows.size(), 1u) << p.stats.first_error;
  EXPECT_EQ(p.rows[0].labels, (Labels{{"__name__", "m_f"}, {"t", R"(a\)"}}));
}

TEST(Influx, QuotedStringsMayHoldSpacesCommasAndEscapedQuotes) {
  const Parsed p = Parse(R"(m s="a \"quoted\", b=c d",x=2 1000000)");
  ASSERT_EQ(p.rows.size(), 1u) << p.stats.first_error;
  EXPECT_EQ(p.rows[0].labels, (Labels{{"__name__", "m_x"}}));
  EXPECT_EQ(p.rows[0].v, 2);
  EXPECT_EQ(p.rows[0].t, 1);
  EXPECT_EQ(p.stats.string_fields_skipped, 1u);
}

TEST(Influx, BooleanSpellings) {
  for (const char* t : {"t", "T", "true", "True", "TRUE"}) {
    const Parsed p = Parse(std::string("m b=") + t);
    ASSERT_EQ(p.rows.size(), 1u) << t;
    EXPECT_EQ(p.rows[0].v, 1) << t;
  }
  for (const char* f : {"f", "F", "false", "False", "FALSE"}) {
    const Parsed p = Parse(std::string("m b=") + f);
    ASSERT_EQ(p.rows.size(), 1u) << f;
    EXPECT_EQ(p.rows[0].v, 0) << f;
  }
}

TEST(Influx, FloatSpellings) {
  const Parsed p = Parse("m a=-1.5e3,b=+2,c=.5,d=inf,e=-Inf,g=NaN,h=1E-2");
  ASSERT_EQ(p.rows.size(), 7u) << p.stats.first_error;
  EXPECT_EQ(p.rows[0].v, -1500);
  EXPECT_EQ(p.rows[1].v, 2);
  EXPECT_EQ(p.rows[2].v, 0.5);
  EXPECT_TRUE(std::isinf(p.rows[3].v) && p.rows[3].v > 0);
  EXPECT_TRUE(std::isinf(p.rows[4].v) && p.rows[4].v < 0);
  EXPECT_TRUE(std::isnan(p.rows[5].v));
  EXPECT_EQ(p.rows[6].v, 0.01);
}

TEST(Influx, CommentsBlankLinesCrlfAndLeadingSpaceAreSkipped) {
  const Parsed p = Parse("# a comment\n\n   \r\n  m f=1\r\n\t# indented comment\nm f=2");
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.stats.invalid_lines, 0u);
}

TEST(Influx, EmptyTagKeyOrValueIsDropped) {
  const Parsed p = Parse("m,a=,=b,c=d f=1");
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].labels, (Labels{{"__name__", "m_f"}, {"c", "d"}}));
}

TEST(Influx, SkipPolicyKeepsGoodLinesAndCountsBadOnes) {
  const Parsed p = Parse("m f=1\nbad\nm f=x\nm f=3");
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[1].v, 3);
  EXPECT_EQ(p.stats.invalid_lines, 2u);
  EXPECT_EQ(p.stats.first_error,
            "cannot parse influx line 2: missing fields: no space after the measurement and tags; line: bad");
}

TEST(Influx, RejectPolicyEmitsNothingWhenAnyLineIsBad) {
  InfluxOptions o;
  o.on_error = LineErrorPolicy::kRejectRequest;
  const Parsed p = Parse("m f=1\nm f=2\nm f=oops 5\n", o);
  EXPECT_EQ(p.status.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(p.status.message(), "cannot parse influx line 3: cannot parse value \"oops\" of field \"f\"; line: m f=oops 5");
  EXPECT_TRUE(p.rows.empty());
  EXPECT_EQ(p.stats.invalid_lines, 1u);
  const Parsed good = Parse("m f=1\nm f=2\n", o);
  EXPECT_TRUE(good.status.ok());
  EXPECT_EQ(good.rows.size(), 2u);
}

TEST(InfluxErrors, EveryLineErrorHasItsMessage) {
  EXPECT_THAT(ErrorOf("m"), HasSubstr("missing fields: no space after the measurement and tags"));
  EXPECT_THAT(ErrorOf("m "), HasSubstr(": missing fields;"));
  EXPECT_THAT(ErrorOf("m,tag f=1"), HasSubstr("missing '=' in tag \"tag\""));
  EXPECT_THAT(ErrorOf("m f"), HasSubstr("missing '=' in field \"f\""));
  EXPECT_THAT(ErrorOf("m f=1,"), HasSubstr("missing '=' in field \"\""));
  EXPECT_THAT(ErrorOf("m =1"), HasSubstr("empty field key in \"=1\""));
  EXPECT_THAT(ErrorOf("m f="), HasSubstr("empty value for field \"f\""));
  EXPECT_THAT(ErrorOf("m f=\"abc"), HasSubstr("missing closing quote in the value of field \"f\""));
  EXPECT_THAT(ErrorOf("m f=\""), HasSubstr("missing closing quote in the value of field \"f\""));
  EXPECT_THAT(ErrorOf("m f=1.5i"), HasSubstr("cannot parse integer value \"1.5i\" of field \"f\""));
  EXPECT_THAT(ErrorOf("m f=99999999999999999999i"), HasSubstr("cannot parse integer value"));
  EXPECT_THAT(ErrorOf("m f=-1u"), HasSubstr("cannot parse unsigned value \"-1u\" of field \"f\""));
  EXPECT_THAT(ErrorOf("m f=abc"), HasSubstr("cannot parse value \"abc\" of field \"f\""));
  EXPECT_THAT(ErrorOf("m f=1 12ab"), HasSubstr("cannot parse timestamp \"12ab\""));
  EXPECT_THAT(ErrorOf("m f=1 1 2"), HasSubstr("cannot parse timestamp \"1 2\""));
}

TEST(InfluxLimits, LongLineIsInvalid) {
  InfluxOptions o;
  o.limits.max_influx_line_bytes = 10;
  const Parsed p = Parse("m f=1\nmeasurement f=1\n", o);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.stats.first_error, "influx line 2 has 15 bytes, more than max_influx_line_bytes=10");
}

TEST(InfluxLimits, SeriesPastLabelLimitsAreDroppedPerField) {
  InfluxOptions o;
  o.db = "d";
  o.limits.max_labels_per_series = 3;  // __name__ + 2 tags + db = 4
  o.limits.max_label_value_bytes = 8;
  const Parsed p = Parse("m,a=1,b=2 f=1\nm,a=1 f=1,long_field_name=2", o);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].labels, (Labels{{"__name__", "m_f"}, {"a", "1"}, {"db", "d"}}));
  EXPECT_EQ(p.stats.series_dropped_by_limits, 2u);
  EXPECT_EQ(p.stats.first_error, "series \"m_f\" has 4 labels, more than max_labels_per_series=3");
}

TEST(InfluxLimits, MaxSamplesPerRequest) {
  InfluxOptions o;
  o.limits.max_samples_per_request = 3;
  Parsed p = Parse("m a=1,b=2\nm a=1,b=2\n", o);
  EXPECT_EQ(p.status.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(p.status.message(), "influx request has more than max_samples_per_request=3 samples (at least 4)");
  EXPECT_EQ(p.rows.size(), 2u) << "skip policy: the first line was emitted before the limit";
  o.on_error = LineErrorPolicy::kRejectRequest;
  p = Parse("m a=1,b=2\nm a=1,b=2\n", o);
  EXPECT_EQ(p.status.code(), Status::Code::kResourceExhausted);
  EXPECT_TRUE(p.rows.empty()) << "reject policy: nothing emitted";
}

TEST(Influx, StatsAccumulateAcrossCalls) {
  IngestStats stats;
  CollectingSink sink;
  InfluxOptions o;
  ASSERT_TRUE(ParseInfluxLines("m f=1\nbad1", o, &sink, &stats).ok());
  ASSERT_TRUE(ParseInfluxLines("m f=2\nbad2", o, &sink, &stats).ok());
  EXPECT_EQ(stats.series_emitted, 2u);
  EXPECT_EQ(stats.invalid_lines, 2u);
  EXPECT_THAT(stats.first_error, HasSubstr("line: bad1"));
}

}  // namespace
}  // namespace vigil::ingest
