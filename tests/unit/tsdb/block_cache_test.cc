#include "tsdb/block_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace vigil::tsdb {
namespace {

BlockCache::Block Bytes(size_t n, char c) { return std::make_shared<const std::string>(n, c); }

TEST(BlockCacheTest, PutThenGetByPartAndBlock) {
  BlockCache cache(1 << 20);
  EXPECT_EQ(cache.Get(1, 0), nullptr);
  cache.Put(1, 0, Bytes(100, 'a'));
  cache.Put(2, 0, Bytes(100, 'b'));
  ASSERT_NE(cache.Get(1, 0), nullptr);
  EXPECT_EQ((*cache.Get(1, 0))[0], 'a');
  EXPECT_EQ((*cache.Get(2, 0))[0], 'b');
  EXPECT_EQ(cache.Get(1, 1), nullptr);
  EXPECT_EQ(cache.bytes(), 200u);
}

TEST(BlockCacheTest, LeastRecentlyUsedBlocksAreEvictedButHeldOnesStayReadable) {
  BlockCache cache(8 * 1000);  // 1000 bytes per shard
  auto held = Bytes(400, 'h');
  cache.Put(7, 0, held);
  for (uint32_t b = 1; b < 200; ++b) cache.Put(7, b, Bytes(400, 'x'));
  EXPECT_LE(cache.bytes(), 8u * 1000u);
  EXPECT_EQ(held->size(), 400u);  // evicted or not, the holder's copy is intact
}

TEST(BlockCacheTest, RecentlyReadBlockSurvivesEviction) {
  BlockCache cache(8 * 1000);
  // Block 0 is read before every Put, so it is never the least recently used.
  cache.Put(9, 0, Bytes(300, 'k'));
  for (uint32_t b = 1; b < 100; ++b) {
    ASSERT_NE(cache.Get(9, 0), nullptr) << b;
    cache.Put(9, b, Bytes(300, 'x'));
  }
}

TEST(BlockCacheTest, OversizedBlockAndZeroCapacityAreNotKept) {
  BlockCache cache(8 * 100);
  cache.Put(1, 0, Bytes(1000, 'a'));
  EXPECT_EQ(cache.Get(1, 0), nullptr);
  BlockCache off(0);
  off.Put(1, 0, Bytes(1, 'a'));
  EXPECT_EQ(off.Get(1, 0), nullptr);
}

TEST(BlockCacheTest, ConcurrentReadersAndWriters) {
  BlockCache cache(64 * 1024);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (uint32_t i = 0; i < 3000; ++i) {
        const uint32_t b = i % 97;
        if (auto got = cache.Get(1, b)) {
          EXPECT_EQ(got->size(), 100u + b);
        } else {
          cache.Put(1, b, Bytes(100 + b, static_cast<char>('a' + t)));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.bytes(), 64u * 1024u);
}

}  // namespace
}  // namespace vigil::tsdb
