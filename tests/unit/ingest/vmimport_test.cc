#include "ingest/vmimport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "ingest/json_scan.h"

namespace vigil::ingest {
namespace {

using ::testing::HasSubstr;
using Labels = std::vector<std::pair<std::string, std::string>>;

struct Series {
  Labels labels;
  std::vector<Sample> samples;
};

class CollectingSink : public RowSink {
 public:
  void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) override {
    Series s;
    for (const LabelPair& l : labels) s.labels.emplace_back(std::string(l.name), std::string(l.value));
    s.samples.assign(samples.begin(), samples.end());
    series.push_back(std::move(s));
  }
  std::vector<Series> series;
};

struct Parsed {
  Status status;
  std::vector<Series> series;
  IngestStats stats;
};

Parsed Parse(std::string_view body, VmImportOptions options = {}) {
  Parsed p;
  CollectingSink sink;
  p.status = ParseVmImportLines(body, options, &sink, &p.stats);
  p.series = std::move(sink.series);
  return p;
}

// The message for one line that must be invalid.
std::string ErrorOf(std::string_view line) {
  VmImportOptions o;
  o.on_error = LineErrorPolicy::kRejectRequest;
  const Parsed p = Parse(line, o);
  EXPECT_EQ(p.status.code(), Status::Code::kInvalidArgument) << line;
  EXPECT_TRUE(p.series.empty());
  return p.status.message();
}

TEST(VmImport, GoldenExportLine) {
  const Parsed p = Parse(
      R"({"metric":{"__name__":"up","job":"node","instance":"h:9100"},"values":[1,0,1.5],"timestamps":[1549891472010,1549891487010,1549891502010]})"
      "\n");
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.series.size(), 1u);
  EXPECT_EQ(p.series[0].labels, (Labels{{"__name__", "up"}, {"job", "node"}, {"instance", "h:9100"}}));
  ASSERT_EQ(p.series[0].samples.size(), 3u);
  EXPECT_EQ(p.series[0].samples[0].timestamp_ms, 1549891472010);
  EXPECT_EQ(p.series[0].samples[2].value, 1.5);
  EXPECT_EQ(p.stats.series_emitted, 1u);
  EXPECT_EQ(p.stats.samples_emitted, 3u);
}

TEST(VmImport, KeysInAnyOrderWithWhitespaceAndUnknownKeysSkipped) {
  const Parsed p = Parse(
      R"(  { "timestamps" : [ 2 , 1 ] , "extra": {"a":[1,{"b":null}],"c":"\u00e9"}, "values" : [ -1e3 , 2 ] , "metric" : { "__name__" : "x" } }  )");
  ASSERT_TRUE(p.status.ok()) << p.stats.first_error;
  ASSERT_EQ(p.series.size(), 1u) << p.stats.first_error;
  EXPECT_EQ(p.series[0].samples[0].timestamp_ms, 2);
  EXPECT_EQ(p.series[0].samples[0].value, -1000);
  EXPECT_EQ(p.series[0].samples[1].timestamp_ms, 1);
}

TEST(VmImport, SpecialValues) {
  const Parsed p = Parse(
      R"({"metric":{"__name__":"x"},"values":[null,"NaN","nan","null","Null","Inf","-Inf","inf","-infinity","Infinity"],"timestamps":[1,2,3,4,5,6,7,8,9,10]})");
  ASSERT_EQ(p.series.size(), 1u) << p.stats.first_error;
  const auto& s = p.series[0].samples;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(std::isnan(s[i].value)) << i;
  EXPECT_EQ(s[5].value, INFINITY);
  EXPECT_EQ(s[6].value, -INFINITY);
  EXPECT_EQ(s[7].value, INFINITY);
  EXPECT_EQ(s[8].value, -INFINITY);
  EXPECT_EQ(s[9].value, INFINITY);
}

TEST(VmImport, EscapedLabelStringsAreDecoded) {
  const Parsed p = Parse(
      R"({"metric":{"__name__":"a\"b","path":"C:\\x\/y","tab":"\t","emoji":"\ud83d\ude00","lone":"\ud800x"},"values":[1],"timestamps":[1]})");
  ASSERT_EQ(p.series.size(), 1u) << p.stats.first_error;
  EXPECT_EQ(p.series[0].labels, (Labels{{"__name__", "a\"b"},
                                        {"path", "C:\\x/y"},
                                        {"tab", "\t"},
                                        {"emoji", "\xf0\x9f\x98\x80"},
                                        {"lone", "\xef\xbf\xbdx"}}));
}

TEST(VmImport, SkipPolicyKeepsGoodLines) {
  const Parsed p = Parse(
      "{\"metric\":{\"__name__\":\"a\"},\"values\":[1],\"timestamps\":[1]}\n"
      "not json\n"
      "\n"
      "{\"metric\":{\"__name__\":\"b\"},\"values\":[2],\"timestamps\":[2]}\r\n");
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.series.size(), 2u);
  EXPECT_EQ(p.series[1].labels[0].second, "b");
  EXPECT_EQ(p.stats.invalid_lines, 1u);
  EXPECT_EQ(p.stats.first_error,
            "cannot parse vmimport line 2: unexpected \"n\", want '{' starting the line's object at column 1; line: not json");
}

TEST(VmImport, RejectPolicyEmitsNothing) {
  VmImportOptions o;
  o.on_error = LineErrorPolicy::kRejectRequest;
  const Parsed p = Parse(
      "{\"metric\":{\"__name__\":\"a\"},\"values\":[1],\"timestamps\":[1]}\n"
      "{\"metric\":{\"__name__\":\"b\"},\"values\":[1,2],\"timestamps\":[1]}\n",
      o);
  EXPECT_EQ(p.status.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(p.status.message(),
              HasSubstr("cannot parse vmimport line 2: `timestamps` array size must match `values` array size; got 1; "
                        "want 2"));
  EXPECT_TRUE(p.series.empty());
}

TEST(VmImportErrors, EveryLineErrorHasItsMessage) {
  EXPECT_THAT(ErrorOf(R"({"values":[1],"timestamps":[1]})"), HasSubstr("missing `metric` object"));
  EXPECT_THAT(ErrorOf(R"({"metric":{},"values":[1],"timestamps":[1]})"), HasSubstr("`metric` object has no labels"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"timestamps":[1]})"), HasSubstr("missing or empty `values` array"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":[],"timestamps":[]})"),
              HasSubstr("missing or empty `values` array"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":[1]})"), HasSubstr("missing or empty `timestamps` array"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":1},"values":[1],"timestamps":[1]})"),
              HasSubstr("value of label \"a\" is not a string at column 16"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":["x"],"timestamps":[1]})"),
              HasSubstr("cannot parse value \"x\" at position 0 of `values`"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":[1e999],"timestamps":[1]})"),
              HasSubstr("value 1e999 at position 0 of `values` is out of range"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":[1],"timestamps":[1.5]})"),
              HasSubstr("timestamp 1.5 at position 0 of `timestamps` is not an integer in int64 range"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":[1],"timestamps":[99999999999999999999]})"),
              HasSubstr("is not an integer in int64 range"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"metric":{"c":"d"},"values":[1],"timestamps":[1]})"),
              HasSubstr("duplicate key \"metric\" at column 21"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":[1],"timestamps":[1]} x)"),
              HasSubstr("unexpected data after the object"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":[1,],"timestamps":[1]})"), HasSubstr("invalid number"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":[01],"timestamps":[1]})"),
              HasSubstr("unexpected \"1\", want ',' or ']' in `values`"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":[1],"timestamps":[1])"),
              HasSubstr("unexpected end of line, want ',' or '}'"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b\x"},"values":[1],"timestamps":[1]})"), HasSubstr("invalid escape \\x"));
  EXPECT_THAT(ErrorOf("{\"metric\":{\"a\":\"b\tc\"},\"values\":[1],\"timestamps\":[1]}"),
              HasSubstr("control character in string"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":[1],"timestamps":[1],"x":"unterminated)"),
              HasSubstr("unterminated string"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"\u12G4"},"values":[1],"timestamps":[1]})"), HasSubstr("invalid \\u escape"));
  EXPECT_THAT(ErrorOf(R"({"metric":{"a":"b"},"values":[1],"timestamps":[1],"x":tru})"), HasSubstr("want true"));
}

TEST(VmImportErrors, DeeplyNestedSkippedValueIsRejectedNotRecursedForever) {
  std::string line = R"({"metric":{"a":"b"},"values":[1],"timestamps":[1],"x":)";
  line += std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_THAT(ErrorOf(line), HasSubstr("values nested deeper than 64"));
}

TEST(VmImportLimits, LongLineAndSeriesLimits) {
  VmImportOptions o;
  o.limits.max_import_line_bytes = 70;
  o.limits.max_labels_per_series = 1;
  const Parsed p = Parse(
      "{\"metric\":{\"__name__\":\"a\"},\"values\":[1],\"timestamps\":[1]}\n"
      "{\"metric\":{\"__name__\":\"b\",\"x\":\"y\"},\"values\":[1],\"timestamps\":[1]}\n"
      "{\"metric\":{\"__name__\":\"c\"},\"values\":[1,2,3,4,5],\"timestamps\":[1,2,3,4,5]}\n",
      o);
  ASSERT_TRUE(p.status.ok());
  ASSERT_EQ(p.series.size(), 1u);
  EXPECT_EQ(p.stats.series_dropped_by_limits, 1u);
  EXPECT_EQ(p.stats.invalid_lines, 1u);
  EXPECT_EQ(p.stats.first_error, "series \"b\" has 2 labels, more than max_labels_per_series=1");
  VmImportOptions strict = o;
  strict.on_error = LineErrorPolicy::kRejectRequest;
  EXPECT_THAT(Parse("{\"metric\":{\"__name__\":\"c\"},\"values\":[1,2,3,4,5],\"timestamps\":[1,2,3,4,5]}", strict)
                  .status.message(),
              HasSubstr("vmimport line 1 has 73 bytes, more than max_import_line_bytes=70"));
}

TEST(VmImportLimits, MaxSamplesPerRequest) {
  VmImportOptions o;
  o.limits.max_samples_per_request = 2;
  o.on_error = LineErrorPolicy::kRejectRequest;
  const Parsed p = Parse("{\"metric\":{\"a\":\"b\"},\"values\":[1,2,3],\"timestamps\":[1,2,3]}", o);
  EXPECT_EQ(p.status.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(p.status.message(), "vmimport request has more than max_samples_per_request=2 samples (at least 3)");
  EXPECT_TRUE(p.series.empty());
}

// ---- JsonCursor on its own ----

TEST(JsonCursor, NumberGrammarIsStrict) {
  for (const char* good : {"0", "-0", "1.5", "-1.5e+10", "2E-3", "123456789012345678901234567890"}) {
    std::string scratch;
    scratch.reserve(64);
    JsonCursor json(good, &scratch);
    std::string_view token;
    EXPECT_TRUE(json.ReadNumberToken(&token) && json.AtEnd() && token == good) << good;
  }
  for (const char* bad : {"-", "+1", ".5", "1.", "1e", "1e+", "-a", ""}) {
    std::string scratch;
    scratch.reserve(64);
    JsonCursor json(bad, &scratch);
    std::string_view token;
    EXPECT_FALSE(json.ReadNumberToken(&token) && json.AtEnd()) << bad;
  }
}

TEST(JsonCursor, UnescapedStringsNeverOutgrowTheirSource) {
  const std::string text = R"("\u0041\u00e9\u20ac\ud83d\ude00\ud800\udc00\\\"\/\b\f\n\r\t")";
  std::string scratch;
  scratch.reserve(text.size());
  const char* before = scratch.data();
  JsonCursor json(text, &scratch);
  std::string_view s;
  ASSERT_TRUE(json.ReadString(&s)) << json.error();
  EXPECT_EQ(s, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf0\x90\x80\x80\\\"/\b\f\n\r\t");
  EXPECT_EQ(scratch.data(), before) << "scratch must not reallocate";
}

}  // namespace
}  // namespace vigil::ingest
