#include "tsdb/raw_series_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace vigil::tsdb {
namespace {

Labels Named(const std::string& name) { return Labels::FromPairs({{"__name__", name}}); }

TEST(RawSeriesCache, MissThenHitReturnsLabelsAndHint) {
  RawSeriesCache cache;
  EXPECT_EQ(cache.Lookup("raw-a"), nullptr);
  cache.Insert("raw-a", Named("a"), SeriesRefHint{7, 1});
  auto e = cache.Lookup("raw-a");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->labels, Named("a"));
  EXPECT_EQ(e->hint.ref, 7u);
  EXPECT_EQ(e->hint.generation, 1u);
  EXPECT_EQ(e->raw, "raw-a");
  EXPECT_EQ(cache.Lookup("raw-b"), nullptr);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(RawSeriesCache, InsertingTheSameKeyReplacesTheEntryAndOldHandlesStayValid) {
  RawSeriesCache cache;
  cache.Insert("k", Named("a"), SeriesRefHint{1, 1});
  auto before = cache.Lookup("k");
  cache.Insert("k", Named("a"), SeriesRefHint{9, 2});
  auto after = cache.Lookup("k");
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->hint.ref, 9u);
  EXPECT_EQ(before->hint.ref, 1u);  // the handle still reads its own entry
  EXPECT_EQ(cache.size(), 1u);
}

TEST(RawSeriesCache, ManyKeysGrowTheTablesAndAllAreFound) {
  RawSeriesCache cache;
  for (int i = 0; i < 20000; ++i) cache.Insert("series-" + std::to_string(i), Named(std::to_string(i)), {uint64_t(i), 1});
  EXPECT_EQ(cache.size(), 20000u);
  for (int i = 0; i < 20000; ++i) {
    auto e = cache.Lookup("series-" + std::to_string(i));
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(e->hint.ref, uint64_t(i));
  }
}

TEST(RawSeriesCache, OverBudgetShardIsEmptiedButHandlesInUseStayValid) {
  RawSeriesCache cache(16 * 1024);  // 1 KiB per shard: a few entries each
  cache.Insert("first", Named("first"), {1, 1});
  auto held = cache.Lookup("first");
  ASSERT_NE(held, nullptr);
  for (int i = 0; i < 2000; ++i) cache.Insert("k" + std::to_string(i), Named("x"), {2, 1});
  EXPECT_LT(cache.size(), 200u);
  EXPECT_EQ(held->labels, Named("first"));  // evicted or not, still readable
}

TEST(RawSeriesCache, ConcurrentLookupsAndInsertsAgree) {
  RawSeriesCache cache(256 * 1024);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 5000; ++i) {
        const std::string key = "s" + std::to_string(i % 700);
        if (auto e = cache.Lookup(key)) {
          EXPECT_EQ(e->raw, key);
          EXPECT_EQ(e->labels, Named(key));
        } else {
          cache.Insert(key, Named(key), {uint64_t(i % 700), uint64_t(t + 1)});
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GT(cache.size(), 0u);
}

}  // namespace
}  // namespace vigil::tsdb
