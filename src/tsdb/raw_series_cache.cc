#include "tsdb/raw_series_cache.h"

#include <algorithm>

#include "base/hash.h"

namespace vigil::tsdb {

namespace {
// Map node, shared_ptr control block and the Entry's own members.
constexpr size_t kEntryOverhead = 128;
}  // namespace

RawSeriesCache::RawSeriesCache(size_t max_bytes) : max_shard_bytes_(max_bytes / kShards) {}

size_t RawSeriesCache::EntryBytes(const Entry& e) { return kEntryOverhead + e.raw.size() + e.labels.EncodedSize(); }

RawSeriesCache::Slot& RawSeriesCache::Probe(Shard& shard, uint64_t hash) {
  const size_t mask = shard.slots.size() - 1;
  for (size_t i = (hash / kShards) & mask;; i = (i + 1) & mask) {
    Slot& slot = shard.slots[i];
    if (slot.entry == nullptr || slot.hash == hash) return slot;
  }
}

RawSeriesCache::Handle RawSeriesCache::Lookup(std::string_view raw) const {
  const uint64_t hash = Hash64(raw);
  const Shard& shard = shards_[hash % kShards];
  std::lock_guard lock(shard.mu);
  if (shard.slots.empty()) return nullptr;
  const Slot& slot = Probe(shard, hash);
  if (slot.entry == nullptr || slot.entry->raw != raw) return nullptr;
  return slot.entry;
}

void RawSeriesCache::Insert(std::string_view raw, const Labels& labels, SeriesRefHint hint) {
  const uint64_t hash = Hash64(raw);
  auto entry = std::make_shared<Entry>(Entry{std::string(raw), labels, hint});
  const size_t bytes = EntryBytes(*entry);
  Shard& shard = shards_[hash % kShards];
  std::vector<Slot> old;  // released outside the lock
  std::lock_guard lock(shard.mu);
  if (shard.bytes + bytes > max_shard_bytes_) {
    old.swap(shard.slots);
    shard.used = 0;
    shard.bytes = 0;
  }
  if (2 * (shard.used + 1) > shard.slots.size()) {
    std::vector<Slot> grown(std::max<size_t>(64, 2 * shard.slots.size()));
    grown.swap(shard.slots);
    for (Slot& s : grown) {
      if (s.entry != nullptr) Probe(shard, s.hash) = std::move(s);
    }
  }
  Slot& slot = Probe(shard, hash);
  if (slot.entry != nullptr) {
    shard.bytes -= EntryBytes(*slot.entry);
    old.push_back(std::move(slot));
  } else {
    ++shard.used;
  }
  slot = Slot{hash, std::move(entry)};
  shard.bytes += bytes;
}

size_t RawSeriesCache::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.used;
  }
  return n;
}

}  // namespace vigil::tsdb
