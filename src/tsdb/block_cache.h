#pragma once
// BlockCache: decompressed part blocks shared by every reader, so that a
// query touching many series (in label order, which is not the order of the
// blocks) and the dashboards that repeat it decompress each block once.

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace vigil::tsdb {

// A least-recently-used cache of decompressed blocks keyed by (part
// instance, block index), bounded by the bytes of the blocks it holds.
// Thread-safe. A returned block stays valid for as long as its holder keeps
// the pointer, even after eviction.
class BlockCache {
 public:
  using Block = std::shared_ptr<const std::string>;

  // capacity_bytes == 0 disables caching (Get always misses).
  explicit BlockCache(size_t capacity_bytes);
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // The block, or null when it is not cached.
  Block Get(uint64_t part_instance, uint32_t block);
  // Caches `data` for the key (replacing an entry), evicting the least
  // recently used blocks beyond the capacity. A block larger than a shard's
  // share of the capacity is not kept.
  void Put(uint64_t part_instance, uint32_t block, Block data);

  // Bytes of the blocks held now.
  size_t bytes() const;

 private:
  static constexpr size_t kShards = 8;
  struct Key {
    uint64_t part_instance;
    uint32_t block;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return std::hash<uint64_t>()(k.part_instance * 0x9e3779b97f4a7c15ULL ^ k.block); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::list<std::pair<Key, Block>> lru;  // most recently used first
    std::unordered_map<Key, std::list<std::pair<Key, Block>>::iterator, KeyHash> index;
    size_t bytes = 0;
  };
  Shard& ShardOf(const Key& k) { return shards_[KeyHash()(k) % kShards]; }

  size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace vigil::tsdb
