#include "tsdb/wal_records.h"

#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::tsdb {
namespace {

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;

// Records every callback as one line of text, values as raw bits.
class RecordingVisitor : public WalRecordVisitor {
 public:
  Status OnEpoch() override {
    events.push_back("epoch");
    return Status::Ok();
  }
  Status OnSeries(uint64_t ref, const Labels& labels) override {
    events.push_back("series " + std::to_string(ref) + " " + labels.ToString());
    return Status::Ok();
  }
  Status OnSamples(uint64_t ref, std::span<const Sample> samples) override {
    std::string e = "samples " + std::to_string(ref);
    for (const Sample& s : samples) {
      e += " " + std::to_string(s.timestamp_ms) + ":" + std::to_string(std::bit_cast<uint64_t>(s.value));
    }
    events.push_back(e);
    return Status::Ok();
  }
  Status OnTombstone(uint64_t ref) override {
    events.push_back("tombstone " + std::to_string(ref));
    return Status::Ok();
  }
  Status OnChunk(uint64_t ref, std::string_view bytes) override {
    events.push_back("chunk " + std::to_string(ref) + " " + std::string(bytes));
    return Status::Ok();
  }
  std::vector<std::string> events;
};

std::string Bits(double v) { return std::to_string(std::bit_cast<uint64_t>(v)); }

TEST(WalRecordsTest, SeriesRoundTrip) {
  WalRecordBuilder b(WalRecordType::kSeries);
  EXPECT_TRUE(b.empty());
  b.AddSeries(0, Labels::FromPairs({{"__name__", "up"}, {"job", "node"}}));
  b.AddSeries(uint64_t{1} << 40, Labels::FromPairs({{"a", std::string(1000, 'x')}, {"b", "\xe2\x82\xac"}}));
  EXPECT_FALSE(b.empty());
  RecordingVisitor v;
  ASSERT_TRUE(DecodeWalRecord(b.payload(), v).ok());
  ASSERT_EQ(v.events.size(), 2u);
  EXPECT_EQ(v.events[0], "series 0 up{job=\"node\"}");
  EXPECT_EQ(v.events[1].substr(0, 21), "series 1099511627776 ");
}

TEST(WalRecordsTest, SamplesRoundTripEdgeValuesAndTimestamps) {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  std::vector<Sample> samples = {
      {kMax, std::bit_cast<double>(kStaleNaNBits)},
      {kMin, -0.0},
      {0, std::numeric_limits<double>::infinity()},
      {0, -std::numeric_limits<double>::infinity()},  // equal timestamps are carried as given
      {-5, std::numeric_limits<double>::denorm_min()},
      {1700000000000, 1.5},
  };
  WalRecordBuilder b(WalRecordType::kSamples);
  b.AddSamples(7, samples);
  b.AddSamples(8, std::span<const Sample>(samples.data(), 1));
  RecordingVisitor v;
  ASSERT_TRUE(DecodeWalRecord(b.payload(), v).ok());
  ASSERT_EQ(v.events.size(), 2u);
  std::string want = "samples 7";
  for (const Sample& s : samples) want += " " + std::to_string(s.timestamp_ms) + ":" + Bits(s.value);
  EXPECT_EQ(v.events[0], want);
  EXPECT_EQ(v.events[1], "samples 8 " + std::to_string(kMax) + ":" + std::to_string(kStaleNaNBits));
}

TEST(WalRecordsTest, TombstonesChunksAndEpochRoundTrip) {
  WalRecordBuilder t(WalRecordType::kTombstones);
  t.AddTombstone(3);
  t.AddTombstone(0);
  WalRecordBuilder c(WalRecordType::kChunk);
  c.AddChunk(9, std::string("\x01\x00\x00", 3));
  c.AddChunk(10, "");
  WalRecordBuilder e(WalRecordType::kEpoch);
  RecordingVisitor v;
  ASSERT_TRUE(DecodeWalRecord(t.payload(), v).ok());
  ASSERT_TRUE(DecodeWalRecord(c.payload(), v).ok());
  ASSERT_TRUE(DecodeWalRecord(e.payload(), v).ok());
  EXPECT_EQ(v.events, (std::vector<std::string>{"tombstone 3", "tombstone 0",
                                                std::string("chunk 9 \x01\x00\x00", 11), "chunk 10 ", "epoch"}));
}

TEST(WalRecordsTest, ResetStartsANewPayloadOfAnotherType) {
  WalRecordBuilder b(WalRecordType::kTombstones);
  b.AddTombstone(1);
  b.Reset(WalRecordType::kEpoch);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.payload().size(), 1u);
  RecordingVisitor v;
  ASSERT_TRUE(DecodeWalRecord(b.payload(), v).ok());
  EXPECT_EQ(v.events, std::vector<std::string>{"epoch"});
}

TEST(WalRecordsTest, EmptyPayloadAndUnknownTypeAreCorruption) {
  RecordingVisitor v;
  EXPECT_EQ(DecodeWalRecord("", v).code(), Status::Code::kCorruption);
  EXPECT_EQ(DecodeWalRecord("\x63", v).code(), Status::Code::kCorruption);
  EXPECT_EQ(DecodeWalRecord(std::string("\x04x", 2), v).code(), Status::Code::kCorruption);  // epoch + junk
  EXPECT_TRUE(v.events.empty());
}

TEST(WalRecordsTest, EveryTruncationIsCorruptionOrACleanPrefixNeverACrash) {
  WalRecordBuilder b(WalRecordType::kSamples);
  std::vector<Sample> s = {{1, 1.0}, {2, 2.0}, {3, 3.0}};
  b.AddSamples(1, s);
  b.AddSamples(2, s);
  const std::string full(b.payload());
  for (size_t n = 1; n < full.size(); ++n) {
    RecordingVisitor v;
    Status st = DecodeWalRecord(std::string_view(full).substr(0, n), v);
    if (st.ok()) {
      EXPECT_LE(v.events.size(), 1u) << n;  // only the boundary after entry one decodes cleanly
    } else {
      EXPECT_EQ(st.code(), Status::Code::kCorruption) << n;
    }
  }
}

TEST(WalRecordsTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (!junk.empty()) junk[0] = static_cast<char>(1 + rng() % 5);
    RecordingVisitor v;
    (void)DecodeWalRecord(junk, v);
  }
}

TEST(WalRecordsTest, VisitorErrorStopsDecoding) {
  class Failing : public RecordingVisitor {
   public:
    Status OnTombstone(uint64_t ref) override {
      RecordingVisitor::OnTombstone(ref);
      return Status::Internal("stop");
    }
  } v;
  WalRecordBuilder t(WalRecordType::kTombstones);
  t.AddTombstone(1);
  t.AddTombstone(2);
  EXPECT_EQ(DecodeWalRecord(t.payload(), v).code(), Status::Code::kInternal);
  EXPECT_EQ(v.events.size(), 1u);
}

}  // namespace
}  // namespace vigil::tsdb
