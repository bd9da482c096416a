#include "tsdb/head.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tsdb/dedup.h"
#include "tsdb/mem_series.h"

namespace vigil::tsdb {
namespace {

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;
constexpr int64_t kT0 = 1700000000000;

std::vector<Sample> All(const MemSeries& s) {
  std::vector<Sample> out;
  s.CollectSamples(INT64_MIN, INT64_MAX, &out);
  return out;
}

std::vector<int64_t> Times(const std::vector<Sample>& v) {
  std::vector<int64_t> out;
  for (const Sample& s : v) out.push_back(s.timestamp_ms);
  return out;
}

TEST(MemSeriesTest, InOrderSamplesCutAChunkEvery120) {
  MemSeries s;
  for (int i = 0; i < 250; ++i) ASSERT_EQ(s.Append(kT0 + i * 15000, i), MemSeries::AppendOutcome::kAdded);
  EXPECT_EQ(s.num_chunks(), 3u);  // 120 + 120 + 10
  EXPECT_EQ(s.num_samples(), 250u);
  auto all = All(s);
  ASSERT_EQ(all.size(), 250u);
  for (int i = 0; i < 250; ++i) EXPECT_EQ(all[i].value, i);
}

TEST(MemSeriesTest, ChunkIsCutWhenItWouldSpanMoreThanTwoHours) {
  MemSeries s;
  s.Append(kT0, 1);
  s.Append(kT0 + kHeadChunkSpanMs, 2);  // exactly 2 h: same chunk
  EXPECT_EQ(s.num_chunks(), 1u);
  s.Append(kT0 + kHeadChunkSpanMs + 1, 3);
  EXPECT_EQ(s.num_chunks(), 2u);
}

TEST(MemSeriesTest, DuplicateTimestampKeepsTheFirstValue) {
  MemSeries s;
  EXPECT_EQ(s.Append(kT0, 1), MemSeries::AppendOutcome::kAdded);
  EXPECT_EQ(s.Append(kT0, 2), MemSeries::AppendOutcome::kDuplicate);
  EXPECT_EQ(s.Append(kT0 + 10, 3), MemSeries::AppendOutcome::kAdded);
  EXPECT_EQ(s.Append(kT0, 4), MemSeries::AppendOutcome::kDuplicate);  // duplicate of a non-last sample
  auto all = All(s);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].value, 1);
}

TEST(MemSeriesTest, OutOfOrderSamplesAreMergedOnRead) {
  MemSeries s;
  s.Append(kT0 + 100, 100);
  s.Append(kT0 + 300, 300);
  EXPECT_EQ(s.Append(kT0 + 200, 200), MemSeries::AppendOutcome::kAdded);
  EXPECT_EQ(s.Append(kT0 + 50, 50), MemSeries::AppendOutcome::kAdded);
  EXPECT_EQ(s.Append(kT0 + 200, -1), MemSeries::AppendOutcome::kDuplicate);  // duplicate of an OOO sample
  EXPECT_EQ(Times(All(s)), (std::vector<int64_t>{kT0 + 50, kT0 + 100, kT0 + 200, kT0 + 300}));
  std::vector<Sample> range;
  s.CollectSamples(kT0 + 60, kT0 + 250, &range);
  EXPECT_EQ(Times(range), (std::vector<int64_t>{kT0 + 100, kT0 + 200}));
}

TEST(MemSeriesTest, OutOfOrderFoldKeepsEverySampleAgainstAMapOracle) {
  std::mt19937_64 rng(7);
  MemSeries s;
  std::map<int64_t, double> model;
  for (int i = 0; i < 20000; ++i) {
    // Mostly increasing, with a tail of late and repeated timestamps.
    int64_t t = kT0 + i * 1000 - static_cast<int64_t>(rng() % 4 == 0 ? rng() % 300000 : 0);
    double v = static_cast<double>(rng() % 1000) / 10;
    const bool is_new = model.emplace(t, v).second;
    EXPECT_EQ(s.Append(t, v) == MemSeries::AppendOutcome::kAdded, is_new) << i;
  }
  auto all = All(s);
  ASSERT_EQ(all.size(), model.size());
  size_t i = 0;
  for (const auto& [t, v] : model) {
    ASSERT_EQ(all[i].timestamp_ms, t);
    ASSERT_EQ(all[i].value, v);
    ++i;
  }
  EXPECT_EQ(s.num_samples(), model.size());
}

TEST(MemSeriesTest, EdgeValuesComeBackBitExact) {
  MemSeries s;
  const std::vector<double> values = {std::bit_cast<double>(kStaleNaNBits),
                                      std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(),
                                      -0.0,
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::max(),
                                      0.1};
  for (size_t i = 0; i < values.size(); ++i) s.Append(kT0 + static_cast<int64_t>(i), values[i]);
  s.Append(kT0 - 1, std::bit_cast<double>(kStaleNaNBits));  // out of order, too
  auto all = All(s);
  ASSERT_EQ(all.size(), values.size() + 1);
  EXPECT_EQ(std::bit_cast<uint64_t>(all[0].value), kStaleNaNBits);
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(all[i + 1].value), std::bit_cast<uint64_t>(values[i])) << i;
  }
}

TEST(MemSeriesTest, HasSampleInRangeSeesGapsInsideAChunk) {
  MemSeries s;
  s.Append(kT0, 1);
  s.Append(kT0 + 1000, 2);
  EXPECT_TRUE(s.HasSampleInRange(kT0, kT0));
  EXPECT_FALSE(s.HasSampleInRange(kT0 + 1, kT0 + 999));
  EXPECT_TRUE(s.HasSampleInRange(kT0 + 1, kT0 + 1000));
  EXPECT_FALSE(s.HasSampleInRange(kT0 + 1001, INT64_MAX));
  EXPECT_FALSE(s.HasSampleInRange(kT0 + 10, kT0));  // empty range
}

TEST(MemSeriesTest, DropBeforeRemovesWholeOldChunksOnly) {
  MemSeries s;
  for (int i = 0; i < 300; ++i) s.Append(kT0 + i, i);  // chunks [0,119] [120,239] [240,299]
  EXPECT_EQ(s.DropBefore(kT0 + 130), 120u);
  EXPECT_EQ(All(s).front().timestamp_ms, kT0 + 120);  // the straddling chunk stays
  EXPECT_EQ(s.DropBefore(kT0 + 1000), 180u);
  EXPECT_TRUE(s.empty());
}

TEST(DedupTest, KeepsTheLastSampleOfEveryWindowEndingOnAMultiple) {
  // Windows of 10: (0,10] (10,20] (20,30]; VictoriaMetrics keeps the newest.
  std::vector<Sample> s = {{1, 1}, {5, 5}, {10, 10}, {11, 11}, {20, 20}, {25, 25}};
  DeduplicateSamples(&s, 10);
  EXPECT_EQ(Times(s), (std::vector<int64_t>{10, 20, 25}));
  std::vector<Sample> neg = {{-15, 0}, {-11, 0}, {-10, 0}, {-9, 0}, {0, 0}, {1, 0}};
  DeduplicateSamples(&neg, 10);  // (-20,-10] (-10,0] (0,10]
  EXPECT_EQ(Times(neg), (std::vector<int64_t>{-10, 0, 1}));
  std::vector<Sample> off = {{1, 1}, {2, 2}};
  DeduplicateSamples(&off, 0);
  EXPECT_EQ(off.size(), 2u);
}

TEST(HeadTest, DeletedSeriesReadsNothingAndCountersDrop) {
  Head head;
  bool created = false;
  Labels a = Labels::FromPairs({{"__name__", "a"}});
  SeriesRef ref = head.GetOrCreate(a, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(head.GetOrCreate(a, &created), ref);
  EXPECT_FALSE(created);
  std::vector<Sample> samples;
  for (int i = 0; i < 130; ++i) samples.push_back({kT0 + i, 1.0});
  auto c = head.Append(ref, samples);
  EXPECT_EQ(c.added, 130u);
  EXPECT_EQ(head.Append(ref, samples).duplicate, 130u);
  EXPECT_EQ(head.NumChunks(), 2);
  EXPECT_EQ(head.NumSamples(), 130);
  EXPECT_EQ(head.Delete(std::vector<SeriesRef>{ref}), 1u);
  std::vector<Sample> out;
  EXPECT_FALSE(head.CollectSamples(ref, INT64_MIN, INT64_MAX, &out));
  EXPECT_EQ(head.Append(ref, samples).added, 0u);
  EXPECT_EQ(head.NumChunks(), 0);
  EXPECT_EQ(head.NumSamples(), 0);
  EXPECT_EQ(head.NumSeries(), 0u);
  SeriesRef again = head.GetOrCreate(a, &created);
  EXPECT_TRUE(created);
  EXPECT_NE(again, ref);
}

TEST(HeadTest, DropBeforeReportsSeriesLeftEmpty) {
  Head head;
  SeriesRef old_ref = head.GetOrCreate(Labels::FromPairs({{"s", "old"}}), nullptr);
  SeriesRef new_ref = head.GetOrCreate(Labels::FromPairs({{"s", "new"}}), nullptr);
  std::vector<Sample> old_samples = {{kT0, 1}}, new_samples = {{kT0 + 5000, 1}};
  head.Append(old_ref, old_samples);
  head.Append(new_ref, new_samples);
  uint64_t dropped = 0;
  auto emptied = head.DropBefore(kT0 + 1, &dropped);
  EXPECT_EQ(emptied, std::vector<SeriesRef>{old_ref});
  EXPECT_EQ(dropped, 1u);
  EXPECT_TRUE(head.IsEmptySeries(old_ref));
  EXPECT_FALSE(head.IsEmptySeries(new_ref));
  EXPECT_EQ(head.NumSamples(), 1);
}

TEST(MergeSampleSourcesTest, MatchesAnOracleAndEarlierSourcesWinTies) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 300; ++round) {
    const size_t k = 1 + rng() % 4;
    std::vector<std::vector<Sample>> sources(k);
    std::map<int64_t, double> oracle;  // first source holding a timestamp wins
    for (size_t i = 0; i < k; ++i) {
      std::map<int64_t, double> unique;
      const int64_t base = static_cast<int64_t>(rng() % 50);
      const size_t n = rng() % 40;
      for (size_t j = 0; j < n; ++j) unique[base + static_cast<int64_t>(rng() % 80)] = static_cast<double>(i * 1000 + j);
      for (const auto& [t, v] : unique) {
        sources[i].push_back(Sample{t, v});
        oracle.emplace(t, v);
      }
    }
    std::vector<Sample> out;
    MergeSampleSources(&sources, &out);
    ASSERT_EQ(out.size(), oracle.size()) << "round " << round;
    size_t idx = 0;
    for (const auto& [t, v] : oracle) {
      ASSERT_EQ(out[idx].timestamp_ms, t) << "round " << round;
      ASSERT_EQ(out[idx].value, v) << "round " << round << " t " << t;
      ++idx;
    }
  }
}

}  // namespace
}  // namespace vigil::tsdb
