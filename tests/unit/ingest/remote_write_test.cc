#include "ingest/remote_write.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "base/varint.h"

namespace vigil::ingest {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

struct OwnedSeries {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<Sample> samples;
};

// Copies everything it is given, so tests can inspect it after the call.
class CollectingSink : public RowSink {
 public:
  void OnSeries(std::span<const LabelPair> labels, std::span<const Sample> samples) override {
    OwnedSeries s;
    for (const LabelPair& l : labels) s.labels.emplace_back(std::string(l.name), std::string(l.value));
    s.samples.assign(samples.begin(), samples.end());
    series.push_back(std::move(s));
  }
  std::vector<OwnedSeries> series;
};

// Builds wire bytes by hand, so tests can write anything, malformed included.
struct Wire {
  std::string bytes;
  Wire& Tag(uint32_t field, uint32_t wire) {
    PutVarint64(&bytes, (static_cast<uint64_t>(field) << 3) | wire);
    return *this;
  }
  Wire& Varint(uint64_t v) {
    PutVarint64(&bytes, v);
    return *this;
  }
  Wire& Fixed64(uint64_t v) {
    PutFixed64(&bytes, v);
    return *this;
  }
  Wire& Fixed32(uint32_t v) {
    PutFixed32(&bytes, v);
    return *this;
  }
  Wire& Len(uint32_t field, std::string_view payload) {
    Tag(field, 2);
    PutVarint64(&bytes, payload.size());
    bytes.append(payload);
    return *this;
  }
  Wire& Raw(std::string_view raw) {
    bytes.append(raw);
    return *this;
  }
};

std::string LabelMsg(std::string_view name, std::string_view value) {
  return Wire().Len(1, name).Len(2, value).bytes;
}
std::string SampleMsg(double v, int64_t ts) {
  return Wire().Tag(1, 1).Fixed64(std::bit_cast<uint64_t>(v)).Tag(2, 0).Varint(static_cast<uint64_t>(ts)).bytes;
}
std::string OneSeriesBody(std::string_view series_payload) { return Wire().Len(1, series_payload).bytes; }
std::string UpSeries() {
  return Wire().Len(1, LabelMsg("__name__", "up")).Len(1, LabelMsg("job", "node")).Len(2, SampleMsg(1, 1000)).bytes;
}

Status Decode(std::string_view body, CollectingSink* sink, IngestStats* stats = nullptr,
              const IngestLimits& limits = {}) {
  IngestStats local;
  return DecodeWriteRequest(body, limits, sink, stats != nullptr ? stats : &local);
}

TEST(RemoteWriteDecode, GoldenHandWrittenBody) {
  const std::string body = OneSeriesBody(UpSeries());
  CollectingSink sink;
  ASSERT_TRUE(Decode(body, &sink).ok());
  ASSERT_EQ(sink.series.size(), 1u);
  EXPECT_EQ(sink.series[0].labels,
            (std::vector<std::pair<std::string, std::string>>{{"__name__", "up"}, {"job", "node"}}));
  ASSERT_EQ(sink.series[0].samples.size(), 1u);
  EXPECT_EQ(sink.series[0].samples[0].timestamp_ms, 1000);
  EXPECT_EQ(sink.series[0].samples[0].value, 1.0);
}

TEST(RemoteWriteDecode, EmptyBodyIsAnEmptyRequest) {
  CollectingSink sink;
  IngestStats stats;
  EXPECT_TRUE(Decode("", &sink, &stats).ok());
  EXPECT_TRUE(sink.series.empty());
  EXPECT_EQ(stats.series_emitted, 0u);
}

TEST(RemoteWriteDecode, MissingFieldsTakeProto3Defaults) {
  // A sample with no fields is value 0 at timestamp 0; a label with no value is "".
  const std::string body =
      OneSeriesBody(Wire().Len(1, LabelMsg("__name__", "x")).Len(1, Wire().Len(1, "empty").bytes).Len(2, "").bytes);
  CollectingSink sink;
  ASSERT_TRUE(Decode(body, &sink).ok());
  ASSERT_EQ(sink.series.size(), 1u);
  EXPECT_EQ(sink.series[0].labels[1], (std::pair<std::string, std::string>{"empty", ""}));
  EXPECT_EQ(sink.series[0].samples[0].timestamp_ms, 0);
  EXPECT_EQ(std::bit_cast<uint64_t>(sink.series[0].samples[0].value), 0u);
}

TEST(RemoteWriteDecode, SampleFieldsInAnyOrderAndRepeatedLastWins) {
  const std::string sample = Wire()
                                 .Tag(2, 0).Varint(5)
                                 .Tag(1, 1).Fixed64(std::bit_cast<uint64_t>(2.0))
                                 .Tag(2, 0).Varint(7)
                                 .bytes;
  CollectingSink sink;
  ASSERT_TRUE(Decode(OneSeriesBody(Wire().Len(1, LabelMsg("__name__", "x")).Len(2, sample).bytes), &sink).ok());
  ASSERT_EQ(sink.series.size(), 1u);
  EXPECT_EQ(sink.series[0].samples[0].timestamp_ms, 7);
  EXPECT_EQ(sink.series[0].samples[0].value, 2.0);
}

TEST(RemoteWriteDecode, NegativeTimestampIsTenByteTwosComplementVarint) {
  const std::string body = OneSeriesBody(Wire().Len(1, LabelMsg("__name__", "x")).Len(2, SampleMsg(1, -5)).bytes);
  CollectingSink sink;
  ASSERT_TRUE(Decode(body, &sink).ok());
  EXPECT_EQ(sink.series[0].samples[0].timestamp_ms, -5);
}

TEST(RemoteWriteDecode, UnknownFieldsOfEveryWireTypeAreSkippedAtEveryLevel) {
  auto junk = [](uint32_t field) {
    return Wire()
        .Tag(field, 0).Varint(UINT64_MAX)
        .Tag(field, 1).Fixed64(42)
        .Len(field, "ignored bytes")
        .Tag(field, 5).Fixed32(7)
        .Tag(field, 3).Tag(field + 1, 0).Varint(1).Tag(field + 2, 3).Tag(field + 2, 4).Tag(field, 4)  // nested groups
        .bytes;
  };
  const std::string label = Wire().Raw(junk(9)).Len(1, "__name__").Raw(junk(10)).Len(2, "m").bytes;
  const std::string sample = Wire().Raw(junk(11)).Tag(1, 1).Fixed64(std::bit_cast<uint64_t>(3.5)).Raw(junk(12))
                                 .Tag(2, 0).Varint(99).bytes;
  const std::string series = Wire().Raw(junk(20)).Len(1, label).Raw(junk(21)).Len(2, sample).bytes;
  const std::string body = Wire().Raw(junk(2)).Len(1, series).Raw(junk(1000)).bytes;
  CollectingSink sink;
  IngestStats stats;
  ASSERT_TRUE(Decode(body, &sink, &stats).ok()) << Decode(body, &sink).message();
  ASSERT_EQ(sink.series.size(), 1u);
  EXPECT_EQ(sink.series[0].labels[0], (std::pair<std::string, std::string>{"__name__", "m"}));
  EXPECT_EQ(sink.series[0].samples[0].value, 3.5);
  EXPECT_EQ(sink.series[0].samples[0].timestamp_ms, 99);
}

TEST(RemoteWriteDecode, ExemplarsHistogramsAndMetadataAreCountedNotStored) {
  const std::string exemplar = Wire().Len(1, LabelMsg("trace_id", "abc")).Tag(2, 1).Fixed64(0).Tag(3, 0).Varint(5).bytes;
  const std::string histogram = Wire().Tag(1, 0).Varint(3).Tag(2, 1).Fixed64(0).Len(8, "\x01\x02").bytes;
  const std::string series = Wire()
                                 .Len(1, LabelMsg("__name__", "h"))
                                 .Len(3, exemplar).Len(3, exemplar)
                                 .Len(4, histogram)
                                 .Len(2, SampleMsg(1, 1))
                                 .bytes;
  const std::string histogram_only = Wire().Len(1, LabelMsg("__name__", "native")).Len(4, histogram).bytes;
  const std::string metadata = Wire().Tag(1, 0).Varint(1).Len(2, "h").Len(4, "help text").bytes;
  const std::string body = Wire().Len(1, series).Len(1, histogram_only).Len(3, metadata).bytes;
  CollectingSink sink;
  IngestStats stats;
  ASSERT_TRUE(Decode(body, &sink, &stats).ok());
  ASSERT_EQ(sink.series.size(), 1u);  // the histogram-only series has no samples to store
  EXPECT_EQ(stats.exemplars_skipped, 2u);
  EXPECT_EQ(stats.histograms_skipped, 2u);
  EXPECT_EQ(stats.metadata_skipped, 1u);
  EXPECT_EQ(stats.series_emitted, 1u);
  EXPECT_EQ(stats.samples_emitted, 1u);
}

// ---- Malformed bodies: InvalidArgument, exact message, nothing emitted ----

void ExpectRejected(std::string_view body, std::string_view want_message) {
  CollectingSink sink;
  IngestStats stats;
  const Status s = Decode(body, &sink, &stats);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.message(), want_message);
  EXPECT_TRUE(sink.series.empty()) << "a malformed body must emit nothing";
  EXPECT_EQ(stats.series_emitted, 0u);
}

TEST(RemoteWriteDecodeErrors, TruncatedTagVarint) {
  ExpectRejected("\x80", "cannot unmarshal WriteRequest: truncated or over-long varint in field tag at offset 0");
}

TEST(RemoteWriteDecodeErrors, VarintLongerThanTenBytes) {
  const std::string body = Wire().Tag(5, 0).Raw(std::string(10, '\xff')).Raw("\x01").bytes;
  ExpectRejected(body, "cannot unmarshal WriteRequest: truncated or over-long varint in field 5 at offset 1");
}

TEST(RemoteWriteDecodeErrors, TenthVarintByteOverflows64Bits) {
  const std::string body = Wire().Tag(5, 0).Raw(std::string(9, '\xff')).Raw("\x02").bytes;
  ExpectRejected(body, "cannot unmarshal WriteRequest: truncated or over-long varint in field 5 at offset 1");
}

TEST(RemoteWriteDecodeErrors, LengthPastEndOfBody) {
  const std::string body = Wire().Tag(1, 2).Varint(100).Raw("abc").bytes;
  ExpectRejected(body,
                 "cannot unmarshal WriteRequest: length 100 of WriteRequest.timeseries exceeds the 3 bytes left in "
                 "its message at offset 1");
}

TEST(RemoteWriteDecodeErrors, LabelLengthPastEndOfItsSeries) {
  // The label claims 50 bytes; the series around it has 4 left, though the body has more.
  std::string series = Wire().Tag(1, 2).Varint(50).Raw("abcd").bytes;
  const std::string body = OneSeriesBody(series) + std::string(100, '\0');
  ExpectRejected(body,
                 "cannot unmarshal WriteRequest: length 50 of TimeSeries.labels exceeds the 4 bytes left in its "
                 "message at offset 3");
}

TEST(RemoteWriteDecodeErrors, WrongWireTypeForEachKnownField) {
  ExpectRejected(Wire().Tag(1, 0).Varint(1).bytes,
                 "cannot unmarshal WriteRequest: WriteRequest.timeseries has wire type 0 (varint), want 2 "
                 "(length-delimited) at offset 0");
  ExpectRejected(Wire().Tag(3, 1).Fixed64(1).bytes,
                 "cannot unmarshal WriteRequest: WriteRequest.metadata has wire type 1 (fixed64), want 2 "
                 "(length-delimited) at offset 0");
  ExpectRejected(OneSeriesBody(Wire().Tag(1, 5).Fixed32(0).bytes),
                 "cannot unmarshal WriteRequest: TimeSeries.labels has wire type 5 (fixed32), want 2 "
                 "(length-delimited) at offset 2");
  ExpectRejected(OneSeriesBody(Wire().Tag(2, 0).Varint(0).bytes),
                 "cannot unmarshal WriteRequest: TimeSeries.samples has wire type 0 (varint), want 2 "
                 "(length-delimited) at offset 2");
  ExpectRejected(OneSeriesBody(Wire().Tag(3, 0).Varint(0).bytes),
                 "cannot unmarshal WriteRequest: TimeSeries.exemplars has wire type 0 (varint), want 2 "
                 "(length-delimited) at offset 2");
  ExpectRejected(OneSeriesBody(Wire().Tag(4, 0).Varint(0).bytes),
                 "cannot unmarshal WriteRequest: TimeSeries.histograms has wire type 0 (varint), want 2 "
                 "(length-delimited) at offset 2");
  ExpectRejected(OneSeriesBody(Wire().Len(1, Wire().Tag(1, 0).Varint(1).bytes).bytes),
                 "cannot unmarshal WriteRequest: Label.name has wire type 0 (varint), want 2 (length-delimited) at "
                 "offset 4");
  ExpectRejected(OneSeriesBody(Wire().Len(1, Wire().Tag(2, 1).Fixed64(1).bytes).bytes),
                 "cannot unmarshal WriteRequest: Label.value has wire type 1 (fixed64), want 2 (length-delimited) "
                 "at offset 4");
  ExpectRejected(OneSeriesBody(Wire().Len(2, Wire().Tag(1, 0).Varint(1).bytes).bytes),
                 "cannot unmarshal WriteRequest: Sample.value has wire type 0 (varint), want 1 (fixed64) at offset 4");
  ExpectRejected(OneSeriesBody(Wire().Len(2, Wire().Tag(2, 1).Fixed64(1).bytes).bytes),
                 "cannot unmarshal WriteRequest: Sample.timestamp has wire type 1 (fixed64), want 0 (varint) at "
                 "offset 4");
}

TEST(RemoteWriteDecodeErrors, InvalidWireTypesSixAndSeven) {
  ExpectRejected(Wire().Tag(9, 6).bytes, "cannot unmarshal WriteRequest: invalid wire type 6 for field 9 at offset 0");
  ExpectRejected(Wire().Tag(9, 7).bytes, "cannot unmarshal WriteRequest: invalid wire type 7 for field 9 at offset 0");
}

TEST(RemoteWriteDecodeErrors, FieldNumberZero) {
  ExpectRejected(Wire().Tag(0, 0).Varint(1).bytes, "cannot unmarshal WriteRequest: invalid field number 0 at offset 0");
}

TEST(RemoteWriteDecodeErrors, TagLargerThan32Bits) {
  ExpectRejected(Wire().Varint(uint64_t{1} << 35).Varint(0).bytes,
                 "cannot unmarshal WriteRequest: field tag 34359738368 is out of range at offset 0");
}

TEST(RemoteWriteDecodeErrors, TruncatedFixedWidthValues) {
  ExpectRejected(Wire().Tag(7, 1).Raw("1234567").bytes,
                 "cannot unmarshal WriteRequest: truncated fixed64 in field 7 at offset 1");
  ExpectRejected(Wire().Tag(7, 5).Raw("123").bytes,
                 "cannot unmarshal WriteRequest: truncated fixed32 in field 7 at offset 1");
  ExpectRejected(OneSeriesBody(Wire().Len(2, Wire().Tag(1, 1).Raw("1234").bytes).bytes),
                 "cannot unmarshal WriteRequest: truncated fixed64 in Sample.value at offset 5");
}

TEST(RemoteWriteDecodeErrors, GroupsMustBeBalanced) {
  ExpectRejected(Wire().Tag(6, 4).bytes,
                 "cannot unmarshal WriteRequest: end-group tag of field 6 without a matching start-group at offset 1");
  ExpectRejected(Wire().Tag(6, 3).Tag(7, 0).Varint(1).bytes,
                 "cannot unmarshal WriteRequest: group of field 6 is not terminated at offset 3");
  ExpectRejected(Wire().Tag(6, 3).Tag(7, 4).bytes,
                 "cannot unmarshal WriteRequest: end-group tag of field 7 closes the group of field 6 at offset 1");
}

TEST(RemoteWriteDecodeErrors, GroupsNestedTooDeep) {
  Wire w;
  for (int i = 0; i < 40; ++i) w.Tag(6, 3);
  for (int i = 0; i < 40; ++i) w.Tag(6, 4);
  ExpectRejected(w.bytes, "cannot unmarshal WriteRequest: groups nested deeper than 32 at offset 33");
}

TEST(RemoteWriteDecodeErrors, MalformedExemplarRejectsTheWholeBody) {
  const std::string good = Wire().Len(1, UpSeries()).bytes;
  const std::string bad_series = Wire().Len(1, LabelMsg("__name__", "x")).Len(3, std::string("\x0a\x05" "ab")).bytes;
  const std::string body = good + Wire().Len(1, bad_series).bytes;
  CollectingSink sink;
  const Status s = Decode(body, &sink);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("length 5 of field 1 exceeds the 2 bytes left in its message"));
  EXPECT_TRUE(sink.series.empty()) << "the valid first series must not be emitted either";
}

TEST(RemoteWriteDecodeErrors, EveryTruncationOfAValidBodyEmitsAllOrNothing) {
  std::vector<LabelPair> labels = {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "idle"}};
  std::vector<Sample> samples = {{1700000000000, 1.5}, {1700000015000, 2.5}};
  std::vector<TimeSeriesView> series(3, TimeSeriesView{labels, samples});
  const std::string body = EncodeWriteRequest(series);
  for (size_t n = 0; n < body.size(); ++n) {
    CollectingSink sink;
    const Status s = Decode(std::string_view(body).substr(0, n), &sink);
    if (s.ok()) {
      // Only cuts at a series boundary decode, and then yield whole series.
      EXPECT_EQ(sink.series.size() * (body.size() / 3), n) << "cut at " << n;
    } else {
      EXPECT_TRUE(sink.series.empty()) << "cut at " << n;
      EXPECT_THAT(s.message(), HasSubstr("cannot unmarshal WriteRequest: "));
    }
  }
}

// ---- Limits ----

TEST(RemoteWriteLimits, SeriesOverLimitsAreDroppedAndCountedOthersKept) {
  IngestLimits limits;
  limits.max_labels_per_series = 3;
  limits.max_label_name_bytes = 8;
  limits.max_label_value_bytes = 10;
  Wire many;
  many.Len(1, LabelMsg("__name__", "many"));
  for (int i = 0; i < 3; ++i) many.Len(1, LabelMsg("l" + std::to_string(i), "v"));
  many.Len(2, SampleMsg(1, 1));
  const std::string long_name = Wire().Len(1, LabelMsg("__name__", "n")).Len(1, LabelMsg("too_long_name", "v"))
                                    .Len(2, SampleMsg(1, 1)).bytes;
  const std::string long_value = Wire().Len(1, LabelMsg("__name__", "n")).Len(1, LabelMsg("k", "0123456789A"))
                                     .Len(2, SampleMsg(1, 1)).bytes;
  const std::string no_labels = Wire().Len(2, SampleMsg(1, 1)).bytes;
  const std::string body =
      Wire().Len(1, many.bytes).Len(1, long_name).Len(1, UpSeries()).Len(1, long_value).Len(1, no_labels).bytes;
  CollectingSink sink;
  IngestStats stats;
  ASSERT_TRUE(Decode(body, &sink, &stats, limits).ok());
  ASSERT_EQ(sink.series.size(), 1u);
  EXPECT_EQ(sink.series[0].labels[0].second, "up");
  EXPECT_EQ(stats.series_dropped_by_limits, 4u);
  EXPECT_EQ(stats.first_error, "series \"many\" has 4 labels, more than max_labels_per_series=3");
}

TEST(RemoteWriteLimits, LabelNameAndValueMessagesNameTheLimit) {
  std::string why;
  IngestLimits limits;
  limits.max_label_name_bytes = 3;
  limits.max_label_value_bytes = 2;
  const LabelPair name_too_long[] = {{"__name__", "m"}};
  EXPECT_FALSE(SeriesWithinLimits(limits, name_too_long, &why));
  EXPECT_EQ(why, "series \"m\" has a label name of 8 bytes (\"__name__\"...), more than max_label_name_bytes=3");
  limits.max_label_name_bytes = 100;
  const LabelPair value_too_long[] = {{"__name__", "abc"}};
  EXPECT_FALSE(SeriesWithinLimits(limits, value_too_long, &why));
  EXPECT_EQ(why, "series \"abc\" has a value of 3 bytes for label \"__name__\", more than max_label_value_bytes=2");
}

TEST(RemoteWriteLimits, TooManySamplesRejectsTheRequestBeforeEmitting) {
  IngestLimits limits;
  limits.max_samples_per_request = 3;
  std::vector<LabelPair> labels = {{"__name__", "x"}};
  std::vector<Sample> samples = {{1, 1}, {2, 2}};
  std::vector<TimeSeriesView> series(2, TimeSeriesView{labels, samples});
  CollectingSink sink;
  const Status s = Decode(EncodeWriteRequest(series), &sink, nullptr, limits);
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(s.message(), "remote_write request has 4 samples, more than max_samples_per_request=3");
  EXPECT_TRUE(sink.series.empty());
}

// ---- Encoder and round trips ----

TEST(RemoteWriteEncode, MatchesHandWrittenBytes) {
  const LabelPair labels[] = {{"__name__", "up"}, {"job", "node"}};
  const Sample samples[] = {{1000, 1.0}};
  const TimeSeriesView series[] = {{labels, samples}};
  EXPECT_EQ(EncodeWriteRequest(series), OneSeriesBody(UpSeries()));
}

TEST(RemoteWriteEncode, OmitsProto3DefaultsButKeepsNegativeZero) {
  const LabelPair labels[] = {{"__name__", "z"}};
  const Sample samples[] = {{0, 0.0}, {0, -0.0}};
  const TimeSeriesView series[] = {{labels, samples}};
  const std::string body = EncodeWriteRequest(series);
  CollectingSink sink;
  ASSERT_TRUE(Decode(body, &sink).ok());
  ASSERT_EQ(sink.series[0].samples.size(), 2u);
  EXPECT_EQ(std::bit_cast<uint64_t>(sink.series[0].samples[0].value), 0u);
  EXPECT_EQ(std::bit_cast<uint64_t>(sink.series[0].samples[1].value), std::bit_cast<uint64_t>(-0.0));
  // Second sample: tag + length 9 (value only), first sample: empty message.
  EXPECT_NE(body.find(std::string("\x12\x00", 2)), std::string::npos);
}

TEST(RemoteWriteRoundTrip, RandomSeriesWithSpecialValuesSurviveBitForBit) {
  std::mt19937_64 rng(7);
  const uint64_t special_bits[] = {
      kStaleNaNBits,
      0x7ff8000000000001ULL,                           // Go's math.NaN()
      0xfff8000000000000ULL,                           // negative quiet NaN
      0x7ff0000000000001ULL,                           // signalling NaN payload
      std::bit_cast<uint64_t>(std::numeric_limits<double>::infinity()),
      std::bit_cast<uint64_t>(-std::numeric_limits<double>::infinity()),
      std::bit_cast<uint64_t>(-0.0),
      0,
      std::bit_cast<uint64_t>(std::numeric_limits<double>::denorm_min()),
      std::bit_cast<uint64_t>(std::numeric_limits<double>::max()),
  };
  const int64_t special_ts[] = {0, -1, 1, INT64_MIN, INT64_MAX, 1700000000000, -1700000000000};
  for (int round = 0; round < 50; ++round) {
    std::vector<std::vector<std::string>> strings;
    std::vector<std::vector<LabelPair>> label_sets;
    std::vector<std::vector<Sample>> sample_sets;
    const size_t n_series = rng() % 20;
    strings.resize(n_series);
    label_sets.resize(n_series);
    sample_sets.resize(n_series);
    for (size_t i = 0; i < n_series; ++i) {
      const size_t n_labels = 1 + rng() % 10;
      for (size_t j = 0; j < 2 * n_labels; ++j) {
        std::string s(rng() % 300, '\0');  // lengths past 127 take two-byte length varints
        for (char& c : s) c = static_cast<char>(rng());
        strings[i].push_back(std::move(s));
      }
      for (size_t j = 0; j < n_labels; ++j) label_sets[i].push_back({strings[i][2 * j], strings[i][2 * j + 1]});
      const size_t n_samples = 1 + rng() % 30;
      for (size_t j = 0; j < n_samples; ++j) {
        const uint64_t bits = rng() % 3 == 0 ? special_bits[rng() % std::size(special_bits)] : rng();
        const int64_t ts = rng() % 3 == 0 ? special_ts[rng() % std::size(special_ts)] : static_cast<int64_t>(rng());
        sample_sets[i].push_back({ts, std::bit_cast<double>(bits)});
      }
    }
    std::vector<TimeSeriesView> views;
    for (size_t i = 0; i < n_series; ++i) views.push_back({label_sets[i], sample_sets[i]});
    const std::string body = EncodeWriteRequest(views);

    IngestLimits unlimited;
    unlimited.max_label_name_bytes = unlimited.max_label_value_bytes = 1 << 20;
    CollectingSink sink;
    ASSERT_TRUE(Decode(body, &sink, nullptr, unlimited).ok());
    ASSERT_EQ(sink.series.size(), n_series);
    for (size_t i = 0; i < n_series; ++i) {
      ASSERT_EQ(sink.series[i].labels.size(), label_sets[i].size());
      for (size_t j = 0; j < label_sets[i].size(); ++j) {
        EXPECT_EQ(sink.series[i].labels[j].first, label_sets[i][j].name);
        EXPECT_EQ(sink.series[i].labels[j].second, label_sets[i][j].value);
      }
      ASSERT_EQ(sink.series[i].samples.size(), sample_sets[i].size());
      for (size_t j = 0; j < sample_sets[i].size(); ++j) {
        EXPECT_EQ(sink.series[i].samples[j].timestamp_ms, sample_sets[i][j].timestamp_ms);
        EXPECT_EQ(std::bit_cast<uint64_t>(sink.series[i].samples[j].value),
                  std::bit_cast<uint64_t>(sample_sets[i][j].value));
      }
    }
  }
}

TEST(RemoteWriteDecoder, TwoPhaseApiAndReuseAcrossBodies) {
  WriteRequestDecoder decoder;
  const std::string body = OneSeriesBody(UpSeries());
  ASSERT_TRUE(decoder.Decode(body).ok());
  EXPECT_EQ(decoder.series_count(), 1u);
  EXPECT_EQ(decoder.sample_count(), 1u);
  EXPECT_EQ(decoder.stats().series_emitted, 0u) << "Decode alone emits nothing";
  CollectingSink sink;
  decoder.Emit(&sink);
  EXPECT_EQ(sink.series.size(), 1u);
  EXPECT_EQ(decoder.stats().series_emitted, 1u);

  EXPECT_FALSE(decoder.Decode("\xff").ok());
  EXPECT_EQ(decoder.series_count(), 0u) << "a failed Decode keeps nothing to emit";
  ASSERT_TRUE(decoder.Decode(body + body).ok());
  EXPECT_EQ(decoder.series_count(), 2u);
}

// A body Prometheus 2.42 sent, snappy-decoded (see tests/data/ingest/README.md).
TEST(RemoteWriteDecode, CapturedPrometheusBody) {
  std::ifstream in(std::string(VIGIL_TESTDATA_DIR) + "/ingest/prometheus_2_42_remote_write.bin", std::ios::binary);
  if (!in) GTEST_SKIP() << "fixture not present";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string body = ss.str();
  CollectingSink sink;
  IngestStats stats;
  ASSERT_TRUE(Decode(body, &sink, &stats).ok());
  ASSERT_EQ(sink.series.size(), 500u);
  EXPECT_EQ(stats.samples_emitted, 500u);
  EXPECT_EQ(sink.series[0].labels, (std::vector<std::pair<std::string, std::string>>{
                                       {"__name__", "go_gc_duration_seconds"},
                                       {"instance", "127.0.0.1:19873"},
                                       {"job", "node"},
                                       {"quantile", "0"}}));
  ASSERT_EQ(sink.series[0].samples.size(), 1u);
  EXPECT_EQ(sink.series[0].samples[0].timestamp_ms, 1795765358253);
  EXPECT_EQ(std::bit_cast<uint64_t>(sink.series[0].samples[0].value), 0u) << "value field omitted = 0";
  for (const OwnedSeries& s : sink.series) {
    ASSERT_FALSE(s.labels.empty());
    EXPECT_EQ(s.labels[0].first, "__name__") << "Prometheus sends labels sorted; __name__ sorts first";
    for (size_t i = 1; i < s.labels.size(); ++i) EXPECT_LT(s.labels[i - 1].first, s.labels[i].first);
    for (const Sample& smp : s.samples) EXPECT_GT(smp.timestamp_ms, 1600000000000);
  }
  // Re-encoding what we decoded gives Prometheus' bytes exactly (same field
  // order, same proto3 default omission).
  std::vector<std::vector<LabelPair>> label_sets;
  std::vector<TimeSeriesView> views;
  for (const OwnedSeries& s : sink.series) {
    label_sets.emplace_back();
    for (const auto& [n, v] : s.labels) label_sets.back().push_back({n, v});
  }
  for (size_t i = 0; i < sink.series.size(); ++i) views.push_back({label_sets[i], sink.series[i].samples});
  EXPECT_TRUE(EncodeWriteRequest(views) == body) << "re-encoded body differs from Prometheus' bytes";
}

TEST(RemoteWriteDecode, RawLabelsAreTheContiguousLabelFieldsByteForByte) {
  const std::string labels = Wire().Len(1, LabelMsg("__name__", "up")).Len(1, LabelMsg("job", "node")).bytes;
  const std::string body = OneSeriesBody(labels + Wire().Len(2, SampleMsg(1, 1000)).bytes);
  WriteRequestDecoder decoder;
  ASSERT_TRUE(decoder.Decode(body).ok());
  ASSERT_EQ(decoder.series_count(), 1u);
  const WriteRequestDecoder::SeriesView s = decoder.series(0);
  EXPECT_EQ(s.raw_labels, labels);
  EXPECT_EQ(s.labels.size(), 2u);
  EXPECT_EQ(s.samples.size(), 1u);
}

TEST(RemoteWriteDecode, RawLabelsEmptyWhenLabelsAreInterleavedWithSamples) {
  const std::string body = OneSeriesBody(Wire()
                                             .Len(1, LabelMsg("__name__", "up"))
                                             .Len(2, SampleMsg(1, 1000))
                                             .Len(1, LabelMsg("job", "node"))
                                             .bytes);
  WriteRequestDecoder decoder;
  ASSERT_TRUE(decoder.Decode(body).ok());
  ASSERT_EQ(decoder.series_count(), 1u);
  EXPECT_TRUE(decoder.series(0).raw_labels.empty());
  EXPECT_EQ(decoder.series(0).labels.size(), 2u);
}

TEST(RemoteWriteDecode, RawLabelsOfASeriesAfterAnUnknownFieldStillContiguous) {
  const std::string labels = Wire().Len(1, LabelMsg("__name__", "up")).Len(1, LabelMsg("job", "node")).bytes;
  const std::string body = OneSeriesBody(Wire().Tag(9, 0).Varint(3).Raw(labels).Len(2, SampleMsg(1, 1)).bytes);
  WriteRequestDecoder decoder;
  ASSERT_TRUE(decoder.Decode(body).ok());
  EXPECT_EQ(decoder.series(0).raw_labels, labels);
}

}  // namespace
}  // namespace vigil::ingest
