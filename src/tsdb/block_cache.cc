#include "tsdb/block_cache.h"

#include <utility>
#include <vector>

namespace vigil::tsdb {

BlockCache::BlockCache(size_t capacity_bytes) : shard_capacity_(capacity_bytes / kShards) {}

BlockCache::Block BlockCache::Get(uint64_t part_instance, uint32_t block) {
  const Key key{part_instance, block};
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return nullptr;
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return it->second->second;
}

void BlockCache::Put(uint64_t part_instance, uint32_t block, Block data) {
  if (data == nullptr || data->size() > shard_capacity_) return;
  const Key key{part_instance, block};
  Shard& shard = ShardOf(key);
  std::vector<Block> evicted;  // released outside the lock
  std::lock_guard lock(shard.mu);
  if (auto it = shard.index.find(key); it != shard.index.end()) {
    shard.bytes -= it->second->second->size();
    evicted.push_back(std::move(it->second->second));
    shard.lru.erase(it->second);
    shard.index.erase(it);
  }
  shard.bytes += data->size();
  shard.lru.emplace_front(key, std::move(data));
  shard.index.emplace(key, shard.lru.begin());
  while (shard.bytes > shard_capacity_) {
    auto& [old_key, old_block] = shard.lru.back();
    shard.bytes -= old_block->size();
    evicted.push_back(std::move(old_block));
    shard.index.erase(old_key);
    shard.lru.pop_back();
  }
}

size_t BlockCache::bytes() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.bytes;
  }
  return n;
}

}  // namespace vigil::tsdb
