#pragma once
// RawSeriesCache: remembers, for a writer's raw encoding of a series' labels
// (e.g. the label fields of a remote_write TimeSeries, byte for byte), the
// validated Labels it produced and the storage ref it was stored under. A
// writer that sends the same series again (remote_write repeats every label
// with every sample) then skips decoding, building, validating and looking up
// its labels: one hash of the raw bytes and one compare.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/labels.h"
#include "tsdb/write_batch.h"

namespace vigil::tsdb {

// Thread-safe. Bounded: a shard that grows past its share of `max_bytes` is
// emptied (entries are cheap to rebuild from the next write). Handles keep
// their entry alive after eviction, so a request may use what it looked up
// until it is done.
class RawSeriesCache {
 public:
  // One cached series. Immutable once published.
  struct Entry {
    std::string raw;    // the key, as the writer encoded it
    Labels labels;      // validated against the limits the inserter used
    SeriesRefHint hint; // where Storage::Append put it
  };
  using Handle = std::shared_ptr<const Entry>;

  // max_bytes bounds keys + labels + a fixed overhead per entry.
  explicit RawSeriesCache(size_t max_bytes = 64 << 20);
  RawSeriesCache(const RawSeriesCache&) = delete;
  RawSeriesCache& operator=(const RawSeriesCache&) = delete;

  // The entry for exactly these raw bytes, or null.
  Handle Lookup(std::string_view raw) const;

  // Publishes (or replaces) the entry for `raw`. REQUIRES: `labels` is what
  // these raw bytes decode to, validated as every user of this cache
  // validates; hint.generation != 0.
  void Insert(std::string_view raw, const Labels& labels, SeriesRefHint hint);

  // Entries currently held.
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct Slot {
    uint64_t hash = 0;
    Handle entry;  // null: free
  };
  // An open-addressing (linear probing) table by hash of the raw key, at
  // most half full. Entries are never removed one by one, only all at once.
  // Equal hashes share a slot: the newer entry replaces the older, and a
  // lookup compares the key.
  struct Shard {
    mutable std::mutex mu;
    std::vector<Slot> slots;
    size_t used = 0;
    size_t bytes = 0;
  };
  static size_t EntryBytes(const Entry& e);
  // The slot holding `hash`, or the free slot where it belongs.
  // REQUIRES: shard.mu held, shard.slots not empty.
  static Slot& Probe(Shard& shard, uint64_t hash);
  static const Slot& Probe(const Shard& shard, uint64_t hash) { return Probe(const_cast<Shard&>(shard), hash); }

  size_t max_shard_bytes_;
  std::array<Shard, kShards> shards_;
};

}  // namespace vigil::tsdb
